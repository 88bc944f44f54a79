"""softmax_jacobian and softmax_jvp against finite differences, sympy, explicit loops and
the matrix's known properties (symmetric, PSD, J·1 = 0, rank n - 1, eigenvalues <= 1/2)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.special
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, shapes

from softmax_notes import numerical_gradient, softmax, softmax_jacobian, softmax_jvp

# Logits in [-10, 10]: the spread max(z) - min(z) is at most 20, so every probability is at
# least exp(-20) / n > 2.6e-10 for n <= 8. By eigenvalue interlacing for the rank-one
# update diag(s) - s sᵀ, the smallest nonzero eigenvalue is at least min(s), far above
# the ~1e-15 tolerance of np.linalg.matrix_rank. With a spread near 40 (|z| <= 20) some
# s_i reach ~1e-18 and the rank would numerically drop to n - 2: not a property failure,
# just underflow (test_rank_drops_numerically_when_a_probability_underflows).
LOGITS = arrays(np.float64, shapes(max_dims=1, min_side=2, max_side=8), "finite", 10, False)
ROUNDING = 1e-14


def _explicit_loop_jacobian(logits: np.ndarray) -> np.ndarray:
    """s_i (δ_ij - s_j) entry by entry, with s from scipy: independent of the code under test."""
    probs = scipy.special.softmax(logits)
    n = len(probs)
    return np.array(
        [[probs[i] * ((1.0 if i == j else 0.0) - probs[j]) for j in range(n)] for i in range(n)]
    )


@pytest.mark.parametrize("n", [1, 2, 3, 7])
@pytest.mark.parametrize("batch", [(), (4,), (2, 3)])
def test_jacobian_matches_central_differences(n, batch):
    rng = np.random.default_rng(1000 + 10 * n + len(batch))
    logits = rng.normal(scale=3.0, size=(*batch, n))
    jacobian = softmax_jacobian(logits)
    assert jacobian.shape == (*batch, n, n)
    for index in np.ndindex(batch):
        expected = numerical_gradient(softmax, logits[index])
        np.testing.assert_allclose(jacobian[index], expected, rtol=0, atol=1e-9)


def test_jacobian_along_a_middle_axis_puts_batch_dimensions_first():
    rng = np.random.default_rng(7)
    logits = rng.normal(size=(3, 5, 2))
    jacobian = softmax_jacobian(logits, axis=1)
    assert jacobian.shape == (3, 2, 5, 5)
    for a in range(3):
        for b in range(2):
            expected = numerical_gradient(softmax, logits[a, :, b])
            np.testing.assert_allclose(jacobian[a, b], expected, rtol=0, atol=1e-9)


def test_jacobian_matches_sympy_for_three_classes():
    z = sp.symbols("z0:3", real=True)
    exps = [sp.exp(zi) for zi in z]
    probs = sp.Matrix([e / sum(exps) for e in exps])
    symbolic = sp.lambdify(z, probs.jacobian(z), "numpy")
    rng = np.random.default_rng(3)
    for logits in rng.normal(scale=4.0, size=(20, 3)):
        np.testing.assert_allclose(
            softmax_jacobian(logits), symbolic(*logits), rtol=1e-12, atol=1e-15
        )


def test_jacobian_matches_explicit_loops_in_a_batch():
    rng = np.random.default_rng(11)
    logits = rng.normal(scale=5.0, size=(6, 5))
    jacobian = softmax_jacobian(logits)
    for row in range(6):
        np.testing.assert_allclose(
            jacobian[row], _explicit_loop_jacobian(logits[row]), rtol=1e-12, atol=1e-15
        )


def test_integer_logits_are_promoted_to_float64():
    assert softmax_jacobian([1, 2, 3]).dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_logits_keep_their_dtype(dtype):
    logits = np.array([[0.5, -1.0, 2.0]], dtype=dtype)
    jacobian = softmax_jacobian(logits)
    assert jacobian.dtype == dtype
    tolerance = {np.float16: 2e-3, np.float32: 1e-6, np.float64: 1e-15}[dtype]
    np.testing.assert_allclose(
        jacobian[0], _explicit_loop_jacobian(logits[0].astype(np.float64)), atol=tolerance
    )


def test_empty_axis_gives_empty_square_matrices():
    assert softmax_jacobian(np.zeros((3, 0))).shape == (3, 0, 0)
    assert softmax_jacobian(np.zeros((0, 4))).shape == (0, 4, 4)


def test_negative_infinity_logit_gets_zero_row_and_column():
    jacobian = softmax_jacobian([1.0, -np.inf, 0.0])
    assert np.array_equal(jacobian[1, :], np.zeros(3))
    assert np.array_equal(jacobian[:, 1], np.zeros(3))
    np.testing.assert_allclose(
        jacobian[np.ix_([0, 2], [0, 2])], _explicit_loop_jacobian(np.array([1.0, 0.0])), atol=1e-15
    )


def test_single_positive_infinity_logit_gives_the_zero_matrix():
    assert np.array_equal(softmax_jacobian([np.inf, 0.0, -3.0]), np.zeros((3, 3)))


def test_nan_logit_makes_only_its_own_slice_nan():
    jacobian = softmax_jacobian([[np.nan, 0.0], [0.0, 0.0]])
    assert np.isnan(jacobian[0]).all()
    np.testing.assert_array_equal(jacobian[1], [[0.25, -0.25], [-0.25, 0.25]])


def test_huge_finite_logits_neither_overflow_nor_warn():
    np.testing.assert_allclose(
        softmax_jacobian([1e308, 1e308]), [[0.25, -0.25], [-0.25, 0.25]], rtol=0, atol=0
    )


def test_diagonal_keeps_relative_accuracy_when_one_probability_is_near_one():
    # At z = [0, -50], 1 - s_0 rounds to 0; the true J_00 = e^50 / (1 + e^50)^2, from mpmath.
    with mpmath.workdps(50):
        growth = mpmath.exp(50)
        expected = float(growth / (1 + growth) ** 2)
    np.testing.assert_allclose(
        softmax_jacobian([0.0, -50.0]), [[expected, -expected], [-expected, expected]], rtol=1e-14
    )


def test_rank_drops_numerically_when_a_probability_underflows():
    # exp(-800) is 0 in float64: the second logit is effectively -inf, so J has rank 0, not 1.
    jacobian = softmax_jacobian([0.0, -800.0])
    assert np.linalg.matrix_rank(jacobian) == 0


@pytest.mark.parametrize("axis", [(0,), (0, 1), None, True, 1.0])
def test_axis_must_be_a_single_int(axis):
    with pytest.raises(TypeError, match="axis must be a single int"):
        softmax_jacobian(np.zeros((2, 3)), axis=axis)


def test_axis_out_of_range_is_an_axis_error():
    with pytest.raises(np.exceptions.AxisError):
        softmax_jacobian(np.zeros((2, 3)), axis=2)
    with pytest.raises(np.exceptions.AxisError):
        softmax_jacobian(1.0)


@pytest.mark.parametrize("bad", [[1j, 2.0], [True, False], ["a", "b"]])
def test_non_real_logits_are_rejected(bad):
    with pytest.raises(TypeError, match="z must be"):
        softmax_jacobian(bad)


def test_jvp_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"s\.shape=\(2, 3\).*v\.shape=\(3,\)"):
        softmax_jvp(np.full((2, 3), 1 / 3), np.ones(3))


def test_jvp_axis_must_be_a_single_int():
    with pytest.raises(TypeError, match="axis must be a single int"):
        softmax_jvp(np.full((2, 3), 1 / 3), np.ones((2, 3)), axis=(0, 1))


def test_jvp_along_first_axis_matches_each_column_jacobian():
    rng = np.random.default_rng(21)
    logits = rng.normal(size=(4, 3))
    tangent = rng.normal(size=(4, 3))
    product = softmax_jvp(softmax(logits, axis=0), tangent, axis=0)
    for column in range(3):
        expected = _explicit_loop_jacobian(logits[:, column]) @ tangent[:, column]
        np.testing.assert_allclose(product[:, column], expected, rtol=1e-12, atol=1e-15)


def test_jvp_matches_central_differences_along_the_tangent():
    rng = np.random.default_rng(5)
    logits = rng.normal(size=6)
    tangent = rng.normal(size=6)
    expected = numerical_gradient(lambda t: softmax(logits + t[0] * tangent), [0.0])[:, 0]
    np.testing.assert_allclose(softmax_jvp(softmax(logits), tangent), expected, atol=1e-9)


def test_jvp_is_zero_where_probability_is_zero():
    product = softmax_jvp(softmax([0.0, -np.inf, 1.0]), [3.0, 5.0, -1.0])
    assert product[1] == 0.0


def test_jvp_of_empty_axis_is_empty():
    assert softmax_jvp(np.zeros((2, 0)), np.zeros((2, 0))).shape == (2, 0)


@settings(max_examples=150, deadline=None)
@given(LOGITS)
def test_jacobian_is_symmetric(logits):
    jacobian = softmax_jacobian(logits)
    np.testing.assert_array_equal(jacobian, jacobian.T)


@settings(max_examples=150, deadline=None)
@given(LOGITS)
def test_jacobian_annihilates_the_ones_vector(logits):
    jacobian = softmax_jacobian(logits)
    np.testing.assert_allclose(jacobian @ np.ones(len(logits)), 0.0, atol=ROUNDING)


@settings(max_examples=150, deadline=None)
@given(LOGITS)
def test_jacobian_eigenvalues_lie_between_zero_and_one_half(logits):
    eigenvalues = np.linalg.eigvalsh(softmax_jacobian(logits))
    assert eigenvalues.min() >= -ROUNDING
    assert eigenvalues.max() <= 0.5 + ROUNDING


@settings(max_examples=150, deadline=None)
@given(LOGITS)
def test_jacobian_has_rank_n_minus_one_for_bounded_logits(logits):
    assert np.linalg.matrix_rank(softmax_jacobian(logits)) == len(logits) - 1


@settings(max_examples=150, deadline=None)
@given(LOGITS)
def test_jacobian_trace_is_one_minus_sum_of_squared_probabilities(logits):
    probs = scipy.special.softmax(logits)
    np.testing.assert_allclose(
        np.trace(softmax_jacobian(logits)), 1 - np.sum(probs**2), rtol=0, atol=ROUNDING
    )


@settings(max_examples=150, deadline=None)
@given(
    LOGITS.flatmap(
        lambda z: st.tuples(st.just(z), arrays(np.float64, z.shape, "finite", 100, False))
    )
)
def test_jvp_equals_jacobian_times_vector_and_sums_to_zero(logits_and_tangent):
    logits, tangent = logits_and_tangent
    product = softmax_jvp(softmax(logits), tangent)
    np.testing.assert_allclose(product, softmax_jacobian(logits) @ tangent, rtol=0, atol=1e-12)
    assert abs(product.sum()) <= 1e-12


# Regressions: low-precision accumulation (issue 10)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_low_precision_jacobian_diagonal_is_accurate_at_n_2000(dtype):
    # The diagonal s_i * sum_{j != i} s_j used to be summed from float16 products of about
    # 2.5e-7, far below float16's smallest normal number: 28% off at n = 2000 (and all
    # zeros, 100% off, at n = 5000, where the products round to 0).
    logits = np.random.default_rng(2000).uniform(-2, 2, 2000).astype(dtype)
    diagonal = np.diagonal(softmax_jacobian(logits))
    assert diagonal.dtype == dtype
    probs = scipy.special.softmax(logits.astype(np.float64))
    info = np.finfo(dtype)
    # The computed softmax itself is off by a few units of rounding (spread 4, n = 2000).
    np.testing.assert_allclose(
        diagonal.astype(np.float64),
        probs * (1 - probs),
        rtol=16 * float(info.eps),
        atol=2 * float(info.smallest_subnormal),
    )


def test_float16_jvp_along_a_long_first_axis_sums_in_float32():
    # A reduction over a non-last axis runs row by row in the array's own dtype: a float16
    # sum of 70000 terms overflows.
    dtype = np.float16
    rng = np.random.default_rng(70_000)
    probs = scipy.special.softmax(rng.uniform(-2, 2, (70_000, 2)), axis=0).astype(dtype)
    tangent = np.full((70_000, 2), 2.0**10, dtype=dtype)
    product = softmax_jvp(probs, tangent, axis=0)
    assert product.dtype == dtype and np.isfinite(product).all()
    wide_probs, wide_tangent = probs.astype(np.float64), tangent.astype(np.float64)
    expected = wide_probs * (wide_tangent - np.sum(wide_probs * wide_tangent, axis=0))
    scale = float(np.max(np.abs(wide_tangent * wide_probs)))
    np.testing.assert_allclose(
        product.astype(np.float64), expected, rtol=0, atol=4 * float(np.finfo(dtype).eps) * scale
    )


def test_jvp_with_an_infinite_tangent_is_nan_where_indeterminate_without_warning():
    # v - <s, v> is inf - inf at the infinite entry; the others are -inf (or 0 where s = 0).
    product = softmax_jvp([0.5, 0.5, 0.0], [np.inf, 0.0, 1.0])
    assert np.isnan(product[0]) and product[1] == -np.inf and np.isnan(product[2])

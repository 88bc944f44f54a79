"""Temperature, sparsemax and the Gumbel-softmax, each against an independent formulation."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import FLOAT_DTYPES, arrays, arrays_and_axes, dtypes, shapes

import softmax_notes as sn

finite_logits = arrays(np.float64, shapes(max_dims=1, min_side=1, max_side=12), "finite", 50, False)


def simplex_projection_by_bisection(z: np.ndarray) -> np.ndarray:
    """argmin_{p in simplex} ||p - z||: find theta with sum(max(z - theta, 0)) = 1 by bisection.

    The sum is continuous and decreasing in theta, at least 1 at max(z) - 1 and 0 at max(z).
    """
    low, high = np.max(z) - 1.0, np.max(z)
    for _ in range(80):  # the bracket, 1 wide, shrinks to 2**-80: below float64 resolution
        middle = (low + high) / 2
        if np.sum(np.maximum(z - middle, 0)) > 1:
            low = middle
        else:
            high = middle
    return np.maximum(z - (low + high) / 2, 0)


# Temperature


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0, 3.0, 100.0])
def test_temperature_softmax_matches_scipy_on_divided_logits(temperature):
    logits = np.random.default_rng(0).normal(size=(4, 7))
    np.testing.assert_allclose(
        sn.softmax_with_temperature(logits, temperature),
        scipy.special.softmax(logits / temperature, axis=-1),
        rtol=1e-12,
    )


def test_temperature_one_is_plain_softmax():
    logits = np.array([[2.0, 0.5, 6.0], [0.1, 0.0, 3.0]])
    np.testing.assert_allclose(sn.softmax_with_temperature(logits, 1), sn.softmax(logits))


def test_tiny_temperature_gives_one_hot_argmax_without_overflow():
    logits = np.array([1.0, 5.0, -2.0, 4.999])
    np.testing.assert_array_equal(sn.softmax_with_temperature(logits, 1e-300), [0, 1, 0, 0])


def test_tiny_temperature_shares_mass_between_tied_maxima():
    np.testing.assert_array_equal(
        sn.softmax_with_temperature([3.0, 1.0, 3.0], 1e-300), [0.5, 0, 0.5]
    )


def test_huge_temperature_gives_uniform():
    np.testing.assert_allclose(sn.softmax_with_temperature([1.0, 5.0, -2.0], 1e300), [1 / 3] * 3)


def test_temperature_respects_axis_and_keeps_float32():
    logits = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
    probs = sn.softmax_with_temperature(logits, 2.0, axis=0)
    assert probs.dtype == np.float32
    np.testing.assert_allclose(probs, scipy.special.softmax(logits / 2, axis=0), rtol=1e-6)


@pytest.mark.parametrize("temperature", [0.0, -1.0, np.inf, np.nan, -np.inf])
def test_non_positive_or_non_finite_temperature_is_a_value_error(temperature):
    with pytest.raises(ValueError, match="temperature"):
        sn.softmax_with_temperature([1.0, 2.0], temperature)


@pytest.mark.parametrize("temperature", ["1", True, None, [1.0]])
def test_non_numeric_temperature_is_a_type_error(temperature):
    with pytest.raises(TypeError, match="temperature"):
        sn.softmax_with_temperature([1.0, 2.0], temperature)


@settings(max_examples=60, deadline=None)
@given(finite_logits, st.floats(0.05, 20), st.floats(0.05, 20))
def test_entropy_does_not_decrease_with_temperature(logits, low, high):
    low, high = min(low, high), max(low, high)
    entropies = [
        scipy.special.entr(sn.softmax_with_temperature(logits, t)).sum() for t in (low, high)
    ]
    assert entropies[0] <= entropies[1] + 1e-12


# Sparsemax


@settings(max_examples=150, deadline=None)
@given(finite_logits)
def test_sparsemax_is_the_euclidean_projection_onto_the_simplex(logits):
    np.testing.assert_allclose(
        sn.sparsemax(logits), simplex_projection_by_bisection(logits), atol=1e-12
    )


@settings(max_examples=100, deadline=None)
@given(finite_logits)
def test_sparsemax_is_a_distribution_with_exact_zeros_below_the_threshold(logits):
    probs = sn.sparsemax(logits)
    assert np.all(probs >= 0)
    np.testing.assert_allclose(probs.sum(), 1, rtol=1e-12)
    # Every zero is exact, and the largest logit is always in the support.
    assert probs[np.argmax(logits)] > 0
    kept = probs > 0
    if not kept.all():
        assert np.max(logits[~kept]) <= np.min(logits[kept])


def test_sparsemax_of_small_examples_worked_by_hand():
    np.testing.assert_array_equal(sn.sparsemax([1.0, 0.5, -1.0]), [0.75, 0.25, 0])
    np.testing.assert_array_equal(sn.sparsemax([3.0, 0.0, 0.0]), [1, 0, 0])
    np.testing.assert_allclose(sn.sparsemax([0.0, 0.0]), [0.5, 0.5])


def test_sparsemax_is_shift_invariant_and_batched_along_axis():
    logits = np.random.default_rng(2).normal(size=(5, 4))
    expected = np.stack([simplex_projection_by_bisection(column) for column in logits.T], axis=1)
    np.testing.assert_allclose(sn.sparsemax(logits, axis=0), expected, atol=1e-12)
    np.testing.assert_allclose(sn.sparsemax(logits + 1e3, axis=0), expected, atol=1e-9)


def test_sparsemax_non_finite_rules_follow_softmax():
    np.testing.assert_array_equal(sn.sparsemax([0.0, -np.inf, 0.0]), [0.5, 0, 0.5])
    np.testing.assert_array_equal(sn.sparsemax([1.0, np.inf]), [0, 1])
    np.testing.assert_allclose(sn.sparsemax([-np.inf, -np.inf]), [0.5, 0.5])
    probs = sn.sparsemax([[1.0, np.nan], [1.0, 2.0]])
    assert np.isnan(probs[0]).all()
    np.testing.assert_array_equal(probs[1], [0, 1])


def test_sparsemax_keeps_float32_and_handles_empty_input():
    assert sn.sparsemax(np.zeros(3, dtype=np.float32)).dtype == np.float32
    assert sn.sparsemax(np.zeros((2, 0))).shape == (2, 0)


def test_sparsemax_rejects_a_tuple_axis():
    with pytest.raises(TypeError, match="single int"):
        sn.sparsemax(np.zeros((2, 3)), axis=(0, 1))


@pytest.mark.parametrize("seed", range(5))
def test_sparsemax_jacobian_matches_central_differences(seed):
    logits = np.random.default_rng(seed).normal(size=6)
    probs = sn.sparsemax(logits)
    theta = np.mean((logits - probs)[probs > 0])
    # Central differences are valid away from the kinks, where a logit meets the threshold.
    assert np.min(np.abs(logits - theta)) > 1e-4
    np.testing.assert_allclose(
        sn.sparsemax_jacobian(logits), sn.numerical_gradient(sn.sparsemax, logits), atol=1e-8
    )


def test_sparsemax_jacobian_is_a_symmetric_projection_and_its_jvp_needs_no_matrix():
    rng = np.random.default_rng(7)
    logits, direction = rng.normal(size=(3, 8)), rng.normal(size=(3, 8))
    jacobian = sn.sparsemax_jacobian(logits)
    np.testing.assert_allclose(jacobian, np.swapaxes(jacobian, -1, -2))
    np.testing.assert_allclose(jacobian @ jacobian, jacobian, atol=1e-15)
    support = (sn.sparsemax(logits) > 0).astype(float)
    jvp = support * (
        direction - (support * direction).sum(-1, keepdims=True) / support.sum(-1, keepdims=True)
    )
    np.testing.assert_allclose(np.einsum("bij,bj->bi", jacobian, direction), jvp, atol=1e-15)


def test_sparsemax_jacobian_moves_the_axis_last():
    assert sn.sparsemax_jacobian(np.zeros((2, 5, 3)), axis=1).shape == (2, 3, 5, 5)


# Gumbel-max and Gumbel-softmax


def test_gumbel_argmax_frequencies_follow_softmax_within_five_standard_errors():
    logits = np.array([1.0, 2.0, 0.5, -1.0])
    draws = 200_000
    samples = sn.gumbel_argmax(np.broadcast_to(logits, (draws, 4)), np.random.default_rng(0))
    frequencies = np.bincount(samples, minlength=4) / draws
    probs = scipy.special.softmax(logits)
    standard_errors = np.sqrt(probs * (1 - probs) / draws)
    assert np.all(np.abs(frequencies - probs) < 5 * standard_errors)


def test_gumbel_argmax_never_draws_a_minus_infinity_logit():
    samples = sn.gumbel_argmax(
        np.broadcast_to([0.0, -np.inf, 0.0], (1000, 3)), np.random.default_rng(1)
    )
    assert not np.any(samples == 1)


def test_gumbel_softmax_is_reproducible_with_a_seed_and_lies_on_the_simplex():
    logits = np.random.default_rng(3).normal(size=(10, 5))
    first = sn.gumbel_softmax(logits, 0.7, np.random.default_rng(42))
    second = sn.gumbel_softmax(logits, 0.7, np.random.default_rng(42))
    np.testing.assert_array_equal(first, second)
    assert np.all(first >= 0)
    np.testing.assert_allclose(first.sum(axis=-1), 1)


def test_gumbel_softmax_is_softmax_of_logits_plus_the_same_gumbel_noise():
    logits = np.random.default_rng(4).normal(size=(6, 3))
    noise = np.random.default_rng(9).gumbel(size=logits.shape)
    np.testing.assert_allclose(
        sn.gumbel_softmax(logits, 0.5, np.random.default_rng(9)),
        scipy.special.softmax((logits + noise) / 0.5, axis=-1),
        rtol=1e-12,
    )


def test_hard_gumbel_softmax_is_the_one_hot_of_the_soft_samples_argmax():
    logits = np.random.default_rng(5).normal(size=(8, 4))
    soft = sn.gumbel_softmax(logits, 1.0, np.random.default_rng(6))
    hard = sn.gumbel_softmax(logits, 1.0, np.random.default_rng(6), hard=True)
    np.testing.assert_array_equal(hard, np.eye(4)[np.argmax(soft, axis=-1)])


def test_gumbel_softmax_at_low_temperature_is_the_gumbel_max_sample():
    logits = np.random.default_rng(7).normal(size=(50, 4))
    soft = sn.gumbel_softmax(logits, 1e-6, np.random.default_rng(8))
    winners = sn.gumbel_argmax(logits, np.random.default_rng(8))
    np.testing.assert_allclose(soft, np.eye(4)[winners], atol=1e-12)


def test_gumbel_functions_require_a_numpy_generator():
    with pytest.raises(TypeError, match="Generator"):
        sn.gumbel_softmax([1.0, 2.0], 1.0, rng=0)
    with pytest.raises(TypeError, match="Generator"):
        sn.gumbel_argmax([1.0, 2.0], np.random.RandomState(0))


def test_gumbel_softmax_checks_its_temperature():
    with pytest.raises(ValueError, match="temperature"):
        sn.gumbel_softmax([1.0, 2.0], 0.0, np.random.default_rng(0))


# Regressions: every relative keeps the core's promises (issue 10)

def _close_in_dtype(actual, expected, dtype, ulps=4):
    """`actual` (in `dtype`) within a few roundings of `expected` (float64), or of its underflow."""
    info = np.finfo(dtype)
    np.testing.assert_allclose(
        actual.astype(np.float64),
        expected,
        rtol=ulps * max(float(info.eps), float(np.finfo(np.float64).eps)),
        atol=ulps * float(info.smallest_subnormal),
    )


@pytest.mark.parametrize(
    ("dtype", "n"), [(np.float16, 10_000), (np.float16, 70_000), (np.float32, 1_000_000)]
)
def test_low_precision_sparsemax_of_many_small_logits_matches_float64(dtype, n):
    # float16 cumulative sums stop growing at 2048 and ranks overflow past 65504; a float32
    # cumulative sum of 10**6 terms is off by far more than float32's rounding.
    logits = np.random.default_rng(n).uniform(0, 1e-3, n).astype(dtype)
    probs = sn.sparsemax(logits)
    assert probs.dtype == dtype
    exact = simplex_projection_by_bisection(logits.astype(np.float64))
    np.testing.assert_allclose(
        probs.astype(np.float64),
        exact,
        rtol=2 * float(np.finfo(dtype).eps),
        atol=1e-12 + 2 * float(np.finfo(dtype).smallest_subnormal),
    )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("temperature", [1e-300, 1e-30, 1e-8, 1e5, 1e300])
def test_temperature_is_never_rounded_to_the_logits_dtype(dtype, temperature):
    # 1e-8 rounds to 0 in float16 and 1e-30 in float32 (then every probability is NaN);
    # 1e5 overflows float16 and 1e300 float32.
    logits = np.array([1.0, 2.5, 2.5, -3.0], dtype=dtype)
    probs = sn.softmax_with_temperature(logits, temperature)
    assert probs.dtype == dtype
    expected = scipy.special.softmax(logits.astype(np.float64) / temperature)
    _close_in_dtype(probs, expected, dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_temperature_limits_hold_in_every_dtype(dtype):
    logits = np.array([[1.0, 2.5, 2.5, -3.0], [0.0, -np.inf, 1.0, 1.0]], dtype=dtype)
    cold = sn.softmax_with_temperature(logits, 1e-300)
    np.testing.assert_array_equal(cold, [[0, 0.5, 0.5, 0], [0, 0, 0.5, 0.5]])
    hot = sn.softmax_with_temperature(logits, 1e300)
    third = dtype(1) / dtype(3)
    np.testing.assert_array_equal(hot, np.array([[0.25] * 4, [third, 0, third, third]], dtype))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_a_spread_beyond_the_float_range_survives_a_large_temperature(dtype):
    # x - max = -2 max overflows the dtype (and float64 for float64 logits), but
    # (x - max) / tau = -4 for tau = max / 2.
    big = np.finfo(dtype).max
    probs = sn.softmax_with_temperature(np.array([big, -big], dtype=dtype), big / 2)
    _close_in_dtype(probs, scipy.special.softmax([0.0, -4.0]), dtype)


def test_a_temperature_beyond_the_float_range_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match=r"temperature .* float64"):
        sn.softmax_with_temperature([1.0, 2.0], 10**400)
    with pytest.raises(ValueError, match="temperature"):
        sn.gumbel_softmax([1.0, 2.0], 10**400, np.random.default_rng(0))


@pytest.mark.skipif(
    np.finfo(np.longdouble).maxexp <= 1024, reason="long double is float64 on this platform"
)
def test_long_double_logits_take_a_temperature_float64_cannot_hold():
    probs = sn.softmax_with_temperature(np.array([1.0, 2.0], dtype=np.longdouble), 10**400)
    np.testing.assert_array_equal(probs, np.array([0.5, 0.5], dtype=np.longdouble))


def _frequencies(samples: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(samples.reshape(-1), minlength=n) / samples.size


def _assert_follows(frequencies: np.ndarray, probs: np.ndarray, draws: int) -> None:
    """Every frequency within 5 standard errors of its probability (exactly 0 where p = 0)."""
    standard_errors = np.sqrt(probs * (1 - probs) / draws)
    assert np.all(np.abs(frequencies - probs) <= 5 * standard_errors), (frequencies, probs)


@pytest.mark.parametrize(
    "logits",
    [[np.inf, 0.0, np.inf, np.inf], [-np.inf] * 4, [np.inf, -np.inf, 1e308, np.inf]],
    ids=["tied +inf", "all -inf", "+inf beside -inf and the largest float"],
)
def test_gumbel_samplers_follow_softmax_at_its_limits(logits):
    # softmax shares the mass of tied +inf logits and is uniform on a slice of only -inf;
    # both samplers used to pick index 0 every time.
    draws = 20_000
    batch = np.broadcast_to(logits, (draws, 4))
    probs = sn.softmax(np.array(logits))
    _assert_follows(_frequencies(sn.gumbel_argmax(batch, np.random.default_rng(0)), 4), probs, draws)
    hard = sn.gumbel_softmax(batch, 1.0, np.random.default_rng(1), hard=True)
    _assert_follows(hard.mean(axis=0), probs, draws)
    soft = sn.gumbel_softmax(batch, 0.01, np.random.default_rng(2))
    _assert_follows(_frequencies(np.argmax(soft, axis=-1), 4), probs, draws)


def test_gumbel_argmax_refuses_a_slice_with_nan():
    # softmax of that slice is NaN: there is no distribution to draw from.
    with pytest.raises(ValueError, match=r"logits hold NaN in 1 slice.*\(1,\)"):
        sn.gumbel_argmax([[0.0, 1.0], [np.nan, 1.0]], np.random.default_rng(0))


def test_gumbel_softmax_of_a_nan_slice_is_nan_and_no_other():
    for hard in [False, True]:
        sample = sn.gumbel_softmax(
            [[0.0, 1.0], [np.nan, 1.0]], 1.0, np.random.default_rng(0), hard=hard
        )
        assert np.isnan(sample[1]).all() and np.isfinite(sample[0]).all()


def test_hard_gumbel_softmax_is_the_one_hot_of_gumbel_argmax_with_the_same_noise():
    logits = np.random.default_rng(10).normal(scale=3, size=(200, 5))
    hard = sn.gumbel_softmax(logits, 5.0, np.random.default_rng(11), hard=True)
    winners = sn.gumbel_argmax(logits, np.random.default_rng(11))
    np.testing.assert_array_equal(hard, np.eye(5)[winners])


def test_gumbel_with_an_empty_class_axis():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="logits have no classes"):
        sn.gumbel_argmax(np.zeros((2, 0)), rng)
    assert sn.gumbel_argmax(np.zeros((0, 3)), rng).shape == (0,)
    for hard in [False, True]:
        assert sn.gumbel_softmax(np.zeros((2, 0)), 1.0, rng, hard=hard).shape == (2, 0)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_gumbel_softmax_keeps_the_logits_dtype(dtype):
    logits = np.array([1.0, 2.0, 3.0], dtype=dtype)
    for hard in [False, True]:
        assert sn.gumbel_softmax(logits, 0.5, np.random.default_rng(0), hard=hard).dtype == dtype


@pytest.mark.parametrize(
    ("function", "name"),
    [
        (lambda x, axis: sn.sparsemax(x, axis=axis), "sparsemax"),
        (lambda x, axis: sn.sparsemax_jacobian(x, axis=axis), "sparsemax_jacobian"),
        (lambda x, axis: sn.gumbel_argmax(x, np.random.default_rng(0), axis=axis), "gumbel_argmax"),
        (
            lambda x, axis: sn.gumbel_softmax(x, 1.0, np.random.default_rng(0), axis=axis),
            "gumbel_softmax",
        ),
        (lambda x, axis: sn.softmax_jacobian(x, axis=axis), "softmax_jacobian"),
        (lambda x, axis: sn.softmax_jvp(x, x, axis=axis), "softmax_jvp"),
    ],
)
@pytest.mark.parametrize("axis", [(0,), None, 1.0])
def test_an_axis_error_names_the_function_that_was_called(function, name, axis):
    with pytest.raises(TypeError, match=rf"axis must be a single int for {name} "):
        function(np.zeros((2, 3)), axis)


def test_sparsemax_jacobian_of_a_nan_slice_is_nan_not_zero():
    jacobian = sn.sparsemax_jacobian([[np.nan, 0.0], [1.0, 0.5]])
    assert np.isnan(jacobian[0]).all()
    np.testing.assert_array_equal(jacobian[1], [[0.5, -0.5], [-0.5, 0.5]])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_sparsemax_jacobian_entries_are_correctly_rounded_in_every_dtype(dtype):
    # |S| = 3: the entries are -1/3 and 2/3 rounded once to the dtype, and +0 off the support.
    jacobian = sn.sparsemax_jacobian(np.array([0.0, 0.0, 0.0, -5.0], dtype=dtype))
    assert jacobian.dtype == dtype
    third, two_thirds = dtype(-1) / dtype(3), dtype(2) / dtype(3)
    expected = np.full((4, 4), third, dtype=dtype)
    expected[:, 3] = expected[3, :] = 0
    expected[[0, 1, 2], [0, 1, 2]] = two_thirds
    np.testing.assert_array_equal(jacobian, expected)
    assert not np.signbit(jacobian[3]).any()


# Properties over every dtype, layout and kind of entry (tests/strategies.py)


def _nan_slices(x: np.ndarray, axis: int) -> np.ndarray:
    return np.broadcast_to(np.isnan(x).any(axis=axis, keepdims=True), x.shape)


@settings(max_examples=100, deadline=None)
@given(arrays_and_axes(single_axis=True))
def test_sparsemax_is_a_distribution_in_every_dtype_layout_and_kind(case):
    x, axis = case
    before = x.copy()
    probs = sn.sparsemax(x, axis=axis)
    np.testing.assert_array_equal(x, before)
    assert probs.shape == x.shape and probs.dtype == (x.dtype if x.dtype.kind == "f" else np.float64)
    nan_slices = _nan_slices(x, axis)
    np.testing.assert_array_equal(np.isnan(probs), nan_slices)
    if x.size == 0 or nan_slices.all():
        return
    clean = np.where(nan_slices, 0, probs)
    assert (clean >= 0).all() and (clean <= 1).all()
    sums = np.sum(clean.astype(np.float64), axis=axis)[~nan_slices.any(axis=axis)]
    np.testing.assert_allclose(sums, 1, atol=x.shape[axis] * float(np.finfo(probs.dtype).eps))


@settings(max_examples=100, deadline=None)
@given(
    arrays(dtypes(), shapes(min_side=1), "extreme"),
    st.floats(-300, 300).map(lambda exponent: 10.0**exponent),
)
def test_temperature_softmax_is_softmax_of_the_shifted_logits_over_the_temperature(x, temperature):
    # The shift by the maximum (exact in the wider dtype) and the division both happen in
    # at least float64; only the final softmax input is rounded to the dtype.
    probs = sn.softmax_with_temperature(x, temperature, axis=-1)
    assert probs.dtype == x.dtype
    wide = x.astype(np.promote_types(x.dtype, np.float64))
    with np.errstate(over="ignore"):
        scaled = ((wide - wide.max(axis=-1, keepdims=True)) / temperature).astype(x.dtype)
    expected = sn.softmax(scaled.astype(wide.dtype), axis=-1)
    info = np.finfo(x.dtype)
    np.testing.assert_allclose(
        probs.astype(wide.dtype),
        expected,
        rtol=8 * float(info.eps),
        atol=8 * float(info.smallest_subnormal),
    )


@settings(max_examples=60, deadline=None)
@given(arrays(dtypes(FLOAT_DTYPES), shapes(min_dims=2, max_dims=2, min_side=1), "any"))
def test_gumbel_softmax_keeps_dtype_and_lies_on_the_simplex_in_every_kind(x):
    for hard in (False, True):
        sample = sn.gumbel_softmax(x, 0.5, np.random.default_rng(0), hard=hard)
        assert sample.dtype == x.dtype and sample.shape == x.shape
        nan_slices = _nan_slices(x, -1)
        np.testing.assert_array_equal(np.isnan(sample), nan_slices)
        sums = np.sum(np.where(nan_slices, 0, sample).astype(np.float64), axis=-1)
        np.testing.assert_allclose(
            sums[~nan_slices[:, 0]], 1, atol=x.shape[-1] * float(np.finfo(x.dtype).eps)
        )

"""Entropy and KL divergence: against SciPy and mpmath, at the edges, in every float dtype.

References: ``scipy.special.entr`` / ``rel_entr`` / ``kl_div`` and
``scipy.stats.entropy`` (independent implementations), mpmath at 50 digits
(accuracy), and identities the book proves (``H(y) + KL(y || s)`` is the
cross-entropy, Gibbs' inequality).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import softmax_notes as sn

FLOAT_DTYPES = [np.float16, np.float32, np.float64]
# Past the largest float16 (65,504): a float16 sum or count of this many entries overflows.
LONG = 100_000


def random_distributions(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return sn.softmax(rng.normal(scale=2.0, size=shape))


def mp_entropy(p) -> float:
    with mpmath.workdps(50):
        return float(-mpmath.fsum(mpmath.mpf(x) * mpmath.log(x) for x in p if x > 0))


def mp_divergence(p, q) -> float:
    with mpmath.workdps(50):
        return float(
            mpmath.fsum(mpmath.mpf(a) * mpmath.log(mpmath.mpf(a) / b) for a, b in zip(p, q, strict=True) if a > 0)
            + mpmath.fsum(mpmath.mpf(b) for b in q)
            - mpmath.fsum(mpmath.mpf(a) for a in p)
        )


# --- values -----------------------------------------------------------------------------


def test_uniform_distribution_has_entropy_log_n_and_one_hot_has_zero():
    for n in [1, 2, 3, 10, 1000]:
        np.testing.assert_allclose(sn.entropy(np.full(n, 1 / n)), math.log(n), rtol=1e-14)
    one_hot = sn.entropy(np.eye(4))
    np.testing.assert_array_equal(one_hot, np.zeros(4))
    assert not np.signbit(one_hot).any()


def test_entropy_in_bits_is_entropy_in_nats_over_log_2():
    assert sn.entropy(np.full(8, 1 / 8)) / math.log(2) == pytest.approx(3.0, rel=1e-15)


def test_entropy_matches_scipy_entr_and_stats_entropy():
    probs = random_distributions(np.random.default_rng(0), (50, 7))
    expected = scipy.special.entr(probs).sum(axis=-1)
    np.testing.assert_allclose(sn.entropy(probs), expected, rtol=1e-13)
    np.testing.assert_allclose(sn.entropy(probs), scipy.stats.entropy(probs, axis=-1), rtol=1e-13)


def test_divergence_matches_scipy_rel_entr_and_stats_entropy():
    rng = np.random.default_rng(1)
    p, q = random_distributions(rng, (50, 7)), random_distributions(rng, (50, 7))
    expected = scipy.special.rel_entr(p, q).sum(axis=-1)
    np.testing.assert_allclose(sn.kl_divergence(p, q), expected, rtol=1e-12)
    np.testing.assert_allclose(sn.kl_divergence(p, q), scipy.stats.entropy(p, q, axis=-1), rtol=1e-12)


def test_divergence_of_weights_is_the_generalized_divergence_scipy_kl_div():
    rng = np.random.default_rng(2)
    p, q = rng.uniform(0, 3, size=(20, 5)), rng.uniform(0, 3, size=(20, 5))
    np.testing.assert_allclose(
        sn.kl_divergence(p, q), scipy.special.kl_div(p, q).sum(axis=-1), rtol=1e-12
    )


def test_entropy_plus_divergence_is_the_cross_entropy():
    rng = np.random.default_rng(3)
    logits = rng.normal(scale=3.0, size=(40, 6))
    targets = random_distributions(rng, (40, 6))
    np.testing.assert_allclose(
        sn.cross_entropy(logits, targets, reduction="none"),
        sn.entropy(targets) + sn.kl_divergence(targets, sn.softmax(logits)),
        rtol=1e-12,
    )


# --- Gibbs' inequality and accuracy --------------------------------------------------------


def test_divergence_is_exactly_zero_for_equal_distributions():
    probs = random_distributions(np.random.default_rng(4), (100, 9))
    np.testing.assert_array_equal(sn.kl_divergence(probs, probs), np.zeros(100))
    assert sn.kl_divergence([0.0, 0.0, 1.0], [0.0, 0.0, 1.0]) == 0.0


def test_divergence_of_nearly_equal_distributions_is_positive_and_accurate():
    # rel_entr summed loses the tiny divergence to cancellation (and can go negative);
    # the package's non-negative terms keep it to full relative accuracy.
    rng = np.random.default_rng(5)
    worst = 0.0
    for scale in [1e-3, 1e-6, 1e-9]:
        for _ in range(20):
            q = random_distributions(rng, (8,))
            p = q * (1 + scale * rng.normal(size=8))
            p /= p.sum()
            expected = mp_divergence(p, q)
            got = sn.kl_divergence(p, q)
            assert got > 0
            worst = max(worst, abs(got - expected) / expected)
    assert worst < 1e-13


def test_divergence_is_accurate_where_the_series_hands_over_to_the_logarithm():
    # Terms with p / q near 0.9 or 1.1 come from p log(p / q) - p + q, whose parts
    # nearly cancel: the worst case the docstring's 1e-13 promise has to cover.
    rng = np.random.default_rng(10)
    for ratio in np.concatenate([np.linspace(0.85, 0.95, 41), np.linspace(1.05, 1.15, 41)]):
        q = rng.uniform(0.1, 1.0, size=2)
        p = q * np.array([ratio, rng.uniform(0.5, 2.0)])
        np.testing.assert_allclose(sn.kl_divergence(p, q), mp_divergence(p, q), rtol=1e-13)


@pytest.mark.parametrize("spread", [0.5, 3.0, 30.0])
def test_divergence_and_entropy_are_accurate_against_mpmath(spread):
    rng = np.random.default_rng(6)
    for _ in range(30):
        p = random_distributions(rng, (12,)) if spread < 30 else sn.softmax(
            rng.normal(scale=spread, size=12)
        )
        q = sn.softmax(rng.normal(scale=spread, size=12))
        np.testing.assert_allclose(sn.kl_divergence(p, q), mp_divergence(p, q), rtol=1e-13)
        np.testing.assert_allclose(sn.entropy(q), mp_entropy(q), rtol=1e-14)


def test_divergence_keeps_ratios_beyond_the_float_range():
    # p/q overflows (1e300 / 1e-300) and underflows; the log of the ratio does not.
    p = np.array([1e-300, 1.0 - 1e-300])
    q = np.array([1.0 - 1e-300, 1e-300])
    expected = mp_divergence(p, q)
    np.testing.assert_allclose(sn.kl_divergence(p, q), expected, rtol=1e-14)
    assert math.isfinite(expected)


distributions = arrays(
    np.float64, st.integers(1, 10), elements=st.floats(-30, 30, allow_nan=False)
).map(sn.softmax)


@settings(max_examples=200, deadline=None)
@given(distributions, st.data())
def test_gibbs_inequality_and_entropy_bounds_hold_for_generated_distributions(p, data):
    q = data.draw(arrays(np.float64, p.shape, elements=st.floats(-30, 30)).map(sn.softmax))
    assert sn.kl_divergence(p, q) >= 0
    entropy = sn.entropy(p)
    assert 0 <= entropy <= math.log(p.size) * (1 + 1e-14)


# --- edges ------------------------------------------------------------------------------


def test_zero_probability_adds_nothing_and_q_zero_under_p_positive_is_infinite():
    assert sn.entropy([0.5, 0.0, 0.5]) == sn.entropy([0.5, 0.5])
    # 0 log(0 / q) = 0, even for q = 0.
    np.testing.assert_allclose(sn.kl_divergence([1.0, 0.0], [0.5, 0.5]), math.log(2), rtol=1e-15)
    np.testing.assert_allclose(
        sn.kl_divergence([0.5, 0.5, 0.0], [0.5, 0.5, 0.0]), 0.0, atol=0
    )
    assert sn.kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf


@pytest.mark.parametrize("axis", [0, 1])
def test_nan_makes_its_own_slice_nan_and_no_other(axis):
    probs = np.full((3, 4), 0.25)
    probs[1, 2] = np.nan
    clean = np.full((3, 4), 0.25)
    nan_slice = np.zeros(3 if axis == 1 else 4, dtype=bool)
    nan_slice[1 if axis == 1 else 2] = True
    for result in [
        sn.entropy(probs, axis=axis),
        sn.kl_divergence(probs, clean, axis=axis),
        sn.kl_divergence(clean, probs, axis=axis),
    ]:
        np.testing.assert_array_equal(np.isnan(result), nan_slice)
    # A NaN in q under a zero p still makes its slice NaN: the input was NaN.
    assert np.isnan(sn.kl_divergence([1.0, 0.0], [1.0, np.nan]))


def test_empty_slice_gives_zero_and_empty_batch_gives_empty_result():
    assert sn.entropy(np.empty(0)) == 0.0
    assert sn.kl_divergence(np.empty(0), np.empty(0)) == 0.0
    np.testing.assert_array_equal(sn.entropy(np.empty((3, 0))), np.zeros(3))
    assert sn.entropy(np.empty((0, 4))).shape == (0,)
    assert sn.kl_divergence(np.empty((0, 4)), np.full(4, 0.25)).shape == (0,)


def test_axes_tuple_and_none_measure_the_joint_distribution():
    joint = random_distributions(np.random.default_rng(7), (12,)).reshape(3, 4)
    flat = sn.entropy(joint.ravel())
    np.testing.assert_allclose(sn.entropy(joint, axis=(0, 1)), flat, rtol=1e-15)
    np.testing.assert_allclose(sn.entropy(joint, axis=None), flat, rtol=1e-15)
    np.testing.assert_allclose(sn.entropy(joint.T, axis=0), sn.entropy(joint, axis=1))
    q = np.full((3, 4), 1 / 12)
    np.testing.assert_allclose(
        sn.kl_divergence(joint, q, axis=None), math.log(12) - flat, rtol=1e-13
    )


def test_q_broadcasts_against_a_batch_of_p():
    p = random_distributions(np.random.default_rng(8), (5, 3))
    q = np.array([0.2, 0.3, 0.5])
    np.testing.assert_allclose(
        sn.kl_divergence(p, q), [sn.kl_divergence(row, q) for row in p], rtol=1e-15
    )


# --- dtypes -----------------------------------------------------------------------------


def test_integers_become_float64():
    assert sn.entropy([1, 0]).dtype == np.float64
    assert sn.kl_divergence([1, 0], [1, 0]).dtype == np.float64


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_float_dtypes_are_kept(dtype):
    p = np.array([0.25, 0.75], dtype=dtype)
    assert sn.entropy(p).dtype == dtype
    assert sn.kl_divergence(p, p[::-1]).dtype == dtype
    assert sn.kl_divergence(p, p.astype(np.float64)).dtype == np.float64


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_long_rows_past_the_float16_range_lose_nothing(dtype):
    # The reference is the float64 computation on the very same (rounded) inputs:
    # whatever the dtype, the only error left is the final rounding to it, half an ulp.
    rng = np.random.default_rng(9)
    p = random_distributions(rng, (2, LONG)).astype(dtype)
    q = random_distributions(rng, (2, LONG)).astype(dtype)
    uniform = np.full(LONG, 1 / LONG, dtype=dtype)
    rtol = 0.5 * float(np.finfo(dtype).eps)
    for got, expected in [
        (sn.entropy(p), sn.entropy(p.astype(np.float64))),
        (sn.entropy(uniform), sn.entropy(uniform.astype(np.float64))),
        (sn.kl_divergence(p, q), sn.kl_divergence(p.astype(np.float64), q.astype(np.float64))),
        (sn.kl_divergence(p, uniform), sn.kl_divergence(p.astype(np.float64), uniform)),
    ]:
        assert got.dtype == dtype
        np.testing.assert_allclose(got.astype(np.float64), expected, rtol=rtol)


def test_a_divergence_beyond_the_float16_range_rounds_to_inf_without_warning():
    p = np.array([60000.0, 1.0], dtype=np.float16)
    q = np.array([1e-4, 1.0], dtype=np.float16)
    assert sn.kl_divergence(p, q) == np.inf


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["p", "q"])
def test_masked_arrays_are_rejected_with_the_argument_named(name):
    masked = np.ma.masked_array([0.5, 0.5, 0.0], mask=[False, False, True])
    plain = np.array([0.2, 0.3, 0.5])
    with pytest.raises(TypeError, match=rf"^{name} is a masked array"):
        sn.kl_divergence(masked, plain) if name == "p" else sn.kl_divergence(plain, masked)
    with pytest.raises(TypeError, match="p is a masked array"):
        sn.entropy(masked)


@pytest.mark.parametrize("bad", [[0.5, -0.1, 0.6], [np.inf, 0.0]])
def test_negative_or_infinite_entries_are_rejected_with_the_argument_named(bad):
    with pytest.raises(ValueError, match=r"^p must hold probabilities"):
        sn.entropy(bad)
    with pytest.raises(ValueError, match=r"^q must hold probabilities"):
        sn.kl_divergence([0.5, 0.5, 0.0][: len(bad)], bad)


@pytest.mark.parametrize("bad", [[1 + 2j, 0.0], [True, False], ["a", "b"]])
def test_non_real_input_is_a_type_error_naming_the_argument(bad):
    with pytest.raises(TypeError, match=r"^p must"):
        sn.entropy(bad)
    with pytest.raises(TypeError, match=r"^q must"):
        sn.kl_divergence([0.5, 0.5], bad)


def test_shapes_that_do_not_broadcast_are_named():
    with pytest.raises(ValueError, match=r"p\.shape = \(3,\) and q\.shape = \(4,\)"):
        sn.kl_divergence(np.full(3, 1 / 3), np.full(4, 0.25))


def test_axis_out_of_range_raises_axis_error():
    with pytest.raises(np.exceptions.AxisError):
        sn.entropy(np.full(3, 1 / 3), axis=1)
    with pytest.raises(np.exceptions.AxisError):
        sn.kl_divergence(np.full(3, 1 / 3), np.full(3, 1 / 3), axis=-2)

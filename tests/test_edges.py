"""The edges of softmax, log_softmax, logsumexp and sigmoid: the documented contract, pinned.

Non-finite rules (one test each), finite inputs at the ends of every float
range, the dtype rules, zero-dimensional and empty inputs, and log-sum-exp's
relative accuracy near zero. Expected values come from mpmath, NumPy's own
``logaddexp``, SciPy's ``expit`` or the mathematical limit written out by hand.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from scipy import special

from softmax_notes import (
    log_softmax,
    logsumexp,
    sigmoid,
    softmax,
    softmax_jacobian,
    softmax_jvp,
)

FLOAT_DTYPES = [np.float16, np.float32, np.float64]


def _ulps(actual: float, expected: float) -> float:
    """Distance from `expected` in units of float64's spacing at `expected`."""
    return abs(actual - expected) / np.spacing(abs(expected))


# --- the non-finite rules of the module docstring, one test each ---------------------------


def test_negative_infinity_logit_gets_exactly_zero_probability():
    logits = np.array([1.0, -np.inf, 2.0])
    probs = softmax(logits)
    assert probs[1] == 0.0
    np.testing.assert_allclose(probs[[0, 2]], special.softmax([1.0, 2.0]), rtol=1e-15)
    assert log_softmax(logits)[1] == -np.inf
    np.testing.assert_allclose(logsumexp(logits), np.logaddexp(1.0, 2.0), rtol=1e-15)


def test_one_positive_infinity_takes_all_the_mass():
    logits = np.array([3.0, np.inf, -np.inf, 1e308])
    np.testing.assert_array_equal(softmax(logits), [0.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(log_softmax(logits), [-np.inf, 0.0, -np.inf, -np.inf])
    assert logsumexp(logits) == np.inf


def test_several_positive_infinities_share_the_mass_equally():
    # The limit of softmax([t, t, t, 0]) as t -> inf: each tied maximum gets 1/3.
    logits = np.array([np.inf, np.inf, 0.0, np.inf])
    np.testing.assert_array_equal(softmax(logits), [1 / 3, 1 / 3, 0.0, 1 / 3])
    np.testing.assert_allclose(
        log_softmax(logits), [-math.log(3), -math.log(3), -np.inf, -math.log(3)], rtol=1e-15
    )
    assert logsumexp(logits) == np.inf


def test_slice_of_only_negative_infinity_is_uniform_with_log_sum_exp_minus_infinity():
    # The limit of softmax([-t, -t, -t, -t]) as t -> inf; log of an empty sum is -inf.
    logits = np.full(4, -np.inf)
    np.testing.assert_array_equal(softmax(logits), [0.25] * 4)
    np.testing.assert_allclose(log_softmax(logits), [-math.log(4)] * 4, rtol=1e-15)
    assert logsumexp(logits) == -np.inf


@pytest.mark.parametrize("axis", [0, 1])
def test_nan_makes_its_own_slice_nan_and_no_other(axis):
    logits = np.arange(12.0).reshape(3, 4)
    logits[1, 2] = np.nan
    probs = softmax(logits, axis=axis)
    log_probs = log_softmax(logits, axis=axis)
    sums = logsumexp(logits, axis=axis)
    in_nan_slice = np.zeros_like(logits, dtype=bool)
    if axis == 0:
        in_nan_slice[:, 2] = True
    else:
        in_nan_slice[1, :] = True
    assert np.isnan(probs[in_nan_slice]).all() and np.isnan(log_probs[in_nan_slice]).all()
    np.testing.assert_allclose(
        probs[~in_nan_slice], special.softmax(logits, axis=axis)[~in_nan_slice], rtol=1e-14
    )
    np.testing.assert_allclose(
        log_probs[~in_nan_slice],
        special.log_softmax(logits, axis=axis)[~in_nan_slice],
        rtol=1e-14,
    )
    nan_slice = 2 if axis == 0 else 1
    assert np.isnan(sums[nan_slice])
    assert np.isfinite(np.delete(sums, nan_slice)).all()


def test_nan_beats_infinities_in_the_same_slice():
    logits = np.array([np.inf, np.nan, -np.inf])
    assert np.isnan(softmax(logits)).all()
    assert np.isnan(log_softmax(logits)).all()
    assert np.isnan(logsumexp(logits))


def test_sigmoid_follows_its_limits_at_infinity_and_keeps_nan():
    np.testing.assert_array_equal(sigmoid([-np.inf, np.inf]), [0.0, 1.0])
    assert np.isnan(sigmoid(np.nan))


# --- finite inputs at the ends of every float range ----------------------------------------


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_finite_extremes_never_overflow_warn_or_give_nan(dtype):
    info = np.finfo(dtype)
    # The spread max - (-max) is twice the largest float: x - max(x) overflows to -inf,
    # and exp of that must come out as the correctly rounded 0, silently.
    logits = np.array([info.max, -info.max, 0.0, info.smallest_subnormal, -info.tiny], dtype=dtype)
    probs = softmax(logits)
    assert probs.dtype == dtype
    np.testing.assert_array_equal(probs, [1.0, 0.0, 0.0, 0.0, 0.0])
    assert logsumexp(logits) == info.max
    log_probs = log_softmax(logits)
    assert log_probs.dtype == dtype
    # Exact values: 0, -2 max (below the float range, so -inf is the rounded answer),
    # -max, -max + subnormal and -max - tiny (which round to -max).
    np.testing.assert_array_equal(log_probs, np.array([0.0, -np.inf] + [-info.max] * 3, dtype))
    np.testing.assert_array_equal(
        sigmoid(logits), np.array([1.0, 0.0, 0.5, 0.5, 0.5], dtype=dtype)
    )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_log_softmax_is_finite_whenever_its_exact_value_is_in_range(dtype):
    info = np.finfo(dtype)
    logits = np.array([info.max / 2, -info.max / 2, 0.0], dtype=dtype)
    log_probs = log_softmax(logits)
    assert np.isfinite(log_probs).all()
    np.testing.assert_array_equal(log_probs, np.array([0.0, -info.max, -info.max / 2], dtype))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_a_row_of_equal_maxima_stays_uniform_in_its_own_dtype(dtype):
    # float16 holds nothing above 65504: a sum of 100000 ones must not be formed in float16.
    n = 100_000
    for value in [0.0, np.finfo(dtype).max, -np.finfo(dtype).max]:
        logits = np.full(n, value, dtype=dtype)
        probs = softmax(logits)
        assert probs.dtype == dtype
        np.testing.assert_array_equal(probs, np.full(n, 1 / n, dtype=dtype))
        expected_lse = np.asarray(value + math.log(n), dtype=dtype)
        assert logsumexp(logits) == expected_lse
        np.testing.assert_array_equal(
            log_softmax(logits), np.full(n, -math.log(n), dtype=dtype)
        )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_sigmoid_matches_scipy_expit_across_the_whole_range(dtype):
    info = np.finfo(dtype)
    limit = float(np.log(info.max)) + 2
    points = np.concatenate(
        [np.linspace(-limit, limit, 2001), [info.max, -info.max, info.tiny, -info.tiny]]
    ).astype(dtype)
    expected = special.expit(points.astype(np.float64))
    # Within a few units of the dtype's rounding, or below its smallest normal number.
    np.testing.assert_allclose(
        sigmoid(points).astype(np.float64), expected, rtol=4 * info.eps, atol=info.tiny
    )


def test_sigmoid_is_the_two_class_softmax():
    rng = np.random.default_rng(7)
    a, b = rng.normal(scale=30, size=(2, 500))
    np.testing.assert_allclose(
        sigmoid(a - b), softmax(np.stack([a, b], axis=-1))[:, 0], rtol=1e-13, atol=1e-300
    )


# --- log-sum-exp keeps full relative accuracy near zero --------------------------------------


def test_logsumexp_near_zero_matches_logaddexp_to_full_relative_precision():
    assert logsumexp([0.0, -40.0]) == np.logaddexp(0.0, -40.0)
    gaps = np.linspace(0.5, 745.0, 300)
    ours = np.array([logsumexp([0.0, -gap]) for gap in gaps])
    np.testing.assert_allclose(ours, np.logaddexp(0.0, -gaps), rtol=4 * np.finfo(float).eps)


def test_logsumexp_near_zero_is_within_two_ulps_of_mpmath():
    mpmath.mp.dps = 50
    for gap in [1e-3, 1.0, 20.0, 40.0, 300.0, 700.0]:
        exact = float(mpmath.log1p(mpmath.exp(-mpmath.mpf(gap))))
        assert _ulps(float(logsumexp([0.0, -gap])), exact) <= 2


def test_logsumexp_with_tied_maxima_is_within_one_ulp_of_mpmath():
    # Two entries at the maximum: log(2) + log1p(r / 2), with a tail r far below one ulp of 1.
    mpmath.mp.dps = 50
    exact = float(mpmath.log(2 + mpmath.exp(-40)))
    assert _ulps(float(logsumexp([0.0, -40.0, 0.0])), exact) <= 1


# --- shapes: zero-dimensional, empty, the empty tuple of axes -------------------------------


def test_zero_dimensional_input_with_axis_none_is_one_distribution_of_one():
    for value in [np.array(5.0), np.float32(-3.0)]:
        probs = softmax(value, axis=None)
        assert probs.shape == () and probs.dtype == value.dtype and probs == 1
        log_probs = log_softmax(value, axis=None)
        assert log_probs.shape == () and log_probs == 0
        assert logsumexp(value, axis=None) == value


def test_zero_dimensional_input_has_no_last_axis():
    with pytest.raises(np.exceptions.AxisError):
        softmax(np.array(5.0))


def test_empty_tuple_of_axes_makes_every_entry_its_own_distribution():
    logits = np.array([[1.0, -np.inf], [np.inf, 3.0]])
    np.testing.assert_array_equal(softmax(logits, axis=()), np.ones((2, 2)))
    np.testing.assert_array_equal(log_softmax(logits, axis=()), np.zeros((2, 2)))
    np.testing.assert_array_equal(logsumexp(logits, axis=()), logits)


def test_empty_axis_gives_empty_softmax_and_minus_infinity_log_sum_exp():
    empty_rows = np.zeros((3, 0))
    assert softmax(empty_rows).shape == (3, 0)
    assert log_softmax(empty_rows).shape == (3, 0)
    np.testing.assert_array_equal(logsumexp(empty_rows), [-np.inf] * 3)
    assert logsumexp(np.zeros((0, 3))).shape == (0,)


@pytest.mark.parametrize("function", [softmax, log_softmax, logsumexp, sigmoid])
def test_input_is_never_modified(function):
    logits = np.array([[np.inf, 1.0, -np.inf], [np.nan, 2.0, 3.0], [5.0, 5.0, 5.0]])
    before = logits.copy()
    function(logits)
    np.testing.assert_array_equal(logits, before)


# --- the other public functions at the ends of the float range -----------------------------


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_softmax_jvp_of_finite_extremes_is_finite_and_silent(dtype):
    # |s_i (v_i - <s, v>)| <= max|v| / 2 in exact arithmetic, so no entry may overflow even
    # when v_i - <s, v> itself exceeds the float range.
    big = np.finfo(dtype).max
    probs = np.array([0.75, 0.25, 0.0], dtype=dtype)
    tangent = np.array([big, -big, -big], dtype=dtype)
    expected = [0.75 * 0.25 * 2, -0.75 * 0.25 * 2, 0.0]  # times max: s_i (v_i - <s, v>)
    product = softmax_jvp(probs, tangent)
    assert product.dtype == dtype
    np.testing.assert_allclose(product.astype(np.float64) / float(big), expected, rtol=4e-3)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_softmax_jacobian_of_finite_extremes_is_finite(dtype):
    big = np.finfo(dtype).max
    jacobian = softmax_jacobian(np.array([big, -big, 0.0], dtype=dtype))
    assert jacobian.dtype == dtype
    np.testing.assert_array_equal(jacobian, np.zeros((3, 3), dtype=dtype))

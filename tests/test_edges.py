"""The edges of softmax, log_softmax, logsumexp and sigmoid: the documented contract, pinned.

Non-finite rules (one test each), finite inputs at the ends of every float
range, the dtype rules, zero-dimensional and empty inputs, and log-sum-exp's
relative accuracy near zero. Expected values come from mpmath, NumPy's own
``logaddexp``, SciPy's ``expit`` or the mathematical limit written out by hand.
Then the arguments every function shares (masked arrays, axes), and the
tools that check the others: the audit tools, which must never under-report,
and ``numerical_gradient``, which must never return a silent NaN.
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
    numerical_gradient,
    sigmoid,
    softmax,
    softmax_error_bound,
    softmax_jacobian,
    softmax_jvp,
    softmax_relative_error,
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


# --- arguments every function shares: masked arrays and axes ------------------------------


@pytest.mark.parametrize("function", [softmax, log_softmax, logsumexp, sigmoid])
def test_masked_logits_are_rejected_instead_of_silently_unmasked(function):
    # np.asarray drops the mask: the masked 100 would take all the probability.
    masked = np.ma.array([0.0, 100.0], mask=[False, True])
    with pytest.raises(TypeError, match=r"x is a masked array.*x\.filled\(-np\.inf\)"):
        function(masked)
    # The fix the message suggests gives the masked class probability exactly 0.
    np.testing.assert_array_equal(softmax(masked.filled(-np.inf)), [1.0, 0.0])


@pytest.mark.parametrize("axis", [1.0, "1", (0, 1.0), [0.5]])
@pytest.mark.parametrize("function", [softmax, log_softmax, logsumexp])
def test_an_axis_that_is_not_an_int_is_a_type_error_naming_axis(function, axis):
    with pytest.raises(TypeError, match=r"axis must be an int, a tuple of ints or None, got"):
        function(np.zeros((2, 3)), axis=axis)


def test_an_axis_may_be_a_list_or_a_numpy_integer():
    logits = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(softmax(logits, axis=[0, 1]), softmax(logits, axis=None))
    np.testing.assert_array_equal(softmax(logits, axis=np.int64(0)), softmax(logits, axis=0))


# --- the audit tools never under-report ----------------------------------------------------

LONG_DOUBLE_IS_WIDER = np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant


@pytest.mark.skipif(not LONG_DOUBLE_IS_WIDER, reason="long double is float64 on this platform")
def test_relative_error_reads_long_double_logits_and_probabilities_exactly():
    # 1 + 2**-56 is a long double but rounds to 1 in float64, where softmax is [0.5, 0.5]:
    # read as float64, the wrong answer [0.5, 0.5] would be reported exact.
    logits = np.array([1, 1 + np.longdouble(2) ** -56], dtype=np.longdouble)
    wrong = softmax_relative_error(np.array([0.5, 0.5], dtype=np.longdouble), logits)
    np.testing.assert_allclose(wrong, 2.0**-57, rtol=1e-3)
    right = softmax_relative_error(softmax(logits), logits)
    assert np.max(right) <= 2 * np.finfo(np.longdouble).eps


def test_relative_error_reports_a_nan_or_infinite_output_as_an_infinite_error():
    # NaN would read as "underflow, not measured", and np.nanmax would hide it.
    errors = softmax_relative_error([np.nan, 0.5], [0.0, 0.0])
    assert errors.tolist() == [np.inf, 0.0]
    assert softmax_relative_error([np.inf, 0.5], [0.0, 0.0])[0] == np.inf


def test_relative_error_measures_a_wrong_value_where_the_exact_one_underflows():
    # The exact second probability, e^-800 / (1 + e^-800), is below float64's smallest normal.
    assert np.isnan(softmax_relative_error([1.0, 0.0], [0.0, -800.0])[1])  # underflow: not measured
    assert softmax_relative_error([0.5, 0.5], [0.0, -800.0])[1] == np.inf  # wrong: reported


@pytest.mark.parametrize(
    ("digits", "error"),
    [(-5, ValueError), (0, ValueError), (10, ValueError), (2.5, TypeError), (True, TypeError)],
)
def test_relative_error_needs_a_reference_far_more_precise_than_the_probabilities(digits, error):
    with pytest.raises(error, match="digits"):
        softmax_relative_error([0.5, 0.5], [0.0, 0.0], digits=digits)
    # float32 probabilities of float32 logits need fewer digits than float64 ones.
    errors = softmax_relative_error(np.float32([0.5, 0.5]), np.float32([0.0, 0.0]), digits=16)
    assert errors.tolist() == [0, 0]


def test_relative_error_needs_logits_with_a_last_axis():
    with pytest.raises(ValueError, match="x needs at least one axis"):
        softmax_relative_error(1.0, 0.0)


def test_error_bound_of_float16_logits_measures_the_spread_in_float64():
    # max - min = 120000 overflows float16; the bound must still be the (large) finite number.
    unit_roundoff = float(np.finfo(np.float16).eps) / 2
    bound = softmax_error_bound(np.float16([-60000.0, 60000.0]))
    assert float(bound) == (2 * 120000 + 2 + 1 + 2) * unit_roundoff


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_error_bound_rejects_non_finite_logits(bad):
    with pytest.raises(ValueError, match="x must be finite"):
        softmax_error_bound([0.0, bad])


@pytest.mark.parametrize("exp_error", [-1.0, np.nan, np.inf, True, "1"])
def test_error_bound_exp_error_must_be_a_finite_non_negative_number(exp_error):
    with pytest.raises(ValueError, match="exp_error"):
        softmax_error_bound([0.0, 1.0], exp_error=exp_error)


@pytest.mark.parametrize("dtype", ["int64", True, "no such dtype"])
def test_error_bound_dtype_must_be_a_float_dtype(dtype):
    with pytest.raises(TypeError, match="dtype"):
        softmax_error_bound([0.0, 1.0], dtype=dtype)


# --- numerical_gradient never returns a silent NaN -----------------------------------------


@pytest.mark.parametrize(("point", "eps"), [([1e20, 1.0], 1e-30), ([1.0], 1e-17)])
def test_numerical_gradient_rejects_a_step_that_rounds_to_nothing(point, eps):
    with pytest.raises(ValueError, match=r"eps=.* rounds to nothing at x\[0\]"):
        numerical_gradient(np.sum, point, eps=eps)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_numerical_gradient_needs_a_finite_point(bad):
    with pytest.raises(ValueError, match=r"x must be finite"):
        numerical_gradient(np.sum, [1.0, bad])


@pytest.mark.parametrize(("eps", "error"), [("a", TypeError), (True, TypeError), (-1.0, ValueError)])
def test_numerical_gradient_checks_its_step(eps, error):
    with pytest.raises(error, match="eps"):
        numerical_gradient(np.sum, [1.0], eps=eps)


@pytest.mark.skipif(not LONG_DOUBLE_IS_WIDER, reason="long double is float64 on this platform")
def test_numerical_gradient_of_a_long_double_point_works_in_long_double():
    point = np.array([1.5, -0.25], dtype=np.longdouble)
    derivative = numerical_gradient(lambda v: np.sum(v**3), point)
    assert derivative.dtype == np.longdouble
    # The default step is the cube root of long double's epsilon: far below float64's error.
    assert np.max(np.abs(derivative - 3 * point**2)) < 1e-12

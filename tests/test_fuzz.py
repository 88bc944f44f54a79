"""Property-based fuzzing of the documented contract of softmax, log_softmax, logsumexp, sigmoid.

Hypothesis draws arrays of float16/32/64 and integers with extreme entries
(the largest finite floats, subnormals, infinities, NaN), shapes with zero-size
axes, non-contiguous views (strided and reversed slices, transposes) and int,
tuple or ``None`` axes. Every example checks shape, dtype, range, normalization
within a tolerance scaled to the dtype, that the input is untouched and that
nothing warns (pytest turns warnings into errors), and cross-checks SciPy
wherever SciPy's result is defined: SciPy gives NaN where the package follows
a limit (``+inf`` logits, slices of only ``-inf``), so those entries are skipped.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special
from strategies import INTEGER_DTYPES, dtypes, elements, shapes
from strategies import arrays_and_axes as arrays_and_axes_of

from softmax_notes import (
    cross_entropy,
    cross_entropy_grad,
    log_softmax,
    logsumexp,
    sigmoid,
    softmax,
    softmax_jvp,
)

# SciPy, the reference here, works in float64: long double extremes would not survive it.
DTYPES = dtypes(floats=(np.float16, np.float32, np.float64), integers=INTEGER_DTYPES)
FUZZ = settings(max_examples=150, deadline=None)


def arrays_and_axes() -> st.SearchStrategy:
    """An array of any kind (possibly a non-contiguous view) and an axis argument."""
    return arrays_and_axes_of(dtype=DTYPES)


def _axes(axis: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in np.atleast_1d(axis))


def _result_dtype(x: np.ndarray) -> np.dtype:
    return x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)


def _tolerance(dtype: np.dtype, n: int) -> float:
    """Absolute error allowed on a probability or on a sum of n of them.

    Each probability is within a few units of rounding u plus a subnormal spacing
    (first-order analysis of the max-shift: the error of e^{x_i - m} is at most
    (|x_i - m| + 1) u e^{x_i - m} <= 2u), so a sum of n is within n times that.
    """
    info = np.finfo(dtype)
    return 4 * (n + 2) * float(info.eps) + n * float(info.smallest_subnormal)


def _slice_has(mask: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    return np.any(mask, axis=axes, keepdims=True) & np.ones_like(mask)


def _call_with_slice_contract(function, x, axis):
    """Call ``function(x, axis=axis)`` and check what softmax and log_softmax share.

    The input is untouched, shape and dtype are kept, and the result is NaN exactly
    in the slices that hold a NaN. Returns the result, the reduced axes, the size of
    one slice and the NaN-slice mask.
    """
    before = x.copy()
    result = function(x, axis=axis)
    np.testing.assert_array_equal(x, before)
    assert result.shape == x.shape and result.dtype == _result_dtype(x)
    axes = _axes(axis, x.ndim)
    n = int(np.prod([x.shape[a] for a in axes]))
    in_nan_slice = _slice_has(np.isnan(x.astype(np.float64)), axes)
    np.testing.assert_array_equal(np.isnan(result), in_nan_slice)
    return result, axes, n, in_nan_slice


@FUZZ
@given(arrays_and_axes())
def test_softmax_is_a_distribution_along_the_axis(case):
    x, axis = case
    probs, axes, n, in_nan_slice = _call_with_slice_contract(softmax, x, axis)
    if x.size == 0:
        return
    finite = probs[~in_nan_slice]
    assert ((finite >= 0) & (finite <= 1)).all()
    sums = np.sum(probs.astype(np.float64), axis=axes)
    defined = ~np.any(in_nan_slice, axis=axes)
    np.testing.assert_allclose(sums[defined], 1.0, rtol=0, atol=_tolerance(probs.dtype, n))
    with np.errstate(all="ignore"):
        expected = special.softmax(x.astype(np.float64), axis=axis)
    where = ~np.isnan(expected)
    np.testing.assert_allclose(
        probs[where].astype(np.float64), expected[where], rtol=0, atol=_tolerance(probs.dtype, n)
    )


@FUZZ
@given(arrays_and_axes())
def test_log_softmax_is_the_log_of_a_distribution(case):
    x, axis = case
    log_probs, _, n, in_nan_slice = _call_with_slice_contract(log_softmax, x, axis)
    if x.size == 0:
        return
    assert (log_probs[~in_nan_slice] <= 0).all()
    # exp(log_softmax) is the softmax, to the rounding of the dtype.
    with np.errstate(under="ignore"):
        recovered = np.exp(log_probs.astype(np.float64))
    np.testing.assert_allclose(
        recovered[~in_nan_slice],
        softmax(x, axis=axis)[~in_nan_slice].astype(np.float64),
        rtol=0,
        atol=_tolerance(log_probs.dtype, n),
    )
    with np.errstate(all="ignore"):
        expected = special.log_softmax(x.astype(np.float64), axis=axis)
        # An exact value beyond the dtype's range has -inf as its rounded value.
        where = np.isfinite(expected.astype(log_probs.dtype))
    eps = float(np.finfo(log_probs.dtype).eps)
    np.testing.assert_allclose(
        log_probs[where].astype(np.float64),
        expected[where],
        rtol=4 * eps,
        atol=4 * (n + 2) * eps,
    )


@FUZZ
@given(arrays_and_axes(), st.booleans())
def test_logsumexp_lies_between_max_and_max_plus_log_n(case, keepdims):
    x, axis = case
    before = x.copy()
    result = np.asarray(logsumexp(x, axis=axis, keepdims=keepdims))
    np.testing.assert_array_equal(x, before)
    axes = _axes(axis, x.ndim)
    expected_shape = np.sum(np.zeros(x.shape), axis=axes, keepdims=keepdims).shape
    assert result.shape == expected_shape and result.dtype == _result_dtype(x)
    if x.size == 0:
        return
    n = int(np.prod([x.shape[a] for a in axes]))
    wide = x.astype(np.float64)
    has_nan = np.any(np.isnan(wide), axis=axes, keepdims=keepdims)
    np.testing.assert_array_equal(np.isnan(result), has_nan)
    peak = np.max(wide, axis=axes, keepdims=keepdims)
    eps = float(np.finfo(result.dtype).eps)
    ok = np.isfinite(peak)
    with np.errstate(over="ignore"):  # bounds near the largest float may round to inf
        lower = peak[ok] - eps * np.abs(peak[ok])
        upper = peak[ok] + np.log(n) + eps * (np.abs(peak[ok]) + np.log(n))
        beyond_range = ok & (np.where(ok, peak, 0) + np.log(n) > np.finfo(result.dtype).max)
    assert (result[ok] >= lower).all() and (result[ok] <= upper).all()
    np.testing.assert_array_equal(result[np.isinf(peak)], peak[np.isinf(peak)])
    with np.errstate(all="ignore"):
        expected = np.asarray(special.logsumexp(wide, axis=axis, keepdims=keepdims))
    where = np.isfinite(expected) & np.isfinite(result)
    np.testing.assert_allclose(
        result[where].astype(np.float64),
        expected[where],
        rtol=4 * eps,
        atol=4 * (n + 2) * eps,
    )
    # Infinite results only where the limit is infinite or the exact value is out of range.
    assert (np.isfinite(result) | ~np.isfinite(peak) | beyond_range).all()


@FUZZ
@given(arrays_and_axes())
def test_sigmoid_stays_in_the_unit_interval_and_matches_expit(case):
    x, _ = case
    before = x.copy()
    result = np.asarray(sigmoid(x))
    np.testing.assert_array_equal(x, before)
    assert result.shape == x.shape and result.dtype == _result_dtype(x)
    wide = x.astype(np.float64)
    np.testing.assert_array_equal(np.isnan(result), np.isnan(wide))
    assert ((result[~np.isnan(result)] >= 0) & (result[~np.isnan(result)] <= 1)).all()
    info = np.finfo(result.dtype)
    np.testing.assert_allclose(
        result.astype(np.float64), special.expit(wide), rtol=4 * info.eps, atol=float(info.tiny)
    )


FLOATS = dtypes(floats=(np.float16, np.float32, np.float64))


@st.composite
def distributions_and_tangents(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Softmax outputs of finite logits and finite tangents of any magnitude, same shape."""
    dtype = draw(FLOATS)
    shape = draw(shapes(max_dims=2, min_side=1))
    logits = draw(hnp.arrays(dtype, shape, elements=elements(dtype, "extreme")))
    tangent = draw(hnp.arrays(dtype, shape, elements=elements(dtype, "extreme")))
    return softmax(logits), tangent


@FUZZ
@given(distributions_and_tangents())
def test_softmax_jvp_is_finite_and_sums_to_zero_for_finite_tangents(case):
    probs, tangent = case
    product = softmax_jvp(probs, tangent)
    assert product.shape == probs.shape and product.dtype == probs.dtype
    assert np.isfinite(product).all()
    n = probs.shape[-1]
    scale = max(float(np.max(np.abs(tangent.astype(np.float64)))), 1.0)
    tolerance = _tolerance(probs.dtype, n) * scale
    np.testing.assert_allclose(np.sum(product.astype(np.float64), axis=-1), 0.0, atol=tolerance)
    # Independent formulation: the matrix diag(s) - s s^T times v / scale, in float64.
    wide = probs.astype(np.float64)
    jacobian = np.eye(n) * wide[..., None] - wide[..., :, None] * wide[..., None, :]
    expected = (jacobian @ (tangent.astype(np.float64) / scale)[..., None])[..., 0] * scale
    np.testing.assert_allclose(product.astype(np.float64), expected, rtol=0, atol=tolerance)


@FUZZ
@given(st.data())
def test_cross_entropy_from_finite_logits_is_finite_non_negative_with_zero_sum_gradient(data):
    dtype = data.draw(FLOATS)
    half_range = float(np.finfo(dtype).max) / 2  # keeps every exact loss inside the range
    shape = data.draw(shapes(min_dims=2, max_dims=2, min_side=1))
    logits = data.draw(hnp.arrays(dtype, shape, elements=elements(dtype, "finite", half_range)))
    labels = data.draw(hnp.arrays(np.int64, shape[:-1], elements=st.integers(0, shape[-1] - 1)))
    losses = cross_entropy(logits, labels, reduction="none")
    assert losses.dtype == dtype and np.isfinite(losses).all() and (losses >= 0).all()
    grad = cross_entropy_grad(logits, labels, reduction="sum")
    assert grad.dtype == dtype and np.isfinite(grad).all()
    np.testing.assert_allclose(
        np.sum(grad.astype(np.float64), axis=-1), 0.0, atol=_tolerance(dtype, shape[-1])
    )

"""Softmax, log-softmax, log-sum-exp and the logistic sigmoid.

Every function here is stable for finite inputs of any magnitude: it never
overflows, never warns and never returns NaN unless the input holds a NaN.
(The one infinite result of finite input is ``log_softmax`` of an entry
more than ``np.finfo(dtype).max`` below its slice's maximum: the exact
answer lies below the float range, and ``-inf`` is its rounded value.)
The non-finite rules follow the mathematical limit wherever one exists:

* a ``-inf`` logit gets probability exactly 0;
* a slice with one ``+inf`` puts all its mass there; several ``+inf`` share
  it equally (the limit of equal logits growing together);
* a slice of only ``-inf`` is uniform (the limit of equal logits falling
  together), and its log-sum-exp is ``-inf`` (the log of an empty sum);
* a NaN makes its own slice NaN and no other.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import Axis, as_float_array, normalize_axes

__all__ = ["log_softmax", "logsumexp", "sigmoid", "softmax"]


def _accumulator(dtype: np.dtype) -> np.dtype:
    """Dtype for per-slice sums: float16 sums in float32 so that long rows cannot overflow."""
    return np.promote_types(dtype, np.float32)


# Speed (measured in benchmarks/bench_softmax.py, explained in chapter 8).
# Softmax makes five passes over its data (max, subtract, exp, sum, scale);
# softmax over the last axis runs them block by block, about _BLOCK_ELEMENTS
# entries (512 KiB of float64) at a time, so that the passes after the first
# find the block in cache and the per-slice temporaries stay small. NumPy
# reduces a short contiguous axis one tiny slice at a time, paying its loop
# overhead per slice; an axis of at most _SHORT_AXIS entries is instead reduced
# column by column, each column one long vectorized operation, a longer one by
# `np.maximum.reduceat` over the flat array (the max) and by a matrix-vector
# product with a vector of ones, which BLAS runs fast (the sum).
_SHORT_AXIS = 16
_BLOCK_ELEMENTS = 1 << 16


def _reduce_slices(
    ufunc: np.ufunc, x: NDArray[np.floating], axes: tuple[int, ...], dtype: np.dtype | None = None
) -> NDArray:
    """``ufunc.reduce`` over `axes` with kept dims, always as an array (never a scalar)."""
    length = x.shape[-1] if x.ndim else 0
    if axes == (x.ndim - 1,) and 1 < length <= _SHORT_AXIS:
        result = x[..., :1].astype(dtype or x.dtype)
        for column in range(1, length):
            ufunc(result, x[..., column : column + 1], out=result)
        return result
    if axes == (x.ndim - 1,) and ufunc is np.maximum and x.flags.c_contiguous:
        starts = np.arange(0, x.size, length)
        return np.maximum.reduceat(x.reshape(-1), starts).reshape(*x.shape[:-1], 1)
    return np.asarray(ufunc.reduce(x, axis=axes, keepdims=True, dtype=dtype))


def _per_slice(
    ufunc: np.ufunc, x: NDArray, per_slice: NDArray, out: NDArray, casting: str = "same_kind"
) -> NDArray:
    """``ufunc(x, per_slice, out=out)`` with one value per slice (kept dims).

    Broadcasting along a last axis of 2 to 4 entries runs NumPy's inner loop
    once per row; a loop over the few columns is about twice as fast.
    """
    length = x.shape[-1] if x.ndim else 0
    if 1 < length <= 4 and per_slice.shape[-1] == 1:
        values = per_slice[..., 0]
        for column in range(length):
            ufunc(x[..., column], values, out=out[..., column], casting=casting)
        return out
    return ufunc(x, per_slice, out=out, casting=casting)


def _sum_slices(x: NDArray[np.floating], axes: tuple[int, ...], dtype: np.dtype) -> NDArray:
    """Sums over `axes` in `dtype`, with kept dims; a last axis via ``x @ ones`` (BLAS)."""
    if axes == (x.ndim - 1,) and x.dtype == dtype and x.shape[-1] > 4:
        return np.matmul(x, np.ones(x.shape[-1], dtype=dtype))[..., None]
    return _reduce_slices(np.add, x, axes, dtype=dtype)


def _blocks(x: NDArray[np.floating], axes: tuple[int, ...]) -> list[tuple[slice, ...]]:
    """Index tuples that split `x` along axis 0 into cache-sized blocks of whole slices.

    Only a reduction over the last axis of an array with at least two axes is
    split; anything else is one block.
    """
    if x.ndim < 2 or axes != (x.ndim - 1,):
        return [(Ellipsis,)]
    step = max(1, _BLOCK_ELEMENTS * x.shape[0] // x.size)
    return [(slice(start, start + step),) for start in range(0, x.shape[0], step)]


def _shift_by_max(
    x: NDArray[np.floating], axes: tuple[int, ...], out: NDArray[np.floating] | None = None
) -> tuple[NDArray, NDArray]:
    """Return ``(x - max, max)``, the difference in `out` or a fresh array, max with kept dims.

    Every entry of the difference is <= 0 and each slice holds at least one 0,
    so ``exp`` of it cannot overflow and its sum is at least 1. A spread wider
    than the float range gives ``-inf``, whose ``exp`` is the correctly
    rounded 0. Slices whose max is infinite are rewritten by the rules in the
    module docstring; that work stays off the path of finite input.
    """
    peak = _reduce_slices(np.maximum, x, axes)
    # An explicit `out` keeps a zero-dimensional difference an array, not a scalar.
    shifted = _per_slice(np.subtract, x, peak, np.empty_like(x) if out is None else out)
    if not np.isfinite(peak).all():
        has_pos_inf = np.isposinf(peak)
        if has_pos_inf.any():
            at_pos_inf = np.where(x == np.inf, 0, -np.inf).astype(x.dtype)
            np.copyto(shifted, at_pos_inf, where=has_pos_inf)
        np.copyto(shifted, 0, where=np.isneginf(peak))
    return shifted, peak


def _log_sum_exp_of_shifted(shifted: NDArray[np.floating], axes: tuple[int, ...]) -> NDArray:
    """``log(sum(exp(shifted)))`` per slice, in the accumulator dtype, with kept dims.

    With ``c`` entries at the maximum (``shifted == 0``) and ``r`` the sum of
    the others, the result is ``log(c) + log1p(r / c)``: the ``log1p`` keeps
    full relative accuracy when the result is near zero, where
    ``log(c + r)`` would round ``r`` away (Blanchard, Higham & Higham 2021).
    """
    acc = _accumulator(shifted.dtype)
    at_max = shifted == 0
    count = np.count_nonzero(at_max, axis=axes, keepdims=True).astype(acc)
    rest = np.exp(shifted, out=np.empty_like(shifted))
    np.putmask(rest, at_max, 0)
    rest_sum = np.sum(rest, axis=axes, keepdims=True, dtype=acc)
    return np.log(count) + np.log1p(rest_sum / count)


def _reduced_size(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    return math.prod(shape[a] for a in axes)


def softmax(x: ArrayLike, axis: Axis = -1) -> NDArray[np.floating]:
    r"""Softmax of `x` along `axis`: exponentiate, sum, divide.

    .. math:: \operatorname{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}
              = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}}, \quad m = \max_j x_j

    Parameters
    ----------
    x : array_like
        Real logits. Integers are promoted to float64; float16, float32 and
        float64 keep their dtype. `x` is never modified.
    axis : int, tuple of ints or None, default -1
        The axis (or axes) whose entries form one distribution. ``None``
        means all axes, as in ``scipy.special.softmax``'s default.

    Returns
    -------
    ndarray
        Same shape as `x`; entries in [0, 1] summing to 1 along `axis`.

    Raises
    ------
    TypeError
        If `x` is not an array of real numbers (complex, boolean, strings).
    numpy.exceptions.AxisError
        If `axis` is out of range for `x`.

    Notes
    -----
    Shifting by the maximum :math:`m` changes nothing mathematically (softmax
    is invariant to adding a constant to every logit) but keeps every
    exponent at most 0, so nothing overflows. Edge behaviour: a ``-inf``
    logit gets exactly 0; a ``+inf`` logit takes all the mass (several
    ``+inf`` share it equally, the limit of ``softmax([t, t, 0])`` as
    ``t -> inf``); a slice of only ``-inf`` is uniform (the limit of
    ``softmax([t, t])`` as ``t -> -inf``, where SciPy returns NaN); a NaN
    makes its own slice NaN; an empty input gives an empty result. The only
    input-sized array allocated is the result itself.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import softmax
    >>> np.round(softmax([5, 7, 10]), 4)
    array([0.0064, 0.0471, 0.9465])
    >>> softmax([1000.0, 1000.0])
    array([0.5, 0.5])
    >>> softmax([0.0, -np.inf])
    array([1., 0.])
    >>> np.round(softmax([[1, 2, 3], [4, 5, 6]], axis=-1), 4)
    array([[0.09  , 0.2447, 0.6652],
           [0.09  , 0.2447, 0.6652]])
    """
    x = as_float_array(x)
    axes = normalize_axes(axis, x.ndim)
    if x.size == 0:
        return np.empty_like(x)
    probs = np.empty_like(x)
    with np.errstate(all="ignore"):
        for block in _blocks(x, axes):
            _softmax_into(x[block], axes, probs[block])
    return probs


def _softmax_into(x: NDArray[np.floating], axes: tuple[int, ...], out: NDArray) -> None:
    """Write ``softmax(x)`` into `out`: shift by the max, ``exp`` in place, scale by 1 / sum.

    Multiplying by the reciprocal of each slice's sum is one division per
    slice instead of one per entry (a multiplication is several times cheaper
    than a division); it adds at most one rounding to each probability.
    """
    if len(axes) == x.ndim:
        peak = np.maximum.reduce(x, axis=None)
        if math.isfinite(peak):
            _softmax_of_everything_into(x, peak, out)
            return
    _shift_by_max(x, axes, out=out)
    np.exp(out, out=out)
    total = _sum_slices(out, axes, _accumulator(out.dtype))
    _per_slice(np.multiply, out, np.reciprocal(total, out=total), out)


def _softmax_of_everything_into(x: NDArray[np.floating], peak: float, out: NDArray) -> None:
    """Softmax of all of `x` as one distribution, with its finite max `peak` given.

    The max and the sum are scalars, which saves the per-slice bookkeeping
    that dominates the cost of a small input. A contiguous input is shifted,
    exponentiated and summed in cache-sized blocks; only the last pass, the
    scaling, needs the (by then known) total.
    """
    if x.size > _BLOCK_ELEMENTS and x.flags.c_contiguous and out.flags.c_contiguous:
        source, target = x.reshape(-1), out.reshape(-1)
        parts = [
            (source[start : start + _BLOCK_ELEMENTS], target[start : start + _BLOCK_ELEMENTS])
            for start in range(0, x.size, _BLOCK_ELEMENTS)
        ]
    else:
        parts = [(x, out)]
    total = 0
    for source, target in parts:
        np.subtract(source, peak, out=target)
        np.exp(target, out=target)
        total += np.add.reduce(target, axis=None, dtype=_accumulator(out.dtype))
    np.multiply(out, 1 / total, out=out, casting="same_kind")


def log_softmax(x: ArrayLike, axis: Axis = -1) -> NDArray[np.floating]:
    r"""Logarithm of :func:`softmax`, computed without forming the softmax.

    .. math:: \log \operatorname{softmax}(x)_i = x_i - \operatorname{logsumexp}(x)

    Parameters
    ----------
    x : array_like
        Real logits; dtype rules as in :func:`softmax`.
    axis : int, tuple of ints or None, default -1
        Axis or axes of one distribution.

    Returns
    -------
    ndarray
        Same shape and dtype as the (promoted) input; entries <= 0.

    Raises
    ------
    TypeError
        If `x` is not an array of real numbers.
    numpy.exceptions.AxisError
        If `axis` is out of range for `x`.

    Notes
    -----
    ``np.log(softmax(x))`` is ``-inf`` wherever the softmax underflows to 0;
    this function stays finite for finite input: ``log_softmax([0, -1000])``
    is ``[0, -1000]``. The one exception is an exact value below the float
    range: with ``x = [max, -max]`` (``max = np.finfo(x.dtype).max``) the
    second entry is ``-2 max``, whose correctly rounded value is ``-inf``.
    Non-finite rules match :func:`softmax`: a ``-inf``
    logit gives ``-inf``, ``k`` tied ``+inf`` logits give ``-log(k)``, a
    slice of only ``-inf`` gives ``-log(n)``, a NaN makes its slice NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import log_softmax
    >>> log_softmax([0.0, -1000.0])
    array([    0., -1000.])
    >>> np.round(log_softmax([[2, 0.5, 6], [0.1, 0, 3]]), 4)
    array([[-4.0222, -5.5222, -0.0222],
           [-2.9997, -3.0997, -0.0997]])
    """
    x = as_float_array(x)
    axes = normalize_axes(axis, x.ndim)
    if x.size == 0:
        return np.empty_like(x)
    log_probs = np.empty_like(x)
    with np.errstate(all="ignore"):
        # Block by block, as in softmax: the temporaries stay block-sized and in cache.
        for block in _blocks(x, axes):
            shifted, _ = _shift_by_max(x[block], axes, out=log_probs[block])
            _per_slice(np.subtract, shifted, _log_sum_exp_of_shifted(shifted, axes), shifted)
    return log_probs


def logsumexp(x: ArrayLike, axis: Axis = -1, keepdims: bool = False) -> NDArray[np.floating]:
    r"""``log(sum(exp(x)))`` along `axis`, without overflow or underflow.

    .. math:: \operatorname{logsumexp}(x) = m + \log \sum_j e^{x_j - m},
              \quad m = \max_j x_j

    Parameters
    ----------
    x : array_like
        Real numbers; dtype rules as in :func:`softmax`.
    axis : int, tuple of ints or None, default -1
        Axis or axes to reduce. Note the default: ``scipy.special.logsumexp``
        reduces over all axes by default.
    keepdims : bool, default False
        Keep the reduced axes with length 1, so the result broadcasts against `x`.

    Returns
    -------
    ndarray or scalar
        The reduction, in the dtype of the (promoted) input; a scalar when
        every axis is reduced and `keepdims` is false.

    Raises
    ------
    TypeError
        If `x` is not an array of real numbers.
    numpy.exceptions.AxisError
        If `axis` is out of range for `x`.

    Notes
    -----
    The result lies in ``[max(x), max(x) + log(n)]``. Near zero it keeps full
    relative accuracy: the sum is split as ``log(c) + log1p(r / c)`` with
    ``c`` the number of maximal entries. An empty slice gives ``-inf`` (the
    log of an empty sum), as does a slice of only ``-inf``; any ``+inf``
    gives ``+inf``; a NaN gives NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import logsumexp
    >>> float(logsumexp([1000.0, 1000.0]))  # 1000 + log(2)
    1000.6931471805599
    >>> float(logsumexp([0.0, -40.0]))  # log1p(exp(-40)), not 0
    4.248354255291589e-18
    >>> logsumexp([[0.0, 0.0], [1.0, -np.inf]], keepdims=True)
    array([[0.69314718],
           [1.        ]])
    """
    x = as_float_array(x)
    axes = normalize_axes(axis, x.ndim)
    reduced_shape = tuple(1 if a in axes else n for a, n in enumerate(x.shape))
    if _reduced_size(x.shape, axes) == 0:
        result = np.full(reduced_shape, -np.inf, dtype=x.dtype)
    elif x.size == 0:
        result = np.empty(reduced_shape, dtype=x.dtype)
    else:
        with np.errstate(all="ignore"):
            shifted, peak = _shift_by_max(x, axes)
            result = (peak + _log_sum_exp_of_shifted(shifted, axes)).astype(x.dtype)
    if not keepdims:
        result = np.squeeze(result, axis=axes)
    return result[()]


def sigmoid(x: ArrayLike) -> NDArray[np.floating]:
    r"""The logistic function ``1 / (1 + exp(-x))``, elementwise.

    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}} = \frac{e^{x}}{1 + e^{x}}

    Parameters
    ----------
    x : array_like
        Real numbers; dtype rules as in :func:`softmax`.

    Returns
    -------
    ndarray or scalar
        Same shape as `x`, entries in [0, 1]; a scalar for scalar input.

    Raises
    ------
    TypeError
        If `x` is not an array of real numbers.

    Notes
    -----
    Uses ``1 / (1 + e^{-x})`` for ``x >= 0`` and ``e^{x} / (1 + e^{x})`` for
    ``x < 0`` so that ``exp`` only ever sees ``-|x|`` and cannot overflow.
    ``sigmoid(+inf)`` is 1, ``sigmoid(-inf)`` is 0, NaN stays NaN. It is the
    two-class softmax: ``sigmoid(a - b) == softmax([a, b])[0]``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import sigmoid
    >>> sigmoid(np.array([-np.inf, -1000.0, 0.0, 1000.0, np.inf]))
    array([0. , 0. , 0.5, 1. , 1. ])
    >>> float(sigmoid(-40.0))
    4.248354255291589e-18
    """
    x = as_float_array(x)
    with np.errstate(all="ignore"):
        decay = np.exp(-np.abs(x))
        result = np.where(x >= 0, 1, decay) / (1 + decay)
    return result.astype(x.dtype, copy=False)[()]

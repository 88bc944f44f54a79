"""Softmax, log-softmax, log-sum-exp and the logistic sigmoid.

Every function here is stable for finite inputs of any magnitude: it never
overflows, never warns and never returns NaN unless the input holds a NaN.
(The one infinite result of finite input is ``log_softmax`` of an entry
more than ``np.finfo(dtype).max`` below its slice's maximum: the exact
answer lies below the float range, and ``-inf`` is its rounded value.)
The non-finite rules, which every function of the package follows, are
stated once, in "The rules every function follows" on the API page
(``book/api.md``): in short, a ``-inf`` logit gets probability exactly 0,
``+inf`` ties share the mass, a slice of only ``-inf`` is uniform, and a NaN
makes its own slice NaN and no other.
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


# Speed (measured by benchmarks/bench_softmax.py, `make bench`; explained in the
# appendix "How softmax_notes is made fast", book/appendix-fast-softmax-notes).
# The algorithms are the ones the docstrings state; what follows changes how
# NumPy is asked to run them. Softmax makes five passes over its data (max,
# subtract, exp, sum, scale); over the last axis they run block by block, about
# _BLOCK_ELEMENTS entries (512 KiB of float64) at a time, so that the passes
# after the first find the block in cache and the per-slice temporaries stay
# small. NumPy reduces a short contiguous axis one tiny slice at a time, paying
# its loop overhead per slice: an axis of at most _SHORT_AXIS entries is
# reduced column by column, each column one long vectorized operation; a
# longer one finds its maximum with `np.argmax` (which also says where the
# maximum is) and every sum is a matrix-vector product with a vector of ones,
# which BLAS runs fast.
_SHORT_AXIS = 16
_BLOCK_ELEMENTS = 1 << 16
# softmax keeps no block-sized temporary, and exp dominates its passes: fewer,
# larger blocks (2 MiB of float64) save more Python overhead per call than the
# smaller ones save in cache misses (about 4% on 10**4 x 100 and 2000 x 5000).
_SOFTMAX_BLOCK_ELEMENTS = 1 << 18
_ONES: dict[np.dtype, NDArray] = {}


def _ones(n: int, dtype: np.dtype) -> NDArray:
    """A read-only vector of `n` ones (cached up to a block's length), for ``x @ ones`` sums."""
    if n > _BLOCK_ELEMENTS:
        return np.ones(n, dtype=dtype)
    ones = _ONES.get(dtype)
    if ones is None:
        ones = np.ones(_BLOCK_ELEMENTS, dtype=dtype)
        ones.flags.writeable = False
        _ONES[dtype] = ones
    return ones[:n]


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
    return np.asarray(ufunc.reduce(x, axis=axes, keepdims=True, dtype=dtype))


def _max_of_last_axis(x: NDArray[np.floating]) -> tuple[NDArray, NDArray | None]:
    """``(peak, where)``: each last-axis slice's maximum (kept dims) and, for long
    slices, the flat index in a C-ordered array of `x`'s shape of one entry equal
    to it (``None`` for short slices).

    ``np.argmax`` runs as fast as ``np.max`` along a long axis and also says
    where the maximum is, which :func:`log_softmax` uses to leave exactly one
    maximum out of its sum. A NaN is its slice's "maximum" for both.
    """
    length = x.shape[-1]
    if length <= _SHORT_AXIS:
        return _reduce_slices(np.maximum, x, (x.ndim - 1,)), None
    index = np.argmax(x, axis=-1)
    where = np.arange(0, x.size, length) + index.reshape(-1)
    if x.flags.c_contiguous:
        peak = x.reshape(-1)[where]
    else:
        peak = np.take_along_axis(x, index[..., None], axis=-1)
    return peak.reshape(*x.shape[:-1], 1), where


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
    if axes == (x.ndim - 1,) and x.dtype == dtype and 4 < x.shape[-1] <= _BLOCK_ELEMENTS:
        return np.matmul(x, _ones(x.shape[-1], dtype))[..., None]
    return _reduce_slices(np.add, x, axes, dtype=dtype)


def _blocks(
    x: NDArray[np.floating], axes: tuple[int, ...], elements: int | None = None
) -> list[tuple[slice, ...]]:
    """Index tuples that split `x` along axis 0 into blocks of whole slices, of about
    `elements` entries each (default ``_BLOCK_ELEMENTS``).

    Only a reduction over the last axis of an array with at least two axes is
    split; anything else is one block.
    """
    if x.ndim < 2 or axes != (x.ndim - 1,):
        return [(Ellipsis,)]
    step = max(1, (elements or _BLOCK_ELEMENTS) * x.shape[0] // x.size)
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
    if x.ndim and axes == (x.ndim - 1,):
        peak, _ = _max_of_last_axis(x)
    else:
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

    The result depends on the logits only through the shifted differences
    ``x - m``, so wherever those are exact, shift invariance holds exactly in
    floating point too: rows that differ by a constant (``[1, 2, 3]`` and
    ``[4, 5, 6]``) give bit-for-bit the same probabilities, equal logits give
    exactly ``1/n`` and one logit gives exactly 1. (Skipping the shift when
    no exponential could overflow would save two passes, and lose this.)

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
    # C order whatever the input's layout: the sums (BLAS) then run the same way for
    # every layout, so the result does not depend on it.
    probs = np.empty(x.shape, x.dtype)
    with np.errstate(all="ignore"):
        if len(axes) == x.ndim:  # one distribution: a scalar max and sum
            peak = np.maximum.reduce(x, axis=None)
            if math.isfinite(peak):
                _softmax_of_everything_into(x, probs, peak)
                return probs
        for block in _blocks(x, axes, _SOFTMAX_BLOCK_ELEMENTS):
            _softmax_into(x[block], axes, probs[block])
    return probs


def _softmax_into(x: NDArray[np.floating], axes: tuple[int, ...], out: NDArray) -> None:
    """Write ``softmax(x)`` into `out`: shift by the max, ``exp`` in place, scale by 1 / sum.

    Multiplying by the reciprocal of each slice's sum is one division per
    slice instead of one per entry (a multiplication is several times cheaper
    than a division); it adds at most one rounding to each probability.
    """
    _shift_by_max(x, axes, out=out)
    if axes == (x.ndim - 1,) and x.shape[-1] <= _SHORT_AXIS:
        _lift_zeros_off_exps_branch(out)
    np.exp(out, out=out)
    total = _sum_slices(out, axes, _accumulator(out.dtype))
    _per_slice(np.multiply, out, np.reciprocal(total, out=total), out)


# Speed: the shift leaves an exact 0 at each slice's maximum, and the C library's
# scalar float64 exp (what NumPy calls unless the CPU has AVX-512) sends an
# argument below 2^-54 in magnitude down a branch of its own. In short rows those
# zeros fall at random places, one entry in 3 or in 10, the branch is
# mispredicted, and np.exp of the shifted rows takes about 35% longer on rows of
# 3 (15% on rows of 10, nothing measurable on rows of 100) than without the
# zeros; the pass below costs about 7% of an exp. Every s <= 0 with
# |s| < 2^-54 has exp(s) == 1.0, and so
# has -2^-54 itself, on the ordinary path: min(s, -2^-54) changes no exponential
# and takes one cheap pass. It is applied to short rows of float64 only, and
# only where exp(-2^-54) == 1.0 (checked once below).
_EXP_ONE = -np.ldexp(1.0, -54)
_EXP_ONE_IS_EXACT = bool(np.exp(np.full(8, _EXP_ONE)).tolist() == [1.0] * 8)


def _lift_zeros_off_exps_branch(shifted: NDArray[np.floating], out: NDArray | None = None) -> None:
    """``min(shifted, -2^-54)`` into `out` (default: in place) for float64, whose exp is unchanged."""
    out = shifted if out is None else out
    if shifted.dtype == np.float64 and _EXP_ONE_IS_EXACT:
        np.minimum(shifted, _EXP_ONE, out=out)
    elif out is not shifted:
        np.copyto(out, shifted)


def _softmax_of_everything_into(x: NDArray[np.floating], out: NDArray, peak: float) -> None:
    """Softmax of all of `x` as one distribution, shifted by its finite max `peak`.

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
    acc = _accumulator(out.dtype)
    for source, target in parts:
        np.subtract(source, peak, out=target)
        np.exp(target, out=target)
        total += np.add.reduce(target, axis=None, dtype=acc)
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
    log_probs = np.empty(x.shape, x.dtype)  # C order, as in softmax
    with np.errstate(all="ignore"):
        if len(axes) == x.ndim and x.flags.c_contiguous and x.size > 1:
            # One distribution, as one flat vector: a scalar max and sum.
            if _log_softmax_of_vector_into(x.reshape(-1), log_probs.reshape(-1)):
                return log_probs
        # Block by block, as in softmax: the temporaries stay block-sized and in cache.
        blocks = _blocks(x, axes)
        scratch = None
        if len(blocks) > 1 and x.shape[-1] > _SHORT_AXIS:
            # The exponentials of one block at a time. Short slices do without: their
            # per-slice temporaries already take a tenth of a block, and the extra
            # subtraction costs them little.
            scratch = np.empty(x[blocks[0]].size, dtype=x.dtype)
        for block in blocks:
            if not _log_softmax_fast_into(x[block], axes, log_probs[block], scratch):
                shifted, _ = _shift_by_max(x[block], axes, out=log_probs[block])
                lse = _log_sum_exp_of_shifted(shifted, axes)
                _per_slice(np.subtract, shifted, lse, shifted)
    return log_probs


def _log_softmax_fast_into(
    x: NDArray[np.floating], axes: tuple[int, ...], out: NDArray, scratch: NDArray | None
) -> bool:
    """:func:`log_softmax` over the last axis, when every slice's maximum is finite.

    The same formula as the general path, ``(x - m) - log(c + r)`` with ``c``
    entries at the maximum ``m`` and ``r`` the sum of the other exponentials,
    with fewer passes. The general path builds a mask of the maxima, counts it
    per slice and zeroes the masked exponentials (three passes); here the sum
    leaves out exactly *one* maximum per slice, so any other tied maximum adds
    its exact 1 and ``log1p`` of the sum is ``log(c + r)``, to the same full
    relative accuracy. For long slices ``np.argmax`` says which entry to leave
    out, at no extra pass; short slices compare with the maximum (one pass), and
    count the ties per slice only in a block that has some. A long 1-D input is
    worked through in block-sized pieces, so that no input-sized temporary is
    made. `scratch`, a C-ordered buffer of at least ``x.size`` entries, holds the
    exponentials; without one (an input of one block) they go into `out`, and
    the shift is recomputed afterwards (one cheap pass instead of a temporary).
    Returns False, having written nothing useful, when a maximum is not finite:
    the general path then applies the rules for infinities and NaN. Measured in
    benchmarks/bench_softmax.py ("log_softmax").
    """
    if x.ndim == 0 or axes != (x.ndim - 1,) or x.shape[-1] < 2:
        return False
    if x.ndim == 1:
        return _log_softmax_of_vector_into(x, out)
    if scratch is not None and scratch.size < x.size:
        return False
    acc = _accumulator(x.dtype)
    peak, where = _max_of_last_axis(x)
    if not np.isfinite(peak).all():
        return False
    if scratch is None and not out.flags.c_contiguous:
        scratch = np.empty(x.size, dtype=x.dtype)  # `where` indexes a C-ordered array
    shifted = _per_slice(np.subtract, x, peak, out)
    rest = out if scratch is None else scratch[: x.size].reshape(x.shape)
    if where is not None:
        np.exp(shifted, out=rest)
        rest.reshape(-1)[where] = 0
        ties = 0
    else:
        below = shifted < 0  # False at every maximum
        _lift_zeros_off_exps_branch(shifted, out=rest)
        np.exp(rest, out=rest)
        np.multiply(rest, below, out=rest)  # the maxima out of the sum (cheaper than putmask)
        ties = x.size - np.count_nonzero(below) - peak.size
    total = _sum_slices(rest, axes, acc)
    if ties:
        total += x.shape[-1] - 1 - _reduce_slices(np.add, below, axes, dtype=acc)
    if rest is out:  # the exponentials overwrote the shifted logits: shift again
        shifted = _per_slice(np.subtract, x, peak, out)
    _per_slice(np.subtract, shifted, np.log1p(total), shifted)
    return True


def _log_softmax_of_vector_into(x: NDArray[np.floating], out: NDArray) -> bool:
    """The fast path of :func:`log_softmax` for one 1-D slice, in cache-sized pieces.

    The max, its position and the sum are scalars; a long vector is shifted,
    exponentiated and summed one block at a time (one block-sized temporary),
    and the last pass subtracts ``log1p`` of the sum. Returns False when the
    maximum is not finite (the general path handles it).
    """
    top = int(np.argmax(x))
    peak = x[top]
    if not math.isfinite(peak):
        return False
    acc = _accumulator(x.dtype)
    size = min(x.size, _BLOCK_ELEMENTS)
    # A vector of one block keeps its exponentials in `out` and shifts again
    # afterwards; a longer one uses a block-sized temporary.
    rest = out if x.size == size else np.empty(size, dtype=x.dtype)
    total = acc.type(0)  # the accumulator's own type: long double keeps its digits
    for start in range(0, x.size, size):
        shifted = np.subtract(x[start : start + size], peak, out=out[start : start + size])
        part = np.exp(shifted, out=rest[: shifted.size])
        if start <= top < start + size:
            part[top - start] = 0
        total += np.add.reduce(part, dtype=acc)
    if rest is out:
        np.subtract(x, peak, out=out)
    # In the accumulator's dtype, as the general path (float16 subtracts in float32).
    np.subtract(out, np.log1p(total), out=out, casting="same_kind")
    return True


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

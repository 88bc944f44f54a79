"""Measuring the rounding error of softmax: a high-precision reference and the error bound.

Chapter 3 and tests/test_accuracy.py audit the package with these two helpers:
the relative error of each computed probability against softmax evaluated in
mpmath, and the first-order bound for the algorithm the package runs (the
analysis of Blanchard, Higham & Higham (2021), with one more rounding). mpmath (installed with sympy) is imported only when
:func:`softmax_relative_error` runs, so importing the package stays numpy-only.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import _is_int, as_float_array, wide

__all__ = ["softmax_error_bound", "softmax_relative_error"]


def softmax_error_bound(
    x: ArrayLike, dtype: np.dtype | type | None = None, *, exp_error: float = 1.0
) -> NDArray[np.float64]:
    r"""First-order bound on the relative error of :func:`~softmax_notes.softmax`, per row.

    .. math:: \frac{|\hat s_i - s_i|}{s_i} \lesssim
              \bigl(2(\max_j x_j - \min_j x_j) + n + 1 + 2 c_{\exp}\bigr)\,u

    Parameters
    ----------
    x : array_like
        Finite logits; each row along the last axis is one distribution.
    dtype : dtype, optional
        The precision the softmax is computed in, whose unit roundoff
        ``u = eps / 2`` scales the bound. Defaults to the dtype of `x`
        (integers count as float64).
    exp_error : float, default 1.0
        :math:`c_{\exp}`: how many units ``u`` the library's ``exp`` may be
        off. 1 for a correctly rounded ``exp``; NumPy's vectorized float32
        ``exp`` needs about 4 (chapter 3 measures 3.4).

    Returns
    -------
    ndarray of float64
        One bound per row: shape ``x.shape[:-1]``.

    Raises
    ------
    TypeError
        If `x` is not an array of real numbers or `dtype` is not a floating dtype.
    ValueError
        If `x` is zero-dimensional, has an empty last axis or holds a
        non-finite value, or `exp_error` is negative or not finite.

    Notes
    -----
    The bound is for the algorithm :func:`~softmax_notes.softmax` runs: shift
    by the maximum (``d_j = x_j - max``, one rounding, which ``exp`` turns into
    an error ``|d_j| u``), ``exp`` (``c_exp u``), the ``n - 1`` additions of the
    sum, the reciprocal of the sum and the product with it (``u`` each). Added
    up to first order in u as in the analysis of the shifted softmax by
    Blanchard, Higham & Higham (2021), whose shift-then-divide algorithm has
    one rounding fewer (``n + 2 c_exp`` in place of ``n + 1 + 2 c_exp``).
    Chapter 3 derives every coefficient with sympy and audits the package
    against it. The spread term ``2 (max - min)`` bounds the shift's
    contribution, which is softmax's own condition number at the shifted
    logits. It assumes no underflow: a probability below the smallest normal
    number has an absolute, not a relative, error. The spread is measured in
    at least float64, so float16 logits ``[-60000, 60000]`` get their (large,
    finite) bound rather than infinity; a spread beyond float64's range gives
    ``inf``, never less than the bound. Non-finite logits are rejected: a
    ``-inf`` logit's probability is exactly 0 and a NaN has no error to bound.
    Otherwise edge behaviour follows :ref:`api-rules`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import softmax_error_bound
    >>> u = np.finfo(np.float64).eps / 2
    >>> float(softmax_error_bound([1.0, 2.0, 4.0]) / u)  # 2 * 3 + 3 + 1 + 2
    12.0
    >>> u32 = np.finfo(np.float32).eps / 2
    >>> float(softmax_error_bound(np.float32([0, 10]), exp_error=4) / u32)  # 20 + 2 + 1 + 8
    31.0
    """
    if not (isinstance(exp_error, (int, float, np.integer, np.floating))
            and not isinstance(exp_error, (bool, np.bool_))
            and np.isfinite(exp_error) and exp_error >= 0):
        raise ValueError(f"exp_error must be a finite number >= 0, got {exp_error!r}")
    logits = as_float_array(x)
    if logits.ndim == 0 or logits.shape[-1] == 0:
        raise ValueError(f"x needs a non-empty last axis, got shape {logits.shape}")
    if not np.isfinite(logits).all():
        raise ValueError(
            "x must be finite: a -inf logit's probability is exactly 0 and a NaN has no "
            "error to bound"
        )
    unit_roundoff = float(np.finfo(logits.dtype if dtype is None else _float_dtype(dtype)).eps) / 2
    work = logits.astype(wide(logits.dtype), copy=False)
    with np.errstate(over="ignore"):  # a spread beyond the float range is an infinite bound
        spread = (np.max(work, axis=-1) - np.min(work, axis=-1)).astype(np.float64)
    return (2 * spread + logits.shape[-1] + 1 + 2 * float(exp_error)) * unit_roundoff


def _float_dtype(dtype: object) -> np.dtype:
    """`dtype` as a numpy floating dtype; anything else is a ``TypeError`` naming it."""
    try:
        result = np.dtype(dtype) if not isinstance(dtype, (bool, np.bool_)) else None
    except TypeError:
        result = None
    if result is None or result.kind != "f":
        raise TypeError(f"dtype must be a floating dtype such as np.float32, got {dtype!r}")
    return result


def softmax_relative_error(
    probs: ArrayLike, x: ArrayLike, digits: int = 50
) -> NDArray[np.float64]:
    r"""Componentwise relative error of `probs` as the softmax of `x`, against mpmath.

    .. math:: \frac{|\hat s_i - s_i|}{s_i}, \quad
              s_i = \frac{e^{x_i}}{\sum_j e^{x_j}} \text{ evaluated with `digits` digits}

    Parameters
    ----------
    probs : array_like
        Computed probabilities, the same shape as `x`.
    x : array_like
        Finite logits; each row along the last axis is one distribution. Each
        entry is taken exactly as stored (a float32 logit is its float32 value).
    digits : int, default 50
        Decimal digits of the mpmath reference, at least twice those of the
        wider dtype of `probs` and `x`; the error itself is formed in mpmath
        too, so it is exact to far more digits than it is printed with.

    Returns
    -------
    ndarray of float64
        Same shape as `x`. ``inf`` where `probs` is NaN or infinite (an
        output that is not a number is infinitely wrong, and ``np.nanmax``
        must not skip it). NaN ("not measured") only where the exact
        probability is below the smallest normal number of `probs`' dtype
        and the computed one lies within that number of it: there underflow,
        not the algorithm, sets the error, which is absolute rather than
        relative. A computed value farther away is measured, however large
        its relative error.

    Raises
    ------
    TypeError
        If `probs` or `x` is not an array of real numbers, or `digits` is not an int.
    ValueError
        If the shapes differ, `x` is 0-d or holds a non-finite value, or
        `digits` is fewer than twice the decimal precision of the wider of
        the two dtypes (30 for float64): the reference must be far more
        precise than what it audits.

    Notes
    -----
    Slow by design (one mpmath ``exp`` per entry): a reference for audits of a
    few thousand entries, not a way to compute softmax. Needs mpmath, which is
    installed with sympy. Every entry is read exactly, long double included.
    An audit tool must never under-report, so where the rules of
    :ref:`api-rules` would give NaN for a bad output, this function reports
    ``inf``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import softmax_relative_error
    >>> softmax_relative_error([0.5, 0.5], [3.0, 3.0])
    array([0., 0.])
    >>> errors = softmax_relative_error(np.float32([0.25, 0.75]), [0.0, np.log(3.0)])
    >>> bool(np.all(errors < np.finfo(np.float32).eps))
    True
    >>> softmax_relative_error([np.nan, 0.5], [0.0, 0.0])  # NaN is an error, not "underflow"
    array([inf,  0.])
    """
    import mpmath

    computed = as_float_array(probs, "probs")
    logits = as_float_array(x)
    if computed.shape != logits.shape:
        raise ValueError(f"probs has shape {computed.shape} but x has shape {logits.shape}")
    if logits.ndim == 0:
        raise ValueError(
            "x needs at least one axis (each slice along the last axis is one distribution), "
            "got a 0-d array"
        )
    if not _is_int(digits):
        raise TypeError(f"digits must be an int, got {digits!r}")
    widest = max(np.finfo(computed.dtype).precision, np.finfo(logits.dtype).precision)
    if digits < 2 * widest:
        raise ValueError(
            f"digits must be at least {2 * widest} for {computed.dtype} probabilities of "
            f"{logits.dtype} logits (twice the decimal precision of the wider, so that every "
            f"entry is read exactly and the reference's own error is negligible), got {digits}"
        )
    if not np.isfinite(logits).all():
        raise ValueError("x must be finite: the relative error of a limit is not defined")
    errors = np.full(logits.shape, np.nan)
    with mpmath.workdps(int(digits)):
        smallest_normal = _exact(np.finfo(computed.dtype).tiny)
        for row in np.ndindex(logits.shape[:-1]):
            exps = [mpmath.exp(_exact(value)) for value in logits[row]]
            total = mpmath.fsum(exps)
            for i, (prob, numerator) in enumerate(zip(computed[row], exps, strict=True)):
                if not np.isfinite(prob):
                    errors[(*row, i)] = np.inf
                    continue
                exact = numerator / total
                error = abs(_exact(prob) - exact)
                if exact >= smallest_normal or error > smallest_normal:
                    errors[(*row, i)] = float(error / exact)
    return errors


def _exact(value: np.floating) -> object:
    """`value` as an mpmath number, exactly (a long double is not rounded to float64)."""
    import mpmath

    numerator, denominator = value.as_integer_ratio()  # the denominator is a power of 2
    return mpmath.mpf(numerator) / denominator

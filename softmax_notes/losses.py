"""Cross-entropy of softmax, computed from the logits, and its gradient.

The class axis is the **last** axis of the logits (NumPy's ``axis=-1``;
PyTorch's ``CrossEntropyLoss`` uses ``dim=1``, which is the same axis only
for 2-D ``(N, C)`` input). Every other axis indexes examples. A target is
either

* integer class indices with shape ``logits.shape[:-1]`` (PyTorch's
  ``NLLLoss`` semantics), or
* probabilities, or any non-negative weights, with the shape of the logits
  (PyTorch's probability-target semantics: ``-sum_i y_i log s_i`` per
  example, with no renormalisation).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import as_float_array
from .core import log_softmax, softmax

__all__ = ["cross_entropy", "cross_entropy_grad"]

REDUCTIONS = ("mean", "sum", "none")


def _check_inputs(
    logits: ArrayLike, target: ArrayLike, reduction: str
) -> tuple[NDArray[np.floating], NDArray]:
    """Validate and return ``(logits, target)``; target stays int for class indices."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        valid = ", ".join(repr(r) for r in REDUCTIONS)
        raise ValueError(f"reduction must be one of {valid}, got {reduction!r}")
    logits = as_float_array(logits, "logits")
    if logits.ndim < 1:
        raise ValueError(
            "logits must have at least 1 dimension (the classes lie along the last axis), "
            "got a 0-d array"
        )
    batch_shape, n_classes = logits.shape[:-1], logits.shape[-1]
    expected = (
        "integer class indices or probabilities with the shape of logits: "
        f"shape {batch_shape} or {logits.shape}"
    )
    raw = np.asarray(target)
    if raw.dtype.kind in "iu":
        if raw.shape != batch_shape:
            hint = (
                "; for one-hot or probability targets pass floats (.astype(float))"
                if raw.shape == logits.shape
                else ""
            )
            raise ValueError(
                f"class-index target must have shape logits.shape[:-1] = {batch_shape}, "
                f"got target.shape = {raw.shape} for logits.shape = {logits.shape}{hint}"
            )
        bad = (raw < 0) | (raw >= n_classes)
        if bad.any():
            position = tuple(int(i) for i in np.argwhere(bad)[0])
            valid = (
                f"valid class indices are 0 to {n_classes - 1} for logits with {n_classes} "
                "classes on the last axis (negative indices are not wrapped)"
                if n_classes
                else "logits have 0 classes on the last axis, so no class index is valid"
            )
            raise IndexError(
                f"class index {int(raw[position])} at target{list(position)} is out of range: "
                + valid
            )
        return logits, raw
    if raw.dtype.kind == "b":
        raise TypeError(
            f"target has dtype bool; expected {expected}. "
            "For 0/1 probabilities convert with .astype(float)"
        )
    if raw.dtype.kind == "f" and raw.shape == batch_shape:
        raise TypeError(
            f"target has the shape of class indices {batch_shape} but dtype {raw.dtype}; "
            f"expected {expected}"
        )
    probs = as_float_array(raw, "target")
    if probs.shape != logits.shape:
        raise ValueError(
            f"target must be {expected}; got target.shape = {probs.shape} "
            f"for logits.shape = {logits.shape}"
        )
    if (probs < 0).any():
        raise ValueError(
            "probability target must be non-negative (probabilities or weights), "
            f"got a minimum of {float(np.nanmin(probs))}"
        )
    dtype = np.result_type(logits.dtype, probs.dtype)
    return logits.astype(dtype, copy=False), probs.astype(dtype, copy=False)


def cross_entropy(
    logits: ArrayLike, target: ArrayLike, reduction: str = "mean"
) -> NDArray[np.floating]:
    r"""Cross-entropy between ``softmax(logits)`` and `target`, computed from the logits.

    .. math:: L = -\sum_i y_i \log \operatorname{softmax}(z)_i
              = -\sum_i y_i \bigl(z_i - \operatorname{logsumexp}(z)\bigr),
              \qquad L = -\log \operatorname{softmax}(z)_t
              \text{ for a class index } t

    Parameters
    ----------
    logits : array_like
        Real logits with at least one dimension; the classes lie along the
        **last** axis, every other axis indexes examples. Integers are
        promoted to float64; float16/32/64 keep their dtype.
    target : array_like
        Either integer class indices with shape ``logits.shape[:-1]``, each in
        ``0 .. n_classes - 1``, or non-negative probabilities (weights) with
        the shape of `logits`. Probabilities are not renormalised.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per example (shape ``logits.shape[:-1]``),
        ``"sum"`` their sum, ``"mean"`` their sum divided by the number of
        examples, for both kinds of target (PyTorch's ``reduction="mean"``
        without class weights).

    Returns
    -------
    ndarray or scalar
        The loss in the (promoted) floating dtype of the inputs.

    Raises
    ------
    ValueError
        If `logits` is 0-d, `target` has the wrong shape (both shapes are
        named), a probability target is negative, or `reduction` is unknown.
    IndexError
        If a class index is negative or not below the number of classes.
    TypeError
        If `logits` is not real, or `target` is boolean, or floating-point
        with the shape of class indices.

    Notes
    -----
    The loss goes through :func:`~softmax_notes.log_softmax`, never through
    ``log(softmax(z))``, so it is finite for finite logits of any size. Edge
    rules: a target class whose logit is ``-inf`` has probability 0 and
    gets loss ``+inf``. A zero probability times a ``-inf`` log-probability
    contributes 0 (the convention :math:`0 \log 0 = 0`, as ``scipy.special.xlogy``
    and ``torch.xlogy``), so a ``-inf`` logit of a class with target 0 costs
    nothing. A NaN logit makes its example's loss NaN. The mean over zero
    examples is NaN (0/0), as in PyTorch; the sum is 0.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import cross_entropy
    >>> logits = np.array([[2, 0.5, 6], [0.1, 0, 3]])
    >>> round(float(cross_entropy(logits, [2, 1])), 4)
    1.5609
    >>> np.round(cross_entropy(logits, [2, 1], reduction="none"), 4)
    array([0.0222, 3.0997])
    >>> round(float(cross_entropy(logits, [[0, 0, 1.0], [0, 1.0, 0]])), 4)
    1.5609
    >>> float(cross_entropy([0.0, -np.inf], [1.0, 0.0]))
    0.0
    """
    logits, target = _check_inputs(logits, target, reduction)
    log_probs = log_softmax(logits, axis=-1)
    if target.dtype.kind in "iu":
        picked = np.take_along_axis(log_probs, target[..., None], axis=-1)[..., 0]
        losses = np.negative(picked)
    else:
        with np.errstate(invalid="ignore"):
            terms = target * log_probs
        # 0 * (-inf) is NaN in IEEE arithmetic; the cross-entropy convention is 0.
        terms[(target == 0) & ~np.isnan(log_probs)] = 0
        losses = -np.sum(terms, axis=-1)
    return _reduce(losses, reduction)


def _reduce(losses: NDArray[np.floating], reduction: str) -> NDArray[np.floating]:
    if reduction == "none":
        return losses[()]
    accumulator = np.promote_types(losses.dtype, np.float32)
    total = np.sum(losses, dtype=accumulator)
    if reduction == "mean":
        total = total / losses.size if losses.size else np.array(np.nan, dtype=accumulator)
    return np.asarray(total).astype(losses.dtype)[()]


def cross_entropy_grad(
    logits: ArrayLike, target: ArrayLike, reduction: str = "mean"
) -> NDArray[np.floating]:
    r"""Gradient of :func:`cross_entropy` with respect to the logits.

    .. math:: \frac{\partial L}{\partial z} = \Bigl(\sum_i y_i\Bigr) s - y,
              \qquad s = \operatorname{softmax}(z)

    which is ``s - y`` for a one-hot or normalised target, and
    ``s - onehot(t)`` for a class index ``t``.

    Parameters
    ----------
    logits, target, reduction
        As in :func:`cross_entropy`.

    Returns
    -------
    ndarray
        Same shape as `logits`. For ``"sum"`` each example's gradient (the
        gradient of the sum: example ``k``'s loss depends only on its own
        logits); for ``"mean"`` the same divided by the number of examples.
        ``"none"`` has no scalar to differentiate; it returns the
        per-example gradients, i.e. the same array as ``"sum"``.

    Raises
    ------
    ValueError, IndexError, TypeError
        As in :func:`cross_entropy`.

    Notes
    -----
    Along the class axis the gradient sums to ``sum(y) - sum(y) = 0``
    whenever the softmax is finite: moving every logit by the same amount
    leaves the loss unchanged. A ``-inf`` logit has ``s_i = 0``, so its
    entry is ``-y_i``, the limit of the gradient as the logit falls.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import cross_entropy_grad
    >>> logits = np.array([[2, 0.5, 6], [0.1, 0, 3]])
    >>> np.round(cross_entropy_grad(logits, [2, 1], reduction="sum"), 4)
    array([[ 0.0179,  0.004 , -0.0219],
           [ 0.0498, -0.9549,  0.9051]])
    >>> cross_entropy_grad([0.0, 0.0], [2.0, 0.0])  # weights summing to 2: 2 s - y
    array([-1.,  1.])
    """
    logits, target = _check_inputs(logits, target, reduction)
    probs = softmax(logits, axis=-1)
    if target.dtype.kind in "iu":
        grad = probs
        np.put_along_axis(
            grad, target[..., None], np.take_along_axis(grad, target[..., None], axis=-1) - 1, -1
        )
    else:
        grad = np.sum(target, axis=-1, keepdims=True) * probs - target
    if reduction == "mean":
        grad /= max(math.prod(logits.shape[:-1]), 1)
    return grad

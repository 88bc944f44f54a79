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

The keywords ``weight``, ``ignore_index`` and ``label_smoothing`` mean what
they mean in ``torch.nn.functional.cross_entropy``, and combine as they do
there. With ``K`` classes, ``w`` the class weights (all ones by default),
``e`` the label smoothing and ``log s`` the log-softmax of one example, each
example has an *effective target* ``q`` and its loss is ``-sum_i q_i log s_i``:

* class index ``t``: ``q = (1 - e) w_t onehot(t) + (e / K) w``, and
  ``q = 0`` (loss 0, gradient 0) when ``t == ignore_index``;
* probabilities ``y``: ``q = w * ((1 - e) y + e / K)``.

The gradient with respect to the logits is ``sum(q) s - q``. ``"mean"``
divides the sum over examples by ``sum(w_t)`` over the examples not ignored
for class indices (the number of those examples when there are no weights),
and by the number of examples for probability targets, exactly as PyTorch.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import as_float_array
from .core import _accumulator, _blocks, _per_slice, _reduce_slices, _sum_slices, log_softmax

__all__ = ["cross_entropy", "cross_entropy_and_grad", "cross_entropy_grad"]

REDUCTIONS = ("mean", "sum", "none")


@dataclass(frozen=True)
class _Problem:
    """Validated arguments: logits (float), target (int indices or float probabilities)."""

    logits: NDArray[np.floating]
    target: NDArray
    reduction: str
    weight: NDArray[np.floating] | None  # one entry per class, in at least float32
    ignore_index: int | None
    smoothing: float

    @property
    def by_index(self) -> bool:
        return self.target.dtype.kind in "iu"


def _check_inputs(
    logits: ArrayLike,
    target: ArrayLike,
    reduction: str,
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
) -> _Problem:
    """Validate every argument; errors name the argument and what was expected."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        valid = ", ".join(repr(r) for r in REDUCTIONS)
        raise ValueError(f"reduction must be one of {valid}, got {reduction!r}")
    smoothing = _check_label_smoothing(label_smoothing)
    logits = as_float_array(logits, "logits")
    if logits.ndim < 1:
        raise ValueError(
            "logits must have at least 1 dimension (the classes lie along the last axis), "
            "got a 0-d array"
        )
    if ignore_index is not None and (
        isinstance(ignore_index, (bool, np.bool_)) or not isinstance(ignore_index, numbers.Integral)
    ):
        raise TypeError(
            f"ignore_index must be an integer class index or None, got {ignore_index!r}"
        )
    batch_shape, n_classes = logits.shape[:-1], logits.shape[-1]
    checked_weight = _check_weight(weight, n_classes, logits.dtype)
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
        if ignore_index is not None:
            bad &= raw != ignore_index
        if bad.any():
            position = tuple(int(i) for i in np.argwhere(bad)[0])
            valid = (
                f"valid class indices are 0 to {n_classes - 1} for logits with {n_classes} "
                "classes on the last axis (negative indices are not wrapped)"
                if n_classes
                else "logits have 0 classes on the last axis, so no class index is valid"
            )
            if ignore_index is not None:
                valid += f", or ignore_index = {int(ignore_index)}"
            raise IndexError(
                f"class index {int(raw[position])} at target{list(position)} is out of range: "
                + valid
            )
        ignore = None if ignore_index is None else int(ignore_index)
        return _Problem(logits, raw, reduction, checked_weight, ignore, smoothing)
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
    if ignore_index is not None:
        raise ValueError(
            "ignore_index applies to class-index targets only (as in PyTorch); "
            f"got ignore_index = {ignore_index!r} with probability targets of shape {probs.shape}"
        )
    dtype = np.result_type(logits.dtype, probs.dtype)
    if checked_weight is not None:  # probabilities of a wider dtype widen the weights too
        wide = np.promote_types(checked_weight.dtype, _accumulator(dtype))
        checked_weight = checked_weight.astype(wide, copy=False)
    return _Problem(
        logits.astype(dtype, copy=False),
        probs.astype(dtype, copy=False),
        reduction,
        checked_weight,
        None,
        smoothing,
    )


def _check_label_smoothing(label_smoothing: float) -> float:
    if isinstance(label_smoothing, (bool, np.bool_)) or not isinstance(
        label_smoothing, numbers.Real
    ):
        raise TypeError(f"label_smoothing must be a real number in [0, 1], got {label_smoothing!r}")
    value = float(label_smoothing)
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise ValueError(f"label_smoothing must lie in [0, 1], got {label_smoothing!r}")
    return value


def _check_weight(weight: ArrayLike | None, n_classes: int, dtype: np.dtype) -> NDArray | None:
    """Class weights as an array in at least the accumulator dtype (never rounded below it)."""
    if weight is None:
        return None
    array = as_float_array(weight, "weight")
    if array.shape != (n_classes,):
        raise ValueError(
            f"weight must have one entry per class: shape ({n_classes},) for logits with "
            f"{n_classes} classes on the last axis, got weight.shape = {array.shape}"
        )
    if not np.isfinite(array).all():
        raise ValueError(f"weight must be finite, got {array[~np.isfinite(array)][0]!r}")
    if (array < 0).any():
        position = int(np.argmax(array < 0))
        raise ValueError(
            f"weight must be non-negative, got {float(array[position])} at weight[{position}]"
        )
    return array.astype(np.promote_types(array.dtype, _accumulator(dtype)), copy=False)


# --- the one formula ----------------------------------------------------------------


def _effective_target(problem: _Problem) -> tuple[NDArray, NDArray | None]:
    """``(q, kept)``: the effective target of every example (module docstring) and, for
    class indices with `ignore_index`, which examples count (``None``: all of them)."""
    logits, target, weight, eps = problem.logits, problem.target, problem.weight, problem.smoothing
    n_classes = logits.shape[-1]
    acc = _accumulator(logits.dtype) if weight is None else weight.dtype
    class_weight = np.ones(n_classes, dtype=acc) if weight is None else weight
    if not problem.by_index:
        return class_weight * ((1 - eps) * target.astype(acc) + eps / n_classes), None
    kept = None if problem.ignore_index is None else target != problem.ignore_index
    safe = target if kept is None else np.where(kept, target, 0)
    q = np.broadcast_to(class_weight * (eps / n_classes), logits.shape).copy()
    picked = (1 - eps) * class_weight[safe]
    np.put_along_axis(
        q, safe[..., None], np.take_along_axis(q, safe[..., None], axis=-1) + picked[..., None], -1
    )
    if kept is not None:
        q[~kept] = 0
    return q, kept


def _denominator(problem: _Problem, q: NDArray | None = None, kept: NDArray | None = None) -> float:
    """What ``"mean"`` divides by: the total weight of the examples that count (class
    indices) or the number of examples (probability targets); 1 for the other reductions."""
    if problem.reduction != "mean":
        return 1.0
    n_examples = math.prod(problem.logits.shape[:-1])
    if not problem.by_index:
        return float(n_examples)
    target, weight = problem.target, problem.weight
    if kept is None and problem.ignore_index is not None:
        kept = target != problem.ignore_index
    if weight is None:
        return float(n_examples if kept is None else np.count_nonzero(kept))
    safe = target if kept is None else np.where(kept, target, 0)
    picked = weight[safe].astype(np.float64)
    return float(np.sum(picked if kept is None else np.where(kept, picked, 0)))


def _general(problem: _Problem, need_loss: bool, need_grad: bool):
    """Loss and gradient by the formulas of the module docstring, for every option (the lesson).

    ``log s = log_softmax(logits)``; per example ``L = -sum(q log s)`` (a zero
    ``q_i`` contributes 0 even where ``log s_i = -inf``) and ``grad = sum(q) s - q``;
    ``"mean"`` divides both by the denominator. Examples ignored by `ignore_index`
    contribute 0 to the loss and get a zero gradient.
    """
    logits = problem.logits
    q, kept = _effective_target(problem)
    denominator = _denominator(problem, q, kept)
    log_probs = log_softmax(logits, axis=-1).astype(q.dtype, copy=False)
    losses = grad = None
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if need_loss:
            terms = q * log_probs
            # 0 * (-inf) is NaN in IEEE arithmetic; the cross-entropy convention is 0.
            terms[(q == 0) & ~np.isnan(log_probs)] = 0
            losses = np.asarray(-np.sum(terms, axis=-1))
            if kept is not None:
                losses[~kept] = 0
        if need_grad:
            grad = np.exp(log_probs)
            grad *= np.sum(q, axis=-1, keepdims=True)
            grad -= q
            if problem.reduction == "mean":
                scale = np.divide(1.0, denominator) if denominator else np.inf
                grad *= scale if kept is None else np.where(kept, scale, 0)[..., None]
            if kept is not None:
                grad[~kept] = 0
    return losses, denominator, grad


# --- the fast path --------------------------------------------------------------------


def _class_index_fast(problem: _Problem, need_loss: bool, need_grad: bool):
    """Class indices without weights or smoothing: the softmax and the loss in one pass.

    What it buys: the same five passes as ``softmax`` (max, subtract, exp, sum,
    scale), block by block in cache, with no input-sized temporary: a
    ``log_softmax`` followed by ``exp`` would be two more passes and one more
    array (measured in benchmarks/bench_softmax.py, "cross_entropy + grad").
    Per example, with ``z`` shifted by its max and ``t`` the target:
    ``U = sum_{j != t} exp(z_j)``, ``S = exp(z_t) + U``, the loss is
    ``log1p(U)`` when ``z_t`` is the max (full relative accuracy for a
    confident, correct prediction) and ``log(S) - z_t`` otherwise (a sum of two
    non-negative terms), the gradient ``exp(z_j) / S`` and, at the target,
    ``-U / S`` (no cancellation in ``s_t - 1``).
    """
    logits, target = problem.logits, problem.target
    kept = None if problem.ignore_index is None else target != problem.ignore_index
    safe = target if kept is None else np.where(kept, target, 0)
    denominator = _denominator(problem, kept=kept)
    acc = _accumulator(logits.dtype)
    flat_logits = logits.reshape(-1, logits.shape[-1])
    flat_target = safe.reshape(-1, 1)
    grad = np.empty(flat_logits.shape, flat_logits.dtype) if need_grad else None
    losses = np.zeros(flat_target.shape[0], dtype=acc)
    scale = 1.0 / denominator if denominator else np.inf
    axes = (1,)
    with np.errstate(all="ignore"):
        for block in _blocks(flat_logits, axes) if flat_logits.size else []:
            x, t = flat_logits[block], flat_target[block]
            out = grad[block] if need_grad else np.empty(x.shape, x.dtype)
            peak = _reduce_slices(np.maximum, x, axes)
            if not np.isfinite(peak).all():
                _general_rows(problem, x, t, out, losses[block], scale, need_grad)
                continue
            shifted = _per_slice(np.subtract, x, peak, out)
            at_target = np.take_along_axis(shifted, t, axis=-1).astype(acc)
            np.exp(shifted, out=shifted)
            np.put_along_axis(shifted, t, 0, axis=-1)
            others = _sum_slices(shifted, axes, acc)
            total = np.exp(at_target) + others
            loss = np.where(at_target == 0, np.log1p(others), np.log(total) - at_target)
            losses[block] = loss[:, 0]
            if need_grad:
                _per_slice(np.multiply, shifted, scale / total, shifted, casting="unsafe")
                np.put_along_axis(shifted, t, (-scale * others / total).astype(x.dtype), -1)
    if kept is not None:
        kept = kept.reshape(-1)
        losses[~kept] = 0
        if need_grad:
            grad[~kept] = 0
    grad = None if grad is None else grad.reshape(logits.shape)
    return losses.reshape(logits.shape[:-1]), denominator, grad


def _general_rows(problem, x, t, out, losses, scale, need_grad) -> None:
    """The general formula for one block of rows holding a non-finite max."""
    sub = _Problem(x, t[:, 0], "sum", None, None, 0.0)
    row_losses, _, row_grad = _general(sub, True, need_grad)
    losses[:] = row_losses
    if need_grad:
        np.multiply(row_grad, scale, out=out, casting="unsafe")


def _compute(problem: _Problem, need_loss: bool, need_grad: bool):
    if problem.by_index and problem.weight is None and problem.smoothing == 0:
        return _class_index_fast(problem, need_loss, need_grad)
    return _general(problem, need_loss, need_grad)


def _reduce(losses: NDArray, reduction: str, denominator: float, dtype: np.dtype):
    """Apply `reduction` to the per-example losses, summing in at least float32."""
    if reduction == "none":
        return losses.astype(dtype)[()]
    accumulator = np.promote_types(losses.dtype, np.float32)
    total = np.sum(losses, dtype=accumulator)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if reduction == "mean":
            total = np.divide(total, denominator, dtype=accumulator)
        # A float16 sum past 65,504 rounds to inf: that is its correctly rounded value.
        return np.asarray(total).astype(dtype)[()]


# --- the public functions ---------------------------------------------------------------


def cross_entropy(
    logits: ArrayLike,
    target: ArrayLike,
    reduction: str = "mean",
    *,
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
) -> NDArray[np.floating]:
    r"""Cross-entropy between ``softmax(logits)`` and `target`, computed from the logits.

    .. math:: L = -\sum_i y_i \log \operatorname{softmax}(z)_i
              = -\sum_i y_i \bigl(z_i - \operatorname{logsumexp}(z)\bigr),
              \qquad L = -\log \operatorname{softmax}(z)_t
              \text{ for a class index } t

    The keywords are those of ``torch.nn.functional.cross_entropy``, with the
    same meaning; the Notes give the one formula behind them.

    Parameters
    ----------
    logits : array_like
        Real logits with at least one dimension; the classes lie along the
        **last** axis, every other axis indexes examples. Integers are
        promoted to float64; float16/32/64 keep their dtype.
    target : array_like
        Either integer class indices with shape ``logits.shape[:-1]``, each in
        ``0 .. n_classes - 1`` (or equal to `ignore_index`), or non-negative
        probabilities (weights) with the shape of `logits`. Probabilities are
        not renormalised.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per example (shape ``logits.shape[:-1]``),
        ``"sum"`` their sum. ``"mean"`` divides the sum by the number of
        examples, except for class indices with `weight` or `ignore_index`:
        then by the total weight ``sum(weight[t])`` of the examples that are
        not ignored (PyTorch's weighted mean).
    weight : array_like, optional
        One finite, non-negative weight per class (shape ``(n_classes,)``).
        Example ``k`` with class index ``t`` counts ``weight[t]`` times; with
        probability targets each class term ``y_i log s_i`` is multiplied by
        ``weight[i]`` (and ``"mean"`` still divides by the number of examples).
        Kept in at least float32, never rounded to float16.
    ignore_index : int, optional
        For class-index targets only: examples whose target equals it
        contribute 0 to the loss and to ``"mean"``'s denominator, and get a
        zero gradient. It need not be a valid class (PyTorch's default is
        -100). Passing it with probability targets is an error, as in PyTorch.
    label_smoothing : float, default 0.0
        ``e`` in [0, 1]: the target becomes ``(1 - e) onehot(t) + e / K`` for
        ``K`` classes (Szegedy et al. 2016; PyTorch's definition), and
        ``(1 - e) y + e / K`` for probabilities. With `weight`, the smoothed
        class-index target is ``(1 - e) weight[t] onehot(t) + (e / K) weight``.

    Returns
    -------
    ndarray or scalar
        The loss in the (promoted) floating dtype of the inputs; sums and
        means accumulate in at least float32.

    Raises
    ------
    ValueError
        If `logits` is 0-d, `target` has the wrong shape (both shapes are
        named), a probability target is negative, `reduction` is unknown,
        `label_smoothing` lies outside [0, 1], `weight` has the wrong shape or
        a negative or non-finite entry, or `ignore_index` is given with
        probability targets.
    IndexError
        If a class index is negative or not below the number of classes (and
        is not `ignore_index`).
    TypeError
        If `logits` is not real, `target` is boolean or floating-point with
        the shape of class indices, `ignore_index` is not an integer, or
        `label_smoothing` is not a real number.

    Notes
    -----
    One formula lies behind every option. With ``K`` classes, ``w`` the
    class weights (all ones without `weight`), ``e`` the label smoothing and
    ``log s`` the log-softmax of one example, the example has an *effective
    target* ``q`` and the loss ``-sum_i q_i log s_i``:

    * class index ``t``: ``q = (1 - e) w[t] onehot(t) + (e / K) w``, and
      ``q = 0`` when ``t == ignore_index``;
    * probabilities ``y``: ``q = w * ((1 - e) y + e / K)``.

    Its gradient is ``sum(q) s - q`` (:func:`cross_entropy_grad`).
    ``"mean"`` divides the sum over examples by ``sum(w[t])`` over the
    examples not ignored (class indices) or by the number of examples
    (probabilities). This is PyTorch's ``cross_entropy``, term for term; the
    tests compare both with it to 1e-12.

    The loss goes through :func:`~softmax_notes.log_softmax`, never through
    ``log(softmax(z))``, so it is finite for finite logits of any size. Edge
    rules: a target class whose logit is ``-inf`` has probability 0 and
    gets loss ``+inf``. A zero (effective) target times a ``-inf``
    log-probability contributes 0 (the convention :math:`0 \log 0 = 0`, as
    ``scipy.special.xlogy`` and ``torch.xlogy``), so a ``-inf`` logit of a
    class with target 0 (or weight 0) costs nothing; here PyTorch's
    ``cross_entropy`` returns NaN. A NaN logit makes its example's loss NaN
    (unless the example is ignored). The mean over zero examples, or over
    examples of total weight 0, is NaN (0/0), as in PyTorch; the sum is 0.

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

    Label smoothing is the same as a smoothed probability target:

    >>> smoothed = 0.9 * np.eye(3)[[2, 1]] + 0.1 / 3
    >>> round(float(cross_entropy(logits, [2, 1], label_smoothing=0.1)), 4)
    1.6676
    >>> round(float(cross_entropy(logits, smoothed)), 4)
    1.6676

    Class weights make ``"mean"`` a weighted mean; an ignored example drops out:

    >>> round(float(cross_entropy(logits, [2, 1], weight=[1.0, 3.0, 1.0])), 4)
    2.3303
    >>> round((0.0222 * 1 + 3.0997 * 3) / (1 + 3), 4)  # by hand, from the rounded losses
    2.3303
    >>> round(float(cross_entropy(logits, [2, -100], ignore_index=-100)), 4)
    0.0222
    """
    problem = _check_inputs(logits, target, reduction, weight, ignore_index, label_smoothing)
    losses, denominator, _ = _compute(problem, need_loss=True, need_grad=False)
    return _reduce(losses, reduction, denominator, problem.logits.dtype)


def cross_entropy_grad(
    logits: ArrayLike,
    target: ArrayLike,
    reduction: str = "mean",
    *,
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
) -> NDArray[np.floating]:
    r"""Gradient of :func:`cross_entropy` with respect to the logits.

    .. math:: \frac{\partial L}{\partial z} = \Bigl(\sum_i q_i\Bigr) s - q,
              \qquad s = \operatorname{softmax}(z)

    where ``q`` is the effective target (see the Notes of
    :func:`cross_entropy`): ``s - y`` for a one-hot or normalised target
    ``y``, ``s - onehot(t)`` for a class index ``t``,
    ``s - ((1 - e) onehot(t) + e / K)`` with label smoothing ``e``, and
    ``weight[t] (s - onehot(t))`` with class weights.

    Parameters
    ----------
    logits, target, reduction, weight, ignore_index, label_smoothing
        As in :func:`cross_entropy`.

    Returns
    -------
    ndarray
        Same shape and dtype as `logits`. For ``"sum"`` each example's
        gradient (the gradient of the sum: example ``k``'s loss depends only
        on its own logits); for ``"mean"`` the same divided by the mean's
        denominator (the number of examples, or the total weight of those
        not ignored). ``"none"`` has no scalar to differentiate; it returns
        the per-example gradients, i.e. the same array as ``"sum"``. Ignored
        examples get a zero gradient (also under ``"mean"`` when every
        example is ignored, where the loss is NaN; PyTorch does the same).

    Raises
    ------
    ValueError, IndexError, TypeError
        As in :func:`cross_entropy`.

    Notes
    -----
    Along the class axis the gradient sums to ``sum(q) - sum(q) = 0``
    whenever the softmax is finite: moving every logit by the same amount
    leaves the loss unchanged. A ``-inf`` logit has ``s_i = 0``, so its
    entry is ``-q_i``, the limit of the gradient as the logit falls. A
    training step that needs the loss too should call
    :func:`cross_entropy_and_grad`, which shares one softmax between them.

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

    With label smoothing ``e = 0.3`` over 2 classes the target is
    ``(0.85, 0.15)``, and equal logits give ``s - q``:

    >>> cross_entropy_grad([0.0, 0.0], 0, label_smoothing=0.3)
    array([-0.35,  0.35])
    >>> cross_entropy_grad([[0.0, 0.0], [1.0, 2.0]], [0, -1], ignore_index=-1)
    array([[-0.5,  0.5],
           [ 0. ,  0. ]])
    """
    problem = _check_inputs(logits, target, reduction, weight, ignore_index, label_smoothing)
    _, _, grad = _compute(problem, need_loss=False, need_grad=True)
    return grad.astype(problem.logits.dtype, copy=False)


def cross_entropy_and_grad(
    logits: ArrayLike,
    target: ArrayLike,
    reduction: str = "mean",
    *,
    weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
    r"""``(cross_entropy(...), cross_entropy_grad(...))`` from one softmax pass.

    A training step needs both the loss and its gradient. They share the
    expensive part, the (log-)softmax of the logits, so computing them
    together costs about as much as one softmax, where two separate calls
    pay for it twice.

    Parameters
    ----------
    logits, target, reduction, weight, ignore_index, label_smoothing
        As in :func:`cross_entropy`.

    Returns
    -------
    loss : ndarray or scalar
        Exactly what :func:`cross_entropy` returns for these arguments.
    grad : ndarray
        Exactly what :func:`cross_entropy_grad` returns for these arguments.

    Raises
    ------
    ValueError, IndexError, TypeError
        As in :func:`cross_entropy`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import cross_entropy_and_grad
    >>> loss, grad = cross_entropy_and_grad([[2, 0.5, 6], [0.1, 0, 3]], [2, 1])
    >>> round(float(loss), 4)
    1.5609
    >>> np.round(grad, 4)
    array([[ 0.009 ,  0.002 , -0.011 ],
           [ 0.0249, -0.4775,  0.4526]])
    """
    problem = _check_inputs(logits, target, reduction, weight, ignore_index, label_smoothing)
    losses, denominator, grad = _compute(problem, need_loss=True, need_grad=True)
    dtype = problem.logits.dtype
    return _reduce(losses, reduction, denominator, dtype), grad.astype(dtype, copy=False)

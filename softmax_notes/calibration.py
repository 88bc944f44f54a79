"""Calibration: are a classifier's probabilities honest, and temperature scaling to fix them.

A classifier is *calibrated* when, among the examples it gives confidence
``c`` (its largest probability), a fraction ``c`` is classified correctly.

* :func:`reliability_bins` sorts held-out examples into equal-width bins of
  confidence and returns each bin's mean confidence, accuracy and size: the
  data of a reliability diagram.
* :func:`expected_calibration_error` is the bins' average gap between
  accuracy and confidence, weighted by their sizes (Guo et al. 2017).
* :func:`fit_temperature` finds the temperature ``T`` that minimises the
  negative log-likelihood of held-out labels under ``softmax(logits / T)``:
  temperature scaling, which changes the confidence of every prediction and
  none of the predictions.

Probabilities and logits lie along the **last** axis (as in
:func:`~softmax_notes.cross_entropy`); every other axis indexes examples,
and labels are integer class indices of shape ``probs.shape[:-1]``. Sums and
means are accumulated in float64 whatever the input dtype.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import as_float_array
from .core import softmax

__all__ = ["ReliabilityBins", "expected_calibration_error", "fit_temperature", "reliability_bins"]


class ReliabilityBins(NamedTuple):
    """The data of a reliability diagram; bin ``b`` holds confidences in ``(edges[b], edges[b+1]]``.

    Returned by :func:`reliability_bins`; a named tuple of four arrays.
    """

    #: The ``n_bins + 1`` bin edges, from 0 to 1 (the first bin also holds 0).
    edges: NDArray[np.float64]
    #: Mean confidence (largest probability) of each bin; NaN for an empty bin.
    confidence: NDArray[np.float64]
    #: Fraction of each bin's examples whose most probable class is the label;
    #: NaN for an empty bin.
    accuracy: NDArray[np.float64]
    #: Number of examples in each bin.
    count: NDArray[np.intp]


def _reject_masked(x: ArrayLike, name: str) -> None:
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(
            f"{name} is a masked array, which this function does not honour; "
            "select the examples to use instead (x[~mask])"
        )


def _check_labels(labels: ArrayLike, batch_shape: tuple[int, ...], n_classes: int) -> NDArray:
    _reject_masked(labels, "labels")
    raw = np.asarray(labels)
    if raw.dtype.kind not in "iu":
        raise TypeError(f"labels must be integer class indices, got dtype {raw.dtype}")
    if raw.shape != batch_shape:
        raise ValueError(
            f"labels must have shape {batch_shape} (one per example), got {raw.shape}"
        )
    if raw.size and (raw.min() < 0 or raw.max() >= n_classes):
        raise IndexError(
            f"labels must be class indices from 0 to {n_classes - 1}, "
            f"got values from {raw.min()} to {raw.max()}"
        )
    return raw.reshape(-1)


def _check_probs(probs: ArrayLike) -> NDArray[np.floating]:
    _reject_masked(probs, "probs")
    array = as_float_array(probs, "probs")
    if array.ndim < 1:
        raise ValueError("probs must have at least 1 dimension (classes on the last axis)")
    if array.shape[-1] == 0 and math.prod(array.shape[:-1]) > 0:
        raise ValueError(f"probs has no classes on its last axis (shape {array.shape})")
    if np.isnan(array).any():
        raise ValueError("probs holds a NaN: calibration needs probabilities")
    if array.size and (array.min() < 0 or array.max() > 1):
        raise ValueError(
            f"probs must lie in [0, 1], got values from {array.min()} to {array.max()}"
        )
    return array


def _check_bins(n_bins: int) -> int:
    if isinstance(n_bins, (bool, np.bool_)) or not isinstance(n_bins, numbers.Integral):
        raise TypeError(f"n_bins must be a positive int, got {n_bins!r}")
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    return int(n_bins)


def reliability_bins(probs: ArrayLike, labels: ArrayLike, n_bins: int = 15) -> ReliabilityBins:
    r"""Bin examples by confidence: the data of a reliability diagram.

    The confidence of an example is its largest probability, its prediction
    the class that has it (the first, if several tie).

    Parameters
    ----------
    probs : array_like
        Predicted probabilities in [0, 1], classes on the last axis, shape
        ``(..., K)``; float16/32/64 or integers (0 and 1).
    labels : array_like of int
        The true classes, shape ``probs.shape[:-1]``.
    n_bins : int, default 15
        Number of equal-width bins on [0, 1] (15 in Guo et al. 2017).

    Returns
    -------
    ReliabilityBins
        ``(edges, confidence, accuracy, count)``; empty bins have NaN
        confidence and accuracy and count 0.

    Raises
    ------
    TypeError
        If `probs` is not real, `labels` is not integer, an input is a masked
        array, or `n_bins` is not an int.
    ValueError
        If `probs` holds a NaN or a value outside [0, 1], has no classes, the
        shapes do not match, or `n_bins` < 1.
    IndexError
        If a label is not a valid class index.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import reliability_bins
    >>> probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.45, 0.55]])
    >>> bins = reliability_bins(probs, [0, 1, 1, 1], n_bins=4)
    >>> bins.count.tolist(), bins.confidence.round(4).tolist(), bins.accuracy.tolist()
    ([0, 0, 2, 2], [nan, nan, 0.625, 0.85], [nan, nan, 1.0, 0.5])
    """
    array = _check_probs(probs)
    n_bins = _check_bins(n_bins)
    targets = _check_labels(labels, array.shape[:-1], array.shape[-1])
    flat = array.reshape(-1, array.shape[-1]) if array.size else np.zeros((0, 1))
    confidence = flat.max(axis=-1).astype(np.float64)
    correct = flat.argmax(axis=-1) == targets
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(confidence, edges, right=True) - 1, 0, n_bins - 1)
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(which, confidence, minlength=n_bins) / count
        accuracy = np.bincount(which, correct.astype(np.float64), minlength=n_bins) / count
    return ReliabilityBins(edges, mean_confidence, accuracy, count.astype(np.intp))


def expected_calibration_error(probs: ArrayLike, labels: ArrayLike, n_bins: int = 15) -> float:
    r"""Expected calibration error: the size-weighted mean gap between accuracy and confidence.

    .. math:: \operatorname{ECE} = \sum_{b=1}^{M} \frac{|B_b|}{N}
              \bigl|\operatorname{acc}(B_b) - \operatorname{conf}(B_b)\bigr|

    over ``M`` equal-width confidence bins ``B_b`` (:func:`reliability_bins`)
    of ``N`` examples (Guo et al. 2017). 0 for a perfectly calibrated model
    on its bins; at most 1.

    Parameters
    ----------
    probs, labels, n_bins
        As in :func:`reliability_bins`.

    Returns
    -------
    float
        The ECE; NaN for zero examples (a mean over nothing).

    Raises
    ------
    TypeError, ValueError, IndexError
        As in :func:`reliability_bins`.

    Notes
    -----
    The ECE depends on the number of bins, and on a finite held-out set it
    is a noisy, upward-biased estimate: even perfectly calibrated
    probabilities give a positive ECE on a sample. Compare models with the
    same bins on the same data.

    References
    ----------
    C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On calibration of modern
    neural networks", ICML 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import expected_calibration_error
    >>> probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.45, 0.55]])
    >>> round(expected_calibration_error(probs, [0, 1, 1, 1], n_bins=4), 4)
    0.3625
    """
    bins = reliability_bins(probs, labels, n_bins)
    total = bins.count.sum()
    if total == 0:
        return float("nan")
    filled = bins.count > 0
    gaps = np.abs(bins.accuracy[filled] - bins.confidence[filled])
    return float(np.sum(bins.count[filled] * gaps) / total)


def _nll_slope_and_curvature(
    logits: NDArray[np.float64], picked: NDArray[np.float64], beta: float
) -> tuple[float, float]:
    """d/dβ and d²/dβ² of the mean NLL of softmax(β z): mean (E_s[z] - z_t) and mean Var_s(z)."""
    probs = softmax(beta * logits, axis=-1)
    finite = np.isfinite(logits)
    z = np.where(finite, logits, 0.0)  # a -inf logit has probability 0 here
    mean = np.sum(probs * z, axis=-1)
    variance = np.sum(probs * (z - mean[:, None]) ** 2, axis=-1)
    return float(np.mean(mean - picked)), float(np.mean(variance))


def fit_temperature(logits: ArrayLike, labels: ArrayLike) -> float:
    r"""The temperature that minimises the held-out NLL of ``softmax(logits / T)``.

    .. math:: T^\star = \operatorname*{argmin}_{T > 0} \;
              -\frac{1}{N} \sum_{n} \log \operatorname{softmax}(z_n / T)_{t_n}

    Parameters
    ----------
    logits : array_like
        Held-out logits, classes on the last axis, shape ``(..., K)``:
        finite, except that a class other than the label may be ``-inf``.
    labels : array_like of int
        The true classes, shape ``logits.shape[:-1]``.

    Returns
    -------
    float
        :math:`T^\star > 0`. Dividing the logits by it changes no prediction
        (the argmax of ``z / T`` is the argmax of ``z``), only the confidence.

    Raises
    ------
    TypeError
        If `logits` is not real, `labels` is not integer, or an input is a
        masked array.
    ValueError
        If the shapes do not match, there are no examples, a logit is NaN or
        ``+inf`` or a label's logit is ``-inf``, or no finite positive
        temperature minimises the NLL (below).
    IndexError
        If a label is not a valid class index.

    Notes
    -----
    With :math:`\beta = 1/T` the mean NLL is a convex function of
    :math:`\beta`: its derivative is the mean of
    :math:`\mathbb{E}_s[z] - z_t` and its second derivative the mean of
    :math:`\operatorname{Var}_s(z) \ge 0`, with :math:`s = \operatorname{softmax}(\beta z)`.
    So the one root of the derivative is the minimum. It is found by
    Newton's method on :math:`\beta`, kept inside a bracket that bisection
    shrinks whenever a Newton step would leave it, in float64. No finite
    minimiser exists when every label's logit is the largest of its row (the
    NLL keeps falling as :math:`T \to 0`) or when the labels' logits are on
    average no larger than the mean logit of their rows (it keeps falling
    as :math:`T \to \infty`); both raise ``ValueError``.

    References
    ----------
    C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On calibration of modern
    neural networks", ICML 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import fit_temperature
    >>> logits = np.array([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [4.0, 0.0, 0.0]])
    >>> round(fit_temperature(logits, [0, 1, 1]), 4)  # one confident mistake: T > 1
    2.8854
    """
    _reject_masked(logits, "logits")
    array = as_float_array(logits, "logits")
    if array.ndim < 1:
        raise ValueError("logits must have at least 1 dimension (classes on the last axis)")
    targets = _check_labels(labels, array.shape[:-1], array.shape[-1])
    if targets.size == 0:
        raise ValueError("fit_temperature needs at least one example")
    z = array.reshape(-1, array.shape[-1]).astype(np.float64)
    if np.isnan(z).any() or np.isposinf(z).any():
        raise ValueError("logits must not hold NaN or +inf")
    picked = z[np.arange(len(z)), targets]
    if np.isneginf(picked).any():
        raise ValueError("a label's logit is -inf: its NLL is infinite at every temperature")
    finite = np.isfinite(z)
    row_means = np.sum(np.where(finite, z, 0.0), axis=-1) / finite.sum(axis=-1)
    if np.mean(row_means - picked) >= 0:
        raise ValueError(
            "no finite temperature minimises the NLL: the labels' logits are on average "
            "no larger than their rows' mean logit, so the NLL falls as T -> inf"
        )
    if np.all(picked >= z.max(axis=-1)):
        raise ValueError(
            "no positive temperature minimises the NLL: every label has the largest "
            "logit of its row, so the NLL falls towards 0 as T -> 0"
        )
    low, high = 0.0, 1.0
    while _nll_slope_and_curvature(z, picked, high)[0] < 0:
        low, high = high, 2 * high
    beta = (low + high) / 2
    for _ in range(200):
        slope, curvature = _nll_slope_and_curvature(z, picked, beta)
        if slope == 0:
            break
        low, high = (beta, high) if slope < 0 else (low, beta)
        newton = beta - slope / curvature if curvature > 0 else np.nan
        following = newton if low < newton < high else (low + high) / 2
        converged = abs(following - beta) <= 4 * np.finfo(np.float64).eps * beta
        beta = following
        if converged:
            break
    return float(1 / beta)

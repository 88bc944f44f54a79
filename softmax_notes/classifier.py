"""A linear softmax classifier trained by plain gradient descent: the model of chapter 6.

``logits = X W + b``, loss = mean cross-entropy. Small on purpose: every line
is one equation of the chapter. Edge behaviour follows the package's rules
(:ref:`api-rules`), except that the arrays must be finite: features and
weights are data, not logits, and an infinite feature has no limit to follow
(a ``ValueError`` names the argument).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import _is_int, accumulator, as_float_array, wide
from .losses import cross_entropy, cross_entropy_grad

__all__ = ["fit", "forward", "loss_and_grads", "make_blobs", "predict"]


def _finite(array: ArrayLike, name: str) -> NDArray[np.floating]:
    array = as_float_array(array, name)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite (features and weights are data, not logits)")
    return array


def _count(value: object, name: str, minimum: int) -> int:
    if not _is_int(value):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _positive(value: object, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return float(value)


def make_blobs(
    n_per_class: int, n_classes: int, rng: np.random.Generator, radius: float = 3.0
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Gaussian blobs in 2-D, one per class, centred evenly on a circle of `radius`.

    Returns ``(X, y)``: points of shape ``(n_per_class * n_classes, 2)`` with
    unit standard deviation, and their class indices, class by class.

    >>> X, y = make_blobs(2, 3, np.random.default_rng(0))
    >>> X.shape, y.tolist()
    ((6, 2), [0, 0, 1, 1, 2, 2])
    """
    n_per_class = _count(n_per_class, "n_per_class", 0)
    n_classes = _count(n_classes, "n_classes", 1)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    radius = _positive(radius, "radius")
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    labels = np.repeat(np.arange(n_classes), n_per_class)
    points = centres[labels] + rng.normal(size=(labels.size, 2))
    return points, labels


def forward(W: ArrayLike, b: ArrayLike, X: ArrayLike) -> NDArray[np.floating]:
    """Logits ``X W + b``: X is ``(N, d)``, W ``(d, K)``, b ``(K,)``, result ``(N, K)``.

    In the promoted dtype of the three; the products are summed in at least
    float32 (a float16 sum over many features would overflow).

    >>> forward(np.eye(2), np.array([0.5, 0.0]), np.array([[1.0, 2.0]]))
    array([[1.5, 2. ]])
    """
    logits, dtype = _logits(W, b, X)
    return logits.astype(dtype, copy=False)


def _logits(W: ArrayLike, b: ArrayLike, X: ArrayLike) -> tuple[NDArray[np.floating], np.dtype]:
    """``X W + b`` in at least float32, and the dtype the result is reported in."""
    W, b, X = _finite(W, "W"), _finite(b, "b"), _finite(X, "X")
    if X.ndim == 0:
        raise ValueError("X must have shape (N, d) or (d,), got a 0-d array")
    dtype = np.result_type(X, W, b)
    return np.matmul(X, W, dtype=accumulator(dtype)) + b, dtype


def loss_and_grads(
    W: ArrayLike, b: ArrayLike, X: ArrayLike, y: ArrayLike
) -> tuple[float, NDArray[np.floating], NDArray[np.floating]]:
    r"""Mean cross-entropy of the classifier and its gradients ``(loss, dW, db)``.

    .. math:: \frac{\partial L}{\partial W} = \frac{1}{N} X^{\mathsf T} (S - Y),
              \qquad \frac{\partial L}{\partial b} = \frac{1}{N} \sum_n (S - Y)_n

    with ``S`` the softmax of the logits and ``Y`` the one-hot labels, summed
    over the examples in at least float64. The loss of zero examples is NaN (a
    mean over nothing), with zero gradients.

    >>> X, y = np.array([[1.0, 2.0]]), np.array([0])
    >>> loss, dW, db = loss_and_grads(np.zeros((2, 2)), np.zeros(2), X, y)
    >>> round(loss, 4), dW.tolist(), db.tolist()
    (0.6931, [[-0.5, 0.5], [-1.0, 1.0]], [-0.5, 0.5])
    """
    X = _finite(X, "X")
    logits = forward(W, b, X)
    dlogits = cross_entropy_grad(logits, y)  # (S - Y) / N
    # Sums over the examples in at least float64: float16 and float32 sums of many rows,
    # in NumPy's row-by-row order, would lose digits (and float16 overflow past 65504).
    work = wide(dlogits.dtype)
    dW = np.matmul(X.T, dlogits, dtype=work).astype(dlogits.dtype, copy=False)
    db = np.sum(dlogits, axis=0, dtype=work).astype(dlogits.dtype, copy=False)
    return float(cross_entropy(logits, y)), dW, db


def fit(
    X: ArrayLike, y: ArrayLike, n_classes: int, learning_rate: float, steps: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[float]]:
    """Plain gradient descent from zero weights; returns ``(W, b, losses)``.

    ``losses[t]`` is the loss before step ``t``, plus the final loss at the end
    (``steps + 1`` values). Zero is a fine start: the loss is convex in ``(W, b)``.
    The weights are float64 (long double for long double `X`) whatever the
    dtype of `X`, so that a small learning rate is not rounded away.

    >>> X, y = make_blobs(20, 3, np.random.default_rng(0))
    >>> W, b, losses = fit(X, y, 3, learning_rate=0.5, steps=50)
    >>> round(losses[0], 4), bool(losses[-1] < 0.2 * losses[0])
    (1.0986, True)
    """
    X = _finite(X, "X")
    n_classes = _count(n_classes, "n_classes", 1)
    learning_rate = _positive(learning_rate, "learning_rate")
    steps = _count(steps, "steps", 0)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (N, d), got {X.shape}")
    dtype = wide(X.dtype)
    W, b = np.zeros((X.shape[1], n_classes), dtype), np.zeros(n_classes, dtype)
    losses = []
    for _ in range(steps):
        loss, dW, db = loss_and_grads(W, b, X, y)
        losses.append(loss)
        W, b = W - learning_rate * dW, b - learning_rate * db
    losses.append(loss_and_grads(W, b, X, y)[0])
    return W, b, losses


def predict(W: ArrayLike, b: ArrayLike, X: ArrayLike) -> NDArray[np.intp]:
    """The most probable class of each row of `X` (softmax preserves the argmax of the logits).

    The logits are compared in at least float32, before they are rounded to
    float16 (which could tie them). Ties go to the first class, as in
    ``np.argmax``. Logits that overflow to NaN name no class and raise
    ``ValueError``.

    >>> predict(np.eye(2), np.zeros(2), np.array([[1.0, 2.0], [3.0, -1.0]]))
    array([1, 0])
    """
    logits, _ = _logits(W, b, X)
    if np.isnan(logits).any():
        raise ValueError("the logits X W + b overflow to NaN: no class is the most probable")
    return np.argmax(logits, axis=-1)

"""A linear softmax classifier trained by plain gradient descent: the model of chapter 6.

``logits = X W + b``, loss = mean cross-entropy. Small on purpose: every line
is one equation of the chapter.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .losses import cross_entropy, cross_entropy_grad

__all__ = ["fit", "forward", "loss_and_grads", "make_blobs", "predict"]


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
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    labels = np.repeat(np.arange(n_classes), n_per_class)
    points = centres[labels] + rng.normal(size=(labels.size, 2))
    return points, labels


def forward(W: NDArray, b: NDArray, X: NDArray) -> NDArray[np.float64]:
    """Logits ``X W + b``: X is ``(N, d)``, W ``(d, K)``, b ``(K,)``, result ``(N, K)``."""
    return X @ W + b


def loss_and_grads(
    W: NDArray, b: NDArray, X: NDArray, y: NDArray
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    r"""Mean cross-entropy of the classifier and its gradients ``(loss, dW, db)``.

    .. math:: \frac{\partial L}{\partial W} = \frac{1}{N} X^{\mathsf T} (S - Y),
              \qquad \frac{\partial L}{\partial b} = \frac{1}{N} \sum_n (S - Y)_n

    with ``S`` the softmax of the logits and ``Y`` the one-hot labels.

    >>> X, y = np.array([[1.0, 2.0]]), np.array([0])
    >>> loss, dW, db = loss_and_grads(np.zeros((2, 2)), np.zeros(2), X, y)
    >>> round(loss, 4), dW.tolist(), db.tolist()
    (0.6931, [[-0.5, 0.5], [-1.0, 1.0]], [-0.5, 0.5])
    """
    logits = forward(W, b, X)
    dlogits = cross_entropy_grad(logits, y)  # (S - Y) / N
    return float(cross_entropy(logits, y)), X.T @ dlogits, dlogits.sum(axis=0)


def fit(
    X: NDArray, y: NDArray, n_classes: int, learning_rate: float, steps: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[float]]:
    """Plain gradient descent from zero weights; returns ``(W, b, losses)``.

    ``losses[t]`` is the loss before step ``t``, plus the final loss at the end
    (``steps + 1`` values). Zero is a fine start: the loss is convex in ``(W, b)``.

    >>> X, y = make_blobs(20, 3, np.random.default_rng(0))
    >>> W, b, losses = fit(X, y, 3, learning_rate=0.5, steps=50)
    >>> round(losses[0], 4), bool(losses[-1] < 0.2 * losses[0])
    (1.0986, True)
    """
    W, b = np.zeros((X.shape[1], n_classes)), np.zeros(n_classes)
    losses = []
    for _ in range(steps):
        loss, dW, db = loss_and_grads(W, b, X, y)
        losses.append(loss)
        W, b = W - learning_rate * dW, b - learning_rate * db
    losses.append(loss_and_grads(W, b, X, y)[0])
    return W, b, losses


def predict(W: NDArray, b: NDArray, X: NDArray) -> NDArray[np.intp]:
    """The most probable class of each row of `X` (softmax preserves the argmax of the logits)."""
    return np.argmax(forward(W, b, X), axis=-1)

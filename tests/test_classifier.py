"""The linear softmax classifier of chapter 6: data, gradients, training."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

from softmax_notes import numerical_gradient
from softmax_notes.classifier import fit, forward, loss_and_grads, make_blobs, predict


@pytest.fixture
def problem():
    rng = np.random.default_rng(11)
    X, y = make_blobs(5, 4, rng)
    W, b = rng.normal(size=(2, 4)), rng.normal(size=4)
    return W, b, X, y


def test_blobs_are_seeded_labelled_class_by_class_and_centred_on_a_circle():
    X, y = make_blobs(500, 3, np.random.default_rng(1), radius=2.0)
    again, _ = make_blobs(500, 3, np.random.default_rng(1), radius=2.0)
    np.testing.assert_array_equal(X, again)
    np.testing.assert_array_equal(y, np.repeat([0, 1, 2], 500))
    centres = np.array([X[y == k].mean(axis=0) for k in range(3)])
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 2.0, atol=0.15)


def test_loss_is_scipy_mean_negative_log_softmax_of_the_labels(problem):
    W, b, X, y = problem
    logits = X @ W + b
    expected = -np.mean(scipy.special.log_softmax(logits, axis=1)[np.arange(len(y)), y])
    assert loss_and_grads(W, b, X, y)[0] == pytest.approx(expected, rel=1e-13)
    np.testing.assert_allclose(forward(W, b, X), logits)


def test_weight_gradient_matches_central_differences(problem):
    W, b, X, y = problem
    numeric = numerical_gradient(lambda w: loss_and_grads(w, b, X, y)[0], W)
    np.testing.assert_allclose(loss_and_grads(W, b, X, y)[1], numeric, rtol=1e-7, atol=1e-10)


def test_bias_gradient_matches_central_differences(problem):
    W, b, X, y = problem
    numeric = numerical_gradient(lambda v: loss_and_grads(W, v, X, y)[0], b)
    np.testing.assert_allclose(loss_and_grads(W, b, X, y)[2], numeric, rtol=1e-7, atol=1e-10)


def test_gradients_have_the_matrix_form():
    rng = np.random.default_rng(12)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 4, size=6)
    W, b = rng.normal(size=(3, 4)), rng.normal(size=4)
    residual = scipy.special.softmax(X @ W + b, axis=1) - np.eye(4)[y]
    _, dW, db = loss_and_grads(W, b, X, y)
    np.testing.assert_allclose(dW, X.T @ residual / 6, rtol=1e-12)
    np.testing.assert_allclose(db, residual.mean(axis=0), rtol=1e-12, atol=1e-16)


def test_gradient_descent_lowers_the_loss_every_step_and_classifies_blobs():
    X, y = make_blobs(40, 3, np.random.default_rng(13))
    W, b, losses = fit(X, y, 3, learning_rate=0.5, steps=100)
    assert len(losses) == 101
    assert losses[0] == pytest.approx(np.log(3))
    assert np.all(np.diff(losses) < 0)
    assert losses[-1] == pytest.approx(loss_and_grads(W, b, X, y)[0])
    assert np.mean(predict(W, b, X) == y) >= 0.9


def test_predict_is_the_argmax_of_the_softmax(problem):
    W, b, X, _ = problem
    probs = scipy.special.softmax(X @ W + b, axis=1)
    np.testing.assert_array_equal(predict(W, b, X), probs.argmax(axis=1))

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


# Regressions: arguments named, NaN never turned into a clean class (issue 10)


def test_predict_refuses_features_that_are_not_finite():
    W, b = np.eye(2), np.zeros(2)
    with pytest.raises(ValueError, match=r"X must be finite"):
        predict(W, b, np.array([[np.nan, 1.0], [0.0, 1.0]]))


@pytest.mark.parametrize(
    ("argument", "value"),
    [("X", np.ma.array([[1.0, 2.0]], mask=[[0, 1]])), ("W", np.ma.array(np.eye(2))), ("b", np.ma.zeros(2))],
)
def test_masked_parameters_and_features_are_rejected_by_name(argument, value):
    inputs = {"W": np.eye(2), "b": np.zeros(2), "X": np.ones((1, 2))}
    inputs[argument] = value
    with pytest.raises(TypeError, match=rf"{argument} is a masked array"):
        forward(**inputs)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_per_class": 2.5}, TypeError, "n_per_class"),
        ({"n_per_class": -1}, ValueError, "n_per_class"),
        ({"n_classes": 0}, ValueError, "n_classes"),
        ({"rng": 0}, TypeError, "rng"),
        ({"radius": np.nan}, ValueError, "radius"),
    ],
)
def test_make_blobs_names_a_bad_argument(kwargs, error, message):
    arguments = {"n_per_class": 2, "n_classes": 3, "rng": np.random.default_rng(0)} | kwargs
    with pytest.raises(error, match=message):
        make_blobs(**arguments)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"learning_rate": 0.0}, ValueError, "learning_rate"),
        ({"learning_rate": "0.1"}, TypeError, "learning_rate"),
        ({"steps": -1}, ValueError, "steps"),
        ({"steps": 1.5}, TypeError, "steps"),
        ({"n_classes": 0}, ValueError, "n_classes"),
    ],
)
def test_fit_names_a_bad_argument(kwargs, error, message):
    X, y = make_blobs(3, 2, np.random.default_rng(0))
    arguments = {"n_classes": 2, "learning_rate": 0.1, "steps": 2} | kwargs
    with pytest.raises(error, match=message):
        fit(X, y, **arguments)

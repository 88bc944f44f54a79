"""cross_entropy and cross_entropy_grad: published numbers, independent formulations, edges, errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from softmax_notes import cross_entropy, cross_entropy_grad, numerical_gradient

# The worked example that circulates with PyTorch's LogSoftmax + NLLLoss.
PUBLISHED_LOGITS = np.array([[2, 0.5, 6], [0.1, 0, 3]])
PUBLISHED_LABELS = np.array([2, 1])
PUBLISHED_SOFTMAX = np.array([[0.0179, 0.0040, 0.9781], [0.0498, 0.0451, 0.9051]])
PUBLISHED_LOG_SOFTMAX = np.array([[-4.0222, -5.5222, -0.0222], [-2.9997, -3.0997, -0.0997]])
PUBLISHED_LOSS = 1.5609

REDUCTIONS = ["mean", "sum", "none"]


def naive_cross_entropy(logits, probs):
    """-sum y log(exp(z) / sum exp(z)) per example: fine for moderate logits only."""
    exps = np.exp(logits)
    return -np.sum(probs * np.log(exps / exps.sum(axis=-1, keepdims=True)), axis=-1)


def one_hot(labels, n_classes):
    return np.eye(n_classes)[labels]


def reduce(losses, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](losses)


def summed_loss(target, reduction):
    """The scalar whose gradient cross_entropy_grad returns: for "none", the sum."""
    if reduction == "none":
        return lambda z: np.sum(cross_entropy(z, target, reduction="none"))
    return lambda z: cross_entropy(z, target, reduction=reduction)


# --- the published numbers --------------------------------------------------


def test_published_example_loss_is_1_5609_for_both_target_kinds():
    by_index = cross_entropy(PUBLISHED_LOGITS, PUBLISHED_LABELS)
    by_probs = cross_entropy(PUBLISHED_LOGITS, one_hot(PUBLISHED_LABELS, 3))
    assert round(float(by_index), 4) == PUBLISHED_LOSS
    assert round(float(by_probs), 4) == PUBLISHED_LOSS


def test_published_loss_is_mean_nll_of_published_log_softmax():
    # NLLLoss of the printed log-softmax: minus the mean of the picked entries. The
    # printed entries carry rounding errors of up to 5e-5 each, so the tolerance is 1e-4.
    picked = PUBLISHED_LOG_SOFTMAX[np.arange(2), PUBLISHED_LABELS]
    assert -picked.mean() == pytest.approx(PUBLISHED_LOSS, abs=1e-4)
    np.testing.assert_allclose(
        scipy.special.log_softmax(PUBLISHED_LOGITS, axis=-1), PUBLISHED_LOG_SOFTMAX, atol=5e-5
    )
    np.testing.assert_allclose(
        scipy.special.softmax(PUBLISHED_LOGITS, axis=-1), PUBLISHED_SOFTMAX, atol=5e-5
    )


def test_published_example_gradient_is_softmax_minus_one_hot_over_batch_size():
    expected = (PUBLISHED_SOFTMAX - one_hot(PUBLISHED_LABELS, 3)) / 2
    np.testing.assert_allclose(
        cross_entropy_grad(PUBLISHED_LOGITS, PUBLISHED_LABELS), expected, atol=5e-5
    )


# --- independent formulations -----------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_probability_targets_match_naive_formula_and_scipy(reduction):
    rng = np.random.default_rng(5)
    logits = rng.normal(scale=3, size=(4, 6, 5))
    weights = rng.uniform(size=logits.shape)
    naive = naive_cross_entropy(logits, weights)
    via_scipy = -np.sum(weights * scipy.special.log_softmax(logits, axis=-1), axis=-1)
    np.testing.assert_allclose(naive, via_scipy, rtol=1e-12)
    np.testing.assert_allclose(
        cross_entropy(logits, weights, reduction=reduction), reduce(naive, reduction), rtol=1e-12
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_class_indices_match_scipy_log_softmax_at_the_label(reduction):
    rng = np.random.default_rng(6)
    logits = rng.normal(scale=3, size=(7, 4))
    labels = rng.integers(0, 4, size=7)
    expected = -scipy.special.log_softmax(logits, axis=-1)[np.arange(7), labels]
    np.testing.assert_allclose(
        cross_entropy(logits, labels, reduction=reduction), reduce(expected, reduction), rtol=1e-12
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradient_matches_closed_form_for_probability_targets(reduction):
    rng = np.random.default_rng(7)
    logits = rng.normal(size=(3, 4))
    weights = rng.uniform(size=(3, 4))
    probs = scipy.special.softmax(logits, axis=-1)
    expected = weights.sum(axis=-1, keepdims=True) * probs - weights
    if reduction == "mean":
        expected = expected / 3
    np.testing.assert_allclose(
        cross_entropy_grad(logits, weights, reduction=reduction), expected, rtol=1e-12
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind", ["indices", "probabilities", "weights"])
def test_gradient_matches_central_differences(reduction, kind):
    rng = np.random.default_rng(8)
    logits = rng.normal(scale=2, size=(2, 3, 4))
    target = {
        "indices": rng.integers(0, 4, size=(2, 3)),
        "probabilities": scipy.special.softmax(rng.normal(size=(2, 3, 4)), axis=-1),
        "weights": rng.uniform(0, 2, size=(2, 3, 4)),
    }[kind]
    numeric = numerical_gradient(summed_loss(target, reduction), logits)
    analytic = cross_entropy_grad(logits, target, reduction=reduction)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


def test_one_dimensional_logits_are_a_single_example():
    logits = np.array([1.0, 2.0, 0.5])
    loss = cross_entropy(logits, 1)
    assert np.ndim(loss) == 0
    assert loss == pytest.approx(-scipy.special.log_softmax(logits)[1], rel=1e-14)
    assert cross_entropy(logits, 1, reduction="none") == loss
    np.testing.assert_allclose(
        cross_entropy_grad(logits, 1), scipy.special.softmax(logits) - [0, 1, 0], rtol=1e-14
    )


# --- edge behaviour -------------------------------------------------------------


def test_negative_infinity_logit_of_the_target_class_gives_infinite_loss():
    assert cross_entropy([0.0, -np.inf], 1) == np.inf
    assert cross_entropy([0.0, -np.inf], [0.5, 0.5]) == np.inf


def test_zero_target_times_negative_infinity_log_probability_contributes_zero():
    # 0 * log 0 = 0, as scipy.special.xlogy and torch.xlogy.
    assert scipy.special.xlogy(0.0, 0.0) == 0.0
    assert cross_entropy([0.0, -np.inf], [1.0, 0.0]) == 0.0
    loss = cross_entropy([[1.0, 2.0, -np.inf]], [[0.3, 0.7, 0.0]])
    assert loss == pytest.approx(
        -np.sum(scipy.special.xlogy([0.3, 0.7], scipy.special.softmax([1.0, 2.0])))
    )


def test_gradient_at_negative_infinity_logit_is_minus_the_target():
    np.testing.assert_array_equal(cross_entropy_grad([0.0, -np.inf], [0.5, 0.5]), [0.5, -0.5])
    np.testing.assert_array_equal(cross_entropy_grad([0.0, -np.inf], [1.0, 0.0]), [0.0, 0.0])


def test_huge_finite_logits_give_finite_loss_and_gradient():
    logits = np.array([[1000.0, -1000.0], [-1e308, 1e308]])
    np.testing.assert_array_equal(cross_entropy(logits, [1, 1], reduction="none"), [2000.0, 0.0])
    np.testing.assert_array_equal(
        cross_entropy_grad(logits, [1, 1], reduction="sum"), [[1, -1], [0, 0]]
    )


def test_nan_logit_makes_only_its_own_example_nan():
    losses = cross_entropy([[np.nan, 0.0], [1.0, 0.0]], [0, 1], reduction="none")
    assert np.isnan(losses[0])
    assert losses[1] == pytest.approx(-scipy.special.log_softmax([1.0, 0.0])[1])
    losses = cross_entropy([[np.nan, 0.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]], reduction="none")
    assert np.isnan(losses[0])
    assert np.isfinite(losses[1])


def test_empty_batch_sums_to_zero_and_has_nan_mean():
    logits, labels = np.zeros((0, 3)), np.zeros(0, dtype=int)
    assert cross_entropy(logits, labels, reduction="sum") == 0.0
    assert np.isnan(cross_entropy(logits, labels, reduction="mean"))
    assert cross_entropy(logits, labels, reduction="none").shape == (0,)
    assert cross_entropy_grad(logits, labels).shape == (0, 3)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_floating_logits_keep_their_dtype(dtype):
    logits = np.array([[2, 0.5, 6], [0.1, 0, 3]], dtype=dtype)
    loss = cross_entropy(logits, PUBLISHED_LABELS)
    assert loss.dtype == dtype
    assert cross_entropy_grad(logits, PUBLISHED_LABELS).dtype == dtype
    assert float(loss) == pytest.approx(PUBLISHED_LOSS, abs=5e-3 if dtype == np.float16 else 5e-5)


def test_integer_logits_are_promoted_to_float64():
    assert cross_entropy([[1, 2]], [0]).dtype == np.float64


def test_none_and_sum_gradients_are_the_per_example_gradients():
    rng = np.random.default_rng(9)
    logits, labels = rng.normal(size=(5, 3)), rng.integers(0, 3, size=5)
    per_example = np.stack(
        [cross_entropy_grad(row, label) for row, label in zip(logits, labels, strict=True)]
    )
    np.testing.assert_allclose(cross_entropy_grad(logits, labels, reduction="none"), per_example)
    np.testing.assert_allclose(cross_entropy_grad(logits, labels, reduction="sum"), per_example)
    np.testing.assert_allclose(cross_entropy_grad(logits, labels), per_example / 5)


def test_inputs_are_not_modified():
    logits, weights = np.array([[1.0, 2.0]]), np.array([[0.0, 1.0]])
    cross_entropy(logits, weights)
    cross_entropy_grad(logits, weights)
    cross_entropy_grad(logits, [1])
    np.testing.assert_array_equal(logits, [[1.0, 2.0]])
    np.testing.assert_array_equal(weights, [[0.0, 1.0]])


# --- errors ---------------------------------------------------------------------


@pytest.mark.parametrize("function", [cross_entropy, cross_entropy_grad])
@pytest.mark.parametrize("bad_index", [3, -1])
def test_class_index_out_of_range_names_the_index_and_valid_range(function, bad_index):
    with pytest.raises(IndexError, match=rf"class index {bad_index} at target\[1\].*0 to 2"):
        function(PUBLISHED_LOGITS, [2, bad_index])


def test_class_index_for_logits_without_classes_says_none_is_valid():
    with pytest.raises(IndexError, match="0 classes on the last axis"):
        cross_entropy(np.zeros((2, 0)), [0, 0])


@pytest.mark.parametrize("function", [cross_entropy, cross_entropy_grad])
@pytest.mark.parametrize("labels", [[2.0, 1.0], [True, False]])
def test_float_or_bool_class_indices_are_a_dtype_error(function, labels):
    with pytest.raises(
        TypeError, match="integer class indices or probabilities with the shape of logits"
    ):
        function(PUBLISHED_LOGITS, labels)


@pytest.mark.parametrize("function", [cross_entropy, cross_entropy_grad])
def test_class_indices_of_the_wrong_shape_name_both_shapes(function):
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\).*\(2, 3\)"):
        function(PUBLISHED_LOGITS, [2, 1, 0])


def test_integer_one_hot_target_suggests_floats():
    with pytest.raises(ValueError, match=r"astype\(float\)"):
        cross_entropy(PUBLISHED_LOGITS, one_hot(PUBLISHED_LABELS, 3).astype(int))


@pytest.mark.parametrize("function", [cross_entropy, cross_entropy_grad])
def test_probability_target_of_the_wrong_shape_names_both_shapes(function):
    with pytest.raises(ValueError, match=r"target.shape = \(2, 4\) for logits.shape = \(2, 3\)"):
        function(PUBLISHED_LOGITS, np.full((2, 4), 0.25))


@pytest.mark.parametrize("function", [cross_entropy, cross_entropy_grad])
def test_negative_probability_target_is_rejected(function):
    with pytest.raises(ValueError, match=r"non-negative.*-0\.5"):
        function(PUBLISHED_LOGITS, [[0, 0, 1.5], [0, -0.5, 0]])


@pytest.mark.parametrize("function", [cross_entropy, cross_entropy_grad])
@pytest.mark.parametrize("reduction", ["avg", "Mean", None])
def test_unknown_reduction_lists_the_valid_ones(function, reduction):
    with pytest.raises(ValueError, match="'mean', 'sum', 'none'"):
        function(PUBLISHED_LOGITS, PUBLISHED_LABELS, reduction=reduction)


@pytest.mark.parametrize("function", [cross_entropy, cross_entropy_grad])
def test_zero_dimensional_logits_are_rejected(function):
    with pytest.raises(ValueError, match="at least 1 dimension"):
        function(3.0, 0)


@pytest.mark.parametrize("target", [["a", "b"], [[0, 0, 1j], [0, 1, 0]]])
def test_non_numeric_or_complex_target_is_a_type_error(target):
    with pytest.raises(TypeError, match="target"):
        cross_entropy(PUBLISHED_LOGITS, target)


def test_complex_logits_are_a_type_error():
    with pytest.raises(TypeError, match="logits"):
        cross_entropy([1j, 0], 0)


# --- properties -----------------------------------------------------------------

finite_logits = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
    elements=st.floats(-50, 50),
)


@st.composite
def logits_and_weights(draw):
    logits = draw(finite_logits)
    weights = draw(hnp.arrays(np.float64, logits.shape, elements=st.floats(0, 10)))
    return logits, weights


@settings(max_examples=60, deadline=None)
@given(logits_and_weights())
def test_loss_is_non_negative_for_non_negative_targets(case):
    logits, weights = case
    assert np.all(cross_entropy(logits, weights, reduction="none") >= 0)


@settings(max_examples=60, deadline=None)
@given(logits_and_weights())
def test_gradient_sums_to_zero_over_classes(case):
    logits, weights = case
    totals = weights.sum(axis=-1, keepdims=True)
    normalized = np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)
    for target in (weights, normalized):
        grad = cross_entropy_grad(logits, target, reduction="sum")
        np.testing.assert_allclose(grad.sum(axis=-1), 0, atol=1e-12 * (1 + target.sum()))


@settings(max_examples=60, deadline=None)
@given(logits_and_weights())
def test_sum_is_number_of_examples_times_mean(case):
    logits, weights = case
    n_examples = logits.size // logits.shape[-1]
    total = cross_entropy(logits, weights, reduction="sum")
    mean = cross_entropy(logits, weights, reduction="mean")
    np.testing.assert_allclose(total, n_examples * mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        cross_entropy_grad(logits, weights, reduction="sum"),
        n_examples * cross_entropy_grad(logits, weights, reduction="mean"),
        rtol=1e-12,
        atol=1e-15,
    )


@settings(max_examples=60, deadline=None)
@given(finite_logits, st.data())
def test_class_indices_equal_one_hot_probabilities(logits, data):
    n_classes = logits.shape[-1]
    labels = data.draw(
        hnp.arrays(np.int64, logits.shape[:-1], elements=st.integers(0, n_classes - 1))
    )
    targets = one_hot(labels, n_classes)
    np.testing.assert_allclose(
        cross_entropy(logits, labels, reduction="none"),
        cross_entropy(logits, targets, reduction="none"),
        rtol=1e-12,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        cross_entropy_grad(logits, labels), cross_entropy_grad(logits, targets), atol=1e-15
    )


@settings(max_examples=60, deadline=None)
@given(logits_and_weights(), st.floats(-100, 100))
def test_shifting_every_logit_of_an_example_leaves_the_loss_unchanged(case, shift):
    logits, weights = case
    np.testing.assert_allclose(
        cross_entropy(logits + shift, weights, reduction="none"),
        cross_entropy(logits, weights, reduction="none"),
        rtol=1e-10,
        atol=1e-10 * (1 + weights.sum()),
    )

"""cross_entropy and cross_entropy_grad: published numbers, independent formulations, edges, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from softmax_notes import (
    cross_entropy,
    cross_entropy_and_grad,
    cross_entropy_grad,
    numerical_gradient,
)

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


# --- PyTorch as the oracle: weight, ignore_index, label_smoothing ------------------------
#
# tests/data/torch_cross_entropy.json holds seeded inputs and the losses and gradients that
# torch.nn.functional.cross_entropy computed for them in float64 (made by
# tests/data/make_torch_reference.py; torch is not a dependency, so the numbers are stored).
# PyTorch's own documentation prints no numbers for cross_entropy (its examples draw
# torch.randn); the published LogSoftmax + NLLLoss example above is the printed one.

TORCH_REFERENCE = json.loads(
    (Path(__file__).parent / "data" / "torch_cross_entropy.json").read_text()
)
TORCH_CASES = TORCH_REFERENCE["cases"]


def _torch_case_arguments(case):
    logits = np.array(case["logits"], dtype=np.float64)
    kind = np.int64 if case["target_kind"] == "index" else np.float64
    target = np.array(case["target"], dtype=kind)
    keywords = {
        "weight": case["weight"],
        "ignore_index": case["ignore_index"],
        "label_smoothing": case["label_smoothing"],
    }
    return logits, target, case["reduction"], keywords


def test_torch_reference_covers_the_grid():
    names = [case["name"] for case in TORCH_CASES]
    assert len(names) == len(set(names)) == 270
    assert {case["reduction"] for case in TORCH_CASES} == {"mean", "sum", "none"}
    assert {case["label_smoothing"] for case in TORCH_CASES} == {0.0, 0.1, 1.0}
    assert {case["target_kind"] for case in TORCH_CASES} == {"index", "probability"}
    assert {len(np.shape(case["logits"])) for case in TORCH_CASES} == {1, 2, 3}
    all_ignored = [
        case
        for case in TORCH_CASES
        if case["ignore_index"] is not None
        and np.all(np.array(case["target"]) == case["ignore_index"])
    ]
    assert any(case["reduction"] == "mean" for case in all_ignored)
    assert any(case["weight"] is not None and case["label_smoothing"] > 0 for case in all_ignored)


@pytest.mark.parametrize("case", TORCH_CASES, ids=[case["name"] for case in TORCH_CASES])
def test_loss_and_gradient_match_pytorch_to_1e_12(case):
    logits, target, reduction, keywords = _torch_case_arguments(case)
    expected_loss, expected_grad = np.array(case["loss"]), np.array(case["grad"])
    loss = cross_entropy(logits, target, reduction, **keywords)
    grad = cross_entropy_grad(logits, target, reduction, **keywords)
    both = cross_entropy_and_grad(logits, target, reduction, **keywords)
    for value in (loss, both[0]):
        assert np.shape(value) == expected_loss.shape
        np.testing.assert_allclose(value, expected_loss, rtol=1e-12, atol=0, equal_nan=True)
    for value in (grad, both[1]):
        assert value.shape == logits.shape
        np.testing.assert_allclose(value, expected_grad, rtol=1e-12, atol=0, equal_nan=True)


def test_every_example_ignored_gives_nan_mean_zero_sum_and_zero_gradient():
    # PyTorch: the mean is 0/0; the gradient of every ignored example is 0.
    logits = np.array([[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]])
    for smoothing in (0.0, 0.2):
        loss, grad = cross_entropy_and_grad(
            logits, [1, 1], ignore_index=1, label_smoothing=smoothing
        )
        assert np.isnan(loss)
        np.testing.assert_array_equal(grad, 0)
        assert cross_entropy(logits, [1, 1], "sum", ignore_index=1) == 0


def test_zero_total_weight_gives_nan_mean_and_gradient_as_pytorch():
    loss, grad = cross_entropy_and_grad([[1.0, 2.0]], [0], weight=[0.0, 1.0])
    assert np.isnan(loss)
    assert np.isnan(grad).all()


def test_label_smoothing_one_targets_the_uniform_distribution():
    rng = np.random.default_rng(10)
    logits, labels = rng.normal(size=(4, 5)), rng.integers(0, 5, size=4)
    uniform = np.full((4, 5), 0.2)
    np.testing.assert_allclose(
        cross_entropy(logits, labels, label_smoothing=1.0), cross_entropy(logits, uniform)
    )
    np.testing.assert_allclose(
        cross_entropy_grad(logits, labels, label_smoothing=1.0),
        cross_entropy_grad(logits, uniform),
        atol=1e-16,
    )


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 1.0])
def test_label_smoothing_of_indices_equals_the_smoothed_one_hot_target(smoothing):
    rng = np.random.default_rng(11)
    logits, labels = rng.normal(scale=3, size=(6, 4)), rng.integers(0, 4, size=6)
    smoothed = (1 - smoothing) * one_hot(labels, 4) + smoothing / 4
    by_index = cross_entropy_and_grad(logits, labels, "none", label_smoothing=smoothing)
    by_probs = cross_entropy_and_grad(logits, smoothed, "none")
    np.testing.assert_allclose(by_index[0], by_probs[0], rtol=1e-13)
    np.testing.assert_allclose(by_index[1], by_probs[1], rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind", ["indices", "probabilities"])
def test_weighted_smoothed_gradient_matches_central_differences(reduction, kind):
    rng = np.random.default_rng(12)
    logits = rng.normal(scale=2, size=(3, 2, 4))
    target = (
        np.array([[0, 3], [-7, 1], [2, -7]])
        if kind == "indices"
        else scipy.special.softmax(rng.normal(size=(3, 2, 4)), axis=-1)
    )
    keywords = {"weight": [0.5, 2.0, 1.0, 3.0], "label_smoothing": 0.2}
    if kind == "indices":
        keywords["ignore_index"] = -7

    def total(z):
        return np.sum(cross_entropy(z, target, reduction, **keywords))

    numeric = numerical_gradient(total, logits)
    analytic = cross_entropy_grad(logits, target, reduction, **keywords)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


# --- one pass: cross_entropy_and_grad is exactly the two separate functions --------------

KEYWORD_CASES = [
    {},
    {"label_smoothing": 0.1},
    {"weight": [1.0, 0.5, 2.0, 0.0, 1.5]},
    {"ignore_index": 2},
    {"weight": [1.0, 0.5, 2.0, 0.0, 1.5], "ignore_index": -100, "label_smoothing": 0.3},
]


@pytest.mark.parametrize("keywords", KEYWORD_CASES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_and_grad_returns_exactly_the_separate_results(keywords, reduction, dtype):
    rng = np.random.default_rng(13)
    logits = rng.normal(scale=3, size=(7, 3, 5)).astype(dtype)
    labels = rng.integers(0, 5, size=(7, 3))
    labels[0, 0] = -100
    if keywords.get("ignore_index") != -100:
        labels[0, 0] = 1
    loss, grad = cross_entropy_and_grad(logits, labels, reduction, **keywords)
    assert np.asarray(loss).dtype == grad.dtype == dtype
    np.testing.assert_array_equal(loss, cross_entropy(logits, labels, reduction, **keywords))
    np.testing.assert_array_equal(grad, cross_entropy_grad(logits, labels, reduction, **keywords))


# --- low precision: reductions accumulate in at least float32 ----------------------------

LARGE_BATCH = 70_000  # past 65,504, the largest float16


def _float64_loss_and_grad(logits, labels):
    """Reference in float64 from scipy: mean loss and gradient (softmax - onehot) / N."""
    wide = logits.astype(np.float64)
    log_probs = scipy.special.log_softmax(wide, axis=-1)
    rows = np.arange(len(labels))
    loss = -log_probs[rows, labels].mean()
    grad = np.exp(log_probs)
    grad[rows, labels] -= 1
    return loss, grad / len(labels)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("keywords", [{}, {"label_smoothing": 0.0, "weight": [1, 1, 1.0]}], ids=str)
def test_mean_loss_and_gradient_over_more_than_65504_examples(dtype, keywords):
    # Issue 10: the float16 gradient was exactly 0 here, its batch size having overflowed.
    rng = np.random.default_rng(14)
    logits = rng.normal(scale=2, size=(LARGE_BATCH, 3)).astype(dtype)
    labels = rng.integers(0, 3, size=LARGE_BATCH)
    expected_loss, expected_grad = _float64_loss_and_grad(logits, labels)
    loss, grad = cross_entropy_and_grad(logits, labels, **keywords)
    assert np.asarray(loss).dtype == grad.dtype == dtype
    eps = float(np.finfo(dtype).eps)
    assert abs(float(loss) - expected_loss) <= 4 * eps * expected_loss
    # Entries are (s - y) / N with |s - y| <= 1: each is good to a few eps / N (in float16
    # they are subnormal, about 1e-5, and eps / N is about half their spacing).
    assert np.count_nonzero(grad) > 0.9 * grad.size
    np.testing.assert_allclose(
        grad.astype(np.float64), expected_grad, rtol=4 * eps, atol=4 * eps / LARGE_BATCH
    )
    np.testing.assert_array_equal(grad, cross_entropy_grad(logits, labels, **keywords))


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_smoothed_probability_targets_over_more_than_65504_examples(dtype):
    rng = np.random.default_rng(15)
    logits = rng.normal(size=(LARGE_BATCH, 3)).astype(dtype)
    target = scipy.special.softmax(rng.normal(size=(LARGE_BATCH, 3)), axis=-1).astype(dtype)
    loss, grad = cross_entropy_and_grad(logits, target, label_smoothing=0.1)
    wide_target = 0.9 * target.astype(np.float64) + 0.1 / 3
    log_probs = scipy.special.log_softmax(logits.astype(np.float64), axis=-1)
    expected_loss = -np.sum(wide_target * log_probs) / LARGE_BATCH
    expected_grad = (np.exp(log_probs) - wide_target) / LARGE_BATCH
    eps = float(np.finfo(dtype).eps)
    assert abs(float(loss) - expected_loss) <= 4 * eps * expected_loss
    np.testing.assert_allclose(
        grad.astype(np.float64), expected_grad, rtol=4 * eps, atol=4 * eps / LARGE_BATCH
    )
    # The sum, about 77,000, is accumulated in float32 and then rounded to the input's
    # dtype: inf in float16 (its correctly rounded value), without a warning.
    total = cross_entropy(logits, target, "sum", label_smoothing=0.1)
    assert total.dtype == dtype
    if dtype == np.float16:
        assert expected_loss * LARGE_BATCH > np.finfo(np.float16).max
        assert total == np.inf
    else:
        assert float(total) == pytest.approx(expected_loss * LARGE_BATCH, rel=4 * eps)


def test_float16_sum_over_a_large_batch_is_accumulated_in_float32():
    # 70,000 losses of about 0.02 sum to about 1400: fine in float16, but a float16
    # running sum would stall once its spacing exceeds the terms (at 64, spacing 0.06).
    logits = np.tile(np.array([[4.0, 0.0, 0.0]], dtype=np.float16), (LARGE_BATCH, 1))
    labels = np.zeros(LARGE_BATCH, dtype=int)
    single = -scipy.special.log_softmax([4.0, 0.0, 0.0])[0]
    total = cross_entropy(logits, labels, "sum")
    assert total.dtype == np.float16
    assert float(total) == pytest.approx(LARGE_BATCH * single, rel=2e-3)


# --- argument checks of the keywords ---------------------------------------------------


@pytest.mark.parametrize("function", [cross_entropy, cross_entropy_grad, cross_entropy_and_grad])
@pytest.mark.parametrize("value", [-0.1, 1.5, np.nan, np.inf])
def test_label_smoothing_outside_zero_one_is_rejected(function, value):
    with pytest.raises(ValueError, match=r"label_smoothing must lie in \[0, 1\]"):
        function(PUBLISHED_LOGITS, PUBLISHED_LABELS, label_smoothing=value)


@pytest.mark.parametrize("value", ["0.1", None, True, [0.1]])
def test_label_smoothing_that_is_not_a_number_is_a_type_error(value):
    with pytest.raises(TypeError, match="label_smoothing must be a real number"):
        cross_entropy(PUBLISHED_LOGITS, PUBLISHED_LABELS, label_smoothing=value)


@pytest.mark.parametrize("function", [cross_entropy, cross_entropy_grad, cross_entropy_and_grad])
@pytest.mark.parametrize("weight", [[1.0, 2.0], [[1.0, 2.0, 3.0]], 1.0])
def test_weight_of_the_wrong_shape_names_both_shapes(function, weight):
    with pytest.raises(ValueError, match=r"weight must have one entry per class: shape \(3,\)"):
        function(PUBLISHED_LOGITS, PUBLISHED_LABELS, weight=weight)


@pytest.mark.parametrize("weight", [[1.0, -2.0, 1.0], [1.0, np.nan, 1.0], [np.inf, 1.0, 1.0]])
def test_negative_or_non_finite_weight_is_rejected(weight):
    with pytest.raises(ValueError, match="weight must be"):
        cross_entropy(PUBLISHED_LOGITS, PUBLISHED_LABELS, weight=weight)


def test_negative_weight_names_its_position():
    with pytest.raises(ValueError, match=r"non-negative, got -2.0 at weight\[1\]"):
        cross_entropy(PUBLISHED_LOGITS, PUBLISHED_LABELS, weight=[1.0, -2.0, 1.0])


@pytest.mark.parametrize("weight", [["a", "b", "c"], [1j, 1, 1], [True, False, True]])
def test_non_real_weight_is_a_type_error(weight):
    with pytest.raises(TypeError, match="weight"):
        cross_entropy(PUBLISHED_LOGITS, PUBLISHED_LABELS, weight=weight)


@pytest.mark.parametrize("function", [cross_entropy, cross_entropy_grad, cross_entropy_and_grad])
@pytest.mark.parametrize("ignore_index", [-100, 0])
def test_ignore_index_with_probability_targets_is_rejected(function, ignore_index):
    with pytest.raises(ValueError, match="ignore_index applies to class-index targets only"):
        function(PUBLISHED_LOGITS, one_hot(PUBLISHED_LABELS, 3), ignore_index=ignore_index)


@pytest.mark.parametrize("ignore_index", [1.0, "1", True, [1]])
def test_ignore_index_that_is_not_an_integer_is_a_type_error(ignore_index):
    with pytest.raises(TypeError, match="ignore_index must be an integer"):
        cross_entropy(PUBLISHED_LOGITS, PUBLISHED_LABELS, ignore_index=ignore_index)


def test_ignore_index_may_lie_outside_the_classes_but_other_indices_may_not():
    assert np.isfinite(cross_entropy(PUBLISHED_LOGITS, [2, -100], ignore_index=-100))
    assert np.isfinite(cross_entropy(PUBLISHED_LOGITS, [2, -100], ignore_index=np.int64(-100)))
    with pytest.raises(IndexError, match=r"class index -100 at target\[1\].*ignore_index = -1"):
        cross_entropy(PUBLISHED_LOGITS, [2, -100], ignore_index=-1)


# --- the fast path (class indices, no weight, no smoothing) against the general one -----
#
# A weight of ones takes the general path (log_softmax, then the formulas); the fast path
# fuses the softmax and the loss block by block. Both must agree everywhere fast paths
# hide bugs: several blocks, non-finite logits in a late block, layouts, dtypes.


def _general_path(logits, labels, reduction, **keywords):
    ones = np.ones(np.shape(logits)[-1])
    return cross_entropy_and_grad(logits, labels, reduction, weight=ones, **keywords)


def _assert_paths_agree(logits, labels, reduction="mean", rtol=1e-13, **keywords):
    fast = cross_entropy_and_grad(logits, labels, reduction, **keywords)
    general = _general_path(logits, labels, reduction, **keywords)
    for ours, theirs in zip(fast, general, strict=True):
        assert np.asarray(ours).dtype == np.asarray(theirs).dtype
        # The general path computes s_t - 1 with cancellation, the fast one does not:
        # entries agree to rtol relative to the largest entry (1 / N, or 1).
        wide = np.asarray(theirs, dtype=np.float64)
        scale = np.max(np.abs(wide[np.isfinite(wide)]), initial=0)
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale, equal_nan=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_fast_path_over_many_blocks_with_non_finite_logits_late(reduction):
    rng = np.random.default_rng(16)
    logits = rng.normal(scale=5, size=(30_000, 7))
    labels = rng.integers(0, 7, size=30_000)
    logits[-5, 3] = np.inf
    logits[-4, :2] = np.inf
    logits[-3, 1] = np.nan
    logits[-2, :] = -np.inf
    logits[-1, labels[-1]] = -np.inf
    logits[-6] += 1e300
    _assert_paths_agree(logits, labels, reduction)
    losses = cross_entropy(logits, labels, "none")
    assert np.isnan(losses[-3]) and np.isinf(losses[-1])
    assert np.isfinite(losses[:-5]).all()


@pytest.mark.parametrize("shape", [(9, 4, 5), (3, 200, 300), (70_001, 2), (5,)])
def test_fast_path_matches_scipy_for_batched_and_unbatched_logits(shape):
    rng = np.random.default_rng(17)
    logits = rng.normal(scale=4, size=shape)
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    picked = np.take_along_axis(
        scipy.special.log_softmax(logits, axis=-1), np.asarray(labels)[..., None], axis=-1
    )[..., 0]
    grad = scipy.special.softmax(logits, axis=-1)
    np.put_along_axis(
        grad, np.asarray(labels)[..., None], 0, axis=-1
    )  # off-target entries are s_j; the target entry is s_t - 1 = -(sum of the others)
    np.put_along_axis(grad, np.asarray(labels)[..., None], -grad.sum(-1, keepdims=True), -1)
    loss, ours = cross_entropy_and_grad(logits, labels, "sum")
    np.testing.assert_allclose(loss, -picked.sum(), rtol=1e-12)
    np.testing.assert_allclose(ours, grad, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("layout", ["strided rows", "transposed", "reversed", "read-only"])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_fast_path_on_non_contiguous_and_read_only_logits(layout, dtype):
    rng = np.random.default_rng(18)
    base = rng.normal(scale=3, size=(2000, 80)).astype(dtype)
    logits = {
        "strided rows": base[::3, ::2],
        "transposed": base[:40].T,
        "reversed": base[::-1, ::-1],
        "read-only": base,
    }[layout]
    if layout == "read-only":
        logits = logits.copy()
        logits.flags.writeable = False
    labels = rng.integers(0, logits.shape[-1], size=logits.shape[0])
    contiguous = np.ascontiguousarray(logits)
    for reduction in REDUCTIONS:
        fast = cross_entropy_and_grad(logits, labels, reduction)
        reference = cross_entropy_and_grad(contiguous, labels, reduction)
        np.testing.assert_array_equal(fast[0], reference[0])
        np.testing.assert_array_equal(fast[1], reference[1])
    _assert_paths_agree(logits, labels, rtol=4 * float(np.finfo(dtype).eps))


def test_fast_path_loss_of_a_confident_correct_prediction_keeps_relative_accuracy():
    # -log s_t = log1p(e^-40 + e^-45) when the target holds the max: about 4.25e-18,
    # which log(sum of exps) would round to exactly 0.
    logits = np.array([[40.0, 0.0, -5.0]])
    expected = np.log1p(np.exp(-40.0) + np.exp(-45.0))
    loss, grad = cross_entropy_and_grad(logits, [0])
    assert loss == pytest.approx(expected, rel=1e-15)
    assert grad[0, 0] == pytest.approx(-expected, rel=1e-14)  # s_t - 1 without cancellation

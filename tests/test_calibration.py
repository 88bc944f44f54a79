"""Reliability bins, expected calibration error and temperature fitting.

References: the ECE written as a loop over bins, straight from Guo et al.'s
definition; the fitted temperature against SciPy's bounded scalar
minimiser of the same negative log-likelihood.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
import scipy.special

import softmax_notes as sn

FLOAT_DTYPES = [np.float16, np.float32, np.float64, np.longdouble]


def ece_reference(probs: np.ndarray, labels: np.ndarray, n_bins: int) -> float:
    """Guo et al. (2017), eq. (3): sum over bins of |B|/n |acc(B) - conf(B)|, bins (m-1)/M..m/M."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    total = 0.0
    for m in range(1, n_bins + 1):
        low, high = (m - 1) / n_bins, m / n_bins
        in_bin = (confidence > low) & (confidence <= high)
        if m == 1:
            in_bin |= confidence == 0
        if in_bin.any():
            gap = abs(correct[in_bin].mean() - confidence[in_bin].mean())
            total += in_bin.sum() / len(labels) * gap
    return total


def random_predictions(seed: int, n: int = 500, k: int = 5):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=3.0, size=(n, k))
    labels = np.array([rng.choice(k, p=p) for p in scipy.special.softmax(logits / 2, axis=1)])
    return logits, labels


# --- reliability bins and ECE --------------------------------------------------------------


@pytest.mark.parametrize("n_bins", [1, 5, 10, 15])
def test_ece_matches_the_definition(n_bins):
    logits, labels = random_predictions(0)
    probs = sn.softmax(logits)
    assert sn.expected_calibration_error(probs, labels, n_bins) == pytest.approx(
        ece_reference(probs, labels, n_bins), abs=1e-12
    )


def test_bins_partition_the_examples_and_average_within_each_bin():
    logits, labels = random_predictions(1)
    probs = sn.softmax(logits)
    bins = sn.reliability_bins(probs, labels, n_bins=10)
    assert bins.count.sum() == len(labels)
    np.testing.assert_allclose(bins.edges, np.linspace(0, 1, 11))
    confidence = probs.max(axis=1)
    for b in np.flatnonzero(bins.count):
        inside = (confidence > bins.edges[b]) & (confidence <= bins.edges[b + 1])
        assert inside.sum() == bins.count[b]
        assert bins.confidence[b] == pytest.approx(confidence[inside].mean(), rel=1e-12)
    empty = bins.count == 0
    assert np.isnan(bins.confidence[empty]).all() and np.isnan(bins.accuracy[empty]).all()


def test_a_confidence_on_a_bin_edge_falls_in_the_lower_bin():
    probs = np.array([[0.5, 0.5], [0.75, 0.25]])
    bins = sn.reliability_bins(probs, [0, 0], n_bins=4)
    assert bins.count.tolist() == [0, 1, 1, 0]


def test_calibrated_by_construction_gives_a_small_ece_and_overconfidence_a_large_one():
    rng = np.random.default_rng(2)
    probs = sn.softmax(rng.normal(scale=2.0, size=(20_000, 4)))
    labels = np.array([rng.choice(4, p=p) for p in probs])
    assert sn.expected_calibration_error(probs, labels) < 0.02
    sharpened = sn.softmax(3 * np.log(probs))
    assert sn.expected_calibration_error(sharpened, labels) > 0.1


def test_ece_of_one_hot_predictions_is_the_error_rate():
    labels = np.array([0, 1, 2, 0])
    predictions = np.eye(3)[[0, 1, 0, 0]]
    assert sn.expected_calibration_error(predictions, labels) == 0.25


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_every_float_dtype_gives_the_float64_answer_for_the_same_values(dtype):
    logits, labels = random_predictions(3)
    probs = sn.softmax(logits).astype(dtype)
    exact = probs.astype(np.float64)
    assert sn.expected_calibration_error(probs, labels) == pytest.approx(
        sn.expected_calibration_error(exact, labels), abs=1e-12
    )


def test_more_examples_than_the_float16_range_are_counted_and_averaged_exactly():
    n = 70_000
    probs = np.tile(np.array([[0.75, 0.25]], dtype=np.float16), (n, 1))
    labels = np.zeros(n, dtype=int)
    labels[: n // 4] = 1  # accuracy 0.75: calibrated
    bins = sn.reliability_bins(probs, labels, n_bins=10)
    assert bins.count.sum() == n
    assert sn.expected_calibration_error(probs, labels, n_bins=10) == pytest.approx(0, abs=1e-12)


def test_batch_axes_are_flattened():
    logits, labels = random_predictions(4, n=60)
    probs = sn.softmax(logits)
    assert sn.expected_calibration_error(
        probs.reshape(3, 20, 5), labels.reshape(3, 20)
    ) == pytest.approx(sn.expected_calibration_error(probs, labels), abs=1e-15)


def test_zero_examples_give_nan_and_empty_bins():
    assert np.isnan(sn.expected_calibration_error(np.zeros((0, 3)), np.zeros(0, dtype=int)))
    bins = sn.reliability_bins(np.zeros((0, 3)), np.zeros(0, dtype=int), n_bins=3)
    assert bins.count.tolist() == [0, 0, 0]


@pytest.mark.parametrize(
    ("probs", "labels", "error", "match"),
    [
        ([[0.5, np.nan]], [0], ValueError, "NaN"),
        ([[1.5, -0.5]], [0], ValueError, r"\[0, 1\]"),
        ([[0.5, 0.5]], [2], IndexError, "class indices"),
        ([[0.5, 0.5]], [0.0], TypeError, "integer class indices"),
        ([[0.5, 0.5]], [0, 1], ValueError, "shape"),
        ([[0.5 + 0j, 0.5]], [0], TypeError, "probs must be real"),
        (np.zeros((2, 0)), [0, 0], ValueError, "no classes"),
    ],
)
def test_bad_input_raises_an_error_that_names_it(probs, labels, error, match):
    with pytest.raises(error, match=match):
        sn.expected_calibration_error(probs, labels)


def test_bad_bin_counts_and_masked_arrays_are_rejected():
    with pytest.raises(ValueError, match="n_bins"):
        sn.reliability_bins([[0.5, 0.5]], [0], n_bins=0)
    with pytest.raises(TypeError, match="n_bins"):
        sn.reliability_bins([[0.5, 0.5]], [0], n_bins=2.0)
    masked = np.ma.masked_array([[0.6, 0.4]], mask=[[True, False]])
    with pytest.raises(TypeError, match="masked"):
        sn.expected_calibration_error(masked, [0])


# --- temperature fitting -------------------------------------------------------------------


def nll(logits, labels, temperature):
    return sn.cross_entropy(logits / temperature, labels)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fitted_temperature_minimises_the_nll_like_scipy(seed):
    logits, labels = random_predictions(seed)
    fitted = sn.fit_temperature(logits, labels)
    reference = scipy.optimize.minimize_scalar(
        lambda t: nll(logits, labels, t), bounds=(0.05, 50), method="bounded",
        options={"xatol": 1e-10},
    ).x
    assert fitted == pytest.approx(reference, rel=1e-6)
    for nearby in (fitted * 0.99, fitted * 1.01):
        assert nll(logits, labels, fitted) < nll(logits, labels, nearby)


def test_the_derivative_of_the_nll_vanishes_at_the_fitted_temperature():
    logits, labels = random_predictions(5)
    fitted = sn.fit_temperature(logits, labels)
    slope = sn.numerical_gradient(lambda t: nll(logits, labels, t[0]), np.array([fitted]))[0]
    assert abs(slope) < 1e-8


def test_overconfident_logits_get_a_temperature_above_one_and_scaling_undoes_it():
    logits, labels = random_predictions(6)
    # random_predictions draws labels from softmax(logits / 2): T = 2 is right.
    assert sn.fit_temperature(logits, labels) == pytest.approx(2, rel=0.15)
    assert sn.fit_temperature(3 * logits, labels) == pytest.approx(
        3 * sn.fit_temperature(logits, labels), rel=1e-9
    )


def test_temperature_scaling_changes_no_prediction():
    logits, labels = random_predictions(7)
    fitted = sn.fit_temperature(logits, labels)
    np.testing.assert_array_equal(np.argmax(logits / fitted, axis=1), np.argmax(logits, axis=1))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_every_float_dtype_fits_in_float64(dtype):
    logits, labels = random_predictions(8)
    low = logits.astype(dtype)
    assert sn.fit_temperature(low, labels) == pytest.approx(
        sn.fit_temperature(low.astype(np.float64), labels), rel=1e-12
    )


def test_float16_logits_of_more_examples_than_the_float16_range():
    logits, labels = random_predictions(9, n=70_000, k=3)
    low = logits.astype(np.float16)
    assert sn.fit_temperature(low, labels) == pytest.approx(
        sn.fit_temperature(low.astype(np.float64), labels), rel=1e-12
    )


def test_negative_infinity_on_other_classes_is_allowed():
    logits, labels = random_predictions(10, k=4)
    masked = logits.copy()
    for row, label in zip(masked, labels, strict=True):
        row[(label + 1) % 4] = -np.inf
    fitted = sn.fit_temperature(masked, labels)
    assert np.isfinite(fitted) and fitted > 0
    assert nll(masked, labels, fitted) < nll(masked, labels, fitted * 1.01)


def test_no_minimiser_raises_and_says_which_way_the_nll_falls():
    all_correct = np.array([[2.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="T -> 0"):
        sn.fit_temperature(all_correct, [0, 1])
    all_wrong = np.array([[0.0, 2.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="T -> inf"):
        sn.fit_temperature(all_wrong, [0, 1])


@pytest.mark.parametrize(
    ("logits", "labels", "match"),
    [
        ([[1.0, np.nan]], [0], "NaN"),
        ([[1.0, np.inf]], [0], r"\+inf"),
        ([[-np.inf, 0.0], [1.0, 0.0]], [0, 0], "-inf"),
        (np.zeros((0, 3)), np.zeros(0, dtype=int), "at least one example"),
    ],
)
def test_degenerate_logits_raise(logits, labels, match):
    with pytest.raises(ValueError, match=match):
        sn.fit_temperature(logits, labels)

"""Temperature, sparsemax and the Gumbel-softmax, each against an independent formulation."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import softmax_notes as sn

finite_logits = arrays(
    np.float64,
    st.integers(1, 12),
    elements=st.floats(-50, 50, allow_nan=False, allow_infinity=False),
)


def simplex_projection_by_bisection(z: np.ndarray) -> np.ndarray:
    """argmin_{p in simplex} ||p - z||: find theta with sum(max(z - theta, 0)) = 1 by bisection.

    The sum is continuous and decreasing in theta, at least 1 at max(z) - 1 and 0 at max(z).
    """
    low, high = np.max(z) - 1.0, np.max(z)
    for _ in range(200):
        middle = (low + high) / 2
        if np.sum(np.maximum(z - middle, 0)) > 1:
            low = middle
        else:
            high = middle
    return np.maximum(z - (low + high) / 2, 0)


# Temperature


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0, 3.0, 100.0])
def test_temperature_softmax_matches_scipy_on_divided_logits(temperature):
    logits = np.random.default_rng(0).normal(size=(4, 7))
    np.testing.assert_allclose(
        sn.softmax_with_temperature(logits, temperature),
        scipy.special.softmax(logits / temperature, axis=-1),
        rtol=1e-12,
    )


def test_temperature_one_is_plain_softmax():
    logits = np.array([[2.0, 0.5, 6.0], [0.1, 0.0, 3.0]])
    np.testing.assert_allclose(sn.softmax_with_temperature(logits, 1), sn.softmax(logits))


def test_tiny_temperature_gives_one_hot_argmax_without_overflow():
    logits = np.array([1.0, 5.0, -2.0, 4.999])
    np.testing.assert_array_equal(sn.softmax_with_temperature(logits, 1e-300), [0, 1, 0, 0])


def test_tiny_temperature_shares_mass_between_tied_maxima():
    np.testing.assert_array_equal(
        sn.softmax_with_temperature([3.0, 1.0, 3.0], 1e-300), [0.5, 0, 0.5]
    )


def test_huge_temperature_gives_uniform():
    np.testing.assert_allclose(sn.softmax_with_temperature([1.0, 5.0, -2.0], 1e300), [1 / 3] * 3)


def test_temperature_respects_axis_and_keeps_float32():
    logits = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
    probs = sn.softmax_with_temperature(logits, 2.0, axis=0)
    assert probs.dtype == np.float32
    np.testing.assert_allclose(probs, scipy.special.softmax(logits / 2, axis=0), rtol=1e-6)


@pytest.mark.parametrize("temperature", [0.0, -1.0, np.inf, np.nan, -np.inf])
def test_non_positive_or_non_finite_temperature_is_a_value_error(temperature):
    with pytest.raises(ValueError, match="temperature"):
        sn.softmax_with_temperature([1.0, 2.0], temperature)


@pytest.mark.parametrize("temperature", ["1", True, None, [1.0]])
def test_non_numeric_temperature_is_a_type_error(temperature):
    with pytest.raises(TypeError, match="temperature"):
        sn.softmax_with_temperature([1.0, 2.0], temperature)


@settings(max_examples=60, deadline=None)
@given(finite_logits, st.floats(0.05, 20), st.floats(0.05, 20))
def test_entropy_does_not_decrease_with_temperature(logits, low, high):
    low, high = min(low, high), max(low, high)
    entropies = [
        scipy.special.entr(sn.softmax_with_temperature(logits, t)).sum() for t in (low, high)
    ]
    assert entropies[0] <= entropies[1] + 1e-12


# Sparsemax


@settings(max_examples=150, deadline=None)
@given(finite_logits)
def test_sparsemax_is_the_euclidean_projection_onto_the_simplex(logits):
    np.testing.assert_allclose(
        sn.sparsemax(logits), simplex_projection_by_bisection(logits), atol=1e-12
    )


@settings(max_examples=100, deadline=None)
@given(finite_logits)
def test_sparsemax_is_a_distribution_with_exact_zeros_below_the_threshold(logits):
    probs = sn.sparsemax(logits)
    assert np.all(probs >= 0)
    np.testing.assert_allclose(probs.sum(), 1, rtol=1e-12)
    # Every zero is exact, and the largest logit is always in the support.
    assert probs[np.argmax(logits)] > 0
    kept = probs > 0
    if not kept.all():
        assert np.max(logits[~kept]) <= np.min(logits[kept])


def test_sparsemax_of_small_examples_worked_by_hand():
    np.testing.assert_array_equal(sn.sparsemax([1.0, 0.5, -1.0]), [0.75, 0.25, 0])
    np.testing.assert_array_equal(sn.sparsemax([3.0, 0.0, 0.0]), [1, 0, 0])
    np.testing.assert_allclose(sn.sparsemax([0.0, 0.0]), [0.5, 0.5])


def test_sparsemax_is_shift_invariant_and_batched_along_axis():
    logits = np.random.default_rng(2).normal(size=(5, 4))
    expected = np.stack([simplex_projection_by_bisection(column) for column in logits.T], axis=1)
    np.testing.assert_allclose(sn.sparsemax(logits, axis=0), expected, atol=1e-12)
    np.testing.assert_allclose(sn.sparsemax(logits + 1e3, axis=0), expected, atol=1e-9)


def test_sparsemax_non_finite_rules_follow_softmax():
    np.testing.assert_array_equal(sn.sparsemax([0.0, -np.inf, 0.0]), [0.5, 0, 0.5])
    np.testing.assert_array_equal(sn.sparsemax([1.0, np.inf]), [0, 1])
    np.testing.assert_allclose(sn.sparsemax([-np.inf, -np.inf]), [0.5, 0.5])
    probs = sn.sparsemax([[1.0, np.nan], [1.0, 2.0]])
    assert np.isnan(probs[0]).all()
    np.testing.assert_array_equal(probs[1], [0, 1])


def test_sparsemax_keeps_float32_and_handles_empty_input():
    assert sn.sparsemax(np.zeros(3, dtype=np.float32)).dtype == np.float32
    assert sn.sparsemax(np.zeros((2, 0))).shape == (2, 0)


def test_sparsemax_rejects_a_tuple_axis():
    with pytest.raises(TypeError, match="single int"):
        sn.sparsemax(np.zeros((2, 3)), axis=(0, 1))


@pytest.mark.parametrize("seed", range(5))
def test_sparsemax_jacobian_matches_central_differences(seed):
    logits = np.random.default_rng(seed).normal(size=6)
    probs = sn.sparsemax(logits)
    theta = np.mean((logits - probs)[probs > 0])
    # Central differences are valid away from the kinks, where a logit meets the threshold.
    assert np.min(np.abs(logits - theta)) > 1e-4
    np.testing.assert_allclose(
        sn.sparsemax_jacobian(logits), sn.numerical_gradient(sn.sparsemax, logits), atol=1e-8
    )


def test_sparsemax_jacobian_is_a_symmetric_projection_and_its_jvp_needs_no_matrix():
    rng = np.random.default_rng(7)
    logits, direction = rng.normal(size=(3, 8)), rng.normal(size=(3, 8))
    jacobian = sn.sparsemax_jacobian(logits)
    np.testing.assert_allclose(jacobian, np.swapaxes(jacobian, -1, -2))
    np.testing.assert_allclose(jacobian @ jacobian, jacobian, atol=1e-15)
    support = (sn.sparsemax(logits) > 0).astype(float)
    jvp = support * (
        direction - (support * direction).sum(-1, keepdims=True) / support.sum(-1, keepdims=True)
    )
    np.testing.assert_allclose(np.einsum("bij,bj->bi", jacobian, direction), jvp, atol=1e-15)


def test_sparsemax_jacobian_moves_the_axis_last():
    assert sn.sparsemax_jacobian(np.zeros((2, 5, 3)), axis=1).shape == (2, 3, 5, 5)


# Gumbel-max and Gumbel-softmax


def test_gumbel_argmax_frequencies_follow_softmax_within_five_standard_errors():
    logits = np.array([1.0, 2.0, 0.5, -1.0])
    draws = 200_000
    samples = sn.gumbel_argmax(np.broadcast_to(logits, (draws, 4)), np.random.default_rng(0))
    frequencies = np.bincount(samples, minlength=4) / draws
    probs = scipy.special.softmax(logits)
    standard_errors = np.sqrt(probs * (1 - probs) / draws)
    assert np.all(np.abs(frequencies - probs) < 5 * standard_errors)


def test_gumbel_argmax_never_draws_a_minus_infinity_logit():
    samples = sn.gumbel_argmax(
        np.broadcast_to([0.0, -np.inf, 0.0], (1000, 3)), np.random.default_rng(1)
    )
    assert not np.any(samples == 1)


def test_gumbel_softmax_is_reproducible_with_a_seed_and_lies_on_the_simplex():
    logits = np.random.default_rng(3).normal(size=(10, 5))
    first = sn.gumbel_softmax(logits, 0.7, np.random.default_rng(42))
    second = sn.gumbel_softmax(logits, 0.7, np.random.default_rng(42))
    np.testing.assert_array_equal(first, second)
    assert np.all(first >= 0)
    np.testing.assert_allclose(first.sum(axis=-1), 1)


def test_gumbel_softmax_is_softmax_of_logits_plus_the_same_gumbel_noise():
    logits = np.random.default_rng(4).normal(size=(6, 3))
    noise = np.random.default_rng(9).gumbel(size=logits.shape)
    np.testing.assert_allclose(
        sn.gumbel_softmax(logits, 0.5, np.random.default_rng(9)),
        scipy.special.softmax((logits + noise) / 0.5, axis=-1),
        rtol=1e-12,
    )


def test_hard_gumbel_softmax_is_the_one_hot_of_the_soft_samples_argmax():
    logits = np.random.default_rng(5).normal(size=(8, 4))
    soft = sn.gumbel_softmax(logits, 1.0, np.random.default_rng(6))
    hard = sn.gumbel_softmax(logits, 1.0, np.random.default_rng(6), hard=True)
    np.testing.assert_array_equal(hard, np.eye(4)[np.argmax(soft, axis=-1)])


def test_gumbel_softmax_at_low_temperature_is_the_gumbel_max_sample():
    logits = np.random.default_rng(7).normal(size=(50, 4))
    soft = sn.gumbel_softmax(logits, 1e-6, np.random.default_rng(8))
    winners = sn.gumbel_argmax(logits, np.random.default_rng(8))
    np.testing.assert_allclose(soft, np.eye(4)[winners], atol=1e-12)


def test_gumbel_functions_require_a_numpy_generator():
    with pytest.raises(TypeError, match="Generator"):
        sn.gumbel_softmax([1.0, 2.0], 1.0, rng=0)
    with pytest.raises(TypeError, match="Generator"):
        sn.gumbel_argmax([1.0, 2.0], np.random.RandomState(0))


def test_gumbel_softmax_checks_its_temperature():
    with pytest.raises(ValueError, match="temperature"):
        sn.gumbel_softmax([1.0, 2.0], 0.0, np.random.default_rng(0))

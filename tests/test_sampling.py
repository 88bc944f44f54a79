"""Temperature, top-k and top-p sampling, against brute-force references and by chi-square tests.

The references sort each row in plain Python and apply the definitions
word for word; the sampler is checked by its frequencies (a seeded
chi-square test) against the exact distribution it claims to draw from.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import softmax_notes as sn

FLOAT_DTYPES = [np.float16, np.float32, np.float64, np.longdouble]

rows = arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(1, 9)),
    elements=st.floats(-20, 20, allow_nan=False, allow_infinity=False),
)


def top_k_reference(row: np.ndarray, k: int) -> np.ndarray:
    """Keep every entry at least as large as the k-th largest (ties kept)."""
    kth = sorted(row, reverse=True)[min(k, len(row)) - 1]
    return np.array([v if v >= kth else -np.inf for v in row])


def top_p_reference(row: np.ndarray, p: float) -> np.ndarray:
    """Keep i when the mass of the strictly more probable tokens is below p."""
    probs = scipy.special.softmax(row)
    keep = [probs[probs > probs[i]].sum() < p for i in range(len(row))]
    return np.where(keep, row, -np.inf)


# --- top-k ---------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(rows, st.integers(1, 10))
def test_top_k_matches_the_definition_row_by_row(logits, k):
    expected = np.array([top_k_reference(row, k) for row in logits])
    np.testing.assert_array_equal(sn.top_k_filter(logits, k), expected)


def test_top_k_keeps_ties_with_the_kth_largest():
    np.testing.assert_array_equal(
        sn.top_k_filter([1.0, 2.0, 2.0, 0.5], 2), [-np.inf, 2.0, 2.0, -np.inf]
    )
    np.testing.assert_array_equal(sn.top_k_filter([3.0, 1.0, 1.0, 1.0], 2), [3.0, 1.0, 1.0, 1.0])


def test_top_k_at_least_the_number_of_classes_keeps_everything():
    logits = np.array([0.3, -1.0, 2.0])
    np.testing.assert_array_equal(sn.top_k_filter(logits, 3), logits)
    np.testing.assert_array_equal(sn.top_k_filter(logits, 50), logits)


def test_top_k_along_another_axis():
    logits = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(
        sn.top_k_filter(logits, 2, axis=0), sn.top_k_filter(logits.T, 2).T
    )


# --- top-p ---------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(rows, st.floats(0.01, 1.0))
def test_top_p_matches_the_definition_row_by_row(logits, p):
    # Away from the edges, where a running sum that equals p exactly could
    # round either way, the filter is the definition.
    probs = scipy.special.softmax(logits, axis=-1)
    for row in probs:
        sums = np.cumsum(np.sort(row)[::-1])
        if np.any(np.abs(sums - p) < 1e-9):
            return
    expected = np.array([top_p_reference(row, p) for row in logits])
    np.testing.assert_array_equal(sn.top_p_filter(logits, p), expected)


def test_top_p_agrees_with_the_sorted_cumulative_sum_implementation_without_ties():
    # Hugging Face's TopPLogitsWarper: sort ascending, drop where the
    # cumulative probability is at most 1 - p (keeping at least one token).
    logits = np.random.default_rng(1).normal(scale=2.0, size=(200, 30))
    for p in (0.1, 0.5, 0.9, 0.99):
        order = np.argsort(logits, axis=-1)
        ascending = np.take_along_axis(scipy.special.softmax(logits, axis=-1), order, axis=-1)
        drop_sorted = np.cumsum(ascending, axis=-1) <= 1 - p
        drop_sorted[:, -1] = False
        drop = np.zeros_like(drop_sorted)
        np.put_along_axis(drop, order, drop_sorted, axis=-1)
        np.testing.assert_array_equal(
            sn.top_p_filter(logits, p), np.where(drop, -np.inf, logits)
        )


def test_top_p_keeps_the_smallest_nucleus_and_always_the_most_probable_token():
    logits = np.log([0.5, 0.2, 0.25, 0.05])
    kept = lambda p: np.isfinite(sn.top_p_filter(logits, p)).tolist()  # noqa: E731
    assert kept(1e-9) == [True, False, False, False]
    assert kept(0.5) == [True, False, False, False]
    assert kept(0.51) == [True, False, True, False]
    assert kept(0.75) == [True, False, True, False]
    assert kept(0.76) == [True, True, True, False]
    assert kept(1.0) == [True, True, True, True]


def test_top_p_keeps_ties_at_the_edge_together():
    logits = np.log([0.4, 0.3, 0.3])
    np.testing.assert_array_equal(np.isfinite(sn.top_p_filter(logits, 0.5)), [True, True, True])


# --- the sampling distribution and the sampler ---------------------------------------------


@settings(max_examples=100, deadline=None)
@given(rows, st.floats(0.1, 10), st.integers(1, 10), st.floats(0.05, 1.0))
def test_sampling_probs_is_softmax_of_the_filtered_tempered_logits(logits, t, k, p):
    tempered = logits / t
    expected = scipy.special.softmax(
        sn.top_p_filter(sn.top_k_filter(tempered, k), p), axis=-1
    )
    np.testing.assert_allclose(
        sn.sampling_probs(logits, temperature=t, top_k=k, top_p=p), expected, atol=1e-15
    )


def test_top_p_depends_on_temperature_and_top_k_does_not():
    logits = np.log([0.5, 0.2, 0.25, 0.05])
    assert np.count_nonzero(sn.sampling_probs(logits, top_p=0.7)) == 2
    assert np.count_nonzero(sn.sampling_probs(logits, temperature=2.0, top_p=0.7)) == 3
    for t in (0.1, 1.0, 10.0):
        assert np.count_nonzero(sn.sampling_probs(logits, temperature=t, top_k=2)) == 2


@pytest.mark.parametrize(
    "options",
    [{}, {"temperature": 0.7}, {"top_k": 3}, {"top_p": 0.8}, {"temperature": 1.5, "top_p": 0.9}],
)
def test_sampled_frequencies_pass_a_chi_square_test_against_the_exact_distribution(options):
    logits = np.array([2.0, 1.0, 0.5, 0.0, -1.0, -3.0])
    probs = sn.sampling_probs(logits, **options)
    draws = 100_000
    samples = sn.sample_logits(
        np.broadcast_to(logits, (draws, 6)), np.random.default_rng(14), **options
    )
    counts = np.bincount(samples, minlength=6)
    support = probs > 0
    assert np.all(counts[~support] == 0)
    result = scipy.stats.chisquare(counts[support], draws * probs[support])
    assert result.pvalue > 0.001


def test_sample_logits_any_batch_shape_and_axis():
    logits = np.random.default_rng(2).normal(size=(2, 3, 5))
    assert sn.sample_logits(logits, np.random.default_rng(0)).shape == (2, 3)
    assert sn.sample_logits(logits, np.random.default_rng(0), axis=1).shape == (2, 5)
    assert sn.sample_logits(logits[0, 0], np.random.default_rng(0)).shape == ()


def test_sample_logits_is_reproducible_with_a_seeded_generator():
    logits = np.random.default_rng(3).normal(size=(50, 8))
    first = sn.sample_logits(logits, np.random.default_rng(7), top_p=0.9)
    second = sn.sample_logits(logits, np.random.default_rng(7), top_p=0.9)
    np.testing.assert_array_equal(first, second)


def test_dropped_tokens_and_negative_infinity_logits_are_never_drawn():
    logits = np.array([0.0, -np.inf, 0.0, -1.0])
    samples = sn.sample_logits(np.broadcast_to(logits, (20_000, 4)), np.random.default_rng(4))
    assert not np.any(samples == 1)
    samples = sn.sample_logits(
        np.broadcast_to(logits, (20_000, 4)), np.random.default_rng(4), top_k=2
    )
    assert set(np.unique(samples)) == {0, 2}


# --- edge rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_every_float_dtype_is_kept(dtype):
    logits = np.array([[1.0, 3.0, 2.0, 0.5]], dtype=dtype)
    assert sn.top_k_filter(logits, 2).dtype == dtype
    assert sn.top_p_filter(logits, 0.5).dtype == dtype
    probs = sn.sampling_probs(logits, temperature=0.5, top_k=3)
    assert probs.dtype == dtype
    np.testing.assert_allclose(probs.astype(np.float64).sum(), 1, rtol=2e-3)


def test_integers_become_float64():
    assert sn.top_k_filter([1, 3, 2], 1).dtype == np.float64
    assert sn.sampling_probs([1, 3, 2]).dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_rows_longer_than_the_float16_range_decide_as_in_float64(dtype):
    # 70,000 tokens: the running sum of the top-p filter would stall or
    # overflow if it were kept in float16; decisions are made in float64.
    logits = np.random.default_rng(5).normal(scale=3.0, size=70_000).astype(dtype)
    exact = logits.astype(np.float64)
    for p in (0.3, 0.9):
        np.testing.assert_array_equal(
            np.isfinite(sn.top_p_filter(logits, p)), np.isfinite(sn.top_p_filter(exact, p))
        )
    probs = sn.sampling_probs(logits, temperature=0.8, top_p=0.9)
    np.testing.assert_allclose(
        probs.astype(np.float64),
        sn.sampling_probs(exact, temperature=0.8, top_p=0.9),
        rtol=1e-3,
        atol=1e-7,
    )
    assert np.isfinite(probs).all()
    assert sn.sample_logits(logits, np.random.default_rng(0), top_p=0.9).shape == ()


def test_a_tiny_temperature_is_not_rounded_to_the_inputs_dtype():
    logits = np.array([1.0, 2.0, 1.5], dtype=np.float16)
    np.testing.assert_array_equal(sn.sampling_probs(logits, temperature=1e-300), [0, 1, 0])
    np.testing.assert_array_equal(
        sn.sampling_probs(logits, temperature=1e300), np.full(3, 1 / 3, dtype=np.float16)
    )


def test_positive_infinity_logits_share_the_mass_and_negative_infinity_gets_none():
    logits = np.array([np.inf, 0.0, np.inf, -np.inf])
    np.testing.assert_array_equal(sn.sampling_probs(logits), [0.5, 0, 0.5, 0])
    np.testing.assert_array_equal(sn.sampling_probs(logits, top_k=1), [0.5, 0, 0.5, 0])
    np.testing.assert_array_equal(sn.sampling_probs(logits, top_p=0.1), [0.5, 0, 0.5, 0])


def test_a_slice_of_only_negative_infinity_is_uniform():
    logits = np.full(4, -np.inf)
    np.testing.assert_array_equal(sn.sampling_probs(logits, top_k=2, top_p=0.3), [0.25] * 4)
    np.testing.assert_array_equal(sn.top_k_filter(logits, 2), logits)


def test_nan_makes_its_own_slice_nan_and_sampling_refuses_it():
    logits = np.array([[1.0, np.nan, 0.0], [1.0, 2.0, 0.0]])
    for result in (
        sn.top_k_filter(logits, 2),
        sn.top_p_filter(logits, 0.5),
        sn.sampling_probs(logits, top_p=0.5),
    ):
        assert np.isnan(result[0]).all()
        assert not np.isnan(result[1]).any()
    with pytest.raises(ValueError, match=r"NaN in the slice at batch index \(0,\)"):
        sn.sample_logits(logits, np.random.default_rng(0))


def test_empty_input_gives_empty_output_and_no_classes_cannot_be_sampled():
    empty = np.zeros((0, 5))
    assert sn.top_k_filter(empty, 2).shape == (0, 5)
    assert sn.top_p_filter(empty, 0.5).shape == (0, 5)
    assert sn.sampling_probs(empty).shape == (0, 5)
    assert sn.sample_logits(empty, np.random.default_rng(0)).shape == (0,)
    assert sn.top_k_filter(np.zeros((3, 0)), 1).shape == (3, 0)
    with pytest.raises(ValueError, match="no classes"):
        sn.sample_logits(np.zeros((3, 0)), np.random.default_rng(0))


def test_non_contiguous_and_read_only_input_is_not_modified():
    base = np.random.default_rng(6).normal(size=(6, 8))
    strided = base[::2, ::2]
    strided.flags.writeable = False
    before = strided.copy()
    np.testing.assert_array_equal(
        sn.top_k_filter(strided, 2), sn.top_k_filter(np.ascontiguousarray(strided), 2)
    )
    np.testing.assert_array_equal(
        sn.sampling_probs(strided, top_p=0.7),
        sn.sampling_probs(np.ascontiguousarray(strided), top_p=0.7),
    )
    np.testing.assert_array_equal(strided, before)


def test_masked_arrays_are_rejected_with_a_way_out():
    masked = np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False])
    for call in (
        lambda: sn.top_k_filter(masked, 1),
        lambda: sn.top_p_filter(masked, 0.5),
        lambda: sn.sampling_probs(masked),
        lambda: sn.sample_logits(masked, np.random.default_rng(0)),
    ):
        with pytest.raises(TypeError, match=r"filled\(-np.inf\)"):
            call()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"top_k": 0}, ValueError, "k must be at least 1"),
        ({"top_k": 2.0}, TypeError, "k must be a positive int"),
        ({"top_k": True}, TypeError, "k must be a positive int"),
        ({"top_p": 0.0}, ValueError, r"p must be in \(0, 1\]"),
        ({"top_p": 1.5}, ValueError, r"p must be in \(0, 1\]"),
        ({"top_p": "0.9"}, TypeError, "p must be a real number"),
        ({"temperature": 0.0}, ValueError, "temperature"),
        ({"temperature": np.inf}, ValueError, "temperature"),
    ],
)
def test_bad_options_raise_errors_that_name_them(kwargs, error, match):
    with pytest.raises(error, match=match):
        sn.sampling_probs([1.0, 2.0], **kwargs)
    with pytest.raises(error, match=match):
        sn.sample_logits([1.0, 2.0], np.random.default_rng(0), **kwargs)


def test_bad_logits_rng_and_axis_raise_clear_errors():
    with pytest.raises(TypeError, match="logits must be real"):
        sn.top_k_filter([1 + 2j, 3], 1)
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        sn.sample_logits([1.0, 2.0], 0)
    with pytest.raises(np.exceptions.AxisError):
        sn.top_p_filter([1.0, 2.0], 0.5, axis=1)
    with pytest.raises(np.exceptions.AxisError):
        sn.sampling_probs(np.float64(1.0))
    with pytest.raises(TypeError, match="axis must be a single int"):
        sn.top_k_filter([1.0, 2.0], 1, axis=(0,))

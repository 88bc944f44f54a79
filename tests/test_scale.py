"""Hierarchical softmax and the online (one-pass) normalizer, against independent formulations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from strategies import FLOAT_DTYPES, dtypes, elements

import softmax_notes as sn


def random_tree(classes: list[int], rng: np.random.Generator):
    """A random binary tree over `classes`: split the shuffled list at a random point, recursively."""
    if len(classes) == 1:
        return classes[0]
    cut = int(rng.integers(1, len(classes)))
    return (random_tree(classes[:cut], rng), random_tree(classes[cut:], rng))


def leaf_probabilities(tree, scores: np.ndarray) -> dict[int, float]:
    """p(leaf) by walking the tree in pre-order, multiplying sigmoid(+-score) on the way down."""
    probs: dict[int, float] = {}
    counter = iter(range(len(scores)))

    def walk(node, mass: float) -> None:
        if isinstance(node, int):
            probs[node] = mass
            return
        score = scores[next(counter)]
        walk(node[0], mass / (1 + math.exp(-score)))
        walk(node[1], mass / (1 + math.exp(score)))

    walk(tree, 1.0)
    return probs


# Hierarchical softmax


@pytest.mark.parametrize("num_classes", [2, 3, 5, 8, 13])
def test_hierarchical_probabilities_match_a_walk_down_the_tree(num_classes):
    rng = np.random.default_rng(num_classes)
    tree = random_tree(list(rng.permutation(num_classes).tolist()), rng)
    model = sn.HierarchicalSoftmax(tree)
    scores = rng.normal(scale=2, size=num_classes - 1)
    expected = leaf_probabilities(tree, scores)
    np.testing.assert_allclose(
        model.probs(scores), [expected[c] for c in range(num_classes)], rtol=1e-12
    )


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40), st.integers(0, 2**32 - 1), st.floats(0.1, 30))
def test_hierarchical_probabilities_sum_to_one_for_any_tree_and_scores(num_classes, seed, scale):
    rng = np.random.default_rng(seed)
    model = sn.HierarchicalSoftmax(random_tree(list(range(num_classes)), rng))
    scores = rng.normal(scale=scale, size=(3, num_classes - 1))
    np.testing.assert_allclose(model.probs(scores).sum(axis=-1), 1, rtol=1e-12)


def test_flat_softmax_of_the_log_probabilities_is_the_same_model():
    rng = np.random.default_rng(0)
    model = sn.HierarchicalSoftmax.balanced(10)
    scores = rng.normal(size=(4, 9))
    flat_logits = model.flat_logits(scores)
    np.testing.assert_allclose(
        scipy.special.softmax(flat_logits, axis=-1), model.probs(scores), rtol=1e-12
    )
    # Any per-example shift of the flat logits is the same flat model.
    np.testing.assert_allclose(
        scipy.special.softmax(flat_logits + rng.normal(size=(4, 1)), axis=-1),
        model.probs(scores),
        rtol=1e-12,
    )


def test_log_prob_of_each_target_is_the_log_of_its_probability():
    rng = np.random.default_rng(1)
    model = sn.HierarchicalSoftmax.balanced(7)
    scores = rng.normal(size=(5, 6))
    targets = rng.integers(7, size=5)
    expected = np.log(model.probs(scores)[np.arange(5), targets])
    np.testing.assert_allclose(model.log_prob(scores, targets), expected, rtol=1e-12)


def test_path_scores_alone_give_the_log_probability():
    rng = np.random.default_rng(2)
    model = sn.HierarchicalSoftmax.balanced(37)
    scores = rng.normal(size=36)
    for target in range(37):
        nodes, signs = model.path(target)
        assert len(nodes) <= model.depth
        log_prob = -np.logaddexp(0, -signs * scores[nodes]).sum()
        np.testing.assert_allclose(log_prob, np.log(model.probs(scores)[target]), rtol=1e-12)
    with pytest.raises(ValueError, match="must lie in"):
        model.path(37)
    with pytest.raises(TypeError, match="one int"):
        model.path(1.0)


def test_log_prob_stays_finite_for_huge_scores():
    model = sn.HierarchicalSoftmax(((0, 1), 2))
    log_prob = model.log_prob(np.array([1000.0, -1000.0]), 0)
    np.testing.assert_allclose(log_prob, -1000.0)


@pytest.mark.parametrize(
    ("num_classes", "depth"), [(2, 1), (3, 2), (4, 2), (1000, 10), (1024, 10), (1025, 11)]
)
def test_balanced_tree_has_logarithmic_depth(num_classes, depth):
    model = sn.HierarchicalSoftmax.balanced(num_classes)
    assert (model.num_classes, model.num_nodes, model.depth) == (
        num_classes,
        num_classes - 1,
        depth,
    )


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        (((0, 1), (1, 2)), "more than once"),
        (((0, 1), 3), "missing"),
        ((0, 1, 2), "pair"),
        (((0, 1), "2"), "pair"),
        (((0, 1), 2.0), "pair"),
        ((0, -1), "non-negative"),
        (0, "at least two"),
    ],
)
def test_malformed_tree_is_a_value_error_that_names_the_problem(tree, message):
    with pytest.raises(ValueError, match=message):
        sn.HierarchicalSoftmax(tree)


def test_scores_and_targets_of_the_wrong_shape_or_range_are_errors():
    model = sn.HierarchicalSoftmax.balanced(4)
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        model.probs(np.zeros(4))
    with pytest.raises(ValueError, match="target must have shape"):
        model.log_prob(np.zeros((2, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match=r"must lie in \[0, 4\)"):
        model.log_prob(np.zeros(3), 4)
    with pytest.raises(TypeError, match="integer"):
        model.log_prob(np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="at least two"):
        sn.HierarchicalSoftmax.balanced(1)


# Online normalizer

chunked_rows = st.integers(1, 60).flatmap(
    lambda length: st.tuples(
        arrays(
            np.float64,
            (2, length),
            elements=elements(np.float64, "finite", 700) | st.just(-np.inf),
        ),
        st.lists(st.integers(0, length), max_size=6),
    )
)


@settings(max_examples=150, deadline=None)
@given(chunked_rows)
def test_online_logsumexp_equals_two_pass_logsumexp_for_any_chunking(data):
    logits, cuts = data
    chunks = np.split(logits, sorted(cuts), axis=-1)
    state = sn.OnlineSoftmax.empty()
    for chunk in chunks:
        state = state.update(chunk)
    with np.errstate(divide="ignore"):
        expected = scipy.special.logsumexp(logits, axis=-1)
    # m + log(d) is accurate relative to the terms' scale, not to a result near 0.
    np.testing.assert_allclose(state.logsumexp(), expected, rtol=1e-12, atol=1e-14)
    assert state.count == logits.shape[-1]
    probs = np.concatenate([state.probabilities(chunk) for chunk in chunks], axis=-1)
    np.testing.assert_allclose(probs, sn.softmax(logits), rtol=1e-12, atol=1e-300)


@settings(max_examples=100, deadline=None)
@given(chunked_rows)
def test_merge_is_associative_and_commutative(data):
    logits, cuts = data
    states = [sn.OnlineSoftmax.from_chunk(c) for c in np.split(logits, sorted(cuts)[:2], axis=-1)]
    states += [sn.OnlineSoftmax.empty((2,))] * (3 - len(states))
    first, second, third = states
    left = first.merge(second).merge(third)
    right = first.merge(second.merge(third))
    swapped = third.merge(first).merge(second)
    for other in (right, swapped):
        np.testing.assert_allclose(other.logsumexp(), left.logsumexp(), rtol=1e-12)


def test_online_logsumexp_of_a_long_stream_never_overflows():
    chunks = [np.full(1000, 700.0), np.full(1000, 710.0)]
    expected = 710 + math.log(1000 + 1000 * math.exp(-10))
    np.testing.assert_allclose(sn.online_logsumexp(chunks), expected, rtol=1e-14)


def test_masked_chunks_add_nothing_and_a_fully_masked_stream_is_uniform():
    state = sn.OnlineSoftmax.empty().update([-np.inf, -np.inf]).update([0.0, np.log(3.0)])
    np.testing.assert_allclose(state.logsumexp(), np.log(4.0))
    masked = sn.OnlineSoftmax.empty().update([-np.inf] * 3).update([-np.inf])
    assert masked.logsumexp() == -np.inf
    np.testing.assert_allclose(masked.probabilities([-np.inf] * 3), [0.25] * 3)


def test_infinite_and_nan_entries_follow_softmax():
    state = sn.OnlineSoftmax.empty().update([1.0, np.inf]).update([np.inf, 5.0])
    assert state.logsumexp() == np.inf
    np.testing.assert_array_equal(state.probabilities([1.0, np.inf]), [0, 0.5])
    assert np.isnan(sn.OnlineSoftmax.empty().update([1.0, np.nan]).logsumexp())


def test_chunks_with_mismatched_batch_shapes_are_a_value_error():
    state = sn.OnlineSoftmax.from_chunk(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"batch shape \(2,\)"):
        state.update(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="cannot merge"):
        state.merge(sn.OnlineSoftmax.from_chunk(np.zeros((4, 4))))
    with pytest.raises(ValueError, match="batch shape"):
        state.probabilities(np.zeros(4))
    with pytest.raises(ValueError, match="at least one axis"):
        sn.OnlineSoftmax.from_chunk(1.0)


# The fast paths of core.softmax (short last axes, cache-sized blocks, one whole-array
# distribution) must give the same numbers as the plain formula at every shape.

FAST_PATH_SHAPES = [
    (3, 2),
    (3, 16),
    (3, 17),
    (70_000, 2),
    (40_000, 5),
    (700, 100),
    (5, 7000, 3),
    (200_001,),
    (1, 200_001),
]


@pytest.mark.parametrize("shape", FAST_PATH_SHAPES, ids=str)
def test_softmax_fast_paths_match_scipy(shape):
    logits = np.random.default_rng(sum(shape)).normal(scale=5.0, size=shape)
    np.testing.assert_allclose(
        sn.softmax(logits), scipy.special.softmax(logits, axis=-1), rtol=1e-13, atol=1e-300
    )


@pytest.mark.parametrize(
    "view",
    [
        lambda x: x[:, ::2],
        lambda x: np.asfortranarray(x),
        lambda x: x.T.copy().T,
        lambda x: x.reshape(-1)[::3],
    ],
    ids=["strided rows", "fortran order", "transposed copy", "strided vector"],
)
def test_softmax_fast_paths_handle_non_contiguous_input(view):
    logits = view(np.random.default_rng(3).normal(scale=5.0, size=(30_000, 8)))
    np.testing.assert_allclose(
        sn.softmax(logits), scipy.special.softmax(logits, axis=-1), rtol=1e-13, atol=1e-300
    )


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("shape", [(40_000, 5), (700, 100), (200_001,)], ids=str)
def test_softmax_fast_paths_keep_low_precision_dtypes(shape, dtype):
    logits = np.random.default_rng(4).normal(scale=2.0, size=shape)
    probs = sn.softmax(logits.astype(dtype))
    assert probs.dtype == dtype
    reference = scipy.special.softmax(logits.astype(dtype).astype(np.float64), axis=-1)
    # Rounding the shifted logit x - max to the dtype costs up to |x - max| * eps (~8 eps here).
    np.testing.assert_allclose(probs, reference, rtol=16 * np.finfo(dtype).eps, atol=1e-7)


def test_softmax_non_finite_rules_hold_in_every_block():
    logits = np.random.default_rng(5).normal(size=(40_000, 5))
    logits[-1] = [np.inf, 0.0, np.inf, 1.0, 2.0]
    logits[-2] = -np.inf
    logits[-3, 2] = np.nan
    probs = sn.softmax(logits)
    np.testing.assert_array_equal(probs[-1], [0.5, 0, 0.5, 0, 0])
    np.testing.assert_allclose(probs[-2], 0.2)
    assert np.isnan(probs[-3]).all()
    np.testing.assert_allclose(
        probs[:-3], scipy.special.softmax(logits[:-3], axis=-1), rtol=1e-13, atol=1e-300
    )
    vector = np.random.default_rng(6).normal(size=200_001)
    vector[-1] = np.inf
    assert sn.softmax(vector)[-1] == 1 and np.all(sn.softmax(vector)[:-1] == 0)


# Regressions: the scale tools keep the core's promises (issue 10)

def test_float16_online_normaliser_of_more_than_65504_entries_matches_logsumexp():
    # The running sum of 70000 terms near 1 overflows float16 (largest finite value 65504).
    logits = np.random.default_rng(16).uniform(-1, 0, 70_000).astype(np.float16)
    chunks = np.array_split(logits, 3)
    result = sn.online_logsumexp(chunks)
    assert result.dtype == np.float16
    assert result == sn.logsumexp(logits)
    state = sn.OnlineSoftmax.empty()
    for chunk in chunks:
        state = state.update(chunk)
    probs = np.concatenate([state.probabilities(chunk) for chunk in chunks])
    assert probs.dtype == np.float16
    np.testing.assert_allclose(
        probs.astype(np.float64),
        scipy.special.softmax(logits.astype(np.float64)),
        rtol=4 * float(np.finfo(np.float16).eps),
        atol=2 * float(np.finfo(np.float16).smallest_subnormal),
    )


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_online_states_keep_the_chunks_dtype(dtype):
    chunk = np.array([[1.0, 2.0], [0.0, -np.inf]], dtype=dtype)
    state = sn.OnlineSoftmax.empty().update(chunk)
    assert state.max.dtype == dtype
    assert state.logsumexp().dtype == dtype
    assert state.probabilities(chunk).dtype == dtype
    assert sn.OnlineSoftmax.from_chunk(chunk).merge(sn.OnlineSoftmax.empty((2,))).max.dtype == dtype
    assert sn.online_logsumexp([chunk, chunk]).dtype == dtype


def test_online_states_compare_by_value():
    first = sn.OnlineSoftmax.from_chunk(np.array([[0.0, 1.0], [2.0, np.nan]]))
    again = sn.OnlineSoftmax.from_chunk(np.array([[0.0, 1.0], [2.0, np.nan]]))
    assert first == again  # NaN states equal each other, as the same stream should
    assert first != first.update(np.zeros((2, 1)))
    assert first != sn.OnlineSoftmax.from_chunk(np.zeros((3, 2)))
    assert first != "a state"
    with pytest.raises(TypeError, match="unhashable"):
        hash(first)


def test_online_state_arrays_are_read_only():
    state = sn.OnlineSoftmax.from_chunk(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="read-only"):
        state.total[...] = 0


def test_merging_something_that_is_not_a_state_is_a_type_error():
    with pytest.raises(TypeError, match="other must be an OnlineSoftmax state, got int"):
        sn.OnlineSoftmax.empty().merge(3)


def test_a_state_checks_its_fields():
    with pytest.raises(ValueError, match="max and total"):
        sn.OnlineSoftmax(np.zeros(2), np.zeros(3), 1)
    with pytest.raises(ValueError, match="count"):
        sn.OnlineSoftmax(np.zeros(2), np.zeros(2), -1)


def chain(num_classes: int):
    """The deepest tree: (0, (1, (2, ... (n-2, n-1)))), built without recursion."""
    tree = num_classes - 1
    for leaf in range(num_classes - 2, -1, -1):
        tree = (leaf, tree)
    return tree


def test_a_deep_chain_tree_does_not_hit_the_recursion_limit():
    model = sn.HierarchicalSoftmax(chain(1500))
    assert (model.num_classes, model.num_nodes, model.depth) == (1500, 1499, 1499)
    probs = model.probs(np.zeros(1499))
    # Zero scores: every turn has probability 1/2, so class c < n - 1 has 2^-(c+1).
    np.testing.assert_array_equal(probs[:10], 0.5 ** np.arange(1, 11))
    np.testing.assert_allclose(probs.sum(), 1.0, rtol=1e-15)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_hierarchical_results_keep_the_scores_dtype(dtype):
    model = sn.HierarchicalSoftmax.balanced(5)
    scores = np.array([[0.5, -1.0, 2.0, 0.0]], dtype=dtype)
    assert model.probs(scores).dtype == dtype
    assert model.flat_logits(scores).dtype == dtype
    assert model.log_prob(scores, [3]).dtype == dtype


def test_infinite_scores_follow_the_sigmoid_limits_and_nan_stays_below_its_node():
    model = sn.HierarchicalSoftmax((0, (1, 2)))  # root: 0 | (1, 2)
    np.testing.assert_array_equal(model.probs([np.inf, 0.0]), [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(model.probs([-np.inf, 0.0]), [0.0, 0.5, 0.5])
    np.testing.assert_array_equal(model.probs([-np.inf, np.inf]), [0.0, 1.0, 0.0])
    below = model.probs([0.0, np.nan])
    assert below[0] == 0.5 and np.isnan(below[1:]).all()
    assert np.isnan(model.probs([np.nan, 0.0])).all()


def test_masked_scores_and_targets_are_rejected():
    model = sn.HierarchicalSoftmax.balanced(3)
    with pytest.raises(TypeError, match="scores is a masked array"):
        model.probs(np.ma.array([0.0, 1.0], mask=[0, 1]))
    with pytest.raises(TypeError, match="target is a masked array"):
        model.log_prob(np.zeros((2, 2)), np.ma.array([0, 1], mask=[0, 1]))


@settings(max_examples=100, deadline=None)
@given(
    dtypes(FLOAT_DTYPES).flatmap(
        lambda dtype: st.tuples(
            arrays(dtype, st.tuples(st.integers(1, 3), st.integers(1, 40)), elements=elements(dtype)),
            st.lists(st.integers(0, 40), max_size=5),
        )
    )
)
def test_online_normaliser_is_logsumexp_in_every_dtype_and_kind(data):
    # Any chunking of any logits (extremes, infinities, NaN) in any dtype: the streamed
    # normalizer and probabilities are the two-pass ones, in the logits' dtype.
    logits, cuts = data
    chunks = np.split(logits, sorted(min(cut, logits.shape[-1]) for cut in cuts), axis=-1)
    state = sn.OnlineSoftmax.empty()
    for chunk in chunks:
        state = state.update(chunk)
    result = np.asarray(state.logsumexp())
    expected = sn.logsumexp(logits)
    assert result.dtype == logits.dtype
    np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
    info = np.finfo(logits.dtype)
    both = np.isfinite(expected) & np.isfinite(result)
    np.testing.assert_array_equal(result[~both], expected[~both])  # infinities and NaN
    # m + log d is accurate relative to the maximum, not to a result near 0.
    wide = np.promote_types(result.dtype, np.float64)
    scale = np.maximum(np.abs(np.max(logits, axis=-1)[both]), 1)
    error = np.abs(result[both].astype(wide) - expected[both].astype(wide))
    assert (error <= 8 * float(info.eps) * scale * np.log2(logits.shape[-1] + 1)).all()
    probs = np.concatenate([state.probabilities(chunk) for chunk in chunks], axis=-1)
    assert probs.dtype == logits.dtype
    reference = sn.softmax(logits)
    np.testing.assert_array_equal(np.isnan(probs), np.isnan(reference))
    np.testing.assert_allclose(
        probs,
        reference,
        rtol=float(info.eps) * (logits.shape[-1] + 4),
        atol=4 * float(info.smallest_subnormal),
    )

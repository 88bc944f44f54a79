"""Softmax over many classes: a hierarchical softmax and a one-pass (online) normalizer.

* :class:`HierarchicalSoftmax` (Morin & Bengio 2005) arranges the ``n``
  classes as the leaves of a binary tree; a class's probability is the
  product of ``log2 n`` binary (sigmoid) decisions along its path, so one
  example's probability costs O(log n) instead of O(n).
* :class:`OnlineSoftmax` (Milakov & Gimelshein 2018) computes the softmax
  normalizer in one pass over chunks of the logits, keeping a running maximum
  ``m`` and a running sum ``d``; two partial results merge by
  ``(m, d) + (m', d') = (M, d e^(m - M) + d' e^(m' - M))``, ``M = max(m, m')``.
  It is the idea behind fused attention kernels such as FlashAttention.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import accumulator, as_float_array, reject_masked
from .core import sigmoid

__all__ = ["HierarchicalSoftmax", "OnlineSoftmax", "online_logsumexp"]

Tree = int | tuple["Tree", "Tree"]


def _log_sigmoid(x: NDArray[np.floating]) -> NDArray[np.floating]:
    """``log(1 / (1 + e^-x))`` without overflow: ``-log(e^0 + e^-x)``; NaN stays NaN, silently."""
    with np.errstate(invalid="ignore"):
        return -np.logaddexp(0, -x)


class HierarchicalSoftmax:
    r"""A softmax over the leaves of a binary tree of classes.

    Every internal node :math:`k` of the tree has a score :math:`t_k` (in a
    model, :math:`t_k = w_k \cdot h + b_k` for the hidden vector :math:`h`).
    At node :math:`k` the path goes left with probability :math:`\sigma(t_k)` and right with
    :math:`\sigma(-t_k) = 1 - \sigma(t_k)`; a class's probability is the
    product along its root-to-leaf path:

    .. math:: p(c) = \prod_{k \in \operatorname{path}(c)} \sigma(\pm t_k)

    Parameters
    ----------
    tree : int or nested pairs
        A leaf is a class index (int); an internal node is a pair
        ``(left, right)``. The leaves must be exactly the classes
        ``0, ..., n-1``, each once, with ``n >= 2``. Internal nodes are
        numbered in pre-order (root 0, then the left subtree, then the
        right), which fixes the order of the scores.

    Raises
    ------
    ValueError
        If a node is not a pair, a leaf is not a non-negative int, a class is
        repeated or missing, or the tree has fewer than two classes.

    Attributes
    ----------
    num_classes : int
        ``n``, the number of leaves.
    num_nodes : int
        ``n - 1``, the number of internal nodes (the length of a score vector).
    depth : int
        The length of the longest path; ``ceil(log2 n)`` for :meth:`balanced`.

    Notes
    -----
    The probabilities sum to 1 for any scores: at every internal node the
    two subtrees share their parent's mass as :math:`\sigma(t) + \sigma(-t) = 1`,
    so by induction from the root the leaves below any node carry exactly
    that node's mass, and the root carries 1. The equivalent flat model is
    the softmax of the logits ``log p(c)`` (:meth:`flat_logits`): their
    softmax is ``p`` itself, since the normalizer is ``sum p = 1``.

    Edge behaviour follows :ref:`api-rules`. Results keep the dtype of the
    scores, with every path summed (or multiplied) in at least float32. A
    score of ``+inf`` sends its node's mass left, ``-inf`` right (the limits
    of :math:`\sigma`); a NaN score makes NaN exactly the classes below its
    node. Scores must end in an axis of ``num_nodes`` entries (a 0-d array
    or a wrong length is a ``ValueError`` naming `scores`); an empty batch
    gives an empty result. The tree is walked without recursion, so a chain
    of any depth is fine (it costs ``num_classes * depth`` memory).

    References
    ----------
    F. Morin and Y. Bengio, "Hierarchical probabilistic neural network
    language model", AISTATS 2005.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import HierarchicalSoftmax
    >>> tree = HierarchicalSoftmax(((0, 1), (2, 3)))
    >>> tree.num_nodes, tree.depth
    (3, 2)
    >>> scores = np.array([0.0, np.log(3.0), 0.0])  # root, left child, right child
    >>> np.round(tree.probs(scores), 4)
    array([0.375, 0.125, 0.25 , 0.25 ])
    >>> float(np.round(np.exp(tree.log_prob(scores, 0)), 4))
    0.375
    """

    def __init__(self, tree: Tree) -> None:
        paths: dict[int, tuple[tuple[int, int], ...]] = {}
        node_count = 0
        # Pre-order with an explicit stack, not recursion: a chain of a few thousand
        # classes is deeper than Python's recursion limit.
        stack: list[tuple[Tree, tuple[tuple[int, int], ...]]] = [(tree, ())]
        while stack:
            node, path = stack.pop()
            if isinstance(node, (int, np.integer)) and not isinstance(node, (bool, np.bool_)):
                if node < 0:
                    raise ValueError(f"class indices must be non-negative, got leaf {node}")
                if int(node) in paths:
                    raise ValueError(f"class {node} appears more than once in the tree")
                paths[int(node)] = path
                continue
            if not (isinstance(node, tuple) and len(node) == 2):
                raise ValueError(
                    "every internal node must be a pair (left, right) and every leaf an int "
                    f"class index; got {node!r}"
                )
            index = node_count
            node_count += 1
            stack.append((node[1], (*path, (index, -1))))
            stack.append((node[0], (*path, (index, 1))))  # popped first: the left subtree

        if len(paths) < 2:
            raise ValueError(f"a tree needs at least two classes, got {len(paths)}")
        missing = sorted(set(range(len(paths))) - set(paths))
        if missing:
            raise ValueError(
                f"the leaves must be the classes 0..{len(paths) - 1}; missing {missing}"
            )
        self.num_classes = len(paths)
        self.num_nodes = node_count
        self.depth = max(len(path) for path in paths.values())
        # Paths padded to the common depth: padding has node 0 and sign 0 (a factor of 1).
        self._nodes = np.zeros((self.num_classes, self.depth), dtype=np.intp)
        self._signs = np.zeros((self.num_classes, self.depth), dtype=np.int8)
        for leaf, path in paths.items():
            self._nodes[leaf, : len(path)], self._signs[leaf, : len(path)] = zip(*path, strict=True)

    @classmethod
    def balanced(cls, num_classes: int) -> HierarchicalSoftmax:
        """The balanced tree over classes ``0..num_classes-1``, of depth ``ceil(log2 n)``.

        Examples
        --------
        >>> from softmax_notes import HierarchicalSoftmax
        >>> HierarchicalSoftmax.balanced(1000).depth
        10
        """
        if isinstance(num_classes, (bool, np.bool_)) or not isinstance(
            num_classes, (int, np.integer)
        ):
            raise TypeError(f"num_classes must be an int, got {num_classes!r}")
        if num_classes < 2:
            raise ValueError(f"a tree needs at least two classes, got num_classes={num_classes}")

        def build(first: int, stop: int) -> Tree:
            if stop - first == 1:
                return first
            middle = (first + stop + 1) // 2
            return (build(first, middle), build(middle, stop))

        return cls(build(0, int(num_classes)))

    def path(self, target: int) -> tuple[NDArray[np.intp], NDArray[np.floating]]:
        """The internal nodes from the root to class `target`, and the turn at each.

        Returns ``(nodes, signs)``: ``signs[k]`` is +1 where the path goes left
        and -1 where it goes right, so ``log p(target) = sum(log sigmoid(signs
        * scores[nodes]))``. A model only needs the scores of these
        ``len(nodes) <= depth`` nodes: O(log n) work per example.

        Examples
        --------
        >>> from softmax_notes import HierarchicalSoftmax
        >>> HierarchicalSoftmax(((0, 1), (2, 3))).path(2)
        (array([0, 2]), array([-1.,  1.]))
        """
        if isinstance(target, (bool, np.bool_)) or not isinstance(target, (int, np.integer)):
            raise TypeError(f"target must be one int class index, got {target!r}")
        if not 0 <= target < self.num_classes:
            raise ValueError(f"class indices must lie in [0, {self.num_classes}), got {target}")
        length = np.count_nonzero(self._signs[target])
        return self._nodes[target, :length].copy(), self._signs[target, :length].astype(float)

    def _check_scores(self, scores: ArrayLike) -> NDArray[np.floating]:
        scores = as_float_array(scores, "scores")
        if scores.ndim == 0 or scores.shape[-1] != self.num_nodes:
            raise ValueError(
                f"scores must have shape (..., {self.num_nodes}), one per internal node; "
                f"got shape {scores.shape}"
            )
        return scores

    def log_prob(self, scores: ArrayLike, target: ArrayLike) -> NDArray[np.floating]:
        """``log p(target)`` from the node scores, in O(depth) per example.

        Parameters
        ----------
        scores : array_like
            Shape ``batch + (num_nodes,)``: the internal nodes' scores.
        target : array_like of int
            Shape ``batch``: one class index per example.

        Returns
        -------
        ndarray
            Shape ``batch``: the log-probability of each example's class.

        Raises
        ------
        ValueError
            If the shapes do not match or a class index is out of range.
        TypeError
            If `target` is not an integer array.
        """
        scores = self._check_scores(scores)
        reject_masked(target, "target")
        target = np.asarray(target)
        if target.dtype.kind not in "iu":
            raise TypeError(f"target must be integer class indices, got dtype {target.dtype}")
        if target.shape != scores.shape[:-1]:
            raise ValueError(
                f"target must have shape scores.shape[:-1] = {scores.shape[:-1]}, "
                f"got {target.shape}"
            )
        outside = target[(target < 0) | (target >= self.num_classes)]
        if outside.size:
            raise ValueError(
                f"class indices must lie in [0, {self.num_classes}), got {int(outside.flat[0])}"
            )
        nodes, signs = self._nodes[target], self._signs[target]
        return self._sum_of_logs(np.take_along_axis(scores, nodes, axis=-1), signs)

    def flat_logits(self, scores: ArrayLike) -> NDArray[np.floating]:
        """``log p(c)`` for every class: the logits of the equivalent flat softmax, O(n log n).

        Shape ``batch + (n,)``, in the dtype of `scores`.
        """
        scores = self._check_scores(scores)
        return self._sum_of_logs(scores[..., self._nodes], self._signs)

    def probs(self, scores: ArrayLike) -> NDArray[np.floating]:
        """All ``n`` class probabilities, shape ``batch + (n,)``; they sum to 1.

        Each is the product of the sigmoids along its path, in at least
        float32 and rounded once to the dtype of `scores`: relative error of
        a few units of rounding per level, where ``exp(flat_logits)`` would
        add the rounding of ``log p`` times ``|log p|``.
        """
        scores = self._check_scores(scores)
        factors = sigmoid(_turns(scores[..., self._nodes], self._signs))
        factors = np.where(self._signs != 0, factors, 1)
        return np.prod(factors, axis=-1, dtype=accumulator(scores.dtype)).astype(scores.dtype)

    @staticmethod
    def _sum_of_logs(on_path: NDArray[np.floating], signs: NDArray[np.int8]) -> NDArray:
        """``sum_k log sigmoid(sign_k * score_k)`` over the path (last axis), padding skipped."""
        terms = np.where(signs != 0, _log_sigmoid(_turns(on_path, signs)), 0)
        return np.sum(terms, axis=-1, dtype=accumulator(on_path.dtype)).astype(on_path.dtype)


def _turns(on_path: NDArray[np.floating], signs: NDArray[np.int8]) -> NDArray[np.floating]:
    """``sign * score`` as a choice, not a product: padding (sign 0) never makes ``0 * inf``."""
    return np.where(signs < 0, -on_path, on_path)


@dataclass(frozen=True, eq=False)
class OnlineSoftmax:
    r"""The softmax normalizer of a stream of logits, built one chunk at a time.

    The state is the running maximum ``m`` and the running sum
    ``d = sum_j exp(x_j - m)`` over the entries seen so far (plus their
    ``count``). Two states merge by

    .. math:: (m, d) \oplus (m', d') = \bigl(M,\; d\, e^{m - M} + d'\, e^{m' - M}\bigr),
              \qquad M = \max(m, m'),

    which is associative and commutative, so the chunks may come in any
    order and be combined in any grouping (in parallel, say), and the result
    equals the two-pass ``logsumexp = m + log d``.

    Attributes
    ----------
    max : ndarray
        Running maximum, shape ``batch`` (the chunks' shape without the last
        axis), in the chunks' dtype.
    total : ndarray
        Running sum of ``exp(x - max)``, in at least float32: a float16 stream
        of more than 65504 entries can have a sum beyond float16's range.
    count : int
        Number of entries per slice seen so far.

    Notes
    -----
    The streamed axis is the last one; chunks must share the batch shape
    (all other axes), or :meth:`update` raises ``ValueError`` naming both
    shapes. Non-finite entries follow :func:`~softmax_notes.softmax` (see
    :ref:`api-rules`): a ``-inf`` entry adds nothing to the normalizer (so
    does a chunk of only ``-inf``, e.g. a fully masked block of attention
    scores), ``+inf`` entries share all the mass, a stream of only ``-inf``
    is uniform, and a NaN makes its slice NaN. Nothing overflows, because
    every exponent is at most 0. Results keep the chunks' dtype.

    States are values: immutable (their arrays are read-only), equal when
    they hold the same numbers (``==``, with NaN equal to NaN), and not
    hashable.

    This is the reduction at the heart of fused attention kernels
    (FlashAttention, Dao et al. 2022): each block of scores is exponentiated
    against the running maximum and the partial results are rescaled by
    ``e^(m - M)`` when the maximum grows, so the full row of scores is never
    stored.

    References
    ----------
    M. Milakov and N. Gimelshein, "Online normalizer calculation for
    softmax", arXiv:1805.02867, 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import OnlineSoftmax, logsumexp
    >>> logits = np.array([1.0, 3.0, -2.0, 0.5, 4.0])
    >>> state = OnlineSoftmax.empty()
    >>> for chunk in np.array_split(logits, 3):
    ...     state = state.update(chunk)
    >>> bool(np.isclose(state.logsumexp(), logsumexp(logits)))
    True
    >>> np.round(state.probabilities(logits[:2]), 4)  # the first two of softmax(logits)
    array([0.0343, 0.2537])
    """

    max: NDArray[np.floating]
    total: NDArray[np.floating]
    count: int = 0

    def __post_init__(self) -> None:
        peak, total = as_float_array(self.max, "max"), as_float_array(self.total, "total")
        if peak.shape != total.shape:
            raise ValueError(
                f"max and total must have the same (batch) shape, got {peak.shape} "
                f"and {total.shape}"
            )
        if isinstance(self.count, (bool, np.bool_)) or not isinstance(
            self.count, (int, np.integer)
        ) or self.count < 0:
            raise ValueError(f"count must be a non-negative int, got {self.count!r}")
        for name, value in (("max", peak), ("total", total)):
            frozen = np.array(value)  # a copy: the caller's array stays writable
            frozen.flags.writeable = False
            object.__setattr__(self, name, frozen)
        object.__setattr__(self, "count", int(self.count))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OnlineSoftmax):
            return NotImplemented
        return (
            self.count == other.count
            and self.max.shape == other.max.shape
            and np.array_equal(self.max, other.max, equal_nan=True)
            and np.array_equal(self.total, other.total, equal_nan=True)
        )

    __hash__ = None  # type: ignore[assignment]  # equal by value, built on mutable arrays

    @classmethod
    def empty(cls, batch_shape: tuple[int, ...] = (), dtype: type = np.float64) -> OnlineSoftmax:
        """The state of an empty stream (the identity of the merge): ``m = -inf``, ``d = 0``.

        Its `dtype` does not matter: merged with a state, or updated with a
        chunk, it gives that state, or the chunk's state, unchanged.
        """
        dtype = np.dtype(dtype)
        return cls(np.full(batch_shape, -np.inf, dtype), np.zeros(batch_shape, accumulator(dtype)))

    @classmethod
    def from_chunk(cls, chunk: ArrayLike) -> OnlineSoftmax:
        """The state of one chunk, streamed along its last axis."""
        chunk = as_float_array(chunk, "chunk")
        if chunk.ndim == 0:
            raise ValueError("a chunk must have at least one axis (the streamed, last axis)")
        if chunk.shape[-1] == 0:
            return cls.empty(chunk.shape[:-1], chunk.dtype)
        peak = np.max(chunk, axis=-1)
        exps = np.exp(_shift(chunk, peak[..., None]))
        total = np.sum(exps, axis=-1, dtype=accumulator(chunk.dtype))
        return cls(peak, total, chunk.shape[-1])

    def merge(self, other: OnlineSoftmax) -> OnlineSoftmax:
        """The state of both streams: ``(m, d) + (m', d') = (M, d e^(m-M) + d' e^(m'-M))``.

        A state that has seen nothing is the identity: merging with it returns
        the other state unchanged (in particular, in its dtype).
        """
        if not isinstance(other, OnlineSoftmax):
            raise TypeError(
                f"other must be an OnlineSoftmax state, got {type(other).__name__}; "
                "make one with OnlineSoftmax.from_chunk(chunk)"
            )
        if self.max.shape != other.max.shape:
            raise ValueError(
                f"cannot merge states of batch shapes {self.max.shape} and {other.max.shape}; "
                "all chunks must have the same shape except along the last (streamed) axis"
            )
        if other.count == 0:
            return self
        if self.count == 0:
            return other
        peak = np.maximum(self.max, other.max)
        total = self.total * _rescale(self.max, peak) + other.total * _rescale(other.max, peak)
        return OnlineSoftmax(peak, total, self.count + other.count)

    def update(self, chunk: ArrayLike) -> OnlineSoftmax:
        """This state merged with the next chunk (a new state; states are immutable).

        A state that has seen nothing yet takes the batch shape of its first chunk.
        """
        chunk = as_float_array(chunk, "chunk")
        if self.count == 0:
            return OnlineSoftmax.from_chunk(chunk)
        if chunk.shape[:-1] != self.max.shape:
            raise ValueError(
                f"chunk has shape {chunk.shape}, so batch shape {chunk.shape[:-1]}, but the "
                f"stream so far has batch shape {self.max.shape}; chunks may differ only "
                "along the last (streamed) axis"
            )
        return self.merge(OnlineSoftmax.from_chunk(chunk))

    def logsumexp(self) -> NDArray[np.floating]:
        """``m + log d``: the log of the normalizer, ``-inf`` for an empty stream.

        In the dtype of ``max``; absolutely (not relatively) accurate near 0.
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            result = np.where(np.isinf(self.max), self.max, self.max + np.log(self.total))
        return result.astype(self.max.dtype)[()]

    def probabilities(self, chunk: ArrayLike) -> NDArray[np.floating]:
        """``exp(chunk - m) / d``: softmax entries of `chunk` relative to the whole stream.

        The second pass of a streaming softmax; `chunk` must be part of the
        stream this state has seen (with its batch shape). A stream of only
        ``-inf`` gives the uniform ``1 / count``. The result has the dtype of
        `chunk` (promoted with the state's).
        """
        chunk = as_float_array(chunk, "chunk")
        if chunk.shape[:-1] != self.max.shape:
            raise ValueError(
                f"chunk has batch shape {chunk.shape[:-1]}, the stream {self.max.shape}"
            )
        dtype = np.result_type(chunk, self.max)
        peak = self.max[..., None]
        with np.errstate(divide="ignore", invalid="ignore"):
            probs = np.exp(_shift(chunk, peak)) / self.total[..., None]
        all_masked = np.isneginf(peak)
        if all_masked.any():
            probs = np.where(all_masked, np.divide(1, max(self.count, 1), dtype=dtype), probs)
        return probs.astype(dtype)


def _shift(chunk: NDArray[np.floating], peak: NDArray[np.floating]) -> NDArray[np.floating]:
    """``chunk - peak``, where an infinite peak gives 0 at the entries equal to it, else -inf."""
    with np.errstate(invalid="ignore", over="ignore"):
        shifted = chunk - peak
    infinite = np.isinf(peak)
    if infinite.any():
        at_peak = np.where(chunk == peak, 0, -np.inf).astype(shifted.dtype)
        shifted = np.where(infinite, at_peak, shifted)
    return shifted


def _rescale(peak: NDArray[np.floating], new_peak: NDArray[np.floating]) -> NDArray[np.floating]:
    """``exp(peak - new_peak)``, and 1 where both are the same infinity.

    A difference beyond the float range rounds to ``-inf``, whose ``exp`` is the
    correctly rounded 0: that overflow is silent.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(peak == new_peak, 1, np.exp(peak - new_peak))


def online_logsumexp(chunks: Iterable[ArrayLike]) -> NDArray[np.floating]:
    """``logsumexp`` of the concatenation of `chunks` along the last axis, in one pass.

    The chunks share their batch shape (all axes but the last); the result
    has that shape and the chunks' dtype. Edge behaviour follows
    :ref:`api-rules` and :class:`OnlineSoftmax`: no chunks, or only empty
    ones, give ``-inf`` (the log of an empty sum), as does a stream of only
    ``-inf``; any ``+inf`` gives ``+inf``; a NaN makes its slice NaN. A 0-d
    chunk is a ``ValueError``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import online_logsumexp
    >>> float(np.round(online_logsumexp([[0.0, 1.0], [2.0], [-np.inf, 3.0]]), 6))
    3.44019
    >>> online_logsumexp([np.zeros(40_000, np.float16), np.zeros(40_000, np.float16)])
    np.float16(11.29)
    """
    state = OnlineSoftmax.empty()
    for chunk in chunks:
        state = state.update(chunk)
    return state.logsumexp()

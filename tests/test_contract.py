"""The contract every public function keeps, checked the same way for all of them.

``REGISTRY`` holds one line per public function (or method, or option that
takes another path through the code): how to call it on an array ``x`` of
logits whose last axis holds the classes, and what it does where the rules
leave it a choice (an error instead of a value). A new public function joins
the contract with one line; ``test_every_public_name_is_in_the_contract``
fails until it does.

Every entry runs through every case, in float16, float32, float64 and long
double:

=============  ================================================================
finite         3 x 7 logits in [-4, 4]
0-d            a zero-dimensional array: a value, or the entry's error
empty batch    shape (0, 5)
no classes     shape (3, 0): a value, or the entry's error
one class      shape (2, 1)
large          70,000 logits in [-1/64, 1/64] along the class axis (more than
               float16's largest finite number, 65,504; the small spread makes
               every entry count in every sum), a batch of 70,000 for the
               losses, 1000 x 1000 for the Jacobians; none where nothing sums
               over the class axis
strided        a non-contiguous view (every other column of a Fortran array)
+inf ties      slices with tied +inf, a single +inf, and -inf beside them
-inf           slices with some -inf entries
all -inf       one slice of only -inf among finite ones
NaN            one NaN in one slice
=============  ================================================================

plus masked arrays (rejected with a ``TypeError`` naming the argument) and
integer logits (the float64 result). Every input is read-only and must come
back unchanged, the result must have the documented dtype, and no warning may
escape (pytest turns warnings into errors).

The reference for a finite case is the same function evaluated in a wider
dtype on the same numbers: float64 for float16 and float32, long double for
float64. Long double has nothing wider, so it is compared with the float64
evaluation at float64's tolerance, and ``test_long_double_keeps_its_precision``
checks that it really computes in long double. A result must agree with its
reference to ``RTOL`` units of the dtype's machine epsilon, relative to each
entry (or, for entries with ``scale="max"``, whose results can cancel, to the
largest entry), plus a few of the dtype's smallest subnormal numbers where the
result underflows.

The non-finite cases need no table of expected values: they are the limits
the rules promise. ``+inf`` is replaced by a large finite ``t`` and ``-inf`` by
``-t`` (in the wider dtype), at ``t = 1e5`` and ``t = 2e5``: where the two
results agree, the function must return that value; where they run off to
infinity, it must return that infinity. For NaN, the NaN is replaced by three
different numbers: every result that changes must be NaN, results in other
slices must be unchanged, and results in the NaN's own slice may be either.

"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

import softmax_notes as sn
from softmax_notes import classifier

FLOATS = [np.dtype(t) for t in (np.float16, np.float32, np.float64, np.longdouble)]
LONG_DOUBLE_IS_WIDER = np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant
if not LONG_DOUBLE_IS_WIDER:  # long double is float64 here: nothing to add, nothing wider
    FLOATS = FLOATS[:3]
WIDER = {np.dtype(np.float16): np.float64, np.dtype(np.float32): np.float64}
if LONG_DOUBLE_IS_WIDER:
    WIDER[np.dtype(np.float64)] = np.longdouble
LARGE = 70_000  # more than float16's largest finite value, 65504
LIMITS = (1e5, 2e5)  # stand-ins for +inf, far beyond every exp's range
RTOL = 8  # units of the dtype's machine epsilon: 16 roundings


# --- the same auxiliary inputs for x and for its wider copy: built from the shape -----------


def _float(x: np.ndarray) -> np.dtype:
    """The dtype the package computes x in: integers become float64."""
    return x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)


def _batch(x: np.ndarray) -> tuple[int, ...]:
    return x.shape[:-1] if x.ndim else ()


def _classes(x: np.ndarray) -> int:
    return x.shape[-1] if x.ndim else 1


def labels(x: np.ndarray, n: int | None = None) -> np.ndarray:
    """One class index per slice, cycling through the classes (0 if there are none)."""
    n = _classes(x) if n is None else n
    return (np.arange(math.prod(_batch(x))) % max(n, 1)).reshape(_batch(x))


def first_class(x: np.ndarray) -> np.ndarray:
    """Every example in class 0: gradients that do not cancel to exactly 0 (no scale)."""
    return np.zeros(_batch(x), int)


def soft_target(x: np.ndarray) -> np.ndarray:
    """Half on each slice's label and half on the next class: exact in every dtype."""
    n, first = _classes(x), labels(x)
    if n == 0 or x.ndim == 0:
        return np.zeros(x.shape, _float(x))
    return ((np.eye(n)[first] + np.eye(n)[(first + 1) % n]) / 2).astype(_float(x))


def class_weights(x: np.ndarray) -> np.ndarray:
    """PyTorch-style class weights 0.5, 1, 1.5, 0.5, ...: exact in every dtype."""
    return ((np.arange(_classes(x)) % 3 + 1) / 2).astype(_float(x))


OPTIONS = {"ignore_index": 1, "label_smoothing": 0.1}  # 0.1 is a float64 parameter


SAMPLING = {"temperature": 3.0, "top_k": 4, "top_p": 0.9}


def query_and_keys(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One query of width 1 and one key per class, ``k_j = x_j``: the scores are ``x``."""
    if x.ndim == 0:
        return np.ones((1, 1), _float(x)), x
    return np.ones((*_batch(x), 1, 1), _float(x)), x[..., :, None]


def values(x: np.ndarray) -> np.ndarray:
    """One positive value per key: the output sums over all the keys, without cancelling."""
    return (tangent(x) + 1)[..., :, None] if x.ndim else tangent(x) + 1


def calibration_labels(x: np.ndarray) -> np.ndarray:
    """Each slice's most probable class, but the first slice's least probable one: a finite
    temperature then minimises the loss (one confident mistake among right answers)."""
    if x.ndim == 0 or x.shape[-1] == 0:
        return np.zeros(_batch(x), int)
    chosen = np.argmax(x, axis=-1)
    if chosen.size:
        chosen.reshape(-1)[0] = np.argmin(x.reshape(-1, x.shape[-1])[0])
    return chosen


def tangent(x: np.ndarray) -> np.ndarray:
    """Entries in {-0.75, ..., 0.75}: exact in every dtype."""
    return ((np.arange(x.size) % 7 - 3) / 4).reshape(x.shape).astype(_float(x))


def rng() -> np.random.Generator:
    return np.random.default_rng(2017)


@functools.cache
def tree(num_nodes: int) -> sn.HierarchicalSoftmax:
    """A balanced tree whose score vector has `num_nodes` entries (at least one)."""
    return sn.HierarchicalSoftmax.balanced(max(num_nodes, 1) + 1)


def weights(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``W`` (d x 3) and ``b`` for features ``x`` of width d, in x's dtype."""
    d, dtype = _classes(x), _float(x)
    return ((np.arange(3 * d) % 5 - 2) / 4).reshape(d, 3).astype(dtype), np.zeros(3, dtype)


def chunks(x: np.ndarray, parts: int) -> list[np.ndarray]:
    return np.array_split(x, parts, axis=-1) if x.ndim else [x]


def online(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stream x in three chunks: the normalizer and the probabilities of every chunk."""
    state = sn.OnlineSoftmax.empty()
    for chunk in chunks(x, 3):
        state = state.update(chunk)
    probs = [state.probabilities(chunk) for chunk in chunks(x, 3)]
    return state.logsumexp(), np.concatenate(probs, axis=-1)


def merged(x: np.ndarray) -> np.ndarray:
    first, second = chunks(x, 2) if x.ndim else (x, x)
    return sn.OnlineSoftmax.from_chunk(first).merge(sn.OnlineSoftmax.from_chunk(second)).logsumexp()


def relative_error(x: np.ndarray) -> np.ndarray:
    return sn.softmax_relative_error(sn.softmax(x, axis=-1 if x.ndim else None), x)


def gradient_of_logsumexp(x: np.ndarray) -> np.ndarray:
    return sn.numerical_gradient(lambda v: sn.logsumexp(v, axis=None), x)


def same(dtype: np.dtype) -> np.dtype:
    return dtype


def at_least_float64(dtype: np.dtype) -> np.dtype:
    return np.promote_types(dtype, np.float64)


def always(fixed: type) -> Callable[[np.dtype], np.dtype]:
    return lambda _: np.dtype(fixed)


@dataclass(frozen=True)
class Entry:
    """One public function in the contract.

    `call` maps logits ``x`` to the result (an array or a tuple of arrays).
    `arg` is the name its errors use for ``x``. `zero_d`, `no_classes` and
    `nonfinite` are ``None`` where the function returns a value, or the error
    it raises instead. `out` maps the float dtype of ``x`` to the result's.
    `scale="max"` measures errors against the largest entry of each result
    (for results that can cancel), `scale="all"` against the largest entry of
    all results (for gradients whose parts differ in size). `large` is the
    shape of the large case; ``None`` where nothing is summed over the class
    axis that another entry does not already sum (a loop of independent
    evaluations, a tree's short paths, work in float64 on top of
    ``loss_and_grads`` or ``softmax``). `rtol` is in units of the dtype's epsilon, `min_rtol`
    an absolute floor (for approximations). `compare=False` for the audit
    tools, whose result describes the dtype they audit (so a wider evaluation
    is a different answer, not a better one). `keeps_precision=False` where
    the result cannot show long double's extra digits (integers, piecewise
    constants, float64 by design). `slices` says what a NaN's slice is:
    ``"last"`` (along the class axis), ``"all"`` (``axis=None``: the whole
    array) or ``"entry"`` (elementwise). `limits` are the stand-ins for
    infinity, which must be far beyond the function's own scale. `raises`
    maps any other case to the error the function raises there instead of a
    value (a NaN slice for a sampler, say). `out` may give one dtype per
    result.
    `names` are the public names the entry exercises.
    """

    name: str
    call: Callable[[np.ndarray], object]
    names: tuple[str, ...]
    arg: str = "x"
    zero_d: type[Exception] | None = np.exceptions.AxisError
    no_classes: type[Exception] | None = None
    nonfinite: type[Exception] | None = None
    out: Callable[[np.dtype], np.dtype] = same
    scale: str = "entry"
    large: tuple[int, ...] | None = (1, LARGE)
    rtol: float = RTOL
    min_rtol: float = 0.0
    keeps_precision: bool = True
    compare: bool = True
    slices: str = "last"
    limits: tuple[float, float] = LIMITS
    raises: dict[str, type[Exception]] = field(default_factory=dict)


AXIS = np.exceptions.AxisError
LOSS_LARGE = (LARGE, 3)  # a batch of more than 65,504 examples
JACOBIAN_LARGE = (1, 1000)  # n x n entries: a million

REGISTRY = [
    Entry("softmax", lambda x: sn.softmax(x), ("softmax",)),
    Entry("softmax axis=None", lambda x: sn.softmax(x, axis=None), ("softmax",), zero_d=None, slices="all"),
    Entry("log_softmax", lambda x: sn.log_softmax(x), ("log_softmax",)),
    Entry("log_softmax axis=None", lambda x: sn.log_softmax(x, axis=None), ("log_softmax",), zero_d=None, slices="all"),
    Entry("logsumexp", lambda x: sn.logsumexp(x), ("logsumexp",)),
    Entry("logsumexp axis=None", lambda x: sn.logsumexp(x, axis=None), ("logsumexp",), zero_d=None, slices="all"),
    Entry("sigmoid", lambda x: sn.sigmoid(x), ("sigmoid",), zero_d=None, slices="entry"),
    Entry("softmax_with_temperature", lambda x: sn.softmax_with_temperature(x, 3.0), ("softmax_with_temperature",)),
    Entry("softmax_with_temperature axis=None", lambda x: sn.softmax_with_temperature(x, 3.0, axis=None), ("softmax_with_temperature",), zero_d=None, slices="all"),
    Entry("softmax_with_temperature 1e-300", lambda x: sn.softmax_with_temperature(x, 1e-300), ("softmax_with_temperature",), keeps_precision=False),  # one-hot
    Entry("softmax_with_temperature 1e300", lambda x: sn.softmax_with_temperature(x, 1e300), ("softmax_with_temperature",), keeps_precision=False, limits=(1e306, 1e307)),  # uniform
    Entry("sparsemax", lambda x: sn.sparsemax(x), ("sparsemax",), scale="max"),
    Entry("sparsemax_jacobian", lambda x: sn.sparsemax_jacobian(x), ("sparsemax_jacobian",), large=JACOBIAN_LARGE, keeps_precision=False),
    Entry("softmax_jacobian", lambda x: sn.softmax_jacobian(x), ("softmax_jacobian",), arg="z", large=JACOBIAN_LARGE),
    Entry("softmax_jvp", lambda x: sn.softmax_jvp(sn.softmax(x), tangent(x)), ("softmax_jvp",), scale="max"),
    Entry("gumbel_argmax", lambda x: sn.gumbel_argmax(x, rng()), ("gumbel_argmax",), arg="logits", no_classes=ValueError, out=always(np.intp), keeps_precision=False, raises={"NaN": ValueError}),
    Entry("gumbel_softmax", lambda x: sn.gumbel_softmax(x, 3.0, rng()), ("gumbel_softmax",), arg="logits"),
    Entry("gumbel_softmax hard", lambda x: sn.gumbel_softmax(x, 3.0, rng(), hard=True), ("gumbel_softmax",), arg="logits", keeps_precision=False),
    Entry("cross_entropy", lambda x: sn.cross_entropy(x, labels(x), reduction="none"), ("cross_entropy",), arg="logits", zero_d=ValueError, no_classes=IndexError, large=LOSS_LARGE),
    Entry("cross_entropy mean of soft targets", lambda x: sn.cross_entropy(x, soft_target(x)), ("cross_entropy",), arg="logits", zero_d=ValueError, large=LOSS_LARGE),
    Entry("cross_entropy_grad", lambda x: sn.cross_entropy_grad(x, labels(x)), ("cross_entropy_grad",), arg="logits", zero_d=ValueError, no_classes=IndexError, scale="max", large=LOSS_LARGE),
    Entry("cross_entropy_grad sum of soft targets", lambda x: sn.cross_entropy_grad(x, soft_target(x), reduction="sum"), ("cross_entropy_grad",), arg="logits", zero_d=ValueError, scale="max", large=LOSS_LARGE),
    Entry("cross_entropy_and_grad", lambda x: sn.cross_entropy_and_grad(x, labels(x)), ("cross_entropy_and_grad",), arg="logits", zero_d=ValueError, no_classes=IndexError, scale="max", large=LOSS_LARGE),
    Entry("cross_entropy weight, ignore_index, label_smoothing", lambda x: sn.cross_entropy(x, labels(x), weight=class_weights(x), **OPTIONS), ("cross_entropy",), arg="logits", zero_d=ValueError, no_classes=IndexError, large=LOSS_LARGE),
    Entry("cross_entropy_grad weight, ignore_index, label_smoothing", lambda x: sn.cross_entropy_grad(x, labels(x), weight=class_weights(x), **OPTIONS), ("cross_entropy_grad",), arg="logits", zero_d=ValueError, no_classes=IndexError, scale="max", large=LOSS_LARGE),
    Entry("cross_entropy_and_grad soft targets, weight, smoothing", lambda x: sn.cross_entropy_and_grad(x, soft_target(x), weight=class_weights(x), label_smoothing=0.1), ("cross_entropy_and_grad",), arg="logits", zero_d=ValueError, scale="max", large=LOSS_LARGE),
    Entry("entropy", lambda x: sn.entropy(sn.softmax(x)), ("entropy",)),
    Entry("kl_divergence", lambda x: sn.kl_divergence(sn.softmax(x), sn.softmax(x[..., ::-1])), ("kl_divergence",), scale="max"),
    Entry("top_k_filter", lambda x: sn.top_k_filter(x, 3), ("top_k_filter",), arg="logits"),
    Entry("top_p_filter", lambda x: sn.top_p_filter(x, 0.9), ("top_p_filter",), arg="logits"),
    Entry("sampling_probs", lambda x: sn.sampling_probs(x, **SAMPLING), ("sampling_probs",), arg="logits"),
    Entry("sample_logits", lambda x: sn.sample_logits(x, rng(), **SAMPLING), ("sample_logits",), arg="logits", no_classes=ValueError, out=always(np.intp), keeps_precision=False, raises={"NaN": ValueError}),
    Entry("attention_weights", lambda x: sn.attention_weights(*query_and_keys(x), scale=1.0), ("attention_weights",), arg="key", zero_d=ValueError),
    Entry("scaled_dot_product_attention", lambda x: sn.scaled_dot_product_attention(*query_and_keys(x), values(x), scale=1.0), ("scaled_dot_product_attention",), arg="key", zero_d=ValueError, scale="max"),
    # Bins 0.25 wide: no probability of these cases sits on an edge in one dtype and beside it
    # in another (float32's 0.2 is above float64's, so 5 bins would split a uniform slice).
    Entry("reliability_bins", lambda x: tuple(sn.reliability_bins(sn.softmax(x, axis=-1 if x.ndim else None), labels(x), 4))[1:], ("reliability_bins", "ReliabilityBins"), zero_d=ValueError, out=lambda _: (np.dtype(np.float64),) * 2 + (np.dtype(np.intp),), keeps_precision=False, raises={"NaN": ValueError, "no classes": ValueError}),
    Entry("expected_calibration_error", lambda x: sn.expected_calibration_error(sn.softmax(x, axis=-1 if x.ndim else None), labels(x), 4), ("expected_calibration_error",), zero_d=ValueError, out=always(np.float64), keeps_precision=False, raises={"NaN": ValueError, "no classes": ValueError}),
    Entry("fit_temperature", lambda x: sn.fit_temperature(x, calibration_labels(x)), ("fit_temperature",), arg="logits", zero_d=ValueError, no_classes=IndexError, out=always(np.float64), large=None, keeps_precision=False, raises={"empty batch": ValueError, "one class": ValueError, "+inf ties": ValueError, "-inf": ValueError, "all -inf": ValueError, "NaN": ValueError}),
    Entry("HierarchicalSoftmax.probs", lambda x: tree(_classes(x)).probs(x), ("HierarchicalSoftmax",), arg="scores", zero_d=ValueError, no_classes=ValueError, large=None),
    Entry("HierarchicalSoftmax.flat_logits", lambda x: tree(_classes(x)).flat_logits(x), ("HierarchicalSoftmax",), arg="scores", zero_d=ValueError, no_classes=ValueError, large=None),
    Entry("HierarchicalSoftmax.log_prob", lambda x: tree(_classes(x)).log_prob(x, labels(x, _classes(x) + 1)), ("HierarchicalSoftmax",), arg="scores", zero_d=ValueError, no_classes=ValueError, large=None),
    Entry("OnlineSoftmax", online, ("OnlineSoftmax",), arg="chunk", zero_d=ValueError, scale="max"),
    Entry("OnlineSoftmax.merge", merged, ("OnlineSoftmax",), arg="chunk", zero_d=ValueError, scale="max"),
    Entry("online_logsumexp", lambda x: sn.online_logsumexp(chunks(x, 2)), ("online_logsumexp",), arg="chunk", zero_d=ValueError, scale="max"),
    Entry("numerical_gradient", gradient_of_logsumexp, ("numerical_gradient",), zero_d=None, nonfinite=ValueError, out=at_least_float64, scale="max", large=None, min_rtol=1e-8),
    Entry("softmax_relative_error", relative_error, ("softmax_relative_error",), zero_d=ValueError, nonfinite=ValueError, out=always(np.float64), large=None, keeps_precision=False, compare=False),
    Entry("softmax_error_bound", lambda x: sn.softmax_error_bound(x), ("softmax_error_bound",), zero_d=ValueError, no_classes=ValueError, nonfinite=ValueError, out=always(np.float64), keeps_precision=False, compare=False),
    Entry("classifier.forward", lambda x: classifier.forward(*weights(x), x), ("classifier.forward",), arg="X", zero_d=ValueError, nonfinite=ValueError, scale="max", large=LOSS_LARGE),
    Entry("classifier.predict", lambda x: classifier.predict(*weights(x), x), ("classifier.predict",), arg="X", zero_d=ValueError, nonfinite=ValueError, out=always(np.intp), large=LOSS_LARGE, keeps_precision=False),
    Entry("classifier.loss_and_grads", lambda x: classifier.loss_and_grads(*weights(x), x, first_class(x))[1:], ("classifier.loss_and_grads",), arg="X", zero_d=ValueError, nonfinite=ValueError, scale="all", large=LOSS_LARGE, rtol=8 * RTOL),  # sums 70,000 rows one by one (float64)
    Entry("classifier.fit", lambda x: classifier.fit(x, first_class(x), 3, 0.5, 2)[:2], ("classifier.fit",), arg="X", zero_d=ValueError, nonfinite=ValueError, out=at_least_float64, scale="all", large=None),
]

# Public names without an array of logits to vary: their argument checks live in their own tests.
NOT_IN_CONTRACT = {
    "classifier.make_blobs": "draws data; tests/test_classifier.py checks it",
    "seconds_per_call": "times a callable; tests/test_timing.py checks it",
}

# Cases that fail in code this branch does not own: (entry, case, dtype) -> reason.


# --- the cases -------------------------------------------------------------------------------

INF, NAN = np.inf, np.nan
NONFINITE_ROWS = {
    "+inf ties": [[INF, 1, INF, -INF, 0], [2, INF, -1, 0.5, -2], [1, -INF, 3, INF, INF]],
    "-inf": [[1, -INF, 2, -INF, 0], [-INF, 0.5, 0.5, -3, 1]],
    "all -inf": [[0.5, 1, -1, 2, 0], [-INF] * 5, [1, -INF, 0, 0, 3]],
    "NaN": [[0.5, 1, -1, 2, 0], [1, NAN, 0, -2, 3], [0, 0, 1, -INF, 2]],
}
VALUE_CASES = ["finite", "0-d", "empty batch", "no classes", "one class", "large", "strided"]
LIMIT_CASES = ["+inf ties", "-inf", "all -inf"]


def finite(dtype: np.dtype, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-4, 4, shape).astype(dtype)


def build(case: str, dtype: np.dtype, entry: Entry) -> np.ndarray:
    if case == "finite":
        return finite(dtype, (3, 7))
    if case == "0-d":
        return np.array(1.25, dtype=dtype)
    if case == "empty batch":
        return np.zeros((0, 5), dtype)
    if case == "no classes":
        return np.zeros((3, 0), dtype)
    if case == "one class":
        return finite(dtype, (2, 1))
    if case == "large":  # a small spread: every entry counts, so every sum is stressed
        return (np.random.default_rng(0).uniform(-4, 4, entry.large) / 256).astype(dtype)
    if case == "strided":
        return np.asfortranarray(finite(dtype, (7, 12)))[:, ::2]
    return np.array(NONFINITE_ROWS[case], dtype=dtype)


def run(entry: Entry, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """``entry.call(x)`` on a read-only `x`, checked to be unchanged; results as arrays."""
    before = x.copy()
    x.flags.writeable = False
    result = entry.call(x)
    np.testing.assert_array_equal(x, before)
    return tuple(np.asarray(part) for part in (result if isinstance(result, tuple) else (result,)))


def tolerance(entry: Entry, dtype: np.dtype) -> tuple[float, float]:
    """(relative, absolute) tolerance for results computed in `dtype`."""
    info = np.finfo(dtype)
    return max(entry.rtol * float(info.eps), entry.min_rtol), 8 * float(info.smallest_subnormal)


def assert_close(entry: Entry, got: tuple, expected: tuple, dtype: np.dtype, allow_nan=None):
    """Every result within tolerance of its expected value; NaN and infinities exactly."""
    assert len(got) == len(expected)
    rtol, atol = tolerance(entry, dtype)
    for index, (actual, wanted) in enumerate(zip(got, expected, strict=True)):
        assert actual.shape == wanted.shape, f"result {index}: shape"
        if actual.dtype.kind in "iub" or wanted.dtype.kind in "iub":
            np.testing.assert_array_equal(actual, wanted, err_msg=f"result {index}")
            continue
        common = np.promote_types(np.promote_types(actual.dtype, wanted.dtype), np.float64)
        actual, wanted = actual.astype(common), wanted.astype(common)
        spare = np.zeros(actual.shape, bool) if allow_nan is None else allow_nan[index]
        wanted_nan, actual_nan = np.isnan(wanted), np.isnan(actual)
        np.testing.assert_array_equal(actual_nan & ~spare, wanted_nan & ~spare, f"NaN in {index}")
        finite_wanted = np.isfinite(wanted) & ~actual_nan
        infinite = np.isinf(wanted) & ~(spare & actual_nan)
        np.testing.assert_array_equal(actual[infinite], wanted[infinite], f"infinities in {index}")
        if not finite_wanted.any():
            continue
        scale = np.abs(wanted[finite_wanted])
        if entry.scale == "max":
            scale = np.max(scale)
        elif entry.scale == "all":
            scale = max(float(np.max(np.abs(part[np.isfinite(part)]), initial=0)) for part in expected)
        error = np.abs(actual[finite_wanted] - wanted[finite_wanted])
        worst = np.max(error - (rtol * scale + atol))
        assert worst <= 0, (
            f"result {index}: error {float(np.max(error)):.3g} beyond rtol {rtol:.3g} x "
            f"{entry.scale} scale + atol {atol:.3g}"
        )


def check_dtypes(entry: Entry, got: tuple, dtype: np.dtype) -> None:
    expected = entry.out(np.dtype(dtype))
    expected = expected if isinstance(expected, tuple) else (expected,) * len(got)
    for part, wanted in zip(got, expected, strict=True):
        assert part.dtype == wanted, f"{part.dtype} for {dtype} input"


def reference(entry: Entry, x: np.ndarray) -> tuple[tuple, np.dtype]:
    """The entry on the same numbers in the wider dtype, and the dtype whose tolerance applies."""
    if x.dtype in WIDER:
        return run(entry, x.astype(WIDER[x.dtype])), x.dtype
    if x.dtype == np.longdouble and LONG_DOUBLE_IS_WIDER:  # nothing wider: float64's accuracy
        return run(entry, x.astype(np.float64)), np.dtype(np.float64)
    pytest.skip("nothing here is wider than float64 (long double is float64)")


def limit_reference(entry: Entry, x: np.ndarray, dtype: np.dtype) -> tuple:
    """The limit the rules promise: +-inf as +-t for two large t, the agreed or divergent value."""
    wide = np.dtype(WIDER.get(np.dtype(dtype), dtype))
    results = []
    base = x.astype(wide)
    for t in entry.limits:
        results.append(run(entry, np.where(np.isinf(base), np.sign(base) * wide.type(t), base)))
    rtol, atol = tolerance(entry, dtype)
    limits = []
    for near, far in zip(*results, strict=True):
        if near.dtype.kind in "iub":
            np.testing.assert_array_equal(near, far, "the stand-ins disagree: no limit")
            limits.append(far)
            continue
        with np.errstate(invalid="ignore"):
            same = (far == near) | (np.isnan(far) & np.isnan(near))  # an empty bin's NaN, say
            agreed = same | (np.abs(far - near) <= rtol * np.abs(far) + atol)
            growing = (np.abs(far) > np.abs(near)) & (np.sign(far - near) == np.sign(far))
            assert (agreed | growing).all(), "the stand-ins neither agree nor diverge: no limit"
            limits.append(np.where(agreed, far, np.sign(far) * np.inf))
    return tuple(limits)


def nan_reference(entry: Entry, x: np.ndarray, dtype: np.dtype) -> tuple[tuple, tuple]:
    """What a NaN must do: (expected values with NaN where results depend on it, NaN allowance)."""
    wide = np.dtype(WIDER.get(np.dtype(dtype), dtype))
    base = x.astype(wide)
    variants = [run(entry, np.where(np.isnan(base), wide.type(v), base)) for v in (0, 50, -50)]
    if entry.slices == "entry":
        nan_slices = np.isnan(x)
    elif entry.slices == "all":
        nan_slices = np.array(np.isnan(x).any())
    else:  # along the class axis
        nan_slices = np.isnan(x).any(axis=-1)
    expected, allowance = [], []
    for first, *others in zip(*variants, strict=True):
        depends = np.zeros(first.shape, bool)
        for other in others:
            depends |= ~((first == other) | (np.isnan(first) & np.isnan(other)))
        expected.append(np.where(depends, np.nan, first))
        batch = nan_slices.shape
        if first.shape[: len(batch)] == batch:  # results indexed by slice first
            in_slice = np.broadcast_to(nan_slices.reshape(batch + (1,) * (first.ndim - len(batch))), first.shape)
        else:  # a reduction over the slices: all of it is the NaN's
            in_slice = np.ones(first.shape, bool)
        allowance.append(in_slice & ~depends)
    return tuple(expected), tuple(allowance)


# --- the tests -------------------------------------------------------------------------------


def _params(cases: list[str]) -> list:
    params = []
    for entry in REGISTRY:
        for case in cases:
            if case == "large" and entry.large is None:
                continue  # nothing summed over the class axis that another entry does not cover
            for dtype in FLOATS:
                params.append(
                    pytest.param(entry, case, dtype, id=f"{entry.name}-{case}-{dtype.name}")
                )
    return params


@pytest.mark.parametrize(("entry", "case", "dtype"), _params(VALUE_CASES))
def test_matches_a_higher_precision_evaluation(entry, case, dtype):
    expected_error = {"0-d": entry.zero_d, "no classes": entry.no_classes, **entry.raises}.get(case)
    x = build(case, dtype, entry)
    if expected_error is not None:
        with pytest.raises(expected_error):
            run(entry, x)
        return
    got = run(entry, x)
    check_dtypes(entry, got, dtype)
    if entry.compare:
        expected, precision = reference(entry, x)
        assert_close(entry, got, expected, precision)


@pytest.mark.parametrize(("entry", "case", "dtype"), _params(LIMIT_CASES))
def test_non_finite_logits_give_the_limit(entry, case, dtype):
    x = build(case, dtype, entry)
    error = entry.raises.get(case, entry.nonfinite)
    if error is not None:
        with pytest.raises(error):
            run(entry, x)
        return
    got = run(entry, x)
    check_dtypes(entry, got, dtype)
    assert_close(entry, got, limit_reference(entry, x, dtype), dtype)


@pytest.mark.parametrize(("entry", "case", "dtype"), _params(["NaN"]))
def test_nan_stays_in_its_slice(entry, case, dtype):
    x = build(case, dtype, entry)
    error = entry.raises.get(case, entry.nonfinite)
    if error is not None:
        with pytest.raises(error, match=r"NaN|finite"):
            run(entry, x)
        return
    got = run(entry, x)
    check_dtypes(entry, got, dtype)
    expected, allowance = nan_reference(entry, x, dtype)
    assert_close(entry, got, expected, dtype, allow_nan=allowance)


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda entry: entry.name)
def test_masked_arrays_are_rejected_naming_the_argument(entry):
    x = np.ma.array(finite(np.float64, (3, 7)), mask=np.arange(21).reshape(3, 7) % 5 == 0)
    with pytest.raises(TypeError, match=rf"\b{entry.arg} is a masked array"):
        entry.call(x)


def _masked(values, masked_at=1):
    values = np.asarray(values)
    return np.ma.array(values, mask=np.arange(values.size).reshape(values.shape) == masked_at)


OTHER_ARRAYS = [
    ("softmax_jvp", "s", lambda: sn.softmax_jvp(_masked([0.5, 0.25, 0.25]), np.ones(3))),
    ("softmax_jvp", "v", lambda: sn.softmax_jvp(np.full(3, 1 / 3), _masked([1.0, 2.0, 3.0]))),
    ("cross_entropy", "weight", lambda: sn.cross_entropy(np.zeros((2, 3)), [0, 1], weight=_masked([1.0, 2, 3]))),
    ("cross_entropy class index", "target", lambda: sn.cross_entropy(np.zeros((2, 3)), _masked([0, 2]))),
    ("cross_entropy probabilities", "target", lambda: sn.cross_entropy(np.zeros(3), _masked([0.5, 0.25, 0.25]))),
    ("cross_entropy_grad", "target", lambda: sn.cross_entropy_grad(np.zeros((2, 3)), _masked([0, 2]))),
    ("cross_entropy_and_grad", "target", lambda: sn.cross_entropy_and_grad(np.zeros((2, 3)), _masked([0, 2]))),
    ("softmax_relative_error", "probs", lambda: sn.softmax_relative_error(_masked([0.5, 0.5]), [0.0, 0.0])),
    ("HierarchicalSoftmax.log_prob", "target", lambda: tree(3).log_prob(np.zeros((2, 3)), _masked([0, 3]))),
    ("attention_weights", "query", lambda: sn.attention_weights(_masked(np.ones((1, 2))), np.ones((3, 2)))),
    ("scaled_dot_product_attention", "value", lambda: sn.scaled_dot_product_attention(np.ones((1, 2)), np.ones((3, 2)), _masked(np.ones((3, 2))))),
    ("reliability_bins", "labels", lambda: sn.reliability_bins(np.full((2, 2), 0.5), _masked([0, 1]))),
    ("fit_temperature", "labels", lambda: sn.fit_temperature(np.eye(3), _masked([0, 1, 0]))),
    ("classifier.forward", "W", lambda: classifier.forward(_masked(np.eye(2)), np.zeros(2), np.ones((1, 2)))),
    ("classifier.forward", "b", lambda: classifier.forward(np.eye(2), _masked([0.0, 1.0]), np.ones((1, 2)))),
]


@pytest.mark.parametrize(
    ("arg", "call"),
    [
        pytest.param(arg, call, id=f"{name}-{arg}") for name, arg, call in OTHER_ARRAYS
    ],
)
def test_every_other_array_argument_rejects_a_masked_array_by_name(arg, call):
    with pytest.raises(TypeError, match=rf"\b{arg} is a masked array"):
        call()


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda entry: entry.name)
def test_integer_logits_give_the_float64_result(entry):
    x = np.random.default_rng(1).integers(-4, 5, (3, 7))
    got = run(entry, x)
    check_dtypes(entry, got, np.dtype(np.float64))
    for actual, wanted in zip(got, run(entry, x.astype(np.float64)), strict=True):
        np.testing.assert_array_equal(actual, wanted)


@pytest.mark.skipif(not LONG_DOUBLE_IS_WIDER, reason="long double is float64 on this platform")
@pytest.mark.parametrize(
    "entry", [e for e in REGISTRY if e.keeps_precision], ids=lambda entry: entry.name
)
def test_long_double_keeps_its_precision(entry):
    # Nudge every logit by about 2**-58 of itself: invisible in float64, 32 units of long
    # double's rounding. A function that rounds its input (or its work) to float64 cannot
    # tell the two inputs apart.
    base = finite(np.float64, (3, 7)).astype(np.longdouble)
    nudged = base + base * np.longdouble(2) ** -58
    assert (nudged.astype(np.float64) == base.astype(np.float64)).all() and (nudged != base).all()
    plain, moved = run(entry, base), run(entry, nudged)
    assert all(part.dtype == np.longdouble for part in plain)
    assert any((a != b).any() for a, b in zip(plain, moved, strict=True))


def test_every_public_name_is_in_the_contract():
    public = set(sn.__all__) | {f"classifier.{name}" for name in classifier.__all__}
    covered = {name for entry in REGISTRY for name in entry.names} | set(NOT_IN_CONTRACT)
    assert sorted(public - covered) == [], "add one line to REGISTRY for each"
    assert sorted(covered - public) == []


def test_the_reason_for_the_precision_rule_holds():
    """The API page's rule that sums and counts accumulate in at least float32 rests on
    two float16 facts: a count stops growing at 2**11, a sum overflows past 65,504."""
    count = np.float16(2**11)
    assert count + np.float16(1) == count
    assert float(np.finfo(np.float16).max) == 65504
    with np.errstate(over="ignore"):
        assert np.float16(65504) + np.float16(32) == np.inf

"""Sampling the next token: temperature, top-k and top-p (nucleus) filtering.

A language model turns its logits into a distribution with softmax and draws
the next token from it. Three knobs reshape that distribution first, in this
order (the order of Hugging Face's ``generate``):

1. **temperature** ``T > 0`` divides the logits (:func:`softmax_with_temperature`);
2. **top-k** keeps the ``k`` largest logits (:func:`top_k_filter`);
3. **top-p** keeps the most probable tokens until their probability reaches
   ``p`` (:func:`top_p_filter`; Holtzman et al. 2020).

A filter sets the logits it drops to ``-inf``, which softmax turns into a
probability of exactly 0. :func:`sampling_probs` returns the exact
distribution after all three steps and :func:`sample_logits` draws from it.

Edge rules, shared by all four functions: the class axis is one axis
(``axis=-1`` by default) and every other axis is a batch; integers become
float64 and float16/32/64 keep their dtype; the decisions (which tokens to
keep) and the probabilities are computed in at least float64, so neither
long rows nor low-precision input change them, and the temperature is never
rounded to the input's dtype; ties are kept together (a token tied with the
last one kept is kept too), so the result does not depend on the order of
the classes; a ``-inf`` logit is never kept, ``+inf`` logits share all the
mass and a slice of only ``-inf`` is uniform, as in
:func:`~softmax_notes.softmax`; a NaN makes its slice NaN (and
:func:`sample_logits` raises, since there is nothing to draw from).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import as_float_array
from .core import _shift_by_max, softmax
from .jacobian import _single_axis
from .relatives import _check_generator, _check_temperature

__all__ = ["sample_logits", "sampling_probs", "top_k_filter", "top_p_filter"]


def _logits_last(logits: ArrayLike, axis: int) -> tuple[NDArray[np.floating], int]:
    """Validate `logits` and return them with the class axis moved last, and that axis."""
    if isinstance(logits, np.ma.MaskedArray):
        raise TypeError(
            "logits is a masked array, which this function does not honour; to exclude "
            "tokens, fill them with -inf first: logits.filled(-np.inf)"
        )
    array = as_float_array(logits, "logits")
    position = _single_axis(axis, array.ndim)
    return np.moveaxis(array, position, -1), position


def _working_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype decisions are made in: float64, or longdouble for longdouble input."""
    return np.promote_types(dtype, np.float64)


def _nan_slices(x: NDArray[np.floating]) -> NDArray[np.bool_]:
    """Per slice along the last axis (kept dims): does the slice hold a NaN?"""
    return np.isnan(x).any(axis=-1, keepdims=True)


def _check_k(k: int) -> int:
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
        raise TypeError(f"k must be a positive int, got {k!r}")
    if k < 1:
        raise ValueError(f"k must be at least 1 (the number of tokens to keep), got {k}")
    return int(k)


def _check_p(p: float) -> float:
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
        raise TypeError(f"p must be a real number in (0, 1], got {p!r}")
    value = float(p)
    if not 0 < value <= 1:
        raise ValueError(
            f"p must be in (0, 1], got {p!r}; p = 1 keeps every token, and the most "
            "probable token is kept for any p > 0"
        )
    return value


def _top_k_last(x: NDArray[np.floating], k: int) -> NDArray[np.floating]:
    """Top-k along the last axis of `x` (no NaN handling): drop entries below the k-th largest."""
    n = x.shape[-1]
    if k >= n or x.size == 0:
        return x.copy()
    kth_largest = -np.partition(-x, k - 1, axis=-1)[..., k - 1 : k]
    return np.where(x >= kth_largest, x, -np.inf).astype(x.dtype, copy=False)


def _top_p_last(x: NDArray[np.floating], p: float) -> NDArray[np.floating]:
    """Top-p along the last axis of `x` (no NaN handling), deciding in at least float64."""
    if p >= 1 or x.size == 0:
        return x.copy()
    probs = softmax(x.astype(_working_dtype(x.dtype)), axis=-1)
    descending = -np.sort(-probs, axis=-1)
    # The mass of the tokens ranked before each one: keep while it is below p.
    mass_before = np.cumsum(descending, axis=-1) - descending
    n_kept = np.count_nonzero(mass_before < p, axis=-1)[..., None]
    smallest_kept = np.take_along_axis(descending, np.maximum(n_kept - 1, 0), axis=-1)
    return np.where(probs >= smallest_kept, x, -np.inf).astype(x.dtype, copy=False)


def top_k_filter(logits: ArrayLike, k: int, axis: int = -1) -> NDArray[np.floating]:
    r"""Keep the `k` largest logits of each slice; set the others to ``-inf``.

    Parameters
    ----------
    logits : array_like
        Real logits; integers become float64, float16/32/64 keep their dtype.
    k : int
        How many tokens to keep, at least 1. ``k`` at least the number of
        classes keeps them all.
    axis : int, default -1
        The axis that holds the classes.

    Returns
    -------
    ndarray
        A new array, the shape and dtype of `logits`: the kept logits
        unchanged, the others ``-inf``.

    Raises
    ------
    TypeError
        If `logits` is not real (or is a masked array), `k` is not an int, or
        `axis` is not a single int.
    ValueError
        If `k` is less than 1.
    numpy.exceptions.AxisError
        If `axis` is out of range.

    Notes
    -----
    A logit tied with the ``k``-th largest is kept too, so a slice can keep
    more than ``k`` tokens (as Hugging Face's ``TopKLogitsWarper`` does);
    keeping exactly ``k`` would have to pick among equals by their position.
    Top-k does not depend on the temperature: dividing by ``T > 0`` keeps the
    order of the logits. A ``-inf`` logit stays ``-inf``; a NaN makes its
    slice NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import top_k_filter
    >>> top_k_filter([1.0, 3.0, 2.0, 0.5], 2)
    array([-inf,   3.,   2., -inf])
    >>> top_k_filter([1.0, 2.0, 2.0, 0.5], 2)  # a tie with the 2nd largest is kept
    array([-inf,   2.,   2., -inf])
    """
    x, position = _logits_last(logits, axis)
    k = _check_k(k)
    filtered = _top_k_last(x, k)
    filtered = np.where(_nan_slices(x), np.nan, filtered).astype(x.dtype, copy=False)
    return np.moveaxis(filtered, -1, position)


def top_p_filter(logits: ArrayLike, p: float, axis: int = -1) -> NDArray[np.floating]:
    r"""Top-p (nucleus) filtering: keep the most probable tokens until their mass reaches `p`.

    Token ``i`` is kept when the probabilities of the tokens *more* probable
    than it add up to less than ``p``:

    .. math:: \text{keep } i \iff \sum_{j \,:\, s_j > s_i} s_j < p,
              \qquad s = \operatorname{softmax}(z)

    which is the smallest set of most probable tokens whose probability is at
    least ``p`` (Holtzman et al. 2020), with ties at its edge kept together.

    Parameters
    ----------
    logits : array_like
        Real logits (apply a temperature first, as :func:`sampling_probs`
        does); dtype rules as in :func:`top_k_filter`.
    p : float
        The nucleus mass, in (0, 1]. ``p = 1`` keeps every token; any ``p``
        keeps at least the most probable token.
    axis : int, default -1
        The axis that holds the classes.

    Returns
    -------
    ndarray
        A new array, the shape and dtype of `logits`: the kept logits
        unchanged, the others ``-inf``.

    Raises
    ------
    TypeError
        If `logits` is not real (or is a masked array), `p` is not a real
        number, or `axis` is not a single int.
    ValueError
        If `p` is not in (0, 1].
    numpy.exceptions.AxisError
        If `axis` is out of range.

    Notes
    -----
    The probabilities and their running sum are computed in at least float64
    whatever the dtype of `logits`, so which tokens survive does not depend
    on rounding in float16 or on the length of the row. Hugging Face's
    ``TopPLogitsWarper`` keeps the same tokens except at ties, which it
    breaks by sort position.

    References
    ----------
    A. Holtzman, J. Buys, L. Du, M. Forbes and Y. Choi, "The curious case of
    neural text degeneration", ICLR 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import top_p_filter
    >>> logits = np.log([0.5, 0.2, 0.25, 0.05])
    >>> top_p_filter(logits, 0.7).round(4)  # 0.5 + 0.25 reaches 0.7
    array([-0.6931,    -inf, -1.3863,    -inf])
    >>> top_p_filter(logits, 0.5).round(4)  # 0.5 alone reaches 0.5
    array([-0.6931,    -inf,    -inf,    -inf])
    """
    x, position = _logits_last(logits, axis)
    p = _check_p(p)
    filtered = _top_p_last(x, p)
    filtered = np.where(_nan_slices(x), np.nan, filtered).astype(x.dtype, copy=False)
    return np.moveaxis(filtered, -1, position)


def _sampling_probs_last(
    x: NDArray[np.floating], temperature: float, top_k: int | None, top_p: float | None
) -> NDArray[np.floating]:
    """The sampling distribution along the last axis, in the working dtype (NaN slices NaN)."""
    work = x.astype(_working_dtype(x.dtype))
    if work.size == 0:
        return work
    # Top-k compares the logits as given (dividing by T > 0 keeps their order,
    # and the shift below could round two close logits into a tie).
    filtered = work if top_k is None else _top_k_last(work, top_k)
    with np.errstate(invalid="ignore"):
        # Shift by the maximum before dividing by T, so a tiny T cannot overflow
        # (softmax_with_temperature's rule; +inf and all -inf slices as softmax).
        tempered, _ = _shift_by_max(filtered, (work.ndim - 1,))
        tempered /= temperature
    if top_p is not None:
        tempered = _top_p_last(tempered, top_p)
    return np.where(_nan_slices(work), np.nan, softmax(tempered, axis=-1))


def _check_options(
    temperature: float, top_k: int | None, top_p: float | None
) -> tuple[float, int | None, float | None]:
    return (
        _check_temperature(temperature),
        None if top_k is None else _check_k(top_k),
        None if top_p is None else _check_p(top_p),
    )


def sampling_probs(
    logits: ArrayLike,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    axis: int = -1,
) -> NDArray[np.floating]:
    r"""The distribution :func:`sample_logits` draws from: temperature, then top-k, then top-p.

    .. math:: \pi = \operatorname{softmax}\bigl(\operatorname{top\text{-}p}_p(
              \operatorname{top\text{-}k}_k(z / T))\bigr)

    Parameters
    ----------
    logits : array_like
        Real logits; integers become float64, float16/32/64 keep their dtype.
    temperature : float, default 1.0
        ``T > 0``; never rounded to the dtype of `logits`.
    top_k : int or None, default None
        Keep the ``k`` largest logits (ties kept); ``None`` keeps all.
    top_p : float or None, default None
        Keep the nucleus of mass ``p`` in (0, 1] of the tempered
        distribution; ``None`` keeps all.
    axis : int, default -1
        The axis that holds the classes.

    Returns
    -------
    ndarray
        The shape and dtype of `logits`: a distribution along `axis` with
        exact zeros for the dropped tokens.

    Raises
    ------
    TypeError
        If `logits` is not real (or is masked), an option has the wrong type,
        or `axis` is not a single int.
    ValueError
        If `temperature`, `top_k` or `top_p` is out of range.
    numpy.exceptions.AxisError
        If `axis` is out of range.

    Notes
    -----
    Computed in at least float64 and rounded once to the dtype of `logits`.
    Top-p acts on the tempered distribution, so the temperature changes
    which tokens it keeps; top-k does not depend on it.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import sampling_probs
    >>> logits = np.log([0.5, 0.2, 0.25, 0.05])
    >>> sampling_probs(logits, top_k=2).round(4)
    array([0.6667, 0.    , 0.3333, 0.    ])
    >>> sampling_probs(logits, temperature=2.0, top_p=0.7).round(4)
    array([0.4274, 0.2703, 0.3022, 0.    ])
    """
    x, position = _logits_last(logits, axis)
    temperature, top_k, top_p = _check_options(temperature, top_k, top_p)
    probs = _sampling_probs_last(x, temperature, top_k, top_p)
    return np.moveaxis(probs.astype(x.dtype), -1, position)


def sample_logits(
    logits: ArrayLike,
    rng: np.random.Generator,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    axis: int = -1,
) -> NDArray[np.intp]:
    r"""Draw one token per slice from :func:`sampling_probs` (temperature, top-k, top-p).

    Parameters
    ----------
    logits : array_like
        Real logits, any batch shape; to draw ``N`` tokens from one
        distribution pass ``np.broadcast_to(logits, (N, n))``.
    rng : numpy.random.Generator
        The source of randomness, e.g. ``np.random.default_rng(seed)``.
    temperature, top_k, top_p, axis
        As in :func:`sampling_probs`.

    Returns
    -------
    ndarray of intp
        The drawn class indices, the shape of `logits` without `axis`.

    Raises
    ------
    TypeError
        If `logits` is not real (or is masked), `rng` is not a ``Generator``,
        an option has the wrong type or `axis` is not a single int.
    ValueError
        If an option is out of range, a slice holds a NaN, or the class axis
        is empty (there is nothing to draw).
    numpy.exceptions.AxisError
        If `axis` is out of range.

    Notes
    -----
    One uniform number per slice, inverted through the running sum of the
    float64 probabilities (normalised so that it ends at exactly 1): token
    ``i`` is drawn with probability ``sampling_probs(...)[i]``, and a token of
    probability 0 (dropped by a filter, or a ``-inf`` logit) never is.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import sample_logits
    >>> logits = np.log([0.5, 0.2, 0.25, 0.05])
    >>> draws = sample_logits(np.broadcast_to(logits, (10_000, 4)),
    ...                       np.random.default_rng(0), top_k=2)
    >>> np.bincount(draws, minlength=4) / 10_000  # top-2: [2/3, 0, 1/3, 0]
    array([0.6649, 0.    , 0.3351, 0.    ])
    """
    x, _ = _logits_last(logits, axis)
    temperature, top_k, top_p = _check_options(temperature, top_k, top_p)
    rng = _check_generator(rng)
    batch_shape = x.shape[:-1]
    if math.prod(batch_shape) == 0:
        return np.zeros(batch_shape, dtype=np.intp)
    if x.shape[-1] == 0:
        raise ValueError(
            f"logits has no classes along axis {axis} (shape {x.shape}): nothing to draw"
        )
    if np.isnan(x).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(x))[0][:-1])
        raise ValueError(f"logits holds a NaN in the slice at batch index {where}: cannot sample")
    probs = _sampling_probs_last(x, temperature, top_k, top_p)
    cumulative = np.cumsum(probs, axis=-1)
    cumulative /= cumulative[..., -1:]
    uniforms = rng.random(size=batch_shape)[..., None]
    return np.count_nonzero(cumulative <= uniforms, axis=-1).astype(np.intp)

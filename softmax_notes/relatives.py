"""Relatives of softmax: temperature, sparsemax and the Gumbel-softmax.

* :func:`softmax_with_temperature` divides the logits by a temperature
  ``T > 0``: ``T -> 0+`` tends to the one-hot argmax, ``T -> inf`` to
  the uniform distribution.
* :func:`sparsemax` (Martins & Astudillo 2016) is the Euclidean projection
  of the logits onto the probability simplex: like softmax it outputs a
  distribution, unlike softmax it gives exact zeros; :func:`sparsemax_jacobian`
  is its (piecewise constant) Jacobian.
* :func:`gumbel_softmax` (Jang, Gu & Poole 2017; Maddison, Mnih & Teh 2017)
  is a differentiable relaxation of sampling a class; :func:`gumbel_argmax`
  is the exact sampler it relaxes (the Gumbel-max trick).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import Axis, as_float_array, normalize_axes, single_axis, wide
from .core import _shift_by_max, softmax

__all__ = [
    "gumbel_argmax",
    "gumbel_softmax",
    "softmax_with_temperature",
    "sparsemax",
    "sparsemax_jacobian",
]


def _check_temperature(temperature: float, dtype: np.dtype | None = None) -> np.floating:
    """Return `temperature` in `dtype` (float64 if None): a positive, finite real number.

    The division by the temperature runs in `dtype`, never in the logits' own
    float16 or float32, where 1e-8 would round to 0 and 1e300 to infinity.
    """
    if isinstance(temperature, (bool, np.bool_)) or not isinstance(
        temperature, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"temperature must be a real number, got {temperature!r}")
    dtype = np.dtype(np.float64 if dtype is None else dtype)
    try:
        value = dtype.type(temperature)
    except OverflowError:  # a Python int beyond the float range
        value = dtype.type(np.inf)
    if not (np.isfinite(value) and value > 0):
        shown, held = repr(temperature), ""
        if len(shown) > 30:
            shown = f"an int of {len(shown)} digits"
        finite_as_given = isinstance(temperature, (int, np.integer)) or np.isfinite(temperature)
        if temperature > 0 and finite_as_given:
            held = f", which is {value!r} in {dtype.name}, the precision the logits are divided in"
        raise ValueError(
            f"temperature must be positive and finite, got {shown}{held}; "
            "the limits T -> 0+ (argmax) and T -> inf (uniform) are not temperatures"
        )
    return value


def softmax_with_temperature(
    x: ArrayLike, temperature: float, axis: Axis = -1
) -> NDArray[np.floating]:
    r"""Softmax of ``x / temperature`` along `axis`.

    .. math:: \operatorname{softmax}_T(x)_i = \frac{e^{x_i / T}}{\sum_j e^{x_j / T}}

    Parameters
    ----------
    x : array_like
        Real logits; dtype rules as in :func:`~softmax_notes.softmax`.
    temperature : float
        The temperature :math:`T > 0`. Below 1 it sharpens the
        distribution, above 1 it flattens it; 1 is the plain softmax.
    axis : int, tuple of ints or None, default -1
        Axis or axes of one distribution.

    Returns
    -------
    ndarray
        Same shape as `x`, entries in [0, 1] summing to 1 along `axis`.

    Raises
    ------
    TypeError
        If `x` is not an array of real numbers or `temperature` is not a real number.
    ValueError
        If `temperature` is zero, negative, infinite or NaN.
    numpy.exceptions.AxisError
        If `axis` is out of range for `x`.

    Notes
    -----
    The logits are shifted by their maximum *before* the division, so a tiny
    temperature cannot overflow ``x / T`` to ``+inf``: the shifted logits
    are at most 0 and fall towards ``-inf``, which is exactly the limit
    :math:`T \to 0^+` (all mass on the maximum, shared equally by ties).
    The shift and the division run in at least float64, and only their
    result is rounded to the dtype of `x`, so the temperature itself is
    never rounded to float16 or float32, and a spread beyond the float range
    (``[max, -max]``) divided by a large temperature is not lost:
    ``T = 1e-300`` gives the one-hot argmax and ``T = 1e300`` the uniform
    distribution in every dtype. Edge behaviour otherwise as
    :func:`~softmax_notes.softmax` (see :ref:`api-rules`): ``-inf`` logits get
    0, tied ``+inf`` logits share the mass, a slice of only ``-inf`` is
    uniform, a NaN makes its slice NaN, an empty input gives an empty result.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import softmax_with_temperature
    >>> np.round(softmax_with_temperature([1.0, 2.0, 3.0], 1.0), 4)
    array([0.09  , 0.2447, 0.6652])
    >>> np.round(softmax_with_temperature([1.0, 2.0, 3.0], 100.0), 4)
    array([0.33  , 0.3333, 0.3367])
    >>> softmax_with_temperature([1.0, 2.0, 3.0], 1e-300)
    array([0., 0., 1.])
    >>> softmax_with_temperature(np.float32([1.0, 3.0, 3.0]), 1e-300)
    array([0. , 0.5, 0.5], dtype=float32)
    """
    x = as_float_array(x)
    axes = normalize_axes(axis, x.ndim)
    tau = _check_temperature(temperature, wide(x.dtype))
    if x.size == 0:
        return np.empty_like(x)
    with np.errstate(all="ignore"):
        work = x.astype(tau.dtype, copy=False)
        shifted, peak = _shift_by_max(work, axes)
        # A spread beyond the float range makes x - max overflow to -inf: right for tau <= 1
        # (the exact quotient is below the range too), not for a large tau. Halved, the
        # difference fits, and the division brings it back into range.
        overflowed = np.isneginf(shifted) & np.isfinite(work) & np.isfinite(peak)
        scaled = np.divide(shifted, tau, out=shifted)
        if overflowed.any():
            scaled = np.where(overflowed, (work / 2 - peak / 2) / tau * 2, scaled)
        scaled = scaled.astype(x.dtype, copy=False)  # below the range: -inf, silently
    return softmax(scaled, axis=axes)


def sparsemax(x: ArrayLike, axis: int = -1) -> NDArray[np.floating]:
    r"""Sparsemax of `x` along `axis`: the Euclidean projection onto the simplex.

    .. math:: \operatorname{sparsemax}(z) = \operatorname*{argmin}_{p \in \Delta}
              \lVert p - z \rVert^2 = \max(z - \theta(z), 0)

    where :math:`\Delta = \{p : p \ge 0, \sum_i p_i = 1\}` and the threshold
    :math:`\theta(z)` is the unique number that makes the result sum to 1.

    Parameters
    ----------
    x : array_like
        Real logits; dtype rules as in :func:`~softmax_notes.softmax`.
    axis : int, default -1
        The one axis that holds a distribution's logits.

    Returns
    -------
    ndarray
        Same shape as `x`, entries in [0, 1] summing to 1 along `axis`, with
        exact zeros for every logit below the threshold.

    Raises
    ------
    TypeError
        If `x` is not an array of real numbers, or `axis` is not a single int.
    numpy.exceptions.AxisError
        If `axis` is out of range for `x`.

    Notes
    -----
    The algorithm of Martins & Astudillo (2016): sort the logits in
    decreasing order :math:`z_{(1)} \ge \dots \ge z_{(n)}`; the support size
    is :math:`k = \max\{j : 1 + j z_{(j)} > \sum_{i \le j} z_{(i)}\}` and the
    threshold :math:`\theta = (\sum_{i \le k} z_{(i)} - 1) / k`. It costs
    O(n log n) per slice (the sort), carried out in at least float64 and
    rounded once to the dtype of `x` (the threshold is a sum over the
    support, which float16 or float32 could not hold accurately). Like
    softmax, sparsemax is unchanged by adding a constant to every logit, so
    the logits are first shifted by their maximum, with softmax's rules for
    non-finite input (see :ref:`api-rules`): a ``-inf`` logit gets 0,
    ``+inf`` logits share all the mass, a slice of only ``-inf`` is uniform,
    a NaN makes its whole slice NaN; an empty input gives an empty result.

    References
    ----------
    A. F. T. Martins and R. F. Astudillo, "From softmax to sparsemax: a sparse
    model of attention and multi-label classification", ICML 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import sparsemax
    >>> sparsemax([1.0, 0.5, -1.0])
    array([0.75, 0.25, 0.  ])
    >>> sparsemax([3.0, 0.0, 0.0])
    array([1., 0., 0.])
    >>> sparsemax([0.1, 0.2, 0.3])
    array([0.23333333, 0.33333333, 0.43333333])
    >>> sparsemax(np.float16([np.inf, 0.0, np.inf]))
    array([0.5, 0. , 0.5], dtype=float16)
    """
    x = as_float_array(x)
    position = single_axis(axis, x.ndim, "sparsemax")
    return np.moveaxis(_sparsemax_last(np.moveaxis(x, position, -1)), -1, position)


def _sparsemax_last(logits: NDArray[np.floating]) -> NDArray[np.floating]:
    """Sparsemax over the last axis, worked out in at least float64 and rounded once.

    A running sum in float16 stops growing at 2048 and float16 ranks overflow
    past 65504; even a float32 running sum of a million logits is off by far
    more than float32's rounding. So the logits are widened, the running sum
    only picks the support, and the threshold comes from a pairwise sum of the
    support (``np.sum``), accurate to a few roundings.
    """
    if logits.size == 0:
        return np.empty_like(logits)
    with np.errstate(all="ignore"):
        shifted, _ = _shift_by_max(logits.astype(wide(logits.dtype)), (logits.ndim - 1,))
        descending = -np.sort(-shifted, axis=-1)
        ranks = np.arange(1, logits.shape[-1] + 1)
        running = np.cumsum(descending, axis=-1)
        support_size = np.count_nonzero(1 + ranks * descending > running, axis=-1, keepdims=True)
        # A NaN slice has no support: its threshold is -1, and NaN - (-1) stays NaN.
        support_sum = np.sum(np.where(ranks <= support_size, descending, 0), axis=-1, keepdims=True)
        threshold = (support_sum - 1) / np.maximum(support_size, 1)
        return np.maximum(shifted - threshold, 0).astype(logits.dtype)


def sparsemax_jacobian(x: ArrayLike, axis: int = -1) -> NDArray[np.floating]:
    r"""Jacobians of :func:`sparsemax` at the logits `x`, one ``(n, n)`` matrix per slice.

    .. math:: J = \operatorname{diag}(u) - \frac{u u^{\mathsf T}}{|S|}, \qquad
              u_i = [\operatorname{sparsemax}(x)_i > 0], \quad |S| = \sum_i u_i

    Parameters
    ----------
    x : array_like
        Real logits; dtype rules as in :func:`~softmax_notes.softmax`.
    axis : int, default -1
        The one axis that holds a distribution's logits.

    Returns
    -------
    ndarray
        Shape ``batch + (n, n)`` with the logit axis moved to the end, as in
        :func:`~softmax_notes.softmax_jacobian`: ``result[b][i, j]`` is
        ``dp_i/dx_j`` of slice ``b``; in the dtype of `x`.

    Raises
    ------
    TypeError
        If `x` is not an array of real numbers, or `axis` is not a single int.
    numpy.exceptions.AxisError
        If `axis` is out of range for `x`.

    Notes
    -----
    Inside the support ``S`` (the entries with ``p_i > 0``) sparsemax is
    ``x_i - theta(x)`` with ``theta`` the mean of ``x_S`` minus ``1/|S|``, so
    ``dp_i/dx_j = delta_ij - 1/|S|`` for ``i, j`` in ``S``; outside it ``p_i``
    is constant 0. The matrix is symmetric, piecewise constant and a
    projection. Where a logit sits exactly on the threshold sparsemax has no
    derivative; this function returns the one-sided value with that logit
    outside the support. The entries are exactly ``+0``, and ``-1/|S|`` and
    ``1 - 1/|S|`` each rounded once to the dtype of `x` (``|S|`` is counted
    exactly). Edge behaviour follows :ref:`api-rules`: non-finite logits give
    the Jacobian of :func:`sparsemax`'s limit (tied ``+inf`` logits form the
    support, a slice of only ``-inf`` has all of it), a NaN makes its slice's
    matrix NaN, and an empty axis gives ``batch + (0, 0)``. A
    Jacobian-vector product needs no matrix:

    .. math:: J v = u \odot \Bigl(v - \frac{\langle u, v\rangle}{|S|}\Bigr)

    in O(n), the same shape as softmax's ``s * (v - <s, v>)``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import sparsemax_jacobian
    >>> sparsemax_jacobian([1.0, 0.5, -1.0])
    array([[ 0.5, -0.5,  0. ],
           [-0.5,  0.5,  0. ],
           [ 0. ,  0. ,  0. ]])
    >>> sparsemax_jacobian([np.inf, 0.0, np.inf])  # the support of the limit: the ties
    array([[ 0.5,  0. , -0.5],
           [ 0. ,  0. ,  0. ],
           [-0.5,  0. ,  0.5]])
    """
    x = as_float_array(x)
    position = single_axis(axis, x.ndim, "sparsemax_jacobian")
    support = _sparsemax_last(np.moveaxis(x, position, -1)) > 0
    # |S| counted exactly; -1/|S| and (|S| - 1)/|S| each rounded once to the dtype.
    size = np.maximum(np.count_nonzero(support, axis=-1), 1).astype(wide(x.dtype))
    off_diagonal = (-1 / size).astype(x.dtype)[..., None, None]
    on_diagonal = ((size - 1) / size).astype(x.dtype)[..., None]
    # np.where rather than a product: entries outside the support are +0, not -0.
    both = support[..., :, None] & support[..., None, :]
    jacobian = np.where(both, off_diagonal, x.dtype.type(0))
    diagonal = np.arange(support.shape[-1])
    jacobian[..., diagonal, diagonal] = np.where(support, on_diagonal, 0)
    # A NaN logit leaves no support, but its slice has no Jacobian either: NaN, not zeros.
    jacobian[np.isnan(x).any(axis=position)] = np.nan
    return jacobian


def _check_generator(rng: np.random.Generator) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator, got {type(rng).__name__}; "
            "create one with np.random.default_rng(seed) so that draws are reproducible"
        )
    return rng


def _perturbed(
    logits: NDArray[np.floating], rng: np.random.Generator, position: int
) -> NDArray[np.floating]:
    """``logits - max + g`` in at least float64, with softmax's limits at non-finite logits.

    The shift changes no argmax and no softmax, but it rewrites a slice whose
    maximum is infinite as that limit: 0 at each ``+inf`` and ``-inf``
    elsewhere (so tied ``+inf`` logits are drawn with equal probability), and
    all zeros for a slice of only ``-inf`` (drawn uniformly). A NaN stays NaN.
    """
    noise = rng.gumbel(size=logits.shape)
    if logits.size == 0:
        return noise.astype(wide(logits.dtype))
    with np.errstate(all="ignore"):
        shifted, _ = _shift_by_max(logits.astype(wide(logits.dtype)), (position,))
        shifted += noise
    return shifted


def _nan_slices(scores: NDArray[np.floating], position: int) -> NDArray[np.bool_]:
    return np.isnan(scores).any(axis=position)


def gumbel_argmax(logits: ArrayLike, rng: np.random.Generator, axis: int = -1) -> NDArray[np.intp]:
    r"""One class per slice, sampled from ``softmax(logits)`` by the Gumbel-max trick.

    .. math:: \operatorname{argmax}_i (z_i + g_i) \sim \operatorname{softmax}(z),
              \qquad g_i = -\log(-\log u_i), \; u_i \sim U(0, 1) \text{ i.i.d.}

    Parameters
    ----------
    logits : array_like
        Real logits :math:`z`; dtype rules as in :func:`~softmax_notes.softmax`.
        To draw ``N`` samples from one distribution, pass
        ``np.broadcast_to(logits, (N, n))``.
    rng : numpy.random.Generator
        The source of randomness, e.g. ``np.random.default_rng(seed)``.
    axis : int, default -1
        The axis that holds the classes.

    Returns
    -------
    ndarray of intp
        The sampled class indices, shape of `logits` without `axis`.

    Raises
    ------
    TypeError
        If `logits` is not real, `rng` is not a ``Generator`` or `axis` is not a single int.
    ValueError
        If `axis` has no classes, or a slice holds a NaN (its softmax is NaN:
        there is no distribution to draw from).
    numpy.exceptions.AxisError
        If `axis` is out of range.

    Notes
    -----
    Adding independent standard Gumbel noise and taking the argmax draws
    class ``i`` with probability exactly ``softmax(z)_i``. It needs no
    normalization, which is why it also samples from unnormalized
    log-probabilities. Non-finite logits follow softmax's limits (see
    :ref:`api-rules`): a ``-inf`` logit is never drawn, tied ``+inf`` logits
    are drawn with equal probability, and a slice of only ``-inf`` is drawn
    uniformly. The noise is drawn as ``rng.gumbel(size=logits.shape)``, the
    same draw as :func:`gumbel_softmax` makes with the same generator.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import gumbel_argmax
    >>> rng = np.random.default_rng(0)
    >>> draws = gumbel_argmax(np.broadcast_to([0.0, np.log(3.0)], (10_000, 2)), rng)
    >>> float(np.mean(draws == 1))  # softmax([0, log 3]) = [0.25, 0.75]
    0.7464
    >>> ties = gumbel_argmax(np.broadcast_to([np.inf, 0.0, np.inf], (10_000, 3)), rng)
    >>> np.bincount(ties, minlength=3) / 10_000  # softmax shares +inf ties: [0.5, 0, 0.5]
    array([0.509, 0.   , 0.491])
    """
    logits = as_float_array(logits, "logits")
    position = single_axis(axis, logits.ndim, "gumbel_argmax")
    rng = _check_generator(rng)
    if logits.shape[position] == 0:
        raise ValueError(
            f"logits have no classes along axis {axis} (shape {logits.shape}): "
            "there is nothing to draw"
        )
    scores = _perturbed(logits, rng, position)
    nan_slices = _nan_slices(scores, position)
    if nan_slices.any():
        first = tuple(int(i) for i in np.argwhere(nan_slices)[0])
        raise ValueError(
            f"logits hold NaN in {int(np.count_nonzero(nan_slices))} slice(s), the first at "
            f"batch index {first}: softmax of such a slice is NaN, so there is no class to draw"
        )
    return np.argmax(scores, axis=position)


def gumbel_softmax(
    logits: ArrayLike,
    temperature: float,
    rng: np.random.Generator,
    axis: int = -1,
    hard: bool = False,
) -> NDArray[np.floating]:
    r"""A Gumbel-softmax sample: ``softmax((logits + g) / temperature)``, ``g`` standard Gumbel.

    .. math:: y = \operatorname{softmax}_T(z + g),
              \qquad g_i = -\log(-\log u_i), \; u_i \sim U(0, 1) \text{ i.i.d.}

    Parameters
    ----------
    logits : array_like
        Real logits :math:`z`; dtype rules as in :func:`~softmax_notes.softmax`.
    temperature : float
        :math:`T > 0`. As :math:`T \to 0^+` the sample tends to the
        one-hot vector of :func:`gumbel_argmax` with the same noise; large
        :math:`T` smooths it towards uniform.
    rng : numpy.random.Generator
        The source of randomness, e.g. ``np.random.default_rng(seed)``.
    axis : int, default -1
        The axis that holds the classes.
    hard : bool, default False
        Return the one-hot vector of the sample's argmax instead (the forward
        value of the straight-through estimator).

    Returns
    -------
    ndarray
        Same shape and dtype as `logits` (integers become float64): points
        of the simplex (one-hot if `hard`).

    Raises
    ------
    TypeError
        If `logits` is not real, `temperature` is not a number, `rng` is not
        a ``Generator`` or `axis` is not a single int.
    ValueError
        If `temperature` is not positive and finite in at least float64.
    numpy.exceptions.AxisError
        If `axis` is out of range.

    Notes
    -----
    The sample is a differentiable function of the logits (the noise is
    drawn independently of them: the reparameterization trick), so gradients
    can flow through a discrete choice. In an autodiff framework the
    straight-through variant uses ``y_hard - stop_gradient(y) + y``: the
    forward value is one-hot, the gradient that of ``y``. NumPy has no
    autodiff, so ``hard=True`` returns the forward value: the one-hot vector
    of :func:`gumbel_argmax` with the same generator.

    The sample is computed in at least float64 and rounded once to the dtype
    of `logits`. Non-finite logits follow softmax's limits (see
    :ref:`api-rules`): a ``-inf`` logit gets 0, tied ``+inf`` logits are
    equally likely to win, a slice of only ``-inf`` is a uniform draw, and a
    NaN makes its slice NaN (also when `hard`); an empty input gives an
    empty result.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import gumbel_softmax
    >>> sample = gumbel_softmax([1.0, 2.0, 3.0], 2.0, np.random.default_rng(1))
    >>> np.round(sample, 4)
    array([0.1309, 0.1054, 0.7637])
    >>> gumbel_softmax([1.0, 2.0, 3.0], 2.0, np.random.default_rng(1), hard=True)
    array([0., 0., 1.])
    """
    logits = as_float_array(logits, "logits")
    position = single_axis(axis, logits.ndim, "gumbel_softmax")
    tau = _check_temperature(temperature, wide(logits.dtype))
    scores = _perturbed(logits, _check_generator(rng), position)
    if not hard:
        sample = softmax_with_temperature(scores, tau, axis=position)
        return sample.astype(logits.dtype, copy=False)
    one_hot = np.zeros_like(logits)
    if logits.size:
        winners = np.expand_dims(np.argmax(scores, axis=position), position)
        np.put_along_axis(one_hot, winners, 1, axis=position)
        nan_slices = np.expand_dims(_nan_slices(scores, position), position)
        one_hot = np.where(nan_slices, np.nan, one_hot)
    return one_hot

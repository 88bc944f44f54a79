"""Relatives of softmax: temperature, sparsemax and the Gumbel-softmax.

* :func:`softmax_with_temperature` divides the logits by a temperature
  ``tau > 0``: ``tau -> 0+`` tends to the one-hot argmax, ``tau -> inf`` to
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

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import Axis, as_float_array, normalize_axes
from .core import _shift_by_max, softmax
from .jacobian import _single_axis

__all__ = [
    "gumbel_argmax",
    "gumbel_softmax",
    "softmax_with_temperature",
    "sparsemax",
    "sparsemax_jacobian",
]


def _check_temperature(temperature: float) -> float:
    """Return `temperature` as a float; it must be a positive, finite real number."""
    if isinstance(temperature, (bool, np.bool_)) or not isinstance(
        temperature, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"temperature must be a real number, got {temperature!r}")
    value = float(temperature)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"temperature must be positive and finite, got {temperature!r}; "
            "the limits tau -> 0+ (argmax) and tau -> inf (uniform) are not temperatures"
        )
    return value


def softmax_with_temperature(
    x: ArrayLike, temperature: float, axis: Axis = -1
) -> NDArray[np.floating]:
    r"""Softmax of ``x / temperature`` along `axis`.

    .. math:: \operatorname{softmax}_\tau(x)_i = \frac{e^{x_i / \tau}}{\sum_j e^{x_j / \tau}}

    Parameters
    ----------
    x : array_like
        Real logits; dtype rules as in :func:`~softmax_notes.softmax`.
    temperature : float
        The temperature :math:`\tau > 0`. Below 1 it sharpens the
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
    temperature cannot overflow ``x / tau`` to ``+inf``: the shifted logits
    are at most 0 and fall towards ``-inf``, which is exactly the limit
    :math:`\tau \to 0^+` (all mass on the maximum, shared equally by ties).
    Non-finite logits follow :func:`~softmax_notes.softmax`'s rules.

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
    """
    x = as_float_array(x)
    axes = normalize_axes(axis, x.ndim)
    tau = _check_temperature(temperature)
    if x.size == 0:
        return np.empty_like(x)
    with np.errstate(all="ignore"):
        shifted, _ = _shift_by_max(x, axes)
        np.divide(shifted, tau, out=shifted, casting="same_kind")
    return softmax(shifted, axis=axes)


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
    O(n log n) per slice (the sort). Like softmax, sparsemax is unchanged by
    adding a constant to every logit, so the logits are first shifted by
    their maximum, with softmax's rules for non-finite input: a ``-inf``
    logit gets 0, ``+inf`` logits share all the mass, a slice of only
    ``-inf`` is uniform and a NaN makes its slice NaN.

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
    """
    x = as_float_array(x)
    position = _single_axis(axis, x.ndim)
    if x.size == 0:
        return np.empty_like(x)
    with np.errstate(all="ignore"):
        shifted, _ = _shift_by_max(x, (position,))
        logits = np.moveaxis(shifted, position, -1)
        descending = -np.sort(-logits, axis=-1)
        cumulative = np.cumsum(descending, axis=-1)
        ranks = np.arange(1, logits.shape[-1] + 1, dtype=logits.dtype)
        support_size = np.count_nonzero(1 + ranks * descending > cumulative, axis=-1)[..., None]
        # A NaN slice has no support; index 0 keeps the lookup valid and the NaN propagates.
        support_sum = np.take_along_axis(cumulative, np.maximum(support_size - 1, 0), axis=-1)
        threshold = (support_sum - 1) / support_size.astype(logits.dtype)
        probs = np.maximum(logits - threshold, 0)
    return np.moveaxis(probs, -1, position)


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
        ``dp_i/dx_j`` of slice ``b``.

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
    outside the support. A Jacobian-vector product needs no matrix:

    .. math:: J v = u \odot \Bigl(v - \frac{\langle u, v\rangle}{|S|}\Bigr)

    in O(n), the same shape as softmax's ``s * (v - <s, v>)``.

    Examples
    --------
    >>> from softmax_notes import sparsemax_jacobian
    >>> sparsemax_jacobian([1.0, 0.5, -1.0])
    array([[ 0.5, -0.5,  0. ],
           [-0.5,  0.5,  0. ],
           [ 0. ,  0. ,  0. ]])
    """
    x = as_float_array(x)
    position = _single_axis(axis, x.ndim)
    probs = np.moveaxis(sparsemax(x, axis=position), position, -1)
    support = (probs > 0).astype(x.dtype)
    support_size = np.maximum(support.sum(axis=-1), 1)[..., None, None]
    # 0 - (...) rather than -(...): entries outside the support are +0, not -0.
    jacobian = 0 - support[..., :, None] * support[..., None, :] / support_size
    diagonal = np.arange(probs.shape[-1])
    jacobian[..., diagonal, diagonal] += support
    return jacobian


def _check_generator(rng: np.random.Generator) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator, got {type(rng).__name__}; "
            "create one with np.random.default_rng(seed) so that draws are reproducible"
        )
    return rng


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
    numpy.exceptions.AxisError
        If `axis` is out of range.

    Notes
    -----
    Adding independent standard Gumbel noise and taking the argmax draws
    class ``i`` with probability exactly ``softmax(z)_i``; a ``-inf`` logit is
    never drawn. It needs no normalization, which is why it also samples from
    unnormalized log-probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import gumbel_argmax
    >>> rng = np.random.default_rng(0)
    >>> draws = gumbel_argmax(np.broadcast_to([0.0, np.log(3.0)], (10_000, 2)), rng)
    >>> float(np.mean(draws == 1))  # softmax([0, log 3]) = [0.25, 0.75]
    0.7464
    """
    logits = as_float_array(logits, "logits")
    position = _single_axis(axis, logits.ndim)
    noise = _check_generator(rng).gumbel(size=logits.shape)
    return np.argmax(logits + noise, axis=position)


def gumbel_softmax(
    logits: ArrayLike,
    temperature: float,
    rng: np.random.Generator,
    axis: int = -1,
    hard: bool = False,
) -> NDArray[np.floating]:
    r"""A Gumbel-softmax sample: ``softmax((logits + g) / temperature)``, ``g`` standard Gumbel.

    .. math:: y = \operatorname{softmax}_\tau(z + g),
              \qquad g_i = -\log(-\log u_i), \; u_i \sim U(0, 1) \text{ i.i.d.}

    Parameters
    ----------
    logits : array_like
        Real logits :math:`z`; dtype rules as in :func:`~softmax_notes.softmax`.
    temperature : float
        :math:`\tau > 0`. As :math:`\tau \to 0^+` the sample tends to the
        one-hot vector of :func:`gumbel_argmax` with the same noise; large
        :math:`\tau` smooths it towards uniform.
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
        Same shape as `logits`: points of the simplex (one-hot if `hard`).

    Raises
    ------
    TypeError
        If `logits` is not real, `temperature` is not a number, `rng` is not
        a ``Generator`` or `axis` is not a single int.
    ValueError
        If `temperature` is not positive and finite.
    numpy.exceptions.AxisError
        If `axis` is out of range.

    Notes
    -----
    The sample is a differentiable function of the logits (the noise is
    drawn independently of them: the reparametrization trick), so gradients
    can flow through a discrete choice. In an autodiff framework the
    straight-through variant uses ``y_hard - stop_gradient(y) + y``: the
    forward value is one-hot, the gradient that of ``y``. NumPy has no
    autodiff, so ``hard=True`` returns the forward value.

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
    position = _single_axis(axis, logits.ndim)
    tau = _check_temperature(temperature)
    noise = _check_generator(rng).gumbel(size=logits.shape)
    sample = softmax_with_temperature(logits + noise, tau, axis=position)
    if not hard:
        return sample
    winners = np.expand_dims(np.argmax(sample, axis=position), position)
    one_hot = np.zeros_like(sample)
    np.put_along_axis(one_hot, winners, 1, axis=position)
    return one_hot

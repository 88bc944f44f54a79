"""The softmax Jacobian ``diag(s) - s sᵀ`` and its matrix-free product with a vector.

``softmax_jacobian`` builds the full ``(n, n)`` matrix per slice, for reading
and checking; ``softmax_jvp`` applies it to a vector in O(n) from the softmax
output alone, which is what backpropagation needs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import accumulator, as_float_array, single_axis
from .core import softmax

__all__ = ["softmax_jacobian", "softmax_jvp"]


def softmax_jacobian(z: ArrayLike, axis: int = -1) -> NDArray[np.floating]:
    r"""Jacobians of :func:`~softmax_notes.softmax` at the logits `z`, one per slice.

    .. math:: J_{ij} = \frac{\partial s_i}{\partial z_j} = s_i (\delta_{ij} - s_j),
              \qquad J = \operatorname{diag}(s) - s s^{\mathsf T},
              \qquad s = \operatorname{softmax}(z)

    Parameters
    ----------
    z : array_like
        Real logits; dtype rules as in :func:`~softmax_notes.softmax`
        (integers become float64, float16/32/64 keep their dtype).
    axis : int, default -1
        The one axis that holds the ``n`` logits of a distribution. Unlike
        ``softmax``, a tuple of axes or ``None`` is not accepted.

    Returns
    -------
    ndarray
        Shape ``batch + (n, n)``, where ``batch`` is the shape of `z` without
        `axis`: the logit axis is moved to the end, so the batch dimensions
        come first and ``result[b][i, j]`` is ``ds_i/dz_j`` of slice ``b``.
        An empty axis gives shape ``batch + (0, 0)``.

    Raises
    ------
    TypeError
        If `z` is not an array of real numbers, or `axis` is not a single int.
    numpy.exceptions.AxisError
        If `axis` is out of range for `z` (a 0-d `z` has no axis).

    Notes
    -----
    The matrix is built from ``s = softmax(z, axis)``, so the non-finite
    rules are those of ``softmax`` (see :ref:`api-rules`). A ``-inf`` logit
    has ``s_k = 0``, which makes row ``k`` and column ``k`` exactly zero:
    that logit no longer
    moves any output, and no output moves it. A single ``+inf`` logit gives
    a one-hot ``s`` and the all-zero Jacobian (the softmax is saturated); a
    NaN makes its own slice's matrix NaN.

    Every ``J`` is symmetric, positive semidefinite, has ``J 1 = 0`` and
    eigenvalues in ``[0, 1/2]``. The diagonal is computed as
    :math:`s_i \sum_{j \ne i} s_j`, which equals :math:`s_i (1 - s_i)` but
    avoids the cancellation in :math:`1 - s_i` when :math:`s_i` is close to 1
    (at ``z = [0, -50]``, ``1 - s_0`` rounds to 0 while the true
    :math:`J_{00}` is about 2e-22), with the sum in at least float32 (float16
    products :math:`s_i s_j` of a long slice are below float16's normal
    range). So every entry keeps its relative accuracy,
    the result is exactly symmetric, and each row sums to 0 up to the rounding
    of its own entries. It costs O(n²) memory per slice; for products with a
    vector use :func:`softmax_jvp`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import softmax_jacobian
    >>> softmax_jacobian([0.0, 0.0])
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    >>> softmax_jacobian([0.0, 0.0, -np.inf])
    array([[ 0.25, -0.25,  0.  ],
           [-0.25,  0.25,  0.  ],
           [ 0.  ,  0.  ,  0.  ]])
    >>> softmax_jacobian(np.zeros((2, 5, 3)), axis=1).shape
    (2, 3, 5, 5)
    """
    z = as_float_array(z, "z")
    position = single_axis(axis, z.ndim, "softmax_jacobian")
    probs = np.moveaxis(softmax(z, axis=position), position, -1)
    # The products and their sums in at least float32: float16 products s_i s_j of a long
    # slice lie below float16's normal range, and its sums would overflow past 65504.
    wide = probs.astype(accumulator(probs.dtype), copy=False)
    diagonal = np.arange(probs.shape[-1])
    jacobian = wide[..., :, None] * wide[..., None, :]
    jacobian[..., diagonal, diagonal] = 0
    # s_i * sum_{j != i} s_j: s_i (1 - s_i) without the cancellation in 1 - s_i.
    row_sums = np.sum(jacobian, axis=-1)
    # 0 - x rather than -x: an entry with s_k = 0 becomes +0.0, not -0.0.
    np.subtract(0, jacobian, out=jacobian)
    jacobian[..., diagonal, diagonal] = row_sums
    return jacobian.astype(probs.dtype, copy=False)


def softmax_jvp(s: ArrayLike, v: ArrayLike, axis: int = -1) -> NDArray[np.floating]:
    r"""Jacobian-vector product ``J v`` of softmax, from its output `s`, in O(n).

    .. math:: J v = (\operatorname{diag}(s) - s s^{\mathsf T}) v
              = s \odot \bigl(v - \langle s, v \rangle\bigr)

    Parameters
    ----------
    s : array_like
        Softmax *outputs* (not logits) along `axis`, e.g. ``softmax(z, axis)``.
        They are trusted, not checked, to be non-negative and to sum to 1.
    v : array_like
        The tangent (or, equivalently, the upstream gradient); same shape as `s`.
    axis : int, default -1
        The one axis that holds a distribution.

    Returns
    -------
    ndarray
        Same shape as `s`, in the promoted dtype of `s` and `v` (integers count
        as float64). Along `axis` it sums to 0 whenever `s` sums to 1.

    Raises
    ------
    TypeError
        If `s` or `v` is not an array of real numbers, or `axis` is not a single int.
    ValueError
        If `s` and `v` have different shapes (no broadcasting).
    numpy.exceptions.AxisError
        If `axis` is out of range.

    Notes
    -----
    This is the formulation of JAX's softmax JVP, ``s * (v - sum(s * v))``:
    one elementwise product, one sum and one update per slice, O(n)
    time and memory, where forming ``J`` costs O(n²). Because ``J`` is
    symmetric, ``vᵀ J = (J v)ᵀ``: the same function is the vector-Jacobian
    product that backpropagation applies to an upstream gradient. Edge
    behaviour follows :ref:`api-rules`; in particular the result has the
    promoted dtype of `s` and `v`, and an empty axis gives an empty result.
    The sum
    :math:`\langle s, v\rangle` accumulates in at least float32, of `v`
    scaled by a power of two, so that tangents near the end of the float
    range cannot overflow it. Entries
    with ``s_i = 0`` (a ``-inf`` logit) get exactly 0 for finite `v`; a NaN
    in `s` or `v` makes its slice NaN, and an infinite entry of `v` gives
    NaN where the product is indeterminate (:math:`\infty - \infty`,
    :math:`0 \cdot \infty`) and an infinity elsewhere.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import softmax, softmax_jacobian, softmax_jvp
    >>> logits = np.array([1.0, 2.0, 3.0])
    >>> v = np.array([1.0, -1.0, 0.5])
    >>> np.round(softmax_jvp(softmax(logits), v), 4)
    array([ 0.074 , -0.2883,  0.2143])
    >>> bool(np.allclose(softmax_jvp(softmax(logits), v), softmax_jacobian(logits) @ v))
    True
    """
    probs = as_float_array(s, "s")
    tangent = as_float_array(v, "v")
    if probs.shape != tangent.shape:
        raise ValueError(
            f"s and v must have the same shape, got s.shape={probs.shape} and "
            f"v.shape={tangent.shape}"
        )
    position = single_axis(axis, probs.ndim, "softmax_jvp")
    dtype = np.result_type(probs, tangent)
    work = accumulator(dtype)
    with np.errstate(all="ignore"):  # only non-finite v can make inf - inf (NaN, documented)
        # Each slice of v is divided by a power of two near its largest entry (exactly):
        # <s, v> of tangents near the end of the float range would otherwise overflow,
        # though every entry of J v is at most max|v| / 2.
        peak = np.max(np.abs(tangent), axis=position, keepdims=True, initial=0)
        _, exponent = np.frexp(np.where(np.isfinite(peak) & (peak > 0), peak, 1))
        scale = np.ldexp(np.ones((), work), exponent - 1)
        weighted = probs * (tangent / scale)
        inner = np.sum(weighted, axis=position, keepdims=True, dtype=work)
        # s v - s <s, v> rather than s (v - <s, v>): v - <s, v> alone can exceed the range.
        return ((weighted - probs * inner) * scale).astype(dtype, copy=False)

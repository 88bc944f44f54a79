"""Scaled dot-product attention, ``softmax(Q Kᵀ / √d + mask) V`` (Vaswani et al. 2017).

Each query scores every key by a dot product, softmax turns a query's scores
into weights, and the output is the weighted mean of the values. Dividing
the scores by ``√d`` keeps their variance near 1 whatever the dimension
``d`` of the queries and keys, so the softmax does not saturate.

A **mask** removes keys from a query's softmax. It is broadcast against the
scores, shape ``(..., L_q, L_k)``, and is either boolean, ``True`` where the
query may attend to the key (PyTorch's ``attn_mask`` convention), or real,
added to the scores (``-inf`` removes a key). A removed key gets weight
exactly 0. A query whose keys are **all** removed follows softmax's rule for a
slice of only ``-inf``: uniform weights, so its output is the plain mean of
the values (PyTorch's ``scaled_dot_product_attention`` returns zeros there,
``torch.softmax`` and SciPy NaN).

Batch axes (all but the last two) broadcast as in ``numpy.matmul``. The
scores, the softmax and the weighted sum are computed in at least float64
and the result is rounded once to the inputs' dtype (float16 and float32
stay what they are; integers become float64), so long rows of keys and
low-precision inputs lose nothing in the reductions, and `scale` is never
rounded to the input's dtype.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import as_float_array
from .core import softmax

__all__ = ["attention_weights", "scaled_dot_product_attention"]


def _matrix(x: ArrayLike, name: str) -> NDArray[np.floating]:
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(
            f"{name} is a masked array, which this function does not honour; "
            "pass a boolean mask argument instead"
        )
    array = as_float_array(x, name)
    if array.ndim < 2:
        raise ValueError(
            f"{name} must have at least 2 dimensions (..., length, features), "
            f"got shape {array.shape}"
        )
    return array


def _additive_mask(mask: ArrayLike, dtype: np.dtype) -> NDArray[np.floating]:
    """A mask as numbers to add to the scores: 0 where a key is kept, -inf where removed."""
    if isinstance(mask, np.ma.MaskedArray):
        raise TypeError("mask is a masked array; pass a plain boolean or real array")
    raw = np.asarray(mask)
    if raw.dtype.kind == "b":
        return np.where(raw, 0.0, -np.inf).astype(dtype)
    if raw.dtype.kind == "f":
        if np.isnan(raw).any() or np.isposinf(raw).any():
            raise ValueError("a real mask must not hold NaN or +inf (use -inf to remove a key)")
        return raw.astype(dtype)
    raise TypeError(
        f"mask must be boolean (True = attend) or real (added to the scores), "
        f"got dtype {raw.dtype}"
    )


def _scale_factor(scale: float | None, features: int) -> float:
    if scale is None:
        return 1.0 / math.sqrt(features) if features else 1.0
    if isinstance(scale, (bool, np.bool_)) or not isinstance(scale, numbers.Real):
        raise TypeError(f"scale must be a real number, got {scale!r}")
    value = float(scale)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"scale must be positive and finite, got {scale!r}")
    return value


def _weights(
    query: NDArray[np.floating],
    key: NDArray[np.floating],
    mask: ArrayLike | None,
    scale: float | None,
    work: np.dtype,
) -> NDArray[np.floating]:
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"query and key must have the same number of features (last axis), got "
            f"query.shape = {query.shape} and key.shape = {key.shape}"
        )
    factor = _scale_factor(scale, query.shape[-1])
    try:
        scores = np.matmul(query.astype(work), np.swapaxes(key.astype(work), -1, -2))
    except ValueError:
        raise ValueError(
            f"the batch axes of query {query.shape[:-2]} and key {key.shape[:-2]} "
            "do not broadcast"
        ) from None
    with np.errstate(invalid="ignore", over="ignore"):
        scores *= factor
    if mask is not None:
        additive = _additive_mask(mask, work)
        try:
            scores = scores + additive
        except ValueError:
            raise ValueError(
                f"mask of shape {additive.shape} does not broadcast to the scores' "
                f"shape {scores.shape} (..., L_q, L_k)"
            ) from None
    return softmax(scores, axis=-1)


def attention_weights(
    query: ArrayLike,
    key: ArrayLike,
    mask: ArrayLike | None = None,
    *,
    scale: float | None = None,
) -> NDArray[np.floating]:
    r"""Attention weights ``softmax(Q Kᵀ · scale + mask)``, one distribution over keys per query.

    .. math:: A = \operatorname{softmax}\Bigl(\frac{Q K^{\mathsf T}}{\sqrt{d}} + M\Bigr)
              \quad\text{row by row}

    Parameters
    ----------
    query : array_like
        Shape ``(..., L_q, d)``: ``L_q`` queries of ``d`` features.
    key : array_like
        Shape ``(..., L_k, d)``: ``L_k`` keys of the same ``d`` features.
    mask : array_like or None, default None
        Broadcastable to ``(..., L_q, L_k)``: boolean (``True`` = attend) or
        real (added to the scores; ``-inf`` removes a key).
    scale : float or None, default None
        Multiplies the scores; ``None`` means :math:`1/\sqrt{d}`.

    Returns
    -------
    ndarray
        Shape ``(..., L_q, L_k)``, each row a distribution over the keys, in
        the result dtype of `query` and `key`.

    Raises
    ------
    TypeError
        If an input is not real (or is a masked array), `mask` is neither
        boolean nor real, or `scale` is not a number.
    ValueError
        If an input has fewer than 2 dimensions, the feature axes differ,
        shapes do not broadcast, a real mask holds NaN or ``+inf``, or
        `scale` is not positive and finite.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import attention_weights
    >>> query = np.array([[1.0, 0.0], [0.0, 0.0]])
    >>> key = np.array([[2.0, 0.0], [0.0, 2.0]])
    >>> attention_weights(query, key).round(4)
    array([[0.8044, 0.1956],
           [0.5   , 0.5   ]])
    >>> attention_weights(query, key, mask=[[True, False], [False, False]])
    array([[1. , 0. ],
           [0.5, 0.5]])
    """
    query, key = _matrix(query, "query"), _matrix(key, "key")
    dtype = np.result_type(query.dtype, key.dtype)
    weights = _weights(query, key, mask, scale, np.promote_types(dtype, np.float64))
    return weights.astype(dtype)


def scaled_dot_product_attention(
    query: ArrayLike,
    key: ArrayLike,
    value: ArrayLike,
    mask: ArrayLike | None = None,
    *,
    scale: float | None = None,
) -> NDArray[np.floating]:
    r"""Scaled dot-product attention ``softmax(Q Kᵀ / √d + mask) V`` (Vaswani et al. 2017).

    .. math:: \operatorname{Attention}(Q, K, V)
              = \operatorname{softmax}\Bigl(\frac{Q K^{\mathsf T}}{\sqrt{d}} + M\Bigr) V

    Parameters
    ----------
    query, key, mask, scale
        As in :func:`attention_weights`.
    value : array_like
        Shape ``(..., L_k, d_v)``: one value per key.

    Returns
    -------
    ndarray
        Shape ``(..., L_q, d_v)``: for each query, the mean of the values
        weighted by :func:`attention_weights`, in the result dtype of the
        three inputs.

    Raises
    ------
    TypeError, ValueError
        As in :func:`attention_weights`; also ``ValueError`` if `key` and
        `value` hold different numbers of entries ``L_k``.

    Notes
    -----
    A query whose keys the mask removes entirely gets uniform weights
    (softmax's rule for a slice of only ``-inf``, the limit of equal scores
    falling together), so its output is the mean of all values: finite, but
    meaningless. PyTorch's ``scaled_dot_product_attention`` returns zeros
    for such a row, ``torch.softmax`` and ``scipy.special.softmax`` NaN.
    Whatever a library returns there, the row should not be used: mask it
    out of the loss. With no keys at all (``L_k = 0``) the weighted sum is
    empty and the output is 0.

    References
    ----------
    A. Vaswani, N. Shazeer, N. Parmar, J. Uszkoreit, L. Jones, A. N. Gomez,
    L. Kaiser and I. Polosukhin, "Attention is all you need", NeurIPS 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import scaled_dot_product_attention
    >>> query = np.array([[1.0, 0.0], [0.0, 0.0]])
    >>> key = np.array([[2.0, 0.0], [0.0, 2.0]])
    >>> value = np.array([[10.0], [20.0]])
    >>> scaled_dot_product_attention(query, key, value).round(4)
    array([[11.9557],
           [15.    ]])
    >>> causal = np.tril(np.ones((2, 2), dtype=bool))  # query i sees keys 0..i
    >>> scaled_dot_product_attention(query, key, value, mask=causal)
    array([[10.],
           [15.]])
    """
    query, key = _matrix(query, "query"), _matrix(key, "key")
    value = _matrix(value, "value")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(
            f"key and value must hold the same number of entries (second-to-last axis), "
            f"got key.shape = {key.shape} and value.shape = {value.shape}"
        )
    dtype = np.result_type(query.dtype, key.dtype, value.dtype)
    work = np.promote_types(dtype, np.float64)
    weights = _weights(query, key, mask, scale, work)
    try:
        output = np.matmul(weights, value.astype(work))
    except ValueError:
        raise ValueError(
            f"the batch axes of the weights {weights.shape[:-2]} and value "
            f"{value.shape[:-2]} do not broadcast"
        ) from None
    return output.astype(dtype)

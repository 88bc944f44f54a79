"""Input checks shared by every public function: one place, one wording."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple
from numpy.typing import ArrayLike, NDArray

Axis = int | Sequence[int] | None


def as_float_array(x: ArrayLike, name: str = "x") -> NDArray[np.floating]:
    """Return `x` as a real floating array without copying a float input.

    Integers are promoted to float64; float16, float32 and float64 keep
    their dtype. Booleans, complex numbers and anything non-numeric raise
    ``TypeError`` naming the argument and the dtype.
    """
    try:
        array = np.asarray(x)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name} must be an array of real numbers: {exc}") from None
    kind = array.dtype.kind
    if kind == "f":
        return array
    if kind in "iu":
        return array.astype(np.float64)
    if kind == "c":
        raise TypeError(
            f"{name} must be real, got complex dtype {array.dtype}; "
            "softmax is defined for real logits"
        )
    if kind == "b":
        raise TypeError(
            f"{name} must be an array of real numbers, got dtype bool; "
            "convert with .astype(float) if that is intended"
        )
    raise TypeError(f"{name} must be an array of real numbers, got dtype {array.dtype}")


def normalize_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    """Return `axis` as a tuple of non-negative ints (``None`` means all axes).

    An axis out of range raises ``numpy.exceptions.AxisError`` (a subclass of
    both ``ValueError`` and ``IndexError``) naming the axis and the dimension.
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (bool, np.bool_)):
        raise TypeError(f"axis must be an int or a tuple of ints, got {axis!r}")
    if type(axis) is int and -ndim <= axis < ndim:
        # The common case, without numpy's general (and on small input, costly) path.
        return (axis % ndim,)
    return normalize_axis_tuple(axis, ndim)

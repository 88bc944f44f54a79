"""Input checks shared by every public function: one place, one wording.

The rules they enforce are listed once, on the API page (``book/api.md``,
section "The rules every function follows"): real floating input keeps its
dtype, integers become float64, masked arrays are rejected, and a bad
argument raises an error that names it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple
from numpy.typing import ArrayLike, NDArray

Axis = int | Sequence[int] | None


def as_float_array(x: ArrayLike, name: str = "x") -> NDArray[np.floating]:
    """Return `x` as a real floating array without copying a float input.

    Integers are promoted to float64; float16, float32, float64 and long
    double keep their dtype. Booleans, complex numbers, masked arrays and
    anything non-numeric raise ``TypeError`` naming the argument.
    """
    reject_masked(x, name)
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


def reject_masked(x: object, name: str) -> None:
    """Raise ``TypeError`` if `x` is a masked array: its mask would otherwise be dropped.

    ``np.asarray`` keeps a masked array's data and silently forgets its mask,
    so a masked logit could take all the probability. The package does not
    guess what a masked entry means; the caller says it by filling.
    """
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(
            f"{name} is a masked array, and softmax_notes does not guess what a masked entry "
            f"means: fill it first, e.g. {name}.filled(-np.inf) for logits (a masked class "
            f"gets probability exactly 0), or pass np.ma.getdata({name}) to ignore the mask"
        )


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def normalize_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    """Return `axis` as a tuple of non-negative ints (``None`` means all axes).

    An axis that is not an int, a tuple (or list) of ints or ``None`` raises
    ``TypeError``; an axis out of range raises ``numpy.exceptions.AxisError``
    (a subclass of both ``ValueError`` and ``IndexError``) naming the axis and
    the dimension.
    """
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:
        # The common case, without numpy's general (and on small input, costly) path.
        return (axis % ndim,)
    if _is_int(axis):
        return normalize_axis_tuple(int(axis), ndim)
    if isinstance(axis, (tuple, list)) and all(_is_int(a) for a in axis):
        return normalize_axis_tuple(tuple(int(a) for a in axis), ndim)
    raise TypeError(f"axis must be an int, a tuple of ints or None, got {axis!r}")


def single_axis(axis: int, ndim: int, function: str) -> int:
    """Return `axis` as one non-negative int for `function`; a tuple or ``None`` is a ``TypeError``.

    The message names `function`, so that a user of ``sparsemax`` is not told
    about ``softmax_jacobian``.
    """
    if not _is_int(axis):
        raise TypeError(
            f"axis must be a single int for {function} (the axis that holds the classes), "
            f"got {axis!r}; {function} does not take a tuple of axes or None"
        )
    (position,) = normalize_axes(int(axis), ndim)
    return position


def accumulator(dtype: np.dtype) -> np.dtype:
    """Dtype for sums and counts over `dtype` data: at least float32, so float16 cannot overflow."""
    return np.promote_types(dtype, np.float32)


def wide(dtype: np.dtype) -> np.dtype:
    """Dtype for work that must not lose digits (parameters, cumulative sums): at least float64."""
    return np.promote_types(dtype, np.float64)

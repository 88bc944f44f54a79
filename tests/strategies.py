"""Hypothesis strategies shared by the property tests: dtypes, shapes, logits, views and axes.

They draw what a sceptical user might pass: float16 to long double (and
integers), shapes with zero-size axes, entries from moderate logits to the
ends of the float range, infinities and NaN, and non-contiguous views.
``tests/test_contract.py`` runs the same cases as a fixed table; these
strategies search around them.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

FLOAT_DTYPES = (np.float16, np.float32, np.float64, np.longdouble)
INTEGER_DTYPES = (np.int32, np.int64)
VIEWS = ("contiguous", "strided", "reversed", "transposed")
KINDS = ("finite", "extreme", "any")


def dtypes(floats=FLOAT_DTYPES, integers=()) -> st.SearchStrategy[np.dtype]:
    """One of the given float (and integer) dtypes."""
    return st.sampled_from([np.dtype(t) for t in (*floats, *integers)])


def shapes(min_dims=1, max_dims=3, min_side=0, max_side=6) -> st.SearchStrategy[tuple]:
    """Array shapes; with ``min_side=0`` some axes are empty."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def elements(dtype: np.dtype, kind: str = "any", bound: float = 30.0) -> st.SearchStrategy:
    """Entries for an array of `dtype`.

    ``"finite"``: numbers in ``[-bound, bound]``, the range of everyday logits.
    ``"extreme"``: any finite number of the dtype, with its largest, smallest
    normal and smallest subnormal numbers and signed zeros drawn often.
    ``"any"``: ``"extreme"`` plus ``+inf``, ``-inf`` and NaN.
    Integer dtypes draw any of their values.
    """
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return st.integers(int(info.min), int(info.max))
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    width = min(np.finfo(dtype).bits, 64)  # long double entries are drawn as float64
    moderate = st.floats(-bound, bound, width=width)
    if kind == "finite":
        return moderate
    info = np.finfo(dtype)
    specials = [info.max, -info.max, info.tiny, -info.tiny, info.smallest_subnormal, 0.0, -0.0]
    if kind == "any":
        specials += [np.inf, -np.inf, np.nan]
    anywhere = st.floats(width=width, allow_nan=False, allow_infinity=False)
    return st.one_of(st.sampled_from(specials), anywhere, moderate)


def view(array: np.ndarray, how: str) -> np.ndarray:
    """`array` itself or a non-contiguous view of it (``how`` is one of ``VIEWS``)."""
    if how == "strided":
        return array[(slice(None, None, 2),) * array.ndim]
    if how == "reversed":
        return array[..., ::-1]
    if how == "transposed":
        return array.T
    return array


ANY_DTYPE = dtypes()
ANY_SHAPE = shapes()


@st.composite
def arrays(
    draw: st.DrawFn,
    dtype: st.SearchStrategy[np.dtype] | type | np.dtype = ANY_DTYPE,
    shape: st.SearchStrategy[tuple] | tuple = ANY_SHAPE,
    kind: str = "any",
    bound: float = 30.0,
    views: bool = True,
) -> np.ndarray:
    """An array of logits: `dtype` and `shape` are values or strategies; maybe a view."""
    dtype = np.dtype(draw(dtype) if isinstance(dtype, st.SearchStrategy) else dtype)
    shape = draw(shape) if isinstance(shape, st.SearchStrategy) else shape
    base = draw(hnp.arrays(dtype, shape, elements=elements(dtype, kind, bound)))
    return view(base, draw(st.sampled_from(VIEWS))) if views else base


def axes(ndim: int, single: bool = False) -> st.SearchStrategy:
    """An axis argument for an array of `ndim` dimensions: an int, or (unless `single`)
    a tuple of distinct axes or ``None``."""
    one = st.integers(-ndim, ndim - 1)
    if single:
        return one
    several = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)
    return st.one_of(one, several.map(tuple), st.none())


@st.composite
def arrays_and_axes(
    draw: st.DrawFn,
    dtype: st.SearchStrategy[np.dtype] = ANY_DTYPE,
    kind: str = "any",
    single_axis: bool = False,
    shape: st.SearchStrategy[tuple] = ANY_SHAPE,
) -> tuple[np.ndarray, int | tuple[int, ...] | None]:
    """An array (possibly a non-contiguous view) and an axis argument that fits it."""
    array = draw(arrays(dtype, shape, kind))
    return array, draw(axes(array.ndim, single=single_axis))

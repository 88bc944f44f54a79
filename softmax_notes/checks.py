"""Central finite differences: the independent check every derivative in the book climbs."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import as_float_array, wide

__all__ = ["numerical_gradient"]


def numerical_gradient(
    f: Callable[[NDArray[np.float64]], ArrayLike],
    x: ArrayLike,
    eps: float | None = None,
) -> NDArray[np.float64]:
    r"""Central-difference derivative of `f` at `x`, one coordinate at a time.

    .. math:: \frac{\partial f}{\partial x_k} \approx
              \frac{f(x + h_k e_k) - f(x - h_k e_k)}{2 h_k},
              \quad h_k = \varepsilon \max(1, |x_k|)

    Parameters
    ----------
    f : callable
        Maps an array shaped like `x` to a scalar or an array.
    x : array_like
        The point, as finite real numbers; evaluated in float64 (long double
        stays long double) and never modified.
    eps : float, optional
        Relative step. Defaults to the cube root of the evaluation dtype's
        machine epsilon (about 6e-6 in float64), which balances the O(h^2)
        truncation error of central differences against the O(eps/h)
        rounding error, leaving an error of at most about 1e-10 for well-scaled
        functions.

    Returns
    -------
    ndarray of float64 (long double for a long double `x`)
        Shape ``np.shape(f(x)) + np.shape(x)``: the gradient for a scalar
        `f`, the Jacobian ``J[i, k] = df_i/dx_k`` for a vector `f`.

    Raises
    ------
    TypeError
        If `x` is not an array of real numbers or `eps` is not a real number.
    ValueError
        If `eps` is not positive and finite, `x` holds a non-finite value (a
        central difference needs `f` on both sides of the point), or a step
        rounds to nothing (``x + h == x - h``) or overflows at some entry of
        `x`: the derivative there would be a silent NaN.

    Notes
    -----
    It costs ``2 * x.size`` calls of `f`: a check, not a way to train. A NaN
    or infinity that `f` itself returns is passed on, not hidden. Otherwise
    edge behaviour follows :ref:`api-rules`: the point must be finite, and
    the step is never rounded to the dtype of `x` (float16 and float32 points
    are evaluated in float64).

    Examples
    --------
    >>> import numpy as np
    >>> from softmax_notes import numerical_gradient
    >>> np.round(numerical_gradient(lambda v: np.sum(v**3), [1.0, 2.0]), 6)
    array([ 3., 12.])
    """
    point = as_float_array(x)
    dtype = wide(point.dtype)
    point = point.astype(dtype)
    step_size = _check_eps(eps, dtype)
    if not np.isfinite(point).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(point))[0])
        raise ValueError(
            f"x must be finite: a central difference needs f on both sides of the point, "
            f"but {_entry(bad)} is {point[bad]}"
        )
    out_shape = np.shape(f(point.copy()))
    derivative = np.empty(out_shape + point.shape, dtype=dtype)
    for index in np.ndindex(point.shape):
        step = step_size * max(1, abs(point[index]))
        forward, backward = point.copy(), point.copy()
        forward[index] += step
        backward[index] -= step
        width = forward[index] - backward[index]
        if not (np.isfinite(width) and width > 0):
            raise ValueError(
                f"the step eps={eps!r} rounds to nothing at {_entry(index)} = {point[index]} "
                f"(or overflows): x + h and x - h are not two distinct finite {dtype} numbers; "
                "choose another eps"
            )
        difference = np.asarray(f(forward), dtype=dtype) - np.asarray(f(backward), dtype=dtype)
        derivative[(Ellipsis, *index)] = difference / width
    return derivative


def _check_eps(eps: float | None, dtype: np.dtype) -> float:
    if eps is None:
        return float(np.finfo(dtype).eps ** (1 / 3))
    if isinstance(eps, (bool, np.bool_)) or not isinstance(
        eps, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"eps must be a real number, got {eps!r}")
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive finite number, got {eps!r}")
    return eps


def _entry(index: tuple[int, ...]) -> str:
    return f"x[{', '.join(map(str, index))}]" if index else "x"

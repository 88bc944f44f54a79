"""Timing a call the way the book's timing cells do: CPU time, best of a few repeats."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

__all__ = ["seconds_per_call"]


def seconds_per_call(
    func: Callable[[], object], repeats: int = 5, min_time: float = 2e-3
) -> float:
    """CPU seconds that one call of `func` takes: the best of `repeats` averages.

    Parameters
    ----------
    func : callable
        Called with no arguments; its result is ignored.
    repeats : int, default 5
        How many averages to take the best of, at least 1.
    min_time : float, default 2e-3
        Each average runs `func` as many times as it takes (1, 2, 4, ...
        calls) to last at least this many seconds of CPU time.

    Returns
    -------
    float
        The smallest of the `repeats` averages, in seconds per call.

    Raises
    ------
    TypeError
        If `func` is not callable, or `repeats` is not an int.
    ValueError
        If `repeats` is less than 1, or `min_time` is not a positive, finite
        number.

    Notes
    -----
    The clock is the process's CPU time (``time.process_time``), as in
    ``make bench``: on a shared machine the time the process waits for a
    core is not counted, and the best of a few averages filters most of the
    rest of the noise. Timings are the one kind of number the book cannot
    reproduce, so the cells that print them are tagged
    ``nbval-ignore-output``.

    Examples
    --------
    >>> from softmax_notes import seconds_per_call
    >>> seconds_per_call(lambda: sum(range(1000))) > 0
    True
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}")
    if isinstance(repeats, bool) or not isinstance(repeats, int):
        raise TypeError(f"repeats must be an int, got {type(repeats).__name__}")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if not (isinstance(min_time, (int, float)) and math.isfinite(min_time) and min_time > 0):
        raise ValueError(f"min_time must be a positive, finite number of seconds, got {min_time!r}")
    calls = 1
    while True:
        elapsed = _cpu_seconds(func, calls)
        if elapsed >= min_time:
            break
        calls *= 2
    best = elapsed / calls
    for _ in range(repeats - 1):
        best = min(best, _cpu_seconds(func, calls) / calls)
    return best


def _cpu_seconds(func: Callable[[], object], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        func()
    return time.process_time() - start

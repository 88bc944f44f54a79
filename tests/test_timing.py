"""seconds_per_call: what it calls, what it returns, and its errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from softmax_notes import seconds_per_call


def test_returns_the_best_average_of_repeats_of_doubling_batches():
    calls = []
    x = np.random.default_rng(0).normal(size=10**4)
    seconds = seconds_per_call(lambda: calls.append(np.exp(x).sum()), repeats=3)
    assert seconds > 0 and math.isfinite(seconds)
    # Batches of 1, 2, 4, ... until one lasts min_time, then two more of that size.
    batch = 1
    total = 0
    while total + batch * 3 != len(calls):
        total += batch
        batch *= 2
        assert total < len(calls)


def test_one_repeat_is_one_average():
    assert seconds_per_call(lambda: sum(range(100)), repeats=1, min_time=1e-4) > 0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"func": 3}, TypeError, "func must be callable"),
        ({"repeats": 2.0}, TypeError, "repeats must be an int"),
        ({"repeats": True}, TypeError, "repeats must be an int"),
        ({"repeats": 0}, ValueError, "repeats must be at least 1"),
        ({"min_time": 0.0}, ValueError, "min_time must be a positive"),
        ({"min_time": float("inf")}, ValueError, "min_time must be a positive"),
        ({"min_time": float("nan")}, ValueError, "min_time must be a positive"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    arguments = {"func": lambda: None, **kwargs}
    with pytest.raises(error, match=message):
        seconds_per_call(**arguments)

"""Rounding error of softmax, logsumexp and log_softmax against an mpmath reference.

Softmax must stay under the first-order bound of Blanchard, Higham & Higham
(2021, Theorem 4.3) for the shifted algorithm, (n + 2 + 2(max - min)) u,
measured as the largest componentwise relative error. Log-sum-exp and
log_softmax must stay under first-order bounds derived the same way (each
rounding of the algorithm, propagated to the result, added up). Inputs are seeded random
rows of several sizes, spreads and offsets, in float64 and float32, with
spreads small enough that no probability underflows (the bounds assume none).
"""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest

from softmax_notes import (
    log_softmax,
    logsumexp,
    softmax,
    softmax_error_bound,
    softmax_relative_error,
)

SIZES = [2, 8, 64, 512]
SPREADS = [0.5, 5.0, 50.0]
OFFSETS = [0.0, -30.0, 300.0]
DTYPES = [np.float64, np.float32]


def _logit_rows(dtype: type) -> list[np.ndarray]:
    """One row per (size, spread, offset): offset + uniform(-spread/2, spread/2), both ends hit."""
    rng = np.random.default_rng(2021)
    rows = []
    for n, spread, offset in itertools.product(SIZES, SPREADS, OFFSETS):
        row = offset + spread * (rng.random(n) - 0.5)
        row[:2] = offset - spread / 2, offset + spread / 2
        rows.append(rng.permutation(row).astype(dtype))
    return rows


def _exact_log_sum_exp(row: np.ndarray) -> mpmath.mpf:
    return mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in row))


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_stays_under_the_bound_for_its_own_algorithm(dtype):
    # NumPy's float64 exp is within u; its vectorized float32 exp within about 3.4 u
    # (chapter 3 measures both), hence c_exp = 1 and 4.
    exp_error = 1.0 if dtype == np.float64 else 4.0
    worst_fraction = 0.0
    for row in _logit_rows(dtype):
        errors = softmax_relative_error(softmax(row), row)
        assert not np.isnan(errors).any(), "a probability underflowed: shrink the spread"
        bound = softmax_error_bound(row, exp_error=exp_error)
        worst_fraction = max(worst_fraction, float(np.max(errors) / bound))
    assert worst_fraction <= 1.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_error_is_a_few_units_of_rounding_on_easy_input(dtype):
    # Equal logits need only the shift (exact), exp(0) = 1, the sum and one division.
    for n in [2, 3, 7, 10]:
        row = np.full(n, 1.5, dtype=dtype)
        errors = softmax_relative_error(softmax(row), row)
        assert np.max(errors) <= 2 * np.finfo(dtype).eps


@pytest.mark.parametrize("dtype", DTYPES)
def test_logsumexp_error_is_bounded_by_its_roundings(dtype):
    # y = max + log(c) + log1p(r / c). First order: x_i - max rounds with error at most
    # (max - min) u, which the exp and the weighted sum pass on at most unchanged; the exps,
    # the n - 1 additions, log1p and log(c) + log1p add about (n + 1 + log n) u; the final
    # addition rounds the result, |y| u.
    unit_roundoff = float(np.finfo(dtype).eps) / 2
    with mpmath.workdps(50):
        for row in _logit_rows(dtype):
            exact = _exact_log_sum_exp(row)
            n, spread = len(row), float(np.max(row)) - float(np.min(row))
            bound = (abs(exact) + spread + n + 1 + np.log(n)) * unit_roundoff
            assert float(abs(mpmath.mpf(float(logsumexp(row))) - exact)) <= bound


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax_error_is_log_sum_exp_error_plus_two_roundings(dtype):
    # log_softmax(x)_i = (x_i - max) - (logsumexp(x) - max): to first order its error is
    # that of the shifted log-sum-exp without its final rounding, (max - min + n + 1) u,
    # plus one rounding of x_i - max (at most (max - min) u) and one of the final
    # subtraction (|y_i| u).
    unit_roundoff = float(np.finfo(dtype).eps) / 2
    with mpmath.workdps(50):
        for row in _logit_rows(dtype):
            exact_lse = _exact_log_sum_exp(row)
            spread = float(np.max(row)) - float(np.min(row))
            for value, computed in zip(row, log_softmax(row), strict=True):
                exact = mpmath.mpf(float(value)) - exact_lse
                bound = (abs(exact) + 2 * spread + len(row) + 1 + np.log(len(row))) * unit_roundoff
                assert float(abs(mpmath.mpf(float(computed)) - exact)) <= bound

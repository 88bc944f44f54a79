"""Speed and memory of softmax_notes against SciPy, a naive NumPy transcription and PyTorch.

Run with ``make bench`` (never part of ``make test``: timings are not tests).
Every comparison is measured side by side in one process: in each round every
candidate runs once (a sample of at least 2 ms of calls), in a rotating order,
and a ratio is the median over rounds of that round's ratio, so a burst of load
on a shared machine hits both sides of a ratio alike.

Columns of the table:

* ``time``: median seconds per call of softmax_notes;
* ``vs <other>``: the other implementation's time divided by softmax_notes'
  (above 1 means softmax_notes is faster), median of the per-round ratios;
* ``/ exp``: softmax_notes' time divided by that of one ``np.exp`` over the
  same array (allocating its result, as softmax must), the floor that any
  softmax has to pay;
* ``mem``: peak memory allocated during one call, as a multiple of the input
  size (tracemalloc sees every numpy allocation; the result alone is 1.0).

The functions are importable (chapter 8 runs them at small sizes).
"""

from __future__ import annotations

import math
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import scipy.special

import softmax_notes as sn

try:
    import torch
except ImportError:  # PyTorch is not a dependency; its columns are skipped.
    torch = None

GRID: dict[str, tuple[int, ...]] = {
    "long vector": (10**7,),
    "wide rows": (2000, 5000),
    "tall narrow rows": (10**5, 10),
    "tall, 3 classes": (10**6, 3),
    "medium rows": (10**4, 100),
    "small vector": (4096,),
}

# Each timed sample lasts at least this long, so timer resolution and call
# overhead of small inputs do not dominate; samples are repeated ROUNDS times.
MIN_SAMPLE_SECONDS = 2e-3
ROUNDS = 15


def naive_softmax(x: np.ndarray) -> np.ndarray:
    """Textbook NumPy: shift by the row max, exponentiate, divide by the row sum."""
    exps = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return exps / np.sum(exps, axis=-1, keepdims=True)


def naive_log_softmax(x: np.ndarray) -> np.ndarray:
    """Textbook NumPy: ``x - max - log(sum(exp(x - max)))``."""
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def naive_cross_entropy_and_grad(x: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy from class indices and its gradient, transcribed from the formulas."""
    log_probs = naive_log_softmax(x)
    picked = np.take_along_axis(log_probs, target[..., None], axis=-1)
    count = max(target.size, 1)
    grad = np.exp(log_probs)
    np.put_along_axis(grad, target[..., None], np.exp(picked) - 1, axis=-1)
    return float(-picked.sum() / count), grad / count


def _calls_per_sample(func: Callable[[], object]) -> int:
    start = time.perf_counter()
    func()
    elapsed = time.perf_counter() - start
    return max(1, math.ceil(MIN_SAMPLE_SECONDS / max(elapsed, 1e-9)))


def interleaved_samples(
    candidates: dict[str, Callable[[], object]], rounds: int = ROUNDS
) -> dict[str, np.ndarray]:
    """Seconds per call of each candidate in each round, the candidates taking turns."""
    calls = {name: _calls_per_sample(func) for name, func in candidates.items()}
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    names = list(candidates)
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            func, count = candidates[name], calls[name]
            start = time.perf_counter()
            for _ in range(count):
                func()
            samples[name].append((time.perf_counter() - start) / count)
    return {name: np.array(times) for name, times in samples.items()}


def median_ratio(numerator: np.ndarray, denominator: np.ndarray) -> float:
    """Median over rounds of the per-round ratio of two candidates' times."""
    return float(np.median(numerator / denominator))


def peak_memory_multiple(func: Callable[[], object], input_bytes: int) -> float:
    """Peak bytes allocated during one call of `func`, divided by `input_bytes`."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        func()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - baseline) / input_bytes


def _candidates(kind: str, x: np.ndarray, target: np.ndarray) -> dict[str, Callable[[], object]]:
    """The implementations compared for one function, softmax_notes first."""
    as_torch = torch.from_numpy(x) if torch is not None else None
    if kind == "softmax":
        candidates = {
            "softmax_notes": lambda: sn.softmax(x),
            "scipy": lambda: scipy.special.softmax(x, axis=-1),
            "naive": lambda: naive_softmax(x),
        }
        if torch is not None:
            candidates["torch"] = lambda: torch.softmax(as_torch, dim=-1)
    elif kind == "log_softmax":
        candidates = {
            "softmax_notes": lambda: sn.log_softmax(x),
            "scipy": lambda: scipy.special.log_softmax(x, axis=-1),
            "naive": lambda: naive_log_softmax(x),
        }
        if torch is not None:
            candidates["torch"] = lambda: torch.log_softmax(as_torch, dim=-1)
    else:
        candidates = {
            "softmax_notes": lambda: (
                sn.cross_entropy(x, target),
                sn.cross_entropy_grad(x, target),
            ),
            "scipy": lambda: _scipy_cross_entropy_and_grad(x, target),
            "naive": lambda: naive_cross_entropy_and_grad(x, target),
        }
        if torch is not None:
            torch_target = torch.from_numpy(target).reshape(-1)
            candidates["torch"] = lambda: _torch_cross_entropy_and_grad(
                as_torch.reshape(-1, x.shape[-1]), torch_target
            )
    candidates["np.exp"] = lambda: np.exp(x)
    return candidates


def _scipy_cross_entropy_and_grad(x: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Cross-entropy built on scipy.special.log_softmax; gradient ``(softmax - onehot) / N``."""
    log_probs = scipy.special.log_softmax(x, axis=-1)
    count = max(target.size, 1)
    loss = -np.take_along_axis(log_probs, target[..., None], axis=-1).sum() / count
    grad = scipy.special.softmax(x, axis=-1)
    np.put_along_axis(
        grad, target[..., None], np.take_along_axis(grad, target[..., None], axis=-1) - 1, axis=-1
    )
    return float(loss), grad / count


def _torch_cross_entropy_and_grad(logits, target):
    logits = logits.detach().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(logits, target)
    loss.backward()
    return loss.item(), logits.grad


def measure(kind: str, shape: tuple[int, ...], seed: int = 0) -> dict[str, float]:
    """Ratios and memory for one function at one shape (float64, last axis)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=3.0, size=shape)
    target = rng.integers(shape[-1], size=shape[:-1])
    candidates = _candidates(kind, x, target)
    samples = interleaved_samples(candidates, rounds=ROUNDS if x.size > 10**5 else 3 * ROUNDS)
    ours = samples["softmax_notes"]
    row = {"time": float(np.median(ours)), "/ exp": median_ratio(ours, samples["np.exp"])}
    for name, seconds in samples.items():
        if name not in ("softmax_notes", "np.exp"):
            row[f"vs {name}"] = median_ratio(seconds, ours)
    row["mem"] = peak_memory_multiple(candidates["softmax_notes"], x.nbytes)
    row["scipy mem"] = peak_memory_multiple(candidates["scipy"], x.nbytes)
    return row


def jvp_against_jacobian(n: int = 4096, seed: int = 0) -> dict[str, float]:
    """Seconds for ``softmax_jacobian(z) @ v`` and for ``softmax_jvp(softmax(z), v)``, and their ratio."""
    rng = np.random.default_rng(seed)
    logits, direction = rng.normal(size=n), rng.normal(size=n)
    samples = interleaved_samples(
        {
            "jacobian": lambda: sn.softmax_jacobian(logits) @ direction,
            "jvp": lambda: sn.softmax_jvp(sn.softmax(logits), direction),
        },
        rounds=5,
    )
    return {
        "jacobian": float(np.median(samples["jacobian"])),
        "jvp": float(np.median(samples["jvp"])),
        "ratio": median_ratio(samples["jacobian"], samples["jvp"]),
    }


def format_table(kind: str, rows: dict[str, dict[str, float]]) -> str:
    """A plain-text table, one line per shape."""
    columns = list(next(iter(rows.values())))
    header = f"{kind:<20}{'shape':>14}" + "".join(f"{column:>11}" for column in columns)
    lines = [header, "-" * len(header)]
    for label, row in rows.items():
        shape = "x".join(str(n) for n in GRID[label])
        cells = "".join(
            f"{row[c] * 1e3:>9.3f}ms" if c == "time" else f"{row[c]:>11.2f}" for c in columns
        )
        lines.append(f"{label:<20}{shape:>14}{cells}")
    speedups = [row["vs scipy"] for row in rows.values()]
    geometric_mean = math.exp(sum(map(math.log, speedups)) / len(speedups))
    lines.append(
        f"geometric mean speedup vs scipy: {geometric_mean:.2f}x; "
        f"slowest shape: {min(speedups):.2f}x"
    )
    return "\n".join(lines)


def main() -> None:
    print(f"numpy {np.__version__}, scipy {scipy.__version__}, float64, last axis")
    if torch is None:
        print("PyTorch is not installed: its columns are skipped.")
    else:
        torch.set_num_threads(1)
        print(f"torch {torch.__version__} (CPU, 1 thread, like NumPy's elementwise kernels)")
    for kind in ("softmax", "log_softmax", "cross_entropy + grad"):
        rows = {label: measure(kind, shape) for label, shape in GRID.items()}
        print()
        print(format_table(kind, rows))
    result = jvp_against_jacobian()
    print()
    print(
        f"n = 4096: softmax_jacobian(z) @ v takes {result['jacobian'] * 1e3:.2f} ms, "
        f"softmax_jvp(softmax(z), v) {result['jvp'] * 1e6:.1f} us: {result['ratio']:.0f}x"
    )


if __name__ == "__main__":
    main()

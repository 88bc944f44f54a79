"""Speed and memory of softmax_notes against SciPy, a naive NumPy transcription and PyTorch.

Run with ``make bench`` (never part of ``make test``: timings are not tests). The book's
appendix "How softmax_notes is made fast" (book/appendix-fast-softmax-notes.ipynb)
explains the tricks measured here and shows the committed results.

What is measured, and how:

* softmax, log_softmax and the mean cross-entropy with its gradient (one call of
  ``cross_entropy_and_grad`` against SciPy's ``log_softmax``-based equivalent), in float64
  over the last axis, on the shapes of ``GRID``.
* Every comparison runs side by side in one process: in each round every candidate runs
  once (a sample of at least 2 ms of calls), in a rotating order, and a ratio is the median
  over rounds of that round's ratio, so that a burst of load on a shared machine hits both
  sides of a ratio alike. The spread (the quartiles of the per-round ratios) is printed
  and stored.
* Time is the process's CPU time (``time.process_time``), not the wall clock: on a
  machine shared with other work, a process waiting for a core is not charged for the
  wait. OpenBLAS is limited to one thread (``OPENBLAS_NUM_THREADS=1``, set before NumPy
  loads, unless already set), like NumPy's own elementwise kernels, so that the BLAS sums
  are compared single-threaded and no idle BLAS thread spins on the other core.
* NumPy picks a SIMD kernel for each function at run time. The script prints the CPU's
  SIMD level, the extensions NumPy dispatches to and the kernel each function used, and
  saves them with the results. To measure the machine as if it had no SIMD extensions
  above NumPy's baseline, disable them (NumPy reads this when it is imported)::

      NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" make bench

Columns of the table:

* ``time``: median seconds per call of softmax_notes;
* ``vs <other>``: the other implementation's time divided by softmax_notes'
  (above 1 means softmax_notes is faster), median of the per-round ratios;
* ``q1``, ``q3``: the quartiles of the per-round ratios against SciPy;
* ``/ exp``: softmax_notes' time divided by that of one ``np.exp`` over the
  same array (allocating its result, as softmax must), the floor that any
  softmax has to pay;
* ``mem``: peak memory allocated during one call, as a multiple of the input
  size (tracemalloc sees every numpy allocation; the result alone is 1.0).

Results go to ``benchmarks/results/<simd level>.json`` (``--output`` to change it), with
the date, the machine and the versions.
"""

from __future__ import annotations

import os

# Before NumPy is imported: one BLAS thread (see the module docstring).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import ctypes
import datetime
import json
import math
import platform
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy
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
KINDS = ("softmax", "log_softmax", "cross_entropy + grad")
RESULTS = Path(__file__).with_name("results")

# Each timed sample lasts at least this long, so timer resolution and call
# overhead of small inputs do not dominate; samples are repeated ROUNDS times.
MIN_SAMPLE_SECONDS = 2e-3
ROUNDS = 15
clock = time.process_time


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


def scipy_cross_entropy_and_grad(x: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """SciPy's equivalent of ``cross_entropy_and_grad`` (mean, class indices).

    The loss from ``scipy.special.log_softmax``; the gradient ``(s - onehot) / N`` from the
    same log-probabilities (``s = exp(log_softmax)``), so that SciPy, too, pays for one
    softmax.
    """
    log_probs = scipy.special.log_softmax(x, axis=-1)
    count = max(target.size, 1)
    picked = np.take_along_axis(log_probs, target[..., None], axis=-1)
    grad = np.exp(log_probs)
    np.put_along_axis(grad, target[..., None], np.exp(picked) - 1, axis=-1)
    grad /= count
    return float(-picked.sum() / count), grad


def _calls_per_sample(func: Callable[[], object]) -> int:
    start = clock()
    func()
    elapsed = clock() - start
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
            start = clock()
            for _ in range(count):
                func()
            samples[name].append((clock() - start) / count)
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
            "softmax_notes": lambda: sn.cross_entropy_and_grad(x, target),
            "scipy": lambda: scipy_cross_entropy_and_grad(x, target),
            "naive": lambda: naive_cross_entropy_and_grad(x, target),
        }
        if torch is not None:
            torch_target = torch.from_numpy(target).reshape(-1)
            candidates["torch"] = lambda: _torch_cross_entropy_and_grad(
                as_torch.reshape(-1, x.shape[-1]), torch_target
            )
    candidates["np.exp"] = lambda: np.exp(x)
    return candidates


def _torch_cross_entropy_and_grad(logits, target):
    logits = logits.detach().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(logits, target)
    loss.backward()
    return loss.item(), logits.grad


def measure(kind: str, shape: tuple[int, ...], seed: int = 0) -> dict[str, float]:
    """Ratios, their spread and memory for one function at one shape (float64, last axis)."""
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
    quartiles = np.percentile(samples["scipy"] / ours, [25, 75])
    row["q1"], row["q3"] = float(quartiles[0]), float(quartiles[1])
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


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(map(math.log, values)) / len(values))


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
    lines.append(
        f"geometric mean speedup vs scipy: {geometric_mean(speedups):.2f}x; "
        f"slowest shape: {min(speedups):.2f}x"
    )
    return "\n".join(lines)


# --- the machine ----------------------------------------------------------------------


def simd_report() -> dict[str, object]:
    """NumPy's view of the CPU: baseline, dispatched extensions, the kernels that run.

    The same facts as the "simd_extensions" part of ``np.show_runtime()``, plus, for each
    function the package relies on, the kernel NumPy dispatched to (``__cpu_targets_info__``).
    """
    from numpy._core import _multiarray_umath as umath

    features = umath.__cpu_features__
    dispatch = list(umath.__cpu_dispatch__)
    found = [name for name in dispatch if features.get(name)]
    baseline = list(umath.__cpu_baseline__)
    level = found[0] if found else baseline[-1] if baseline else "none"
    targets = getattr(umath, "__cpu_targets_info__", {})
    kernels = {}
    for name, signature in [
        ("exp", "dd"),
        ("log", "dd"),
        ("log1p", "dd"),
        ("maximum", "ddd"),
        ("add", "ddd"),
        ("subtract", "ddd"),
        ("multiply", "ddd"),
    ]:
        info = targets.get(name, {}).get(signature)
        if info:
            kernels[name] = info["current"]
    argmax = targets.get("argmax", {})
    if argmax:
        kernels["argmax"] = next(iter(argmax.values()))["current"]
    return {
        "level": level,
        "baseline": baseline,
        "dispatched": found,
        "not dispatched": [name for name in dispatch if name not in found],
        "disabled by NPY_DISABLE_CPU_FEATURES": os.environ.get("NPY_DISABLE_CPU_FEATURES", ""),
        "kernels": kernels,
    }


def blas_report() -> dict[str, object]:
    """Which BLAS NumPy uses, its core type and threads (OpenBLAS, via its own C API)."""
    report: dict[str, object] = {
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", ""),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", ""),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE", ""),
    }
    libs = Path(np.__file__).parent.parent / "numpy.libs"
    for path in sorted(libs.glob("libscipy_openblas*.so*")):
        try:
            lib = ctypes.CDLL(str(path))
        except OSError:
            continue
        for prefix in ("scipy_openblas_", "openblas_"):
            for suffix in ("64_", ""):
                corename = getattr(lib, f"{prefix}get_corename{suffix}", None)
                config = getattr(lib, f"{prefix}get_config{suffix}", None)
                threads = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
                if corename is None:
                    continue
                corename.restype = config.restype = ctypes.c_char_p
                report["library"] = path.name
                report["core"] = corename().decode()
                report["config"] = config().decode().strip()
                report["threads"] = threads()
                return report
    return report


def machine_report() -> dict[str, object]:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "softmax_notes": sn.__version__,
    }


def describe(machine: dict, simd: dict, blas: dict) -> str:
    kernels = ", ".join(f"{name} {target}" for name, target in simd["kernels"].items())
    lines = [
        f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['system']}",
        f"numpy {machine['numpy']}, scipy {machine['scipy']}, float64, last axis",
        f"SIMD level: {simd['level']} (baseline {' '.join(simd['baseline'])}; "
        f"dispatched: {' '.join(simd['dispatched']) or 'none'}; "
        f"not available or disabled: {' '.join(simd['not dispatched']) or 'none'})",
        f"kernels: {kernels}",
        f"BLAS: {blas.get('core', '?')} core, {blas.get('threads', '?')} thread(s) "
        f"({blas.get('config', 'unknown library')})",
    ]
    if simd["disabled by NPY_DISABLE_CPU_FEATURES"]:
        lines.append(f"NPY_DISABLE_CPU_FEATURES={simd['disabled by NPY_DISABLE_CPU_FEATURES']}")
    if blas["OPENBLAS_CORETYPE"] or blas["OPENBLAS_L2_SIZE"]:
        lines.append(
            "note: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set; they slow a current OpenBLAS "
            "(unset both for this command to measure its own kernel)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, help="JSON file for the results")
    parser.add_argument("--kinds", nargs="*", default=list(KINDS), choices=KINDS)
    args = parser.parse_args(argv)

    machine, simd, blas = machine_report(), simd_report(), blas_report()
    print(describe(machine, simd, blas))
    if torch is None:
        print("PyTorch is not installed: its columns are skipped.")
    else:
        torch.set_num_threads(1)
        print(f"torch {torch.__version__} (CPU, 1 thread, like NumPy's elementwise kernels)")
    results: dict[str, dict[str, dict[str, float]]] = {}
    summary: dict[str, dict[str, float]] = {}
    for kind in args.kinds:
        rows = {label: measure(kind, shape) for label, shape in GRID.items()}
        results[kind] = rows
        speedups = [row["vs scipy"] for row in rows.values()]
        summary[kind] = {
            "geometric mean vs scipy": geometric_mean(speedups),
            "slowest vs scipy": min(speedups),
            "largest mem": max(row["mem"] for row in rows.values()),
        }
        print()
        print(format_table(kind, rows))
    jvp = jvp_against_jacobian()
    print()
    print(
        f"n = 4096: softmax_jacobian(z) @ v takes {jvp['jacobian'] * 1e3:.2f} ms, "
        f"softmax_jvp(softmax(z), v) {jvp['jvp'] * 1e6:.1f} us: {jvp['ratio']:.0f}x"
    )
    output = args.output or RESULTS / f"{simd['level'].lower()}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "date": datetime.date.today().isoformat(),
        "machine": machine,
        "simd": simd,
        "blas": blas,
        "timer": "CPU time of the process (time.process_time), median of per-round ratios",
        "grid": {label: list(shape) for label, shape in GRID.items()},
        "results": results,
        "summary": summary,
        "jvp_vs_jacobian": jvp,
    }
    output.write_text(json.dumps(document, indent=1) + "\n")
    print(f"\nresults written to {output}")


if __name__ == "__main__":
    main()

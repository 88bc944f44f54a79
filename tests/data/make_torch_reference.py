"""Write torch_cross_entropy.json: PyTorch's cross-entropy losses and gradients, the oracle
that tests/test_losses.py compares softmax_notes with.

PyTorch is not a dependency of this project. Run this script by hand, with any Python that
has torch and numpy, after changing the grid:

    python tests/data/make_torch_reference.py

It computes in float64 on the CPU from seeded inputs, and stores the inputs together with
torch's outputs, so the test reads numbers computed by torch, never by the code under test.
Classes are on the LAST axis here (softmax_notes' convention); for 3-D logits the script moves
them to dim 1 for torch and moves the gradient back.
"""

from __future__ import annotations

import itertools
import json
import math
import platform
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

OUT = Path(__file__).with_name("torch_cross_entropy.json")
REDUCTIONS = ("mean", "sum", "none")
SMOOTHINGS = (0.0, 0.1, 1.0)
# Batch shapes (classes on the last axis): a 2-D batch, a 3-D batch, one unbatched example.
SHAPES = ((6, 5), (2, 3, 4), (5,))


def torch_loss_and_grad(logits, target, reduction, weight, ignore_index, smoothing):
    """torch's loss and d(loss)/d(logits) (of loss.sum() for reduction="none")."""
    z = torch.tensor(logits, dtype=torch.float64)
    if z.ndim > 2:  # torch wants classes at dim 1
        z = z.movedim(-1, 1)
    z.requires_grad_(True)
    if target.dtype.kind in "iu":
        t = torch.tensor(target, dtype=torch.int64)
    else:
        t = torch.tensor(target, dtype=torch.float64)
        if t.ndim > 2:
            t = t.movedim(-1, 1)
    kwargs = {"reduction": reduction, "label_smoothing": smoothing}
    if weight is not None:
        kwargs["weight"] = torch.tensor(weight, dtype=torch.float64)
    if ignore_index is not None:
        kwargs["ignore_index"] = ignore_index
    loss = F.cross_entropy(z, t, **kwargs)
    loss.sum().backward()
    grad = z.grad
    if grad.ndim > 2:
        grad = grad.movedim(1, -1)
    loss = loss.detach()
    return loss.numpy(), grad.numpy()


def encode(array: np.ndarray):
    """Nested lists of Python floats/ints; json writes floats with repr (exact round trip)."""
    return np.asarray(array).tolist()


def cases():
    rng = np.random.default_rng(20240613)
    for shape in SHAPES:
        n_classes = shape[-1]
        logits = rng.normal(scale=3.0, size=shape)
        if len(shape) == 2:
            logits[1] += 1000.0  # one example far from 0: only differences matter
        indices = rng.integers(0, n_classes, size=shape[:-1])
        probs = rng.dirichlet(np.ones(n_classes), size=shape[:-1])
        weight = rng.uniform(0.2, 3.0, size=n_classes)
        for kind, reduction, use_weight, ignore, eps in itertools.product(
            ("index", "probability"), REDUCTIONS, (False, True), (None, -100, 1, "all"), SMOOTHINGS
        ):
            if kind == "probability" and ignore is not None:
                continue  # PyTorch rejects ignore_index with probability targets
            if kind == "index":
                target = indices.copy()
                ignore_index = ignore
                if ignore == -100 and target.ndim:
                    target.reshape(-1)[::3] = -100  # every third example is ignored
                elif ignore == "all":  # a batch in which every example is ignored
                    ignore_index = 2
                    target = np.full_like(indices, 2)
            else:
                target = probs
                ignore_index = None
            yield {
                "name": f"{kind} {shape} {reduction} weight={use_weight} "
                f"ignore_index={ignore_index} label_smoothing={eps}",
                "logits": logits,
                "target": target,
                "reduction": reduction,
                "weight": weight if use_weight else None,
                "ignore_index": ignore_index,
                "label_smoothing": eps,
            }


def main() -> None:
    records = []
    for case in cases():
        loss, grad = torch_loss_and_grad(
            case["logits"],
            case["target"],
            case["reduction"],
            case["weight"],
            case["ignore_index"],
            case["label_smoothing"],
        )
        records.append(
            {
                "name": case["name"],
                "logits": encode(case["logits"]),
                "target": encode(case["target"]),
                "target_kind": "index" if case["target"].dtype.kind in "iu" else "probability",
                "reduction": case["reduction"],
                "weight": None if case["weight"] is None else encode(case["weight"]),
                "ignore_index": case["ignore_index"],
                "label_smoothing": case["label_smoothing"],
                "loss": encode(loss),
                "grad": encode(grad),
            }
        )
    document = {
        "about": "torch.nn.functional.cross_entropy in float64 on the CPU; made by "
        "tests/data/make_torch_reference.py. Classes on the last axis; grad is "
        "d loss / d logits (of the sum of the losses for reduction='none').",
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "cases": records,
    }
    text = json.dumps(document, indent=None, separators=(",", ":"))
    assert "Infinity" not in text
    OUT.write_text(text + "\n")
    nan_losses = sum(1 for r in records if isinstance(r["loss"], float) and math.isnan(r["loss"]))
    print(f"wrote {len(records)} cases to {OUT} ({nan_losses} with a NaN mean)")


if __name__ == "__main__":
    main()

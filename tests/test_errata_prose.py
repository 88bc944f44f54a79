"""Wording errata that no assert in a cell can catch stay fixed (issue 9).

The notebooks assert the numbers behind these fixes (the regions' rays, the
path counts of a balanced tree, the loss of chapter 6's step-size exercise);
these checks keep the sentences from drifting back to the wrong claims.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"


def _markdown(name: str) -> list[str]:
    cells = json.loads((BOOK / name).read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


def test_decision_regions_are_not_called_convex_polygons():
    # A linear classifier's regions are intersections of half-planes: convex
    # polyhedral regions, here unbounded; a polygon is bounded. The phrase
    # may appear only in quotes, where the chapter refutes it.
    for text in _markdown("06-backpropagation.ipynb"):
        assert not re.search(r'(?<!")\bconvex polygons?\b(?!")', text, re.IGNORECASE), text


def test_sparsemax_is_not_motivated_by_multi_label_models():
    # Chapters 1 and 12 advise independent sigmoids for multi-label problems;
    # chapter 7 may mention multi-label only next to a link to that advice.
    for text in _markdown("07-temperature.ipynb"):
        if re.search(r"multi-?label", text, re.IGNORECASE):
            assert "sec-what-is-softmax-multi-label" in text, text


def test_balanced_tree_paths_have_at_most_ceil_log2_n_nodes():
    # For n = 1000, 976 paths have 10 nodes and 24 have 9: "every path has
    # ceil(log2 n) nodes" is wrong unless n is a power of 2.
    pattern = re.compile(r"\\lceil \\log_2 n \\rceil\$\s*(?:nodes|scores)")
    found = 0
    for text in _markdown("09-softmax-at-scale.ipynb"):
        for match in pattern.finditer(text):
            found += 1
            before = " ".join(text[max(match.start() - 40, 0) : match.start()].split())
            assert "at most" in before, before
    assert found, "chapter 9 no longer states the path length"

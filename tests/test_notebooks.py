"""Notebook hygiene: every chapter is committed as one clean top-to-bottom run.

nbval re-executes the notebooks and compares outputs; these checks catch what
it cannot: a notebook saved after running cells out of order, an error output
left in a cell that was not meant to fail, a chapter missing from the toc.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


def _code_cells(path: Path) -> list[dict]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def _toc_files() -> list[str]:
    return re.findall(r"file:\s*(\S+)", (ROOT / "_toc.yml").read_text(encoding="utf-8"))


def test_book_has_notebooks():
    assert NOTEBOOKS, "no notebooks found under book/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_execution_counts_run_one_to_n_in_order(path):
    counts = [cell.get("execution_count") for cell in _code_cells(path)]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name} was not saved after one clean run; use `make execute NB={path.relative_to(ROOT)}`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_errors_only_in_cells_tagged_raises_exception(path):
    for cell in _code_cells(path):
        tags = cell.get("metadata", {}).get("tags", [])
        has_error = any(out.get("output_type") == "error" for out in cell.get("outputs", []))
        if has_error:
            assert "raises-exception" in tags, (
                f"{path.name}: error output in {cell['source'][:60]!r}"
            )
        if "raises-exception" in tags:
            assert has_error, f"{path.name}: cell tagged raises-exception did not raise"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_kernel_is_python3(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_trailing_semicolon_after_plot_calls(path):
    # nbval runs cells with store_history=False, which ignores a trailing ';'.
    for cell in _code_cells(path):
        source = "".join(cell["source"])
        assert not re.search(r"^\s*plt\.[^\n]*;\s*$", source, re.MULTILINE), source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_stderr_or_warnings_in_outputs(path):
    for cell in _code_cells(path):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                assert out["name"] == "stdout", (
                    f"{path.name}: stderr output in {cell['source'][:60]!r}"
                )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_has_caption_and_alt_text(path):
    for cell in _code_cells(path):
        makes_image = any(
            "image/png" in out.get("data", {}) or "image/svg+xml" in out.get("data", {})
            for out in cell.get("outputs", [])
        )
        if makes_image:
            mystnb = cell.get("metadata", {}).get("mystnb", {})
            assert mystnb.get("figure", {}).get("caption"), f"{path.name}: figure without caption"
            assert mystnb.get("image", {}).get("alt"), f"{path.name}: figure without alt text"


def test_toc_lists_every_notebook_and_only_existing_files():
    listed = _toc_files()
    for entry in listed:
        assert list(ROOT.glob(entry + ".*")), f"_toc.yml lists {entry}, which does not exist"
    for path in NOTEBOOKS:
        assert str(path.relative_to(ROOT).with_suffix("")) in listed, (
            f"{path.name} is not in _toc.yml"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_opens_with_what_you_will_learn_and_need_and_ends_with_summary_and_exercises(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    markdown = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown"]
    for opening in ("What you'll learn", "What you'll need"):
        assert any(opening in text for text in markdown[:3]), (
            f"{path.name}: no \"{opening}\" list in the opening cells"
        )
    for heading in ("## Summary", "## Exercises"):
        assert any(re.search(rf"^{heading}\s*$", text, re.MULTILINE) for text in markdown), (
            f"{path.name}: no '{heading}' heading"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_figures_use_the_one_book_style(path):
    """Figure style lives in softmax_notes/book.mplstyle only: applied once, never overridden.

    A cell may still give one figure its own size (a square plot, say).
    """
    cells = _code_cells(path)
    sources = ["".join(cell["source"]) for cell in cells]
    makes_figures = any(
        "image/png" in out.get("data", {}) for cell in cells for out in cell.get("outputs", [])
    )
    if makes_figures:
        assert 'plt.style.use("softmax_notes.book")' in sources[0], (
            f"{path.name}: the first code cell must apply the book style"
        )
    for source in sources:
        assert not re.search(r"style\.use\((?!\"softmax_notes\.book\"\))", source), source
        assert not re.search(r"rcParams\[[^\]]*\]\s*=|rcParams\.update|plt\.rc\(", source), (
            f"{path.name}: set figure style in softmax_notes/book.mplstyle, not in a cell"
        )

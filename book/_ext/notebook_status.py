"""Sphinx directive ``notebook-status``: a table of every chapter notebook's committed run.

The site shows the outputs committed in the notebooks (``execute_notebooks: off``),
so myst-nb's ``{nb-exec-table}`` would be empty. This table is built from the
notebooks themselves at build time: for each chapter in the toc, the number of
code cells and figures, the checks its cells make, the cells tagged to fail or
to be skipped by nbval, whether the stored execution counts show one clean
top-to-bottom run, and the Python version that run used. That nbval re-runs
every notebook and compares every output is the job of ``make test``, and the
page says so.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

# A check is an assert statement or a numpy.testing assertion call.
CHECK = re.compile(r"^\s*assert\b|\bassert_(?:allclose|array_equal|array_less|equal)\(", re.M)
TAGS = ("raises-exception", "nbval-ignore-output")


def notebook_row(path: Path, docname: str) -> str:
    """One Markdown table row describing the committed run of the notebook at `path`."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    counts = [cell.get("execution_count") for cell in code]
    clean = counts == list(range(1, len(code) + 1))
    figures = sum(
        any("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
        for cell in code
    )
    checks = sum(len(CHECK.findall("".join(cell["source"]))) for cell in code)
    tagged = [sum(tag in cell.get("metadata", {}).get("tags", []) for cell in code) for tag in TAGS]
    python = notebook["metadata"].get("language_info", {}).get("version", "unknown")
    run = f"clean, 1 to {len(code)}" if clean else "**not clean**"
    return (
        f"| {{doc}}`/{docname}` | {len(code)} | {figures} | {checks} | "
        f"{tagged[0]} | {tagged[1]} | {run} | {python} |"
    )


class NotebookStatus(SphinxDirective):
    """Insert the status table of every notebook that the build includes."""

    def run(self) -> list[nodes.Node]:
        env = self.env
        rows = []
        for docname in sorted(env.found_docs):
            path = Path(env.doc2path(docname))
            if path.suffix == ".ipynb":
                env.note_dependency(str(path))
                rows.append(notebook_row(path, docname))
        lines = [
            "| chapter | code cells | figures | checks | errors on purpose | timing cells "
            "| stored run | Python |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
            *rows,
        ]
        container = nodes.container(classes=["notebook-status"])
        self.state.nested_parse(StringList(lines, source="notebook-status"), 0, container)
        return [container]


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("notebook-status", NotebookStatus)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

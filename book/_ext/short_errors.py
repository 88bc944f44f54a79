"""Errors shown on purpose read as one line: the exception and its message.

A cell tagged ``raises-exception`` shows an error on purpose (a bad argument
and the package's message about it). myst-nb renders its whole IPython
traceback: 20-30 lines of frames inside the package, with the absolute paths
of the machine that executed the notebook, before the one line the chapter is
about. This transform keeps that line -- ``ValueError: temperature must be
positive ...`` -- and drops the frames; book/_static/softmax-notes.css wraps it
instead of cutting it off at the right edge. The notebook keeps its full
output (nbval compares it), only the site shows it short.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

# The line that starts the exception in an IPython traceback, after a blank
# line: "ValueError: ...", "numpy.exceptions.AxisError: ...", or a bare
# "KeyboardInterrupt".
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?::\s|:$|$)")


def exception_lines(traceback: str) -> str:
    """The final exception line(s) of a plain-text traceback.

    The whole text if there is no such line.
    """
    lines = traceback.rstrip().splitlines()
    for index in range(len(lines) - 1, -1, -1):
        if EXCEPTION_LINE.match(lines[index]) and (
            index == 0 or not lines[index - 1].strip()
        ):
            return "\n".join(lines[index:])
    return traceback


class ShortTracebacks(SphinxTransform):
    """Replace each notebook traceback output by its exception line."""

    default_priority = 500

    def apply(self) -> None:
        for block in self.document.findall(nodes.literal_block):
            if {"output", "traceback"} <= set(block["classes"]):
                text = exception_lines(block.astext())
                block.children = [nodes.Text(text)]
                block.rawsource = text
                block["classes"].append("exception-only")


def setup(app: Sphinx) -> dict[str, object]:
    app.add_transform(ShortTracebacks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

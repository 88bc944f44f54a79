"""Math typeset at build time: TeX to inline SVG by MathJax 4, no page script.

A Sphinx HTML math renderer (``html_math_renderer: svgmath``). Every ``$...$``,
``$$...$$``, ``{math}`` role, amsmath environment, sympy ``text/latex`` output
and ``:math:`` in a docstring is converted by MathJax 4 while the site is
built, run in-process by the ``quickjax`` package (MathJax bundled for the
QuickJS engine: no Node, no network). The page then carries the math as SVG:
it is readable the moment the HTML arrives, never shows raw TeX, works with
the network off, and costs no script (client-side MathJax is 0.8-1.2 MB of
JavaScript plus fonts).

What the renderer adds to MathJax's output:

- **One glyph cache per page.** MathJax's self-contained SVG repeats the
  outline of every glyph in every formula. Here the first formula of a page
  that uses a glyph defines it (``<path id="mj-...">``) and every later
  formula of that page points to it with ``<use href="#mj-...">`` -- what
  MathJax's own ``fontCache: "global"`` does in a browser. The markup MathJax
  only needs for its JavaScript (``data-*`` attributes, attribute-less groups,
  XML namespaces) is dropped. Both together cut chapter 4's math to a
  fraction of its self-contained size.
- **An accessible name.** Each SVG is ``role="img"`` with the TeX source as
  its ``aria-label``: screen readers read it, copy and search snippets do not
  show it (an attribute is no text).
- **Colour from the text.** The math is filled with ``currentColor`` (set once
  in book/_static/softmax-notes.css rather than on every formula), so it
  follows the theme's light and dark text colour, captions included.
- **Errors are warnings.** A TeX error (MathJax's ``merror``) or an undefined
  macro (drawn in red by MathJax's ``noundefined``) is reported as a Sphinx
  warning at the formula's source line, so the strict build (``-W``) fails.
- **Display math in its own scrolling box.** ``<div class="math">`` holds the
  formula in ``span.math-scroll`` and the equation number after it
  (book/_static/softmax-notes.css lets the number wrap below a long formula
  on a phone, and the formula scroll sideways inside its box).

MathJax's TeX parser is the one client-side MathJax would run, so the TeX
the chapters were written for renders the same way; the numbering of
equations stays Sphinx's (``numfig``, "(4.1)").
"""

from __future__ import annotations

import hashlib
import html
import re
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.writers.html5 import HTML5Translator

logger = logging.getLogger(__name__)

# <path id="MJX-12-MM-I-1D465" d="..."/>: a glyph outline in the <defs>.
GLYPH = re.compile(r'<path id="MJX-\d+-([\w.-]+)" d="([^"]*)"\s*/>')
GLYPH_REF = re.compile(r'xlink:href="#MJX-\d+-([\w.-]+)"')
DEFS = re.compile(r"<defs>.*?</defs>|<defs/>", re.S)
# Attributes only MathJax's own JavaScript reads, and the namespaces that
# inline SVG in HTML does without.
UNUSED_ATTRIBUTES = re.compile(
    r'\s(?:data-(?!mjx-error)[\w-]+|xmlns(?::xlink)?|focusable)="[^"]*"'
)
GROUP_TAG = re.compile(r"<g\b[^>]*>|</g>")
HREF = re.compile(r'href="#([\w.-]+)"')
PAINT = ' stroke="currentColor" fill="currentColor" stroke-width="0"'
ERROR = re.compile(r'data-mjx-error="([^"]*)"')
# Standard LaTeX commands that MathJax's physics package (loaded by quickjax's
# bundle) redefines: a formula using them would not show what its author meant.
PHYSICS_MEANING = {
    r"\div": r"the divergence ∇·; write \mathbin{÷} for division",
    r"\Re": r"an upright Re; write \mathfrak{R} for ℜ",  # noqa: RUF001
    r"\Im": r"an upright Im; write \mathfrak{I} for ℑ",  # noqa: RUF001
}
PHYSICS_REDEFINES = re.compile(r"\\(?:div|Re|Im)(?![A-Za-z])")
# Width of the outer <svg>: "12.011ex".
WIDTH = re.compile(r'^<svg[^>]*?\swidth="([\d.]+)ex"')


class Formula:
    """A formula from MathJax: its SVG without glyph outlines, and those."""

    def __init__(self, svg: str, glyphs: dict[str, str], problem: str | None):
        self.svg = svg
        self.glyphs = glyphs
        self.problem = problem
        width = WIDTH.search(svg)
        self.width = float(width.group(1)) if width else 0.0


def _unwrap_bare_groups(svg: str) -> str:
    """Drop each <g> without attributes (and its end tag): it does nothing."""
    out: list[str] = []
    stack: list[bool] = []  # for each open <g>: was it kept?
    position = 0
    for match in GROUP_TAG.finditer(svg):
        out.append(svg[position : match.start()])
        position = match.end()
        tag = match.group()
        if tag == "</g>":
            if stack.pop():
                out.append(tag)
        else:
            keep = tag != "<g>"
            stack.append(keep)
            if keep:
                out.append(tag)
    out.append(svg[position:])
    return "".join(out)


class Renderer:
    """MathJax 4 in QuickJS, created on first use; formulas are cached."""

    def __init__(self) -> None:
        self._mathjax = None
        self._cache: dict[tuple[str, bool], Formula] = {}

    def convert(self, tex: str, display: bool) -> Formula:
        key = (tex, display)
        if key not in self._cache:
            self._cache[key] = self._convert(tex, display)
        return self._cache[key]

    def _convert(self, tex: str, display: bool) -> Formula:
        if self._mathjax is None:
            from quickjax import MathJaxRenderer

            self._mathjax = MathJaxRenderer()
        from quickjax import MathJaxRenderError

        try:
            svg = self._mathjax.render(tex, display=display)
        except MathJaxRenderError as error:
            return Formula("", {}, str(error))
        problem = None
        if changed := PHYSICS_REDEFINES.search(tex):
            problem = (
                f"{changed.group()} means something else here: the bundled "
                "MathJax loads the "
                f"physics package ({PHYSICS_MEANING[changed.group()]})"
            )
        elif error := ERROR.search(svg):
            problem = html.unescape(error.group(1))
        elif 'fill="red"' in svg and r"\color" not in tex and "red" not in tex:
            problem = "undefined control sequence (MathJax drew it in red)"
        glyphs = dict(GLYPH.findall(svg))
        svg = DEFS.sub("", svg, count=1)
        svg = GLYPH_REF.sub(r'href="#\1"', svg)
        svg = UNUSED_ATTRIBUTES.sub("", svg)
        # Paint comes from the stylesheet, once:
        # .math svg { fill: currentColor }
        svg = svg.replace(PAINT, "", 1)
        svg = _unwrap_bare_groups(svg)
        return Formula(svg, glyphs, problem)


_renderer = Renderer()


class PageGlyphs:
    """The glyphs defined so far on the page being written: ids -> outline."""

    def __init__(self) -> None:
        self.docname: str | None = None
        self.defined: dict[str, str] = {}


def _page_glyphs(translator: HTML5Translator) -> PageGlyphs:
    builder = translator.builder
    state = getattr(builder, "_svgmath_page", None)
    if state is None:
        state = builder._svgmath_page = PageGlyphs()
    docname = getattr(builder, "current_docname", None)
    if state.docname != docname:
        state.docname = docname
        state.defined = {}
    return state


def _markup(
    translator: HTML5Translator,
    node: nodes.Element,
    tex: str,
    display: bool,
    label: bool = True,
) -> str:
    """The formula's <svg>, defining glyphs the page has not defined yet.

    With `label`, the SVG is role=img with the TeX as its name; without, it is
    hidden from assistive technology (a piece of a formula named as a whole).
    """
    formula = _renderer.convert(tex, display)
    if formula.problem:
        logger.warning(
            "TeX error in %r: %s",
            tex.strip(),
            formula.problem,
            location=node,
            type="svgmath",
            subtype="tex",
        )
    if not formula.svg:
        return f'<code class="math-error">{html.escape(tex)}</code>'
    page = _page_glyphs(translator)
    ids: dict[str, str] = {}
    new: list[str] = []
    for key, outline in formula.glyphs.items():
        glyph_id = "mj-" + key
        if page.defined.get(glyph_id, outline) != outline:
            # The same glyph name with another outline (not seen so far):
            # a distinct id.
            glyph_id += "-" + hashlib.sha1(outline.encode()).hexdigest()[:8]
        ids[key] = glyph_id
        if glyph_id not in page.defined:
            page.defined[glyph_id] = outline
            new.append(f'<path id="{glyph_id}" d="{outline}"/>')
    svg = HREF.sub(
        lambda match: f'href="#{ids.get(match.group(1), match.group(1))}"',
        formula.svg,
    )
    head, rest = svg.split(">", 1)
    if label:
        head += f' aria-label="{_label(tex)}"'
    else:
        head = head.replace(' role="img"', ' aria-hidden="true"')
    defs = f"<defs>{''.join(new)}</defs>" if new else ""
    return f"{head}>{defs}{rest}"


def _label(tex: str) -> str:
    return html.escape(" ".join(tex.split()), quote=True)


# Inline math wider than this (in ex, about 150 px) is set in pieces that the
# line may break between, after a relation or a binary operator at the
# formula's top level -- where TeX breaks a line in running text. A phone
# line is about 40 ex wide, a heading's much less.
BREAKABLE_WIDTH = 18.0
TOKEN = re.compile(r"\\[A-Za-z]+\*?|\\.|.", re.S)
RELATION = re.compile(
    r"=|<|>|\\(?:le|leq|ge|geq|ne|neq|approx|equiv|sim|simeq|cong|to|in|notin|propto"
    r"|mapsto|subset|subseteq|ll|gg)"
)
BINARY = re.compile(r"[-+/]|\\(?:cdot|times|pm|mp)")
# After these, + and - are signs, not binary operators.
NOT_AN_OPERAND = re.compile(
    r"[-+/(\[{,;:^_=<>]|\\[{,;:!]|\\(?:left|cdot|times|pm|mp)"
)


def split_for_line_breaks(tex: str) -> list[str]:
    """`tex` cut after each relation and binary operator at its top level.

    Not inside braces, parentheses, ``\\left...\\right`` or an environment (the
    bundled MathJax loads the physics package, whose ``\\log(...)`` reads its
    parenthesised argument); not after a sign or a sub- or superscript mark.
    Each piece but the last ends with an empty group ``{}``, so that the
    operator keeps the spacing it has in the whole
    formula (a relation or binary operator at the end of a formula would lose
    it): set side by side, the pieces look like the formula set at once.
    """
    pieces: list[str] = []
    depth = 0
    start = 0
    previous = None
    tokens = [t for t in TOKEN.finditer(tex) if not t.group().isspace()]
    for index, token in enumerate(tokens):
        text = token.group()
        if text in ("{", "(", "\\left", "\\begin"):
            depth += 1
        elif text in ("}", ")", "\\right", "\\end"):
            depth -= 1
        elif depth == 0 and index + 1 < len(tokens):
            following = tokens[index + 1].group()
            relation = RELATION.fullmatch(text) and not RELATION.fullmatch(
                following
            )
            binary = (
                BINARY.fullmatch(text)
                and previous is not None
                and not NOT_AN_OPERAND.fullmatch(previous)
                and not RELATION.fullmatch(previous)
            )
            if (relation or binary) and following not in ("^", "_"):
                pieces.append(tex[start : token.end()] + "{}")
                start = token.end()
        previous = text
    pieces.append(tex[start:])
    return [piece for piece in pieces if piece.strip()]


def visit_math(self: HTML5Translator, node: nodes.math) -> None:
    tex = node.astext()
    pieces = split_for_line_breaks(tex)
    if (
        len(pieces) > 1
        and _renderer.convert(tex, False).width > BREAKABLE_WIDTH
    ):
        # One name for the whole formula; the pieces are drawn, not read.
        self.body.append(
            self.starttag(
                node,
                "span",
                "",
                CLASS="math notranslate nohighlight",
                role="img",
                **{"aria-label": " ".join(tex.split())},
            )
        )
        self.body.append(
            "<wbr>".join(
                _markup(self, node, piece, False, label=False)
                for piece in pieces
            )
        )
    else:
        self.body.append(
            self.starttag(
                node, "span", "", CLASS="math notranslate nohighlight"
            )
        )
        self.body.append(_markup(self, node, tex, display=False))
    self.body.append("</span>")
    raise nodes.SkipNode


def display_tex(node: nodes.math_block) -> str:
    """The TeX of a display formula, wrapped as Sphinx's MathJax wraps it."""
    if node["nowrap"]:
        return node.astext()
    parts = [part for part in node.astext().split("\n\n") if part.strip()]
    parts = [
        r"\begin{split}" + part + r"\end{split}" if r"\\" in part else part
        for part in parts
    ]
    if len(parts) > 1:
        return (
            r"\begin{align}\begin{aligned}"
            + r"\\".join(parts)
            + r"\end{aligned}\end{align}"
        )
    return parts[0] if parts else ""


def visit_displaymath(self: HTML5Translator, node: nodes.math_block) -> None:
    self.body.append(
        self.starttag(node, "div", CLASS="math notranslate nohighlight")
    )
    self.body.append('<span class="math-scroll">')
    self.body.append(_markup(self, node, display_tex(node), display=True))
    self.body.append("</span>")
    if node["number"] and not node["nowrap"]:
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    self.body.append("</div>\n")
    raise nodes.SkipNode


# Inline math followed by punctuation: "... a value v." A browser may break a
# line between an inline SVG and the text after it, leaving the period alone at
# the start of the next line. The punctuation moves into the math's span, next
# to its (last) SVG, in a span that does not wrap.
MATH_THEN_PUNCTUATION = re.compile(
    r'(<span class="math notranslate nohighlight"[^>]*>)'
    r"((?:(?!</span>).)*?)</span>"
    r"([.,;:!?)\]\u2019\u201d]+)",
    re.S,
)


def _keep_together(match: re.Match) -> str:
    opening, inner, punctuation = match.groups()
    head, separator, last = inner.rpartition("<wbr>")
    end = f'<span class="math-end">{last}{punctuation}</span>'
    return f"{opening}{head}{separator}{end}</span>"


def keep_punctuation_with_math(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict,
    doctree: object,
) -> None:
    if "body" in context:
        context["body"] = MATH_THEN_PUNCTUATION.sub(
            _keep_together, context["body"]
        )


def setup(app: Sphinx) -> dict[str, object]:
    app.add_html_math_renderer(
        "svgmath", (visit_math, None), (visit_displaymath, None)
    )
    app.connect("html-page-context", keep_punctuation_with_math)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

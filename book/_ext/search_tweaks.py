"""Search: each page listed once; math indexed as readable text, not TeX.

- search.html loads ``search-one-hit-per-page.js`` (book/_static), which
  keeps one result per page: Sphinx listed the glossary and the Jacobian
  chapter twice for "Jacobian" (an index entry or section title, and the
  page's text, with different anchors).
- Sphinx's search index takes every text node of a page, so a formula entered
  it as TeX: ``\\partial``, ``frac`` and ``operatorname`` were search words,
  and a section title with math ("Claim 2: The derivative of softmax is
  $(e^{x}\\sum e^{x} - ...$") was listed with its raw TeX in the results.
  The index now gets a plain-text reading of each formula (``∂s_i/∂z_j``,
  ``Σ e^x``) instead. Result snippets are taken from the page's HTML, where the
  math is SVG, so they carry no TeX either.

Chinese search (a jieba-backed ``SearchLanguage`` for ``language: zh_CN``)
works
through the same word collector: the formula text goes through the language's
own ``split``.
"""

# The symbol table maps TeX commands to the Unicode characters they stand for.
# ruff: noqa: RUF001

from __future__ import annotations

import re

from docutils import nodes
from sphinx import search
from sphinx.application import Sphinx

SYMBOLS = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
    "partial": "∂",
    "nabla": "∇",
    "sum": "Σ",
    "prod": "∏",
    "int": "∫",
    "infty": "∞",
    "cdot": "·",
    "times": "×",
    "odot": "⊙",
    "otimes": "⊗",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "ne": "≠",
    "neq": "≠",
    "approx": "≈",
    "sim": "∼",
    "equiv": "≡",
    "propto": "∝",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "mapsto": "↦",
    "in": "∈",
    "notin": "∉",
    "subset": "⊂",
    "cup": "∪",
    "cap": "∩",
    "forall": "∀",
    "exists": "∃",
    "top": "ᵀ",
    "pm": "±",
    "mp": "∓",
    "ldots": "…",
    "dots": "…",
    "cdots": "⋯",
    "langle": "⟨",
    "rangle": "⟩",
    "lVert": "‖",
    "rVert": "‖",
    "Vert": "‖",
    "mid": "|",
    "lvert": "|",
    "rvert": "|",
    "setminus": "∖",
    "emptyset": "∅",
    "ell": "ℓ",
    "log": "log",
    "exp": "exp",
    "max": "max",
    "min": "min",
    "arg": "arg",
    "sin": "sin",
    "cos": "cos",
    "tanh": "tanh",
    "det": "det",
    "lim": "lim",
    "sup": "sup",
    "inf": "inf",
}
DOUBLE_STRUCK = {
    "R": "ℝ",
    "N": "ℕ",
    "Z": "ℤ",
    "Q": "ℚ",
    "C": "ℂ",
    "E": "𝔼",
    "P": "ℙ",
}
# Commands that only space, size or style: dropped, their argument kept.
SILENT = re.compile(
    r"\\(?:left|right|[bB]ig+[lr]?|displaystyle|textstyle|limits|nolimits|quad|qquad)\b"
    r"|\\[,;:! ]"
)
GROUPING = re.compile(
    r"\\(?:operatorname\*?|text(?:rm|bf|it)?|math(?:rm|bf|it|sf|tt|cal)|boldsymbol"
    r"|bm|hat|bar|tilde|vec|overline|underline|mbox)\s*\{([^{}]*)\}"
)


def tex_to_text(tex: str) -> str:
    """A plain-text reading of a TeX formula, for the search index."""
    text = SILENT.sub(" ", tex)
    text = re.sub(
        r"\\mathbb\s*\{(\w)\}",
        lambda m: DOUBLE_STRUCK.get(m.group(1), m.group(1)),
        text,
    )
    for _ in range(3):  # nested groups, innermost first
        text = GROUPING.sub(r"\1", text)
        text = re.sub(
            r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"\1/\2", text
        )
        text = re.sub(r"\\sqrt\s*\{([^{}]*)\}", r"√\1", text)
    text = re.sub(r"\\begin\{\w+\*?\}|\\end\{\w+\*?\}", " ", text)
    text = re.sub(
        r"\\([A-Za-z]+)", lambda m: SYMBOLS.get(m.group(1), m.group(1)), text
    )
    text = (
        text.replace("\\\\", " ")
        .replace("&", " ")
        .replace("{", "")
        .replace("}", "")
    )
    text = text.replace("\\", "").replace("^ᵀ", "ᵀ")
    return " ".join(text.split())


class MathAsTextIndexBuilder(search.IndexBuilder):
    """Sphinx's search indexer, fed pages with their formulas as plain text."""

    def feed(
        self, docname: str, filename: str, title: str, doctree: nodes.document
    ) -> None:
        doctree = doctree.deepcopy()
        for node in doctree.findall(
            lambda n: isinstance(n, (nodes.math, nodes.math_block))
        ):
            text = tex_to_text(node.astext())
            node.clear()
            node += nodes.Text(text)
        super().feed(docname, filename, title, doctree)


def add_search_script(app: Sphinx, pagename: str, *args: object) -> None:
    if pagename == "search":
        app.add_js_file("search-one-hit-per-page.js", loading_method="defer")


def setup(app: Sphinx) -> dict[str, object]:
    # The HTML builder imports sphinx.search.IndexBuilder when it prepares
    # writing.
    search.IndexBuilder = MathAsTextIndexBuilder
    app.connect("html-page-context", add_search_script)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

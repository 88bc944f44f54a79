"""The prose says only what the code shows: numbers, exercise answers, solutions.

Formulas are proven by asserts in the cells; the sentences around them are
checked here.

* **Numbers in prose are computed.** Every decimal number, percentage or power
  of ten in a markdown cell must be glued from a computation (myst-nb's
  ``{glue:text}`` role, which this scan skips), or appear, to the precision the
  prose states, among the numbers of that notebook's code and outputs, or be one
  of the few constants listed below. The reference pages (``book/*.md``) may
  use any notebook's numbers. Integers are not scanned: they count things
  (classes, rows, chapters) far more often than they state results.
* **Exercise answers are asserted.** Exercises and solutions use
  sphinx-exercise; a solution that states a number or a result is written in
  the gated form (``solution-start`` ... ``solution-end``) around a code cell
  that computes and asserts it.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
PAGES = sorted(BOOK.glob("*.md"))

# Numbers the prose may state without a computation in the same notebook:
# properties of IEEE formats and other fixed facts, each with where it comes from.
CONSTANTS = {
    # Unit roundoff, machine epsilon and the smallest subnormal of float64,
    # float32 and float16 (np.finfo; tests/test_site_pages.py checks them).
    "2^{-53}", "2^{-52}", "2^{-24}", "2^{-23}", "2^{-11}", "2^{-10}", "2^{-1074}",
    "2^{-149}", "2.2e-16", "1.1e-16", "1.2e-7", "6e-8", "4.9e-324",
    # The largest float64, float32 and float16.
    "1.8e308", "3.4e38", "65504",
}
# A number right after one of these words names a part of a cited work ("their
# Theorem 4.3"), not a quantity.
PART_WORDS = r"(?:Theorem|Lemma|Section|Sec\.|Chapter|Table|Figure|Fig\.|Exercise|Eq\.|Equation|Corollary|Proposition|Algorithm|version|Python|NumPy|SciPy|Sphinx|Jupyter Book|MathJax)"

_SKIPPED = [
    r"\{glue(?::\w+)?\}`[^`]*`",  # glued values: computed by construction
    r"\{(?:eq|numref|ref|doc|cite(?::\w+)?|term|download|prf:ref)\}`[^`]*`",  # references
    r"\]\([^)]*\)",  # link targets
    r"https?://\S+",
    r"\$\$\s*\(([^)]*)\)",  # equation labels after $$
    r"^:(?:label|class|name|nonumber):.*$",  # directive options
    rf"\b{PART_WORDS}\s+[\d.]+\w*",
]
_POWER = re.compile(r"(\d+(?:\.\d+)?)\s*(?:\\times|\N{MULTIPLICATION SIGN}|\\cdot)\s*10\^\{?(-?\d+)\}?|\b(10|2)\^\{?(-?\d+)\}?")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:\\%|%|\s?per\s?cent)")
_DECIMAL = re.compile(r"(?<![\w.])(\d+\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)(?![\w.])")
_CANDIDATE = re.compile(r"\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?")


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _strip_skipped(text: str) -> str:
    for pattern in _SKIPPED:
        text = re.sub(pattern, " ", text, flags=re.MULTILINE)
    return text


def _power(base: float, exponent: int) -> float:
    try:
        return base**exponent
    except OverflowError:
        return math.inf


def prose_numbers(text: str) -> list[tuple[str, float, float]]:
    """The numbers a text states: ``(as written, value, tolerance)``.

    The tolerance is half a unit in the last written digit, so that "0.946"
    matches a computed 0.94649. A percentage is stated as a fraction. A power
    written as ``10^{k}`` or ``2^{k}`` is its value; its exponent ``k`` may
    also be what the code computes (as for ``e^{1000} = 10^{434.3}``).
    """
    text = _strip_skipped(text)
    found = []
    for match in _POWER.finditer(text):
        if match.group(1):
            mantissa, exponent = match.group(1), int(match.group(2))
            decimals = len(mantissa.partition(".")[2])
            found.append((match.group(0), float(mantissa) * _power(10.0, exponent),
                          0.5 * _power(10.0, exponent - decimals)))
        else:
            base, exponent = int(match.group(3)), int(match.group(4))
            if base == 10 and 0 <= exponent < 3:
                continue  # 10, 100: small counts, not stated results
            found.append((match.group(0), _power(float(base), exponent), 0.0))
    text = _POWER.sub(" ", text)
    for match in _PERCENT.finditer(text):
        decimals = len(match.group(1).partition(".")[2])
        found.append((match.group(0), float(match.group(1)) / 100,
                      0.5 * 10.0 ** (-decimals - 2)))
    text = _PERCENT.sub(" ", text)
    for match in _DECIMAL.finditer(text):
        written = match.group(1)
        mantissa, _, exponent = written.lower().partition("e")
        decimals = len(mantissa.partition(".")[2])
        scale = 10.0 ** int(exponent or 0)
        found.append((written, float(written), 0.5 * 10.0**-decimals * scale))
    return found


def _output_texts(cell: dict) -> list[str]:
    texts = []
    for output in cell.get("outputs", []):
        if "text" in output:
            texts.append("".join(output["text"]))
        for mime, value in output.get("data", {}).items():
            if mime.startswith("text/") or mime.endswith("text/plain"):
                texts.append("".join(value) if isinstance(value, list) else str(value))
        if output.get("output_type") == "error":
            texts.append(output.get("evalue", ""))
    return texts


@cache
def computed_numbers(path: Path) -> tuple[float, ...]:
    """Every number literal in the notebook's code and outputs, as absolute values."""
    values = set()
    for cell in _cells(path):
        if cell["cell_type"] != "code":
            continue
        for text in ["".join(cell["source"]), *_output_texts(cell)]:
            for literal in _CANDIDATE.findall(text):
                try:
                    values.add(abs(float(literal)))
                except ValueError:
                    continue
    return tuple(sorted(values))


@cache
def constant_values() -> tuple[tuple[str, float], ...]:
    return tuple((c, value) for c in CONSTANTS for _, value, _ in prose_numbers(c))


def _is_supported(written: str, value: float, tolerance: float, pool: tuple[float, ...]) -> bool:
    if any(written == c or math.isclose(value, v, rel_tol=1e-9) for c, v in constant_values()):
        return True
    power = re.fullmatch(r"(?:10|2)\^\{?(-?\d+)\}?", written)
    if power and any(abs(abs(int(power.group(1))) - c) <= 0.5 for c in pool):
        return True
    slack = tolerance + 1e-12 * abs(value)
    return any(math.isclose(abs(value), candidate, abs_tol=slack, rel_tol=0)
               or abs(abs(value) - candidate) <= slack for candidate in pool)


def _context(text: str, written: str) -> str:
    at = text.find(written)
    return " ".join(text[max(at - 60, 0) : at + len(written) + 40].split())


def _unsupported(texts: list[str], pool: tuple[float, ...]) -> list[str]:
    return [
        f"{written!r} in '...{_context(text, written)}...'"
        for text in texts
        for written, value, tolerance in prose_numbers(text)
        if not _is_supported(written, value, tolerance, pool)
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_number_in_a_chapters_prose_is_computed_in_it(path):
    markdown = ["".join(c["source"]) for c in _cells(path) if c["cell_type"] == "markdown"]
    assert _unsupported(markdown, computed_numbers(path)) == [], (
        "glue these numbers from the computation, or compute them in a cell"
    )


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_every_number_on_a_reference_page_is_computed_in_a_chapter(path):
    pool = tuple(sorted({v for nb in NOTEBOOKS for v in computed_numbers(nb)}))
    assert _unsupported([path.read_text(encoding="utf-8")], pool) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("about 0.2 when run", [0.2]),
        ("a 44% error", [0.44]),
        ("about $1.8 \\times 10^{308}$", [1.8e308]),
        ("to about $10^{-11}$", [1e-11]),
        ("their Theorem 4.3 and {glue:text}`loss:.4f` and {eq}`eq-1.2`", []),
        ("rows of 10 and 1000 entries", []),
        ("tolerance 1e-9", [1e-9]),
    ],
)
def test_prose_number_scanner_reads_what_a_reader_reads(text, expected):
    assert [value for _, value, _ in prose_numbers(text)] == pytest.approx(expected)


def test_a_rounded_value_matches_but_a_wrong_one_does_not():
    pool = (0.13712, 0.9465123)
    assert _unsupported(["the loss is 0.137 and the probability 0.947"], pool) == []
    assert _unsupported(["the loss is about 0.2"], pool) != []


# --- exercises -------------------------------------------------------------

_OPEN = re.compile(r"^:::+\{solution-start\}\s*(\S+)", re.MULTILINE)
_CLOSE = re.compile(r"^:::+\{solution-end\}", re.MULTILINE)
_PLAIN_SOLUTION = re.compile(r"^(:::+|```+)\{solution\}\s*(\S+)\n(.*?)^\1\s*$", re.MULTILINE | re.DOTALL)
_EXERCISE = re.compile(r"^(:::+|```+)\{exercise\}", re.MULTILINE)
_ASSERTS = re.compile(r"^\s*assert\b|\bassert_(?:allclose|array_equal|equal)\(", re.MULTILINE)


def _has_result(text: str) -> bool:
    """A solution states a number or a result if it holds a digit outside references."""
    return bool(re.search(r"\d", _strip_skipped(text)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_use_sphinx_exercise(path):
    markdown = "\n".join(
        "".join(c["source"]) for c in _cells(path) if c["cell_type"] == "markdown"
    )
    exercises = markdown.split("## Exercises", 1)[-1]
    assert _EXERCISE.search(exercises), f"{path.name}: no {{exercise}} directive"
    assert "{admonition} Solution" not in markdown, (
        f"{path.name}: write solutions with {{solution}} / {{solution-start}}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_stated_exercise_answer_is_computed_and_asserted(path):
    problems, inside, label, asserted = [], False, None, False
    for cell in _cells(path):
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            for _, plain_label, body in _PLAIN_SOLUTION.findall(source):
                if _has_result(body):
                    problems.append(f"{plain_label}: states a result without an asserting cell")
            opened, closed = _OPEN.search(source), _CLOSE.search(source)
            if opened:
                assert not inside, f"{path.name}: solution {label} is not closed"
                inside, label, asserted = True, opened.group(1), False
            if closed:
                assert inside, f"{path.name}: solution-end without solution-start"
                if not asserted:
                    problems.append(f"{label}: no code cell with an assert")
                inside = False
        elif inside and _ASSERTS.search(source):
            asserted = True
    assert not inside, f"{path.name}: solution {label} is not closed"
    assert problems == [], path.name

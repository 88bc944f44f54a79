"""The Chinese edition is complete, current and faithful to the tested source.

The English pages are extracted afresh into gettext templates (the same
extraction as ``make translations``), and every message must have a
translation in ``locales/zh_CN/LC_MESSAGES/book/<page>.po`` that is not marked
fuzzy. So when an English sentence changes, its new text is a new message
without a translation, and this test fails until a translator has updated it:
the two editions cannot drift apart.

A translation changes the words, never what the words carry: its inline math,
inline code, URLs and the targets of its references and glued numbers must be
exactly those of the English message.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE = "zh_CN"
CATALOGS = ROOT / "locales" / LANGUAGE / "LC_MESSAGES"


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """Every page's messages, freshly extracted from the English source: {page: {id: message}}."""
    out = tmp_path_factory.mktemp("gettext")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    build = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--builder", "custom",
         "--custom-builder", "gettext", "--path-output", str(out)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    pot_dir = out / "_build" / "gettext"
    return {
        pot.relative_to(pot_dir).with_suffix("").as_posix(): _messages(pot)
        for pot in pot_dir.rglob("*.pot")
    }


def _messages(path: Path) -> dict[str, object]:
    with path.open("rb") as file:
        catalog = read_po(file)
    return {message.id: message for message in catalog if message.id}


def _translated_pages() -> list[str]:
    return sorted(po.relative_to(CATALOGS).with_suffix("").as_posix()
                  for po in CATALOGS.rglob("*.po"))


def test_every_page_has_a_catalog_and_every_catalog_a_page(templates):
    assert sorted(templates) == _translated_pages()


@pytest.mark.parametrize("page", _translated_pages())
def test_every_message_is_translated_and_current(templates, page):
    translations = _messages(CATALOGS / f"{page}.po")
    missing = [m for m in templates.get(page, {}) if m not in translations]
    assert missing == [], (
        f"{len(missing)} English messages of {page} have no translation; run "
        "`make translations` and translate them in the .po file"
    )
    untranslated = [m for m, t in translations.items()
                    if m in templates[page] and (not t.string or t.fuzzy)]
    assert untranslated == [], f"{len(untranslated)} messages of {page} are empty or fuzzy"


# What a translation must carry over unchanged.
# A role starts a word: ``{term}`...``; not the ``{00}`` of ``J_{00}`` inside reST math.
_ROLE = re.compile(r"(?<![A-Za-z0-9_}\\])\{([\w:-]+)\}`([^`]*)`")
_KEPT = [
    re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.DOTALL),  # math
    re.compile(r"(?<![`}])`[^`\n]+`"),  # inline code (not a role's argument)
    re.compile(r"https?://[^\s)>\]]+"),  # URLs
]


def _role_target(role: str, text: str) -> str:
    """A role's target: glued keys, labels and documents; `title <target>` keeps the target."""
    explicit = re.search(r"<([^<>]+)>\s*$", text)
    return f"{role}:{(explicit.group(1) if explicit else text).strip()}"


def carried(text: str) -> Counter[str]:
    """The parts of a message that its translation must keep exactly."""
    kept = Counter(_role_target(role, body) for role, body in _ROLE.findall(text))
    rest = _ROLE.sub(" ", text)
    for pattern in _KEPT:
        kept.update(pattern.findall(rest))
    return kept


@pytest.mark.parametrize("page", _translated_pages())
def test_translations_keep_math_code_references_and_glued_numbers(page):
    changed = []
    for message in _messages(CATALOGS / f"{page}.po").values():
        if message.string and carried(message.id) != carried(message.string):
            missing = carried(message.id) - carried(message.string)
            extra = carried(message.string) - carried(message.id)
            changed.append(f"{message.id[:60]!r}: lost {dict(missing)}, added {dict(extra)}")
    assert changed == []


def test_carried_parts_ignore_words_but_not_targets():
    english = "The loss {glue:text}`loss:.4f` of $s_i$ in `sn.softmax`, see {doc}`04-jacobian`."
    chinese = "损失为 {glue:text}`loss:.4f` 中 $s_i$ 见 `sn.softmax` 与 {doc}`雅可比矩阵 <04-jacobian>`。"
    assert carried(english) == carried(chinese)
    assert carried(english) != carried(chinese.replace("$s_i$", "$s_j$"))


def test_a_brace_in_rest_math_is_not_a_role():
    """``J_{00}`` followed by a backtick is not the role ``{00}``: words around it may change."""
    english = "Every :math:`J_{00}` is the diagonal's first entry, see the ``Notes``."
    assert carried(english) == carried("每个 :math:`J_{00}` 都是对角线的第一个元素 (见 ``Notes``)。")

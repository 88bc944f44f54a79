"""The Chinese edition in the browser: language, switcher, search, glyphs, markup.

Every page-level check of test_site.py already runs on the Chinese pages too
(no errors, nothing fetched, math, figures, links, phone fit, weight). These are
the checks particular to a translated edition.
"""

from __future__ import annotations

import re

import pytest

from .conftest import toc_pages
from .test_site import CHAPTERS, search

ZH = "zh_CN/"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("path", toc_pages())
def test_chinese_page_declares_its_language_and_links_both_editions(site, path):
    with site.open(ZH + path) as page:
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        alternates = page.eval_on_selector_all(
            "link[rel=alternate][hreflang]",
            "(links) => Object.fromEntries(links.map((l) => [l.hreflang, l.href]))",
        )
    assert alternates["zh-Hans"].endswith(ZH + path)
    assert alternates["en"].endswith("/" + path) and ZH not in alternates["en"]


@pytest.mark.parametrize("path", toc_pages())
def test_chinese_page_is_translated_without_stray_markup(site, path):
    """Chinese prose, and none of the markup a broken translation leaves as text.

    A translation can break MyST silently: emphasis whose closing ``**`` follows a
    full-width colon and precedes a Chinese character is not emphasis but two
    asterisks, and a role that MyST did not recognise shows its name as text
    (``{term}``) and its argument as code.
    """
    with site.open(ZH + path) as page:
        # The text a reader reads as prose: code, inline code and outputs (10**5) aside.
        text = page.eval_on_selector(
            "article",
            "(article) => { const copy = article.cloneNode(true);"
            " copy.querySelectorAll('pre, code, .highlight, .cell_output, .output')"
            ".forEach((el) => el.remove()); return copy.innerText; }",
        )
        title = page.title()
        # Paragraphs of prose: not outputs, code, or the entries of a bibliography or
        # of a docstring's References (the paragraphs after its rubric).
        paragraphs = page.eval_on_selector_all(
            "article p:not(.rubric)",
            """(ps) => ps.filter((p) => {
              if (p.closest('.cell_output, .output, .highlight, .citation, .bibliography, pre')) {
                return false;
              }
              let before = p.previousElementSibling;
              while (before && before.matches('p:not(.rubric)')) before = before.previousElementSibling;
              return !(before && before.matches('p.rubric')
                       && /References|引用|参考文献/.test(before.innerText));
            }).map((p) => p.innerText)""",
        )
    assert CHINESE.search(title), title
    english = [p for p in paragraphs
               if not CHINESE.search(p) and len(re.findall(r"[A-Za-z]{3,}", p)) >= 5]
    assert english == [], f"{len(english)} of {len(paragraphs)} paragraphs read as English"
    # A role MyST did not parse shows its name as text, its argument as code.
    stray = re.findall(r"\*\*|\{(?:glue|term|ref|doc|eq|numref|cite)[^}]*\}", text)
    assert stray == [], stray


def test_switcher_goes_to_the_same_page_in_the_other_edition_and_back(site):
    chapter = CHAPTERS[3]
    with site.open(chapter) as page:
        page.locator(".edition-switcher-link").click()
        page.wait_for_url(f"**/{ZH}{chapter}")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        page.locator(".edition-switcher-link").click()
        page.wait_for_url(f"**/{chapter}")
        assert ZH not in page.url
        assert page.locator("html").get_attribute("lang") == "en"


@pytest.mark.parametrize(
    ("term", "chapter"),
    [("雅可比", "04-jacobian"), ("交叉熵", "05-cross-entropy"), ("数值稳定", "03-numerical-stability")],
)
def test_chinese_search_finds_the_chapter_that_develops_a_term(site, term, chapter):
    """Sphinx segments Chinese text with jieba: without it no Chinese word is indexed."""
    results = search(site, term, ZH)
    assert any(f"{ZH}book/{chapter}.html" in result["href"] for result in results), results


def test_chinese_glyphs_render_with_a_cjk_font_not_as_empty_boxes(site):
    """Each character is drawn with the page's font and compared, pixel by pixel, with
    a code point no font has: a missing CJK font draws both as the same empty box."""
    with site.open(ZH + CHAPTERS[0]) as page:
        missing = page.evaluate(
            """() => {
              const font = getComputedStyle(document.querySelector('article p')).font;
              const draw = (text) => {
                const canvas = document.createElement('canvas');
                canvas.width = 64; canvas.height = 64;
                const context = canvas.getContext('2d');
                context.font = font; context.fillText(text, 8, 40);
                return Array.from(context.getImageData(0, 0, 64, 64).data).join();
              };
              const box = draw('\\u{10FFFD}');
              return [...'交叉熵雅可比矩阵温度标签平滑'].filter((c) => draw(c) === box);
            }"""
        )
    assert missing == []


def test_exercises_and_solutions_are_labelled_in_chinese(site):
    with site.open(ZH + CHAPTERS[0]) as page:
        titles = page.locator(".admonition-title").all_inner_texts()
    assert any(title.startswith("练习") for title in titles), titles
    assert any(title.startswith("解答") for title in titles), titles


def test_figure_captions_are_translated(site):
    with site.open(ZH + CHAPTERS[0]) as page:
        # The caption's text, without its number ("图 1.1", Chinese either way).
        captions = page.locator("figure figcaption .caption-text").all_inner_texts()
    assert captions and all(CHINESE.search(caption) for caption in captions), captions


@pytest.mark.parametrize("path", CHAPTERS)
def test_chinese_chapter_shows_the_english_chapters_glued_numbers(site_dir, path):
    """A translated paragraph has no notebook behind it; book/_ext/editions.py points
    its glued values at the page's own, so both editions show the same tested numbers."""

    def pasted(file):
        return sorted(re.findall(r'class="pasted-text">([^<]*)<', file.read_text("utf-8")))

    assert pasted(site_dir / ZH / path) == pasted(site_dir / path)

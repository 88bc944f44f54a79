"""The reader's experience, checked in a real browser (headless Chromium via Playwright).

Every page of the built site is opened as a first visit (a fresh browser
context, empty storage) and must load with HTTP 200, raise no JavaScript error
and log no console error, typeset all of its math with MathJax, show every
image with alt text, link only to pages and anchors that exist, fit a 390 px
phone screen and weigh at most 1.5 MB. Search, the download, launch and copy
buttons, the API reference and the glossary are checked on the pages that
carry them. See conftest.py for how the site is built, served and isolated
from the network.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import expect

import softmax_notes
from softmax_notes import classifier

from .conftest import PHONE_WIDTH, ROOT, all_pages, toc_pages

# index.html only redirects to the introduction; every other page is checked in full.
PAGES = [path for path in all_pages() if path != "index.html"]
NOTEBOOK_PAGES = [path for path in toc_pages() if (ROOT / path).with_suffix(".ipynb").exists()]
MAX_PAGE_BYTES = 1.5 * 1024 * 1024
REPOSITORY = "softmax-notes/softmax-notes"


@cache
def _anchors(file: Path) -> frozenset[str]:
    """The ids and names a fragment can point to in a built HTML file."""
    text = file.read_text(encoding="utf-8")
    return frozenset(html.unescape(m) for m in re.findall(r'\b(?:id|name)="([^"]+)"', text))


def test_every_built_page_is_checked(site_dir: Path):
    built = {
        path.relative_to(site_dir).as_posix()
        for path in site_dir.rglob("*.html")
        if not path.relative_to(site_dir).parts[0].startswith("_")
    }
    assert built == set(all_pages())


def test_index_redirects_to_the_introduction(site):
    with site.open("index.html") as page:
        page.wait_for_url("**/book/intro.html")
        assert page.title().startswith("Softmax notes")


@pytest.mark.parametrize("path", PAGES)
def test_page_is_served_with_http_200(site, path):
    assert site.visit(path).status == 200


@pytest.mark.parametrize("path", PAGES)
def test_page_raises_no_javascript_error_and_logs_no_console_error(site, path):
    visit = site.visit(path)
    assert visit.page_errors == []
    assert visit.console_errors == []


@pytest.mark.parametrize("path", PAGES)
def test_page_requests_nothing_from_the_network_but_mathjax(site, path):
    assert site.visit(path).blocked == []


@pytest.mark.parametrize("path", PAGES)
def test_page_math_is_typeset_by_mathjax_without_error(site, path):
    facts = site.visit(path).facts
    assert facts["mathTypeset"] == facts["mathCount"], "math left untypeset"
    assert facts["mathErrors"] == []


@pytest.mark.parametrize("path", PAGES)
def test_page_images_load_and_have_alt_text_and_figures_captions(site, path):
    for image in site.visit(path).facts["images"]:
        assert image["naturalWidth"] > 0, f"image did not load: {image['src']}"
        assert image["alt"] and image["alt"].strip(), f"image without alt text: {image['src']}"
        if "/_images/" in image["src"]:  # a figure of the book, not a theme icon
            assert image["caption"], f"figure without a caption: {image['src']}"


@pytest.mark.parametrize("path", PAGES)
def test_page_internal_links_resolve(site, site_dir, path):
    broken = []
    for href in set(site.visit(path).facts["links"]):
        if not href.startswith(site.base_url):
            continue
        parts = urlsplit(href)
        target = site_dir / unquote(parts.path).lstrip("/")
        if parts.path.endswith("/"):
            target = target / "index.html"
        if not target.is_file():
            broken.append(href)
        elif parts.fragment and target.suffix == ".html":
            if unquote(parts.fragment) not in _anchors(target):
                broken.append(href)
    assert broken == []


@pytest.mark.parametrize("path", PAGES)
def test_page_fits_a_phone_screen(site, path):
    phone = site.visit(path).phone
    assert phone["viewportWidth"] == PHONE_WIDTH
    assert phone["scrollWidth"] <= PHONE_WIDTH, phone["overflowing"]
    for image in phone["images"]:
        if image["inArticle"]:
            assert image["right"] <= PHONE_WIDTH + 0.5, image["src"]


@pytest.mark.parametrize("path", PAGES)
def test_page_weighs_at_most_one_and_a_half_megabytes(site, site_dir, page_weights, path):
    """The page's own bytes: its HTML, its images and any file only it loads.

    Shared theme assets (everything under _static/, and searchindex.js) are the
    same files on every page and are cached after the first one, so they are
    reported in the summary but not counted against a page. MathJax comes from
    a CDN in production and is not counted either.
    """
    visit = site.visit(path)
    own, shared = (site_dir / path).stat().st_size, 0
    for name in set(visit.local_files) - {path}:
        file = site_dir / name
        if file.is_file():
            if name.startswith("_static/") or name == "searchindex.js":
                shared += file.stat().st_size
            else:
                own += file.stat().st_size
    page_weights[path] = (own, shared)
    assert own <= MAX_PAGE_BYTES, f"{path} weighs {own / 1024**2:.2f} MB"


def _search(site, term: str) -> list[str]:
    """Hrefs of the results the site's search page lists for `term`."""
    with site.open(f"search.html?q={term}") as page:
        page.wait_for_function(
            "() => /Search finished|did not match/.test("
            "document.querySelector('#search-results .search-summary')?.innerText)"
        )
        return page.eval_on_selector_all(
            "#search-results .search li a", "(links) => links.map((a) => a.href)"
        )


def test_search_finds_softmax_in_the_first_chapter(site):
    results = _search(site, "softmax")
    assert any("book/01-" in href for href in results), results


def test_search_finds_jacobian(site):
    """The glossary defines it; once the Jacobian chapter is in the toc, it must be found too."""
    results = _search(site, "Jacobian")
    assert any("book/glossary.html" in href for href in results), results
    for chapter in (path for path in toc_pages() if "jacobian" in path):
        assert any(chapter in href for href in results), (chapter, results)


@pytest.mark.parametrize("path", NOTEBOOK_PAGES)
def test_chapter_offers_download_launch_and_copy_buttons(site, path):
    notebook = path.removesuffix(".html") + ".ipynb"
    facts = site.visit(path).facts
    assert any(href.endswith(f"_sources/{notebook}") for href in facts["downloads"]), facts
    assert f"https://mybinder.org/v2/gh/{REPOSITORY}/main?urlpath=lab/tree/{notebook}" in facts["launches"]
    assert f"https://colab.research.google.com/github/{REPOSITORY}/blob/main/{notebook}" in facts["launches"]
    assert facts["codeCells"] > 0
    assert facts["copyButtons"] == facts["codeCells"]


def test_sidebar_toggle_hides_the_chapter_navigation_on_a_desktop(site):
    with site.open("book/glossary.html") as page:
        sidebar = page.locator("#pst-primary-sidebar")
        expect(sidebar).to_be_visible()
        page.locator(".bd-header-article .primary-toggle").click()
        expect(sidebar).to_be_hidden()


def test_sidebar_toggle_opens_the_chapter_navigation_on_a_phone(site):
    with site.open("book/glossary.html") as page:
        page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
        page.reload(wait_until="load")
        page.locator(".bd-header-article .primary-toggle").click()
        expect(page.locator("#pst-primary-sidebar-modal .bd-docs-nav")).to_be_visible()


def test_contents_toggle_opens_the_page_outline_on_a_phone(site):
    with site.open(NOTEBOOK_PAGES[0]) as page:
        page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
        page.reload(wait_until="load")
        page.locator(".bd-header-article .secondary-toggle").click()
        expect(page.locator("#pst-secondary-sidebar-modal nav.page-toc")).to_be_visible()


def test_dark_system_preference_gets_the_dark_theme_and_the_switch_cycles_modes(site):
    with site.open(NOTEBOOK_PAGES[0], color_scheme="dark") as page:
        html_element = page.locator("html")
        expect(html_element).to_have_attribute("data-mode", "auto")
        expect(html_element).to_have_attribute("data-theme", "dark")
        page.locator(".theme-switch-button").first.click()
        expect(html_element).to_have_attribute("data-mode", "light")
        expect(html_element).to_have_attribute("data-theme", "light")


def test_scrolling_a_chapter_raises_no_error(site):
    """The theme's scroll handlers (table-of-contents spy, back-to-top button) run cleanly.

    They measure the page header, which book/_templates/layout.html empties.
    """
    with site.open(NOTEBOOK_PAGES[0]) as page:
        page.evaluate("window.scrollTo(0, 4000)")
        page.wait_for_timeout(100)
        page.evaluate("window.scrollTo(0, 3000)")
        page.wait_for_timeout(100)
        assert page.evaluate("window.scrollY") == 3000


def test_api_reference_documents_every_public_name(site_dir):
    anchors = _anchors(site_dir / "book" / "api.html")
    public = [f"softmax_notes.{name}" for name in softmax_notes.__all__] + [
        f"softmax_notes.classifier.{name}" for name in classifier.__all__
    ]
    assert [name for name in public if name not in anchors] == []


GLOSSARY_TERMS = [
    "logit", "softmax", "log-softmax", "log-sum-exp", "temperature", "cross-entropy",
    "Jacobian", "JVP", "one-hot", "label-smoothing", "sparsemax", "Gumbel-softmax",
    "hierarchical-softmax", "online-softmax", "ulp", "unit-roundoff",
]


def test_glossary_defines_the_books_terms(site_dir):
    anchors = _anchors(site_dir / "book" / "glossary.html")
    assert [term for term in GLOSSARY_TERMS if f"term-{term}" not in anchors] == []


def test_verification_page_shows_the_status_of_every_notebook(site_dir):
    page = (site_dir / "book" / "verification.html").read_text(encoding="utf-8")
    for path in NOTEBOOK_PAGES:
        code_cells = sum(
            cell["cell_type"] == "code"
            for cell in json.loads((ROOT / path).with_suffix(".ipynb").read_text())["cells"]
        )
        assert f"clean, 1 to {code_cells}<" in page, path

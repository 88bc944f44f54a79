"""The reader's experience, checked in a real browser (headless Chromium via Playwright).

Every page of the built site is opened as a first visit (a fresh browser
context, empty storage) and must load with HTTP 200, raise no JavaScript error
and log no console error, request nothing from another host, carry all of its
math as SVG (with accessible names, never as raw TeX), show every image with
alt text, link only to pages and anchors that exist, fit a 390 px phone screen
without a clipped equation, mark code that scrolls sideways, and weigh at most
1.5 MB with everything it loads. Chapter 4 must show its math within 3 s on an
emulated slow-4G phone. Search, icons, figures in dark mode, errors shown on
purpose, the download, launch and copy buttons, the API reference and the
glossary are checked on the pages that carry them. See conftest.py for how the
site is built, served and isolated from the network; the terminal summary
reports each page's bytes and requests, the clipped-equation and
scrolling-code counts, and the slow-4G time.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import editions  # book/_ext, put on the path by conftest.py
import pytest
import repository  # book/_ext
from playwright.sync_api import expect

import softmax_notes
from softmax_notes import classifier

from .conftest import PHONE, PHONE_WIDTH, ROOT, all_pages, toc_pages, transferred_bytes

# Every edition is checked page by page: English at the root, the others in their
# own folder (zh_CN/). index.html only redirects to the introduction.
EDITION_PREFIXES = [edition["prefix"] for edition in editions.EDITIONS.values()]
PAGES = [prefix + path for prefix in EDITION_PREFIXES for path in all_pages() if path != "index.html"]
CHAPTERS = [path for path in toc_pages() if (ROOT / path).with_suffix(".ipynb").exists()]
NOTEBOOK_PAGES = [prefix + path for prefix in EDITION_PREFIXES for path in CHAPTERS]


def source_page(path: str) -> str:
    """The page's path within its edition: zh_CN/book/04-jacobian.html -> book/04-jacobian.html."""
    prefix = max((p for p in EDITION_PREFIXES if path.startswith(p)), key=len)
    return path.removeprefix(prefix)
MAX_PAGE_BYTES = 1.5 * 1024 * 1024


@cache
def _anchors(file: Path) -> frozenset[str]:
    """The ids and names a fragment can point to in a built HTML file."""
    text = file.read_text(encoding="utf-8")
    return frozenset(html.unescape(m) for m in re.findall(r'\b(?:id|name)="([^"]+)"', text))


def test_every_built_page_of_every_edition_is_checked(site_dir: Path):
    built = {
        path.relative_to(site_dir).as_posix()
        for path in site_dir.rglob("*.html")
        if not any(part.startswith("_") for part in path.relative_to(site_dir).parts)
    }
    assert built == {prefix + path for prefix in EDITION_PREFIXES for path in all_pages()}


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
def test_page_requests_nothing_from_another_host(site, path):
    assert site.visit(path).blocked == []


@pytest.mark.parametrize("path", PAGES)
def test_page_math_is_svg_with_an_accessible_name_and_all_its_glyphs(site, path):
    facts = site.visit(path).facts
    assert facts["mathWithoutSvg"] == []
    assert facts["missingGlyphs"] == []


@pytest.mark.parametrize("path", PAGES)
def test_page_shows_no_raw_tex(site, site_dir, path):
    """No TeX in what a reader sees, and none in the HTML for a script to typeset later."""
    assert site.visit(path).facts["rawTex"] == []
    page = (site_dir / path).read_text(encoding="utf-8")
    assert not re.search(r"\\\(|\\\[|\$\$", page), "TeX delimiters in the HTML"
    assert not re.search(r"<script[^>]*mathjax|MathJax\s*=", page, re.I), "a page loads MathJax"


@pytest.mark.parametrize("path", PAGES)
def test_page_images_load_and_have_alt_text_and_figures_captions(site, path):
    for image in site.visit(path).facts["images"]:
        assert image["naturalWidth"] > 0, f"image did not load: {image['src']}"
        assert image["alt"] and image["alt"].strip(), f"image without alt text: {image['src']}"
        if "/_images/" in image["src"]:  # a figure of the book, not a theme icon
            assert image["caption"], f"figure without a caption: {image['src']}"


@pytest.mark.parametrize("path", NOTEBOOK_PAGES)
def test_figures_keep_their_shape_and_never_exceed_their_intended_size(site, path):
    """A 2x PNG shows at the CSS width its output metadata gives (myst-nb writes it as
    width=...), never wider; a phone shrinks it without distorting it."""
    visit = site.visit(path)
    for facts in (visit.facts, visit.phone):
        for image in facts["images"]:
            if "/_images/" not in image["src"]:
                continue
            intended = image["intendedWidth"] or image["naturalWidth"]
            assert image["width"] <= intended + 0.5, image["src"]
            aspect = image["naturalWidth"] / image["naturalHeight"]
            assert image["width"] / image["height"] == pytest.approx(aspect, rel=0.03), image["src"]


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
def test_no_display_equation_is_clipped_or_under_its_number(site, report, path):
    """At 1280 px and at 390 px every display formula is whole on screen or scrolls in its box."""
    visit = site.visit(path)
    report["layout"][path] = {
        width: (len(facts["clippedEquations"]), facts["displayMathCount"],
                len(facts["scrollingCode"]), facts["codeCellCount"])
        for width, facts in ((1280, visit.facts), (PHONE_WIDTH, visit.phone))
    }
    assert visit.facts["clippedEquations"] == []
    assert visit.phone["clippedEquations"] == []


@pytest.mark.parametrize("path", PAGES)
def test_code_output_and_equations_that_scroll_sideways_show_that_they_do(site, path):
    visit = site.visit(path)
    for facts in (visit.facts, visit.phone):
        scrolling = facts["scrollingCode"] + facts["scrollingOutput"] + facts["scrollingEquations"]
        unmarked = [box["id"] for box in scrolling if not box["hint"]]
        assert unmarked == []


@pytest.mark.parametrize("path", NOTEBOOK_PAGES)
def test_code_within_the_79_character_limit_fits_a_desktop_window(site, path):
    """make lint keeps notebook code lines to 79 characters; at 1280 px they fit."""
    scrolling = site.visit(path).facts["scrollingCode"]
    assert [cell["id"] for cell in scrolling if cell["longestLine"] <= 79] == []


@pytest.mark.parametrize("path", PAGES)
def test_page_first_visit_weighs_at_most_one_and_a_half_megabytes(site, site_dir, report, path):
    """Every request of a first visit (empty cache), counted uncompressed: the HTML,
    stylesheets, scripts, images, everything. Transferred bytes (gzip) are reported too."""
    visit = site.visit(path)
    files = [site_dir / name for name in visit.local_files]
    files = [file for file in files if file.is_file()]
    size = sum(file.stat().st_size for file in files)
    report["weights"][path] = (
        len(visit.local_files), size, sum(transferred_bytes(file) for file in files)
    )
    assert size <= MAX_PAGE_BYTES, f"{path} loads {size / 1024**2:.2f} MB"
    # Only the search page loads the search index; no page loads Font Awesome.
    loaded = [name for name in visit.local_files if "fontawesome" in name
              or (name.endswith("searchindex.js") and source_page(path) != "search.html")]
    assert loaded == []


@pytest.mark.parametrize("path", PAGES)
def test_page_icons_are_drawn_without_font_awesome(site, path):
    visit = site.visit(path)
    assert [icon["name"] for icon in visit.facts["icons"] if not icon["drawn"]] == []
    assert [name for name in visit.local_files if "fontawesome" in name] == []


def test_chapter_header_has_no_fullscreen_button_and_the_site_a_favicon(site, site_dir):
    with site.open(NOTEBOOK_PAGES[0], viewport=PHONE) as page:
        assert page.locator(".btn-fullscreen-button, .fa-expand").count() == 0
        icon = page.eval_on_selector("link[rel=icon]", "(link) => link.href")
        assert page.request.get(icon).ok, icon


SLOW_4G = {"offline": False, "latency": 150,
           "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 0.75e6 / 8}
# Records when the math in the first screen is drawn: every formula there has
# its SVG laid out and every glyph it points to defined.
TIME_TO_MATH = """
(() => {
  window.__timeToMath = null;
  const check = () => {
    const shown = [...document.querySelectorAll(".math")].filter((el) => {
      const r = el.getBoundingClientRect();
      return r.bottom > 0 && r.top < innerHeight;
    });
    const ready = shown.length > 0 && shown.every((el) => {
      const svg = el.querySelector("svg");
      return svg && svg.getBoundingClientRect().width > 0
        && [...svg.querySelectorAll("use")].every(
          (use) => document.getElementById(use.getAttribute("href").slice(1)));
    });
    if (ready && document.styleSheets.length && document.body) {
      window.__timeToMath = performance.now();
    } else {
      requestAnimationFrame(check);
    }
  };
  requestAnimationFrame(check);
})();
"""


def test_chapter_4_shows_its_math_within_3_seconds_on_slow_4g(site, report):
    """A first visit (empty cache) on a phone over slow 4G: 150 ms round trip, 1.6 Mbit/s
    down, emulated by Chromium (CDP Network.emulateNetworkConditions); the local server
    compresses text with gzip like a static host."""
    chapter = next(path for path in toc_pages() if "jacobian" in path)
    visit = site.browser.new_context(viewport=PHONE)
    try:
        page = visit.new_page()
        page.add_init_script(TIME_TO_MATH)
        cdp = visit.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        page.goto(site.base_url + chapter, wait_until="commit")
        page.wait_for_function("window.__timeToMath !== null", timeout=30_000)
        seconds = page.evaluate("window.__timeToMath") / 1000
        paint = page.evaluate(
            "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null")
    finally:
        visit.close()
    report["timings"][f"slow 4G, {chapter}, first visit: math shown at"] = (
        f"{seconds:.2f} s (first contentful paint {paint / 1000:.2f} s)" if paint else f"{seconds:.2f} s"
    )
    assert seconds <= 3.0


@pytest.mark.parametrize("path", NOTEBOOK_PAGES)
def test_errors_shown_on_purpose_are_one_wrapped_line_without_paths(site, path):
    for error in site.visit(path).phone["errors"]:
        assert re.fullmatch(r"[A-Za-z_][\w.]*(: .*)?", error["text"], re.S), error["text"]
        assert "Traceback" not in error["text"]
        assert not re.search(r"(^|\s)/(\w+/)+", error["text"]), error["text"]
        assert error["wraps"], error["text"]


def test_figures_are_not_dimmed_in_dark_mode(site):
    """The theme's dark-mode filter and grey panel turned white figure backgrounds grey."""
    chapter = next(path for path in NOTEBOOK_PAGES if site.visit(path).facts["images"])
    with site.open(chapter, color_scheme="dark") as page:
        figures = page.eval_on_selector_all(
            "article img[src*='_images/']",
            "(imgs) => imgs.map((img) => [getComputedStyle(img).filter,"
            " getComputedStyle(img).backgroundColor])",
        )
    assert figures
    assert all(style == ["none", "rgb(255, 255, 255)"] for style in figures), figures


_SEARCHES: dict[tuple[str, str], list[dict]] = {}


def search(site, term: str, edition: str = "") -> list[dict]:
    """The results an edition's search page lists for `term`: href and snippet of each."""
    if (term, edition) not in _SEARCHES:
        _SEARCHES[term, edition] = _run_search(site, term, edition)
    return _SEARCHES[term, edition]


def _run_search(site, term: str, edition: str) -> list[dict]:
    with site.open(f"{edition}search.html?q={term}") as page:
        # The title reads "Search Results" (in the page's language) once the search is done.
        page.wait_for_function(
            "() => typeof Search !== 'undefined' && Search.title"
            " && Search.title.innerText === Documentation.gettext('Search Results')"
        )
        # Snippets are fetched from the result pages after the list is complete.
        page.wait_for_function(
            "() => [...document.querySelectorAll('#search-results .search li')]"
            ".every((li) => li.querySelector('p.context, span'))"
        )
        return page.eval_on_selector_all(
            "#search-results .search li",
            "(items) => items.map((li) => ({href: li.querySelector('a').href,"
            " snippet: li.querySelector('p.context')?.innerText ?? ''}))",
        )


def test_search_finds_softmax_in_the_first_chapter(site):
    results = search(site, "softmax")
    assert any("book/01-" in result["href"] for result in results), results


@pytest.mark.parametrize("term", ["Jacobian", "softmax", "cross-entropy"])
def test_search_lists_each_page_once_with_snippets_free_of_tex(site, term):
    results = search(site, term)
    pages = [urlsplit(result["href"]).path for result in results]
    assert len(pages) == len(set(pages)), pages
    tex = [r["snippet"] for r in results if re.search(r"\\[A-Za-z]+|\$", r["snippet"])]
    assert tex == []


def test_search_finds_jacobian(site):
    """The glossary defines it; once the Jacobian chapter is in the toc, it must be found too."""
    results = [result["href"] for result in search(site, "Jacobian")]
    assert any("book/glossary.html" in href for href in results), results
    for chapter in (path for path in toc_pages() if "jacobian" in path):
        assert any(chapter in href for href in results), (chapter, results)


@pytest.mark.parametrize("path", NOTEBOOK_PAGES)
def test_chapter_offers_download_launch_and_copy_buttons(site, path):
    """Launch buttons lead to the configured repository, and exist only when it is set.

    tests/test_repository.py builds the site both ways; this checks the site under test.
    """
    notebook = source_page(path).removesuffix(".html") + ".ipynb"
    facts = site.visit(path).facts
    assert any(href.endswith(f"_sources/{notebook}") for href in facts["downloads"]), facts
    url = repository.configured_url()
    if url:
        name = url.removeprefix("https://github.com/")
        assert f"https://mybinder.org/v2/gh/{name}/main?urlpath=lab/tree/{notebook}" in facts["launches"]
        assert f"https://colab.research.google.com/github/{name}/blob/main/{notebook}" in facts["launches"]
    else:
        assert facts["launches"] == []
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
    "Gibbs-distribution", "KL-divergence", "convex-conjugate", "IIA", "multinomial-logit",
    "attention", "calibration", "temperature-scaling", "top-k-sampling", "top-p-sampling",
    "knowledge-distillation", "hinge-loss",
]


def test_glossary_defines_the_books_terms(site_dir):
    anchors = _anchors(site_dir / "book" / "glossary.html")
    assert [term for term in GLOSSARY_TERMS if f"term-{term}" not in anchors] == []


def test_glossary_opening_talks_to_readers_not_authors(site):
    with site.open("book/glossary.html") as page:
        opening = page.locator("article section > p").first.inner_text()
    assert "{term}" not in opening and "role" not in opening, opening


def test_verification_page_shows_the_status_of_every_notebook(site_dir):
    page = (site_dir / "book" / "verification.html").read_text(encoding="utf-8")
    for path in CHAPTERS:
        code_cells = sum(
            cell["cell_type"] == "code"
            for cell in json.loads((ROOT / path).with_suffix(".ipynb").read_text())["cells"]
        )
        assert f"clean, 1 to {code_cells}<" in page, path


@pytest.mark.parametrize("path", PAGES)
def test_glued_values_read_as_numbers_not_numpy_reprs(site_dir, path):
    """``glue("n", np.int64(409))`` shows "np.int64(409)": glue plain Python numbers."""
    pasted = re.findall(r'class="pasted-text">([^<]*)<', (site_dir / path).read_text("utf-8"))
    assert [value for value in pasted if re.search(r"[A-Za-z_]\w*\(", value)] == []

"""Fixtures for the browser tests: the built site, a local server, Chromium.

The site under test is the strict build that `make site-check` writes to
_build/check/_build/html (`make test` runs site-check first). When that build is
missing or older than a source file, the tests build the site into a
temporary directory with the same strict flags, so a stale site is never
tested.

Serving: a local HTTP server on 127.0.0.1 that compresses text files (HTML,
CSS, JavaScript, SVG) with gzip when the browser asks for it, as GitHub Pages
and every common static host do; page weights are reported both as the
uncompressed bytes of every file a first visit loads (the budget) and as the
bytes transferred.

Network policy: the site loads nothing from anywhere else (its math is SVG in
the page, its icons are CSS). Every request to another host is aborted and
recorded, and fails the page (its "Failed to load resource" console error is
not filtered out either), so a page that starts loading anything from the
network fails the tests instead of being quietly tolerated.

Chromium is Debian's (/usr/bin/chromium; Playwright's own browser download is
not used), launched headless with the flags in CHROMIUM_ARGS; Playwright gives
every launch a fresh temporary profile (user-data-dir). Environment overrides:
CHROMIUM (browser binary), SITE_DIR (test an already built site, e.g. a
preview). Without Chromium the tests skip and say why; with CI set they fail
instead.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import io
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote, urlsplit

import pytest

# book/_ext is not a package: the site's editions and repository settings live there.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "book" / "_ext"))
import editions

ROOT = Path(__file__).resolve().parents[2]
CHECK_SITE = ROOT / "_build" / "check" / "_build" / "html"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Pages that Sphinx generates besides the toc's documents.
GENERATED_PAGES = ["index.html", "genindex.html", "py-modindex.html", "search.html"]
# File types a static host sends gzip-compressed.
COMPRESSED_SUFFIXES = {".html", ".css", ".js", ".svg", ".json", ".txt", ".xml", ".ipynb", ".map"}


def toc_pages() -> list[str]:
    """Site paths of the toc's documents, in toc order."""
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    entries = re.findall(r"^\s*(?:root|-\s*file):\s*(\S+)", toc, re.MULTILINE)
    return [f"{entry}.html" for entry in entries]


def all_pages() -> list[str]:
    return toc_pages() + GENERATED_PAGES


def _unavailable(reason: str) -> None:
    """Skip with `reason`, except on CI (where CI is set), where the browser tests must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the browser tests must run here)")
    pytest.skip(reason)


def _newest_source_mtime() -> float:
    sources = [ROOT / "_config.yml", ROOT / "_toc.yml"]
    sources += [p for p in (ROOT / "book").rglob("*") if p.is_file()]
    sources += list((ROOT / "softmax_notes").glob("*.py"))  # docstrings make the API page
    return max(p.stat().st_mtime for p in sources)


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built HTML site to test.

    SITE_DIR names one explicitly (a preview or deployed copy); otherwise make
    site-check's build when it is newer than every source, else a fresh strict
    build in a temporary directory.
    """
    if os.environ.get("SITE_DIR"):
        return Path(os.environ["SITE_DIR"])
    stamp = CHECK_SITE / "searchindex.js"
    if stamp.exists() and stamp.stat().st_mtime >= _newest_source_mtime():
        return CHECK_SITE
    out = tmp_path_factory.mktemp("site")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    build = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--all", "-W", "-n", "--keep-going",
         "--path-output", str(out)],
        capture_output=True, text=True,
    )
    site = out / "_build" / "html"
    # Then every other edition into its folder of the site, as make site-check does.
    for language in (code for code in editions.EDITIONS if code != "en"):
        if build.returncode:
            break
        build = subprocess.run(
            [sys.executable, str(ROOT / "book" / "_ext" / "editions.py"), language, "--strict",
             "--site", str(site), "--work", str(out / language)],
            capture_output=True, text=True,
        )
    if build.returncode:
        log = (build.stdout + build.stderr).splitlines()
        problems = [line for line in log if re.search(r"WARNING|ERROR|Error", line)]
        pytest.fail("the strict site build failed:\n" + "\n".join(problems[:40] or log[-40:]))
    return site


class _StaticHostHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site like a static host: text files gzip-compressed on request, no access log."""

    compressed: ClassVar[dict[Path, bytes]] = {}

    def send_head(self) -> object:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not urlsplit(self.path).path.endswith("/"):
                return super().send_head()  # redirects to the path with a slash
            path = path / "index.html"
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (accepts_gzip and path.suffix in COMPRESSED_SUFFIXES and path.is_file()):
            return super().send_head()
        if path not in self.compressed:
            self.compressed[path] = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        body = self.compressed[path]
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output free of one access-log line per request."""


@pytest.fixture(scope="session")
def base_url(site_dir: Path) -> Iterator[str]:
    """Serve the site on 127.0.0.1 at a free port, from a background thread."""
    handler = functools.partial(_StaticHostHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def transferred_bytes(file: Path) -> int:
    """Bytes the local server sends for `file` to a browser that accepts gzip."""
    if file.suffix in COMPRESSED_SUFFIXES:
        return len(gzip.compress(file.read_bytes(), compresslevel=6, mtime=0))
    return file.stat().st_size


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        _unavailable(f"Chromium not found at {CHROMIUM}; install with apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class PageVisit:
    """What one page did in the browser: status, errors, requests, and the facts COLLECT returns.

    `facts` are collected at a desktop width (1280 px); `phone` holds the same
    facts after the viewport is narrowed to PHONE_WIDTH on the loaded page.
    `local_files` lists every file the first visit loaded from the site, in
    order, repeated if requested twice.
    """

    status: int | None = None
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    local_files: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    phone: dict = field(default_factory=dict)


# Runs in the page once it has loaded: opens what a reader can open, waits for
# every image, then reports what the tests check.
COLLECT = """
async () => {
  // Everything a reader can open is measured open: solutions and other
  // dropdowns (sphinx-togglebutton), hidden cell inputs (<details>).
  document.querySelectorAll(".toggle-hidden").forEach((el) => el.classList.remove("toggle-hidden"));
  document.querySelectorAll("details").forEach((details) => { details.open = true; });
  await Promise.all([...document.images].map((img) => img.complete ? null
    : new Promise((done) => { img.onload = img.onerror = done; })));
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const width = window.innerWidth;
  const hrefs = (selector) => [...document.querySelectorAll(selector)].map((a) => a.href);
  const rect = (el) => el.getBoundingClientRect();
  const describe = (el) => `#${el.closest("[id]")?.id}: ${
    (el.getAttribute("aria-label") || el.querySelector("svg")?.getAttribute("aria-label")
     || el.textContent).slice(0, 70)}`;
  const overlaps = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5
    && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  // Part of `el` is cut off: some box around it hides overflow and cannot be
  // scrolled to show it, or it sticks out of the window.
  const cutOff = (el) => {
    const r = rect(el);
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      const style = getComputedStyle(box);
      const b = rect(box);
      const scrolls = (overflow) => overflow === "auto" || overflow === "scroll";
      if (style.overflowX !== "visible" && (r.left < b.left - 0.5 || r.right > b.right + 0.5)
          && !(scrolls(style.overflowX) && box.scrollWidth > box.clientWidth)) return true;
      if (style.overflowY !== "visible" && (r.top < b.top - 1 || r.bottom > b.bottom + 1)
          && !(scrolls(style.overflowY) && box.scrollHeight > box.clientHeight)) return true;
      if (scrolls(style.overflowX) && box.scrollWidth > box.clientWidth) return false;
    }
    return r.right > width + 0.5;
  };
  const math = [...document.querySelectorAll(".math")];
  const displayMath = [...document.querySelectorAll("div.math")];
  // Code and printed output, and whether each scrolls sideways and shows it.
  const scrolling = (selector) => [...document.querySelectorAll(selector)]
    .filter((pre) => pre.scrollWidth > pre.clientWidth + 1)
    .map((pre) => {
      const style = getComputedStyle(pre);
      return {id: pre.id || describe(pre),
              longestLine: Math.max(...pre.textContent.split("\\n").map((line) => line.length)),
              hint: style.backgroundAttachment.includes("local")
                && style.backgroundImage.includes("radial-gradient")};
    });
  const article = document.querySelector("article") || document.body;
  const prose = article.cloneNode(true);
  prose.querySelectorAll("pre, code, .highlight, script, style").forEach((el) => el.remove());
  return {
    mathCount: math.length,
    // Math is SVG in the page: every formula has one, with an accessible name.
    // (A long inline formula is drawn in pieces that a line may break between,
    // named once on their span.)
    mathWithoutSvg: math.filter((el) => !(el.querySelector("svg[role=img][aria-label]")
      || (el.matches("[role=img][aria-label]") && el.querySelector("svg[aria-hidden=true]"))))
      .map(describe),
    // Every glyph a formula points to is defined on the page.
    missingGlyphs: [...new Set([...document.querySelectorAll(".math use")]
      .map((use) => use.getAttribute("href"))
      .filter((href) => !document.getElementById(href.slice(1))))],
    // TeX a reader could see: a control word or a math delimiter in the prose.
    rawTex: (prose.innerText.match(/\\\\(?:[A-Za-z]+|[()\\[\\]])|\\$\\$/g) || []).slice(0, 5),
    displayMathCount: displayMath.length,
    // A display formula is clipped when part of it cannot be seen: cut off by a
    // box that cannot scroll, or lying where its equation number is. (The
    // formula itself, not its box: the SVG, or client-side MathJax's mjx-math,
    // so that the same test measures a site built the old way.)
    clippedEquations: displayMath.filter((div) => {
      const formula = div.querySelector(".math-scroll > svg, mjx-container > mjx-math, svg");
      if (!formula) return false;
      const number = div.querySelector(".eqno");
      return cutOff(formula) || (number && overlaps(rect(number), rect(formula)));
    }).map(describe),
    scrollingEquations: scrolling("div.math > .math-scroll, div.math > mjx-container"),
    scrollingCode: scrolling("div.cell_input div.highlight pre"),
    scrollingOutput: scrolling("div.cell_output div.highlight pre, div.cell_output pre"),
    codeCellCount: document.querySelectorAll("div.cell_input div.highlight pre").length,
    // Errors shown on purpose (book/_ext/short_errors.py), and whether each fits its box.
    errors: [...document.querySelectorAll("div.output.traceback pre")].map((pre) => ({
      text: pre.innerText.trim(), wraps: pre.scrollWidth <= pre.clientWidth + 1})),
    images: [...document.images].map((img) => ({
      src: img.currentSrc || img.src, alt: img.getAttribute("alt"),
      naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
      width: rect(img).width, height: rect(img).height,
      // The width the page asks for (myst-nb writes a 2x PNG's CSS width here).
      intendedWidth: parseFloat(img.style.width) || Number(img.getAttribute("width")) || null,
      inArticle: !!img.closest("article"),
      caption: img.closest("figure")?.querySelector("figcaption")?.textContent.trim() ?? null,
      right: rect(img).right,
      filter: getComputedStyle(img).filter,
      background: getComputedStyle(img).backgroundColor,
    })),
    // Icons: every Font Awesome-style <i> or <span> is drawn by book/_static/icons.css.
    icons: [...document.querySelectorAll(":is(i, span)[class*='fa-']")].map((i) => ({
      name: i.className,
      drawn: getComputedStyle(i).maskImage.startsWith("url(")
        || getComputedStyle(i).webkitMaskImage?.startsWith("url("),
    })),
    links: hrefs("a[href]"),
    downloads: hrefs(".dropdown-download-buttons a"),
    launches: hrefs(".dropdown-launch-buttons a"),
    headerButtons: [...document.querySelectorAll(".bd-header-article button, "
      + ".bd-header-article .dropdown > button, .bd-header-article a.btn")]
      .filter((el) => el.offsetParent !== null).length,
    codeCells: document.querySelectorAll("div.cell_input div.highlight").length,
    copyButtons: document.querySelectorAll("div.cell_input div.highlight button.copybtn").length,
    viewportWidth: width,
    scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    // Elements sticking out to the right that no scrolling or clipping box contains.
    overflowing: [...document.body.querySelectorAll("*")].filter((el) => {
      if (el.getBoundingClientRect().right <= width + 0.5) return false;
      for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
        if (getComputedStyle(box).overflowX !== "visible") return false;
      }
      return true;
    }).map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${el.textContent.slice(0, 60)}`),
  };
}
"""
DESKTOP = {"width": 1280, "height": 900}
PHONE_WIDTH = 390
PHONE = {"width": PHONE_WIDTH, "height": 844}


class SiteBrowser:
    """Opens pages of the served site, each in a fresh browser context (a first visit)."""

    def __init__(self, browser: object, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self._visits: dict[str, PageVisit] = {}

    @contextlib.contextmanager
    def _page(
        self, visit: PageVisit, color_scheme: str = "light", viewport: dict | None = None
    ) -> Iterator[object]:
        context = self.browser.new_context(
            viewport=viewport or DESKTOP, color_scheme=color_scheme
        )
        try:
            # Only requests that leave the local server are intercepted (the regex is
            # matched inside the browser driver), so local files load at full speed.
            external = re.compile("^(?!" + re.escape(self.base_url) + ")")

            def block(route: object) -> None:
                visit.blocked.append(route.request.url)
                route.abort()

            context.route(external, block)
            page = context.new_page()
            page.on("pageerror", lambda error: visit.page_errors.append(str(error)))
            page.on(
                "console",
                lambda message: visit.console_errors.append(message.text)
                if message.type == "error" else None,
            )
            page.on(
                "requestfinished",
                lambda request: visit.local_files.append(
                    unquote(urlsplit(request.url).path).lstrip("/")
                ) if request.url.startswith(self.base_url) else None,
            )
            yield page
        finally:
            context.close()

    def visit(self, path: str) -> PageVisit:
        """Load `path` once (cached), collect its facts at desktop and at phone width."""
        if path not in self._visits:
            visit = PageVisit()
            with self._page(visit) as page:
                response = page.goto(self.base_url + path, wait_until="load")
                visit.status = response.status if response else None
                visit.facts = page.evaluate(COLLECT)
                page.set_viewport_size(PHONE)
                visit.phone = page.evaluate(COLLECT)
            self._visits[path] = visit
        return self._visits[path]

    @contextlib.contextmanager
    def open(
        self, path: str, color_scheme: str = "light", viewport: dict | None = None
    ) -> Iterator[object]:
        """A live page at `path` for interactive checks; it must raise no error and stay offline.

        `color_scheme` is the reader's system preference, "light" or "dark".
        """
        visit = PageVisit()
        with self._page(visit, color_scheme, viewport) as page:
            page.goto(self.base_url + path, wait_until="load")
            yield page
        assert visit.page_errors == []
        assert visit.console_errors == []
        assert visit.blocked == []


@pytest.fixture(scope="session")
def site(browser: object, base_url: str) -> SiteBrowser:
    return SiteBrowser(browser, base_url)


REPORT = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def report(request: pytest.FixtureRequest) -> dict:
    """Figures the tests measure, printed in the terminal summary (see pytest_terminal_summary)."""
    return request.config.stash.setdefault(REPORT, {"weights": {}, "layout": {}, "timings": {}})


def pytest_terminal_summary(terminalreporter: object, config: pytest.Config) -> None:
    measured = config.stash.get(REPORT, None)
    if not measured:
        return
    if measured["weights"]:
        terminalreporter.section("first visit: every request, uncompressed (gzip transferred)")
        for path, (requests, size, sent) in measured["weights"].items():
            terminalreporter.write_line(
                f"{path:46} {requests:3d} requests {size / 1024:8.1f} KiB ({sent / 1024:6.1f} KiB)"
            )
    if measured["layout"]:
        terminalreporter.section(
            "clipped equations / display equations; code cells that scroll sideways / code cells"
        )
        for path, widths in measured["layout"].items():
            line = "   ".join(
                f"{width} px: {clipped}/{equations} clipped, {scrolling}/{cells} code scroll"
                for width, (clipped, equations, scrolling, cells) in widths.items()
            )
            terminalreporter.write_line(f"{path:46} {line}")
    for name, value in measured["timings"].items():
        terminalreporter.write_line(f"{name}: {value}")

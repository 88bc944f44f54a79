"""Fixtures for the browser tests: the built site, a local server, MathJax, Chromium.

The site under test is the strict build that `make site-check` writes to
_build/check/_build/html (`make test` runs site-check first). When that build is
missing or older than a source file, the tests build the site into a
temporary directory with the same strict flags, so a stale site is never
tested.

Network policy: in a browser the site loads exactly one thing from outside,
MathJax 3 from jsDelivr. The tests serve that URL from a local copy of the
same major version (npm package mathjax, installed into a cache on first use) and
abort every other external request. An aborted request is recorded and
fails the page (and its "Failed to load resource" console error is not
filtered out), so a page that starts loading anything else from the network
fails the tests instead of being quietly tolerated.

Chromium is Debian's (/usr/bin/chromium; Playwright's own browser download is
not used), launched headless with the flags in CHROMIUM_ARGS; Playwright gives
every launch a fresh temporary profile (user-data-dir). Environment overrides:
CHROMIUM (browser binary), MATHJAX_DIR (npm prefix of the local MathJax),
SITE_DIR (test an already built site, e.g. a preview). Without Chromium or npm
the tests skip and say why; with CI set they fail instead.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECK_SITE = ROOT / "_build" / "check" / "_build" / "html"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
MATHJAX_VERSION = "3.2.2"
MATHJAX_DIR = Path(
    os.environ.get(
        "MATHJAX_DIR",
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        / "softmax-notes"
        / f"mathjax-{MATHJAX_VERSION}",
    )
)
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/"
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
    if build.returncode:
        log = (build.stdout + build.stderr).splitlines()
        problems = [line for line in log if re.search(r"WARNING|ERROR|Error", line)]
        pytest.fail("the strict site build failed:\n" + "\n".join(problems[:40] or log[-40:]))
    return out / "_build" / "html"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output free of one access-log line per request."""


@pytest.fixture(scope="session")
def base_url(site_dir: Path) -> Iterator[str]:
    """Serve the site on 127.0.0.1 at a free port, from a background thread."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def mathjax_es5() -> Path:
    """The es5/ directory of a local MathJax, installed with npm into a cache on first use."""
    es5 = MATHJAX_DIR / "node_modules" / "mathjax" / "es5"
    if not (es5 / "tex-mml-chtml.js").exists():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable(f"npm not found, needed once to install MathJax {MATHJAX_VERSION} "
                         f"into {MATHJAX_DIR}; install with apt-get install npm")
        install = subprocess.run(
            [npm, "install", "--prefix", str(MATHJAX_DIR), "--no-save", "--no-audit",
             "--no-fund", f"mathjax@{MATHJAX_VERSION}"],
            capture_output=True, text=True,
        )
        if install.returncode:
            _unavailable(f"npm could not install MathJax {MATHJAX_VERSION}: {install.stderr[-2000:]}")
    return es5


@pytest.fixture(scope="session")
def browser(mathjax_es5: Path) -> Iterator[object]:
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
    """

    status: int | None = None
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    local_files: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    phone: dict = field(default_factory=dict)


# Runs in the page once it has loaded: waits for MathJax's first typeset and for
# every image, then reports what the tests check.
COLLECT = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await Promise.all([...document.images].map((img) => img.complete ? null
    : new Promise((done) => { img.onload = img.onerror = done; })));
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const math = [...document.querySelectorAll(".math")];
  const width = window.innerWidth;
  const hrefs = (selector) => [...document.querySelectorAll(selector)].map((a) => a.href);
  return {
    mathCount: math.length,
    mathTypeset: math.filter((el) => el.querySelector("mjx-container")).length,
    // TeX errors become mjx-merror; an undefined macro (MathJax's noundefined
    // extension) becomes its own name in red text.
    mathErrors: [...document.querySelectorAll(
      "mjx-merror, [data-mjx-error], mjx-container mjx-mtext[style*='color: red']")]
      .map((el) => el.getAttribute("data-mjx-error")
        || `undefined macro near #${el.closest("[id]")?.id}`),
    images: [...document.images].map((img) => ({
      src: img.currentSrc || img.src, alt: img.getAttribute("alt"),
      naturalWidth: img.naturalWidth,
      inArticle: !!img.closest("article"),
      caption: img.closest("figure")?.querySelector("figcaption")?.textContent.trim() ?? null,
      right: img.getBoundingClientRect().right,
    })),
    links: hrefs("a[href]"),
    downloads: hrefs(".dropdown-download-buttons a"),
    launches: hrefs(".dropdown-launch-buttons a"),
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


class SiteBrowser:
    """Opens pages of the served site, each in a fresh browser context (a first visit)."""

    def __init__(self, browser: object, base_url: str, mathjax_es5: Path):
        self.browser = browser
        self.base_url = base_url
        self.mathjax_es5 = mathjax_es5
        self._visits: dict[str, PageVisit] = {}

    def _route_external(self, visit: PageVisit, route: object) -> None:
        """Serve MathJax's CDN URLs from the local copy; abort and record anything else."""
        url = route.request.url
        if url.startswith(MATHJAX_CDN):
            local = self.mathjax_es5 / urlsplit(url).path.split("/es5/", 1)[1]
            if local.is_file():
                content_type = mimetypes.guess_type(local.name)[0] or "application/octet-stream"
                route.fulfill(path=str(local), content_type=content_type)
            else:
                route.fulfill(status=404, body="not in the local MathJax")
        else:
            visit.blocked.append(url)
            route.abort()

    @contextlib.contextmanager
    def _page(self, visit: PageVisit, color_scheme: str = "light") -> Iterator[object]:
        context = self.browser.new_context(viewport=DESKTOP, color_scheme=color_scheme)
        try:
            # Only requests that leave the local server are intercepted (the regex is
            # matched inside the browser driver), so local files load at full speed.
            external = re.compile("^(?!" + re.escape(self.base_url) + ")")
            context.route(external, functools.partial(self._route_external, visit))
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
                page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
                visit.phone = page.evaluate(COLLECT)
            self._visits[path] = visit
        return self._visits[path]

    @contextlib.contextmanager
    def open(self, path: str, color_scheme: str = "light") -> Iterator[object]:
        """A live page at `path` for interactive checks; it must raise no error and stay offline.

        `color_scheme` is the reader's system preference, "light" or "dark".
        """
        visit = PageVisit()
        with self._page(visit, color_scheme) as page:
            page.goto(self.base_url + path, wait_until="load")
            yield page
        assert visit.page_errors == []
        assert visit.console_errors == []
        assert visit.blocked == []


@pytest.fixture(scope="session")
def site(browser: object, base_url: str, mathjax_es5: Path) -> SiteBrowser:
    return SiteBrowser(browser, base_url, mathjax_es5)


PAGE_WEIGHTS = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def page_weights(request: pytest.FixtureRequest) -> dict:
    """Bytes per page, filled by the page-weight test, printed in the terminal summary."""
    return request.config.stash.setdefault(PAGE_WEIGHTS, {})


def pytest_terminal_summary(terminalreporter: object, config: pytest.Config) -> None:
    weights = config.stash.get(PAGE_WEIGHTS, {})
    if not weights:
        return
    terminalreporter.section("page weight (HTML + its images and page-specific files)")
    for path, (size, _) in sorted(weights.items(), key=lambda item: -item[1][0]):
        terminalreporter.write_line(f"{size / 1024:9.1f} KiB  {path}")
    shared_total = max(shared for _, shared in weights.values())
    terminalreporter.write_line(
        f"shared theme assets (_static/, searchindex.js; cached after the first page): "
        f"up to {shared_total / 1024:.1f} KiB per page, not counted above"
    )

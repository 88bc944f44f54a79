"""Leave out the stylesheets and scripts that nothing on a page uses.

Jupyter Book 1.x loads two extensions on every page whatever the book uses:

- sphinx-design (``sphinx-design.min.css``, 55 KB, render-blocking, and
  ``design-tabs.js``) styles grids, cards, tabs and its own dropdowns, all
  marked up with ``sd-`` classes. A page without any keeps neither.
- sphinx-thebe (``sphinx-thebe.css``, ``sphinx-thebe.js`` and an inline script
  naming thebe's CDN URL) runs code cells live in the page once a reader
  presses the "Live Code" launch button. Without that button
  (``launch_buttons: thebe`` unset) nothing can start it.

Together they were four requests and about 70 KB on every first visit, two of
them blocking the first paint on a slow link.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from sphinx.application import Sphinx

DESIGN = {"sphinx-design.min.css", "design-tabs.js"}
THEBE = {"sphinx-thebe.css", "sphinx-thebe.js"}
DESIGN_CLASS = re.compile(r'class="[^"]*\bsd-')


def _name(asset: object) -> str:
    filename = getattr(asset, "filename", asset) or ""
    return PurePosixPath(str(filename).split("?", 1)[0]).name


def drop_unused_assets(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict,
    doctree: object,
) -> None:
    unused: set[str] = set()
    if not DESIGN_CLASS.search(context.get("body", "")):
        unused |= DESIGN
    launch = (app.config.html_theme_options or {}).get("launch_buttons") or {}
    thebe_off = not launch.get("thebe")
    if thebe_off:
        unused |= THEBE
    if "css_files" in context:
        context["css_files"] = [
            css for css in context["css_files"] if _name(css) not in unused
        ]
    if "script_files" in context:
        context["script_files"] = [
            js
            for js in context["script_files"]
            if _name(js) not in unused
            and not (
                thebe_off
                and "THEBE_JS_URL"
                in getattr(js, "attributes", {}).get("body", "")
            )
        ]


def setup(app: Sphinx) -> dict[str, object]:
    # After the extensions that add their assets in html-page-context.
    app.connect("html-page-context", drop_unused_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

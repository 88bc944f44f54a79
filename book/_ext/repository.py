"""The book's repository: one setting, `repository.url` in `_config.yml`.

With a URL set, every page gets the theme's repository, issue and edit
buttons, and every chapter its Binder and Colab launch buttons. With none set
(a fresh fork, or a copy with no public home yet), none of them is rendered:
a button that leads nowhere is worse than no button.

Colab opens a chapter without the rest of the repository, so each chapter's
first cell installs the package from that same URL when it is missing. The
URL is therefore also written in every notebook's first cell
(``REPOSITORY = "..."``); ``tests/test_repository.py`` checks that the two
agree, and this script changes both at once::

    python book/_ext/repository.py https://github.com/OWNER/NAME   # or: make repository URL=...
    python book/_ext/repository.py --unset
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "_config.yml"
# What a notebook's install line names while the book has no repository.
PLACEHOLDER = "https://github.com/OWNER/softmax-notes"
_CONFIG_URL = re.compile(r"^(repository:\n  url:)[ \t]*(\S*)[ \t]*$", re.MULTILINE)
_NOTEBOOK_URL = re.compile(r'^(\s*REPOSITORY = )"[^"]*"', re.MULTILINE)
_BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button")
_LAUNCHERS = ("binderhub_url", "colab_url", "jupyterhub_url", "deepnote_url")


def configured_url() -> str:
    """The URL in `_config.yml`, or "" when none is set."""
    match = _CONFIG_URL.search(CONFIG.read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f"{CONFIG} has no 'repository:' section with a 'url:' line")
    return match.group(2).strip("\"'")


def notebook_urls() -> dict[str, str]:
    """The URL each chapter's first code cell installs the package from."""
    urls = {}
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        first = next(cell for cell in cells if cell["cell_type"] == "code")
        match = re.search(r'REPOSITORY = "([^"]*)"', "".join(first["source"]))
        urls[path.name] = match.group(1) if match else ""
    return urls


def set_url(url: str) -> None:
    """Write `url` ("" for none) into `_config.yml` and every notebook's first cell."""
    text = CONFIG.read_text(encoding="utf-8")
    value = url or '""'  # an empty string: jupyter-book's schema refuses a null URL
    CONFIG.write_text(_CONFIG_URL.sub(lambda m: f"{m.group(1)} {value}", text), encoding="utf-8")
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        first = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
        source = "".join(first["source"])
        updated = _NOTEBOOK_URL.sub(lambda m: f'{m.group(1)}"{url or PLACEHOLDER}"', source)
        if updated != source:
            first["source"] = updated.splitlines(keepends=True)
            path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n",
                            encoding="utf-8")


def _buttons_only_with_a_repository(app, config) -> None:
    """Turn the repository's buttons on when its URL is set, and launch buttons off if not.

    (jupyter-book refuses a configuration that asks for repository buttons
    without a URL, so `_config.yml` leaves them to this function.)
    """
    options = config.html_theme_options
    if options.get("repository_url"):
        options.update(dict.fromkeys(_BUTTONS, True))
        return
    options["launch_buttons"] = {
        key: ("" if key in _LAUNCHERS else value)
        for key, value in options.get("launch_buttons", {}).items()
    }


def setup(app) -> dict[str, object]:
    app.connect("config-inited", _buttons_only_with_a_repository)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Set the book's repository URL everywhere.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("url", nargs="?", help="e.g. https://github.com/OWNER/NAME")
    group.add_argument("--unset", action="store_true", help="the book has no repository")
    args = parser.parse_args(argv)
    if args.url and not re.fullmatch(r"https://\S+[^/]", args.url):
        parser.error(f"expected an https URL without a trailing slash, got {args.url!r}")
    set_url("" if args.unset else args.url)


if __name__ == "__main__":
    main()

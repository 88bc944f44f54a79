"""One setting holds the repository URL, and the buttons follow it both ways.

The site is built twice from a two-page book (the introduction and chapter 1)
with the project's own configuration: once with `repository.url` set, once
with it unset. Set, the chapter has repository, issue and edit buttons and
Binder and Colab launch links to that repository; unset, it has none of them
(and still its download button). Every chapter's install cell names the
configured repository.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import repository  # noqa: E402  (book/_ext is not a package)

URL = "https://github.com/example-org/softmax-notes-fork"
CHAPTER = "book/01-what-is-softmax"


def _build(tmp_path: Path, url: str) -> str:
    """Build the introduction and chapter 1 with `url` as the repository; chapter 1's HTML."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["repository"]["url"] = url
    config["sphinx"]["local_extensions"] = {
        name: str(ROOT / path) for name, path in config["sphinx"]["local_extensions"].items()
    }
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (tmp_path / "_toc.yml").write_text(
        f"format: jb-book\nroot: book/intro\nchapters:\n  - file: {CHAPTER}\n", encoding="utf-8"
    )
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    build = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--config", str(tmp_path / "_config.yml"),
         "--toc", str(tmp_path / "_toc.yml"), "--path-output", str(tmp_path)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    return (tmp_path / "_build" / "html" / f"{CHAPTER}.html").read_text(encoding="utf-8")


def _buttons(page: str) -> dict[str, bool]:
    return {
        "repository": 'title="Source repository"' in page,
        "issues": 'title="Open an issue"' in page,
        "edit": 'title="Suggest edit"' in page,
        "binder": "mybinder.org/v2/gh/" in page,
        "colab": "colab.research.google.com/github/" in page,
        "download": "dropdown-download-buttons" in page,
    }


def test_with_a_repository_every_button_points_to_it(tmp_path):
    page = _build(tmp_path, URL)
    assert all(_buttons(page).values()), _buttons(page)
    assert f"https://mybinder.org/v2/gh/example-org/softmax-notes-fork/main?urlpath=lab/tree/{CHAPTER}.ipynb" in page
    assert f"https://colab.research.google.com/github/example-org/softmax-notes-fork/blob/main/{CHAPTER}.ipynb" in page


def test_without_a_repository_no_button_leads_nowhere(tmp_path):
    page = _build(tmp_path, "")
    assert _buttons(page) == {
        "repository": False, "issues": False, "edit": False,
        "binder": False, "colab": False, "download": True,
    }
    assert 'href="https://github.com' not in page


def test_every_install_cell_names_the_configured_repository():
    expected = repository.configured_url() or repository.PLACEHOLDER
    urls = repository.notebook_urls()
    assert urls and set(urls.values()) == {expected}, urls


@pytest.mark.parametrize("url", [URL, ""])
def test_make_repository_changes_the_setting_and_every_install_cell(tmp_path, monkeypatch, url):
    book = tmp_path / "book"
    book.mkdir()
    for path in (ROOT / "book").glob("0[12]-*.ipynb"):
        (book / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "_config.yml").write_text((ROOT / "_config.yml").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    monkeypatch.setattr(repository, "ROOT", tmp_path)
    monkeypatch.setattr(repository, "CONFIG", tmp_path / "_config.yml")
    repository.set_url(url)
    assert repository.configured_url() == url
    assert set(repository.notebook_urls().values()) == {url or repository.PLACEHOLDER}
    assert re.search(r"^repository:\n  url:", (tmp_path / "_config.yml").read_text(), re.M)

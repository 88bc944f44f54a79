"""The book's editions: English at the site root, Simplified Chinese under zh_CN/.

The English notebooks and pages are the only source. The Chinese edition is
the same source built a second time with ``language: zh_CN``: Sphinx replaces
each paragraph, heading and caption by its translation from
``locales/zh_CN/LC_MESSAGES/book/<page>.po`` (gettext catalogs kept in step
with ``make translations``), and falls back to English for any message
without one. Code, outputs and numbers are not translated: every number on a
Chinese page is the tested number of the English notebook.

As a Sphinx extension this module puts a link to the same page in the other
edition on every page (the ``edition-switcher.html`` template, in the article
header) and the matching ``<link rel="alternate" hreflang>`` tags in its head,
and lets glued numbers appear in translated paragraphs.

As a script it builds one translated edition into the English site::

    python book/_ext/editions.py zh_CN [--strict]

writes a configuration that is ``_config.yml`` with the edition's language and
title (and, for Chinese, the terms page's words as the search's dictionary),
builds with it (``--strict``: the same ``--all -W -n --keep-going`` as
``make site-check``), and copies the pages into ``<site>/zh_CN/``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# language code -> where the edition lives in the site, its hreflang, its name
# in its own language, and the book's title in it.
# The title, the search field's placeholder and the toggle of hidden code cells
# are configuration, not page text, so gettext does not translate them: each
# edition sets its own ("sphinx" holds Sphinx settings for that edition).
EDITIONS = {
    "en": {"prefix": "", "hreflang": "en", "label": "English", "title": None,
           "search": None, "sphinx": {}},
    "zh_CN": {"prefix": "zh_CN/", "hreflang": "zh-Hans", "label": "中文",
              "title": "Softmax 笔记", "search": "搜索本书……",
              # The book hides only code cells' source (tag hide-input).
              "sphinx": {"nb_code_prompt_show": "显示代码", "nb_code_prompt_hide": "隐藏代码"}},
}


def search_terms() -> list[str]:
    """The Chinese terms of the book (book/terms.md), for the search's word splitter.

    Sphinx splits Chinese text into words with jieba, whose general dictionary
    cuts 交叉熵 into 交叉 + 熵 and drops the one-character word, so searching
    the term would find nothing. Each run of Chinese characters in the terms
    page's 中文 column is a word of the dictionary (``html_search_options``).
    """
    text = (ROOT / "book" / "terms.md").read_text(encoding="utf-8")
    cells = re.findall(r"^\| \{doc\}`[^`]*` \| (.*) \|$", text, flags=re.MULTILINE)
    return sorted({word for cell in cells for word in re.findall(r"[\u4e00-\u9fff]{2,}", cell)})


def edition_links(language: str, pagename: str) -> list[dict[str, object]]:
    """Links from `pagename` in the `language` edition to the same page in every edition.

    Relative URLs, so the site works from any folder and offline:
    ``book/04-jacobian`` in English links to ``../zh_CN/book/04-jacobian.html``.
    """
    current = EDITIONS.get(language, EDITIONS["en"])
    to_site_root = "../" * (pagename.count("/") + current["prefix"].count("/"))
    return [
        {
            "language": code,
            "hreflang": edition["hreflang"],
            "label": edition["label"],
            "href": f"{to_site_root}{edition['prefix']}{pagename}.html",
            "current": edition is current,
        }
        for code, edition in EDITIONS.items()
    ]


def _add_edition_links(app, pagename, templatename, context, doctree) -> None:
    context["editions"] = edition_links(app.config.language or "en", pagename)


def _glue_from_this_page_in_translations() -> None:
    """Let ``{glue:text}`key``` and ``{glue}`key``` work inside a translated message.

    Sphinx parses each translation into a document of its own, which has no
    notebook behind it, so myst-nb finds no glued values there ("No key ...
    found in glue data for this document"). In such a document a local key
    becomes myst-nb's cross-document form ``<this notebook>::key``, which
    myst-nb resolves after parsing from the page's own glue cache: the number
    shown is the one the English page shows.
    """
    from myst_nb.ext.glue import roles

    for role in (roles.PasteTextRole, roles.PasteRoleAny):
        paste = role.run

        def run(self, paste=paste, role=role):
            env = getattr(self.document.settings, "env", None)
            if env is not None and "nb_renderer" not in self.document and "::" not in self.text:
                # ``{glue:text}`key``` formats with "s" when no format is given; say
                # so, as the form with a path would read the key itself as one.
                spec = ":s" if role is roles.PasteTextRole and ":" not in self.text else ""
                self.text = f"{Path(env.doc2path(env.docname)).name}::{self.text}{spec}"
            return paste(self)

        role.run = run


def setup(app) -> dict[str, object]:
    _glue_from_this_page_in_translations()
    app.connect("html-page-context", _add_edition_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def build(language: str, strict: bool, site: Path, work: Path) -> None:
    """Build the `language` edition with jupyter-book and copy it into `site`."""
    import yaml

    edition = EDITIONS[language]
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = edition["title"] or config["title"]
    config["sphinx"]["config"]["language"] = language
    theme_options = config["sphinx"]["config"].setdefault("html_theme_options", {})
    theme_options["search_bar_text"] = edition["search"]
    config["sphinx"]["config"].update(edition["sphinx"])
    work.mkdir(parents=True, exist_ok=True)
    if language.startswith("zh"):
        dictionary = work / "search-terms.txt"
        dictionary.write_text("".join(f"{term}\n" for term in search_terms()), encoding="utf-8")
        config["sphinx"]["config"]["html_search_options"] = {"dict": str(dictionary)}
    # jupyter-book resolves local extensions relative to the configuration file.
    config["sphinx"]["local_extensions"] = {
        name: str(ROOT / path) for name, path in config["sphinx"]["local_extensions"].items()
    }
    config_file = work / "_config.yml"
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                           encoding="utf-8")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    options = ["--all", "-W", "-n", "--keep-going"] if strict else []
    subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--config", str(config_file),
         "--path-output", str(work), *options],
        check=True,
    )
    target = site / edition["prefix"]
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(work / "_build" / "html", target)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("language", choices=[code for code in EDITIONS if code != "en"])
    parser.add_argument("--strict", action="store_true", help="build like make site-check")
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html",
                        help="the English site to add the edition to")
    parser.add_argument("--work", type=Path, help="build directory (default: _build/<language>)")
    args = parser.parse_args(argv)
    build(args.language, args.strict, args.site, args.work or ROOT / "_build" / args.language)


if __name__ == "__main__":
    main()

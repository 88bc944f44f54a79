"""Bibliography labels that match the author-year citations in the text.

The chapters cite as *Bridle (1990)* (``bibtex_reference_style: author_year``),
but pybtex's stock styles label the bibliography entries [Bri90] or [1], so a
reader who follows a citation lands on a label that looks nothing like it.
The ``author_year`` formatting style is pybtex's ``plain`` (entries sorted by
author, year, title) with labels such as "Bridle 1990", "Blanchard et al. 2021"
and "Milakov & Gimelshein 2018"; equal labels get a, b, ... suffixes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.application import Sphinx


def _surname(person: object) -> str:
    """The surname as the reader sees it: LaTeX decoded, M{\\"u}ller as Müller."""
    parts = person.prelast_names + person.last_names
    return " ".join(Text.from_latex(part).render_as("text") for part in parts)


class AuthorYearLabels(BaseLabelStyle):
    """Labels "Surname year", "A & B year" or "A et al. year", made unique with a, b, ..."""

    def format_label(self, entry: object) -> str:
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [_surname(person) for person in people]
        if not names:
            who = entry.key
        elif len(names) == 1:
            who = names[0]
        elif len(names) == 2:
            who = f"{names[0]} & {names[1]}"
        else:
            who = f"{names[0]} et al."
        return f"{who} {entry.fields.get('year', 'n.d.')}"

    def format_labels(self, sorted_entries: list) -> Iterator[str]:
        labels = [self.format_label(entry) for entry in sorted_entries]
        repeated = {label for label, count in Counter(labels).items() if count > 1}
        seen: Counter[str] = Counter()
        for label in labels:
            if label in repeated:
                seen[label] += 1
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            else:
                yield label


class AuthorYearStyle(PlainStyle):
    default_label_style = "author_year"


def setup(app: Sphinx) -> dict[str, object]:
    register_plugin("pybtex.style.labels", "author_year", AuthorYearLabels)
    register_plugin("pybtex.style.formatting", "author_year", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

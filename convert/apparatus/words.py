"""The words the apparatus writes into a document, per language, read from the catalogs.

Contract: ``words(lang, theme_dirs)`` gives the ``Words`` of a BCP 47 tag: every generated
word of the apparatus — caption labels, reference forms, "see", "see also", "p.", how a
caption's label and text are joined, a title quoted, the headings of the index and of the
lists of figures and tables — looked up in the message catalogs like every other
generated string (``convert/i18n.py``: the themes' ``locale/<lang>.po`` over Pressroom's
``convert/locale/<lang>.po``; a language no catalog has gets the English of the msgids).
Nothing else in the apparatus holds a word of any language.

Each form is a %-format string with named placeholders (``%(n)s`` a number, ``%(label)s``
a label, ``%(caption)s`` a caption's text, ``%(title)s`` a title), filled here, so the
catalogs and ``make messages`` see them as they see the rest ("Figure %(n)s").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..i18n import Messages, messages

_CUT = "\0"  # stands for a filled-in value while a form is split around it


@dataclass(frozen=True, slots=True)
class Words:
    figure: str  # a figure's number, in a caption and in a reference: "Figure %(n)s"
    table: str
    equation: str  # in a reference; the equation itself shows "(%(n)s)"
    section: str
    item: str  # a list item
    page: str  # a page reference: "p. %(n)s" (with a no-break space)
    page_of: str  # the spoken name of a page reference: "page of %(label)s"
    caption: str  # a caption, its label first: "%(label)s. %(caption)s"
    quoted: str  # a section referred to by its title when sections are not numbered
    index: str
    see: str
    see_also: str
    figures: str  # the list of figures
    tables: str  # the list of tables

    def label(self, kind: str, number: str) -> str:
        """``("fig", "3.2")`` → ``"Figure 3.2"``."""
        form = {
            "fig": self.figure,
            "tbl": self.table,
            "eq": self.equation,
            "sec": self.section,
            "item": self.item,
        }[kind]
        return form % {"n": number}

    def quote(self, title: str) -> str:
        """A title in the language's quotation marks: ``“Leading”``, ``„Satz“``."""
        return self.quoted % {"title": title}

    def page_around(self) -> tuple[str, str]:
        """What a page reference prints before and after the page number, which the
        layout fills in (``target-counter``): ``("p.\u00a0", "")``, ``("", "ページ")``."""
        before, _, after = (self.page % {"n": _CUT}).partition(_CUT)
        return before, after

    def caption_joiner(self) -> str:
        """What stands between a caption's label and its text: ``". "``, ``": "``."""
        joined = self.caption % {"label": _CUT, "caption": _CUT}
        parts = joined.split(_CUT)
        # The label first, the text after it: the caption element holds them in that
        # order. A catalog that put the text first would get only the separator.
        return parts[1] if len(parts) == 3 else ". "


def words(lang: str, theme_dirs: Iterable[Path] = ()) -> Words:
    """The words of ``lang`` (``"de-AT"`` → German) with the overrides of the themes in
    ``theme_dirs`` (child first, as ``Theme.dirs``); English when no catalog has one."""
    return _words(lang, tuple(theme_dirs))


@lru_cache(maxsize=64)
def _words(lang: str, theme_dirs: tuple[Path, ...]) -> Words:
    return of_messages(messages(lang, theme_dirs))


def of_messages(text: Messages) -> Words:
    """The ``Words`` of one language's messages. Each call names its msgid literally:
    ``make messages`` extracts them from here (``text`` is its keyword)."""
    return Words(
        figure=text("Figure %(n)s"),
        table=text("Table %(n)s"),
        equation=text("Equation (%(n)s)"),
        section=text("Section %(n)s"),
        item=text("item %(n)s"),
        # A no-break space in the msgid itself: a language without a catalog must not see
        # "p." at the end of one line and its number on the next.
        page=text("p.\u00a0%(n)s"),
        page_of=text("page of %(label)s"),
        caption=text("%(label)s. %(caption)s"),
        quoted=text("\u201c%(title)s\u201d"),
        index=text("Index"),
        see=text("see"),
        see_also=text("see also"),
        figures=text("Figures"),
        tables=text("Tables"),
    )


def capitalized(text: str) -> str:
    """A caption label opens a sentence: ``"figur 3"`` → ``"Figur 3"``."""
    return text[:1].upper() + text[1:]

"""The words the apparatus writes into a document, per language: one table, one place.

Contract: ``words(lang)`` gives the ``Words`` of a BCP 47 tag (its primary language; English
when we carry none for it). Every generated word of the apparatus — caption labels,
reference forms, "see", "see also", "p.", the headings of the index and of the lists of
figures and tables — is read from here and nowhere else, so a message catalog can take the
table over whole (each value is a format string with ``{n}``, ``{t}`` or ``{label}``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Words:
    figure: str  # a figure's number, in a caption and in a reference: "Figure {n}"
    table: str
    equation: str  # in a reference; the equation itself shows "({n})"
    section: str
    item: str  # a list item
    page: str  # a page reference: "p. {n}"
    page_of: str  # the spoken name of a page reference: "page of {label}"
    caption: str  # how a label and a caption's text are joined: "{label}. "
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
        return form.format(n=number)


_WORDS: dict[str, Words] = {
    "en": Words(
        figure="Figure {n}",
        table="Table {n}",
        equation="Equation ({n})",
        section="Section {n}",
        item="item {n}",
        page="p.\u00a0{n}",
        page_of="page of {label}",
        caption="{label}. ",
        quoted="\u201c{t}\u201d",
        index="Index",
        see="see",
        see_also="see also",
        figures="Figures",
        tables="Tables",
    ),
    "de": Words(
        figure="Abbildung {n}",
        table="Tabelle {n}",
        equation="Gleichung ({n})",
        section="Abschnitt {n}",
        item="Punkt {n}",
        page="S.\u00a0{n}",
        page_of="Seite von {label}",
        caption="{label}: ",
        quoted="\u201e{t}\u201c",
        index="Register",
        see="siehe",
        see_also="siehe auch",
        figures="Abbildungen",
        tables="Tabellen",
    ),
    "sv": Words(
        figure="figur {n}",
        table="tabell {n}",
        equation="ekvation ({n})",
        section="avsnitt {n}",
        item="punkt {n}",
        page="s.\u00a0{n}",
        page_of="sidan för {label}",
        caption="{label}. ",
        quoted="\u201d{t}\u201d",
        index="Register",
        see="se",
        see_also="se även",
        figures="Figurer",
        tables="Tabeller",
    ),
    "cs": Words(
        figure="obrázek {n}",
        table="tabulka {n}",
        equation="rovnice ({n})",
        section="oddíl {n}",
        item="bod {n}",
        page="s.\u00a0{n}",
        page_of="strana: {label}",
        caption="{label}: ",
        quoted="\u201e{t}\u201c",
        index="Rejstřík",
        see="viz",
        see_also="viz též",
        figures="Obrázky",
        tables="Tabulky",
    ),
    "fr": Words(
        figure="figure {n}",
        table="tableau {n}",
        equation="équation ({n})",
        section="section {n}",
        item="point {n}",
        page="p.\u00a0{n}",
        page_of="page de {label}",
        caption="{label}. ",
        quoted="«\u202f{t}\u202f»",
        index="Index",
        see="voir",
        see_also="voir aussi",
        figures="Figures",
        tables="Tableaux",
    ),
}


def words(lang: str) -> Words:
    """The words of ``lang`` (``"de-AT"`` → German), English when we have none."""
    return _WORDS.get(lang.split("-")[0].lower(), _WORDS["en"])


def capitalized(text: str) -> str:
    """A caption label opens a sentence: ``"figur 3"`` → ``"Figur 3"``."""
    return text[:1].upper() + text[1:]

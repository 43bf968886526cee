"""Data that flows between the pipeline stages.

Every type here is a frozen dataclass: a stage takes one and returns a new one
(``dataclasses.replace``), so the PDF and EPUB paths can never see each other's edits.
This module imports only ``diagnostics`` from the package and does no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from .diagnostics import Locator, Severity

Target = Literal["html", "pdf", "epub"]


@dataclass(frozen=True, slots=True)
class Meta:
    """Typed frontmatter. Keys we do not understand are kept, untouched, in ``extra``."""

    title: str = ""
    subtitle: str = ""
    authors: tuple[str, ...] = ()
    date: dt.date | None = None
    lang: str = "en"
    # Where ``lang`` came from: the frontmatter key that gave it ("lang", "language",
    # "locale"), "default" when none did (then normalization may detect it from the body),
    # or "detected".
    lang_source: str = "default"
    cover: Path | None = None
    description: str = ""
    tags: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Asset:
    """A local file the output carries (an image): where it is and how the output names it."""

    source: Path
    href: str
    media_type: str


@dataclass(frozen=True, slots=True)
class Article:
    """One Markdown document after loading.

    ``markdown`` is the body with frontmatter removed and line endings normalised to ``\\n``;
    ``body_line`` is the 1-based line of the source file where that body starts, so a
    diagnostic about body line *n* names file line ``body_line + n - 1``.
    ``root`` is the content root: the only folder (with the theme folders) that output may
    read files from.
    """

    source: Path
    meta: Meta
    markdown: str
    body_line: int = 1
    root: Path = Path(".")
    assets: tuple[Asset, ...] = ()
    # After normalization: the source line of each line of ``markdown`` (repairs move lines).
    line_map: tuple[int, ...] = ()
    # The Markdown dialect the body is written in ("commonmark" or "python-markdown").
    dialect: str = "commonmark"

    def line_of(self, index: int) -> int:
        """File line of 0-based body line ``index``."""
        if 0 <= index < len(self.line_map):
            return self.line_map[index]
        return self.body_line + index

    def locator(self) -> Locator:
        """Finds the file line of a piece of the body text (see ``diagnostics.Locator``)."""
        return Locator(self.source, self.markdown.split("\n"), self.line_of)


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading as the parser saw it: level 1-6, plain text, final unique id."""

    level: int
    text: str
    id: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """The HTML fragment of an article body, plus what templates need to know about it."""

    html: str
    headings: tuple[Heading, ...]
    has_code: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    """One rendered EPUB content document."""

    file_name: str
    title: str
    xhtml: str
    headings: tuple[Heading, ...] = ()
    part: str | None = None  # in a book: the title of the part the page belongs to
    kind: str = "chapter"  # "cover", "title", "front", "chapter", "back", "copyright"
    role: str = ""  # front/back matter: "preface", "appendix", "index", …


@dataclass(frozen=True, slots=True)
class NavPoint:
    """One entry of an EPUB's table of contents, with the entries under it."""

    title: str
    href: str
    children: tuple[NavPoint, ...] = ()


@dataclass(frozen=True, slots=True)
class PageBreaks:
    """Where the pages of the print edition begin, handed from the PDF layout to the EPUB.

    ``at`` maps a block (its ``data-block`` number, or a page-level key such as a
    chapter's anchor or ``"title"``) to the folio labels of the print pages that begin
    there, in page order: ``{"c3-12": ("14",), "title": ("i",)}``. A page on which no
    block begins (a part title, the contents, a blank verso) is listed with the next block
    that does. ``source`` names the print edition (the EPUB's ``pageBreakSource``).
    """

    at: Mapping[str, tuple[str, ...]]
    source: str
    order: tuple[str, ...] = ()  # every folio label, in page order


@dataclass(frozen=True, slots=True)
class Build:
    """Facts about this build that templates and writers need; no wall clock."""

    date: dt.datetime
    identifier: str

    @property
    def iso(self) -> str:
        return self.date.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Finding:
    """Something that keeps the publication from claiming conformance."""

    code: str  # "a11y.image-alt" or "a11y.contrast"
    page: str  # the EPUB page it is on ("" for the whole publication)
    needle: str  # what to look for in the source to name the line (an image's src)
    message: str

    # What it costs the publication, said with every finding.
    fix: ClassVar[str] = "the EPUB does not claim WCAG 2.2 AA conformance"

    @property
    def severity(self) -> Severity:
        """A theme's code colours are the theme's to fix (a warning); an image without
        a text alternative is the author's, reported where it stands (info)."""
        return Severity.WARNING if self.code == "a11y.contrast" else Severity.INFO


@dataclass(frozen=True, slots=True)
class Accessibility:
    modes: tuple[str, ...]
    sufficient: tuple[str, ...]
    features: tuple[str, ...]
    hazards: tuple[str, ...]
    summary: str
    findings: tuple[Finding, ...]
    page_break_source: str = ""

    @property
    def conforms(self) -> bool:
        return not self.findings


@dataclass(frozen=True, slots=True)
class Landmark:
    """One entry of the landmarks nav (and of the EPUB 2 guide)."""

    type: str  # epub:type: "cover", "toc", "frontmatter", "bodymatter", "backmatter", …
    href: str
    title: str


@dataclass(frozen=True, slots=True)
class EpubPackage:
    """Everything an EPUB writer needs, already rendered (``package_epub`` makes it)."""

    meta: Meta
    build: Build
    pages: tuple[Page, ...]
    assets: tuple[Asset, ...]
    stylesheets: tuple[Asset, ...]
    cover: Asset | None
    toc: tuple[NavPoint, ...]
    landmarks: tuple[Landmark, ...]
    nav: str  # the nav document, XHTML
    nav_title: str
    accessibility: Accessibility
    conformance: str = ""  # the dcterms:conformsTo claim, when the checks passed
    publisher: str = ""
    rights: str = ""


@dataclass(frozen=True, slots=True)
class Book:
    """An ordered collection of articles with metadata of its own."""

    root: Path
    meta: Meta
    chapters: tuple[Article, ...]
    theme: str = "base"

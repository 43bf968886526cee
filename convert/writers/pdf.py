"""PDF writer (the only module that imports WeasyPrint, with ``pdf_css``, its stylesheet
cache).

Contract: ``write_pdf(document, out=…, base=…, roots=…, report=…)`` lays out the HTML
``document`` and writes ``out`` atomically. WeasyPrint reads files only through
``ConfinedFetcher``: ``file:`` URLs whose real path (symlinks followed) is under one of
``roots`` (the content root and the theme folders), small ``data:`` URLs, and nothing from
the network unless ``allow_remote`` is set. What it refuses, and what WeasyPrint logs as a
problem (a missing image, an unsupported CSS rule), becomes a diagnostic instead of
scrolling by. Images pass ``assets.check_image`` (pixel count, scripted SVG). Fonts are
embedded (WeasyPrint subsets them), bookmarks come from the headings, metadata from the
document's ``<title>``, ``<meta>`` and ``lang``. WeasyPrint writes the PDF variant the
``Profile`` names; ``pdf_finish.finish_pdf`` completes it (page labels, colour, XMP, the
structure tree PDF/UA asks for, with ``TagHints`` observed while WeasyPrint tags).
Linked theme stylesheets are parsed once per process, not once per document
(``pdf_css``: reused only while their bytes are unchanged), and the layouts of one thread
share one font configuration (``shared_fonts``; a document that adds font faces gets its own).
"""

from __future__ import annotations

import logging
import math
import mimetypes
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import weasyprint
import weasyprint.pdf.tags
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcherResponse

from ..assets import ImageRefused, check_image
from ..diagnostics import Diagnostic, Location, Report, Severity
from ..errors import RenderError
from ..files import atomic_output
from ..folios import COVER, PageLabels
from ..model import PageBreaks
from ..paths import within
from ..profiles import Profile
from . import pdf_css, pdf_leaders
from .hyphens import languages
from .hyphens import preload as preload_hyphenation
from .pdf_finish import finish_pdf
from .pdf_tags import TagHints

if TYPE_CHECKING:
    import pikepdf

DATA_URL_LIMIT = 2 * 1024 * 1024

pdf_css.install()
pdf_leaders.install()


class ConfinedFetcher(weasyprint.URLFetcher):
    """A URL fetcher that serves only local files under ``roots`` (see module docstring)."""

    def __init__(
        self, roots: Sequence[Path], *, refused: list[str], allow_remote: bool = False
    ) -> None:
        super().__init__(timeout=10, allow_redirects=False)
        self.roots = tuple(root.resolve() for root in roots)
        self.refused = refused
        self.allow_remote = allow_remote

    def _refuse(self, url: str, why: str) -> None:
        self.refused.append(f"{url[:100]}: {why}")
        raise ValueError(f"refused {url[:100]}: {why}")

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "file":
            path = Path(url2pathname(unquote(urlsplit(url).path)))
            if not within(path, self.roots):
                self._refuse(url, "outside the content root and theme folders")
            real = path.resolve()
            if not real.is_file():
                self._refuse(url, "no such file")
            media = mimetypes.guess_type(real.name)[0] or "application/octet-stream"
            if media.startswith("image/"):
                # Covers, CSS backgrounds: the same gate as body images (a pixel bomb
                # would be decoded by Pillow inside the layout).
                try:
                    check_image(real)
                except ImageRefused as refused:
                    self._refuse(url, refused.message)
            return URLFetcherResponse(url, body=real.read_bytes(), headers={"Content-Type": media})
        if scheme == "data":
            if len(url) > DATA_URL_LIMIT:
                self._refuse(url, f"data: URL over {DATA_URL_LIMIT:,} characters")
            return super().fetch(url, headers)
        if scheme in ("http", "https") and self.allow_remote:
            return super().fetch(url, headers)
        self._refuse(url, "network access is off (no remote resources)")
        raise AssertionError  # unreachable: _refuse raises


class _Capture(logging.Handler):
    """Collects WeasyPrint's warnings and errors while one document renders."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append((record.levelno, " ".join(record.getMessage().split())))


@contextmanager
def _captured() -> Iterator[_Capture]:
    logger = logging.getLogger("weasyprint")
    handler = _Capture()
    logger.addHandler(handler)
    # WeasyPrint's own default handler would print the same lines to stderr.
    propagate, logger.propagate = logger.propagate, False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


@dataclass(frozen=True, slots=True)
class PdfResult:
    """What the layout told us: page count, the font families that set the text, and the
    HTML document that was laid out (tables split to fit)."""

    pages: int
    families: frozenset[str]
    html: str = ""


@dataclass
class Layout:
    """A laid-out document, not yet written, with what happened while laying it out."""

    document: weasyprint.Document
    source: Path
    refused: list[str]
    messages: list[tuple[int, str]]
    html: str = ""  # the document laid out (tables split to fit, see ``fit``)
    root: object = None  # the document as WeasyPrint parsed it
    _inspection: Inspection | None = None

    @property
    def inspection(self) -> Inspection:
        if self._inspection is None:
            self._inspection = inspect(self.document, self.root)
        return self._inspection

    @property
    def pages(self) -> int:
        return len(self.document.pages)

    def page_of(self, anchor: str, default: int | None = None) -> int | None:
        """The 1-based page an anchor (an element id) landed on."""
        return self.inspection.anchors.get(anchor, default)

    def block_starts(self, attribute: str = "data-block") -> dict[str, int]:
        """The 1-based page on which each element carrying ``attribute`` begins, by the
        attribute's value (the first page any box of the element lies on)."""
        starts: dict[str, int] = {}
        for number, page in enumerate(self.document.pages, start=1):
            for box in _boxes(page._page_box):
                element = getattr(box, "element", None)
                if element is None or "::" in (getattr(box, "element_tag", "") or ""):
                    continue
                key = element.get(attribute)
                if key is not None and key not in starts:
                    starts[key] = number
        return starts

    def page_breaks(
        self, source: str, labels: PageLabels, attribute: str = "data-block"
    ) -> PageBreaks:
        """Which block each printed page begins with, labelled by its folio (``labels``,
        the scheme the PDF's page labels and contents use), for the EPUB's page-break
        markers. A page on which no block begins goes with the next one that does (or,
        at the very end, with the last); the cover has no marker."""
        return page_breaks(self.block_starts(attribute), self.pages, source, labels)


def page_breaks(starts: dict[str, int], pages: int, source: str, labels: PageLabels) -> PageBreaks:
    """``Layout.page_breaks`` from the 1-based page each block begins on (in document
    order) and the page count."""
    first: dict[int, str] = {}
    for key, page in starts.items():
        first.setdefault(page, key)  # dicts keep document order: the first one wins
    at: dict[str, list[str]] = {}
    waiting: list[str] = []
    order: list[str] = []
    last = None
    for number in range(1, pages + 1):
        label = labels.label(number)
        if label != COVER:
            waiting.append(label)
            order.append(label)
        if number in first and waiting:
            last = first[number]
            at.setdefault(last, []).extend(waiting)
            waiting = []
    if waiting and last is not None:
        at[last].extend(waiting)
    return PageBreaks({k: tuple(v) for k, v in at.items()}, source, tuple(order))


def warm_up(stylesheets: Sequence[Path] = ()) -> None:
    """Lay out a tiny page once, so fontconfig, Pango and WeasyPrint's caches are loaded
    before worker processes are forked from this one (each would pay for it otherwise)."""
    links = "".join(f'<link rel="stylesheet" href="{p.as_uri()}">' for p in stylesheets)
    # Through the stylesheet cache too: workers forked after this inherit the parsed sheets.
    # (Not through shared_fonts: a forked worker makes its own font configuration.)
    with _captured(), pdf_css.shared():
        weasyprint.HTML(
            string=f"<html><head>{links}</head><body><h1>a</h1><p>b <i>c</i> "
            "<b>d</b> <code>e</code></p></body></html>"
        ).render()


class _OwnFonts(BaseException):
    """A document adds font faces: it is laid out again with fonts of its own. (Not an
    ``Exception``: WeasyPrint must not catch it on the way out.)"""


class _SharedFonts(FontConfiguration):
    """A font configuration shared by the layouts of one thread, never changed by one
    (see ``shared_fonts``)."""

    def __init__(self) -> None:
        super().__init__()
        self.pid = os.getpid()
        self.layouts = 0
        self.laying_out = False
        self.font_faces = False

    def add_font_face(self, rule_descriptors, url_fetcher):  # type: ignore[no-untyped-def]
        if self.laying_out:
            raise _OwnFonts
        # Drawing an SVG image may still bring faces (after the layout): this document
        # gets them as WeasyPrint would give them, and no later layout uses this
        # configuration.
        self.font_faces = True
        return super().add_font_face(rule_descriptors, url_fetcher)


# A shared font configuration serves this many layouts, then a new one is made: fonts
# installed while a long-lived worker runs are seen, and the caches WeasyPrint keeps in it
# (one entry per font style met) stay bounded.
RENEW_FONTS = 500
_THREAD_FONTS = threading.local()


def shared_fonts() -> _SharedFonts:
    """The font configuration for the next layout in this thread.

    Given none, WeasyPrint makes one per document: fontconfig loads its configuration and
    Pango makes a new font map that opens and measures every font again, some 15-20 ms of
    a short article, and those font maps are not all freed (a batch worker grew by a
    quarter of a megabyte per document). One is shared by the layouts of a thread instead
    (a Pango font map is not for concurrent use; a forked process makes its own). It is
    never changed: a document that adds a font face (``@font-face`` in its CSS or in an SVG
    image) while it is laid out is laid out again with a configuration of its own, exactly
    as WeasyPrint does by default. What the shared font map caches depends only on the
    fonts, so a document lays out the same whatever was laid out before it.
    """
    fonts = getattr(_THREAD_FONTS, "fonts", None)
    if (
        fonts is None
        or fonts.font_faces
        or fonts.layouts >= RENEW_FONTS
        or fonts.pid != os.getpid()
    ):
        fonts = _THREAD_FONTS.fonts = _SharedFonts()
    fonts.layouts += 1
    return fonts


def layout_pdf(
    document: str, *, base: Path, roots: Sequence[Path], source: Path, allow_remote: bool = False
) -> Layout:
    """Lay out the HTML ``document``; ``base`` is the folder its relative URLs start from."""
    fonts = shared_fonts()
    fonts.laying_out = True
    try:
        return _lay_out(document, base, roots, source, allow_remote, fonts)
    except _OwnFonts:
        pass
    finally:
        fonts.laying_out = False
    # All over again (the fetcher's refusals, WeasyPrint's messages), with its own fonts.
    return _lay_out(document, base, roots, source, allow_remote, FontConfiguration())


def _lay_out(
    document: str,
    base: Path,
    roots: Sequence[Path],
    source: Path,
    allow_remote: bool,
    fonts: FontConfiguration,
) -> Layout:
    refused: list[str] = []
    fetcher = ConfinedFetcher(roots, refused=refused, allow_remote=allow_remote)
    preload_hyphenation(languages(document))  # Pyphen parses each language once per machine
    with _captured() as log, pdf_css.shared():
        try:
            html = weasyprint.HTML(
                string=document, base_url=base.resolve().as_uri() + "/", url_fetcher=fetcher
            )
            rendered = html.render(font_config=fonts)
        except Exception as exc:  # WeasyPrint raises many types on broken input
            raise RenderError(
                f"layout failed: {type(exc).__name__}: {exc}", path=source, code="pdf.layout"
            ) from None
    return Layout(rendered, source, refused, log.messages, html=document, root=html.etree_element)


# Rewrites a document so its cramped tables come in parts: the tree stage's ``split_tables``.
Splitter: TypeAlias = "Callable[[str, Sequence[Cramped]], str]"
# A second pass over a laid-out document (the index, once its pages are known): given the
# layout, a way to lay out a new document and the folio of each page, the final layout.
Again: TypeAlias = "Callable[[Layout, Callable[[str], Layout], Callable[[int], str]], Layout]"


def fit(layout: Layout, split: Splitter | None, **again: object) -> Layout:
    """``layout``, or, when some of its tables are too cramped to read, the document laid
    out again with those tables split by column groups (the first column repeated)."""
    cramped = layout.inspection.cramped
    if not cramped or split is None:
        return layout
    html = split(layout.html, cramped)
    if html == layout.html:
        return layout
    return layout_pdf(html, source=layout.source, **again)  # type: ignore[arg-type]


def save_pdf(
    layout: Layout,
    out: Path,
    *,
    report: Report,
    profile: Profile,
    labels: PageLabels | None = None,
    locate: Callable[[str], Location] | None = None,
    identifier: bytes = b"",
) -> PdfResult:
    """Write a laid-out document to ``out`` (atomically) and report what WeasyPrint logged.

    The table of contents is checked first against the pages its targets landed on, in
    the folios of ``labels`` (default: 1, 2, 3…). WeasyPrint writes the PDF the profile
    names; ``pdf_finish`` then does what WeasyPrint 70 leaves undone (page labels, colour,
    metadata, links). ``locate`` names the source line of a character no font could draw.
    """
    rendered, source = layout.document, layout.source
    labels = labels or PageLabels.article(layout.pages)
    with _captured() as log, _observed_tags() as hints:
        data = rendered.write_pdf(
            pdf_identifier=identifier or None,
            pdf_variant=profile.variant,
            pdf_tags=profile.tagged,
        )
    with atomic_output(out) as tmp:
        finished = finish_pdf(
            data, tmp, profile=profile, labels=labels, report=report, source=source, hints=hints
        )
    report_layout(
        report,
        source=source,
        labels=labels,
        inspection=layout.inspection,
        refused=layout.refused,
        messages=[*layout.messages, *log.messages],
        locate=locate,
    )
    families = frozenset(font.family for font in rendered.fonts.values())
    return PdfResult(pages=finished.pages, families=families, html=layout.html)


def save_joined(
    data: pikepdf.Pdf,
    out: Path,
    *,
    report: Report,
    profile: Profile,
    labels: PageLabels,
    source: Path,
    inspection: Inspection,
    refused: Sequence[str],
    messages: Sequence[tuple[int, str]],
) -> int:
    """Finish and write a book joined from parts laid out in parallel (``pdf_join``):
    what ``save_pdf`` does after WeasyPrint wrote the PDF. Returns the page count."""
    with atomic_output(out) as tmp:
        finished = finish_pdf(
            data,
            tmp,
            profile=profile,
            labels=labels,
            report=report,
            source=source,
            tags_repaired=True,
        )
    report_layout(
        report,
        source=source,
        labels=labels,
        inspection=inspection,
        refused=refused,
        messages=messages,
    )
    return finished.pages


def report_layout(
    report: Report,
    *,
    source: Path,
    labels: PageLabels,
    inspection: Inspection,
    refused: Sequence[str],
    messages: Sequence[tuple[int, str]],
    locate: Callable[[str], Location] | None = None,
) -> None:
    """What a layout found, as diagnostics: contents entries that print the wrong page,
    text drawn off the page, refused resources and what WeasyPrint logged (for one
    document, or for the parts of a book laid out in parallel)."""
    found = inspection
    for problem in verify_toc(found, labels):
        report.add(Diagnostic("toc.page-mismatch", Severity.ERROR, Location(source), problem))
    for lost in found.overflow:
        shown = " ".join(lost.words[:8])
        report.add(
            Diagnostic(
                "layout.overflow",
                Severity.WARNING,
                locate(lost.words[0]) if locate else Location(source),
                f"page {labels.label(lost.page)}: {len(lost.words)} word(s) drawn past the "
                f"{lost.edge} edge of the page, where no reader sees them: {shown!r}",
                "make the content narrower (a wide table, an image, a long line of code)",
            )
        )
    where = Location(source)
    for item in refused:
        report.add(
            Diagnostic(
                "pdf.refused", Severity.WARNING, where, f"resource refused: {item}", "left out"
            )
        )
    missing: dict[str, int] = {}
    for level, message in messages:
        if "refused " in message:
            continue  # already reported above, with the reason
        if _NO_ALT in message:
            continue  # tagged as decorative by pdf_finish, which reports it (pdf.decorative-image)
        if match := _NOTDEF.search(message):
            missing[match[1]] = missing.get(match[1], 0) + 1
            continue
        code = "pdf.css" if "CSS" in message or "at line" in message else "pdf.resource"
        severity = Severity.ERROR if level >= logging.ERROR else Severity.WARNING
        report.add(Diagnostic(code, severity, where, message[:300]))
    for char in missing:
        report.add(
            Diagnostic(
                "font.missing-glyph",
                Severity.WARNING,
                locate(char) if locate else where,
                f"no font in the theme draws {char!r} (U+{ord(char):04X})",
                "an empty box is printed in its place",
            )
        )


def write_pdf(
    document: str,
    *,
    out: Path,
    base: Path,
    roots: Sequence[Path],
    report: Report,
    source: Path,
    profile: Profile,
    locate: Callable[[str], Location] | None = None,
    identifier: bytes = b"",
    allow_remote: bool = False,
    split: Splitter | None = None,
    again: Again | None = None,
) -> PdfResult:
    """Lay out ``document`` (HTML) and write it to ``out``: ``layout_pdf``, ``fit`` (cramped
    tables split, with ``split``), ``again`` (the index's page numbers), ``save_pdf``."""
    layout = layout_pdf(document, base=base, roots=roots, source=source, allow_remote=allow_remote)
    layout = fit(layout, split, base=base, roots=roots, allow_remote=allow_remote)
    if again is not None:

        def relayout(html: str) -> Layout:
            return layout_pdf(
                html, base=base, roots=roots, source=source, allow_remote=allow_remote
            )

        layout = again(layout, relayout, PageLabels.article(layout.pages).label)
    return save_pdf(
        layout,
        out,
        report=report,
        profile=profile,
        labels=PageLabels.article(layout.pages),
        locate=locate,
        identifier=identifier,
    )


_NOTDEF = re.compile(r"unsupported by fonts: \"(.)\"", re.S)
_NO_ALT = "has no required alt description"

# WeasyPrint builds the structure tree in ``weasyprint.pdf.tags._build_box_tree``, a
# generator that calls itself through its module's global name. One document at a time may
# have it wrapped (threads share the module).
_TAGGING = threading.Lock()


@contextmanager
def _observed_tags() -> Iterator[TagHints]:
    """While WeasyPrint tags a document, note for each structure element it makes the
    language of its box and, for a Link element, the text of the HTML link: the PDF alone
    cannot tell which HTML element an element stands for, and a box walk of our own would
    have to copy WeasyPrint's order of elements (lists and tables reorder it).

    The wrapper only watches (it yields what WeasyPrint yields, unchanged); it is removed
    when the PDF is written. A WeasyPrint without that function gives empty hints, and the
    repairs that need none still run (``pdf_tags``).
    """
    languages: dict[int, str] = {}
    link_texts: dict[int, str] = {}
    formulas: set[int] = set()
    build = getattr(weasyprint.pdf.tags, "_build_box_tree", None)
    if build is None:
        yield TagHints()
        return

    def observed(box, *args):  # type: ignore[no-untyped-def]
        for element in build(box, *args):
            number = getattr(element, "number", None)
            # The innermost call made the element; outer calls for <html> and <body> only
            # pass their children's elements on.
            if number is not None and number not in languages:
                box = getattr(box, "_box", box)  # an absolutely positioned box's placeholder
                languages[number] = (box.style["lang"] or "") if box.style else ""
                if element.get("S") == "/Link" and box.element is not None:
                    link_texts[number] = _link_text(box.element)
                if element.get("S") == "/Figure" and _is_formula(box.element):
                    formulas.add(number)
            yield element

    with _TAGGING:
        weasyprint.pdf.tags._build_box_tree = observed  # type: ignore[attr-defined]
        try:
            # Filled while the caller writes the PDF.
            yield TagHints(languages, link_texts, formulas)
        finally:
            weasyprint.pdf.tags._build_box_tree = build  # type: ignore[attr-defined]


def _is_formula(element: object) -> bool:
    """An ``img`` the apparatus drew for a formula (``class="math"``)."""
    get = getattr(element, "get", None)
    return get is not None and "math" in (get("class") or "").split()


def _link_text(element: object) -> str:
    """A link's accessible name: its ``aria-label``, else its text, else the alt text of its
    images, else its ``title``."""
    get = element.get  # type: ignore[attr-defined]
    text = " ".join("".join(element.itertext()).split())  # type: ignore[attr-defined]
    alts = " ".join(img.get("alt") or "" for img in element.iter("img")).strip()  # type: ignore[attr-defined]
    return (get("aria-label") or text or alts or get("title") or "").strip()


def _boxes(box: object) -> Iterator[object]:
    stack = [box]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(getattr(current, "children", None) or ()))


@dataclass(frozen=True, slots=True)
class Overflow:
    """Text a page draws outside its trim box: a reader never sees it."""

    page: int  # 1-based
    words: tuple[str, ...]  # in the order the page draws them
    edge: str  # "right", "left", "bottom" or "top"


@dataclass(frozen=True, slots=True)
class Cramped:
    """A table laid out with columns too narrow to read, and how to split it."""

    table: int  # its place among the document's tables (0 for the first)
    columns: int
    per_part: int  # data columns per part; the first column repeats in each part


# A column narrower than this many times its font size holds about five characters a line.
NARROWEST = 3.5
# What a split aims to give each data column.
COMFORTABLE = 7.0
TOLERANCE = 1.0  # CSS px: rounding in the layout is not overflow


@dataclass(frozen=True, slots=True)
class Inspection:
    """What one walk over the laid-out pages found."""

    toc: dict[str, str]  # contents link → the page number it prints
    anchors: dict[str, int]  # anchor → 1-based page
    overflow: tuple[Overflow, ...]
    cramped: tuple[Cramped, ...]


def inspect(rendered: weasyprint.Document, root: object = None) -> Inspection:
    """One pass over every box of every page (cheap next to the layout): the page numbers
    the contents print, text drawn outside the trim box, tables too cramped to read
    (``root``, the parsed document, tells which table a box is)."""
    toc: dict[str, str] = {}
    anchors: dict[str, int] = {}
    overflow: list[Overflow] = []
    cramped: dict[int, Cramped] = {}
    tables: dict[int, int] | None = None  # id of a table element → its place
    for number, page in enumerate(rendered.pages, start=1):
        for name in page.anchors:
            anchors.setdefault(name, number)
        bleed = page.bleed
        left, top = bleed["left"], bleed["top"]
        right, bottom = page.width - bleed["right"], page.height - bleed["bottom"]
        outside: dict[str, list[str]] = {}
        for box in _boxes(page._page_box):
            element = getattr(box, "element", None)
            tag = getattr(box, "element_tag", "")
            text = getattr(box, "text", None)
            if text and text.strip():
                x, y = box.position_x, box.position_y
                edge = (
                    "right" if x + box.width > right + TOLERANCE
                    else "left" if x < left - TOLERANCE
                    else "bottom" if y + box.height > bottom + TOLERANCE
                    else "top" if y < top - TOLERANCE
                    else None
                )  # fmt: skip
                if edge:
                    outside.setdefault(edge, []).extend(_lost_words(box, text, edge, left, right))
                if (
                    tag == "a::after"
                    and element is not None
                    and "toc-link" in (element.get("class") or "").split()
                ):
                    printed = text.strip(" .\u00a0")
                    if printed:
                        toc[element.get("href", "")] = printed
            elif tag == "table" and getattr(box, "column_widths", None) and root is not None:
                if tables is None:
                    tables = {id(t): n for n, t in enumerate(_tables(root))}
                found = _cramped(box, tables.get(id(element)))
                if found is not None:
                    cramped.setdefault(found.table, found)
        overflow.extend(Overflow(number, tuple(words), edge) for edge, words in outside.items())
    return Inspection(toc, anchors, tuple(overflow), tuple(cramped.values()))


def _lost_words(box: object, text: str, edge: str, left: float, right: float) -> list[str]:
    """The words of a text box that lie past ``edge``: for a line that runs off the side,
    the share of its words beyond the edge (glyph positions are not kept in the boxes)."""
    words = text.split()
    width = float(box.width) or 1.0  # type: ignore[attr-defined]
    x = float(box.position_x)  # type: ignore[attr-defined]
    if edge == "right":
        inside = max(0.0, right - x) / width
        return words[int(len(words) * inside) :] or words[-1:]
    if edge == "left":
        outside = max(0.0, left - x) / width
        return words[: max(1, math.ceil(len(words) * outside))]
    return words


def _tables(root: object) -> list[object]:
    """The table elements of a parsed document, in document order (the order lxml finds
    them in too: both parse the same HTML the same way)."""
    return [el for el in root.iter() if str(el.tag).rpartition("}")[2] == "table"]  # type: ignore[attr-defined]


def _cramped(box: object, number: int | None) -> Cramped | None:
    """A table whose narrowest column is under ``NARROWEST`` ems, with how many data
    columns each part of a split should hold (``None`` if splitting would not help)."""
    if number is None:
        return None
    widths: list[float] = list(box.column_widths)  # type: ignore[attr-defined]
    size = float(box.style["font_size"])  # type: ignore[attr-defined]
    if len(widths) < 3 or min(widths) >= NARROWEST * size:
        return None
    total = float(box.width)  # type: ignore[attr-defined]
    key = min(widths[0], total * 0.3)
    per_part = max(1, int((total - key) // (COMFORTABLE * size)))
    data = len(widths) - 1
    if per_part >= data:
        return None
    parts = -(-data // per_part)
    return Cramped(number, len(widths), -(-data // parts))


def verify_toc(inspection: Inspection, labels: PageLabels) -> list[str]:
    """Compare each printed TOC page number with the folio of the page its target landed
    on (``labels``: roman front matter, arabic main matter, see ``convert/folios.py``).

    TOC links carry ``class="toc-link"``; the number is the last text of their ``::after``
    box (``target-counter``).
    """
    problems = []
    for href, text in inspection.toc.items():
        target = href.removeprefix("#")
        page = inspection.anchors.get(target)
        if page is None:
            problems.append(f"contents entry {href} points at no anchor (prints {text!r})")
            continue
        expected = labels.label(page)
        if text != expected:
            problems.append(
                f"contents entry {href} prints page {text!r}, its target is on page {expected}"
            )
    return problems

"""PDF writer (the only module that imports WeasyPrint).

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
"""

from __future__ import annotations

import logging
import mimetypes
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import weasyprint
import weasyprint.pdf.tags
from weasyprint.urls import URLFetcherResponse

from ..assets import ImageRefused, check_image
from ..diagnostics import Diagnostic, Location, Report, Severity
from ..errors import RenderError
from ..folios import PageLabels
from ..paths import within
from ..profiles import Profile
from . import atomic_output
from .pdf_finish import finish_pdf
from .pdf_tags import TagHints

DATA_URL_LIMIT = 2 * 1024 * 1024


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
    """What the layout told us: page count and the font families that set the text."""

    pages: int
    families: frozenset[str]


@dataclass
class Layout:
    """A laid-out document, not yet written, with what happened while laying it out."""

    document: weasyprint.Document
    source: Path
    refused: list[str]
    messages: list[tuple[int, str]]

    @property
    def pages(self) -> int:
        return len(self.document.pages)

    def page_of(self, anchor: str, default: int | None = None) -> int | None:
        """The 1-based page an anchor (an element id) landed on."""
        for number, page in enumerate(self.document.pages, start=1):
            if anchor in page.anchors:
                return number
        return default


def warm_up(stylesheets: Sequence[Path] = ()) -> None:
    """Lay out a tiny page once, so fontconfig, Pango and WeasyPrint's caches are loaded
    before worker processes are forked from this one (each would pay for it otherwise)."""
    links = "".join(f'<link rel="stylesheet" href="{p.as_uri()}">' for p in stylesheets)
    with _captured():
        weasyprint.HTML(
            string=f"<html><head>{links}</head><body><h1>a</h1><p>b <i>c</i> "
            "<b>d</b> <code>e</code></p></body></html>"
        ).render()


def layout_pdf(
    document: str, *, base: Path, roots: Sequence[Path], source: Path, allow_remote: bool = False
) -> Layout:
    """Lay out the HTML ``document``; ``base`` is the folder its relative URLs start from."""
    refused: list[str] = []
    fetcher = ConfinedFetcher(roots, refused=refused, allow_remote=allow_remote)
    with _captured() as log:
        try:
            html = weasyprint.HTML(
                string=document, base_url=base.resolve().as_uri() + "/", url_fetcher=fetcher
            )
            rendered = html.render()
        except Exception as exc:  # WeasyPrint raises many types on broken input
            raise RenderError(
                f"layout failed: {type(exc).__name__}: {exc}", path=source, code="pdf.layout"
            ) from None
    return Layout(rendered, source, refused, log.messages)


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
    for problem in verify_toc(rendered, labels):
        report.add(Diagnostic("toc.page-mismatch", Severity.ERROR, Location(source), problem))
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
    where = Location(source)
    for item in layout.refused:
        report.add(
            Diagnostic(
                "pdf.refused", Severity.WARNING, where, f"resource refused: {item}", "left out"
            )
        )
    missing: dict[str, int] = {}
    for level, message in [*layout.messages, *log.messages]:
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
    families = frozenset(font.family for font in rendered.fonts.values())
    return PdfResult(pages=finished.pages, families=families)


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
) -> PdfResult:
    """Lay out ``document`` (HTML) and write it to ``out``: ``layout_pdf`` + ``save_pdf``."""
    layout = layout_pdf(document, base=base, roots=roots, source=source, allow_remote=allow_remote)
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
            yield element

    with _TAGGING:
        weasyprint.pdf.tags._build_box_tree = observed  # type: ignore[attr-defined]
        try:
            # Filled while the caller writes the PDF.
            yield TagHints(languages, link_texts)
        finally:
            weasyprint.pdf.tags._build_box_tree = build  # type: ignore[attr-defined]


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


def verify_toc(rendered: weasyprint.Document, labels: PageLabels) -> list[str]:
    """Compare each printed TOC page number with the folio of the page its target landed
    on (``labels``: roman front matter, arabic main matter, see ``convert/folios.py``).

    TOC links carry ``class="toc-link"``; the number is the last text of their ``::after``
    box (``target-counter``).
    """
    anchor_page: dict[str, int] = {}
    printed: dict[str, str] = {}
    for number, page in enumerate(rendered.pages, start=1):
        for name in page.anchors:
            anchor_page.setdefault(name, number)
        for box in _boxes(page._page_box):
            element = getattr(box, "element", None)
            if (
                element is None
                or getattr(box, "element_tag", "") != "a::after"
                or "toc-link" not in (element.get("class") or "").split()
            ):
                continue
            text = (getattr(box, "text", "") or "").strip(" .\u00a0")
            if text:
                printed[element.get("href", "")] = text
    problems = []
    for href, text in printed.items():
        target = href.removeprefix("#")
        page = anchor_page.get(target)
        if page is None:
            problems.append(f"contents entry {href} points at no anchor (prints {text!r})")
            continue
        expected = labels.label(page)
        if text != expected:
            problems.append(
                f"contents entry {href} prints page {text!r}, its target is on page {expected}"
            )
    return problems

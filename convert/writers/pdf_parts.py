"""One part of a book laid out on its own (a worker's job in a parallel build), and the
document of its running heads and folios.

Contract: ``lay_out_part(html, …)`` lays out one segment of the book (``book/parallel.py``
renders it: the whole book's document with the other pieces hidden and ``lead`` empty
pages first) and returns a ``Part``: the PDF of its pages without the ``lead`` pages and
without margin boxes (WeasyPrint draws running heads and folios in the page margins
during layout, so they would depend on where the part starts), the structure tree
repaired for PDF/UA (``pdf_tags``, with the hints only this process has), and what the
settling and the join need: each page's type and the named strings set on it, anchors,
bookmarks with their levels, the blocks each page begins with, the contents' printed
numbers, the fonts' original programs (``font_store``) so one subset per font can be made
for the whole book. ``lay_out_margins(html, …)`` lays out the document of margin boxes
only (one empty page per page of the book, with its page type and strings) and draws
nothing but them; the join lays its pages over the parts' pages.

Targets in other parts: ``seeds`` gives the counters (``page``, ``frontfolio``) of
anchors this part refers to but does not hold, and WeasyPrint's ``target-counter()`` reads
them as if the target were laid out here; ``Part.seeded`` says which it used, so a value
guessed before the other parts were laid out can be checked. Links to such anchors keep
their annotation through a stub destination (``Part.stubs``), pointed at the real one by
the join.

This module changes WeasyPrint 70's behaviour through four of its internals, each for the
length of one call and under one lock: ``layout.make_margin_boxes`` (recorded, and
skipped for parts), ``css.targets.TargetCollector.lookup_target`` (seeds),
``document.draw_page`` (margins only) and ``pdf.fonts.Font.clean`` (the original font
program is kept). ``tests/unit/test_pdf_parts.py`` fails if one of them moves.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pikepdf
import weasyprint.document
import weasyprint.layout
import weasyprint.pdf.fonts
from weasyprint.css.targets import TargetCollector, TargetLookupItem, anchor_name_from_token
from weasyprint.urls import get_url_tuple

from ..files import atomic_output
from ..profiles import Profile
from . import pdf as pdf_writer
from .pdf_tags import repair_tags


@dataclass(frozen=True, slots=True)
class PageRecord:
    """What a page's margin boxes depend on: its type and the strings set on it."""

    side: str  # "left" or "right"
    blank: bool
    name: str  # the named page ("" for none)
    strings: tuple[tuple[str, tuple[str, ...]], ...]  # name → values set on this page
    counters: tuple[tuple[str, tuple[int, ...]], ...] = ()  # page counters (page-based)
    # The page area: margins, width and height (CSS px), to tell whether a part laid out
    # on the other side would have been laid out otherwise.
    geometry: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class FontSource:
    """The original program of a font a part embeds (subset) as ``/BaseFont`` ``name``."""

    sha: str  # the file in the font store
    index: int  # face index in a collection
    mergeable: bool  # a static outline font (not a bitmap, colour or variable one)


@dataclass(slots=True)
class Part:
    """A laid-out part (see the module docstring). Pages are 0-based within the part."""

    pdf: bytes
    pages: list[PageRecord]
    # What a body part has and a margins document does not: empty by default.
    anchors: dict[str, int] = field(default_factory=dict)  # anchor → page (0-based)
    bookmarks: list[tuple[int, str]] = field(default_factory=list)  # (level, state), in order
    stubs: tuple[str, ...] = ()
    # anchor → counters used
    seeded: dict[str, tuple[tuple[str, tuple[int, ...]], ...]] = field(default_factory=dict)
    local_lookups: bool = False  # target-counter() on an anchor of this part (its page counter)
    block_starts: dict[str, int] = field(default_factory=dict)  # data-block → page (0-based)
    toc: dict[str, str] = field(default_factory=dict)  # contents link → the number it prints
    # (page 0-based, words, edge)
    overflow: list[tuple[int, tuple[str, ...], str]] = field(default_factory=list)
    families: frozenset[str] = frozenset()
    messages: list[tuple[int, str]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    fonts: dict[str, FontSource] = field(default_factory=dict)
    html: str = ""  # the document laid out (cramped tables split)
    running: bool = False  # element() running elements: the margins cannot be redrawn
    leads: list[PageRecord] = field(default_factory=list)  # the lead pages (margins only)


class Unsupported(Exception):
    """The book uses something a parallel layout cannot reproduce (running elements)."""


_HOOKS = threading.Lock()


@dataclass
class _Recording:
    pages: list[PageRecord] = field(default_factory=list)
    seeded: dict[str, tuple[tuple[str, tuple[int, ...]], ...]] = field(default_factory=dict)
    local: bool = False
    running: bool = False


def _record(context: object, page: object, state: object, recording: _Recording) -> None:
    number = context.current_page  # type: ignore[attr-defined]
    strings = []
    for name, by_page in sorted(context.string_set.items()):  # type: ignore[attr-defined]
        values = by_page.get(number)
        if values:
            strings.append((name, tuple(values)))
    kind = page.page_type  # type: ignore[attr-defined]
    counters = tuple(
        (name, tuple(int(v) for v in values))
        for name, values in sorted(state[1].items())  # type: ignore[index]
        if name != "pages"
    )
    geometry = tuple(
        round(float(getattr(page, key)), 3)
        for key in ("margin_left", "margin_right", "margin_top", "margin_bottom", "width", "height")
    )
    recording.pages.append(
        PageRecord(kind.side, bool(kind.blank), kind.name or "", tuple(strings), counters, geometry)
    )
    if any(context.running_elements.values()):  # type: ignore[attr-defined]
        recording.running = True


@contextmanager
def _hooks(
    seeds: Mapping[str, Mapping[str, Sequence[int]]], *, margins: bool, total: int | None = None
) -> Iterator[_Recording]:
    recording = _Recording()
    make_margin_boxes = weasyprint.layout.make_margin_boxes
    lookup_target = TargetCollector.lookup_target
    draw_page = weasyprint.document.draw_page

    def margin_boxes(context, page, state):  # type: ignore[no-untyped-def]
        _record(context, page, state, recording)
        if margins:
            if total is not None:  # a stretch of the book's pages: counter(pages) is the book's
                state[1]["pages"] = [total]
            yield from make_margin_boxes(context, page, state)

    def lookup(self, anchor_token, source_box, css_token, parse_again):  # type: ignore[no-untyped-def]
        token = anchor_token
        if token[0] == "attr()":
            attr_name, type_, fallback = token[1]
            value = source_box.element.get(attr_name, fallback)
            token = (
                ("string", value)
                if type_ == "string"
                else ("url", get_url_tuple(value, source_box.style.base_url))
            )
        name = anchor_name_from_token(token)
        if name in seeds:
            counters = {k: list(v) for k, v in seeds[name].items()}
            recording.seeded[name] = tuple((k, tuple(v)) for k, v in sorted(counters.items()))
            item = TargetLookupItem("up-to-date")
            item.target_box = SimpleNamespace(
                cached_counter_values=counters, extract_text=lambda style: ""
            )
            return item
        if name in self.target_lookup_items:
            recording.local = True
        return lookup_target(self, anchor_token, source_box, css_token, parse_again)

    def margins_only(page, stream):  # type: ignore[no-untyped-def]
        from weasyprint.draw import draw_stacking_context
        from weasyprint.stacking import StackingContext

        draw_stacking_context(stream, StackingContext.from_page(page))

    with _HOOKS:
        weasyprint.layout.make_margin_boxes = margin_boxes
        TargetCollector.lookup_target = lookup  # type: ignore[method-assign]
        if margins:
            weasyprint.document.draw_page = margins_only
        try:
            yield recording
        finally:
            weasyprint.layout.make_margin_boxes = make_margin_boxes
            TargetCollector.lookup_target = lookup_target  # type: ignore[method-assign]
            weasyprint.document.draw_page = draw_page


@contextmanager
def _font_sources(store: Path | None) -> Iterator[dict[str, FontSource]]:
    """Note each font's original program as WeasyPrint subsets it (written once to
    ``store``, named by its digest)."""
    found: dict[str, FontSource] = {}
    clean = weasyprint.pdf.fonts.Font.clean

    def noted(font, to_unicode, hinting):  # type: ignore[no-untyped-def]
        if store is not None and font.file_content:
            data = bytes(font.file_content)
            sha = hashlib.sha256(data).hexdigest()
            path = store / f"{sha}.font"
            if not path.exists():
                store.mkdir(parents=True, exist_ok=True)
                with atomic_output(path) as tmp:
                    tmp.write_bytes(data)
            mergeable = not (
                font.bitmap or font.png or font.svg or font.colr or "fvar" in font.tables
            )
            found[font.name.decode("latin-1").lstrip("/")] = FontSource(sha, font.index, mergeable)
        return clean(font, to_unicode, hinting)

    weasyprint.pdf.fonts.Font.clean = noted  # type: ignore[method-assign]
    try:
        yield found
    finally:
        weasyprint.pdf.fonts.Font.clean = clean  # type: ignore[method-assign]


def _stubs(document: object) -> tuple[str, ...]:
    """Anchors the part's links point to but another part holds: a stub destination on
    the first page keeps WeasyPrint from dropping the link (the join re-points it)."""
    pages = document.pages  # type: ignore[attr-defined]
    held = {name for page in pages for name in page.anchors}
    wanted = sorted(
        {
            target
            for page in pages
            for kind, target, _rect, _box in page.links
            if kind == "internal" and target not in held
        }
    )
    if pages:
        for name in wanted:
            pages[0].anchors[name] = (0, 0, 0, 0)
    return tuple(wanted)


def lay_out_part(
    html: str,
    *,
    lead: int,
    seeds: Mapping[str, Mapping[str, Sequence[int]]],
    base: Path,
    roots: Sequence[Path],
    source: Path,
    profile: Profile,
    font_store: Path | None,
    allow_remote: bool = False,
    split: Callable[[str, Sequence[pdf_writer.Cramped]], str] | None = None,
) -> Part:
    """Lay out one segment of a book and write its pages (see the module docstring)."""
    with _hooks(seeds, margins=False) as recording:
        layout = pdf_writer.layout_pdf(
            html, base=base, roots=roots, source=source, allow_remote=allow_remote
        )
        kept = pdf_writer.Layout(
            layout.document.copy(layout.document.pages[lead:]),
            source,
            layout.refused,
            layout.messages,
            html=html,
            root=layout.root,
        )
    cramped = kept.inspection.cramped
    if cramped and split is not None:
        again = split(html, cramped)
        if again != html:
            return lay_out_part(
                again,
                lead=lead,
                seeds=seeds,
                base=base,
                roots=roots,
                source=source,
                profile=profile,
                font_store=font_store,
                allow_remote=allow_remote,
                split=None,
            )
    pages = recording.pages[lead:]
    found = kept.inspection
    document = kept.document
    stubs = _stubs(document)
    bookmarks = [
        (level, state) for page in document.pages for level, _l, _t, state in page.bookmarks
    ]
    with (
        pdf_writer._captured() as log,
        _font_sources(font_store) as fonts,
        pdf_writer._observed_tags() as hints,
    ):
        data = document.write_pdf(
            pdf_identifier=b"pressroom-part",
            pdf_variant=profile.variant,
            pdf_tags=profile.tagged,
        )
    if profile.tagged:
        pdf = pikepdf.open(io.BytesIO(data))
        repair_tags(pdf, hints)
        buffer = io.BytesIO()
        pdf.save(buffer, deterministic_id=True)
        data = buffer.getvalue()
    return Part(
        pdf=data,
        pages=pages,
        anchors={name: page - 1 for name, page in found.anchors.items()},
        bookmarks=bookmarks,
        stubs=stubs,
        seeded=dict(recording.seeded),
        local_lookups=recording.local,
        block_starts={k: v - 1 for k, v in kept.block_starts().items()},
        toc=dict(found.toc),
        overflow=[(o.page - 1, o.words, o.edge) for o in found.overflow],
        families=frozenset(font.family for font in document.fonts.values()),
        messages=[*kept.messages, *log.messages],
        refused=list(kept.refused),
        fonts=fonts,
        html=html,
        running=recording.running,
    )


def lay_out_margins(
    html: str,
    *,
    base: Path,
    roots: Sequence[Path],
    source: Path,
    font_store: Path | None,
    lead: int = 0,
    total: int | None = None,
) -> Part:
    """Lay out a document of running heads and folios (one empty page per page of the
    book, or of a stretch of its pages after ``lead`` pages that carry the strings set
    before it, dropped here; ``total`` is then the book's page count, for
    ``counter(pages)``) and write only its margin boxes: no page background, no printer's
    marks (the parts have them), untagged (the join marks them as pagination artifacts)."""
    with _hooks({}, margins=True, total=total) as recording:
        layout = pdf_writer.layout_pdf(html, base=base, roots=roots, source=source)
        document = layout.document.copy(layout.document.pages[lead:])
        with pdf_writer._captured() as log, _font_sources(font_store) as fonts:
            data = document.write_pdf(pdf_identifier=b"pressroom-margins")
    return Part(
        pdf=data,
        pages=list(recording.pages[lead:]),
        families=frozenset(font.family for font in document.fonts.values()),
        messages=[*layout.messages, *log.messages],
        refused=list(layout.refused),
        fonts=fonts,
        html=html,
        running=recording.running,
        leads=list(recording.pages[:lead]),
    )

"""A book laid out as one PDF document: front matter counted, folios settled, tables that
would be cramped split, the index given its pages.

Imported only when a PDF is laid out (it imports WeasyPrint through ``writers.pdf``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from ..apparatus import Apparatus
from ..diagnostics import Report
from ..folios import PageLabels
from ..pipeline import profile_theme
from ..profiles import Profile
from ..theme import Theme
from ..tree import split_tables
from ..writers import pdf as pdf_writer
from .chapters import ChapterCache
from .manifest import BookSpec


@dataclass(frozen=True, slots=True)
class BookLayout:
    layout: pdf_writer.Layout
    labels: PageLabels  # the folios: roman in the front matter, arabic from the main matter
    theme: Theme  # with what the profile imposed for this page count (a store's gutter)


def lay_out(
    spec: BookSpec,
    document: Callable[[int, Theme, bool], str],
    theme: Theme,
    *,
    profile: Profile,
    apparatus: Apparatus,
    cache: ChapterCache,
    report: Report,
    allow_remote: bool = False,
) -> BookLayout:
    """Lay out ``document(front_pages, theme, front_only)`` until it holds still.

    The page counter restarts at the main matter through a reset on the first page, which
    needs the length of the front matter; a store's gutter depends on the page count.
    Both are known after a layout: lay out again until they hold (twice at most in
    practice; the front matter's length is remembered in the cache for the next build).
    """
    roots = (spec.root, *theme.dirs)

    def layout_of(html: str) -> pdf_writer.Layout:
        return pdf_writer.layout_pdf(
            html, base=spec.root, roots=roots, source=spec.manifest, allow_remote=allow_remote
        )

    key = "front-" + hashlib.sha256(str(spec.manifest.resolve()).encode()).hexdigest()[:16]
    front = cache.get(key)
    if not isinstance(front, int):
        # Count the front matter's pages on a document of the front matter alone (a few
        # pages), so the whole book is usually laid out once, not twice.
        front = layout_of(document(0, theme, True)).pages
    for _attempt in range(4):
        layout = layout_of(document(front, theme, False))
        layout = pdf_writer.fit(
            layout, split_tables, base=spec.root, roots=roots, allow_remote=allow_remote
        )
        actual = layout.page_of("main-matter", default=1) - 1
        settled = profile_theme(
            spec.theme, spec.options, profile, report, spec.manifest, pages=layout.pages
        )
        if actual == front and settled.options == theme.options:
            break
        front, theme = actual, settled
    cache.put(key, front)
    if apparatus.index:  # the index's page numbers, from the layout just made
        layout = apparatus.paged_index(layout, layout_of, _folios(layout).label)
    return BookLayout(layout, _folios(layout), theme)


def _folios(layout: pdf_writer.Layout) -> PageLabels:
    return PageLabels.book(
        layout.pages,
        front=layout.page_of("title-page", default=1) or 1,
        main=layout.page_of("main-matter", default=1) or 1,
    )

"""Books: a ``book.toml`` manifest → one PDF and one EPUB of many chapters.

The book is a client of the article recipe (``pipeline``), in the same stages:

- ``manifest``: ``read_book(path)`` parses the manifest (metadata, theme and options,
  front matter, chapters or parts of chapters as files or globs, back matter, index
  terms) and refuses a bad one with a ``BookError`` naming the key;
- ``chapters``: every chapter through ``pipeline.prepare`` (load → normalize → parse, with
  diagnostics naming the chapter file and line), cached by content in ``OUTDIR/.cache``;
- ``links``: one link graph for the whole book (ids namespaced per chapter; links to
  another chapter's file resolve in both outputs; a dangling one is reported and
  unlinked, never written broken);
- ``render``: one HTML document for the PDF, one XHTML page per chapter for the EPUB;
- ``layout``: the PDF laid out until its folios hold, before the EPUB, which carries the
  print pages its blocks landed on (page-break markers and a page list). With only the
  EPUB asked for, the PDF is laid out for that only with ``settings.page_list``;
- ``build_book`` writes all the outputs or none: if one fails (a PDF that cannot be
  finished, a profile's preflight under ``--strict``), those already written are removed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..config import Settings
from ..diagnostics import Diagnostic, Location, Report, Severity
from ..files import all_or_nothing
from ..pipeline import check_fonts, check_strict, profile_theme, self_check
from ..profiles import get as get_profile
from ..render import build_for, print_edition
from ..theme import Theme, load_theme
from ..writers.epub import write_epub
from ..writers.html import write_html
from .chapters import ChapterCache, Prepared, prepare_chapters
from .manifest import BookError, BookSpec, Entry, read_book
from .render import (
    book_apparatus,
    code_css_of,
    pdf_chapters,
    render_book_document,
    render_book_epub,
)


@dataclass(frozen=True, slots=True)
class BookResult:
    outputs: dict[str, Path]
    chapters: int
    pages: int
    cache_hits: int
    cache_misses: int
    # A parallel layout: the chapters (files) laid out in this run (the others came from
    # the cache), and the chapters whose first page moved since the last build
    # (file, was, now).
    laid_out: tuple[str, ...] = ()
    moved: tuple[tuple[str, int, int], ...] = ()
    jobs: int = 0  # 0: laid out as one document


def build_book(
    manifest: Path,
    outdir: Path,
    settings: Settings | None = None,
    *,
    report: Report,
    use_cache: bool = True,
    jobs: int | None = None,
) -> BookResult:
    """Build the book described by ``manifest`` into ``outdir`` in ``settings.formats``
    (see the module docstring). The book's own theme (``book.toml``) is used, not
    ``settings.theme``; its folder is the content root."""
    settings = settings or Settings()
    formats = set(settings.formats)
    if jobs is None:
        jobs = os.cpu_count() or 1
    spec = read_book(manifest)
    profile = get_profile(settings.profile)
    theme = profile_theme(spec.theme, spec.options, profile, report, spec.manifest)
    text = theme.messages(spec.meta.lang)
    spec = replace(
        spec,
        parts=tuple(t or text("Part %(n)s", n=i + 1) for i, t in enumerate(spec.parts)),
    )
    cache = ChapterCache(outdir / ".cache" if use_cache else None)
    chapters = prepare_chapters(spec, settings, report, cache)
    # What the chapters found in the cache (the layout's parts and fonts use it too).
    chapter_hits, chapter_misses = cache.hits, cache.misses
    build = build_for(spec.meta, spec.meta.title + "".join(c.article.markdown for c in chapters))
    apparatus = book_apparatus(spec, chapters, theme, report)
    epub = "epub" in formats
    laid = None
    settled = None
    if {"pdf", "html"} & formats or (epub and settings.page_list):
        from .layout import lay_out  # WeasyPrint: only when a PDF is laid out

        contexts = pdf_chapters(
            spec, chapters, report=report, theme=theme, number_blocks=epub, apparatus=apparatus
        )
        highlight = code_css_of(theme, chapters)

        def document(front_pages: int, theme: Theme, front_only: bool) -> str:
            return render_book_document(
                spec,
                contexts,
                theme,
                build=build,
                profile=profile,
                front_pages=front_pages,
                code_css=highlight,
                front_only=front_only,
                apparatus=apparatus,
            )

        # A store's gutter grows with the page count: such a book is laid out whole,
        # again until its gutter holds (``layout.lay_out``).
        if jobs > 0 and not profile.gutter:
            from ..writers.pdf_parts import Unsupported
            from .parallel import lay_out_parallel

            def render(**kw: Any) -> str:
                return render_book_document(
                    spec,
                    kw.pop("contexts", contexts),
                    theme,
                    build=build,
                    profile=profile,
                    code_css=highlight,
                    apparatus=apparatus,
                    **kw,
                )

            try:
                settled = lay_out_parallel(
                    spec,
                    contexts,
                    render,
                    theme,
                    profile=profile,
                    apparatus=apparatus,
                    cache=cache,
                    jobs=jobs,
                    allow_remote=settings.allow_remote,
                )
            except Unsupported as why:
                report.add(
                    Diagnostic(
                        "book.single-layout",
                        Severity.INFO,
                        Location(spec.manifest),
                        f"laid out as one document: {why}",
                    )
                )
                jobs = 0
        if settled is None:
            laid = lay_out(
                spec,
                document,
                theme,
                profile=profile,
                apparatus=apparatus,
                cache=cache,
                report=report,
                allow_remote=settings.allow_remote,
            )
            theme = laid.theme
    package = None
    if epub:
        # The EPUB after the layout: it carries the pages the PDF's blocks landed on.
        breaks = None
        source = spec.page_break_source or print_edition(theme, spec.meta)
        if settled is not None:
            breaks = settled.page_breaks(source)
        elif laid is not None:
            breaks = laid.layout.page_breaks(source, laid.labels)
        package = render_book_epub(
            spec,
            chapters,
            theme,
            build=build,
            report=report,
            page_breaks=breaks,
            apparatus=apparatus,
        )
    check_strict(report, settings, spec.manifest)

    stem = spec.manifest.parent.name if spec.manifest.name == "book.toml" else spec.manifest.stem
    pages = 0
    with all_or_nothing() as outputs:
        if package is not None:
            outputs["epub"] = write_epub(package, outdir / f"{stem}.epub")
        if "html" in formats and (settled is not None or laid is not None):
            html = settled.html if settled is not None else laid.layout.html  # type: ignore[union-attr]
            outputs["html"] = write_html(html, outdir / f"{stem}.html")
        if "pdf" in formats and (settled is not None or laid is not None):
            from ..writers.pdf import save_joined, save_pdf

            pdf = outdir / f"{stem}.pdf"
            if settled is not None:  # laid out in parts and joined
                pages = save_joined(
                    settled.pdf,
                    pdf,
                    report=report,
                    profile=profile,
                    labels=settled.labels,
                    source=spec.manifest,
                    inspection=settled.inspection,
                    refused=settled.refused,
                    messages=settled.messages,
                )
                families = settled.families
            else:
                assert laid is not None  # laid out as one document
                result = save_pdf(
                    laid.layout,
                    pdf,
                    report=report,
                    profile=profile,
                    labels=laid.labels,
                    identifier=build.identifier.encode("ascii"),
                )
                pages, families = result.pages, result.families
            outputs["pdf"] = pdf
            check_fonts(families, theme.font_families(), report, spec.manifest)
        self_check(profile, outputs, report)
        check_strict(report, settings, spec.manifest)
    return BookResult(
        outputs,
        len(chapters),
        pages,
        chapter_hits,
        chapter_misses,
        tuple(settled.laid_out) if settled is not None else (),
        tuple(settled.moved) if settled is not None else (),
        jobs,
    )


def dependencies(manifest: Path) -> list[Path]:
    """Every file the book's outputs depend on (for make): manifest, chapters, theme."""
    spec = read_book(manifest)
    theme = load_theme(spec.theme, spec.options)
    files = [spec.manifest, *(e.path for e in spec.entries)]
    if spec.meta.cover:
        files.append(spec.meta.cover)
    for folder in theme.dirs:
        files += sorted(p for p in folder.rglob("*") if p.is_file())
    return files


__all__ = [
    "BookError",
    "BookResult",
    "BookSpec",
    "ChapterCache",
    "Entry",
    "Prepared",
    "build_book",
    "dependencies",
    "pdf_chapters",
    "prepare_chapters",
    "read_book",
    "render_book_document",
    "render_book_epub",
]

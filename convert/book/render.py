"""A book rendered: one HTML document of every chapter for the PDF, one XHTML page per
chapter (and title, copyright, list and index pages) for the EPUB, through the theme's
book templates.

``pdf_chapters`` prepares every chapter's body for the one-document PDF once (ids
namespaced, links resolved, blocks numbered for an EPUB page list), however often the
book is laid out; ``render_book_document`` puts them in the book template;
``render_book_epub`` makes the EPUB package, with the print pages when the PDF was laid
out first; ``book_apparatus`` numbers and indexes across all chapters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..apparatus import Apparatus, Doc, Style
from ..diagnostics import Diagnostic, Location, Report
from ..errors import ConvertError
from ..i18n import direction, format_date
from ..model import Build, EpubPackage, Finding, Page, PageBreaks
from ..profiles import Profile
from ..render import (
    AssetNames,
    apparatus_page,
    code_css,
    cover_asset,
    cover_page,
    epub_stylesheets,
    image_resolver,
    package_epub,
)
from ..theme import Theme
from ..tree import page_markers, prepare
from .chapters import Prepared
from .links import LinkGraph
from .manifest import BookSpec, Entry


def book_apparatus(
    spec: BookSpec, chapters: Sequence[Prepared], theme: Theme, report: Report
) -> Apparatus:
    """Numbers, references, formulas and the index across the whole book (one survey of
    every chapter; findings reported once)."""
    docs = []
    ordinal = appendix = 0
    for chapter in chapters:
        prefix = ""
        if chapter.entry.kind == "chapter":
            ordinal += 1
            prefix = str(ordinal)
        elif chapter.entry.kind == "back":
            appendix += 1
            prefix = chr(ord("A") + appendix - 1) if appendix <= 26 else str(appendix)
        docs.append(
            Doc(
                chapter.article.meta.title,
                chapter.locate.emitter(report),
                prefix=prefix,
                pdf_prefix=f"{chapter.anchor}-",
                file_name=chapter.file_name,
                roman=chapter.entry.kind == "front",
                lang=chapter.lang,
            )
        )
    style = Style.of(theme.options, spec.meta.lang, spec.index_terms, theme.dirs)
    return Apparatus.build(docs, [c.parsed.html for c in chapters], style)


def pdf_chapters(
    spec: BookSpec,
    chapters: Sequence[Prepared],
    *,
    report: Report,
    theme: Theme,
    number_blocks: bool = False,
    apparatus: Apparatus | None = None,
) -> list[dict[str, Any]]:
    """Every chapter's body made fit for the one-document PDF: ids namespaced, links
    between chapters resolved (and blocks numbered for an EPUB page list). Done once,
    however often the book is laid out."""
    graph = LinkGraph.of(chapters)
    rendered = []
    for n, chapter in enumerate(chapters):
        body = prepare(
            chapter.parsed.html,
            target="pdf",
            images=image_resolver(chapter.article),
            emit=chapter.locate.emitter(report),
            links=lambda href, c=chapter: graph.resolve(href, c, "pdf", report),
            id_prefix=f"{chapter.anchor}-",
            number_blocks=number_blocks,
            block_prefix=f"{chapter.anchor}-",
            text=theme.messages(chapter.lang),
            apparatus=apparatus.hook(n, "pdf") if apparatus else None,
        )
        rendered.append(_chapter_context(chapter, Markup(body.html)))
    return rendered


def render_book_document(
    spec: BookSpec,
    contexts: Sequence[dict[str, Any]],
    theme: Theme,
    *,
    build: Build,
    profile: Profile,
    front_pages: int,
    code_css: str,
    front_only: bool = False,
    apparatus: Apparatus | None = None,
    segment: frozenset[str] | None = None,
    lead: int = 0,
    page_reset: int | None = None,
    counter_resets: Sequence[tuple[str, int]] = (),
    margins_body: str = "",
    index_body: str | None = None,
) -> str:
    """The whole book as one HTML document for WeasyPrint (``front_only``: only the pages
    before the main matter, laid out to count them); ``apparatus`` adds the lists of
    figures and tables after the contents and the index at the end.

    A segment of it for a parallel layout (``book/parallel.py``): ``segment`` names the
    pieces shown (the others stay in the document, hidden, so structural selectors match
    as in the whole book), ``lead`` empty pages come first, ``page_reset`` is the page
    counter of the first page and ``counter_resets`` the other page-based counters it
    starts with, ``margins_body`` stands in for the content (the document of running heads
    and folios), ``index_body`` is the index with its page numbers."""
    lists = [
        {"kind": kind, "title": title, "entries": Markup(apparatus.list_entries(entries, "pdf"))}
        for kind, title, entries in (apparatus.lists() if apparatus else [])
    ]
    return theme.render(
        "book.html.j2",
        front_only=front_only,
        book=_book_context(spec, build),
        parts=spec.parts,
        chapters=contexts,
        stylesheets=[p.as_uri() for p in (*theme.stylesheets("pdf"), *_book_css(theme))],
        profile=profile.name,
        print_layout=profile.print_layout,
        front_pages=front_pages,
        lang=spec.meta.lang,
        dir=direction(spec.meta.lang),
        title=spec.meta.title,
        meta=spec.meta,
        build=build,
        code_css=code_css,
        apparatus_lists=lists,
        index_body=Markup(index_body if index_body is not None else apparatus.index_pdf())
        if apparatus
        else "",
        index_title=apparatus.words.index if apparatus else "",
        segment=segment,
        lead=lead,
        page_reset=page_reset,
        counter_resets=counter_resets,
        margins_body=Markup(margins_body),
    )


def _book_css(theme: Theme) -> list[Path]:
    try:
        return [theme.find("css/book.css")]
    except ConvertError:
        return []


def code_css_of(theme: Theme, chapters: Sequence[Prepared]) -> Markup | str:
    return code_css(theme, any(c.parsed.has_code for c in chapters))


# epub:type of a front or back matter role (book.toml ``role``) → its DPUB-ARIA role.
# Roles without one here are not structural semantics EPUB knows: they fall back to
# "preface" / "appendix".
DPUB_ROLES = {
    "abstract": "doc-abstract", "acknowledgments": "doc-acknowledgments",
    "afterword": "doc-afterword", "appendix": "doc-appendix",
    "bibliography": "doc-bibliography", "chapter": "doc-chapter", "colophon": "doc-colophon",
    "conclusion": "doc-conclusion", "credits": "doc-credits", "dedication": "doc-dedication",
    "endnotes": "doc-endnotes", "epigraph": "doc-epigraph", "epilogue": "doc-epilogue",
    "errata": "doc-errata", "foreword": "doc-foreword", "glossary": "doc-glossary",
    "index": "doc-index", "introduction": "doc-introduction", "preface": "doc-preface",
    "prologue": "doc-prologue",
}  # fmt: skip


def _epub_type(entry: Entry) -> str:
    if entry.kind == "chapter":
        return "chapter"
    if entry.role in DPUB_ROLES:
        return entry.role
    return "appendix" if entry.kind == "back" else "preface"


def _chapter_context(chapter: Prepared, body: Markup) -> dict[str, Any]:
    meta = chapter.article.meta
    epub_type = _epub_type(chapter.entry)
    return {
        "epub_type": epub_type,
        "aria_role": DPUB_ROLES[epub_type],
        "kind": chapter.entry.kind,
        "role": chapter.entry.role,
        "part": chapter.entry.part,
        "number": chapter.number,
        "anchor": chapter.anchor,
        "file_name": chapter.file_name,
        "source": chapter.entry.path.name,  # what a parallel layout's report calls it
        "title": meta.title,
        "subtitle": meta.subtitle,
        "authors": meta.authors,
        "lang": chapter.lang,
        "dir": direction(chapter.lang),
        "headings": [
            replace(h, id=f"{chapter.anchor}-{h.id}")
            for h in chapter.parsed.headings
            if h.level == min((x.level for x in chapter.parsed.headings), default=2)
        ],
        "body": body,
    }


def _book_context(spec: BookSpec, build: Build) -> dict[str, Any]:
    meta = spec.meta
    return {
        "title": meta.title,
        "subtitle": meta.subtitle,
        "authors": meta.authors,
        "publisher": spec.publisher,
        "rights": spec.rights,
        "identifier": spec.identifier or build.identifier,
        "date": format_date(meta.date, meta.lang),
        "year": meta.date.year if meta.date else build.date.year,
        "description": meta.description,
        "cover": meta.cover.as_uri() if meta.cover else "",
        "lang": meta.lang,
    }


def render_book_epub(
    spec: BookSpec,
    chapters: Sequence[Prepared],
    theme: Theme,
    *,
    build: Build,
    report: Report,
    page_breaks: PageBreaks | None = None,
    apparatus: Apparatus | None = None,
) -> EpubPackage:
    """One XHTML page per chapter, plus title and copyright pages and the cover, and the
    apparatus's pages (lists of figures and tables, the index); with ``page_breaks``, the
    print pages marked where they begin and a page list."""
    graph = LinkGraph.of(chapters)
    text = theme.messages(spec.meta.lang)
    at = page_breaks.at if page_breaks is not None else None

    def markers(key: str) -> Markup | str:
        return Markup(page_markers(at.get(key, ()))) if at is not None else ""

    names = AssetNames("images")
    sheets = epub_stylesheets(theme)
    hrefs = [s.href for s in sheets]
    book = _book_context(spec, build)
    common = {
        "book": book,
        "stylesheets": hrefs,
        "lang": spec.meta.lang,
        "dir": direction(spec.meta.lang),
        "meta": spec.meta,
        "build": build,
    }
    pages: list[Page] = []
    cover = None
    if spec.meta.cover is not None:
        cover = cover_asset(spec.meta.cover)
        book_free = {k: v for k, v in common.items() if k != "book"}
        pages.append(cover_page(theme, cover, title=spec.meta.title, **book_free))
    pages.append(
        Page(
            "title.xhtml",
            spec.meta.title,
            theme.render(
                "book-title.xhtml.j2",
                title=spec.meta.title,
                page_breaks=markers("title"),
                **common,
            ),
            kind="title",
        )
    )
    lang = spec.meta.lang
    for kind, _title, _entries in apparatus.lists() if apparatus else []:
        pages.append(apparatus_page(theme, kind, apparatus, stylesheets=sheets, lang=lang))
    emitters = {}
    for n, chapter in enumerate(chapters):
        emitters[chapter.file_name] = emit = chapter.locate.emitter(report)
        body = prepare(
            chapter.parsed.html,
            target="epub",
            images=image_resolver(chapter.article, names=names),
            emit=emit,
            links=lambda href, c=chapter: graph.resolve(href, c, "epub"),
            block_prefix=f"{chapter.anchor}-",
            page_breaks=at,
            text=theme.messages(chapter.lang),
            apparatus=apparatus.hook(n, "epub") if apparatus else None,
        )
        context = _chapter_context(chapter, Markup(body.html))
        xhtml = theme.render(
            "book-chapter.xhtml.j2",
            chapter=context,
            title=context["title"],
            code_css=code_css_of(theme, [chapter]),
            page_breaks=markers(chapter.anchor),
            **common,
        )
        part = spec.parts[chapter.entry.part] if chapter.entry.part is not None else None
        pages.append(
            Page(
                chapter.file_name,
                context["title"],
                xhtml,
                _nav_headings(chapter),
                part=part,
                kind=chapter.entry.kind,
                role=chapter.entry.role,
            )
        )
    if apparatus is not None and apparatus.index:
        pages.append(apparatus_page(theme, "index", apparatus, stylesheets=sheets, lang=lang))
    pages.append(
        Page(
            "copyright.xhtml",
            text("Copyright"),
            theme.render(
                "book-copyright.xhtml.j2",
                title=text("Copyright"),
                page_breaks=markers("copyright"),
                **common,
            ),
            kind="copyright",
        )
    )

    def finding(found: Finding) -> None:
        if found.page in emitters:
            emitters[found.page](found.code, found.needle, found.message, found.fix, found.severity)
        else:
            where = Location(spec.manifest)
            report.add(Diagnostic(found.code, found.severity, where, found.message, found.fix))

    return package_epub(
        theme,
        meta=spec.meta,
        build=build,
        pages=pages,
        assets=tuple(names.by_source.values()),
        stylesheets=sheets,
        cover=cover,
        code=code_css_of(theme, chapters),
        page_breaks=page_breaks,
        report=finding,
        publisher=spec.publisher,
        rights=spec.rights,
    )


def _nav_headings(chapter: Prepared) -> tuple:
    headings = chapter.parsed.headings
    top = min((h.level for h in headings), default=2)
    return tuple(h for h in headings if h.level == top)

"""Stage 4, render: a parsed article + a theme → documents for the writers.

Contract:
- ``render_document`` gives the one HTML document that WeasyPrint lays out (and that
  ``--format html`` writes as is): theme stylesheets linked by ``file://`` URL, images
  resolved to ``file://`` URLs under the content root, footnotes at their call sites.
- ``render_epub`` gives the XHTML pages, images and stylesheets an EPUB packs: images
  renamed into ``images/``, footnotes as EPUB notes.
- Both report what the tree stage repaired (links, images) with the source line.
- Nothing here reads the clock: dates come from ``Build`` (``SOURCE_DATE_EPOCH``, else the
  article's date), so the same input always renders the same output.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
import os
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .apparatus import Apparatus
from .assets import check_image
from .diagnostics import Diagnostic, Location, Report, Severity
from .markdown.highlight import highlight_css
from .model import Article, Asset, Heading, Meta, Page, Parsed, Target
from .paths import is_remote, resolve_local
from .profiles import PROFILES, Profile
from .theme import Theme
from .tree import Emit, prepare

_RTL = {"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb"}


@dataclass(frozen=True, slots=True)
class Build:
    """Facts about this build that templates and writers need; no wall clock."""

    date: dt.datetime
    identifier: str

    @property
    def iso(self) -> str:
        return self.date.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_for(meta: Meta, content_key: str) -> Build:
    """``SOURCE_DATE_EPOCH`` if set, else the article's date, else the Unix epoch.

    The identifier is a UUID derived from the content, so it is stable across builds.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        date = dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    elif isinstance(meta.date, dt.datetime):
        date = (
            meta.date.astimezone(dt.UTC) if meta.date.tzinfo else meta.date.replace(tzinfo=dt.UTC)
        )
    elif isinstance(meta.date, dt.date):
        date = dt.datetime(meta.date.year, meta.date.month, meta.date.day, tzinfo=dt.UTC)
    else:
        date = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    digest = hashlib.sha256(content_key.encode("utf-8")).hexdigest()
    identifier = f"urn:uuid:{uuid.UUID(digest[:32], version=5)}"
    return Build(date=date.replace(microsecond=0), identifier=identifier)


def direction(lang: str) -> str:
    return "rtl" if lang.split("-")[0].lower() in _RTL else "ltr"


def _emitter(article: Article, report: Report) -> Emit:
    lines = article.markdown.split("\n")
    # One scan per distinct needle, not per finding: 10^4 copies of one broken image
    # would otherwise rescan the text 10^4 times.
    first: dict[str, int | None] = {}

    def emit(code: str, needle: str, message: str, fix: str | None, severity: Severity) -> None:
        if needle not in first:
            first[needle] = next(
                (i for i, text in enumerate(lines) if needle and needle in text), None
            )
        line = first[needle]
        where = article.line_of(line) if line is not None else None
        report.add(Diagnostic(code, severity, Location(article.source, where), message, fix))

    return emit


emitter = _emitter  # the apparatus of an article reports through it too (pipeline)


def _context(article: Article, parsed: Parsed, theme: Theme, build: Build, target: Target) -> dict:
    meta = article.meta
    return {
        "meta": meta,
        "dek": _dek(meta.description, parsed.html),
        "title": meta.title,
        "lang": meta.lang,
        "dir": direction(meta.lang),
        "date": _display_date(meta.date, meta.lang),
        "date_iso": w3c_date(meta.date),
        "headings": parsed.headings,
        "toc": _toc_headings(parsed.headings),
        "build": build,
        "target": target,
        "code_css": Markup(highlight_css(theme.options.get("code_style", "friendly")))
        if parsed.has_code
        else "",
    }


def _dek(description: str, body_html: str) -> str:
    """The description as a standfirst, unless it only repeats the opening paragraph."""
    opening = " ".join(re.sub(r"<[^>]+>", "", body_html[:4000]).split())
    probe = " ".join(description.split())[:80]
    return "" if probe and opening.startswith(probe) else description


def w3c_date(value: dt.date | None) -> str:
    """A W3C-DTF date: a plain date, or a datetime in UTC (readers reject naive times)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _display_date(value: dt.date | None, lang: str) -> str:
    """``9 March 2024`` in English; the unambiguous ISO form in other languages, whose
    month names (and their grammatical cases) we do not carry."""
    if value is None:
        return ""
    if lang.split("-")[0] == "en":
        return f"{value.day} {value:%B %Y}"
    return value.strftime("%Y-%m-%d")


def render_document(
    article: Article,
    parsed: Parsed,
    theme: Theme,
    *,
    build: Build,
    report: Report,
    profile: Profile = PROFILES["screen"],
    remote: Callable[[str], Path | None] | None = None,
    apparatus: Apparatus | None = None,
) -> str:
    """The complete HTML document for WeasyPrint (and ``--format html``).

    ``remote`` fetches images from hosts the user allowed (see ``convert/remote.py``);
    ``apparatus`` numbers, resolves and typesets (``convert/apparatus``) and gives the
    index at the end.
    """

    def image(src: str) -> str | None:
        found = _find(src, article, remote)
        if found is None:
            return None
        check_image(found)  # raises ImageRefused: a decompression bomb, a scripted SVG
        return found.as_uri()

    hook = apparatus.hook(0, "pdf") if apparatus else None
    prepared = prepare(
        parsed.html, target="pdf", images=image, emit=_emitter(article, report), apparatus=hook
    )
    return theme.render(
        "article.html.j2",
        body=Markup(prepared.html),
        index_body=Markup(apparatus.index_pdf()) if apparatus else "",
        index_title=apparatus.words.index if apparatus else "",
        stylesheets=[p.as_uri() for p in theme.stylesheets("pdf")],
        profile=profile.name,
        print_layout=profile.print_layout,
        **_context(article, parsed, theme, build, "pdf"),
    )


@dataclass(frozen=True, slots=True)
class EpubPackage:
    """Everything an EPUB writer needs, already rendered."""

    meta: Meta
    build: Build
    pages: tuple[Page, ...]
    assets: tuple[Asset, ...]
    stylesheets: tuple[Asset, ...]
    cover: Asset | None
    accessibility_summary: str
    publisher: str = ""
    rights: str = ""


_MEDIA_TYPES = {".svg": "image/svg+xml", ".webp": "image/webp", ".jpg": "image/jpeg"}


def media_type(path: Path) -> str:
    suffix = path.suffix.lower()
    return (
        _MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )


class AssetNames:
    """Gives every packed file one stable name under a folder, however often it is used."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.by_source: dict[Path, Asset] = {}

    def add(self, source: Path) -> Asset:
        if source not in self.by_source:
            n = len(self.by_source) + 1
            safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in source.name)
            self.by_source[source] = Asset(
                source, f"{self.folder}/{n:03d}-{safe}", media_type(source)
            )
        return self.by_source[source]


def _find(src: str, article: Article, remote: Callable[[str], Path | None] | None) -> Path | None:
    """A local image file for ``src``: under the content root, or fetched from an allowed
    host into the cache."""
    if remote is not None and is_remote(src):
        return remote(src)
    return resolve_local(src, path=article.source, root=article.root)


def epub_stylesheets(theme: Theme) -> tuple[Asset, ...]:
    """The theme's EPUB stylesheets as files to pack, in order."""
    return tuple(
        Asset(path, f"css/{i:02d}-{path.name}", "text/css")
        for i, path in enumerate(theme.stylesheets("epub"), start=1)
    )


def cover_asset(path: Path) -> Asset:
    return Asset(path, f"images/cover{path.suffix.lower()}", media_type(path))


def cover_page(theme: Theme, cover: Asset, **context: Any) -> Page:
    """The EPUB cover page for ``cover`` (articles and books alike)."""
    xhtml = theme.render("cover.xhtml.j2", cover_href=cover.href, **context)
    return Page("cover.xhtml", "Cover", xhtml, kind="cover")


def render_epub(
    article: Article,
    parsed: Parsed,
    theme: Theme,
    *,
    build: Build,
    report: Report,
    remote: Callable[[str], Path | None] | None = None,
    apparatus: Apparatus | None = None,
) -> EpubPackage:
    """One article as an EPUB: a cover page when it has a cover, one chapter page, and an
    index page when the apparatus has an index."""
    names = AssetNames("images")
    resolve: Callable[[str], str | None]

    def resolve(src: str) -> str | None:
        found = _find(src, article, remote)
        if found is None or media_type(found).split("/")[0] != "image":
            return None
        check_image(found)
        return names.add(found).href

    hook = apparatus.hook(0, "epub") if apparatus else None
    prepared = prepare(
        parsed.html, target="epub", images=resolve, emit=_emitter(article, report), apparatus=hook
    )
    sheets = epub_stylesheets(theme)
    context = _context(article, parsed, theme, build, "epub")
    pages: list[Page] = []
    cover = None
    if article.meta.cover is not None:
        cover = cover_asset(article.meta.cover)
        pages.append(cover_page(theme, cover, stylesheets=[s.href for s in sheets], **context))
    chapter = theme.render(
        "chapter.xhtml.j2",
        body=Markup(prepared.html),
        stylesheets=[s.href for s in sheets],
        **context,
    )
    pages.append(Page("chapter.xhtml", article.meta.title, chapter, _toc_headings(parsed.headings)))
    if apparatus is not None and apparatus.index:
        pages.append(
            apparatus_page(theme, "index", apparatus, stylesheets=sheets, lang=article.meta.lang)
        )
    summary = "Text with headings for navigation and a table of contents." + (
        " Images carry their alternative text." if names.by_source else ""
    )
    return EpubPackage(
        meta=article.meta,
        build=build,
        pages=tuple(pages),
        assets=tuple(names.by_source.values()),
        stylesheets=sheets,
        cover=cover,
        accessibility_summary=summary,
    )


def apparatus_page(
    theme: Theme, kind: str, apparatus: Apparatus, *, stylesheets: Sequence[Asset], lang: str
) -> Page:
    """An EPUB page the apparatus generates: ``"index"``, ``"figures"`` or ``"tables"``."""
    if kind == "index":
        title, body, role = apparatus.words.index, apparatus.index_epub(), "index"
    else:
        title, entries = next((h, e) for k, h, e in apparatus.lists() if k == kind)
        body = "<ol>" + apparatus.list_entries(entries, "epub") + "</ol>"
        role = "loi" if kind == "figures" else "lot"
    xhtml = theme.render(
        "apparatus.xhtml.j2",
        title=title,
        role=role,
        body=Markup(body),
        stylesheets=[s.href for s in stylesheets],
        lang=lang,
        dir=direction(lang),
    )
    return Page(f"{kind}.xhtml", title, xhtml, kind=kind)


def _toc_headings(headings: tuple[Heading, ...]) -> tuple[Heading, ...]:
    """Headings for the navigation: the two top levels present in the body."""
    levels = sorted({h.level for h in headings})[:2]
    return tuple(h for h in headings if h.level in levels)

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
- Generated text is in the document's language (``Theme.messages``), dates in its
  locale's long form (``i18n.format_date``).
- ``package_epub`` finishes the EPUB of an article or a book alike: the navigation tree
  (nav document and NCX), the landmarks, the page list (from the page-break markers the
  pages carry, when the PDF layout gave ``PageBreaks``), the nav document rendered by the
  theme in the publication's language and direction, and the accessibility metadata
  measured by ``accessibility.describe``; its findings are reported.
- Code is highlighted in the theme's ``code_style`` (``code_css``); every built-in theme
  names a style whose colours meet WCAG AA on its background.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
import os
import re
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .accessibility import CONFORMANCE, describe
from .apparatus import Apparatus
from .assets import check_image
from .diagnostics import Report
from .i18n import direction, format_date
from .markdown.highlight import highlight_css
from .model import (
    Article,
    Asset,
    Build,
    EpubPackage,
    Finding,
    Heading,
    Landmark,
    Meta,
    NavPoint,
    Page,
    PageBreaks,
    Parsed,
    Target,
)
from .paths import is_remote, resolve_local
from .profiles import PROFILES, Profile
from .theme import Theme
from .tree import page_markers, prepare


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


# The code style when a theme names none: WCAG AA (4.5:1) on its own background, checked
# colour by colour (the ``accessible-pygments`` styles are made for that).
CODE_STYLE = "a11y-high-contrast-light"


def code_style(theme: Theme) -> str:
    return str(theme.options.get("code_style") or CODE_STYLE)


def code_css(theme: Theme, used: bool) -> Markup | str:
    """The stylesheet of highlighted code in the theme's style, or nothing when no page
    has code."""
    return Markup(highlight_css(code_style(theme))) if used else ""


def _context(article: Article, parsed: Parsed, theme: Theme, build: Build, target: Target) -> dict:
    meta = article.meta
    return {
        "meta": meta,
        "dek": _dek(meta.description, parsed.html),
        "title": meta.title,
        "lang": meta.lang,
        "dir": direction(meta.lang),
        "date": format_date(meta.date, meta.lang),
        "date_iso": w3c_date(meta.date),
        "headings": parsed.headings,
        "toc": _toc_headings(parsed.headings),
        "build": build,
        "target": target,
        "code_css": code_css(theme, parsed.has_code),
        "page_breaks": "",
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


def render_document(
    article: Article,
    parsed: Parsed,
    theme: Theme,
    *,
    build: Build,
    report: Report,
    profile: Profile = PROFILES["screen"],
    remote: Callable[[str], Path | None] | None = None,
    number_blocks: bool = False,
    apparatus: Apparatus | None = None,
) -> str:
    """The complete HTML document for WeasyPrint (and ``--format html``).

    ``remote`` fetches images from hosts the user allowed (see ``convert/remote.py``);
    ``number_blocks`` marks the blocks whose pages an EPUB page list will need;
    ``apparatus`` numbers, resolves and typesets (``convert/apparatus``) and gives the
    index at the end.
    """

    prepared = prepare(
        parsed.html,
        target="pdf",
        images=image_resolver(article, remote=remote),
        emit=article.locator().emitter(report),
        number_blocks=number_blocks,
        text=theme.messages(article.meta.lang),
        apparatus=apparatus.hook(0, "pdf") if apparatus else None,
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


def image_resolver(
    article: Article,
    *,
    names: AssetNames | None = None,
    remote: Callable[[str], Path | None] | None = None,
) -> Callable[[str], str | None]:
    """What an image's ``src`` becomes in the output: a ``file:`` URI for the PDF and HTML,
    or, given the EPUB's ``names``, the href of the packed file. ``None``: no such file
    under the content root (nor, with ``remote``, fetched from an allowed host), or, for
    the EPUB, a file that is not an image. An image no document should make us decode (a
    decompression bomb, a scripted SVG) raises ``ImageRefused``, the same in every path."""

    def resolve(src: str) -> str | None:
        if remote is not None and is_remote(src):
            found = remote(src)
        else:
            found = resolve_local(src, path=article.source, root=article.root)
        if found is None:
            return None
        if names is not None and media_type(found).split("/")[0] != "image":
            return None
        check_image(found)
        return names.add(found).href if names is not None else found.as_uri()

    return resolve


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
    text = theme.messages(str(context.get("lang") or "en"))
    title = text("Cover")
    return Page("cover.xhtml", title, xhtml, kind="cover")


def nav_tree(pages: Sequence[Page]) -> tuple[NavPoint, ...]:
    """The table of contents: every page but the cover, title and copyright pages, its
    headings nested by level under it; a book's chapters under their part (which leads
    to its first chapter)."""
    tree: list[NavPoint] = []
    part: tuple[str, list[NavPoint]] | None = None
    for page in pages:
        if page.kind in ("cover", "title", "copyright"):
            continue  # in the reading order, not in the contents
        entry = NavPoint(page.title, page.file_name, _nested(page.file_name, page.headings))
        if page.part is None:
            if part is not None:
                tree.append(NavPoint(part[0], part[1][0].href, tuple(part[1])))
                part = None
            tree.append(entry)
        elif part is not None and part[0] == page.part:
            part[1].append(entry)
        else:
            if part is not None:
                tree.append(NavPoint(part[0], part[1][0].href, tuple(part[1])))
            part = (page.part, [entry])
    if part is not None:
        tree.append(NavPoint(part[0], part[1][0].href, tuple(part[1])))
    return tuple(tree)


def _nested(file_name: str, headings: Sequence[Heading]) -> tuple[NavPoint, ...]:
    """Headings as a tree: each one holds the deeper ones that follow it."""
    kids: list[list[int]] = [[] for _ in headings]
    top: list[int] = []
    open_: list[int] = []  # indexes of the headings still open, shallowest first
    for index, heading in enumerate(headings):
        while open_ and headings[open_[-1]].level >= heading.level:
            open_.pop()
        (kids[open_[-1]] if open_ else top).append(index)
        open_.append(index)

    def freeze(index: int) -> NavPoint:
        heading = headings[index]
        children = tuple(freeze(k) for k in kids[index])
        return NavPoint(heading.text or heading.id, f"{file_name}#{heading.id}", children)

    return tuple(freeze(i) for i in top)


_MARKER = re.compile(r'<span epub:type="pagebreak"[^>]*\sid="([^"]+)"[^>]*\saria-label="([^"]+)"')


def page_list(pages: Sequence[Page], order: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """(href, label) of every page-break marker the pages carry, in print page order
    (``order``: every label in page order; the EPUB may put a page elsewhere, such as the
    copyright page at the back)."""
    rank = {label: i for i, label in enumerate(order)}
    found = []
    for page in pages:
        for ident, label in _MARKER.findall(page.xhtml):
            found.append((f"{page.file_name}#{ident}", label))
    return tuple(sorted(found, key=lambda item: rank.get(item[1], len(rank))))


def landmarks(pages: Sequence[Page], text: Callable[..., str]) -> tuple[Landmark, ...]:
    """Cover, title page, contents, where front matter, body and back matter begin, and
    an index when a page is one, in reading order (the contents after the title page)."""
    found: list[Landmark] = []
    seen: set[str] = set()

    def add(kind: str, href: str, title: str) -> None:
        if kind not in seen:
            seen.add(kind)
            found.append(Landmark(kind, href, title))

    for page in pages:
        if page.kind == "cover":
            add("cover", page.file_name, text("Cover"))
        elif page.kind == "title":
            add("frontmatter", page.file_name, page.title)
            add("titlepage", page.file_name, page.title)
        elif page.kind == "front":
            add("frontmatter", page.file_name, page.title)
        elif page.kind == "chapter":
            add("bodymatter", page.file_name, text("Start"))
        elif page.kind in ("back", "copyright"):
            add("backmatter", page.file_name, page.title)
        elif page.kind in ("index", "figures", "tables"):  # the apparatus's pages
            add("backmatter" if page.kind == "index" else "frontmatter", page.file_name, page.title)
            add({"index": "index", "figures": "loi", "tables": "lot"}[page.kind],
                page.file_name, page.title)  # fmt: skip
        if page.role == "index":
            add("index", page.file_name, page.title)
    contents = Landmark("toc", "nav.xhtml#toc", text("Contents"))
    at = next((i for i, mark in enumerate(found) if mark.type not in ("cover", "titlepage")), 0)
    found.insert(at, contents)
    return tuple(found)


def print_edition(theme: Theme, meta: Meta) -> str:
    """How an EPUB names the PDF its page numbers come from (``pageBreakSource``), when
    the source gives no identifier of its own."""
    size = str(theme.options.get("page_size", ""))
    text = theme.messages(meta.lang)
    return text("%(title)s, PDF edition, %(size)s", title=meta.title, size=size)


def package_epub(
    theme: Theme,
    *,
    meta: Meta,
    build: Build,
    pages: Sequence[Page],
    assets: Sequence[Asset],
    stylesheets: Sequence[Asset],
    cover: Asset | None,
    code: Markup | str,
    page_breaks: PageBreaks | None,
    report: Callable[[Finding], None],
    publisher: str = "",
    rights: str = "",
) -> EpubPackage:
    """Finish an EPUB: navigation, landmarks, page list and accessibility (see the
    module). ``report(finding)`` names each accessibility finding's source line."""
    text = theme.messages(meta.lang)
    toc = nav_tree(pages)
    marks = landmarks(pages, text)
    pagelist = page_list(pages, page_breaks.order) if page_breaks is not None else ()
    access = describe(
        pages,
        assets,
        text=text,
        code_css=str(code),
        page_list=bool(pagelist),
        page_break_source=page_breaks.source if page_breaks is not None else "",
        notes=any('epub:type="footnotes"' in page.xhtml for page in pages),
    )
    for finding in access.findings:
        report(finding)
    nav_title = text("Contents")
    nav = theme.render(
        "nav.xhtml.j2",
        lang=meta.lang,
        dir=direction(meta.lang),
        title=nav_title,
        book_title=meta.title,
        toc=toc,
        landmarks=marks,
        page_list=pagelist,
        stylesheets=[s.href for s in stylesheets],
    )
    return EpubPackage(
        meta=meta,
        build=build,
        pages=tuple(pages),
        assets=tuple(assets),
        stylesheets=tuple(stylesheets),
        cover=cover,
        toc=toc,
        landmarks=marks,
        nav=nav,
        nav_title=nav_title,
        accessibility=access,
        conformance=CONFORMANCE if access.conforms else "",
        publisher=publisher,
        rights=rights,
    )


def render_epub(
    article: Article,
    parsed: Parsed,
    theme: Theme,
    *,
    build: Build,
    report: Report,
    remote: Callable[[str], Path | None] | None = None,
    page_breaks: PageBreaks | None = None,
    apparatus: Apparatus | None = None,
) -> EpubPackage:
    """One article as an EPUB: a cover page when it has a cover, one chapter page, and an
    index page when the apparatus has an index.

    ``page_breaks`` (from the layout of the same article's PDF) puts the print pages in:
    markers where they begin and a page list."""
    names = AssetNames("images")
    emit = article.locator().emitter(report)
    text = theme.messages(article.meta.lang)
    prepared = prepare(
        parsed.html,
        target="epub",
        images=image_resolver(article, names=names, remote=remote),
        emit=emit,
        page_breaks=page_breaks.at if page_breaks is not None else None,
        text=text,
        apparatus=apparatus.hook(0, "epub") if apparatus else None,
    )
    sheets = epub_stylesheets(theme)
    context = _context(article, parsed, theme, build, "epub")
    if page_breaks is not None:
        context["page_breaks"] = Markup(page_markers(page_breaks.at.get(START, ())))
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

    def finding(found: Finding) -> None:
        emit(found.code, found.needle, found.message, found.fix, found.severity)

    return package_epub(
        theme,
        meta=article.meta,
        build=build,
        pages=pages,
        assets=tuple(names.by_source.values()),
        stylesheets=sheets,
        cover=cover,
        code=context["code_css"],
        page_breaks=page_breaks,
        report=finding,
    )


# The page-level key of an article's start (its title block) in ``PageBreaks``.
START = "start"


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

"""Books: a ``book.toml`` manifest → one PDF and one EPUB of many chapters.

Contract:
- ``read_book(path)`` parses the manifest (metadata, theme and options, front matter,
  chapters or parts of chapters as files or globs, back matter) and refuses a bad one with
  a ``BookError`` naming the key.
- ``build_book(book, outdir, …)`` runs every chapter through the same stages as a single
  article (load → normalize → parse, with diagnostics naming the chapter file and line),
  then joins them: one link graph for the whole book (ids namespaced per chapter so two
  chapters may both have "References"; ``other.md#section`` links resolve to the other
  chapter in both outputs; a dangling one is reported and unlinked, never written broken),
  one HTML document for the PDF, one XHTML page per chapter for the EPUB.
- Chapters are cached by content hash in ``OUTDIR/.cache``: a rebuild after editing one
  chapter loads, normalizes and parses only that one (the cache key covers the file's
  bytes, the tool version and the rules), so output is never stale.
- The EPUB carries the print pages of the PDF laid out in the same run (page-break markers
  and a page list, ``PageBreaks``): the PDF is laid out first, the EPUB rendered with the
  pages its blocks landed on. With only the EPUB asked for, the PDF is laid out for that
  only when ``page_list`` is set (it costs the layout's time).
"""

from __future__ import annotations

import glob
import hashlib
import os
import pickle
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from markupsafe import Markup

from . import __version__
from .apparatus import Apparatus, Doc, Settings
from .apparatus.marks import Term, read_terms
from .diagnostics import Diagnostic, Location, Report, Severity
from .errors import ConvertError
from .folios import PageLabels
from .i18n import format_date
from .load import LoadOptions, load, parse_date
from .model import Article, Meta, Page, PageBreaks, Parsed
from .normalize import RULES, normalize
from .parse import parse
from .paths import is_remote
from .profiles import Profile
from .profiles import get as get_profile
from .render import (
    AssetNames,
    Build,
    EpubPackage,
    apparatus_page,
    build_for,
    code_css,
    cover_asset,
    cover_page,
    direction,
    epub_stylesheets,
    media_type,
    package_epub,
    print_edition,
)
from .theme import Theme, load_theme
from .tree import page_markers, prepare, split_tables

KINDS = ("front", "chapter", "back")


class BookError(ConvertError):
    code = "book.invalid"


@dataclass(frozen=True, slots=True)
class Entry:
    """One file of the book in reading order."""

    path: Path
    kind: str  # "front", "chapter" or "back"
    part: int | None = None  # index into Book.parts
    role: str = ""  # front/back: "dedication", "preface", "appendix", "colophon", …


@dataclass(frozen=True, slots=True)
class BookSpec:
    manifest: Path
    root: Path
    meta: Meta
    theme: str
    options: dict[str, Any]
    publisher: str
    rights: str
    identifier: str
    parts: tuple[str, ...]  # "" for a part without a title: "Part 2" in the book's language
    entries: tuple[Entry, ...]
    page_break_source: str = ""  # the print edition's identifier (an ISBN URN), if given
    index_terms: tuple[Term, ...] = ()  # [index] terms: indexed wherever they occur


def _text(data: dict[str, Any], key: str, where: Path) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise BookError(f"'{key}' must be text", path=where)
    return value.strip()


def _files(patterns: Any, base: Path, where: Path, key: str) -> list[Path]:
    """Files for a list of paths or globs, in the order given (a glob sorted)."""
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise BookError(f"'{key}' must be a list of file names or globs", path=where)
    found: list[Path] = []
    for pattern in patterns:
        matches = sorted(Path(p) for p in glob.glob(str(base / pattern)))
        if not matches:
            raise BookError(
                f"'{key}': {pattern!r} matches no file", path=where, code="book.missing-chapter"
            )
        for match in matches:
            if not match.resolve().is_relative_to(base.resolve()):
                raise BookError(f"'{key}': {pattern!r} is outside the book folder", path=where)
            if match not in found:
                found.append(match)
    return found


def _matter(items: Any, kind: str, base: Path, where: Path) -> list[Entry]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise BookError(f"'{kind}' must be a list of tables with a 'file'", path=where)
    entries = []
    for item in items:
        if isinstance(item, str):
            item = {"file": item}
        if not isinstance(item, dict) or "file" not in item:
            raise BookError(f"each '{kind}' entry needs a 'file'", path=where)
        for path in _files(item["file"], base, where, kind):
            entries.append(
                Entry(path, "front" if kind == "front" else "back", role=str(item.get("role", "")))
            )
    return entries


def read_book(manifest: Path) -> BookSpec:
    """Parse ``book.toml`` (see the README for its keys)."""
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BookError("no such file", path=manifest, code="load.missing") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BookError(f"not valid TOML: {exc}", path=manifest) from None
    base = manifest.parent
    info = data.get("book", data)
    title = _text(info, "title", manifest)
    if not title:
        raise BookError("the book has no 'title'", path=manifest)
    authors = info.get("authors", info.get("author", []))
    authors = (authors,) if isinstance(authors, str) else tuple(str(a) for a in authors)
    cover = None
    if info.get("cover"):
        cover = (base / str(info["cover"])).resolve()
        if not cover.is_file() or not cover.is_relative_to(base.resolve()):
            raise BookError(
                f"cover {info['cover']!r} is not a file in the book folder",
                path=manifest,
                code="book.cover",
            )
    meta = Meta(
        title=title,
        subtitle=_text(info, "subtitle", manifest),
        authors=authors,
        date=parse_date(info.get("date")) if info.get("date") else None,
        lang=_text(info, "language", manifest) or _text(info, "lang", manifest) or "en",
        cover=cover,
        description=_text(info, "description", manifest),
        tags=tuple(str(t) for t in info.get("subjects", info.get("tags", []))),
    )
    entries = _matter(data.get("front"), "front", base, manifest)
    parts: list[str] = []
    if "parts" in data:
        if not isinstance(data["parts"], list):
            raise BookError("'parts' must be a list of tables", path=manifest)
        for index, part in enumerate(data["parts"]):
            if not isinstance(part, dict) or "chapters" not in part:
                raise BookError("each part needs 'title' and 'chapters'", path=manifest)
            parts.append(str(part.get("title", "")))
            for path in _files(part["chapters"], base, manifest, "chapters"):
                entries.append(Entry(path, "chapter", part=index))
    if "chapters" in data or "chapters" in info:
        for path in _files(data.get("chapters", info.get("chapters")), base, manifest, "chapters"):
            entries.append(Entry(path, "chapter"))
    if not any(e.kind == "chapter" for e in entries):
        raise BookError("the book has no chapters", path=manifest)
    entries += _matter(data.get("back"), "back", base, manifest)
    theme = data.get("theme", {})
    theme_name = (
        theme.get("name", info.get("theme", "base")) if isinstance(theme, dict) else str(theme)
    )
    options = dict(theme.get("options", {})) if isinstance(theme, dict) else {}
    return BookSpec(
        manifest=manifest,
        root=base.resolve(),
        meta=meta,
        theme=str(theme_name),
        options=options,
        publisher=_text(info, "publisher", manifest),
        rights=_text(info, "rights", manifest),
        identifier=_text(info, "identifier", manifest),
        parts=tuple(parts),
        entries=tuple(entries),
        page_break_source=_text(info, "page_break_source", manifest),
        index_terms=read_terms(data.get("index"), manifest),
    )


# ---------------------------------------------------------------------------------------
# Chapters: prepared once, cached by content.


@dataclass(frozen=True, slots=True)
class Prepared:
    entry: Entry
    article: Article
    parsed: Parsed
    diagnostics: tuple[Diagnostic, ...]
    number: int  # 1-based position in the book
    anchor: str  # the chapter's own id in the one-document PDF: "c3"
    file_name: str  # its EPUB page: "chapter-03.xhtml"
    # Its language: its own when its frontmatter names one (or it was detected), else the
    # book's (a chapter file without "lang" is not English in a Ukrainian book).
    lang: str = "en"


class ChapterCache:
    """``OUTDIR/.cache``: (article, parsed, diagnostics) per chapter, keyed by content."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0

    def key(self, path: Path, root: Path, context: Sequence[str] = ()) -> str:
        h = hashlib.sha256()
        h.update("\0".join(context).encode())
        h.update(__version__.encode())
        h.update(",".join(rule.name for rule in RULES).encode())
        h.update(str(path.resolve()).encode() + b"\0" + str(root).encode() + b"\0")
        h.update(path.read_bytes())
        return h.hexdigest()

    def _trusted(self, path: Path) -> bool:
        """Unpickling runs code, so only files this user wrote into a folder nobody else
        can write are read back (an OUTDIR shared with others is never trusted)."""
        try:
            folder, entry = self.folder.stat(), path.stat()  # type: ignore[union-attr]
        except OSError:
            return False
        uid = os.getuid()
        return folder.st_uid == entry.st_uid == uid and not folder.st_mode & 0o022

    def get(self, key: str) -> Any:
        if self.folder is None:
            return None
        if not self._trusted(self.folder / key):
            self.misses += 1
            return None
        try:
            with (self.folder / key).open("rb") as handle:
                value = pickle.load(handle)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        from .files import atomic_output

        with atomic_output(self.folder / key) as tmp:
            tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def prepare_chapters(spec: BookSpec, report: Report, cache: ChapterCache) -> list[Prepared]:
    chapters = []
    sources = frozenset(entry.path.resolve() for entry in spec.entries)
    for number, entry in enumerate(spec.entries, start=1):
        # The other chapters' names are part of the key: links to them depend on them.
        key = cache.key(entry.path, spec.root, sorted(map(str, sources)))
        hit = cache.get(key)
        if hit is None:
            own = report.child()
            article = load(entry.path, own, LoadOptions(root=spec.root))
            article = normalize(article, own, book_sources=sources)
            parsed = parse(article)
            hit = (article, parsed, tuple(own))
            cache.put(key, hit)
        article, parsed, diagnostics = hit
        report.extend(diagnostics)
        chapters.append(
            Prepared(
                entry,
                article,
                parsed,
                diagnostics,
                number,
                f"c{number}",
                f"chapter-{number:02d}.xhtml",
                article.meta.lang if article.meta.lang_source != "default" else spec.meta.lang,
            )
        )
    return chapters


# ---------------------------------------------------------------------------------------
# One link graph for the whole book.


@dataclass(slots=True)
class LinkGraph:
    """Where every chapter and every id lives, for both outputs."""

    by_path: dict[Path, Prepared] = field(default_factory=dict)
    ids: dict[str, set[str]] = field(default_factory=dict)  # chapter anchor → its ids

    @classmethod
    def of(cls, chapters: Sequence[Prepared]) -> LinkGraph:
        graph = cls()
        for chapter in chapters:
            graph.by_path[chapter.entry.path.resolve()] = chapter
            graph.ids[chapter.anchor] = _ids_of(chapter.parsed.html)
        return graph

    def resolve(
        self, href: str, chapter: Prepared, target: str, report: Report | None = None
    ) -> str | None:
        """``other.md#sec`` → ``#c4-sec`` (pdf) or ``chapter-04.xhtml#sec`` (epub).

        A link to a section the other chapter does not have leads to that chapter's
        start, reported (once, for the PDF pass) as ``link.chapter-fragment``.
        """
        if is_remote(href) or href.startswith("#"):
            return href
        path_part, _, fragment = href.partition("#")
        path = (chapter.entry.path.parent / unquote(path_part)).resolve()
        other = self.by_path.get(path)
        if other is None:
            return None
        fragment = unquote(fragment)
        if fragment and fragment not in self.ids[other.anchor]:
            if report is not None:
                report.add(
                    Diagnostic(
                        "link.chapter-fragment",
                        Severity.WARNING,
                        Location(chapter.article.source, _line_of(chapter, href)),
                        f"{path_part} has no section #{fragment}",
                        "linked to the chapter's start",
                    )
                )
            fragment = ""
        if target == "epub":
            return other.file_name + (f"#{fragment}" if fragment else "")
        return f"#{other.anchor}-{fragment}" if fragment else f"#{other.anchor}"


def _line_of(chapter: Prepared, needle: str) -> int | None:
    for index, text in enumerate(chapter.article.markdown.split("\n")):
        if needle in text:
            return chapter.article.line_of(index)
    return None


def _ids_of(html: str) -> set[str]:
    import re

    return set(re.findall(r'\sid="([^"]+)"', html))


# ---------------------------------------------------------------------------------------
# Rendering and writing.


def _chapter_title(chapter: Prepared) -> str:
    return chapter.article.meta.title


def _emitter(chapter: Prepared, report: Report):
    lines = chapter.article.markdown.split("\n")

    def emit(code: str, needle: str, message: str, fix: str | None, severity: Severity) -> None:
        line = next((i for i, text in enumerate(lines) if needle and needle in text), None)
        where = chapter.article.line_of(line) if line is not None else None
        report.add(
            Diagnostic(code, severity, Location(chapter.article.source, where), message, fix)
        )

    return emit


def _image_resolver(chapter: Prepared, root: Path, names: Any = None):
    from .paths import resolve_local

    def image(src: str) -> str | None:
        found = resolve_local(src, path=chapter.article.source, root=root)
        if found is None:
            return None
        if names is None:
            return found.as_uri()
        if media_type(found).split("/")[0] != "image":
            return None
        return names.add(found).href

    return image


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
                _emitter(chapter, report),
                prefix=prefix,
                pdf_prefix=f"{chapter.anchor}-",
                file_name=chapter.file_name,
                roman=chapter.entry.kind == "front",
            )
        )
    settings = Settings.of(theme.options, spec.meta.lang, spec.index_terms)
    return Apparatus.build(docs, [c.parsed.html for c in chapters], settings)


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
            images=_image_resolver(chapter, spec.root),
            emit=_emitter(chapter, report),
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
) -> str:
    """The whole book as one HTML document for WeasyPrint (``front_only``: only the pages
    before the main matter, laid out to count them); ``apparatus`` adds the lists of
    figures and tables after the contents and the index at the end."""
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
        index_body=Markup(apparatus.index_pdf()) if apparatus else "",
        index_title=apparatus.words.index if apparatus else "",
    )


def _book_css(theme: Theme) -> list[Path]:
    try:
        return [theme.find("css/book.css")]
    except ConvertError:
        return []


def _code_css(theme: Theme, chapters: Sequence[Prepared]) -> Markup | str:
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
        emitters[chapter.file_name] = emit = _emitter(chapter, report)
        body = prepare(
            chapter.parsed.html,
            target="epub",
            images=_image_resolver(chapter, spec.root, names),
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
            code_css=_code_css(theme, [chapter]),
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

    def finding(code: str, page: str, needle: str, message: str) -> None:
        severity = Severity.WARNING if code == "a11y.contrast" else Severity.INFO
        fix = "the EPUB does not claim WCAG 2.2 AA conformance"
        if page in emitters:
            emitters[page](code, needle, message, fix, severity)
        else:
            report.add(Diagnostic(code, severity, Location(spec.manifest), message, fix))

    return package_epub(
        theme,
        meta=spec.meta,
        build=build,
        pages=pages,
        assets=tuple(names.by_source.values()),
        stylesheets=sheets,
        cover=cover,
        code=_code_css(theme, chapters),
        page_breaks=page_breaks,
        report=finding,
        publisher=spec.publisher,
        rights=spec.rights,
    )


def _nav_headings(chapter: Prepared) -> tuple:
    headings = chapter.parsed.headings
    top = min((h.level for h in headings), default=2)
    return tuple(h for h in headings if h.level == top)


@dataclass(frozen=True, slots=True)
class BookResult:
    outputs: dict[str, Path]
    chapters: int
    pages: int
    cache_hits: int
    cache_misses: int


def build_book(
    manifest: Path,
    outdir: Path,
    *,
    formats: Sequence[str] = ("pdf", "epub"),
    profile: str = "screen",
    report: Report,
    use_cache: bool = True,
    page_list: bool = False,
) -> BookResult:
    """Build the book described by ``manifest`` into ``outdir`` (see the module docstring)."""
    from .pipeline import profile_theme, self_check
    from .writers import pdf as pdf_writer
    from .writers.epub import write_epub
    from .writers.html import write_html

    spec = read_book(manifest)
    chosen = get_profile(profile)
    theme = profile_theme(spec.theme, spec.options, chosen, report, spec.manifest)
    text = theme.messages(spec.meta.lang)
    spec = replace(
        spec,
        parts=tuple(t or text("Part %(n)s", n=i + 1) for i, t in enumerate(spec.parts)),
    )
    cache = ChapterCache(outdir / ".cache" if use_cache else None)
    chapters = prepare_chapters(spec, report, cache)
    key = spec.meta.title + "".join(c.article.markdown for c in chapters)
    build = build_for(spec.meta, key)
    stem = spec.manifest.parent.name if spec.manifest.name == "book.toml" else spec.manifest.stem
    outputs: dict[str, Path] = {}
    pages = 0
    epub = "epub" in formats
    layout = labels = None
    html = ""
    apparatus = book_apparatus(spec, chapters, theme, report)
    if {"pdf", "html"} & set(formats) or (epub and page_list):
        contexts = pdf_chapters(
            spec, chapters, report=report, theme=theme, number_blocks=epub, apparatus=apparatus
        )
        highlight = _code_css(theme, chapters)
        roots = (spec.root, *theme.dirs)

        def document(front_pages: int, theme: Theme, front_only: bool = False) -> str:
            return render_book_document(
                spec,
                contexts,
                theme,
                build=build,
                profile=chosen,
                front_pages=front_pages,
                code_css=highlight,
                front_only=front_only,
                apparatus=apparatus,
            )

        front = _front_pages_hint(cache, spec)
        if front is None:
            # Count the front matter's pages on a document of the front matter alone (a
            # few pages), so the whole book is usually laid out once, not twice.
            alone = document(0, theme, front_only=True)
            front = pdf_writer.layout_pdf(
                alone, base=spec.root, roots=roots, source=spec.manifest
            ).pages
        # The page counter restarts at the main matter through a reset on the first page,
        # which needs the length of the front matter; a store's gutter depends on the page
        # count. Both are known after a layout: lay out again until they hold (twice at
        # most in practice).
        for _attempt in range(4):
            html = document(front, theme)
            layout = pdf_writer.layout_pdf(html, base=spec.root, roots=roots, source=spec.manifest)
            layout = pdf_writer.fit(layout, split_tables, base=spec.root, roots=roots)
            actual = layout.page_of("main-matter", default=1) - 1
            settled = profile_theme(
                spec.theme, spec.options, chosen, report, spec.manifest, pages=layout.pages
            )
            if actual == front and settled.options == theme.options:
                break
            front, theme = actual, settled
        cache.put(_front_key(spec), front)

        def folios(layout: pdf_writer.Layout) -> PageLabels:
            return PageLabels.book(
                layout.pages,
                front=layout.page_of("title-page", default=1) or 1,
                main=layout.page_of("main-matter", default=1) or 1,
            )

        if apparatus.index:  # the index's page numbers, from the layout just made
            layout = apparatus.paged_index(
                layout,
                lambda html: pdf_writer.layout_pdf(
                    html, base=spec.root, roots=roots, source=spec.manifest
                ),
                folios(layout).label,
            )
        html = layout.html
        labels = folios(layout)
    if epub:
        # The EPUB after the layout: it carries the pages the PDF's blocks landed on.
        breaks = None
        if layout is not None and labels is not None:
            source = spec.page_break_source or print_edition(theme, spec.meta)
            breaks = layout.page_breaks(source, labels)
        package = render_book_epub(
            spec,
            chapters,
            theme,
            build=build,
            report=report,
            page_breaks=breaks,
            apparatus=apparatus,
        )
        outputs["epub"] = write_epub(package, outdir / f"{stem}.epub")
    if layout is not None:
        if "html" in formats:
            outputs["html"] = write_html(html, outdir / f"{stem}.html")
        if "pdf" in formats:
            result = pdf_writer.save_pdf(
                layout,
                outdir / f"{stem}.pdf",
                report=report,
                profile=chosen,
                labels=labels,
                identifier=build.identifier.encode("ascii"),
            )
            pages = result.pages
            outputs["pdf"] = outdir / f"{stem}.pdf"
    self_check(chosen, outputs, report)
    return BookResult(outputs, len(chapters), pages, cache.hits, cache.misses)


def _front_key(spec: BookSpec) -> str:
    return "front-" + hashlib.sha256(str(spec.manifest.resolve()).encode()).hexdigest()[:16]


def _front_pages_hint(cache: ChapterCache, spec: BookSpec) -> int | None:
    hint = cache.get(_front_key(spec))
    return hint if isinstance(hint, int) else None


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


__all__ = ["BookError", "BookSpec", "build_book", "dependencies", "read_book"]

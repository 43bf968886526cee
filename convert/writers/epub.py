"""EPUB 3 writer (the only module that imports ebooklib).

Contract: ``write_epub(package, out)`` packs the rendered pages, images and stylesheets of
an ``EpubPackage`` into an EPUB 3 with a nav document and an NCX, the required metadata
(identifier, title, language, ``dcterms:modified``), authors, description, subjects,
accessibility metadata, landmarks and the cover when there is one. The file is written
atomically and is byte-for-byte reproducible: ebooklib stamps zip entries with the wall
clock, so its output is repacked with fixed timestamps in a fixed order (``mimetype``
first, stored).

Works around ebooklib 0.20: ``write_epub`` returns ``False`` on I/O errors unless
``raise_exceptions`` is set, and ``dcterms:modified`` is ``now()`` unless ``mtime`` is given.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from ebooklib import epub

from ..errors import WriteError
from ..model import Heading
from ..render import EpubPackage, direction
from . import atomic_output


def _accessibility(book: epub.EpubBook, package: EpubPackage) -> None:
    features = ["structuralNavigation", "tableOfContents", "readingOrder"]
    if package.assets or package.cover:
        features.append("alternativeText")
    entries = [("schema:accessMode", "textual")]
    if package.assets or package.cover:
        entries.append(("schema:accessMode", "visual"))
    entries.append(("schema:accessModeSufficient", "textual"))
    entries += [("schema:accessibilityFeature", f) for f in features]
    entries.append(("schema:accessibilityHazard", "none"))
    entries.append(("schema:accessibilitySummary", package.accessibility_summary))
    for prop, value in entries:
        book.add_metadata(None, "meta", value, {"property": prop})


def _toc(file_name: str, title: str, headings: Sequence[Heading], uid: str) -> object:
    """Nav entries for one page: the page itself, its headings nested by level."""
    children: list[object] = []
    top = min((h.level for h in headings), default=0)
    stack: list[tuple[int, list[object]]] = [(top - 1, children)]
    for i, h in enumerate(headings):
        entry: list[object] = []
        while stack and stack[-1][0] >= h.level:
            stack.pop()
        link = epub.Link(f"{file_name}#{h.id}", h.text or h.id, f"{uid}-{i}")
        stack[-1][1].append([link, entry])
        stack.append((h.level, entry))
    flat = _flatten(children)
    page = epub.Link(file_name, title, uid)
    return (page, flat) if flat else page


def _flatten(items: list[object]) -> list[object]:
    """ebooklib wants a bare Link for a leaf and a (Link, children) tuple for a branch."""
    out: list[object] = []
    for link, children in items:  # type: ignore[misc]
        out.append((link, _flatten(children)) if children else link)
    return out


def _book(package: EpubPackage) -> epub.EpubBook:
    meta, build = package.meta, package.build
    book = epub.EpubBook()
    book.set_identifier(build.identifier)
    book.set_title(meta.title)
    book.set_language(meta.lang)
    if direction(meta.lang) == "rtl":
        book.set_direction("rtl")
    for i, author in enumerate(meta.authors):
        book.add_author(author, uid=f"creator{i}")
    if meta.description:
        book.add_metadata("DC", "description", meta.description)
    if meta.date:
        book.add_metadata("DC", "date", meta.date.isoformat())
    for tag in meta.tags:
        book.add_metadata("DC", "subject", tag)
    if package.publisher:
        book.add_metadata("DC", "publisher", package.publisher)
    if package.rights:
        book.add_metadata("DC", "rights", package.rights)
    _accessibility(book, package)

    for i, sheet in enumerate(package.stylesheets):
        book.add_item(
            epub.EpubItem(
                uid=f"css{i}",
                file_name=sheet.href,
                media_type=sheet.media_type,
                content=sheet.source.read_bytes(),
            )
        )
    for i, asset in enumerate(package.assets):
        book.add_item(
            epub.EpubImage(
                uid=f"img{i}",
                file_name=asset.href,
                media_type=asset.media_type,
                content=asset.source.read_bytes(),
            )
        )
    if package.cover is not None:
        cover = epub.EpubImage(
            uid="cover-image",
            file_name=package.cover.href,
            media_type=package.cover.media_type,
            content=package.cover.source.read_bytes(),
        )
        cover.properties = ["cover-image"]
        book.add_item(cover)
        book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})

    spine: list[object] = []
    toc: list[object] = []
    current_part: tuple[object, list[object]] | None = None
    for i, page in enumerate(package.pages):
        item = epub.EpubItem(
            uid=f"page{i}",
            file_name=page.file_name,
            media_type="application/xhtml+xml",
            content=page.xhtml.encode("utf-8"),
        )
        if "<math" in page.xhtml:
            item.properties = ["mathml"]  # EPUB 3 asks for it on pages with MathML (OPF-014)
        book.add_item(item)
        spine.append(item)
        if page.kind == "cover":
            book.guide.append({"type": "cover", "href": page.file_name, "title": "Cover"})
            continue
        if page.kind in ("title", "copyright"):
            continue  # in the reading order, not in the contents
        if page.kind in ("index", "figures", "tables"):  # the apparatus's pages
            landmark = {"index": "index", "figures": "loi", "tables": "lot"}[page.kind]
            book.guide.append({"type": landmark, "href": page.file_name, "title": page.title})
        entry = _toc(page.file_name, page.title, page.headings, f"toc{i}")
        if page.part is None:
            current_part = None
            toc.append(entry)
        else:
            if current_part is None or current_part[0].title != page.part:  # type: ignore[attr-defined]
                current_part = (epub.Section(page.part, page.file_name), [])
                toc.append(current_part)
            current_part[1].append(entry)
    first_text = next(p for p in package.pages if p.kind == "chapter")
    book.guide.append({"type": "text", "href": first_text.file_name, "title": "Start"})
    book.guide.append({"type": "toc", "href": "nav.xhtml", "title": "Contents"})
    book.toc = toc
    book.add_item(epub.EpubNcx())
    nav = epub.EpubNav(title="Contents")
    book.add_item(nav)
    # The nav document is a landmark target, so it must be in the spine (EPUBCheck
    # RSC-011); "linear: no" keeps it out of the reading order.
    book.spine = [*spine, (nav, "no")]
    return book


def write_epub(package: EpubPackage, out: Path) -> Path:
    """Write ``package`` as an EPUB 3 file at ``out`` (atomically, reproducibly)."""
    book = _book(package)
    mtime = package.build.date.replace(tzinfo=None)
    with tempfile.TemporaryDirectory(prefix="pressroom-epub-") as scratch:
        raw = Path(scratch) / "raw.epub"
        try:
            epub.write_epub(str(raw), book, {"raise_exceptions": True, "mtime": mtime})
        except OSError as exc:
            raise WriteError(f"EPUB packing failed: {exc}", path=out, code="epub.write") from None
        with atomic_output(out) as tmp:
            _repack(raw, tmp, package.build.date)
    return out


def _repack(raw: Path, target: Path, when: dt.datetime) -> None:
    """Copy the zip ``raw`` to ``target`` with fixed timestamps and attributes."""
    stamp = max(when.replace(tzinfo=None), dt.datetime(1980, 1, 1)).timetuple()[:6]
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(target, "w") as dst:
        names = src.namelist()
        ordered = ["mimetype", *(n for n in names if n != "mimetype")]
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(name), compresslevel=9 if name != "mimetype" else None)

"""EPUB 3 writer (the only module that imports ebooklib).

Contract: ``write_epub(package, out)`` packs the rendered pages, images and stylesheets of
an ``EpubPackage`` into an EPUB 3: the nav document the theme rendered (contents,
landmarks, page list), an NCX built from the same contents tree, the required metadata
(identifier, title, language, ``dcterms:modified``), authors, description, subjects, the
accessibility metadata the package measured (``dcterms:conformsTo`` only when its checks
passed; ``pageBreakSource`` with a page list), an EPUB 2 guide from
the landmarks, and the cover when there is one. ``<package>`` carries the publication's
``xml:lang`` and, for a right-to-left language, ``dir``. Nothing here writes words of its
own: every title comes from the package, in the publication's language. The file is
written atomically and is byte-for-byte reproducible: ebooklib stamps zip entries with
the wall clock, so its output is repacked with fixed timestamps in a fixed order
(``mimetype`` first, stored).

Works around ebooklib 0.20: ``write_epub`` returns ``False`` on I/O errors unless
``raise_exceptions`` is set, ``dcterms:modified`` is ``now()`` unless ``mtime`` is given,
and it never sets ``xml:lang`` on ``<package>`` (a subclass of its writer does).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from ebooklib import epub

from ..errors import WriteError
from ..files import atomic_output
from ..i18n import direction
from ..model import EpubPackage, NavPoint


def _accessibility(book: epub.EpubBook, package: EpubPackage) -> None:
    access = package.accessibility
    entries = [("schema:accessMode", mode) for mode in access.modes]
    entries += [("schema:accessModeSufficient", mode) for mode in access.sufficient]
    entries += [("schema:accessibilityFeature", feature) for feature in access.features]
    entries += [("schema:accessibilityHazard", hazard) for hazard in access.hazards]
    entries.append(("schema:accessibilitySummary", access.summary))
    if package.conformance:
        entries.append(("dcterms:conformsTo", package.conformance))
        entries.append(("a11y:certifiedBy", "Pressroom"))
    if access.page_break_source:
        # EPUB 3.3's own property (no prefix), which EPUBCheck 5 and Ace both read.
        entries.append(("pageBreakSource", access.page_break_source))
    for prop, value in entries:
        book.add_metadata(None, "meta", value, {"property": prop})


def _ncx(points: Sequence[NavPoint], uid: str) -> list[object]:
    """The contents tree as ebooklib wants it for the NCX: a bare Link for a leaf, a
    (Section, children) tuple for a branch."""
    out: list[object] = []
    for i, point in enumerate(points):
        ident = f"{uid}-{i}"
        if point.children:
            out.append((epub.Section(point.title, point.href), _ncx(point.children, ident)))
        else:
            out.append(epub.Link(point.href, point.title, ident))
    return out


# EPUB 2 guide types for the landmarks that have one.
_GUIDE = {
    "cover": "cover",
    "toc": "toc",
    "bodymatter": "text",
    "index": "index",
    "loi": "loi",
    "lot": "lot",
}


class _Writer(epub.EpubWriter):
    """ebooklib's writer, with the publication's language (and direction) on
    ``<package>``, where EPUB wants it and ebooklib never puts it."""

    def __init__(self, name: str, book: epub.EpubBook, options: dict, lang: str, rtl: bool):
        super().__init__(name, book, options)
        self.lang = lang
        self.rtl = rtl

    def _write_opf_file(self, root: object) -> None:
        root.set("{http://www.w3.org/XML/1998/namespace}lang", self.lang)  # type: ignore[attr-defined]
        if self.rtl:
            root.set("dir", "rtl")  # type: ignore[attr-defined]
        super()._write_opf_file(root)


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
    for mark in package.landmarks:
        if mark.type in _GUIDE:
            href = mark.href if mark.type != "toc" else "nav.xhtml"
            book.guide.append({"type": _GUIDE[mark.type], "href": href, "title": mark.title})
    book.toc = _ncx(package.toc, "toc")
    book.add_item(epub.EpubNcx())
    nav = epub.EpubItem(
        uid="nav",
        file_name="nav.xhtml",
        media_type="application/xhtml+xml",
        content=package.nav.encode("utf-8"),
    )
    nav.properties = ["nav"]
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
        rtl = direction(package.meta.lang) == "rtl"
        writer = _Writer(str(raw), book, {"mtime": mtime}, package.meta.lang, rtl)
        try:
            writer.process()
            writer.write()
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

"""Preflight of an EPUB for a store (see ``preflight/__init__.py`` for the contract).

EPUBCheck judges the format; these checks add what a store asks beyond it, from the
profile's ``EpubRules``:

- ``preflight.epub-container``: the zip must start with an uncompressed ``mimetype``
  entry reading ``application/epub+zip`` and name its package in
  ``META-INF/container.xml``.
- ``preflight.epub-cover``: a cover image in the manifest (``properties="cover-image"``),
  raster (stores convert no SVG cover), at least the store's size in pixels.
- ``preflight.epub-ncx``: an NCX table of contents, which Kindle still reads.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from ..assets import image_size
from ..diagnostics import Diagnostic, Location, Severity
from ..profiles import Profile
from . import PreflightError

_OPF = "{http://www.idpf.org/2007/opf}"
_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"


def check_epub(path: Path, profile: Profile) -> list[Diagnostic]:
    findings: list[Diagnostic] = []

    def add(code: str, severity: Severity, message: str, fix: str) -> None:
        findings.append(Diagnostic(f"preflight.{code}", severity, Location(path), message, fix))

    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PreflightError(f"not a readable EPUB: {exc}", path=path) from None
    with archive:
        entries = archive.infolist()
        first = entries[0] if entries else None
        if (
            first is None
            or first.filename != "mimetype"
            or first.compress_type != zipfile.ZIP_STORED
            or archive.read(first).strip() != b"application/epub+zip"
        ):
            add(
                "epub-container",
                Severity.ERROR,
                "the first entry is not an uncompressed 'mimetype' of application/epub+zip",
                "repackage the EPUB",
            )
        try:
            container = ElementTree.fromstring(archive.read("META-INF/container.xml"))
            rootfile = container.find(f".//{_CONTAINER}rootfile")
            opf_name = rootfile.get("full-path", "") if rootfile is not None else ""
            package = ElementTree.fromstring(archive.read(opf_name))
        except (KeyError, ElementTree.ParseError):
            add("epub-container", Severity.ERROR, "no readable package document", "repackage")
            return findings
        rules = profile.epub
        if rules is None:
            return findings
        items = package.findall(f"{_OPF}manifest/{_OPF}item")
        base = posixpath.dirname(opf_name)
        cover = next(
            (i for i in items if "cover-image" in (i.get("properties") or "").split()), None
        )
        if cover is None:
            if rules.cover_required:
                add(
                    "epub-cover",
                    Severity.WARNING,
                    f"no cover image; {profile.name} wants one inside the book",
                    "give the book a cover (cover = … in book.toml or the frontmatter)",
                )
        else:
            media = cover.get("media-type", "")
            href = posixpath.normpath(posixpath.join(base, cover.get("href", "")))
            size = image_size(archive.read(href)) if href in archive.namelist() else None
            if size is None:
                add(
                    "epub-cover",
                    Severity.WARNING,
                    f"the cover is {media or 'not a raster image'}; {profile.name} wants "
                    "a JPEG or PNG",
                    "use a JPEG or PNG cover",
                )
            else:
                short, long = sorted(size)
                if short < rules.cover_min_short_side or long < rules.cover_min_long_side:
                    add(
                        "epub-cover",
                        Severity.WARNING,
                        f"the cover is {size[0]} × {size[1]} px; {profile.name} wants at "
                        f"least {rules.cover_min_short_side} px on the short side"
                        + (
                            f" and {rules.cover_min_long_side} on the long side"
                            if rules.cover_min_long_side
                            else ""
                        ),
                        "use a larger cover image",
                    )
        if rules.ncx_required and not any(
            i.get("media-type") == "application/x-dtbncx+xml" for i in items
        ):
            add("epub-ncx", Severity.WARNING, "no NCX table of contents", "include toc.ncx")
    return findings

"""Preflight: check any PDF or EPUB against a profile, as a printer or a store would.

Contract: ``preflight(path, profile)`` returns the findings as ``Diagnostic``s (the
project's format: ``path:page: severity: message; fix [preflight.code]``), sorted by page;
an empty list means the file passes. It reads the file only, never changes it, and works
on files Pressroom did not make. A file that cannot be read at all raises
``PreflightError`` (``preflight.unreadable``).

Severities: ``error`` for what the profile's standard forbids (a PDF/X without output
intent, RGB in PDF/X-1a, an unembedded font), ``warning`` for what a store rejects or a
reader would see (low image resolution, no page labels), ``info`` for advice. ``pressroom
preflight`` exits 1 on any warning or error, and ``convert``/``book`` with a print or store
profile run it on their own output (``--strict`` then fails on any finding).

The PDF side (``preflight/pdf.py``) reads with pikepdf; the EPUB side (``preflight/epub.py``)
with the standard library (zip and XML) and Pillow through ``assets.image_size``.
"""

from __future__ import annotations

from pathlib import Path

from ..diagnostics import Diagnostic
from ..errors import ConvertError
from ..profiles import Profile

# Every finding's code (``preflight.`` + one of these): configurable like any other code.
CODES = frozenset(
    f"preflight.{name}"
    for name in (
        "bleed-box", "bookmarks", "cmyk-no-intent", "device-colour", "encrypted",
        "epub-container", "epub-cover", "epub-ncx", "font-not-embedded", "font-subset",
        "image-resolution", "interpolate", "lang", "link-annotation", "metadata",
        "metadata-filter", "notdef", "output-intent", "page-count", "page-labels",
        "pdf-version", "pdfa-id", "pdfua-id", "pdfx-version", "rgb", "structure", "title",
        "transparency", "trapped", "trim-box", "trim-size", "ua-figure", "ua-link",
        "ua-list", "ua-parent-tree", "ua-table", "ua-to-unicode", "untagged",
    )
)  # fmt: skip


class PreflightError(ConvertError):
    code = "preflight.unreadable"


def preflight(path: Path, profile: Profile) -> list[Diagnostic]:
    """The findings for ``path`` (a PDF or an EPUB) under ``profile``."""
    try:
        with path.open("rb") as handle:
            head = handle.read(5)
    except OSError as exc:
        raise PreflightError(f"cannot read: {exc.strerror or exc}", path=path) from None
    if head.startswith(b"%PDF-"):
        from .pdf import check_pdf

        findings = check_pdf(path, profile)
    elif head.startswith(b"PK"):
        from .epub import check_epub

        findings = check_epub(path, profile)
    else:
        raise PreflightError("neither a PDF nor an EPUB (zip) file", path=path)
    return sorted(findings, key=lambda d: (d.location.line or 0, d.code, d.message))


__all__ = ["CODES", "PreflightError", "preflight"]

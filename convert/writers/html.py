"""HTML writer: the exact document WeasyPrint lays out, for debugging themes in a browser."""

from __future__ import annotations

from pathlib import Path

from ..files import atomic_output


def write_html(document: str, out: Path) -> Path:
    with atomic_output(out) as tmp:
        tmp.write_text(document, encoding="utf-8")
    return out

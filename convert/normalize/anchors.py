"""The ids the parser will give headings, and every fragment a link may target.

``anchors(doc, dialect)`` asks the document's dialect (``convert.markdown``): the CommonMark
reader runs the very code that assigns ids when it renders, on the same text; the
Python-Markdown dialect predicts them on the source (``markdown.pyblocks``). Rules use it
to check ``#fragment`` links (``fragments``), name the id a repeated heading gets
(``duplicate_headings``) and turn implicit header references into links (``references``).
"""

from __future__ import annotations

from .. import markdown
from ..markdown.blocks import Anchors, HeadingId
from .base import Doc, text_of


def anchors(doc: Doc, dialect: str) -> Anchors:
    """Headings with their ids, and every valid fragment target, for ``doc`` as it is."""
    return markdown.dialect(dialect).anchors(text_of(doc.lines))


__all__ = ["Anchors", "HeadingId", "anchors"]

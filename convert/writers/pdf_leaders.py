"""Dot leaders drawn as one run of text, not one text box per dot.

WeasyPrint 70 fills a ``leader()`` (the dots between a contents entry and its page
number) with one copy of the leader's text box per repetition: about 120 boxes for one
line of a contents page, each drawn on its own (its own Pango layout, its own text
object in the PDF). A 200-entry contents page set took 4 s to lay out and write, 3.7 s
of it drawing dots (31,000 text boxes for 8 pages), against 1.5 s for 20 pages of
chapter text; every build of a book lays its contents out at least twice.

Contract: after WeasyPrint has placed a line's leader boxes, ``_handle_leader`` puts one
text box in their place whose text is the leader's text repeated as many times, at the
leftmost copy's position, shaped once. It is kept only when its width is the copies'
width to a hundredth of a pixel (the same glyphs at the same places: no kerning or
shaping between repetitions); otherwise, and for anything else than one text box per
copy, the copies stay as WeasyPrint made them. The page's text is the same characters.

The hook: ``weasyprint.layout.inline`` calls ``handle_leader`` by the name it imported;
that name is pointed at ``_handle_leader``, which calls the original first. If a later
WeasyPrint lays leaders out otherwise, the copies are left alone
(``tests/unit/test_pdf_leaders.py`` notices).
"""

from __future__ import annotations

import weasyprint.layout.inline
from weasyprint.formatting_structure import boxes
from weasyprint.layout.leader import leader_index
from weasyprint.text.line_break import split_first_line

_WEASY_HANDLE_LEADER = weasyprint.layout.inline.handle_leader

# Widths are CSS pixels; a hundredth of one is far below a device pixel at 1,200 dpi.
TOLERANCE = 0.01


def _handle_leader(context, line, containing_block):  # type: ignore[no-untyped-def]
    _WEASY_HANDLE_LEADER(context, line, containing_block)
    _index, leader = leader_index(line)
    if leader is None or len(leader.children) < 2:
        return
    copies = leader.children
    if not all(isinstance(box, boxes.TextBox) for box in copies):
        return
    first = min(copies, key=lambda box: box.position_x)
    text = first.text * len(copies)
    layout, length, resume, width, _height, _baseline = split_first_line(
        text, first.style, context, None, 0
    )
    if resume is not None or length != len(text.encode()):
        return
    if abs(width - sum(box.width for box in copies)) > TOLERANCE:
        return
    merged = first.copy_with_text(text)
    merged.pango_layout = layout
    merged.width = width
    leader.children = (merged,)


def install() -> bool:
    """Point ``weasyprint.layout.inline.handle_leader`` at ``_handle_leader`` (once);
    False if this WeasyPrint does not lay leaders out through that name."""
    current = weasyprint.layout.inline.handle_leader
    if current is _handle_leader:
        return True
    if current is not _WEASY_HANDLE_LEADER or not callable(current):
        return False
    weasyprint.layout.inline.handle_leader = _handle_leader
    return True

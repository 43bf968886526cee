"""Lists an exporter flattened into one table cell.

Defect: a wiki infobox or "belligerents" table holds lists in its cells; exported to a
Markdown table (one line per row) they lose their lines and become runs of markers,
``* Syrian Armed Forces ** Republican Guard *** 100th Artillery Regiment``, which print as
asterisks between the names instead of the nested list they were.

Fix: a cell that starts with a marker (``*``, ``**``, ``***``: the depth; or ``•``) and
holds at least two becomes a nested HTML list inside the cell, one item per marker, the
items' inline Markdown (links, emphasis) kept (``table.cell-list``, warning).

Kept as they are: emphasis and strong text (``*word*``, ``**bold**``: no space after the
stars), a footnote mark (``value*``), arithmetic (``3 * 4``), anything in code, and a cell
with a single marker (``* estimated``, often a note mark). Never outside a table.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .base import Context, Doc, Line, Rule, plural, row_of, table_blocks
from .syntax import mask

# A marker: a run of one to three stars (or a bullet) at the start or after a space, then a
# space. In a masked cell (code blanked out), so stars in code are never markers.
_MARKER = re.compile(r"(?:^|(?<=\s))(\*{1,3}|•)[ \t]+(?=\S)")


def _items(cell: str) -> list[tuple[int, str]] | None:
    """``(depth, text)`` of each item of a flattened list in ``cell``, or ``None``."""
    text = cell.strip()
    masked = mask(text)
    markers = list(_MARKER.finditer(masked))
    if len(markers) < 2 or markers[0].start() != 0:
        return None
    items: list[tuple[int, str]] = []
    depth = 0
    for marker, after in zip(markers, [*markers[1:], None], strict=True):
        end = after.start() if after is not None else len(text)
        item = text[marker.end() : end].strip()
        if not item:
            return None
        wanted = 1 if marker[1] == "•" else len(marker[1])
        depth = min(wanted, depth + 1)  # a list cannot open two levels at once
        items.append((depth, item))
    return items


def _nested(items: list[tuple[int, str]]) -> str:
    """One line of HTML: the items as nested ``ul`` lists (Markdown inside the items is
    still read: in a table cell, raw HTML is inline)."""
    out: list[str] = []
    level = 0
    for depth, text in items:
        if depth > level:
            out.append("<ul><li>" * (depth - level))
        else:
            out.append("</li>" + "</ul></li>" * (level - depth) + "<li>")
        level = depth
        out.append(text)
    out.append("</li></ul>" * level)
    return "".join(out)


def apply(doc: Doc, ctx: Context) -> Doc:
    lines = list(doc.lines)
    for start, end in table_blocks(lines, ctx.dialect):
        for i in range(start, end):
            if i == start + 1:  # the delimiter row
                continue
            row = row_of(lines[i].text, ctx.dialect)
            cells = list(row.cells)
            found, first = 0, ""
            for n, cell in enumerate(cells):
                items = _items(cell)
                if items is None:
                    continue
                lead = cell[: len(cell) - len(cell.lstrip())] or " "
                tail = cell[len(cell.rstrip()) :] or " "
                cells[n] = f"{lead}{_nested(items)}{tail}"
                found += len(items)
                first = first or items[0][1]
            if not found:
                continue
            lines[i] = Line(replace(row, cells=tuple(cells)).text(), lines[i].origin)
            ctx.emit(
                "table.cell-list",
                lines[i].origin,
                f"a list flattened into a table cell by an exporter ({plural(found, 'item')}, "
                f"from {first[:40]!r})",
                "made it a nested list in the cell",
            )
    return Doc(tuple(lines), doc.meta)


RULE = Rule("cell_lists", ("table.cell-list",), apply)

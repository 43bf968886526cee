"""Shapes the renderer would mangle: ragged tables and ``:::`` containers.

Defects and fixes:

- A delimiter row (``|---|---|``) with more or fewer cells than the header: Python-Markdown
  prints the whole table as text. It gets as many cells as the header (``table.cells``).
- A table row with more cells than the header: Python-Markdown (like GitHub) silently
  drops the extra cells, text and all. Usually an unescaped ``|`` in a cell's text. If
  most such rows agree, the header is what is short: it gets empty columns (and the
  delimiter row ``---`` cells) up to the widest row. Otherwise the extra cells are joined
  into the row's last cell with their ``|`` escaped, so every word stays and the pipe
  shows as written (``table.cells``, warning). Also a header without a leading ``|`` over
  rows with one: Python-Markdown then reads every row as starting with an empty cell and
  drops its last; the header and delimiter row get the leading ``|`` (same code). Rows
  with *fewer* cells are left alone: every renderer pads them (the GFM spec says so).
- Containers, ``::: tip``, ``::: warning Title``, ``:::: note`` … ``::::``, Pandoc's
  ``::: {.note}`` (VuePress, Docusaurus, markdown-it-container, Pandoc fenced divs; also
  what the ``liquid`` rule makes of Hexo/Hugo notes): Python-Markdown prints the ``:::``
  lines as text. They become ``<aside class="admonition tip" markdown="1">`` with a
  ``p.admonition-title`` and the inner Markdown still rendered (``md_in_html``, enabled in
  ``convert/markdown.py``). The title is the one written, as written; without one the
  paragraph is left empty and the tree stage puts the kind's title in, in the document's
  language (which is only known once normalization ends). Nested containers nest.
  Only at the left margin (not inside lists or quotes, where raw HTML blocks do not
  work) and only with a closing ``:::``; unclosed or stray fences are left as they are
  (``markup.container``, info: nothing is lost).

Never inside fenced code.

Codes: ``table.cells`` (warning), ``markup.container`` (info).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import replace

from ..markdown.tables import escape_code_pipes
from .base import (
    Context,
    Doc,
    Line,
    Row,
    Rule,
    Severity,
    heading_of,
    is_delimiter_row,
    mark_code,
    plural,
    row_of,
    split_row,
    table_blocks,
)

_OPEN = re.compile(r"^(?P<colons>:{3,})[ \t]*(?P<rest>\S.*?)[ \t]*:*[ \t]*$")
_CLOSE = re.compile(r"^(?P<colons>:{3,})[ \t]*$")
_BRACED = re.compile(r"^\{(?P<attrs>[^{}]*)\}$")
_KIND = re.compile(r"^[A-Za-z][\w-]*$")


def _with_left(row: Row) -> Row:
    first = row.cells[0] if row.cells[0].startswith(" ") else " " + row.cells[0]
    return replace(row, left=True, cells=(first, *row.cells[1:]))


def _delimiters(lines: list[Line], ctx: Context) -> None:
    """A delimiter row with a different number of cells than its header: Python-Markdown
    then prints the whole table as text. It gets the header's number of cells."""
    for i in range(len(lines) - 1):
        line, below = lines[i], lines[i + 1]
        if line.code or below.code or "|" not in line.text or "|" not in below.text:
            continue
        if i and lines[i - 1].text.strip() and not heading_of(lines[i - 1]):
            continue  # not at the start of a block: a paragraph line, not a header
        header, delimiter = row_of(line.text, ctx.dialect), row_of(below.text, ctx.dialect)
        if not is_delimiter_row(delimiter) or "-" not in below.text:
            continue
        want, have = len(header.cells), len(delimiter.cells)
        if want == have or want < 2:
            continue
        pad = " --- " if delimiter.cells[-1].startswith(" ") else "---"
        cells = (*delimiter.cells[:want], *[pad] * (want - have))
        right = delimiter.right or header.right
        lines[i + 1] = Line(replace(delimiter, cells=cells, right=right).text(), below.origin)
        ctx.emit(
            "table.cells",
            below.origin,
            f"the delimiter row has {have} cells, the header {want}: the table would print as text",
            f"gave the delimiter row {want} cells",
        )


def _tables(lines: list[Line], ctx: Context) -> None:
    """Repair the tables of ``lines`` in place."""
    _delimiters(lines, ctx)
    for start, end in table_blocks(lines, ctx.dialect):
        header = row_of(lines[start].text, ctx.dialect)
        delimiter = row_of(lines[start + 1].text, ctx.dialect)
        rows = {i: row_of(lines[i].text, ctx.dialect) for i in range(start + 2, end)}
        width = len(header.cells)
        if not header.left and any(row.left for row in rows.values()):
            header, delimiter = _with_left(header), _with_left(delimiter)
            lines[start] = Line(header.text(), lines[start].origin)
            lines[start + 1] = Line(delimiter.text(), lines[start + 1].origin)
            ctx.emit(
                "table.cells",
                lines[start].origin,
                "the header row has no leading '|' but the rows do: each row would lose a cell",
                "added the '|' to the header",
            )
        wide = {i: row for i, row in rows.items() if len(row.cells) > width}
        wide = _code_pipes(lines, wide, width, ctx)
        if not wide:
            continue
        fitting = sum(len(row.cells) == width for row in rows.values())
        widths = Counter(len(row.cells) for row in wide.values())
        if len(wide) > fitting:
            new = max(widths)
            extra = new - width
            pad = " --- " if delimiter.cells[-1].startswith(" ") else "---"
            header = replace(header, cells=(*header.cells, *(["  "] * extra)))
            delimiter = replace(delimiter, cells=(*delimiter.cells, *([pad] * extra)))
            if not (header.right or delimiter.right) and extra:
                header, delimiter = replace(header, right=True), replace(delimiter, right=True)
            lines[start] = Line(header.text(), lines[start].origin)
            lines[start + 1] = Line(delimiter.text(), lines[start + 1].origin)
            ctx.emit(
                "table.cells",
                lines[start].origin,
                f"{plural(len(wide), 'row')} of the table have more cells than its header "
                f"({width})",
                f"added {plural(extra, 'empty header column')}",
            )
            continue
        for i, row in wide.items():
            merged = "\\|".join(row.cells[width - 1 :])
            lines[i] = Line(
                replace(row, cells=(*row.cells[: width - 1], merged)).text(), lines[i].origin
            )
        first = min(wide)
        ctx.emit(
            "table.cells",
            lines[first].origin,
            f"{plural(len(wide), 'table row')} with more cells than the header ({width}): "
            "the extra cells would be dropped",
            "joined them into the last cell, their '|' kept as text",
        )


def _code_pipes(
    lines: list[Line], wide: dict[int, Row], width: int, ctx: Context
) -> dict[int, Row]:
    """Rows that are wide only because a code span holds a ``|`` (GFM splits cells there,
    Python-Markdown does not): the pipe is escaped, the row has its width again. Returns the
    rows still too wide."""
    if ctx.dialect == "python-markdown":
        return wide
    fixed = [i for i in wide if len(split_row(lines[i].text, code_protects=True).cells) == width]
    for i in fixed:
        lines[i] = Line(escape_code_pipes(lines[i].text), lines[i].origin)
    if fixed:
        ctx.emit(
            "table.cells",
            lines[fixed[0]].origin,
            f"a '|' inside code splits the cell in {plural(len(fixed), 'table row')} (GFM reads "
            "it as a cell border)",
            "escaped it as \\|",
        )
    return {i: row for i, row in wide.items() if i not in fixed}


def _container_open(match: re.Match[str]) -> tuple[str, str]:
    """``(kind, title)`` of ``::: kind Title`` or ``::: {.kind #id}``."""
    rest = match["rest"].strip()
    braced = _BRACED.match(rest)
    if braced:
        classes = [w[1:] for w in braced["attrs"].split() if w.startswith(".")]
        return (classes[0] if classes else "note"), ""
    kind, _, title = rest.partition(" ")
    if not _KIND.match(kind):
        return "note", rest
    return kind, title.strip()


def _containers(lines: list[Line], ctx: Context) -> list[Line]:
    opens: list[tuple[int, int]] = []  # (line index, colons) of the open containers
    pairs: dict[int, int] = {}  # opener index → closer index
    for i, line in enumerate(lines):
        if line.code or not line.text.startswith(":::"):
            continue
        if close := _CLOSE.match(line.text):
            if opens and opens[-1][1] <= len(close["colons"]):
                pairs[opens.pop()[0]] = i
        elif opener := _OPEN.match(line.text):
            opens.append((i, len(opener["colons"])))
    if not pairs:
        return lines
    closers = set(pairs.values())
    out: list[Line] = []
    for i, line in enumerate(lines):
        if i in pairs:
            match = _OPEN.match(line.text)
            assert match is not None
            kind, title = _container_open(match)
            kind = kind.casefold()
            # No title written: an empty one, for the tree stage to word (see the module).
            heading = (
                f'<p class="admonition-title" markdown="span">{title}</p>'
                if title
                else '<p class="admonition-title"></p>'
            )
            out += [
                Line(f'<aside class="admonition {html.escape(kind)}" markdown="1">', line.origin),
                Line(heading, line.origin),
                Line("", line.origin),
            ]
            ctx.emit(
                "markup.container",
                line.origin,
                f"'{match['colons']} {kind}' container (line {lines[pairs[i]].origin} closes it)",
                "rendered it as an aside",
                Severity.INFO,
            )
        elif i in closers:
            out += [Line("", line.origin), Line("</aside>", line.origin)]
            # A CommonMark HTML block runs to the next blank line: text right under the
            # closing tag would be read as raw HTML.
            following = i + 1 < len(lines) and lines[i + 1].text.strip()
            if following and i + 1 not in closers:
                out.append(Line("", line.origin))
        else:
            out.append(line)
    return out


def apply(doc: Doc, ctx: Context) -> Doc:
    lines = list(doc.lines)
    _tables(lines, ctx)
    if any(line.text.startswith(":::") for line in lines if not line.code):
        lines = _containers(lines, ctx)
    return Doc(mark_code(lines, ctx.dialect), doc.meta)


RULE = Rule("shapes", ("table.cells", "markup.container"), apply)

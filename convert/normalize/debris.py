"""Serialization debris: what a JavaScript exporter printed for a value it could not print.

Defect: ``String(obj)`` in an exporter writes ``[object Object]``; a missing value writes
``undefined``, ``null`` or ``NaN``. It turns up as whole lines (also as bare list items,
or several ``[object Object]`` in a row), as table cells, as a link's text
(``[[object Object]](url)``), as an image's alt text, and glued into real sentences.

Fix, every one reported as ``reference.debris`` (warning):

- a whole line (or bare list item) of debris is removed; one diagnostic per run of
  consecutive removed lines, naming the section;
- a table cell that is only debris becomes empty (row and other cells kept; the cell keeps
  its width so aligned tables stay aligned). ``[object Object]`` always; ``undefined``,
  ``null`` and ``NaN`` only in a table that also has an ``[object Object]`` cell, since
  on their own they are real values in technical tables ("default: null"). One diagnostic
  per table;
- a link whose whole text is ``[object Object]`` gets a text made from its target: the
  host of a web address (``en.wikipedia.org``), the address of a ``mailto:``, the file
  name of a local path, else "link". The target is all the exporter kept, and a link
  with no text would be invisible;
- an image whose alt text is ``[object Object]`` gets an empty alt text (the ``images``
  rule then judges its source);
- ``[object Object]`` in a line of real text is removed, the text kept, when the line has
  several of them or it is glued to the word before it (``column[object Object]``); a
  single one after a space may be a sentence naming it ("prints [object Object];") and
  stays. As a whole image source (``![alt]([object Object])``) it is the ``images``
  rule's: a placeholder.

Never inside fenced or inline code; never a token in quotes (``"[object Object]"``, as in
a sentence about JavaScript); never the words ``undefined``/``null``/``NaN`` inside a
sentence: only a line or a cell whose whole content is the token.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace
from urllib.parse import unquote, urlsplit

from .base import (
    Context,
    Doc,
    Line,
    Rule,
    heading_of,
    plural,
    row_of,
    sub_outside_code,
    table_blocks,
)

_OBJECT = r"\[object Object\]"
_DEBRIS = re.compile(
    rf"^\s*(?:[-*+]\s+|\d+[.)]\s+|>\s*)?(?:(?:{_OBJECT}\s*)+|undefined|null|NaN)\s*$"
)
_CELL_OBJECT = re.compile(rf"^\s*(?:{_OBJECT}\s*)+$")
_CELL_VALUE = re.compile(r"^\s*(?:undefined|null|NaN)\s*$")
# A link or image whose whole text is debris: ``[[object Object]](target …)``.
_DEBRIS_LINK = re.compile(
    rf"(?P<bang>!?)\[(?:{_OBJECT}\s*)+\]\((?P<target><[^<>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
)
_OBJECT_RUN = re.compile(rf"(?:{_OBJECT}){{2,}}")
_INLINE = re.compile(rf"(?P<pre>[ \t]*)(?P<tokens>(?:{_OBJECT})+)(?P<post>[ \t]*)")
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»", "„": "“"}


def is_debris(line: Line) -> bool:
    return not line.code and bool(_DEBRIS.match(line.text))


def _whole_lines(doc: Doc, ctx: Context) -> list[Line]:
    kept: list[Line] = []
    section = ""
    run: list[Line] = []

    def flush() -> None:
        if not run:
            return
        tokens = sorted({line.text.strip(" -*+>0123456789.)") for line in run})
        what = "', '".join(t if len(t) < 20 else t[:15] + "…" for t in tokens)
        where = f" from {section!r}" if section else ""
        ctx.emit(
            "reference.debris",
            run[0].origin,
            f"{plural(len(run), 'line')} of '{what}'{where}",
            "removed",
        )
        ctx.removed.update(line.origin for line in run)
        run.clear()

    for line in doc.lines:
        if is_debris(line):
            run.append(line)
            continue
        if line.text.strip() or heading_of(line):
            flush()
        if (heading := heading_of(line)) is not None:
            section = heading[1]
        kept.append(line)
    flush()
    return kept


def _cells(lines: list[Line], ctx: Context) -> None:
    """Empty the debris cells of every table, in place."""
    for start, end in table_blocks(lines, ctx.dialect):
        rows = {i: row_of(lines[i].text, ctx.dialect) for i in range(start, end) if i != start + 1}
        objects = any(_CELL_OBJECT.match(c) for row in rows.values() for c in row.cells)
        emptied = 0
        for i, row in rows.items():
            cells = tuple(
                " " * len(cell)
                if _CELL_OBJECT.match(cell) or (objects and _CELL_VALUE.match(cell))
                else cell
                for cell in row.cells
            )
            if cells != row.cells:
                emptied += sum(a != b for a, b in zip(cells, row.cells, strict=True))
                lines[i] = Line(replace(row, cells=cells).text(), lines[i].origin)
        if emptied:
            ctx.emit(
                "reference.debris",
                lines[start].origin,
                f"{plural(emptied, 'table cell')} held only exporter debris",
                "emptied them",
            )


def _link_text(target: str) -> str:
    """Readable text for a link whose text was lost: from its target."""
    target = target.strip("<>")
    parts = urlsplit(target)
    if parts.scheme in ("http", "https") or target.startswith("//"):
        host = (parts.hostname or "").removeprefix("www.")
        return host or "link"
    if parts.scheme == "mailto":
        return unquote(parts.path) or "link"
    if target.startswith("#"):
        return unquote(target[1:]).replace("-", " ") or "link"
    name = posixpath.basename(unquote(parts.path).rstrip("/"))
    return name or "link"


def _quoted(text: str, start: int, end: int) -> bool:
    before, after = text[start - 1 : start], text[end : end + 1]
    return bool(before) and _QUOTES.get(before) == after


def _inline(line: Line, ctx: Context) -> Line:
    found: list[str] = []  # where each token was: "text", "a link's text", "an image's alt"
    texts: list[str] = []  # the texts given to links

    def link(match: re.Match[str]) -> str:
        if match["bang"]:
            found.append("an image's alt text")
            return "![](" + match["target"]
        text = _link_text(match["target"])
        found.append("a link's text")
        texts.append(repr(text))
        return f"[{text}](" + match["target"]

    def prose(match: re.Match[str]) -> bool:
        """Quoted (a sentence about JavaScript), or a link's or image's whole target (the
        images and link rules judge those): not debris to remove here."""
        text = match.string
        start, end = match.start("tokens"), match.end("tokens")
        target = text[start - 2 : start] == "](" and text[end : end + 1] == ")"
        return _quoted(text, start, end) or target

    def token(match: re.Match[str]) -> str:
        text = match.string
        if prose(match):
            return match[0]
        glued = match.start() > 0 and not match["pre"] and not text[match.start() - 1].isspace()
        if not (several or glued):
            return match[0]  # one token after a space: may be a sentence naming it
        found.append("the text")
        if match.start() == 0 or match.end() == len(text):
            return ""
        return match["pre"] or match["post"]

    text, _ = sub_outside_code(_DEBRIS_LINK, link, line.text)
    counted: list[re.Match[str]] = []

    def count(match: re.Match[str]) -> str:
        if not prose(match):
            counted.append(match)
        return match[0]

    sub_outside_code(_INLINE, count, text)
    several = len(counted) > 1 or any(_OBJECT_RUN.search(m[0]) for m in counted)
    text, _ = sub_outside_code(_INLINE, token, text)
    if not found:
        return line
    where = ", ".join(f"{found.count(w)}× in {w}" for w in dict.fromkeys(found))
    fix = f"link text made from the target: {', '.join(texts)}" if texts else "removed"
    ctx.emit("reference.debris", line.origin, f"'[object Object]' {where}", fix)
    return Line(text, line.origin)


def apply(doc: Doc, ctx: Context) -> Doc:
    lines = _whole_lines(doc, ctx)
    _cells(lines, ctx)
    lines = [
        _inline(line, ctx) if not line.code and "[object Object]" in line.text else line
        for line in lines
    ]
    return Doc(tuple(lines), doc.meta)


RULE = Rule("debris", ("reference.debris",), apply)

"""Junk glued to a heading, split off so the other rules can see it.

Defect: an exporter wrote text and a heading on one line, or stringified objects straight
after a heading::

    50.93278°N, 29.90472°W## References[object Object]

Fix: the leading text becomes its own paragraph line, the heading its own line, and each
trailing ``[object Object]`` its own line (which the ``debris`` rule then removes and
reports). Only ``##`` or deeper is split when glued to text with no space: a single ``#``
after text is too often real prose (``C#``, ``issue #4``).

Codes: ``heading.glued`` (warning).
"""

from __future__ import annotations

import re

from .base import Context, Doc, Line, Rule, code_spans, mark_code, outside_code

_GLUED_BEFORE = re.compile(r"^(?P<pre>[^#\s].*?[^#\s\\&])(?P<heading>#{2,6}[ \t]+\S.*)$")
_GLUED_AFTER = re.compile(
    r"^(?P<heading> {0,3}#{1,6}[ \t]+.*?)(?P<junk>(?:\[object Object\])+)\s*$"
)
_JUNK = "[object Object]"


def _split(line: Line, ctx: Context) -> list[Line]:
    if line.code:
        return [line]
    parts: list[Line] = []
    text = line.text
    before = _GLUED_BEFORE.match(text)
    if before and outside_code(text, before.start("heading"), code_spans(text)):
        parts.append(Line(before["pre"].rstrip(), line.origin))
        parts.append(Line("", line.origin))
        text = before["heading"]
        ctx.emit(
            "heading.glued",
            line.origin,
            f"text glued in front of a heading: {before['pre'][:40]!r}",
            "moved the text to its own paragraph before the heading",
        )
    after = _GLUED_AFTER.match(text)
    if after and after["heading"].strip("# \t"):
        count = after["junk"].count(_JUNK)
        parts.append(Line(after["heading"].rstrip(), line.origin))
        parts.extend(Line(_JUNK, line.origin) for _ in range(count))
        ctx.emit(
            "heading.glued",
            line.origin,
            f"'{_JUNK}' glued to the heading {after['heading'].strip()!r}",
            "split it off the heading",
        )
    elif parts:
        parts.append(Line(text, line.origin))
    return parts or [line]


def apply(doc: Doc, ctx: Context) -> Doc:
    lines = [part for line in doc.lines for part in _split(line, ctx)]
    return Doc(mark_code(lines, ctx.dialect), doc.meta)


RULE = Rule("glued_heading", ("heading.glued",), apply)

"""Serialization debris: lines that are only what a JavaScript exporter printed for a value.

Defect: ``String(obj)`` in an exporter writes ``[object Object]``; a missing value writes
``undefined``, ``null`` or ``NaN``. Whole lines (also as bare list items, or several
``[object Object]`` in a row) carry no text a reader could use.

Fix: remove the line; one diagnostic per run of consecutive removed lines, naming the
section. Never inside fenced code, and never the word "undefined" inside a sentence: only a
line whose whole content is the token.

Codes: ``reference.debris`` (warning).
"""

from __future__ import annotations

import re

from .base import Context, Doc, Line, Rule, heading_of, plural

_DEBRIS = re.compile(
    r"^\s*(?:[-*+]\s+|\d+[.)]\s+|>\s*)?(?:(?:\[object Object\]\s*)+|undefined|null|NaN)\s*$"
)


def is_debris(line: Line) -> bool:
    return not line.code and bool(_DEBRIS.match(line.text))


def apply(doc: Doc, ctx: Context) -> Doc:
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
    return Doc(tuple(kept), doc.meta)


RULE = Rule("debris", ("reference.debris",), apply)

"""Sections with no content.

Defect: a heading followed by nothing before the next heading of the same or a higher
level (or the end). If repairs emptied it (a References section that held only debris),
the heading is noise: drop it and report. If it was empty in the source, the author may
mean it (a stub to fill in): report it and keep it.

Codes: ``section.empty-removed`` (warning), ``section.empty`` (info).
"""

from __future__ import annotations

import bisect

from .base import Context, Doc, Rule, Severity, heading_of


def apply(doc: Doc, ctx: Context) -> Doc:
    lines = list(doc.lines)
    drop: set[int] = set()
    removed = sorted(ctx.removed)  # searched by bisection: 10^5 sections stay linear
    for i, line in enumerate(lines):
        heading = heading_of(line)
        if heading is None:
            continue
        level, text = heading
        end = len(lines)
        empty = True
        for j in range(i + 1, len(lines)):
            other = heading_of(lines[j])
            if other is not None and other[0] <= level:
                end = j
                break
            if other is not None or lines[j].text.strip():
                empty = False
                break
        if not empty:
            continue
        stop = lines[end].origin if end < len(lines) else float("inf")
        first = bisect.bisect_left(removed, line.origin)
        if first < len(removed) and removed[first] < stop:
            ctx.emit(
                "section.empty-removed",
                line.origin,
                f"section {text!r} is empty once its debris is removed",
                "removed the heading",
            )
            drop.add(i)
        else:
            ctx.emit(
                "section.empty",
                line.origin,
                f"section {text!r} has no content",
                None,
                Severity.INFO,
            )
    kept = tuple(line for i, line in enumerate(lines) if i not in drop)
    return Doc(kept, doc.meta)


RULE = Rule("empty_sections", ("section.empty-removed", "section.empty"), apply)

"""Sections with no content.

Defect: a heading followed by nothing before the next heading of the same or a higher
level (or the end). If repairs emptied it (a References section that held only debris),
the heading is noise: drop it and report. If it was empty in the source, the author may
mean it (a stub to fill in): report it and keep it.

Sections nest: a parent whose sub-sections were all emptied and dropped ("Notes and
references" over an emptied "Notes" and an emptied "References") is emptied by the same
repairs, and goes too. Headings are the dialect's (ATX and setext); a heading quoted in a
block quote is no section.

Codes: ``section.empty-removed`` (warning), ``section.empty`` (info).
"""

from __future__ import annotations

import bisect

from .base import Context, Doc, Line, Rule, Severity, blocks_of


def _title(line: Line) -> str:
    return line.text.strip().strip("#").strip() or line.text.strip()


def apply(doc: Doc, ctx: Context) -> Doc:
    lines = list(doc.lines)
    found = blocks_of(lines, ctx.dialect)
    heads = [h for h in found.headings if not h.quoted]
    level_at = {h.start: h.level for h in heads}
    span_end = {h.start: h.end for h in heads}  # one past a setext heading's underline
    drop: set[int] = set()
    removed = sorted(ctx.removed)  # searched by bisection: 10^5 sections stay linear
    findings: list[tuple[int, bool]] = []  # (heading index, emptied by a repair)
    # Last heading first: a parent is judged after its sub-sections, which may be gone.
    for heading in reversed(heads):
        i, level = heading.start, heading.level
        end = len(lines)
        empty = True
        dropped_inside = False
        j = span_end[i]
        while j < len(lines):
            if j in level_at:
                if level_at[j] <= level:
                    end = j
                    break
                if j in drop:
                    dropped_inside = True
                    j = span_end[j]
                    continue
                empty = False
                break
            if lines[j].text.strip():
                empty = False
                break
            j += 1
        if not empty:
            continue
        stop = lines[end].origin if end < len(lines) else float("inf")
        first = bisect.bisect_left(removed, lines[i].origin)
        repaired = dropped_inside or (first < len(removed) and removed[first] < stop)
        if repaired:
            drop.update(range(i, span_end[i]))
        findings.append((i, repaired))
    for i, repaired in sorted(findings):
        text = _title(lines[i])
        if repaired:
            ctx.emit(
                "section.empty-removed",
                lines[i].origin,
                f"section {text!r} is empty once its debris is removed",
                "removed the heading",
            )
        else:
            ctx.emit(
                "section.empty",
                lines[i].origin,
                f"section {text!r} has no content",
                None,
                Severity.INFO,
            )
    kept = tuple(line for i, line in enumerate(lines) if i not in drop)
    ctx.removed.update(lines[i].origin for i in drop)
    return Doc(kept, doc.meta)


RULE = Rule("empty_sections", ("section.empty-removed", "section.empty"), apply)

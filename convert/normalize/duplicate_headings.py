"""Duplicate headings stacked on top of each other.

Defect: the same heading twice in a row with nothing but blank lines between
(``## References`` / ``## References``), typically left by an exporter that wrote a section
title and then the same title again with its (broken) content.

Fix: keep the first, drop the second; report it. Repeats that have content between them
are separate sections and are left to the id rules (unique ids), not merged here.

Codes: ``heading.duplicate`` (warning).
"""

from __future__ import annotations

from .base import Context, Doc, Line, Rule, heading_of


def _key(heading: tuple[int, str]) -> tuple[int, str]:
    level, text = heading
    return level, " ".join(text.casefold().split())


def apply(doc: Doc, ctx: Context) -> Doc:
    kept: list[Line] = []
    previous: tuple[int, str] | None = None  # last heading, while only blanks follow it
    for line in doc.lines:
        heading = heading_of(line)
        if heading is not None:
            if previous is not None and _key(previous) == _key(heading):
                ctx.emit(
                    "heading.duplicate",
                    line.origin,
                    f"heading {heading[1]!r} repeated directly below itself",
                    "merged the two",
                )
                ctx.removed.add(line.origin)
                continue
            previous = heading
        elif line.text.strip():
            previous = None
        kept.append(line)
    return Doc(tuple(kept), doc.meta)


RULE = Rule("duplicate_headings", ("heading.duplicate",), apply)

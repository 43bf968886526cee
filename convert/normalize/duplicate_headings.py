"""Duplicate headings stacked on top of each other.

Defect: the same heading twice in a row with nothing but blank lines between
(``## References`` / ``## References``), typically left by an exporter that wrote a section
title and then the same title again with its (broken) content.

Fix: keep the first, drop the second; report it. Repeats that have content between them
are separate sections and are left to the id rules (unique ids), not merged here.

``SIBLINGS`` (a second rule, run late): the same title repeated as a sibling (same level,
same parent heading) with content between, as markdownlint's MD024 ``siblings_only`` sees
it. Both sections stay and the parser numbers the second id; the rule names that id
(``heading.duplicate-sibling``, info: nothing is changed, so it is a finding, not a repair,
and it must not be repeated as a warning when normalizing the output again). A repeat
under a different parent (``### Examples`` in two chapters) is normal: no diagnostic.

Codes: ``heading.duplicate`` (warning), ``heading.duplicate-sibling`` (info).
"""

from __future__ import annotations

from .anchors import anchors
from .base import Context, Doc, Line, Rule, Severity, heading_of


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


def siblings(doc: Doc, ctx: Context) -> Doc:
    """Report each heading that repeats the text of an earlier sibling (changes nothing)."""
    found = anchors(doc, ctx.dialect)
    open_: list[tuple[int, int]] = []  # (level, index) of the headings enclosing this one
    seen: dict[tuple[int, int, str], int] = {}  # (parent, level, text) → first line index
    for heading in found.headings:
        while open_ and open_[-1][0] >= heading.level:
            open_.pop()
        parent = open_[-1][1] if open_ else -1
        key = (parent, heading.level, " ".join(heading.text.casefold().split()))
        first = seen.setdefault(key, heading.index)
        if first != heading.index:
            ctx.emit(
                "heading.duplicate-sibling",
                doc.lines[heading.index].origin,
                f"heading {heading.text!r} repeats a sibling heading "
                f"(line {doc.lines[first].origin})",
                f"kept both; the second gets id {heading.id!r}",
                Severity.INFO,
            )
        open_.append((heading.level, heading.index))
    return doc


SIBLINGS = Rule("duplicate_siblings", ("heading.duplicate-sibling",), siblings)

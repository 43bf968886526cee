"""Heading levels: the title on top, the body's sections from ``##`` down, no skips.

Defect: the template prints the document title as the only ``h1``, so ``#`` headings in
the body compete with it (and break the PDF bookmarks and the EPUB table of contents); a
body that starts at ``###``, or jumps from ``##`` to ``####``, leaves holes in the outline
that screen readers and EPUBCheck's accessibility checks flag.

Fix: each heading gets the level of its depth in the outline: the body's top-level
headings become ``##``, their children ``###`` and so on (capped at ``######``). Which
heading belongs under which does not change, only how deep the levels say it is. Only the
``#`` run of a heading changes: its text, ``{#id}`` attributes and closing ``#``s stay.
Setext headings (``Title`` over ``=====`` or ``-----``) count as levels 1 and 2; one whose
level changes is rewritten as an ATX heading. Run after the ``title`` rule, which has
already taken a leading ``# Title`` out of the body.

Which lines are headings the dialect says (``convert.markdown``): CommonMark takes every
line of a paragraph over ``---``/``===`` as the heading's text; Python-Markdown only a line
that starts a block.

Codes: ``heading.levels`` (warning), once per document: what was wrong, then how many
headings moved from which level to which.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

from .base import Context, Doc, Line, Rule, blocks_of, plural

# The "#" run of an ATX heading, after any block quote or list markers in front of it.
_ATX = re.compile(r"^((?:[ ]{0,3}>[ ]?|[ ]{0,3}(?:[*+-]|\d+[.)])[ ]+)*[ ]{0,3})(#{1,6})")
MAX_LEVEL = 6


@dataclass(frozen=True, slots=True)
class _Heading:
    index: int  # of the heading line (the first text line of a setext heading)
    level: int
    setext: bool = False
    end: int = 0  # one past the underline of a setext heading


def _headings(doc: Doc, dialect: str) -> list[_Heading]:
    """The headings of the outline as the dialect reads them, ATX and setext, in order
    (a heading quoted in a block quote is not a section of this document)."""
    return [
        _Heading(h.start, h.level, h.setext, h.end)
        for h in blocks_of(doc.lines, dialect).headings
        if not h.quoted and (h.setext or _ATX.match(doc.lines[h.start].text))
    ]


def _outline_levels(headings: list[_Heading]) -> list[int]:
    """Level = depth in the outline + 1, so the top is 2 and no level is skipped."""
    stack: list[tuple[int, int]] = []  # (level in the source, new level) of the ancestors
    levels: list[int] = []
    for heading in headings:
        while stack and stack[-1][0] >= heading.level:
            stack.pop()
        new = min(stack[-1][1] + 1 if stack else 2, MAX_LEVEL)
        stack.append((heading.level, new))
        levels.append(new)
    return levels


def _what_was_wrong(headings: list[_Heading], lines: tuple[Line, ...]) -> str:
    problems: list[str] = []
    top = sum(1 for h in headings if h.level == 1)
    if top:
        problems.append(f"{plural(top, 'level-1 heading')} below the title")
    if headings[0].level > 2:
        problems.append(f"the body starts at level {headings[0].level}")
    skips = [
        (before, after) for before, after in pairwise(headings) if after.level > before.level + 1
    ]
    if skips:
        before, after = skips[0]
        more = f" and {len(skips) - 1} more" if len(skips) > 1 else ""
        problems.append(
            f"levels skip from {before.level} to {after.level}"
            f" (line {lines[after.index].origin}{more})"
        )
    return "; ".join(problems)


def _rewrite(line: Line, level: int) -> Line:
    return Line(_ATX.sub(lambda m: m[1] + "#" * level, line.text, count=1), line.origin)


def _atx_from_setext(lines: list[Line], heading: _Heading, level: int) -> Line:
    """One ATX line for a setext heading (CommonMark lets its text run over several lines)."""
    line = lines[heading.index]
    text = " ".join(lines[i].text.strip() for i in range(heading.index, heading.end - 1))
    # A text that ends in "#" would lose it as a closing sequence: close it explicitly.
    closing = " " + "#" * level if text.endswith("#") else ""
    return Line(f"{'#' * level} {text}{closing}", line.origin)


def apply(doc: Doc, ctx: Context) -> Doc:
    headings = _headings(doc, ctx.dialect)
    if not headings:
        return doc
    levels = _outline_levels(headings)
    changed = [(h, new) for h, new in zip(headings, levels, strict=True) if h.level != new]
    if not changed:
        return doc
    lines = list(doc.lines)
    drop: set[int] = set()
    moves: Counter[tuple[int, int]] = Counter()
    setext = 0
    for heading, new in changed:
        moves[heading.level, new] += 1
        line = lines[heading.index]
        if heading.setext:
            setext += 1
            lines[heading.index] = _atx_from_setext(lines, heading, new)
            for i in range(heading.index + 1, heading.end):
                drop.add(i)
                ctx.removed.add(lines[i].origin)
        else:
            lines[heading.index] = _rewrite(line, new)
    shifts = ", ".join(f"{'#' * a} → {'#' * b} ×{n}" for (a, b), n in moves.items())
    fix = f"shifted {plural(len(changed), 'heading')}: {shifts}"
    if setext:
        fix += f" ({plural(setext, 'Setext heading')} rewritten with '#')"
    ctx.emit(
        "heading.levels",
        doc.lines[changed[0][0].index].origin,
        f"heading levels do not follow the title: {_what_was_wrong(headings, doc.lines)}",
        fix,
    )
    kept = tuple(line for i, line in enumerate(lines) if i not in drop)
    return Doc(kept, doc.meta)


RULE = Rule("heading_levels", ("heading.levels",), apply)

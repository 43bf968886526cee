"""A document title, always.

Defect: no ``title`` in the frontmatter (or no frontmatter). Every PDF and EPUB needs one
(EPUBCheck refuses an empty ``dc:title``).

Fix: take the first level-1 heading when the body starts with one (and remove it from the
body, since the template prints the title), else the first heading of any level (kept in
the body), else the file name made readable. A level-1 heading at the top that repeats the
frontmatter title is removed too, so the title is not printed twice.

Codes: ``meta.title-missing`` (warning), ``heading.title-repeated`` (info).
"""

from __future__ import annotations

from dataclasses import replace

from .anchors import anchors
from .base import Context, Doc, Rule, Severity, heading_of


def _first_content(doc: Doc) -> int | None:
    for i, line in enumerate(doc.lines):
        if line.text.strip():
            return i
    return None


def _plain_headings(doc: Doc, ctx: Context) -> dict[int, str]:
    return {h.index: h.text for h in anchors(doc, ctx.dialect).headings}


def _readable(stem: str) -> str:
    words = stem.replace("_", " ").replace("-", " ").split()
    text = " ".join(words) or "Untitled"
    return text[:1].upper() + text[1:]


def apply(doc: Doc, ctx: Context) -> Doc:
    lines = list(doc.lines)
    first = _first_content(doc)
    top = heading_of(lines[first]) if first is not None else None
    if top is not None:
        # The heading as a reader shows it: no markup, no {#id} attributes, entities read.
        plain = _plain_headings(doc, ctx)
        top = (top[0], plain.get(first, top[1])) if first is not None else top
    title = doc.meta.title
    if title:
        if top and top[0] == 1 and " ".join(top[1].split()) == title:
            ctx.emit(
                "heading.title-repeated",
                lines[first].origin,
                "the first heading repeats the title",
                "removed it from the body",
                Severity.INFO,
            )
            del lines[first]
        return Doc(tuple(lines), doc.meta)
    severity = Severity.WARNING
    if top and top[0] == 1 and top[1]:
        # The usual Markdown convention, not a defect: reported for the record only.
        title, source = top[1], f"the first heading (line {lines[first].origin})"
        severity = Severity.INFO
        del lines[first]
    else:
        any_heading = next(
            (h.text for h in anchors(doc, ctx.dialect).headings if h.text and not h.quoted),
            None,
        )
        if any_heading:
            title, source = any_heading, "the first heading"
        else:
            title, source = _readable(ctx.path.stem), "the file name"
    ctx.emit(
        "meta.title-missing",
        None,
        "no title in the frontmatter",
        f"used {source}: {title!r}",
        severity,
    )
    return Doc(tuple(lines), replace(doc.meta, title=title))


RULE = Rule("title", ("meta.title-missing", "heading.title-repeated"), apply)

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

from .base import Context, Doc, Rule, Severity, heading_of


def _first_content(doc: Doc) -> int | None:
    for i, line in enumerate(doc.lines):
        if line.text.strip():
            return i
    return None


def _readable(stem: str) -> str:
    words = stem.replace("_", " ").replace("-", " ").split()
    text = " ".join(words) or "Untitled"
    return text[:1].upper() + text[1:]


def apply(doc: Doc, ctx: Context) -> Doc:
    lines = list(doc.lines)
    first = _first_content(doc)
    top = heading_of(lines[first]) if first is not None else None
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
        any_heading = next((h for line in lines if (h := heading_of(line)) and h[1]), None)
        if any_heading:
            title, source = any_heading[1], "the first heading"
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

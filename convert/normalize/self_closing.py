"""Raw HTML written as XML: ``<sup class="badge" />``, ``<div class="clear"/>``.

Defect: in HTML only void elements (``br``, ``img``, ``hr``…) may end in ``/>``; every other
tag is an opening tag whatever its slash, so ``<sup … />`` makes the rest of the paragraph
superscript and ``<div/>`` swallows the text after it (and the EPUB is invalid XHTML
wherever the element cannot hold what it swallowed: EPUBCheck RSC-005).

Fix: the tag is written out as an empty element, ``<sup …></sup>``
(``markup.self-closing``, info: the element was meant empty, nothing is lost). Never in
code.
"""

from __future__ import annotations

import re

from .base import Context, Doc, Line, Rule, Severity, sub_outside_code

_VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
})  # fmt: skip
_SELF_CLOSING = re.compile(
    r"<(?P<tag>[A-Za-z][A-Za-z0-9-]*)(?P<attrs>(?:\s+[^<>]*?)?)\s*/>", re.IGNORECASE
)


def apply(doc: Doc, ctx: Context) -> Doc:
    lines = list(doc.lines)
    for i, line in enumerate(lines):
        if line.code or "/>" not in line.text:
            continue
        tags: list[str] = []
        new, _ = sub_outside_code(_SELF_CLOSING, lambda m, found=tags: _expand(m, found), line.text)
        if not tags:
            continue
        lines[i] = Line(new, line.origin, line.code)
        ctx.emit(
            "markup.self-closing",
            line.origin,
            f"<{tags[0]} … /> is not an empty element in HTML: the text after it would go "
            "inside it",
            f"wrote it as <{tags[0]} …></{tags[0]}>"
            + (f" (and {plural_tags(len(tags) - 1)})" if len(tags) > 1 else ""),
            Severity.INFO,
        )
    return Doc(tuple(lines), doc.meta)


def _expand(match: re.Match[str], found: list[str]) -> str:
    tag = match["tag"]
    if tag.lower() in _VOID:
        return match[0]
    found.append(tag)
    return f"<{tag}{match['attrs']}></{tag}>"


def plural_tags(n: int) -> str:
    return f"{n} more tag" if n == 1 else f"{n} more tags"


RULE = Rule("self_closing", ("markup.self-closing",), apply)

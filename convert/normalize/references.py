"""Reference links with no definition, and links with no target.

Defect: ``[text][label]``, ``[text][]`` or ``[label]`` (and the image forms) whose label has
no ``[label]: url`` definition print as literal brackets; ``[text]()`` is a link to nowhere.
Python-Markdown matches labels in lower case with runs of spaces collapsed on the use side
only; CommonMark also folds case fully and collapses spaces on both sides, so a document
written for another renderer can lose links that were fine there.

Fix, for a reference whose label the parser would not find:

- a definition that matches by CommonMark's rules: point the reference at it; a definition
  label with runs of spaces (which the parser never matches) is collapsed
  (``link.reference-resolved``, info);
- a heading with that text (Pandoc's implicit header references, ``[My header]``): link to
  the heading's id (``link.reference-resolved``, info);
- else ``[text][label]`` and ``[text][]`` become ``text``; an image reference becomes its alt
  text (``link.undefined``, warning).

A bare ``[label]`` is only a broken reference when it clearly means one: the document uses
reference definitions, the label looks like one (a few words, no markup, not a number
unless numbered definitions exist) and is not a look-alike: task-list boxes ``[ ]``/``[x]``,
footnotes ``[^1]``, editorial brackets (``[sic]``, ``[citation needed]``, ``[…]``),
``[object Object]`` debris, brackets glued to a word (``a[i]``), a bracketed span with
attributes (``[lead]{.index}``, an index mark). Anything else stays as
written, without a diagnostic. ``[text]()`` and ``[text](<>)`` become ``text``
(``link.empty``, warning); images with empty targets are the images rule's business.
Definitions nothing uses render nothing and are reported (``link.definition-unused``, info).

Codes: ``link.undefined``, ``link.empty`` (warnings); ``link.reference-resolved``,
``link.definition-unused`` (info).
"""

from __future__ import annotations

import re

from .anchors import anchors
from .base import Context, Doc, Line, Rule, Severity
from .syntax import (
    MAX_LABEL,
    Link,
    Patch,
    apply_edits,
    definition,
    definition_key,
    definition_label,
    label_key,
    links,
    scanned,
    still_text,
    underlined,
    unlink,
    use_key,
)

_LABEL_LIKE = re.compile(r"\w[\w .:/&'+#-]*")
_NUMERIC = re.compile(r"[\d\s.,:;-]+")
# Bracketed words that are prose, not links, even in a document full of references.
_PROSE = frozenset({
    "sic", "sic!", "citation needed", "clarification needed", "edit", "todo", "toc", "note",
    "tip", "info", "warning", "important", "caution", "x", "object object", "n/a",
})  # fmt: skip


def _looks_like_label(label: str, numbered: bool) -> bool:
    """Would a reader of the source take ``[label]`` for a reference link?"""
    text = " ".join(label.split())
    if not text or len(text) > 40 or len(text.split()) > 3 or not _LABEL_LIKE.fullmatch(text):
        return False
    if text.casefold() in _PROSE:
        return False
    return numbered or not _NUMERIC.fullmatch(text)


def _glued(text: str, link: Link) -> bool:
    """``a[i][j]``, ``word[note]``: brackets glued to a word are code or prose, not links."""
    return link.start > 0 and text[link.start - 1].isalnum()


class _Headings:
    """Heading text → id, computed only when an undefined reference needs it."""

    def __init__(self, doc: Doc, dialect: str) -> None:
        self._doc = doc
        self._dialect = dialect
        self._map: dict[str, tuple[str, str]] | None = None

    def get(self, label: str) -> tuple[str, str] | None:
        if self._map is None:
            self._map = {}
            for heading in anchors(self._doc, self._dialect).headings:
                self._map.setdefault(label_key(heading.text), (heading.text, heading.id))
        return self._map.get(label_key(label))


def apply(doc: Doc, ctx: Context) -> Doc:
    lines = list(doc.lines)
    readable = list(scanned(doc, ctx.dialect))

    # Definitions: the parser's keys, CommonMark's keys, and labels it could never match.
    defined: set[str] = set()
    folded: dict[str, str] = {}
    first_line: dict[str, tuple[Line, str]] = {}
    for i, line in readable:
        found = definition(line)
        if found is None or underlined(lines, i):
            continue
        label = found.label
        if re.search(r"\s\s|[^\S ]", label.strip()):
            label = " ".join(label.split())
            start = line.text.index("[") + 1
            end = start + len(found.label)
            lines[i] = Line(line.text[:start] + label + line.text[end:], line.origin, line.code)
            ctx.emit(
                "link.reference-resolved",
                line.origin,
                f"definition label [{found.label}] has runs of spaces the parser never matches",
                "collapsed them",
                Severity.INFO,
            )
        key = definition_key(label)
        defined.add(key)
        folded.setdefault(label_key(label), label)
        first_line.setdefault(key, (line, label))
    numbered = any(_NUMERIC.fullmatch(key) for key in defined)
    headings = _Headings(doc, ctx.dialect)
    used: set[str] = set()

    for i, line in readable:
        text = lines[i].text
        if "[" not in text:
            continue
        edits: list[Patch] = []
        for link in links(text):
            if link.kind == "inline":
                if not link.image and text[link.close + 2 : link.end - 1].strip() in ("", "<>"):
                    edits.extend(unlink(link))
                    ctx.emit(
                        "link.empty",
                        line.origin,
                        f"link {link.text[:60]!r} has no target",
                        "kept its text",
                    )
                continue
            if link.label_length > MAX_LABEL:
                continue  # too long to be a label
            if definition_label(text, link) and not underlined(lines, i):
                continue  # the label of a definition (a heading's text is not one)
            if link.label.startswith("^"):
                continue  # a footnote
            key = use_key(link.label)
            if key in defined:
                used.add(key)
                continue
            edits.extend(_repair(text, link, line, folded, headings, used, numbered, ctx))
        if edits:
            lines[i] = Line(still_text(text, apply_edits(text, edits)), line.origin, line.code)

    for key, (line, label) in first_line.items():
        if key not in used:
            ctx.emit(
                "link.definition-unused",
                line.origin,
                f"reference definition [{label}] is never used",
                None,
                Severity.INFO,
            )
    return Doc(tuple(lines), doc.meta)


def _repair(
    text: str,
    link: Link,
    line: Line,
    folded: dict[str, str],
    headings: _Headings,
    used: set[str],
    numbered: bool,
    ctx: Context,
) -> list[Patch]:
    """Edits for one reference the parser will not resolve (none when it is a look-alike)."""
    label = link.label
    if link.kind == "shortcut" and text[link.end : link.end + 1] == "{":
        return []  # a bracketed span with attributes (``[lead]{.index}``), not a reference
    # Inside another link's text a heading match would make a link in a link: not there.
    heading = None if link.image or link.nested else headings.get(label)
    if link.kind == "shortcut" and (
        _glued(text, link)
        or not _looks_like_label(label, numbered)
        or (not link.image and not folded and heading is None)
    ):
        return []  # brackets in prose, not a reference
    if link.kind != "shortcut" and _glued(text, link):
        return []
    target = folded.get(label_key(label))
    if target is not None:
        used.add(definition_key(target))
        ctx.emit(
            "link.reference-resolved",
            line.origin,
            f"reference [{label}] matches the definition [{target}] only when case and spacing"
            " are ignored",
            f"pointed it at [{target}]",
            Severity.INFO,
        )
        if link.kind == "shortcut":
            return [(link.end, link.end, f"[{target}]")]
        return [(link.close + 2, link.end - 1, target)]
    if heading is not None:
        ctx.emit(
            "link.reference-resolved",
            line.origin,
            f"reference [{label}] has no definition but names the heading {heading[0]!r}",
            f"linked it to #{heading[1]}",
            Severity.INFO,
        )
        return [(link.close + 1, link.end, f"(#{heading[1]})")]
    what = "image reference" if link.image else "reference"
    ctx.emit(
        "link.undefined",
        line.origin,
        f"{what} [{label}] has no definition",
        "kept its alt text only" if link.image else "kept the text only",
    )
    return unlink(link)


RULE = Rule(
    "references",
    ("link.undefined", "link.empty", "link.reference-resolved", "link.definition-unused"),
    apply,
)

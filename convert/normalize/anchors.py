"""The ids the parser will assign, computed on source lines.

``anchors(doc)`` predicts what ``convert/markdown.py`` will do with the headings of ``doc``
and which fragment targets the output will hold, so that rules can check ``#fragment``
links (``fragments``), name the id a repeated heading gets (``duplicate_headings``) and
turn implicit header references into links (``references``) before parsing.

It follows Python-Markdown and ``markdown._Ids``:

- headings: ATX at the start of a line (``#x`` needs no space; up to three spaces in is a
  paragraph), also after ``>`` and list markers; closing ``#``s dropped; setext (one line,
  then ``===`` or ``---``) when that line starts a block; none inside fenced code, raw HTML
  blocks or comments;
- ids written by the author (``{#id}`` / ``{: #id }`` / ``{id=…}`` attribute lists on a
  heading, on the last line of a block, or right after an inline element) are taken first,
  in document order, repeats numbered; ids starting ``fn-``/``fnref`` are not reserved
  (``_Ids`` skips them);
- every other heading gets ``slugify`` of its plain text (code, emphasis, links, entities,
  escapes and footnote numbers as the parser renders them), repeats ``-1``, ``-2``…
- other targets: ids and ``<a name>`` written in raw HTML (the tree stage turns a ``name``
  into an id), and footnote ids (``fn-<label>`` / ``fnref-<label>`` as written, which the
  parser rewrites, and the final ``fn-<n>`` / ``fnref-<n>``).

Where it simplifies: reference-style links inside a heading keep their brackets, and a
heading inside a footnote or an indented list continuation is not seen. The test
``tests/unit/test_anchors.py`` compares it with the parser on tricky headings.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..slugs import UniqueIds, slugify
from .base import Doc
from .syntax import has_markdown_attr, raw_html


@dataclass(frozen=True, slots=True)
class HeadingId:
    index: int  # position in ``doc.lines`` (of the text line, for a setext heading)
    level: int
    text: str  # plain text, as the parser will see it
    id: str


@dataclass(frozen=True, slots=True)
class Anchors:
    headings: tuple[HeadingId, ...]
    ids: frozenset[str]  # every fragment a link in this document may target


# Block quote and list markers in front of a heading: the parser strips them first.
_ATX = re.compile(r"^(?:[ ]{0,3}>[ ]?|[ ]{0,3}(?:[*+-]|\d+\.)[ ]+)*(?P<level>#{1,6})")
_SETEXT = re.compile(r"^(?:=+|-+)[ ]*$")
_ATTRS = r"\{:?[ ]*(?P<attrs>[^}\n ][^\n]*)\}"
_HEADER_ATTRS = re.compile(rf"[ ]+{_ATTRS}[ ]*$")
_BLOCK_ATTRS = re.compile(rf"^[ ]*{_ATTRS}[ ]*$")
_INLINE_ATTRS = re.compile(r"(?<=[*_`)\]])\{:?[ ]*(?P<attrs>[^}\n ][^}\n]*)\}")
_ATTR_TOKEN = re.compile(r"""[^ =}]+="[^"]*"|[^ =}]+='[^']*'|[^ =}]+=[^ =}]+|[^ =}]+| """)
_RAW_ID = re.compile(
    r"""<(?P<tag>[A-Za-z][A-Za-z0-9]*)\b[^>]*?\s(?P<attr>id|name)\s*=\s*"""
    r"""(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"'>]+))""",
    re.IGNORECASE,
)
_FOOTNOTE_DEF = re.compile(r"^[ ]{0,3}\[\^(?P<label>[^\]]*)\]:")


def _attr_id(attrs: str) -> str | None:
    """The id an attribute list sets (the last one wins), or ``None``.

    Python-Markdown's ``attr_list`` scanner: ``#id``, ``id=x``, ``id="x"``; a stray ``}`` in
    the list makes a heading or block attribute list literal text (``strict``).
    """
    ident: str | None = None
    pos = 0
    while pos < len(attrs):
        match = _ATTR_TOKEN.match(attrs, pos)
        if not match:
            break
        token = match[0]
        pos = match.end()
        if token.startswith("#"):
            ident = token[1:]
        elif token.startswith("id="):
            ident = token[3:].strip("\"'")
    if "}" in attrs[pos:]:
        return None
    return ident or None  # an empty id is no id: the parser slugs the heading instead


def _atx(text: str) -> tuple[int, str] | None:
    """``(level, raw text)`` of an ATX heading line, as Python-Markdown's HashHeaderProcessor
    reads it: closing ``#``s are dropped only at the very end of the line, and an escaped
    ``\\#`` there is text."""
    match = _ATX.match(text)
    if match is None:
        return None
    rest = text[match.end() :]
    end = len(rest.rstrip("#"))
    if end < len(rest):
        slashes = len(rest[:end]) - len(rest[:end].rstrip("\\"))
        if slashes % 2:
            end += 1
    return len(match["level"]), rest[:end]


def _header(text: str) -> tuple[str, str | None]:
    """Heading content → (text without its attribute list, explicit id or ``None``)."""
    text = text.strip()
    match = _HEADER_ATTRS.search(text)
    if match is None:
        return text, None
    ident = _attr_id(match["attrs"])
    if ident is None and "}" in match["attrs"]:
        return text, None  # strict: the list stays literal text
    return text[: match.start()].rstrip("#").rstrip(), ident


# Inline Markdown → the plain text ``markdown._text`` will see.
_CODE = re.compile(r"(?<!\\)(`+)(?P<code>.+?)(?<!`)\1(?!`)")
_ESCAPED = re.compile(r"\\(?P<ch>[\\`*_{}\[\]()#+\-.!<>])")
_FOOTNOTE_CALL = re.compile(r"\[\^(?P<label>[^\]]*)\]")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<(?P<url>(?:https?|ftp)://[^>]*)>")
_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^>]*>")
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_STRONG_EM = (
    re.compile(r"(\*{1,3})(?=\S)(?P<inner>.+?)(?<=\S)\1"),
    re.compile(r"(?<![\w])(_{1,3})(?=\S)(?P<inner>.+?)(?<=\S)\1(?![\w])"),
)
_HOLE = "\x01"


def plain_text(inline: str, notes: Mapping[str, int] | None = None) -> str:
    """The text the parser renders for the inline Markdown ``inline`` (heading text).

    ``notes`` maps footnote labels to their numbers: a footnote call renders as its number.
    """
    if len(inline) > 4096:  # not a real heading; keep the scan linear
        return " ".join(inline.split())
    kept: list[str] = []

    def hold(text: str) -> str:
        kept.append(text)
        return f"{_HOLE}{len(kept) - 1}{_HOLE}"

    text = _CODE.sub(lambda m: hold(m["code"].strip()), inline)
    text = _ESCAPED.sub(lambda m: hold(m["ch"]), text)
    if notes:
        text = _FOOTNOTE_CALL.sub(
            lambda m: hold(str(notes[m["label"]])) if m["label"] in notes else m[0], text
        )
    text = _IMAGE.sub("", text)
    text = _LINK.sub(lambda m: m["text"], text)
    text = _AUTOLINK.sub(lambda m: hold(m["url"]), text)
    text = _TAG.sub("", text)
    text = _ENTITY.sub(lambda m: hold(html.unescape(m[0])), text)
    for pattern in _STRONG_EM:
        previous = None
        while previous != text:
            previous, text = text, pattern.sub(lambda m: m["inner"], text)
    text = re.sub(f"{_HOLE}(\\d+){_HOLE}", lambda m: kept[int(m[1])], text)
    return " ".join(text.split())


def _is_footnote_id(ident: str) -> bool:
    # Mirrors markdown._is_footnote_id: such explicit ids are kept but never reserved.
    return ident.startswith("fn-") or ident.startswith("fnref")


def footnote_numbers(doc: Doc) -> dict[str, int]:
    """Footnote label → the number the parser gives it (definition order, first wins)."""
    numbers: dict[str, int] = {}
    for line in doc.lines:
        if not line.code and (match := _FOOTNOTE_DEF.match(line.text)):
            numbers.setdefault(match["label"], len(numbers) + 1)
    return numbers


def anchors(doc: Doc) -> Anchors:
    """Headings with the ids the parser will give them, and every valid fragment target."""
    lines = doc.lines
    raw = raw_html(lines)
    notes = footnote_numbers(doc)
    explicit: list[str] = []  # ids written by the author, in document order
    found: list[tuple[int, int, str, int | None]] = []  # index, level, text, explicit slot
    targets: set[str] = set()
    block_start = True
    skip_next = False
    for i, line in enumerate(lines):
        text = line.text
        if line.code or raw[i]:
            if raw[i] and has_markdown_attr(text):
                # md_in_html makes this tag a real element: its id is reserved like {#id}.
                explicit.extend(_raw_ids(text))
            elif raw[i]:
                targets.update(_raw_ids(text))
            block_start = True
            continue
        if skip_next:  # the underline of a setext heading
            skip_next = False
            block_start = True
            continue
        if not text.strip():
            block_start = True
            continue
        if "<" in text and has_markdown_attr(text):
            explicit.extend(_raw_ids(text))  # <p markdown="span" id="x">: a real element
        else:
            targets.update(_raw_ids(text))
        heading = _atx(text)
        if heading is None and (
            block_start
            and not text.startswith(("    ", "\t"))
            and i + 1 < len(lines)
            and not lines[i + 1].code
            and not raw[i + 1]
            and _SETEXT.match(lines[i + 1].text)
        ):
            heading = (1 if lines[i + 1].text.startswith("=") else 2), text
            skip_next = True
        if heading is not None:
            content, ident = _header(heading[1])
            slot = None
            if ident is not None:
                slot = len(explicit)
                explicit.append(ident)
            found.append((i, heading[0], plain_text(content, notes), slot))
            block_start = True
            continue
        block_start = False
        match = _BLOCK_ATTRS.match(text)
        last_of_block = i + 1 == len(lines) or not lines[i + 1].text.strip()
        ident = None
        if match and last_of_block and i > 0 and lines[i - 1].text.strip():
            ident = _attr_id(match["attrs"])
        if ident is not None:
            explicit.append(ident)
        for inline in _INLINE_ATTRS.finditer(text):
            if (ident := _attr_id(inline["attrs"])) is not None:
                explicit.append(ident)

    ids = UniqueIds()
    final: list[str] = []
    for ident in explicit:
        final.append(ident if _is_footnote_id(ident) else ids.make(ident))
    headings = tuple(
        HeadingId(i, level, text, final[slot] if slot is not None else ids.make(slugify(text)))
        for i, level, text, slot in found
    )
    targets.update(final)
    targets.update(h.id for h in headings)
    for n, label in enumerate(notes, start=1):
        targets.update((f"fn-{label}", f"fnref-{label}", f"fn-{n}", f"fnref-{n}"))
    return Anchors(headings, frozenset(targets))


def _raw_ids(text: str) -> list[str]:
    """Ids (any tag) and names (``<a>`` only) written in raw HTML on this line."""
    if "<" not in text:
        return []
    found: list[str] = []
    for match in _RAW_ID.finditer(text):
        if match["attr"].lower() == "name" and match["tag"].lower() != "a":
            continue
        value = next(v for v in (match["dq"], match["sq"], match["bare"]) if v is not None)
        if value.strip():
            found.append(value.strip())
    return found

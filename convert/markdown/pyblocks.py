"""Python-Markdown's reading of a source, predicted without importing the library.

Python-Markdown keeps no line numbers, so the block map and the heading ids of the
``python-markdown`` dialect come from scanners that follow its block processors: fenced
code, raw HTML blocks (which run to their closing tag, blank lines and all), ATX headings,
setext headings whose text line starts a block, pipe tables that start a block. The test
``tests/unit/test_anchors.py`` compares the predicted ids with the parser's.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from ..slugs import UniqueIds, slugify
from .blocks import Anchors, Blocks, HeadingId, HeadingSpan, Kind, raw_ids
from .tables import is_delimiter_row, split_row

_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")

# ---------------------------------------------------------------------------------------
# The block map, as Python-Markdown reads the lines

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def code_lines(texts: Sequence[str]) -> list[bool]:
    """Lines inside fenced code (``` or ~~~, CommonMark's closing rules), fences included."""
    out: list[bool] = []
    fence: str | None = None
    for text in texts:
        match = _FENCE.match(text)
        if fence is None:
            if match and not (match[1][0] == "`" and "`" in text[match.end() :]):
                fence = match[1]
                out.append(True)
            else:
                out.append(False)
        else:
            closes = (
                match is not None
                and match[1][0] == fence[0]
                and len(match[1]) >= len(fence)
                and not text[match.end() :].strip()
            )
            out.append(True)
            if closes:
                fence = None
    return out


# Python-Markdown's block-level tags: a line that starts with one opens a raw HTML block that
# is passed through unparsed (no headings, links or footnotes inside) until the tag closes.
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "canvas", "center", "colgroup",
    "dd", "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "group", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr",
    "html", "iframe", "legend", "li", "main", "map", "math", "menu", "nav", "noscript",
    "object", "ol", "output", "p", "pre", "progress", "script", "section", "style",
    "summary", "table", "tbody", "td", "textarea", "tfoot", "th", "thead", "tr", "ul",
    "video",
})  # fmt: skip
_VOID = frozenset({"hr"})
_RAW_OPEN = re.compile(r"^ {0,3}<(?:(?P<comment>!--)|(?P<tag>[A-Za-z][A-Za-z0-9]*)(?=[\s/>]|$))")
_MARKDOWN_ATTR = re.compile(r"""\smarkdown\s*=\s*["']?(?!0)[^"'\s>]+""", re.IGNORECASE)


def has_markdown_attr(text: str) -> bool:
    """Does the tag on this line ask for Markdown inside (``markdown="1"``, md_in_html)?"""
    return bool(_MARKDOWN_ATTR.search(text))


def starts_raw_block(text: str) -> bool:
    """Does this line open a raw HTML block (a block-level tag or a comment at its start)?"""
    match = _RAW_OPEN.match(text)
    return match is not None and (
        bool(match["comment"]) or (match["tag"] or "").lower() in _BLOCK_TAGS
    )


def raw_lines(texts: Sequence[str], code: Sequence[bool]) -> list[bool]:
    """For each line: is it raw HTML the parser passes through (a block or a comment)?

    A block starts at a line that begins with a block-level tag (up to three spaces in) and
    ends on the line where that tag's nesting depth returns to zero; an unclosed one runs to
    the end, as in Python-Markdown. A tag marked ``markdown="1"`` (md_in_html) is not a raw
    block: only its opening and closing tag lines are raw, the lines between are Markdown;
    marked so and closed on its own line (``<p markdown="span">…</p>``), the line is
    Markdown. Fenced code is never raw.
    """
    flags: list[bool] = []
    tag: str | None = None  # the open raw block's tag, or "--" inside a comment
    depth = 0
    opens = closes = re.compile("$^")
    containers: list[re.Pattern[str]] = []  # closing-tag patterns of open markdown="1" tags
    for text, is_code in zip(texts, code, strict=True):
        if is_code:
            flags.append(False)
            continue
        if tag is None:
            if containers and containers[-1].match(text):
                containers.pop()
                flags.append(True)
                continue
            match = _RAW_OPEN.match(text)
            name = (match["tag"] or "").lower() if match else ""
            if match and match["comment"]:
                tag, depth = "--", 1
            elif match and name in _BLOCK_TAGS:
                if name in _VOID:
                    flags.append(True)
                    continue
                opens = re.compile(rf"<{name}(?=[\s/>]|$)", re.IGNORECASE)
                closes = re.compile(rf"</{name}\s*>", re.IGNORECASE)
                if has_markdown_attr(text):
                    balance = len(opens.findall(text)) - len(closes.findall(text))
                    if balance > 0:
                        containers.append(re.compile(rf"^\s*</{name}\s*>", re.IGNORECASE))
                    flags.append(balance > 0)
                    continue
                tag, depth = name, 0
            else:
                flags.append(False)
                continue
        flags.append(True)
        if tag == "--":
            if "-->" in text:
                tag = None
            continue
        depth += len(opens.findall(text)) - len(closes.findall(text))
        if depth <= 0:
            tag = None
    return flags


_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_UNDERLINE = re.compile(r"^(=+|-+)[ \t]*$")
# Text lines Python-Markdown would read as something else first, or that are too odd to
# call a heading: indented code, quotes, tables, HTML, list items, footnotes, ATX.
_NOT_SETEXT_TEXT = re.compile(r"^(?: {4}|\t| {0,3}(?:[>|<#%]|[-*+]\s|\d+[.)]\s|\[\^))")


def _headings(texts: Sequence[str], kinds: Sequence[Kind]) -> list[HeadingSpan]:
    """ATX headings, and setext headings whose text line starts a block (Python-Markdown
    reads ``---`` under a paragraph's later line as text plus a rule)."""
    found: list[HeadingSpan] = []
    boundary = True  # the next line starts a block (start, after a blank line or a heading)
    i = 0
    n = len(texts)
    while i < n:
        text, kind = texts[i], kinds[i]
        if kind == "text" and (atx := _ATX.match(text)):
            found.append(HeadingSpan(i, i + 1, len(atx[1])))
            boundary = True
        elif (
            boundary
            and i + 1 < n
            and kind == "text"
            and kinds[i + 1] == "text"
            and text.strip()
            and not _NOT_SETEXT_TEXT.match(text)
            and (under := _UNDERLINE.match(texts[i + 1]))
        ):
            found.append(HeadingSpan(i, i + 2, 1 if under[1][0] == "=" else 2, setext=True))
            i += 2
            boundary = True
            continue
        else:
            boundary = not text.strip() and kind == "text"
        i += 1
    return found


def _tables(texts: Sequence[str], kinds: Sequence[Kind], headed: set[int]) -> list[tuple[int, int]]:
    """``(header, end)`` of the pipe tables Python-Markdown renders: a header row with
    pipes, a delimiter row with as many cells, rows up to the first blank or code line; it
    must start a block (after a blank line, a heading or the start): a table right under a
    paragraph line is part of that paragraph."""
    found: list[tuple[int, int]] = []
    i = 0
    n = len(texts)
    while i + 1 < n:
        line, below = texts[i], texts[i + 1]
        starts_block = i == 0 or not texts[i - 1].strip() or (i - 1) in headed
        if kinds[i] != "text" or kinds[i + 1] != "text" or "|" not in line or not starts_block:
            i += 1
            continue
        header = split_row(line, code_protects=True)
        delimiter = split_row(below, code_protects=True)
        usable = len(header.cells) > 1 or (header.left or header.right)
        if not (usable and len(delimiter.cells) == len(header.cells)):
            i += 1
            continue
        if not is_delimiter_row(delimiter) or "-" not in below:
            i += 1
            continue
        end = i + 2
        while end < n and kinds[end] == "text" and texts[end].strip():
            end += 1
        found.append((i, end))
        i = end
    return found


def blocks(text: str) -> Blocks:
    """The block map of ``text`` as Python-Markdown reads it (see the module docstring)."""
    return _blocks(text)


@lru_cache(maxsize=8)
def _blocks(text: str) -> Blocks:
    texts = text.split("\n")
    code = code_lines(texts)
    raw = raw_lines(texts, code)
    kinds: list[Kind] = []
    for is_code, is_raw in zip(code, raw, strict=True):
        kinds.append("fence" if is_code else "html" if is_raw else "text")
    headings = _headings(texts, kinds)
    headed = set()
    for heading in headings:
        for i in range(heading.start, heading.end):
            kinds[i] = "heading"
            headed.add(i)
    tables = _tables(texts, kinds, headed)
    for start, end in tables:
        for i in range(start, end):
            kinds[i] = "table"
    for i, line in enumerate(texts):
        if kinds[i] == "text" and not line.strip():
            kinds[i] = "blank"
    return Blocks(tuple(kinds), tuple(headings), tuple(tables))


# ---------------------------------------------------------------------------------------
# Heading ids, predicted on the source
#
# Follows Python-Markdown and ``_Ids``:
# - headings: ATX at the start of a line (``#x`` needs no space; up to three spaces in is a
#   paragraph), also after ``>`` and list markers; closing ``#``s dropped; setext (one line,
#   then ``===`` or ``---``) when that line starts a block; none inside fenced code, raw
#   HTML blocks or comments;
# - ids written by the author (``{#id}`` / ``{: #id }`` / ``{id=…}`` attribute lists on a
#   heading, on the last line of a block, or right after an inline element) are taken
#   first, in document order, repeats numbered; ids starting ``fn-``/``fnref`` are not
#   reserved (``_Ids`` skips them);
# - every other heading gets ``slugify`` of its plain text (code, emphasis, links,
#   entities, escapes and footnote numbers as the parser renders them), repeats ``-1``…
# - other targets: ids and ``<a name>`` written in raw HTML, and footnote ids (``fn-<label>``
#   / ``fnref-<label>`` as written, which the parser rewrites, and the final ``fn-<n>``).
# Where it simplifies: reference-style links inside a heading keep their brackets, and a
# heading inside a footnote or an indented list continuation is not seen.

_ATX_ANY = re.compile(r"^(?:[ ]{0,3}>[ ]?|[ ]{0,3}(?:[*+-]|\d+\.)[ ]+)*(?P<level>#{1,6})")
_SETEXT = re.compile(r"^(?:=+|-+)[ ]*$")
_ATTRS = r"\{:?[ ]*(?P<attrs>[^}\n ][^\n]*)\}"
_HEADER_ATTRS = re.compile(rf"[ ]+{_ATTRS}[ ]*$")
_BLOCK_ATTRS = re.compile(rf"^[ ]*{_ATTRS}[ ]*$")
_INLINE_ATTRS = re.compile(r"(?<=[*_`)\]])\{:?[ ]*(?P<attrs>[^}\n ][^}\n]*)\}")
_ATTR_TOKEN = re.compile(r"""[^ =}]+="[^"]*"|[^ =}]+='[^']*'|[^ =}]+=[^ =}]+|[^ =}]+| """)
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


def _atx_text(text: str) -> tuple[int, str] | None:
    """``(level, raw text)`` of an ATX heading line, as Python-Markdown's HashHeaderProcessor
    reads it: closing ``#``s are dropped only at the very end of the line, and an escaped
    ``\\#`` there is text."""
    match = _ATX_ANY.match(text)
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


# Inline Markdown → the plain text ``_text`` will see.
_CODE_SPAN = re.compile(r"(?<!\\)(`+)(?P<code>.+?)(?<!`)\1(?!`)")
_ESCAPE = re.compile(r"\\(?P<ch>[\\`*_{}\[\]()#+\-.!<>])")
_FOOTNOTE_CALL = re.compile(r"\[\^(?P<label>[^\]]*)\]")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<(?P<url>(?:https?|ftp)://[^>]*)>")
_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^>]*>")
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

    text = _CODE_SPAN.sub(lambda m: hold(m["code"].strip()), inline)
    text = _ESCAPE.sub(lambda m: hold(m["ch"]), text)
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
    # Mirrors _Ids: such explicit ids are kept but never reserved.
    return ident.startswith("fn-") or ident.startswith("fnref")


def footnote_numbers(texts: Sequence[str], code: Sequence[bool]) -> dict[str, int]:
    """Footnote label → the number the parser gives it (definition order, first wins)."""
    numbers: dict[str, int] = {}
    for text, is_code in zip(texts, code, strict=True):
        if not is_code and (match := _FOOTNOTE_DEF.match(text)):
            numbers.setdefault(match["label"], len(numbers) + 1)
    return numbers


def anchors(text: str) -> Anchors:
    """Headings with the ids the parser will give them, and every valid fragment target."""
    return _anchors(text)


@lru_cache(maxsize=4)
def _anchors(source: str) -> Anchors:
    texts = source.split("\n")
    code = code_lines(texts)
    raw = raw_lines(texts, code)
    notes = footnote_numbers(texts, code)
    explicit: list[str] = []  # ids written by the author, in document order
    # index, level, text, explicit slot, quoted
    found: list[tuple[int, int, str, int | None, bool]] = []
    targets: set[str] = set()
    block_start = True
    skip_next = False
    for i, text in enumerate(texts):
        if code[i] or raw[i]:
            if raw[i] and has_markdown_attr(text):
                # md_in_html makes this tag a real element: its id is reserved like {#id}.
                explicit.extend(raw_ids(text))
            elif raw[i]:
                targets.update(raw_ids(text))
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
            explicit.extend(raw_ids(text))  # <p markdown="span" id="x">: a real element
        else:
            targets.update(raw_ids(text))
        heading = _atx_text(text)
        if heading is None and (
            block_start
            and not text.startswith(("    ", "\t"))
            and i + 1 < len(texts)
            and not code[i + 1]
            and not raw[i + 1]
            and _SETEXT.match(texts[i + 1])
        ):
            heading = (1 if texts[i + 1].startswith("=") else 2), text
            skip_next = True
        if heading is not None:
            content, ident = _header(heading[1])
            slot = None
            if ident is not None:
                slot = len(explicit)
                explicit.append(ident)
            quoted = text.lstrip(" ").startswith(">")
            found.append((i, heading[0], plain_text(content, notes), slot, quoted))
            block_start = True
            continue
        block_start = False
        match = _BLOCK_ATTRS.match(text)
        last_of_block = i + 1 == len(texts) or not texts[i + 1].strip()
        ident = None
        if match and last_of_block and i > 0 and texts[i - 1].strip():
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
        HeadingId(
            i, level, text, final[slot] if slot is not None else ids.make(slugify(text)), quoted
        )
        for i, level, text, slot, quoted in found
    )
    targets.update(final)
    targets.update(h.id for h in headings)
    for n, label in enumerate(notes, start=1):
        targets.update((f"fn-{label}", f"fnref-{label}", f"fn-{n}", f"fnref-{n}"))
    return Anchors(headings, frozenset(targets))

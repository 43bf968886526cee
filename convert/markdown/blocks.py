"""What a dialect says each source line is: the block map, and the ids it gives headings.

The normalize rules ask these questions instead of guessing with regular expressions how
a parser will read a line: is it code, raw HTML, a heading (of which level, spanning
which lines), a table, a list item (with which marker, at which column, how deep)? Each
dialect answers from its own parser (``commonmark``: markdown-it-py's token line maps;
``pymarkdown``: scanners that follow Python-Markdown's block processors).

Indexes are 0-based positions in the list of lines the map was made from; spans are
``[start, end)``. Nothing here imports a Markdown library.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

# The leaf block a line belongs to. Container blocks (quotes, lists) are told apart by
# ``Blocks.items`` and ``Blocks.quoted``; a line inside a quoted list paragraph is "text".
Kind = Literal[
    "blank",  # an empty line (or one only of container markers)
    "text",  # paragraph text (a lazy continuation line included)
    "heading",  # an ATX heading, or the text or underline of a setext heading
    "fence",  # a fenced code block, its fence lines included
    "math",  # a display formula, ``$$ … $$`` (TeX: never repaired, like code)
    "code",  # an indented code block
    "html",  # a raw HTML block (passed through unparsed)
    "table",  # a pipe table row, its delimiter row included
    "hr",  # a thematic break
    "definition",  # a link reference definition (or its continuation lines)
    "footnote",  # the label line of a footnote definition with no text of its own
    "term",  # a definition-list term
]


@dataclass(frozen=True, slots=True)
class HeadingSpan:
    """A heading: ``start`` is its (first) text line; a setext heading's underline is the
    last line of the span."""

    start: int
    end: int
    level: int
    setext: bool = False
    # Column of the ATX ``#`` run on its line (0 unless inside a quote or list item).
    column: int = 0
    # Inside a block quote: quoted text, not a section of the document's outline (HTML
    # makes a blockquote a sectioning root).
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class Item:
    """A list item: the line of its marker, the columns around the marker, its depth."""

    line: int
    end: int
    marker: str  # "-", "*", "+", "1.", "3)"...
    indent: int  # column of the marker
    content: int  # column where the item's text starts (CommonMark's content column)
    depth: int  # 1 for an item of a top-level list, 2 for a list inside it...
    quoted: bool = False  # inside a block quote (columns are then after the ">" prefix)

    @property
    def ordered(self) -> bool:
        return self.marker[-1] in ".)"

    @property
    def delimiter(self) -> str:
        return self.marker[-1] if self.ordered else ""


@dataclass(frozen=True, slots=True)
class ListSpan:
    """A whole list: its items (direct children only), and the lines it covers."""

    start: int
    end: int
    items: tuple[Item, ...]
    depth: int


@dataclass(frozen=True, slots=True)
class Blocks:
    """The block map of a text, one entry per line in ``kinds``."""

    kinds: tuple[Kind, ...]
    headings: tuple[HeadingSpan, ...] = ()
    tables: tuple[tuple[int, int], ...] = ()  # (header row, end)
    lists: tuple[ListSpan, ...] = ()
    quotes: tuple[tuple[int, int], ...] = ()  # spans of top-level block quotes
    # Raw HTML blocks and fenced code blocks: (start, end) spans, in order.
    html_blocks: tuple[tuple[int, int], ...] = ()
    fences: tuple[tuple[int, int], ...] = ()
    _heading_at: dict[int, HeadingSpan] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for heading in self.headings:
            for i in range(heading.start, heading.end):
                self._heading_at[i] = heading

    def code(self, i: int) -> bool:
        """Is line ``i`` code (fenced, its fences included, or indented), or a display
        formula (TeX, which the repairs must not touch either: ``{{2}}`` is no template)?"""
        return self.kinds[i] in ("fence", "code", "math")

    def html(self, i: int) -> bool:
        return self.kinds[i] == "html"

    def heading(self, i: int) -> HeadingSpan | None:
        """The heading line ``i`` belongs to (text or setext underline), if any."""
        return self._heading_at.get(i)

    def items(self) -> list[Item]:
        """Every list item, nested ones included, in source order."""
        found = [item for span in self.lists for item in span.items]
        return sorted(found, key=lambda item: (item.line, item.depth))


@dataclass(frozen=True, slots=True)
class HeadingId:
    """A heading with the id the parser gives it."""

    index: int  # line of the heading's (first) text line
    level: int
    text: str  # plain text, as a reader sees it
    id: str
    quoted: bool = False  # inside a block quote: not part of the outline


@dataclass(frozen=True, slots=True)
class Anchors:
    headings: tuple[HeadingId, ...]
    ids: frozenset[str]  # every fragment a link in this document may target
    # Fragments that name a target another way: a note by its label (``fn-mylabel``, as
    # Python-Markdown names notes before numbering them) → its id in the output.
    aliases: Mapping[str, str] = field(default_factory=dict)


# Code fence info strings as sites write them: ```js{10}, ```python title="x", ```{.py},
# ``` { .python #id hl_lines="2" }. The language is the first word (or the first class
# of a braced attribute list); ``title`` is kept as a caption.
_INFO_WORD = re.compile(r"^[\w#+.-]+")
_INFO_ATTR = re.compile(
    r"""(?P<key>[\w-]+)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s}]+))"""
)


@dataclass(frozen=True, slots=True)
class FenceInfo:
    language: str
    title: str = ""

    @property
    def plain(self) -> str:
        """The info string every reader understands: the language alone."""
        return self.language


def fence_info(info: str) -> FenceInfo:
    """The language and title of a code fence's info string (see above)."""
    info = info.strip()
    if not info:
        return FenceInfo("")
    if info.startswith("{"):
        inner = info[1:].rstrip("}").removeprefix(":")
        classes = [w[1:] for w in inner.split() if w.startswith(".") and len(w) > 1]
        language = classes[0] if classes else ""
        rest = inner
    else:
        word = _INFO_WORD.match(info)
        language = word[0] if word else ""
        rest = info[len(language) :]
    title = ""
    for match in _INFO_ATTR.finditer(rest):
        if match["key"].lower() == "title":
            title = next(v for v in (match["dq"], match["sq"], match["bare"]) if v is not None)
    return FenceInfo(language.removeprefix("."), title.strip())


# Trailing heading attributes: ``## Plugins {#plugins .wide}`` (Pandoc, Goldmark, kramdown
# ``{: #id}``, Python-Markdown's attr_list). Only ids and classes are honoured.
_ATTR = r"""(?:[#.][\w:-]+|[\w-]+=(?:"[^"]*"|'[^']*'|[^\s}"']+))"""
HEADING_ATTRS = re.compile(rf"[ \t]+\{{:?[ \t]*(?P<attrs>(?:{_ATTR}[ \t]*)+)\}}[ \t]*$")


def heading_attrs(text: str) -> tuple[str, str | None, tuple[str, ...]]:
    """``"Plugins {#plugins .x}"`` → ``("Plugins", "plugins", ("x",))``; text without a
    trailing attribute list comes back whole, with no id."""
    match = HEADING_ATTRS.search(text)
    if match is None:
        return text, None, ()
    ident: str | None = None
    classes: list[str] = []
    for word in match["attrs"].split():
        if word.startswith("#") and len(word) > 1:
            ident = word[1:]
        elif word.startswith(".") and len(word) > 1:
            classes.append(word[1:])
        elif word.startswith("id="):
            ident = word[3:].strip("\"'") or ident
    return text[: match.start()].rstrip(), ident, tuple(classes)


# Inline formulas as the CommonMark reader finds them (``$…$``, Pandoc's rules: no space
# inside the dollars, no digit after the closing one, no backtick inside): the repairs
# leave them alone as they leave code spans.
_INLINE_MATH = re.compile(r"(?<![\\$\w])\$(?=[^\s$])([^$`\n]*?[^\s$\\])\$(?![\d$])")


def math_spans(text: str) -> list[tuple[int, int]]:
    """Start/end offsets of the inline formulas of a line."""
    if "$" not in text:
        return []
    return [m.span() for m in _INLINE_MATH.finditer(text)]


_RAW_ID = re.compile(
    r"""<(?P<tag>[A-Za-z][A-Za-z0-9]*)\b[^>]*?\s(?P<attr>id|name)\s*=\s*"""
    r"""(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"'>]+))""",
    re.IGNORECASE,
)


def raw_ids(text: str) -> list[str]:
    """Ids (any tag) and names (``<a>`` only) written in raw HTML in ``text``: fragment
    targets the output will hold (the tree stage turns an ``<a name>`` into an id)."""
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

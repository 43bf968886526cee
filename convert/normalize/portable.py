"""Markdown every reader reads the same way: the author's intent made explicit.

Defect: a source written for CommonMark/GFM (what site generators write) holds constructs
that Python-Markdown, and so MkDocs and many converters, read differently — lists lose
their items, code its fences, raw HTML swallows the Markdown inside it. Pressroom reads such
a source as CommonMark, so its own output is right; these repairs make the text say the
same thing to every reader, so that ``pressroom fix`` writes Markdown that CommonMark, GFM
and Python-Markdown all read alike. None of them changes what CommonMark reads.

Fixes (all ``info``: nothing was wrong for the document's own dialect):

- ``markdown.link-destination``: a link or image destination with spaces
  (``[a](my file.pdf)``): CommonMark prints the brackets as text; it is wrapped in ``<…>``,
  which every reader accepts (in every dialect);
- ``markdown.list-start``: a list right under a paragraph line, with no blank line between
  (Python-Markdown reads its items as text of the paragraph): a blank line goes before it;
- ``markdown.list-indent``: a list whose nested lists or continued items are indented by
  the content column (two spaces under ``- ``): Python-Markdown needs four per level and
  flattens the rest; the list is re-indented four spaces per level (markers keep their
  width and spacing, code inside moves with its item);
- ``markdown.list-marker``: an ordered list numbered ``1)``: Python-Markdown knows only
  ``1.``; its markers become ``1.`` (not when an adjacent list uses ``.``, which would then
  run into it);
- ``markdown.html-markdown``: a raw HTML block (``<div class="x">``, ``<details>``) whose
  closing tag comes after Markdown: CommonMark reads the Markdown between, Python-Markdown
  passes it through as raw text; the opening tag gets ``markdown="1"``. A block-level tag
  that is never closed (Python-Markdown then swallows the rest of the document) is closed
  where its HTML block ends (``markdown.html-unclosed``);
- ``markdown.fence-info``: a code fence whose info string carries more than a language
  (```` ```js{10} ````, ```` ```python title="x" ````): Python-Markdown prints the fences as
  text; the info becomes the language alone, or ``{.lang title="x"}`` when a title is
  shown as the block's caption;
- ``markdown.setext``: a setext heading whose text runs over several lines (CommonMark
  takes them all, Python-Markdown only the last): one ATX heading line.

Only documents read as CommonMark get the list, HTML, fence and setext repairs: a source
in Python-Markdown's dialect already says what its reader reads. Never inside code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..markdown.blocks import Blocks, Item, fence_info
from ..markdown.pyblocks import starts_raw_block
from .base import Context, Doc, Line, Rule, Severity, blocks_of, mark_code, plural
from .syntax import apply_edits, links

# ---------------------------------------------------------------------------------------
# Link destinations with spaces


def _destinations(lines: list[Line], blocks: Blocks, ctx: Context) -> None:
    for i, line in enumerate(lines):
        if line.code or blocks.html(i) or "](" not in line.text:
            continue
        text = line.text
        edits = []
        for link in links(text):
            if link.kind != "inline" or not link.dest or not any(c.isspace() for c in link.dest):
                continue
            start, end = link.dest_span
            if text[start - 1 : start] == "<":
                continue
            edits.append((start, end, f"<{link.dest}>"))
            ctx.emit(
                "markdown.link-destination",
                line.origin,
                f"the destination {link.dest[:60]!r} has spaces: CommonMark readers print "
                "the link as text",
                "wrapped it in <…>",
                Severity.INFO,
            )
        if edits:
            lines[i] = Line(apply_edits(text, edits), line.origin, line.code)


# ---------------------------------------------------------------------------------------
# Lists


_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+]|\d{1,9}[.)])(?P<gap>[ \t]*)")


def _list_starts(lines: list[Line], blocks: Blocks, ctx: Context) -> set[int]:
    """Top-level lists right under a paragraph line: the indexes to put a blank line
    before."""
    before: set[int] = set()
    for span in blocks.lists:
        first = span.items[0] if span.items else None
        if span.depth != 1 or first is None or first.quoted or span.start == 0:
            continue
        above = lines[span.start - 1].text.lstrip()
        if blocks.kinds[span.start - 1] == "text" and not above.startswith(">"):
            before.add(span.start)
            ctx.emit(
                "markdown.list-start",
                lines[span.start].origin,
                "a list right under a paragraph line: Python-Markdown reads its items as text",
                "put a blank line before it",
                Severity.INFO,
            )
    return before


@dataclass(slots=True)
class _Owner:
    item: Item
    base: int  # column of the top-level list's markers


def _reindent(lines: list[Line], blocks: Blocks, ctx: Context) -> None:
    """Four columns per level of nesting inside every top-level list that needs it."""
    for span in blocks.lists:
        if span.depth != 1 or not span.items or span.items[0].quoted:
            continue
        items = [it for it in blocks.items() if span.start <= it.line < span.end]
        if not any(it.depth > 1 for it in items) and not _continued(lines, items, span.end):
            continue
        # Markers wider than four columns cannot sit on a four-column grid for both readers.
        deepest = max(it.depth for it in items)
        if any(it.content - it.indent > 4 for it in items if it.depth < deepest):
            continue
        base = span.items[0].indent
        owner: dict[int, Item] = {}
        for it in sorted(items, key=lambda it: it.depth):
            for k in range(it.line, min(it.end, len(lines))):
                owner[k] = it
        changed = 0
        for k in range(span.start, min(span.end, len(lines))):
            it = owner.get(k)
            line = lines[k]
            if it is None or not line.text.strip():
                continue
            text = line.text.expandtabs(4)
            indent = len(text) - len(text.lstrip(" "))
            if k == it.line:
                want = base + 4 * (it.depth - 1)
                new = " " * want + text[indent:]
            elif indent >= it.content:
                want = base + 4 * it.depth + (indent - it.content)
                new = " " * want + text[indent:]
            else:
                continue  # a lazy continuation line: every reader reads it alike
            if new != line.text:
                lines[k] = Line(new, line.origin, line.code)
                changed += 1
        if changed:
            ctx.emit(
                "markdown.list-indent",
                lines[span.start].origin,
                "a list indented by its content column: Python-Markdown needs four spaces "
                "per level and flattens nested lists",
                f"re-indented {plural(changed, 'line')} (four spaces per level)",
                Severity.INFO,
            )


def _continued(lines: list[Line], items: Sequence[Item], end: int) -> bool:
    """Does an item go on past its marker line with a block of its own (a second
    paragraph, code) indented less than four columns, which Python-Markdown reads as
    outside the item? (A line that continues a paragraph needs no indent in any reader.)"""
    for it in items:
        for k in range(it.line + 1, min(it.end, end, len(lines))):
            text = lines[k].text.expandtabs(4)
            indent = len(text) - len(text.lstrip(" "))
            opens_block = not lines[k - 1].text.strip() or lines[k].code
            if text.strip() and opens_block and it.content <= indent < 4 * it.depth:
                return True
    return False


def _markers(lines: list[Line], blocks: Blocks, ctx: Context) -> None:
    """``1)`` ordered lists → ``1.``, unless a neighbouring list would then join them."""
    spans = sorted(blocks.lists, key=lambda span: span.start)
    for n, span in enumerate(spans):
        if not span.items or span.items[0].delimiter != ")" or span.items[0].quoted:
            continue
        neighbours = [
            other
            for other in spans[max(0, n - 1) : n + 2]
            if other is not span and other.depth == span.depth and other.items
        ]
        if any(
            other.items[0].delimiter == "." and _adjacent(blocks, span, other)
            for other in neighbours
        ):
            continue
        for it in span.items:
            line = lines[it.line]
            at = line.text.expandtabs(4).find(")", it.indent)
            text = line.text.expandtabs(4)
            if at < 0:
                continue
            lines[it.line] = Line(text[:at] + "." + text[at + 1 :], line.origin, line.code)
        ctx.emit(
            "markdown.list-marker",
            lines[span.start].origin,
            "an ordered list numbered '1)': Python-Markdown reads only '1.' lists",
            f"numbered its {plural(len(span.items), 'item')} with '.'",
            Severity.INFO,
        )


def _adjacent(blocks: Blocks, a: object, b: object) -> bool:
    """Only blank lines between two list spans."""
    first, second = sorted((a, b), key=lambda span: span.start)  # type: ignore[attr-defined]
    return all(blocks.kinds[k] == "blank" for k in range(first.end, second.start))


# ---------------------------------------------------------------------------------------
# Raw HTML blocks with Markdown inside


_OPEN_TAG = re.compile(r"<(?P<tag>[A-Za-z][A-Za-z0-9-]*)(?P<attrs>(?:\s[^<>]*?)?)(?P<self>/?)>")
_MARKDOWN_ATTR = re.compile(r"\smarkdown\s*=", re.IGNORECASE)


def _html_blocks(lines: list[Line], blocks: Blocks, ctx: Context) -> dict[int, str]:
    """Mark raw HTML blocks whose closing tag follows Markdown; close those never closed.
    Returns closing lines to insert after an index."""
    insert: dict[int, str] = {}
    spans = blocks.html_blocks
    for n, (start, end) in enumerate(spans):
        first = lines[start].text
        if not starts_raw_block(first) or first.lstrip().startswith("<!--"):
            continue
        match = _OPEN_TAG.match(first.lstrip())
        if match is None or match["self"] or _MARKDOWN_ATTR.search(match["attrs"] or ""):
            continue
        tag = match["tag"].lower()
        opens = re.compile(rf"<{tag}(?=[\s/>])", re.IGNORECASE)
        closes = re.compile(rf"</{tag}\s*>", re.IGNORECASE)
        block = "\n".join(lines[k].text for k in range(start, end))
        depth = len(opens.findall(block)) - len(closes.findall(block))
        if depth <= 0:
            continue
        closed = False
        for later_start, later_end in spans[n + 1 :]:
            later = "\n".join(lines[k].text for k in range(later_start, later_end))
            depth += len(opens.findall(later)) - len(closes.findall(later))
            if depth <= 0:
                closed = True
                break
        if closed:
            at = len(first) - len(first.lstrip()) + match.end("tag") + 1
            lines[start] = Line(
                first[: at - 1] + ' markdown="1"' + first[at - 1 :], lines[start].origin
            )
            ctx.emit(
                "markdown.html-markdown",
                lines[start].origin,
                f"Markdown inside <{tag}>: Python-Markdown passes it through as raw text",
                'marked the tag markdown="1"',
                Severity.INFO,
            )
        else:
            insert[end - 1] = f"</{tag}>"
            ctx.emit(
                "markdown.html-unclosed",
                lines[start].origin,
                f"<{tag}> is never closed: Python-Markdown would read the rest of the "
                "document as raw HTML",
                f"closed it where its HTML block ends (line {lines[end - 1].origin})",
                Severity.INFO,
            )
    return insert


# ---------------------------------------------------------------------------------------
# Fence info strings and setext headings


_FENCE_OPEN = re.compile(r"^(?P<lead>\s*(?:`{3,}|~{3,}))(?P<info>[^`\n]*)$")


def _fences(lines: list[Line], blocks: Blocks, ctx: Context) -> None:
    for i, _end in blocks.fences:
        line = lines[i]
        match = _FENCE_OPEN.match(line.text)
        if match is None:
            continue
        info = match["info"].strip()
        parsed = fence_info(info)
        plain = parsed.language
        if parsed.title:
            title = parsed.title.replace('"', "'")
            plain = f'{{.{parsed.language} title="{title}"}}' if parsed.language else info
        if not info or info == plain or info == parsed.language:
            continue
        lines[i] = Line(f"{match['lead']}{plain}", line.origin, line.code)
        ctx.emit(
            "markdown.fence-info",
            line.origin,
            f"the fence info {info[:60]!r} is more than a language: Python-Markdown prints "
            "the fences as text",
            f"wrote it as {plain!r}",
            Severity.INFO,
        )


def _setext(lines: list[Line], blocks: Blocks, ctx: Context) -> set[int]:
    """Multi-line setext headings → one ATX line. Returns the lines to drop."""
    drop: set[int] = set()
    for heading in blocks.headings:
        if not heading.setext or heading.quoted or heading.end - heading.start <= 2:
            continue
        text = " ".join(lines[k].text.strip() for k in range(heading.start, heading.end - 1))
        closing = " " + "#" * heading.level if text.endswith("#") else ""
        first = lines[heading.start]
        lines[heading.start] = Line(f"{'#' * heading.level} {text}{closing}", first.origin)
        for k in range(heading.start + 1, heading.end):
            drop.add(k)
            ctx.removed.add(lines[k].origin)
        ctx.emit(
            "markdown.setext",
            first.origin,
            f"a setext heading over {heading.end - heading.start - 1} lines: Python-Markdown "
            "takes only the last as the heading",
            "wrote it as one '#' heading",
            Severity.INFO,
        )
    return drop


# ---------------------------------------------------------------------------------------


def apply(doc: Doc, ctx: Context) -> Doc:
    lines = list(doc.lines)
    blocks = blocks_of(lines, ctx.dialect)
    _destinations(lines, blocks, ctx)
    if ctx.dialect == "python-markdown":
        return Doc(tuple(lines), doc.meta)
    _fences(lines, blocks, ctx)
    _markers(lines, blocks, ctx)
    _reindent(lines, blocks, ctx)
    closing = _html_blocks(lines, blocks, ctx)
    before = _list_starts(lines, blocks, ctx)
    drop = _setext(lines, blocks, ctx)
    out: list[Line] = []
    for k, line in enumerate(lines):
        if k in drop:
            continue
        if k in before:
            out.append(Line("", line.origin))
        out.append(line)
        if k in closing:
            out.append(Line(closing[k], line.origin))
    return Doc(mark_code(out, ctx.dialect), doc.meta)


RULE = Rule(
    "portable",
    (
        "markdown.link-destination",
        "markdown.list-start",
        "markdown.list-indent",
        "markdown.list-marker",
        "markdown.html-markdown",
        "markdown.html-unclosed",
        "markdown.fence-info",
        "markdown.setext",
    ),
    apply,
)

"""The CommonMark/GFM dialect, read with markdown-it-py (the only module that imports it).

What it reads: CommonMark 0.31.2, plus what GitHub and the site generators our users export
from add — pipe tables, ``~~strikethrough~~``, task lists, extended autolinks, footnotes,
definition lists, GitHub alerts (``> [!NOTE]``), and trailing heading attributes
(``## Plugins {#plugins}``, as Goldmark, Pandoc and kramdown write them).

Three services over one parser:

- ``blocks(text)``: the block map (``blocks.Blocks``) from the token line maps, for the
  normalize rules;
- ``anchors(text)``: the headings and the ids ``render`` will give them, computed by the
  same code ``render`` runs, so fragment checks agree with the output exactly;
- ``render(text)``: the HTML fragment, in the shape the rest of the pipeline expects from
  any reader (Python-Markdown's footnote markup, ``div.highlight`` code blocks, heading
  ids), not yet sanitized.

Parses are cached by text: the normalize rules ask many questions of the same text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin

from ..model import Heading
from ..slugs import UniqueIds, slugify
from .blocks import (
    Anchors,
    Blocks,
    HeadingId,
    HeadingSpan,
    Item,
    Kind,
    ListSpan,
    fence_info,
    heading_attrs,
    raw_ids,
)
from .highlight import code_block


@lru_cache(maxsize=2)
def _engine(autolinks: bool) -> MarkdownIt:
    # One engine per process and setting: building it costs more than reading a short
    # article.
    md = MarkdownIt("commonmark", {"html": True})
    # Deep nesting is refused before parsing (``nesting.MAX_NESTING``); markdown-it's own
    # limit must not silently flatten what that check let through.
    md.options["maxNesting"] = 1000
    md.enable(["table", "strikethrough"])
    md.options["tasklists"] = True
    md.options["alerts"] = True
    if autolinks:
        md.use(gfm_autolink_plugin)
        md.inline.ruler.push("pressroom_ftp", _ftp_rule)
    md.use(footnote_plugin, inline=False)
    md.use(deflist_plugin)
    # The apparatus (README, "Index, cross-references, numbers, mathematics"): inline math
    # as GitHub writes it, Pandoc's rules for what is math ("$20 and $30" is not: no space
    # inside the dollars, no digit after the closing one); display math is our own block
    # rule, for the label after the closing "$$".
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False, allow_labels=False)
    md.block.ruler.disable("math_block")
    inline_math = next(r.fn for r in md.inline.ruler.__rules__ if r.name == "math_inline")
    md.inline.ruler.at("math_inline", _no_code_in_math(inline_math))
    md.block.ruler.before(
        "fence",
        "pressroom_math_block",
        _math_block_rule,
        {"alt": ["paragraph", "reference", "blockquote", "list", "footnote_def"]},
    )
    # Labels on images (``![…](map.svg){#fig:map}``) and bracketed spans
    # (``[lead]{.index entry="type!lead"}``), as Pandoc writes them. Only ids, classes and
    # the index's own keys are kept.
    md.use(attrs_plugin, after=("image",), spans=True, allowed=_SPAN_ATTRS)
    md.core.ruler.after("inline", "pressroom_heading_attrs", _heading_attrs_rule)
    md.core.ruler.after("text_join", "pressroom_email_local", _email_local_rule)
    md.core.ruler.after("block", "pressroom_cell_align", _cell_align_rule)
    md.core.ruler.after("block", "pressroom_alert_titles", _alert_titles_rule)
    # Every destination is a link here: the sanitizer removes the schemes we refuse and the
    # tree stage keeps the text. markdown-it's own check would leave "[click](javascript:…)"
    # as literal Markdown on the page.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    rules = md.add_render_rule
    rules("fence", _render_fence)
    rules("code_block", _render_code_block)
    rules("s_open", lambda *_: "<del>")
    rules("s_close", lambda *_: "</del>")
    rules("footnote_ref", _render_footnote_ref)
    rules("footnote_block_open", lambda *_: '<div class="footnote">\n<hr />\n<ol>\n')
    rules("footnote_block_close", lambda *_: "</ol>\n</div>\n")
    rules("footnote_open", _render_footnote_open)
    rules("footnote_close", lambda *_: "</li>\n")
    rules("footnote_anchor", _render_footnote_anchor)
    rules("alert_open", _render_alert_open)
    rules("alert_close", lambda *_: "</aside>\n")
    rules("alert_title_open", lambda *_: '<p class="admonition-title">')
    rules("alert_title_close", lambda *_: "</p>\n")
    rules("math_inline", _render_math_inline)
    rules("math_block_eqn", _render_math_block)
    rules("span_open", _render_span_open)
    return md


# ---------------------------------------------------------------------------------------
# Parsing, cached by text


@lru_cache(maxsize=8)
def _block_tokens(text: str) -> tuple[list[Token], dict[str, Any]]:
    """Block-level tokens and the environment (reference and footnote definitions): the
    core chain up to and including ``block``; inline content is parsed on demand."""
    md = _engine(False)  # autolinks are inline: block structure is the same either way
    env: dict[str, Any] = {}
    state = StateCore(text, md, env)
    for rule in md.core.ruler.getRules(""):
        rule(state)
        if rule.__name__ == "block":
            break
    return state.tokens, env


@lru_cache(maxsize=4)
def _tokens(text: str, autolinks: bool) -> tuple[list[Token], dict[str, Any]]:
    """Every token, inline children included, and the environment."""
    env: dict[str, Any] = {}
    tokens = _engine(autolinks).parse(text, env)
    return tokens, env


# ---------------------------------------------------------------------------------------
# The block map


_QUOTE_PREFIX = re.compile(r"^(?: {0,3}> ?)+")


@lru_cache(maxsize=8)
def _blocks(text: str) -> Blocks:
    tokens, _env = _block_tokens(text)
    lines = text.split("\n")
    kinds: list[Kind] = ["blank" if not line.strip() else "definition" for line in lines]
    headings: list[HeadingSpan] = []
    tables: list[tuple[int, int]] = []
    quotes: list[tuple[int, int]] = []
    html_blocks: list[tuple[int, int]] = []
    fences: list[tuple[int, int]] = []
    # Open lists: [start, end, depth, items]; items collected per list.
    open_lists: list[tuple[int, int, int, list[Item]]] = []
    lists: list[ListSpan] = []
    quote_depth = 0
    item_content: list[int] = []  # content columns of the open items (for "- - x")

    def mark(span: list[int] | None, kind: Kind) -> None:
        if span is None:
            return
        for i in range(span[0], min(span[1], len(kinds))):
            kinds[i] = kind

    for token in tokens:
        kind = token.type
        if kind == "paragraph_open":
            mark(token.map, "text")
        elif kind == "heading_open" and token.map:
            start, end = token.map
            setext = token.markup in ("=", "-")
            mark(token.map, "heading")
            column = 0
            if not setext:
                column = len(lines[start]) - len(lines[start].lstrip(" >\t-*+0123456789.)"))
            level = int(token.tag[1])
            headings.append(HeadingSpan(start, end, level, setext, column, quote_depth > 0))
        elif kind == "math_block_eqn":
            mark(token.map, "math")
        elif kind == "fence" and token.map:
            mark(token.map, "fence")
            fences.append((token.map[0], token.map[1]))
        elif kind == "code_block":
            mark(token.map, "code")
        elif kind == "html_block" and token.map:
            mark(token.map, "html")
            html_blocks.append((token.map[0], token.map[1]))
        elif kind == "hr":
            mark(token.map, "hr")
        elif kind == "table_open" and token.map:
            mark(token.map, "table")
            tables.append((token.map[0], token.map[1]))
        elif kind == "dl_open" and token.map:
            # The plugin gives terms an empty map: a term is the dl's line no other
            # block claims.
            for i in range(*token.map):
                if kinds[i] == "definition":
                    kinds[i] = "term"
        elif kind == "blockquote_open":
            if quote_depth == 0 and token.map:
                quotes.append((token.map[0], token.map[1]))
            quote_depth += 1
        elif kind == "blockquote_close":
            quote_depth -= 1
        elif kind in ("bullet_list_open", "ordered_list_open") and token.map:
            open_lists.append((token.map[0], token.map[1], len(open_lists) + 1, []))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            start, end, depth, items = open_lists.pop()
            lists.append(ListSpan(start, end, tuple(items), depth))
        elif kind == "list_item_open" and token.map:
            start, end = token.map
            marker = token.markup if not token.info else f"{token.info}{token.markup}"
            after = item_content[-1] if item_content and _same_line(open_lists, start) else 0
            indent, content = _columns(lines[start], marker, after, quote_depth > 0)
            item = Item(start, end, marker, indent, content, len(open_lists), quote_depth > 0)
            open_lists[-1][3].append(item)
            item_content.append(content)
        elif kind == "list_item_close":
            item_content.pop()
    # Lines left "definition" that are only container markers are blank.
    for i, line in enumerate(lines):
        if kinds[i] == "definition" and not _QUOTE_PREFIX.sub("", line).strip(" \t-*+"):
            kinds[i] = "blank"
    lists.sort(key=lambda span: (span.start, span.depth))
    return Blocks(
        tuple(kinds),
        tuple(headings),
        tuple(tables),
        tuple(lists),
        tuple(quotes),
        tuple(html_blocks),
        tuple(fences),
    )


def _same_line(open_lists: Sequence[tuple[int, int, int, list[Item]]], line: int) -> bool:
    """Does the enclosing item start on ``line`` too (``- - x``)?"""
    if len(open_lists) < 2:
        return False
    parent_items = open_lists[-2][3]
    return bool(parent_items) and parent_items[-1].line == line


def _columns(line: str, marker: str, after: int, quoted: bool) -> tuple[int, int]:
    """Column of ``marker`` on ``line`` (searched from column ``after``) and the column
    where the item's content starts, CommonMark's way (1–4 spaces after the marker; five
    or more mean one, the rest is indented code)."""
    text = line.expandtabs(4)
    if quoted:
        prefix = _QUOTE_PREFIX.match(text)
        text = text[prefix.end() :] if prefix else text
    at = text.find(marker, after)
    if at < 0:
        return after, after + len(marker) + 1
    end = at + len(marker)
    rest = text[end:]
    spaces = len(rest) - len(rest.lstrip(" "))
    if not rest.strip():
        return at, end + 1
    return at, end + (spaces if 1 <= spaces <= 4 else 1)


# ---------------------------------------------------------------------------------------
# Heading attributes, ids and footnote numbers


def _heading_attrs_rule(state: StateCore) -> None:
    """``## Plugins {#plugins .x}``: the attribute list leaves the heading text and sets
    its id and classes."""
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[i + 1]
        ident, classes = _strip_attrs(inline.children or [])
        if ident is None and not classes:
            continue
        inline.content = heading_attrs(inline.content)[0]
        if ident:
            token.attrSet("id", ident)
        if classes:
            token.attrSet("class", " ".join(classes))


def _strip_attrs(children: list[Token]) -> tuple[str | None, tuple[str, ...]]:
    """Take a trailing attribute list off a heading's inline tokens; its id and classes."""
    if not children or children[-1].type != "text":
        return None, ()
    last = children[-1]
    text, ident, classes = heading_attrs(last.content)
    if text == last.content:
        return None, ()
    last.content = text
    return ident, classes


def _alert_titles_rule(state: StateCore) -> None:
    """An alert's title is always its kind's name in English ("Note"; GitHub has no
    other): it is left empty, for the tree stage to word in the document's language, as
    every reader leaves an admonition's title it did not get from the author."""
    tokens = state.tokens
    for i, token in enumerate(tokens[:-1]):
        if token.type == "alert_title_open" and tokens[i + 1].type == "inline":
            tokens[i + 1].content = ""
            tokens[i + 1].children = []


def _cell_align_rule(state: StateCore) -> None:
    """Column alignment as an ``align`` attribute (the sanitizer drops ``style``; the
    tree stage turns ``align`` into a class for the EPUB)."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open") and (style := token.attrGet("style")):
            token.attrs.pop("style", None)
            token.attrSet("align", str(style).removeprefix("text-align:"))


_LOCAL_PART = re.compile(r"[\w.+-]+$")


def _email_local_rule(state: StateCore) -> None:
    """An email autolink whose local part holds ``_``: the inline scanner stops at the
    ``_`` (an emphasis delimiter) and links only what follows. The text before the link
    that belongs to the address joins it (GFM's extended email autolink)."""
    for inline in state.tokens:
        if inline.type != "inline" or not inline.children:
            continue
        kids = inline.children
        for i in range(1, len(kids) - 2):
            link, before = kids[i], kids[i - 1]
            href = str(link.attrGet("href") or "")
            if link.type != "link_open" or link.markup != "autolink" or before.type != "text":
                continue
            if not href.startswith("mailto:") or kids[i + 1].content != href[7:]:
                continue
            match = _LOCAL_PART.search(before.content)
            if not match or "_" not in match[0] or not before.content.endswith("_"):
                continue
            local = match[0]
            before.content = before.content[: -len(local)]
            kids[i + 1].content = local + kids[i + 1].content
            link.attrSet("href", "mailto:" + kids[i + 1].content)


def _inline_text(tokens: Sequence[Token]) -> str:
    """Plain text of inline tokens, as a reader sees it (raw HTML contributes nothing,
    footnote calls their number)."""
    parts: list[str] = []
    for token in tokens:
        if token.type in ("text", "text_special", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "footnote_ref":
            parts.append(str(token.meta.get("number", token.meta["id"] + 1)))
        elif token.type == "image":
            continue  # GitHub's slug leaves images out
        elif token.children:
            parts.append(_inline_text(token.children))
    return " ".join("".join(parts).split())


@dataclass(slots=True)
class _Head:
    """A heading as the id assignment needs it."""

    written: str | None  # an id from an attribute list
    level: int
    text: str
    quoted: bool
    line: int


@dataclass(slots=True)
class _Ids:
    """Ids for one document: headings in order, notes by footnote number (0-based, the
    plugin's), calls by (note, repeat)."""

    headings: list[str]
    notes: dict[int, str]
    calls: dict[tuple[int, int], str]


def _assign(heads: Sequence[_Head], calls: Sequence[tuple[int, int]]) -> _Ids:
    """Unique ids: written ids first, then GitHub slugs of the others, then the notes
    (``fn-1``) and their calls (``fnref-1``, ``fnref2-1`` for a second call)."""
    ids = UniqueIds()
    written = {n: ids.make(h.written) for n, h in enumerate(heads) if h.written is not None}
    headings = [written.get(n) or ids.make(slugify(h.text)) for n, h in enumerate(heads)]
    notes: dict[int, str] = {}
    refs: dict[tuple[int, int], str] = {}
    for note, sub in calls:
        if note not in notes:
            notes[note] = ids.make(f"fn-{note + 1}")
        refs[(note, sub)] = ids.make(f"fnref{sub + 1 if sub else ''}-{note + 1}")
    return _Ids(headings, notes, refs)


def _walk(tokens: Sequence[Token]) -> list[Token]:
    out: list[Token] = []
    for token in tokens:
        out.append(token)
        if token.children:
            out.extend(_walk(token.children))
    return out


def _heads(
    tokens: Sequence[Token],
    children: dict[int, list[Token]],
    written: dict[int, str] | None = None,
) -> list[_Head]:
    """The headings of a token stream; ``children`` gives each heading's inline tokens
    and ``written`` the ids of attribute lists not set on the tokens (both by the index
    of the ``heading_open``)."""
    found: list[_Head] = []
    depth = 0
    for i, token in enumerate(tokens):
        if token.type == "blockquote_open":
            depth += 1
        elif token.type == "blockquote_close":
            depth -= 1
        elif token.type == "heading_open":
            ident = (written or {}).get(i, token.attrGet("id"))
            found.append(
                _Head(
                    str(ident) if ident is not None else None,
                    int(token.tag[1]),
                    _inline_text(children.get(i, [])),
                    depth > 0,
                    (token.map or (0, 0))[0],
                )
            )
    return found


@lru_cache(maxsize=4)
def _anchors(text: str) -> Anchors:
    """From the (cached) block tokens: only headings, and the paragraphs that call
    footnotes, are read inline (footnotes are numbered in order of first call)."""
    md = _engine(False)
    tokens, block_env = _block_tokens(text)
    notes = block_env.get("footnotes", {})
    env: dict[str, Any] = {  # a copy: inline parsing adds the calls to it
        "references": block_env.get("references", {}),
        "footnotes": {
            "refs": dict(notes.get("refs", {})),
            "list": {k: dict(v) for k, v in notes.get("list", {}).items()},
        },
    }
    children: dict[int, list[Token]] = {}
    written: dict[int, str] = {}
    calls: list[tuple[int, int]] = []
    targets: set[str] = set()
    for i, token in enumerate(tokens):
        if token.type == "html_block":
            targets.update(raw_ids(token.content))
        if token.type != "inline":
            continue
        heading = i > 0 and tokens[i - 1].type == "heading_open"
        if "<" in token.content:
            targets.update(raw_ids(token.content))
        if not heading and "[^" not in token.content:
            continue
        out: list[Token] = []
        md.inline.parse(token.content, md, env, out)
        if heading:
            # On the fresh inline tokens only: the cached block tokens stay as parsed.
            ident, _classes = _strip_attrs(out)
            if ident is not None:
                written[i - 1] = ident
            children[i - 1] = out
        calls.extend(
            (t.meta["id"], t.meta.get("subId", 0)) for t in _walk(out) if t.type == "footnote_ref"
        )
    heads = _heads(tokens, children, written)
    ids = _assign(heads, calls)
    found = tuple(
        HeadingId(h.line, h.level, h.text, ident, h.quoted)
        for h, ident in zip(heads, ids.headings, strict=True)
    )
    targets.update(h.id for h in found)
    targets.update(ids.notes.values())
    targets.update(ids.calls.values())
    aliases: dict[str, str] = {}
    for key, note in env["footnotes"]["refs"].items():
        label = key.removeprefix(":")
        if note in ids.notes:
            aliases[f"fn-{label}"] = ids.notes[note]
            aliases[f"fnref-{label}"] = ids.calls.get((note, 0), ids.notes[note])
    return Anchors(found, frozenset(targets), aliases)


# ---------------------------------------------------------------------------------------
# Rendering


def _render(text: str, autolinks: bool) -> tuple[str, tuple[Heading, ...]]:
    md = _engine(autolinks)
    env: dict[str, Any] = {}
    tokens = md.parse(text, env)
    opens = [i for i, t in enumerate(tokens) if t.type == "heading_open"]
    heads = _heads(tokens, {i: tokens[i + 1].children or [] for i in opens})
    refs = [t for t in _walk(tokens) if t.type == "footnote_ref"]
    ids = _assign(heads, [(t.meta["id"], t.meta.get("subId", 0)) for t in refs])
    for i, ident in zip(opens, ids.headings, strict=True):
        tokens[i].attrSet("id", ident)
    for t in refs:
        t.meta["number"] = t.meta["id"] + 1
        t.meta["ref_id"] = ids.calls[(t.meta["id"], t.meta.get("subId", 0))]
    env["pressroom_notes"] = ids.notes
    env["pressroom_refs"] = ids.calls
    headings = tuple(
        Heading(h.level, h.text, ident)
        for h, ident in zip(heads, ids.headings, strict=True)
        if not h.quoted
    )
    return md.renderer.render(tokens, md.options, env), headings


def _render_fence(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    info = fence_info(html.unescape(token.info))
    if info.language == "math":  # GitHub's other spelling of display math
        return display_math(token.content.strip())
    return code_block(token.content, info.language, info.title)


# ---------------------------------------------------------------------------------------
# The apparatus: mathematics, labels, index spans (the markup the tree stage numbers,
# resolves and typesets; see convert/apparatus/)

# Attributes a bracketed span or an image may carry: the index's keys become data-*
# attributes, which the sanitizer lets through on spans only.
_SPAN_ATTRS = ("id", "class", "entry", "see", "also", "sort")
_INDEX_DATA = {"entry": "data-index", "see": "data-see", "also": "data-also", "sort": "data-sort"}

# ``$$`` opens a display formula at the start of a line; the line that ends with ``$$``
# (optionally followed by a label, ``$$ {#eq:energy}``) closes it.
_MATH_CLOSE = re.compile(r"\$\$[ \t]*(?:\{#(?P<label>[\w:.-]+)\})?[ \t]*$")


def _math_block_rule(state: Any, start: int, end: int, silent: bool) -> bool:
    """``$$ … $$`` on lines of their own (one line or several, no blank line inside)."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    pos = state.bMarks[start] + state.tShift[start]
    first = state.src[pos : state.eMarks[start]]
    if not first.startswith("$$"):
        return False
    body: list[str] = []
    rest = first[2:]
    line = start
    while True:
        close = _MATH_CLOSE.search(rest)
        if close is not None and (line > start or close.start() > 0 or rest.strip() == "$$"):
            body.append(rest[: close.start()])
            label = close["label"] or ""
            break
        if line > start and "$$" in rest:
            return False  # text after a closing "$$": not a display formula
        body.append(rest)
        line += 1
        if line >= end or state.isEmpty(line):
            return False
        rest = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]
    if silent:
        return True
    token = state.push("math_block_eqn", "div", 0)
    token.content = "\n".join(body).strip()
    token.info = label
    token.map = [start, line + 1]
    token.markup = "$$"
    state.line = line + 1
    return True


def _no_code_in_math(rule: Any) -> Any:
    """The dollar rule runs before code spans; a "formula" holding a backtick is a code
    span's text (```$x$```) or prose between two prices, never TeX."""

    def rule_without_code(state: StateInline, silent: bool) -> bool:
        pos, count, pending = state.pos, len(state.tokens), state.pending
        if not rule(state, silent):
            return False
        if silent:
            found = state.src[pos : state.pos]
        else:
            found = state.tokens[-1].content if len(state.tokens) > count else ""
        if "`" not in found:
            return True
        del state.tokens[count:]  # the math token, and the text it flushed from pending
        state.pos, state.pending = pos, pending
        return False

    return rule_without_code


def display_math(tex: str, label: str = "") -> str:
    ident = f' id="{html.escape(label)}"' if label else ""
    return f'<div class="math display"{ident}>{html.escape(tex, quote=False)}</div>\n'


def _render_math_block(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return display_math(tokens[idx].content, tokens[idx].info)


def _render_math_inline(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    return f'<span class="math">{html.escape(tokens[idx].content, quote=False)}</span>'


def _render_span_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    attrs = "".join(
        f' {_INDEX_DATA.get(str(name), str(name))}="{html.escape(str(value))}"'
        for name, value in sorted(token.attrs.items())
    )
    return f"<span{attrs}>"


def _render_code_block(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return code_block(tokens[idx].content, "")


def _render_footnote_ref(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    meta = tokens[idx].meta
    note = env["pressroom_notes"][meta["id"]]
    return (
        f'<sup id="{meta["ref_id"]}"><a class="footnote-ref" href="#{note}">'
        f"{meta['number']}</a></sup>"
    )


def _render_footnote_open(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    note = env.get("pressroom_notes", {}).get(tokens[idx].meta["id"])
    return f'<li id="{note}">' if note else "<li>"


def _render_footnote_anchor(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    meta = tokens[idx].meta
    ref = env.get("pressroom_refs", {}).get((meta["id"], meta.get("subId", 0)))
    return f' <a class="footnote-backref" href="#{ref}">↩</a>' if ref else ""


def _render_alert_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    kind = str(tokens[idx].meta.get("kind", "note")).lower()
    # The title (the kind's name, or the author's own) is the inline token that follows.
    return f'<aside class="admonition {html.escape(kind)}">\n'


# ---------------------------------------------------------------------------------------
# ftp:// autolinks (GFM 0.29; the autolink extension links http(s), mailto and xmpp)

_FTP = re.compile(r"//[\w-]+(?:\.[\w-]+)*[^\s<]*")
_TRAILING = "?!.,:*_~'\""


def _ftp_rule(state: StateInline, silent: bool) -> bool:
    """``ftp://host/path`` in text: an autolink, trimmed as GFM trims (trailing
    punctuation, an unbalanced ``)``)."""
    if state.linkLevel > 0 or state.src[state.pos] != ":" or not state.pending.endswith("ftp"):
        return False
    before = state.pending[:-3]
    if before and before[-1] not in " \t\n*_~(":
        return False
    match = _FTP.match(state.src, state.pos + 1, state.posMax)
    if match is None:
        return False
    rest = match[0]
    while rest and (
        rest[-1] in _TRAILING or (rest[-1] == ")" and rest.count("(") < rest.count(")"))
    ):
        rest = rest[:-1]
    if len(rest) < 3 or "." not in rest:
        return False
    if silent:
        return False
    url = "ftp:" + rest
    state.pending = before
    token = state.push("link_open", "a", 1)
    token.attrs = {"href": state.md.normalizeLink(url)}
    token.markup, token.info = "autolink", "auto"
    text = state.push("text", "", 0)
    text.content = state.md.normalizeLinkText(url)
    close = state.push("link_close", "a", -1)
    close.markup, close.info = "autolink", "auto"
    state.pos += 1 + len(rest)
    return True


@dataclass(frozen=True, slots=True)
class Reader:
    """One reading of CommonMark: ``gfm`` adds GitHub's extended autolinks (bare
    ``https://…``, ``www.…`` and e-mail addresses become links) to what ``commonmark``
    reads."""

    NAME: str
    autolinks: bool

    def blocks(self, text: str) -> Blocks:
        """Which block each line of ``text`` belongs to (see ``blocks.Blocks``)."""
        return _blocks(text)

    def anchors(self, text: str) -> Anchors:
        """The headings and every fragment target ``render(text)`` will produce (autolinks
        make no ids: the same for every reading)."""
        return _anchors(text)

    def render(self, text: str) -> tuple[str, tuple[Heading, ...]]:
        """The HTML fragment of ``text`` and the headings of its outline (ids assigned; a
        heading quoted in a block quote has an id but is no section), not sanitized."""
        return _render(text, self.autolinks)


COMMONMARK = Reader("commonmark", autolinks=False)
GFM = Reader("gfm", autolinks=True)

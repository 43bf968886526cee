"""MediaWiki markup an exporter copied instead of rendering: templates and wiki links.

Defects and fixes:

- Templates, ``{{Infobox …}}``, ``{{cite web|…}}``, ``{{#invoke:…}}``, nested and over
  many lines: removed, one diagnostic naming the template and its lines
  (``markup.template``). Templates whose output is text keep that text: ``{{lang|uk|…}}``,
  ``{{nowrap|…}}``, ``{{convert|300|km}}`` → "300 km", ``{{circa|1900}}``, ``{{!}}``… A
  template alone on its lines takes its lines with it.
- File links, ``[[File:Name.jpg|thumb|200px|Caption]]`` (also ``Image:``, ``Media:``,
  nested links in the caption, over several lines): become a Markdown image
  ``![Caption](Name.jpg "Caption")``, so the caption is kept and the ``images`` rule can
  find the file under the content root or show a placeholder (``markup.wikilink-file``).
- Wiki links: ``[[Page]]`` → "Page", ``[[Page|text]]`` → "text", ``[[Page (film)|]]`` →
  "Page", ``[[Page]]s`` → "Pages"; category links, which MediaWiki never shows, are
  removed (``markup.wikilink``, one diagnostic per line). They become text, not links:
  which wiki they pointed to is not known.
- Stray halves of wiki links an exporter cut apart, a ``]]`` or ``[[`` that no bracket on
  its line balances (``the battle ended]] with``): removed, the text kept
  (``markup.wikilink``).

Kept as they are, when unsure: anything in code; ``{{`` after a letter, a backslash or
``^``/``_``/``}`` (LaTeX: ``\\frac{{a}}{b}``, ``x^{{2}}``) or before a space (left by the
``liquid`` rule: not an expression it knows); ``[[…]]`` followed by ``(`` or ``[`` (a
link whose text is in brackets, ``[[1]](#note-1)``), holding only digits, starting with
``:`` (``[[:alpha:]]``) or ``object Object`` (debris, the ``debris`` rule's); unclosed
braces; a template over more than 2,000 lines, or begun inside a line of text and running
past the end of its paragraph.

Codes: ``markup.template``, ``markup.wikilink-file``, ``markup.wikilink`` (warnings).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass

from .base import Context, Doc, Edit, Line, Rule, Run, blocks_of, plural, rewrite_runs
from .syntax import apply_edits, mask

_BRACES = re.compile(r"(?<!\\)(?:\{\{|\}\})")
_BRACKETS = re.compile(r"(?<!\\)(?:\[\[|\]\])")
_TEMPLATE_NAME = re.compile(r"#[A-Za-z]+:|[A-Za-z!=]")  # matched at the offset after "{{"
_NOT_BEFORE_TEMPLATE = re.compile(r"[\w\\^_}{$]")
_FILE = re.compile(r"^\s*(?:File|Image|Media)\s*:", re.IGNORECASE)
_CATEGORY = re.compile(r"^\s*Category\s*:", re.IGNORECASE)
_FILE_OPTION = re.compile(
    r"^\s*(?:thumb|thumbnail|frame|framed|frameless|border|left|right|center|centre|none"
    r"|baseline|middle|sub|super|text-top|text-bottom|top|bottom|upright(?:\s*=.*)?"
    r"|\d*(?:x\d+)?\s*px|(?:alt|link|page|class|lang|thumbtime|start|end)\s*=.*)\s*$",
    re.IGNORECASE,
)
MAX_TEMPLATE_LINES = 2_000
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True, slots=True)
class _Pair:
    start: int
    end: int  # after the closing pair of characters


def _pairs(
    run: Run,
    pattern: re.Pattern[str],
    valid: Callable[[int], bool],
    accept: Callable[[int, int], bool],
) -> list[_Pair]:
    """Outermost balanced pairs (``{{``/``}}`` or ``[[``/``]]``) worth looking at.

    A pair counts when its opener is ``valid`` and ``accept`` takes its span, and no
    counted pair encloses it. An opener that never closes, or whose span is refused, does
    not hide the pairs inside it. Linear: parents come before children in ``openers``."""
    text = run.text
    openers: list[tuple[int, int | None]] = []  # offset, index of the enclosing opener
    closed: dict[int, int] = {}  # opener index → end offset
    stack: list[int] = []
    for match in pattern.finditer(text):
        pos = match.start()
        if run.in_code(pos):
            continue
        if match[0][0] in "{[":
            openers.append((pos, stack[-1] if stack else None))
            stack.append(len(openers) - 1)
        elif stack:
            closed[stack.pop()] = match.end()
    found: list[_Pair] = []
    shielded: list[bool] = []  # some counted pair encloses this opener (or is it)
    for index, (pos, parent) in enumerate(openers):
        above = parent is not None and shielded[parent]
        end = closed.get(index)
        counts = end is not None and not above and valid(pos) and accept(pos, end)
        if counts:
            found.append(_Pair(pos, end))
        shielded.append(above or counts)
    return found


def _within_reason(run: Run) -> Callable[[int, int], bool]:
    """Refuse spans over ``MAX_TEMPLATE_LINES``, and spans begun inside a line of text that
    run past a blank line: markup begun mid-paragraph cannot outlive the paragraph."""
    blanks = [m.start() for m in _BLANK_LINE.finditer(run.text)]

    def accept(start: int, end: int) -> bool:
        first, col = run.at(start)
        last = run.at(end)[0]
        if last - first >= MAX_TEMPLATE_LINES:
            return False
        line = run.lines[first].text
        indent = len(line) - len(line.lstrip())
        if col <= indent:
            return True  # begins its line: a block, which may hold blank lines
        next_blank = bisect_left(blanks, start)
        return next_blank == len(blanks) or blanks[next_blank] >= end

    return accept


def _split_params(body: str) -> list[str]:
    """Split a template's or link's body at the ``|`` not nested in ``{{ }}``/``[[ ]]``."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(body):
        two = body[i : i + 2]
        if two in ("{{", "[["):
            depth, i = depth + 1, i + 2
            continue
        if two in ("}}", "]]"):
            depth, i = max(0, depth - 1), i + 2
            continue
        if body[i] == "|" and depth == 0:
            parts.append(body[start:i])
            start = i + 1
        i += 1
    parts.append(body[start:])
    return parts


def _positional(params: list[str]) -> tuple[list[str], dict[str, str]]:
    positional: list[str] = []
    named: dict[str, str] = {}
    for param in params:
        key, eq, value = param.partition("=")
        if eq and re.fullmatch(r"\s*[\w -]+\s*", key):
            named[key.strip().casefold()] = value.strip()
        else:
            positional.append(param.strip())
    return positional, named


def _convert(p: list[str]) -> str | None:
    if len(p) >= 4 and p[1] in ("-", "–", "to", "and", "or", "by", "x", "×"):
        return f"{p[0]} {p[1]} {p[2]} {p[3]}"
    return f"{p[0]} {p[1]}" if len(p) >= 2 else None


_FIRST = lambda p, n: p[0] if p else None  # noqa: E731
_TEXT_TEMPLATES: dict[str, Callable[[list[str], dict[str, str]], str | None]] = {
    **dict.fromkeys(
        ("nowrap", "nobr", "small", "smaller", "big", "larger", "em", "strong", "abbr",
         "sic", "not a typo", "proper name", "ill", "flag", "noitalic", "nobold", "var"),
        _FIRST,
    ),
    "lang": lambda p, n: p[-1] if len(p) >= 2 else None,
    "transl": lambda p, n: p[-1] if len(p) >= 2 else None,
    "convert": lambda p, n: _convert(p),
    "cvt": lambda p, n: _convert(p),
    "circa": lambda p, n: f"c. {p[0]}" if p else "c.",
    "c.": lambda p, n: f"c. {p[0]}" if p else "c.",
    "quote": lambda p, n: n.get("text") or n.get("quote") or _FIRST(p, n),
    "!": lambda p, n: "|",
    "=": lambda p, n: "=",
    "ndash": lambda p, n: "–",
    "mdash": lambda p, n: "—",
    "snd": lambda p, n: " – ",
    "spaced ndash": lambda p, n: " – ",
    "nbsp": lambda p, n: "\u00a0",
    "ubl": lambda p, n: ", ".join(x for x in p if x) or None,
    "unbulleted list": lambda p, n: ", ".join(x for x in p if x) or None,
    "hlist": lambda p, n: ", ".join(x for x in p if x) or None,
}  # fmt: skip


def _template_text(name: str, params: list[str]) -> str | None:
    key = " ".join(name.replace("_", " ").split()).casefold()
    positional, named = _positional(params)
    if key.startswith("lang-"):
        key = "nowrap"
    make = _TEXT_TEMPLATES.get(key)
    text = make(positional, named) if make else None
    return _links_to_text(text)[0] if text else text


_PLAIN_LINK = re.compile(r"(?<!\\)\[\[(?P<body>[^\[\]\n]+)\]\](?![(\[:])")


def _link_text(body: str) -> str | None:
    """The text a plain wiki link shows; ``""`` for a category link; ``None``: not one."""
    if body.strip().startswith(":") or body.strip() == "object Object" or body.strip().isdigit():
        return None
    if _CATEGORY.match(body):
        return ""
    target, bar, label = body.partition("|")
    if bar and label.strip():
        return label.strip()
    text = target.strip().lstrip("#")
    if bar:  # the pipe trick: "Page (film)|" shows "Page"
        text = re.sub(r"\s*\([^()]*\)$", "", text.split(":", 1)[-1]).strip()
    return text or None


def _links_to_text(text: str) -> tuple[str, int]:
    count = 0

    def repl(match: re.Match[str]) -> str:
        nonlocal count
        shown = _link_text(match["body"])
        if shown is None:
            return match[0]
        count += 1
        return shown

    return _PLAIN_LINK.sub(repl, text), count


def _file_image(body: str) -> str:
    """``File:Name.jpg|thumb|Caption`` → ``![Caption](Name.jpg "Caption")``."""
    target, *params = _split_params(body)
    name = target.split(":", 1)[1].strip().replace(" ", "_")
    alt = ""
    caption = ""
    for param in params:
        key, eq, value = param.partition("=")
        if eq and key.strip().casefold() == "alt":
            alt = value.strip()
        elif not _FILE_OPTION.match(param) and param.strip():
            caption = param.strip()  # the last free parameter is the caption
    caption = " ".join(_links_to_text(caption)[0].split())
    alt = " ".join(_links_to_text(alt)[0].split()) or caption
    title = f' "{caption}"' if caption and '"' not in caption else ""
    src = f"<{name}>" if re.search(r"[()<>]", name) else name
    return f"![{alt.replace(']', '')}]({src}{title})"


def _template_valid(text: str) -> Callable[[int], bool]:
    def valid(pos: int) -> bool:
        before = text[pos - 1] if pos else ""
        return not (before and _NOT_BEFORE_TEMPLATE.match(before)) and bool(
            _TEMPLATE_NAME.match(text, pos + 2)
        )

    return valid


def _link_valid(text: str) -> Callable[[int], bool]:
    def valid(pos: int) -> bool:
        return not (pos and text[pos - 1] in "!\\[")

    return valid


def _eat_space(text: str, start: int, end: int) -> int:
    """Extend a removal over the spaces after it when a space or line start precedes it."""
    if start == 0 or text[start - 1] in " \t\n":
        while end < len(text) and text[end] in " \t":
            end += 1
    return end


def _edits(run: Run, ctx: Context) -> list[Edit]:
    text = run.text
    edits: list[Edit] = []
    if "{{" in text:
        for pair in _pairs(run, _BRACES, _template_valid(text), _within_reason(run)):
            first, last = run.at(pair.start)[0], run.at(pair.end)[0]
            body = text[pair.start + 2 : pair.end - 2]
            name, *params = _split_params(body)
            name = " ".join(name.split())
            kept = _template_text(name, params)
            lines = f" (lines {run.lines[first].origin}–{run.lines[last].origin})"
            ctx.emit(
                "markup.template",
                run.lines[first].origin,
                f"wiki template {{{{{name[:40]}}}}}{lines if last > first else ''}",
                f"kept its text {kept!r}" if kept else "removed it",
            )
            end = pair.end if kept else _eat_space(text, pair.start, pair.end)
            edits.append(Edit(pair.start, end, kept or ""))
    if "[[" in text:
        taken = [(e.start, e.end) for e in edits]
        t = 0
        for pair in _pairs(run, _BRACKETS, _link_valid(text), _within_reason(run)):
            while t < len(taken) and taken[t][1] <= pair.start:
                t += 1
            if t < len(taken) and taken[t][0] < pair.end:
                continue  # inside a removed template
            body = text[pair.start + 2 : pair.end - 2]
            if not _FILE.match(body) or text.startswith(("(", "["), pair.end):
                continue
            image = _file_image(body)
            ctx.emit(
                "markup.wikilink-file",
                run.origin(pair.start),
                f"wiki file link to {body.split('|', 1)[0].split(':', 1)[1].strip()[:60]!r}",
                "made it a Markdown image" + (", caption kept" if '"' in image else ""),
            )
            edits.append(Edit(pair.start, pair.end, image))
    edits.sort(key=lambda e: e.start)
    edits += _plain_links(run, edits, ctx)
    edits.sort(key=lambda e: e.start)
    return edits


def _plain_links(run: Run, taken: list[Edit], ctx: Context) -> list[Edit]:
    """Plain wiki links on each line, outside code and outside the spans already edited."""
    text = run.text
    edits: list[Edit] = []
    t = 0
    for index, line in enumerate(run.lines):
        if "[[" not in line.text:
            continue
        base = run.starts[index]
        count = categories = 0
        for match in _PLAIN_LINK.finditer(line.text):
            start, end = base + match.start(), base + match.end()
            while t < len(taken) and taken[t].end <= start:
                t += 1
            if (t < len(taken) and taken[t].start < end) or run.in_code(start):
                continue
            if start and text[start - 1] == "!":
                continue
            shown = _link_text(match["body"])
            if shown is None:
                continue
            if shown:
                count += 1
                edits.append(Edit(start, end, shown))
            else:
                categories += 1
                edits.append(Edit(start, _eat_space(text, start, end), ""))
        if count or categories:
            parts = [plural(count, "wiki link")] if count else []
            parts += [plural(categories, "category link")] if categories else []
            fixes = ["kept the text of the links"] if count else []
            fixes += ["removed the categories (MediaWiki never shows them)"] if categories else []
            ctx.emit("markup.wikilink", line.origin, " and ".join(parts), ", ".join(fixes))
    return edits


_DOUBLE = re.compile(r"\[\[|\]\]")


def _strays(text: str) -> list[tuple[int, int]]:
    """Spans of ``[[`` and ``]]`` on a line that no bracket balances: the halves of a
    wiki link an exporter cut apart (``ended]] with``, ``[[ Later``). Brackets in code
    and escaped ones are not counted."""
    masked = mask(text)
    opens: list[int] = []
    unmatched: set[int] = set()
    for i, ch in enumerate(masked):
        if ch == "[":
            opens.append(i)
        elif ch == "]":
            if opens:
                opens.pop()
            else:
                unmatched.add(i)
    unmatched.update(opens)
    return [
        (m.start(), m.end())
        for m in _DOUBLE.finditer(masked)
        if m.start() in unmatched and m.start() + 1 in unmatched
    ]


def _stray_brackets(doc: Doc, ctx: Context) -> Doc:
    lines = list(doc.lines)
    found = blocks_of(lines, ctx.dialect)
    for i, line in enumerate(lines):
        if line.code or found.html(i) or ("[[" not in line.text and "]]" not in line.text):
            continue
        spans = _strays(line.text)
        if not spans:
            continue
        text = line.text
        edits = [(a, _eat_space(text, a, b) if a else b + (text[b : b + 1] == " "), "")
                 for a, b in spans]  # fmt: skip
        lines[i] = Line(apply_edits(text, edits).rstrip(), line.origin)
        ctx.emit(
            "markup.wikilink",
            line.origin,
            f"{plural(len(spans), 'stray wiki bracket')} ({', '.join(text[a:b] for a, b in spans)})"
            " left by an export",
            "removed them, the text kept",
        )
    return Doc(tuple(lines), doc.meta)


def apply(doc: Doc, ctx: Context) -> Doc:
    markers = ("{{", "[[", "]]")
    if not any(m in line.text for line in doc.lines if not line.code for m in markers):
        return doc
    doc = Doc(rewrite_runs(doc, lambda run: _edits(run, ctx), ctx), doc.meta)
    return _stray_brackets(doc, ctx)


RULE = Rule("wikitext", ("markup.template", "markup.wikilink-file", "markup.wikilink"), apply)

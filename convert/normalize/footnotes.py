"""Footnotes that do not add up: calls with no note, notes nobody calls, notes defined twice.

Defect: Python-Markdown matches a call ``[^x]`` to a definition ``[^x]: …`` by the exact
label (case and spaces count). A call with no definition prints as the literal ``[^x]``. A
definition nobody calls stays in the HTML list of notes, but the PDF moves each note to its
call, so an uncalled note silently vanishes there, and EPUB readers hide footnote asides
nothing links to. Of two definitions with one label, the parser keeps the place of the first
and the text of the last: the first text is lost.

Fix:

- a call that matches a definition once case and spacing are ignored (CommonMark's label
  matching) is pointed at that definition (``footnote.label-resolved``, info);
- a call with no definition is removed, with the space before it (``footnote.undefined``).
  A bracket that looks like a regular-expression class in prose (``[^a-z]``, ``[^\\s]+``,
  ``[^"]``) is not a call: it stays, without a diagnostic;
- a repeated definition: the same text again is dropped; other text is appended to the
  first definition as a further paragraph, so nothing is lost (``footnote.duplicate``);
- a definition nobody calls becomes an ordinary paragraph where it stands, its text kept
  (``footnote.unused``); an empty one is removed.

Definitions are merged or converted only at the top level (up to three spaces in); ones in
block quotes or lists still count as defined. Fenced code, inline code and raw HTML blocks
are never touched.

- a defined label with spaces (``[^my note]``, fine in Python-Markdown, text in CommonMark
  and GFM) is renamed with hyphens, calls and definition alike (``footnote.label``, info).

Codes: ``footnote.undefined``, ``footnote.duplicate``, ``footnote.unused`` (warnings),
``footnote.label-resolved``, ``footnote.label`` (info).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..markdown.pyblocks import starts_raw_block
from .base import Context, Doc, Line, Rule, Severity, blocks_of, mark_code
from .syntax import Patch, apply_edits, label_key, mask, starts_definition

# A top-level definition (what the parser's FootnoteBlockProcessor matches), and any
# definition at all (in a block quote or list item too) for "is this label defined".
_DEF = re.compile(r"^[ ]{0,3}\[\^(?P<label>[^\]]*)\]:[ ]*(?P<text>.*)$")
_ANY_DEF = re.compile(r"^(?P<pre>[ \t>]*(?:(?:[-*+]|\d+[.)])[ \t]+)?)\[\^(?P<label>[^\]]*)\]:")
_CALL = re.compile(r"\[\^(?P<label>[^\]]*)\]")
_LABEL = re.compile(r"\w[\w .:-]*")
_RANGE = re.compile(r"([a-z])-([a-z])|([A-Z])-([A-Z])|([0-9])-([0-9])")


@dataclass(frozen=True, slots=True)
class _Def:
    start: int  # index of the ``[^label]:`` line
    end: int  # one past its last line (continuations included, trailing blanks not)
    label: str


def _regex_like(label: str, after: str) -> bool:
    """Is ``[^label]`` more likely a negated character class than a footnote call?"""
    if after[:1] in ("*", "+", "?", "{") or not _LABEL.fullmatch(label):
        return True
    ranges = [m for m in _RANGE.finditer(label) if _ascending(m)]
    return bool(ranges) and len(_RANGE.sub("", label)) <= 3


def _ascending(match: re.Match[str]) -> bool:
    low, high = (g for g in match.groups() if g is not None)
    return low < high


def _extent(lines: Sequence[Line], start: int) -> int:
    """End of the definition starting at ``start``, as the parser reads it: the rest of its
    block (lazy lines), then every following block indented by four spaces."""
    n = len(lines)
    end = start + 1
    while end < n and lines[end].text.strip() and not lines[end].code:
        if _DEF.match(lines[end].text):
            return end
        end += 1
    while True:
        gap = end
        while gap < n and not lines[gap].code and not lines[gap].text.strip():
            gap += 1
        if gap == end or gap >= n or lines[gap].code:
            return end
        if not lines[gap].text.startswith(("    ", "\t")):
            return end
        end = gap
        while end < n and not lines[end].code and lines[end].text.strip():
            if _DEF.match(lines[end].text):
                return end  # the next definition starts inside the indented block
            end += 1


def _detab(text: str) -> str:
    """One indent level out, as the parser reads a note's continuation lines."""
    if text.startswith("\t"):
        return text[1:]
    return text[4:] if text.startswith("    ") else text


def _body(lines: Sequence[Line], d: _Def, gone: set[int]) -> list[Line]:
    """The note's text as ordinary Markdown lines: the first line without its label, the
    continuation lines one indent level out (lines emptied of their calls left out)."""
    first = lines[d.start]
    match = _DEF.match(first.text)
    text = match["text"].strip() if match else ""
    body = [Line(text, first.origin)] if text else []
    body.extend(
        Line(_detab(lines[k].text), lines[k].origin)
        for k in range(d.start + 1, d.end)
        if k not in gone
    )
    return body


# What a line may not start with once a call in front of it is gone: it would turn the
# paragraph line into a heading, quote, list item, fence, rule, table or definition.
# What a paragraph line may not start with once a call in front of it is gone: it would
# become a heading, quote, list item, code fence, rule or setext underline (or, checked
# apart, a raw HTML block).
_BLOCK_START = re.compile(
    r"^[ \t]*(?:(?P<mark>[#>])|(?P<bullet>[*+-])(?=[ \t]|$)|\d+(?P<dot>[.)])(?=[ \t]|$)"
    r"|(?P<fence>`{3}|~{3})|(?P<rule>[=-])[=-]*[ \t]*$)"
)


def _still_text(text: str) -> str:
    """``text`` with the character that would start a block escaped, so a line whose leading
    footnote call was removed stays the paragraph text it was."""
    if starts_raw_block(text):
        at = text.index("<")
        return f"{text[:at]}\\{text[at:]}"
    match = _BLOCK_START.match(text)
    if match is None:
        return text
    group = next(g for g in ("mark", "bullet", "dot", "fence", "rule") if match[g] is not None)
    at = match.start(group)
    return f"{text[:at]}\\{text[at:]}"


def _same(a: Sequence[Line], b: Sequence[Line]) -> bool:
    return " ".join(" ".join(line.text for line in a).split()) == " ".join(
        " ".join(line.text for line in b).split()
    )


def apply(doc: Doc, ctx: Context) -> Doc:
    lines = list(doc.lines)
    found = blocks_of(lines, ctx.dialect)
    readable = [i for i, line in enumerate(lines) if not line.code and not found.html(i)]
    _spaced_labels(lines, readable, ctx)

    # Every definition (its label), and the top-level ones with their extent.
    labels: dict[str, None] = {}  # in definition order
    defs: list[_Def] = []
    def_at: dict[int, int] = {}  # line index → offset of its definition's "[^"
    inner: list[tuple[int, str, int]] = []  # in a quote or list: (index, label, end of ":")
    next_free = 0
    for i in readable:
        text = lines[i].text
        if (any_def := _ANY_DEF.match(text)) is None:
            continue
        labels.setdefault(any_def["label"])
        def_at[i] = any_def.end("pre")
        if i >= next_free and (top := _DEF.match(text)):
            end = _extent(lines, i)
            defs.append(_Def(i, end, top["label"]))
            next_free = end
        else:
            inner.append((i, any_def["label"], any_def.end()))

    used, gone = _resolve_calls(lines, readable, labels, def_at, ctx)

    # Uncalled definitions in a block quote, a list item or a note's indented continuation:
    # only the marker goes ("> [^x]: text" → "> text"), before the notes are merged or
    # converted below, which read these lines.
    for i, label, end in inner:
        if used[label] > 0:
            continue
        line = lines[i]
        kept = line.text[: def_at[i]] + line.text[end:].lstrip()
        ctx.emit(
            "footnote.unused",
            line.origin,
            f"footnote [^{label}] is never called",
            "kept its text as a normal paragraph",
        )
        lines[i] = Line(kept.rstrip() if kept.strip() else kept.strip(), line.origin)

    replace, after = _settle(lines, defs, used, gone, ctx)
    if not replace and not after and not gone:
        return Doc(tuple(lines), doc.meta)
    out: list[Line] = []
    for i, line in enumerate(lines):
        if i in replace:
            out.extend(replace[i])
        elif i not in gone:
            out.append(line)
        out.extend(after.get(i, ()))
    # A converted note's lines move one indent level out: a fence in it is a fence now.
    return Doc(mark_code(out, ctx.dialect), doc.meta)


_SPACE = re.compile(r"\s+")


def _spaced_labels(lines: list[Line], readable: Sequence[int], ctx: Context) -> None:
    """A defined label with spaces (``[^my note]``): Python-Markdown accepts it, CommonMark
    and GFM readers do not (the call and the definition print as text). It is renamed with
    hyphens everywhere it is used (editing ``lines``), so every reader finds the note."""
    spaced: dict[str, str] = {}
    taken: set[str] = set()
    for i in readable:
        if (match := _ANY_DEF.match(lines[i].text)) is not None:
            label = match["label"]
            taken.add(label)
            if _SPACE.search(label.strip()) and label not in spaced:
                spaced[label] = ""
    if not spaced:
        return
    for label in spaced:
        base = _SPACE.sub("-", label.strip())
        new, n = base, 1
        while new in taken:
            n += 1
            new = f"{base}-{n}"
        taken.add(new)
        spaced[label] = new
    first: dict[str, int] = {}
    for i in readable:
        text = lines[i].text
        if "[^" not in text:
            continue
        masked = mask(text)
        edits = [
            (call.start("label"), call.end("label"), spaced[label])
            for call in _CALL.finditer(masked)
            if (label := text[call.start("label") : call.end("label")]) in spaced
        ]
        for start, end, _ in edits:
            first.setdefault(text[start:end], lines[i].origin)
        if edits:
            lines[i] = Line(apply_edits(text, edits), lines[i].origin, lines[i].code)
    for label, new in spaced.items():
        ctx.emit(
            "footnote.label",
            first.get(label),
            f"footnote label [^{label}] has spaces, which CommonMark and GFM readers do not accept",
            f"renamed it [^{new}]",
            Severity.INFO,
        )


def _resolve_calls(
    lines: list[Line],
    readable: Sequence[int],
    labels: Mapping[str, None],
    def_at: Mapping[int, int],
    ctx: Context,
) -> tuple[Counter[str], set[int]]:
    """Point calls at their definitions or remove them (editing ``lines``). Returns how many
    calls each label has, and the lines left empty (to drop)."""
    folded: dict[str, str] = {}
    for label in labels:
        folded.setdefault(label_key(label), label)
    used: Counter[str] = Counter()  # counted: a removal may escape a call (below)
    gone: set[int] = set()
    for i in readable:
        line = lines[i]
        if "[^" not in line.text:
            continue
        masked = mask(line.text)
        edits: list[Patch] = []
        removals: list[tuple[Patch, str]] = []  # undefined calls: (span, label)
        for call in _CALL.finditer(masked):
            if def_at.get(i) == call.start():
                continue  # the label of a definition, not a call
            label = line.text[call.start("label") : call.end("label")]
            if label in labels:
                used[label] += 1
                continue
            target = folded.get(label_key(label))
            if target is not None:
                used[target] += 1
                edits.append((call.start("label"), call.end("label"), target))
                ctx.emit(
                    "footnote.label-resolved",
                    line.origin,
                    f"footnote call [^{label}] matches [^{target}] only when case and spacing"
                    " are ignored",
                    f"pointed it at [^{target}]",
                    Severity.INFO,
                )
                continue
            if not _regex_like(label, line.text[call.end() :]):
                removals.append(((call.start(), call.end(), ""), label))
        if not edits and not removals:
            continue
        new, removed, escaped = _remove_calls(line.text, edits, removals)
        if escaped is not None:
            used[escaped] -= 1  # "[^1] [^n]: x" became "\\[^n]: x": no longer a call
        for label in removed:
            ctx.emit(
                "footnote.undefined",
                line.origin,
                f"footnote call [^{label}] has no definition",
                "removed the call",
            )
        if new == line.text:
            continue
        if new.strip() or not line.text.strip():
            lines[i] = Line(new, line.origin, line.code)
        else:  # the line held only calls: drop it rather than split its paragraph
            gone.add(i)
            lines[i] = Line("", line.origin, line.code)
            ctx.removed.add(line.origin)
    return used, gone


def _settle(
    lines: Sequence[Line],
    defs: Sequence[_Def],
    used: Counter[str],
    gone: set[int],
    ctx: Context,
) -> tuple[dict[int, list[Line]], dict[int, list[Line]]]:
    """Repeated and uncalled top-level definitions, one label at a time. Returns what
    replaces each line (``[]``: nothing) and what is inserted after a line."""
    groups: dict[str, list[_Def]] = {}
    for d in defs:
        groups.setdefault(d.label, []).append(d)
    replace: dict[int, list[Line]] = {}
    after: dict[int, list[Line]] = {}
    for label, (first, *later) in groups.items():
        extra: list[list[Line]] = []
        for again in later:
            body = _body(lines, again, gone)
            moved = bool(body) and not _same(body, _body(lines, first, gone))
            if moved:
                extra.append(body)
            ctx.emit(
                "footnote.duplicate",
                lines[again.start].origin,
                f"footnote [^{label}] is defined again (first on line {lines[first.start].origin})",
                "appended its text to the first definition"
                if moved
                else "dropped the repeat: same text",
            )
            for k in range(again.start, again.end):
                replace[k] = []
                if not moved:  # moved text is not removed: its section is not emptied
                    ctx.removed.add(lines[k].origin)
        if used[label] > 0:
            if extra:
                origin = lines[first.end - 1].origin
                added = after.setdefault(first.end - 1, [])
                for body in extra:
                    added.append(Line("", origin))
                    added.extend(_indent(x) for x in body)
                if first.end < len(lines) and lines[first.end].text.strip():
                    added.append(Line("", origin))
            continue
        paragraphs = [_body(lines, first, gone), *extra]
        text = [line for body in paragraphs for line in body]
        ctx.emit(
            "footnote.unused",
            lines[first.start].origin,
            f"footnote [^{label}] is never called",
            "kept its text as a normal paragraph" if text else "removed the empty definition",
        )
        for k in range(first.start, first.end):
            replace[k] = []
        if not text:
            ctx.removed.update(lines[k].origin for k in range(first.start, first.end))
            continue
        # Blank lines around: the paragraph must not run into the text or notes next to it.
        new: list[Line] = []
        if first.start > 0 and lines[first.start - 1].text.strip():
            new.append(Line("", lines[first.start].origin))
        for n, body in enumerate(paragraphs):
            if n:
                new.append(Line("", body[0].origin))
            new.extend(body)
        if first.end < len(lines) and lines[first.end].text.strip():
            new.append(Line("", lines[first.end - 1].origin))
        replace[first.start] = new
    return replace, after


def _indent(line: Line) -> Line:
    """A line of an appended paragraph: indented so the parser keeps it in the note."""
    return Line(f"    {line.text}" if line.text.strip() else "", line.origin)


def _remove_calls(
    text: str, rewrites: list[Patch], removals: list[tuple[Patch, str]]
) -> tuple[str, list[str], str | None]:
    """``text`` with ``rewrites`` applied and the undefined calls ``removals`` removed; also
    the labels of the calls removed, and the label of a call escaped, if one was.

    The space next to a removed call goes too, unless that would glue the line into a
    definition (``[^1] [^gone]: x`` must not become ``[^1]: x``). A line that now starts
    with what its removed call hid (``[^gone] # x``, ``[^gone] [x]: y``) gets that
    character escaped, so it stays the paragraph text it was.
    """
    lead = len(text) - len(text.lstrip())
    was_definition = bool(starts_definition(text))

    def attempt(calls: list[tuple[Patch, str]], tidy: bool) -> str:
        spans: list[Patch] = []
        for (start, end, _), _ in calls:  # in line order; tidied spans may not overlap
            span = _removal(text, start, end) if tidy else (start, end, "")
            floor = spans[-1][1] if spans else 0
            spans.append((max(span[0], floor), span[1], ""))
        return apply_edits(text, rewrites + spans)

    escaped = None
    new = attempt(removals, True)
    if starts_definition(new) and not was_definition:
        new = attempt(removals, False)
    if starts_definition(new) and not was_definition:
        at = new.index("[")
        new = f"{new[:at]}\\{new[at:]}"  # "[x]: y" was text in a sentence: it stays text
        if call := _CALL.match(new, at + 1):
            escaped = call["label"]
    elif removals and min(start for (start, _, _), _ in removals) <= lead:
        new = _still_text(new)
    return new, [label for _, label in removals], escaped


def _removal(text: str, start: int, end: int) -> Patch:
    """The span to delete for a call at ``text[start:end]``: the call and the space before it
    (or, at the start of the line, the space after it), so no double space is left."""
    if start == 0:
        while end < len(text) and text[end] in " \t":
            end += 1
        return start, end, ""
    following = text[end : end + 1]
    if not following or not following.isalnum():
        while start > 0 and text[start - 1] in " \t":
            start -= 1
    return start, end, ""


RULE = Rule(
    "footnotes",
    (
        "footnote.undefined",
        "footnote.duplicate",
        "footnote.unused",
        "footnote.label-resolved",
        "footnote.label",
    ),
    apply,
)

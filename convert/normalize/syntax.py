"""Inline Markdown syntax on source lines, for the rules that must agree with the parser.

The link rules (``references``, ``fragments``, ``site_links``) and ``footnotes`` need to
know where links and reference definitions are in the source lines; which lines are read as
Markdown at all (not code, not raw HTML) they ask the dialect's block map. They share these
scanners so that they agree with each other, and each scanner says where it simplifies.
Everything here works one line at a time (a link split over two lines is not seen; the
tree stage's safety net catches those) and in time linear in the length of the line.

Nothing here emits diagnostics or changes a ``Doc``: the helpers find, the rules decide.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from .base import Doc, Line, blocks_of, code_spans, plural

_ESCAPE = re.compile(r"\\[!-/:-@\[-`{-~]")
MASK = "\x00"


def mask(text: str) -> str:
    """``text`` with inline code spans and backslash escapes blanked out (same length).

    Brackets and parentheses in the result are syntax; the ones inside code or escaped are
    gone, so matching them needs no further care.
    """
    if "`" not in text and "\\" not in text:
        return text
    chars = list(text)
    for start, end in code_spans(text):
        chars[start:end] = MASK * (end - start)
    for match in _ESCAPE.finditer(text):
        if chars[match.start()] != MASK:
            chars[match.start()] = chars[match.start() + 1] = MASK
    return "".join(chars)


_BRACKETS = re.compile(r"[\[\]]")
_PARENS = re.compile(r"[()]")


def _pairs(masked: str, pattern: re.Pattern[str]) -> dict[int, int]:
    """Position of each opener ``pattern`` finds → position of the closer that balances it."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for match in pattern.finditer(masked):
        if match[0] in "[(":
            stack.append(match.start())
        elif stack:
            pairs[stack.pop()] = match.start()
    return pairs


Kind = Literal["inline", "full", "collapsed", "shortcut"]


@dataclass(frozen=True, slots=True)
class Link:
    """One bracketed construct on a line: an inline link, a reference use or a bare bracket.

    Offsets into ``source`` (the line): ``start``/``end`` span the whole construct (``![``
    included for images); ``open``/``close`` are the brackets around the text; ``label_span``
    is the reference label as written (the text itself for collapsed and shortcut forms);
    ``dest`` and ``dest_span`` are set for inline links. ``nested`` says it sits inside
    another construct's text. Text and label are sliced on demand: on a line of a million
    nested brackets, slicing them all would take quadratic memory.
    """

    source: str
    kind: Kind
    image: bool
    start: int
    open: int
    close: int
    end: int
    label_span: tuple[int, int]
    dest: str = ""
    dest_span: tuple[int, int] = (0, 0)
    nested: bool = False

    @property
    def text(self) -> str:
        return self.source[self.open + 1 : self.close]

    @property
    def label(self) -> str:
        return self.source[self.label_span[0] : self.label_span[1]]

    @property
    def label_length(self) -> int:
        return self.label_span[1] - self.label_span[0]


# CommonMark: a link label holds at most 999 characters; longer brackets are never references.
MAX_LABEL = 999


_TITLE = re.compile(r"""^(?P<dest>.*?)\s*(?:"[^"]*"|'[^']*')?\s*$""", re.DOTALL)


def _destination(text: str, start: int, end: int) -> tuple[str, tuple[int, int]]:
    """The destination inside ``text[start:end]`` (the parentheses' content) and its span."""
    inner = text[start:end]
    lead = len(inner) - len(inner.lstrip())
    body = inner.strip()
    if body.startswith("<") and ">" in body:
        close = body.index(">")
        return body[1:close], (start + lead + 1, start + lead + close)
    match = _TITLE.match(body)
    dest = match["dest"] if match else body
    return dest, (start + lead, start + lead + len(dest))


def links(text: str) -> list[Link]:
    """Every bracket construct on the line outside code spans, in order of its ``[``.

    Follows Python-Markdown: link text may hold balanced brackets; ``[text][label]`` needs the
    label right after the text (Python-Markdown also allows one space there, CommonMark does
    not: a space makes them two brackets); a label bracket is not reported again as a
    shortcut; a destination may hold balanced parentheses and spaces.
    """
    if "[" not in text:
        return []
    masked = mask(text)
    if "[" not in masked:
        return []
    brackets = _pairs(masked, _BRACKETS)
    parens = _pairs(masked, _PARENS) if "](" in masked else {}
    found: list[Link] = []
    labels: set[int] = set()
    # Brackets inside a destination are part of a URL. Destinations never overlap (an inner
    # link's sits in the outer link's text), so marking them costs linear time.
    in_dest = bytearray(len(text))
    outer_end = -1  # end of the text of the outermost construct we are inside
    for i in sorted(brackets):
        if i in labels or in_dest[i]:
            continue
        close = brackets[i]
        image = i > 0 and masked[i - 1] == "!"
        start = i - 1 if image else i
        nested = i < outer_end
        after = close + 1
        body = (i + 1, close)
        if masked[after : after + 1] == "(" and after in parens:
            dest, span = _destination(text, after + 1, parens[after])
            link = Link(
                text, "inline", image, start, i, close, parens[after] + 1, body, dest, span,
                nested,
            )  # fmt: skip
            in_dest[after : parens[after]] = b"\x01" * (parens[after] - after)
        elif masked[after : after + 1] == "[" and after in brackets:
            label = (after + 1, brackets[after])
            kind: Kind = "full" if label[1] > label[0] else "collapsed"
            link = Link(
                text, kind, image, start, i, close, brackets[after] + 1,
                label if kind == "full" else body, nested=nested,
            )  # fmt: skip
            labels.add(after)
        elif masked[after : after + 1] in ("(", "["):
            continue  # an inline link or full reference that goes on past this line
        else:
            link = Link(text, "shortcut", image, start, i, close, close + 1, body, nested=nested)
        found.append(link)
        outer_end = max(outer_end, close)
    return found


@dataclass(frozen=True, slots=True)
class Definition:
    """A reference definition line ``[label]: destination "title"``."""

    label: str
    dest: str  # "" when the destination is on the next line
    dest_span: tuple[int, int] | None  # where ``dest`` sits on the line, if it is on it


# After the destination only a title may follow, else the parser reads plain text.
_TAIL = r"""[ \t]*(?:(?:"[^"]*"|'[^']*'|\([^)]*\))[ \t]*)?$"""
_DEFINITION = re.compile(
    r"^(?:[ ]{0,3}>[ ]?)*[ ]{0,3}\[(?P<label>[^\[\]]*)\]:[ \t]*"
    rf"(?:<(?P<angle>[^>\n]*)>|(?P<dest>\S*)){_TAIL}"
)


def definition(line: Line) -> Definition | None:
    """The reference definition on ``line`` (also inside block quotes), else ``None``.

    Footnote definitions (``[^label]:``) are not reference definitions. A definition whose
    destination is on the next line counts, with an empty ``dest``. Anything but a title
    after the destination (``[a]: /x more words``) makes the line text, as in the parser.
    """
    if line.code:
        return None
    match = _DEFINITION.match(line.text)
    if not match or match["label"].startswith("^"):
        return None
    group = "angle" if match["angle"] is not None else "dest"
    dest = match[group] or ""
    return Definition(match["label"], dest, match.span(group) if dest else None)


_UNDERLINE = re.compile(r"^(?:=+|-+)[ ]*$")


def underlined(lines: Sequence[Line], i: int) -> bool:
    """Is line ``i`` the text of a setext heading (the parser reads ``[x]: y`` over ``---``
    as a heading, not a definition)?"""
    return (
        i + 1 < len(lines)
        and not lines[i + 1].code
        and bool(_UNDERLINE.match(lines[i + 1].text))
        and (i == 0 or not lines[i - 1].text.strip())
    )


def use_key(label: str) -> str:
    """The key Python-Markdown looks a reference use up by (lower case, whitespace runs → one
    space)."""
    return re.sub(r"\s+", " ", label.lower())


def definition_key(label: str) -> str:
    """The key Python-Markdown stores a definition under (stripped, lower case)."""
    return label.strip().lower()


def label_key(label: str) -> str:
    """CommonMark's label matching: case-folded, whitespace collapsed and trimmed."""
    return " ".join(label.casefold().split())


Patch = tuple[int, int, str]


def apply_edits(text: str, edits: Iterable[Patch]) -> str:
    """Replace each ``(start, end, new)`` span of ``text``; spans must not overlap (an edit that
    overlaps an earlier one is dropped, so a rule can never garble a line)."""
    out: list[str] = []
    pos = 0
    for start, end, new in sorted(edits, key=lambda edit: (edit[0], edit[1])):
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(new)
        pos = end
    out.append(text[pos:])
    return "".join(out)


_STARTS_DEFINITION = re.compile(r"^(?:[ ]{0,3}(?:>[ ]?|(?:[*+-]|\d+[.)])[ ]+))*[ ]{0,3}\[[^\]]*\]:")


def starts_definition(text: str) -> bool:
    """Does this line read as a reference or footnote definition (``[x]: …``), also in a
    block quote or list item?"""
    return bool(_STARTS_DEFINITION.match(text))


def still_text(old: str, new: str) -> str:
    """``new``, the edited ``old``, with its first ``[`` escaped if the edit turned a line of
    text into a definition: unlinking ``[[a]](#x): b`` must not define ``[a]``."""
    if starts_definition(new) and not starts_definition(old):
        at = new.index("[")
        return f"{new[:at]}\\{new[at:]}"
    return new


def unlink(link: Link) -> list[Patch]:
    """Edits that turn ``link`` into its bare text: drop ``[``/``![`` and ``](…)``/``][…]``.

    Two small edits rather than one big one, so links nested in the text stay editable.
    """
    return [(link.start, link.open + 1, ""), (link.close, link.end, "")]


def scanned(doc: Doc, dialect: str) -> Iterable[tuple[int, Line]]:
    """``(index, line)`` of the lines the parser reads as Markdown: not code, not raw HTML."""
    found = blocks_of(doc.lines, dialect)
    for i, line in enumerate(doc.lines):
        if not line.code and not found.html(i):
            yield i, line


# A destination judge: the destination as written → the same string (keep), another string
# (retarget the link) or ``None`` (unlink it, keeping its text).
Judge = Callable[[str], str | None]
# Told of every change: (line, what: "link 'text'" or "reference [label]", old, new or None).
Changed = Callable[[Line, str, str, str | None], None]


_NEXT_LINE_DEST = re.compile(rf"^[ ]*(?P<dest><[^>\n]*>|[^\s<]\S*){_TAIL}")


def retarget(doc: Doc, judge: Judge, changed: Changed, dialect: str) -> Doc:
    """Apply ``judge`` to every link destination: inline links (not images) and reference
    definitions. An unlinked definition unlinks every use of its label (the definition line
    itself stays and renders nothing); it is reported once, on the definition's line.
    """
    lines = list(doc.lines)
    readable = list(scanned(doc, dialect))
    dropped: dict[str, tuple[Line, str, str]] = {}  # use key → (definition line, label, dest)
    uses: dict[str, int] = {}
    for i, line in readable:
        found = definition(line)
        if found is None or underlined(lines, i):
            continue
        at, dest, span = i, found.dest, found.dest_span
        if span is None and i + 1 < len(lines) and not lines[i + 1].code:
            # "[label]:" with the destination on the next line, as the parser allows.
            below = _NEXT_LINE_DEST.match(lines[i + 1].text)
            if below is not None:
                at, dest, span = i + 1, below["dest"].strip("<>"), below.span("dest")
                if below["dest"].startswith("<"):
                    span = (span[0] + 1, span[1] - 1)
        if span is None:
            continue
        new = judge(dest)
        if new is None:
            key = definition_key(found.label)
            dropped.setdefault(key, (line, found.label, dest))
        elif new != dest:
            text = lines[at].text
            lines[at] = Line(text[: span[0]] + new + text[span[1] :], lines[at].origin, False)
            changed(line, f"reference [{found.label}]", dest, new)
    for i, line in readable:
        edits: list[Patch] = []
        for link in links(lines[i].text):
            if link.kind == "inline" and not link.image:
                new = judge(link.dest)
                if new is None:
                    edits.extend(unlink(link))
                    changed(line, f"link {link.text[:60]!r}", link.dest, None)
                elif new != link.dest:
                    edits.append((*link.dest_span, new))
                    changed(line, f"link {link.text[:60]!r}", link.dest, new)
            elif link.kind != "inline" and dropped and link.label_length <= MAX_LABEL:
                key = use_key(link.label)
                own = definition_label(line.text, link) and not underlined(lines, i)
                if key in dropped and not own:
                    edits.extend(unlink(link))
                    uses[key] = uses.get(key, 0) + 1
        if edits:
            text = lines[i].text
            lines[i] = Line(still_text(text, apply_edits(text, edits)), line.origin, line.code)
    for key, (line, label, dest) in dropped.items():
        if uses.get(key):
            changed(line, f"reference [{label}] ({plural(uses[key], 'use')})", dest, None)
    return Doc(tuple(lines), doc.meta)


def definition_label(text: str, link: Link) -> bool:
    """Is ``link`` the ``[label]`` a line starts with, followed by ``:``? Such a line is a
    definition, or text shaped like one (``[a]: /x more words``): its bracket is never a use
    of the label, and is left as written."""
    return (
        link.kind == "shortcut"
        and text[link.end : link.end + 1] == ":"
        and starts_definition(text)
        and text.index("[") == link.start
    )

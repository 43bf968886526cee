"""What every normalization rule works on, and how it reports.

A rule receives a ``Doc`` (the body as ``Line`` objects plus the ``Meta``) and returns a new
``Doc``. Each ``Line`` remembers the file line it came from (``origin``), so a rule that runs
after others have removed or split lines still reports the true line number. Lines inside
fenced code are marked ``code`` and rules leave them alone.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import markdown
from ..diagnostics import Diagnostic, Location, Report, Severity
from ..markdown.blocks import Blocks, math_spans
from ..markdown.tables import Row, code_spans, is_delimiter_row, outside_code, split_row
from ..model import Meta


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    origin: int  # 1-based line of the source file this line came from
    code: bool = False  # inside a fenced code block (or its fence): never touched


@dataclass(frozen=True, slots=True)
class Doc:
    lines: tuple[Line, ...]
    meta: Meta


@dataclass(slots=True)
class Context:
    """Where the document lives and where findings go, for one run of the rules."""

    path: Path
    root: Path
    report: Report
    # Source lines a repair removed: lets empty_sections tell "emptied by a repair" from
    # "empty in the source".
    removed: set[int] = field(default_factory=set)
    # Where site-relative and relative links point once published (a configured site URL);
    # ``site_links`` makes them absolute against it. The frontmatter may give one too.
    base_url: str | None = None
    # Source files that are part of the same output (a book's chapters): links to them stay.
    # Empty for a single article, where every link to another file leaves the output.
    book_sources: frozenset[Path] = frozenset()
    # Hosts whose remote images stay in the document (``images`` reports them as info);
    # empty: every remote image becomes a link, since nothing is fetched by default.
    remote_images: tuple[str, ...] = ()
    # The Markdown dialect the document is read in: rules ask it what a line is.
    dialect: str = markdown.DEFAULT

    def emit(
        self,
        code: str,
        line: int | None,
        message: str,
        fix: str | None = None,
        severity: Severity = Severity.WARNING,
    ) -> None:
        self.report.add(Diagnostic(code, severity, Location(self.path, line), message, fix))


@dataclass(frozen=True, slots=True)
class Rule:
    """One defect family: its name, the codes it may emit, and the function that fixes it."""

    name: str
    codes: tuple[str, ...]
    apply: Callable[[Doc, Context], Doc]


def text_of(lines: Sequence[Line]) -> str:
    return "\n".join(line.text for line in lines)


def blocks_of(lines: Sequence[Line], dialect: str) -> Blocks:
    """What ``dialect`` reads each of ``lines`` as (cached by text in the dialect)."""
    return markdown.dialect(dialect).blocks(text_of(lines))


def mark_code(lines: Iterable[Line], dialect: str) -> tuple[Line, ...]:
    """Recompute the ``code`` flag: fenced and indented code, as ``dialect`` reads it."""
    lines = tuple(lines)
    found = blocks_of(lines, dialect)
    return tuple(
        line if line.code == found.code(i) else replace(line, code=found.code(i))
        for i, line in enumerate(lines)
    )


def doc_from_text(text: str, body_line: int, meta: Meta, dialect: str = markdown.DEFAULT) -> Doc:
    lines = (Line(line, body_line + i) for i, line in enumerate(text.split("\n")))
    return Doc(mark_code(lines, dialect), meta)


def doc_text(doc: Doc) -> str:
    return "\n".join(line.text for line in doc.lines)


HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")


def heading_of(line: Line) -> tuple[int, str] | None:
    """``(level, text)`` for an ATX heading line outside code, else ``None``."""
    if line.code:
        return None
    match = HEADING.match(line.text)
    if not match:
        return None
    return len(match[1]), (match[2] or "").strip()


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def protected_spans(text: str) -> list[tuple[int, int]]:
    """Inline code spans and inline formulas of a line, merged, in order: no rule repairs
    text inside them."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted([*code_spans(text), *math_spans(text)]):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def sub_outside_code(
    pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str], text: str
) -> tuple[str, int]:
    """``pattern.subn`` applied only to the parts of ``text`` outside inline code spans
    and inline formulas."""
    spans = protected_spans(text)
    if not spans:
        return pattern.subn(repl, text)
    out: list[str] = []
    count = 0
    pos = 0
    for start, end in [*spans, (len(text), len(text))]:
        changed, n = pattern.subn(repl, text[pos:start])
        out.append(changed)
        out.append(text[start:end])
        count += n
        pos = end
    return "".join(out), count


# ---------------------------------------------------------------------------------------
# Tables: where the dialect reads them, and their rows split into cells (the rules that
# repair cells: debris, shapes).


def table_blocks(lines: Sequence[Line], dialect: str) -> tuple[tuple[int, int], ...]:
    """``(header, end)`` index ranges of the pipe tables ``dialect`` renders."""
    return blocks_of(lines, dialect).tables


def row_of(text: str, dialect: str) -> Row:
    """A table row split into cells the way ``dialect`` splits it."""
    return split_row(text, code_protects=dialect == "python-markdown")


# ---------------------------------------------------------------------------------------
# Multi-line rewrites: rules that find constructs spanning lines (templates, comments)
# work on a run of non-code lines as one string and hand back edits by offset.


class Run:
    """Consecutive non-code lines joined by ``\\n``, with offsets mapped back to lines."""

    def __init__(self, lines: Sequence[Line]) -> None:
        self.lines = lines
        self.text = "\n".join(line.text for line in lines)
        self.starts: list[int] = []
        pos = 0
        for line in lines:
            self.starts.append(pos)
            pos += len(line.text) + 1
        self._spans: dict[int, Sequence[tuple[int, int]]] = {}

    def at(self, offset: int) -> tuple[int, int]:
        """``(index of the line, column)`` of ``offset``."""
        index = bisect_right(self.starts, offset) - 1
        return index, offset - self.starts[index]

    def origin(self, offset: int) -> int:
        return self.lines[self.at(offset)[0]].origin

    def in_code(self, offset: int) -> bool:
        """Is ``offset`` inside an inline code span or formula (of its own line)?"""
        index, col = self.at(offset)
        if index not in self._spans:
            self._spans[index] = protected_spans(self.lines[index].text)
        return not outside_code(self.lines[index].text, col, self._spans[index])


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``text[start:end]`` of a ``Run`` by ``new``."""

    start: int
    end: int
    new: str


_LIST_OR_TABLE = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|\||>|#)")


def _paragraph_text(line: Line | None) -> bool:
    return line is not None and bool(line.text.strip()) and not _LIST_OR_TABLE.match(line.text)


def splice(run: Run, edits: Sequence[Edit], ctx: Context) -> list[Line]:
    """``run``'s lines with ``edits`` (sorted, not overlapping) applied.

    Text after an edit that spans lines joins the line the edit started on (and keeps its
    origin). A line that edits left blank is dropped (its origin goes to ``ctx.removed``),
    except between two lines of paragraph text, where a blank line keeps the paragraphs
    apart as the removed block did.
    """
    if not edits:
        return list(run.lines)
    lines = run.lines
    out: list[tuple[str, int, bool]] = []  # text, origin, touched by an edit
    text, origin, touched = "", lines[0].origin, False
    index, col = 0, 0
    for edit in edits:
        (first, first_col), (last, last_col) = run.at(edit.start), run.at(edit.end)
        while index < first:
            out.append((text + lines[index].text[col:], origin, touched))
            index, col = index + 1, 0
            text, origin, touched = "", lines[index].origin, False
        text += lines[index].text[col:first_col]
        head, *rest = edit.new.split("\n")
        text += head
        touched = True
        for part in rest:
            out.append((text, origin, True))
            text = part
        ctx.removed.update(line.origin for line in lines[first + 1 : last + 1])
        index, col = last, last_col
    while True:
        out.append((text + lines[index].text[col:], origin, touched))
        index, col = index + 1, 0
        if index >= len(lines):
            break
        text, origin, touched = "", lines[index].origin, False

    kept: list[Line] = []
    for i, (line_text, line_origin, hit) in enumerate(out):
        if hit and not line_text.strip():
            after = Line(out[i + 1][0], out[i + 1][1]) if i + 1 < len(out) else None
            if not (_paragraph_text(kept[-1] if kept else None) and _paragraph_text(after)):
                ctx.removed.add(line_origin)
                continue
        kept.append(Line(line_text, line_origin))
    return kept


def rewrite_runs(doc: Doc, find: Callable[[Run], Sequence[Edit]], ctx: Context) -> tuple[Line, ...]:
    """Apply ``find``'s edits to every run of non-code lines; code lines stay as they are."""
    out: list[Line] = []
    run: list[Line] = []

    def flush() -> None:
        if run:
            joined = Run(tuple(run))
            out.extend(splice(joined, find(joined), ctx))
            run.clear()

    for line in doc.lines:
        if line.code:
            flush()
            out.append(line)
        else:
            run.append(line)
    flush()
    return mark_code(out, ctx.dialect)


__all__ = [
    "Blocks",
    "Context",
    "Doc",
    "Edit",
    "Line",
    "Row",
    "Rule",
    "Run",
    "Severity",
    "blocks_of",
    "code_spans",
    "doc_from_text",
    "doc_text",
    "heading_of",
    "is_delimiter_row",
    "mark_code",
    "outside_code",
    "plural",
    "protected_spans",
    "rewrite_runs",
    "row_of",
    "splice",
    "split_row",
    "sub_outside_code",
    "table_blocks",
    "text_of",
]

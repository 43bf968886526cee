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

from ..diagnostics import Diagnostic, Location, Report, Severity
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


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def mark_code(lines: Iterable[Line]) -> tuple[Line, ...]:
    """Recompute the ``code`` flag: fenced blocks (``` or ~~~, CommonMark closing rules)."""
    out: list[Line] = []
    fence: str | None = None
    for line in lines:
        match = _FENCE.match(line.text)
        if fence is None:
            if match and not (match[1][0] == "`" and "`" in line.text[match.end() :]):
                fence = match[1]
                out.append(replace(line, code=True))
            else:
                out.append(replace(line, code=False) if line.code else line)
        else:
            closes = (
                match is not None
                and match[1][0] == fence[0]
                and len(match[1]) >= len(fence)
                and not line.text[match.end() :].strip()
            )
            out.append(replace(line, code=True))
            if closes:
                fence = None
    return tuple(out)


def doc_from_text(markdown: str, body_line: int, meta: Meta) -> Doc:
    lines = (Line(text, body_line + i) for i, text in enumerate(markdown.split("\n")))
    return Doc(mark_code(lines), meta)


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


_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.DOTALL)


def code_spans(text: str) -> Sequence[tuple[int, int]]:
    """Start/end offsets of inline code spans in ``text``."""
    return [m.span() for m in _CODE_SPAN.finditer(text)]


def outside_code(text: str, pos: int, spans: Sequence[tuple[int, int]]) -> bool:
    return not any(start <= pos < end for start, end in spans)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def sub_outside_code(
    pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str], text: str
) -> tuple[str, int]:
    """``pattern.subn`` applied only to the parts of ``text`` outside inline code spans."""
    spans = code_spans(text)
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
# Tables, split the way Python-Markdown's tables extension splits them (used by the rules
# that repair cells: debris, shapes).

_PIPE = re.compile(r"\|")
_DELIMITER_CELL = re.compile(r"^\s*:?-+:?\s*$")


def _separators(text: str) -> list[int]:
    """Offsets of the ``|`` that separate cells: not backslash-escaped, not in code."""
    spans = code_spans(text)
    found: list[int] = []
    for match in _PIPE.finditer(text):
        pos = match.start()
        slashes = len(text[:pos]) - len(text[:pos].rstrip("\\"))
        if slashes % 2 == 0 and outside_code(text, pos, spans):
            found.append(pos)
    return found


@dataclass(frozen=True, slots=True)
class Row:
    """One table row: its cells with their own spacing, and whether it has border pipes."""

    indent: str
    left: bool
    cells: tuple[str, ...]
    right: bool

    def text(self) -> str:
        inner = "|".join(self.cells)
        return f"{self.indent}{'|' if self.left else ''}{inner}{'|' if self.right else ''}"


def split_row(text: str) -> Row:
    """``| a | b |`` → ``Row("", True, (" a ", " b "), True)``."""
    body = text.rstrip()
    indent = body[: len(body) - len(body.lstrip())]
    body = body.lstrip()
    pipes = _separators(body)
    left = bool(pipes) and pipes[0] == 0
    right = bool(pipes) and pipes[-1] == len(body) - 1 and (len(pipes) > 1 or not left)
    inner = pipes[1 if left else 0 : len(pipes) - 1 if right else len(pipes)]
    bounds = [1 if left else 0, *(p + 1 for p in inner)]
    ends = [*inner, len(body) - 1 if right else len(body)]
    return Row(indent, left, tuple(body[a:b] for a, b in zip(bounds, ends, strict=True)), right)


def is_delimiter_row(row: Row) -> bool:
    return all(_DELIMITER_CELL.match(cell) for cell in row.cells)


def table_blocks(lines: Sequence[Line]) -> list[tuple[int, int]]:
    """``(header, end)`` index ranges of the pipe tables Python-Markdown will render.

    A table is a header row with pipes, then a delimiter row with as many cells, then
    rows up to the first blank or code line; it must start a block (after a blank line, a
    heading or the start), as in Python-Markdown, where a table right under a paragraph
    line is part of that paragraph.
    """
    found: list[tuple[int, int]] = []
    i = 0
    n = len(lines)
    while i + 1 < n:
        line, below = lines[i], lines[i + 1]
        starts_block = i == 0 or not lines[i - 1].text.strip() or heading_of(lines[i - 1])
        if line.code or below.code or "|" not in line.text or not starts_block:
            i += 1
            continue
        header, delimiter = split_row(line.text), split_row(below.text)
        usable = len(header.cells) > 1 or (header.left or header.right)
        if not (usable and len(delimiter.cells) == len(header.cells)):
            i += 1
            continue
        if not is_delimiter_row(delimiter) or "-" not in below.text:
            i += 1
            continue
        end = i + 2
        while end < n and not lines[end].code and lines[end].text.strip():
            end += 1
        found.append((i, end))
        i = end
    return found


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
        """Is ``offset`` inside an inline code span (of its own line)?"""
        index, col = self.at(offset)
        if index not in self._spans:
            self._spans[index] = code_spans(self.lines[index].text)
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
    return mark_code(out)

"""What every normalization rule works on, and how it reports.

A rule receives a ``Doc`` (the body as ``Line`` objects plus the ``Meta``) and returns a new
``Doc``. Each ``Line`` remembers the file line it came from (``origin``), so a rule that runs
after others have removed or split lines still reports the true line number. Lines inside
fenced code are marked ``code`` and rules leave them alone.
"""

from __future__ import annotations

import re
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

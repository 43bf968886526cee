"""Pipe table rows split into cells, as GFM and Python-Markdown's tables extension split them.

Used by both dialects' block maps (is this line a table's delimiter row?) and by the rules
that repair cells (debris, shapes). A ``|`` separates cells unless it is backslash-escaped;
GFM splits inside code spans too (a pipe in a code span must be escaped), Python-Markdown
does not (``code_protects``). Leading and trailing pipes are optional.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_PIPE = re.compile(r"\|")
_DELIMITER_CELL = re.compile(r"^\s*:?-+:?\s*$")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.DOTALL)


def code_spans(text: str) -> Sequence[tuple[int, int]]:
    """Start/end offsets of inline code spans in ``text``."""
    return [m.span() for m in _CODE_SPAN.finditer(text)]


def outside_code(text: str, pos: int, spans: Sequence[tuple[int, int]]) -> bool:
    return not any(start <= pos < end for start, end in spans)


def _separators(text: str, code_protects: bool) -> list[int]:
    """Offsets of the ``|`` that separate cells: not backslash-escaped (nor in code, where
    code protects pipes)."""
    spans = code_spans(text) if code_protects else ()
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


def split_row(text: str, *, code_protects: bool = False) -> Row:
    """``| a | b |`` → ``Row("", True, (" a ", " b "), True)``."""
    body = text.rstrip()
    indent = body[: len(body) - len(body.lstrip())]
    body = body.lstrip()
    pipes = _separators(body, code_protects)
    left = bool(pipes) and pipes[0] == 0
    right = bool(pipes) and pipes[-1] == len(body) - 1 and (len(pipes) > 1 or not left)
    inner = pipes[1 if left else 0 : len(pipes) - 1 if right else len(pipes)]
    bounds = [1 if left else 0, *(p + 1 for p in inner)]
    ends = [*inner, len(body) - 1 if right else len(body)]
    return Row(indent, left, tuple(body[a:b] for a, b in zip(bounds, ends, strict=True)), right)


def is_delimiter_row(row: Row) -> bool:
    return all(_DELIMITER_CELL.match(cell) for cell in row.cells)


def escape_code_pipes(text: str) -> str:
    """``text`` with every unescaped ``|`` inside a code span escaped: GFM splits cells
    there otherwise, and shows ``\\|`` in a code span in a table as ``|``."""
    out: list[str] = []
    pos = 0
    for start, end in code_spans(text):
        out.append(text[pos:start])
        span = text[start:end]
        out.append(re.sub(r"(?<!\\)\|", r"\\|", span))
        pos = end
    out.append(text[pos:])
    return "".join(out)

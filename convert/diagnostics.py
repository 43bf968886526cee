"""Diagnostics: what the pipeline found and what it did about it.

A ``Diagnostic`` is one finding with a stable ``area.defect`` code, a severity, a location
(file and 1-based line of the *source file*), a message naming the thing, and the fix that
was applied, if any. It prints compiler style, one greppable line::

    content/articles/konotop.md:41: warning: 13 '[object Object]' lines removed [reference.debris]

Exceptions mean "this document cannot be converted"; diagnostics mean "converted, with
fixes". This module imports nothing from the package.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


class Severity(enum.IntEnum):
    INFO = 20
    WARNING = 30
    ERROR = 40

    @classmethod
    def parse(cls, text: str) -> Severity | None:
        """``"warning"`` → ``Severity.WARNING``; ``"off"`` → ``None``."""
        text = text.strip().lower()
        if text == "off":
            return None
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (info, warning, error, off)") from None


@dataclass(frozen=True, slots=True)
class Location:
    path: Path
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else str(self.path)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    location: Location
    message: str
    fix: str | None = None

    def __str__(self) -> str:
        fix = f"; {self.fix}" if self.fix else ""
        return f"{self.location}: {self.severity.name.lower()}: {self.message}{fix} [{self.code}]"

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.name.lower(),
            "path": str(self.location.path),
            "line": self.location.line,
            "message": self.message,
            "fix": self.fix,
        }


class Report:
    """Collects the diagnostics of one run.

    ``overrides`` maps a code to a new severity, or to ``None`` to switch the code off;
    the override is applied as each diagnostic is added, so everything downstream (exit
    status, JSON, printing) sees the configured severity.
    """

    def __init__(self, overrides: Mapping[str, Severity | None] | None = None) -> None:
        self._items: list[Diagnostic] = []
        self._overrides = dict(overrides or {})

    def add(self, diagnostic: Diagnostic) -> None:
        if diagnostic.code in self._overrides:
            severity = self._overrides[diagnostic.code]
            if severity is None:
                return
            diagnostic = Diagnostic(
                diagnostic.code, severity, diagnostic.location, diagnostic.message, diagnostic.fix
            )
        self._items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic)

    def child(self) -> Report:
        """An empty report with the same overrides (one per document in a batch)."""
        return Report(self._overrides)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def worst(self) -> Severity | None:
        return max((d.severity for d in self._items), default=None)

    def codes(self) -> list[str]:
        return [d.code for d in self._items]

    def sorted(self) -> list[Diagnostic]:
        return sorted(
            self._items, key=lambda d: (str(d.location.path), d.location.line or 0, d.code)
        )

    def to_json(self) -> str:
        return json.dumps([d.as_dict() for d in self.sorted()], indent=2, ensure_ascii=False)


# What the stages after parsing report through: (code, needle, message, fix, severity).
# They work on HTML, not source lines, so they name a piece of the source text (an image
# path, a link target) and the ``Locator`` finds its line.
Emit = Callable[[str, str, str, str | None, Severity], None]


class Locator:
    """The source line where a piece of text first appears, for diagnostics raised after
    the document left its lines behind (render, layout, books).

    ``lines`` are the body's lines as normalized and ``line_of`` maps a 0-based index among
    them to the file's 1-based line. Each distinct needle is looked up once: 10^4 copies
    of one broken image cost one scan of the text, not 10^4.
    """

    def __init__(self, path: Path, lines: Sequence[str], line_of: Callable[[int], int]) -> None:
        self.path = path
        self._lines = lines
        self._line_of = line_of
        self._found: dict[str, int | None] = {}

    def line(self, needle: str) -> int | None:
        """The file line of the first body line containing ``needle`` (None: nowhere, or
        an empty needle)."""
        if needle not in self._found:
            index = next(
                (i for i, text in enumerate(self._lines) if needle and needle in text), None
            )
            self._found[needle] = self._line_of(index) if index is not None else None
        return self._found[needle]

    def __call__(self, needle: str) -> Location:
        return Location(self.path, self.line(needle))

    def emitter(self, report: Report) -> Emit:
        """An ``Emit`` that adds to ``report`` at the needle's line."""

        def emit(code: str, needle: str, message: str, fix: str | None, severity: Severity) -> None:
            report.add(Diagnostic(code, severity, self(needle), message, fix))

        return emit

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
from collections.abc import Iterable, Iterator, Mapping
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

"""Fatal errors: the document cannot be converted.

Each carries a stable code and the path it is about, so the CLI can print one line
(``path: error: why [code]``) instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path


class ConvertError(Exception):
    """Base class. ``code`` is a stable ``area.defect`` code like ``load.binary``."""

    code = "convert.failed"

    def __init__(self, message: str, *, path: Path | str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        if code:
            self.code = code

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}error: {self.message} [{self.code}]"


class LoadError(ConvertError):
    code = "load.failed"


class ThemeError(ConvertError):
    code = "theme.invalid"


class RenderError(ConvertError):
    code = "render.failed"


class WriteError(ConvertError):
    code = "write.failed"


class StrictError(ConvertError):
    """Warnings were found and ``--strict`` asked for them to fail the document."""

    code = "strict.warnings"

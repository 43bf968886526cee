"""Configuration: the ``Settings`` of a run, and the file that configures its rules.

``Settings`` carries everything a run is asked to do (formats, theme, profile, strictness,
the dialect, severities, rules switched off, ``Limits``) from the command line and the
configuration file to every stage, the book, the batch and Celery workers.

Read from the first of these found looking from the current folder upwards (in each
folder ``pressroom.toml`` first, then a ``pyproject.toml`` that has a ``[tool.pressroom]``
table; a ``pyproject.toml`` without one is passed over)::

    # pyproject.toml                      # pressroom.toml: the same keys, top level
    [tool.pressroom]                      disable = ["heading_levels"]
    disable = ["heading_levels"]
                                          [severity]
    [tool.pressroom.severity]             "heading.duplicate" = "error"
    "heading.duplicate" = "error"
    "section.empty" = "off"

``markdown`` names the dialect of documents whose frontmatter names none: ``commonmark``
(the default; also ``gfm``) or ``python-markdown`` (also ``mkdocs``). ``disable`` names
normalization rules (``pressroom check --help`` lists them); a severity
is ``info``, ``warning``, ``error`` or ``off`` (the diagnostic is not reported; the repair
still happens). The command line adds to the file: ``--severity CODE=LEVEL`` and
``--disable RULE``, both repeatable, the command line winning for the same code.

Unknown codes, rule names, severities or keys are a usage error that names the known ones:
a typo must not silently leave a setting without effect.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import markdown
from .diagnostics import Severity
from .normalize import RULES, Rule
from .preflight import CODES as PREFLIGHT_CODES

CONFIG_FILE = "pressroom.toml"
PYPROJECT = "pyproject.toml"
_KEYS = ("severity", "disable", "markdown")

# Codes reported outside the normalization rules (whose codes each ``Rule`` declares):
# by the loader, the tree stage, books and the PDF writer. Fatal errors are exceptions, not
# diagnostics, so they have no severity to configure. tests/unit/test_config.py checks
# this list against the codes the source actually emits.
OTHER_CODES = frozenset(
    {
        "meta.cover-missing",
        "meta.cover-resolved",
        "meta.date-invalid",
        "meta.empty",
        "meta.invalid",
        "meta.lang-invalid",
        "meta.markdown-invalid",
        "meta.not-mapping",
        "meta.tags",
        "meta.too-large",
        "meta.type",
        "meta.unterminated",
        "link.chapter-fragment",
        "link.empty",
        "link.fragment",
        "link.unresolved",
        "image.missing",
        "image.too-large",  # assets.check_image, through the tree stage and the loader
        "image.unsafe-svg",
        "load.control-chars",
        "image.remote",
        "image.remote-failed",
        "pdf.css",
        "print.flattened",  # writers/pdf_finish.py: images composed onto white for PDF/X-1a
        "pdf.decorative-image",  # writers/pdf_finish.py: an image without alt text, an Artifact
        "profile.trim",  # pipeline.profile_theme: a page size the store does not print
        *PREFLIGHT_CODES,  # a print or store profile preflights its own output
        "pdf.refused",
        "pdf.resource",
        "font.fallback",
        "font.missing-glyph",
        "toc.page-mismatch",
        "layout.overflow",
        "a11y.image-alt",  # accessibility.describe, through render and book
        "a11y.contrast",
        # convert/apparatus: references, labels, formulas and the index
        "xref.unresolved",
        "xref.duplicate",
        "math.invalid",
        "index.see-missing",
        "index.page-mismatch",
        "book.single-layout",
    }
)


class ConfigError(ValueError):
    """A setting that cannot be honoured: the command stops with a usage error (exit 2)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one document may cost; the same in ``convert``, ``book``, ``batch`` and a
    Celery worker (a book is one document). Past a limit the document fails with
    ``load.too-large``, ``convert.timeout`` or ``convert.memory``; the others go on."""

    max_input_mb: float = 20.0  # larger source files are refused
    timeout: float = 600.0  # wall seconds; 0: none
    max_memory_mb: int = 4096  # address-space ceiling while it converts; 0: none

    @property
    def max_input_bytes(self) -> int:
        return int(self.max_input_mb * 1024 * 1024)


@dataclass(frozen=True, slots=True)
class Settings:
    """The whole configuration of a run, from the configuration file and the command line
    to every stage, the book, the batch and a Celery worker (``to_dict``/``from_dict``:
    plain JSON). The defaults are "everything on, as designed"."""

    formats: tuple[str, ...] = ("pdf", "epub")
    theme: str = "base"
    profile: str = "screen"
    root: Path | None = None  # content root; default: each input's folder
    strict: bool = False  # a warning fails the document
    allow_remote: bool = False  # the PDF renderer may fetch http(s) resources
    remote_images: tuple[str, ...] = ()  # hosts whose images are downloaded and embedded
    page_list: bool = False  # EPUB only: lay the PDF out anyway for print page numbers
    # The Markdown dialect of documents whose frontmatter names none.
    dialect: str = markdown.DEFAULT
    severity: Mapping[str, Severity | None] = field(default_factory=dict)
    disabled: tuple[str, ...] = ()  # normalization rules not run
    limits: Limits = field(default_factory=Limits)
    source: Path | None = None  # the configuration file read, if any

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in RULES if rule.name not in self.disabled)

    def outputs_key(self) -> dict[str, Any]:
        """Everything here that shapes a document's outputs or its diagnostics (not where
        it lives, not its limits): a batch rebuilds a document when this changes."""
        data = self.to_dict()
        for key in ("root", "limits", "source"):
            data.pop(key)
        return data

    def to_dict(self) -> dict[str, Any]:
        return {
            "formats": list(self.formats),
            "theme": self.theme,
            "profile": self.profile,
            "root": str(self.root) if self.root is not None else None,
            "strict": self.strict,
            "allow_remote": self.allow_remote,
            "remote_images": list(self.remote_images),
            "page_list": self.page_list,
            "dialect": self.dialect,
            "severity": {
                code: level.name.lower() if level is not None else "off"
                for code, level in sorted(self.severity.items())
            },
            "disabled": sorted(self.disabled),
            "limits": {
                "max_input_mb": self.limits.max_input_mb,
                "timeout": self.limits.timeout,
                "max_memory_mb": self.limits.max_memory_mb,
            },
            "source": str(self.source) if self.source is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        """The inverse of ``to_dict`` (missing keys take their defaults)."""
        fields = dict(data)
        for key in ("formats", "remote_images", "disabled"):
            if key in fields:
                fields[key] = tuple(fields[key])
        for key in ("root", "source"):
            if fields.get(key) is not None:
                fields[key] = Path(fields[key])
        if "severity" in fields:
            fields["severity"] = {
                code: Severity.parse(level) for code, level in fields["severity"].items()
            }
        if "limits" in fields:
            fields["limits"] = Limits(**fields["limits"])
        return cls(**fields)


def known_codes(rules: Iterable[Rule] = RULES) -> frozenset[str]:
    return OTHER_CODES | {code for rule in rules for code in rule.codes}


def rule_names(rules: Iterable[Rule] = RULES) -> tuple[str, ...]:
    return tuple(dict.fromkeys(rule.name for rule in rules))


def find_config(start: Path) -> tuple[Path, Mapping[str, Any]] | None:
    """The first configuration file from ``start`` upwards and its pressroom table."""
    for folder in (start, *start.parents):
        own = folder / CONFIG_FILE
        if own.is_file():
            return own, _read(own)
        pyproject = folder / PYPROJECT
        if pyproject.is_file():
            table = _read(pyproject).get("tool", {})
            table = table.get("pressroom") if isinstance(table, dict) else None
            if table is not None:
                if not isinstance(table, dict):
                    raise ConfigError(f"{pyproject}: [tool.pressroom] is not a table")
                return pyproject, table
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load_settings(
    start: Path | None = None,
    *,
    severity: Sequence[str] = (),
    disable: Sequence[str] = (),
    dialect: str | None = None,
) -> Settings:
    """Settings from the configuration file found from ``start`` (default: the current
    folder) upwards, then the command line's ``--severity CODE=LEVEL``, ``--disable`` and
    ``--markdown``."""
    found = find_config((start or Path.cwd()).resolve())
    source, table = found if found else (None, {})
    where = f"{source}: " if source else ""
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ConfigError(f"{where}unknown key {unknown[0]!r}; known keys: {', '.join(_KEYS)}")
    levels = dict(_severities(table.get("severity", {}), where))
    levels.update(_severities(_pairs(severity), "--severity: "))
    off = set(_names(table.get("disable", []), where)) | set(_names(disable, "--disable: "))
    chosen = _dialect(table.get("markdown", markdown.DEFAULT), where)
    if dialect is not None:
        chosen = _dialect(dialect, "--markdown: ")
    return Settings(
        severity=levels,
        disabled=tuple(sorted(off)),
        source=source,
        dialect=chosen,
    )


def _dialect(value: object, where: str) -> str:
    name = markdown.canonical(value) if isinstance(value, str) else None
    if name is None:
        known = ", ".join(sorted(markdown.ALIASES))
        raise ConfigError(f"{where}unknown Markdown dialect {value!r}; known: {known}")
    return name


def _pairs(items: Sequence[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        code, sep, level = item.partition("=")
        if not sep or not code.strip():
            raise ConfigError(f"--severity: expected CODE=LEVEL, got {item!r}")
        pairs[code.strip()] = level.strip()
    return pairs


def _severities(table: object, where: str) -> dict[str, Severity | None]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}'severity' must be a table of CODE = LEVEL")
    known = known_codes()
    levels: dict[str, Severity | None] = {}
    for code, level in table.items():
        if code not in known:
            raise ConfigError(f"{where}unknown code {code!r}{_suggest(code, known, 'codes')}")
        if not isinstance(level, str):
            raise ConfigError(f"{where}{code!r}: severity must be text (info, warning, …)")
        try:
            levels[code] = Severity.parse(level)
        except ValueError as exc:
            raise ConfigError(f"{where}{code!r}: {exc}") from None
    return levels


def _names(value: object, where: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ConfigError(f"{where}'disable' must be a list of rule names")
    known = rule_names()
    for name in value:
        if name not in known:
            raise ConfigError(f"{where}unknown rule {name!r}{_suggest(str(name), known, 'rules')}")
    return list(value)


def _suggest(given: str, known: Iterable[str], what: str) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(given, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{hint}; known {what}: {', '.join(names)}"

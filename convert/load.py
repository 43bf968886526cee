"""Stage 1, load: a path on disk → an ``Article`` (typed ``Meta``, body text, body line).

Contract:
- Raises ``LoadError`` (with a stable code) only when the file cannot be read as text at
  all: missing, a folder, binary, undecodable, too large. Nothing else is fatal.
- Decodes UTF-8 with or without BOM, and UTF-16/UTF-32 with BOM; line endings CRLF and CR
  become LF. The BOM and line endings are encoding, not content, so they are not reported.
- Splits YAML (``---``), TOML (``+++``) or JSON (``{ … }``) frontmatter itself rather than
  through python-frontmatter, which strips the text (losing line numbers), needs the
  third-party ``toml`` package and silently ignores non-mapping frontmatter.
- Frontmatter that does not parse, or is not a mapping, becomes a diagnostic and the body is
  still converted. YAML is read with a safe loader that refuses alias bombs, deep nesting
  and huge documents.
- Maps the keys seen in the wild onto ``Meta`` (see ``KEY_ALIASES``); unknown keys stay in
  ``Meta.extra`` unchanged. Every value that had to be dropped or coerced is reported.
"""

from __future__ import annotations

import ast
import codecs
import datetime as dt
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import markdown
from .assets import ImageRefused, check_image, find_image, relative_ref
from .diagnostics import Diagnostic, Location, Report, Severity
from .errors import LoadError
from .model import Article, Meta

MAX_INPUT_BYTES = 20 * 1024 * 1024
MAX_FRONTMATTER_CHARS = 256 * 1024
_YAML_MAX_ALIASES = 32
_YAML_MAX_DEPTH = 64

# Values exporters write when a field had no value: JavaScript's and Python's "nothing".
_NOTHING = {"", "undefined", "null", "none", "nan", "[object object]", "{}", "[]"}


@dataclass(frozen=True, slots=True)
class LoadOptions:
    """What the loader needs besides the path."""

    root: Path | None = None  # content root; default: the file's own folder
    max_bytes: int = MAX_INPUT_BYTES
    # The Markdown dialect of a document whose frontmatter does not name one.
    dialect: str = markdown.DEFAULT


def load(path: Path, report: Report, options: LoadOptions | None = None) -> Article:
    """Read ``path`` into an ``Article``; report every repair into ``report``."""
    options = options or LoadOptions()
    text = decode(read_bytes(path, options.max_bytes), path)
    diag = _Reporter(path, report)
    text = _drop_controls(text, diag)
    fm = split_frontmatter(text)
    root = (options.root or path.parent).resolve()
    raw = _parse_frontmatter(fm, diag)
    meta = map_meta(raw, diag, fm.line, path=path, root=root, text=fm.text)
    dialect = _dialect(raw, options.dialect, diag, fm.line + _key_offset(fm.text, "markdown"))
    return Article(
        source=path,
        meta=meta,
        markdown=fm.body,
        body_line=fm.body_line,
        root=root,
        dialect=dialect,
    )


def _dialect(raw: Mapping[str, Any], default: str, diag: _Reporter, line: int) -> str:
    """The dialect the frontmatter's ``markdown`` key names (``commonmark``, ``gfm``,
    ``python-markdown``…), else ``default``. The key stays in the metadata as written."""
    value = raw.get("markdown")
    if value is None:
        return default
    name = markdown.canonical(value) if isinstance(value, str) else None
    if name is None:
        diag(
            "meta.markdown-invalid",
            line,
            f"'markdown: {str(value)[:40]}' names no Markdown dialect Pressroom reads",
            f"read it as {default} (known: {', '.join(sorted(markdown.DIALECTS))})",
        )
        return default
    return name


def read_bytes(path: Path, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The file's bytes, or a ``LoadError`` that says in one line why not."""
    try:
        if path.is_dir():
            raise LoadError("is a folder, not a file", path=path, code="load.not-a-file")
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(
                f"file is {size:,} bytes, over the {max_bytes:,} byte limit",
                path=path,
                code="load.too-large",
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise LoadError("no such file", path=path, code="load.missing") from None
    except PermissionError:
        raise LoadError("permission denied", path=path, code="load.unreadable") from None
    except OSError as exc:
        raise LoadError(exc.strerror or str(exc), path=path, code="load.unreadable") from None


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode(data: bytes, path: Path) -> str:
    """Bytes → text with ``\\n`` line endings. Refuses binary and undecodable data."""
    encoding = "utf-8"
    for bom, name in _BOMS:  # UTF-32-LE before UTF-16-LE: its BOM starts with UTF-16's
        if data.startswith(bom):
            data, encoding = data[len(bom) :], name
            break
    else:
        if b"\x00" in data[:8192]:
            raise LoadError(
                "binary file (NUL bytes), not Markdown text", path=path, code="load.binary"
            )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LoadError(
            f"not valid {encoding.upper()} text (byte 0x{data[exc.start]:02X} on line {line});"
            " save the file as UTF-8",
            path=path,
            code="load.encoding",
        ) from None
    if "\x00" in text:
        raise LoadError("binary file (NUL characters)", path=path, code="load.binary")
    if _looks_binary(text):
        raise LoadError(
            "binary file (control characters), not Markdown text", path=path, code="load.binary"
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


# C0 controls other than tab and newline, and the two noncharacters XML forbids: no output
# format can carry them (XML 1.0 refuses them; lxml and ebooklib raise), and an escape
# sequence in a title would reach the terminal through a diagnostic.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def _drop_controls(text: str, diag: _Reporter) -> str:
    first = _CONTROLS.search(text)
    if first is None:
        return text
    count = len(_CONTROLS.findall(text))
    diag(
        "load.control-chars",
        text.count("\n", 0, first.start()) + 1,
        f"{count} control character(s) such as U+{ord(first[0]):04X}, which no output can carry",
        "removed them",
    )
    return _CONTROLS.sub("", text)


def _looks_binary(text: str) -> bool:
    """True when the start of the text is mostly C0 control characters (a renamed binary)."""
    sample = text[:4096]
    if not sample:
        return False
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f\v")
    return controls > len(sample) * 0.05


@dataclass(frozen=True, slots=True)
class Frontmatter:
    """The raw pieces: ``kind`` is "yaml", "toml", "json" or "" (none)."""

    kind: str
    text: str
    body: str
    line: int  # file line of the first frontmatter line (after the opening delimiter)
    body_line: int
    unterminated: bool = False
    broken_json: bool = False  # starts like JSON frontmatter but does not parse


_DELIMITERS = {"---": ("yaml", ("---", "...")), "+++": ("toml", ("+++",))}


def split_frontmatter(text: str) -> Frontmatter:
    """Find frontmatter at the very start of ``text`` and split it from the body."""
    first, _, rest = text.partition("\n")
    opener = first.rstrip()
    if opener in _DELIMITERS:
        kind, closers = _DELIMITERS[opener]
        lines = rest.split("\n")
        for i, line in enumerate(lines):
            if line.rstrip() in closers:
                body = "\n".join(lines[i + 1 :])
                return Frontmatter(kind, "\n".join(lines[:i]), body, 2, i + 3)
        # An opening "---" with no closing one is a thematic break, not frontmatter.
        return Frontmatter("", "", text, 1, 1, unterminated=kind == "toml" or _yamlish(lines))
    if first.startswith("{"):
        try:
            _, end = json.JSONDecoder().raw_decode(text)
        except RecursionError:
            # Nested past Python's stack ('{"a":' × 10^5): hostile, not frontmatter.
            return Frontmatter("", "", text, 1, 1, broken_json=True)
        except json.JSONDecodeError:
            # Not JSON after all ("{Note}", a "{{< shortcode >}}"): it is body text.
            return Frontmatter("", "", text, 1, 1, broken_json=first.startswith('{"'))
        consumed = text[:end]
        body = text[end:].removeprefix("\n")
        return Frontmatter("json", consumed, body, 1, consumed.count("\n") + 2)
    return Frontmatter("", "", text, 1, 1)


def _yamlish(lines: list[str]) -> bool:
    """Does an unterminated ``---`` block start with ``key: value`` lines?"""
    return bool(lines) and bool(re.match(r"^[A-Za-z_][\w-]*\s*:", lines[0]))


class _Reporter:
    """Adds load diagnostics for one file."""

    def __init__(self, path: Path, report: Report) -> None:
        self.path, self.report = path, report

    def __call__(
        self,
        code: str,
        line: int | None,
        message: str,
        fix: str | None = None,
        severity: Severity = Severity.WARNING,
    ) -> None:
        self.report.add(Diagnostic(code, severity, Location(self.path, line), message, fix))


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that refuses alias bombs ("billion laughs") and deep nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > _YAML_MAX_ALIASES:
                raise yaml.YAMLError(f"more than {_YAML_MAX_ALIASES} aliases (an alias bomb?)")
        self._depth += 1
        try:
            if self._depth > _YAML_MAX_DEPTH:
                raise yaml.YAMLError(f"nested deeper than {_YAML_MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# YAML 1.1 reads "2022-02-19" as a date but "2022-02-19 06:08" as a string, and "no" as
# False; both are handled by the mapping below, which coerces per key.
def _parse_frontmatter(fm: Frontmatter, diag: _Reporter) -> Mapping[str, Any]:
    if fm.unterminated:
        diag(
            "meta.unterminated",
            1,
            "frontmatter opens but never closes",
            "read the whole file as the body",
        )
    if fm.broken_json:
        diag(
            "meta.invalid",
            1,
            "the file starts like JSON frontmatter but is not valid JSON",
            "read the whole file as the body",
        )
    if not fm.kind:
        return {}
    if len(fm.text) > MAX_FRONTMATTER_CHARS:
        diag(
            "meta.too-large",
            fm.line,
            f"frontmatter is {len(fm.text):,} characters, over {MAX_FRONTMATTER_CHARS:,}",
            "ignored the frontmatter",
        )
        return {}
    try:
        data = _PARSERS[fm.kind](fm.text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:
        line = fm.line + _error_line(exc)
        reason = _one_line(exc)
        diag(
            "meta.invalid",
            line,
            f"{fm.kind.upper()} frontmatter does not parse: {reason}",
            "ignored the frontmatter; the body is converted",
        )
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        diag(
            "meta.not-mapping",
            fm.line,
            f"frontmatter is a {type(data).__name__}, not a mapping of keys to values",
            "ignored the frontmatter",
        )
        return {}
    return data


def _error_line(exc: BaseException) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return int(mark.line)
    lineno = getattr(exc, "lineno", None)
    if lineno:
        return int(lineno) - 1
    # tomllib before Python 3.14 only says it in the message: "(at line 3, column 7)".
    match = re.search(r"at line (\d+)", str(exc))
    return int(match[1]) - 1 if match else 0


def _one_line(exc: BaseException) -> str:
    problem = getattr(exc, "problem", None)
    text = str(problem or exc)
    return " ".join(text.split())[:160]


_PARSERS: dict[str, Callable[[str], Any]] = {
    "yaml": lambda text: yaml.load(text, Loader=_LimitedLoader),
    "toml": tomllib.loads,
    "json": json.loads,
}


# ---------------------------------------------------------------------------------------
# Frontmatter keys → Meta. First key present wins; the others stay in `extra`.

KEY_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "subject", "name"),
    "subtitle": ("subtitle",),
    "description": ("description", "shortDescription", "summary", "excerpt"),
    "authors": ("authors", "author"),
    "date": ("date", "pubDate", "published", "publishDate", "created"),
    "lang": ("lang", "language", "locale"),
    "cover": ("cover", "image", "img", "cover_image", "heroImage"),
    "tags": ("tags", "keywords"),
}

_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def map_meta(
    raw: Mapping[str, Any], diag: _Reporter, line: int, *, path: Path, root: Path, text: str = ""
) -> Meta:
    """Typed ``Meta`` from a raw frontmatter mapping.

    ``line`` is the file line of the frontmatter's first line and ``text`` its source, used
    to point diagnostics at the line of the key they are about.
    """
    used: set[str] = set()

    def pick(field: str, usable: Callable[[Any], Any] = lambda v: True) -> tuple[str, Any] | None:
        """The first key for ``field`` with a usable value, else the first one present."""
        for key in KEY_ALIASES[field]:
            if key in raw and not _is_nothing(raw[key]) and usable(raw[key]):
                used.add(key)
                return key, raw[key]
        for key in KEY_ALIASES[field]:
            if key in raw:  # present but empty/junk: reported by the caller when it matters
                used.add(key)
                return key, raw[key]
        return None

    def line_of(key: str) -> int:
        return line + _key_offset(text, key)

    title = _text_field(pick("title"), diag, line_of)
    subtitle = _text_field(pick("subtitle"), diag, line_of)
    description = _text_field(pick("description"), diag, line_of)
    authors = _authors(pick("authors"), diag, line_of)
    date = _date(pick("date", parse_date), diag, line_of)
    lang, lang_source = _lang(pick("lang"), diag, line_of)
    cover = _cover(pick("cover"), diag, line_of, path=path, root=root)
    tags = _tags(pick("tags"), diag, line_of)
    extra = {k: v for k, v in raw.items() if k not in used}
    return Meta(
        title=title,
        subtitle=subtitle,
        authors=authors,
        date=date,
        lang=lang,
        lang_source=lang_source,
        cover=cover,
        description=description,
        tags=tags,
        extra=extra,
    )


def _key_offset(text: str, key: str) -> int:
    """0-based line of ``key`` at the top level of the frontmatter text (YAML, TOML, JSON)."""
    pattern = re.compile(rf'^\s*["\']?{re.escape(key)}["\']?\s*[:=]')
    for i, line in enumerate(text.split("\n")):
        if pattern.match(line):
            return i
    return 0


def _is_nothing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN
        return True
    if isinstance(value, dict | list | tuple) and not value:
        return True
    return isinstance(value, str) and value.strip().lower() in _NOTHING


Picked = tuple[str, Any] | None
LineOf = Callable[[str], int]


def _text_field(picked: Picked, diag: _Reporter, line_of: LineOf) -> str:
    if picked is None:
        return ""
    key, value = picked
    if _is_nothing(value):
        diag("meta.empty", line_of(key), f"'{key}' has no value ({value!r})", "ignored it")
        return ""
    if isinstance(value, str | int | float | dt.date):
        return " ".join(str(value).split())
    diag(
        "meta.type",
        line_of(key),
        f"'{key}' is a {type(value).__name__}, expected text",
        "ignored it",
    )
    return ""


def _authors(picked: Picked, diag: _Reporter, line_of: LineOf) -> tuple[str, ...]:
    if picked is None:
        return ()
    key, value = picked
    items = value if isinstance(value, list | tuple) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("name") or item.get("title")
        if _is_nothing(item) or not isinstance(item, str | int | float):
            diag("meta.empty", line_of(key), f"an entry of '{key}' has no usable name", "dropped")
            continue
        name = " ".join(str(item).split())
        if name not in names:
            names.append(name)
    return tuple(names)


_TZ_RE = re.compile(r"\s*([+-])(\d{2}):?(\d{2})$")


def parse_date(value: Any) -> dt.date | None:
    """A date or datetime from a YAML/TOML value or a string in the common formats."""
    if isinstance(value, dt.datetime | dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    text = _TZ_RE.sub(lambda m: f"{m[1]}{m[2]}:{m[3]}", text)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        for fmt in ("%Y/%m/%d", "%d %B %Y", "%B %d, %Y", "%d.%m.%Y", "%Y-%m"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        return None
    if parsed.time() == dt.time(0) and parsed.tzinfo is None and len(text) <= 10:
        return parsed.date()
    return parsed


def _date(picked: Picked, diag: _Reporter, line_of: LineOf) -> dt.date | None:
    if picked is None:
        return None
    key, value = picked
    parsed = parse_date(value)
    if parsed is None:
        diag(
            "meta.date-invalid",
            line_of(key),
            f"'{key}' is not a date I can read: {str(value)[:60]!r}",
            "no date set",
        )
    return parsed


def _lang(picked: Picked, diag: _Reporter, line_of: LineOf) -> tuple[str, str]:
    """The language tag and the key it came from ("default" when none was given)."""
    if picked is None:
        return "en", "default"
    key, value = picked
    text = str(value).strip() if isinstance(value, str) else ""
    if not _LANG_RE.match(text):
        diag(
            "meta.lang-invalid",
            line_of(key),
            f"'{key}' is not a language tag: {str(value)[:40]!r}",
            "used 'en'",
        )
        # An empty value ("undefined") gave no language: the body may still tell.
        return "en", "default" if _is_nothing(value) else key
    parts = text.replace("_", "-").split("-")
    tag = "-".join([parts[0].lower(), *(p.upper() if len(p) == 2 else p for p in parts[1:])])
    return tag, key


_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp"}


def _cover(
    picked: Picked, diag: _Reporter, line_of: LineOf, *, path: Path, root: Path
) -> Path | None:
    if picked is None:
        return None
    key, given = picked
    value = given
    if isinstance(value, dict):
        value = value.get("src") or value.get("url") or value.get("path") or ""
    if _is_nothing(value) or not isinstance(value, str):
        diag("meta.cover-missing", line_of(key), f"'{key}' names no image ({given!r})", "no cover")
        return None
    # The same lookup as images in the body: exact path, then letter case, file name, and a
    # Wikimedia exporter's truncated "/File…" name, each only when unambiguous.
    found = find_image(value, path=path, root=root)
    if found is None or found.path.suffix.lower() not in _IMAGE_SUFFIXES:
        diag(
            "meta.cover-missing",
            line_of(key),
            f"cover image {value!r} is not an image file under the content root",
            "no cover",
        )
        return None
    try:
        check_image(found.path)  # a decompression bomb or a scripted SVG is no cover
    except ImageRefused as refused:
        diag(refused.code, line_of(key), f"cover image {value!r}: {refused.message}", "no cover")
        return None
    if found.how != "exact":
        shown = relative_ref(found.path, path=path)
        diag(
            "meta.cover-resolved",
            line_of(key),
            f"cover image {value!r} not found as written ({found.reason})",
            f"used {shown!r}",
        )
    return found.path


def _tags(picked: Picked, diag: _Reporter, line_of: LineOf) -> tuple[str, ...]:
    """Tags as a tuple of strings: shape only. Cleaning them (junk, markup, repeats) is the
    ``frontmatter`` normalization rule's job, which reports what it changes.

    A comma-separated string is a list (a documented form); a list an exporter wrote as
    text (``"['a', 'b']"``) is read back as that list; numbers become text; an empty entry
    becomes ``""`` for the rule to drop. Entries that are mappings or lists are dropped
    here and reported: their ``str()`` would put a Python repr into the output.
    """
    if picked is None:
        return ()
    key, value = picked
    if value is None:
        return ()
    if isinstance(value, str):
        listed = listed_text(value)
        if listed is not None:
            diag(
                "meta.tags",
                line_of(key),
                f"'{key}' is a list written as text: {value[:40]!r}",
                "read it as a list",
                Severity.INFO,
            )
            value = listed
        else:
            value = [part.strip() for part in value.split(",")]
    if not isinstance(value, list | tuple):
        diag("meta.type", line_of(key), f"'{key}' is not a list", "no tags")
        return ()
    tags: list[str] = []
    for item in value:
        if item is None:
            tags.append("")
        elif isinstance(item, str | int | float) and not isinstance(item, bool):
            tags.append(str(item))
        else:
            diag(
                "meta.type",
                line_of(key),
                f"an entry of '{key}' is a {type(item).__name__}, not text",
                "dropped it",
            )
    return tuple(tags)


def listed_text(text: str) -> list[Any] | None:
    """``"['a', 'b']"`` or ``'["a", "b"]'`` → ``["a", "b"]``; anything else → ``None``."""
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]") and ("'" in text or '"' in text)):
        return None
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(text)
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            continue
        if isinstance(value, list) and all(
            isinstance(v, str | int | float) and not isinstance(v, bool) for v in value
        ):
            return value
    return None

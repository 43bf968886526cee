"""Rewrite frontmatter keys in place: what ``pressroom fix`` writes above the repaired body.

Contract: ``fixed_text(original, before, after, body, load_codes)`` returns the file
``fix`` writes. When normalization changed no metadata (``before == after`` on the fields
it can change), the original frontmatter is kept byte for byte. Otherwise only the keys
whose value changed are rewritten, in place, in the original format (YAML, TOML or JSON);
keys the frontmatter lacks are appended (to a new YAML block when there was none); every
other line, key order, comments and unknown keys stay as they were. A key is the one the
loader read the value from (the first of its aliases present: ``subject`` for a title,
``author`` for authors). Writing is idempotent: the output, loaded and normalized again,
changes nothing.

Frontmatter the loader had to ignore (invalid, not a mapping, too large, unterminated) is
kept untouched: rewriting keys in text that does not parse cannot make it parse.

Values are written as YAML plain scalars when that is unambiguous, else as double-quoted
strings (JSON strings are valid YAML and TOML basic strings); lists in flow style.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Collection
from typing import Any

from .load import KEY_ALIASES, split_frontmatter  # one list of key aliases, the loader's
from .model import Meta

# The fields normalization may change, in the order appended keys are written.
FIELDS = ("title", "authors", "date", "lang", "description", "tags")
# Loader codes meaning "the frontmatter was ignored": it is then kept verbatim.
IGNORED = frozenset({"meta.invalid", "meta.not-mapping", "meta.too-large", "meta.unterminated"})

Value = str | tuple[str, ...] | dt.date


def changes(before: Meta, after: Meta) -> dict[str, Value]:
    """The metadata normalization changed: field (or extra key) → new value."""
    changed: dict[str, Value] = {}
    for name in FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if old != new and new is not None:
            changed[name] = new
    for key, value in after.extra.items():
        if key not in before.extra and isinstance(value, str):
            changed[key] = value
    return changed


def fixed_text(
    original: str, before: Meta, after: Meta, body: str, load_codes: Collection[str] = ()
) -> str:
    """The text ``fix`` writes for a file whose decoded text is ``original``."""
    fm = split_frontmatter(original)
    head = "".join(original.splitlines(keepends=True)[: fm.body_line - 1])
    changed = changes(before, after)
    if changed and not fm.unterminated and not IGNORED.intersection(load_codes):
        head = _rewrite(fm.kind, head, fm.text, changed) or head
    text = head + body
    if text and not text.endswith("\n"):
        text += "\n"
    return text


def _rewrite(kind: str, head: str, text: str, changed: dict[str, Value]) -> str | None:
    """The new frontmatter block, or ``None`` when it cannot be rewritten safely."""
    if kind == "json":
        return _rewrite_json(text, changed)
    if kind == "":
        lines = [x for n, v in changed.items() if v for x in _line("yaml", _key_for(n, v), v)]
        if not lines:
            return None
        return "---\n" + "\n".join(lines) + "\n---\n"
    opener, _, rest = head.partition("\n")
    closer = rest.rstrip("\n").rsplit("\n", 1)[-1]
    lines = text.split("\n") if text else []
    if kind == "yaml" and not _block_style(lines):
        return None
    for name, value in changed.items():
        lines = _set(kind, lines, name, value)
    return f"{opener}\n" + "".join(f"{line}\n" for line in lines) + f"{closer}\n"


def _key_for(name: str, value: Value) -> str:
    """The key a new entry gets: ``author`` for one author, ``authors`` for several."""
    if name == "authors":
        return "author" if isinstance(value, tuple) and len(value) == 1 else "authors"
    return name


# --- YAML and TOML: line by line -----------------------------------------------------------


def _key_pattern(kind: str, key: str) -> re.Pattern[str]:
    sep = ":" if kind == "yaml" else "="
    return re.compile(rf"^(?P<q>[\"']?){re.escape(key)}(?P=q)\s*{sep}(?=\s|$)")


def _block_style(lines: list[str]) -> bool:
    """Is every top-level line of this YAML a ``key:``, a ``-`` item or a comment?"""
    return all(
        not line.strip()
        or line[0] in " \t#-"
        or re.match(r"^(?:\"[^\"]*\"|'[^']*'|[^\s\"'{\[][^:]*?)\s*:(?:\s|$)", line)
        for line in lines
    )


def _top_level_end(kind: str, lines: list[str]) -> int:
    """TOML keys after the first ``[table]`` header belong to that table."""
    if kind == "toml":
        for i, line in enumerate(lines):
            if re.match(r"^\s*\[", line):
                return i
    return len(lines)


def _set(kind: str, lines: list[str], name: str, value: Value) -> list[str]:
    end = _top_level_end(kind, lines)
    aliases = KEY_ALIASES.get(name, (name,))
    for key in aliases:
        pattern = _key_pattern(kind, key)
        # YAML: the last occurrence wins, as when PyYAML reads repeated keys.
        found = [i for i in range(end) if pattern.match(lines[i])]
        if found:
            start = found[-1]
            stop = _value_end(kind, lines, start, end)
            if not value:  # emptied: no key reads the same as an empty one, minus a warning
                return [*lines[:start], *lines[stop:]]
            prefix = pattern.match(lines[start])[0]  # type: ignore[index]
            items = re.match(r"^(\s*)- ", lines[start + 1]) if start + 1 < stop else None
            new = _entry(kind, prefix, key, value, items[1] if items else None)
            return [*lines[:start], *new, *lines[stop:]]
    if not value:
        return lines
    return [*lines[:end], *_line(kind, _key_for(name, value), value), *lines[end:]]


def _entry(kind: str, prefix: str, key: str, value: Value, indent: str | None) -> list[str]:
    """The lines of one key. A YAML list stays a block list (``- item`` lines) when it was
    one, or becomes one when a flow list would make a very long line."""
    flow = f"{prefix} {_value(kind, value, key)}"
    if kind != "yaml" or not isinstance(value, tuple) or _value(kind, value, key)[:1] != "[":
        return [flow]
    if indent is None and len(flow) <= 100:
        return [flow]
    indent = "  " if indent is None else indent
    return [prefix, *(f"{indent}- {_scalar(kind, item, _PLAIN)}" for item in value)]


def _value_end(kind: str, lines: list[str], start: int, end: int) -> int:
    """Index after the last line of the value that starts on ``lines[start]``."""
    if kind == "yaml":
        stop = start + 1
        while stop < end and (not lines[stop].strip() or lines[stop][0] in " \t-"):
            stop += 1
        while stop > start + 1 and not lines[stop - 1].strip():
            stop -= 1  # blank lines after the value belong to the layout, not the value
        return stop
    # TOML: a multi-line array or string runs until its brackets or quotes close.
    value = lines[start].split("=", 1)[1].strip()
    stop = start + 1
    if value.startswith(('"""', "'''")):
        quote = value[:3]
        if value.count(quote) < 2:
            while stop < end and quote not in lines[stop]:
                stop += 1
            stop = min(stop + 1, end)
    elif value.startswith("["):
        depth = _depth(value)
        while depth > 0 and stop < end:
            depth += _depth(lines[stop])
            stop += 1
    return stop


def _depth(text: str) -> int:
    text = re.sub(r'"(?:\\.|[^"\\])*"|\'[^\']*\'', "", text.split(" #", 1)[0])
    return text.count("[") - text.count("]")


def _line(kind: str, key: str, value: Value) -> list[str]:
    return _entry(kind, f"{key}:" if kind == "yaml" else f"{key} =", key, value, None)


# YAML 1.1 reads these plain scalars as booleans, nulls or numbers, not text.
_YAML_SPECIAL = re.compile(
    r"^(?:y|n|yes|no|on|off|true|false|null|none|~|[-+]?[\d._]+(?:e[-+]?\d+)?|\.nan|\.inf)$",
    re.IGNORECASE,
)
_PLAIN = re.compile(r"^[^\W_][\w .,'()/&+!?–—-]*(?<=[^\s])$")
_PLAIN_IN_LIST = re.compile(r"^[^\W_][\w .'()/&+!?–—-]*(?<=[^\s])$")


def _quoted(text: str) -> str:
    dumped = json.dumps(text, ensure_ascii=False)
    # JSON leaves DEL and C1 controls raw; YAML and TOML want them escaped.
    return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m[0]):04x}", dumped)


def _value(kind: str, value: Value, key: str = "") -> str:
    if isinstance(value, dt.date):
        return _date(value) if kind != "json" else json.dumps(_date(value))
    if isinstance(value, tuple):
        if kind == "yaml" and key == "author" and len(value) == 1:
            return _scalar(kind, value[0], _PLAIN)
        return "[" + ", ".join(_scalar(kind, item, _PLAIN_IN_LIST) for item in value) + "]"
    return _scalar(kind, value, _PLAIN)


def _scalar(kind: str, text: str, plain: re.Pattern[str]) -> str:
    if kind == "yaml" and plain.match(text) and not _YAML_SPECIAL.match(text) and ": " not in text:
        return text
    return _quoted(text)


def _date(value: dt.date) -> str:
    return value.isoformat()


# --- JSON: parse, update, dump -------------------------------------------------------------


def _rewrite_json(text: str, changed: dict[str, Value]) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    for name, value in changed.items():
        key = next((k for k in KEY_ALIASES.get(name, (name,)) if k in data), _key_for(name, value))
        if value:
            data[key] = _json_value(value)
        else:
            data.pop(key, None)
    second = text.split("\n")[1] if "\n" in text else ""
    indent = len(second) - len(second.lstrip(" ")) or (2 if "\n" in text else None)
    return json.dumps(data, ensure_ascii=False, indent=indent) + "\n"


def _json_value(value: Value) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value

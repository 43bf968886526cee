"""The book's manifest: ``book.toml`` → ``BookSpec``, refused with a ``BookError`` that
names the key when it is wrong.

It names the metadata, the theme and its options, front matter, chapters (or parts of
chapters) as files or globs in reading order, back matter, and index terms. Every file
must lie inside the book folder.
"""

from __future__ import annotations

import glob
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..apparatus.marks import Term, read_terms
from ..errors import ConvertError
from ..load import parse_date
from ..model import Meta

KINDS = ("front", "chapter", "back")


class BookError(ConvertError):
    code = "book.invalid"


@dataclass(frozen=True, slots=True)
class Entry:
    """One file of the book in reading order."""

    path: Path
    kind: str  # "front", "chapter" or "back"
    part: int | None = None  # index into Book.parts
    role: str = ""  # front/back: "dedication", "preface", "appendix", "colophon", …


@dataclass(frozen=True, slots=True)
class BookSpec:
    manifest: Path
    root: Path
    meta: Meta
    theme: str
    options: dict[str, Any]
    publisher: str
    rights: str
    identifier: str
    parts: tuple[str, ...]  # "" for a part without a title: "Part 2" in the book's language
    entries: tuple[Entry, ...]
    page_break_source: str = ""  # the print edition's identifier (an ISBN URN), if given
    index_terms: tuple[Term, ...] = ()  # [index] terms: indexed wherever they occur


def _text(data: dict[str, Any], key: str, where: Path) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise BookError(f"'{key}' must be text", path=where)
    return value.strip()


def _files(patterns: Any, base: Path, where: Path, key: str) -> list[Path]:
    """Files for a list of paths or globs, in the order given (a glob sorted)."""
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise BookError(f"'{key}' must be a list of file names or globs", path=where)
    found: list[Path] = []
    for pattern in patterns:
        matches = sorted(Path(p) for p in glob.glob(str(base / pattern)))
        if not matches:
            raise BookError(
                f"'{key}': {pattern!r} matches no file", path=where, code="book.missing-chapter"
            )
        for match in matches:
            if not match.resolve().is_relative_to(base.resolve()):
                raise BookError(f"'{key}': {pattern!r} is outside the book folder", path=where)
            if match not in found:
                found.append(match)
    return found


def _matter(items: Any, kind: str, base: Path, where: Path) -> list[Entry]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise BookError(f"'{kind}' must be a list of tables with a 'file'", path=where)
    entries = []
    for item in items:
        if isinstance(item, str):
            item = {"file": item}
        if not isinstance(item, dict) or "file" not in item:
            raise BookError(f"each '{kind}' entry needs a 'file'", path=where)
        for path in _files(item["file"], base, where, kind):
            entries.append(
                Entry(path, "front" if kind == "front" else "back", role=str(item.get("role", "")))
            )
    return entries


def read_book(manifest: Path) -> BookSpec:
    """Parse ``book.toml`` (see the README for its keys)."""
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BookError("no such file", path=manifest, code="load.missing") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BookError(f"not valid TOML: {exc}", path=manifest) from None
    base = manifest.parent
    info = data.get("book", data)
    title = _text(info, "title", manifest)
    if not title:
        raise BookError("the book has no 'title'", path=manifest)
    authors = info.get("authors", info.get("author", []))
    authors = (authors,) if isinstance(authors, str) else tuple(str(a) for a in authors)
    cover = None
    if info.get("cover"):
        cover = (base / str(info["cover"])).resolve()
        if not cover.is_file() or not cover.is_relative_to(base.resolve()):
            raise BookError(
                f"cover {info['cover']!r} is not a file in the book folder",
                path=manifest,
                code="book.cover",
            )
    meta = Meta(
        title=title,
        subtitle=_text(info, "subtitle", manifest),
        authors=authors,
        date=parse_date(info.get("date")) if info.get("date") else None,
        lang=_text(info, "language", manifest) or _text(info, "lang", manifest) or "en",
        cover=cover,
        description=_text(info, "description", manifest),
        tags=tuple(str(t) for t in info.get("subjects", info.get("tags", []))),
    )
    entries = _matter(data.get("front"), "front", base, manifest)
    parts: list[str] = []
    if "parts" in data:
        if not isinstance(data["parts"], list):
            raise BookError("'parts' must be a list of tables", path=manifest)
        for index, part in enumerate(data["parts"]):
            if not isinstance(part, dict) or "chapters" not in part:
                raise BookError("each part needs 'title' and 'chapters'", path=manifest)
            parts.append(str(part.get("title", "")))
            for path in _files(part["chapters"], base, manifest, "chapters"):
                entries.append(Entry(path, "chapter", part=index))
    if "chapters" in data or "chapters" in info:
        for path in _files(data.get("chapters", info.get("chapters")), base, manifest, "chapters"):
            entries.append(Entry(path, "chapter"))
    if not any(e.kind == "chapter" for e in entries):
        raise BookError("the book has no chapters", path=manifest)
    entries += _matter(data.get("back"), "back", base, manifest)
    theme = data.get("theme", {})
    theme_name = (
        theme.get("name", info.get("theme", "base")) if isinstance(theme, dict) else str(theme)
    )
    options = dict(theme.get("options", {})) if isinstance(theme, dict) else {}
    return BookSpec(
        manifest=manifest,
        root=base.resolve(),
        meta=meta,
        theme=str(theme_name),
        options=options,
        publisher=_text(info, "publisher", manifest),
        rights=_text(info, "rights", manifest),
        identifier=_text(info, "identifier", manifest),
        parts=tuple(parts),
        entries=tuple(entries),
        page_break_source=_text(info, "page_break_source", manifest),
        index_terms=read_terms(data.get("index"), manifest),
    )

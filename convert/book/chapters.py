"""A book's chapters, each through the article recipe's first stages (load → normalize
→ parse, ``pipeline.prepare``), cached by content.

``prepare_chapters`` gives every entry of the manifest as a ``Prepared`` chapter: its
article, its parsed body, its diagnostics (reported again on a cache hit, so a rebuild
says what the first build said), and the names it has in the outputs. The cache in
``OUTDIR/.cache`` keys a chapter by its bytes, its place, the tool's version, the settings
that read it and the other chapters' names, so a rebuild after editing one chapter reads
only that one, and output is never stale.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import Settings
from ..diagnostics import Diagnostic, Locator, Report
from ..files import atomic_output
from ..model import Article, Parsed
from ..pipeline import prepare
from .manifest import BookSpec, Entry


@dataclass(frozen=True, slots=True)
class Prepared:
    entry: Entry
    article: Article
    parsed: Parsed
    diagnostics: tuple[Diagnostic, ...]
    number: int  # 1-based position in the book
    anchor: str  # the chapter's own id in the one-document PDF: "c3"
    file_name: str  # its EPUB page: "chapter-03.xhtml"
    # Its language: its own when its frontmatter names one (or it was detected), else the
    # book's (a chapter file without "lang" is not English in a Ukrainian book).
    lang: str
    locate: Locator  # the source line of a piece of its text, for later diagnostics


class ChapterCache:
    """``OUTDIR/.cache``: (article, parsed, diagnostics) per chapter, keyed by content."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0

    def key(self, path: Path, root: Path, context: Sequence[str] = ()) -> str:
        """Changes with the file's bytes and place, the tool's version and ``context``
        (what else shapes the chapter: the settings that read it, the other chapters)."""
        h = hashlib.sha256()
        h.update("\0".join(context).encode())
        h.update(__version__.encode())
        h.update(str(path.resolve()).encode() + b"\0" + str(root).encode() + b"\0")
        h.update(path.read_bytes())
        return h.hexdigest()

    def _trusted(self, path: Path) -> bool:
        """Unpickling runs code, so only files this user wrote into a folder nobody else
        can write are read back (an OUTDIR shared with others is never trusted)."""
        try:
            folder, entry = self.folder.stat(), path.stat()  # type: ignore[union-attr]
        except OSError:
            return False
        uid = os.getuid()
        return folder.st_uid == entry.st_uid == uid and not folder.st_mode & 0o022

    def get(self, key: str) -> Any:
        if self.folder is None:
            return None
        if not self._trusted(self.folder / key):
            self.misses += 1
            return None
        try:
            with (self.folder / key).open("rb") as handle:
                value = pickle.load(handle)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        with atomic_output(self.folder / key) as tmp:
            tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def prepare_chapters(
    spec: BookSpec, settings: Settings, report: Report, cache: ChapterCache
) -> list[Prepared]:
    """Every chapter of ``spec`` read as ``settings`` say (its rules, dialect and limits;
    the content root is the book's folder), its diagnostics added to ``report``."""
    chapters = []
    sources = frozenset(entry.path.resolve() for entry in spec.entries)
    reading = json.dumps(
        [settings.dialect, sorted(settings.disabled), list(settings.remote_images)]
    )
    for number, entry in enumerate(spec.entries, start=1):
        # The other chapters' names are part of the key: links to them depend on them.
        key = cache.key(entry.path, spec.root, [reading, *sorted(map(str, sources))])
        hit = cache.get(key)
        if hit is None:
            # Cached as found; the configured severities apply as they are reported.
            own = Report()
            article, parsed = prepare(
                entry.path, own, settings, root=spec.root, book_sources=sources
            )
            hit = (article, parsed, tuple(own))
            cache.put(key, hit)
        article, parsed, diagnostics = hit
        report.extend(diagnostics)
        chapters.append(
            Prepared(
                entry,
                article,
                parsed,
                diagnostics,
                number,
                f"c{number}",
                f"chapter-{number:02d}.xhtml",
                article.meta.lang if article.meta.lang_source != "default" else spec.meta.lang,
                article.locator(),
            )
        )
    return chapters

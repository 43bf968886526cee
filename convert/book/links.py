"""One link graph for the whole book: where every chapter and every id lives.

Ids are namespaced per chapter in the one-document PDF (two chapters may both have
"References"); a link to another chapter's file (``other.md#section``) resolves to that
chapter in both outputs, and a link to a section it does not have leads to its start,
reported, never written broken.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from ..diagnostics import Diagnostic, Report, Severity
from ..paths import is_remote
from .chapters import Prepared

_ID = re.compile(r'\sid="([^"]+)"')


@dataclass(slots=True)
class LinkGraph:
    """Where every chapter and every id lives, for both outputs."""

    by_path: dict[Path, Prepared] = field(default_factory=dict)
    ids: dict[str, set[str]] = field(default_factory=dict)  # chapter anchor → its ids

    @classmethod
    def of(cls, chapters: Sequence[Prepared]) -> LinkGraph:
        graph = cls()
        for chapter in chapters:
            graph.by_path[chapter.entry.path.resolve()] = chapter
            graph.ids[chapter.anchor] = _ids_of(chapter.parsed.html)
        return graph

    def resolve(
        self, href: str, chapter: Prepared, target: str, report: Report | None = None
    ) -> str | None:
        """``other.md#sec`` → ``#c4-sec`` (pdf) or ``chapter-04.xhtml#sec`` (epub).

        A link to a section the other chapter does not have leads to that chapter's
        start, reported (once, for the PDF pass) as ``link.chapter-fragment``.
        """
        if is_remote(href) or href.startswith("#"):
            return href
        path_part, _, fragment = href.partition("#")
        path = (chapter.entry.path.parent / unquote(path_part)).resolve()
        other = self.by_path.get(path)
        if other is None:
            return None
        fragment = unquote(fragment)
        if fragment and fragment not in self.ids[other.anchor]:
            if report is not None:
                report.add(
                    Diagnostic(
                        "link.chapter-fragment",
                        Severity.WARNING,
                        chapter.locate(href),
                        f"{path_part} has no section #{fragment}",
                        "linked to the chapter's start",
                    )
                )
            fragment = ""
        if target == "epub":
            return other.file_name + (f"#{fragment}" if fragment else "")
        return f"#{other.anchor}-{fragment}" if fragment else f"#{other.anchor}"


def _ids_of(html: str) -> set[str]:
    return set(_ID.findall(html))

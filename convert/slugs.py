"""Heading slugs and unique ids, GitHub's way.

GitHub lower-cases the heading text, drops everything that is not a letter, digit, space,
hyphen or underscore, turns spaces into hyphens, and disambiguates repeats with ``-1``,
``-2``… Following it keeps links written for GitHub working in our output. Used by the
Markdown stage (assigning ids) and by normalization (resolving fragment links).
"""

from __future__ import annotations

import re
import unicodedata

_DROP = re.compile(r"[^\w\- ]", re.UNICODE)


def slugify(text: str) -> str:
    """``"Battle of Konotop (2022)"`` → ``"battle-of-konotop-2022"``."""
    text = unicodedata.normalize("NFC", text).strip().lower()
    return _DROP.sub("", text).replace(" ", "-")


def xml_name(label: str) -> str:
    """A label as an id an EPUB accepts: ``"fig:map"`` → ``"fig.map"`` (XML ids may not
    hold colons; a slug never holds a dot, so no heading's id can be the same)."""
    return label.replace(":", ".")


class UniqueIds:
    """Hands out ids that have not been used yet in one document."""

    def __init__(self) -> None:
        self._used: set[str] = set()
        # Next number to try per base: the first free one never goes down (ids are only
        # added), so 100,000 repeats of one heading cost linear time, not quadratic.
        self._next: dict[str, int] = {}

    def reserve(self, ident: str) -> None:
        self._used.add(ident)

    def __contains__(self, ident: str) -> bool:
        return ident in self._used

    def make(self, base: str) -> str:
        """``base`` if free, else ``base-1``, ``base-2``… (GitHub's numbering)."""
        base = base or "section"
        n = self._next.get(base, 0)
        ident = f"{base}-{n}" if n else base
        while ident in self._used:
            n += 1
            ident = f"{base}-{n}"
        self._next[base] = n + 1
        self._used.add(ident)
        return ident

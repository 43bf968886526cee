"""Collation by language, for the index (the only module that imports PyICU).

Contract: ``sort_key(lang)`` gives a key function that orders strings as a reader of
``lang`` expects (ICU's collation rules for the locale: German files ä with a, Swedish puts
å ä ö after z, Czech ch after h); ``letter_groups(lang, terms)`` splits terms into the
groups an index prints under letter headings, labelled and ordered as the locale's
alphabet has them (Czech "CH" is a letter of its own; digits and symbols come first, under
ICU's "…" label). Code points are never the order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import icu


def _locale(lang: str) -> icu.Locale:
    return icu.Locale(lang.replace("-", "_") or "en")


@lru_cache(maxsize=16)
def _collator(lang: str) -> icu.Collator:
    collator = icu.Collator.createInstance(_locale(lang))
    # Numbers in terms ("chapter 10" after "chapter 9") sort by value, as a reader counts.
    collator.setAttribute(icu.UCollAttribute.NUMERIC_COLLATION, icu.UCollAttributeValue.ON)
    return collator


def sort_key(lang: str) -> Callable[[str], bytes]:
    """A key for ``sorted`` that collates by ``lang`` (ties broken by code points, so the
    order is total and the output the same on every run)."""
    collator = _collator(lang)

    def key(text: str) -> bytes:
        return collator.getSortKey(text) + b"\0" + text.encode("utf-8")

    return key


def letter_groups(lang: str, terms: Sequence[str]) -> list[tuple[str, list[int]]]:
    """``terms`` in letter groups, by position: for ``["Bier", "Apfel", "Ärger"]`` in German,
    ``[("A", [1, 2]), ("B", [0])]``; empty groups left out, each group in collation
    order."""
    index = icu.AlphabeticIndex(_locale(lang))
    for n, term in enumerate(terms):
        index.addRecord(term, n)
    key = sort_key(lang)
    groups: list[tuple[str, list[str]]] = []
    while index.nextBucket():
        found: list[int] = []
        while index.nextRecord():
            found.append(index.recordData)
        if found:
            groups.append((index.bucketLabel, sorted(found, key=lambda n: key(terms[n]))))
    return groups

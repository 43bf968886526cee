"""Links to a ``#fragment`` that no heading or anchor in the output carries.

Defect: ``[text](#fragment)`` whose fragment is not an id of the output. Usually the link was
written for another renderer's ids: Wikipedia's ``#Early_life``, a percent-encoded
``#%D0%9C%D0%B0%D0%BA%D0%B5%D1%82``, the heading's own text, another slug scheme, another
case. Or the heading is gone (renamed, removed by a repair).

Fix: the ids the parser will assign are computed (``anchors``: heading slugs, explicit
``{#id}``, raw HTML ``id``/``<a name>``, footnote ids) and the fragment is looked up as
written, percent-decoded, as a GitHub slug (also reading ``_`` as a space), ignoring case,
as a heading's text, and by its letters and digits alone; the first id found becomes the
link's target (``link.fragment-resolved``, info). With none, the link becomes its text
(``link.fragment``, warning). A reference definition with a fragment destination is
retargeted the same way, or every use of its label loses its link.

Runs after every rule that adds, removes or renames headings, so the ids are final.
Raw HTML ``<a href="#x">`` is left to the tree stage's safety net.

Codes: ``link.fragment`` (warning), ``link.fragment-resolved`` (info).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from ..slugs import slugify
from .anchors import Anchors, anchors
from .base import Context, Doc, Line, Rule, Severity
from .syntax import label_key, retarget

_NOT_ALNUM = re.compile(r"[\W_]+")


def _loose(text: str) -> str:
    """Letters and digits only: ``Early_Life`` and ``early-life`` both give ``earlylife``."""
    return _NOT_ALNUM.sub("", text.casefold())


class Resolver:
    """Finds the id a broken fragment most likely meant. Maps are built once per document."""

    def __init__(self, found: Anchors) -> None:
        self.ids = found.ids
        self._aliases = found.aliases
        heading_ids = [h.id for h in found.headings]
        # Headings first, in document order, then the other targets sorted: a stable choice
        # when two ids look alike.
        ordered = heading_ids + sorted(found.ids.difference(heading_ids))
        self._folded: dict[str, str] = {}
        self._loose: dict[str, str] = {}
        for ident in ordered:
            self._folded.setdefault(ident.casefold(), ident)
            self._loose.setdefault(_loose(ident), ident)
        self._texts: dict[str, str] = {}
        for heading in found.headings:
            self._texts.setdefault(label_key(heading.text), heading.id)

    def resolve(self, fragment: str) -> str | None:
        """The id ``fragment`` means, or ``None``."""
        decoded = unquote(fragment)
        for candidate in (fragment, decoded):
            if candidate in self.ids:
                return candidate
            if candidate in self._aliases:
                return self._aliases[candidate]
        spaced = decoded.replace("_", " ")
        for candidate in (decoded, spaced):
            slug = slugify(candidate)
            if slug and slug in self.ids:
                return slug
        for found in (
            self._folded.get(decoded.casefold()),
            self._texts.get(label_key(decoded)),
            self._texts.get(label_key(spaced)),
            self._loose.get(_loose(decoded)) if _loose(decoded) else None,
        ):
            if found is not None:
                return found
        return None


def apply(doc: Doc, ctx: Context) -> Doc:
    resolver: Resolver | None = None

    def judge(dest: str) -> str | None:
        nonlocal resolver
        if not dest.startswith("#"):
            return dest
        if resolver is None:  # most documents have no fragment links: compute ids lazily
            resolver = Resolver(anchors(doc, ctx.dialect))
        if dest[1:] in resolver.ids:
            return dest
        found = resolver.resolve(dest[1:])
        return None if found is None else f"#{found}"

    def changed(line: Line, what: str, old: str, new: str | None) -> None:
        if new is None:
            ctx.emit(
                "link.fragment",
                line.origin,
                f"{what} to {old} matches no heading or anchor",
                "kept the link text only",
            )
        else:
            ctx.emit(
                "link.fragment-resolved",
                line.origin,
                f"{what} to {old} matches no id as written",
                f"pointed it at {new}",
                Severity.INFO,
            )

    return retarget(doc, judge, changed, ctx.dialect)


RULE = Rule("fragments", ("link.fragment", "link.fragment-resolved"), apply)

"""Links to pages and files the output does not carry.

Defect: site-relative links (``/wiki/Foo``, ``/docs/x``) and relative links to other files
(``other.md``, ``../x.html``, ``file.pdf``) work on the site the text came from; in a PDF
or an EPUB they lead nowhere, and an EPUB must never link to a resource it does not carry.
Links with a scheme the output drops (``ftp:``, ``tel:``, ``javascript:``…; only http,
https and mailto survive the sanitizer) would lose their link silently.

Fix: when the published address is known, the link becomes absolute (``link.absolutized``,
info). The address is the page's own URL from the frontmatter (``canonical``,
``canonical_url``, ``permalink``; a site-relative permalink is joined to the base), else the
configured ``Context.base_url``, else the frontmatter's ``base_url``/``baseurl``/``baseURL``;
links resolve against it as a browser would on the published page. Without one, the link
becomes its text (``link.unresolved``, warning), as does a link with a dropped scheme.

Left alone: http(s), mailto and ``//host`` links, ``#fragment`` links (``fragments``),
empty links (``references``), images (the images rule), and links to files that are part
of the same output (a book's chapters, ``part_of_output``).

Codes: ``link.unresolved`` (warning), ``link.absolutized`` (info).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping, Set
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from ..paths import is_remote
from .base import Context, Doc, Line, Rule, Severity
from .syntax import retarget

_PAGE_KEYS = ("canonical", "canonical_url", "canonicalURL", "canonicalUrl", "permalink")
_BASE_KEYS = ("base_url", "baseurl", "baseURL")
# The schemes ``sanitize.clean`` keeps on links (normalization may not import a later stage).
_KEPT_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# Characters left as they are in an absolute URL; spaces, parentheses (which would end the
# Markdown destination) and non-ASCII are percent-encoded.
_SAFE = ":/?#[]@!$&'*+,;=%~"


def part_of_output(dest: str, article: Path, sources: Set[Path]) -> bool:
    """Is the file ``dest`` links to (relative to ``article``) one of the output's
    ``sources``? Always false for a single article (no sources); a book passes its chapters.
    Site-relative links name published URLs, not source files, so they never are."""
    if not sources:
        return False
    path = unquote(dest.split("#", 1)[0].split("?", 1)[0])
    if not path or path.startswith("/"):
        return False
    target = Path(os.path.normpath(article.parent / path))
    return target in sources or target.resolve() in sources


def _absolute(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    parts = urlsplit(value)
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def published_url(extra: Mapping[str, Any], configured: str | None) -> str | None:
    """The address relative links resolve against, or ``None`` when it is not known."""
    base = _absolute(configured) or next(
        (url for key in _BASE_KEYS if (url := _absolute(extra.get(key)))), None
    )
    for key in _PAGE_KEYS:
        value = extra.get(key)
        if (page := _absolute(value)) is not None:
            return page
        if base and isinstance(value, str) and value.strip().startswith("/"):
            return urljoin(base, value.strip())
    return base


def absolutize(dest: str, base: str) -> str:
    """``dest`` as written in Markdown (escapes, entities) → an absolute, encoded URL."""
    ref = html.unescape(_MD_ESCAPE.sub(r"\1", dest)).strip()
    return quote(urljoin(base, ref), safe=_SAFE)


def apply(doc: Doc, ctx: Context) -> Doc:
    base = published_url(doc.meta.extra, ctx.base_url)
    sources = ctx.book_sources

    def judge(dest: str) -> str | None:
        if not dest.strip() or dest.startswith("#"):
            return dest
        if is_remote(dest):
            scheme = _SCHEME.match(dest)
            dropped = scheme is not None and scheme[1].lower() not in _KEPT_SCHEMES
            return None if dropped else dest
        if part_of_output(dest, ctx.path, sources):
            return dest
        return absolutize(dest, base) if base else None

    def changed(line: Line, what: str, old: str, new: str | None) -> None:
        if new is not None:
            ctx.emit(
                "link.absolutized",
                line.origin,
                f"{what} to {old[:80]!r} is relative to the site it came from",
                f"made it absolute: {new[:120]}",
                Severity.INFO,
            )
            return
        scheme = _SCHEME.match(old)
        reason = (
            f"uses the scheme '{scheme[1]}:', which the output drops"
            if scheme and is_remote(old)
            else "leads to a page or file the output does not carry"
        )
        ctx.emit(
            "link.unresolved",
            line.origin,
            f"{what} to {old[:80]!r} {reason}",
            "kept the link text only",
        )

    return retarget(doc, judge, changed, ctx.dialect)


RULE = Rule("site_links", ("link.unresolved", "link.absolutized"), apply)

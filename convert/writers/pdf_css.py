"""Theme stylesheets parsed once per process, not once per document.

WeasyPrint parses every ``<link rel="stylesheet">`` of every document from scratch
(tinycss2, then cssselect2 compiles every selector): for the base theme's two sheets that
is about 25 ms a document, a quarter of the time WeasyPrint takes to lay out and write a
short article. A batch worker lays out hundreds of documents that link the same files.
A parsed sheet (a ``weasyprint.CSS``) is made to be shared between documents: WeasyPrint
keeps its own user-agent sheet as one object for every document. So while ``shared()``
is active (``writers/pdf.py`` activates it around its own layouts), a linked sheet is
parsed once and the parsed object is handed to every later document that links the same
bytes.

Contract:

- Only inside ``shared()``, in the thread that entered it (a context variable): WeasyPrint
  used anywhere else in the process (a host application, the bench's reference timing)
  parses as it always did.
- Only ``<link>`` sheets with ``file:`` URLs. The sheet is fetched for every document, by
  that document's own URL fetcher, so what it may read, what it refuses and how a failure
  is reported are exactly as before. The parse is reused only when the fetched bytes
  (and the URL they came from and the media type) are the very ones parsed: the cache is
  keyed by URL and checked by content, so a stylesheet edited between two documents of a
  long-lived worker is parsed again, whatever its modification time says.
- Only sheets with no effect outside themselves. ``@font-face``, ``@counter-style``,
  ``@color-profile``, ``@layer`` and ``@import`` add to the document (its fonts, its
  counter styles, its colour profiles, its layer order) or read other files; a sheet
  with any of them is found out by its first parse (done on the side, with nothing of
  the document's given to it) and is then parsed for every document, as before.
- What WeasyPrint logs while parsing a sheet (an unsupported property, a bad selector)
  is logged again for every document that gets the parsed sheet, so each document's
  diagnostics (``pdf.css``) are what they were without the cache.
- At most ``SIZE`` sheets are kept, the least recently used dropped first: a long-lived
  worker that sees many themes does not grow without bound.

The hook: WeasyPrint 70's ``find_stylesheets`` makes each linked sheet by calling the name
``CSS`` in ``weasyprint.css``; that name is pointed at ``_css``, which passes every call
it does not recognise, unchanged, to ``weasyprint.CSS``. If a later WeasyPrint calls it
differently, nothing is cached and everything still works (``tests/unit/test_pdf_css.py``
notices).
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import weasyprint
import weasyprint.css
import weasyprint.urls

SIZE = 32

_WEASY_CSS = weasyprint.CSS
_LOGGER = logging.getLogger("weasyprint")
# The keyword arguments ``find_stylesheets`` (WeasyPrint 70) passes for a ``<link>``.
_LINK_KEYS = frozenset(
    {
        "url",
        "url_fetcher",
        "media_type",
        "font_config",
        "counter_style",
        "color_profiles",
        "page_rules",
        "layers",
        "_check_mime_type",
    }
)


@dataclass(frozen=True, slots=True)
class _Parsed:
    """One linked sheet as parsed: what it was parsed from, and what parsing gave."""

    base: str  # the URL the fetcher answered with (relative url() values start there)
    body: bytes
    media_type: str
    sheet: weasyprint.CSS | None  # None: it acts outside itself, parse it per document
    messages: tuple[tuple[int, str], ...]  # WeasyPrint's warnings and errors, in order


class StylesheetCache:
    """Parsed linked stylesheets by URL (see the module docstring); thread-safe."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._parsed: OrderedDict[str, _Parsed] = OrderedDict()
        self._lock = threading.Lock()
        self.parses = 0  # sheets parsed on the side (a first sight, or changed bytes)
        self.reuses = 0  # documents given an already parsed sheet

    def __len__(self) -> int:
        return len(self._parsed)

    def clear(self) -> None:
        with self._lock:
            self._parsed.clear()

    def linked(self, kwargs: dict[str, Any]) -> weasyprint.CSS:
        """The sheet ``find_stylesheets`` asks for with ``kwargs`` (a ``<link>``)."""
        url = kwargs["url"]
        media_type = kwargs["media_type"]
        # Raises URLFetchingError as WeasyPrint's own fetch would: find_stylesheets
        # reports it ("Failed to load stylesheet") exactly as before.
        with weasyprint.urls.fetch(kwargs["url_fetcher"], url) as response:
            body = response.read()
            base, content_type, charset = response.url, response.content_type, response.charset
        if content_type != "text/css" or charset is not None or not isinstance(body, bytes):
            # Not a plain CSS file: WeasyPrint's own way (its message, its decoding).
            return _WEASY_CSS(**kwargs)
        with self._lock:
            found = self._parsed.get(url)
            if found is not None:
                self._parsed.move_to_end(url)
        if found is None or (found.base, found.body, found.media_type) != (
            base,
            body,
            media_type,
        ):
            found = _parse(base, body, media_type)
            with self._lock:
                self.parses += 1
                self._parsed[url] = found
                self._parsed.move_to_end(url)
                while len(self._parsed) > self.size:
                    self._parsed.popitem(last=False)
        if found.sheet is None:
            return _WEASY_CSS(**kwargs)
        with self._lock:
            self.reuses += 1
        for level, message in found.messages:
            _LOGGER.log(level, "%s", message)
        return found.sheet


CACHE = StylesheetCache()
_ACTIVE: ContextVar[StylesheetCache | None] = ContextVar("pressroom_stylesheets", default=None)


@contextlib.contextmanager
def shared(cache: StylesheetCache | None = None) -> Iterator[StylesheetCache]:
    """While active (in this thread), WeasyPrint reuses the parsed linked sheets of
    ``cache`` (default: the one already active, else the process's ``CACHE``)."""
    if cache is None:
        active = _ACTIVE.get()
        cache = active if active is not None else CACHE
    token = _ACTIVE.set(cache)
    try:
        yield cache
    finally:
        _ACTIVE.reset(token)


def _css(*args: Any, **kwargs: Any) -> weasyprint.CSS:
    """``weasyprint.CSS`` as ``weasyprint.css`` calls it: a ``<link>`` sheet from the
    cache when one is active, anything else unchanged."""
    cache = _ACTIVE.get()
    if (
        cache is not None
        and not args
        and kwargs.keys() == _LINK_KEYS
        and kwargs["_check_mime_type"]
        and str(kwargs["url"]).startswith("file:")
    ):
        return cache.linked(kwargs)
    return _WEASY_CSS(*args, **kwargs)


class _FontFaces:
    """Stands in for the document's fonts while a sheet is parsed on the side."""

    def __init__(self) -> None:
        self.used = False

    def add_font_face(self, *args: object) -> None:
        self.used = True


class _NoFetch:
    """Stands in for the document's URL fetcher while a sheet is parsed on the side: a
    sheet that fetches (``@import``, ``@color-profile``) is not one to share."""

    _fail_on_errors = False

    def __init__(self) -> None:
        self.used = False

    def __call__(self, url: str) -> None:
        self.used = True
        raise ValueError(f"not fetched while parsing on the side: {url[:100]}")


class _Taken(logging.Filter):
    """Takes WeasyPrint's records in a thread that is parsing a sheet on the side, so
    they reach no document's log (they are logged again for each document, see
    ``StylesheetCache.linked``)."""

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()

    @contextlib.contextmanager
    def taking(self) -> Iterator[list[tuple[int, str]]]:
        taken: list[tuple[int, str]] = []
        self._local.taken = taken
        try:
            yield taken
        finally:
            self._local.taken = None

    def filter(self, record: logging.LogRecord) -> bool:
        taken = getattr(self._local, "taken", None)
        if taken is None:
            return True
        if record.levelno >= logging.WARNING:
            taken.append((record.levelno, record.getMessage()))
        return False


_TAKEN = _Taken()


def _parse(base: str, body: bytes, media_type: str) -> _Parsed:
    """Parse a sheet with nothing of any document's, and tell whether it stays within
    itself (then it can be shared)."""
    fonts, fetcher = _FontFaces(), _NoFetch()
    counters: dict[str, object] = {}
    profiles: dict[str, object] = {}
    with _TAKEN.taking() as messages:
        # From the fetched bytes: the same decoding as from the URL (the response named
        # no charset, checked by the caller) and the same base for relative url() values.
        sheet = _WEASY_CSS(
            file_obj=io.BytesIO(body),
            base_url=base,
            url_fetcher=fetcher,
            media_type=media_type,
            font_config=fonts,
            counter_style=counters,
            color_profiles=profiles,
        )
    alone = not (fonts.used or fetcher.used or counters or profiles or sheet.layers)
    if not alone:
        return _Parsed(base, body, media_type, None, ())
    return _Parsed(base, body, media_type, sheet, tuple(messages))


def install() -> bool:
    """Point ``weasyprint.css.CSS`` at ``_css`` (once); False if this WeasyPrint does not
    make its sheets through that name (then nothing is cached)."""
    if weasyprint.css.CSS is _css:
        return True
    if weasyprint.css.CSS is not _WEASY_CSS:
        return False
    if _TAKEN not in _LOGGER.filters:
        _LOGGER.addFilter(_TAKEN)
    weasyprint.css.CSS = _css  # type: ignore[attr-defined,assignment]
    return True

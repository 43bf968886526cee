"""The live preview of ``pressroom watch``: a small HTTP server on 127.0.0.1.

It serves the HTML document WeasyPrint lays out (the ``--format html`` output), dressed for
a browser: ``preview.css`` and ``preview.js`` (next to this module) set it as pages on a
grey desk at the theme's page size and reload it when a build finishes; a bar on top names
the build, links to the PDF and EPUB and shows the last build's error line and
diagnostics. Nothing of this reaches an output file: the page is composed here, per build,
from the output.

Contract:

- **Loopback only.** The server binds 127.0.0.1 and answers only requests whose ``Host``
  is ``127.0.0.1:PORT`` or ``localhost:PORT`` (a page elsewhere that rebinds its DNS name
  to 127.0.0.1 gets 403, not the document). GET and HEAD only.
- **Only what the preview needs.** ``/`` is the page; ``/_pressroom/…`` its script, style
  and event stream; ``/_out/NAME`` one of the current outputs (nothing else in the output
  folder); ``/_files/N/PATH`` a file the page references: one of the files under the
  content root that the document names (its images, its cover), or anything under a theme
  folder (a stylesheet's fonts and images, named relative to it). Paths are confined like
  the renderer's (``paths.within``: the real path, symlinks followed, inside the root);
  ``..``, hidden names and NUL bytes are refused. The document's ``file:`` URLs are
  rewritten to those addresses, so the browser never sees a local path it cannot load.
- **Nothing from the network.** The page's Content-Security-Policy allows scripts,
  styles, images and fonts from this server only (and ``data:`` images and fonts); the
  document's own markup has been sanitised by the pipeline already.
- **Live reload.** ``/_pressroom/events`` is a Server-Sent Events stream: one message per
  change of state, ``{"page": N, "status": "…", "busy": bool}``. ``page`` changes when
  the page would look different (a new document, an error shown or gone); the script
  reloads then, and otherwise only updates the status line.
- ``close()`` ends every open stream, stops the server, closes its socket and joins its
  threads.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from .diagnostics import Diagnostic, Severity
from .paths import within

HOST = "127.0.0.1"
ASSETS = {
    "preview.js": ("text/javascript; charset=utf-8", Path(__file__).with_name("preview.js")),
    "preview.css": ("text/css; charset=utf-8", Path(__file__).with_name("preview.css")),
}
# What a browser may load into the preview page: this server's files only.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".epub": "application/epub+zip",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}
MAX_DIAGNOSTICS = 200  # shown in the page; the terminal and --report have them all
KEEPALIVE = 15.0  # seconds between comments on an idle event stream (finds closed tabs)

# A file: URL as the renderer writes it (Path.as_uri(): percent-encoded, so no quotes,
# spaces or brackets inside), in an attribute or in CSS.
_FILE_URL = re.compile(r"file://[^\s\"'<>()\\]+")
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_BODY_START = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


def file_url_path(url: str) -> Path | None:
    """The local path a ``file:`` URL of the rendered document names (``None``: not a
    local absolute path)."""
    parts = urlsplit(html.unescape(url))
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = unquote(parts.path)
    return Path(path) if path.startswith("/") and "\0" not in path else None


def referenced_files(document: str) -> set[Path]:
    """Every local file the document names through a ``file:`` URL (stylesheets, images,
    the cover): what its layout reads from disk besides what the stylesheets import."""
    found = set()
    for match in _FILE_URL.finditer(document):
        path = file_url_path(match[0])
        if path is not None:
            found.add(path)
    return found


def confine(root: Path, relative: str) -> Path | None:
    """The regular file ``relative`` (a URL path, %-escaped) names under ``root``, or
    ``None`` when it is not one or would leave the root: ``..``, an absolute path, a hidden
    name (``.cache``, ``.git``), a NUL byte, a backslash, or a symlink whose target lies
    outside (the same rule as the renderer's, ``paths.within``)."""
    text = unquote(relative)
    if not text or "\0" in text or "\\" in text or text.startswith("/"):
        return None
    parts = text.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    candidate = root.joinpath(*parts)
    if not within(candidate, [root]):
        return None
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return real if real.is_file() else None


@dataclass(frozen=True, slots=True)
class Roots:
    """Where the preview's files may come from: the content root (only the files the page
    names) and the theme folders (anything in them)."""

    content: Path
    themes: tuple[Path, ...] = ()

    def all(self) -> tuple[Path, ...]:
        return (self.content, *self.themes)

    def address(self, path: Path) -> tuple[int, str] | None:
        """(root index, relative URL path) of ``path``: the deepest root that holds its
        real path (a theme folder inside the content root is a theme folder)."""
        try:
            real = path.resolve()
        except (OSError, RuntimeError):
            return None
        best: tuple[int, Path] | None = None
        for index, root in enumerate(self.all()):
            base = root.resolve()
            if real.is_relative_to(base) and (best is None or base.is_relative_to(best[1])):
                best = (index, base)
        if best is None:
            return None
        return best[0], quote(real.relative_to(best[1]).as_posix())


def rewrite(document: str, roots: Roots) -> tuple[str, frozenset[str]]:
    """The document with its ``file:`` URLs turned into this server's ``/_files/N/PATH``
    addresses, and the addresses under the content root that it names (the only ones of
    that root the server hands out). A file outside every root gets an address that
    answers 404: the renderer would not have read it either."""
    named: set[str] = set()

    def address(match: re.Match[str]) -> str:
        path = file_url_path(match[0])
        found = roots.address(path) if path is not None else None
        if found is None:
            return "/_files/outside"
        index, relative = found
        url = f"/_files/{index}/{relative}"
        if index == 0:
            named.add(url)
        return url

    return _FILE_URL.sub(address, document), frozenset(named)


@dataclass(frozen=True, slots=True)
class Status:
    """What the preview shows: ``watch`` publishes a new one at each step of a build.

    ``document`` is the last good preview HTML (in the output folder), ``outputs`` the
    last good file of each format; ``error`` is the last build's one-line error (``None``
    when it went well), ``diagnostics`` its findings; ``busy`` names what is being built
    now ("" when idle)."""

    name: str
    document: Path | None = None
    outputs: Mapping[str, Path] = field(default_factory=dict)
    error: str | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    build: int = 0  # the number of the build the document and outputs come from
    built: str = ""  # "14:02:11": when it was built
    took: str = ""  # "preview 0.41 s; PDF, EPUB 2.10 s"
    busy: str = ""
    roots: Roots | None = None

    def line(self) -> str:
        """The status line of the bar (also sent to the page as it changes)."""
        done = f"build {self.build} at {self.built} ({self.took})" if self.build else ""
        if self.busy:
            return f"{done} · building {self.busy}…" if done else f"building {self.busy}…"
        if self.error:
            shown = f" · showing build {self.build} from {self.built}" if self.build else ""
            return f"the last build failed{shown}"
        return done or "waiting for the first build"


@dataclass(frozen=True, slots=True)
class _Page:
    number: int  # the "page" of the event stream: changes when the page would
    body: bytes
    named: frozenset[str]  # /_files/0/… addresses the page names
    outputs: Mapping[str, Path]  # file name → path, of the current outputs
    roots: Roots | None


class Preview:
    """The state the build loop and the server's threads share.

    ``publish(status)`` (the build loop) composes the page once and wakes every event
    stream; the request threads read the current page with ``page()`` and wait for the
    next state with ``wait``. ``close()`` wakes them all for good."""

    def __init__(self, name: str) -> None:
        self._changed = threading.Condition()
        self._status = Status(name)
        self._page = _Page(1, *_compose(self._status, 1), {}, None)
        self._version = 0  # every publish
        self._closed = False

    def publish(self, status: Status) -> None:
        with self._changed:
            previous = self._status
            self._status = status
            # Only what changes the page's content reloads it; the status line is sent
            # as it is (and written into the page for the next load).
            same = replace(previous, busy="", took="") == replace(status, busy="", took="")
            number = self._page.number + (0 if same else 1)
            try:
                body, named = _compose(status, number)
            except OSError as exc:  # the document vanished: say so, keep serving
                status = replace(status, document=None, error=f"preview: {exc}")
                self._status = status
                body, named = _compose(status, number)
            outputs = {p.name: p for p in status.outputs.values()}
            self._page = _Page(number, body, named, outputs, status.roots)
            self._version += 1
            self._changed.notify_all()

    @property
    def status(self) -> Status:
        with self._changed:
            return self._status

    def page(self) -> _Page:
        with self._changed:
            return self._page

    def event(self) -> tuple[int, str]:
        """(version, the event's JSON) of the current state."""
        with self._changed:
            data = {
                "page": self._page.number,
                "status": self._status.line(),
                "busy": bool(self._status.busy),
            }
            return self._version, json.dumps(data)

    def wait(self, version: int, timeout: float) -> bool:
        """Wait until the state is newer than ``version``; ``False`` once closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or self._version != version, timeout)
            return not self._closed

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()


def _compose(status: Status, number: int) -> tuple[bytes, frozenset[str]]:
    """The page for ``status``: the document with the preview's style, script and bar, or
    a page of its own when there is no document yet; and the content root's files it
    names."""
    bar = _bar(status, number)
    if status.document is None or status.roots is None:
        title = html.escape(status.name)
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{title}: Pressroom preview</title>{_head_tags()}</head>"
            f'<body class="pressroom-empty">{bar}</body></html>\n'
        ).encode(), frozenset()
    document, named = rewrite(status.document.read_text(encoding="utf-8"), status.roots)
    # At the end of the head: after the theme's styles, so the preview's few rules win.
    head = _HEAD_END.search(document)
    at = head.start() if head else 0
    document = document[:at] + _head_tags() + document[at:]
    body = _BODY_START.search(document)
    at = body.end() if body else len(document)
    return (document[:at] + bar + document[at:]).encode(), named


def _head_tags() -> str:
    return (
        '<link rel="stylesheet" href="/_pressroom/preview.css">'
        '<script src="/_pressroom/preview.js" defer></script>'
    )


def _bar(status: Status, number: int) -> str:
    """The preview's own header: name, status, outputs, error and diagnostics. Marked
    ``data-pressroom`` so the page script leaves it out of the pages."""
    esc = html.escape
    links = "".join(
        f'<a href="/_out/{quote(path.name)}" target="_blank" rel="noopener">{fmt.upper()}</a>'
        for fmt, path in sorted(status.outputs.items())
        if fmt != "html"
    )
    parts = [
        f'<div id="pressroom-bar" data-pressroom="bar" data-page="{number}" '
        'role="region" aria-label="Pressroom preview">',
        '<div class="pressroom-row">',
        f'<strong class="pressroom-name">{esc(status.name)}</strong>',
        f'<span id="pressroom-status" class="pressroom-status">{esc(status.line())}</span>',
        f'<span class="pressroom-links">{links}</span>',
        "</div>",
    ]
    if status.error:
        kept = (
            f"The last good outputs stay; this is build {status.build}, from {esc(status.built)}."
            if status.document is not None
            else "Nothing was built yet."
        )
        parts.append(
            '<div id="pressroom-error" class="pressroom-error" role="alert">'
            f"<code>{esc(status.error)}</code><p>{kept} The next save builds again.</p>"
            "</div>"
        )
    if status.diagnostics:
        parts.append(_diagnostics(status.diagnostics))
    parts.append("</div>")
    return "".join(parts)


def _diagnostics(diagnostics: Sequence[Diagnostic]) -> str:
    counts = {level: 0 for level in Severity}
    for diagnostic in diagnostics:
        counts[diagnostic.severity] += 1
    words = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    summary = ", ".join(
        f"{n} {words[level]}{'s' if n != 1 else ''}"
        for level, n in sorted(counts.items(), reverse=True)
        if n
    )
    ordered = sorted(diagnostics, key=lambda d: (-d.severity, str(d.location.path)))
    items = "".join(
        f'<li class="pressroom-level-{d.severity.name.lower()}">{html.escape(str(d))}</li>'
        for d in ordered[:MAX_DIAGNOSTICS]
    )
    more = len(diagnostics) - MAX_DIAGNOSTICS
    if more > 0:
        items += f"<li>… and {more} more (see the terminal)</li>"
    return (
        f'<details class="pressroom-diagnostics"><summary>{summary}</summary>'
        f"<ul>{items}</ul></details>"
    )


class _Server(ThreadingHTTPServer):
    # Handler threads are daemons (a stuck client cannot keep the process alive) and are
    # still joined on close (block_on_close): close() returns when every one has ended.
    daemon_threads = True
    block_on_close = True
    allow_reuse_address = True  # a restart on the same --port is not refused for a minute

    def __init__(self, port: int, preview: Preview, outdir: Path) -> None:
        super().__init__((HOST, port), _Handler)
        self.preview = preview
        self.outdir = outdir


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "pressroom-preview"
    timeout = 30  # a client that stops reading cannot hold a thread (or close()) forever

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the terminal belongs to the build's diagnostics."""

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def do_GET(self) -> None:
        self._respond(body=True)

    def _respond(self, *, body: bool) -> None:
        port = self.server.server_address[1]
        if self.headers.get("Host", "") not in (f"{HOST}:{port}", f"localhost:{port}"):
            self._error(HTTPStatus.FORBIDDEN, "this server answers on 127.0.0.1 only")
            return
        path = urlsplit(self.path).path
        preview = self.server.preview
        page = preview.page()
        if path in ("/", "/index.html"):
            self._send(page.body, "text/html; charset=utf-8", body=body, page=True)
        elif path == "/_pressroom/events":
            self._events()
        elif path.startswith("/_pressroom/") and path[12:] in ASSETS:
            media, file = ASSETS[path[12:]]
            self._file(file, media, body=body)
        elif path.startswith("/_out/"):
            found = page.outputs.get(unquote(path[6:]))
            if found is None or not within(found, [self.server.outdir]):
                self._error(HTTPStatus.NOT_FOUND, "not one of the current outputs")
            else:
                self._file(found, None, body=body)
        elif path.startswith("/_files/"):
            self._reference(path, page, body=body)
        else:
            self._error(HTTPStatus.NOT_FOUND, "no such page")

    def _reference(self, path: str, page: _Page, *, body: bool) -> None:
        index, _, relative = path[len("/_files/") :].partition("/")
        roots = page.roots.all() if page.roots is not None else ()
        found = None
        # The content root gives only the files the page names; a theme folder, what its
        # stylesheets name relative to themselves too (fonts, images).
        if index.isdigit() and int(index) < len(roots) and (int(index) > 0 or path in page.named):
            found = confine(roots[int(index)], relative)
        if found is None:
            self._error(HTTPStatus.NOT_FOUND, "not a file of this preview")
        else:
            self._file(found, None, body=body)

    def _events(self) -> None:
        """A Server-Sent Events stream: the state now, then each change, until the
        client goes or the server closes."""
        preview = self.server.preview
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        try:
            version, data = preview.event()
            self.wfile.write(f"retry: 1000\ndata: {data}\n\n".encode())
            self.wfile.flush()
            while preview.wait(version, KEEPALIVE):
                now, data = preview.event()
                if now == version:
                    self.wfile.write(b": idle\n\n")
                else:
                    version = now
                    self.wfile.write(f"data: {data}\n\n".encode())
                self.wfile.flush()
        except OSError:  # the tab was closed or reloaded
            return

    def _file(self, path: Path, media: str | None, *, body: bool) -> None:
        media = media or MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
        try:
            handle = path.open("rb")
        except OSError:
            self._error(HTTPStatus.NOT_FOUND, "gone")
            return
        with handle:
            size = os.fstat(handle.fileno()).st_size
            self.send_response(HTTPStatus.OK)
            self._headers(media, size, page=False)
            if body:
                with contextlib.suppress(OSError):
                    shutil.copyfileobj(handle, self.wfile)

    def _send(self, data: bytes, media: str, *, body: bool, page: bool = False) -> None:
        self.send_response(HTTPStatus.OK)
        self._headers(media, len(data), page=page)
        if body:
            with contextlib.suppress(OSError):
                self.wfile.write(data)

    def _headers(self, media: str, size: int, *, page: bool) -> None:
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(size))
        # Every build replaces these files under the same names: never from a cache.
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if page or media.startswith(("text/html", "image/svg")):
            self.send_header("Content-Security-Policy", CSP)
        self.end_headers()

    def _error(self, status: HTTPStatus, why: str) -> None:
        data = f"{status.value} {status.phrase}: {why}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(OSError):
                self.wfile.write(data)


class PreviewServer:
    """The server in a thread of its own. ``port`` 0 takes a free one; ``OSError`` when
    the port cannot be had."""

    def __init__(self, preview: Preview, outdir: Path, port: int = 0) -> None:
        self.preview = preview
        self._server = _Server(port, preview, outdir.resolve())
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="pressroom-preview",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def close(self) -> None:
        """End the event streams, stop serving, close the socket, join every thread."""
        self.preview.close()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

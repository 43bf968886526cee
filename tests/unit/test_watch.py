"""pressroom watch without a build: the diagnostics that changed (convert/watch.py), and
the preview server's confinement, page and event stream (convert/preview.py) over real
loopback requests."""

from __future__ import annotations

import http.client
import io
import json
import socket
import threading
from pathlib import Path

import pytest

from convert.diagnostics import Diagnostic, Location, Severity
from convert.preview import (
    Preview,
    PreviewServer,
    Roots,
    Status,
    confine,
    referenced_files,
    rewrite,
)
from convert.watch import Log, diff

CHAPTER = Path("book/chapters/one.md")


def _d(
    code: str = "heading.duplicate",
    line: int | None = 3,
    message: str = "heading 'A' repeated",
    severity: Severity = Severity.WARNING,
    path: Path = CHAPTER,
) -> Diagnostic:
    return Diagnostic(code, severity, Location(path, line), message, "merged")


# --------------------------------------------------------------------------- diff


def test_nothing_changed_nothing_to_say() -> None:
    found = [_d(), _d("section.empty", 9, "empty")]
    assert diff(found, list(reversed(found))) == ([], [])


def test_new_and_gone() -> None:
    kept, fixed, added = _d(), _d("section.empty", 9, "empty"), _d("image.missing", 12, "no x")
    new, gone = diff([kept, fixed], [kept, added])
    assert new == [added]
    assert gone == [fixed]


def test_a_finding_that_only_moved_is_neither_new_nor_gone() -> None:
    """Lines added above a finding move it; the author did not change it."""
    assert diff([_d(line=3)], [_d(line=7)]) == ([], [])


def test_the_same_finding_twice_counts_twice() -> None:
    """A second copy of a repeated finding is new, and the one at a new line is it."""
    new, gone = diff([_d(line=3)], [_d(line=3), _d(line=20)])
    assert [d.location.line for d in new] == [20] and gone == []
    new, gone = diff([_d(line=3), _d(line=20)], [_d(line=20)])
    assert new == [] and [d.location.line for d in gone] == [3]


def test_severity_message_and_file_tell_findings_apart() -> None:
    other_file = _d(path=Path("book/chapters/two.md"))
    louder = _d(severity=Severity.ERROR)
    new, gone = diff([_d()], [other_file, louder])
    assert new == [other_file, louder] or new == [louder, other_file]
    assert gone == [_d()]


def test_diff_is_sorted_by_file_and_line() -> None:
    found = [_d(line=30), _d("a.b", 2, "x"), _d(path=Path("a.md"), line=99)]
    new, _ = diff([], found)
    assert [(str(d.location.path), d.location.line) for d in new] == [
        ("a.md", 99),
        (str(CHAPTER), 2),
        (str(CHAPTER), 30),
    ]


# --------------------------------------------------------------------------- the terminal


def test_log_prints_what_changed_and_takes_back_what_went() -> None:
    out, err = io.StringIO(), io.StringIO()
    log = Log(out=out, err=err)
    first, second = _d(), _d("section.empty", 9, "empty")
    log.settle([first, second])
    log.settle([first])
    lines = err.getvalue().splitlines()
    assert lines == [str(first), str(second), f"gone: {second}"]


def test_log_says_nothing_is_gone_before_a_build_is_complete() -> None:
    """The preview step has not seen what only the PDF reports: no "gone" yet."""
    err = io.StringIO()
    log = Log(out=io.StringIO(), err=err)
    pdf_only = _d("font.fallback", None, "fallback")
    log.settle([_d(), pdf_only])
    log.add([_d()])
    assert err.getvalue().splitlines() == [str(pdf_only), str(_d())]  # by file, then line
    log.settle([_d()])
    assert err.getvalue().splitlines()[-1] == f"gone: {pdf_only}"


def test_log_error_lines_once_and_gone_when_the_step_works() -> None:
    err = io.StringIO()
    log = Log(out=io.StringIO(), err=err)
    line = "book/chapters/one.md: error: binary file [load.binary]"
    log.failed("first", line)
    log.failed("first", line)
    log.succeeded("rest")  # another step: this error still stands
    log.succeeded("first")
    assert err.getvalue().splitlines() == [line, f"gone: {line}"]


def test_quiet_log_prints_errors_only() -> None:
    out, err = io.StringIO(), io.StringIO()
    log = Log(quiet=True, out=out, err=err)
    bad = _d(severity=Severity.ERROR)
    log.settle([_d(), bad])
    log.line("build 1: preview 0.1 s")
    assert err.getvalue().splitlines() == [str(bad)]
    assert out.getvalue() == ""


# --------------------------------------------------------------------------- confinement


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "content"
    (root / "images").mkdir(parents=True)
    (root / "images" / "map.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (root / "images" / "a b.png").write_bytes(b"\x89PNG")
    (root / "notes.txt").write_text("not named by the page")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]")
    secret = tmp_path / "secret.txt"
    secret.write_text("outside every root")
    (root / "images" / "link.svg").symlink_to(secret)
    theme = tmp_path / "theme"
    (theme / "css").mkdir(parents=True)
    (theme / "css" / "print.css").write_text("p { color: red }")
    (theme / "css" / "escape.css").symlink_to(secret)
    out = tmp_path / "out"
    out.mkdir()
    (out / "doc.pdf").write_bytes(b"%PDF-1.7 fake")
    (out / "stray.txt").write_text("in the output folder, not an output")
    document = out / "doc.html"
    document.write_text(
        "<!DOCTYPE html><html><head><title>t</title>"
        f'<link rel="stylesheet" href="{(theme / "css" / "print.css").as_uri()}">'
        "</head><body><p>Body text.</p>"
        f'<img src="{(root / "images" / "map.svg").as_uri()}">'
        f'<img src="{(root / "images" / "a b.png").as_uri()}">'
        f'<img src="{secret.as_uri()}"></body></html>',
        encoding="utf-8",
    )
    return {"root": root, "theme": theme, "out": out, "doc": document, "secret": secret}


def test_confine_serves_files_under_the_root(tree) -> None:
    root = tree["root"]
    assert confine(root, "images/map.svg") == (root / "images" / "map.svg").resolve()
    assert confine(root, "images/a%20b.png") == (root / "images" / "a b.png").resolve()


@pytest.mark.parametrize(
    "relative",
    [
        "../secret.txt",  # up and out
        "images/../../secret.txt",
        "%2e%2e/secret.txt",  # the same, escaped
        "images/%2e%2e/%2e%2e/secret.txt",
        "/etc/passwd",  # absolute
        "%2Fetc%2Fpasswd",
        "images/link.svg",  # a symlink whose target lies outside
        ".git/config",  # hidden
        "images/map.svg%00.png",  # NUL
        "images\\map.svg",  # backslash
        "images",  # a folder
        "images/none.svg",  # nothing
        "",
    ],
)
def test_confine_refuses(tree, relative: str) -> None:
    assert confine(tree["root"], relative) is None


def test_rewrite_maps_file_urls_to_the_server_and_names_the_roots_files(tree) -> None:
    roots = Roots(tree["root"].resolve(), (tree["theme"].resolve(),))
    text = tree["doc"].read_text(encoding="utf-8")
    page, named = rewrite(text, roots)
    assert "file:" not in page
    assert 'href="/_files/1/css/print.css"' in page
    assert 'src="/_files/0/images/map.svg"' in page
    assert 'src="/_files/0/images/a%20b.png"' in page
    assert 'src="/_files/outside"' in page  # the renderer would not read it either
    assert named == {"/_files/0/images/map.svg", "/_files/0/images/a%20b.png"}
    assert referenced_files(text) == {
        tree["theme"] / "css" / "print.css",
        tree["root"] / "images" / "map.svg",
        tree["root"] / "images" / "a b.png",
        tree["secret"],
    }


def test_the_deepest_root_names_a_file() -> None:
    """A theme folder inside the content root: its files are the theme's."""
    root = Path("/srv/book")
    roots = Roots(root, (root / "my-theme",))
    assert roots.address(root / "my-theme" / "css" / "a.css") == (1, "css/a.css")
    assert roots.address(root / "images" / "a.png") == (0, "images/a.png")
    assert roots.address(Path("/etc/passwd")) is None


# --------------------------------------------------------------------------- the server


class _Client:
    def __init__(self, server: PreviewServer) -> None:
        self.port = server.port

    def get(self, path: str, host: str | None = None) -> tuple[int, dict, bytes]:
        """A GET with ``path`` sent as it is (no client-side normalising of ``..``)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest("GET", path, skip_host=True)
            conn.putheader("Host", host or f"127.0.0.1:{self.port}")
            conn.endheaders()
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()


@pytest.fixture
def served(tree):
    preview = Preview("doc.md")
    roots = Roots(tree["root"].resolve(), (tree["theme"].resolve(),))
    preview.publish(
        Status(
            "doc.md",
            document=tree["doc"],
            outputs={"html": tree["doc"], "pdf": tree["out"] / "doc.pdf"},
            build=1,
            built="12:00:00",
            took="preview 0.10 s",
            roots=roots,
            diagnostics=(_d(),),
        )
    )
    server = PreviewServer(preview, tree["out"])
    try:
        yield server, _Client(server), tree
    finally:
        server.close()


def test_the_page_is_the_document_with_the_preview_around_it(served) -> None:
    server, client, _ = served
    assert server.url == f"http://127.0.0.1:{server.port}/"
    status, headers, body = client.get("/")
    page = body.decode()
    assert status == 200
    assert "Body text." in page
    assert "file:" not in page
    assert '<script src="/_pressroom/preview.js" defer></script>' in page
    assert 'id="pressroom-bar"' in page and "1 warning" in page
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"
    for asset in ("preview.js", "preview.css"):
        assert client.get(f"/_pressroom/{asset}")[0] == 200


def test_the_server_hands_out_only_what_the_page_needs(served) -> None:
    _, client, _ = served
    assert client.get("/_files/0/images/map.svg")[0] == 200
    assert client.get("/_files/0/images/a%20b.png")[0] == 200
    assert client.get("/_files/1/css/print.css")[2] == b"p { color: red }"
    assert client.get("/_out/doc.pdf")[2] == b"%PDF-1.7 fake"
    refused = [
        "/_files/0/notes.txt",  # under the content root, but the page does not name it
        "/_files/0/../secret.txt",
        "/_files/0/images/..%2f..%2fsecret.txt",
        "/_files/1/../content/notes.txt",
        "/_files/1/css/escape.css",  # a symlink out of the theme
        "/_files/0/.git/config",
        "/_files/2/anything",
        "/_files/outside",
        "/_out/stray.txt",  # in the output folder, not an output
        "/_out/../secret.txt",
        "/_out/.watch",
        "/etc/passwd",
        "/../secret.txt",
    ]
    for path in refused:
        status, _, body = client.get(path)
        assert status == 404, path
        assert b"outside every root" not in body


def test_another_host_name_is_refused(served) -> None:
    """A page elsewhere that rebinds its DNS name to 127.0.0.1 does not get the preview."""
    _, client, _ = served
    assert client.get("/", host="attacker.example")[0] == 403
    assert client.get("/", host=f"localhost:{client.port}")[0] == 200


def test_events_stream_the_state_and_its_changes(served) -> None:
    server, client, _ = served
    conn = socket.create_connection(("127.0.0.1", client.port), timeout=10)
    request = f"GET /_pressroom/events HTTP/1.1\r\nHost: 127.0.0.1:{client.port}\r\n\r\n"
    conn.sendall(request.encode())
    stream = conn.makefile("rb")
    events = []

    def next_event() -> dict:
        while True:
            line = stream.readline().decode().strip()
            if line.startswith("data: "):
                return json.loads(line[6:])

    events.append(next_event())
    preview = server.preview
    # Only the status line changes: the same page, no reload.
    preview.publish(Status(**{**_fields(preview.status), "busy": "PDF, EPUB"}))
    events.append(next_event())
    # A new build: a new page.
    preview.publish(Status(**{**_fields(preview.status), "busy": "", "build": 2}))
    events.append(next_event())
    conn.close()
    assert events[0]["page"] == events[1]["page"] < events[2]["page"]
    assert events[1]["busy"] and "building PDF, EPUB" in events[1]["status"]
    assert not events[2]["busy"] and events[2]["status"].startswith("build 2 at 12:00:00")


def _fields(status: Status) -> dict:
    return {name: getattr(status, name) for name in Status.__dataclass_fields__}


def test_an_error_and_no_document_yet(tmp_path: Path) -> None:
    preview = Preview("doc.md")
    line = "doc.md: error: binary file (NUL bytes), not Markdown text [load.binary]"
    preview.publish(Status("doc.md", error=line))
    server = PreviewServer(preview, tmp_path)
    try:
        status, _, body = _Client(server).get("/")
    finally:
        server.close()
    assert status == 200
    assert line in body.decode()
    assert "Nothing was built yet." in body.decode()


def test_close_ends_streams_threads_and_the_socket(tmp_path: Path) -> None:
    preview = Preview("doc.md")
    server = PreviewServer(preview, tmp_path)
    port = server.port
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.sendall(f"GET /_pressroom/events HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    assert conn.recv(100).startswith(b"HTTP/1.0 200")
    server.close()
    conn.settimeout(5)
    while conn.recv(1000):  # the stream ends: the server closed it
        pass
    conn.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("pressroom")]
    assert not any(t.is_alive() for t in threading.enumerate() if "process_request" in t.name)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


def test_a_busy_port_is_an_error(tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        with pytest.raises(OSError):
            PreviewServer(Preview("doc.md"), tmp_path, taken.getsockname()[1])
    finally:
        taken.close()

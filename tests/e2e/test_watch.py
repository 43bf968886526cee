"""pressroom watch as an author uses it: a subprocess on a temporary book and on an
article, edits on disk, the preview fetched over loopback and loaded in the distribution's
headless Chromium, the rebuilt PDF read back, a broken chapter, Ctrl-C.

Every wait polls against a deadline (a build takes seconds; the deadline is generous for a
loaded machine), so nothing here sleeps a fixed time."""

from __future__ import annotations

import html
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

DEADLINE = 120.0  # seconds for one expected thing to happen
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# urllib must not send loopback requests to a proxy from the environment.
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))

BOOK_TOML = """\
[book]
title = "Watched Book"
authors = ["Ada Tester"]
language = "en"
date = 2024-01-01
chapters = ["chapters/*.md"]

[theme]
name = "base"
options = { page_size = "A5" }
"""
ONE = """\
---
title: One
---

The first chapter says hello.[^n]

![A small mark](../images/mark.svg)

[^n]: A note at the foot of the page.
"""
TWO = """\
---
title: Two
---

The second chapter says goodbye.
"""
MARK = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
    '<rect width="40" height="20" fill="#8a1c1c"/></svg>'
)


class Watching:
    """One ``pressroom watch`` process: its output collected as it comes, its preview
    fetched over loopback."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        env.pop("PRESSROOM_DEBUG", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "convert", "watch", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, self.err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        self.port = int(self.until(self._port, "the preview's address"))

    @staticmethod
    def _read(stream: io.TextIOBase, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def _port(self) -> str | None:
        for line in self.out:
            if match := re.match(r"Preview: http://127\.0\.0\.1:(\d+)/", line):
                return match[1]
        return None

    @property
    def stdout(self) -> str:
        return "\n".join(self.out)

    @property
    def stderr(self) -> str:
        return "\n".join(self.err)

    def until(self, check: Callable[[], object], what: str, timeout: float = DEADLINE):
        """Poll ``check`` until it gives something true; fail with the output so far."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = check()
            if found:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail(
            f"waited for {what}; exit {self.process.poll()}\n"
            f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )

    def get(self, path: str = "/") -> tuple[int, bytes]:
        try:
            with _LOCAL.open(f"http://127.0.0.1:{self.port}{path}", timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def page(self) -> str:
        return self.get("/")[1].decode()

    def interrupt(self) -> int:
        """Ctrl-C: SIGINT, as the terminal sends it."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=30)
        for reader in self._readers:
            reader.join(timeout=10)
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def watch() -> Iterator[Callable[..., Watching]]:
    started: list[Watching] = []

    def start(*args: object, cwd: Path) -> Watching:
        started.append(Watching([str(a) for a in args], cwd))
        return started[-1]

    yield start
    for watching in started:
        watching.close()


def _book(folder: Path) -> Path:
    (folder / "chapters").mkdir(parents=True)
    (folder / "images").mkdir()
    (folder / "book.toml").write_text(BOOK_TOML, encoding="utf-8")
    (folder / "chapters" / "01-one.md").write_text(ONE, encoding="utf-8")
    (folder / "chapters" / "02-two.md").write_text(TWO, encoding="utf-8")
    (folder / "images" / "mark.svg").write_text(MARK, encoding="utf-8")
    return folder / "book.toml"


def _save(path: Path, text: str | bytes) -> None:
    """Save as many editors do: a new file renamed over the old one."""
    tmp = path.with_name(f".{path.name}.swp-test")
    if isinstance(text, bytes):
        tmp.write_bytes(text)
    else:
        tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _pdf_text(path: Path) -> str:
    try:
        return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)
    except Exception:  # not there yet, or being replaced: the next poll sees it
        return ""


def _no_traceback(watching: Watching) -> None:
    assert "Traceback" not in watching.stderr
    assert "Traceback" not in watching.stdout


def _events(port: int) -> Iterator[dict]:
    """The preview's event stream, one decoded message at a time."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    conn.sendall(f"GET /_pressroom/events HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    stream = conn.makefile("rb")
    try:
        for raw in stream:
            line = raw.decode().strip()
            if line.startswith("data: "):
                yield json.loads(line[6:])
    finally:
        conn.close()


@pytest.fixture(scope="module")
def book_watch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Watching, Path]]:
    """One watch of a small book, shared by the tests that leave it as they found it."""
    folder = tmp_path_factory.mktemp("watched")
    manifest = _book(folder / "book")
    watching = Watching([str(manifest), "-o", str(folder / "out")], folder)
    try:
        watching.until(lambda: "says goodbye" in watching.page(), "the first preview")
        watching.until(
            lambda: "says goodbye" in _pdf_text(folder / "out" / "book.pdf"), "the first PDF"
        )
        yield watching, folder
    finally:
        watching.close()


def test_an_edit_reaches_the_preview_and_the_pdf(book_watch) -> None:
    watching, folder = book_watch
    out = folder / "out"
    assert (out / "book.epub").is_file()
    events = _events(watching.port)
    page = next(events)["page"]
    chapter = folder / "book" / "chapters" / "01-one.md"
    _save(chapter, ONE.replace("says hello", "says marmalade"))
    watching.until(lambda: "says marmalade" in watching.page(), "the edit in the preview")
    # The browser is told: a new page number on the event stream (it reloads then).
    assert any(event["page"] > page for event in events)
    watching.until(lambda: "says marmalade" in _pdf_text(out / "book.pdf"), "the edit in the PDF")
    assert re.search(
        r"^\d\d:\d\d:\d\d build \d+: preview [\d.]+ s; PDF, EPUB [\d.]+ s → ", watching.stdout, re.M
    )
    # The preview's script and bar are the server's: the HTML output has none of them.
    written = (out / "book.html").read_text(encoding="utf-8")
    assert "says marmalade" in written
    assert "pressroom-bar" not in written and "preview.js" not in written
    _no_traceback(watching)
    _save(chapter, ONE)
    watching.until(lambda: "says hello" in watching.page(), "the chapter restored")


def test_a_broken_chapter_shows_its_error_and_the_outputs_stay(book_watch) -> None:
    watching, folder = book_watch
    out = folder / "out"
    chapter = folder / "book" / "chapters" / "02-two.md"
    watching.until(lambda: "says goodbye" in _pdf_text(out / "book.pdf"), "a settled PDF")
    watching.until(lambda: "building" not in watching.page(), "the builds to finish")
    pdf = (out / "book.pdf").read_bytes()
    _save(chapter, b"\x00\x01binary\xff\xfe")
    line = watching.until(
        lambda: next((e for e in watching.err if e.endswith("[load.binary]")), None),
        "the error line",
    )
    assert line == f"{chapter}: error: binary file (NUL bytes), not Markdown text [load.binary]"
    watching.until(lambda: html.escape(line) in watching.page(), "the error in the preview")
    page = watching.page()
    assert "says goodbye" in page  # the last good preview, under the error
    assert (out / "book.pdf").read_bytes() == pdf  # the last good PDF
    assert re.search(
        r"build \d+ failed \(preview [\d.]+ s\); the outputs of build \d+ stay", watching.stdout
    )
    _save(chapter, TWO.replace("says goodbye", "says farewell"))
    watching.until(lambda: "says farewell" in watching.page(), "the repaired chapter")
    assert html.escape(line) not in watching.page()
    watching.until(lambda: f"gone: {line}" in watching.err, "the error taken back")
    watching.until(lambda: "says farewell" in _pdf_text(out / "book.pdf"), "the repaired PDF")
    _no_traceback(watching)
    _save(chapter, TWO)
    watching.until(lambda: "says goodbye" in watching.page(), "the chapter restored")


def test_it_listens_on_loopback_only(book_watch) -> None:
    watching, _ = book_watch
    port = watching.port
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].is_file():
        pytest.skip("no /proc/net/tcp here")
    listening = []
    for table in tables:
        if table.is_file():
            for row in table.read_text().splitlines()[1:]:
                local, state = row.split()[1], row.split()[3]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                    listening.append(local.rsplit(":", 1)[0])
    assert listening == ["0100007F"]  # 127.0.0.1, IPv4 only
    # From an address of this machine that is not the loopback one: refused.
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this picks the outward address
        outward = probe.getsockname()[0]
    except OSError:
        outward = None
    finally:
        probe.close()
    if outward and not outward.startswith("127."):
        with pytest.raises(OSError):
            socket.create_connection((outward, port), timeout=5).close()
    # A name other than 127.0.0.1 or localhost (DNS rebinding) gets nothing.
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/", headers={"Host": f"rebound.example:{port}"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        _LOCAL.open(request, timeout=10)
    assert refused.value.code == 403


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium in PATH")
def test_chromium_loads_the_preview_as_pages(book_watch, tmp_path: Path) -> None:
    watching, _ = book_watch
    url = f"http://127.0.0.1:{watching.port}/"
    # Chromium dumps the DOM once the load event has run: pagination runs within it, with
    # nothing left to wait for then (a test that failed one time in two when it waited
    # for image decodes). --timeout only bounds a page that never loads.
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    base += ["--timeout=10000", "--enable-logging=stderr", "--v=0"]
    run = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    dom = run.stdout
    assert "The first chapter says hello." in dom
    assert "The second chapter says goodbye." in dom
    sheets = re.findall(r'class="pressroom-sheet[ "]', dom)
    assert len(sheets) >= 3  # title, contents, chapters: pages, not one long column
    assert 'class="pressroom-note"' in dom  # the footnote went to the foot of its page
    # Nothing went wrong in the page: no console message at all (a script error, a
    # refused or missing resource, a CSP violation all log one).
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    shot = tmp_path / "preview.png"
    subprocess.run(
        [*base, "--window-size=1000,900", f"--screenshot={shot}", url],
        capture_output=True,
        timeout=120,
    )
    image = Image.open(shot).convert("RGB")
    assert image.getpixel((30, 450)) == (0x5F, 0x63, 0x68)  # the grey desk
    assert image.getpixel((250, 600)) == (255, 255, 255)  # a white A5 sheet (its margin)


def test_ctrl_c_during_a_build_stops_cleanly(tmp_path: Path, watch) -> None:
    manifest = _book(tmp_path / "book")
    out = tmp_path / "out"
    watching = watch(manifest, "-o", out, "--format", "pdf", cwd=tmp_path)
    watching.until(lambda: (out / "book.pdf").is_file(), "the first PDF")
    watching.until(lambda: "building" not in watching.page(), "the builds to finish")
    pdf = (out / "book.pdf").read_bytes()
    _save(tmp_path / "book" / "chapters" / "01-one.md", ONE.replace("hello", "interrupted"))
    watching.until(lambda: "building" in watching.page(), "a build under way")
    assert watching.interrupt() == 0
    _no_traceback(watching)
    assert watching.err[-1] == "pressroom watch: stopped"
    with pytest.raises(OSError):  # the socket is closed
        socket.create_connection(("127.0.0.1", watching.port), timeout=5).close()
    # No half-written file, and the PDF is whole: the old one or a complete new one.
    assert not [p for p in out.rglob("*.part")]
    assert (out / "book.pdf").read_bytes() == pdf or "interrupted" in _pdf_text(out / "book.pdf")


def test_an_article_its_image_and_its_theme(tmp_path: Path, watch) -> None:
    (tmp_path / "images").mkdir()
    image = tmp_path / "images" / "mark.svg"
    image.write_text(MARK, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not part of the article", encoding="utf-8")
    theme = tmp_path / "mytheme"
    shutil.copytree(ROOT / "themes" / "base", theme)
    article = tmp_path / "essay.md"
    text = "---\ntitle: An Essay\nlang: en\n---\n\nThe essay begins here.\n\n"
    text += "![A mark](images/mark.svg)\n"
    article.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    watching = watch(article, "-o", out, "--format", "pdf", "--theme", theme, cwd=tmp_path)
    watching.until(lambda: "The essay begins here." in watching.page(), "the first preview")
    watching.until(lambda: "begins here" in _pdf_text(out / "essay.pdf"), "the first PDF")
    page = watching.page()
    assert 'src="/_files/0/images/mark.svg"' in page
    assert watching.get("/_files/0/images/mark.svg") == (200, MARK.encode())
    assert watching.get("/_files/0/notes.txt")[0] == 404  # the page does not name it
    assert watching.get("/_files/0/../../etc/passwd")[0] == 404
    assert watching.get("/_out/essay.pdf")[1].startswith(b"%PDF-")

    _save(article, text.replace("begins here", "begins elsewhere"))
    watching.until(lambda: "begins elsewhere" in watching.page(), "the edit in the preview")
    watching.until(
        lambda: "begins elsewhere" in _pdf_text(out / "essay.pdf"), "the edit in the PDF"
    )

    # The image is watched: saving it makes a build.
    builds = watching.stdout.count(" build ")
    _save(image, MARK.replace("#8a1c1c", "#1c8a1c"))
    watching.until(lambda: watching.stdout.count(" build ") > builds, "a build for the image")
    # So is the theme: a stylesheet's edit makes a build, and the preview serves it.
    builds = watching.stdout.count(" build ")
    css = theme / "css" / "common.css"
    _save(css, css.read_text(encoding="utf-8") + "\n/* watched-theme-edit */\n")
    watching.until(lambda: watching.stdout.count(" build ") > builds, "a build for the theme")
    served = watching.get("/_files/1/css/common.css")
    assert served[0] == 200 and b"watched-theme-edit" in served[1]
    _no_traceback(watching)
    assert watching.interrupt() == 0

"""Remote images: nothing is fetched by default; hosts the user allows are downloaded once
(from a loopback server here) into a cache and embedded in both outputs."""

from __future__ import annotations

import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from convert.cli import main
from tests.conftest import CONTENT

pytestmark = pytest.mark.e2e


class _Counting(SimpleHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Counting.hits.append(self.path)
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "case.svg").write_bytes((CONTENT / "articles/images/type-case.svg").read_bytes())
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Counting, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Counting.hits = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_allowed_host_is_downloaded_once_and_embedded(
    tmp_path: Path, server: str, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    src = tmp_path / "remote.md"
    src.write_text(
        f"# Remote\n\n![A case]({server}/case.svg)\n\n![Elsewhere](http://192.0.2.1/x.png)\n",
        encoding="utf-8",
    )
    for out in ("a", "b"):
        assert (
            main(
                [
                    "convert",
                    str(src),
                    "-o",
                    str(tmp_path / out),
                    "--format",
                    "pdf,epub",
                    "--remote-images",
                    "127.0.0.1",
                ]
            )
            == 0
        )
    assert _Counting.hits == ["/case.svg"]  # the second build used the cache
    err = capsys.readouterr().err
    assert "[image.remote-allowed]" in err and "[image.remote]" in err
    with zipfile.ZipFile(tmp_path / "a" / "remote.epub") as z:
        assert any(n.startswith("EPUB/images/") and n.endswith(".svg") for n in z.namelist())
        chapter = z.read("EPUB/chapter.xhtml").decode()
    assert server not in chapter and 'href="http://192.0.2.1/x.png"' in chapter


def test_nothing_is_fetched_by_default(tmp_path: Path, server: str, capsys) -> None:
    src = tmp_path / "remote.md"
    src.write_text(f"# Remote\n\n![A case]({server}/case.svg)\n", encoding="utf-8")
    assert main(["convert", str(src), "-o", str(tmp_path / "out"), "--format", "pdf,epub"]) == 0
    assert _Counting.hits == []
    assert "[image.remote]" in capsys.readouterr().err

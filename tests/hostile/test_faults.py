"""Faults: kill -9 at random moments of real convert and book runs, then rerun; a full
disk (a file-size limit on the child); outputs are always whole or absent."""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import CONTENT

pytestmark = pytest.mark.e2e

ARTICLES = sorted((CONTENT / "articles").glob("*.md"))
BOOK = CONTENT / "books" / "field-guide" / "book.toml"


def _whole(folder: Path) -> list[Path]:
    """Every final-named output under ``folder``; raises if one is not a whole file."""
    found = []
    for path in folder.rglob("*"):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix == ".pdf":
            assert PdfReader(path).pages, path
        elif path.suffix == ".epub":
            with zipfile.ZipFile(path) as z:
                assert z.testzip() is None, path
        found.append(path)
    return found


def _kill_at(cmd: list[str], delay: float) -> None:
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    time.sleep(delay)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.mark.parametrize("seed", range(4))
def test_kill_9_during_convert_then_rerun(tmp_path: Path, seed: int) -> None:
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "convert",
        "convert",
        *map(str, ARTICLES),
        "-o",
        str(out),
        "-q",
        "--root",
        str(CONTENT),
    ]
    _kill_at(cmd, random.Random(seed).uniform(0.8, 4.0))
    if out.exists():
        _whole(out)
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    names = {p.name for p in _whole(out)}
    assert {f"{a.stem}.{ext}" for a in ARTICLES for ext in ("pdf", "epub")} <= names
    assert not list(out.glob(".*.part"))  # the rerun swept what the killed run left


@pytest.mark.parametrize("seed", range(2))
def test_kill_9_during_book_then_rerun(tmp_path: Path, seed: int) -> None:
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "convert", "book", str(BOOK), "-o", str(out), "-q"]
    _kill_at(cmd, random.Random(100 + seed).uniform(1.0, 5.0))
    if out.exists():
        _whole(out)
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert {"field-guide.pdf", "field-guide.epub"} <= {p.name for p in _whole(out)}


def _small_disk() -> None:
    """In the child: files may not grow past 40 kB, and going past raises EFBIG instead
    of killing the process with SIGXFSZ (what a full disk looks like to a writer)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))


def test_full_disk_gives_a_clear_error_and_no_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    article = CONTENT / "articles" / "printing-press.md"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "convert",
            "convert",
            str(article),
            "-o",
            str(out),
            "--format",
            "pdf",
            "--root",
            str(CONTENT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_small_disk,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1 and "[write.failed]" in errors[0], run.stderr
    assert not (out / "printing-press.pdf").exists()
    assert not [p for p in out.iterdir() if p.is_file()] if out.exists() else True

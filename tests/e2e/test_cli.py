"""The CLI contract: outputs, exit codes, one-line errors, no partial files, determinism."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from convert.cli import main

pytestmark = pytest.mark.e2e

GOOD = """---
title: A small article
author: Ada Example
date: 2024-02-03
lang: en
tags: [one, two]
---

Opening paragraph with a note.[^n]

## Section

| a | b |
|---|---|
| 1 | 2 |

[^n]: The note text.
"""


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed command, as a user runs it (a real process: real stderr, real exit)."""
    return subprocess.run(
        [sys.executable, "-m", "convert", *args], capture_output=True, text=True, timeout=120
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_convert_writes_each_format_and_reports(tmp_path: Path) -> None:
    src = _write(tmp_path / "small.md", GOOD)
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    run = _run(
        "convert", str(src), "-o", str(out), "--format", "pdf,epub,html", "--report", str(report)
    )
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in out.iterdir()) == ["small.epub", "small.html", "small.pdf"]
    assert json.loads(report.read_text()) == []
    reader = PdfReader(out / "small.pdf")
    assert reader.metadata.title == "A small article"
    assert reader.metadata.author == "Ada Example"
    outline = reader.outline  # [title, [its children]]: bookmarks nested by heading level
    assert outline[0].title == "A small article"
    assert [o.title for o in outline[1]] == ["Section"]


def test_footnote_sits_at_the_foot_of_the_page(tmp_path: Path) -> None:
    src = _write(tmp_path / "small.md", GOOD)
    assert main(["convert", str(src), "-o", str(tmp_path), "--format", "pdf"]) == 0
    text = PdfReader(tmp_path / "small.pdf").pages[0].extract_text()
    # The note comes after the table, i.e. at the foot of the page, not where it was called.
    assert text.index("The note text.") > text.index("Section")


def test_same_input_gives_byte_identical_outputs(tmp_path: Path) -> None:
    src = _write(tmp_path / "small.md", GOOD)
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        assert main(["convert", str(src), "-o", str(out), "--format", "pdf,epub,html", "-q"]) == 0
    for name in ("small.pdf", "small.epub", "small.html"):
        assert _sha(first / name) == _sha(second / name), name


def test_source_date_epoch_sets_the_build_date(tmp_path: Path, monkeypatch) -> None:
    src = _write(tmp_path / "small.md", GOOD)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert main(["convert", str(src), "-o", str(tmp_path), "--format", "epub", "-q"]) == 0
    import zipfile

    opf = zipfile.ZipFile(tmp_path / "small.epub").read("EPUB/content.opf").decode()
    assert "2023-11-14T22:13:20Z" in opf


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "load.binary"),
        ("latin1.md", "Caf\xe9 cr\xe8me\n".encode("latin-1"), "load.encoding"),
    ],
)
def test_unconvertible_input_is_one_clear_line(
    tmp_path: Path, name: str, content: bytes, code: str
) -> None:
    src = _write(tmp_path / name, content)
    out = tmp_path / "out"
    run = _run("convert", str(src), "-o", str(out))
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{src}: error:") and f"[{code}]" in lines[0]
    assert "Traceback" not in run.stderr
    assert not out.exists() or not any(out.iterdir())


def test_missing_file_and_the_rest_of_the_batch_goes_on(tmp_path: Path) -> None:
    good = _write(tmp_path / "good.md", GOOD)
    out = tmp_path / "out"
    run = _run("convert", str(tmp_path / "nope.md"), str(good), "-o", str(out), "--format", "epub")
    assert run.returncode == 1
    assert f"{tmp_path / 'nope.md'}: error: no such file [load.missing]" in run.stderr
    assert (out / "good.epub").is_file()
    assert not (out / "nope.epub").exists()


def test_unwritable_output_folder(tmp_path: Path) -> None:
    src = _write(tmp_path / "small.md", GOOD)
    blocker = _write(tmp_path / "file", "not a folder")
    run = _run("convert", str(src), "-o", str(blocker / "out"), "--format", "pdf")
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "[write.folder]" in run.stderr


def test_malformed_frontmatter_still_converts(tmp_path: Path) -> None:
    src = _write(tmp_path / "bad-yaml.md", "---\ntitle: [unclosed\n---\n\n# Real title\n\nBody.\n")
    run = _run("convert", str(src), "-o", str(tmp_path), "--format", "pdf")
    assert run.returncode == 0, run.stderr
    assert "bad-yaml.md:2: warning:" in run.stderr and "[meta.invalid]" in run.stderr
    assert PdfReader(tmp_path / "bad-yaml.pdf").metadata.title == "Real title"


def test_list_frontmatter_and_empty_file(tmp_path: Path) -> None:
    listy = _write(tmp_path / "listy.md", "---\n- a\n- b\n---\nText.\n")
    empty = _write(tmp_path / "empty-notes.md", "")
    run = _run("convert", str(listy), str(empty), "-o", str(tmp_path), "--format", "pdf,epub")
    assert run.returncode == 0, run.stderr
    assert "[meta.not-mapping]" in run.stderr
    assert "[meta.title-missing]" in run.stderr
    assert PdfReader(tmp_path / "empty-notes.pdf").metadata.title == "Empty notes"


def test_strict_turns_warnings_into_failure_and_writes_nothing(tmp_path: Path) -> None:
    src = _write(tmp_path / "debris.md", "# T\n\nText.\n\n[object Object]\n")
    out = tmp_path / "out"
    run = _run("convert", str(src), "-o", str(out), "--strict")
    assert run.returncode == 1
    assert "[strict.warnings]" in run.stderr
    assert not out.exists() or not any(out.iterdir())


def test_check_prints_diagnostics_and_writes_nothing(tmp_path: Path) -> None:
    src = _write(tmp_path / "debris.md", "# T\n\nText.\n\n[object Object]\n")
    run = _run("check", str(src), "--json")
    assert run.returncode == 0
    data = json.loads(run.stdout)
    assert [(d["code"], d["severity"], d["line"]) for d in data] == [
        ("meta.title-missing", "info", None),
        ("reference.debris", "warning", 5),
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["debris.md"]
    assert _run("check", str(src), "--strict").returncode == 1


def test_fix_writes_normalized_markdown(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "debris.md", "---\ntitle: T\nodd: kept\n---\nText.\n\n[object Object]\n"
    )
    out = tmp_path / "fixed"
    run = _run("fix", str(src), "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert (out / "debris.md").read_text() == "---\ntitle: T\nodd: kept\n---\nText.\n\n"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert _run("convert").returncode == 2
    assert _run("convert", "x.md", "--format", "docx").returncode == 2
    assert _run("nonsense").returncode == 2


def test_themes_lists_base() -> None:
    run = _run("themes")
    assert run.returncode == 0
    assert run.stdout.startswith("base")


def test_unknown_theme_is_one_line(tmp_path: Path) -> None:
    src = _write(tmp_path / "small.md", GOOD)
    run = _run("convert", str(src), "-o", str(tmp_path), "--theme", "nope")
    assert run.returncode == 1
    assert "no theme named 'nope'" in run.stderr and "base" in run.stderr
    assert "Traceback" not in run.stderr


def test_interrupted_write_leaves_nothing(tmp_path: Path) -> None:
    """Ctrl-C during the PDF write: no file at the output path, no temp file left."""
    src = _write(tmp_path / "small.md", GOOD)
    out = tmp_path / "out"
    code = f"""
import signal, threading, os, sys
import convert.writers.pdf as pdf
real = pdf.atomic_output
from contextlib import contextmanager
@contextmanager
def slow(path):
    with real(path) as tmp:
        yield tmp
        raise KeyboardInterrupt
pdf.atomic_output = slow
from convert.cli import main
sys.exit(main(["convert", {str(src)!r}, "-o", {str(out)!r}, "--format", "epub,pdf"]))
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 130, run.stderr
    assert not out.exists() or os.listdir(out) == []


def test_etc_passwd_never_reaches_an_output(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "attack.md",
        "# Attack\n\n![x](/etc/passwd)\n\n![y](../../../../etc/passwd)\n\n"
        '<a rel="attachment" href="file:///etc/passwd">a</a>\n\n'
        '<img src="file:///etc/passwd">\n',
    )
    out = tmp_path / "out"
    assert main(["convert", str(src), "-o", str(out), "--format", "pdf,epub,html"]) == 0
    secret = Path("/etc/passwd").read_bytes()[:40]
    import zipfile

    for produced in out.iterdir():
        data = produced.read_bytes()
        assert b"root:x:0:0" not in data and secret not in data, produced.name
    with zipfile.ZipFile(out / "attack.epub") as z:
        for name in z.namelist():
            assert b"root:x:0" not in z.read(name)
    assert not PdfReader(out / "attack.pdf").attachments


# What an EPUB or HTML run of a plain article must not import: each costs a cold start tens of
# milliseconds (WeasyPrint most of a second) and is imported only where it is needed.
NOT_FOR_A_PLAIN_EPUB = (
    "weasyprint",  # the PDF
    "pikepdf",  # the PDF's finishing and preflight
    "numpy",  # only to write the language model's cache, once per machine
    "py3langid",  # the same: the cached model is read without it
    "PIL",  # images
    "pygments",  # code with a language
    "latex2mathml",  # formulas
    "icu",  # the index
)


def test_an_epub_only_run_never_imports_weasyprint(tmp_path: Path) -> None:
    source = tmp_path / "note.md"
    source.write_text(
        "---\ntitle: Note\ndate: 2024-03-09\n---\n\nA short note.\n", encoding="utf-8"
    )
    code = (
        "import sys\n"
        "from convert.cli import main\n"
        f"status = main(['convert', {str(source)!r}, '-o', {str(tmp_path)!r}, "
        "'--format', 'epub,html', '-q'])\n"
        f"print(status, *sorted(m for m in {(*NOT_FOR_A_PLAIN_EPUB, 'babel')!r} "
        "if m in sys.modules))\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
        )
        for _ in range(2)
    ]
    # The first run on a machine reads the message catalogs and the date format with Babel
    # and keeps them (convert/i18n.py); later runs import none of it.
    assert runs[0].stdout.split() == ["0", "babel"], runs[0].stderr
    assert runs[1].stdout.split() == ["0"], runs[1].stderr
    assert (tmp_path / "note.epub").is_file()


def test_a_closed_pipe_is_no_traceback(tmp_path: Path) -> None:
    # `pressroom check many.md | head -1`: the reader goes away mid-output.
    source = tmp_path / "many.md"
    source.write_text("---\ntitle: T\n---\n\n" + "".join(f"[^{n}]\n\n" for n in range(2000)))
    run = subprocess.run(
        f"{sys.executable} -m convert check --json {source} | head -c 100",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in run.stdout + run.stderr

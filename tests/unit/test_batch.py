"""The batch's bookkeeping (convert/batch.py) with a fake executor: which documents run,
what the manifest records, what a rerun skips, what a changed setting rebuilds."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from convert.batch import discover, report_junit, run_batch, settings_digest
from convert.config import Limits, Settings
from convert.diagnostics import Severity
from convert.executors.local import Pool
from convert.jobs import Job, JobResult, Output


class FakeExecutor:
    """Writes a small file per job instead of converting; fails ``bad.md``."""

    def __init__(self) -> None:
        self.seen: list[Job] = []

    def __call__(self, jobs: Iterable[Job], pool: Pool) -> Iterator[JobResult]:
        for job in jobs:
            self.seen.append(job)
            if job.rel.endswith("bad.md"):
                yield JobResult.failure(job, "load.binary", "is binary")
                continue
            out = Path(job.outdir) / (Path(job.rel).stem + ".epub")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(b"epub of " + job.rel.encode())
            yield JobResult(
                job.rel,
                "ok",
                {"epub": Output(str(out), "0" * 64, out.stat().st_size)},
                ({"code": "heading.duplicate", "severity": "warning"},),
                flagged=job.rel.endswith("flagged.md"),
            )


def _tree(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    for rel in ("a.md", "news/b.md", "news/bad.md", ".hidden/c.md", "notes.txt"):
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {rel}\n", "utf-8")
    (src / "escape.md").symlink_to("/etc/hostname")
    return src


def test_discover_skips_hidden_folders_other_files_and_symlinks_out(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    found = [p.relative_to(src).as_posix() for p in discover(src, tmp_path / "out")]
    assert found == ["a.md", "news/b.md", "news/bad.md"]


def test_results_stream_into_the_manifest_and_reruns_skip(tmp_path: Path) -> None:
    src, out = _tree(tmp_path), tmp_path / "out"
    fake, seen = FakeExecutor(), []
    settings = Settings(formats=("epub",))
    first = run_batch(src, out, settings, runner=fake, progress=seen.append)
    assert (first.converted, first.failed, first.skipped) == (2, 1, 0)
    assert len(seen) == 3  # every result reported as it came
    # Every job carried the run's settings, rooted at the batch folder.
    assert all(job.settings == replace(settings, root=src.resolve()) for job in fake.seen)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["settings"] == settings.outputs_key()
    entry = manifest["documents"]["news/b.md"]
    assert entry["outputs"]["epub"]["path"] == "news/b.epub"
    assert entry["diagnostics"][0]["code"] == "heading.duplicate"
    assert manifest["documents"]["news/bad.md"]["error"]["code"] == "load.binary"

    again = run_batch(src, out, settings, runner=FakeExecutor())
    assert (again.converted, again.failed, again.skipped) == (0, 1, 2)  # failed ones retried
    stricter = replace(settings, severity={"heading.duplicate": Severity.ERROR})
    changed = run_batch(src, out, stricter, runner=FakeExecutor())
    assert changed.skipped == 0  # a severity changes the diagnostics: everything again
    longer = replace(stricter, limits=Limits(timeout=1))
    assert run_batch(src, out, longer, runner=FakeExecutor()).skipped == 2  # limits do not


def test_a_flagged_document_fails_the_run_but_keeps_its_outputs(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "flagged.md").write_text("# F\n", "utf-8")
    result = run_batch(src, tmp_path / "out", Settings(), runner=FakeExecutor())
    assert (result.converted, result.flagged, result.failed) == (1, 1, 0)
    assert "1 converted (1 with errors)" in result.summary()
    assert (tmp_path / "out" / "flagged.epub").is_file()


def test_a_deleted_source_loses_its_outputs(tmp_path: Path) -> None:
    src, out = _tree(tmp_path), tmp_path / "out"
    run_batch(src, out, Settings(), runner=FakeExecutor())
    (src / "a.md").unlink()
    result = run_batch(src, out, Settings(), runner=FakeExecutor())
    assert result.removed == 1 and not (out / "a.epub").exists()


def test_the_digest_follows_settings_and_theme_files(tmp_path: Path) -> None:
    theme = tmp_path / "mine"
    (theme / "css").mkdir(parents=True)
    (theme / "theme.toml").write_text('inherit = "base"\n', "utf-8")
    (theme / "css" / "print.css").write_text("body { color: black }\n", "utf-8")
    settings = Settings(theme=str(theme))
    first = settings_digest(settings)
    assert settings_digest(settings) == first
    assert settings_digest(replace(settings, disabled=("titles",))) != first
    (theme / "css" / "print.css").write_text("body { color: navy }\n", "utf-8")
    assert settings_digest(settings) != first


def test_junit_names_each_document_and_its_failure(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    result = run_batch(src, tmp_path / "out", Settings(), runner=FakeExecutor())
    xml = report_junit(result)
    assert 'tests="3"' in xml and 'failures="1"' in xml
    assert '<failure type="load.binary"' in xml and 'name="news/b.md"' in xml

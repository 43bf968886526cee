"""Jobs (convert/jobs.py): plain data across processes, one document under the policy."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from convert.config import Limits, Settings
from convert.diagnostics import Severity
from convert.jobs import Failure, Job, JobResult, Output, run_job


def _job(path: Path, out: Path, **settings: Any) -> Job:
    chosen = replace(Settings(formats=("epub",), root=path.parent), **settings)
    return Job(str(path), path.name, str(out), chosen)


def test_a_job_and_its_result_survive_json() -> None:
    job = Job("/src/a.md", "a.md", "/out", Settings(formats=("pdf",), limits=Limits(timeout=5)))
    assert Job.from_dict(json.loads(json.dumps(job.to_dict()))) == job
    result = JobResult(
        "a.md",
        "ok",
        {"pdf": Output("/out/a.pdf", "ab" * 32, 1234)},
        ({"code": "heading.duplicate", "severity": "warning", "line": 3},),
        None,
        0.5,
        "cd" * 32,
        flagged=True,
    )
    assert JobResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    failed = JobResult.failure(job, "convert.timeout", "over the 5 s time limit")
    assert failed.status == "failed" and failed.error == Failure(
        "convert.timeout", "/src/a.md: error: over the 5 s time limit [convert.timeout]"
    )


def test_run_job_converts_under_the_jobs_settings(tmp_path: Path) -> None:
    source = tmp_path / "a.md"
    source.write_text("# A\n\n## Same\n\nOne.\n\n## Same\n\nTwo.\n", "utf-8")
    plain = run_job(_job(source, tmp_path / "plain"))
    assert plain.status == "ok" and plain.error is None
    epub = plain.outputs["epub"]
    assert Path(epub.path).stat().st_size == epub.size and len(epub.sha256) == 64
    assert len(plain.source_sha256) == 64
    codes = {d["code"]: d["severity"] for d in plain.diagnostics}
    assert codes.get("heading.duplicate-sibling") == "info" and not plain.flagged

    raised = run_job(
        _job(source, tmp_path / "raised", severity={"heading.duplicate-sibling": Severity.ERROR})
    )
    codes = {d["code"]: d["severity"] for d in raised.diagnostics}
    assert codes["heading.duplicate-sibling"] == "error" and raised.flagged


def test_run_job_never_raises_for_a_document(tmp_path: Path) -> None:
    source = tmp_path / "bin.md"
    source.write_bytes(b"\x00\x01binary")
    result = run_job(_job(source, tmp_path / "out"))
    assert result.status == "failed" and result.error is not None
    assert result.error.code == "load.binary" and str(source) in result.error.message
    assert not result.outputs and not (tmp_path / "out").exists()
    too_big = run_job(_job(source, tmp_path / "out", limits=Limits(max_input_mb=0.000001)))
    assert too_big.error is not None and too_big.error.code == "load.too-large"

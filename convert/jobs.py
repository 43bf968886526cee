"""One document as a unit of batch work, the same for every executor.

A ``Job`` and its ``JobResult`` are plain data: they cross process and machine boundaries
(pickled for local workers, JSON through Celery: ``to_dict``/``from_dict``). A job carries
the run's whole ``Settings``, so a worker converts exactly as ``pressroom convert`` would
with the same configuration file and flags. ``run_job`` goes through the one error policy
(``runner.run_document``) and never raises for a document problem: a failure comes back
as ``status: "failed"`` with its one-line error, so one bad document cannot stop a batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .config import Settings
from .diagnostics import Report
from .files import file_sha256
from .pipeline import convert_article
from .runner import run_document

Status = Literal["ok", "failed"]


@dataclass(frozen=True, slots=True)
class Job:
    source: str  # absolute path of the Markdown file
    rel: str  # its path relative to the batch root, e.g. "news/2024/item.md"
    outdir: str  # absolute folder the outputs go to (mirrors rel's folder)
    settings: Settings  # root: the batch folder

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rel": self.rel,
            "outdir": self.outdir,
            "settings": self.settings.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        return cls(
            data["source"], data["rel"], data["outdir"], Settings.from_dict(data["settings"])
        )


@dataclass(frozen=True, slots=True)
class Output:
    path: str  # absolute
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class Failure:
    code: str
    message: str  # the whole line: "path: error: why [code]"


@dataclass(frozen=True, slots=True)
class JobResult:
    """What the manifest and the reports record about one converted (or failed) job."""

    rel: str
    status: Status
    outputs: dict[str, Output] = field(default_factory=dict)
    diagnostics: tuple[dict[str, Any], ...] = ()  # ``Diagnostic.as_dict()``, sorted
    error: Failure | None = None
    seconds: float = 0.0
    source_sha256: str = ""
    flagged: bool = False  # converted with an error-level finding (exit status 1)

    @classmethod
    def failure(cls, job: Job, code: str, why: str) -> JobResult:
        """A job whose worker never answered for it (killed past its time, crashed)."""
        message = f"{job.source}: error: {why} [{code}]"
        return cls(job.rel, "failed", error=Failure(code, message))

    def to_dict(self) -> dict[str, Any]:
        return {
            "rel": self.rel,
            "status": self.status,
            "outputs": {
                fmt: {"path": o.path, "sha256": o.sha256, "size": o.size}
                for fmt, o in self.outputs.items()
            },
            "diagnostics": list(self.diagnostics),
            "error": {"code": self.error.code, "message": self.error.message}
            if self.error
            else None,
            "seconds": self.seconds,
            "source_sha256": self.source_sha256,
            "flagged": self.flagged,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobResult:
        error = data.get("error")
        return cls(
            rel=data["rel"],
            status=data["status"],
            outputs={fmt: Output(**o) for fmt, o in data.get("outputs", {}).items()},
            diagnostics=tuple(data.get("diagnostics", ())),
            error=Failure(error["code"], error["message"]) if error else None,
            seconds=float(data.get("seconds", 0.0)),
            source_sha256=data.get("source_sha256", ""),
            flagged=bool(data.get("flagged", False)),
        )


def run_job(job: Job) -> JobResult:
    """Convert one document under the job's settings and limits."""
    started = time.perf_counter()
    source = Path(job.source)
    source_hash = ""

    def work(report: Report) -> dict[str, Path]:
        nonlocal source_hash
        source_hash = file_sha256(source)
        return convert_article(source, Path(job.outdir), job.settings, report)

    outcome = run_document(source, work, job.settings)
    diagnostics = tuple(d.as_dict() for d in outcome.report.sorted())
    seconds = round(time.perf_counter() - started, 4)
    if outcome.error is not None:
        failure = Failure(outcome.error.code, str(outcome.error))
        return JobResult(job.rel, "failed", diagnostics=diagnostics, error=failure, seconds=seconds)
    outputs = {
        fmt: Output(str(path), file_sha256(path), path.stat().st_size)
        for fmt, path in sorted(outcome.outputs.items())
    }
    return JobResult(
        job.rel,
        "ok",
        outputs,
        diagnostics,
        seconds=seconds,
        source_sha256=source_hash,
        flagged=outcome.failed(job.settings.strict),
    )

"""One document as a unit of batch work, the same for every executor.

A ``Job`` is plain data (it crosses process and machine boundaries: pickled for local
workers, JSON for Celery), and ``run_job`` turns it into a plain ``dict`` result. It never
raises for a document problem: failures come back as ``status: "failed"`` with the error
line, so one bad document cannot stop a batch.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .diagnostics import Report
from .errors import ConvertError
from .files import file_sha256
from .pipeline import Options, convert_article


@dataclass(frozen=True, slots=True)
class Job:
    source: str  # absolute path of the Markdown file
    rel: str  # its path relative to the batch root, e.g. "news/2024/item.md"
    outdir: str  # absolute folder the outputs go to (mirrors rel's folder)
    root: str  # content root (the batch folder)
    formats: tuple[str, ...]
    theme: str
    profile: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        return cls(**{**data, "formats": tuple(data["formats"])})


def run_job(job: Job) -> dict[str, Any]:
    """Convert one document; return what the manifest and the report record about it."""
    started = time.perf_counter()
    report = Report()
    source = Path(job.source)
    options = Options(
        formats=job.formats, theme=job.theme, profile=job.profile, root=Path(job.root)
    )
    result: dict[str, Any] = {"rel": job.rel, "outputs": {}, "error": None}
    try:
        source_hash = file_sha256(source)
        written = convert_article(source, Path(job.outdir), options, report)
        result["status"] = "ok"
        result["source_sha256"] = source_hash
        for fmt, path in sorted(written.items()):
            result["outputs"][fmt] = {
                "path": str(path),
                "sha256": file_sha256(path),
                "size": path.stat().st_size,
            }
    except ConvertError as exc:
        if exc.path is None:
            exc.path = source
        result["status"] = "failed"
        result["error"] = {"code": exc.code, "message": str(exc)}
    except MemoryError:
        result["status"] = "failed"
        result["error"] = {
            "code": "batch.memory",
            "message": f"{source}: error: over the memory limit [batch.memory]",
        }
    except Exception as exc:  # a bug or a library failure: recorded, the batch goes on
        result["status"] = "failed"
        message = f"{source}: error: internal error: {type(exc).__name__}: {exc} [batch.crash]"
        result["error"] = {"code": "batch.crash", "message": message[:500]}
    result["diagnostics"] = [d.as_dict() for d in report.sorted()]
    result["seconds"] = round(time.perf_counter() - started, 4)
    return result

"""Batch export: every article under a folder, in parallel, incremental, safe to schedule.

Contract (``run_batch``):
- Converts every ``*.md``/``*.markdown``/``*.txt`` article under ``src`` (sorted, hidden
  folders and the output folder skipped) into ``out``, mirroring the folder structure.
- Holds an exclusive lock on ``out`` for the whole run; a second run on the same ``out``
  fails at once with a clear message (``BatchLocked``). The lock is a ``flock`` on
  ``out/.pressroom.lock``, so a run killed with ``kill -9`` releases it.
- Converts each document exactly as ``pressroom convert`` would with the same
  ``Settings`` (configuration file and flags: rules, severities, dialect, limits), through
  the same error policy.
- Keeps ``out/manifest.json``: per document its source hash, settings hash, tool version,
  outputs (path, sha256, size), diagnostics, status and time. Each result is recorded as
  it comes back (and the file rewritten every few seconds), not at the end. A rerun skips documents
  whose source, settings and outputs are unchanged, rebuilds the rest (failed ones
  included), and removes outputs whose source is gone. ``force`` rebuilds everything.
  The manifest is rewritten atomically every few seconds and at the end, and every output
  is written atomically, so a run killed at any moment leaves only complete files and the
  next run finishes the job.
- Never stops for one document: failures (bad input, render errors, time-outs, crashed
  workers) are recorded and the run goes on; ``BatchResult.failed`` says how many, and
  ``BatchResult.flagged`` how many were converted with an error-level finding.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from . import __version__
from .config import Settings, load_settings
from .errors import ConvertError
from .executors.local import Pool, run_local
from .files import atomic_output, file_sha256
from .jobs import Job, JobResult
from .theme import load_theme

ARTICLE_SUFFIXES = (".md", ".markdown")
MANIFEST = "manifest.json"
LOCK = ".pressroom.lock"
_FLUSH_SECONDS = 2.0


class BatchLocked(ConvertError):
    code = "batch.locked"


def settings_digest(settings: Settings) -> str:
    """Changes when anything that shapes the outputs changes: the settings that do
    (``Settings.outputs_key``), the theme's files, the tool's version."""
    theme = load_theme(settings.theme)
    h = hashlib.sha256()
    h.update(json.dumps([settings.outputs_key(), __version__], sort_keys=True).encode())
    for folder in theme.dirs:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            h.update(str(path.relative_to(folder)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


@dataclass(slots=True)
class BatchResult:
    converted: int = 0
    skipped: int = 0
    failed: int = 0
    flagged: int = 0  # converted, with an error-level finding
    removed: int = 0
    seconds: float = 0.0
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.converted + self.skipped + self.failed

    def summary(self) -> str:
        errors = f" ({self.flagged} with errors)" if self.flagged else ""
        return (
            f"{self.total} documents: {self.converted} converted{errors}, "
            f"{self.skipped} unchanged, {self.failed} failed, {self.removed} removed "
            f"({self.seconds:.1f} s)"
        )


def discover(src: Path, out: Path) -> list[Path]:
    """Articles under ``src``, sorted, skipping hidden folders, ``out`` itself and files
    whose real path is outside ``src`` (folder symlinks are not followed by ``os.walk``)."""
    out, real = out.resolve(), src.resolve()
    found: list[Path] = []
    for folder, dirs, files in os.walk(src):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (here / d).resolve() != out)
        for name in sorted(files):
            path = here / name
            # A symlink out of the tree ("notes.md -> /etc/passwd") is not an article of it:
            # converting it would publish whatever it points at.
            if name.endswith(ARTICLE_SUFFIXES) and path.resolve().is_relative_to(real):
                found.append(path)
    return found


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the run lock on ``out`` (see the module docstring)."""
    out.mkdir(parents=True, exist_ok=True)
    handle = (out / LOCK).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise BatchLocked(
            f"another batch run ({holder}) is writing this folder; try again when it ends",
            path=out,
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def load_manifest(out: Path) -> dict[str, Any]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return {"documents": {}}
    if not isinstance(data, dict) or not isinstance(data.get("documents"), dict):
        return {"documents": {}}
    return data


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    data = {**manifest, "documents": dict(sorted(manifest["documents"].items()))}
    with atomic_output(out / MANIFEST) as tmp:
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", "utf-8")


def _sweep_partials(out: Path) -> None:
    """Remove temporary files a killed run left behind (we hold the lock: nobody else
    is writing here)."""
    for partial in out.rglob(".*.part"):
        with contextlib.suppress(OSError):
            partial.unlink()


def _up_to_date(entry: dict[str, Any] | None, source_hash: str, digest: str, out: Path) -> bool:
    if not entry or entry.get("status") != "ok":
        return False
    if entry.get("source_sha256") != source_hash or entry.get("settings_sha256") != digest:
        return False
    if entry.get("version") != __version__:
        return False
    for output in entry.get("outputs", {}).values():
        try:
            if (out / output["path"]).stat().st_size != output["size"]:
                return False
        except (OSError, KeyError, TypeError):
            return False
    return bool(entry.get("outputs"))


def _remove_outputs(entry: dict[str, Any], out: Path) -> None:
    for output in entry.get("outputs", {}).values():
        path = (out / str(output.get("path", ""))).resolve()
        if path.is_relative_to(out.resolve()) and path.is_file():
            path.unlink()


Runner = Callable[[Iterable[Job], Pool], Iterator[JobResult]]


def run_batch(
    src: Path,
    out: Path,
    settings: Settings,
    *,
    pool: Pool | None = None,
    force: bool = False,
    runner: Runner = run_local,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> BatchResult:
    """Convert every article under ``src`` into ``out`` (see the module docstring)."""
    started = time.perf_counter()
    src, out = src.resolve(), out.resolve()
    pool = pool or Pool()
    settings = replace(settings, root=src)
    result = BatchResult()
    with locked(out):
        _sweep_partials(out)
        manifest = load_manifest(out)
        documents: dict[str, Any] = manifest["documents"]
        digest = settings_digest(settings)
        sources = discover(src, out)
        current = {path.relative_to(src).as_posix(): path for path in sources}

        for rel in sorted(set(documents) - set(current)):
            _remove_outputs(documents.pop(rel), out)
            result.removed += 1

        jobs: list[Job] = []
        hashes: dict[str, str] = {}
        for rel, path in current.items():
            hashes[rel] = file_sha256(path)
            if not force and _up_to_date(documents.get(rel), hashes[rel], digest, out):
                result.skipped += 1
                result.documents[rel] = {**documents[rel], "status": "unchanged"}
                continue
            jobs.append(Job(str(path), rel, str((out / rel).parent), settings))

        manifest.update(
            tool="pressroom",
            version=__version__,
            settings_sha256=digest,
            settings=settings.outputs_key(),
        )
        if jobs and runner is run_local and pool.jobs > 0 and "pdf" in settings.formats:
            # Warm this process before the workers fork from it (see pdf.warm_up).
            from .writers.pdf import warm_up

            warm_up(load_theme(settings.theme).stylesheets("pdf"))
        last_flush = time.monotonic()
        for done in runner(jobs, pool):
            rel = done.rel
            entry = _entry(done, hashes.get(rel, ""), digest, out)
            if done.status == "ok":
                result.converted += 1
                result.flagged += done.flagged
            else:
                result.failed += 1
                _remove_outputs(documents.get(rel, {}), out)  # never leave stale output
            documents[rel] = entry
            result.documents[rel] = entry
            if progress:
                progress(entry)
            if time.monotonic() - last_flush > _FLUSH_SECONDS:
                write_manifest(out, manifest)
                last_flush = time.monotonic()
        write_manifest(out, manifest)
    result.seconds = time.perf_counter() - started
    result.documents = dict(sorted(result.documents.items()))
    return result


def _entry(done: JobResult, source_hash: str, digest: str, out: Path) -> dict[str, Any]:
    """The manifest's record of one document (paths relative to ``out``)."""
    record = done.to_dict()
    for output in record["outputs"].values():
        output["path"] = Path(output["path"]).resolve().relative_to(out).as_posix()
    return {
        "status": done.status,
        "source_sha256": done.source_sha256 or source_hash,
        "settings_sha256": digest,
        "version": __version__,
        "outputs": record["outputs"],
        "diagnostics": record["diagnostics"],
        "error": record["error"],
        "flagged": done.flagged,
        "seconds": done.seconds,
    }


def scheduled(src: str, out: str, **options: Any) -> dict[str, Any]:
    """A whole batch as one call, for schedulers that call functions (Celery beat, through
    ``pressroom worker``): the configuration file found from ``src`` upwards, then
    ``options`` (any ``Settings`` field, as JSON: ``formats``, ``theme``, ``profile``,
    ``strict``, …). The documents run one after another in this process: a Celery
    worker's child may not start processes of its own."""
    base = load_settings(Path(src))
    settings = Settings.from_dict({**base.to_dict(), **options})
    result = run_batch(Path(src), Path(out), settings, pool=Pool(jobs=0))
    return {"summary": result.summary(), "failed": result.failed, "flagged": result.flagged}


def report_json(result: BatchResult) -> str:
    """The ``--report`` file: totals and every document's status, diagnostics, timing."""
    return json.dumps(
        {
            "totals": {
                "documents": result.total,
                "converted": result.converted,
                "unchanged": result.skipped,
                "failed": result.failed,
                "removed": result.removed,
                "seconds": round(result.seconds, 3),
            },
            "documents": result.documents,
        },
        indent=1,
        ensure_ascii=False,
    )


def report_junit(result: BatchResult) -> str:
    """A JUnit XML report: one test case per document, failures as failures."""
    cases = []
    for rel, entry in result.documents.items():
        body = ""
        if entry.get("status") == "failed":
            error = entry.get("error") or {}
            body = (
                f"<failure type={quoteattr(str(error.get('code', 'failed')))} "
                f"message={quoteattr(str(error.get('message', ''))[:300])}/>"
            )
        notes = "\n".join(
            f"{d.get('line') or '-'}: {d.get('severity')}: {d.get('message')} [{d.get('code')}]"
            for d in entry.get("diagnostics", [])
        )
        if notes:
            body += f"<system-out>{escape(notes)}</system-out>"
        cases.append(
            f'<testcase classname="pressroom" name={quoteattr(rel)} '
            f'time="{entry.get("seconds", 0)}">{body}</testcase>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<testsuite name="pressroom batch" tests="{result.total}" '
        f'failures="{result.failed}" time="{result.seconds:.3f}">\n'
        + "\n".join(cases)
        + "\n</testsuite>\n"
    )


def write_archive(out: Path, archive: Path, extra: list[Path]) -> None:
    """Pack the bundle (outputs, manifest, report) into one zip, atomically."""
    manifest = load_manifest(out)
    members = [out / MANIFEST]
    for entry in manifest["documents"].values():
        members += [out / o["path"] for o in entry.get("outputs", {}).values()]
    members += [p for p in extra if p.is_file()]
    with atomic_output(archive) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(set(members)):
            if path.is_file():
                name = path.relative_to(out) if path.is_relative_to(out) else path.name
                z.write(path, str(name))

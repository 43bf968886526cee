"""Celery executor: one task per document, run by workers on any number of machines.

The only module that imports Celery (optional extra: ``pip install pressroom[celery]``).
The broker and result backend come from ``PRESSROOM_BROKER_URL`` and
``PRESSROOM_RESULT_BACKEND`` (default: Redis on loopback). Jobs and results are JSON, so
workers only need the same Pressroom version and the same shared folder paths for
sources and outputs. ``pressroom worker`` starts a worker with the settings a batch
needs: prefork pool, a hard time limit per document, ``max_tasks_per_child`` and
``max_memory_per_child`` (WeasyPrint grows in long-lived processes), late acks so a
document held by a worker that dies goes back to the queue.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import ConvertError
from ..jobs import Job, run_job
from .local import Limits

try:
    from celery import Celery
    from celery.exceptions import TimeLimitExceeded, WorkerLostError
except ImportError:  # the optional extra is not installed
    Celery = None  # type: ignore[assignment,misc]

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


def _app() -> Any:
    if Celery is None:
        raise ConvertError(
            "the Celery executor needs the optional extra: pip install 'pressroom[celery]'",
            code="batch.celery-missing",
        )
    broker = os.environ.get("PRESSROOM_BROKER_URL", DEFAULT_BROKER)
    app = Celery(
        "pressroom", broker=broker, backend=os.environ.get("PRESSROOM_RESULT_BACKEND", broker)
    )
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        result_expires=24 * 3600,
        worker_hijack_root_logger=False,
    )
    app.task(name="pressroom.convert")(_convert)
    app.task(name="pressroom.batch")(_batch)
    return app


def _convert(job: dict[str, Any]) -> dict[str, Any]:
    return run_job(Job.from_dict(job))


def _batch(
    src: str,
    out: str,
    formats: list[str] | None = None,
    theme: str = "base",
    profile: str = "screen",
) -> dict[str, Any]:
    """A whole batch as one task, for Celery beat schedules (see the README). It runs the
    documents one after another inside this worker process (a prefork child may not start
    processes of its own); for large trees schedule ``pressroom batch --executor celery``
    with cron or a systemd timer instead, which spreads documents over all workers."""
    from ..batch import Settings, run_batch

    settings = Settings(tuple(formats or ("pdf", "epub")), theme, profile)
    result = run_batch(Path(src), Path(out), settings, limits=Limits(jobs=1, timeout=0))
    return {"summary": result.summary(), "failed": result.failed}


app = _app() if Celery is not None else None


def _failure(job: Job, code: str, why: str) -> dict[str, Any]:
    return {
        "rel": job.rel,
        "status": "failed",
        "outputs": {},
        "diagnostics": [],
        "error": {"code": code, "message": f"{job.source}: error: {why} [{code}]"},
        "seconds": 0.0,
    }


def run_celery(jobs: Iterable[Job], limits: Limits) -> Iterator[dict[str, Any]]:
    """Send every job to the workers; yield results as they come back."""
    celery_app = app or _app()
    try:
        celery_app.connection_for_write().ensure_connection(max_retries=2)
    except Exception as exc:
        raise ConvertError(
            f"cannot reach the Celery broker {celery_app.conf.broker_url}: {exc}",
            code="batch.broker",
        ) from None
    task = celery_app.tasks["pressroom.convert"]
    pending = {}
    for job in jobs:
        result = task.apply_async(args=[job.to_dict()], time_limit=limits.timeout or None)
        pending[result.id] = (result, job)
    # Generous overall bound: every document at its time limit, spread over the workers.
    deadline = time.monotonic() + max(60.0, (limits.timeout or 300.0) * max(1, len(pending)))
    while pending:
        for ident, (result, job) in list(pending.items()):
            if not result.ready():
                continue
            del pending[ident]
            if result.successful():
                yield result.get()
                continue
            error = result.result
            if isinstance(error, TimeLimitExceeded):
                yield _failure(job, "batch.timeout", f"over the {limits.timeout:g} s time limit")
            elif isinstance(error, WorkerLostError):
                yield _failure(job, "batch.crash", "the worker died converting this file")
            else:
                yield _failure(job, "batch.crash", f"{type(error).__name__}: {error}")
            result.forget()
        if pending and time.monotonic() > deadline:
            for _, job in pending.values():
                yield _failure(job, "batch.timeout", "no worker finished it in time")
            return
        time.sleep(0.05)


def start_worker(
    *,
    concurrency: int,
    max_tasks_per_child: int,
    max_memory_mb: int,
    timeout: float,
    loglevel: str = "INFO",
) -> int:
    """Run a Celery worker in the foreground with the batch settings (``pressroom worker``)."""
    celery_app = app or _app()
    celery_app.worker_main(
        [
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            f"--max-tasks-per-child={max_tasks_per_child}",
            f"--max-memory-per-child={max_memory_mb * 1024}",
            f"--time-limit={int(timeout)}",
            f"--loglevel={loglevel}",
            "--without-gossip",
            "--without-mingle",
        ]
    )
    return 0

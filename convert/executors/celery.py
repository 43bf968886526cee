"""Celery executor: one task per document, run by workers on any number of machines.

The only module that imports Celery (optional extra: ``pip install pressroom[celery]``).
The broker and result backend come from ``PRESSROOM_BROKER_URL`` and
``PRESSROOM_RESULT_BACKEND`` (default: Redis on loopback). Jobs and results are JSON, so
workers only need the same Pressroom version and the same shared folder paths for
sources and outputs; every job carries the run's settings (its configuration file and
flags included), and each document runs under its own limits inside the task, through
the same error policy as everywhere (``runner``). ``pressroom worker`` starts a worker
with what a batch needs: prefork pool, ``max_tasks_per_child`` and
``max_memory_per_child`` (WeasyPrint grows in long-lived processes), late acks so a
document held by a worker that dies goes back to the queue, and a hard time limit as a
backstop. Other tasks (a whole scheduled export) are registered by the command that
starts the worker (``register``), so this module imports nothing above the jobs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..errors import ConvertError
from ..jobs import Job, JobResult, run_job
from .local import GRACE, Pool

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
    return app


def _convert(job: dict[str, Any]) -> dict[str, Any]:
    return run_job(Job.from_dict(job)).to_dict()


def register(name: str, task: Callable[..., Any]) -> None:
    """Make ``task`` a Celery task called ``name`` on this app (before a worker starts)."""
    (app or _app()).task(name=name)(task)


app = _app() if Celery is not None else None


def run_celery(jobs: Iterable[Job], pool: Pool) -> Iterator[JobResult]:
    """Send every job to the workers; yield results as they come back. (``pool`` sizes
    local workers; the Celery workers are sized where they run.)"""
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
    budget = 0.0
    for job in jobs:
        # The task holds itself to the document's limit; Celery's hard limit is a backstop.
        timeout = job.settings.limits.timeout
        hard = timeout + GRACE if timeout > 0 else None
        result = task.apply_async(args=[job.to_dict()], time_limit=hard)
        pending[result.id] = (result, job)
        budget += hard or 600.0
    # Generous overall bound: every document at its time limit, one after another.
    deadline = time.monotonic() + max(60.0, budget)
    while pending:
        for ident, (result, job) in list(pending.items()):
            if not result.ready():
                continue
            del pending[ident]
            if result.successful():
                yield JobResult.from_dict(result.get())
                continue
            error = result.result
            limit = job.settings.limits.timeout
            if isinstance(error, TimeLimitExceeded):
                why = f"over the {limit:g} s time limit (--timeout)"
                yield JobResult.failure(job, "convert.timeout", why)
            elif isinstance(error, WorkerLostError):
                why = "internal error: the worker died converting it"
                yield JobResult.failure(job, "convert.crash", why)
            else:
                why = f"internal error: {type(error).__name__}: {error}"
                yield JobResult.failure(job, "convert.crash", why)
            result.forget()
        if pending and time.monotonic() > deadline:
            for _, job in pending.values():
                yield JobResult.failure(job, "convert.timeout", "no worker finished it in time")
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
    """Run a Celery worker in the foreground with the batch settings (``pressroom worker``).
    ``max_memory_mb`` is the documents' memory ceiling: a child whose resident memory
    passes half of it is replaced after its document; ``timeout`` (plus ``GRACE``) is the
    hard limit for tasks sent without one."""
    celery_app = app or _app()
    celery_app.worker_main(
        [
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            f"--max-tasks-per-child={max_tasks_per_child}",
            f"--max-memory-per-child={max_memory_mb * 1024 // 2}",
            f"--time-limit={int(timeout + GRACE)}",
            f"--loglevel={loglevel}",
            "--without-gossip",
            "--without-mingle",
        ]
    )
    return 0

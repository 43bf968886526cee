"""Local executor: worker processes on this machine, supervised one document at a time.

Why not ``ProcessPoolExecutor``: a worker that crashes (a segfault in a C library) breaks
its whole pool, and a document stuck in layout cannot be cancelled. Here each worker gets
one job at a time over a pipe, so the supervisor always knows which document a worker
holds: a worker past the time limit is killed and its document recorded as timed out; a
worker that dies is replaced and its document recorded as crashed; the rest go on.

Each document runs under its settings' limits inside the worker (``runner``: the alarm
and the memory ceiling, the same error policy as ``pressroom convert``); the supervisor
kills a worker only when the alarm could not stop the document (code that never returns
to Python), ``GRACE`` seconds past its time limit.

Workers are forked after the parent imported the pipeline, so WeasyPrint, fonts and the
theme are loaded once and shared; each worker keeps its own caches warm across documents
and retires after ``max_tasks`` documents, or when its resident memory passes half the
documents' memory ceiling (WeasyPrint grows in long-lived processes).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import resource
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from ..jobs import Job, JobResult, run_job

GRACE = 10.0  # seconds past a document's time limit before its worker is killed


@dataclass(frozen=True, slots=True)
class Pool:
    """How many workers, and how long each lives."""

    jobs: int = os.cpu_count() or 1
    max_tasks: int = 200  # documents per worker before it is replaced


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker(conn: Connection, pool: Pool) -> None:
    done = 0
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        result = run_job(job)
        done += 1
        ceiling = job.settings.limits.max_memory_mb or 4096
        retire = done >= pool.max_tasks or _rss_mb() > ceiling / 2
        conn.send((result, retire))
        if retire:
            return


class _Slot:
    """One worker process and the job it holds."""

    def __init__(self, ctx: Any, pool: Pool) -> None:
        parent, child = ctx.Pipe()
        self.conn = parent
        self.process = ctx.Process(target=_worker, args=(child, pool), daemon=True)
        self.process.start()
        child.close()
        self.job: Job | None = None
        self.deadline = 0.0  # monotonic; 0: none

    def give(self, job: Job) -> None:
        timeout = job.settings.limits.timeout
        self.job = job
        self.deadline = time.monotonic() + timeout + GRACE if timeout > 0 else 0.0
        self.conn.send(job)

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


def run_local(jobs: Iterable[Job], pool: Pool) -> Iterator[JobResult]:
    """Yield one result per job, in completion order. ``pool.jobs`` 0 runs them in this
    process, one after another (for a host that may not start processes, such as a
    Celery worker's child): the alarm still holds each to its time, but a crash in a C
    library takes the host down with it."""
    queue = deque(jobs)
    if not queue:
        return
    if pool.jobs <= 0:
        for job in queue:
            yield run_job(job)
        return
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    slots: list[_Slot] = []
    try:
        slots = [_Slot(ctx, pool) for _ in range(min(pool.jobs, len(queue)))]
        for slot in slots:
            if queue:
                slot.give(queue.popleft())
        while any(slot.job is not None for slot in slots):
            busy = {slot.conn: slot for slot in slots if slot.job is not None}
            ready = wait(list(busy), timeout=_next_deadline(slots))
            for conn in ready:
                yield from _collect(busy[conn], slots, queue, ctx, pool)
            yield from _expire(slots, queue, ctx, pool)
    finally:
        for slot in slots:
            if slot.process.is_alive() and slot.job is None:
                with contextlib.suppress(BrokenPipeError, OSError):
                    slot.conn.send(None)
            slot.stop()


def _next_deadline(slots: list[_Slot]) -> float | None:
    now = time.monotonic()
    left = [slot.deadline - now for slot in slots if slot.job is not None and slot.deadline]
    return max(0.05, min(left)) if left else None


def _replace(slot: _Slot, slots: list[_Slot], ctx: Any, pool: Pool) -> _Slot:
    slot.stop()
    fresh = _Slot(ctx, pool)
    slots[slots.index(slot)] = fresh
    return fresh


def _collect(
    slot: _Slot, slots: list[_Slot], queue: deque[Job], ctx: Any, pool: Pool
) -> Iterator[JobResult]:
    job = slot.job
    assert job is not None
    try:
        result, retire = slot.conn.recv()
    except (EOFError, OSError):
        # The worker died mid-document (a crash, the OOM killer): record it, replace it.
        # Its pipe closes a moment before the process is reaped: wait for its exit code.
        slot.process.join(timeout=5)
        code = slot.process.exitcode
        slot.job = None
        yield JobResult.failure(
            job, "convert.crash", f"internal error: the worker died (exit {code}) converting it"
        )
        slot = _replace(slot, slots, ctx, pool)
    else:
        slot.job = None
        yield result
        if retire:
            slot = _replace(slot, slots, ctx, pool)
    if queue:
        slot.give(queue.popleft())


def _expire(slots: list[_Slot], queue: deque[Job], ctx: Any, pool: Pool) -> Iterator[JobResult]:
    now = time.monotonic()
    for slot in list(slots):
        if slot.job is not None and slot.deadline and now > slot.deadline:
            job = slot.job
            slot.job = None
            limit = job.settings.limits.timeout
            yield JobResult.failure(
                job, "convert.timeout", f"over the {limit:g} s time limit (--timeout)"
            )
            fresh = _replace(slot, slots, ctx, pool)
            if queue:
                fresh.give(queue.popleft())


Executor = Callable[[Iterable[Job], Pool], Iterator[JobResult]]

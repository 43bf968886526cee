"""Local executor: worker processes on this machine, supervised one document at a time.

Why not ``ProcessPoolExecutor``: a worker that crashes (a segfault in a C library) breaks
its whole pool, and a document stuck in layout cannot be cancelled. Here each worker gets
one job at a time over a pipe, so the supervisor always knows which document a worker
holds: a worker past the time limit is killed and its document recorded as timed out; a
worker that dies is replaced and its document recorded as crashed; the rest go on.

Workers are forked after the parent imported the pipeline, so WeasyPrint, fonts and the
theme are loaded once and shared; each worker keeps its own caches warm across documents
and retires after ``max_tasks`` documents or when its memory passes ``max_memory_mb``
(WeasyPrint grows in long-lived processes).
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

from ..jobs import Job, run_job


@dataclass(frozen=True, slots=True)
class Limits:
    jobs: int = os.cpu_count() or 1
    timeout: float = 300.0  # seconds per document
    max_tasks: int = 200  # documents per worker before it is replaced
    max_memory_mb: int = 2048  # a worker over this after a document retires


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker(conn: Connection, limits: Limits) -> None:
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
        retire = done >= limits.max_tasks or _rss_mb() > limits.max_memory_mb
        conn.send((result, retire))
        if retire:
            return


class _Slot:
    """One worker process and the job it holds."""

    def __init__(self, ctx: Any, limits: Limits) -> None:
        parent, child = ctx.Pipe()
        self.conn = parent
        self.process = ctx.Process(target=_worker, args=(child, limits), daemon=True)
        self.process.start()
        child.close()
        self.job: Job | None = None
        self.started = 0.0

    def give(self, job: Job) -> None:
        self.job, self.started = job, time.monotonic()
        self.conn.send(job)

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


def _failure(job: Job, code: str, why: str) -> dict[str, Any]:
    return {
        "rel": job.rel,
        "status": "failed",
        "outputs": {},
        "error": {"code": code, "message": f"{job.source}: error: {why} [{code}]"},
        "diagnostics": [],
        "seconds": 0.0,
    }


def run_local(jobs: Iterable[Job], limits: Limits) -> Iterator[dict[str, Any]]:
    """Yield one result per job, in completion order."""
    queue = deque(jobs)
    if not queue:
        return
    if limits.jobs <= 1 and limits.timeout <= 0:
        for job in queue:  # no isolation asked for: the simplest path
            yield run_job(job)
        return
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    slots: list[_Slot] = []
    try:
        slots = [_Slot(ctx, limits) for _ in range(min(limits.jobs, len(queue)))]
        for slot in slots:
            if queue:
                slot.give(queue.popleft())
        while any(slot.job is not None for slot in slots):
            busy = {slot.conn: slot for slot in slots if slot.job is not None}
            ready = wait(list(busy), timeout=_next_deadline(slots, limits))
            for conn in ready:
                yield from _collect(busy[conn], slots, queue, ctx, limits)
            yield from _expire(slots, queue, ctx, limits)
    finally:
        for slot in slots:
            if slot.process.is_alive() and slot.job is None:
                with contextlib.suppress(BrokenPipeError, OSError):
                    slot.conn.send(None)
            slot.stop()


def _next_deadline(slots: list[_Slot], limits: Limits) -> float | None:
    if limits.timeout <= 0:
        return None
    now = time.monotonic()
    left = [slot.started + limits.timeout - now for slot in slots if slot.job is not None]
    return max(0.05, min(left)) if left else None


def _replace(slot: _Slot, slots: list[_Slot], ctx: Any, limits: Limits) -> _Slot:
    slot.stop()
    fresh = _Slot(ctx, limits)
    slots[slots.index(slot)] = fresh
    return fresh


def _collect(
    slot: _Slot, slots: list[_Slot], queue: deque[Job], ctx: Any, limits: Limits
) -> Iterator[dict[str, Any]]:
    job = slot.job
    assert job is not None
    try:
        result, retire = slot.conn.recv()
    except (EOFError, OSError):
        # The worker died mid-document (a crash, the OOM killer): record it, replace it.
        code = slot.process.exitcode
        slot.job = None
        yield _failure(job, "batch.crash", f"worker died (exit {code}) converting this file")
        slot = _replace(slot, slots, ctx, limits)
    else:
        slot.job = None
        yield result
        if retire:
            slot = _replace(slot, slots, ctx, limits)
    if queue:
        slot.give(queue.popleft())


def _expire(
    slots: list[_Slot], queue: deque[Job], ctx: Any, limits: Limits
) -> Iterator[dict[str, Any]]:
    if limits.timeout <= 0:
        return
    now = time.monotonic()
    for slot in list(slots):
        if slot.job is not None and now - slot.started > limits.timeout:
            job = slot.job
            slot.job = None
            yield _failure(job, "batch.timeout", f"over the {limits.timeout:g} s time limit")
            fresh = _replace(slot, slots, ctx, limits)
            if queue:
                fresh.give(queue.popleft())


Executor = Callable[[Iterable[Job], Limits], Iterator[dict[str, Any]]]

"""One document under the run's limits and the one error policy.

``run_document(path, work, settings)`` is how ``convert``, ``book``, ``batch`` and a Celery
worker run a document (a book is one document). It never raises for a problem of the
document; it returns an ``Outcome``:

- ``work`` returned: the outputs it wrote, and every diagnostic in ``report`` (with the
  configured severities already applied);
- ``work`` raised ``ConvertError``: that error (its code; its path defaults to ``path``),
  and no outputs — the writers remove what they wrote;
- over ``settings.limits.timeout`` seconds of wall time: ``convert.timeout``; an allocation
  past ``settings.limits.max_memory_mb`` of address space: ``convert.memory``; nesting past
  Python's stack: ``convert.too-deep``;
- any other exception is a bug of ours or of a library: ``convert.crash``, with the
  exception's type and message, so the rest of a batch goes on. ``PRESSROOM_DEBUG=1``
  lets it through with its traceback instead.

``KeyboardInterrupt`` and ``SystemExit`` go through: they stop the run, not the document.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .diagnostics import Report, Severity
from .errors import ConvertError

# Below this, Pango and GLib cannot even start their threads and abort the process.
MIN_MEMORY_MB = 512


@dataclass(slots=True)
class Outcome:
    """What became of one document."""

    path: Path
    report: Report
    outputs: Mapping[str, Path] = field(default_factory=dict)
    error: ConvertError | None = None
    seconds: float = 0.0

    def failed(self, strict: bool = False) -> bool:
        """Not converted, or converted with an error-level finding (or, under ``strict``,
        a warning): exit status 1, the same in every command."""
        if self.error is not None:
            return True
        worst = self.report.worst()
        threshold = Severity.WARNING if strict else Severity.ERROR
        return worst is not None and worst >= threshold


def run_document(
    path: Path, work: Callable[[Report], Mapping[str, Path]], settings: Settings
) -> Outcome:
    """Run ``work`` for the document at ``path`` (see the module docstring)."""
    started = time.perf_counter()
    report = Report(settings.severity)
    outcome = Outcome(path, report)
    limits = settings.limits
    try:
        with memory_ceiling(limits.max_memory_mb), time_limit(limits.timeout):
            outcome.outputs = dict(work(report))
    except ConvertError as exc:
        if exc.path is None:
            exc.path = path
        outcome.error = exc
    except _OverTime:
        outcome.error = ConvertError(
            f"over the {limits.timeout:g} s time limit (--timeout)",
            path=path,
            code="convert.timeout",
        )
    except MemoryError:
        outcome.error = ConvertError(
            "over the memory ceiling (--max-memory)", path=path, code="convert.memory"
        )
    except RecursionError:
        # Nesting no stage caught in time: this document fails, the others go on.
        outcome.error = ConvertError("nested too deeply", path=path, code="convert.too-deep")
    except Exception as exc:
        if os.environ.get("PRESSROOM_DEBUG"):
            raise
        outcome.error = crash(path, f"{type(exc).__name__}: {exc}")
    outcome.seconds = time.perf_counter() - started
    return outcome


def crash(path: Path | str, why: str) -> ConvertError:
    """The error of a document whose conversion broke (a bug, a library failure, a worker
    that died), cut to one readable line."""
    why = " ".join(why.split())
    if len(why) > 300:
        why = why[:299] + "…"
    return ConvertError(f"internal error: {why}", path=Path(path), code="convert.crash")


class _OverTime(BaseException):
    """Raised by the alarm inside a document; a BaseException so that no library's
    ``except Exception`` turns it into its own error on the way out."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ``_OverTime`` in this thread after ``seconds`` of wall time. Uses SIGALRM,
    so only in the main thread (elsewhere, e.g. an embedding host, no limit); a process
    supervisor (``executors.local``) is the backstop for code that never returns to
    Python."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _OverTime

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def memory_ceiling(megabytes: int) -> Iterator[None]:
    """Cap this process's address space while a document converts: an allocation past it
    is a ``MemoryError`` instead of the machine swapping. The previous limit comes back
    afterwards, so a caller that runs documents in its own process (tests, an embedding
    program) and its later children keep theirs."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    lowered = megabytes > 0 and (soft == resource.RLIM_INFINITY or limit < soft)
    if lowered:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        except (ValueError, OSError):
            lowered = False
    try:
        yield
    finally:
        if lowered:
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_AS, (soft, hard))

"""Files: written whole or not at all, and their fingerprints. No stage in here: every stage
and command that writes a file (the writers, the batch manifest and reports, the book's
chapter cache, remote images) uses these.

``atomic_output`` writes through a temporary file in the target folder, renamed over the
final path only when complete: a crash, Ctrl-C or a full disk leaves either the old file
or the new one, never half of one. The temporary name is ``.{name}.{pid}.{random}.part``;
a ``kill -9`` can leave one behind, and the next write of the same output removes those
whose process is gone (``sweep_stale``), never a concurrent writer's file.

``user_cache`` is where Pressroom keeps what it prepares once per machine to start fast
(the language model, compiled templates, message catalogs, date formats);
``installed_version`` names what a cache was made from without importing it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import WriteError

_PID = re.compile(r"\.(\d+)\.[^.]+\.part")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def sweep_stale(out: Path) -> int:
    """Remove temporary files of ``out`` left by writers that no longer run; how many."""
    removed = 0
    prefix = f".{out.name}."
    try:
        entries = list(os.scandir(out.parent))
    except OSError:
        return 0
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(".part")):
            continue
        match = _PID.fullmatch(entry.name[len(prefix) - 1 :])
        if match and (int(match[1]) == os.getpid() or _alive(int(match[1]))):
            continue  # a write in progress (this process's or another running one's)
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed += 1
    return removed


@contextlib.contextmanager
def all_or_nothing() -> Iterator[dict[str, Path]]:
    """Collect the files one document writes (format → path); if anything fails before
    the block ends, remove them all: a document gets all its outputs or none."""
    written: dict[str, Path] = {}
    try:
        yield written
    except BaseException:
        for path in written.values():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        raise


@contextlib.contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``out``; on success rename it to ``out``."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale(out)
        fd, name = tempfile.mkstemp(
            prefix=f".{out.name}.{os.getpid()}.", suffix=".part", dir=out.parent
        )
        os.close(fd)
    except OSError as exc:
        raise WriteError(
            f"cannot write to {out.parent}: {exc.strerror or exc}", path=out, code="write.folder"
        ) from None
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except OSError as exc:
        raise WriteError(
            f"writing failed: {exc.strerror or exc}", path=out, code="write.failed"
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in chunks (a big PDF is not held in memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def user_cache(*parts: str) -> Path:
    """Pressroom's folder in the user's cache, ``$XDG_CACHE_HOME/pressroom`` (else
    ``~/.cache/pressroom``), joined with ``parts``; not created."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base, "pressroom", *parts)


_VERSION = re.compile(r"^__version__\s*=\s*['\"]([\w.+-]+)['\"]", re.MULTILINE)


@functools.lru_cache(maxsize=32)
def installed_version(package: str) -> str | None:
    """The ``__version__`` that package ``package``'s ``__init__.py`` declares, read
    without importing the package (its import is what a cache saves) and without
    ``importlib.metadata`` (whose own import costs tens of milliseconds); ``None`` when the
    package is not installed or declares no version there."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None or not spec.origin.endswith("__init__.py"):
        return None
    try:
        found = _VERSION.search(Path(spec.origin).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    return found[1] if found else None


def read_cache(path: Path) -> Any:
    """A JSON cache file's content, or ``None`` when it is missing or damaged (the caller
    then prepares again what it would have read)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_cache(path: Path, data: str | bytes) -> bool:
    """Write a cache file whole (``atomic_output``) or not at all; whether it was written.
    A cache that cannot be written (read-only home, full disk) is not an error: the next
    process prepares again what it would have read."""
    try:
        with atomic_output(path) as tmp:
            if isinstance(data, bytes):
                tmp.write_bytes(data)
            else:
                tmp.write_text(data, encoding="utf-8")
    except WriteError:
        return False
    return True

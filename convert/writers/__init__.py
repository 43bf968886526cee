"""Stage 5, write: rendered documents → files. Each format has its own module.

Every writer writes through ``atomic_output``: a temporary file in the target folder,
renamed over the final path only when complete. A crash, Ctrl-C or a full disk leaves
either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import WriteError


@contextlib.contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``out``; on success rename it to ``out``."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
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

"""Confinement of file references: what a document may read from disk.

Used by the loader (cover images), the renderer (images in the body) and the PDF writer's
URL fetcher: one rule for all, so the EPUB can never pack a file the PDF would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def is_remote(ref: str) -> bool:
    return bool(_SCHEME.match(ref)) or ref.startswith("//")


def within(path: Path, roots: Iterable[Path]) -> bool:
    """Is the real ``path`` (symlinks followed) inside one of ``roots``?"""
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        return False
    return any(real.is_relative_to(root.resolve()) for root in roots)


def resolve_local(ref: str, *, path: Path, root: Path) -> Path | None:
    """The file named by ``ref`` in the article at ``path``, if it exists under ``root``.

    ``/x`` is relative to the content root (and its ``public/`` and ``static/`` folders,
    where static-site generators keep site-root files); anything else is relative to the
    article's folder. URLs with a scheme and paths that escape the root give ``None``.
    """
    if is_remote(ref):
        return None
    ref = ref.split("#", 1)[0].split("?", 1)[0]
    if not ref:
        return None
    if ref.startswith("/"):
        rel = ref.lstrip("/")
        candidates = [root / rel, root / "public" / rel, root / "static" / rel]
    else:
        candidates = [path.parent / ref]
    for candidate in candidates:
        try:
            real = candidate.resolve()
        except (OSError, RuntimeError):
            continue
        if real.is_file() and real.is_relative_to(root.resolve()):
            return real
    return None

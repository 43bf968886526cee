"""Remote images from hosts the user allowed: downloaded once into a cache, then local.

Nothing here runs unless the user names hosts (``--remote-images``): rendering is offline
by default. An allowed image is fetched over HTTPS or HTTP with a time limit and a size
limit, only when the server says it is an image, and kept in the cache folder under a
name derived from its URL, so the next build uses the file on disk and the network is not
touched again. From then on it is an ordinary local file: packed into the EPUB, embedded
in the PDF (the cache folder is one of the PDF renderer's allowed roots).
"""

from __future__ import annotations

import hashlib
import os
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from .files import atomic_output

MAX_BYTES = 20 * 1024 * 1024
TIMEOUT = 15.0
_SUFFIXES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/svg+xml": ".svg",
    "image/webp": ".webp",
}


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pressroom" / "images"


def host_allowed(url: str, hosts: tuple[str, ...]) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme in ("http", "https") and any(
        host == h or host.endswith("." + h) for h in hosts
    )


class RemoteImages:
    """Fetches and caches images from ``hosts``; ``fetch`` returns the local file or None."""

    def __init__(self, hosts: tuple[str, ...], cache: Path | None = None) -> None:
        self.hosts = tuple(h.lower().strip(".") for h in hosts if h)
        self.cache = (cache or default_cache()).resolve()
        self.failures: dict[str, str] = {}

    def fetch(self, url: str) -> Path | None:
        if not self.hosts or not host_allowed(url, self.hosts):
            return None
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
        for suffix in _SUFFIXES.values():
            cached = self.cache / f"{key}{suffix}"
            if cached.is_file():
                return cached
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "Pressroom"})
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                kind = response.headers.get_content_type()
                if kind not in _SUFFIXES:
                    self.failures[url] = f"not an image ({kind})"
                    return None
                data = response.read(MAX_BYTES + 1)
        except (OSError, ValueError) as exc:
            self.failures[url] = str(exc)[:120]
            return None
        if len(data) > MAX_BYTES:
            self.failures[url] = f"over {MAX_BYTES:,} bytes"
            return None
        target = self.cache / f"{key}{_SUFFIXES[kind]}"
        with atomic_output(target) as tmp:
            tmp.write_bytes(data)
        return target

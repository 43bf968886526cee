"""What a cold start of the command keeps between runs (``__main__.run`` installs it).

WeasyPrint finds Pango, HarfBuzz and fontconfig by trying several names for each library,
and cffi hands every name that fails to ``ctypes.util.find_library``, which on Linux runs
``ldconfig -p`` (and then gcc and ld) in a subprocess: 22 lookups, about 0.19 s, two
fifths of importing WeasyPrint and a fifth of a cold PDF run. ``remember_library_lookups``
keeps their answers in the user cache instead.

Contract: the answers are those ``find_library`` gave, reused only while what it reads is
unchanged: the dynamic linker's cache (``/etc/ld.so.cache``, rewritten whenever a library
is installed or removed) and the variables that add folders to its search. A damaged or
unwritable cache file costs only the lookups. Only on Linux, where the lookups spawn
processes.
"""

from __future__ import annotations

import ctypes.util
import json
import os
import sys
from collections.abc import Callable

from .files import read_cache, user_cache, write_cache

_LINKER_CACHE = "/etc/ld.so.cache"
_SEARCH_VARIABLES = ("LD_LIBRARY_PATH", "LIBRARY_PATH")


def _key() -> list[str]:
    """What ``find_library``'s answers depend on."""
    try:
        stat = os.stat(_LINKER_CACHE)
        linker = f"{stat.st_mtime_ns}:{stat.st_size}"
    except OSError:
        linker = ""
    return [linker, *(os.environ.get(name, "") for name in _SEARCH_VARIABLES)]


def remember_library_lookups() -> None:
    """Answer ``ctypes.util.find_library`` from the user cache where it can (see module)."""
    if sys.platform != "linux":
        return
    path = user_cache("libraries.json")
    key = _key()
    kept = read_cache(path)
    found: dict[str, str | None] = {}
    if isinstance(kept, dict) and kept.get("key") == key and isinstance(kept.get("found"), dict):
        found = kept["found"]
    look_up: Callable[[str], str | None] = ctypes.util.find_library

    def find_library(name: str) -> str | None:
        if name not in found:
            found[name] = look_up(name)
            write_cache(path, json.dumps({"key": key, "found": found}))
        return found[name]

    ctypes.util.find_library = find_library

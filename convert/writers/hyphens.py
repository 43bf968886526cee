"""WeasyPrint's hyphenation dictionaries, parsed once per machine instead of once per PDF.

WeasyPrint hyphenates (``hyphens: auto``, the themes' body text) with Pyphen, which parses
a language's patterns from text the first time a process needs them: 50 ms for English,
half a second for German or Hungarian, in every cold PDF run. ``preload`` puts the parsed
dictionaries of a document's languages into Pyphen's own per-process cache
(``pyphen.hdcache``, where ``Pyphen`` looks first) before WeasyPrint lays it out, read from
the user cache (``files.user_cache``: ``hyphens-PYPHEN_VERSION/``, a pickle per dictionary,
checked against the dictionary file's size and modification time) or parsed and kept there.
A language the document does not name in a ``lang`` attribute is parsed by Pyphen as
before; a cache that cannot be read or written changes nothing but the time.

The pickles are Pyphen's own objects, read back only from the user's cache folder (which
also holds compiled templates that are executed): whoever can write there can already run
code as the user.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import re
from collections.abc import Iterable
from pathlib import Path

import pyphen

from ..files import user_cache, write_cache

_LANG = re.compile(r"""\blang=["']([^"']+)["']""")


def languages(document: str) -> set[str]:
    """The languages a document names in its ``lang`` attributes."""
    return set(_LANG.findall(document))


def preload(langs: Iterable[str]) -> None:
    """Make Pyphen's dictionaries for ``langs`` ready in this process (see the module)."""
    for lang in langs:
        name = pyphen.language_fallback(lang)
        path = pyphen.LANGUAGES.get(name) if name else None
        if path is None or path in pyphen.hdcache:
            continue
        with contextlib.suppress(OSError):
            pyphen.hdcache[path] = _parsed(Path(str(path)))


def _parsed(path: Path) -> pyphen.HyphDict:
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    digest = hashlib.sha256(repr(key).encode("utf-8")).hexdigest()[:32]
    kept = user_cache(f"hyphens-{pyphen.__version__}", f"{path.stem}-{digest}.pickle")
    try:
        found = pickle.loads(kept.read_bytes())
        if isinstance(found, pyphen.HyphDict):
            return found
    except (OSError, EOFError, ValueError, TypeError, AttributeError, pickle.UnpicklingError):
        pass  # not kept yet, or damaged: parsed again below
    parsed = pyphen.HyphDict(path)
    write_cache(kept, pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL))
    return parsed

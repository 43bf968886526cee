"""atheris fuzzing of load → normalize → parse → tree (both targets), in-process.

Run (see fuzz_load.py for installing atheris):

    .venv/bin/python tests/fuzz/fuzz_normalize.py -max_total_time=300 -rss_limit_mb=2048 \\
        -timeout=20 corpus/

Seed ``corpus/`` with a few Markdown files (tests/hostile/cases/*.md are good seeds).
Findings: any exception other than ``ConvertError``, a sanitizer leak (an assertion
below), a time-out (``-timeout``: superlinear behaviour) or the RSS limit.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from convert.diagnostics import Report
    from convert.errors import ConvertError
    from convert.load import load
    from convert.normalize import normalize
    from convert.parse import parse
    from convert.tree import prepare

_DIR = Path(tempfile.mkdtemp(prefix="pressroom-fuzz-"))
_FILE = _DIR / "fuzz.md"
# Active markup only: inside a tag, or an element that must never be emitted. Text that
# merely reads "style=" (an attribute list Python-Markdown did not apply) is not markup.
_ACTIVE = re.compile(
    r"<(?:script|iframe|object|embed|form|meta|link)\b"
    r"|<[a-z][^>]*\s(?:on\w+|style)\s*="
    r"|<[a-z][^>]*\s(?:href|src)\s*=\s*[\"']?\s*javascript:",
    re.IGNORECASE,
)


def one(data: bytes) -> None:
    _FILE.write_bytes(data)
    report = Report()
    try:
        article = normalize(load(_FILE, report), report)
        parsed = parse(article)
        for target in ("pdf", "epub"):
            html = prepare(parsed.html, target=target, images=lambda s: None, emit=_ignore).html
            match = _ACTIVE.search(html)
            assert match is None, f"active markup {match[0]!r} survived"
    except ConvertError:
        pass


def _ignore(*args: object) -> None:
    return None


if __name__ == "__main__":
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()

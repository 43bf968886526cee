"""atheris fuzzing of the loader (decode, frontmatter split and parse, metadata mapping).

Run (atheris is not a dev dependency; it needs clang-built wheels for your Python):

    .venv/bin/pip install atheris
    .venv/bin/python tests/fuzz/fuzz_load.py -max_total_time=300 -rss_limit_mb=2048 corpus/

Anything but a ``ConvertError`` (a clean refusal) is a finding: atheris stops and writes
the input to ``crash-*``; rerun that one file with the same command to reproduce.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from convert.diagnostics import Report
    from convert.errors import ConvertError
    from convert.load import load

_DIR = Path(tempfile.mkdtemp(prefix="pressroom-fuzz-"))
_FILE = _DIR / "fuzz.md"


def one(data: bytes) -> None:
    _FILE.write_bytes(data)
    with contextlib.suppress(ConvertError):
        load(_FILE, Report())


if __name__ == "__main__":
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()

"""startup.remember_library_lookups: find_library answered from the user cache."""

from __future__ import annotations

import ctypes.util
import sys
from pathlib import Path

import pytest

from convert import startup

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="only Linux spawns lookups")


@pytest.fixture
def lookups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A fake find_library that records what it was asked, and a fresh user cache."""
    asked: list[str] = []

    def fake(name: str) -> str | None:
        asked.append(name)
        return f"lib{name}.so.1" if name.startswith("found") else None

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("LD_LIBRARY_PATH", raising=False)
    monkeypatch.setattr(ctypes.util, "find_library", fake)
    return asked


def _start(monkeypatch: pytest.MonkeyPatch, fake: object) -> None:
    """A new process: the real lookup in place, then the cache installed over it."""
    monkeypatch.setattr(ctypes.util, "find_library", fake)
    startup.remember_library_lookups()


def test_a_second_run_asks_nothing(lookups: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    fake = ctypes.util.find_library
    _start(monkeypatch, fake)
    assert ctypes.util.find_library("found-a") == "libfound-a.so.1"
    assert ctypes.util.find_library("missing") is None
    assert lookups == ["found-a", "missing"]
    _start(monkeypatch, fake)
    assert ctypes.util.find_library("found-a") == "libfound-a.so.1"
    assert ctypes.util.find_library("missing") is None
    assert lookups == ["found-a", "missing"]  # both from the cache


def test_a_changed_search_path_or_a_damaged_file_asks_again(
    lookups: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = ctypes.util.find_library
    _start(monkeypatch, fake)
    ctypes.util.find_library("found-a")
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/lib")
    _start(monkeypatch, fake)
    ctypes.util.find_library("found-a")
    assert lookups == ["found-a", "found-a"]
    (tmp_path / "pressroom" / "libraries.json").write_text("{not json")
    _start(monkeypatch, fake)
    ctypes.util.find_library("found-a")
    assert lookups == ["found-a"] * 3

"""Unit tests for convert/writers/__init__.py: ``atomic_output``."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from convert.errors import WriteError
from convert.files import atomic_output


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_success_renames(tmp_path: Path) -> None:
    out = tmp_path / "book.pdf"
    with atomic_output(out) as tmp:
        assert tmp.parent == tmp_path
        assert tmp != out
        assert tmp.name.startswith(".book.pdf.") and tmp.name.endswith(".part")
        tmp.write_bytes(b"%PDF-1.7 data")
        assert not out.exists()
    assert out.read_bytes() == b"%PDF-1.7 data"
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert _leftovers(tmp_path) == []


def test_creates_missing_folders(tmp_path: Path) -> None:
    out = tmp_path / "build" / "deep" / "a.epub"
    with atomic_output(out) as tmp:
        tmp.write_text("x")
    assert out.read_text() == "x"


def test_replaces_existing_file(tmp_path: Path) -> None:
    out = tmp_path / "a.html"
    out.write_text("old")
    with atomic_output(out) as tmp:
        tmp.write_text("new")
    assert out.read_text() == "new"
    assert _leftovers(tmp_path) == []


def test_exception_leaves_no_file_and_no_temp(tmp_path: Path) -> None:
    out = tmp_path / "a.pdf"
    with pytest.raises(RuntimeError, match="renderer crashed"), atomic_output(out) as tmp:
        tmp.write_bytes(b"half a PDF")
        raise RuntimeError("renderer crashed")
    assert not out.exists()
    assert _leftovers(tmp_path) == []
    assert list(tmp_path.iterdir()) == []


def test_exception_keeps_old_file(tmp_path: Path) -> None:
    out = tmp_path / "a.pdf"
    out.write_bytes(b"old complete PDF")
    with pytest.raises(KeyboardInterrupt), atomic_output(out) as tmp:
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt
    assert out.read_bytes() == b"old complete PDF"
    assert _leftovers(tmp_path) == []


def test_folder_under_a_regular_file_raises_write_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder")
    out = tmp_path / "afile" / "x.pdf"
    with pytest.raises(WriteError) as info, atomic_output(out):
        pytest.fail("must not get here")
    assert info.value.code == "write.folder"
    assert info.value.path == out
    assert str(info.value).startswith(f"{out}: error: cannot write to ")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_unwritable_folder_raises_write_error(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(WriteError) as info, atomic_output(folder / "x.pdf"):
            pytest.fail("must not get here")
        assert info.value.code == "write.folder"
    finally:
        folder.chmod(0o700)


def test_os_error_during_rename_becomes_write_error(tmp_path: Path) -> None:
    out = tmp_path / "target"
    out.mkdir()
    (out / "occupied").write_text("x")  # a non-empty folder cannot be replaced by a file
    with pytest.raises(WriteError) as info, atomic_output(out) as tmp:
        tmp.write_text("data")
    assert info.value.code == "write.failed"
    assert _leftovers(tmp_path) == []

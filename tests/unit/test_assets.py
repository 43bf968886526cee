"""Unit tests for convert/assets.py: finding an image under the content root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from convert import assets
from convert.assets import find_image, relative_ref


@pytest.fixture(autouse=True)
def _fresh_index():
    assets.forget()
    yield
    assets.forget()


def _touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")


def test_exact_path_relative_and_site_root(tmp_path: Path) -> None:
    _touch(tmp_path, "posts/pic.png", "public/img/logo.svg", "static/a.gif")
    article = tmp_path / "posts" / "a.md"
    assert find_image("pic.png", path=article, root=tmp_path).how == "exact"
    found = find_image("/img/logo.svg", path=article, root=tmp_path)
    assert found is not None and found.how == "exact"
    assert found.path == (tmp_path / "public/img/logo.svg").resolve()
    assert find_image("/a.gif", path=article, root=tmp_path).how == "exact"


def test_percent_escapes_decoded(tmp_path: Path) -> None:
    _touch(tmp_path, "my photo.png")
    found = find_image("my%20photo.png", path=tmp_path / "a.md", root=tmp_path)
    assert found is not None and found.how == "decoded"
    assert found.reason == "written with %-escapes"


def test_letter_case(tmp_path: Path) -> None:
    _touch(tmp_path, "Images/Photo.PNG")
    found = find_image("images/photo.png", path=tmp_path / "a.md", root=tmp_path)
    assert found is not None and (found.how, found.path.name) == ("case", "Photo.PNG")


def test_file_name_anywhere_under_root(tmp_path: Path) -> None:
    _touch(tmp_path, "deep/er/Battle of Konotop 24.jpg")
    found = find_image("/old/battle_of_konotop_24.JPG", path=tmp_path / "a.md", root=tmp_path)
    assert found is not None and found.how == "name"
    assert found.reason == "found by its file name"


def test_truncated_wikimedia_name(tmp_path: Path) -> None:
    _touch(tmp_path, "public/Battle_of_Konotop_24.jpg", "other.jpg")
    article = tmp_path / "blog" / "konotop.md"
    found = find_image("/FileBattle_of_Konot.jpg", path=article, root=tmp_path)
    assert found is not None and found.how == "truncated"
    assert relative_ref(found.path, path=article) == "../public/Battle_of_Konotop_24.jpg"


def test_truncated_name_with_caption_glued_on(tmp_path: Path) -> None:
    _touch(tmp_path, "Western_al-Bab_offensive.svg")
    ref = "/FileWestern_al-Bab_.svgMap_of_the_wider_operations"
    found = find_image(ref, path=tmp_path / "a.md", root=tmp_path)
    assert found is not None and found.how == "truncated"


def test_truncated_name_that_is_ambiguous_is_no_match(tmp_path: Path) -> None:
    _touch(tmp_path, "Battle_of_Konotop_24.jpg", "Battle_of_Konotop_25.jpg")
    assert find_image("/FileBattle_of_Konot.jpg", path=tmp_path / "a.md", root=tmp_path) is None


def test_short_file_prefixed_name_must_match_whole(tmp_path: Path) -> None:
    # Under 15 characters the name was not cut: "FileMap.png" is "Map.png", not "Map_2.png".
    _touch(tmp_path, "Map_2.png")
    assert find_image("FileMap.png", path=tmp_path / "a.md", root=tmp_path) is None
    _touch(tmp_path, "Map.png")
    assets.forget()
    assert find_image("FileMap.png", path=tmp_path / "a.md", root=tmp_path).how == "truncated"


def test_lowercase_after_file_is_not_garbled(tmp_path: Path) -> None:
    _touch(tmp_path, "system_overview_diagram.png")
    assert find_image("Filesystem_overview.png", path=tmp_path / "a.md", root=tmp_path) is None


def test_ambiguous_name_is_no_match(tmp_path: Path) -> None:
    _touch(tmp_path, "a/logo.png", "b/logo.png")
    assert find_image("logo.png", path=tmp_path / "c.md", root=tmp_path) is None


def test_hidden_folders_and_non_images_are_not_indexed(tmp_path: Path) -> None:
    _touch(tmp_path, ".git/objects/pic.png", "node_modules/pkg/pic2.png", "notes/pic3.txt")
    for ref in ("pic.png", "pic2.png", "pic3.txt"):
        assert find_image(ref, path=tmp_path / "a.md", root=tmp_path) is None


def test_remote_and_escaping_references(tmp_path: Path) -> None:
    _touch(tmp_path, "pic.png")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.png"
    outside.write_bytes(b"x")
    article = tmp_path / "a.md"
    assert find_image("https://example.org/pic.png", path=article, root=tmp_path) is None
    assert find_image(f"../{outside.name}", path=article, root=tmp_path) is None
    assert find_image("", path=article, root=tmp_path) is None


def test_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"x")
    os.symlink(secret, root / "Link.png")
    assert find_image("link.png", path=root / "a.md", root=root) is None


def test_walk_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assets, "MAX_FILES", 3)
    _touch(tmp_path, "a/1.txt", "a/2.txt", "a/3.txt", "b/Found.png")
    assert find_image("found.png", path=tmp_path / "x.md", root=tmp_path) is None


def test_index_is_cached_until_forgotten(tmp_path: Path) -> None:
    article = tmp_path / "a.md"
    assert find_image("late.png", path=article, root=tmp_path) is None
    _touch(tmp_path, "sub/late.png")
    assert find_image("late.png", path=article, root=tmp_path) is None  # cached index
    assets.forget()
    assert find_image("late.png", path=article, root=tmp_path).how == "name"

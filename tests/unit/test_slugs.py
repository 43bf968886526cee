"""Unit tests for convert/slugs.py: GitHub-style slugs and unique ids (no diagnostics)."""

from __future__ import annotations

import unicodedata

import pytest

from convert.slugs import UniqueIds, slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Battle of Konotop (2022)", "battle-of-konotop-2022"),
        ("Hello, World!", "hello-world"),
        ("C++ & Rust", "c--rust"),
        ("  padded  ", "padded"),
        ("snake_case and-dash", "snake_case-and-dash"),
        ("Ünïcode Straße", "ünïcode-straße"),
        ("日本語 見出し", "日本語-見出し"),
        ("50.93278°N", "5093278n"),
        ("double  space", "double--space"),
        ("", ""),
        ("!!!", ""),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_slugify_normalizes_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Café")
    assert slugify(decomposed) == slugify("Café") == "café"


def test_unique_ids_numbers_repeats() -> None:
    ids = UniqueIds()
    assert [ids.make("intro") for _ in range(3)] == ["intro", "intro-1", "intro-2"]
    assert "intro-1" in ids
    assert "outro" not in ids


def test_unique_ids_skip_taken_numbers() -> None:
    ids = UniqueIds()
    ids.reserve("a-1")
    assert ids.make("a") == "a"
    assert ids.make("a") == "a-2"
    assert ids.make("a-1") == "a-1-1"


def test_unique_ids_empty_base() -> None:
    ids = UniqueIds()
    assert ids.make("") == "section"
    assert ids.make("") == "section-1"

"""Unit tests for convert/writers/hyphens.py: Pyphen's dictionaries parsed once per machine."""

from __future__ import annotations

from pathlib import Path

import pyphen
import pytest

from convert.writers import hyphens


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(pyphen, "hdcache", {})  # this process has parsed nothing yet
    return tmp_path / "pressroom"


def test_the_languages_a_document_names() -> None:
    html = '<html lang="de"><p lang="fr-CA">x</p><span lang=\'hu\'>y</span></html>'
    assert hyphens.languages(html) == {"de", "fr-CA", "hu"}


def test_a_kept_dictionary_is_the_one_pyphen_parses(cache: Path, monkeypatch) -> None:
    path = pyphen.LANGUAGES[pyphen.language_fallback("nl")]
    hyphens.preload(["nl", "xx-unknown"])
    fresh = pyphen.HyphDict(path)
    assert pyphen.hdcache[path].patterns == fresh.patterns
    [kept] = cache.glob("hyphens-*/*.pickle")
    monkeypatch.setattr(pyphen, "hdcache", {})  # a new process: read, not parsed
    parse = pyphen.HyphDict.__init__

    def refuse(self: object, path: Path) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(pyphen.HyphDict, "__init__", refuse)
    hyphens.preload(["nl-BE"])
    loaded = pyphen.hdcache[path]
    assert loaded.patterns == fresh.patterns and loaded.maxlen == fresh.maxlen
    words = ["lettergrepen", "woordafbreking"]
    assert [pyphen.Pyphen(lang="nl").inserted(w) for w in words] == [
        "let-ter-gre-pen",
        "woord-af-bre-king",
    ]
    monkeypatch.setattr(pyphen.HyphDict, "__init__", parse)
    monkeypatch.setattr(pyphen, "hdcache", {})
    kept.write_bytes(b"damaged")  # parsed again, and kept again
    hyphens.preload(["nl"])
    assert pyphen.hdcache[path].patterns == fresh.patterns
    assert kept.read_bytes() != b"damaged"

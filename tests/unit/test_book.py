"""The book's parts without a layout (convert/book/): the manifest, chapters read through
the article recipe and cached, the link graph, and all-or-nothing outputs."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from convert.book import BookError, ChapterCache, build_book, prepare_chapters, read_book
from convert.book.links import LinkGraph
from convert.config import Settings
from convert.diagnostics import Report, Severity
from convert.errors import ConvertError

EPUB = Settings(formats=("epub",))


def _book(tmp_path: Path, manifest: str = "") -> Path:
    folder = tmp_path / "book"
    (folder / "ch").mkdir(parents=True)
    (folder / "ch" / "01-one.md").write_text(
        "---\ntitle: One\n---\n\nSee [two](02-two.md#later) and [gone](02-two.md#nowhere).\n"
        "\n![missing](nowhere.png)\n",
        "utf-8",
    )
    (folder / "ch" / "02-two.md").write_text(
        "---\ntitle: Two\n---\n\n## Later\n\nText.\n\n## Later\n\nAgain.\n", "utf-8"
    )
    (tmp_path / "stray.md").write_text("# Not of the book\n", "utf-8")
    (folder / "book.toml").write_text(
        manifest or '[book]\ntitle = "T"\nchapters = ["ch/*.md"]\n', "utf-8"
    )
    return folder / "book.toml"


@pytest.mark.parametrize(
    ("manifest", "says"),
    [
        ('[book]\nchapters = ["ch/*.md"]\n', "no 'title'"),
        ('[book]\ntitle = "T"\n', "no chapters"),
        ('[book]\ntitle = "T"\nchapters = ["none/*.md"]\n', "matches no file"),
        ('[book]\ntitle = "T"\nchapters = ["../stray.md"]\n', "outside the book folder"),
        ('[book]\ntitle = 3\nchapters = ["ch/*.md"]\n', "'title' must be text"),
        ("[book\n", "not valid TOML"),
    ],
)
def test_a_bad_manifest_names_the_key(tmp_path: Path, manifest: str, says: str) -> None:
    with pytest.raises(BookError, match=says):
        read_book(_book(tmp_path, manifest))


def test_chapters_are_read_as_the_settings_say_and_cached(tmp_path: Path) -> None:
    spec = read_book(_book(tmp_path))
    cache = ChapterCache(tmp_path / "cache")
    report = Report()
    chapters = prepare_chapters(spec, Settings(), report, cache)
    assert [c.article.meta.title for c in chapters] == ["One", "Two"]
    assert "heading.duplicate-sibling" in report.codes()
    # A hit reports again what the first read found, with today's severities.
    stricter = Settings(severity={"heading.duplicate-sibling": Severity.ERROR})
    again = Report(stricter.severity)
    prepare_chapters(spec, stricter, again, cache)
    assert (cache.hits, cache.misses) == (2, 2)
    assert any(
        d.code == "heading.duplicate-sibling" and d.severity == Severity.ERROR for d in again
    )
    # A rule switched off reads the chapters again (the cache key has the settings).
    prepare_chapters(spec, Settings(disabled=("heading_levels",)), Report(), cache)
    assert cache.misses == 4


def test_links_between_chapters_resolve_and_a_missing_section_is_reported(
    tmp_path: Path,
) -> None:
    spec = read_book(_book(tmp_path))
    report = Report()
    one, two = prepare_chapters(spec, Settings(), report, ChapterCache(None))
    graph = LinkGraph.of([one, two])
    assert graph.resolve("02-two.md#later", one, "epub") == "chapter-02.xhtml#later"
    assert graph.resolve("02-two.md#later", one, "pdf") == "#c2-later"
    found = Report()
    assert graph.resolve("02-two.md#nowhere", one, "pdf", found) == "#c2"
    (finding,) = list(found)
    assert finding.code == "link.chapter-fragment" and finding.location.line == 5
    assert graph.resolve("elsewhere.md", one, "pdf") is None
    assert graph.resolve("https://example.org/x", one, "pdf") == "https://example.org/x"


def test_findings_after_parsing_name_the_chapter_and_line(tmp_path: Path) -> None:
    report = Report()
    result = build_book(_book(tmp_path), tmp_path / "out", EPUB, report=report)
    (missing,) = [d for d in report if d.code == "image.missing"]
    assert missing.location.path.name == "01-one.md" and missing.location.line == 7
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        assert "EPUB/chapter-02.xhtml" in z.namelist()


def test_strict_leaves_no_output_of_the_book(tmp_path: Path) -> None:
    strict = replace(EPUB, strict=True)
    with pytest.raises(ConvertError, match="under --strict"):
        build_book(_book(tmp_path), tmp_path / "out", strict, report=Report())
    assert not list((tmp_path / "out").glob("*.epub"))


def test_a_writer_that_fails_takes_the_books_other_outputs_with_it(
    tmp_path: Path, monkeypatch
) -> None:
    import convert.book as book

    def broken(html: str, out: Path) -> Path:
        raise ConvertError("disk on fire", path=out, code="write.failed")

    monkeypatch.setattr(book, "write_html", broken)
    both = Settings(formats=("epub", "html"))
    # EPUB written first, then the HTML fails: neither is left.
    with pytest.raises(ConvertError, match="disk on fire"):
        build_book(_book(tmp_path), tmp_path / "out", both, report=Report())
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_file()) == []

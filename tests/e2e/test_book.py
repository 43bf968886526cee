"""Books: the sample book and a book of the whole corpus, through real WeasyPrint, ebooklib
and EPUBCheck; cross-chapter links followed in both outputs; the chapter cache; make."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from convert.book import build_book, read_book
from convert.cli import main
from convert.config import Settings
from convert.diagnostics import Report
from convert.errors import ConvertError
from tests.conftest import CONTENT, ROOT, corpus_files

pytestmark = pytest.mark.e2e

SAMPLE = CONTENT / "books" / "field-guide" / "book.toml"
EPUB_ONLY = Settings(formats=("epub",))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("book")
    report = out / "report.json"
    assert main(["book", str(SAMPLE), "-o", str(out), "--report", str(report), "-q"]) == 0
    return out, json.loads(report.read_text())


def _page_of_dest(reader: PdfReader, annot) -> int:
    dest = annot.get("/Dest")
    if dest is None and annot.get("/A"):
        dest = annot["/A"].get("/D")
    if isinstance(dest, str) or hasattr(dest, "encode"):
        dest = reader.named_destinations[str(dest)]
        return reader.get_destination_page_number(dest)
    return reader.get_page_number(
        dest[0].get_object() if hasattr(dest[0], "get_object") else dest[0]
    )


def test_sample_book_pdf(sample) -> None:
    out, diagnostics = sample
    codes = [d["code"] for d in diagnostics]
    assert "toc.page-mismatch" not in codes  # the TOC numbers were checked after layout
    assert codes.count("link.unresolved") == 1  # only the deliberately missing chapter
    assert codes.count("link.chapter-fragment") == 1  # and the missing section
    reader = PdfReader(out / "field-guide.pdf")
    assert reader.metadata.title == "A Field Guide to Small Presses"
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "[object Object]" not in text
    # Bookmarks nest part > chapter > section.
    outline = reader.outline
    titles = [o.title for o in outline if not isinstance(o, list)]
    assert "Part One: The Shop" in titles and "Part Two: The Work" in titles
    part_one = outline[titles.index("Part One: The Shop") + 1]
    assert isinstance(part_one, list) and part_one[0].title == "Setting Up"


def test_cross_chapter_links_land_on_the_heading_page(sample) -> None:
    out, _ = sample
    reader = PdfReader(out / "field-guide.pdf")
    heading_page = next(
        i for i, p in enumerate(reader.pages) if re.search(r"^Mixing ink$", p.extract_text(), re.M)
    )
    targets = []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Link" and (
                "/Dest" in annot or (annot.get("/A") and annot["/A"].get("/S") == "/GoTo")
            ):
                targets.append(_page_of_dest(reader, annot))
    assert heading_page in targets


def test_sample_book_epub(sample, epubcheck) -> None:
    out, _ = sample
    epub = out / "field-guide.epub"
    assert epubcheck.one(epub) == []
    with zipfile.ZipFile(epub) as z:
        names = set(z.namelist())
        binding = z.read("EPUB/chapter-05.xhtml").decode()
        paper = z.read("EPUB/chapter-03.xhtml").decode()
        proofing = z.read("EPUB/chapter-04.xhtml").decode()
        nav = z.read("EPUB/nav.xhtml").decode()
        opf = z.read("EPUB/content.opf").decode()
    assert 'href="chapter-03.xhtml#mixing-ink"' in proofing
    assert 'id="mixing-ink"' in paper
    assert 'href="chapter-02.xhtml"' in binding
    for chapter in ("chapter-02.xhtml", "chapter-03.xhtml", "chapter-04.xhtml"):
        assert f"EPUB/{chapter}" in names
    assert "Part One: The Shop" in nav and "Part Two: The Work" in nav
    assert "<dc:publisher>" in opf and "<dc:rights>" in opf
    assert 'properties="cover-image"' in opf


def test_a_book_of_the_whole_corpus(tmp_path: Path, epubcheck) -> None:
    files = corpus_files()
    if not files:
        pytest.skip("shared corpus not found")
    folder = tmp_path / "corpus-book"
    folder.mkdir()
    for path in files:
        shutil.copy(path, folder / path.name)
    chapters = ", ".join(f'"{p.name}"' for p in files)
    (folder / "book.toml").write_text(
        f'[book]\ntitle = "Corpus"\nauthors = ["Many"]\nlanguage = "en"\n\n'
        f"chapters = [{chapters}]\n",
        encoding="utf-8",
    )
    report = Report()
    result = build_book(folder / "book.toml", tmp_path / "out", report=report)
    assert result.chapters == len(files)
    codes = report.codes()
    assert "reference.debris" in codes and "heading.glued" in codes
    text = "\n".join(p.extract_text() for p in PdfReader(result.outputs["pdf"]).pages)
    assert text.count("[object Object]") <= 2  # only the README's legitimate code samples
    assert epubcheck.one(result.outputs["epub"]) == []
    # Diagnostics name the chapter file they come from.
    assert any(d.location.path.name == "seed-konotop.md" for d in report)


def test_rebuild_reuses_unchanged_chapters(tmp_path: Path) -> None:
    folder = tmp_path / "bk"
    shutil.copytree(SAMPLE.parent, folder)
    out = tmp_path / "out"
    first = build_book(folder / "book.toml", out, EPUB_ONLY, report=Report())
    assert (first.cache_hits, first.cache_misses) == (0, 6)
    again = build_book(folder / "book.toml", out, EPUB_ONLY, report=Report())
    assert again.cache_hits >= 6
    chapter = folder / "chapters" / "03-proofing.md"
    chapter.write_text(chapter.read_text() + "\nAn added closing line.\n", encoding="utf-8")
    edited = build_book(folder / "book.toml", out, EPUB_ONLY, report=Report())
    assert edited.cache_misses == 1
    with zipfile.ZipFile(edited.outputs["epub"]) as z:
        assert "An added closing line." in z.read("EPUB/chapter-04.xhtml").decode()


def test_bad_manifest_is_one_line(tmp_path: Path, capsys) -> None:
    manifest = tmp_path / "book.toml"
    manifest.write_text('[book]\ntitle = "X"\nchapters = ["nope/*.md"]\n', encoding="utf-8")
    assert main(["book", str(manifest), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"{manifest}: error: 'chapters': 'nope/*.md' matches no file [book.missing-chapter]"
    ]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.pdf"))


def test_manifest_reading(tmp_path: Path) -> None:
    spec = read_book(SAMPLE)
    assert [e.kind for e in spec.entries] == [
        "front",
        "chapter",
        "chapter",
        "chapter",
        "chapter",
        "back",
    ]
    assert spec.parts == ("Part One: The Shop", "Part Two: The Work")
    assert spec.meta.lang == "en" and spec.meta.cover is not None


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_book_builds_once(tmp_path: Path) -> None:
    build = tmp_path / "build"
    args = ["make", "-C", str(ROOT), f"BUILD={build}", "book"]
    first = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert (build / "field-guide.pdf").is_file() and (build / "field-guide.epub").is_file()
    assert (build / "field-guide.d").is_file()
    up_to_date = subprocess.run([*args[:-1], "-q", "book"], capture_output=True, timeout=60)
    assert up_to_date.returncode == 0  # nothing to do: an unchanged book is not rebuilt


def test_a_failed_pdf_leaves_no_epub_or_pdf_of_the_book(tmp_path: Path, monkeypatch) -> None:
    import convert.writers.pdf as pdf_writer

    def refused(*args: object, **kwargs: object) -> None:
        raise ConvertError("cannot finish the PDF", code="pdf.layout")

    # Both ways a book's PDF is written: one layout, and the parts joined.
    monkeypatch.setattr(pdf_writer, "save_pdf", refused)
    monkeypatch.setattr(pdf_writer, "save_joined", refused)
    for jobs in ("0", "2"):
        out = tmp_path / f"out{jobs}"
        assert main(["book", str(SAMPLE), "-o", str(out), "-q", "--jobs", jobs]) == 1
        assert not list(out.glob("*.pdf")) and not list(out.glob("*.epub"))

"""Books laid out in parallel parts (issue 15): the same book as one layout, page for page.

A book built with ``--jobs 0`` (one document, one layout: the reference), ``--jobs 1`` and
``--jobs 2`` has the same text on every page, the same outline, links landing on the same
pages, page labels equal to the printed folios, a structure tree preflight accepts, and
the same bytes whatever the number of jobs and however often it is built. After one
chapter is edited only its part is laid out again. Each comparison is shown to fail on a
book that really differs.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from convert.book import build_book, parallel
from convert.config import Settings
from convert.diagnostics import Report
from convert.folios import PageLabels
from convert.preflight import preflight
from convert.profiles import get as get_profile
from tests.conftest import CONTENT

pytestmark = pytest.mark.e2e

FIELD_GUIDE = CONTENT / "books" / "field-guide"
APPARATUS = CONTENT / "books" / "apparatus-demo"


def _build(folder: Path, out: Path, jobs: int, profile: str = "print", cache: bool = False):
    report = Report()
    result = build_book(
        folder / "book.toml",
        out,
        Settings(formats=("pdf",), profile=profile),
        report=report,
        use_cache=cache,
        jobs=jobs,
    )
    return result, report


def _texts(pdf: Path) -> list[str]:
    """Each page's text as pdftotext lays it out (positions kept as spacing)."""
    pages = len(PdfReader(pdf).pages)
    return [
        subprocess.run(
            ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for n in range(1, pages + 1)
    ]


def _outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    found: list[tuple[int, str, int]] = []

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return found


def _links(reader: PdfReader) -> list[tuple[int, int]]:
    """(page, target page) of every internal link, in page order."""
    out = []
    names = reader.named_destinations
    for number, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            dest = annot.get("/Dest")
            if dest is None:
                continue
            target = names[str(dest)] if isinstance(dest, str) else dest
            out.append((number, reader.get_destination_page_number(target)))
    return out


def _labels(reader: PdfReader) -> list[str]:
    return list(reader.page_labels)


@pytest.fixture(scope="module")
def field_guide(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    built = {}
    for jobs in (0, 1, 2):
        out = tmp_path_factory.mktemp(f"jobs{jobs}")
        result, report = _build(FIELD_GUIDE, out, jobs)
        assert result.jobs == jobs
        assert "toc.page-mismatch" not in [d.code for d in report]
        built[jobs] = out / "field-guide.pdf"
    return built


def test_same_text_on_every_page(field_guide) -> None:
    reference = _texts(field_guide[0])
    for jobs in (1, 2):
        assert _texts(field_guide[jobs]) == reference, f"--jobs {jobs}"


def test_same_outline_links_and_labels(field_guide) -> None:
    reference = PdfReader(field_guide[0])
    outline, links, labels = _outline(reference), _links(reference), _labels(reference)
    assert outline and links
    for jobs in (1, 2):
        reader = PdfReader(field_guide[jobs])
        assert _outline(reader) == outline
        assert _links(reader) == links  # links across chapters land on the same pages
        assert _labels(reader) == labels


def test_page_labels_are_the_printed_folios(field_guide) -> None:
    reader = PdfReader(field_guide[2])
    texts = _texts(field_guide[2])
    labels = _labels(reader)
    assert labels[0] == "i" and "1" in labels
    for label, text in zip(labels, texts, strict=True):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if label.isdigit() and lines and lines[-1].isdigit():
            assert lines[-1] == label  # the folio at the foot of the page


def test_structure_tree_passes_preflight(field_guide) -> None:
    findings = preflight(field_guide[2], get_profile("print"))
    assert not [f for f in findings if f.severity.name in ("ERROR", "WARNING")], findings


def test_one_subset_per_font(field_guide) -> None:
    fonts = subprocess.run(
        ["pdffonts", str(field_guide[2])], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    names = [line.split()[0] for line in fonts]
    assert names and len(names) == len(set(names))


def test_same_bytes_whatever_the_jobs(field_guide, tmp_path: Path) -> None:
    assert field_guide[1].read_bytes() == field_guide[2].read_bytes()
    _build(FIELD_GUIDE, tmp_path, 2)
    assert (tmp_path / "field-guide.pdf").read_bytes() == field_guide[2].read_bytes()


def test_comparisons_can_fail(field_guide, tmp_path: Path) -> None:
    """A book that really differs (one word changed in a chapter) is told apart."""
    folder = tmp_path / "field-guide"
    shutil.copytree(FIELD_GUIDE, folder)
    chapter = sorted((folder / "chapters").glob("*.md"))[1]
    chapter.write_text(chapter.read_text().replace("the", "thy", 1), encoding="utf-8")
    _build(folder, tmp_path / "out", 2)
    assert _texts(tmp_path / "out" / "field-guide.pdf") != _texts(field_guide[0])
    assert (tmp_path / "out" / "field-guide.pdf").read_bytes() != field_guide[2].read_bytes()


def test_an_edited_chapter_is_laid_out_alone(tmp_path: Path, monkeypatch) -> None:
    # One chapter a segment (the sample's chapters are short: it would make one segment).
    monkeypatch.setattr(parallel, "SEGMENT_CHARS", 1)
    folder = tmp_path / "field-guide"
    shutil.copytree(FIELD_GUIDE, folder)
    out = tmp_path / "out"
    first, _ = _build(folder, out, 2, cache=True)
    chapters = [n for n in first.laid_out if n.endswith(".md")]
    assert len(chapters) > 2  # cold: every chapter
    again, _ = _build(folder, out, 2, cache=True)
    assert not [n for n in again.laid_out if n.endswith(".md")]
    edited = sorted((folder / "chapters").glob("*.md"))[-1]
    edited.write_text(edited.read_text() + "\nOne more sentence.\n", encoding="utf-8")
    third, _ = _build(folder, out, 2, cache=True)
    laid = [n for n in third.laid_out if n.endswith(".md")]
    assert edited.name in laid
    assert len(laid) < len(chapters)
    single = tmp_path / "single"
    _build(folder, single, 0)
    assert _texts(out / "field-guide.pdf") == _texts(single / "field-guide.pdf")


def test_apparatus_index_pages_as_one_layout(tmp_path: Path) -> None:
    """The index's page numbers (a second layout in one document) come out the same."""
    _build(APPARATUS, tmp_path / "one", 0, profile="screen")
    two, _ = _build(APPARATUS, tmp_path / "two", 2, profile="screen")
    assert two.jobs == 2
    assert _texts(tmp_path / "two" / "apparatus-demo.pdf") == _texts(
        tmp_path / "one" / "apparatus-demo.pdf"
    )


def test_folio_scheme_is_the_books(field_guide) -> None:
    reader = PdfReader(field_guide[2])
    labels = _labels(reader)
    main = labels.index("1") + 1
    assert labels == PageLabels.book(len(labels), front=1, main=main).labels()


def test_a_worker_that_dies_leaves_the_book_to_one_layout(tmp_path: Path, monkeypatch) -> None:
    """A crashed worker (killed by the kernel, a segfault) is not waited for: the book is
    laid out as one document instead, and says so."""
    import os

    monkeypatch.setattr(parallel, "SEGMENT_CHARS", 1)
    laid = parallel._task

    def dies(job):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            os._exit(9)
        return laid(job)

    parent = os.getpid()
    monkeypatch.setattr(parallel, "_task", dies)
    result, report = _build(FIELD_GUIDE, tmp_path / "crashed", 2)
    assert result.jobs == 0
    assert "book.single-layout" in report.codes()
    _build(FIELD_GUIDE, tmp_path / "one", 0)
    assert _texts(tmp_path / "crashed" / "field-guide.pdf") == _texts(
        tmp_path / "one" / "field-guide.pdf"
    )


def _stretched(monkeypatch, seen: list[bool]) -> None:
    """Running heads in stretches of four pages; ``seen`` gets each check's answer."""
    monkeypatch.setattr(parallel, "STRETCH_PAGES", 4)
    check = parallel._continuous

    def noted(parts):  # type: ignore[no-untyped-def]
        seen.append(check(parts))
        return seen[-1]

    monkeypatch.setattr(parallel, "_continuous", noted)


@pytest.mark.parametrize(("book", "profile"), [(FIELD_GUIDE, "print"), (APPARATUS, "print")])
def test_running_heads_in_stretches_as_one_layout(
    book: Path, profile: str, field_guide, tmp_path: Path, monkeypatch
) -> None:
    """Folios, running heads and the front matter's roman folios (a counter that blank
    pages move) come out of stretches laid out side by side as from one document."""
    seen: list[bool] = []
    _stretched(monkeypatch, seen)
    _build(book, tmp_path / "two", 2, profile=profile)
    assert seen == [True]  # stretches, not the fallback
    name = f"{book.name}.pdf"
    reference = field_guide[0] if book == FIELD_GUIDE else tmp_path / "one" / name
    if book != FIELD_GUIDE:
        _build(book, tmp_path / "one", 0, profile=profile)
    assert _texts(tmp_path / "two" / name) == _texts(reference)


def test_stretches_that_do_not_join_give_way_to_one_document(
    field_guide, tmp_path: Path, monkeypatch
) -> None:
    """A wrong guess of the counters a stretch starts with is caught, and the running
    heads are laid out as one document."""
    seen: list[bool] = []
    _stretched(monkeypatch, seen)
    guess = parallel._PageCounters.before

    def wrong(self, records, start):  # type: ignore[no-untyped-def]
        return tuple((name, value + 3) for name, value in guess(self, records, start))

    monkeypatch.setattr(parallel._PageCounters, "before", wrong)
    _build(FIELD_GUIDE, tmp_path / "two", 2)
    assert seen == [False, True]
    assert _texts(tmp_path / "two" / "field-guide.pdf") == _texts(field_guide[0])

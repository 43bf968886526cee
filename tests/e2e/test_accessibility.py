"""End to end: the EPUBs Pressroom makes, as DAISY Ace and a reader of assistive
technology meet them.

- DAISY Ace (``make setup`` installs it with the system Chromium) finds no violation, at
  any impact, in the sample book, each sample article and each shared-corpus article;
  a deliberately inaccessible EPUB does get violations (the check can fail).
- The page-break markers of the sample book name the pages of its PDF on which the
  marked text stands (read back with pdftotext, page by page).
- The accessibility metadata follows the content: conformance only when the checks pass.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from convert.cli import main
from tests.conftest import CONTENT, corpus_files

pytestmark = pytest.mark.e2e

SAMPLES = sorted((CONTENT / "articles").glob("*.md"))
BOOK = CONTENT / "books" / "field-guide" / "book.toml"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every sample, every corpus article and the sample book, as PDF and EPUB."""
    out = tmp_path_factory.mktemp("a11y")
    inputs = [str(p) for p in (*corpus_files(), *SAMPLES)]
    assert main(["convert", *inputs, "-o", str(out), "--format", "pdf,epub", "-q"]) == 0
    assert main(["book", str(BOOK), "-o", str(out), "-q", "--no-cache"]) == 0
    return out


def _names() -> list[str]:
    return [p.stem for p in (*corpus_files(), *SAMPLES)] + ["field-guide"]


@pytest.fixture(scope="module")
def ace_results(ace, built: Path) -> dict[str, list]:
    """Ace over all of them once, two at a time."""
    epubs = sorted(built.glob("*.epub"))
    return {path.stem: found for path, found in ace.many(epubs).items()}


@pytest.mark.parametrize("name", _names())
def test_ace_finds_no_violation(ace_results: dict[str, list], name: str) -> None:
    assert name in ace_results, f"{name}.epub was not built"
    violations = ace_results[name]
    assert not violations, "\n".join(map(str, violations))


def _zip(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(folder).as_posix(), zipfile.ZIP_DEFLATED)
    return target


def test_ace_fails_an_inaccessible_epub(ace, tmp_path: Path) -> None:
    """An EPUB without a package language, with an image without alt text and grey text
    on white: Ace must say so, or a clean result above would mean nothing."""
    root = tmp_path / "bad"
    (root / "META-INF").mkdir(parents=True)
    (root / "EPUB").mkdir()
    (root / "META-INF" / "container.xml").write_text(
        '<?xml version="1.0"?><container version="1.0" '
        'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        '<rootfile full-path="EPUB/content.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles></container>"
    )
    (root / "EPUB" / "content.opf").write_text(
        '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" '
        'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<dc:identifier id="id">urn:uuid:00000000-0000-4000-8000-000000000000</dc:identifier>'
        "<dc:title>Bad</dc:title><dc:language>en</dc:language>"
        '<meta property="dcterms:modified">2024-01-01T00:00:00Z</meta></metadata>'
        '<manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" '
        'properties="nav"/><item id="c" href="c.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="i" href="i.png" media-type="image/png"/></manifest>'
        '<spine><itemref idref="c"/></spine></package>'
    )
    (root / "EPUB" / "nav.xhtml").write_text(
        '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml" '
        'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>N</title></head><body>'
        '<nav epub:type="toc"><ol><li><a href="c.xhtml">C</a></li></ol></nav></body></html>'
    )
    (root / "EPUB" / "c.xhtml").write_text(
        '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml" '
        'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>C</title></head><body>'
        '<section epub:type="chapter"><p style="color:#bbbbbb">Faint text.</p>'
        '<img src="i.png"/></section></body></html>'
    )
    png = CONTENT.parent / "tests" / "rules" / "cases" / "image-resolved" / "diagram.png"
    shutil.copy(png, root / "EPUB" / "i.png")
    rules = {v.rule for v in ace.one(_zip(root, tmp_path / "bad.epub"))}
    assert {"epub-lang", "image-alt", "color-contrast", "epub-type-has-matching-role"} <= rules


# --- print page numbers ---------------------------------------------------------------------

_MARKER = re.compile(r'<span epub:type="pagebreak" role="doc-pagebreak" id="page-([^"]+)" '
                     r'aria-label="([^"]+)"/>')  # fmt: skip


def _alnum(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _pdf_pages(pdf: Path) -> list[str]:
    count = int(
        re.search(
            r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                              text=True, check=True).stdout
        )[1]
    )  # fmt: skip
    return [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, count + 1)
    ]


def _printed_folio(page_text: str) -> str | None:
    """The folio a page prints: its last line, when that is a number or roman numeral."""
    lines = [line.strip() for line in page_text.splitlines() if line.strip()]
    if lines and re.fullmatch(r"\d+|[ivxlc]+", lines[-1]):
        return lines[-1]
    return None


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_book_page_markers_name_the_pdf_pages(built: Path) -> None:
    """Every marker names the folio of the PDF page on which the text after it stands;
    the page list lists every page of the print edition but the cover, in order."""
    pages = _pdf_pages(built / "field-guide.pdf")
    by_folio = {f: text for text in pages if (f := _printed_folio(text))}
    # The book has front matter in roman numerals, then arabic from 1 (known from its PDF).
    assert {"iii", "iv", "2", "16"} <= set(by_folio), sorted(by_folio)
    with zipfile.ZipFile(built / "field-guide.epub") as z:
        nav = z.read("EPUB/nav.xhtml").decode()
        documents = {n: z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml")}
    listed = re.findall(r'<li><a href="[^"#]+#page-[^"]+">([^<]+)</a></li>', nav)
    expected = ["i", "ii", "iii", "iv", *map(str, range(1, len(pages) - 4))]
    assert listed == expected  # 21 pages: the cover, i–iv, 1–16
    checked = 0
    for xhtml in documents.values():
        for match in _MARKER.finditer(xhtml):
            ident, label = match.groups()
            assert ident == label
            rest = xhtml[match.end() :]
            if rest.lstrip().startswith('<span epub:type="pagebreak"'):
                continue  # a page with nothing of its own in the EPUB: the next one tells
            following = _alnum(re.sub(r"<[^>]+>", " ", rest[:600]))[:24]
            assert len(following) >= 8, (label, rest[:200])
            if label in by_folio:
                assert following in _alnum(by_folio[label]), (label, following)
                checked += 1
    assert checked >= 14  # every printed folio of the sample book carries a checked marker


def test_epub_only_build_lays_out_for_the_page_list_only_when_asked(tmp_path: Path) -> None:
    article = CONTENT / "articles" / "printing-press.md"
    assert main(["convert", str(article), "-o", str(tmp_path / "a"), "--format", "epub", "-q"]) == 0
    assert main(["convert", str(article), "-o", str(tmp_path / "b"), "--format", "epub",
                 "--page-list", "-q"]) == 0  # fmt: skip
    assert not (tmp_path / "b" / "printing-press.pdf").exists()
    with zipfile.ZipFile(tmp_path / "a" / "printing-press.epub") as z:
        plain = z.read("EPUB/nav.xhtml").decode() + z.read("EPUB/content.opf").decode()
    with zipfile.ZipFile(tmp_path / "b" / "printing-press.epub") as z:
        listed = z.read("EPUB/nav.xhtml").decode() + z.read("EPUB/content.opf").decode()
    assert 'epub:type="page-list"' not in plain and "pageBreakSource" not in plain
    assert 'epub:type="page-list"' in listed and "pageBreakMarkers" in listed
    assert '<meta property="pageBreakSource">' in listed


# --- metadata that follows the content ------------------------------------------------------


def _opf(epub: Path) -> str:
    with zipfile.ZipFile(epub) as z:
        return z.read("EPUB/content.opf").decode()


def test_conformance_and_modes_follow_the_content(built: Path, tmp_path: Path) -> None:
    book = _opf(built / "field-guide.epub")
    assert "EPUB Accessibility 1.1 - WCAG 2.2 Level AA</meta>" in book
    assert '<meta property="schema:accessMode">visual</meta>' in book  # it has figures
    assert '<meta property="schema:accessModeSufficient">textual</meta>' in book
    text_only = _opf(built / "cyrillic-notes.epub")
    assert 'accessMode">visual' not in text_only and "alternativeText" not in text_only
    # An image without a text alternative: no conformance claim, and the reason is told.
    (tmp_path / "pic.png").write_bytes(
        (CONTENT.parent / "tests/rules/cases/image-resolved/diagram.png").read_bytes()
    )
    source = tmp_path / "no-alt.md"
    source.write_text("---\ntitle: No alt\n---\n\nText ![](pic.png) in a line.\n")
    report = tmp_path / "r.json"
    assert main(["convert", str(source), "-o", str(tmp_path), "--format", "epub",
                 "--report", str(report), "-q"]) == 0  # fmt: skip
    opf = _opf(tmp_path / "no-alt.epub")
    assert "dcterms:conformsTo" not in opf
    assert '<meta property="schema:accessModeSufficient">textual,visual</meta>' in opf
    assert '<meta property="schema:accessModeSufficient">textual</meta>' not in opf
    assert "does not claim conformance" in opf
    assert "a11y.image-alt" in report.read_text()


def test_right_to_left_books_say_so_everywhere(built: Path) -> None:
    with zipfile.ZipFile(built / "arabic-type.epub") as z:
        nav = z.read("EPUB/nav.xhtml").decode()
        opf = z.read("EPUB/content.opf").decode()
        chapter = z.read("EPUB/chapter.xhtml").decode()
    assert 'lang="ar" xml:lang="ar" dir="rtl"' in nav
    assert re.search(r'<package [^>]*xml:lang="ar"[^>]*dir="rtl"', opf)
    assert 'dir="rtl"' in chapter
    # Generated words in Arabic: the contents heading is not English.
    assert "Contents" not in nav and "المحتويات" in nav


def test_book_landmarks_are_complete(built: Path) -> None:
    with zipfile.ZipFile(built / "field-guide.epub") as z:
        nav = z.read("EPUB/nav.xhtml").decode()
    landmarks = nav.split('epub:type="landmarks"', 1)[1].split("</nav>", 1)[0]
    kinds = re.findall(r'<a epub:type="([^"]+)"', landmarks)
    assert kinds == ["cover", "toc", "frontmatter", "titlepage", "bodymatter", "backmatter"]

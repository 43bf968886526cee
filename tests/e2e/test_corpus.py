"""End to end: every corpus file and every sample article through real WeasyPrint and
ebooklib, checked as a reader's tools would: EPUBCheck, PDF text, fonts and metadata."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from convert.cli import main
from convert.diagnostics import Report
from convert.load import LoadOptions, load
from convert.normalize import normalize
from tests.conftest import CONTENT, corpus_files

pytestmark = pytest.mark.e2e

SAMPLES = sorted((CONTENT / "articles").glob("*.md"))


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All corpus files and samples converted once, by the CLI, into one folder."""
    out = tmp_path_factory.mktemp("converted")
    inputs = [str(p) for p in (*corpus_files(), *SAMPLES)]
    if not inputs:
        pytest.skip("nothing to convert")
    assert main(["convert", *inputs, "-o", str(out), "--format", "pdf,epub,html", "-q"]) == 0
    return out


def _all_inputs() -> list[Path]:
    return [*corpus_files(), *SAMPLES]


def _debris_in_code(source: Path) -> int:
    """How many '[object Object]' the source shows on purpose, in fenced or inline code."""
    from convert.normalize.base import code_spans, doc_from_text

    report = Report()
    article = load(source, report)
    doc = doc_from_text(article.markdown, article.body_line, article.meta)
    count = 0
    for line in doc.lines:
        if line.code:
            count += line.text.count(JUNK)
        else:
            count += sum(line.text[a:b].count(JUNK) for a, b in code_spans(line.text))
    return count


JUNK = "[object Object]"


@pytest.mark.parametrize("source", _all_inputs(), ids=lambda p: p.name)
def test_pdf_is_complete(converted: Path, source: Path) -> None:
    pdf = converted / f"{source.stem}.pdf"
    reader = PdfReader(pdf)
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    meta = normalize(load(source, Report()), Report()).meta  # lang may be detected
    assert text.count(JUNK) <= _debris_in_code(source)
    assert len(text.split()) > 3
    title = reader.metadata.title
    assert title, "PDF has no title"
    if meta.title:
        assert title == meta.title
    assert reader.pdf_header.startswith("%PDF-")
    assert reader.trailer["/Root"]["/Lang"] == meta.lang
    assert reader.outline or len(reader.pages) >= 1
    _assert_fonts_embedded(reader)


def _assert_fonts_embedded(reader: PdfReader) -> None:
    fonts = 0
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            fonts += 1
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            assert descriptor is not None, f"font {font.get('/BaseFont')} has no descriptor"
            descriptor = descriptor.get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), (
                f"font {font.get('/BaseFont')} is not embedded"
            )
    assert fonts, "no fonts in the PDF"


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_pdffonts_agrees_everything_is_embedded(converted: Path) -> None:
    for pdf in sorted(converted.glob("*.pdf")):
        rows = subprocess.run(
            ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
        assert rows, f"{pdf.name}: no fonts"
        for row in rows:
            assert re.search(r"\byes\s+yes\s+yes\b", row), f"{pdf.name}: {row}"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_no_object_object_in_any_pdf_text(converted: Path) -> None:
    for pdf in sorted(converted.glob("*.pdf")):
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        source = next(p for p in _all_inputs() if p.stem == pdf.stem)
        assert text.count(JUNK) <= _debris_in_code(source), pdf.name


def test_every_epub_passes_epubcheck(converted: Path, epubcheck) -> None:
    results = epubcheck.many(sorted(converted.glob("*.epub")))
    failures = {p.name: msgs for p, msgs in results.items() if msgs}
    assert not failures, failures


@pytest.mark.parametrize("source", _all_inputs(), ids=lambda p: p.name)
def test_epub_structure(converted: Path, source: Path) -> None:
    epub = converted / f"{source.stem}.epub"
    meta = normalize(load(source, Report()), Report()).meta  # lang may be detected
    with zipfile.ZipFile(epub) as z:
        names = z.namelist()
        assert names[0] == "mimetype"
        assert z.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        opf = z.read("EPUB/content.opf").decode()
        chapter = z.read("EPUB/chapter.xhtml").decode()
        assert "EPUB/nav.xhtml" in names and "EPUB/toc.ncx" in names
    assert f"<dc:language>{meta.lang}</dc:language>" in opf
    assert "dcterms:modified" in opf
    for prop in (
        "schema:accessMode",
        "schema:accessibilityFeature",
        "schema:accessibilityHazard",
        "schema:accessibilitySummary",
    ):
        assert prop in opf
    body = re.sub(r"<pre.*?</pre>|<code>.*?</code>", "", chapter, flags=re.S)
    assert JUNK not in body
    ids = re.findall(r'\sid="([^"]+)"', chapter)
    assert len(ids) == len(set(ids)), "duplicate ids"


def test_html_output_is_what_weasyprint_gets(converted: Path, corpus: list[Path]) -> None:
    html = (converted / "seed-konotop.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>Battle of Konotop (2022)</title>" in html
    assert "[object Object]" not in html
    assert html.count(">References<") == 0


def test_seed_article_is_repaired(corpus: list[Path], tmp_path: Path, capsys) -> None:
    seed = next(p for p in corpus if p.name == "seed-konotop.md")
    assert main(["convert", str(seed), "-o", str(tmp_path), "--format", "pdf"]) == 0
    err = capsys.readouterr().err
    for code in (
        "heading.glued",
        "reference.debris",
        "heading.duplicate",
        "section.empty-removed",
        "meta.cover-missing",
    ):
        assert f"[{code}]" in err
    assert re.search(r"seed-konotop\.md:31: warning: 13 lines of '\[object Object\]'", err)
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "seed-konotop.pdf").pages)
    assert "References" not in text
    assert "Artem Seminikhin" in text


# --- what the author wrote is what the reader sees ------------------------------------------

# Pandoc's own Markdown (grid tables, line blocks) is not what a CommonMark/GFM site writes.
NOT_COMMONMARK = {"pandoc-markdown-reader-more.txt"}

# Markdown syntax that must never reach the page as text (outside code): list markers and
# quote marks at a line's start, fences, strikethrough, link brackets, heading attributes,
# task boxes.
LITERAL = re.compile(
    r"(?m)^\s*[*+]\s+\S|^\s*-\s+\w|^\s*>\s|```|~~|\]\(|\{#[\w-]+\}|^\s*\[[ xX]\]\s"
)


def _structure_in_source(text: str) -> dict[str, int]:
    """List items, quotes, code blocks and tables as the CommonMark reader reads them."""
    from convert.markdown.commonmark import _block_tokens

    tokens, _ = _block_tokens(text)
    kinds = [t.type for t in tokens]
    return {
        "li": kinds.count("list_item_open"),
        "blockquote": kinds.count("blockquote_open"),
        "pre": kinds.count("fence") + kinds.count("code_block"),
        "table": kinds.count("table_open"),
    }


def _commonmark_inputs() -> list[Path]:
    return [p for p in _all_inputs() if p.name not in NOT_COMMONMARK]


@pytest.mark.parametrize("source", _commonmark_inputs(), ids=lambda p: p.name)
def test_no_list_quote_code_or_table_lost(converted: Path, source: Path) -> None:
    import lxml.html

    article = normalize(load(source, Report(), LoadOptions(root=source.parent)), Report())
    want = _structure_in_source(article.markdown)
    page = lxml.html.parse(str(converted / f"{source.stem}.html")).getroot()
    body = page.find_class("body")[0]
    got = {tag: len(body.findall(f".//{tag}")) for tag in want}
    # At least as many: a repair may add some (a list flattened into a table cell becomes
    # a list again) and a cramped table is laid out in parts.
    assert all(got[tag] >= want[tag] for tag in want), (got, want)


@pytest.mark.parametrize("source", _commonmark_inputs(), ids=lambda p: p.name)
def test_no_markdown_syntax_shows_as_text(converted: Path, source: Path) -> None:
    import lxml.html

    with zipfile.ZipFile(converted / f"{source.stem}.epub") as epub:
        pages = [n for n in epub.namelist() if n.endswith(".xhtml") and "nav" not in n]
        texts = []
        for name in pages:
            root = lxml.html.fromstring(epub.read(name))
            for code in root.xpath("//pre | //code"):
                code.drop_tree()
            texts.append("\n".join(root.itertext()))
    shown = "\n".join(texts)
    assert not LITERAL.findall(shown), LITERAL.findall(shown)[:5]
    pdf = subprocess.run(
        ["pdftotext", "-layout", str(converted / f"{source.stem}.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    html = lxml.html.parse(str(converted / f"{source.stem}.html")).getroot()
    code_lines = {
        line.strip()
        for pre in html.xpath("//pre | //code")
        for line in pre.text_content().split("\n")
    }
    leaked = [
        line
        for line in pdf.split("\n")
        if LITERAL.search(line)
        and line.strip() not in code_lines
        and not _in_code(line, code_lines)
    ]
    assert not leaked, leaked[:5]


def _in_code(line: str, code_lines: set[str]) -> bool:
    """A PDF line that holds a code line (a listing set beside a line number or wrapped)."""
    stripped = line.strip()
    return any(
        part and (part in stripped or stripped in part) for part in code_lines if len(part) > 3
    )


def test_the_syntax_check_can_fail() -> None:
    assert LITERAL.search("Units under command: * First unit * Second unit\n* Nested")
    assert LITERAL.search("```js{10}")
    assert LITERAL.search("see [the guide](https://example.org/a b)")
    assert not LITERAL.search("A sentence - with a dash, and 3 * 4 = 12.")


def test_the_syntax_check_fails_on_a_misread_document(tmp_path: Path) -> None:
    # Read in the wrong dialect, a list under a paragraph line prints as text: the EPUB
    # check above would catch it.
    source = tmp_path / "units.md"
    source.write_text("---\ntitle: Units\n---\n\nUnits:\n* First unit\n* Second unit\n")
    args = ["convert", str(source), "-o", str(tmp_path), "--format", "epub", "-q"]
    assert main([*args, "--markdown", "python-markdown"]) == 0
    with zipfile.ZipFile(tmp_path / "units.epub") as epub:
        text = b"".join(epub.read(n) for n in epub.namelist() if n.endswith(".xhtml"))
    assert LITERAL.search(text.decode())
    assert main(args) == 0
    with zipfile.ZipFile(tmp_path / "units.epub") as epub:
        text = b"".join(epub.read(n) for n in epub.namelist() if n.endswith(".xhtml"))
    assert not LITERAL.search(text.decode().replace("<", "\n<"))

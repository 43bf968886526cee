"""The apparatus through real WeasyPrint, ebooklib and EPUBCheck: the sample book
``content/books/apparatus-demo`` (index, references across chapters, numbered figures,
tables and equations, lists of figures and tables, mathematics), an article with a
reference to nothing and a formula that does not parse, and one article in Ukrainian and
in English: its generated words in its language, in the PDF's text and the EPUB's pages."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import lxml.html
import pikepdf
import pytest
from lxml import etree
from pypdf import PdfReader

from convert.cli import main
from tests.conftest import CONTENT

pytestmark = pytest.mark.e2e

DEMO = CONTENT / "books" / "apparatus-demo" / "book.toml"
XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("apparatus")
    report = out / "report.json"
    args = ["book", str(DEMO), "-o", str(out), "--format", "pdf,epub,html"]
    assert main([*args, "--report", str(report), "-q", "--no-cache"]) == 0
    return out, json.loads(report.read_text())


def _pages(pdf: Path) -> list[str]:
    """Each page's text, hyphenated line ends joined and white space collapsed."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    pages = text.split("\f")[: len(PdfReader(pdf).pages)]
    return [" ".join(re.sub(r"(\w)[-\u2010]\n(\w)", r"\1\2", p).split()) for p in pages]


def _folios(pdf: Path) -> list[str]:
    return list(PdfReader(pdf).page_labels)


def _physical(folios: list[str], label: str) -> int:
    return folios.index(label)


def test_the_demo_book_builds_clean(demo) -> None:
    _out, diagnostics = demo
    codes = {d["code"] for d in diagnostics}
    assert not codes & {"xref.unresolved", "xref.duplicate", "math.invalid", "toc.page-mismatch"}
    assert not codes & {"index.see-missing", "index.page-mismatch", "link.fragment"}


def test_every_print_index_locator_points_at_a_page_with_its_term(demo) -> None:
    out, _ = demo
    pdf = out / "apparatus-demo.pdf"
    pages, folios = _pages(pdf), _folios(pdf)
    doc = lxml.html.parse(str(out / "apparatus-demo.html")).getroot()
    marks = {
        el.get("id"): " ".join(el.text_content().split()) for el in doc.find_class("index-mark")
    }
    entries = doc.get_element_by_id("index-body").find_class("index-entry")
    checked = 0
    for entry in entries:
        links = [a for a in entry.iterchildren("a") if "index-locator" in a.get("class", "")]
        names = {marks[a.get("href")[1:]].casefold() for a in links}
        for a in links:
            first, _, last = a.text_content().partition("\u2013")
            start = _physical(folios, first)
            end = _physical(folios, last) if last else start
            assert start <= end
            # The linked mark is on the first page of the run; every page of a run holds
            # the term (a range is only made of consecutive pages that mark it).
            assert marks[a.get("href")[1:]].casefold() in pages[start].casefold(), a.text
            for page in range(start, end + 1):
                assert any(n in pages[page].casefold() for n in names), (a.text, page)
            checked += 1
    assert checked >= 10
    # Ranges were collapsed somewhere ("leading" runs over several pages).
    assert any("\u2013" in a.text_content() for a in doc.find_class("index-locator"))


def test_print_index_links_land_where_they_print(demo) -> None:
    out, _ = demo
    pdf = out / "apparatus-demo.pdf"
    folios = _folios(pdf)
    pages = _pages(pdf)
    reader = PdfReader(pdf)
    first_index_page = max(i for i, text in enumerate(pages) if text.startswith("Index"))
    for page in reader.pages[first_index_page:]:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            dest = annot.get("/Dest") or (annot.get("/A") or {}).get("/D")
            target = reader.get_destination_page_number(reader.named_destinations[str(dest)])
            assert folios[target] in pages[first_index_page] + " ".join(pages[first_index_page:])


def test_epub_index_links_resolve_to_the_marked_words(demo, epubcheck) -> None:
    out, _ = demo
    epub = out / "apparatus-demo.epub"
    assert epubcheck.one(epub) == []  # no RSC-012 (a fragment that names nothing)
    with zipfile.ZipFile(epub) as z:
        files = {Path(n).name: z.read(n) for n in z.namelist() if n.endswith(".xhtml")}
        opf = next(z.read(n).decode() for n in z.namelist() if n.endswith(".opf"))
    index = etree.fromstring(files["index.xhtml"])
    assert index.find(f".//{XHTML}section[@{EPUB_TYPE}='index']") is not None
    assert 'properties="mathml"' in opf
    locators = index.findall(f".//{XHTML}a[@{EPUB_TYPE}='index-locator']")
    assert len(locators) >= 10
    for a in locators:
        name, _, ident = a.get("href").partition("#")
        target = etree.fromstring(files[name]).find(f".//*[@id='{ident}']")
        assert target is not None, a.get("href")
        assert target.get("class") == "index-mark" and "".join(target.itertext()).strip()


def test_references_print_numbers_and_pages(demo) -> None:
    out, _ = demo
    pdf = out / "apparatus-demo.pdf"
    pages, folios = _pages(pdf), _folios(pdf)
    text = " ".join(pages)
    assert "@" not in text  # every reference resolved
    for expected in (
        "Table 1.1 lists the units",  # @tbl:units, same chapter
        "the units (Section 1.1)",  # from the preface into chapter 1
        "shown in Figure 1.1" if "shown in Figure 1.1" in text else "drawn in Figure 1.1",
        "Equation (2.1)",
        "Figure 3.1 shows how each fold",
        "Of these, item 2 is where",
    ):
        assert expected in text, expected
    # Captions and the equation carry their numbers.
    assert "Figure 2.1. A text block" in text and "Table 3.1. Folded sheets" in text
    # "@page:sec:leading" prints the folio of the page the section starts on.
    leading = next(i for i, p in enumerate(pages) if "2.1 LEADING" in p.upper())
    assert f"follows on p. {folios[leading]}" in text
    # The appendix: "@eq:signatures (@page:eq:signatures)".
    found = re.search(r"Equation \(3\.1\) \(p\. (\w+)\)", text)
    assert found and "(3.1)" in pages[_physical(folios, found[1])]


def test_epub_references_are_links_with_the_same_labels(demo) -> None:
    out, _ = demo
    with zipfile.ZipFile(out / "apparatus-demo.epub") as z:
        files = {Path(n).name: z.read(n) for n in z.namelist() if n.endswith(".xhtml")}
    seen = []
    for name, data in files.items():
        for a in etree.fromstring(data).iter(f"{XHTML}a"):
            if "xref" not in (a.get("class") or ""):
                continue
            other, _, ident = a.get("href").partition("#")
            target = etree.fromstring(files[other or name]).find(f".//*[@id='{ident}']")
            assert target is not None, a.get("href")
            seen.append("".join(a.itertext()))
    assert "Figure 3.1" in seen and "Table 2.1" in seen and "Section 1.1" in seen


def test_a_formula_is_mathml_in_the_epub_and_paths_in_the_pdf(demo) -> None:
    out, _ = demo
    with zipfile.ZipFile(out / "apparatus-demo.epub") as z:
        units = z.read(next(n for n in z.namelist() if n.endswith("chapter-02.xhtml"))).decode()
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"' in units
    assert 'alttext="1\\,\\mathrm{pt} = \\frac{1}{72}' in units
    with pikepdf.open(out / "apparatus-demo.pdf") as pdf:
        formulas = []  # (alt, page, MCID)
        stack = [pdf.Root.StructTreeRoot]
        while stack:
            element = stack.pop()
            kids = element.get("/K")
            kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
            for kid in kids:
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    if kid.S == "/Formula":
                        mcid = next(int(k) for k in kid.K if isinstance(k, int))
                        formulas.append((str(kid.Alt), kid.Pg.objgen, mcid))
                    stack.append(kid)
        _alt, page, mcid = next(f for f in formulas if f[0].startswith("1\\,\\mathrm{pt} = "))
        # Drawn, not set: its marked content is path operators, no text, no math font.
        page = next(p for p in pdf.pages if p.obj.objgen == page)
        ops: list[str] = []
        inside = 0
        for operands, operator in pikepdf.parse_content_stream(page):
            name = str(operator)
            if name == "BDC" and inside == 0:
                props = operands[1] if len(operands) > 1 else None
                if isinstance(props, pikepdf.Dictionary) and props.get("/MCID") == mcid:
                    inside = 1
                    continue
            elif inside and name in ("BDC", "BMC"):
                inside += 1
            elif inside and name == "EMC":
                inside -= 1
            if inside:
                ops.append(name)
        assert ops.count("c") + ops.count("l") > 20 and "f" in ops
        assert "BT" not in ops and "Tj" not in ops and "TJ" not in ops
        fonts = {str(f.get("/BaseFont")) for p in pdf.pages for f in p.Resources.Font.values()}
        assert not any("STIX" in f for f in fonts)


def test_lists_of_figures_and_tables_print_their_pages(demo) -> None:
    out, _ = demo
    pages = _pages(out / "apparatus-demo.pdf")
    figures = next(p for p in pages if p.startswith("FIGURES") or p.startswith("Figures"))
    assert "Figure 1.1 An em quad" in figures and "Figure 3.1 A sheet folded" in figures


def test_unresolved_reference_and_bad_formula_stay_readable(tmp_path: Path) -> None:
    source = tmp_path / "broken.md"
    source.write_text(
        "---\ntitle: Broken\n---\n\nAs @fig:nowhere shows, $\\frac{a$ is no formula.\n\n$$ x^ $$\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.json"
    args = ["convert", str(source), "-o", str(tmp_path), "--report", str(report), "-q"]
    assert main(args) == 0
    found = json.loads(report.read_text())
    codes = sorted(d["code"] for d in found)
    assert codes == ["math.invalid", "math.invalid", "xref.unresolved"]
    assert all(d["line"] == 5 for d in found if d["code"] == "xref.unresolved")
    text = " ".join(_pages(tmp_path / "broken.pdf"))
    assert "As @fig:nowhere shows, $\\frac{a$ is no formula." in text
    assert "$$x^$$" in text.replace(" ", "")
    with zipfile.ZipFile(tmp_path / "broken.epub") as z:
        chapter = z.read(next(n for n in z.namelist() if n.endswith("chapter.xhtml"))).decode()
    assert '<code class="math-error">$\\frac{a$</code>' in chapter
    assert "<math" not in chapter


def test_the_book_is_the_same_twice(tmp_path: Path, demo) -> None:
    out, _ = demo
    assert main(["book", str(DEMO), "-o", str(tmp_path), "-q", "--no-cache"]) == 0
    for name in ("apparatus-demo.pdf", "apparatus-demo.epub"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


# An article that makes every kind of generated word: a numbered figure and table, a
# reference to each and to a section by its title, a page reference, index marks with
# "see" and "see also", containers without and with a title of their own, and an alert.
ARTICLE = """---
title: {title}
lang: {lang}
---

## {intro} {{#sec:intro}}

@fig:square, @tbl:units (@page:fig:square), @sec:intro.

![{square}](square.svg){{#fig:square}}

| a | b |
| --- | --- |
| 1 | 2 |

Table: {units} {{#tbl:units}}

[{type}]{{.index}} [{body}]{{.index see="{type}"}} [{face}]{{.index also="{type}"}}

::: note
{text}
:::

::: tip {own}
{text}
:::

> [!WARNING]
> {text}
"""


def _article(tmp_path: Path, lang: str, **words: str) -> tuple[str, dict[str, str]]:
    """The PDF's text (white space collapsed) and the EPUB's XHTML pages of ``ARTICLE``."""
    square = CONTENT / "books" / "apparatus-demo" / "images" / "em-quad.svg"
    (tmp_path / "square.svg").write_bytes(square.read_bytes())
    source = tmp_path / f"{lang}.md"
    source.write_text(ARTICLE.format(lang=lang, **words), encoding="utf-8")
    args = ["convert", str(source), "-o", str(tmp_path), "--format", "pdf,epub", "-q"]
    assert main([*args, "--root", str(tmp_path)]) == 0
    with zipfile.ZipFile(tmp_path / f"{lang}.epub") as z:
        pages = {Path(n).name: z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml")}
    return " ".join(_pages(tmp_path / f"{lang}.pdf")), pages


def test_an_article_in_ukrainian_gets_ukrainian_generated_words(tmp_path: Path) -> None:
    """Issue 13: labels, page references, the index and admonition titles follow the
    document's language, in the PDF and the EPUB alike (the author's own title stays)."""
    pdf, epub = _article(
        tmp_path, "uk", title="Стаття", intro="Вступ", square="Квадрат", units="Одиниці",
        type="шрифт", body="кегль", face="гарнітура", text="Текст.", own="Моя порада",
    )  # fmt: skip
    chapter, index = epub["chapter.xhtml"], epub["index.xhtml"]
    for expected in ("рис. 1, табл. 1 (с. 1), «Вступ».", "Рис. 1. Квадрат", "Табл. 1. Одиниці"):
        assert expected in pdf, expected
    assert "Предметний покажчик" in pdf and "див. шрифт" in pdf and "див. також шрифт" in pdf
    assert "Примітка Текст." in pdf and "Моя порада Текст." in pdf and "Попередження" in pdf
    assert '<a class="xref" href="#fig.square">рис.\u00a01</a>' in chapter
    assert '<span class="caption-label">Рис.\u00a01</span>. Квадрат' in chapter
    assert '<a class="xref" href="#sec.intro">«Вступ»</a>' in chapter
    for title in ("Примітка", "Моя порада", "Попередження"):
        assert f">{title}</p>" in chapter, title
    assert '<h1 class="title" id="apparatus-title">Предметний покажчик</h1>' in index
    assert '<em class="index-see">див.</em>' in index
    assert '<em class="index-see">див. також</em>' in index
    english = ("Figure", "Table", "Index", "see", "Note", "Tip", "Warning", "p.")
    for word in english:
        assert not re.search(rf"(?<![\w-]){re.escape(word)}(?!\w)", pdf), word


def test_an_article_in_english_keeps_its_words(tmp_path: Path) -> None:
    """The same article in English reads as it did when the words were a table of the
    apparatus and the titles were written by the repairs."""
    pdf, epub = _article(
        tmp_path, "en", title="Article", intro="Introduction", square="A square",
        units="Units", type="type", body="body", face="face", text="Text.", own="My tip",
    )  # fmt: skip
    chapter, index = epub["chapter.xhtml"], epub["index.xhtml"]
    assert "Figure 1, Table 1 (p. 1), \u201cIntroduction\u201d." in pdf
    assert "Figure 1. A square" in pdf and "Table 1. Units" in pdf
    assert "body, see type" in pdf and "see also type" in pdf
    assert "Note Text." in pdf and "My tip Text." in pdf and "Warning Text." in pdf
    assert '<span class="caption-label">Figure 1</span>. A square' in chapter
    assert '<a class="xref" href="#sec.intro">\u201cIntroduction\u201d</a>' in chapter
    for title in ("Note", "My tip", "Warning"):
        assert f">{title}</p>" in chapter, title
    assert '<h1 class="title" id="apparatus-title">Index</h1>' in index
    assert '<em class="index-see">see</em>' in index
    assert '<em class="index-see">see also</em>' in index

"""The apparatus without a layout: the syntax the reader takes, numbering, references,
the index's order in German, Swedish and Czech, formulas that do not parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from convert.apparatus import Apparatus, Doc, Style
from convert.apparatus.collate import letter_groups
from convert.apparatus.index import Index
from convert.apparatus.marks import Mark, Term, read_terms
from convert.apparatus.mathml import MathError, mathml
from convert.apparatus.words import words
from convert.diagnostics import Report
from convert.errors import ConvertError
from convert.load import load
from convert.markdown import dialect
from convert.normalize import normalize
from convert.parse import parse


def _render(text: str) -> str:
    return dialect("commonmark").render(text)[0]


def test_the_reader_takes_math_labels_and_index_spans() -> None:
    html = _render(
        "Inline $a^2$, prices $20 and $30 stay, `$x$` is code.\n\n"
        "$$\nE = mc^2\n$$ {#eq:energy}\n\n"
        "![Bed](bed.svg){#fig:bed}\n\n"
        '[lead]{.index entry="type!lead" also="quoins"}\n'
    )
    assert '<span class="math">a^2</span>' in html
    assert "$20 and $30 stay" in html and "<code>$x$</code>" in html
    assert '<div class="math display" id="eq:energy">E = mc^2</div>' in html
    assert 'id="fig:bed"' in html
    assert 'data-index="type!lead"' in html and 'data-also="quoins"' in html


def test_math_lines_are_code_to_the_repairs() -> None:
    blocks = dialect("commonmark").blocks("Text\n\n$$\nx^{{2}}\n$$\n")
    assert [blocks.code(i) for i in range(5)] == [False, False, True, True, True]


def _parsed(text: str, tmp_path: Path) -> tuple[str, Report]:
    source = tmp_path / "doc.md"
    source.write_text(text, encoding="utf-8")
    report = Report()
    article = normalize(load(source, report), report)
    return parse(article).html, report


def test_templates_inside_formulas_are_left_alone(tmp_path: Path) -> None:
    html, report = _parsed("---\ntitle: T\n---\n\nSee $x^{{2}}$ here.\n\n$$\n{{a}}\n$$\n", tmp_path)
    assert "x^{{2}}" in html and "{{a}}" in html
    assert "markup.liquid" not in report.codes()


def test_labels_become_xml_names(tmp_path: Path) -> None:
    html, _ = _parsed(
        "---\ntitle: T\n---\n\n## Method {#sec:method}\n\n[see](#sec:method)\n", tmp_path
    )
    assert 'id="sec.method" data-label="sec:method"' in html and 'href="#sec.method"' in html


def _build(fragments: list[str], **options: object) -> tuple[Apparatus, list[tuple[str, str]]]:
    found: list[tuple[str, str]] = []

    def emit(code: str, needle: str, *_rest: object) -> None:
        found.append((code, needle))

    docs = [Doc(f"Chapter {n}", emit, prefix=str(n), pdf_prefix=f"c{n}-", file_name=f"c{n}.xhtml")
            for n in range(1, len(fragments) + 1)]  # fmt: skip
    return Apparatus.build(docs, fragments, Style.of(options, "en")), found


def test_numbers_per_chapter_or_per_book() -> None:
    one = '<p><img src="a.svg" alt="A" id="fig.a" data-label="fig:a"></p>'
    two = '<p><img src="b.svg" alt="B" id="fig.b" data-label="fig:b"></p>'
    chaptered, _ = _build([one, two])
    assert chaptered.targets["fig:b"].number == "2.1"
    book, _ = _build([one, two], numbering="book")
    assert book.targets["fig:b"].number == "2"
    assert book.label_text(book.targets["fig:b"]) == "Figure 2"


def test_unresolved_and_duplicate_labels_are_reported() -> None:
    _, found = _build(
        [
            '<h2 id="sec.a" data-label="sec:a">A</h2><p>See @fig:none and @sec:a.</p>',
            '<h2 id="sec.a" data-label="sec:a">Again</h2>',
        ]
    )
    assert ("xref.unresolved", "@fig:none") in found
    assert [c for c, _ in found].count("xref.duplicate") == 1


def test_a_reference_across_chapters_links_into_the_other_file() -> None:
    import lxml.html

    app, _ = _build(
        ["<p>See @tbl:t.</p>", '<table id="tbl.t" data-label="tbl:t"><tr><td>x</td></tr></table>']
    )
    root = lxml.html.fragment_fromstring("<p>See @tbl:t.</p>", create_parent="div")
    app.hook(0, "epub").apply(root)
    link = root.find(".//a")
    assert link.get("href") == "c2.xhtml#tbl.t" and link.text == "Table 2.1"
    root = lxml.html.fragment_fromstring("<p>See @page:tbl:t.</p>", create_parent="div")
    app.hook(0, "pdf").apply(root)
    link = root.find(".//a")
    assert link.get("href") == "#c2-tbl.t" and "xref-page" in link.get("class")


def test_words_come_from_the_catalogs_placeholders_filled() -> None:
    uk = words("uk")
    assert uk.label("fig", "3.2") == "рис.\u00a03.2" and uk.label("item", "2") == "п.\u00a02"
    assert uk.quote("Вступ") == "«Вступ»" and uk.page_around() == ("с.\u00a0", "")
    assert (uk.index, uk.see, uk.see_also) == ("Предметний покажчик", "див.", "див. також")
    # The five languages the hand table had keep its words.
    de = words("de-AT")
    assert de.label("fig", "1") == "Abbildung 1" and de.caption_joiner() == ": "
    assert de.page_around() == ("S.\u00a0", "")
    assert words("fr").quote("Titre") == "«\u202fTitre\u202f»"
    assert words("sv").label("tbl", "2") == "tabell 2" and words("cs").see_also == "viz též"
    # The number may come first, or the word after it.
    assert words("hu").label("fig", "3") == "3. ábra"
    assert words("ja").page_around() == ("", "ページ")
    # A language without a catalog gets the English of the msgids, no-break space included.
    en = words("xx")
    assert en.label("eq", "1") == "Equation (1)" and en.caption_joiner() == ". "
    assert en.page_around() == ("p.\u00a0", "")
    assert en.quote("Leading") == "\u201cLeading\u201d"


def test_a_theme_catalog_overrides_the_apparatus_words(tmp_path: Path) -> None:
    (tmp_path / "locale").mkdir()
    (tmp_path / "locale" / "en.po").write_text(
        'msgid "Figure %(n)s"\nmsgstr "Fig. %(n)s"\n', encoding="utf-8"
    )
    assert words("en", (tmp_path,)).label("fig", "4") == "Fig. 4"
    assert words("en").label("fig", "4") == "Figure 4"


def test_a_chapter_in_its_own_language_gets_its_own_words() -> None:
    """A German chapter of an English book: its captions and references in German, the
    index (the book's) in English."""
    import lxml.html

    def emit(*_args: object) -> None:
        pass

    chapter = '<p>See @fig:a.</p><p><img src="a.svg" alt="A" id="fig.a" data-label="fig:a"></p>'
    docs = [Doc("One", emit, prefix="1"), Doc("Zwei", emit, prefix="2", lang="de")]
    app = Apparatus.build(docs, ["<p>See @fig:a.</p>", chapter], Style.of({}, "en"))
    for n, expected in ((0, "Figure 2.1"), (1, "Abbildung 2.1")):
        root = lxml.html.fragment_fromstring("<p>See @fig:a.</p>", create_parent="div")
        app.hook(n, "epub").apply(root)
        assert root.find(".//a").text == expected
    root = lxml.html.fragment_fromstring(
        '<figure id="fig.a" data-label="fig:a"><img src="a.svg"><figcaption>Bild</figcaption>'
        "</figure>",
        create_parent="div",
    )
    app.hook(1, "epub").apply(root)
    assert root.find(".//figcaption").text_content() == "Abbildung 2.1: Bild"
    assert app.words.index == "Index"


def _order(lang: str, words: list[str]) -> list[tuple[str, list[str]]]:
    marks = [(0, Mark(f"idx-{n}", (w,), (), (), "", "", w)) for n, w in enumerate(words)]
    index = Index.of(marks, lang)
    return [(letter, [e.name for e in entries]) for letter, entries in index.groups()]


def test_german_files_umlauts_with_their_vowels() -> None:
    assert _order("de", ["Zange", "Öl", "Apfel", "Ofen", "Äther", "Ozon"]) == [
        ("A", ["Apfel", "Äther"]),
        ("O", ["Ofen", "Öl", "Ozon"]),
        ("Z", ["Zange"]),
    ]


def test_swedish_puts_a_ring_a_umlaut_o_umlaut_after_z() -> None:
    assert _order("sv", ["Öl", "Åsa", "Zebra", "Ärta", "Apa"]) == [
        ("A", ["Apa"]),
        ("Z", ["Zebra"]),
        ("Å", ["Åsa"]),
        ("Ä", ["Ärta"]),
        ("Ö", ["Öl"]),
    ]


def test_czech_puts_ch_after_h() -> None:
    assert _order("cs", ["chata", "hrad", "cesta", "čas", "ihned"]) == [
        ("C", ["cesta"]),
        ("Č", ["čas"]),
        ("H", ["hrad"]),
        ("CH", ["chata"]),
        ("I", ["ihned"]),
    ]


def test_english_ignores_accents_and_case_first() -> None:
    assert [g for g, _ in letter_groups("en", ["éclair", "Eagle", "zebra"])] == ["E", "Z"]


def test_sub_entries_and_see_also() -> None:
    marks = [
        (0, Mark("idx-1", ("type", "lead"), (), ("quoins",), "", "S", "lead")),
        (0, Mark("idx-2", ("quoins",), ("furniture",), (), "", "S", "quoins")),
    ]
    index = Index.of(marks, "en")
    assert index.find("type!lead").also == ["quoins"]
    assert index.find("quoins").locators == []  # "see" is a pointer, not a place
    assert index.missing_references() == [(0, "quoins", "furniture")]


def test_a_formula_that_does_not_parse_says_why() -> None:
    assert 'alttext="\\frac{a}{b}"' in mathml("\\frac{a}{b}", display=False)
    for bad, why in (("\\frac{a", "never closed"), ("a^", "missing"), ("\\foo{x}", "unknown")):
        with pytest.raises(MathError, match=why):
            mathml(bad, display=False)


def test_index_terms_from_the_manifest() -> None:
    terms = read_terms(
        {"terms": ["pica", {"term": "em quad", "entry": "em!quad", "also": ["pica"]}]}, "b"
    )
    assert terms == (Term("pica"), Term("em quad", "em!quad", "", "pica"))
    with pytest.raises(ConvertError, match=r"index\.terms"):
        read_terms({"terms": [3]}, "b")

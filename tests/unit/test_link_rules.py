"""Unit tests for the link and footnote rules and the scanners they share.

Covers convert/normalize/{syntax,footnotes,references,fragments,site_links}.py and the
``<a name>`` anchors the sanitizer and tree stage keep. Each rule test asserts the
diagnostics it expects; the case files in tests/rules/cases hold the end-to-end examples.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from convert.diagnostics import Report, Severity
from convert.markdown import dialect
from convert.markdown.pyblocks import code_lines, raw_lines
from convert.model import Article, Meta
from convert.normalize import RULES, footnotes, fragments, normalize, references, site_links
from convert.normalize.base import Context, Doc, Line, Rule, doc_from_text, doc_text
from convert.normalize.syntax import definition, links, mask
from convert.parse import parse
from convert.sanitize import clean
from convert.tree import prepare


def _doc(markdown: str, dialect: str = "commonmark", **extra: object) -> Doc:
    return doc_from_text(markdown, 1, Meta(title="T", extra=extra), dialect)


def _apply(
    rule: Rule,
    markdown: str,
    base_url: str | None = None,
    dialect: str = "commonmark",
    **extra: object,
):
    report = Report()
    ctx = Context(
        path=Path("/site/doc.md"),
        root=Path("/site"),
        report=report,
        base_url=base_url,
        dialect=dialect,
    )
    out = rule.apply(_doc(markdown, dialect, **extra), ctx)
    return doc_text(out), [(d.code, d.location.line) for d in report.sorted()]


# --- syntax -----------------------------------------------------------------------------------


def test_links_kinds_and_spans() -> None:
    text = "[a](u 'T') [b][c] [d][] [e] ![f](g.png) `[h]` \\[i]"
    found = links(text)
    assert [(x.kind, x.image, x.text, x.label) for x in found] == [
        ("inline", False, "a", "a"),
        ("full", False, "b", "c"),
        ("collapsed", False, "d", "d"),
        ("shortcut", False, "e", "e"),
        ("inline", True, "f", "f"),
    ]
    assert found[0].dest == "u"
    assert text[slice(*found[0].dest_span)] == "u"


def test_links_nested_and_destinations() -> None:
    found = links("[![img][i]](http://x/(y)) [t](<a b>) [u](/x [not a link])")
    kinds = [(x.kind, x.text, x.nested) for x in found]
    assert kinds == [
        ("inline", "![img][i]", False),
        ("full", "img", True),
        ("inline", "t", False),
        ("inline", "u", False),
    ]
    assert [x.dest for x in found if x.kind == "inline"] == [
        "http://x/(y)",
        "a b",
        "/x [not a link]",
    ]


def test_mask_blanks_code_and_escapes() -> None:
    assert mask("a `[b]` \\[c]") == "a \x00\x00\x00\x00\x00 \x00\x00c]"


def test_raw_html_blocks() -> None:
    text = "<div>\n<div>\n## x\n</div>\n</div>\n## y\n<!--\n[a](#b)\n-->\n<hr>\ntext"
    lines = text.split("\n")
    # Python-Markdown: a block runs to its closing tag.
    assert raw_lines(lines, code_lines(lines)) == [True] * 5 + [False] + [True] * 4 + [False]
    # CommonMark: a <div> block runs to the next blank line, whatever it holds.
    assert [k == "html" for k in dialect("commonmark").blocks(text).kinds] == [True] * 11
    spaced = "<div>\n\n## x\n\n</div>\n\n<!--\n[a](#b)\n-->\ntext"
    kinds = dialect("commonmark").blocks(spaced).kinds
    assert [k == "html" for k in kinds] == [
        True, False, False, False, True, False, True, True, True, False,
    ]  # fmt: skip


def test_definition_forms() -> None:
    assert definition(Line("[a]: /x 'T'", 1)).dest == "/x"  # type: ignore[union-attr]
    assert definition(Line("> [b]: <a b>", 1)).dest == "a b"  # type: ignore[union-attr]
    assert definition(Line("[c]:", 1)).dest == ""  # type: ignore[union-attr]
    assert definition(Line("[^n]: note", 1)) is None
    assert definition(Line("    [d]: /x", 1)) is None


# --- footnotes --------------------------------------------------------------------------------


def test_footnote_call_removal_keeps_spacing() -> None:
    out, diags = _apply(footnotes.RULE, "a [^x] b, c[^y]. [^z] d\n[^w]\ne\n")
    assert out == "a b, c. d\ne\n"
    assert [code for code, _ in diags] == ["footnote.undefined"] * 4


@pytest.mark.parametrize("text", ["[^a-z]", "[^A-Za-z0-9_]", "[^ ]", "[^abc]+", "[^\\s]", "[^)]"])
def test_regex_classes_are_not_footnote_calls(text: str) -> None:
    out, diags = _apply(footnotes.RULE, f"Match {text} here.\n")
    assert out == f"Match {text} here.\n"
    assert diags == []


def test_footnote_defined_in_a_quote_counts() -> None:
    markdown = "Call[^q].\n\n> [^q]: Quoted note.\n"
    out, diags = _apply(footnotes.RULE, markdown)
    assert out == markdown
    assert diags == []


def test_unused_footnote_between_used_ones_stays_out_of_them() -> None:
    markdown = "One[^a] two[^c].\n\n[^a]: A.\n[^b]: Orphan.\n[^c]: C.\n"
    out, diags = _apply(footnotes.RULE, markdown)
    assert diags == [("footnote.unused", 4)]
    html = parse(Article(Path("d.md"), Meta(title="T"), out)).html
    assert "<p>Orphan.</p>" in html
    assert html.count("<li id=") == 2


def test_ten_thousand_footnotes_in_linear_time() -> None:
    n = 10_000
    calls = " ".join(f"t[^{i}]" for i in range(n))
    notes = "\n".join(f"[^{i}]: Note {i}." for i in range(n))
    start = time.perf_counter()
    _, diags = _apply(footnotes.RULE, f"{calls} [^missing]\n\n{notes}\n")
    assert time.perf_counter() - start < 60  # guard against blow-ups, not a benchmark
    assert diags == [("footnote.undefined", 1)]


# --- references -------------------------------------------------------------------------------


def test_numbers_are_references_only_when_numbered_definitions_exist() -> None:
    prose = "Cited [1] and [2].\n\n[x]: https://e.org\n"
    out, diags = _apply(references.RULE, prose)
    assert out == prose
    assert ("link.undefined", 1) not in diags
    numbered = "Cited [1] and [2].\n\n[1]: https://e.org\n"
    out, diags = _apply(references.RULE, numbered)
    assert out == "Cited [1] and 2.\n\n[1]: https://e.org\n"
    assert diags == [("link.undefined", 1)]


def test_shortcut_without_any_definition_is_prose() -> None:
    markdown = "A [note] and [Important detail].\n"
    assert _apply(references.RULE, markdown) == (markdown, [])


def test_unused_definition_is_info() -> None:
    _, diags = _apply(references.RULE, "Text.\n\n[spare]: https://e.org\n")
    assert diags == [("link.definition-unused", 3)]


# --- fragments --------------------------------------------------------------------------------


def test_fragment_resolver_order() -> None:
    found = fragments.anchors(
        _doc("## Early life\n\n## Ранние годы\n\n## A {#explicit}\n"), "commonmark"
    )
    resolver = fragments.Resolver(found)
    assert resolver.resolve("Early_life") == "early-life"
    assert resolver.resolve("EARLY-LIFE") == "early-life"
    assert resolver.resolve("%D0%A0%D0%B0%D0%BD%D0%BD%D0%B8%D0%B5_%D0%B3%D0%BE%D0%B4%D1%8B") == (
        "ранние-годы"
    )
    assert resolver.resolve("EXPLICIT") == "explicit"
    assert resolver.resolve("nowhere") is None
    assert resolver.resolve("") is None


def test_fragment_to_a_raw_anchor_and_a_footnote_is_valid() -> None:
    markdown = (
        'Go [a](#here) [b](#fn-1) [c](#fnref-1).[^n]\n\n<span id="here"></span>\n\n[^n]: N.\n'
    )
    assert _apply(fragments.RULE, markdown) == (markdown, [])


def test_python_markdown_footnote_ids_by_label_are_valid_there() -> None:
    # Python-Markdown names notes by label before it renumbers them (and rewrites the links
    # that pointed at the labels); for CommonMark such a link is pointed at the note's id.
    markdown = "Go [b](#fn-n) [c](#fnref-n).[^n]\n\n[^n]: N.\n"
    assert _apply(fragments.RULE, markdown, dialect="python-markdown") == (markdown, [])
    out, diags = _apply(fragments.RULE, markdown)
    assert out.startswith("Go [b](#fn-1) [c](#fnref-1).")
    assert diags == [("link.fragment-resolved", 1), ("link.fragment-resolved", 1)]


# --- site links -------------------------------------------------------------------------------


def test_published_url_sources() -> None:
    assert site_links.published_url({}, None) is None
    assert site_links.published_url({"canonical": "https://e.org/p/"}, None) == "https://e.org/p/"
    assert site_links.published_url({"base_url": "https://e.org/"}, None) == "https://e.org/"
    assert site_links.published_url({"permalink": "/p/"}, "https://c.org/") == "https://c.org/p/"
    assert site_links.published_url({"permalink": "/p/"}, None) is None
    assert site_links.published_url({"canonical": "not a url"}, None) is None


def test_configured_base_url_absolutizes() -> None:
    out, diags = _apply(site_links.RULE, "[w](/wiki/X)\n", base_url="https://en.example.org/")
    assert out == "[w](https://en.example.org/wiki/X)\n"
    assert diags == [("link.absolutized", 1)]


def test_links_between_chapters_of_one_output_stay() -> None:
    assert not site_links.part_of_output("b.md", Path("/book/a.md"), frozenset())
    chapters = frozenset({Path("/book/b.md")})
    assert site_links.part_of_output("b.md#sec", Path("/book/a.md"), chapters)
    assert site_links.part_of_output("./sub/../b.md", Path("/book/a.md"), chapters)
    assert not site_links.part_of_output("/b.md", Path("/book/a.md"), chapters)
    report = Report()
    ctx = Context(Path("/book/a.md"), Path("/book"), report, book_sources=chapters)
    out = site_links.RULE.apply(_doc("[next](b.md) [gone](c.md)\n"), ctx)
    assert doc_text(out) == "[next](b.md) gone\n"
    assert report.codes() == ["link.unresolved"]


# --- anchors in the output --------------------------------------------------------------------


def test_named_anchor_survives_as_an_id() -> None:
    assert clean('<a name="x">t</a>') == '<a name="x">t</a>'
    html = (
        '<h2 id="taken">T</h2>'
        '<p><a name="old"></a>a <a name="taken">b</a> <a href="#old">go</a></p>'
    )
    emitted: list[tuple] = []
    prepared = prepare(
        html, target="epub", images=lambda src: None, emit=lambda *a: emitted.append(a)
    )
    assert '<a id="old"/>' in prepared.html or '<a id="old"></a>' in prepared.html
    assert "name=" not in prepared.html
    assert prepared.html.count('id="taken"') == 1
    assert emitted == []


def test_heading_ids_ignore_escapes_and_keep_entities() -> None:
    parsed = parse(Article(Path("d.md"), Meta(title="T"), "## Foo \\*bar\\*\n\n## A &amp; B\n"))
    assert [h.id for h in parsed.headings] == ["foo-bar", "a--b"]
    assert [h.text for h in parsed.headings] == ["Foo *bar*", "A & B"]


# --- all rules together -----------------------------------------------------------------------

MIXED = """\
## Early life

Text[^1] and [^gone], see [below](#Later_years), [nowhere](#nope), [wiki](/wiki/X),
[ref][missing], [Early life], [empty]().

## Later years

More.

[^1]: A note.
[^1]: Another.
[^spare]: Orphan.
"""


def test_all_link_rules_idempotent_and_no_tree_fallback() -> None:
    report = Report()
    article = normalize(Article(Path("doc.md"), Meta(title="T"), MIXED), report)
    again = Report()
    second = normalize(article, again)
    assert second.markdown == article.markdown
    assert [d for d in again if d.severity >= Severity.WARNING] == []
    emitted: list[tuple] = []
    prepare(
        parse(article).html, target="epub", images=lambda s: None, emit=lambda *a: emitted.append(a)
    )
    assert [e for e in emitted if e[0].startswith("link.")] == []
    assert {rule.name for rule in RULES} >= {"footnotes", "references", "site_links", "fragments"}


def test_definition_with_its_destination_on_the_next_line() -> None:
    markdown = "[a] and [b]\n\n[a]:\n  /url\n[b]:\n<https://e.org/b>\n"
    out, diags = _apply(site_links.RULE, markdown, base_url="https://e.org/")
    assert out == "[a] and [b]\n\n[a]:\n  https://e.org/url\n[b]:\n<https://e.org/b>\n"
    assert diags == [("link.absolutized", 3)]


def test_a_link_that_goes_on_past_its_line_is_left_to_the_tree_stage() -> None:
    markdown = "[foo](/bar\n and baz) [x][\ny]\n\n[foo]: /url\n"
    out, diags = _apply(references.RULE, markdown)
    assert out == markdown
    assert diags == [("link.definition-unused", 5)]  # [foo](…) is an inline link


def test_text_shaped_like_a_definition_is_left_alone() -> None:
    # The parser reads "[baz]: /foo foo" as text (only a title may follow the destination).
    markdown = "[baz][]\n\n[baz]: /foo foo\n[ok]: /x 'Title'\n"
    out, diags = _apply(references.RULE, markdown)
    assert out == "baz\n\n[baz]: /foo foo\n[ok]: /x 'Title'\n"
    assert diags == [("link.undefined", 1), ("link.definition-unused", 4)]

"""Unit tests for convert/parse.py and the dialects: Markdown → sanitized HTML with unique ids.

``parse`` reports nothing (it has no report argument); each test checks the HTML and the
headings it returns instead.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from convert.diagnostics import Report
from convert.markdown.highlight import highlight_css
from convert.model import Article, Heading, Meta, Parsed
from convert.normalize import normalize
from convert.parse import parse


def _parse(markdown: str, dialect: str = "commonmark") -> Parsed:
    article = Article(source=Path("doc.md"), meta=Meta(title="T"), markdown=markdown)
    return parse(replace(article, dialect=dialect))


def _ids(html: str) -> list[str]:
    return re.findall(r'\bid="([^"]*)"', html)


def test_github_style_slugs() -> None:
    parsed = _parse("## Battle of Konotop (2022)\n\n## C++ & Rust!\n\n## Ünïcode Straße\n")
    assert parsed.headings == (
        Heading(2, "Battle of Konotop (2022)", "battle-of-konotop-2022"),
        Heading(2, "C++ & Rust!", "c--rust"),
        Heading(2, "Ünïcode Straße", "ünïcode-straße"),
    )
    assert '<h2 id="battle-of-konotop-2022">Battle of Konotop (2022)</h2>' in parsed.html


def test_repeated_headings_numbered() -> None:
    parsed = _parse("## Intro\n\na\n\n## Intro\n\nb\n\n### Intro\n")
    assert [h.id for h in parsed.headings] == ["intro", "intro-1", "intro-2"]
    assert [h.level for h in parsed.headings] == [2, 2, 3]


def test_heading_text_is_plain() -> None:
    parsed = _parse("## Hello `code` *em*\n")
    assert parsed.headings == (Heading(2, "Hello code em", "hello-code-em"),)


def test_explicit_id_kept_and_wins_over_slug() -> None:
    parsed = _parse("## Custom {#my-id}\n\n## my-id\n\n## A {#same}\n\n## B {#same}\n")
    assert [h.id for h in parsed.headings] == ["my-id", "my-id-1", "same", "same-1"]
    assert parsed.headings[0].text == "Custom"


def test_ids_are_unique_and_reset_between_documents() -> None:
    first = _parse("## Once\n")
    second = _parse("## Once\n")
    assert first.headings[0].id == second.headings[0].id == "once"


SPACED_NOTES = (
    "Text[^my note] and[^2] and again[^my note].\n\n[^my note]: The note.\n[^2]: Second.\n"
)


@pytest.mark.parametrize("dialect", ["commonmark", "python-markdown"])
def test_footnotes_renumbered_with_labels_containing_spaces(dialect: str) -> None:
    # Python-Markdown reads a label with spaces; for CommonMark the footnotes rule renames
    # it first (footnote.label), so the same note comes out either way.
    report = Report()
    article = Article(source=Path("doc.md"), meta=Meta(title="T"), markdown=SPACED_NOTES)
    article = normalize(replace(article, dialect=dialect), report)
    assert report.codes() == ["footnote.label"]
    html = parse(article).html
    assert '<sup id="fnref-1"><a class="footnote-ref" href="#fn-1">1</a></sup>' in html
    assert '<sup id="fnref-2"><a class="footnote-ref" href="#fn-2">2</a></sup>' in html
    assert '<sup id="fnref2-1"><a class="footnote-ref" href="#fn-1">1</a></sup>' in html
    assert '<li id="fn-1">' in html and '<li id="fn-2">' in html
    assert 'href="#fnref-1"' in html and 'href="#fnref2-1"' in html
    assert "my note" not in html
    assert all(" " not in ident for ident in _ids(html))
    assert len(_ids(html)) == len(set(_ids(html)))


def test_footnote_ids_do_not_clash_with_heading_slugs() -> None:
    parsed = _parse("## fn 1\n\nText[^a]\n\n[^a]: note\n")
    ids = _ids(parsed.html)
    assert len(ids) == len(set(ids))
    assert parsed.headings[0].id == "fn-1"
    assert '<li id="fn-1-1">' in parsed.html
    assert 'href="#fn-1-1"' in parsed.html


def test_explicit_fn_like_heading_id_not_duplicated() -> None:
    parsed = _parse("## Notes {#fn-1}\n\nText[^a]\n\n[^a]: note\n")
    ids = _ids(parsed.html)
    assert len(ids) == len(set(ids))


def test_tables_get_align_attributes() -> None:
    html = _parse("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n").html
    assert '<th align="left">a</th>' in html
    assert '<th align="center">b</th>' in html
    assert '<td align="right">3</td>' in html
    assert "style=" not in html


def test_code_gets_highlight_spans() -> None:
    parsed = _parse("```python\ndef f(x):\n    return 1\n```\n")
    assert parsed.has_code
    assert parsed.html.startswith('<div class="highlight"><pre>')
    assert '<span class="k">def</span>' in parsed.html
    assert '<span class="nf">f</span>' in parsed.html


def test_code_without_language_not_guessed() -> None:
    parsed = _parse("```\nplain <b>text</b>\n```\n")
    assert parsed.has_code
    assert "plain &lt;b&gt;text&lt;/b&gt;" in parsed.html


def test_no_code_flag() -> None:
    assert not _parse("Just text.\n").has_code


def test_highlight_css_scoped() -> None:
    css = highlight_css("friendly")
    assert ".highlight .k" in css


def test_raw_script_removed() -> None:
    html = _parse("Before\n\n<script>alert('x')</script>\n\nAfter\n").html
    assert "<script" not in html
    assert "alert" not in html
    assert "<p>Before</p>" in html and "<p>After</p>" in html


def test_event_handlers_and_style_removed() -> None:
    html = _parse('<p onclick="steal()" style="color:red" class="note">hi</p>\n').html
    assert html.strip() == '<p class="note">hi</p>'


def test_javascript_link_removed() -> None:
    html = _parse("[click](javascript:alert(1))\n").html
    assert "javascript" not in html
    assert "<a>click</a>" in html  # the tree stage keeps the text of a link with no href


def test_attachment_file_link_removed() -> None:
    html = _parse('<a rel="attachment" href="file:///etc/passwd">pw</a>\n').html
    assert "file:" not in html
    assert "rel=" not in html
    assert "passwd" not in html
    assert ">pw<" in html


def test_img_onerror_and_iframe_removed() -> None:
    html = _parse("<img src=x onerror=alert(1)>\n\n<iframe src='https://e.org'></iframe>\n").html
    assert "onerror" not in html
    assert "iframe" not in html


def test_object_object_in_code_survives_parse() -> None:
    html = _parse("Use `[object Object]`.\n").html
    assert "<code>[object Object]</code>" in html

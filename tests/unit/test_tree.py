"""Unit tests for convert/tree.py: the parsed fragment made fit for PDF or EPUB."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

from convert.diagnostics import Severity
from convert.i18n import Messages, messages
from convert.model import Article, Meta, Target
from convert.parse import parse
from convert.tree import Image, Prepared, prepare

XHTML = "http://www.w3.org/1999/xhtml"
EPUB = "http://www.idpf.org/2007/ops"

FOOTNOTES = (
    "Text[^a] more[^long-label] again[^a].\n\n"
    "[^a]: Note *one*.\n"
    "[^long-label]: Note two.\n\n"
    "    Second paragraph.\n"
)


class Emitted(list):
    def codes(self) -> list[str]:
        return [item[0] for item in self]

    def needles(self) -> list[str]:
        return [item[1] for item in self]


def _prepare(
    html: str, target: Target, images: dict[str, str] | None = None
) -> tuple[Prepared, Emitted]:
    emitted = Emitted()
    known = images or {}
    prepared = prepare(
        html,
        target=target,
        images=known.get,
        emit=lambda *args: emitted.append(args),
    )
    return prepared, emitted


def _html(markdown: str) -> str:
    return parse(Article(source=Path("d.md"), meta=Meta(title="T"), markdown=markdown)).html


def _xml(fragment: str) -> ET.Element:
    return ET.fromstring(f'<div xmlns="{XHTML}" xmlns:epub="{EPUB}">{fragment}</div>')


# --- footnotes ------------------------------------------------------------------------------


def test_pdf_footnotes_inline_at_call_site() -> None:
    prepared, emitted = _prepare(_html(FOOTNOTES), "pdf")
    html = prepared.html
    assert emitted.codes() == []
    assert 'class="footnote"' in html
    assert '<div class="footnote">' not in html
    assert "<hr>" not in html and "<ol>" not in html
    assert "footnote-backref" not in html and "↩" not in html
    assert html.startswith('<p>Text<span id="fn-1" class="footnote">Note <em>one</em>.</span> more')
    assert '<span id="fn-2" class="footnote">Note two.<br>Second paragraph.</span>' in html
    # The second call of the same note links to the first instead of repeating it.
    assert '<sup><a href="#fn-1" class="footnote-again">1</a></sup>' in html
    assert html.count('class="footnote"') == 2


def test_epub_footnotes_are_asides_with_noterefs() -> None:
    prepared, emitted = _prepare(_html(FOOTNOTES), "epub")
    assert emitted.codes() == []
    root = _xml(prepared.html)
    epub_type = f"{{{EPUB}}}type"
    refs = [a for a in root.iter(f"{{{XHTML}}}a") if a.get(epub_type) == "noteref"]
    assert [a.get("href") for a in refs] == ["#fn-1", "#fn-2", "#fn-1"]
    assert [a.get("id") for a in refs] == ["fnref-1", "fnref-2", "fnref2-1"]
    asides = list(root.iter(f"{{{XHTML}}}aside"))
    assert [a.get("id") for a in asides] == ["fn-1", "fn-2"]
    assert all(a.get(epub_type) == "footnote" for a in asides)
    section = next(root.iter(f"{{{XHTML}}}section"))
    assert section.get(epub_type) == "footnotes"
    backlinks = [a for a in root.iter(f"{{{XHTML}}}a") if a.get("role") == "doc-backlink"]
    assert [a.get("href") for a in backlinks] == ["#fnref-1", "#fnref-2"]
    assert '<div class="footnote">' not in prepared.html
    assert "data-epub-type" not in prepared.html
    # Every id is unique, every fragment link has a target.
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    hrefs = {el.get("href")[1:] for el in root.iter() if (el.get("href") or "").startswith("#")}
    assert hrefs <= set(ids)


def test_epub_output_is_well_formed_xml() -> None:
    markdown = (
        "## Head & tail\n\nA&nbsp;b<br>c, ![x](a.png) and [l](#head--tail).\n\n"
        "| a |\n|---|\n| 1 |\n\n---\n\n```python\nx = 1 < 2\n```\n" + FOOTNOTES
    )
    prepared, emitted = _prepare(_html(markdown), "epub", {"a.png": "images/a.png"})
    assert emitted.codes() == []
    root = _xml(prepared.html)
    assert root.find(f".//{{{XHTML}}}img").get("src") == "images/a.png"
    assert "<br/>" in prepared.html and "<hr/>" in prepared.html
    assert prepared.images == (Image("images/a.png", "a.png"),)


def test_no_footnotes_no_change() -> None:
    prepared, emitted = _prepare("<p>Plain <sup>2</sup>.</p>", "pdf")
    assert prepared.html == "<p>Plain <sup>2</sup>.</p>"
    assert emitted.codes() == []


# --- links -----------------------------------------------------------------------------------


def test_link_to_missing_fragment_unwrapped() -> None:
    html = (
        '<h2 id="here">Here</h2><p>See <a href="#missing">gone</a> and <a href="#here">ok</a>.</p>'
    )
    prepared, emitted = _prepare(html, "pdf")
    assert emitted.codes() == ["link.fragment"]
    assert emitted.needles() == ["#missing"]
    assert emitted[0][4] is Severity.WARNING
    assert prepared.html == '<h2 id="here">Here</h2><p>See gone and <a href="#here">ok</a>.</p>'


def test_relative_link_to_markdown_unwrapped() -> None:
    html = '<p>Read <a href="other.md">the <em>other</em> one</a>, then <a href="https://e.org">web</a>.</p>'
    prepared, emitted = _prepare(html, "epub")
    assert emitted.codes() == ["link.unresolved"]
    assert emitted.needles() == ["other.md"]
    assert prepared.html == (
        '<p>Read the <em>other</em> one, then <a href="https://e.org">web</a>.</p>'
    )
    _xml(prepared.html)


def test_empty_and_bare_links() -> None:
    html = (
        '<p><a href="">nothing</a> <a>bare</a> <a id="anchor"></a> <a href="mailto:a@b.c">m</a></p>'
    )
    prepared, emitted = _prepare(html, "pdf")
    assert emitted.codes() == ["link.empty"]
    assert prepared.html == '<p>nothing bare <a id="anchor"></a> <a href="mailto:a@b.c">m</a></p>'


def test_link_to_footnote_is_kept() -> None:
    prepared, emitted = _prepare(_html("Note[^n] and [see](#fn-1).\n\n[^n]: N.\n"), "epub")
    assert emitted.codes() == []
    assert '<a href="#fn-1">see</a>' in prepared.html


# --- images ----------------------------------------------------------------------------------


def test_remote_image_becomes_link() -> None:
    prepared, emitted = _prepare('<p><img src="https://ex.com/a.png" alt="A  chart"></p>', "pdf")
    assert emitted.codes() == ["image.remote"]
    assert emitted.needles() == ["https://ex.com/a.png"]
    assert prepared.html == '<p><a href="https://ex.com/a.png" class="remote-image">A chart</a></p>'
    assert prepared.images == ()


def test_remote_image_inside_link_becomes_span() -> None:
    html = '<p><a href="https://ex.com"><img src="https://ex.com/b.svg" alt="badge"></a> x</p>'
    prepared, emitted = _prepare(html, "epub")
    assert emitted.codes() == ["image.remote"]
    assert prepared.html == (
        '<p><a href="https://ex.com"><span class="remote-image">badge</span></a> x</p>'
    )


def test_missing_image_placeholder_keeps_alt() -> None:
    html = '<p>Before <img src="nope.png" alt="Missing map"> after <img src="x.png"></p>'
    prepared, emitted = _prepare(html, "pdf")
    assert emitted.codes() == ["image.missing", "image.missing"]
    assert emitted.needles() == ["nope.png", "x.png"]
    assert prepared.html == (
        '<p>Before <span class="image-missing">[Image: Missing map]</span> after '
        '<span class="image-missing">[Image unavailable]</span></p>'
    )


def test_local_image_resolved_and_lone_image_becomes_figure() -> None:
    known = {"pics/a.png": "img/1.png"}
    prepared, emitted = _prepare('<p><img src="pics/a.png"></p>', "epub", known)
    assert emitted.codes() == []
    assert prepared.html == '<figure><img src="img/1.png" alt=""/></figure>'
    assert prepared.images == (Image("img/1.png", "pics/a.png"),)


def test_lone_image_caption_from_title_else_alt() -> None:
    known = {"a.png": "a.png", "b.png": "b.png"}
    html = '<p><img src="a.png" alt="Alt  A"></p><p><img src="b.png" alt="B" title="Tb"></p>'
    prepared, emitted = _prepare(html, "pdf", known)
    assert emitted.codes() == []
    assert prepared.html == (
        '<figure><img src="a.png" alt="Alt  A"><figcaption>Alt A</figcaption></figure>'
        '<figure><img src="b.png" alt="B" title="Tb"><figcaption>Tb</figcaption></figure>'
    )


def test_image_with_text_stays_inline() -> None:
    html = '<p>Icon <img src="i.png" alt="i"> here</p>'
    prepared, emitted = _prepare(html, "pdf", {"i.png": "i.png"})
    assert emitted.codes() == []
    assert prepared.html == '<p>Icon <img src="i.png" alt="i"> here</p>'


def test_pdf_footnote_source_line_breaks_collapsed() -> None:
    markdown = "Call[^n].\n\n[^n]: A note written\n    over two lines.\n"
    prepared, emitted = _prepare(_html(markdown), "pdf")
    assert emitted.codes() == []
    assert '<span id="fn-1" class="footnote">A note written over two lines.</span>' in prepared.html


def test_empty_fragment() -> None:
    prepared, emitted = _prepare("", "pdf")
    assert emitted.codes() == []
    assert prepared.html == "<p></p>"


def test_task_boxes_become_characters_and_other_inputs_go() -> None:
    html = _html('- [ ] todo\n- [x] done\n\n<p>A <input type="text"> field</p>\n')
    for target in ("pdf", "epub"):
        prepared, _emitted = _prepare(html, target)  # type: ignore[arg-type]
        assert "<input" not in prepared.html
        assert '<span class="task">\u2610</span> todo' in prepared.html
        assert '<span class="task task-done">\u2611</span> done' in prepared.html
        assert "A  field" in prepared.html


# --- generated words in the document's language -------------------------------------------


def _in(lang: str, markdown: str, target: Target = "pdf", dialect: str = "commonmark") -> str:
    article = Article(source=Path("d.md"), meta=Meta(title="T"), markdown=markdown)
    html = parse(replace(article, dialect=dialect)).html
    return prepare(
        html, target=target, images={}.get, emit=lambda *a: None, text=messages(lang)
    ).html


def test_admonition_titles_in_the_documents_language() -> None:
    """Every reader leaves a title the author did not write empty; this stage words it."""
    containers = (
        '<aside class="admonition warning" markdown="1">\n<p class="admonition-title"></p>\n\n'
        "Text.\n\n</aside>\n\n> [!TIP]\n> Alert.\n"
    )
    assert _in("uk", containers).count('class="admonition-title"') == 2
    assert '<p class="admonition-title">Попередження</p>' in _in("uk", containers)
    assert '<p class="admonition-title">Порада</p>' in _in("uk", containers)
    assert '<p class="admonition-title">Warning</p>' in _in("en", containers)
    mkdocs = '!!! danger\n    Body.\n\n!!! note ""\n    No title.\n\n!!! tip "Mine"\n    Own.\n'
    html = _in("de", mkdocs, dialect="python-markdown")
    assert '<p class="admonition-title">Gefahr</p>' in html
    assert html.count("admonition-title") == 2  # ``!!! note ""`` stays without one
    assert '<p class="admonition-title">Mine</p>' in html  # the author's, as written
    # A kind no catalog knows is named after itself, as before.
    odd = '<aside class="admonition pros-and-cons"><p class="admonition-title"></p></aside>'
    assert '<p class="admonition-title">Pros and cons</p>' in _in("fr", odd)


def test_admonition_title_names_the_epub_note() -> None:
    xhtml = _in("ja", "> [!IMPORTANT]\n> Text.\n", target="epub")
    assert 'role="note" aria-labelledby="aside-1-title"' in xhtml
    assert '<p class="admonition-title" id="aside-1-title">重要</p>' in xhtml


def test_normalized_placeholders_put_into_the_language_once() -> None:
    """The ``images`` rule's English placeholders, videos and markup in the alt text
    included; this stage's own placeholders are not worded a second time."""
    html = (
        '<p><span class="image-missing">[Image: Map]</span> '
        '<span class="image-missing">[Video: Clip (a.mp4)]</span> '
        '<span class="image-missing">[Image: <em>Old</em> map]</span> '
        '<span class="image-missing">[Image unavailable]</span> <img src="gone.png"></p>'
    )
    out = prepare(html, target="pdf", images={}.get, emit=lambda *a: None, text=messages("de"))
    assert out.html == (
        '<p><span class="image-missing">[Bild: Map]</span> '
        '<span class="image-missing">[Video: Clip (a.mp4)]</span> '
        '<span class="image-missing">[Bild: <em>Old</em> map]</span> '
        '<span class="image-missing">[Bild nicht verfügbar]</span> '
        '<span class="image-missing">[Bild nicht verfügbar]</span></p>'
    )
    uk = prepare(html, target="pdf", images={}.get, emit=lambda *a: None, text=messages("uk"))
    assert "[Відео: Clip (a.mp4)]" in uk.html and "[Зображення: Map]" in uk.html


def test_a_placeholder_this_stage_makes_is_worded_once() -> None:
    """A theme that words the English placeholder otherwise (``locale/en.po``): the
    image this stage finds missing gets the theme's words once, not twice over."""
    text = Messages("en", {"[Image: %(alt)s]": "[Image: %(alt)s (missing)]"})
    html = '<p><img src="gone.png" alt="Map"> <span class="image-missing">[Image: Old]</span></p>'
    out = prepare(html, target="pdf", images={}.get, emit=lambda *a: None, text=text)
    assert out.html == (
        '<p><span class="image-missing">[Image: Map (missing)]</span> '
        '<span class="image-missing">[Image: Old (missing)]</span></p>'
    )


# --- runs of one formatting element ---------------------------------------------------------


def test_adjacent_emphases_are_one_and_a_long_run_gets_break_points() -> None:
    prepared, _ = _prepare(
        "<p><em>a</em><em>b</em> <em>c</em><em>d<b>e</b></em><em>f</em>"
        '<em id="k">g</em><em>h</em></p>',
        "pdf",
    )
    assert prepared.html == ('<p><em>ab</em> <em>cd<b>e</b>f</em><em id="k">g</em><em>h</em></p>')
    # "*_" x 5,000 reads as 6,667 one-letter emphases; joined, the word can break.
    html = _html("*_" * 5_000 + "x" + "_*" * 5_000 + "\n")
    prepared, _ = _prepare(html, "pdf")
    assert prepared.html.count("<em>") < 10 and "<wbr>" in prepared.html

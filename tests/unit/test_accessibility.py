"""Accessibility measured: link and code colours of every built-in theme, the metadata
``describe`` derives from pages, and the page-break markers the tree stage places."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from convert.accessibility import CONFORMANCE, code_contrast_problems, contrast, describe
from convert.diagnostics import Severity
from convert.markdown.highlight import highlight_css
from convert.model import Page
from convert.render import code_style
from convert.theme import available, load_theme
from convert.tree import page_markers, prepare

THEMES = sorted(available())


def _vars(theme_name: str, target: str = "epub") -> dict[str, str]:
    """CSS custom properties as the theme's EPUB stylesheets leave them (later wins)."""
    found: dict[str, str] = {}
    for sheet in load_theme(theme_name).stylesheets(target):
        root = re.search(r":root\s*\{([^}]*)\}", sheet.read_text(encoding="utf-8"))
        if root:
            found.update(re.findall(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{3,6})\b", root[1]))
    return found


@pytest.mark.parametrize("name", THEMES)
def test_links_differ_from_text_by_more_than_colour(name: str) -> None:
    """WCAG 1.4.1/1.4.3: links 3:1 against the text, 4.5:1 against the page, underlined."""
    colours = _vars(name)
    assert contrast(colours["--link"], colours["--ink"]) >= 3.0
    assert contrast(colours["--link"], "#ffffff") >= 4.5
    epub_css = "".join(s.read_text() for s in load_theme(name).stylesheets("epub"))
    assert re.search(r"a\[href\]\s*\{[^}]*text-decoration:\s*underline", epub_css)


@pytest.mark.parametrize("name", THEMES)
def test_every_theme_highlights_code_at_wcag_aa(name: str) -> None:
    assert code_contrast_problems(highlight_css(code_style(load_theme(name)))) == []


def test_a_low_contrast_style_is_found() -> None:
    problems = code_contrast_problems(highlight_css("friendly"))
    assert problems and any("2.6" in p or "3." in p for p in problems)
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def _page(body: str, name: str = "chapter.xhtml", kind: str = "chapter") -> Page:
    return Page(name, "T", f"<html><body>{body}</body></html>", kind=kind)


def _english(message: str, **values: object) -> str:
    return message % values if values else message


def test_metadata_follows_the_pages(tmp_path: Path) -> None:
    plain = describe([_page("<p>x</p>")], [], text=_english)
    assert plain.modes == ("textual",) and plain.sufficient == ("textual",)
    assert "alternativeText" not in plain.features and plain.conforms
    assert plain.hazards == ("none",)
    described = describe([_page('<img src="a.png" alt="A map"/>')], [], text=_english)
    assert described.modes == ("textual", "visual")
    assert described.sufficient == ("textual", "textual,visual")
    assert "alternativeText" in described.features and described.conforms
    captioned = describe(
        [_page('<figure><img src="a.png" alt=""/><figcaption>A map</figcaption></figure>')],
        [],
        text=_english,
    )
    assert captioned.conforms
    bare = describe([_page('<img src="a.png" alt=""/>')], [], text=_english)
    assert not bare.conforms and bare.sufficient == ("textual,visual",)
    assert [f.code for f in bare.findings] == ["a11y.image-alt"]
    assert "does not claim conformance" in bare.summary
    listed = describe(
        [_page("<p>x</p>")], [], text=_english, page_list=True, page_break_source="B, PDF"
    )
    assert {"pageBreakMarkers", "pageNavigation"} <= set(listed.features)
    assert listed.page_break_source == "B, PDF" and "B, PDF" in listed.summary
    grey = describe([_page("<p>x</p>")], [], text=_english, code_css=highlight_css("friendly"))
    assert [f.code for f in grey.findings][:1] == ["a11y.contrast"]
    assert CONFORMANCE == "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"


def _emit(*args: object) -> None:
    assert args[4] in (Severity.INFO, Severity.WARNING)


def test_blocks_are_numbered_alike_and_markers_land_at_their_start() -> None:
    html = (
        "<h2>A</h2><p>One<sup id='fnref-1'><a href='#fn-1' class='footnote-ref'>1</a></sup>"
        "</p><ul><li>Two</li></ul><table><thead><tr><th>H</th><th></th></tr></thead>"
        "<tbody><tr><td>Three</td><td>x</td></tr></tbody></table>"
        "<div class='footnote'><ol><li id='fn-1'><p>Note.</p></li></ol></div>"
    )
    pdf = prepare(html, target="pdf", images=lambda s: s, emit=_emit, number_blocks=True,
                  block_prefix="c2-").html  # fmt: skip
    keys = re.findall(r'data-block="([^"]+)"', pdf)
    assert keys == ["c2-1", "c2-2", "c2-3", "c2-4", "c2-5"]  # h2, p, li, 2 rows; no notes
    epub = prepare(
        html,
        target="epub",
        images=lambda s: s,
        emit=_emit,
        block_prefix="c2-",
        page_breaks={"c2-2": ("7",), "c2-5": ("8", "9")},
    ).html
    assert "data-block" not in epub
    assert re.search(r'<p><span epub:type="pagebreak"[^>]* id="page-7" aria-label="7"/>One', epub)
    # A row's markers go into its first cell, in page order.
    assert re.search(r'<td><span [^>]*id="page-8"[^>]*/><span [^>]*id="page-9"[^>]*/>Three', epub)
    assert "<th></th>" not in epub and "<th/>" not in epub  # the empty header is a cell
    assert page_markers(["iv"]) == (
        '<span epub:type="pagebreak" role="doc-pagebreak" id="page-iv" aria-label="iv"/>'
    )

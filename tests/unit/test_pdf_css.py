"""The stylesheet cache (convert/writers/pdf_css.py): a linked sheet is parsed once per
process and reused only while its bytes are the same; a sheet that acts outside itself is
never shared; each document still gets the warnings and refusals it had without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import weasyprint
import weasyprint.css

from convert.writers import pdf_css
from convert.writers.pdf import Layout, layout_pdf

BREAKS = "p { break-after: page }\n"
# Same length as BREAKS, so an edit that keeps the size and the mtime must still be seen.
NO_BREAK = "p { break-after: auto }\n"


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch) -> pdf_css.StylesheetCache:
    fresh = pdf_css.StylesheetCache()
    monkeypatch.setattr(pdf_css, "CACHE", fresh)
    return fresh


def lay_out(folder: Path, *sheets: Path, roots: tuple[Path, ...] | None = None) -> Layout:
    links = "".join(f'<link rel="stylesheet" href="{s.as_uri()}">' for s in sheets)
    html = f"<html><head>{links}</head><body><p>a</p><p>b</p><p>c</p></body></html>"
    return layout_pdf(html, base=folder, roots=roots or (folder,), source=folder / "doc.md")


def test_the_hook_is_installed() -> None:
    assert pdf_css.install()
    assert weasyprint.css.CSS is pdf_css._css


def test_a_sheet_is_parsed_once_and_an_edit_is_seen_by_the_next_document(
    tmp_path: Path, cache: pdf_css.StylesheetCache
) -> None:
    sheet = tmp_path / "theme.css"
    sheet.write_text(BREAKS, encoding="utf-8")
    assert lay_out(tmp_path, sheet).pages == 3
    assert lay_out(tmp_path, sheet).pages == 3
    assert (cache.parses, cache.reuses) == (1, 2)

    assert len(NO_BREAK) == len(BREAKS)
    stamp = sheet.stat()
    sheet.write_text(NO_BREAK, encoding="utf-8")
    os.utime(sheet, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same size, same mtime
    assert lay_out(tmp_path, sheet).pages == 1
    assert cache.parses == 2
    assert len(cache) == 1  # the edited sheet replaced the old parse


@pytest.mark.parametrize(
    "rule",
    [
        '@import url("more.css");',
        '@font-face { font-family: "Nowhere"; src: url(nowhere.ttf); }',
        "@counter-style thumbs { system: cyclic; symbols: x; suffix: ' '; }",
        "@layer base { p { margin: 0 } }",
    ],
)
def test_a_sheet_that_acts_outside_itself_is_parsed_for_every_document(
    tmp_path: Path, cache: pdf_css.StylesheetCache, rule: str
) -> None:
    sheet, more = tmp_path / "theme.css", tmp_path / "more.css"
    sheet.write_text(rule + "\n" + "p { orphans: 1 }\n", encoding="utf-8")
    more.write_text(BREAKS, encoding="utf-8")
    first = lay_out(tmp_path, sheet).pages
    more.write_text(NO_BREAK, encoding="utf-8")
    second = lay_out(tmp_path, sheet).pages
    assert cache.reuses == 0
    if rule.startswith("@import"):
        assert (first, second) == (3, 1)  # the imported file is read again, edit seen


def test_every_document_gets_the_warnings_of_its_sheets(
    tmp_path: Path, cache: pdf_css.StylesheetCache
) -> None:
    sheet = tmp_path / "theme.css"
    sheet.write_text("p { colour: red }\n", encoding="utf-8")
    logs = [lay_out(tmp_path, sheet).messages for _ in range(2)]
    assert cache.reuses == 2
    for messages in logs:
        assert [m for _, m in messages if "colour" in m], messages
    assert logs[0] == logs[1]


def test_a_refused_sheet_is_refused_for_every_document(
    tmp_path: Path, cache: pdf_css.StylesheetCache
) -> None:
    inside, outside = tmp_path / "content", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    sheet = outside / "theme.css"
    sheet.write_text(BREAKS, encoding="utf-8")
    for _ in range(2):
        layout = lay_out(inside, sheet)
        assert layout.pages == 1
        assert len(layout.refused) == 1
    assert len(cache) == 0


def test_weasyprint_outside_a_layout_parses_as_usual(
    tmp_path: Path, cache: pdf_css.StylesheetCache
) -> None:
    sheet = tmp_path / "theme.css"
    sheet.write_text(BREAKS, encoding="utf-8")
    html = f'<link rel="stylesheet" href="{sheet.as_uri()}"><p>a</p><p>b</p>'
    assert len(weasyprint.HTML(string=html).render().pages) == 2
    assert (cache.parses, cache.reuses, len(cache)) == (0, 0, 0)


def test_the_cache_keeps_at_most_its_size(tmp_path: Path) -> None:
    small = pdf_css.StylesheetCache(size=2)
    sheets = []
    for n in range(3):
        sheets.append(tmp_path / f"s{n}.css")
        sheets[-1].write_text(BREAKS, encoding="utf-8")
    with pdf_css.shared(small):
        for sheet in sheets:
            lay_out(tmp_path, sheet)
    assert len(small) == 2

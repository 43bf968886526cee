"""The four WeasyPrint internals ``writers/pdf_parts.py`` changes for one call each: still
there, called as it expects, and given back after the call."""

from __future__ import annotations

import inspect
import subprocess
from pathlib import Path

import weasyprint.document
import weasyprint.layout
import weasyprint.pdf.fonts
from weasyprint.css.targets import TargetCollector

from convert.profiles import get as get_profile
from convert.writers.pdf_parts import lay_out_margins, lay_out_part

HOOKED = {
    "make_margin_boxes": (weasyprint.layout, ["context", "page", "state"]),
    "draw_page": (weasyprint.document, ["page", "stream"]),
}


def _originals() -> list[object]:
    return [
        weasyprint.layout.make_margin_boxes,
        TargetCollector.lookup_target,
        weasyprint.document.draw_page,
        weasyprint.pdf.fonts.Font.clean,
    ]


def test_the_internals_are_there_with_the_arguments_used() -> None:
    for name, (module, arguments) in HOOKED.items():
        assert list(inspect.signature(getattr(module, name)).parameters) == arguments
    assert list(inspect.signature(TargetCollector.lookup_target).parameters) == [
        "self",
        "anchor_token",
        "source_box",
        "css_token",
        "parse_again",
    ]
    assert list(inspect.signature(weasyprint.pdf.fonts.Font.clean).parameters) == [
        "self",
        "to_unicode",
        "hinting",
    ]


def test_a_part_and_its_margins_leave_weasyprint_as_it_was(tmp_path: Path) -> None:
    before = _originals()
    style = "@page { size: A6; @bottom-center { content: counter(page) ' / ' counter(pages) } }"
    html = (
        f"<html><head><style>{style}</style></head><body>"
        '<div style="break-after: page"></div><h1 id="a">Title</h1>'
        '<p><a href="#elsewhere">a link to another part</a></p></body></html>'
    )
    part = lay_out_part(
        html,
        lead=1,
        seeds={"elsewhere": {"page": [7]}},
        base=tmp_path,
        roots=(tmp_path,),
        source=tmp_path / "book.toml",
        profile=get_profile("screen"),
        font_store=tmp_path / "fonts",
    )
    assert len(part.pages) == 1 and part.anchors == {"a": 0}
    assert part.stubs == ("elsewhere",)
    margins = lay_out_margins(
        html,
        base=tmp_path,
        roots=(tmp_path,),
        source=tmp_path / "book.toml",
        font_store=tmp_path / "fonts",
        lead=1,
        total=40,
    )
    assert len(margins.pages) == 1 and len(margins.leads) == 1
    (tmp_path / "margins.pdf").write_bytes(margins.pdf)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "margins.pdf"), "-"], check=True, capture_output=True
    ).stdout.decode()
    assert "2 / 40" in text  # its page of the book's 40 (the lead page dropped)
    assert _originals() == before

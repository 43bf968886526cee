"""Dot leaders drawn as one run of text (convert/writers/pdf_leaders.py): the same dots
at the same places as WeasyPrint's one box per dot, and WeasyPrint's boxes kept when the
one run would not be the same."""

from __future__ import annotations

from pathlib import Path

import pytest
import weasyprint.layout.inline

from convert.writers import pdf_leaders
from convert.writers.pdf import _boxes, layout_pdf

HTML = """<html><head><style>
@page { size: 120mm 80mm; margin: 10mm; }
a { display: block; }
a::after { content: leader('.') "%s"; }
</style></head><body>%s</body></html>"""


def leaders(folder: Path, entries: int = 3) -> list[tuple[int, float, float, str]]:
    """Each leader box: (children, left edge, right edge, text)."""
    body = "".join(f'<a href="#x{n}">Entry {"long " * n}{n}</a>' for n in range(entries))
    layout = layout_pdf(HTML % ("12", body), base=folder, roots=(folder,), source=folder / "a.md")
    out = []
    for page in layout.document.pages:
        for box in _boxes(page._page_box):
            if getattr(box, "is_leader", False):
                kids = box.children
                left = min(k.position_x for k in kids)
                right = max(k.position_x + k.width for k in kids)
                out.append((len(kids), left, right, "".join(k.text for k in kids)))
    return out


def test_the_hook_is_installed() -> None:
    assert pdf_leaders.install()
    assert weasyprint.layout.inline.handle_leader is pdf_leaders._handle_leader


def test_a_leader_is_one_run_with_the_dots_where_weasyprint_put_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    merged = leaders(tmp_path)
    monkeypatch.setattr(weasyprint.layout.inline, "handle_leader", pdf_leaders._WEASY_HANDLE_LEADER)
    copies = leaders(tmp_path)
    assert len(merged) == len(copies) == 3
    for one, many in zip(merged, copies, strict=True):
        assert one[0] == 1 and many[0] > 20  # one box instead of one per dot
        assert one[3] == many[3]  # the same dots
        assert one[1] == pytest.approx(many[1], abs=0.01)
        assert one[2] == pytest.approx(many[2], abs=0.01)


def test_a_run_of_another_width_leaves_weasyprints_boxes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shape = pdf_leaders.split_first_line

    def kerned(*args: object) -> tuple:
        layout, length, resume, width, height, baseline = shape(*args)
        return layout, length, resume, width + 0.5, height, baseline

    monkeypatch.setattr(pdf_leaders, "split_first_line", kerned)
    assert all(kids > 20 for kids, *_rest in leaders(tmp_path))

"""The font configuration the layouts of a thread share (convert/writers/pdf.py,
``shared_fonts``): reused from one document to the next, never changed by a document's
``@font-face`` (that document gets its own), renewed after ``RENEW_FONTS`` layouts and in
a forked process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import ziamath

from convert.writers import pdf
from convert.writers.pdf import Layout, layout_pdf

FACE = Path(ziamath.__file__).parent / "fonts" / "STIXTwoMath-Regular.ttf"


def lay_out(folder: Path, style: str) -> Layout:
    html = f"<html><head><style>{style}</style></head><body><p>Printed words</p></body></html>"
    return layout_pdf(html, base=folder, roots=(folder,), source=folder / "doc.md")


def families(layout: Layout) -> set[str]:
    """The families that set the document's text (collected while its PDF is drawn)."""
    layout.document.write_pdf()
    return {font.family for font in layout.document.fonts.values()}


def test_layouts_in_a_row_share_one_configuration(tmp_path: Path) -> None:
    first, second = lay_out(tmp_path, "p {}"), lay_out(tmp_path, "p {}")
    assert first.document.font_config is second.document.font_config


@pytest.fixture
def face(tmp_path: Path) -> Path:
    """A font file under the content root (the one ziamath ships)."""
    if not FACE.is_file():
        pytest.skip("ziamath's STIX Two Math not found")
    return Path(shutil.copy(FACE, tmp_path / "face.ttf"))


def test_a_font_face_stays_with_its_document(tmp_path: Path, face: Path) -> None:
    named = 'p { font-family: "Pressroom Test Face", monospace }'
    face = '@font-face { font-family: "Pressroom Test Face"; src: url(face.ttf) } ' + named
    before = lay_out(tmp_path, named)
    with_face = lay_out(tmp_path, face)
    after = lay_out(tmp_path, named)
    # Written after the document with the face was laid out, as a caller may.
    assert families(with_face) == {"Pressroom Test Face"}
    assert families(after) == families(before)
    assert "Pressroom Test Face" not in families(after)
    assert after.document.font_config is before.document.font_config
    assert with_face.document.font_config is not before.document.font_config


def test_a_document_with_a_face_reports_once(tmp_path: Path, face: Path) -> None:
    """Laid out again with its own fonts: what the first attempt logged or refused is not
    reported twice."""
    style = (
        '@import url("/etc/elsewhere.css"); '  # refused: outside the roots
        "p { colour: red } "  # an unknown property: a warning
        '@font-face { font-family: "Face"; src: url(face.ttf) } '
        'p { font-family: "Face" }'
    )
    layout = lay_out(tmp_path, style)
    assert not isinstance(layout.document.font_config, pdf._SharedFonts)
    assert len([m for _, m in layout.messages if "colour" in m]) == 1
    assert len(layout.refused) == 1


def test_a_configuration_is_renewed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "RENEW_FONTS", 2)
    configs = [lay_out(tmp_path, "p {}").document.font_config for _ in range(3)]
    assert configs[1] is configs[0] or configs[2] is configs[1]  # two layouts each at most
    assert configs[2] is not configs[0]
    # A forked process (another pid) makes its own.
    configs[2].pid = -1
    assert lay_out(tmp_path, "p {}").document.font_config is not configs[2]

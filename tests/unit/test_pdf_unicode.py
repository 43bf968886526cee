"""ToUnicode repairs (convert/writers/pdf_unicode.py) on CMaps and fonts made for the purpose."""

from __future__ import annotations

import io

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen

from convert.writers.pdf_unicode import invalid_codes, repair_to_unicode

HEAD = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <ffff>
endcodespacerange
"""
TAIL = b"""
endcmap
CMapName currentdict /CMap defineresource pop
end
end"""


def cmap(*lines: str, kind: str = "bfchar") -> bytes:
    body = f"{len(lines)} begin{kind}\n" + "\n".join(lines) + f"\nend{kind}"
    return HEAD + body.encode() + TAIL


def font(glyphs: dict[str, int | None]) -> bytes:
    """A TrueType font whose glyph ids follow ``glyphs`` (name → code point or None)."""
    names = [".notdef", *glyphs]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({cp: name for name, cp in glyphs.items() if cp is not None})
    pen = TTGlyphPen(None)
    pen.moveTo((0, 0))
    pen.lineTo((0, 100))
    pen.lineTo((100, 0))
    pen.closePath()
    outline = pen.glyph()
    builder.setupGlyf({name: outline for name in names})
    builder.setupHorizontalMetrics({name: (500, 0) for name in names})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Test", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def mapping(data: bytes) -> dict[str, str]:
    """``<code>`` → ``<text>`` pairs of a CMap's bfchar entries, as written."""
    pairs = {}
    for line in data.decode().split("endcodespacerange")[1].splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("<") and parts[1].startswith("<"):
            pairs[parts[0]] = parts[1]
    return pairs


def test_a_valid_map_is_left_alone() -> None:
    data = cmap("<0001> <0041>", "<0002> <00660069>")
    assert invalid_codes(data) == []
    assert repair_to_unicode(data, None) is None


def test_weasyprint_cluster_empty_entry_gets_its_own_character_back() -> None:
    """Hebrew שָׁ: shaping gives qamats (glyph 1) the cluster's text, qamats + shin dot,
    and the shin dot glyph (2) an empty string."""
    data = cmap("<0001> <05b805c1>", "<0002> <>", "<0003> <05e9>")
    assert invalid_codes(data) == [2]
    program = font({"uni05B8": 0x05B8, "uni05C1": 0x05C1, "uni05E9": 0x05E9})
    repaired = repair_to_unicode(data, program)
    assert repaired is not None
    text, changed = repaired
    assert mapping(text) == {"<0001>": "<05b8>", "<0002>": "<05c1>", "<0003>": "<05e9>"}
    assert changed == 2
    assert invalid_codes(text) == []
    assert text.startswith(HEAD) and text.endswith(TAIL)


def test_a_glyph_the_font_does_not_name_maps_to_a_joiner() -> None:
    data = cmap("<0001> <0041>", "<0002> <>")
    text, changed = repair_to_unicode(data, font({"A": 0x41, "A.alt": None}))  # type: ignore[misc]
    assert mapping(text)["<0002>"] == "<034f>"
    assert changed == 1
    # Without a font program the same stands in.
    text, _ = repair_to_unicode(data, None)  # type: ignore[misc]
    assert mapping(text)["<0002>"] == "<034f>"


def test_forbidden_values_and_broken_utf16_are_invalid() -> None:
    data = cmap("<0001> <0000>", "<0002> <feff>", "<0003> <fffe>", "<0004> <d800>", "<0005> <41>")
    assert invalid_codes(data) == [1, 2, 3, 4, 5]


def test_ranges_are_read_and_written_as_single_entries() -> None:
    data = cmap("<0001> <0003> <0041>", "<0004> <0005> [<0061> <>]", kind="bfrange")
    assert invalid_codes(data) == [5]
    text, _ = repair_to_unicode(data, None)  # type: ignore[misc]
    assert mapping(text) == {
        "<0001>": "<0041>",
        "<0002>": "<0042>",
        "<0003>": "<0043>",
        "<0004>": "<0061>",
        "<0005>": "<034f>",
    }


def test_more_than_a_hundred_entries_are_split_into_blocks() -> None:
    data = cmap(*[f"<{i:04x}> <{0x4E00 + i:04x}>" for i in range(1, 150)], "<0096> <>")
    text, _ = repair_to_unicode(data, None)  # type: ignore[misc]
    assert text.count(b"beginbfchar") == 2
    assert b"100 beginbfchar" in text and b"50 beginbfchar" in text
    assert invalid_codes(text) == []

"""ToUnicode maps that PDF/UA-1 (ISO 14289-1, 7.21.7) and PDF/A accept: every glyph maps to
one or more Unicode values, none of them U+0000, U+FEFF or U+FFFE.

Contract: ``invalid_codes(cmap)`` lists the codes whose entries are invalid;
``repair_to_unicode(cmap, font_program)`` reads a ToUnicode CMap (``bfchar`` and
``bfrange`` entries) and returns ``None`` when every entry is valid (the stream is left as
it is), else the repaired CMap and how many entries it changed. ``font_program`` is the
embedded font (TrueType or OpenType, glyph ids equal to the codes, as WeasyPrint's
Identity-H fonts have), or ``None``.

Why WeasyPrint 70 writes invalid entries: it maps each glyph, the first time it draws it, to
the text of the glyph's cluster; when shaping turns one cluster into several glyphs (Hebrew
שָׁ: shin, qamats and shin dot), the first gets the cluster's text and the others an empty
string, ``<0064> <>``. The repair gives such a glyph the character the font's own ``cmap``
maps to it, and takes that character out of a cluster-mate's text that holds it next to its
own character (``<004f> <05b805c1>`` becomes ``<004f> <05b8>``, ``<0064> <05c1>``), so text
extraction reads every character once. A glyph the ``cmap`` does not name (a contextual
form) maps to U+034F COMBINING GRAPHEME JOINER: a default-ignorable character that joins
the cluster and that screen readers and search skip.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

# Unicode values a ToUnicode map may not produce (ISO 14289-1 7.21.7; PDF/A-2/3 6.2.11.7.2).
_FORBIDDEN = frozenset("\u0000\ufeff\ufffe")
_JOINER = "\u034f"
_TOKEN = re.compile(rb"<([0-9A-Fa-f\s]*)>|\[|\]|(beginbfchar|endbfchar|beginbfrange|endbfrange)")
_BLOCK = re.compile(rb"\d+\s+begin(bfchar|bfrange)\b.*?\bend\1", re.S)


@dataclass(frozen=True, slots=True)
class _Entry:
    code: int
    width: int  # bytes in the code (2 for Identity-H)
    text: str | None  # None: the destination is not valid UTF-16BE


def invalid_codes(cmap: bytes) -> list[int]:
    """The codes a ToUnicode CMap maps to nothing, to invalid UTF-16, or to U+0000, U+FEFF
    or U+FFFE (what ``repair_to_unicode`` repairs, what preflight reports)."""
    return [e.code for e in _entries(cmap) if not _valid(e.text)]


def repair_to_unicode(cmap: bytes, font_program: bytes | None) -> tuple[bytes, int] | None:
    """The repaired CMap and the number of entries changed, or None if it is valid."""
    entries = _entries(cmap)
    bad = [e.code for e in entries if not _valid(e.text)]
    if not bad:
        return None
    own = _glyph_characters(font_program)
    mapping = {e.code: e.text for e in entries}
    width = max((e.width for e in entries), default=2)
    changed = 0
    fixed: set[str] = set()
    for code in bad:
        character = own.get(code)
        mapping[code] = character or _JOINER
        if character:
            fixed.add(character)
        changed += 1
    # A cluster-mate that took the fixed glyphs' characters gives them back.
    for code, text in mapping.items():
        mine = own.get(code)
        if not text or not mine or len(text) < 2 or mine not in text or code in bad:
            continue
        kept = "".join(c for c in text if c == mine or c not in fixed)
        if kept != text:
            mapping[code] = kept
            changed += 1
    return _write(cmap, mapping, width), changed


def _valid(text: str | None) -> bool:
    return bool(text) and not (_FORBIDDEN & set(text))  # type: ignore[arg-type]


def _decode(hex_digits: bytes) -> str | None:
    data = bytes.fromhex(hex_digits.decode("ascii")) if hex_digits else b""
    if len(data) % 2:
        return None
    try:
        return data.decode("utf-16-be")
    except UnicodeDecodeError:
        return None  # a lone surrogate


def _hex(token: bytes) -> bytes:
    return re.sub(rb"\s", b"", token)


def _entries(cmap: bytes) -> list[_Entry]:
    """Every code the CMap maps, with its text (bfrange expanded)."""
    out: list[_Entry] = []
    for block in _BLOCK.finditer(cmap):
        kind = block[1]
        tokens: list[bytes | list[bytes]] = []
        array: list[bytes] | None = None
        for token in _TOKEN.finditer(block[0]):
            if token[0] == b"[":
                array = []
            elif token[0] == b"]":
                tokens.append(array or [])
                array = None
            elif token[1] is not None:
                (array if array is not None else tokens).append(_hex(token[1]))  # type: ignore[arg-type]
        step = 2 if kind == b"bfchar" else 3
        for i in range(0, len(tokens) - step + 1, step):
            group = tokens[i : i + step]
            if kind == b"bfchar":
                source, dest = group
                assert isinstance(source, bytes) and isinstance(dest, bytes)
                out.append(_Entry(int(source, 16), len(source) // 2, _decode(dest)))
                continue
            low, high, dest = group
            assert isinstance(low, bytes) and isinstance(high, bytes)
            first, last = int(low, 16), int(high, 16)
            for offset, code in enumerate(range(first, last + 1)):
                if isinstance(dest, list):
                    text = _decode(dest[offset]) if offset < len(dest) else None
                else:
                    # The last byte of the destination counts up along the range.
                    value = int(dest, 16) + offset if dest else None
                    text = _decode(f"{value:0{len(dest)}x}".encode()) if value else None
                out.append(_Entry(code, len(low) // 2, text))
    return out


def _glyph_characters(font_program: bytes | None) -> dict[int, str]:
    """Glyph id → the character the font's ``cmap`` maps to it (the lowest if several)."""
    if not font_program:
        return {}
    from fontTools.ttLib import TTFont  # only when a map needs repair

    try:
        font = TTFont(io.BytesIO(font_program), lazy=True)
        best = font.getBestCmap() or {}
        glyphs = {name: gid for gid, name in enumerate(font.getGlyphOrder())}
    except Exception:  # a font fontTools cannot read: no characters, the joiner stands in
        return {}
    own: dict[int, str] = {}
    for code_point in sorted(best):
        gid = glyphs.get(best[code_point])
        if gid is not None and chr(code_point) not in _FORBIDDEN:
            own.setdefault(gid, chr(code_point))
    return own


def _write(cmap: bytes, mapping: dict[int, str | None], width: int) -> bytes:
    """The CMap with its mapping blocks replaced by ``bfchar`` blocks of at most 100 entries
    (the CMap format's limit), in code order; header and trailer kept."""
    blocks = list(_BLOCK.finditer(cmap))
    head, tail = cmap[: blocks[0].start()], cmap[blocks[-1].end() :]
    items = sorted((code, text) for code, text in mapping.items() if text)
    lines: list[bytes] = []
    for start in range(0, len(items), 100):
        chunk = items[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar".encode())
        for code, text in chunk:
            lines.append(f"<{code:0{width * 2}x}> <{text.encode('utf-16-be').hex()}>".encode())
        lines.append(b"endbfchar")
    return head + b"\n".join(lines) + tail


def read_map(cmap: bytes) -> tuple[dict[int, str | None], int]:
    """Code → text of a ToUnicode CMap, and the width of its codes in bytes (for merging
    the maps of one font written by several documents)."""
    entries = _entries(cmap)
    return {e.code: e.text for e in entries}, max((e.width for e in entries), default=2)


def write_map(template: bytes, mapping: dict[int, str | None], width: int) -> bytes:
    """``template`` (a ToUnicode CMap) with its entries replaced by ``mapping``."""
    if not _BLOCK.search(template):
        return template
    return _write(template, mapping, width)

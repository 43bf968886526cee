"""The hostile corpus: the committed small cases (``cases/``) plus the ones made at test
time (binary files, invalid encodings, symlinks, image bombs, pathological shapes), all
laid out under one content root with a secret *outside* it.

``build(tmp)`` returns the layout; ``tests/hostile/expected.toml`` says what each case
must give. Nothing here is copied from real articles.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

CASES = Path(__file__).parent / "cases"
SECRET = "TOPSECRET-pressroom-canary"


@dataclass(frozen=True)
class Layout:
    root: Path  # the content root (--root): every case file is directly in it
    outside: Path  # a folder next to the root holding secret.txt / secret.png
    small: list[Path]  # cases converted together in one process
    big: list[Path]  # pathological shapes, one process each


def png(width: int, height: int, *, rows: int | None = None) -> bytes:
    """A valid PNG header for ``width``×``height`` (gray, 1 bit) with only ``rows`` rows of
    data: a few hundred bytes that claim any number of pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes((width + 7) // 8)
    data = zlib.compress(row * (rows if rows is not None else height), 9)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def _generated(root: Path, outside: Path) -> dict[str, bytes | str]:
    secret_link = "![secret](linkdir/secret.png) ![passwd](escape.png)"
    body = "Some text.\n"
    return {
        # Encodings and binary.
        "binary-png.md": png(64, 64),
        "utf16-no-bom.md": "# Title\n\nUTF-16 without a BOM.\n".encode("utf-16-le"),
        "invalid-utf8.md": b"# Title\n\nBroken \xff\xfe bytes \xc3\x28 here.\n",
        "lone-surrogate.md": b"# Title\n\nA lone surrogate \xed\xa0\x80 in UTF-8.\n",
        "nul-late.md": b"# Title\n\n" + b"word " * 3000 + b"\x00 after 8 KiB\n",
        "nul-early.md": b"# Ti\x00tle\n\nbody\n",
        "control-chars.md": (
            "# Terminal \x1b]0;pwned\x07 tricks\n\nText \x1b[31mred\x1b[0m and \x08\x08 back.\n"
            + body * 200
        ),
        "elf-renamed.md": b"\x7fELF\x02\x01\x01" + bytes(300),
        "empty.md": b"",
        "whitespace-only.md": b" \n\t\n   \n",
        "cr-only.md": b"---\rtitle: CR only\r---\r\r# Heading\r\rLine one.\rLine two.\r",
        "bom-utf8.md": b"\xef\xbb\xbf---\ntitle: BOM\n---\n\nBody.\n",
        # Confinement.
        "symlink-image.md": f'# Symlinks\n\n{secret_link}\n\n<img src="escape.png">\n',
        "symlink-cover.md": "---\ntitle: Symlink cover\ncover: escape.png\n---\n\nBody.\n",
        "svg-script.md": "# SVG with script\n\n![evil](evil-script.svg)\n",
        "svg-external.md": "# SVG with external reference\n\n![ext](evil-external.svg)\n",
        "svg-cover.md": "---\ntitle: SVG cover\ncover: evil-script.svg\n---\n\nBody.\n",
        "pixel-bomb.md": '# Pixel bomb\n\n![bomb](bomb.png)\n\n<img src="bomb.png" alt="raw">\n',
        "pixel-bomb-cover.md": "---\ntitle: Bomb cover\ncover: bomb.png\n---\n\nBody.\n",
        "data-url-huge.md": "# Huge data URL\n\n![big](data:image/png;base64,"
        + "A" * (3 * 1024 * 1024)
        + ")\n",
        # Frontmatter bombs.
        "yaml-deep.md": "---\ntitle: deep\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n\nBody.\n",
        "yaml-deep-block.md": "---\n"
        + "".join("  " * i + f"k{i}:\n" for i in range(200))
        + "---\n\nBody.\n",
        "yaml-huge-scalar.md": "---\ntitle: " + "x" * (10 * 1024 * 1024) + "\n---\n\nBody.\n",
        "toml-deep.md": "+++\nx = " + "[" * 5000 + "]" * 5000 + "\n+++\n\nBody.\n",
        "json-many-keys.md": "{"
        + ",".join(f'"k{i}": {i}' for i in range(100_000))
        + "}\n\nBody.\n",
        "json-keys-10k.md": "{"
        + ",".join(f'"k{i}": {i}' for i in range(10_000))
        + ', "title": "Ten thousand keys"}\n\nBody.\n',
        "json-deep.md": '{"a":' * 100_000 + "1" + "}" * 100_000 + "\n\nBody.\n",
        # Raw HTML nesting.
        "deep-html.md": "# Deep HTML\n\n" + "<div>" * 20_000 + "x" + "</div>" * 20_000 + "\n",
        "deep-emphasis.md": "# Deep emphasis\n\n" + "*_" * 5_000 + "x" + "_*" * 5_000 + "\n",
    }


def _big() -> dict[str, str]:
    n = 100_000
    return {
        "long-line-50mb.md": "word " * (50 * 1024 * 1024 // 5 + 1),
        "nested-list-100k.md": "- " * n + "x\n",
        "nested-quote-100k.md": ">" * n + " x\n",
        "nested-quote-lines.md": "".join(">" * i + " x\n" for i in range(1, 3000)),
        "headings-100k.md": "".join(f"## Heading {i}\n\ntext\n\n" for i in range(n)),
        "footnotes-100k.md": "".join(f"Text[^{i}].\n\n" for i in range(n))
        + "".join(f"[^{i}]: note {i}\n" for i in range(n)),
        "table-10k-columns.md": "|"
        + "|".join(f"c{i}" for i in range(10_000))
        + "|\n|"
        + "---|" * 10_000
        + "\n|"
        + "x|" * 10_000
        + "\n",
    }


def build(tmp: Path, *, big: bool = True) -> Layout:
    root, outside = tmp / "root", tmp / "outside"
    root.mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET + "\n")
    (outside / "secret.png").write_bytes(png(8, 8) + SECRET.encode())
    (root / "secret.txt").write_text("inside the root, but not an image\n")
    (root / "escape.png").symlink_to("/etc/passwd")
    (root / "linkdir").symlink_to(outside, target_is_directory=True)
    (root / "bomb.png").write_bytes(png(30_000, 30_000, rows=16))
    (root / "evil-script.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        "<script>alert('xss-svg')</script><rect width='10' height='10'/></svg>"
    )
    (root / "evil-external.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="10" height="10"><image xlink:href="file:///etc/passwd" width="10" '
        'height="10"/></svg>'
    )
    small: list[Path] = []
    for case in sorted(CASES.glob("*.md")):
        small.append(root / case.name)
        small[-1].write_bytes(case.read_bytes())
    for name, content in _generated(root, outside).items():
        path = root / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        small.append(path)
    bigs: list[Path] = []
    if big:
        for name, text in _big().items():
            path = root / name
            path.write_text(text, encoding="utf-8")
            bigs.append(path)
    return Layout(root, outside, sorted(small), bigs)

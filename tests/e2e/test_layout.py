"""Nothing falls off the page: wide tables, long words, long code lines and big images stay
inside the trim box in every theme and PDF profile; text made to run off is reported.

The check is a reader's: ``pdftotext -bbox`` must find no word drawn outside its page's
TrimBox (read with pikepdf), and every word of the source must be among the words drawn.
Words broken across lines (hyphenation, a URL broken at a slash) count as found when their
letters follow each other in the drawn text (``pdftotext -raw``, in drawing order).
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import pikepdf
import pytest

from convert.cli import main
from convert.profiles import PROFILES
from convert.theme import available, load_theme
from convert.tree import split_tables

pytestmark = pytest.mark.e2e

WORD = re.compile(r"[^\W\d_]{3,}")
# Every profile that makes a PDF of its own (the e-book stores' profiles add EPUB rules only).
PDF_PROFILES = sorted(name for name, p in PROFILES.items() if p.epub is None)
THEMES = sorted(available())


def _wide_document() -> str:
    """Tables of 3 to 12 columns with long cells, a 300-character URL, a 200-character code
    line, a 2,000-pixel-wide image."""
    parts = [
        "---\ntitle: Wide things\n---\n\nAn article made of the widest things real exports hold.\n"
    ]
    for cols in (3, 6, 9, 12):
        head = "| Name | " + " | ".join(f"Heading number {c}" for c in range(1, cols)) + " |"
        rule = "|" + "---|" * cols
        rows = [
            f"| Regiment {r} | "
            + " | ".join(
                "Oberkommandowehrmachtsverbindungsstelle" if (r + c) % 4 == 0
                else f"entry {r}.{c} with several ordinary words in it"
                for c in range(1, cols)
            )
            + " |"
            for r in range(4)
        ]  # fmt: skip
        parts.append(f"\n## {cols} columns\n\n" + "\n".join([head, rule, *rows]) + "\n")
    url = "https://example.org/archive/" + "/".join(f"segment{n:03d}" for n in range(27))
    assert len(url) >= 300
    parts.append(f"\nThe address is {url} and the text goes on after it.\n")
    code = "result = compute(" + ", ".join(f"argument_{n}" for n in range(16)) + ")"
    parts.append(f"\n```python\n{code + ' # ' + 'z' * max(0, 200 - len(code) - 3)}\n```\n")
    parts.append("\n![A very wide picture](wide.png)\n\nThe end.\n")
    return "".join(parts)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from PIL import Image

    folder = tmp_path_factory.mktemp("wide")
    Image.new("RGB", (2000, 240), (40, 90, 160)).save(folder / "wide.png")
    path = folder / "wide.md"
    path.write_text(_wide_document(), encoding="utf-8")
    return path


def _source_words(path: Path) -> Counter[str]:
    text = path.read_text(encoding="utf-8").split("---\n", 2)[2]
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # the image's alt is a caption: kept
    text = text.replace("```python", "")
    return Counter(w.lower() for w in WORD.findall(text))


def _outside(pdf: Path) -> list[str]:
    """The words ``pdftotext -bbox`` finds drawn outside their page's TrimBox."""
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    with pikepdf.open(pdf) as doc:
        trims = []
        for page in doc.pages:
            media = [float(v) for v in page.MediaBox]
            trim = [float(v) for v in page.get("/TrimBox", page.MediaBox)]
            height = media[3] - media[1]
            # pdftotext measures from the top-left of the media box.
            trims.append((trim[0] - media[0], height - (trim[3] - media[1]),
                          trim[2] - media[0], height - (trim[1] - media[1])))  # fmt: skip
    outside: list[str] = []
    page = -1
    for line in boxes.split("\n"):
        if line.lstrip().startswith("<page "):
            page += 1
        match = re.search(
            r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', line
        )
        if not match:
            continue
        x0, y0, x1, y1 = (float(match[i]) for i in range(1, 5))
        left, top, right, bottom = trims[page]
        word = match[5]
        if not (x0 >= left - 1 and x1 <= right + 1 and y0 >= top - 1 and y1 <= bottom + 1):
            outside.append(word)
    return outside


def _letters(pdf: Path) -> str:
    """The letters the PDF draws, in drawing order (``-raw``: a table cell's lines, and the
    halves of a hyphenated word, follow each other)."""
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return "".join(ch.lower() for ch in text if ch.isalpha())


def _lost(path: Path, pdf: Path) -> list[str]:
    """Source words not found on the page (when nothing is drawn outside the trim box, the
    text drawn is the text visible), and the words drawn outside."""
    outside = _outside(pdf)
    letters = _letters(pdf)
    lost = []
    for word, count in _source_words(path).items():
        if letters.count(word) < count:
            lost.append(word)
    return lost + outside


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("profile", PDF_PROFILES)
def test_every_word_inside_the_trim_box(
    source: Path, tmp_path: Path, theme: str, profile: str
) -> None:
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    status = main(
        ["convert", str(source), "-o", str(out), "--format", "pdf", "--theme", theme,
         "--profile", profile, "--report", str(report), "-q"]
    )  # fmt: skip
    assert status == 0
    codes = [d["code"] for d in json.loads(report.read_text())]
    assert "layout.overflow" not in codes
    assert _lost(source, out / "wide.pdf") == []


def test_a_page_made_to_overflow_is_reported_and_the_check_sees_it(tmp_path: Path) -> None:
    theme = tmp_path / "nowrap"
    (theme / "css").mkdir(parents=True)
    (theme / "theme.toml").write_text(
        '[theme]\ninherit = "base"\n[stylesheets]\n'
        'pdf = ["css/common.css", "css/print.css", "css/nowrap.css"]\n'
    )
    (theme / "css" / "nowrap.css").write_text("p { white-space: nowrap; }\n")
    doc = tmp_path / "runoff.md"
    doc.write_text(
        "---\ntitle: Runs off\n---\n\nThis paragraph is set on one line that never breaks, so"
        " most of its words run past the right edge of the page where nobody reads them.\n"
    )
    out, report = tmp_path / "out", tmp_path / "report.json"
    args = ["convert", str(doc), "-o", str(out), "--format", "pdf", "--theme", str(theme)]
    assert main([*args, "--report", str(report), "-q"]) == 0
    found = [d for d in json.loads(report.read_text()) if d["code"] == "layout.overflow"]
    assert len(found) == 1 and found[0]["severity"] == "warning"
    assert "right edge" in found[0]["message"] and "nobody reads them" in found[0]["message"]
    assert found[0]["line"] == 5
    assert _lost(doc, out / "runoff.pdf")  # the reader's check fails too
    strict = tmp_path / "strict"
    assert main([*args[:3], str(strict), *args[4:], "--strict", "-q"]) == 1
    assert not (strict / "runoff.pdf").exists()


def test_cramped_tables_are_split_by_column_groups(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["convert", str(source), "-o", str(out), "--format", "pdf,html",
                 "--theme", "book", "-q"]) == 0  # fmt: skip
    html = (out / "wide.html").read_text()
    parts = re.findall(r'data-part="(\d+)/(\d+)"', html)
    assert parts, "the 12-column table on a 6×9 in page is split"
    # Every part repeats the rows' names; every cell of the source is in some part.
    assert html.count("Regiment 0</td>") >= 2
    assert _lost(source, out / "wide.pdf") == []


def test_split_tables_keeps_every_cell_and_the_first_column() -> None:
    cells = "".join(f"<td>c{n}</td>" for n in range(1, 7))
    document = (
        "<!DOCTYPE html><html><body><p>x</p><table class='cols-7'><thead><tr><th>Name</th>"
        + "".join(f"<th>h{n}</th>" for n in range(1, 7))
        + f"</tr></thead><tbody><tr><td>Row</td>{cells}</tr></tbody></table><p>y</p></body></html>"
    )

    class Cramped:
        table, per_part = 0, 4

    split = split_tables(document, [Cramped()])
    assert split.count("<table") == 2
    assert split.count("<td>Row</td>") == 2
    assert all(f"<td>c{n}</td>" in split for n in range(1, 7))
    assert 'data-part="1/2"' in split and 'data-part="2/2"' in split
    merged = document.replace("<td>c1</td>", '<td colspan="2">c1</td>')
    assert split_tables(merged, [Cramped()]) == merged  # merged cells: left whole


def test_epub_style_sheets_reflow() -> None:
    # No fixed widths in what a reading system gets: only relative ones.
    for name in THEMES:
        for sheet in load_theme(name).stylesheets("epub"):
            css = sheet.read_text()
            fixed = re.findall(r"(?<![-\w])(?:min-|max-)?width\s*:\s*[\d.]+(?:px|pt|cm|mm|in)", css)
            assert not fixed, (sheet, fixed)


def test_epub_keeps_the_wide_table_whole(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["convert", str(source), "-o", str(out), "--format", "epub", "-q"]) == 0
    with zipfile.ZipFile(out / "wide.epub") as epub:
        text = "".join(epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml"))
    assert "table-part" not in text and text.count("<table") == 4

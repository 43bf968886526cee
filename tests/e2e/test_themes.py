"""End to end: the built-in themes and the PDF profiles.

Every built-in theme converts every corpus file and every sample to PDF and EPUB, and
builds the sample book (in process, through ``convert.cli.main``). The PDFs embed all
their fonts and report no missing glyph, font fallback or wrong contents page. A themed
EPUB is base's EPUB with other style sheets (compared entry by entry), so EPUBCheck, slow
to start, runs on a few per theme. The profiles are checked by structure with pypdf: PDF/X
boxes, output intent and XMP claims for ``print``, PDF/A claims for ``archive``, tags and
the PDF/UA claim for ``screen``. The font diagnostics are provoked on purpose with small
user themes, and a wheel is built and installed outside the source tree to show the
themes ship inside it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from pypdf import PdfReader

from convert.cli import main
from convert.theme import available
from tests.conftest import CONTENT, ROOT, corpus_files

pytestmark = pytest.mark.e2e

SAMPLES = sorted((CONTENT / "articles").glob("*.md"))
SAMPLE_BOOK = CONTENT / "books" / "field-guide" / "book.toml"
BUILTIN = sorted(available())
# The font and contents checks that must stay silent on the corpus and the samples.
SILENT = {"font.missing-glyph", "font.fallback", "toc.page-mismatch"}
# The face each theme sets its body text in, as embedded (subset prefix stripped).
BODY_FACE = {
    "base": "Noto-Serif",
    "book": "Noto-Serif",
    "report": "Noto-Sans",
    "manuscript": "DejaVu-Sans-Mono",
}
MM = 72 / 25.4


def _inputs() -> list[Path]:
    return [*corpus_files(), *SAMPLES]


def _convert(*args: str) -> tuple[int, list[dict]]:
    """``pressroom convert ARGS --report R``: the exit status and the diagnostics."""
    out = Path(args[args.index("-o") + 1])
    report = out.parent / f"{out.name}-report.json"  # beside: a failed run may write no folder
    status = main(["convert", *args, "-q", "--report", str(report)])
    return status, json.loads(report.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int, list]]:
    """Every input under every built-in theme: theme → (folder, exit status, diagnostics)."""
    inputs = [str(p) for p in _inputs()]
    results = {}
    for theme in BUILTIN:
        out = tmp_path_factory.mktemp(f"theme-{theme}")
        args = (*inputs, "-o", str(out), "--theme", theme, "--format", "pdf,epub,html")
        status, diagnostics = _convert(*args)
        results[theme] = (out, status, diagnostics)
    return results


def test_builtin_themes_are_there() -> None:
    assert {"base", "book", "report", "manuscript"} <= set(BUILTIN)


@pytest.mark.parametrize("theme", BUILTIN)
def test_theme_converts_every_input(rendered: dict, theme: str) -> None:
    out, status, diagnostics = rendered[theme]
    errors = [d for d in diagnostics if d["severity"] == "error"]
    assert status == 0, errors
    for source in _inputs():
        for suffix in (".pdf", ".epub", ".html"):
            assert (out / f"{source.stem}{suffix}").is_file(), f"{theme}: {source.name}{suffix}"


@pytest.mark.parametrize("theme", BUILTIN)
def test_no_missing_glyph_fallback_or_toc_mismatch(rendered: dict, theme: str) -> None:
    _, _, diagnostics = rendered[theme]
    found = [
        f"{d['path']}: {d['message']} [{d['code']}]" for d in diagnostics if d["code"] in SILENT
    ]
    assert not found


@pytest.mark.parametrize("theme", BUILTIN)
def test_every_pdf_embeds_its_fonts_and_the_theme_face(rendered: dict, theme: str) -> None:
    out, _, _ = rendered[theme]
    for source in _inputs():
        faces = _embedded_fonts(PdfReader(out / f"{source.stem}.pdf"))
        assert faces, f"{theme}: {source.name} has no fonts"
    english = _embedded_fonts(PdfReader(out / "printing-press.pdf"))
    assert BODY_FACE[theme] in english, english
    if theme == "manuscript":
        assert not any(face.startswith("Noto-Serif") for face in english), english


@pytest.mark.parametrize("theme", BUILTIN)
@pytest.mark.parametrize("stem", ["arabic-type", "hebrew-type"])
def test_right_to_left_samples_set_dir(rendered: dict, theme: str, stem: str) -> None:
    out, _, _ = rendered[theme]
    html = (out / f"{stem}.html").read_text(encoding="utf-8")
    assert 'dir="rtl"' in html.split(">", 2)[1]
    with zipfile.ZipFile(out / f"{stem}.epub") as epub:
        chapter = epub.read("EPUB/chapter.xhtml").decode("utf-8")
    assert 'dir="rtl"' in chapter.split("<html", 1)[1].split(">", 1)[0]


def _without_styles(epub: Path) -> dict[str, bytes]:
    """An EPUB's entries less its style sheets, the links to them and inline styles, and
    less its print pagination: the page-break markers, the page list and the metadata
    that name the theme's PDF (its page size sets where pages break)."""
    entries = {}
    with zipfile.ZipFile(epub) as z:
        for name in z.namelist():
            if name.startswith("EPUB/css/"):
                continue
            data = z.read(name)
            if name.endswith((".xhtml", ".opf")):
                data = re.sub(rb'\s*<(link rel="stylesheet"|item href="css/)[^>]*/>', b"", data)
                data = re.sub(rb"\s*<style>.*?</style>", b"", data, flags=re.S)
                data = re.sub(rb'<span epub:type="pagebreak"[^>]*/>', b"", data)
                data = re.sub(rb'<nav epub:type="page-list".*?</nav>', b"", data, flags=re.S)
                data = re.sub(
                    rb'<meta property="(pageBreakSource|schema:accessibilitySummary)">[^<]*</meta>',
                    b"",
                    data,
                )
            entries[name] = data
    return entries


def _styles(epub: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(epub) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("EPUB/css/")}


@pytest.mark.parametrize("theme", [t for t in BUILTIN if t != "base"])
def test_themed_epubs_differ_from_base_only_in_style(rendered: dict, theme: str) -> None:
    """What lets EPUBCheck run on a few EPUBs per theme instead of all of them: base's
    EPUBs are all checked (test_corpus.py), and a theme's EPUBs are base's content with the
    theme's style sheets, which are the same files in every one of them."""
    out, _, _ = rendered[theme]
    base, _, _ = rendered["base"]
    sheets = None
    for source in _inputs():
        themed = out / f"{source.stem}.epub"
        assert _without_styles(themed) == _without_styles(base / f"{source.stem}.epub"), source
        sheets = sheets or _styles(themed)
        assert _styles(themed) == sheets, f"{source.name}: other style sheets than the rest"


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int, list]]:
    """The sample book under every built-in theme but base (test_book.py has base's):
    theme → (folder, exit status, diagnostics). The manifest names its theme, so each run
    builds a copy of the book whose manifest names another."""
    results = {}
    for theme in BUILTIN:
        if theme == "base":
            continue
        work = tmp_path_factory.mktemp(f"book-{theme}")
        shutil.copytree(SAMPLE_BOOK.parent, work / "field-guide")
        manifest = work / "field-guide" / "book.toml"
        text = manifest.read_text(encoding="utf-8")
        manifest.write_text(re.sub(r'(?m)^name = ".*"$', f'name = "{theme}"', text), "utf-8")
        report = work / "report.json"
        out = work / "out"
        status = main(["book", str(manifest), "-o", str(out), "--report", str(report), "-q"])
        results[theme] = (out, status, json.loads(report.read_text(encoding="utf-8")))
    return results


@pytest.mark.parametrize("theme", [t for t in BUILTIN if t != "base"])
def test_theme_builds_the_sample_book(books: dict, theme: str) -> None:
    out, status, diagnostics = books[theme]
    assert status == 0, [d for d in diagnostics if d["severity"] == "error"]
    assert not [d for d in diagnostics if d["code"] in SILENT]
    reader = PdfReader(out / "field-guide.pdf")
    assert BODY_FACE[theme] in _embedded_fonts(reader)
    assert (out / "field-guide.epub").is_file()


def test_themed_epubs_pass_epubcheck(rendered: dict, books: dict, epubcheck) -> None:
    # One listing with highlighted code (the theme's code style) and one right-to-left
    # article per theme, and each theme's book; the test above shows the other articles
    # differ from these only in content that base's EPUBCheck run covers.
    epubs = [
        out / f"{stem}.epub"
        for theme, (out, _, _) in rendered.items()
        if theme != "base"
        for stem in ("typesetting-code", "arabic-type")
    ]
    epubs += [out / "field-guide.epub" for out, _, _ in books.values()]
    results = epubcheck.many(epubs)
    failures = {str(p): msgs for p, msgs in results.items() if msgs}
    assert not failures, failures


def test_themes_command_lists_inheritance(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["themes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for theme in BUILTIN:
        line = next(line for line in lines if line.split()[0] == theme)
        assert (theme == "base") or f"{theme} → base" in line, line


# --- PDF structure --------------------------------------------------------------------------


def _embedded_fonts(reader: PdfReader) -> set[str]:
    """Base names of the fonts the pages use; fails if any of them is not embedded."""
    names: set[str] = set()
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target["/FontDescriptor"].get_object()
            name = str(font.get("/BaseFont", "")).lstrip("/").split("+")[-1]
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), (
                f"font {name} is not embedded"
            )
            names.add(name)
    return names


def _xmp(reader: PdfReader) -> dict[str, str]:
    """XMP properties as ``prefix:name`` → text, whether written as attributes or elements."""
    data = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    prefixes = {
        "http://www.aiim.org/pdfua/ns/id/": "pdfuaid",
        "http://www.aiim.org/pdfa/ns/id/": "pdfaid",
        "http://ns.adobe.com/pdfx/1.3/": "pdfx",
        "http://www.npes.org/pdfx/ns/id/": "pdfxid",
    }

    def short(tag: str) -> str:
        uri, _, local = tag[1:].partition("}")
        return f"{prefixes.get(uri, uri)}:{local}"

    found: dict[str, str] = {}
    rdf = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
    for description in ElementTree.fromstring(data).iter(f"{rdf}Description"):
        for key, value in description.attrib.items():
            if key.startswith("{") and not key.startswith(rdf):
                found[short(key)] = value
        for child in description:
            if child.text and child.text.strip():
                found[short(child.tag)] = child.text.strip()
    return found


def _box(page, name: str) -> tuple[float, float, float, float]:
    return tuple(float(v) for v in page[name])


def _min_text_x(page) -> float:
    """The leftmost start of any text on the page, in points from the trim box's left edge."""
    xs: list[float] = []

    def visit(text, cm, tm, _font, _size) -> None:
        if text.strip():
            xs.append(tm[4] * cm[0] + tm[5] * cm[2] + cm[4])

    page.extract_text(visitor_text=visit)
    return min(xs)


@pytest.fixture(scope="module")
def profiles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list]]:
    """The printing-press sample under ``book`` in each profile: profile → (PDF, diagnostics)."""
    sample = CONTENT / "articles" / "printing-press.md"
    results = {}
    for profile in ("screen", "print", "archive"):
        out = tmp_path_factory.mktemp(f"profile-{profile}")
        args = (str(sample), "-o", str(out), "--theme", "book", "--profile", profile)
        status, diagnostics = _convert(*args, "--format", "pdf")
        assert status == 0, diagnostics
        results[profile] = (out / "printing-press.pdf", diagnostics)
    return results


@pytest.mark.parametrize("profile", ["screen", "print", "archive"])
def test_every_profile_embeds_all_fonts(profiles: dict, profile: str) -> None:
    pdf, diagnostics = profiles[profile]
    assert _embedded_fonts(PdfReader(pdf))
    assert not [d for d in diagnostics if d["code"] in SILENT]


def test_print_profile_has_trim_bleed_and_marks_area(profiles: dict) -> None:
    reader = PdfReader(profiles["print"][0])
    bleed = 3 * MM  # book: bleed = "3mm"
    for page in reader.pages:
        trim = _box(page, "/TrimBox")
        bleed_box = _box(page, "/BleedBox")
        media = _box(page, "/MediaBox")
        # book: page_size = "6in 9in"
        assert trim[2] - trim[0] == pytest.approx(6 * 72, abs=0.01)
        assert trim[3] - trim[1] == pytest.approx(9 * 72, abs=0.01)
        # The bleed area (where WeasyPrint draws the crop and cross marks) on every side.
        assert media[0] == pytest.approx(trim[0] - bleed, abs=0.01)
        assert media[1] == pytest.approx(trim[1] - bleed, abs=0.01)
        assert media[2] == pytest.approx(trim[2] + bleed, abs=0.01)
        assert media[3] == pytest.approx(trim[3] + bleed, abs=0.01)
        # The BleedBox reaches past the trim by the bleed (WeasyPrint caps it at 10 pt).
        reach = min(bleed, 10)
        assert bleed_box[0] == pytest.approx(trim[0] - reach, abs=0.01)
        assert bleed_box[2] == pytest.approx(trim[2] + reach, abs=0.01)
        assert bleed_box[1] == pytest.approx(trim[1] - reach, abs=0.01)
        assert bleed_box[3] == pytest.approx(trim[3] + reach, abs=0.01)


def test_print_profile_has_output_intent_and_pdfx_claim(profiles: dict) -> None:
    reader = PdfReader(profiles["print"][0])
    intents = reader.trailer["/Root"]["/OutputIntents"]
    intent = intents[0].get_object()
    assert intent["/S"] == "/GTS_PDFX"
    assert intent["/OutputConditionIdentifier"]
    icc = intent["/DestOutputProfile"].get_object().get_data()
    assert icc[12:20] == b"prtrCMYK", "the output intent is a CMYK printer profile"
    xmp = _xmp(reader)
    assert xmp.get("pdfx:GTS_PDFXVersion") == "PDF/X-4"
    assert xmp.get("pdfxid:GTS_PDFXVersion") == "PDF/X-4"


def test_book_margins_mirror_on_left_and_right_pages(profiles: dict) -> None:
    reader = PdfReader(profiles["print"][0])
    # book: margin_inner = 21mm (binding side), margin_outer = 15mm. Page 1 is a right page.
    assert _min_text_x(reader.pages[0]) == pytest.approx(21 * MM, abs=0.5)
    assert _min_text_x(reader.pages[1]) == pytest.approx(15 * MM, abs=0.5)
    assert _min_text_x(reader.pages[2]) == pytest.approx(21 * MM, abs=0.5)


def test_archive_profile_claims_pdfa_3u(profiles: dict) -> None:
    reader = PdfReader(profiles["archive"][0])
    xmp = _xmp(reader)
    assert xmp.get("pdfaid:part") == "3"
    assert xmp.get("pdfaid:conformance") == "U"
    intent = reader.trailer["/Root"]["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"


def test_screen_profile_is_tagged_pdfua(profiles: dict) -> None:
    reader = PdfReader(profiles["screen"][0])
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    assert _xmp(reader).get("pdfuaid:part") == "1"
    assert "/TrimBox" not in reader.pages[0] or _box(reader.pages[0], "/TrimBox") == _box(
        reader.pages[0], "/MediaBox"
    ), "no bleed outside the print profile"


# --- diagnostics provoked with small user themes --------------------------------------------


def _user_theme(root: Path, name: str, toml: str, css: dict[str, str]) -> Path:
    folder = root / name
    (folder / "css").mkdir(parents=True)
    (folder / "theme.toml").write_text(toml, encoding="utf-8")
    for file_name, text in css.items():
        (folder / "css" / file_name).write_text(text, encoding="utf-8")
    return folder


def _article(path: Path, body: str, lang: str = "en", title: str = "A test") -> Path:
    path.write_text(f"---\ntitle: {title}\nlang: {lang}\n---\n\n{body}", encoding="utf-8")
    return path


def test_print_x1a_profile_with_a_user_theme(tmp_path: Path) -> None:
    # The PDF/X variant is the profile's (one registry, convert/profiles.py), not a theme's.
    theme = _user_theme(tmp_path, "shop", '[theme]\ninherit = "book"\n', {})
    source = _article(tmp_path / "short.md", "A paragraph.\n\n## Part\n\nAnother one.\n")
    out = tmp_path / "out"
    status, diagnostics = _convert(
        str(source), "-o", str(out), "--theme", str(theme), "--profile", "print-x1a",
        "--format", "pdf",
    )  # fmt: skip
    assert status == 0, diagnostics
    reader = PdfReader(out / "short.pdf")
    assert reader.metadata.get("/GTS_PDFXVersion", "") == "PDF/X-1:2001"
    assert reader.metadata.get("/GTS_PDFXConformance", "") == "PDF/X-1a:2001"
    assert reader.trailer["/Root"]["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFX"


def test_missing_glyph_names_the_character_and_its_line(tmp_path: Path) -> None:
    # U+E000 is a private-use codepoint: no installed font draws it.
    body = "First paragraph.\n\nSecond paragraph.\n\nA private sign \ue000 here.\n"
    source = _article(tmp_path / "glyph.md", body)
    out = tmp_path / "out"
    status, diagnostics = _convert(str(source), "-o", str(out), "--format", "pdf")
    assert status == 0
    missing = [d for d in diagnostics if d["code"] == "font.missing-glyph"]
    assert len(missing) == 1, diagnostics
    assert "U+E000" in missing[0]["message"]
    assert missing[0]["line"] == 10  # 4 frontmatter lines and a blank, then the body


def test_font_fallback_is_reported(tmp_path: Path) -> None:
    # A theme whose only stack names a Hebrew face: Cyrillic text falls back to a face the
    # theme never named, which the PDF check must report instead of passing silently.
    theme = _user_theme(
        tmp_path,
        "narrow",
        '[theme]\ninherit = "base"\n[stylesheets]\npdf = ["css/only.css"]\n'
        'epub = ["css/only.css"]\nhtml = ["css/only.css"]\n',
        {"only.css": 'html { font-family: "Noto Sans Hebrew"; }\n'},
    )
    body = "Друкарство прийшло на ці землі давно.\n\n## Друкарні\n\nКнижки друкували у Львові.\n"
    source = _article(tmp_path / "cyr.md", body, lang="uk", title="Нотатки")
    out = tmp_path / "out"
    status, diagnostics = _convert(str(source), "-o", str(out), "--theme", str(theme))
    assert status == 0
    fallbacks = [d for d in diagnostics if d["code"] == "font.fallback"]
    assert fallbacks, diagnostics
    assert all(d["severity"] == "warning" for d in fallbacks)
    assert not any("Noto Sans Hebrew" in d["message"] for d in fallbacks)


def test_toc_page_mismatch_fails_the_document(tmp_path: Path) -> None:
    # WeasyPrint 70 prints 0 for target-counter() in a flex anchor: verify_toc must catch it.
    theme = _user_theme(
        tmp_path,
        "flexy",
        '[theme]\ninherit = "base"\n[options]\ntoc = true\n[stylesheets]\n'
        'pdf = ["css/common.css", "css/print.css", "css/flex.css"]\n',
        {"flex.css": ".toc a.toc-link { display: flex; }\n"},
    )
    body = "".join(f"## Part {n}\n\nText of part {n}.\n\n" for n in range(1, 4))
    source = _article(tmp_path / "parts.md", body)
    out = tmp_path / "out"
    status, diagnostics = _convert(
        str(source), "-o", str(out), "--theme", str(theme), "--format", "pdf"
    )
    assert status == 1
    mismatches = [d for d in diagnostics if d["code"] == "toc.page-mismatch"]
    assert mismatches and all(d["severity"] == "error" for d in mismatches)


# --- packaging ------------------------------------------------------------------------------


def test_wheel_ships_the_themes_and_an_installed_copy_finds_them(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip"]
    quiet = {"capture_output": True, "text": True, "timeout": 300}
    build = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(ROOT)], **quiet
    )
    if build.returncode != 0:  # no hatchling in this environment: build it in isolation
        build = subprocess.run([*pip, "wheel", "--no-deps", "-w", str(dist), str(ROOT)], **quiet)
    if build.returncode != 0:
        pytest.skip(f"cannot build the wheel here (offline, no hatchling?): {build.stderr[-300:]}")
    wheel = next(dist.glob("pressroom-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    for theme in BUILTIN:
        assert f"convert/themes/{theme}/theme.toml" in names, theme
        assert any(n.startswith(f"convert/themes/{theme}/css/") for n in names), theme
    assert "convert/themes/base/icc/pressroom-cmyk.icc" in names
    # The message catalogs travel with the code: generated text in every language.
    from convert.i18n import SUPPORTED

    for language in SUPPORTED:
        assert f"convert/locale/{language}.po" in names, language

    # Install it outside the source tree (non-editable) and ask that copy for its themes.
    target = tmp_path / "site"
    install = subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        **quiet,
    )
    if install.returncode != 0:
        pytest.skip(f"cannot install the wheel here: {install.stderr[-300:]}")
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = subprocess.run(
        [sys.executable, "-c", "import convert.theme as t; print(*t.builtin_dirs(), sep='\\n')"],
        cwd=tmp_path,
        env=env,
        **quiet,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == [str((target / "convert" / "themes").resolve())]
    listing = subprocess.run(
        [sys.executable, "-m", "convert", "themes"], cwd=tmp_path, env=env, **quiet
    )
    assert listing.returncode == 0, listing.stderr
    assert {line.split()[0] for line in listing.stdout.splitlines()} == set(BUILTIN)
    german = subprocess.run(
        [
            sys.executable,
            "-c",
            "from convert.i18n import messages; print(messages('de')('Contents'))",
        ],
        cwd=tmp_path,
        env=env,
        **quiet,
    )
    assert german.stdout.strip() == "Inhalt", german.stderr

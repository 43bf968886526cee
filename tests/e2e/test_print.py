"""Print-ready for real: the sample book and the sample articles in every PDF profile,
checked with pikepdf, qpdf and pdftotext, independently of Pressroom's own preflight
(which must also pass on all of them).

- PDF/X-4 (print): no DeviceRGB/DeviceGray painting where no Default colour space applies;
  tagged, DisplayDocTitle; PDF/X XMP keys.
- PDF/X-1a (print-x1a, kdp-print, ingramspark): no RGB or ICC colour anywhere, no
  transparency, PDF 1.3, GTS_PDFXVersion/Conformance in Info.
- PDF/A-3u (archive): uncompressed XMP with pdfaid and pdfuaid, tagged.
- Every file: qpdf --check clean, page labels equal to the folios printed in the footer,
  0 glyphs drawn as .notdef, byte-identical on a rebuild.
- Stores: no links, bookmarks or printer's marks; bleed 0.125 in; even page count.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Name

from convert.cli import main
from convert.preflight import preflight
from convert.profiles import get
from tests.conftest import CONTENT

pytestmark = pytest.mark.e2e

BOOK = CONTENT / "books" / "field-guide" / "book.toml"
PDF_PROFILES = ["screen", "print", "print-x1a", "archive", "kdp-print", "ingramspark"]
ARTICLE_PROFILES = ["print", "print-x1a", "archive"]
ARTICLES = sorted((CONTENT / "articles").glob("*.md"))
X1A = {"print-x1a", "kdp-print", "ingramspark"}


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for profile in PDF_PROFILES:
        folder = tmp_path_factory.mktemp(f"book-{profile}")
        status = main(["book", str(BOOK), "-o", str(folder), "--profile", profile, "-q"])
        assert status == 0
        out[profile] = folder / "field-guide.pdf"
    return out


@pytest.fixture(scope="module")
def articles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    out = {}
    for profile in ARTICLE_PROFILES:
        folder = tmp_path_factory.mktemp(f"articles-{profile}")
        args = [str(p) for p in ARTICLES]
        status = main(["convert", *args, "-o", str(folder), "--profile", profile, "--root",
                       str(CONTENT), "--format", "pdf", "-q"])  # fmt: skip
        assert status == 0
        out[profile] = sorted(folder.glob("*.pdf"))
    return out


def _all(books: dict, articles: dict, profile: str) -> list[Path]:
    return [books[profile], *articles.get(profile, [])]


# --- walking content with pikepdf ----------------------------------------------------------


def _streams(pdf: pikepdf.Pdf):
    """(content owner, its resources) for every page and nested form XObject."""
    seen = set()
    stack = [(page.obj, page.obj.get("/Resources", pikepdf.Dictionary())) for page in pdf.pages]
    while stack:
        obj, resources = stack.pop()
        if obj.objgen != (0, 0):
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        yield obj, resources
        for xobject in resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == Name.Form:
                stack.append((xobject, xobject.get("/Resources", resources)))


def _device_painting(pdf: pikepdf.Pdf) -> list[str]:
    """Device RGB/Gray operators in streams whose resources lack the Default space."""
    problems = []
    for obj, resources in _streams(pdf):
        spaces = resources.get("/ColorSpace", {})
        for item in pikepdf.parse_content_stream(obj):
            op = str(getattr(item, "operator", ""))
            if op in ("rg", "RG") and "/DefaultRGB" not in spaces:
                problems.append(op)
            if op in ("g", "G") and "/DefaultGray" not in spaces:
                problems.append(op)
            if (
                op in ("cs", "CS")
                and item.operands[0] == Name.DeviceRGB
                and "/DefaultRGB" not in spaces
            ):
                problems.append(f"{op} DeviceRGB")
    return problems


def _xmp(pdf: pikepdf.Pdf) -> str:
    return pdf.Root.Metadata.read_bytes().decode()


# --- PDF/X-4 ------------------------------------------------------------------------------------


def test_print_paints_only_colour_managed_device_colour(books, articles) -> None:
    for path in _all(books, articles, "print"):
        with pikepdf.open(path) as pdf:
            assert _device_painting(pdf) == [], path.name
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == Name.Image:
                    assert obj.get("/ColorSpace") != Name.DeviceRGB, path.name


def test_without_default_spaces_the_same_check_fails(books, tmp_path: Path) -> None:
    """The check above can fail: the screen PDF paints in plain DeviceRGB."""
    with pikepdf.open(books["screen"]) as pdf:
        assert _device_painting(pdf)


def test_print_is_a_tagged_pdfx4(books, articles) -> None:
    for path in _all(books, articles, "print"):
        with pikepdf.open(path) as pdf:
            xmp = _xmp(pdf)
            assert "<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" in xmp
            assert "<pdf:Trapped>False</pdf:Trapped>" in xmp
            assert "<pdfuaid:part>1</pdfuaid:part>" in xmp
            assert pdf.trailer.Info.Trapped == Name("/False")
            assert Name("/GTS_PDFX") == pdf.Root.OutputIntents[0].S
            assert pdf.Root.MarkInfo.Marked and "/StructTreeRoot" in pdf.Root
            assert pdf.Root.ViewerPreferences.DisplayDocTitle
            assert pdf.pdf_version == "1.6"
            for page in pdf.pages:
                assert "/TrimBox" in page.obj and "/BleedBox" in page.obj


# --- PDF/X-1a -----------------------------------------------------------------------------------


def _x1a_problems(pdf: pikepdf.Pdf) -> list[str]:
    problems = []
    for obj, resources in _streams(pdf):
        if obj.get("/Group", {}).get("/S") == Name.Transparency:
            problems.append("transparency group")
        for name, space in resources.get("/ColorSpace", {}).items():
            if isinstance(space, pikepdf.Array) and space[0] in (Name.ICCBased, Name.Lab):
                problems.append(f"colour space {name}")
        for state in resources.get("/ExtGState", {}).values():
            if float(state.get("/ca", 1)) < 1 or float(state.get("/CA", 1)) < 1:
                problems.append("opacity")
        for item in pikepdf.parse_content_stream(obj):
            op = str(getattr(item, "operator", ""))
            if op in ("rg", "RG", "g", "G") or (
                op in ("cs", "CS", "sc", "scn") and Name.DeviceRGB in list(item.operands)
            ):
                problems.append(op)
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == Name.Image:
            if obj.get("/ColorSpace") not in (Name.DeviceCMYK, Name.DeviceGray, None):
                problems.append(f"image in {obj.get('/ColorSpace')}")
            if "/SMask" in obj:
                problems.append("soft mask")
    return problems


@pytest.mark.parametrize("profile", sorted(X1A))
def test_x1a_has_no_rgb_and_no_transparency(books, articles, profile: str) -> None:
    for path in _all(books, articles, profile):
        with pikepdf.open(path) as pdf:
            assert _x1a_problems(pdf) == [], path.name
            assert pdf.pdf_version == "1.3"
            info = pdf.trailer.Info
            assert str(info.GTS_PDFXVersion) == "PDF/X-1:2001"
            assert str(info.GTS_PDFXConformance) == "PDF/X-1a:2001"
            assert info.Trapped == Name("/False")


def test_the_x1a_check_can_fail(books) -> None:
    with pikepdf.open(books["print"]) as pdf:
        assert _x1a_problems(pdf)


def test_emoji_survive_cmyk_as_flattened_images(articles) -> None:
    """The symbols sample draws its emoji and flags as images; X-1a composes them onto
    white in CMYK (no mask), X-4 keeps them with their alpha."""

    def emoji_images(path: Path) -> list[tuple[str, bool]]:
        with pikepdf.open(path) as pdf:
            return [
                (str(o.get("/ColorSpace")), "/SMask" in o)
                for o in pdf.objects
                if isinstance(o, pikepdf.Stream)
                and o.get("/Subtype") == Name.Image
                and int(o.get("/Width", 0)) == 136  # Noto Color Emoji's bitmap size
            ]

    x1a = next(p for p in articles["print-x1a"] if p.stem == "symbols-in-tables")
    x4 = next(p for p in articles["print"] if p.stem == "symbols-in-tables")
    assert emoji_images(x1a) and all(i == ("/DeviceCMYK", False) for i in emoji_images(x1a))
    assert any(mask for _, mask in emoji_images(x4))  # colour images with their alpha masks


# --- PDF/A ----------------------------------------------------------------------------------------


def test_archive_is_pdfa_with_plain_metadata_and_tags(books, articles) -> None:
    for path in _all(books, articles, "archive"):
        with pikepdf.open(path) as pdf:
            assert "/Filter" not in pdf.Root.Metadata
            xmp = _xmp(pdf)
            assert "<pdfaid:part>3</pdfaid:part>" in xmp
            assert "<pdfaid:conformance>U</pdfaid:conformance>" in xmp
            assert "<pdfuaid:part>1</pdfuaid:part>" in xmp
            assert "<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in xmp  # declared
            assert Name("/GTS_PDFA1") == pdf.Root.OutputIntents[0].S
            assert pdf.Root.MarkInfo.Marked and "/StructTreeRoot" in pdf.Root
            title = str(pdf.trailer.Info.Title)
            assert f'<rdf:li xml:lang="x-default">{title}</rdf:li>' in xmp.replace("&amp;", "&")


# --- every profile --------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed (make setup)")
@pytest.mark.parametrize("profile", PDF_PROFILES)
def test_qpdf_check_is_clean(books, articles, profile: str) -> None:
    for path in _all(books, articles, profile):
        run = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "No syntax or stream encoding errors found" in run.stdout


@pytest.mark.parametrize("profile", PDF_PROFILES)
def test_own_output_passes_preflight(books, articles, profile: str) -> None:
    for path in _all(books, articles, profile):
        findings = [d for d in preflight(path, get(profile)) if d.severity.name != "INFO"]
        assert findings == [], "\n".join(map(str, findings))


def _footer(path: Path, page: int) -> str:
    """The last line of text on a page (where every theme prints its folio)."""
    text = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


@pytest.mark.parametrize("profile", ["screen", "print", "kdp-print"])
def test_page_labels_equal_the_printed_folios(books, profile: str) -> None:
    path = books[profile]
    with pikepdf.open(path) as pdf:
        labels = [pikepdf.Page(page).label for page in pdf.pages]
    compared = 0
    for number, label in enumerate(labels, start=1):
        footer = _footer(path, number)
        if re.fullmatch(r"\d+|[ivxlc]+", footer):
            assert footer == label, f"page {number} prints {footer!r}, labelled {label!r}"
            compared += 1
    assert compared >= 10
    assert "iii" in labels and "1" in labels
    assert labels[0] == ("Cover" if profile == "screen" else "i")


def test_contents_prints_a_page_for_every_entry(books) -> None:
    text = subprocess.run(
        ["pdftotext", "-layout", str(books["screen"]), "-"], capture_output=True, text=True
    ).stdout
    contents = text[text.index("Contents") :].split("\f")[0]
    assert re.search(r"Preface\s*\.+\s*iv\b", contents), contents
    entries = [line for line in contents.splitlines()[1:] if line.strip()]
    assert entries and all(re.search(r"\S\s*\.*\s*(\d+|[ivx]+)$", e) for e in entries)


def test_articles_are_labelled_from_one(articles) -> None:
    with pikepdf.open(articles["print"][0]) as pdf:
        assert [pikepdf.Page(p).label for p in pdf.pages][:2] == ["1", "2"][: len(pdf.pages)]


# --- stores ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["kdp-print", "ingramspark"])
def test_store_interiors_carry_no_links_bookmarks_or_marks(books, profile: str) -> None:
    with pikepdf.open(books[profile]) as pdf:
        assert "/Outlines" not in pdf.Root
        for page in pdf.pages:
            assert not [a for a in page.obj.get("/Annots", []) if a.Subtype == Name.Link]
            trim = [float(v) for v in page.obj.TrimBox]
            media = [float(v) for v in page.obj.MediaBox]
            assert trim[0] - media[0] == pytest.approx(0.125 * 72, abs=0.05)  # the bleed
        if profile == "ingramspark":
            assert len(pdf.pages) % 2 == 0
    # No printer's marks: the screen and print books draw marks as one form per page
    with pikepdf.open(books["print"]) as pdf:
        print_forms = len(pdf.pages[0].Resources.get("/XObject", {}))
    with pikepdf.open(books[profile]) as pdf:
        assert len(pdf.pages[0].Resources.get("/XObject", {})) < print_forms


def test_print_profiles_are_byte_identical_on_rebuild(books, tmp_path: Path) -> None:
    for profile in ("print", "print-x1a", "archive"):
        folder = tmp_path / profile
        assert main(["book", str(BOOK), "-o", str(folder), "--profile", profile, "-q"]) == 0
        assert (folder / "field-guide.pdf").read_bytes() == books[profile].read_bytes(), profile


def test_book_preflight_command(books, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preflight", str(books["kdp-print"]), "--profile", "kdp-print"]) == 0
    assert "kdp-print (PDF/X-1a:2001): passes" in capsys.readouterr().err
    # The screen book is no PDF/X: as a KDP interior it fails, page by page.
    assert main(["preflight", str(books["screen"]), "--profile", "kdp-print"]) == 1
    out = capsys.readouterr().out
    assert "[preflight.link-annotation]" in out and "[preflight.rgb]" in out
    assert re.search(r"field-guide\.pdf:\d+: error: ", out)


def test_strict_fails_on_a_self_check_finding(tmp_path: Path) -> None:
    """A one-page article is shorter than KDP's 24 pages: the self-check reports it, and
    under --strict the document fails and leaves no PDF behind."""
    source = tmp_path / "short.md"
    source.write_text("---\ntitle: Short\nlang: en\n---\n\nOne paragraph.\n", encoding="utf-8")
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    args = [str(source), "-o", str(out), "--profile", "kdp-print", "--format", "pdf", "-q"]
    assert main(["convert", *args, "--report", str(report)]) == 0
    assert '"preflight.page-count"' in report.read_text(encoding="utf-8")
    (out / "short.pdf").unlink()
    assert main(["convert", *args, "--strict"]) == 1
    assert not (out / "short.pdf").exists()


# --- an independent validator -------------------------------------------------------------------

page = pytest.importorskip("page", reason="page-validation not installed (make setup)")


def _validate(path: Path, standard: str) -> list[str]:
    report = page.validate_pdf(str(path), profile=standard)
    return sorted({f"{f.rule_id}: {f.message}" for f in report.failures})


def test_archive_files_pass_an_independent_pdfa_validator(books, articles) -> None:
    for path in _all(books, articles, "archive"):
        assert _validate(path, "3u") == [], path.name


@pytest.mark.parametrize("profile", ["screen", "print", "archive"])
def test_tagged_files_pass_an_independent_pdfua_validator(books, articles, profile) -> None:
    for path in _all(books, articles, profile):
        assert _validate(path, "ua1") == [], path.name


def test_the_validator_rejects_what_weasyprint_alone_writes(tmp_path: Path) -> None:
    """WeasyPrint 70's own PDF/A-3u (no post-processing) fails it: the check can fail."""
    import weasyprint

    out = tmp_path / "plain.pdf"
    weasyprint.HTML(string="<html lang=en><title>T</title><p>Text</p>").write_pdf(
        out, pdf_variant="pdf/a-3u"
    )
    assert _validate(out, "3u")

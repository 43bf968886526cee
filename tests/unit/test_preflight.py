"""Preflight on PDFs made for the purpose: a clean one per standard, then one defect each.

Each case builds a small PDF with pikepdf that passes its profile (the clean baseline is
tested too, so a finding can only come from the defect), breaks exactly one rule, and
asserts that preflight reports that rule's code and nothing else new.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name
from PIL import Image

from convert.cli import main
from convert.colour import srgb_profile
from convert.preflight import PreflightError, preflight
from convert.profiles import get

ROOT = Path(__file__).resolve().parents[2]
CMYK_ICC = (ROOT / "themes" / "base" / "icc" / "pressroom-cmyk.icc").read_bytes()

_CMAP = b"""/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/CMapName /T-0 def /CMapType 1 def
1 begincodespacerange <0000> <ffff> endcodespacerange
2 begincidchar <0001> 5 <0002> 0 endcidchar
endcmap CMapName currentdict /CMap defineresource pop end end"""


def _xmp(claims: str) -> bytes:
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" {claims}/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def build(kind: str, defect: Callable[[pikepdf.Pdf], None] | None = None) -> bytes:
    """A small PDF that passes ``kind`` (print, print-x1a, archive, kdp-print)."""
    pdf = pikepdf.new()
    x1a = kind in ("print-x1a", "kdp-print")
    font_file = pdf.make_stream(b"\x00\x01\x00\x00fake-truetype")
    descendant = Dictionary(
        Type=Name.Font,
        Subtype=Name.CIDFontType2,
        BaseFont=Name("/ABCDEF+Test"),
        CIDToGIDMap=Name.Identity,
        FontDescriptor=Dictionary(Type=Name.FontDescriptor, FontFile2=font_file),
    )
    font = pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.Type0,
            BaseFont=Name("/ABCDEF+Test"),
            Encoding=pdf.make_stream(_CMAP),
            DescendantFonts=Array([pdf.make_indirect(descendant)]),
        )
    )
    rgb = Array([Name.ICCBased, pdf.make_stream(srgb_profile(), N=3)])
    spaces = Dictionary() if x1a else Dictionary(DefaultRGB=rgb, DefaultGray=rgb)
    resources = pdf.make_indirect(Dictionary(Font=Dictionary(F1=font), ColorSpace=spaces))
    colour = b"0 0 0 1 k" if x1a else b"0.2 0.3 0.4 rg"
    content = colour + b" 20 20 100 100 re f BT /F1 12 Tf 30 30 Td <0001> Tj ET"
    # 6 × 9 in; KDP's with its 0.125 in bleed, and its minimum of 24 pages.
    kdp = kind == "kdp-print"
    trim = Array([9, 9, 441, 657]) if kdp else Array([0, 0, 432, 648])
    media = Array([0, 0, 450, 666]) if kdp else Array([0, 0, 432, 648])
    for _ in range(24 if kdp else 2):
        page = Dictionary(
            Type=Name.Page,
            MediaBox=media,
            TrimBox=trim,
            BleedBox=media,
            Resources=resources,
            Contents=pdf.make_stream(content),
        )
        pdf.pages.append(pikepdf.Page(page))
    info = Dictionary(Title=pikepdf.String("A test"), Trapped=Name("/False"))
    claims = 'xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="1"'
    if kind == "print":
        info.GTS_PDFXVersion = pikepdf.String("PDF/X-4")
        claims += ' xmlns:pdfxid="http://www.npes.org/pdfx/ns/id/" pdfxid:GTS_PDFXVersion="PDF/X-4"'
    elif x1a:
        info.GTS_PDFXVersion = pikepdf.String("PDF/X-1:2001")
        info.GTS_PDFXConformance = pikepdf.String("PDF/X-1a:2001")
    if kind == "archive":
        claims += (
            ' xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="3" pdfaid:conformance="U"'
        )
    pdf.trailer.Info = pdf.make_indirect(info)
    intent = Dictionary(
        Type=Name.OutputIntent,
        S=Name("/GTS_PDFA1") if kind == "archive" else Name("/GTS_PDFX"),
        OutputConditionIdentifier=pikepdf.String("test"),
        DestOutputProfile=pdf.make_stream(
            srgb_profile() if kind == "archive" else CMYK_ICC, N=3 if kind == "archive" else 4
        ),
    )
    pdf.Root.OutputIntents = Array([intent])
    metadata = pdf.make_stream(_xmp(claims))
    metadata.Type, metadata.Subtype = Name.Metadata, Name.XML
    pdf.Root.Metadata = metadata
    pdf.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(S=Name.D)]))
    if not x1a:
        pdf.Root.MarkInfo = Dictionary(Marked=True)
        pdf.Root.StructTreeRoot = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
        pdf.Root.Lang = pikepdf.String("en")
    if defect:
        defect(pdf)
    out = io.BytesIO()
    pdf.save(
        out,
        force_version="1.3" if x1a else "1.7",
        compress_streams=False,
        object_stream_mode=pikepdf.ObjectStreamMode.disable,
        static_id=True,
        fix_metadata_version=False,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
    )
    return out.getvalue()


def findings(tmp_path: Path, kind: str, defect=None) -> set[str]:
    path = tmp_path / "test.pdf"
    path.write_bytes(build(kind, defect))
    return {d.code for d in preflight(path, get(kind)) if d.severity.name != "INFO"}


@pytest.mark.parametrize("kind", ["print", "print-x1a", "archive", "kdp-print"])
def test_the_clean_baselines_pass(tmp_path: Path, kind: str) -> None:
    assert findings(tmp_path, kind) == set()


# --- one defect each ------------------------------------------------------------------------


def _page_content(data: bytes) -> Callable[[pikepdf.Pdf], None]:
    def defect(pdf: pikepdf.Pdf) -> None:
        for page in pdf.pages:
            page.obj.Contents = pdf.make_stream(data)

    return defect


def _drop(key: str, where: str = "root") -> Callable[[pikepdf.Pdf], None]:
    def defect(pdf: pikepdf.Pdf) -> None:
        target = pdf.Root if where == "root" else pdf.trailer.Info
        del target[key]

    return defect


def _image(pdf: pikepdf.Pdf, *, alpha: bool = False) -> None:
    """Every page draws a 10 × 10 px RGB image over 100 pt (7.2 dpi)."""
    image = pdf.make_stream(
        bytes(300),
        Type=Name.XObject,
        Subtype=Name.Image,
        Width=10,
        Height=10,
        ColorSpace=Name.DeviceRGB,
        BitsPerComponent=8,
    )
    if alpha:
        image.SMask = pdf.make_stream(
            bytes(100),
            Type=Name.XObject,
            Subtype=Name.Image,
            Width=10,
            Height=10,
            ColorSpace=Name.DeviceGray,
            BitsPerComponent=8,
        )
    for page in pdf.pages:
        page.obj.Resources.XObject = Dictionary(Im1=image)
        page.obj.Contents = pdf.make_stream(b"q 100 0 0 100 50 50 cm /Im1 Do Q")


def _no_defaults(pdf: pikepdf.Pdf) -> None:
    del pdf.pages[0].obj.Resources.ColorSpace["/DefaultRGB"]


def _compressed_metadata(pdf: pikepdf.Pdf) -> None:
    # qpdf writes streams typed /Metadata uncompressed whatever it is asked, so the
    # compressed one goes in without its /Type (preflight reads the catalog's entry).
    packet = pdf.Root.Metadata.read_bytes()
    stream = pdf.make_stream(b"")
    stream.write(zlib.compress(packet), filter=Name.FlateDecode)
    stream.Subtype = Name.XML
    pdf.Root.Metadata = stream


def _opacity(pdf: pikepdf.Pdf) -> None:
    for page in pdf.pages:
        page.obj.Resources.ExtGState = Dictionary(G1=Dictionary(ca=0.5))
        page.obj.Contents = pdf.make_stream(b"/G1 gs 0 0 0 1 k 0 0 10 10 re f")


def _unembedded(pdf: pikepdf.Pdf) -> None:
    font = pdf.pages[0].obj.Resources.Font.F1.DescendantFonts[0]
    del font.FontDescriptor["/FontFile2"]


def _no_trim(pdf: pikepdf.Pdf) -> None:
    del pdf.pages[1].obj["/TrimBox"]


def _odd_pages(pdf: pikepdf.Pdf) -> None:
    del pdf.pages[1]


def _links(pdf: pikepdf.Pdf) -> None:
    link = Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([20, 20, 60, 40]))
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(link)])


def _outline(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, Count=0))


def _group(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.Group = Dictionary(Type=Name.Group, S=Name.Transparency)


def _interpolate(pdf: pikepdf.Pdf) -> None:
    _image(pdf)
    pdf.pages[0].obj.Resources.XObject.Im1.Interpolate = True
    pdf.pages[0].obj.Resources.ColorSpace = Dictionary(DefaultRGB=Name.DeviceRGB)


def _wrong_trim(pdf: pikepdf.Pdf) -> None:
    for page in pdf.pages:
        page.obj.TrimBox = Array([9, 9, 441, 500])


def _short_bleed(pdf: pikepdf.Pdf) -> None:
    for page in pdf.pages:
        page.obj.BleedBox = page.obj.TrimBox


def _xmp_without(pdf: pikepdf.Pdf, claims: str) -> None:
    pdf.Root.Metadata.write(_xmp(claims))


def _structure(*kinds: str, **extra) -> Callable[[pikepdf.Pdf], None]:
    """A chain of structure elements under the root (``Document``, then ``kinds``, each
    the parent of the next), the last with ``extra`` entries."""

    def defect(pdf: pikepdf.Pdf) -> None:
        root = pdf.Root.StructTreeRoot
        parent = root
        for kind in ("Document", *kinds):
            element = pdf.make_indirect(
                Dictionary(Type=Name.StructElem, S=Name("/" + kind), P=parent)
            )
            parent.K = Array([element])
            parent = element
        for key, value in extra.items():
            parent[Name("/" + key)] = value

    return defect


def _untagged_link(pdf: pikepdf.Pdf) -> None:
    annot = Dictionary(
        Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 9, 9]), Contents=pikepdf.String("x")
    )
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(annot)])


def _orphan_content(pdf: pikepdf.Pdf) -> None:
    """Page content owned (ParentTree) by an element the tree does not reach."""
    orphan = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Span, K=0))
    pdf.Root.StructTreeRoot.ParentTree = Dictionary(Nums=Array([0, Array([orphan])]))
    pdf.pages[0].obj.StructParents = 0


def _empty_to_unicode(pdf: pikepdf.Pdf) -> None:
    font = pdf.pages[0].Resources.Font.F1
    font.ToUnicode = pdf.make_stream(
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"1 beginbfchar\n<0001> <>\nendbfchar\nendcmap end end"
    )


CASES = [
    # (profile, defect, expected code)
    ("print", _untagged_link, "preflight.ua-link"),
    ("print", _structure("L", "LI", "P"), "preflight.ua-list"),
    ("print", _structure("Table", "TR", "TH"), "preflight.ua-table"),
    (
        "print",
        _structure(
            "Table", "TR", "TD", A=Dictionary(O=Name.Table, Headers=Array([pikepdf.String("h")]))
        ),
        "preflight.ua-table",
    ),
    ("print", _structure("Figure"), "preflight.ua-figure"),
    ("print", _structure("Figure", Alt=pikepdf.String("a press")), None),
    ("print", _orphan_content, "preflight.ua-parent-tree"),
    ("archive", _empty_to_unicode, "preflight.ua-to-unicode"),
    ("print", _page_content(b"0 0 0 RG 0 0 m 10 10 l S"), None),  # with DefaultRGB: fine
    ("print", _no_defaults, "preflight.device-colour"),
    ("print", _drop("/OutputIntents"), "preflight.output-intent"),
    ("print-x1a", _drop("/GTS_PDFXVersion", "info"), "preflight.pdfx-version"),
    ("print-x1a", _drop("/GTS_PDFXConformance", "info"), "preflight.pdfx-version"),
    (
        "print",
        lambda pdf: _xmp_without(
            pdf, 'xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="1"'
        ),
        "preflight.pdfx-version",
    ),
    ("print", _drop("/Trapped", "info"), "preflight.trapped"),
    ("print", _drop("/Title", "info"), "preflight.title"),
    ("print", _drop("/MarkInfo"), "preflight.untagged"),
    ("print", _drop("/ViewerPreferences"), "preflight.title"),
    ("print", _drop("/Lang"), "preflight.lang"),
    ("print", _drop("/PageLabels"), "preflight.page-labels"),
    (
        "print",
        _drop("/Metadata"),
        ("preflight.metadata", "preflight.pdfx-version", "preflight.pdfua-id"),
    ),
    ("print", _no_trim, "preflight.trim-box"),
    ("print", _unembedded, "preflight.font-not-embedded"),
    ("print", _page_content(b"BT /F1 12 Tf 30 30 Td <00010002> Tj ET"), "preflight.notdef"),
    ("print", _interpolate, "preflight.interpolate"),
    (
        "print",
        lambda pdf: _xmp_without(
            pdf,
            'xmlns:pdfxid="http://www.npes.org/pdfx/ns/id/" pdfxid:GTS_PDFXVersion="PDF/X-4"',
        ),
        "preflight.pdfua-id",
    ),
    ("print-x1a", _page_content(b"0.5 0.5 0.5 rg 0 0 10 10 re f"), "preflight.rgb"),
    ("print-x1a", lambda pdf: _image(pdf), "preflight.rgb"),
    ("print-x1a", _opacity, "preflight.transparency"),
    ("print-x1a", _group, "preflight.transparency"),
    ("archive", _compressed_metadata, "preflight.metadata-filter"),
    ("archive", _drop("/OutputIntents"), "preflight.output-intent"),
    (
        "archive",
        lambda pdf: _xmp_without(
            pdf, 'xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="1"'
        ),
        "preflight.pdfa-id",
    ),
    ("archive", _page_content(b"0 0 0 1 k 0 0 10 10 re f"), "preflight.cmyk-no-intent"),
    ("kdp-print", _links, "preflight.link-annotation"),
    ("kdp-print", _outline, "preflight.bookmarks"),
    ("kdp-print", _wrong_trim, "preflight.trim-size"),
    ("kdp-print", _short_bleed, "preflight.bleed-box"),
    ("kdp-print", _odd_pages, "preflight.page-count"),
]


@pytest.mark.parametrize(("kind", "defect", "code"), CASES)
def test_one_defect_one_finding(tmp_path: Path, kind: str, defect, code) -> None:
    expected = set(code) if isinstance(code, tuple) else {code} if code else set()
    assert findings(tmp_path, kind, defect) == expected


def test_low_resolution_image(tmp_path: Path) -> None:
    found = findings(tmp_path, "kdp-print", _image)
    assert found == {"preflight.image-resolution", "preflight.rgb"}


def test_an_alpha_image_is_transparency_in_x1a(tmp_path: Path) -> None:
    assert "preflight.transparency" in findings(
        tmp_path, "print-x1a", lambda pdf: _image(pdf, alpha=True)
    )


def test_encrypted_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    pdf = pikepdf.open(io.BytesIO(build("print")))
    pdf.save(path, encryption=pikepdf.Encryption(owner="o", user="u"))
    codes = {d.code for d in preflight(path, get("print"))}
    assert codes == {"preflight.encrypted"}


def test_damaged_length_is_a_structure_finding(tmp_path: Path) -> None:
    data = re.sub(rb"/Length \d+", b"/Length 9", build("print"), count=1)
    path = tmp_path / "damaged.pdf"
    path.write_bytes(data)
    assert "preflight.structure" in {d.code for d in preflight(path, get("print"))}


def test_findings_carry_the_page(tmp_path: Path) -> None:
    path = tmp_path / "t.pdf"
    path.write_bytes(build("print", _no_trim))
    (finding,) = [d for d in preflight(path, get("print")) if d.code == "preflight.trim-box"]
    assert finding.location.line == 2
    assert str(finding).startswith(f"{path}:2: error: no TrimBox;")


def test_not_a_pdf_is_one_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(PreflightError):
        preflight(path, get("print"))
    assert main(["preflight", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: error: neither a PDF nor an EPUB") and "Traceback" not in err


def test_cli_exit_status_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(build("print"))
    bad.write_bytes(build("print", _no_defaults))
    assert main(["preflight", str(good), "--profile", "print"]) == 0
    capsys.readouterr()
    assert main(["preflight", str(bad), "--profile", "print", "--json"]) == 1
    out = capsys.readouterr().out
    assert '"code": "preflight.device-colour"' in out and '"line": 1' in out


# --- EPUB ---------------------------------------------------------------------------------------


def _epub(path: Path, *, cover: bytes | None, cover_name: str = "cover.png", ncx: bool = True):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        z.writestr(
            "META-INF/container.xml",
            '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0">'
            '<rootfiles><rootfile full-path="EPUB/content.opf" '
            'media-type="application/oebps-package+xml"/></rootfiles></container>',
        )
        items = ""
        if cover is not None:
            items += (
                f'<item id="c" href="{cover_name}" media-type="image/png" '
                'properties="cover-image"/>'
            )
            z.writestr(f"EPUB/{cover_name}", cover)
        if ncx:
            items += '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>'
        z.writestr(
            "EPUB/content.opf",
            f'<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><manifest>{items}'
            "</manifest></package>",
        )


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


def test_epub_store_rules(tmp_path: Path) -> None:
    path = tmp_path / "book.epub"
    _epub(path, cover=_png(1600, 2560))
    assert preflight(path, get("kdp-ebook")) == []
    assert preflight(path, get("apple-books")) == []
    _epub(path, cover=_png(600, 800))
    assert {d.code for d in preflight(path, get("apple-books"))} == {"preflight.epub-cover"}
    _epub(path, cover=None)
    assert {d.code for d in preflight(path, get("kdp-ebook"))} == {"preflight.epub-cover"}
    _epub(path, cover=_png(1600, 2560), ncx=False)
    assert {d.code for d in preflight(path, get("kdp-ebook"))} == {"preflight.epub-ncx"}
    _epub(path, cover=b"<svg/>", cover_name="cover.svg")
    assert {d.code for d in preflight(path, get("kdp-ebook"))} == {"preflight.epub-cover"}


def test_epub_container(tmp_path: Path) -> None:
    path = tmp_path / "bad.epub"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/epub+zip")
    assert {d.code for d in preflight(path, get("kdp-ebook"))} == {"preflight.epub-container"}


def test_one_files_fonts_say_nothing_about_the_next_files(tmp_path: Path) -> None:
    """Object numbers repeat across PDFs: a font's answers must not outlive its file."""

    def no_notdef(pdf: pikepdf.Pdf) -> None:
        font = pdf.pages[0].Resources.Font.F1
        font.Encoding = pdf.make_stream(_CMAP.replace(b"<0002> 0", b"<0002> 7"))

    assert findings(tmp_path, "print", no_notdef) == set()
    drawn = _page_content(b"BT /F1 12 Tf 30 30 Td <00010002> Tj ET")
    assert findings(tmp_path, "print", drawn) == {"preflight.notdef"}

"""Preflight of a PDF (reads with pikepdf; see ``preflight/__init__.py`` for the contract).

One small check per rule, each adding findings through ``_Findings.add(code, …)``:

document level
- ``preflight.encrypted``: printers and archives take no encrypted file.
- ``preflight.structure``: qpdf's own check (xref, ``/Length``, broken objects).
- ``preflight.pdf-version``: PDF/X-1a:2001 is PDF 1.3.
- ``preflight.output-intent``: PDF/X needs a ``GTS_PDFX`` intent with a destination
  profile, PDF/A a ``GTS_PDFA1`` one.
- ``preflight.pdfx-version``, ``preflight.pdfa-id``, ``preflight.pdfua-id``: the
  identification the standard asks for, in the Info dictionary or the XMP.
- ``preflight.metadata``: no XMP at all (PDF/A, PDF/X, PDF/UA); ``preflight.metadata-filter``:
  a compressed catalog ``/Metadata`` (PDF/A forbids it).
- ``preflight.trapped``: PDF/X needs ``/Trapped`` True or False.
- ``preflight.title``: PDF/X and PDF/UA need a title; PDF/UA shows it (``DisplayDocTitle``).
- ``preflight.untagged``, ``preflight.lang``: tagged profiles need MarkInfo, a structure
  tree and a document language.
- ``preflight.ua-link``, ``preflight.ua-list``, ``preflight.ua-table``,
  ``preflight.ua-figure``, ``preflight.ua-parent-tree`` (tagged profiles): the structure
  tree PDF/UA-1 asks for: every Link annotation in a Link element (StructParent and OBJR)
  with alternate text; LI elements holding only Lbl and LBody; every TH with a /Scope and
  every /Headers ID in the /IDTree; every Figure with alternate text; every StructParents
  key resolving, and no marked content owned by an element outside the tree.
- ``preflight.ua-to-unicode`` (tagged and PDF/A profiles): a ToUnicode map entry that maps
  to nothing, or to U+0000, U+FEFF or U+FFFE.
- ``preflight.page-labels``: no ``/PageLabels`` (a viewer's page 4 is then not the
  printed iv).
- ``preflight.bookmarks``: stores refuse an outline in a print interior.
- ``preflight.page-count``: parity (an interior is printed on both sides of a sheet),
  store minimum and maximum.

page level (``path:page``)
- ``preflight.trim-box``, ``preflight.bleed-box``, ``preflight.trim-size``: every page of a
  print file has a TrimBox inside its BleedBox inside its MediaBox, at a trim the store
  accepts.
- ``preflight.device-colour``: DeviceRGB/DeviceGray painting where no ``/DefaultRGB`` or
  ``/DefaultGray`` makes it colour-managed (PDF/X-4).
- ``preflight.rgb``: any RGB or ICC-based colour in a PDF/X-1a file.
- ``preflight.cmyk-no-intent``: DeviceCMYK in a PDF/A whose intent is not CMYK.
- ``preflight.transparency``: soft masks, opacity below 1, blend modes, transparency
  groups in a PDF/X-1a file.
- ``preflight.font-not-embedded``, ``preflight.font-subset`` (info, where a store prefers
  whole fonts), ``preflight.notdef``: text drawn with the missing-glyph box (glyph 0).
- ``preflight.image-resolution``: a raster image below the profile's minimum effective
  resolution at the size it is printed.
- ``preflight.interpolate``: image interpolation (forbidden in PDF/A and PDF/X).
- ``preflight.link-annotation``: links or other annotations where the store refuses them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from ..diagnostics import Diagnostic, Location, Severity
from ..profiles import Colour, Family, Profile, page_size_in
from . import PreflightError

_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO
_PAINT_OPS = {"f", "F", "f*", "B", "B*", "b", "b*", "S", "s", "sh", "Tj", "TJ", "'", '"', "Do"}


@dataclass
class _Findings:
    path: Path
    items: list[Diagnostic] = field(default_factory=list)
    seen: set[tuple[str, int | None, str]] = field(default_factory=set)
    # Per document: object numbers mean nothing in another PDF (a cache shared across
    # files gave one file's answers to the next file's font with the same number).
    notdef_codes: dict[tuple[int, int], frozenset[int]] = field(default_factory=dict)

    def add(
        self, code: str, severity: Severity, message: str, fix: str, page: int | None = None
    ) -> None:
        key = (code, page, message)
        if key in self.seen:
            return
        self.seen.add(key)
        self.items.append(
            Diagnostic(f"preflight.{code}", severity, Location(self.path, page), message, fix)
        )


def check_pdf(path: Path, profile: Profile) -> list[Diagnostic]:
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        out = _Findings(path)
        out.add("encrypted", _E, "the file is encrypted", "save it without a password")
        return out.items
    except (pikepdf.PdfError, OSError) as exc:
        raise PreflightError(f"not a readable PDF: {exc}", path=path) from None
    with pdf:
        out = _Findings(path)
        xmp = _xmp(pdf)
        _document(pdf, profile, xmp, out)
        for number, page in enumerate(pdf.pages, start=1):
            _boxes(page, profile, number, out)
            _annotations(page, profile, number, out)
            _Content(pdf, profile, number, out).page(page)
        _fonts(pdf, profile, out)
        if profile.tagged and "/StructTreeRoot" in pdf.Root:
            _structure(pdf, out)
        if profile.tagged or profile.family is Family.PDFA:
            _to_unicode(pdf, out)
        return out.items


# --- document ----------------------------------------------------------------------------


def _xmp(pdf: pikepdf.Pdf) -> str:
    meta = pdf.Root.get("/Metadata")
    if not isinstance(meta, Stream):
        return ""
    try:
        return meta.read_bytes().decode("utf-8", "replace")
    except pikepdf.PdfError:
        return ""


def _xmp_value(xmp: str, name: str) -> str | None:
    """``prefix:Name`` as an element or an attribute of the packet."""
    match = re.search(rf"<{name}>\s*([^<]*?)\s*</{name}>", xmp) or re.search(
        rf'{name}="([^"]*)"', xmp
    )
    return match[1] if match else None


def _document(pdf: pikepdf.Pdf, profile: Profile, xmp: str, out: _Findings) -> None:
    family = profile.family
    if pdf.is_encrypted:
        out.add("encrypted", _E, "the file is encrypted", "save it without encryption")
    for problem in pdf.check_pdf_syntax():
        out.add("structure", _E, f"damaged file: {problem}", "rewrite it (qpdf, or re-export)")
    if family is Family.PDFA:
        for obj in pdf.objects:
            if isinstance(obj, Stream) and obj.read_raw_bytes().endswith(b"\r"):
                out.add(
                    "structure",
                    _E,
                    f"stream {obj.objgen[0]} ends in CR: with the EOL before endstream its "
                    "/Length reads one byte short",
                    "re-encode it (Pressroom adds an ASCII85 layer)",
                )
    if profile.standard == "PDF/X-1a:2001" and pdf.pdf_version > "1.3":
        out.add(
            "pdf-version",
            _E,
            f"PDF {pdf.pdf_version}; PDF/X-1a:2001 is PDF 1.3",
            "export as PDF/X-1a:2001",
        )
    info = pdf.trailer.get("/Info", Dictionary())
    intents = pdf.Root.get("/OutputIntents", Array())
    kinds = {str(i.get("/S")) for i in intents}
    if family is Family.PDFX:
        intent = next((i for i in intents if i.get("/S") == Name("/GTS_PDFX")), None)
        if intent is None or "/DestOutputProfile" not in intent:
            out.add(
                "output-intent",
                _E,
                "no PDF/X output intent with a destination (CMYK) profile",
                "name the printing condition's ICC profile (theme option output_profile)",
            )
        # PDF/X-1a:2001 (PDF 1.3) identifies itself in the Info dictionary, PDF/X-4 in XMP.
        if profile.standard.startswith("PDF/X-1a"):
            version = str(info.get("/GTS_PDFXVersion", ""))
        else:
            version = _xmp_value(xmp, "pdfxid:GTS_PDFXVersion") or ""
        if version != profile.pdfx_version:
            out.add(
                "pdfx-version",
                _E,
                f"GTS_PDFXVersion is {version or 'missing'}, not {profile.pdfx_version}",
                f"export as {profile.standard}",
            )
        if (
            profile.standard.startswith("PDF/X-1a")
            and str(info.get("/GTS_PDFXConformance", "")) != profile.standard
        ):
            out.add(
                "pdfx-version",
                _E,
                f"GTS_PDFXConformance is not {profile.standard}",
                f"export as {profile.standard}",
            )
        if info.get("/Trapped") not in (Name("/True"), Name("/False")):
            out.add("trapped", _E, "/Trapped is not True or False", "set Trapped to False")
    if family is Family.PDFA:
        if "/GTS_PDFA1" not in kinds:
            out.add("output-intent", _E, "no PDF/A output intent", "embed an sRGB output intent")
        part = profile.pdfa_part
        found = (_xmp_value(xmp, "pdfaid:part"), _xmp_value(xmp, "pdfaid:conformance"))
        if part and found != (str(part[0]), part[1]):
            out.add(
                "pdfa-id",
                _E,
                f"XMP identifies PDF/A part {found[0]} conformance {found[1]}, "
                f"not {profile.standard}",
                f"export as {profile.standard}",
            )
        meta = pdf.Root.get("/Metadata")
        if isinstance(meta, Stream) and "/Filter" in meta:
            out.add(
                "metadata-filter",
                _E,
                "the catalog's XMP metadata stream is compressed",
                "PDF/A wants it uncompressed",
            )
    if (family is not Family.SCREEN or profile.tagged) and not xmp:
        out.add("metadata", _E, "no XMP metadata", "embed XMP metadata in the catalog")
    if (family is Family.PDFX or profile.tagged) and not str(info.get("/Title", "")).strip():
        out.add("title", _E, "the document has no title", "set a title")
    if profile.tagged:
        marked = pdf.Root.get("/MarkInfo", Dictionary()).get("/Marked", False)
        if not marked or "/StructTreeRoot" not in pdf.Root:
            out.add(
                "untagged",
                _E,
                "the PDF is not tagged (no MarkInfo or structure tree)",
                "export a tagged PDF",
            )
        if _xmp_value(xmp, "pdfuaid:part") != "1":
            out.add("pdfua-id", _E, "XMP does not identify PDF/UA-1", "add pdfuaid:part 1")
        prefs = pdf.Root.get("/ViewerPreferences", Dictionary())
        if not prefs.get("/DisplayDocTitle", False):
            out.add(
                "title",
                _E,
                "viewers show the file name, not the title (DisplayDocTitle)",
                "set DisplayDocTitle",
            )
        if not str(pdf.Root.get("/Lang", "")).strip():
            out.add("lang", _E, "no document language (/Lang)", "set the language")
    if "/PageLabels" not in pdf.Root:
        out.add(
            "page-labels",
            _W,
            "no page labels: a viewer's page numbers differ from the printed folios",
            "add /PageLabels (roman front matter, arabic from the first chapter)",
        )
    if not profile.bookmarks and "/Outlines" in pdf.Root:
        out.add("bookmarks", _W, "the file has bookmarks", "print interiors carry none")
    pages = len(pdf.pages)
    if profile.print_layout and pages % 2:
        out.add(
            "page-count",
            _W if profile.even_pages else _I,
            f"{pages} pages: an odd count leaves the last leaf's back unprinted",
            "add a blank page at the end",
        )
    if profile.min_pages and pages < profile.min_pages:
        out.add(
            "page-count",
            _W,
            f"{pages} pages; {profile.name} prints at least {profile.min_pages}",
            "add pages or choose another format",
        )
    if profile.max_pages and pages > profile.max_pages:
        out.add(
            "page-count",
            _W,
            f"{pages} pages; {profile.name} prints at most {profile.max_pages}",
            "split the book or choose a larger trim",
        )


# --- page boxes and annotations ------------------------------------------------------------


def _box(page: pikepdf.Object, key: str) -> tuple[float, float, float, float] | None:
    box = page.get(key)
    if box is None:
        return None
    x0, y0, x1, y1 = (float(v) for v in box)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _inside(inner: tuple, outer: tuple, slack: float = 0.01) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def _boxes(page: pikepdf.Page, profile: Profile, number: int, out: _Findings) -> None:
    if not profile.print_layout and profile.family is not Family.PDFX:
        return
    obj = page.obj
    media = _box(obj, "/MediaBox")
    trim = _box(obj, "/TrimBox") or _box(obj, "/ArtBox")
    if media is None or trim is None:
        out.add(
            "trim-box", _E, "no TrimBox", "set the trim size (the page size of the theme)", number
        )
        return
    bleed = _box(obj, "/BleedBox") or media
    if not (_inside(trim, bleed) and _inside(bleed, media)):
        out.add(
            "bleed-box",
            _E,
            "TrimBox, BleedBox and MediaBox do not nest",
            "the BleedBox must hold the TrimBox and lie within the MediaBox",
            number,
        )
    want = profile.bleed and _length_pt(profile.bleed)
    if want:
        reach = min(trim[0] - bleed[0], trim[1] - bleed[1], bleed[2] - trim[2], bleed[3] - trim[3])
        if reach < min(want, 10.0) - 0.05:  # WeasyPrint caps the BleedBox reach at 10 pt
            out.add(
                "bleed-box",
                _W,
                f"bleed of {reach:.1f} pt; {profile.name} asks for {want:.1f} pt",
                "extend backgrounds and images into the bleed",
                number,
            )
    width, height = (trim[2] - trim[0]) / 72, (trim[3] - trim[1]) / 72
    if not profile.accepts_trim(width, height):
        out.add(
            "trim-size",
            _W,
            f"trim {width:.2f} × {height:.2f} in is not a {profile.name} trim size",
            f"use one of its trims, e.g. {profile.default_trim or profile.trims[0]}",
            number,
        )


def _length_pt(css: str) -> float:
    size = page_size_in(f"{css} {css}")
    return size[0] * 72 if size else 0.0


def _annotations(page: pikepdf.Page, profile: Profile, number: int, out: _Findings) -> None:
    if profile.links:
        return
    for annot in page.obj.get("/Annots", Array()):
        kind = str(annot.get("/Subtype", "/?"))[1:]
        if kind in ("PrinterMark", "TrapNet"):
            continue
        out.add(
            "link-annotation",
            _W,
            f"a {kind} annotation in a print interior",
            "remove links and annotations",
            number,
        )


# --- content: colour, transparency, glyphs, image resolution --------------------------------


def _matrix_mul(a: list[float], b: list[float]) -> list[float]:
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]


class _Content:
    """Walks one page's content (forms included) with the graphics state that matters."""

    def __init__(self, pdf: pikepdf.Pdf, profile: Profile, number: int, out: _Findings):
        self.pdf = pdf
        self.profile = profile
        self.number = number
        self.out = out
        self.notdef = 0
        self.visited: set[tuple[int, int]] = set()
        intents = pdf.Root.get("/OutputIntents", Array())
        self.cmyk_intent = any(
            isinstance(i.get("/DestOutputProfile"), Stream)
            and int(i.DestOutputProfile.get("/N", 0)) == 4
            for i in intents
        )

    def add(self, code: str, severity: Severity, message: str, fix: str) -> None:
        self.out.add(code, severity, message, fix, self.number)

    def page(self, page: pikepdf.Page) -> None:
        resources = page.obj.get("/Resources", Dictionary())
        self._group(page.obj)
        self._stream(page.obj, resources, [1, 0, 0, 1, 0, 0], depth=0)
        if self.notdef:
            self.add(
                "notdef",
                _E,
                f"{self.notdef} character(s) drawn as the missing-glyph box (.notdef)",
                "use a font that has those characters",
            )

    # colour -------------------------------------------------------------------------------

    def _space_kind(self, space: pikepdf.Object, resources: pikepdf.Object) -> str:
        """``rgb``, ``gray``, ``cmyk``, ``icc-rgb``, ``icc-gray``, ``icc-cmyk``, ``other``."""
        if isinstance(space, Name):
            named = resources.get("/ColorSpace", Dictionary()).get(space)
            if named is not None and str(space) not in ("/DeviceRGB", "/DeviceGray", "/DeviceCMYK"):
                return self._space_kind(named, resources)
            return {
                "/DeviceRGB": "rgb",
                "/DeviceGray": "gray",
                "/DeviceCMYK": "cmyk",
                "/RGB": "rgb",
                "/G": "gray",
                "/CMYK": "cmyk",
                "/Pattern": "pattern",
            }.get(str(space), "other")
        if isinstance(space, Array) and len(space):
            kind = str(space[0])
            if kind == "/ICCBased":
                n = int(space[1].get("/N", 0))
                return {1: "icc-gray", 3: "icc-rgb", 4: "icc-cmyk"}.get(n, "other")
            if kind in ("/CalRGB", "/Lab"):
                return "icc-rgb"
            if kind == "/CalGray":
                return "icc-gray"
            if kind == "/Indexed":
                return self._space_kind(space[1], resources)
            if kind == "/Pattern":
                return "pattern"
        return "other"

    def _colour(self, kind: str, resources: pikepdf.Object, what: str) -> None:
        profile = self.profile
        defaults = resources.get("/ColorSpace", Dictionary())
        if profile.colour is Colour.CMYK and kind in ("rgb", "icc-rgb", "icc-gray", "icc-cmyk"):
            self.add(
                "rgb",
                _E,
                f"{what} in {kind.upper()} colour; {profile.standard} allows CMYK and grey only",
                "convert to CMYK (Pressroom's print-x1a does it)",
            )
        elif profile.family is Family.PDFX and profile.colour is not Colour.CMYK:
            if (kind == "rgb" and "/DefaultRGB" not in defaults) or (
                kind == "gray" and "/DefaultGray" not in defaults and not self.cmyk_intent
            ):
                name = "DeviceRGB" if kind == "rgb" else "DeviceGray"
                self.add(
                    "device-colour",
                    _E,
                    f"{what} in {name} with no Default{name[6:]} colour space",
                    "make it ICC-based or convert it to CMYK",
                )
        elif (
            profile.family is Family.PDFA
            and kind == "cmyk"
            and not self.cmyk_intent
            and "/DefaultCMYK" not in defaults
        ):
            self.add(
                "cmyk-no-intent",
                _E,
                f"{what} in DeviceCMYK without a CMYK output intent",
                "use RGB, or a DefaultCMYK colour space",
            )

    def _group(self, obj: pikepdf.Object) -> None:
        group = obj.get("/Group")
        if (
            self.profile.colour is Colour.CMYK
            and group is not None
            and group.get("/S") == Name.Transparency
        ):
            self.add(
                "transparency",
                _E,
                "a transparency group",
                "flatten transparency (PDF/X-1a allows none)",
            )

    # walking ------------------------------------------------------------------------------

    def _stream(
        self, obj: pikepdf.Object, resources: pikepdf.Object, ctm: list[float], depth: int
    ) -> None:
        if depth > 12:
            return
        states = resources.get("/ExtGState", Dictionary())
        fonts = resources.get("/Font", Dictionary())
        xobjects = resources.get("/XObject", Dictionary())
        stack: list[list[float]] = []
        font = None
        try:
            instructions = pikepdf.parse_content_stream(obj)
        except pikepdf.PdfError as exc:
            self.add("structure", _E, f"unreadable content stream: {exc}", "re-export the file")
            return
        for item in instructions:
            if isinstance(item, pikepdf.ContentStreamInlineImage):
                self._image_colour(item.iimage.obj, resources, "an inline image")
                continue
            op, operands = str(item.operator), item.operands
            if op == "q":
                stack.append(list(ctm))
            elif op == "Q" and stack:
                ctm = stack.pop()
            elif op == "cm" and len(operands) == 6:
                ctm = _matrix_mul([float(v) for v in operands], ctm)
            elif op in ("rg", "RG"):
                self._colour("rgb", resources, "text or vector art")
            elif op in ("g", "G"):
                self._colour("gray", resources, "text or vector art")
            elif op in ("k", "K"):
                self._colour("cmyk", resources, "text or vector art")
            elif op in ("cs", "CS"):
                kind = self._space_kind(operands[0], resources)
                self._colour(kind, resources, "text or vector art")
            elif op == "gs":
                self._state(states.get(operands[0], Dictionary()))
            elif op == "Tf":
                font = fonts.get(operands[0])
            elif op in ("Tj", "TJ", "'", '"') and font is not None:
                self._glyphs(font, operands)
            elif op == "sh":
                shading = resources.get("/Shading", Dictionary()).get(operands[0])
                if shading is not None:
                    kind = self._space_kind(shading.get("/ColorSpace"), resources)
                    self._colour(kind, resources, "a gradient")
            elif op == "Do":
                xobject = xobjects.get(operands[0])
                if xobject is not None:
                    self._xobject(xobject, resources, ctm, depth)

    def _state(self, state: pikepdf.Object) -> None:
        if self.profile.colour is not Colour.CMYK:
            return
        for key in ("/ca", "/CA"):
            if key in state and float(state[key]) < 1:
                self.add(
                    "transparency",
                    _E,
                    f"opacity {float(state[key]):g} ({key[1:]})",
                    "flatten transparency (PDF/X-1a allows none)",
                )
        if "/SMask" in state and state.SMask != Name("/None"):
            self.add("transparency", _E, "a soft mask", "flatten transparency")
        if state.get("/BM", Name.Normal) not in (Name.Normal, Name.Compatible):
            self.add("transparency", _E, f"blend mode {state.BM}", "flatten transparency")

    def _xobject(
        self, xobject: pikepdf.Object, resources: pikepdf.Object, ctm: list[float], depth: int
    ) -> None:
        subtype = xobject.get("/Subtype")
        if subtype == Name.Form:
            self._group(xobject)
            matrix = [float(v) for v in xobject.get("/Matrix", Array([1, 0, 0, 1, 0, 0]))]
            inner = xobject.get("/Resources", resources)
            self._stream(xobject, inner, _matrix_mul(matrix, ctm), depth + 1)
        elif subtype == Name.Image:
            self._image(xobject, resources, ctm)

    def _image_colour(self, image: pikepdf.Object, resources: pikepdf.Object, what: str) -> None:
        if image.get("/ImageMask", False) or image.get("/IM", False):
            return
        space = image.get("/ColorSpace", image.get("/CS"))
        if space is None:
            return  # JPX with its own colour space: not produced here; out of scope
        self._colour(self._space_kind(space, resources), resources, what)

    def _image(self, image: Stream, resources: pikepdf.Object, ctm: list[float]) -> None:
        self._image_colour(image, resources, "an image")
        profile = self.profile
        if profile.family is not Family.SCREEN and image.get("/Interpolate", False):
            self.add(
                "interpolate",
                _E,
                "an image asks viewers to interpolate it",
                "set /Interpolate false",
            )
        if profile.colour is Colour.CMYK and isinstance(image.get("/SMask"), Stream):
            self.add("transparency", _E, "an image with a soft mask (alpha)", "flatten it")
        if profile.min_dpi:
            width_pt = math.hypot(ctm[0], ctm[1])
            height_pt = math.hypot(ctm[2], ctm[3])
            pixels_w, pixels_h = int(image.get("/Width", 0)), int(image.get("/Height", 0))
            if width_pt < 1 or height_pt < 1 or image.get("/ImageMask", False):
                return
            dpi = min(pixels_w / (width_pt / 72), pixels_h / (height_pt / 72))
            if dpi < profile.min_dpi - 0.5:
                self.add(
                    "image-resolution",
                    _W,
                    f"an image of {pixels_w} × {pixels_h} px printed at "
                    f"{width_pt / 72:.2f} × {height_pt / 72:.2f} in: {dpi:.0f} dpi, "
                    f"under {profile.min_dpi}",
                    "use a larger image or print it smaller",
                )

    # glyphs -------------------------------------------------------------------------------

    def _glyphs(self, font: pikepdf.Object, operands: pikepdf.Object) -> None:
        zero = _notdef_codes(font, self.out.notdef_codes)
        if not zero:
            return
        strings: Iterator[bytes] = (
            bytes(s)
            for op in operands
            for s in (op if isinstance(op, Array) else [op])
            if isinstance(s, pikepdf.String)
        )
        for data in strings:
            for i in range(0, len(data) - 1, 2):
                if int.from_bytes(data[i : i + 2], "big") in zero:
                    self.notdef += 1


def _notdef_codes(
    font: pikepdf.Object, known: dict[tuple[int, int], frozenset[int]]
) -> frozenset[int]:
    """Two-byte codes that a Type 0 font maps to glyph 0 (``.notdef``); ``known`` holds
    the answers for this document's fonts so far, by object number."""
    key = font.objgen
    if key in known and key != (0, 0):
        return known[key]
    codes: frozenset[int] = frozenset()
    if font.get("/Subtype") == Name.Type0:
        encoding = font.get("/Encoding")
        descendant = font.DescendantFonts[0]
        to_gid = descendant.get("/CIDToGIDMap", Name.Identity)
        gid_map = to_gid.read_bytes() if isinstance(to_gid, Stream) else None
        if isinstance(encoding, Stream):
            pairs = _cid_map(encoding.read_bytes().decode("latin-1"))
            zero = {code for code, cid in pairs.items() if _gid(cid, gid_map) == 0}
            codes = frozenset(zero)
        elif encoding == Name("/Identity-H"):
            codes = frozenset({0} if gid_map is None else _zero_gids(gid_map))
    known[key] = codes
    return codes


def _gid(cid: int, gid_map: bytes | None) -> int:
    if gid_map is None:
        return cid
    index = cid * 2
    return int.from_bytes(gid_map[index : index + 2], "big") if index + 1 < len(gid_map) else 0


def _zero_gids(gid_map: bytes) -> set[int]:
    return {cid for cid in range(len(gid_map) // 2) if _gid(cid, gid_map) == 0}


_CIDCHAR = re.compile(r"<([0-9a-fA-F]+)>\s+(\d+)")
_CIDRANGE = re.compile(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s+(\d+)")


def _cid_map(cmap: str) -> dict[int, int]:
    """Code → CID from an embedded CMap's cidchar and cidrange sections."""
    pairs: dict[int, int] = {}
    for block in re.findall(r"begincidrange(.*?)endcidrange", cmap, re.S):
        for low, high, first in _CIDRANGE.findall(block):
            lo, hi = int(low, 16), int(high, 16)
            if hi - lo > 65535:
                continue
            for code in range(lo, hi + 1):
                pairs[code] = int(first) + code - lo
    for block in re.findall(r"begincidchar(.*?)endcidchar", cmap, re.S):
        for code, cid in _CIDCHAR.findall(block):
            pairs[int(code, 16)] = int(cid)
    return pairs


# --- fonts ---------------------------------------------------------------------------------


def _fonts(pdf: pikepdf.Pdf, profile: Profile, out: _Findings) -> None:
    seen: set[tuple[int, int]] = set()
    for obj in pdf.objects:
        if not isinstance(obj, Dictionary) or obj.get("/Type") != Name.Font:
            continue
        if obj.objgen in seen or obj.get("/Subtype") in (Name.Type3, Name.Type0):
            continue  # Type 0: its descendant carries the descriptor
        seen.add(obj.objgen)
        name = str(obj.get("/BaseFont", "/?"))[1:]
        descriptor = obj.get("/FontDescriptor")
        embedded = descriptor is not None and any(
            key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
        )
        if not embedded:
            out.add(
                "font-not-embedded",
                _E,
                f"font {name} is not embedded",
                "embed every font (PDF/A, PDF/X and printers require it)",
            )
        elif profile.whole_fonts and re.match(r"[A-Z]{6}\+", name):
            out.add(
                "font-subset",
                _I,
                f"font {name} is a subset",
                f"accepted; {profile.name} prefers fonts embedded whole",
            )


# --- PDF/UA: the structure tree ----------------------------------------------------------


# Written apart from writers/pdf_tags.py on purpose (see the README): a misreading of the
# standard there must not hide itself here.


def _kids(obj: pikepdf.Object) -> list[pikepdf.Object]:
    k = obj.get("/K")
    return [] if k is None else list(k) if isinstance(k, Array) else [k]


def _is_element(obj: object) -> bool:
    return (
        isinstance(obj, Dictionary)
        and "/S" in obj
        and obj.get("/Type") not in (Name.MCR, Name.OBJR)
    )


def _tree(root: pikepdf.Object) -> list[pikepdf.Object]:
    """Every structure element reachable from the root, each once."""
    out: list[pikepdf.Object] = []
    seen: set[tuple[int, int]] = set()
    stack = list(_kids(root))
    while stack:
        element = stack.pop()
        if not _is_element(element) or (element.is_indirect and element.objgen in seen):
            continue
        seen.add(element.objgen)
        out.append(element)
        stack.extend(_kids(element))
    return out


def _structure(pdf: pikepdf.Pdf, out: _Findings) -> None:
    """The structure tree's PDF/UA-1 rules (ISO 14289-1 7.18.5, 7.5, 7.3, 7.6; the
    ParentTree of ISO 32000-1 14.7.4.4)."""
    root = pdf.Root.StructTreeRoot
    parents: dict[int, pikepdf.Object] = {}
    if "/ParentTree" in root:
        parents = {int(k): v for k, v in pikepdf.NumberTree(root.ParentTree).items()}
    tree = _tree(root)
    reachable = {e.objgen for e in tree}
    ids: set[str] = set()
    if "/IDTree" in root:
        ids = set(pikepdf.NameTree(root.IDTree).keys())
    for element in tree:
        kind = element.get("/S")
        if kind == Name.LI:
            strays = {
                str(k.get("/S")) if _is_element(k) else "content"
                for k in _kids(element)
                if not (_is_element(k) and k.get("/S") in (Name.Lbl, Name.LBody))
            }
            if strays:
                out.add(
                    "ua-list",
                    _E,
                    f"an LI element holds {', '.join(sorted(strays))}",
                    "a list item holds only Lbl and LBody",
                )
        elif kind == Name.TH and "/Scope" not in _attributes(element):
            out.add("ua-table", _E, "a TH element without /Scope", "give headers a scope")
        elif kind == Name.Figure and not any(
            str(element.get(key, "")).strip() for key in ("/Alt", "/ActualText")
        ):
            out.add(
                "ua-figure",
                _E,
                "a Figure element without alternate text",
                "give images alt text; mark decorative ones as Artifacts",
            )
        for name in _attributes(element).get("/Headers", []):
            if str(name) not in ids:
                out.add(
                    "ua-table",
                    _E,
                    f"/Headers names {str(name)!r}, which the /IDTree does not hold",
                    "list every header ID in the IDTree",
                )
    for number, page in enumerate(pdf.pages, start=1):
        key = page.obj.get("/StructParents")
        owners = parents.get(int(key)) if key is not None else None
        if key is not None and not isinstance(owners, Array):
            out.add(
                "ua-parent-tree",
                _E,
                f"the page's StructParents {int(key)} is not in the ParentTree",
                "map every page's marked content in the ParentTree",
                number,
            )
        for owner in owners or []:
            if _is_element(owner) and owner.objgen not in reachable:
                out.add(
                    "ua-parent-tree",
                    _E,
                    "marked content belongs to an element outside the structure tree",
                    "tag it into the tree, or mark it as an Artifact (running heads)",
                    number,
                )
        for annot in page.obj.get("/Annots", Array()):
            if annot.get("/Subtype") != Name.Link:
                continue
            owner = parents.get(int(annot.StructParent)) if "/StructParent" in annot else None
            linked = (
                _is_element(owner)
                and owner.objgen in reachable
                and owner.get("/S") == Name.Link
                and any(
                    isinstance(k, Dictionary)
                    and k.get("/Type") == Name.OBJR
                    and k.Obj.objgen == annot.objgen
                    for k in _kids(owner)
                )
            )
            if not linked:
                out.add(
                    "ua-link",
                    _E,
                    "a Link annotation outside a Link structure element",
                    "nest each link annotation in a Link element (StructParent and OBJR)",
                    number,
                )
            if not str(annot.get("/Contents", "")).strip():
                out.add(
                    "ua-link",
                    _E,
                    "a Link annotation without alternate text (/Contents)",
                    "give each link annotation a /Contents",
                    number,
                )


def _attributes(element: pikepdf.Object) -> pikepdf.Object:
    """The element's attributes of owner /Table, merged (``/A`` is one dict or an array)."""
    found = element.get("/A")
    merged = Dictionary()
    for item in [found] if isinstance(found, Dictionary) else list(found or []):
        if isinstance(item, Dictionary) and item.get("/O") == Name.Table:
            for key, value in item.items():
                merged[key] = value
    return merged


def _to_unicode(pdf: pikepdf.Pdf, out: _Findings) -> None:
    seen: set[tuple[int, int]] = set()
    for obj in pdf.objects:
        if not isinstance(obj, Dictionary) or obj.get("/Type") != Name.Font:
            continue
        cmap = obj.get("/ToUnicode")
        if not isinstance(cmap, Stream) or cmap.objgen in seen:
            continue
        seen.add(cmap.objgen)
        bad = _bad_unicode(cmap.read_bytes())
        if bad:
            name = str(obj.get("/BaseFont", "/?"))[1:]
            out.add(
                "ua-to-unicode",
                _E,
                f"font {name}: {len(bad)} ToUnicode entries map to no valid Unicode "
                f"(codes {', '.join(f'{c:04x}' for c in bad[:5])})",
                "map every glyph to the text it draws",
            )


_CMAP_TOKEN = re.compile(rb"<([0-9A-Fa-f\s]*)>|\[|\]")
_BF = re.compile(rb"begin(bfchar|bfrange)(.*?)end\1", re.S)
_NOT_UNICODE = frozenset("\u0000\ufeff\ufffe")


def _bad_unicode(cmap: bytes) -> list[int]:
    """Source codes whose destination is empty, not UTF-16BE, or U+0000/FEFF/FFFE (a
    bfrange with one destination string is judged by that string)."""

    def invalid(digits: bytes) -> bool:
        try:
            text = bytes.fromhex(re.sub(rb"\s", b"", digits).decode()).decode("utf-16-be")
        except (ValueError, UnicodeDecodeError):
            return True
        return not text or bool(_NOT_UNICODE & set(text))

    bad: list[int] = []
    for kind, body in _BF.findall(cmap):
        items: list[bytes | list[bytes]] = []
        array: list[bytes] | None = None
        for token in _CMAP_TOKEN.finditer(body):
            if token[0] == b"[":
                array = []
            elif token[0] == b"]":
                items.append(array or [])
                array = None
            elif array is not None:
                array.append(token[1])
            else:
                items.append(token[1])
        step = 2 if kind == b"bfchar" else 3
        for i in range(0, len(items) - step + 1, step):
            source, dest = items[i], items[i + step - 1]
            low = int(source, 16)  # type: ignore[arg-type]
            dests = dest if isinstance(dest, list) else [dest]
            bad.extend(low + n for n, value in enumerate(dests) if invalid(value))
    return bad

"""Post-processing of the PDF WeasyPrint wrote: what the profile's standard needs and
WeasyPrint 70 does not do (the only module that writes with pikepdf).

Contract: ``finish_pdf(data, out, profile=…, labels=…, report=…, source=…)`` reads the PDF
bytes ``data``, applies the profile, and saves to ``out`` (a path the caller made
atomic). Every step is a small function named after the rule it serves:

- ``page_labels``: ``/PageLabels`` matching the printed folios (``folios.PageLabels``).
- ``pdf_tags.repair_tags`` (tagged profiles): the structure tree PDF/UA-1 asks for (links in
  Link elements, list bodies, table header scopes and IDs, decorative images and running
  heads as Artifacts, languages), with ``TagHints`` from the layout.
- ``valid_to_unicode``: every font's ToUnicode map valid (``pdf_unicode``), whatever the
  profile: PDF/UA and PDF/A require it, and text extraction needs it everywhere.
- ``strip_links`` / ``strip_outline``: stores refuse links, annotations and bookmarks in
  print interiors.
- ``default_colour_spaces`` (PDF/X-4): every resource dictionary gets an ICC-based
  ``/DefaultRGB`` (sRGB) and a CIE-based ``/DefaultGray``, so the DeviceRGB and DeviceGray
  WeasyPrint paints with are colour-managed; images, shadings and transparency groups in
  DeviceRGB name the ICC space directly.
- ``separate_cmyk`` (PDF/X-1a): every colour operator, image and shading converted to
  DeviceCMYK through the output intent's profile (``colour.Separation``); transparency
  flattened where it is exact (alpha 0 or 1: WeasyPrint paints invisible fills for printer's
  marks) and images with soft masks composed onto white, anything else refused with
  ``print.transparency``.
- ``no_interpolation`` (PDF/A, PDF/X): ``/Interpolate true`` is forbidden.
- ``unambiguous_stream_ends``: every stream but the XMP packet compressed, and no stream
  data ends in an end-of-line byte, so every ``/Length`` reads the same to a strict PDF/A
  validator as to qpdf.
- ``write_xmp``: one XMP packet for every profile, uncompressed, consistent with the Info
  dictionary (PDF/A compares them), claiming PDF/X, PDF/A and PDF/UA identification as the
  profile says, with the pdfaExtension schema PDF/A needs for ``pdfuaid``; document ids are
  derived from the content, so output stays byte-identical.

Saving rewrites every ``/Length`` (qpdf) and gives a deterministic ``/ID``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import re
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from ..colour import Separation, flatten_on_white, srgb_profile
from ..diagnostics import Diagnostic, Location, Report, Severity
from ..errors import RenderError
from ..folios import PageLabels
from ..profiles import Colour, Family, Profile
from .pdf_tags import TagHints, repair_tags
from .pdf_unicode import repair_to_unicode


@dataclass(frozen=True, slots=True)
class Finished:
    pages: int
    flattened: int  # images composed onto white (PDF/X-1a)


def finish_pdf(
    data: bytes | pikepdf.Pdf,
    out: Path,
    *,
    profile: Profile,
    labels: PageLabels | None,
    report: Report,
    source: Path,
    hints: TagHints | None = None,
    tags_repaired: bool = False,
) -> Finished:
    """Apply ``profile`` to the PDF ``data`` and save it to ``out`` (see module docstring);
    ``hints`` (from the layout) name each structure element's language and link text.
    ``data`` may be an open PDF (a joined book): it is finished and closed."""
    pdf = data if isinstance(data, pikepdf.Pdf) else pikepdf.open(io.BytesIO(data))
    flattened = 0
    if labels is not None:
        page_labels(pdf, labels)
    if not profile.links:
        strip_links(pdf)
    if not profile.bookmarks:
        strip_outline(pdf)
    if profile.tagged:
        pdf.Root.ViewerPreferences = pdf.Root.get("/ViewerPreferences", Dictionary())
        pdf.Root.ViewerPreferences.DisplayDocTitle = True
        # A book laid out in parts had each part's tree repaired where its hints were.
        repairs = repair_tags(pdf, hints) if not tags_repaired else None
        if repairs is not None and repairs.decorative_figures:
            report.add(
                Diagnostic(
                    "pdf.decorative-image",
                    Severity.INFO,
                    Location(source),
                    f"{repairs.decorative_figures} image(s) without alt text tagged as "
                    "decorative (an Artifact that screen readers skip)",
                    "give an image that carries meaning its alt text: ![what it shows](…)",
                )
            )
    else:
        strip_tags(pdf)
    valid_to_unicode(pdf)
    if profile.colour is Colour.ICC:
        default_colour_spaces(pdf)
    elif profile.colour is Colour.CMYK:
        flattened = separate_cmyk(pdf, source)
        if flattened:
            report.add(
                Diagnostic(
                    "print.flattened",
                    Severity.INFO,
                    Location(source),
                    f"{flattened} image(s) with transparency (emoji, PNG with alpha) "
                    f"composed onto white for {profile.standard}",
                    "PDF/X-1a allows no soft masks; use print for PDF/X-4 to keep them",
                )
            )
    if profile.family is not Family.SCREEN:
        no_interpolation(pdf)
    if profile.even_pages and len(pdf.pages) % 2:
        blank_page_at_end(pdf)
    write_xmp(pdf, profile)
    version = profile.pdf_version
    # Object streams are PDF 1.5; PDF/X-1a:2001 is PDF 1.3.
    objects = (
        pikepdf.ObjectStreamMode.disable if version < "1.5" else pikepdf.ObjectStreamMode.generate
    )
    unambiguous_stream_ends(pdf)
    final = io.BytesIO()
    pdf.save(
        final,
        force_version=version,
        fix_metadata_version=False,
        # Written as they are now: qpdf would otherwise re-encode what we just chose.
        compress_streams=False,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
        object_stream_mode=objects,
        deterministic_id=True,
    )
    # Written by Python, not by qpdf: a full disk is then an OSError the writer reports
    # (write.failed); qpdf aborts the whole process on a failed write.
    pages = len(pdf.pages)
    pdf.close()
    out.write_bytes(final.getvalue())
    return Finished(pages=pages, flattened=flattened)


# --- page labels, links, outline, tags -----------------------------------------------------


def page_labels(pdf: pikepdf.Pdf, labels: PageLabels) -> None:
    """``/PageLabels``: one number-tree entry per range of pages."""
    nums = []
    for start, style, prefix, first in labels.ranges:
        entry = Dictionary(Type=Name.PageLabel)
        if style:
            entry.S = Name("/" + style)
            if first != 1:
                entry.St = first
        if prefix:
            entry.P = pikepdf.String(prefix)
        nums += [start, entry]
    pdf.Root.PageLabels = Dictionary(Nums=Array(nums))


def strip_links(pdf: pikepdf.Pdf) -> None:
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        kept = Array([a for a in annots if a.get("/Subtype") != Name.Link])
        if len(kept):
            page.obj.Annots = kept
        else:
            del page.obj["/Annots"]


def strip_outline(pdf: pikepdf.Pdf) -> None:
    if "/Outlines" in pdf.Root:
        del pdf.Root["/Outlines"]
    if pdf.Root.get("/PageMode") == Name.UseOutlines:
        del pdf.Root["/PageMode"]


def strip_tags(pdf: pikepdf.Pdf) -> None:
    """An untagged profile (PDF/X-1a is PDF 1.3): no structure tree left half in place."""
    for key in ("/StructTreeRoot", "/MarkInfo"):
        if key in pdf.Root:
            del pdf.Root[key]
    for page in pdf.pages:
        if "/StructParents" in page.obj:
            del page.obj["/StructParents"]
        for annot in page.obj.get("/Annots", []):
            if "/StructParent" in annot:
                del annot["/StructParent"]


def valid_to_unicode(pdf: pikepdf.Pdf) -> int:
    """Repair every font's ToUnicode map that has entries PDF/UA and PDF/A refuse (see
    ``pdf_unicode``); returns how many entries changed."""
    changed = 0
    seen: set[tuple[int, int]] = set()
    for resources in _resource_dicts(pdf):
        for font in resources.get("/Font", {}).values():
            cmap = font.get("/ToUnicode")
            if not isinstance(cmap, Stream) or cmap.objgen in seen:
                continue
            seen.add(cmap.objgen)
            repaired = repair_to_unicode(cmap.read_bytes(), _font_program(font))
            if repaired is not None:
                cmap.write(repaired[0])
                changed += repaired[1]
    return changed


def _font_program(font: pikepdf.Object) -> bytes | None:
    """The embedded TrueType/OpenType program of a Type 0 font whose codes are its glyph
    ids (Identity CIDToGIDMap, as WeasyPrint writes), else None."""
    if font.get("/Subtype") != Name.Type0 or not font.get("/DescendantFonts"):
        return None
    descendant = font.DescendantFonts[0]
    if descendant.get("/CIDToGIDMap", Name.Identity) != Name.Identity:
        return None
    descriptor = descendant.get("/FontDescriptor", Dictionary())
    program = descriptor.get("/FontFile2")
    if program is None and descriptor.get("/FontFile3", Dictionary()).get("/Subtype") == Name(
        "/OpenType"
    ):
        program = descriptor.FontFile3
    return program.read_bytes() if isinstance(program, Stream) else None


def blank_page_at_end(pdf: pikepdf.Pdf) -> None:
    """A blank last page (IngramSpark wants an even count, the last page blank)."""
    last = pdf.pages[-1].obj
    page = Dictionary(Type=Name.Page, Resources=Dictionary())
    for key in ("/MediaBox", "/TrimBox", "/BleedBox", "/CropBox"):
        if key in last:
            page[key] = last[key]
    pdf.pages.append(pikepdf.Page(pdf.make_indirect(page)))


def unambiguous_stream_ends(pdf: pikepdf.Pdf) -> None:
    """Every stream compressed, and none whose data ends in CR or LF.

    Compressed here (Flate), not by qpdf as it writes, so the bytes that will be written
    are known now (one save, not a save, a read back and a second save: 1.2 s of a
    1,000-page book); the XMP packet stays uncompressed, as PDF/A wants.

    No stream's data may end in CR or LF: qpdf writes ``LF endstream`` after it, and a
    CR LF there is read as the end-of-line, one byte short of ``/Length`` (a strict PDF/A
    validator rejects it: issue 12's "stream whose /Length does not match"). Compressing
    again cannot help (zlib ends with the data's Adler-32 checksum, whatever the level),
    so such a stream gets an ASCII85 layer on top of Flate: its encoded data then ends in
    ``~>``. One stream in a hundred or so, a quarter larger."""
    for obj in pdf.objects:
        if not isinstance(obj, Stream) or obj.get("/Type") == Name.Metadata:
            continue  # the XMP packet ends in "?>" and must stay uncompressed
        if "/Filter" not in obj:
            obj.write(zlib.compress(obj.read_bytes()), filter=Name.FlateDecode)
        if not obj.read_raw_bytes().endswith((b"\r", b"\n")):
            continue
        packed = base64.a85encode(zlib.compress(obj.read_bytes(), 9)) + b"~>"
        for key in ("/DecodeParms", "/DL"):
            if key in obj:
                del obj[key]
        obj.write(packed, filter=Array([Name.ASCII85Decode, Name.FlateDecode]))


def no_interpolation(pdf: pikepdf.Pdf) -> None:
    for image in _images(pdf):
        if "/Interpolate" in image:
            image.Interpolate = False


# --- walking the document's content -------------------------------------------------------


@dataclass
class _Owner:
    """A content stream and the resources its names refer to."""

    obj: pikepdf.Object  # a page dictionary or a stream (form, pattern, glyph procedure)
    resources: pikepdf.Object
    is_page: bool = False


def _owners(pdf: pikepdf.Pdf) -> Iterator[_Owner]:
    """Every content stream once: pages, forms, tiling patterns, Type 3 glyphs."""
    seen: set[tuple[int, int]] = set()
    stack: list[_Owner] = []
    for page in pdf.pages:
        stack.append(_Owner(page.obj, page.obj.get("/Resources", Dictionary()), True))
    while stack:
        owner = stack.pop()
        key = owner.obj.objgen
        if key != (0, 0):
            if key in seen:
                continue
            seen.add(key)
        yield owner
        resources = owner.resources
        for xobject in resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == Name.Form:
                stack.append(_Owner(xobject, xobject.get("/Resources", resources)))
        for pattern in resources.get("/Pattern", {}).values():
            if pattern.get("/PatternType") == 1:
                stack.append(_Owner(pattern, pattern.get("/Resources", resources)))
        for font in resources.get("/Font", {}).values():
            if font.get("/Subtype") == Name.Type3:
                glyph_resources = font.get("/Resources", resources)
                for proc in font.get("/CharProcs", {}).values():
                    stack.append(_Owner(proc, glyph_resources))


def _resource_dicts(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Object]:
    """Every resource dictionary of a content stream; an indirect one once. A direct one
    is yielded with each owner (what is done to it is done again, to the same effect):
    pikepdf makes a new wrapper at each access, so its ``id()`` names nothing, and was
    reused by a later dictionary once the first wrapper was freed, which then went
    unvisited (a PDF/X-1a that kept a transparency key in one build and not the next)."""
    seen: set[tuple[int, int]] = set()
    for owner in _owners(pdf):
        resources = owner.resources
        if resources.objgen != (0, 0):
            if resources.objgen in seen:
                continue
            seen.add(resources.objgen)
        yield resources


def _images(pdf: pikepdf.Pdf) -> Iterator[Stream]:
    for obj in pdf.objects:
        if isinstance(obj, Stream) and obj.get("/Subtype") == Name.Image:
            yield obj


def _shadings(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Object]:
    """Every shading dictionary: in ``/Shading`` resources and inside shading patterns."""
    seen: set[tuple[int, int]] = set()
    for resources in _resource_dicts(pdf):
        found = list(resources.get("/Shading", {}).values())
        for pattern in resources.get("/Pattern", {}).values():
            if pattern.get("/PatternType") == 2 and "/Shading" in pattern:
                found.append(pattern.Shading)
        for shading in found:
            if shading.objgen != (0, 0):
                if shading.objgen in seen:
                    continue
                seen.add(shading.objgen)
            yield shading


# --- PDF/X-4: Default colour spaces --------------------------------------------------------

# sRGB's grey: D65 white point, gamma 2.2 (a CIE-based space; PDF/X-4 accepts it).
_CALGRAY = Dictionary(WhitePoint=Array([Decimal("0.9505"), 1, Decimal("1.089")]), Gamma=2.2)


def _icc_rgb(pdf: pikepdf.Pdf) -> pikepdf.Object:
    stream = pdf.make_stream(srgb_profile())
    stream.N = 3
    stream.Alternate = Name.DeviceRGB
    return Array([Name.ICCBased, stream])


def default_colour_spaces(pdf: pikepdf.Pdf) -> None:
    rgb = pdf.make_indirect(_icc_rgb(pdf))
    grey = pdf.make_indirect(Array([Name.CalGray, _CALGRAY]))
    for resources in _resource_dicts(pdf):
        spaces = resources.get("/ColorSpace")
        if spaces is None:
            resources.ColorSpace = spaces = Dictionary()
        spaces.DefaultRGB = rgb
        spaces.DefaultGray = grey
    masks = _soft_masks(pdf)
    for image in _images(pdf):
        space = image.get("/ColorSpace")
        if space == Name.DeviceRGB:
            image.ColorSpace = rgb
        elif space == Name.DeviceGray and image.objgen not in masks:
            # A soft mask's DeviceGray is not a colour and must stay DeviceGray.
            image.ColorSpace = grey
    for shading in _shadings(pdf):
        if shading.get("/ColorSpace") == Name.DeviceRGB:
            shading.ColorSpace = rgb
    for owner in _owners(pdf):
        group = owner.obj.get("/Group")
        if group is not None and group.get("/CS") == Name.DeviceRGB:
            group.CS = rgb


def _soft_masks(pdf: pikepdf.Pdf) -> set[tuple[int, int]]:
    return {img.SMask.objgen for img in _images(pdf) if isinstance(img.get("/SMask"), Stream)}


# --- PDF/X-1a: everything in CMYK ------------------------------------------------------------


class _Unflattenable(Exception):
    pass


def separate_cmyk(pdf: pikepdf.Pdf, source: Path) -> int:
    """Convert every colour to DeviceCMYK; returns how many images were flattened."""
    intents = pdf.Root.get("/OutputIntents")
    if not intents or "/DestOutputProfile" not in intents[0]:
        raise RenderError(
            "PDF/X-1a needs a CMYK output intent to separate into, and the theme has none "
            "(theme option output_profile)",
            path=source,
            code="print.no-output-intent",
        )
    separation = Separation(intents[0].DestOutputProfile.read_bytes())
    masks = _soft_masks(pdf)
    try:
        for owner in _owners(pdf):
            _separate_stream(pdf, owner, separation)
            group = owner.obj.get("/Group")
            if group is not None and group.get("/S") == Name.Transparency:
                del owner.obj["/Group"]  # flattened: the group's blending is the page's
        for resources in _resource_dicts(pdf):
            _opaque_states(resources)
            _device_spaces(resources)
        for shading in _shadings(pdf):
            _separate_shading(shading, separation)
    except _Unflattenable as exc:
        raise RenderError(
            f"{exc}; PDF/X-1a allows no transparency (use --profile print for PDF/X-4)",
            path=source,
            code="print.transparency",
        ) from None
    flattened = 0
    for image in list(_images(pdf)):
        if image.objgen in masks:
            continue
        flattened += _separate_image(pdf, image, separation)
    return flattened


_FILL_OPS = {"f": "n", "F": "n", "f*": "n", "B": "S", "B*": "S", "b": "s", "b*": "s"}
_STROKE_OPS = {"S": "n", "s": "n", "B": "f", "B*": "f*", "b": "h f", "b*": "h f*"}
_TEXT_SHOW = {"Tj", "TJ", "'", '"'}


def _separate_stream(pdf: pikepdf.Pdf, owner: _Owner, separation: Separation) -> None:
    resources = owner.resources
    states = resources.get("/ExtGState", {})
    spaces = resources.get("/ColorSpace", {})
    stack: list[tuple[float, float, str, str]] = []
    fill_alpha, stroke_alpha = 1.0, 1.0
    fill_space, stroke_space = "DeviceGray", "DeviceGray"
    out: list = []
    changed = False

    def space_of(name: pikepdf.Object) -> str:
        text = str(name)[1:]
        if text in ("DeviceRGB", "DeviceGray", "DeviceCMYK", "Pattern"):
            return text
        entry = spaces.get(name)
        if isinstance(entry, Name):
            return str(entry)[1:]
        if isinstance(entry, Array) and entry[0] == Name.ICCBased:
            return {1: "DeviceGray", 3: "DeviceRGB", 4: "DeviceCMYK"}[int(entry[1].N)]
        return text  # Lab, Separation, Indexed…: left for preflight to report

    for item in pikepdf.parse_content_stream(owner.obj):
        if isinstance(item, pikepdf.ContentStreamInlineImage):
            out.append(item)
            continue
        operands, op = list(item.operands), str(item.operator)
        if op == "q":
            stack.append((fill_alpha, stroke_alpha, fill_space, stroke_space))
        elif op == "Q" and stack:
            fill_alpha, stroke_alpha, fill_space, stroke_space = stack.pop()
        elif op == "gs":
            state = states.get(operands[0], Dictionary())
            if "/SMask" in state and state.SMask != Name("/None"):
                raise _Unflattenable("a soft mask in the graphics state")
            if state.get("/BM", Name.Normal) not in (Name.Normal, Name.Compatible):
                raise _Unflattenable(f"blend mode {state.BM}")
            fill_alpha = float(state.get("/ca", fill_alpha))
            stroke_alpha = float(state.get("/CA", stroke_alpha))
            for alpha in (fill_alpha, stroke_alpha):
                if 0 < alpha < 1:
                    raise _Unflattenable(f"opacity {alpha:g}")
        elif op in ("rg", "RG", "g", "G"):
            if op in ("rg", "RG"):
                cmyk = separation.rgb(*(float(v) for v in operands))
            else:
                cmyk = separation.grey(float(operands[0]))
            out.append(_instruction([*map(_num, cmyk)], "k" if op.islower() else "K"))
            changed = True
            continue
        elif op in ("cs", "CS"):
            space = space_of(operands[0])
            if op == "cs":
                fill_space = space
            else:
                stroke_space = space
            if space in ("DeviceRGB", "DeviceGray", "DeviceCMYK"):
                out.append(_instruction([Name.DeviceCMYK], op))
                changed = True
                continue
        elif op in ("sc", "scn", "SC", "SCN"):
            space = fill_space if op.islower() else stroke_space
            values = [float(v) for v in operands if not isinstance(v, Name)]
            if space == "DeviceRGB" and len(values) == 3:
                operands = list(map(_num, separation.rgb(*values)))
                changed = True
            elif space == "DeviceGray" and len(values) == 1:
                operands = list(map(_num, separation.grey(values[0])))
                changed = True
        elif op in _FILL_OPS and fill_alpha == 0:
            op = _FILL_OPS[op]
            changed = True
        elif op in _STROKE_OPS and stroke_alpha == 0:
            op = _STROKE_OPS[op]
            changed = True
        elif op in _TEXT_SHOW and fill_alpha == 0:
            raise _Unflattenable("invisible text drawn through transparency")
        if " " in op:  # "h f": two operators
            for part in op.split():
                out.append(_instruction([], part))
            continue
        out.append(_instruction(operands, op))
    if changed:
        data = pikepdf.unparse_content_stream(out)
        if owner.is_page:
            owner.obj.Contents = pdf.make_stream(data)
        else:
            owner.obj.write(data)


def _instruction(operands: list, op: str) -> pikepdf.ContentStreamInstruction:
    return pikepdf.ContentStreamInstruction(operands, pikepdf.Operator(op))


def _num(value: float) -> Decimal:
    return Decimal(f"{value:.3f}").normalize() if value else Decimal(0)


def _opaque_states(resources: pikepdf.Object) -> None:
    """Alpha is now in the operators: the PDF 1.4 transparency keys go."""
    for state in resources.get("/ExtGState", {}).values():
        for key in ("/ca", "/CA", "/SMask", "/BM", "/AIS", "/TK"):
            if key in state:
                del state[key]


def _device_spaces(resources: pikepdf.Object) -> None:
    """Named colour spaces in X-1a may only be device CMYK/Gray (or spot colours)."""
    spaces = resources.get("/ColorSpace")
    if spaces is None:
        return
    for name in list(spaces.keys()):
        entry = spaces[name]
        if isinstance(entry, Array) and entry[0] in (Name.ICCBased, Name.Lab, Name.CalRGB):
            del spaces[name]  # uses were rewritten to DeviceCMYK above


def _separate_shading(shading: pikepdf.Object, separation: Separation) -> None:
    space = shading.get("/ColorSpace")
    if space == Name.DeviceCMYK:
        return
    convert: Callable[[list[float]], tuple[float, ...]]
    if space == Name.DeviceRGB:
        convert = lambda c: separation.rgb(*c)  # noqa: E731
    elif space == Name.DeviceGray:
        convert = lambda c: separation.grey(c[0])  # noqa: E731
    else:
        raise _Unflattenable(f"a shading in {space}")
    shading.ColorSpace = Name.DeviceCMYK
    if "/Background" in shading:
        shading.Background = Array(list(map(_num, convert([float(v) for v in shading.Background]))))
    _separate_function(shading.Function, convert)


def _separate_function(function: pikepdf.Object, convert: Callable) -> None:
    if isinstance(function, Array):
        raise _Unflattenable("a shading with one function per colour component")
    kind = int(function.FunctionType)
    if kind == 2:
        for key in ("/C0", "/C1"):
            default = [0.0] if key == "/C0" else [1.0]
            values = [float(v) for v in function.get(key, Array(default))]
            function[key] = Array(list(map(_num, convert(values))))
    elif kind == 3:
        for part in function.Functions:
            _separate_function(part, convert)
    else:
        raise _Unflattenable(f"a shading of function type {kind}")


def _separate_image(pdf: pikepdf.Pdf, image: Stream, separation: Separation) -> int:
    """One image to DeviceCMYK (greyscale stays DeviceGray: PDF/X-1a allows it, and it
    prints on the black plate); a soft mask is flattened onto white. Returns 1 if flattened."""
    if image.get("/ImageMask", False):
        return 0
    space = image.get("/ColorSpace")
    smask = image.get("/SMask")
    has_mask = isinstance(smask, Stream)
    if space in (Name.DeviceCMYK, Name.DeviceGray) and not has_mask:
        return 0
    picture = pikepdf.PdfImage(image).as_pil_image()
    if has_mask:
        alpha = pikepdf.PdfImage(smask).as_pil_image()
        picture = flatten_on_white(picture, alpha)
        del image["/SMask"]
    grey = picture.mode in ("L", "1") or space == Name.DeviceGray
    if grey:
        picture = picture.convert("L")
        mode, data = "DeviceGray", picture.tobytes()
    else:
        converted = picture if picture.mode == "CMYK" else separation.image(picture)
        mode, data = "DeviceCMYK", converted.tobytes()
    image.write(data)  # raw, then compressed on save
    image.ColorSpace = Name("/" + mode)
    image.BitsPerComponent = 8
    for key in ("/DecodeParms", "/Decode", "/Filter", "/Mask", "/Intent"):
        if key in image:
            del image[key]
    return 1 if has_mask else 0


# --- XMP -----------------------------------------------------------------------------------

_PDF_DATE = re.compile(
    r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Z+-])?(\d{2})?'?(\d{2})?"
)


def _xmp_date(value: object) -> str | None:
    """A PDF date string as an XMP date (the same instant, so PDF/A sees them equal)."""
    match = _PDF_DATE.match(str(value or ""))
    if not match:
        return None
    year, month, day, hour, minute, second = (
        int(g or d) for g, d in zip(match.groups()[:6], (0, 1, 1, 0, 0, 0), strict=True)
    )
    sign, tz_h, tz_m = match[7], int(match[8] or 0), int(match[9] or 0)
    zone = "Z" if sign in (None, "Z") else f"{sign}{tz_h:02d}:{tz_m:02d}"
    stamp = dt.datetime(year, month, day, hour, minute, second)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + zone


_NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
    "pdfxid": "http://www.npes.org/pdfx/ns/id/",
    "pdfx": "http://ns.adobe.com/pdfx/1.3/",
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
}

# PDF/A accepts XMP properties outside its predefined schemas only when the file describes
# them: the PDF/UA identification is such a property.
_PDFUA_EXTENSION = """  <rdf:Description rdf:about="">
   <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
    <pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
    <pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
    <pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
    <pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
     <pdfaProperty:name>part</pdfaProperty:name>
     <pdfaProperty:valueType>Integer</pdfaProperty:valueType>
     <pdfaProperty:category>internal</pdfaProperty:category>
     <pdfaProperty:description>Part of ISO 14289 the file conforms to</pdfaProperty:description>
    </rdf:li></rdf:Seq></pdfaSchema:property>
   </rdf:li></rdf:Bag></pdfaExtension:schemas>
  </rdf:Description>
"""


def write_xmp(pdf: pikepdf.Pdf, profile: Profile) -> None:
    """The catalog's ``/Metadata``: XMP from the Info dictionary and the profile's claims,
    uncompressed (PDF/A forbids a filter there; printers' tools read it too)."""
    info = pdf.trailer.get("/Info", Dictionary())
    if profile.family is Family.PDFX:
        info.Trapped = Name("/False")
        if profile.standard.startswith("PDF/X-1a"):
            info.GTS_PDFXVersion = pikepdf.String(profile.pdfx_version)
            info.GTS_PDFXConformance = pikepdf.String(profile.standard)
        else:
            info.GTS_PDFXVersion = pikepdf.String(profile.pdfx_version)
            if "/GTS_PDFXConformance" in info:
                del info["/GTS_PDFXConformance"]
    pdf.trailer.Info = info
    text = {k: str(info[k]) for k in ("/Title", "/Author", "/Subject", "/Keywords") if k in info}
    created = _xmp_date(info.get("/CreationDate"))
    modified = _xmp_date(info.get("/ModDate")) or created
    digest = hashlib.sha256(
        "\0".join([profile.name, *(f"{k}={v}" for k, v in sorted(text.items()))]).encode()
    ).hexdigest()
    ident = f"uuid:{uuid.UUID(digest[:32], version=5)}"
    lines: list[str] = []

    def prop(name: str, value: str | None) -> None:
        if value:
            lines.append(f"   <{name}>{escape(value)}</{name}>")

    def alt(name: str, value: str | None) -> None:
        if value:
            lines.append(
                f'   <{name}><rdf:Alt><rdf:li xml:lang="x-default">{escape(value)}'
                f"</rdf:li></rdf:Alt></{name}>"
            )

    alt("dc:title", text.get("/Title"))
    if text.get("/Author"):
        lines.append(
            f"   <dc:creator><rdf:Seq><rdf:li>{escape(text['/Author'])}</rdf:li>"
            "</rdf:Seq></dc:creator>"
        )
    alt("dc:description", text.get("/Subject"))
    lang = str(pdf.Root.get("/Lang", "")) or None
    if lang:
        lines.append(
            f"   <dc:language><rdf:Bag><rdf:li>{escape(lang)}</rdf:li></rdf:Bag></dc:language>"
        )
    lines.append("   <dc:format>application/pdf</dc:format>")
    prop("pdf:Producer", str(info.get("/Producer", "")) or None)
    prop("pdf:Keywords", text.get("/Keywords"))
    prop("xmp:CreatorTool", str(info.get("/Creator", "")) or None)
    prop("xmp:CreateDate", created)
    prop("xmp:ModifyDate", modified)
    prop("xmp:MetadataDate", modified)
    prop("xmpMM:DocumentID", ident)
    prop("xmpMM:InstanceID", ident)
    if profile.family is Family.PDFX:
        prop("pdf:Trapped", "False")
        prop("xmpMM:VersionID", "1")
        prop("xmpMM:RenditionClass", "default")
        prop("pdfxid:GTS_PDFXVersion", profile.pdfx_version)
        prop("pdfx:GTS_PDFXVersion", profile.pdfx_version)
        if profile.standard.startswith("PDF/X-1a"):
            prop("pdfx:GTS_PDFXConformance", profile.standard)
    if (part := profile.pdfa_part) is not None:
        prop("pdfaid:part", str(part[0]))
        prop("pdfaid:conformance", part[1])
    if profile.tagged:
        prop("pdfuaid:part", "1")
    # Declared once on rdf:RDF, so every rdf:Description (the extension schema's too) sees
    # them.
    namespaces = " ".join(f'xmlns:{k}="{v}"' for k, v in _NS.items())
    extension = _PDFUA_EXTENSION if profile.pdfa_part and profile.tagged else ""
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        f' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" {namespaces}>\n'
        '  <rdf:Description rdf:about="">\n'
        + "\n".join(lines)
        + "\n  </rdf:Description>\n"
        + extension
        + " </rdf:RDF>\n</x:xmpmeta>\n"
        + (" " * 99 + "\n") * 20  # padding, so an editor can update in place
        + '<?xpacket end="w"?>'
    )
    stream = pdf.make_stream(packet.encode("utf-8"))
    stream.Type = Name.Metadata
    stream.Subtype = Name.XML
    pdf.Root.Metadata = stream

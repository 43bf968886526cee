"""Output profiles: what a PDF (and, for stores, an EPUB) must be to be accepted where it goes.

Contract: ``PROFILES`` maps every name the command line accepts (``--profile``) to one
frozen ``Profile``; ``get(name)`` returns it or raises ``UnknownProfile``. Articles,
books, batches and ``preflight`` all read the profile from here, so a rule of a standard or
a store is written once: the writers apply it (``writers/pdf.py`` lays out, and
``writers/pdf_finish.py`` post-processes the file), ``preflight`` checks it on any file.

A profile is data, not behaviour: the standard the PDF claims (``PDF/UA-1``, ``PDF/X-4``,
``PDF/X-1a:2001``, ``PDF/A-3u``), how colour is expressed, whether the file is a print
interior (bleed, recto openings, cover left out), and a store's own rules (trim sizes,
gutter by page count, links and bookmarks, image resolution, even page count). The store
rules carry the page they were taken from (``source``), and the README repeats them.

This module imports nothing from the package and no third-party library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Colour(Enum):
    """How the PDF expresses colour."""

    DEVICE = "device"  # as WeasyPrint paints it: DeviceRGB/DeviceGray (screen; PDF/A with sRGB)
    ICC = "icc"  # DeviceRGB/Gray made colour-managed: ICC-based Default colour spaces (PDF/X-4)
    CMYK = "cmyk"  # every colour converted to DeviceCMYK through the output profile (PDF/X-1a)


class Family(Enum):
    SCREEN = "screen"  # PDF/UA only
    PDFX = "pdfx"
    PDFA = "pdfa"


@dataclass(frozen=True, slots=True)
class Trim:
    """A trim size in inches (width × height) with the name a store gives it."""

    width: float
    height: float

    @property
    def css(self) -> str:
        return f"{_num(self.width)}in {_num(self.height)}in"

    def matches(self, width: float, height: float, tolerance: float = 0.02) -> bool:
        return abs(self.width - width) <= tolerance and abs(self.height - height) <= tolerance

    def __str__(self) -> str:
        return f"{_num(self.width)} × {_num(self.height)} in"


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


@dataclass(frozen=True, slots=True)
class EpubRules:
    """What a store asks of an EPUB beyond EPUBCheck (checked by ``preflight``)."""

    cover_required: bool = True
    cover_min_short_side: int = 0  # pixels on the shorter side of the cover image
    cover_min_long_side: int = 0
    ncx_required: bool = False


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    summary: str
    standard: str  # what the PDF claims to be: "PDF/UA-1", "PDF/X-4", "PDF/X-1a:2001", "PDF/A-3u"
    variant: str | None  # what WeasyPrint is asked to write (its pdf_variant)
    tagged: bool  # a structure tree (StructTreeRoot, MarkInfo) and DisplayDocTitle
    colour: Colour = Colour.DEVICE
    print_layout: bool = False  # trim/bleed boxes, recto openings, cover left out of books
    marks: bool = True  # crop and cross marks in the bleed (stores refuse them)
    bleed: str | None = None  # CSS length replacing the theme's bleed; None: the theme's
    links: bool = True  # link annotations kept
    bookmarks: bool = True  # the outline (bookmarks) kept
    even_pages: bool = False  # a blank page is added to reach an even count
    min_dpi: int = 0  # raster images' effective resolution at their printed size
    trims: tuple[Trim, ...] = ()  # accepted trim sizes; () accepts any
    default_trim: Trim | None = None  # used when the theme's page size is not accepted
    gutter: tuple[tuple[int, float], ...] = ()  # (up to N pages, inside margin in inches)
    min_outside: float = 0.0  # outside, top and bottom margins in inches (0: the theme's)
    whole_fonts: bool = False  # the store prefers fonts embedded whole (advice only)
    min_pages: int = 0
    max_pages: int = 0
    epub: EpubRules | None = None
    source: str = ""  # where a store's rules come from
    self_check: bool = False  # convert/book preflight their own output with this profile

    @property
    def family(self) -> Family:
        if self.standard.startswith("PDF/X"):
            return Family.PDFX
        if self.standard.startswith("PDF/A"):
            return Family.PDFA
        return Family.SCREEN

    @property
    def pdfx_version(self) -> str:
        """``GTS_PDFXVersion``: ``PDF/X-4``, or ``PDF/X-1:2001`` for X-1a (its conformance
        level goes in ``GTS_PDFXConformance``)."""
        if self.standard.startswith("PDF/X-1a"):
            return "PDF/X-1:2001"
        return self.standard

    @property
    def pdfa_part(self) -> tuple[int, str] | None:
        """``(3, "U")`` for PDF/A-3u."""
        match = re.fullmatch(r"PDF/A-(\d)([abu])", self.standard)
        return (int(match[1]), match[2].upper()) if match else None

    @property
    def pdf_version(self) -> str:
        """The header version the standard allows (X-1a:2001 is PDF 1.3)."""
        if self.standard == "PDF/X-1a:2001":
            return "1.3"
        if self.family is Family.PDFX:
            return "1.6"
        return "1.7"

    def inside_margin(self, pages: int) -> float | None:
        """The store's minimum inside (gutter) margin in inches for ``pages`` pages."""
        for up_to, inches in self.gutter:
            if pages <= up_to:
                return inches
        return self.gutter[-1][1] if self.gutter else None

    def accepts_trim(self, width: float, height: float) -> bool:
        return not self.trims or any(t.matches(width, height) for t in self.trims)


class UnknownProfile(ValueError):
    pass


# KDP paperback trims (inches), from KDP's "Set trim size, bleed, and margins" help page.
_KDP_TRIMS = tuple(
    Trim(w, h)
    for w, h in (
        (5, 8), (5.06, 7.81), (5.25, 8), (5.5, 8.5), (6, 9), (6.14, 9.21), (6.69, 9.61),
        (7, 10), (7.44, 9.69), (7.5, 9.25), (8, 10), (8.25, 6), (8.25, 8.25), (8.5, 8.5),
        (8.5, 11), (8.27, 11.69), (5.83, 8.27),
    )
)  # fmt: skip
# IngramSpark's most common paperback trims (its File Creation Guide lists more; these are
# the ones every binding and colour option offers).
_INGRAM_TRIMS = tuple(
    Trim(w, h)
    for w, h in (
        (5, 8), (5.06, 7.81), (5.25, 8), (5.5, 8.5), (6, 9), (6.14, 9.21), (6.69, 9.61),
        (7, 10), (7.5, 9.25), (8, 10), (8.5, 11), (5.83, 8.27), (8.27, 11.69),
    )
)  # fmt: skip
# KDP's minimum inside margin by page count (inches).
_KDP_GUTTER = ((150, 0.375), (300, 0.5), (500, 0.625), (700, 0.75), (828, 0.875))

_KDP_SOURCE = (
    "KDP help: 'Set trim size, bleed, and margins' (kdp.amazon.com/help/topic/G201834180) "
    "and 'Save your manuscript file' (kdp.amazon.com/help/topic/GYEKAVKMSE23PFTM)"
)
_INGRAM_SOURCE = (
    "IngramSpark File Creation Guide and 'File requirements for print books' "
    "(ingramspark.com/blog/file-requirements-for-print-books)"
)

_SCREEN = Profile(
    "screen",
    "tagged PDF for reading on screen (PDF/UA-1)",
    "PDF/UA-1",
    "pdf/ua-1",
    tagged=True,
)
_PRINT = Profile(
    "print",
    "PDF/X-4 print interior: colour-managed RGB, trim and bleed boxes, marks, tagged",
    "PDF/X-4",
    "pdf/x-4",
    tagged=True,
    colour=Colour.ICC,
    print_layout=True,
    self_check=True,
)
_PRINT_X1A = Profile(
    "print-x1a",
    "PDF/X-1a:2001 print interior: CMYK only, no transparency (PDF 1.3, untagged)",
    "PDF/X-1a:2001",
    "pdf/x-1a",
    # PDF/X-1a:2001 is PDF 1.3, which has no Tagged PDF (MarkInfo is PDF 1.4).
    tagged=False,
    colour=Colour.CMYK,
    print_layout=True,
    self_check=True,
)
_ARCHIVE = Profile(
    "archive",
    "PDF/A-3u for long-term archiving, tagged (PDF/UA-1 too)",
    "PDF/A-3u",
    "pdf/a-3u",
    tagged=True,
    self_check=True,
)
_KDP_PRINT = Profile(
    "kdp-print",
    "Amazon KDP paperback interior: PDF/X-1a, KDP trims and gutters, no marks, links or bookmarks",
    "PDF/X-1a:2001",
    "pdf/x-1a",
    tagged=False,
    colour=Colour.CMYK,
    print_layout=True,
    marks=False,
    bleed="0.125in",
    links=False,
    bookmarks=False,
    min_dpi=300,
    trims=_KDP_TRIMS,
    default_trim=Trim(6, 9),
    gutter=_KDP_GUTTER,
    min_outside=0.375,  # with bleed; 0.25 in without
    whole_fonts=True,
    min_pages=24,
    max_pages=828,
    source=_KDP_SOURCE,
    self_check=True,
)
_INGRAMSPARK = Profile(
    "ingramspark",
    "IngramSpark interior: PDF/X-1a, 0.5 in margins, even page count, no marks or links",
    "PDF/X-1a:2001",
    "pdf/x-1a",
    tagged=False,
    colour=Colour.CMYK,
    print_layout=True,
    marks=False,
    bleed="0.125in",
    links=False,
    bookmarks=False,
    even_pages=True,
    min_dpi=300,
    trims=_INGRAM_TRIMS,
    default_trim=Trim(6, 9),
    # IngramSpark asks for at least 0.5 in on every side; KDP's gutter table on top keeps
    # thick books readable at the spine.
    gutter=((150, 0.5), (300, 0.5), (500, 0.625), (700, 0.75), (1200, 0.875)),
    min_outside=0.5,
    source=_INGRAM_SOURCE,
    self_check=True,
)
_KDP_EBOOK = Profile(
    "kdp-ebook",
    "Kindle eBook (EPUB for KDP): internal cover image, NCX; the PDF is the screen one",
    "PDF/UA-1",
    "pdf/ua-1",
    tagged=True,
    epub=EpubRules(
        cover_required=True, cover_min_short_side=625, cover_min_long_side=1000, ncx_required=True
    ),
    source="Kindle Publishing Guidelines: cover image guidelines "
    "(kdp.amazon.com/help/topic/G6GTK3T3NUHKLEFX)",
    self_check=True,
)
_APPLE_BOOKS = Profile(
    "apple-books",
    "Apple Books EPUB 3: a cover image at least 1400 px wide; the PDF is the screen one",
    "PDF/UA-1",
    "pdf/ua-1",
    tagged=True,
    epub=EpubRules(cover_required=True, cover_min_short_side=1400),
    source="Apple Books Asset Guide 5.3 (help.apple.com/itc/booksassetguide)",
    self_check=True,
)

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        _SCREEN,
        _PRINT,
        _PRINT_X1A,
        _ARCHIVE,
        _KDP_PRINT,
        _INGRAMSPARK,
        _KDP_EBOOK,
        _APPLE_BOOKS,
    )
}


def get(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(PROFILES)
        raise UnknownProfile(f"unknown profile {name!r}; profiles: {known}") from None


# --- page sizes ---------------------------------------------------------------------------

_NAMED_SIZES = {  # CSS page size keywords, in inches (portrait)
    "a3": (297 / 25.4, 420 / 25.4),
    "a4": (210 / 25.4, 297 / 25.4),
    "a5": (148 / 25.4, 210 / 25.4),
    "b4": (250 / 25.4, 353 / 25.4),
    "b5": (176 / 25.4, 250 / 25.4),
    "letter": (8.5, 11.0),
    "legal": (8.5, 14.0),
    "ledger": (11.0, 17.0),
}
_UNITS = {"in": 1.0, "mm": 1 / 25.4, "cm": 1 / 2.54, "pt": 1 / 72, "px": 1 / 96, "pc": 1 / 6}
_LENGTH = re.compile(r"([\d.]+)\s*(in|mm|cm|pt|px|pc)")


def length_in(text: str) -> float | None:
    """A CSS length (``3mm``, ``0.125in``) in inches, or None."""
    match = _LENGTH.fullmatch(str(text).strip().lower())
    return float(match[1]) * _UNITS[match[2]] if match else None


def page_size_in(text: str) -> tuple[float, float] | None:
    """A CSS ``size`` value (``A5``, ``6in 9in``, ``A4 landscape``) in inches, or None."""
    words = str(text).strip().lower().split()
    landscape = "landscape" in words
    words = [w for w in words if w not in ("portrait", "landscape")]
    size: tuple[float, float] | None = None
    if len(words) == 1 and words[0] in _NAMED_SIZES:
        size = _NAMED_SIZES[words[0]]
    elif len(words) == 2:
        width, height = length_in(words[0]), length_in(words[1])
        if width is not None and height is not None:
            size = (width, height)
    elif len(words) == 1 and (side := length_in(words[0])) is not None:
        size = (side, side)
    if size and landscape:
        size = (max(size), min(size))
    return size


def inches_css(value: float) -> str:
    return f"{_num(value)}in"


def _side_margins(page_margin: str) -> tuple[float | None, float | None]:
    """Left and right of a CSS ``margin`` shorthand, in inches."""
    values = [length_in(v) for v in str(page_margin).split()]
    if not values:
        return None, None
    _top, right, _bottom, left = {
        1: lambda v: (v[0], v[0], v[0], v[0]),
        2: lambda v: (v[0], v[1], v[0], v[1]),
        3: lambda v: (v[0], v[1], v[2], v[1]),
    }.get(len(values), lambda v: tuple(v[:4]))(values)
    return left, right


def page_options(
    profile: Profile, options: dict[str, object], pages: int | None = None
) -> dict[str, str]:
    """Theme options a print profile imposes on the layout, given the theme's ``options``
    and (for a store's gutter table) the page count: its bleed, no printer's marks where
    stores refuse them, an accepted trim size, and an inside margin no narrower than the
    store's minimum for ``pages`` pages (the first row of the table when not known yet)."""
    out: dict[str, str] = {}
    if not profile.print_layout:
        return out
    if profile.bleed:
        out["bleed"] = profile.bleed
    if not profile.marks:
        out["marks"] = "none"
    size = page_size_in(str(options.get("page_size", "")))
    if profile.trims and profile.default_trim and (size is None or not profile.accepts_trim(*size)):
        out["page_size"] = profile.default_trim.css
    need = profile.inside_margin(pages or 1)
    if need is not None:
        left, _ = _side_margins(str(options.get("page_margin", "")))
        inner = length_in(str(options.get("margin_inner", ""))) or left or 0.0
        out["gutter"] = inches_css(max(need, inner))
        if "margin_inner" in options:
            out["margin_inner"] = out["gutter"]
    if profile.min_outside and "margin_outer" in options:
        outer = length_in(str(options["margin_outer"])) or 0.0
        out["margin_outer"] = inches_css(max(profile.min_outside, outer))
    return out


__all__ = [
    "PROFILES",
    "Colour",
    "EpubRules",
    "Family",
    "Profile",
    "Trim",
    "UnknownProfile",
    "get",
    "page_options",
    "page_size_in",
]

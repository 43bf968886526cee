"""What an EPUB offers a reader who cannot see, or cannot see well: measured, then declared.

Contract: ``describe(pages, …)`` reads the rendered XHTML pages of a publication and
returns an ``Accessibility``: the schema.org accessibility metadata that is true of *this*
publication, and the findings that stand in the way of claiming WCAG 2.2 Level AA.

- ``modes``: ``textual``, plus ``visual`` when there is an image; ``sufficient``:
  ``textual`` alone only when every image has a text alternative, and ``textual,visual``.
- ``features``: structural navigation, table of contents and reading order always (the
  templates make headings, the nav document and one spine); ``alternativeText`` when
  there are images and all have one; ``pageBreakMarkers`` and ``pageNavigation`` with a
  page list; ``displayTransformability`` (no fixed sizes: the reader's settings win).
- ``hazards``: ``none`` unless an image is animated (a GIF or WebP with several frames):
  then flashing is unknown (nobody looked at it), motion and sound none.
- ``summary``: written from the same facts, in the publication's language.
- ``conforms``: no findings. A finding is an image without a text alternative (an empty
  ``alt`` outside a captioned figure) or a code highlighting colour below 4.5:1 against
  its background (WCAG 1.4.3). The EPUB claims "EPUB Accessibility 1.1 - WCAG 2.2 Level
  AA" only then; what Pressroom cannot judge by itself (links, roles, landmarks, language)
  the templates guarantee and DAISY Ace checks in the test suite.

Also the colour arithmetic of WCAG 2 (``contrast``), used for the code style check and by
the tests of the themes' link colours.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from .assets import animated
from .model import Accessibility, Asset, Finding, Page

CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"
TEXT_CONTRAST = 4.5  # WCAG 2.2 SC 1.4.3, normal text, Level AA


# --- colour -------------------------------------------------------------------------------

_HEX = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def parse_colour(text: str) -> tuple[float, float, float] | None:
    """``#rgb`` or ``#rrggbb`` → sRGB components in 0…1 (other notations: ``None``)."""
    match = _HEX.fullmatch(text.strip())
    if not match:
        return None
    digits = match[1] if len(match[1]) == 6 else "".join(c * 2 for c in match[1])
    r, g, b = (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return r, g, b


def luminance(colour: tuple[float, float, float]) -> float:
    """WCAG 2 relative luminance."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#hex`` colours (1 … 21)."""
    ca, cb = parse_colour(a), parse_colour(b)
    if ca is None or cb is None:
        raise ValueError(f"not a #hex colour: {a!r} or {b!r}")
    high, low = sorted((luminance(ca), luminance(cb)), reverse=True)
    return (high + 0.05) / (low + 0.05)


_RULE = re.compile(r"([^{}]+)\{([^}]*)\}")
_DECL = re.compile(r"(?<![-\w])(color|background(?:-color)?)\s*:\s*(#[0-9a-fA-F]{3,6})\b")


def code_contrast_problems(css: str, text_colour: str = "#000000") -> list[str]:
    """Every colour of a code highlighting stylesheet (Pygments' ``.highlight …`` rules)
    below 4.5:1 against the code background, as ``".highlight .c1 #8f8f8f 2.9:1"``.

    The background is the one ``.highlight`` declares (the themes let it show through
    the ``pre``), white when none; a rule with its own background is measured on it."""
    base_bg, base_fg = "#ffffff", text_colour
    rules = []
    for selector, body in _RULE.findall(css):
        decls = dict((name.split("-")[0], value) for name, value in _DECL.findall(body))
        rules.append((selector.strip(), decls))
        if selector.strip() == ".highlight":
            base_bg = decls.get("background", base_bg)
            base_fg = decls.get("color", base_fg)
    problems = []
    for selector, decls in [(".highlight", {"color": base_fg}), *rules]:
        if "color" not in decls:
            continue
        background = decls.get("background", base_bg)
        ratio = contrast(decls["color"], background)
        if ratio < TEXT_CONTRAST:
            problems.append(f"{selector} {decls['color']} on {background} {ratio:.2f}:1")
    return problems


# --- the publication ----------------------------------------------------------------------

_IMG = re.compile(r"<img\b[^>]*>", re.S)
_ATTR = re.compile(r'\s([\w:-]+)="([^"]*)"')
_FIGURE = re.compile(r"<figure\b.*?</figure>", re.S)


def _images_without_text(xhtml: str) -> list[str]:
    """The ``src`` of every image whose text alternative is empty and that no figure
    caption describes."""
    captioned = set()
    for figure in _FIGURE.findall(xhtml):
        if "<figcaption" in figure:
            captioned.update(_IMG.findall(figure))
    found = []
    for tag in _IMG.findall(xhtml):
        attrs = dict(_ATTR.findall(tag))
        if not attrs.get("alt", "").strip() and tag not in captioned:
            found.append(attrs.get("src", ""))
    return found


def describe(
    pages: Sequence[Page],
    assets: Iterable[Asset],
    *,
    text: Callable[..., str],
    code_css: str = "",
    page_list: bool = False,
    page_break_source: str = "",
    notes: bool = False,
) -> Accessibility:
    """The accessibility metadata and findings of a publication (see the module)."""
    assets = list(assets)
    content = [page for page in pages if page.kind != "cover"]
    has_images = any("<img" in page.xhtml for page in content)
    findings: list[Finding] = []
    for page in content:
        for src in _images_without_text(page.xhtml):
            findings.append(
                Finding(
                    "a11y.image-alt",
                    page.file_name,
                    src,
                    f"image {src[:80]!r} has no text alternative",
                )
            )
    for problem in code_contrast_problems(code_css) if code_css else ():
        findings.append(
            Finding("a11y.contrast", "", "", f"code colour below 4.5:1 contrast: {problem}")
        )
    described = not any(f.code == "a11y.image-alt" for f in findings)

    modes = ("textual", "visual") if has_images else ("textual",)
    if has_images:
        sufficient = (
            (("textual",), ("textual", "visual")) if described else (("textual", "visual"),)
        )
    else:
        sufficient = (("textual",),)
    features = ["structuralNavigation", "tableOfContents", "readingOrder"]
    if has_images and described:
        features.append("alternativeText")
    if page_list:
        features += ["pageBreakMarkers", "pageNavigation"]
    features.append("displayTransformability")
    if any(animated(asset.source) for asset in assets):
        hazards: tuple[str, ...] = (
            "unknownFlashingHazard",
            "noMotionSimulationHazard",
            "noSoundHazard",
        )
    else:
        hazards = ("none",)

    sentences = [text("The text has headings, a table of contents and one reading order.")]
    if has_images:
        sentences.append(
            text("Every image has a text alternative.")
            if described
            else text("Some images have no text alternative.")
        )
    if notes:
        sentences.append(text("Notes link to where they are referenced and back."))
    if page_list:
        sentences.append(
            text(
                "Page numbers from %(source)s are marked and listed.",
                source=page_break_source,
            )
        )
    if code_css and not any(f.code == "a11y.contrast" for f in findings):
        sentences.append(text("Code listings are coloured with a contrast of at least 4.5:1."))
    sentences.append(
        text("This publication meets WCAG 2.2 Level AA.")
        if not findings
        else text("This publication does not claim conformance to WCAG 2.2 Level AA.")
    )
    return Accessibility(
        modes=modes,
        sufficient=tuple(",".join(s) for s in sufficient),
        features=tuple(features),
        hazards=hazards,
        summary=" ".join(sentences),
        findings=tuple(findings),
        page_break_source=page_break_source if page_list else "",
    )

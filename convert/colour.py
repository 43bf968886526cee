"""Colour management for print files (Pillow's ImageCms, LittleCMS underneath).

Contract:
- ``srgb_profile()`` gives the bytes of an sRGB ICC profile, the same bytes on every run
  (LittleCMS stamps a creation date into the header; we fix it), for ICC-based
  ``/DefaultRGB`` colour spaces and PDF/A output intents.
- ``Separation(cmyk_icc)`` converts sRGB colours and images to CMYK through a CMYK output
  profile (the theme's ``output_profile``, Pressroom's own by default) with the relative
  colorimetric intent and black-point compensation, the usual choice for page content.
  Neutral greys, black included, go to the black plate alone (``K``), as a printer expects
  of text: a converted 0/0/0 RGB would otherwise print as four-colour "rich black" that
  misregisters on small type.
- ``flatten_on_white(rgba)`` composes an image with an alpha channel onto white paper, for
  PDF/X-1a, which forbids soft masks.

Pillow is used here for colour and in ``assets.py`` for reading image headers; the two are
unrelated jobs with different callers, so each keeps its own module (see the README).
"""

from __future__ import annotations

import io
import struct
from functools import lru_cache

from PIL import Image, ImageCms

# ICC header bytes 24-35: the creation date. A fixed one keeps output byte-identical.
_DATE = slice(24, 36)
_FIXED_DATE = struct.pack(">6H", 2024, 1, 1, 0, 0, 0)


@lru_cache(maxsize=1)
def srgb_profile() -> bytes:
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    data[_DATE] = _FIXED_DATE
    return bytes(data)


class Separation:
    """sRGB → CMYK through one output profile, with a cache of converted colours."""

    def __init__(self, cmyk_icc: bytes) -> None:
        source = ImageCms.ImageCmsProfile(io.BytesIO(srgb_profile()))
        target = ImageCms.ImageCmsProfile(io.BytesIO(cmyk_icc))
        self._transform = ImageCms.buildTransform(
            source,
            target,
            "RGB",
            "CMYK",
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
        )
        self._cache: dict[tuple[int, int, int], tuple[float, float, float, float]] = {}

    def rgb(self, r: float, g: float, b: float) -> tuple[float, float, float, float]:
        """One colour, components 0..1 in, CMYK 0..1 out (rounded to 1/1000)."""
        key = tuple(max(0, min(255, round(v * 255))) for v in (r, g, b))
        if key not in self._cache:
            if key[0] == key[1] == key[2]:
                # A neutral grey prints on the black plate alone.
                cmyk = (0.0, 0.0, 0.0, round(1 - key[0] / 255, 3))
            else:
                pixel = Image.new("RGB", (1, 1), key)  # type: ignore[arg-type]
                out = ImageCms.applyTransform(pixel, self._transform)
                assert out is not None
                cmyk = tuple(round(v / 255, 3) for v in out.getpixel((0, 0)))  # type: ignore[union-attr]
            self._cache[key] = cmyk  # type: ignore[assignment]
        return self._cache[key]

    @staticmethod
    def grey(level: float) -> tuple[float, float, float, float]:
        """DeviceGray ``level`` (1 = white) on the black plate."""
        return (0.0, 0.0, 0.0, round(1 - max(0.0, min(1.0, level)), 3))

    def image(self, image: Image.Image) -> Image.Image:
        """An RGB (or greyscale, or palette) image as CMYK."""
        if image.mode != "RGB":
            image = image.convert("RGB")
        out = ImageCms.applyTransform(image, self._transform)
        assert out is not None
        return out


def flatten_on_white(image: Image.Image, alpha: Image.Image) -> Image.Image:
    """``image`` composed onto white through ``alpha`` (an ``L`` image of the same size)."""
    base = image.convert("RGB")
    if alpha.size != base.size:
        alpha = alpha.resize(base.size)
    white = Image.new("RGB", base.size, (255, 255, 255))
    return Image.composite(base, white, alpha.convert("L"))

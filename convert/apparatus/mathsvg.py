"""MathML → SVG of vector outlines (the only module that imports ziamath).

Contract: ``svg(mathml)`` draws a formula (``mathml.mathml``'s output) as an SVG whose
glyphs are paths, in STIX Two Math (the OFL font ziamath ships inside its wheel: no font
to install, and nothing for the PDF to embed), with its size in ems of the text around it
and the depth of its baseline, so an inline formula sits on the line. WeasyPrint does not
lay out MathML; it draws this SVG as vector paths. Raises ``ValueError`` when ziamath
cannot draw a formula latex2mathml read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import ziamath

# Plain SVG 1.1 paths (no <symbol>/<use>): what every SVG reader, WeasyPrint's included,
# draws the same.
ziamath.config.svg2 = False
# The size the formula is drawn at, in SVG units per em of the surrounding text.
EM = 20.0
_BOX = re.compile(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"')


@dataclass(frozen=True, slots=True)
class Drawn:
    svg: str
    width: float  # ems
    height: float  # ems
    depth: float  # ems below the baseline


@lru_cache(maxsize=1024)
def svg(mathml: str) -> Drawn:
    try:
        drawn = ziamath.Math(mathml, size=EM).svg()
    except Exception as exc:  # ziamath raises many types on what it cannot draw
        raise ValueError(f"{type(exc).__name__}: {exc}") from None
    box = _BOX.search(drawn)
    if box is None:
        raise ValueError("no viewBox in the drawing")
    _x, top, width, height = (float(v) for v in box.groups())
    return Drawn(drawn, width / EM, height / EM, (height + top) / EM)

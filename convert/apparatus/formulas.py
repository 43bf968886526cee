"""Formulas typeset for one target: MathML in the EPUB, vector SVG in the PDF.

Contract: ``check(tex, display)`` says why a formula does not parse (``None`` when it
does); ``Typesetter(target)`` replaces each formula element of a tree (``span.math``,
``div.math.display``, as the reader writes them) by its typeset form, and ``finish(text)``
puts the MathML into the serialized XHTML:

- EPUB: MathML with its TeX source as ``alttext`` (EPUB 3 reading systems render MathML;
  the alt text is what the others read aloud). It is inserted after serialization: the
  tree stage's HTML elements cannot hold another namespace's elements.
- PDF: an ``img`` of the formula drawn as paths (``mathsvg``), its alt text the TeX
  source, sized in ems and set on the baseline; the PDF/UA repairs tag it as a Formula.
- A formula that does not parse shows its source as code (``code.math-error``); the
  diagnostic is the survey's (``math.invalid``), made once for both targets.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from ..model import Target

# .mathml is imported where a formula is typeset or checked: latex2mathml's import (with
# the urllib, http, ssl and email modules it pulls in) costs a cold run tens of
# milliseconds, and most documents have no formula.

Element = Any

_SLOT = re.compile(r'<pressroom-math data-slot="(\d+)"\s*(?:/>|></pressroom-math>)')


def check(tex: str, display: bool) -> str | None:
    from .mathml import MathError, mathml

    try:
        mathml(tex, display=display)
    except MathError as error:
        return str(error)
    return None


def source(tex: str, display: bool) -> str:
    """A formula as the author wrote it."""
    return f"$${tex}$$" if display else f"${tex}$"


class Typesetter:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.slots: list[str] = []

    def replace(self, el: Element) -> Element:
        """Typeset the formula ``el``; returns the element now in its place (a display
        formula keeps its ``div``, which a label and a number belong to)."""
        display = el.tag != "span"
        tex = (
            "".join(el.itertext()).strip() if display else " ".join("".join(el.itertext()).split())
        )
        tail = el.tail
        from .mathml import MathError, mathml

        try:
            markup = mathml(tex, display=display)
            if self.target == "epub":
                new = el.makeelement("pressroom-math", {"data-slot": str(len(self.slots))})
                self.slots.append(markup)
            else:
                new = self._image(el, markup, tex, display)
        except (MathError, ValueError):
            new = el.makeelement("code", {"class": "math-error"})
            new.text = source(tex, display)
        if display:
            for child in list(el):
                el.remove(child)
            el.text = None
            el.append(new)
            return el
        new.tail = tail
        el.getparent().replace(el, new)
        return new

    def _image(self, el: Element, markup: str, tex: str, display: bool) -> Element:
        from .mathsvg import svg  # ziamath only when a PDF is made

        drawn = svg(markup)
        data = base64.b64encode(drawn.svg.encode("utf-8")).decode("ascii")
        img = el.makeelement(
            "img",
            {
                "class": "math display" if display else "math",
                "alt": " ".join(tex.split()),
                "src": f"data:image/svg+xml;base64,{data}",
                # Sized in ems of the text around it, its baseline on the line's.
                "style": f"width:{drawn.width:.3f}em;height:{drawn.height:.3f}em;"
                f"vertical-align:{-drawn.depth:.3f}em",
            },
        )
        return img

    def finish(self, text: str) -> str:
        if not self.slots:
            return text
        return _SLOT.sub(lambda m: self.slots[int(m[1])], text)

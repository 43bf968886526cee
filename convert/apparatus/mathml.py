"""TeX → MathML (the only module that imports latex2mathml).

Contract: ``mathml(tex, display=…)`` gives the MathML of a formula written in TeX, with
its source as ``alttext`` (what a screen reader or a reading system without MathML
offers), or raises ``MathError`` with the reason the formula does not parse. The same
MathML is what the PDF draws (``mathsvg``), so both outputs agree on what a formula is.

latex2mathml is lenient: it turns ``\\frac{a`` into a fraction with one part and an unknown
``\\foo`` into a variable named "\\foo". Those are errors here: braces must balance, every
command must be one latex2mathml knows, and every script, fraction and root must have all
its parts.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache

from latex2mathml.converter import convert

_NS = "{http://www.w3.org/1998/Math/MathML}"
# Elements and the number of children MathML requires of them.
_ARITY = {"mfrac": 2, "mroot": 2, "msub": 2, "msup": 2, "munder": 2, "mover": 2}
_ARITY |= {"msubsup": 3, "munderover": 3}
MAX_TEX = 4000  # characters; a longer "formula" is text that lost its closing dollar


class MathError(ValueError):
    """A formula that does not parse; the message says why."""


def _balanced(tex: str) -> None:
    depth = 0
    escaped = False
    for char in tex:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                raise MathError("a '}' closes no '{'")
    if depth:
        raise MathError(f"{depth} '{{' never closed")
    begins = re.findall(r"\\begin\{(\w+\*?)\}", tex)
    ends = re.findall(r"\\end\{(\w+\*?)\}", tex)
    if begins != ends[::-1] and sorted(begins) != sorted(ends):
        raise MathError("\\begin and \\end do not match")


def _check(element: ET.Element) -> None:
    for node in element.iter():
        name = node.tag.removeprefix(_NS)
        need = _ARITY.get(name)
        if need is not None and len(node) != need:
            raise MathError(f"\\{_command(name)} is missing a part")
        if name in ("mi", "mo", "mtext") and (node.text or "").startswith("\\"):
            raise MathError(f"unknown command {node.text}")


def _command(element: str) -> str:
    return {"mfrac": "frac", "mroot": "sqrt", "msub": "_", "msup": "^"}.get(element, element)


@lru_cache(maxsize=1024)
def mathml(tex: str, *, display: bool) -> str:
    """The MathML of ``tex`` (see the module docstring); raises ``MathError``."""
    tex = tex.strip()
    if not tex:
        raise MathError("the formula is empty")
    if len(tex) > MAX_TEX:
        raise MathError(f"over {MAX_TEX} characters")
    _balanced(tex)
    try:
        markup = convert(tex, display="block" if display else "inline")
        root = ET.fromstring(markup)
    except Exception as exc:  # latex2mathml raises many types, all meaning "no formula"
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise MathError(_words(reason)) from None
    _check(root)
    root.set("alttext", " ".join(tex.split()))
    ET.register_namespace("", _NS[1:-1])
    return ET.tostring(root, encoding="unicode")


def _words(name: str) -> str:
    """``MissingSuperScriptOrSubscriptError`` → ``missing super script or subscript``."""
    if " " in name:
        return name
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name.removesuffix("Error")).lower()
    return spaced or "it does not parse"

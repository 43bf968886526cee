"""Reading conformance: Pressroom's readers against the CommonMark and GFM spec examples.

Every example of ``../shared/markdown-spec/`` (CommonMark 0.31.2, GFM 0.29) is read with a
Pressroom dialect through the parse stage, and its structure is compared with the spec's
expected HTML. Both sides pass through Pressroom's own sanitizer first, so raw HTML removed
on purpose counts the same on both. Structure means: the element tree (tags, nesting), the
attributes that carry meaning (link and image targets, percent-decoded; alt text, list
start, task boxes)
and the text (whitespace runs collapsed, except inside ``pre``). What a renderer adds
without changing that — heading ids, classes, the ``div.highlight`` around code and the
highlighting spans inside it — does not count.

Used by ``tests/unit/test_conformance.py`` (which asserts the figures) and by
``scripts/bench.py conformance`` (which prints them, the Python-Markdown dialect beside).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote

import lxml.html

from convert.errors import ConvertError
from convert.model import Article, Meta
from convert.parse import parse
from convert.sanitize import clean

SPECS = Path(__file__).resolve().parent.parent.parent / "shared" / "markdown-spec"
COMMONMARK = SPECS / "commonmark-0.31.2.json"
GFM = SPECS / "gfm-0.29.json"

# GFM 0.29 examples the ``gfm`` reader reads otherwise, on purpose, with the reason.
GFM_DIFFERENCES: dict[int, str] = {
    616: "extended autolinks are always on; this core example is specified without them",
    619: "extended autolinks are always on; this core example is specified without them",
    620: "extended autolinks are always on; this core example is specified without them",
    645: "CommonMark 0.31 comment rules (GFM 0.29 predates them): '--' may occur in a comment",
    646: "CommonMark 0.31 comment rules (GFM 0.29 predates them): '<!-->' is a whole comment",
    653: "the sanitizer removes <title>, <style>, <xmp>… where the GFM tag filter escapes them",
}

_ATTRIBUTES = ("href", "src", "alt", "start", "type", "checked")
_UNWRAP_CLASSES = ("highlight",)


def shape(html: str) -> list[tuple[object, ...]]:
    """The structure of an HTML fragment, after the sanitizer (see the module docstring)."""
    root = lxml.html.fragment_fromstring(clean(html) or "", create_parent="div")
    out: list[tuple[object, ...]] = []

    def text(value: str | None, exact: bool) -> str:
        if not value:
            return ""
        return value if exact else " ".join(value.split())

    def walk(el: lxml.html.HtmlElement, depth: int, in_pre: bool) -> None:
        skip = (el.tag == "div" and el.get("class") in _UNWRAP_CLASSES) or (
            in_pre and el.tag == "span"
        )
        inner = depth if skip else depth + 1
        if not skip:
            # Targets compare decoded: "a%20b" and "a b" lead to the same place.
            attrs = tuple(
                (k, unquote(v) if k in ("href", "src") else v)
                for k in _ATTRIBUTES
                if (v := el.get(k)) is not None
            )
            out.append((depth, el.tag, attrs))
        pre = in_pre or el.tag == "pre"
        if t := text(el.text, pre):
            out.append((inner, "#text", t))
        for child in el:
            walk(child, inner, pre)
            if t := text(child.tail, pre):
                out.append((inner, "#text", t))

    walk(root, 0, False)
    # Text split by an unwrapped element comes back as neighbours: join them.
    merged: list[tuple[object, ...]] = []
    for item in out:
        if merged and item[1] == "#text" and merged[-1][1] == "#text" and merged[-1][0] == item[0]:
            merged[-1] = (item[0], "#text", f"{merged[-1][2]}{item[2]}")
        else:
            merged.append(item)
    return merged


@dataclass(slots=True)
class Result:
    total: int = 0
    agree: list[int] = field(default_factory=list)
    differ: list[int] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return len(self.agree) / self.total if self.total else 0.0


def examples(path: Path) -> list[dict[str, object]]:
    """The spec's examples, without the ones the spec marks disabled."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [ex for ex in data if ex.get("extension") != "disabled"]


def read(markdown: str, dialect: str) -> str:
    """``markdown`` read by Pressroom's parse stage in ``dialect`` (unsanitized HTML is not
    reachable from outside: the stage sanitizes, and ``shape`` again, harmlessly)."""
    article = Article(source=Path("spec.md"), meta=Meta(title="Spec"), markdown=markdown)
    try:
        return parse(replace(article, dialect=dialect)).html
    except ConvertError as exc:
        return f"<p>refused: {exc}</p>"
    except RecursionError:
        return "<p>refused: recursion</p>"


def compare(cases: Iterable[dict[str, object]], dialect: str) -> Result:
    result = Result()
    for ex in cases:
        result.total += 1
        number = int(ex["example"])  # type: ignore[call-overload]
        same = shape(read(str(ex["markdown"]), dialect)) == shape(str(ex["html"]))
        (result.agree if same else result.differ).append(number)
    return result

"""What the apparatus finds in one document's tree, and the shape it gives it first.

Contract: ``structure(root, terms)`` gives a body fragment (the tree stage's element tree,
after its implicit figures) the shape the apparatus works on, the same way every time it
is called on the same fragment: ``Table: caption {#tbl:x}`` paragraphs become table
captions, a labelled image's id moves to its figure, label ids (``fig:map``) become XML
names (``fig.map``, the label kept in ``data-label``; ``parse`` already did it for
what the reader wrote), each occurrence of a term of the
book's index list is marked, every index mark gets an id (``idx-1``, ``idx-2``…), and each
``@fig:map`` / ``@page:fig:map`` in the text becomes a ``span.xref``. ``survey(root)``
then reads what a document holds (``Survey``): headings, labels, references, index marks
and formulas, in document order.

The survey runs once per document before anything is numbered (a book numbers across its
chapters); the tree stage calls ``structure`` again on each target's tree, and the two see
the same ids in the same order. Works on the elements the tree stage hands it (lxml's);
it imports no XML library itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConvertError
from ..slugs import xml_name

Element = Any  # an lxml.html element (the tree stage owns lxml)

KINDS = ("fig", "tbl", "eq", "sec", "item")
# ``@fig:map`` and ``@page:fig:map``: a known kind after the ``@``, not inside a word or an
# address (``a@fig:b`` is no reference), the label ending on a letter or digit.
REFERENCE = re.compile(
    rf"(?<![\w@.:/])@(?P<page>page:)?(?P<label>(?:{'|'.join(KINDS)}):[\w.:-]*[\w])"
)
_TABLE_CAPTION = re.compile(r"^\s*Table:\s*")
_TRAILING_LABEL = re.compile(r"\s*\{#(?P<label>[\w:.-]+)\}\s*$")
# Elements whose text is never indexed, cross-referenced or searched for terms.
_OPAQUE = {"code", "pre", "kbd", "samp", "script", "style", "a"}
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


@dataclass(frozen=True, slots=True)
class Term:
    """A term of the book's index list: found wherever ``text`` occurs as whole words
    (case-insensitive), indexed under ``entry`` (``"main!sub"``)."""

    text: str
    entry: str = ""
    see: str = ""
    also: str = ""

    def pattern(self) -> re.Pattern[str]:
        words = r"\s+".join(re.escape(w) for w in self.text.split())
        return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


def read_terms(table: Any, where: Any) -> tuple[Term, ...]:
    """The ``[index]`` table of a ``book.toml``: ``terms = ["composing stick", { term =
    "quoins", entry = "furniture!quoins", also = "chase" }]``; refused with
    ``book.invalid`` when it is not that shape."""
    if table is None:
        return ()
    terms = table.get("terms", []) if isinstance(table, dict) else None
    if not isinstance(terms, list):
        raise ConvertError("'index.terms' must be a list", path=where, code="book.invalid")
    found: list[Term] = []
    for item in terms:
        if isinstance(item, str) and item.strip():
            found.append(Term(" ".join(item.split())))
            continue
        if not isinstance(item, dict) or not isinstance(item.get("term"), str):
            raise ConvertError(
                "each 'index.terms' entry is a text or a table with 'term'",
                path=where,
                code="book.invalid",
            )
        extra = {}
        for key in ("entry", "see", "also"):
            value = item.get(key, "")
            if isinstance(value, list):
                value = "; ".join(str(v) for v in value)
            if not isinstance(value, str):
                raise ConvertError(
                    f"'index.terms': {key!r} must be text", path=where, code="book.invalid"
                )
            extra[key] = value
        found.append(Term(" ".join(item["term"].split()), **extra))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Label:
    label: str  # as written: "fig:map"
    kind: str  # "fig", "tbl", "eq", "sec", "item", or "" (a plain anchor)
    ident: str  # the id in the output: "fig-map"
    text: str  # caption, heading text or TeX
    section: str  # the heading it stands under ("" before the first)
    ordinal: str = ""  # a list item's own number


@dataclass(frozen=True, slots=True)
class Mark:
    """One index mark: where it is, under which entry, with which cross-references."""

    ident: str
    path: tuple[str, ...]  # ("type", "lead")
    see: tuple[str, ...]
    also: tuple[str, ...]
    sort: str
    section: str
    text: str  # the marked words


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    ident: str
    text: str


@dataclass(frozen=True, slots=True)
class Survey:
    headings: tuple[Heading, ...]
    labels: tuple[Label, ...]
    references: tuple[str, ...]  # labels referred to by @…, in order
    marks: tuple[Mark, ...]
    formulas: tuple[tuple[str, bool], ...]  # (TeX, display)


def classes(el: Element) -> list[str]:
    return (el.get("class") or "").split()


def text_of(el: Element) -> str:
    return " ".join("".join(el.itertext()).split())


def kind_of(label: str) -> str:
    prefix = label.partition(":")[0]
    return prefix if ":" in label and prefix in KINDS else ""


def is_math(el: Element) -> bool:
    return "math" in classes(el)


def is_index(el: Element) -> bool:
    return el.tag == "span" and "index" in classes(el)


# ---------------------------------------------------------------------------------------
# structure


def structure(root: Element, terms: Sequence[Term] = ()) -> None:
    """Shape ``root`` for the apparatus (see the module docstring). Idempotent."""
    _table_captions(root)
    _figure_ids(root)
    _xml_ids(root)
    _references(root)  # first: a term inside "@sec:leading" is no occurrence of it
    if terms:
        _mark_terms(root, terms)
    _index_ids(root)


def _element_siblings(el: Element) -> tuple[Element | None, Element | None]:
    return el.getprevious(), el.getnext()


def _table_captions(root: Element) -> None:
    """``Table: The cases {#tbl:cases}`` right before or after a table: its caption."""
    for p in list(root.iter("p")):
        if not _TABLE_CAPTION.match(p.text or ""):
            continue
        before, after = _element_siblings(p)
        table = next((t for t in (after, before) if t is not None and t.tag == "table"), None)
        if table is None or table.find("caption") is not None:
            continue
        caption = p.makeelement("caption", {})
        caption.text = _TABLE_CAPTION.sub("", p.text or "", count=1)
        for child in list(p):
            caption.append(child)
        label = _take_trailing_label(caption)
        if label and not table.get("id"):
            table.set("id", xml_name(label))
            table.set("data-label", label)
        parent = p.getparent()
        previous = p.getprevious()
        if p.tail and p.tail.strip():
            target = previous if previous is not None else None
            if target is not None:
                target.tail = (target.tail or "") + p.tail
        parent.remove(p)
        table.insert(0, caption)


def _take_trailing_label(el: Element) -> str:
    """Remove a trailing ``{#label}`` from ``el``'s text; return the label."""
    last = el[-1] if len(el) else None
    text = (last.tail if last is not None else el.text) or ""
    match = _TRAILING_LABEL.search(text)
    if match is None:
        return ""
    rest = text[: match.start()]
    if last is not None:
        last.tail = rest
    else:
        el.text = rest
    return match["label"]


def _figure_ids(root: Element) -> None:
    """A labelled image's id belongs to its figure (what a reference points at)."""
    for figure in root.iter("figure"):
        img = figure.find("img")
        if img is not None and img.get("id") and not figure.get("id"):
            figure.set("id", img.attrib.pop("id"))
            if img.get("data-label"):
                figure.set("data-label", img.attrib.pop("data-label"))


def _xml_ids(root: Element) -> None:
    """An id with a colon the parse stage did not see (raw HTML a repair made): an XML
    name, the label kept in ``data-label`` (as ``parse`` does), the links following."""
    renamed: dict[str, str] = {}
    for el in root.iter():
        ident = el.get("id")
        if not ident or ":" not in ident or el.get("data-label"):
            continue
        el.set("id", xml_name(ident))
        el.set("data-label", ident)
        renamed[ident] = xml_name(ident)
    for a in root.iter("a"):
        href = a.get("href") or ""
        if href.startswith("#") and href[1:] in renamed:
            a.set("href", "#" + renamed[href[1:]])


def _text_nodes(root: Element) -> Iterator[tuple[Element, str]]:
    """(element, "text" | "tail") for every text node outside opaque elements, math,
    index marks and references, in document order."""

    def skip(el: Element) -> bool:
        return (
            el.tag in _OPAQUE
            or is_math(el)
            or is_index(el)
            or "xref" in classes(el)
            or "long-word" in classes(el)
        )

    def walk(el: Element) -> Iterator[tuple[Element, str]]:
        if el.text:
            yield el, "text"
        for child in list(el):
            if not skip(child) and child.tag not in _HEADINGS:
                yield from walk(child)
            if child.tail:
                yield child, "tail"

    yield from walk(root)


def _wrap(el: Element, where: str, spans: Sequence[tuple[int, int, Element]]) -> None:
    """Put each new element of ``spans`` (start, end, element) around its part of
    ``el``'s text (or tail)."""
    text = getattr(el, where) or ""
    if where == "text":
        parent, index = el, 0
    else:
        parent, index = el.getparent(), el.getparent().index(el) + 1
    pos = 0
    setattr(el, where, text[: spans[0][0]])
    for n, (start, end, new) in enumerate(spans):
        new.text = text[start:end]
        nxt = spans[n + 1][0] if n + 1 < len(spans) else len(text)
        new.tail = text[end:nxt]
        parent.insert(index + n, new)
        pos = end
    del pos


def _mark_terms(root: Element, terms: Sequence[Term]) -> None:
    patterns = [(term, term.pattern()) for term in terms]
    for el, where in list(_text_nodes(root)):
        text = getattr(el, where) or ""
        found: list[tuple[int, int, Term]] = []
        for term, pattern in patterns:
            for match in pattern.finditer(text):
                if not any(s < match.end() and match.start() < e for s, e, _ in found):
                    found.append((match.start(), match.end(), term))
        if not found:
            continue
        found.sort(key=lambda f: f[0])
        spans = []
        for start, end, term in found:
            span = root.makeelement("span", {"class": "index"})
            span.set("data-index", term.entry or term.text)
            if term.see:
                span.set("data-see", term.see)
            if term.also:
                span.set("data-also", term.also)
            spans.append((start, end, span))
        _wrap(el, where, spans)


def _index_ids(root: Element) -> None:
    taken = {el.get("id") for el in root.iter() if el.get("id")}
    n = 0
    for span in root.iter("span"):
        if not is_index(span) or span.get("id"):
            continue
        n += 1
        while f"idx-{n}" in taken:
            n += 1
        span.set("id", f"idx-{n}")


def _references(root: Element) -> None:
    for el, where in list(_text_nodes(root)):
        text = getattr(el, where) or ""
        if "@" not in text:
            continue
        spans = []
        for match in REFERENCE.finditer(text):
            span = root.makeelement("span", {"class": "xref"})
            span.set("data-ref", match["label"])
            span.set("data-form", "page" if match["page"] else "label")
            spans.append((match.start(), match.end(), span))
        if spans:
            _wrap(el, where, spans)


# ---------------------------------------------------------------------------------------
# survey


def split_entry(text: str) -> tuple[str, ...]:
    """``"type!lead"`` → ``("type", "lead")`` (makeindex's separator; at most 3 levels)."""
    parts = tuple(" ".join(p.split()) for p in text.split("!"))
    return tuple(p for p in parts if p)[:3]


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(" ".join(v.split()) for v in (value or "").split(";") if v.strip())


def _ordinal(li: Element) -> str:
    parent = li.getparent()
    if parent is None or parent.tag != "ol":
        return ""
    start = parent.get("start") or "1"
    n = int(start) if start.lstrip("-").isdigit() else 1
    for sibling in parent:
        if sibling is li:
            return str(n)
        if sibling.tag == "li":
            n += 1
    return ""


def _label_text(el: Element, kind: str) -> str:
    if kind == "fig":
        caption = el.find("figcaption")
        if caption is not None:
            return text_of(caption)
        img = el.find(".//img")
        return " ".join((img.get("alt") or "").split()) if img is not None else ""
    if kind == "tbl":
        caption = el.find("caption")
        return text_of(caption) if caption is not None else ""
    return text_of(el)


def survey(root: Element) -> Survey:
    """What a structured document holds, in document order (see the module docstring)."""
    headings: list[Heading] = []
    labels: list[Label] = []
    references: list[str] = []
    marks: list[Mark] = []
    formulas: list[tuple[str, bool]] = []
    section = ""
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _HEADINGS and not any(
            a.tag in ("blockquote", "aside") for a in el.iterancestors()
        ):
            section = text_of(el)
            if el.get("id"):
                headings.append(Heading(int(tag[1]), el.get("id"), section))
        label = el.get("data-label") or ""
        if label:
            kind = kind_of(label)
            owner = el
            if kind == "item":
                owner = next((a for a in el.iterancestors() if a.tag == "li"), None)
            if kind == "sec" and tag not in _HEADINGS:
                kind = ""
            ordinal = _ordinal(owner) if kind == "item" and owner is not None else ""
            if kind == "item" and not ordinal:
                kind = ""
            text = _label_text(el, kind)
            labels.append(Label(label, kind, el.get("id"), text, section, ordinal))
        if tag == "span" and "xref" in classes(el):
            references.append(el.get("data-ref") or "")
        elif is_index(el):
            entry = el.get("data-index") or text_of(el)
            path = split_entry(entry)
            if path:
                marks.append(
                    Mark(
                        el.get("id"),
                        path,
                        _list(el.get("data-see")),
                        _list(el.get("data-also")),
                        " ".join((el.get("data-sort") or "").split()),
                        section,
                        text_of(el),
                    )
                )
        elif is_math(el):
            formulas.append(
                (text_of(el) if tag == "span" else "".join(el.itertext()), tag != "span")
            )
    return Survey(tuple(headings), tuple(labels), tuple(references), tuple(marks), tuple(formulas))

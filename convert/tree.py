"""The parsed tree, made fit for one target (the only module that imports lxml).

Contract: ``prepare(html, target=…, images=…, emit=…)`` takes the sanitized body fragment
of ``markdown.parse`` and returns the fragment for that target, plus the local image
files it refers to:

- links that lead nowhere in the output (a ``#fragment`` with no matching id, a relative
  link to a file the output does not carry) become their plain text, reported;
- images are resolved through ``images(src)``; a remote one becomes a link with its alt
  text (EPUB may not reference remote resources and nothing is fetched by default), a
  missing one a visible placeholder that keeps the alt text, both reported; ``images``
  may raise ``ImageRefused`` (too many pixels, a scripted SVG): a placeholder too,
  reported with the refusal's code;
- PDF: each footnote moves to its call site as a ``span.footnote`` (WeasyPrint floats it
  to the foot of the page); EPUB: calls become ``noteref`` links and the notes
  ``epub:type="footnote"`` asides; the result is serialized as XML (XHTML).
- For an EPUB page list, both targets number the same blocks (paragraphs, list items,
  headings, code, figures, table rows, definitions; not the notes) in document order:
  the PDF document (``number_blocks``) carries them as ``data-block="<prefix>N"`` and its
  layout reports on which page each starts; the EPUB is given those pages back
  (``page_breaks``: block → folio labels) and gets a ``doc-pagebreak`` marker at the start
  of each such block, and no ``data-block``.
- For readers of assistive technology: an empty ``<th>`` becomes a ``<td>`` (a header
  that names nothing), ``:::`` asides are notes (``role="note"``, not repeated
  landmarks) labelled by their title, note references and back-links carry a label, the
  notes section is labelled.
- Generated words come from ``text``, the messages of the document's language (a book
  chapter's own; ``convert/i18n.py``), each decided once, here: note and back-link
  labels, placeholders (this stage's own, and the English ones the ``images`` rule wrote
  into the Markdown, put into the language before this stage adds its own), and the title
  of an admonition whose title the readers left empty (``::: tip``, ``> [!TIP]``,
  ``!!! tip``): its kind's title in the document's language, or the kind's own name for a
  kind no catalog knows. A title the author wrote is never touched. The apparatus writes
  its labels in the same language (``Apparatus.words_in``).
"""

from __future__ import annotations

import copy
import html
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar
from urllib.parse import unquote

import lxml.html
from lxml import etree

from .assets import ImageRefused
from .diagnostics import Emit, Severity
from .errors import RenderError
from .model import Target
from .paths import is_remote


@dataclass(frozen=True, slots=True)
class Image:
    """A local image the body uses: the ``src`` written in the output and the file."""

    src: str
    key: str  # what ``images`` was asked for


@dataclass(frozen=True, slots=True)
class Prepared:
    html: str
    images: tuple[Image, ...]


# Generated words: the document language's messages, ``text("Note %(n)s", n=2)``.
Text = Callable[..., str]


def _english(message: str, **values: object) -> str:
    return message % values if values else message


class Apparatus(Protocol):
    """The apparatus of one document for one target (``convert.apparatus.Hook``): it
    works on the elements this stage hands it."""

    def formulas(self, root: lxml.html.HtmlElement) -> None:
        """Typeset the formulas (before long words get break points)."""

    def apply(self, root: lxml.html.HtmlElement) -> None:
        """Numbers, captions, references, index anchors (after the implicit figures)."""

    def finish(self, text: str) -> str:
        """The serialized fragment with what could not be an element here (MathML)."""


T = TypeVar("T")


def survey(html: str, visit: Callable[[lxml.html.HtmlElement], T]) -> T:
    """``visit`` the body fragment ``html`` shaped as ``prepare`` shapes it before the
    apparatus applies (long words, implicit figures), whatever the target: what a
    document holds, read before any target is made."""
    try:
        root = lxml.html.fragment_fromstring(html or "<p></p>", create_parent="div")
    except (ValueError, etree.ParserError) as exc:
        raise RenderError(f"the body cannot be parsed as HTML: {exc}", code="render.html") from None
    _break_long_words(root)
    _figures(root)
    return visit(root)


def prepare(
    html: str,
    *,
    target: Target,
    images: Callable[[str], str | None],
    emit: Emit,
    links: Callable[[str], str | None] | None = None,
    id_prefix: str = "",
    number_blocks: bool = False,
    block_prefix: str = "",
    page_breaks: Mapping[str, Sequence[str]] | None = None,
    text: Text = _english,
    apparatus: Apparatus | None = None,
) -> Prepared:
    """Make the body fragment ``html`` fit for ``target`` (see the module docstring).

    In a book, ``links`` maps a relative link (``other.md#sec``) to where it leads in the
    output, or ``None`` when it leads nowhere; ``id_prefix`` namespaces every id of this
    chapter (and the links to them) so chapters can share headings in one document, and
    ``block_prefix`` its block numbers. ``page_breaks`` (EPUB) maps a block number to
    the labels of the print pages that begin there. ``apparatus`` typesets formulas and
    numbers, resolves references and anchors the index marks of this document for
    ``target``.
    """
    try:
        root = lxml.html.fragment_fromstring(html or "<p></p>", create_parent="div")
    except (ValueError, etree.ParserError) as exc:
        raise RenderError(f"the body cannot be parsed as HTML: {exc}", code="render.html") from None
    # Before long words get their break points; the normalization rule's placeholders
    # before this stage's own, which are worded already.
    _placeholders(root, text)
    _admonition_titles(root, text)
    _merge_runs(root)
    used = _images(root, images, emit, text)
    _checkboxes(root)
    _table_widths(root)
    if apparatus is not None:
        apparatus.formulas(root)
    _break_long_words(root)
    _figures(root)
    if apparatus is not None:
        apparatus.apply(root)
    if number_blocks or (target == "epub" and page_breaks is not None):
        _number_blocks(root, block_prefix)
    _named_anchors(root)
    _links(root, emit, links)
    _empty_headers(root)
    finish = apparatus.finish if apparatus is not None else str
    if target == "epub":
        _page_markers(root, page_breaks or {})
        _asides(root)
        _footnotes_epub(root, text)
        _align_classes(root)
        _prefix_ids(root, id_prefix)
        return Prepared(finish(_inner(root, xml=True)), used)
    _footnotes_inline(root)
    _prefix_ids(root, id_prefix)
    return Prepared(finish(_inner(root, xml=False)), used)


# Blocks a print page can begin with, as the PDF and the EPUB both have them. A table row
# is one (its marker goes into its first cell); a block quote or list is not (its first
# paragraph or item is).
_BLOCKS = frozenset({"p", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
                     "figure", "tr", "hr"})  # fmt: skip
BLOCK_ATTRIBUTE = "data-block"


def _number_blocks(root: lxml.html.HtmlElement, prefix: str) -> None:
    """``data-block="<prefix>N"`` on every block outside the notes, in document order
    (the notes float to the foot of the PDF page and gather at the end of the EPUB
    page: they have no place of their own to mark)."""
    notes = next((d for d in root.iter("div") if d.get("class") == "footnote"), None)
    skip = set(notes.iter()) if notes is not None else set()
    n = 0
    for el in root.iter(*_BLOCKS):
        if el in skip:
            continue
        n += 1
        el.set(BLOCK_ATTRIBUTE, f"{prefix}{n}")


def page_marker(label: str) -> lxml.html.HtmlElement:
    """The EPUB page-break marker for the print page ``label`` (``"12"``, ``"iv"``)."""
    span = lxml.html.Element("span")
    span.set("data-epub-type", "pagebreak")
    span.set("role", "doc-pagebreak")
    span.set("id", f"page-{label}")
    span.set("aria-label", label)
    return span


def page_markers(labels: Sequence[str]) -> str:
    """Markers for ``labels`` as XHTML, for templates (the start of a chapter page)."""
    parts = [
        etree.tostring(page_marker(label), method="xml", encoding="unicode") for label in labels
    ]
    return "".join(parts).replace("data-epub-type=", "epub:type=")


def _page_markers(root: lxml.html.HtmlElement, at: Mapping[str, Sequence[str]]) -> None:
    """A marker at the start of each block a print page begins with; no ``data-block``
    stays behind in the EPUB."""
    for el in list(root.iter()):
        key = el.attrib.pop(BLOCK_ATTRIBUTE, None)
        labels = at.get(key) if key is not None else None
        if not labels:
            continue
        host = el
        if el.tag == "tr":  # a row holds cells only: the marker goes into the first one
            cells = [c for c in el if c.tag in ("td", "th")]
            if not cells:
                continue
            host = cells[0]
        elif el.tag == "hr":  # a void element: the marker stands before it
            for label in labels:
                el.addprevious(page_marker(label))
            continue
        for label in reversed(labels):
            marker = page_marker(label)
            marker.tail = host.text
            host.text = None
            host.insert(0, marker)


def _empty_headers(root: lxml.html.HtmlElement) -> None:
    """A ``<th>`` with nothing in it names no column or row (a screen reader would
    announce an empty header for every cell under it): it becomes a ``<td>``."""
    for th in list(root.iter("th")):
        if not th.text_content().strip() and not len(th):
            th.tag = "td"


def _admonition_kinds(text: Text) -> dict[str, str]:
    """The title of each kind of admonition the readers and the repairs know, in the
    document's language: GitHub's alerts, the ``:::`` containers of VuePress, Docusaurus
    and Pandoc, Python-Markdown's and MkDocs' ``!!!``, the notes of Hexo and Hugo (the
    ``liquid`` rule). In English each is the kind's name capitalized, as before."""
    return {
        "note": text("Note"),
        "tip": text("Tip"),
        "hint": text("Hint"),
        "important": text("Important"),
        "warning": text("Warning"),
        "caution": text("Caution"),
        "danger": text("Danger"),
        "attention": text("Attention"),
        "alert": text("Alert"),
        "notice": text("Notice"),
        "info": text("Info"),
        "success": text("Success"),
        "error": text("Error"),
        "failure": text("Failure"),
        "bug": text("Bug"),
        "question": text("Question"),
        "example": text("Example"),
        "quote": text("Quote"),
        "abstract": text("Abstract"),
        "summary": text("Summary"),
        "details": text("Details"),
    }


def _admonition_titles(root: lxml.html.HtmlElement, text: Text) -> None:
    """An admonition whose title is left to us (an empty ``p.admonition-title``: what the
    ``shapes`` rule writes for ``::: tip`` and the readers for ``> [!TIP]`` and ``!!! tip``)
    gets its kind's title in the document's language. It is decided here and not where the
    container is read: the language may only be known at the end of normalization (it is
    detected from the final text), and the repaired Markdown ``fix`` writes back should not
    carry an English word the author never wrote. A title the author wrote is kept as
    written, an admonition without a title paragraph (``!!! tip ""``) stays without one; a
    kind not known here is named after itself ("Pros and cons" for ``pros-and-cons``)."""
    kinds: dict[str, str] | None = None
    for box in root.iter("aside", "div"):
        classes = (box.get("class") or "").split()
        if "admonition" not in classes:
            continue
        title = next((p for p in box.iterchildren("p") if "admonition-title" in _classes(p)), None)
        if title is None or len(title) or (title.text or "").strip():
            continue
        kind = next((c for c in classes if c != "admonition"), "note")
        kinds = kinds if kinds is not None else _admonition_kinds(text)
        title.text = kinds.get(kind.casefold()) or kind.replace("-", " ").capitalize()


def _classes(el: lxml.html.HtmlElement) -> list[str]:
    return (el.get("class") or "").split()


def _asides(root: lxml.html.HtmlElement) -> None:
    """``:::`` containers are notes within the text, not page landmarks (every one of them
    would be a ``complementary`` landmark with the same name): ``role="note"``, named by
    their title."""
    for n, aside in enumerate(root.iter("aside"), start=1):
        if aside.get("role") or aside.get("data-epub-type"):
            continue
        aside.set("role", "note")
        title = next((p for p in aside.iter("p") if "admonition-title" in p.get("class", "")), None)
        if title is not None:
            if not title.get("id"):
                title.set("id", f"aside-{n}-title")
            aside.set("aria-labelledby", title.get("id"))


def _align_classes(root: lxml.html.HtmlElement) -> None:
    """XHTML5 has no ``align`` attribute (EPUBCheck RSC-005): table cell alignment
    travels as a class the stylesheets style (``align-right``)."""
    for cell in root.iter("th", "td"):
        align = cell.attrib.pop("align", None)
        if align in ("left", "right", "center"):
            cell.set("class", f"{cell.get('class', '')} align-{align}".strip())


def _prefix_ids(root: lxml.html.HtmlElement, prefix: str) -> None:
    """``id="x"`` → ``id="c3-x"`` and ``href="#x"`` → ``href="#c3-x"`` for local targets
    (links another chapter resolved are already final and point at other prefixes)."""
    if not prefix:
        return
    ids = set()
    for el in root.iter():
        ident = el.get("id")
        if ident:
            ids.add(ident)
            el.set("id", prefix + ident)
    for a in root.iter("a"):
        href = a.get("href") or ""
        if href.startswith("#") and href[1:] in ids:
            a.set("href", "#" + prefix + href[1:])


def _inner(root: lxml.html.HtmlElement, *, xml: bool) -> str:
    method = "xml" if xml else "html"
    # The wrapper's own text is text: escaped like every other text node (lxml holds it
    # unescaped; "&lt;iframe" left at the top level of a fragment must not become a tag).
    parts = [html.escape(root.text, quote=False)] if root.text else []
    for child in root:
        parts.append(etree.tostring(child, method=method, encoding="unicode", with_tail=True))
    text = "".join(parts)
    if xml:
        # lxml cannot create prefixed attributes on HTML elements; they travel as data-*.
        text = text.replace("data-epub-type=", "epub:type=")
    return text


def _replace(el: lxml.html.HtmlElement, new: lxml.html.HtmlElement | str) -> None:
    """Put ``new`` (an element, or text) where ``el`` was, keeping ``el``'s tail."""
    parent = el.getparent()
    tail = el.tail or ""
    if isinstance(new, str):
        prev = el.getprevious()
        text = new + tail
        if prev is not None:
            prev.tail = (prev.tail or "") + text
        else:
            parent.text = (parent.text or "") + text
        parent.remove(el)
        return
    new.tail = tail
    parent.replace(el, new)


def _unwrap(el: lxml.html.HtmlElement) -> None:
    """Replace an element by its children and text."""
    parent = el.getparent()
    index = parent.index(el)
    prev = el.getprevious()
    lead = el.text or ""
    if prev is not None:
        prev.tail = (prev.tail or "") + lead
    else:
        parent.text = (parent.text or "") + lead
    children = list(el)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    tail = el.tail or ""
    if children:
        children[-1].tail = (children[-1].tail or "") + tail
    else:
        anchor = parent[index - 1] if index > 0 else None
        if anchor is not None and anchor is not el:
            anchor.tail = (anchor.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _text_of(el: lxml.html.HtmlElement) -> str:
    return " ".join(el.text_content().split())


def _placeholder(alt: str, text: Text) -> lxml.html.HtmlElement:
    """What stands where an image cannot: its alt text, visibly."""
    span = lxml.html.Element("span")
    span.set("class", "image-missing")
    span.text = text("[Image: %(alt)s]", alt=alt) if alt else text("[Image unavailable]")
    return span


def _media_forms(text: Text) -> dict[str, str]:
    """The placeholder of each kind of file, ``%(alt)s`` unfilled: the alt text (and the
    file's name, for a video, audio file or document the ``images`` rule named)."""
    return {
        "Image": text("[Image: %(alt)s]"),
        "Video": text("[Video: %(alt)s]"),
        "Audio": text("[Audio: %(alt)s]"),
        "Document": text("[Document: %(alt)s]"),
    }


# The placeholders the ``images`` normalization rule writes, in English.
_ENGLISH_PLACEHOLDER = re.compile(
    r"\[(?:(?P<kind>Image|Video|Audio|Document): (?P<alt>.*)|Image unavailable)\]", re.S
)
_CUT = "\0"  # stands for the alt text while a form is split around it


def _placeholders(root: lxml.html.HtmlElement, text: Text) -> None:
    """The ``images`` normalization rule writes its placeholders into the Markdown in
    English (``[Image: alt]``, ``[Video: alt (clip.mp4)]``): Markdown is what ``fix``
    writes back and the rule runs before the language is known. They are put into the
    document's language here, in the words of the placeholders this stage makes itself;
    an alt text with markup in it (``*emphasis*``) keeps it, only the words around it
    change. Runs before this stage makes its own placeholders, so none is worded twice."""
    if text is _english:
        return
    forms = _media_forms(text)
    for span in root.iter("span"):
        if "image-missing" not in (span.get("class") or "").split():
            continue
        match = _ENGLISH_PLACEHOLDER.fullmatch(span.text_content().strip())
        if match is None:
            continue
        if match["kind"] is None:  # "[Image unavailable]": words only, no markup
            span.text = text("[Image unavailable]")
            continue
        before, _, after = (forms[match["kind"]] % {"alt": _CUT}).partition(_CUT)
        if not len(span):
            span.text = before + match["alt"] + after
            continue
        english = f"[{match['kind']}: "
        last = span[-1]
        lead, tail = (span.text or "").lstrip(), (last.tail or "").rstrip()
        if lead.startswith(english) and tail.endswith("]"):
            span.text = before + lead[len(english) :]
            last.tail = tail[:-1] + after


def _images(
    root: lxml.html.HtmlElement, images: Callable[[str], str | None], emit: Emit, text: Text
) -> tuple[Image, ...]:
    used: list[Image] = []
    for img in list(root.iter("img")):
        src = (img.get("src") or "").strip()
        alt = " ".join((img.get("alt") or "").split())
        if src and is_remote(src) and not src.startswith("data:"):
            fetched = images(src)  # a host the user allowed: downloaded, now a local file
            if fetched is not None:
                img.set("src", fetched)
                used.append(Image(fetched, src))
                continue
            inside_link = any(parent.tag == "a" for parent in img.iterancestors())
            # A link inside a link is invalid: inside one (a badge), keep the text only.
            link = lxml.html.Element("span" if inside_link else "a")
            if not inside_link:
                link.set("href", src)
            link.set("class", "remote-image")
            link.text = alt or src
            _replace(img, link)
            emit(
                "image.remote",
                src,
                f"remote image {src[:80]!r} is not fetched",
                "replaced it with a link",
                Severity.WARNING,
            )
            continue
        try:
            new_src = images(src) if src else None
        except ImageRefused as refused:
            code = "image.unsafe-svg" if refused.code == "image.unsafe-svg" else "image.too-large"
            _replace(img, _placeholder(alt, text))
            emit(
                code,
                src,
                refused.message,
                "replaced it with its alt text",
                Severity.WARNING,
            )
            continue
        if new_src is None:
            placeholder = _placeholder(alt, text)
            if img.get("id"):  # a label (``{#fig:map}``): references still find the place
                placeholder.set("id", img.get("id"))
            _replace(img, placeholder)
            emit(
                "image.missing",
                src,
                f"image {src[:80]!r} not found under the content root",
                "replaced it with its alt text",
                Severity.WARNING,
            )
            continue
        img.set("src", new_src)
        if not img.get("alt"):
            img.set("alt", "")
        used.append(Image(new_src, src))
    return tuple(used)


# Task list boxes, as text both targets print with the fonts they have.
_BOXES = {True: "\u2611", False: "\u2610"}  # ☑ ☐


def _checkboxes(root: lxml.html.HtmlElement) -> None:
    """A task list's ``<input type="checkbox">`` becomes a ballot-box character in a
    ``span.task`` (``task-done`` when checked): a PDF has no form here and a reading system
    must not offer a box to tick. Any other ``input`` (raw HTML) is removed."""
    for box in list(root.iter("input")):
        if (box.get("type") or "").lower() != "checkbox":
            _replace(box, "")
            continue
        checked = box.get("checked") is not None
        span = lxml.html.Element("span")
        span.set("class", "task task-done" if checked else "task")
        span.text = _BOXES[checked]
        _replace(box, span)


# A "word" this long (a URL, a path, an identifier) gets break opportunities: lines then
# fill up to it instead of leaving a justified line of gaps above it.
LONG_WORD = 30
# Longer than this it is no URL but junk (a dumped data structure). Every <wbr> is a box,
# and WeasyPrint's line breaking grows with the boxes of a line, so such a "word" is only
# cut into chunks of this size; overflow-wrap breaks each chunk (one huge unbreakable run
# costs WeasyPrint time quadratic in its length).
LONGEST_BREAKABLE = 1000
_LONG = re.compile(rf"(?<!\S)\S{{{LONG_WORD},}}")
# After these a URL or a path breaks naturally (Chicago's rule for URLs: after a slash,
# before a dot…); a run with none of them breaks every 20 characters (a string of letters
# alone is left to hyphenation).
_BREAK_AFTER = re.compile(r"(?<=[/_?&=#:;,])(?=[^/\s])|(?<=[^.\s])(?=[.\-@])")
_EVERY = 20


LONGEST_WORD = 50  # letters: no language's word is longer (German compounds reach ~40)


def _break_points(word: str) -> list[int]:
    """Offsets in ``word`` where a line may break. A word of letters only gets none unless
    it is longer than any real word: hyphenation breaks a word of a language better."""
    if len(word) > LONGEST_BREAKABLE:
        return list(range(LONGEST_BREAKABLE, len(word), LONGEST_BREAKABLE))
    if word.isalpha() and len(word) <= LONGEST_WORD:
        return []
    # Not within the first or last few characters: "/usr" stays whole, so does ".py".
    points = [m.start() for m in _BREAK_AFTER.finditer(word) if 3 <= m.start() <= len(word) - 3]
    found: list[int] = []
    last = 0
    for point in [*points, len(word)]:
        while point - last > _EVERY:
            last += _EVERY
            found.append(last)
        if point < len(word):
            found.append(point)
            last = point
    return sorted(set(found))


# Inline formatting whose two adjacent copies read as one: ``<em>a</em><em>b</em>`` is
# ``<em>ab</em>`` to a reader and to a screen reader.
_MERGEABLE = frozenset({"em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "sub", "sup"})


def _merge_runs(root: lxml.html.HtmlElement) -> None:
    """Join adjacent copies of the same formatting element with no attribute and nothing
    between them. Why: a word written as thousands of one-letter emphases (``*_*_…``)
    is thousands of inline boxes with no break between them, and WeasyPrint's line
    breaking is quadratic in those (a minute for 6,667); joined, it is one text that
    ``_break_long_words`` can break."""
    for el in list(root.iter(*_MERGEABLE)):
        if el.getparent() is None or el.attrib:
            continue  # already merged into its left neighbour
        while not el.tail and (nxt := el.getnext()) is not None:
            if nxt.tag != el.tag or nxt.attrib:
                break
            if len(el):
                el[-1].tail = (el[-1].tail or "") + (nxt.text or "")
            else:
                el.text = (el.text or "") + (nxt.text or "")
            el.extend(list(nxt))
            el.tail = nxt.tail
            el.getparent().remove(nxt)


def _break_long_words(root: lxml.html.HtmlElement) -> None:
    """``<wbr>`` inside words of ``LONG_WORD`` characters or more, outside ``pre``: where a
    URL or path may break (see ``_BREAK_AFTER``). Nothing is added to the text itself, so
    copying it from the PDF or the EPUB gives the word whole."""
    for el in list(root.iter()):  # a list: the spans inserted on the way are not visited
        if el.tag in ("pre", "wbr") or any(a.tag == "pre" for a in el.iterancestors()):
            continue
        if el.text and _LONG.search(el.text):
            _split_text(el, "text")
        for child in list(el):
            if child.tail and _LONG.search(child.tail):
                _split_text(child, "tail")


def _split_text(el: lxml.html.HtmlElement, where: str) -> None:
    """Rewrite ``el.text`` (or its tail) with each long word in a ``span.long-word`` that
    holds its pieces and ``<wbr>`` between them (the span keeps hyphenation out: a URL
    broken at a slash must not also get a hyphen)."""
    text = getattr(el, where)
    before = 0
    spans: list[tuple[str, lxml.html.HtmlElement]] = []  # (text before, span)
    for match in _LONG.finditer(text):
        word = match[0]
        cut = [0, *_break_points(word), len(word)]
        if len(cut) == 2:
            continue
        span = lxml.html.Element("span")
        span.set("class", "long-word")
        span.text = word[: cut[1]]
        for a, b in itertools.pairwise(cut[1:]):
            wbr = lxml.html.Element("wbr")
            wbr.tail = word[a:b]
            span.append(wbr)
        spans.append((text[before : match.start()], span))
        before = match.end()
    if not spans:
        return
    rest = text[before:]
    setattr(el, where, spans[0][0])
    parent, index = (el, 0) if where == "text" else (el.getparent(), el.getparent().index(el) + 1)
    for n, (lead, span) in enumerate(spans):
        if n:
            spans[n - 1][1].tail = lead
        parent.insert(index + n, span)
    spans[-1][1].tail = rest


WIDE_TABLE = 6  # columns from which a table's type steps down (cols-6 … cols-9, cols-many)


def _table_widths(root: lxml.html.HtmlElement) -> None:
    """Class a table by its number of columns (``cols-6`` … ``cols-9``, ``cols-many``), so
    the style sheets can set wide tables in smaller type."""
    for table in root.iter("table"):
        columns = max(
            (
                sum(int(c.get("colspan") or 1) if (c.get("colspan") or "1").isdigit() else 1
                    for c in row if c.tag in ("td", "th"))
                for row in table.iter("tr")
            ),
            default=0,
        )  # fmt: skip
        if columns >= WIDE_TABLE:
            name = f"cols-{columns}" if columns < 10 else "cols-many"
            table.set("class", f"{table.get('class', '')} {name}".strip())


class CrampedTable(Protocol):
    """What the layout says of a table too cramped to read (``writers.pdf.Cramped``)."""

    table: int  # its place among the document's tables
    per_part: int  # data columns per part


def split_tables(document: str, cramped: Sequence[CrampedTable]) -> str:
    """The HTML ``document`` with each cramped table set as several tables, each holding
    the first column (the rows' names) and the next ``per_part`` columns: the columns get
    room to be read, every cell stays, and each part still says which row is which.

    A table with merged cells (``colspan``/``rowspan``) is left whole: its columns cannot
    be cut apart cleanly. Returns ``document`` unchanged when nothing was split."""
    doc = lxml.html.document_fromstring(document)
    tables = list(doc.iter("table"))
    changed = False
    for item in sorted(cramped, key=lambda c: c.table, reverse=True):
        if not 0 <= item.table < len(tables):
            continue
        parts = _column_parts(tables[item.table], item.per_part)
        if len(parts) < 2:
            continue
        original = tables[item.table]
        original.addnext(parts[0])
        for before, part in itertools.pairwise(parts):
            before.addnext(part)
        parts[-1].tail = original.tail
        original.getparent().remove(original)
        changed = True
    if not changed:
        return document
    return lxml.html.tostring(doc, doctype="<!DOCTYPE html>", encoding="unicode")


def replace_content(document: str, ident: str, fragment: str) -> str:
    """The HTML ``document`` with the content of the element whose id is ``ident``
    replaced by ``fragment`` (the print index, once its pages are known); unchanged when
    no element has that id."""
    doc = lxml.html.document_fromstring(document)
    found = doc.get_element_by_id(ident, None)
    if found is None:
        return document
    for child in list(found):
        found.remove(child)
    new = lxml.html.fragment_fromstring(fragment or "<p></p>", create_parent="div")
    found.text = new.text
    for child in list(new):
        found.append(child)
    return lxml.html.tostring(doc, doctype="<!DOCTYPE html>", encoding="unicode")


def _column_parts(table: lxml.html.HtmlElement, per_part: int) -> list[lxml.html.HtmlElement]:
    rows = list(table.iter("tr"))
    cells = [[c for c in row if c.tag in ("td", "th")] for row in rows]
    if not rows or any(c.get("colspan") or c.get("rowspan") for r in cells for c in r):
        return []
    columns = max(len(r) for r in cells)
    if columns < 3 or per_part < 1 or any(len(r) != columns for r in cells):
        return []
    parts: list[lxml.html.HtmlElement] = []
    starts = range(1, columns, per_part)
    for n, start in enumerate(starts):
        keep = {0, *range(start, min(columns, start + per_part))}
        part = copy.deepcopy(table)
        part.tail = None
        for row in part.iter("tr"):
            for i, cell in enumerate([c for c in row if c.tag in ("td", "th")]):
                if i not in keep:
                    row.remove(cell)
        if n:
            for caption in part.findall("caption"):
                part.remove(caption)
        classes = (part.get("class") or "").split()
        classes = [c for c in classes if not c.startswith("cols-")]
        if len(keep) >= WIDE_TABLE:
            classes.append(f"cols-{len(keep)}" if len(keep) < 10 else "cols-many")
        classes.append("table-part")
        part.set("class", " ".join(classes))
        part.set("data-part", f"{n + 1}/{len(starts)}")
        parts.append(part)
    return parts


def _figures(root: lxml.html.HtmlElement) -> None:
    """A paragraph that holds only an image becomes a figure, captioned by the image's
    title, else its alt text (Pandoc's implicit figures)."""
    for p in list(root.iter("p")):
        children = list(p)
        if len(children) != 1 or children[0].tag != "img":
            continue
        img = children[0]
        if (p.text or "").strip() or (img.tail or "").strip():
            continue
        caption = " ".join((img.get("title") or img.get("alt") or "").split())
        figure = lxml.html.Element("figure")
        img.tail = None
        figure.append(img)
        if caption:
            figcaption = lxml.html.Element("figcaption")
            figcaption.text = caption
            figure.append(figcaption)
        _replace(p, figure)


def _named_anchors(root: lxml.html.HtmlElement) -> None:
    """``<a name="x">`` becomes ``<a id="x">`` so links to ``#x`` keep working; ``name`` is
    obsolete in HTML5 and EPUB 3. A name that is already an id elsewhere is dropped (the
    first target wins; ids must stay unique), and an anchor that has an id keeps it."""
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    for a in root.iter("a"):
        name = (a.attrib.pop("name", None) or "").strip()
        if name and not a.get("id") and name not in ids and not any(c.isspace() for c in name):
            a.set("id", name)
            ids.add(name)


def _links(
    root: lxml.html.HtmlElement, emit: Emit, resolve: Callable[[str], str | None] | None
) -> None:
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    for a in list(root.iter("a")):
        href = a.get("href")
        if href is None:
            if not a.get("id"):
                _unwrap(a)  # a bare <a> (its href was not allowed): keep the text only
            continue
        href = href.strip()
        if "xref" in (a.get("class") or "").split():
            continue  # a cross-reference the apparatus resolved, maybe into another file
        if href.startswith("#"):
            if href[1:] in ids:
                continue
            if unquote(href[1:]) in ids:
                # A reader percent-encoded a non-ASCII fragment ("#%D0%BC…" for "#м…"):
                # the id is written as is, and so is the link to it.
                a.set("href", "#" + unquote(href[1:]))
                continue
            emit(
                "link.fragment",
                href,
                f"link to #{href[1:]} matches no heading or anchor",
                "kept the link text only",
                Severity.WARNING,
            )
            _unwrap(a)
        elif not href:
            emit(
                "link.empty",
                "]()",
                f"link {_text_of(a)!r} has no target",
                "kept its text",
                Severity.WARNING,
            )
            _unwrap(a)
        elif not is_remote(href):
            target = resolve(href) if resolve else None
            if target is not None:
                a.set("href", target)
                continue
            emit(
                "link.unresolved",
                href,
                f"link to {href[:80]!r} leads to a file the output does not carry",
                "kept the link text only",
                Severity.WARNING,
            )
            _unwrap(a)


_FN_REF = re.compile(r"^fnref\d*-")


def _notes(
    root: lxml.html.HtmlElement,
) -> tuple[lxml.html.HtmlElement | None, dict[str, lxml.html.HtmlElement]]:
    div = next((d for d in root.iter("div") if d.get("class") == "footnote"), None)
    notes: dict[str, lxml.html.HtmlElement] = {}
    if div is not None:
        for li in div.iter("li"):
            if li.get("id", "").startswith("fn-"):
                notes[li.get("id")] = li
                for back in li.find_class("footnote-backref"):
                    _replace(back, "")
    return div, notes


def _footnotes_inline(root: lxml.html.HtmlElement) -> None:
    div, notes = _notes(root)
    if div is None:
        return
    placed: set[str] = set()
    for sup in list(root.iter("sup")):
        if not _FN_REF.match(sup.get("id", "")):
            continue
        link = sup.find("a")
        target = (link.get("href") or "")[1:] if link is not None else ""
        li = notes.get(target)
        if li is None:
            continue
        # A note that calls itself ("[^1]: see [^1]") cannot move into its own call: it
        # becomes a plain link to the note (found by tests/fuzz/fuzz_normalize.py).
        if target in placed or any(parent is li for parent in sup.iterancestors()):
            again = lxml.html.Element("a", href=f"#{target}")
            again.set("class", "footnote-again")
            again.text = link.text
            wrapper = lxml.html.Element("sup")
            wrapper.append(again)
            _replace(sup, wrapper)
            continue
        placed.add(target)
        span = lxml.html.Element("span", id=target)
        span.set("class", "footnote")
        blocks = list(li)
        paragraphs = all(child.tag == "p" for child in blocks)
        if paragraphs:
            for i, p in enumerate(blocks):
                if i:
                    span.append(lxml.html.Element("br"))
                    span[-1].tail = p.text
                elif p.text:
                    span.text = (span.text or "") + p.text
                for child in list(p):
                    span.append(child)
        else:
            span.text = li.text
            for child in blocks:
                span.append(child)
        _strip_trailing_space(span)
        _collapse_newlines(span)
        _replace(sup, span)
    div.getparent().remove(div)


def _collapse_newlines(el: lxml.html.HtmlElement) -> None:
    """Source line breaks inside a note become spaces: WeasyPrint 70 keeps them as hard
    breaks in a footnote, leaving ragged short lines at the foot of the page."""
    for node in el.iter():
        if node.tag == "pre":
            continue
        if node.text and "\n" in node.text:
            node.text = node.text.replace("\n", " ")
        if node is not el and node.tail and "\n" in node.tail:
            node.tail = node.tail.replace("\n", " ")


def _strip_trailing_space(el: lxml.html.HtmlElement) -> None:
    if len(el):
        el[-1].tail = (el[-1].tail or "").rstrip("\xa0 \n")
    else:
        el.text = (el.text or "").rstrip("\xa0 \n")


def _footnotes_epub(root: lxml.html.HtmlElement, text: Text) -> None:
    div, notes = _notes(root)
    if div is None:
        return
    first_ref: dict[str, str] = {}
    number = {ident: n for n, ident in enumerate(notes, start=1)}
    for sup in root.iter("sup"):
        link = sup.find("a")
        if _FN_REF.match(sup.get("id", "")) and link is not None:
            target = (link.get("href") or "")[1:]
            first_ref.setdefault(target, sup.get("id"))
            link.set("data-epub-type", "noteref")
            link.set("role", "doc-noteref")
            link.set("id", sup.get("id"))
            if target in number:
                link.set("aria-label", text("Note %(n)s", n=number[target]))
            del sup.attrib["id"]
    section = lxml.html.Element("section")
    section.set("class", "footnotes")
    section.set("data-epub-type", "footnotes")
    section.set("aria-label", text("Notes"))
    for n, (ident, li) in enumerate(notes.items(), start=1):
        aside = lxml.html.Element("aside", id=ident)
        aside.set("data-epub-type", "footnote")
        aside.set("role", "doc-footnote")
        back = lxml.html.Element("a", href=f"#{first_ref.get(ident, ident)}")
        back.set("role", "doc-backlink")
        back.set("aria-label", text("Back to the text of note %(n)s", n=n))
        back.text = f"{n}."
        blocks = list(li)
        if blocks and blocks[0].tag == "p":
            first = blocks[0]
            back.tail = " " + (first.text or "")
            first.text = None
            first.insert(0, back)
        else:
            p = lxml.html.Element("p")
            p.append(back)
            aside.append(p)
        for child in blocks:
            aside.append(child)
        for block in aside:
            _strip_trailing_space(block)
        section.append(aside)
    _replace(div, section)

"""The Python-Markdown dialect (the only module that imports ``markdown``).

For sources written for Python-Markdown (MkDocs sites: four-space list indents, ``!!!``
admonitions, ``{: .class}`` attribute lists). Three services, as every dialect offers:

- ``render(text)``: the HTML fragment with unique heading ids and footnotes renumbered
  ``fn-1``/``fnref-1``, in the shape the pipeline expects; code blocks go through
  ``highlight.code_block`` like the CommonMark reader's;
- ``blocks(text)`` and ``anchors(text)``: the block map and the heading ids, predicted on
  the source by ``pyblocks`` (the library keeps no line numbers).

Extensions: tables, fenced code, footnotes, attribute lists, definition lists,
abbreviations, sane lists, admonitions, Markdown in HTML (``markdown="1"``).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from functools import lru_cache

import markdown as md_lib
from markdown.extensions import Extension
from markdown.extensions.admonition import AdmonitionExtension, AdmonitionProcessor
from markdown.extensions.footnotes import FootnoteExtension, FootnoteInlineProcessor
from markdown.treeprocessors import Treeprocessor

from ..model import Heading
from ..slugs import UniqueIds, slugify
from .highlight import code_block
from .pyblocks import anchors, blocks

__all__ = ["NAME", "anchors", "blocks", "render"]

NAME = "python-markdown"

_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_STASH = re.compile("\x02wzxhzdk:(\\d+)\x03")
_ESCAPED = re.compile("\x02(\\d+)\x03")
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


# ---------------------------------------------------------------------------------------
# Rendering


def _text(el: etree.Element, stash: list[object]) -> str:
    """The plain text of ``el`` as a reader sees it. At this stage raw HTML and entities are
    placeholders into the parser's stash and escaped characters are ``\\x02<ord>\\x03``:
    entities become their character, raw tags nothing, escapes their character (else
    ``## Foo \\*`` would get the id ``foo-42``). ``anchors`` predicts this text."""

    def stashed(match: re.Match[str]) -> str:
        index = int(match[1])
        raw = stash[index] if index < len(stash) else ""
        return html.unescape(raw) if isinstance(raw, str) and _ENTITY.fullmatch(raw) else ""

    text = _STASH.sub(stashed, "".join(el.itertext()))
    text = _ESCAPED.sub(lambda match: chr(int(match[1])), text)
    return " ".join(text.split())


class _Ids(Treeprocessor):
    """Assign unique heading ids and renumber footnote ids (runs after footnotes)."""

    def __init__(self, md: md_lib.Markdown) -> None:
        super().__init__(md)
        self.headings: list[Heading] = []

    def run(self, root: etree.Element) -> None:
        ids = UniqueIds()
        self.headings = []
        elements = list(root.iter())
        notes = _footnote_elements(root)
        # Ids written by the author are honoured first, so a generated slug never takes them.
        explicit = [el for el in elements if el.get("id") and id(el) not in notes]
        for el in explicit:
            el.set("id", ids.make(el.get("id", "")))
        # A heading quoted in a block quote gets an id but is no section of the outline.
        quoted = {
            id(h) for q in root.iter("blockquote") for h in q.iter() if h.tag in _HEADING_TAGS
        }
        for el in elements:
            if el.tag in _HEADING_TAGS:
                text = _text(el, self.md.htmlStash.rawHtmlBlocks)
                if not el.get("id"):
                    el.set("id", ids.make(slugify(text)))
                if id(el) not in quoted:
                    self.headings.append(Heading(int(el.tag[1]), text, el.get("id", "")))
        _renumber_footnotes(elements, ids, notes)


def _footnote_elements(root: etree.Element) -> set[int]:
    """Identities of the elements the footnotes extension made (its calls and notes),
    told apart by structure, not by id, so an author's ``{#fn-1}`` is not mistaken."""
    made: set[int] = set()
    for el in root.iter():
        if el.tag == "sup" and any(a.get("class") == "footnote-ref" for a in el):
            made.add(id(el))
        elif el.tag == "div" and el.get("class") == "footnote":
            made.update(id(li) for ol in el for li in ol if li.tag == "li")
    return made


def _renumber_footnotes(elements: list[etree.Element], ids: UniqueIds, made: set[int]) -> None:
    """``fn-my label`` → ``fn-1``; every ``href="#…"`` that pointed at the old id follows."""
    refs: dict[str, list[tuple[str, etree.Element]]] = {}
    notes: list[etree.Element] = []
    for el in elements:
        ident = el.get("id") or ""
        if id(el) not in made:
            continue
        if el.tag == "li" and ident.startswith("fn-"):
            notes.append(el)
        elif el.tag == "sup" and (match := re.fullmatch(r"fnref(\d*)-(.*)", ident)):
            refs.setdefault(match[2], []).append((match[1], el))
    mapping: dict[str, str] = {}
    for n, li in enumerate(notes, start=1):
        old = li.get("id", "")
        mapping[old] = ids.make(f"fn-{n}")
        li.set("id", mapping[old])
        for repeat, sup in refs.get(old.removeprefix("fn-"), ()):
            new = ids.make(f"fnref{repeat}-{n}")
            mapping[sup.get("id", "")] = new
            sup.set("id", new)
    if not mapping:
        return
    for el in elements:
        href = el.get("href") or ""
        if href.startswith("#") and href[1:] in mapping:
            el.set("href", "#" + mapping[href[1:]])


class _Notes(FootnoteExtension):
    """The footnotes extension with calls numbered through a map: its own inline
    processor rebuilds the list of labels for every call (quadratic in the notes)."""

    def extendMarkdown(self, md: md_lib.Markdown) -> None:
        super().extendMarkdown(md)
        pattern = md.inlinePatterns["footnote"].pattern
        md.inlinePatterns.register(_NoteCalls(pattern, self), "footnote", 175)


class _NoteCalls(FootnoteInlineProcessor):
    """``[^x]`` → the numbered call; definition order, as the stock processor does."""

    def __init__(self, pattern: str, footnotes: FootnoteExtension) -> None:
        super().__init__(pattern, footnotes)
        self._of: object = None  # the footnotes mapping the index below was built for
        self._size = -1
        self._number: dict[str, int] = {}
        self._called: set[str] = set()

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element | None, int | None, int | None]:
        notes = self.footnotes
        label = m.group(1)
        if label not in notes.footnotes:
            return None, None, None
        if self._of is not notes.footnotes or self._size != len(notes.footnotes):
            # A new document (reset() made a new mapping) or new definitions: re-index.
            self._of, self._size = notes.footnotes, len(notes.footnotes)
            self._number = {key: n for n, key in enumerate(notes.footnotes, start=1)}
            self._called = set(notes.footnote_order)
        if label not in self._called:
            self._called.add(label)
            notes.footnote_order.append(label)
        sup = etree.Element("sup")
        a = etree.SubElement(sup, "a")
        sup.set("id", notes.makeFootnoteRefId(label, found=True))
        a.set("href", "#" + notes.makeFootnoteId(label))
        a.set("class", "footnote-ref")
        a.text = notes.getConfig("SUPERSCRIPT_TEXT").format(self._number[label])
        return sup, m.start(0), m.end(0)


class _Admonitions(AdmonitionExtension):
    def extendMarkdown(self, md: md_lib.Markdown) -> None:
        md.registerExtension(self)
        md.parser.blockprocessors.register(_Admonition(md.parser), "admonition", 105)


class _Admonition(AdmonitionProcessor):
    """``!!! tip``: Python-Markdown would title it "Tip", in English whatever the
    document's language. Its title paragraph is left empty, for the tree stage to word in
    the document's language, as every reader leaves a title it did not get from the
    author; ``!!! tip "Title"`` keeps its title and ``!!! tip ""`` stays without one."""

    def get_class_and_title(self, match: re.Match[str]) -> tuple[str, str | None]:
        klass, title = super().get_class_and_title(match)
        return klass, (None if match.group(2) is None else title)

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        found = self.RE.search(blocks[0]) if blocks else None
        super().run(parent, blocks)
        if found is None or found.group(2) is not None or not len(parent):
            return
        box = parent[-1]  # the admonition just made (what follows is not parsed yet)
        if box.tag == "div" and (box.get("class") or "").startswith(self.CLASSNAME + " "):
            title = etree.Element("p", {"class": self.CLASSNAME_TITLE})
            title.text = ""
            box.insert(0, title)


class _PressroomExtension(Extension):
    def extendMarkdown(self, md: md_lib.Markdown) -> None:
        processor = _Ids(md)
        md.treeprocessors.register(processor, "pressroom_ids", 4)
        md.pressroom_ids = processor  # type: ignore[attr-defined]


@lru_cache(maxsize=1)
def _engine() -> md_lib.Markdown:
    # One engine per process, reset between documents: building it costs more than a
    # short article's conversion.
    return md_lib.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            _Notes(SEPARATOR="-", BACKLINK_TEXT="↩", UNIQUE_IDS=False),
            "attr_list",
            "def_list",
            "abbr",
            "sane_lists",
            _Admonitions(),
            # Markdown inside raw HTML marked markdown="1": the asides the ``shapes`` rule
            # makes of ":::" containers keep their inner Markdown rendered.
            "md_in_html",
            _PressroomExtension(),
        ],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )


# Code blocks as Python-Markdown writes them (fenced_code and indented code), highlighted
# afterwards by the shared highlighter. Only blocks whose content is escaped text (no tag
# inside) are ours; a <pre><code> written in raw HTML with markup inside stays as it is.
_CODE = re.compile(r"<pre><code(?P<attrs>[^>]*)>(?P<body>[^<]*)</code></pre>")
_LANGUAGE = re.compile(r'\bclass="language-(?P<lang>[^"\s]*)')
_TITLE = re.compile(r'\btitle="(?P<title>[^"]*)"')


def _highlighted(match: re.Match[str]) -> str:
    attrs = match["attrs"]
    lang = _LANGUAGE.search(attrs)
    title = _TITLE.search(attrs)
    return code_block(
        html.unescape(match["body"]),
        lang["lang"] if lang else "",
        html.unescape(title["title"]) if title else "",
    ).rstrip("\n")


def render(text: str) -> tuple[str, tuple[Heading, ...]]:
    """The HTML fragment of ``text`` and its headings (ids assigned), not sanitized.

    Raises ``RecursionError`` on nesting the library cannot handle (the caller refuses the
    document); the engine is reset before every document.
    """
    engine = _engine()
    engine.reset()
    out = engine.convert(text)
    headings = tuple(engine.pressroom_ids.headings)  # type: ignore[attr-defined]
    # Placeholders the library can leave behind in odd nestings (an unclosed link inside
    # a footnote) are control characters: they go.
    out = _STASH.sub("", out)
    out = _CODE.sub(_highlighted, out)
    return out, headings

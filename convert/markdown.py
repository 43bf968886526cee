"""Stage 3, parse: normalized Markdown → a sanitized HTML fragment and its headings.

The only module that imports Python-Markdown (and, for the stylesheet of highlighted
code, Pygments).

Contract:
- Extensions: tables, fenced code, footnotes, attribute lists, code highlighting.
- Every heading gets a unique id: an explicit ``{#id}`` is kept, otherwise GitHub's slug,
  repeats numbered ``-1``, ``-2`` (``slugs.py``), so fragment links written for GitHub work.
- Footnote ids are renumbered ``fn-1``/``fnref-1`` whatever their labels were, so they are
  always valid XML ids.
- The result has passed the raw-HTML allow-list (``sanitize.clean``).
- Bounded: Python-Markdown recurses once per level of block quote or list, so a text nested
  deeper than ``MAX_NESTING`` levels is refused up front (``markdown.too-deep``) by a
  linear scan, and a ``RecursionError`` that still escapes becomes the same error. Footnote
  calls are numbered through a map, not a list scan per call (10^5 notes stay linear).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from functools import lru_cache

import markdown as md_lib
from markdown.extensions import Extension
from markdown.extensions.footnotes import FootnoteExtension, FootnoteInlineProcessor
from markdown.treeprocessors import Treeprocessor
from pygments.formatters import HtmlFormatter

from .errors import ConvertError
from .model import Article, Heading, Parsed
from .sanitize import clean
from .slugs import UniqueIds, slugify

# Levels of block quote and list nesting a document may use. Real articles stay under ten;
# Python-Markdown needs several stack frames per level (and its block quote handling is
# quadratic in depth), so this is far below where it breaks and far above real use.
MAX_NESTING = 100

_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_STASH = re.compile("\x02wzxhzdk:(\\d+)\x03")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ESCAPED = re.compile("\x02(\\d+)\x03")
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def _text(el: etree.Element, stash: list[object]) -> str:
    """The plain text of ``el`` as a reader sees it. At this stage raw HTML and entities are
    placeholders into the parser's stash and escaped characters are ``\\x02<ord>\\x03``:
    entities become their character, raw tags nothing, escapes their character (else
    ``## Foo \\*`` would get the id ``foo-42``). ``normalize.anchors`` predicts this text."""

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
        for el in elements:
            if el.tag in _HEADING_TAGS:
                text = _text(el, self.md.htmlStash.rawHtmlBlocks)
                if not el.get("id"):
                    el.set("id", ids.make(slugify(text)))
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


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# The nesting prefix of a line: block quote markers and list markers ("- - - x" is three
# nested lists), with the spaces between them.
_PREFIX = re.compile(r"^(?:[ \t]*(?:>|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)))+")

_MARKER = re.compile(r">|[-*+]|\d{1,9}[.)]")


def nesting_depth(text: str) -> tuple[int, int]:
    """The deepest block nesting in ``text`` and its 1-based line: quote and list markers
    at the start of a line, plus one level per 4 columns of indentation before them.
    Fenced code is skipped (it is stashed before block parsing). One pass, linear."""
    deepest, where = 0, 0
    fence = ""
    for number, line in enumerate(text.split("\n"), start=1):
        if fence:
            if line.strip().startswith(fence):
                fence = ""
            continue
        if match := _FENCE.match(line):
            fence = match[1]
            continue
        prefix = _PREFIX.match(line)
        if prefix is None:
            continue
        run = prefix[0].expandtabs(4)
        indent = len(run) - len(run.lstrip(" "))
        depth = indent // 4 + len(_MARKER.findall(run))
        if depth > deepest:
            deepest, where = depth, number
    return deepest, where


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
            "codehilite",
            # Markdown inside raw HTML marked markdown="1": the asides the ``shapes`` rule
            # makes of ":::" containers keep their inner Markdown rendered.
            "md_in_html",
            _PressroomExtension(),
        ],
        extension_configs={
            "codehilite": {"css_class": "highlight", "guess_lang": False},
            "tables": {"use_align_attribute": True},
        },
        output_format="html",
    )


def parse(article: Article) -> Parsed:
    """Render ``article.markdown`` to a sanitized HTML fragment with unique ids."""
    depth, line = nesting_depth(article.markdown)
    if depth > MAX_NESTING:
        raise ConvertError(
            f"block quotes or lists nested {depth} levels deep (line {article.line_of(line - 1)}),"
            f" over the limit of {MAX_NESTING}",
            path=article.source,
            code="markdown.too-deep",
        )
    engine = _engine()
    engine.reset()
    try:
        html = engine.convert(article.markdown)
    except RecursionError:
        # Nesting the pre-check does not see (raw HTML, emphasis): same refusal. The
        # engine is left mid-document; the next parse resets it.
        raise ConvertError(
            "the text nests too deeply to parse", path=article.source, code="markdown.too-deep"
        ) from None
    headings = tuple(engine.pressroom_ids.headings)  # type: ignore[attr-defined]
    # Python-Markdown can leave its raw-HTML placeholders behind in odd nestings (an
    # unclosed link inside a footnote); they are control characters lxml refuses later.
    html = clean(_CONTROL.sub("", _STASH.sub("", html)))
    # Again after the sanitizer: it decodes character references, and "&#6;" (or one that
    # Python-Markdown's unescaping assembles from odd backslash runs) is a control
    # character again, which lxml refuses (found by tests/fuzz/fuzz_normalize.py).
    # Replaced, not deleted: deleting would join "java&#6;script:", which the sanitizer
    # let through as no scheme at all, into a live "javascript:" URL.
    html = _CONTROL.sub("\ufffd", html)
    return Parsed(html=html, headings=headings, has_code="<pre" in html)


@lru_cache(maxsize=8)
def highlight_css(style: str = "friendly") -> str:
    """CSS for highlighted code in the given Pygments style, scoped to ``.highlight``."""
    return HtmlFormatter(style=style).get_style_defs(".highlight")

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
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from functools import lru_cache

import markdown as md_lib
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from pygments.formatters import HtmlFormatter

from .model import Article, Heading, Parsed
from .sanitize import clean
from .slugs import UniqueIds, slugify

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


def _renumber_footnotes(
    elements: list[etree.Element], ids: UniqueIds, made: set[int]
) -> None:
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
            "footnotes",
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
            "footnotes": {"SEPARATOR": "-", "BACKLINK_TEXT": "↩", "UNIQUE_IDS": False},
            "codehilite": {"css_class": "highlight", "guess_lang": False},
            "tables": {"use_align_attribute": True},
        },
        output_format="html",
    )


def parse(article: Article) -> Parsed:
    """Render ``article.markdown`` to a sanitized HTML fragment with unique ids."""
    engine = _engine()
    engine.reset()
    html = engine.convert(article.markdown)
    headings = tuple(engine.pressroom_ids.headings)  # type: ignore[attr-defined]
    # Python-Markdown can leave its raw-HTML placeholders behind in odd nestings (an
    # unclosed link inside a footnote); they are control characters lxml refuses later.
    html = clean(_CONTROL.sub("", _STASH.sub("", html)))
    return Parsed(html=html, headings=headings, has_code="<pre" in html)


@lru_cache(maxsize=8)
def highlight_css(style: str = "friendly") -> str:
    """CSS for highlighted code in the given Pygments style, scoped to ``.highlight``."""
    return HtmlFormatter(style=style).get_style_defs(".highlight")

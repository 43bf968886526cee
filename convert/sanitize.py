"""Raw HTML allow-list (the only module that imports nh3).

Contract: ``clean(html)`` returns HTML that holds only the elements and attributes an
article legitimately uses: text structure, tables, figures, footnotes, code highlighting
spans, ``abbr``, ``details``, ids and classes. No scripts, event handlers, ``style``,
``javascript:``/``file:`` URLs, frames, objects, forms (an ``input`` stays for task list
boxes; the tree stage keeps checkboxes only, as characters), ``<meta>`` or ``<link>`` survive,
and ``rel`` is dropped so ``<a rel="attachment">`` cannot make WeasyPrint embed a file.
"""

from __future__ import annotations

import nh3

_TAGS = {
    "a", "abbr", "aside", "b", "blockquote", "br", "caption", "cite", "code", "col",
    "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption",
    "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
    "mark", "ol", "p", "pre", "q", "s", "samp", "section", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u",
    "ul", "var", "wbr",
    # Task list boxes (``- [x]``); the tree stage turns them into characters and removes
    # any other kind of input.
    "input",
}  # fmt: skip

_COMMON = {"id", "class", "lang", "dir", "title"}
_ATTRIBUTES = {
    "*": _COMMON,
    # ``name``: old-style anchors (``<a name="x">``); the tree stage turns it into an id.
    "a": _COMMON | {"href", "name"},
    "img": _COMMON | {"src", "alt", "width", "height"},
    "td": _COMMON | {"colspan", "rowspan", "align"},
    "th": _COMMON | {"colspan", "rowspan", "align", "scope"},
    "ol": _COMMON | {"start", "reversed", "type"},
    "li": _COMMON | {"value"},
    "time": _COMMON | {"datetime"},
    "abbr": _COMMON,
    "details": _COMMON | {"open"},
    "col": _COMMON | {"span"},
    "input": {"type", "checked", "disabled"},
    # An index mark (``[lead]{.index entry="type!lead"}``): its entry, cross-references
    # and sort key, read by the apparatus (convert/apparatus/index.py). Plain text.
    "span": _COMMON | {"data-index", "data-see", "data-also", "data-sort"},
}

_SCHEMES = {"http", "https", "mailto"}


def clean(html: str) -> str:
    """The allow-listed subset of ``html`` (a body fragment)."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )

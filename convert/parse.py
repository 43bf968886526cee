"""Stage 3, parse: normalized Markdown → a sanitized HTML fragment and its headings.

Contract:
- The article's dialect reads it (``convert.markdown``: CommonMark/GFM by default,
  Python-Markdown when the document or the run asks for it); both give the same fragment
  model, so rendering, themes and writers do not care which one read the text.
- Every heading gets a unique id: an explicit ``{#id}`` is kept, otherwise GitHub's slug,
  repeats numbered ``-1``, ``-2`` (``slugs.py``), so fragment links written for GitHub work.
- Footnotes are numbered ``fn-1``/``fnref-1`` whatever their labels were, so they are
  always valid XML ids.
- The result has passed the raw-HTML allow-list (``sanitize.clean``).
- Bounded: a text nested deeper than ``markdown.nesting.MAX_NESTING`` levels of block
  quotes or lists is refused up front (``markdown.too-deep``) by a linear scan; a
  ``RecursionError`` that still escapes a parser becomes the same error.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .errors import ConvertError
from .markdown import dialect
from .markdown.nesting import refuse_deep
from .model import Article, Heading, Parsed
from .sanitize import clean
from .slugs import xml_name

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# An id written with a colon (a label, ``{#fig:map}``) and the links to it.
_LABEL_ID = re.compile(r'(\sid=")([^"]*:[^"]*)"')
_LABEL_HREF = re.compile(r'(\shref="#)([^"]*:[^"]*)"')


def parse(article: Article) -> Parsed:
    """Render ``article.markdown`` in its dialect to a sanitized HTML fragment."""
    refuse_deep(article)
    try:
        html, headings = dialect(article.dialect).render(article.markdown)
    except RecursionError:
        # Nesting the pre-check does not see (raw HTML, emphasis): same refusal.
        raise ConvertError(
            "the text nests too deeply to parse", path=article.source, code="markdown.too-deep"
        ) from None
    html = clean(_CONTROL.sub("", html))
    # Again after the sanitizer: it decodes character references, and "&#6;" is a control
    # character again, which lxml refuses (found by tests/fuzz/fuzz_normalize.py).
    # Replaced, not deleted: deleting would join "java&#6;script:", which the sanitizer
    # let through as no scheme at all, into a live "javascript:" URL.
    html = _CONTROL.sub("\ufffd", html)
    html, headings = _labels(html, headings)
    return Parsed(html=html, headings=headings, has_code="<pre" in html)


def _labels(html: str, headings: tuple[Heading, ...]) -> tuple[str, tuple[Heading, ...]]:
    """Ids written as labels (``{#sec:method}``) become XML names (``sec.method``, an EPUB
    refuses colons in ids), the label kept in ``data-label`` for the apparatus; the links
    to them and the outline follow."""
    if ":" not in html:
        return html, headings
    html = _LABEL_ID.sub(lambda m: f'{m[1]}{xml_name(m[2])}" data-label="{m[2]}"', html)
    html = _LABEL_HREF.sub(lambda m: f'{m[1]}{xml_name(m[2])}"', html)
    return html, tuple(replace(h, id=xml_name(h.id)) for h in headings)

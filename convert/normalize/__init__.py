"""Stage 2, normalize: an ``Article`` → a repaired ``Article``, every repair reported.

Contract: rules never drop real text, never touch fenced code, and report every change
as a diagnostic into the report they are given. Running ``normalize`` on its own output
changes nothing and reports no repairs (idempotent).

The rules run in the order of ``RULES``; the comments say why where order matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ..diagnostics import Report
from ..errors import ConvertError
from ..markdown.nesting import refuse_deep
from ..model import Article
from . import (
    cell_lists,
    code_tags,
    comments,
    debris,
    duplicate_headings,
    empty_sections,
    footnotes,
    fragments,
    frontmatter,
    glued_heading,
    heading_levels,
    images,
    language,
    liquid,
    portable,
    references,
    self_closing,
    shapes,
    site_links,
    title,
    video,
    wikitext,
)
from .base import Context, Rule, doc_from_text, doc_text

RULES: tuple[Rule, ...] = (
    # Markup that is not Markdown, before anything reads the lines. First, code written as
    # template tags ({% highlight %}) becomes fenced code, off limits to every later rule.
    code_tags.RULE,
    # Then comments: commented-out content is not content, no rule should report on it.
    comments.RULE,
    # XML-style raw HTML (<sup … />) before anything reads the HTML it would swallow.
    self_closing.RULE,
    # Video embeds before the template rules, which would remove them as unknown tags.
    video.RULE,
    # Liquid/Hugo before wikitext: "{{< … >}}" and "{{ site.x }}" are theirs, the rest of
    # "{{…}}" is wiki templates. Both before glued_heading and debris: an infobox holds
    # lines that look like headings, debris and images.
    liquid.RULE,
    wikitext.RULE,
    # After liquid, which turns Hexo/Hugo notes into the ":::" containers rendered here.
    shapes.RULE,
    # Split junk off headings so debris and duplicates are on lines of their own.
    glued_heading.RULE,
    debris.RULE,
    # After debris, which empties cells of "[object Object]" (no item is made of it).
    cell_lists.RULE,
    # Notes and references after debris (an "[object Object]" line is not a reference) and
    # before empty_sections (footnotes removes repeated or empty definitions). Footnotes
    # before references: "[^1]" looks like a shortcut reference. References before images,
    # which replaces remote reference-style images: counted first, their definitions are
    # known to be used, and an image reference with no definition is handled here.
    footnotes.RULE,
    references.RULE,
    # After debris (an "[object Object]" alt text is gone) and after liquid/wikitext,
    # which turn image tags and file links into the image syntax checked here.
    images.RULE,
    # After debris: "## References" / "[object Object]…" / "## References" only become
    # adjacent once the debris between them is gone.
    duplicate_headings.RULE,
    # After references, which turns references into links or text first, and after
    # images, which turns remote images into links (left alone here: they are remote).
    site_links.RULE,
    # After every rule that removes lines, so "emptied by a repair" is known.
    empty_sections.RULE,
    # Again: dropping an emptied section can leave two equal headings stacked
    # ("## Notes" / "## References" + debris / "## Notes"). Merging only ever makes
    # sections longer, so one more pass reaches the fixed point (idempotence).
    duplicate_headings.RULE,
    # Before title: a Pandoc "% Title" block becomes the title the title rule then sees;
    # after the body repairs, so a description taken from the first paragraph is clean.
    frontmatter.RULE,
    # After the body repairs: the title may come from the first heading of the repaired body.
    title.RULE,
    # After title (which takes a leading "# Title" out of the body) and after every rule
    # that removes headings: levels are computed on the final outline.
    heading_levels.RULE,
    # After every rule that adds, removes, renames or re-levels headings (title,
    # heading_levels, empty_sections, duplicate_headings): sibling repeats and the ids
    # fragment links must match are computed on the final outline.
    duplicate_headings.SIBLINGS,
    fragments.RULE,
    # On the final text: constructs other dialects read differently made explicit (blank
    # lines, indents, markers, attributes). They change nothing CommonMark reads, so no
    # rule after them needs to see it.
    portable.RULE,
    # Last of all: detection reads the final text.
    language.RULE,
)


def normalize(
    article: Article,
    report: Report,
    rules: Sequence[Rule] = RULES,
    *,
    book_sources: frozenset[Path] = frozenset(),
    remote_images: tuple[str, ...] = (),
) -> Article:
    """Apply ``rules`` in order; return the repaired article.

    ``book_sources`` are the (resolved) files of the book this article is a chapter of:
    links to them lead somewhere and are kept. Images from ``remote_images`` hosts stay
    (the renderer downloads them once into a cache).
    """
    # The rules ask the dialect's parser what each line is: a text nested too deeply for it
    # is refused here, as the parse stage would refuse it.
    refuse_deep(article)
    ctx = Context(
        path=article.source,
        root=article.root,
        report=report,
        book_sources=book_sources,
        remote_images=remote_images,
        dialect=article.dialect,
    )
    doc = doc_from_text(article.markdown, article.body_line, article.meta, article.dialect)
    try:
        for rule in rules:
            doc = rule.apply(doc, ctx)
    except RecursionError:
        # Nesting the pre-check does not see (inline markup, raw HTML): the same refusal.
        raise ConvertError(
            "the text nests too deeply to read", path=article.source, code="markdown.too-deep"
        ) from None
    return replace(
        article,
        markdown=doc_text(doc),
        meta=doc.meta,
        line_map=tuple(line.origin for line in doc.lines),
    )


__all__ = ["RULES", "Rule", "normalize"]

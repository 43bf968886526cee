"""Stage 2, normalize: an ``Article`` → a repaired ``Article``, every repair reported.

Contract: rules never drop real text, never touch fenced code, and report every change
as a diagnostic into the report they are given. Running ``normalize`` on its own output
changes nothing and reports no repairs (idempotent).

The rules run in the order of ``RULES``; the comments say why where order matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..diagnostics import Report
from ..model import Article
from . import debris, duplicate_headings, empty_sections, glued_heading, title
from .base import Context, Rule, doc_from_text, doc_text

RULES: tuple[Rule, ...] = (
    # First: split junk off headings so debris and duplicates are on lines of their own.
    glued_heading.RULE,
    debris.RULE,
    # After debris: "## References" / "[object Object]…" / "## References" only become
    # adjacent once the debris between them is gone.
    duplicate_headings.RULE,
    # After every rule that removes lines, so "emptied by a repair" is known.
    empty_sections.RULE,
    # Again: dropping an emptied section can leave two equal headings stacked
    # ("## Notes" / "## References" + debris / "## Notes"). Merging only ever makes
    # sections longer, so one more pass reaches the fixed point (idempotence).
    duplicate_headings.RULE,
    # Last: the title may come from the first heading of the repaired body.
    title.RULE,
)


def normalize(article: Article, report: Report, rules: Sequence[Rule] = RULES) -> Article:
    """Apply ``rules`` in order; return the repaired article."""
    ctx = Context(path=article.source, root=article.root, report=report)
    doc = doc_from_text(article.markdown, article.body_line, article.meta)
    for rule in rules:
        doc = rule.apply(doc, ctx)
    return replace(
        article,
        markdown=doc_text(doc),
        meta=doc.meta,
        line_map=tuple(line.origin for line in doc.lines),
    )


__all__ = ["RULES", "Rule", "normalize"]

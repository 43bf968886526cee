"""No text lost: every word a reader could see in the source appears in the repaired
document, except the debris and the markup the rules exist to remove.

Checked on every file of the shared corpus and every sample article. "What a reader could
see" is the source rendered by the document's own Markdown reader (CommonMark unless it
says otherwise) with template and Liquid tags and HTML comments taken out (they are not
prose); words may only go missing if they are serialization debris or the text of a
heading a repair removed (reported)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from convert.diagnostics import Report
from convert.load import LoadOptions, load
from convert.markdown import dialect
from convert.normalize import normalize
from tests.conftest import CONTENT, corpus_files

WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
TAGS = re.compile(r"<[^>]+>")
MARKUP = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|<!--.*?-->", re.S)
# A link's destination (and title) is not prose, even where a reader prints it because
# the destination is invalid ("[foo](/bar and baz)" in CommonMark).
DESTINATION = re.compile(r"\]\([^()\n]*\)")
DEBRIS = {"object", "Object", "undefined", "null", "NaN"}


def _visible(markdown: str, reader: str) -> Counter[str]:
    html, _ = dialect(reader).render(DESTINATION.sub("]", MARKUP.sub(" ", markdown)))
    return Counter(WORD.findall(TAGS.sub(" ", html)))


FILES = [*corpus_files(), *sorted((CONTENT / "articles").glob("*.md"))]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_word_is_lost(path: Path) -> None:
    report = Report()
    article = load(path, report, LoadOptions())
    repaired = normalize(article, report)
    meta = repaired.meta
    shown = _visible(repaired.markdown, article.dialect) + Counter(
        WORD.findall(
            " ".join([meta.title, meta.subtitle, meta.description, *meta.authors, *meta.tags])
        )
    )
    # Words a repair may take away, each named by its diagnostic: the title of a heading
    # it removed, the label of a reference or note call (a label is not prose, but plain
    # Markdown prints an unresolved "[text][label]" literally).
    removed_headings: Counter[str] = Counter()
    for d in report:
        if d.code in (
            "section.empty-removed",
            "heading.duplicate",
            "footnote.undefined",
            "link.undefined",
            "link.reference-resolved",
        ):
            removed_headings.update(WORD.findall(d.message))
    lost = {
        word: count - shown[word]
        for word, count in _visible(article.markdown, article.dialect).items()
        if count > shown[word] and word not in DEBRIS and word not in removed_headings
    }
    assert not lost, lost

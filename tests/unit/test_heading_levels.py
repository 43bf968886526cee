"""Unit tests for convert/normalize/heading_levels.py: the outline under the title."""

from __future__ import annotations

import random
import time
from itertools import pairwise
from pathlib import Path

import pytest

from convert.diagnostics import Report, Severity
from convert.model import Article, Meta
from convert.normalize import heading_levels, normalize
from convert.normalize.base import Context, doc_from_text, heading_of
from convert.parse import parse


def _apply(markdown: str) -> tuple[str, Report]:
    report = Report()
    ctx = Context(path=Path("doc.md"), root=Path("."), report=report)
    doc = heading_levels.RULE.apply(doc_from_text(markdown, 1, Meta(title="T")), ctx)
    return "\n".join(line.text for line in doc.lines), report


def _levels(markdown: str) -> list[int]:
    lines = doc_from_text(markdown, 1, Meta()).lines
    return [h[0] for line in lines if (h := heading_of(line))]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ([1, 2, 1, 2], [2, 3, 2, 3]),
        ([3, 4, 3], [2, 3, 2]),
        ([2, 4, 5, 2], [2, 3, 4, 2]),
        ([2, 1, 2], [2, 2, 3]),  # a "#" after a "##": both are top-level sections
        ([3, 2, 3], [2, 2, 3]),
        ([1, 2, 3, 4, 5, 6, 6], [2, 3, 4, 5, 6, 6, 6]),  # capped at ######
        ([2, 3, 3, 2], [2, 3, 3, 2]),  # already right: untouched
    ],
)
def test_outline_levels(before: list[int], after: list[int]) -> None:
    markdown = "\n\n".join(f"{'#' * n} H{i}\n\ntext" for i, n in enumerate(before))
    fixed, report = _apply(markdown)
    assert _levels(fixed) == after
    assert len(report) == (0 if before == after else 1)
    again, second = _apply(fixed)
    assert (again, len(second)) == (fixed, 0)


def test_one_warning_naming_what_was_wrong() -> None:
    fixed, report = _apply("intro\n\n# A\n\n## B\n\n#### C\n\n# D\n")
    [diagnostic] = list(report)
    assert (diagnostic.code, diagnostic.severity, diagnostic.location.line) == (
        "heading.levels",
        Severity.WARNING,
        3,
    )
    assert "2 level-1 headings below the title" in diagnostic.message
    assert "levels skip from 2 to 4 (line 7)" in diagnostic.message
    assert diagnostic.fix == "shifted 3 headings: # → ## ×2, ## → ### ×1"
    assert _levels(fixed) == [2, 3, 4, 2]


def test_text_ids_and_closing_hashes_kept() -> None:
    fixed, _ = _apply("# Title {#keep .cls} #\n\n  ### Indented ###\n")
    assert fixed == "## Title {#keep .cls} #\n\n  ### Indented ###\n"
    html = parse(Article(Path("d.md"), Meta(), fixed)).html
    assert '<h2 id="keep" class="cls">Title</h2>' in html


def test_code_and_lookalikes_untouched() -> None:
    text = "```\n# code\n```\n\n    # indented code\n\n#hashtag\n\n> # quoted\n\nC# and #4\n"
    fixed, report = _apply(text)
    assert (fixed, len(report)) == (text, 0)


@pytest.mark.parametrize(
    "text",
    [
        "Para line one\nline two\n---\n\nmore",  # Python-Markdown: text, then a rule
        "\n---\n\nText",  # a thematic break after a blank line
        "- item\n---",  # a list item over a rule
        "> quote\n---",
        "| a | b |\n|---|---|\n| 1 | 2 |",  # a table
        "    code\n---",
        "<div>\n---",
    ],
)
@pytest.mark.parametrize("dialect", ["commonmark", "python-markdown"])
def test_setext_lookalikes_not_headings(text: str, dialect: str) -> None:
    found = heading_levels._headings(doc_from_text(text, 1, Meta(), dialect), dialect)
    if dialect == "commonmark" and text.startswith("Para"):
        # CommonMark: every line of the paragraph is the heading's text.
        assert [(h.index, h.level, h.end) for h in found] == [(0, 2, 3)]
    else:
        assert found == []


def test_multi_line_setext_becomes_one_atx_line() -> None:
    fixed, _report = _apply("Top\n===\n\nFirst line\nsecond line\n===\n\nText\n")
    assert fixed == "## Top\n\n## First line second line\n\nText\n"


def test_setext_rewritten_only_when_its_level_changes() -> None:
    fixed, report = _apply("Top\n===\n\nSub\n---\n\nText\n")
    assert fixed == "## Top\n\n### Sub\n\nText\n"
    assert "2 Setext headings rewritten" in (next(iter(report)).fix or "")
    kept, report = _apply("Sub\n---\n\nText\n\n### Deeper\n")
    assert (kept, len(report)) == ("Sub\n---\n\nText\n\n### Deeper\n", 0)


def test_setext_text_ending_in_hash_keeps_it() -> None:
    fixed, _ = _apply("Learn C#\n========\n\nText\n")
    assert fixed.startswith("## Learn C# ##\n")
    html = parse(Article(Path("d.md"), Meta(), fixed)).html
    assert ">Learn C#</h2>" in html


def test_setext_underline_line_recorded_as_removed() -> None:
    report = Report()
    ctx = Context(path=Path("d.md"), root=Path("."), report=report)
    heading_levels.RULE.apply(doc_from_text("A\n===\n\nB\n", 10, Meta(title="T")), ctx)
    assert ctx.removed == {11}


def test_title_rule_runs_first() -> None:
    article = Article(Path("d.md"), Meta(), "# Title\n\nIntro\n\n# One\n\ntext\n\n# Two\n\ntext")
    report = Report()
    fixed = normalize(article, report)
    assert fixed.meta.title == "Title"
    assert _levels(fixed.markdown) == [2, 2]
    assert report.codes().count("heading.levels") == 1


def test_linear_in_the_number_of_headings() -> None:
    rng = random.Random(3)
    lines = [f"{'#' * rng.randint(1, 6)} Heading {i}\n\nText." for i in range(100_000)]
    markdown = "\n\n".join(lines)
    started = time.perf_counter()
    fixed, report = _apply(markdown)
    elapsed = time.perf_counter() - started
    assert len(report) == 1
    # A guard against quadratic blow-ups (hours at this size), not a benchmark: make bench
    # measures the speed; this bound only has to survive a loaded machine.
    assert elapsed < 60, f"{elapsed:.1f} s for 100,000 headings"
    levels = _levels(fixed)
    assert levels[0] == 2 and all(b <= a + 1 for a, b in pairwise(levels))

"""Unit tests for convert/normalize: the rules together, through ``normalize``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convert.diagnostics import Report, Severity
from convert.model import Article, Meta
from convert.normalize import RULES, normalize

OBJ = "[object Object]"


def _article(markdown: str, title: str = "Title", body_line: int = 1, name: str = "doc.md"):
    return Article(
        source=Path(name), meta=Meta(title=title), markdown=markdown, body_line=body_line
    )


def _run(markdown: str, **kwargs) -> tuple[Article, Report]:
    report = Report()
    return normalize(_article(markdown, **kwargs), report), report


def _lines(report: Report) -> list[tuple[str, int | None]]:
    return [(d.code, d.location.line) for d in report]


def _assert_idempotent(article: Article) -> None:
    again = Report()
    second = normalize(article, again)
    assert second.markdown == article.markdown
    assert second.meta == article.meta
    assert [d for d in again if d.severity > Severity.INFO] == []


def test_rule_order() -> None:
    """The order constraints the RULES comments explain (other rules may sit between)."""
    names = [rule.name for rule in RULES]
    assert names.index("glued_heading") < names.index("debris")
    assert names.index("debris") < names.index("duplicate_headings")
    assert names.index("duplicate_headings") < names.index("empty_sections")
    last_merge = len(names) - 1 - names[::-1].index("duplicate_headings")
    assert names.index("empty_sections") < last_merge


def test_seed_references_debris() -> None:
    # Body starts on file line 5 (after a four-line frontmatter).
    body = (
        "Intro text.\n"  # 5
        "\n"  # 6
        "## References\n"  # 7
        "\n"  # 8
        f"## References{OBJ}\n"  # 9
        f"{OBJ}\n"  # 10
        f"{OBJ}\n"  # 11
        f"{OBJ}\n"  # 12
    )
    out, report = _run(body, body_line=5)
    assert OBJ not in out.markdown
    assert "References" not in out.markdown
    assert "Intro text." in out.markdown
    assert _lines(report) == [
        ("heading.glued", 9),
        ("reference.debris", 9),
        ("heading.duplicate", 9),
        ("section.empty-removed", 7),
    ]
    debris = next(d for d in report if d.code == "reference.debris")
    assert debris.message.startswith("4 lines of '[object Object]'")
    assert "'References'" in debris.message
    assert all(d.severity is Severity.WARNING for d in report)
    assert str(debris) == (
        "doc.md:9: warning: 4 lines of '[object Object]' from 'References'; removed "
        "[reference.debris]"
    )
    _assert_idempotent(out)


def test_text_glued_before_heading_is_split_and_kept() -> None:
    body = "Para.\n\n12.3°N, 4.5°W## References\n\nA reference.\n"
    out, report = _run(body, body_line=3)
    assert out.markdown == "Para.\n\n12.3°N, 4.5°W\n\n## References\n\nA reference.\n"
    assert _lines(report) == [("heading.glued", 5)]
    assert "12.3°N, 4.5°W" in next(iter(report)).message
    # Split lines keep pointing at the source line they came from.
    assert out.line_map == (3, 4, 5, 5, 5, 6, 7, 8)
    _assert_idempotent(out)


def test_glued_text_and_glued_debris_on_one_line() -> None:
    out, report = _run(f"Coordinates## Sources{OBJ}{OBJ}\n\nKept text.\n")
    assert out.markdown == "Coordinates\n\n## Sources\n\nKept text.\n"
    assert _lines(report) == [
        ("heading.glued", 1),
        ("heading.glued", 1),
        ("reference.debris", 1),
    ]
    assert next(d for d in report if d.code == "reference.debris").message.startswith("2 lines")


def test_single_hash_after_text_is_prose() -> None:
    out, report = _run("I write C# daily and track issue #4.\n")
    assert out.markdown == "I write C# daily and track issue #4.\n"
    assert report.codes() == []


def test_object_object_in_fenced_code_kept() -> None:
    body = f"Text.\n\n```js\n{OBJ}\nundefined\n## References{OBJ}\n```\n\n~~~\n{OBJ}\n~~~\n"
    out, report = _run(body)
    assert out.markdown == body
    assert report.codes() == []


def test_object_object_in_inline_code_kept() -> None:
    body = f"String(obj) gives `{OBJ}` in JavaScript.\n\n`{OBJ}`\n\nText `a## b` end.\n"
    out, report = _run(body)
    assert out.markdown == body
    assert report.codes() == []


def test_undefined_as_a_word_kept() -> None:
    body = "The behaviour is undefined when x is null.\n\n- undefined behaviour\n"
    out, report = _run(body)
    assert out.markdown == body
    assert report.codes() == []


def test_line_of_only_undefined_removed() -> None:
    body = "## Notes\n\nFirst.\n\nundefined\n\nLast.\n"
    out, report = _run(body, body_line=10)
    assert out.markdown == "## Notes\n\nFirst.\n\n\nLast.\n"
    assert _lines(report) == [("reference.debris", 14)]
    assert next(iter(report)).message == "1 line of 'undefined' from 'Notes'"


@pytest.mark.parametrize("token", ["null", "NaN", "- undefined", f"* {OBJ}", f"1. {OBJ}", "> null"])
def test_other_debris_tokens_removed(token: str) -> None:
    out, report = _run(f"Before.\n{token}\nAfter.\n")
    assert out.markdown == "Before.\nAfter.\n"
    assert _lines(report) == [("reference.debris", 2)]


def test_separate_debris_runs_reported_separately() -> None:
    body = f"{OBJ}\n{OBJ}\n\nReal text.\n\nundefined\n"
    out, report = _run(body)
    assert out.markdown == "\nReal text.\n\n"
    assert _lines(report) == [("reference.debris", 1), ("reference.debris", 6)]
    messages = [d.message for d in report]
    assert messages[0].startswith("2 lines of")
    assert messages[1].startswith("1 line of")


def test_empty_section_in_source_kept_with_info() -> None:
    body = "Intro.\n\n## To do\n\n## Done\n\nText.\n"
    out, report = _run(body, body_line=4)
    assert out.markdown == body
    assert _lines(report) == [("section.empty", 6)]
    assert next(iter(report)).severity is Severity.INFO
    _assert_idempotent(out)


def test_duplicate_heading_under_different_parents_kept() -> None:
    body = "## Part one\n\n### Notes\n\nA.\n\n## Part two\n\n### Notes\n\nB.\n"
    out, report = _run(body)
    assert out.markdown == body
    assert report.codes() == []


def test_duplicate_heading_stack_merged() -> None:
    body = "## Sources\n\n## sources\n\nOne source.\n"
    out, report = _run(body, body_line=2)
    assert out.markdown == "## Sources\n\n\nOne source.\n"
    assert _lines(report) == [("heading.duplicate", 4)]


def test_missing_title_from_first_h1() -> None:
    out, report = _run("# The Real Title\n\nBody text.\n", title="", body_line=3)
    assert out.meta.title == "The Real Title"
    assert out.markdown == "\nBody text.\n"
    assert "# The Real Title" not in out.markdown
    assert _lines(report) == [("meta.title-missing", None)]
    assert "line 3" in (next(iter(report)).fix or "")
    _assert_idempotent(out)


def test_missing_title_from_file_name() -> None:
    out, report = _run("Just a body.\n", title="", name="my-great_post.md")
    assert out.meta.title == "My great post"
    assert out.markdown == "Just a body.\n"
    assert _lines(report) == [("meta.title-missing", None)]
    assert "file name" in (next(iter(report)).fix or "")


def test_missing_title_from_lower_heading_kept_in_body() -> None:
    out, report = _run("Lead.\n\n## Section\n\nText.\n", title="")
    assert out.meta.title == "Section"
    assert out.markdown == "Lead.\n\n## Section\n\nText.\n"
    assert report.codes() == ["meta.title-missing"]


def test_h1_repeating_title_removed() -> None:
    out, report = _run("# Title\n\nBody.\n", title="Title")
    assert out.markdown == "\nBody.\n"
    assert _lines(report) == [("heading.title-repeated", 1)]
    assert next(iter(report)).severity is Severity.INFO


def test_clean_document_untouched() -> None:
    body = "Intro.\n\n## Section\n\nText with `code` and a [link](#section).\n"
    out, report = _run(body)
    assert out.markdown == body
    assert out.line_map == (1, 2, 3, 4, 5, 6)
    assert report.codes() == []


def test_idempotent_on_seed_output_with_no_diagnostics() -> None:
    out, _ = _run(f"Intro.\n\n## References\n\n## References{OBJ}\n{OBJ}\n{OBJ}\n")
    again = Report()
    assert normalize(out, again).markdown == out.markdown
    assert again.codes() == []


def test_idempotent_when_emptied_section_sat_between_duplicates() -> None:
    out, report = _run(f"## Notes\n\n## References\n\n{OBJ}\n\n## Notes\n\ntext\n")
    assert sorted(report.codes()) == [
        "heading.duplicate",
        "reference.debris",
        "section.empty",
        "section.empty-removed",
    ]
    _assert_idempotent(out)


# --- property tests ---------------------------------------------------------------------------

_FILLER = [
    "",
    "text",
    "the value undefined",
    OBJ,
    OBJ + OBJ,
    "undefined",
    "- undefined",
    "null",
    "> NaN",
    "```",
    "~~~",
    "    indented code",
    f"`{OBJ}`",
]
_HEADINGS = [
    "# Title",
    "## References",
    f"## References{OBJ}",
    "## Sub",
    "### Deep",
    "a b## Glued",
    "## Closed ##",
    "x ## y",
    "#### Four",
]
_DEBRIS = re.compile(
    r"^\s*(?:[-*+]\s+|\d+[.)]\s+|>\s*)?(?:(?:\[object Object\]\s*)+|undefined|null|NaN)\s*$"
)


def _heading_key(line: str) -> str:
    return re.sub(r"^.*?#+\s*|\[object Object\]|#+\s*$", "", line).strip()


@st.composite
def _docs(draw: st.DrawFn, unique_headings: bool) -> list[str]:
    if unique_headings:
        heads = draw(st.lists(st.sampled_from(_HEADINGS), unique_by=_heading_key, max_size=5))
    else:
        heads = draw(st.lists(st.sampled_from([*_HEADINGS, "#", "##"]), max_size=5))
    filler = draw(st.lists(st.sampled_from(_FILLER), max_size=12))
    return draw(st.permutations(filler + heads))


_SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(_docs(unique_headings=False), st.booleans())
def test_property_no_crash_no_text_lost_no_debris_left(lines: list[str], titled: bool) -> None:
    markdown = "\n".join(lines)
    out, report = _run(markdown, title="T" if titled else "")
    assert out.meta.title
    out_lines = out.markdown.split("\n")
    for word in ("text", "the value undefined", "indented code", "a b"):
        assert sum(line == word for line in out_lines) >= sum(line == word for line in lines)
    # Outside fences, no line is debris any more.
    fence = None
    for line in out_lines:
        opener = re.match(r"^ {0,3}(`{3,}|~{3,})", line)
        if fence is None:
            if opener:
                fence = opener[1][0]
            else:
                assert not _DEBRIS.match(line), (markdown, out.markdown)
        elif opener and opener[1][0] == fence:
            fence = None
    assert all(d.code and d.location.path == Path("doc.md") for d in report)


@_SETTINGS
@given(_docs(unique_headings=True), st.booleans())
def test_property_idempotent(lines: list[str], titled: bool) -> None:
    out, _ = _run("\n".join(lines), title="T" if titled else "")
    _assert_idempotent(out)

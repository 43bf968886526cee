"""Unit tests for convert/normalize/frontmatter.py: metadata cleaned, every change reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from convert.diagnostics import Report, Severity
from convert.load import load
from convert.model import Article, Meta
from convert.normalize import frontmatter, normalize
from convert.normalize.base import Context, doc_from_text


def _apply(markdown: str, meta: Meta) -> tuple[Meta, str, Report, Context]:
    report = Report()
    ctx = Context(path=Path("doc.md"), root=Path("."), report=report)
    doc = frontmatter.RULE.apply(doc_from_text(markdown, 1, meta), ctx)
    return doc.meta, "\n".join(line.text for line in doc.lines), report, ctx


def _codes(report: Report) -> list[tuple[str, Severity]]:
    return [(d.code, d.severity) for d in report]


# --- Pandoc title block -----------------------------------------------------------------------


def test_title_block_fills_missing_metadata() -> None:
    text = "% The Title\n  continued\n% Ann; Bob\n  Carl\n% 9 March 2024\n\nBody.\n"
    meta, body, report, ctx = _apply(text, Meta())
    assert meta.title == "The Title continued"
    assert meta.authors == ("Ann", "Bob", "Carl")
    assert meta.date == dt.date(2024, 3, 9)
    assert body == "\nBody.\n"
    assert _codes(report) == [("meta.title-block", Severity.INFO)]
    assert next(iter(report)).location.line == 1
    assert ctx.removed == {1, 2, 3, 4, 5}


def test_title_block_empty_title_field_and_unreadable_date() -> None:
    meta, body, report, _ = _apply("%\n% Ann\n% Spring 2021\n\nBody.", Meta(title="Given"))
    assert (meta.title, meta.authors, meta.date) == ("Given", ("Ann",), None)
    assert meta.extra == {"date": "Spring 2021"}  # kept as text, not lost
    assert body == "\nBody."
    assert "not a date I can read" in (next(iter(report)).fix or "")


def test_title_block_repeating_the_frontmatter_is_removed() -> None:
    meta, body, report, _ = _apply("% Same\n\nBody.", Meta(title="Same"))
    assert meta == Meta(title="Same")
    assert body == "\nBody."
    assert next(iter(report)).fix == "removed the repeat"


@pytest.mark.parametrize(
    ("text", "meta"),
    [
        ("% Other\n\nBody.", Meta(title="Given")),  # disagrees with the frontmatter
        ("% T\n% Bob\n\nBody.", Meta(authors=("Ann",))),
        ("% 50 of readers\nagreed.\n\nBody.", Meta()),  # a paragraph that starts with %
        ("%d formats\n\nBody.", Meta()),
        ("Intro.\n\n% T\n", Meta()),  # not at the top
        ("```\n% T\n```\n", Meta()),  # code
        ("% T\n% A\n% 2020-01-01\n% fourth line\n\nBody.", Meta()),  # not a title block
    ],
)
def test_not_a_title_block_to_consume(text: str, meta: Meta) -> None:
    got, body, report, _ = _apply(text, meta)
    assert (got, body, len(report)) == (meta, text, 0)


# --- title -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "clean"),
    [
        ("**The Bridge**", "The Bridge"),
        ("_The Bridge_", "The Bridge"),
        ("The Bridge[object Object]", "The Bridge"),
        ('"The Bridge"', "The Bridge"),
        ("«Міст»", "Міст"),
        ("<b>The</b> Bridge", "The Bridge"),
        ("[The Bridge](https://example.com)", "The Bridge"),
        ("Fish &amp; Chips", "Fish & Chips"),
        ("[object Object]", ""),
    ],
)
def test_title_cleaned(title: str, clean: str) -> None:
    meta, _, report, _ = _apply("Body.", Meta(title=title))
    assert meta.title == clean
    assert _codes(report) == [("meta.title", Severity.WARNING)]


@pytest.mark.parametrize(
    "title",
    [
        "Why String(x) prints [object Object]",
        '"A" and "B"',
        "snake_case_names and C#",
        "List<T> in C#",
        "Using `grep` well",
        "5 * 3 * 2",
        "It's 'quoted' here",
    ],
)
def test_title_lookalikes_kept(title: str) -> None:
    meta, _, report, _ = _apply("Body.", Meta(title=title))
    assert meta.title == title
    assert len(report) == 0


# --- description ---------------------------------------------------------------------------------


def test_junk_description_falls_back_to_short_description() -> None:
    meta = Meta(description="{{Infobox}} x", extra={"shortDescription": "A *short* one"})
    got, _, report, _ = _apply("Para of enough words to count as one.", meta)
    assert got.description == "A *short* one"  # only whole-value emphasis is markup
    assert _codes(report) == [("meta.description", Severity.WARNING)]
    assert "shortDescription" in (next(iter(report)).fix or "")


def test_junk_description_falls_back_to_first_paragraph() -> None:
    body = (
        "{% youtube x %}\n\n- a list item that is not a summary at all\n\n> a quote, neither\n\n"
        "The **real** first [paragraph](http://x) with a footnote[^1]. Second sentence here.\n"
    )
    got, _, _, _ = _apply(body, Meta(description="[object Object]"))
    assert got.description == "The real first paragraph with a footnote. Second sentence here."


def test_first_paragraph_cut_at_a_sentence() -> None:
    sentence = "This sentence has exactly enough words to be a sentence of some length. "
    body = sentence * 10
    got, _, _, _ = _apply(body, Meta(description="Text[object Object]"))
    assert got.description.endswith("length.")
    assert len(got.description) <= frontmatter.SHORT_DESCRIPTION
    assert got.description.count("This sentence") == 4


def test_one_long_sentence_cut_at_a_word() -> None:
    body = "word " * 200
    got, _, _, _ = _apply(body, Meta(description="{{x}}"))
    assert got.description.endswith("word…")
    assert len(got.description) <= frontmatter.SHORT_DESCRIPTION


def test_long_description_without_fallback_is_cut_not_lost() -> None:
    long = "A long but real summary sentence of the article. " * 20
    got, _, report, _ = _apply("## Only a heading", Meta(description=long.strip()))
    assert got.description.startswith("A long but real summary")
    assert len(got.description) <= frontmatter.SHORT_DESCRIPTION
    assert "cut short" in (next(iter(report)).fix or "")


def test_junk_description_with_nothing_to_use_is_dropped() -> None:
    got, _, report, _ = _apply("## Heading only", Meta(description="{{Infobox}}"))
    assert got.description == ""
    assert "dropped" in (next(iter(report)).fix or "")


def test_description_markup_cleaned() -> None:
    got, _, report, _ = _apply("x", Meta(description="The [[Battle|battle]] of <i>X</i>."))
    assert got.description == "The battle of X."
    assert _codes(report) == [("meta.description", Severity.WARNING)]


def test_clean_description_kept() -> None:
    text = "JavaScript prints [object Object] for objects; 3 < 4 and a_b_c stay."
    got, _, report, _ = _apply("x", Meta(description=text))
    assert got.description == text
    assert len(report) == 0


# --- tags and authors ----------------------------------------------------------------------------


def test_tags_split_stripped_deduplicated() -> None:
    tags = ("🇺🇦 Ukraine\n* Kyiv\nSupport:", "ukraine", "undefined", "x" * 61, "{{Cat}}", "")
    got, _, report, _ = _apply("x", Meta(tags=tags))
    assert got.tags == ("Ukraine", "Kyiv")
    assert _codes(report) == [("meta.tags", Severity.WARNING)]


def test_tags_only_normalized_is_info() -> None:
    got, _, report, _ = _apply("x", Meta(tags=("History", " history ", "", "**War**")))
    assert got.tags == ("History", "War")
    assert _codes(report) == [("meta.tags", Severity.INFO)]


def test_clean_tags_untouched() -> None:
    tags = ("C#", "snake_case", "List<T>", "Support: a")
    got, _, report, _ = _apply("x", Meta(tags=tags))
    assert got.tags == tags
    assert len(report) == 0


def test_authors_cleaned() -> None:
    authors = ("['Ann', 'Bob']", "**Carl**", "ann", "Dee[object Object]")
    got, _, report, _ = _apply("x", Meta(authors=authors))
    assert got.authors == ("Ann", "Bob", "Carl", "Dee")
    assert _codes(report) == [("meta.authors", Severity.WARNING)]


# --- through the loader: no repr ever reaches the metadata -------------------------------------


@pytest.mark.parametrize(
    "value", ["{}", "[]", "null", "undefined", "'[object Object]'", "\"['a', 'b']\""]
)
def test_no_repr_in_the_output_metadata(tmp_path: Path, value: str) -> None:
    text = "\n".join(
        [
            "---",
            f"title: {value}",
            f"description: {value}",
            f"author: {value}",
            f"tags: {value}",
            f"keywords: [{value}]",
            "---",
            "",
            "The first paragraph of the article, long enough to be one.",
        ]
    )
    path = tmp_path / "doc.md"
    path.write_text(text, encoding="utf-8")
    report = Report()
    meta = normalize(load(path, report), report).meta
    shown = " | ".join([meta.title, meta.description, *meta.authors, *meta.tags])
    for repr_ in ("{}", "[]", "None", "null", "undefined", "[object Object]", "['", '["'):
        assert repr_ not in shown, (repr_, shown)


def test_idempotent_on_its_own_output() -> None:
    article = Article(
        source=Path("doc.md"),
        meta=Meta(
            title="**T**",
            description="{{x}}",
            tags=("a\nb", "A"),
            authors=("<i>Ann</i>",),
        ),
        markdown="% Ignored: title present\n\nThe first paragraph is here and is long enough.",
    )
    first = normalize(article, Report())
    again = Report()
    second = normalize(first, again)
    assert (second.meta, second.markdown) == (first.meta, first.markdown)
    assert [d for d in again if d.severity >= Severity.WARNING] == []


# --- exporter debris tokens in metadata ---------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "given", "clean"),
    [
        ("title", "Battle of Konotop | undefined", "Battle of Konotop"),
        ("title", "undefined - Battle of Konotop", "Battle of Konotop"),
        ("title", "Behaviour that is undefined", "Behaviour that is undefined"),  # a phrase
        ("title", "Why JavaScript prints [object Object]", "Why JavaScript prints [object Object]"),
        ("description", "A battle in 2022. undefined", "A battle in 2022."),
        ("description", "Summary of the battle. null", "Summary of the battle."),
        ("authors", ("Jane Doe, undefined", "[object Object]"), ("Jane Doe",)),
    ],
)
def test_debris_tokens_in_metadata(field: str, given: object, clean: object) -> None:
    fields: dict[str, object] = {"title": "T"} | {field: given}
    meta, _, report, _ = _apply("Body paragraph of the article.\n", Meta(**fields))  # type: ignore[arg-type]
    assert getattr(meta, field) == clean
    assert bool(report.codes()) == (given != clean)

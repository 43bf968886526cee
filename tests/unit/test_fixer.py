"""Unit tests for convert/fixer.py: metadata repairs written back into the frontmatter."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from convert.diagnostics import Report
from convert.fixer import changes, fixed_text
from convert.load import load
from convert.model import Meta
from convert.normalize import normalize


def _fix(tmp_path: Path, text: str, name: str = "doc.md") -> str:
    """What ``pressroom fix`` writes for ``text``."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    loaded = Report()
    before = load(path, loaded)
    after = normalize(before, Report())
    return fixed_text(text, before.meta, after.meta, after.markdown, loaded.codes())


def _fix_twice(tmp_path: Path, text: str, name: str = "doc.md") -> str:
    once = _fix(tmp_path, text, name)
    assert _fix(tmp_path, once, name) == once, "fix of fixed output changed it"
    return once


def _meta(tmp_path: Path, text: str) -> Meta:
    path = tmp_path / "check.md"
    path.write_text(text, encoding="utf-8")
    report = Report()
    return normalize(load(path, report), report).meta


def test_no_metadata_change_keeps_frontmatter_byte_for_byte(tmp_path: Path) -> None:
    text = "---\n# a comment\ntitle:   'Spaced'   \nodd: [1,2]\n---\n\nBody.\n"
    assert _fix_twice(tmp_path, text) == text


def test_yaml_title_rewritten_in_place(tmp_path: Path) -> None:
    text = '---\nlayout: post\ntitle: "**Bold**[object Object]"\nextra: kept\n---\n\nBody.\n'
    out = _fix_twice(tmp_path, text)
    assert out == "---\nlayout: post\ntitle: Bold\nextra: kept\n---\n\nBody.\n"


def test_yaml_alias_key_is_the_one_rewritten(tmp_path: Path) -> None:
    text = "---\nsubject: <b>Title</b>\ndate: 2020-01-02\n---\nBody.\n"
    out = _fix_twice(tmp_path, text)
    assert out.startswith("---\nsubject: Title\ndate: 2020-01-02\n---\n")
    assert "title:" not in out


def test_yaml_block_list_rewritten_as_block_list(tmp_path: Path) -> None:
    text = (
        "---\ntitle: T\ntags:\n  - History\n  - history\n  - |-\n    a\n    b\n"
        "  - undefined\nafter: 1\n---\nBody.\n"
    )
    out = _fix_twice(tmp_path, text)
    assert out == "---\ntitle: T\ntags:\n  - History\n  - a\n  - b\nafter: 1\n---\nBody.\n"
    assert _meta(tmp_path, out).tags == ("History", "a", "b")


def test_yaml_values_quoted_when_plain_would_change_their_meaning(tmp_path: Path) -> None:
    text = '---\ntitle: "**yes**"\ntags: ["C#", "a: b", "x, y", "C#"]\n---\nBody.\n'
    out = _fix_twice(tmp_path, text)
    assert 'title: "yes"' in out
    assert 'tags: ["C#", "a: b", "x, y"]' in out
    meta = _meta(tmp_path, out)
    assert meta.title == "yes"
    assert meta.tags == ("C#", "a: b", "x, y")


def test_missing_title_added_to_a_new_frontmatter(tmp_path: Path) -> None:
    # The title rule takes the leading heading out of the body: fix must not lose it.
    out = _fix_twice(tmp_path, "# The Heading\n\nText.\n")
    assert out == "---\ntitle: The Heading\n---\n\nText.\n"


def test_pandoc_title_block_becomes_frontmatter(tmp_path: Path) -> None:
    text = "% The Title\n% Ann; Bob\n% 2021-03-04\n\nText.\n"
    out = _fix_twice(tmp_path, text)
    assert out == ("---\ntitle: The Title\nauthors: [Ann, Bob]\ndate: 2021-03-04\n---\n\nText.\n")
    meta = _meta(tmp_path, out)
    assert (meta.title, meta.authors, meta.date) == (
        "The Title",
        ("Ann", "Bob"),
        dt.date(2021, 3, 4),
    )


def test_missing_keys_appended_to_existing_yaml(tmp_path: Path) -> None:
    text = "---\nlayout: post\n---\n% The Title\n% Ann\n\nText.\n"
    out = _fix_twice(tmp_path, text)
    assert out.startswith("---\nlayout: post\ntitle: The Title\nauthor: Ann\n---\n")


def test_toml_rewritten_in_place_before_tables(tmp_path: Path) -> None:
    text = (
        '+++\ntitle = "**T**"\ntags = [\n  "a",\n  "A",\n]\n\n[extra]\nx = 1\n+++\n'
        "% ignored: not at the top\n\nBody.\n"
    )
    out = _fix_twice(tmp_path, text)
    assert out.startswith('+++\ntitle = "T"\ntags = ["a"]\n\n[extra]\nx = 1\n+++\n')
    assert _meta(tmp_path, out).tags == ("a",)


def test_toml_missing_key_goes_before_the_first_table(tmp_path: Path) -> None:
    out = _fix_twice(tmp_path, "+++\ndate = 2020-01-01\n[params]\ny = 2\n+++\n# Head\n\nBody\n")
    assert out.startswith('+++\ndate = 2020-01-01\ntitle = "Head"\n[params]\ny = 2\n+++\n')


def test_json_rewritten_with_key_order(tmp_path: Path) -> None:
    text = '{\n  "title": "\\"Quoted\\"",\n  "zeta": 1,\n  "tags": ["a", "a"]\n}\nBody.\n'
    out = _fix_twice(tmp_path, text)
    assert out == '{\n  "title": "Quoted",\n  "zeta": 1,\n  "tags": [\n    "a"\n  ]\n}\nBody.\n'


def test_emptied_value_removes_the_key(tmp_path: Path) -> None:
    text = (
        "---\ntitle: T\ndescription: '[object Object][object Object]'\nx: 1\n---\n\n## H\n\n- a\n"
    )
    out = _fix_twice(tmp_path, text)
    assert out == "---\ntitle: T\nx: 1\n---\n\n## H\n\n- a\n"
    report = Report()
    path = tmp_path / "again.md"
    path.write_text(out, encoding="utf-8")
    normalize(load(path, report), report)
    assert report.codes() == []


def test_detected_language_written(tmp_path: Path) -> None:
    body = "Друкарський верстат змінив те, як ідеї поширювалися Європою. " * 6
    out = _fix_twice(tmp_path, f"---\ntitle: T\n---\n\n{body}\n")
    assert out.startswith("---\ntitle: T\nlang: uk\n---\n")


@pytest.mark.parametrize(
    "text",
    [
        "---\ntitle: [unclosed\n---\n# Head\n\nBody\n",  # invalid YAML
        "---\n- a list\n---\n# Head\n\nBody\n",  # not a mapping
    ],
)
def test_frontmatter_that_was_ignored_stays_verbatim(tmp_path: Path, text: str) -> None:
    out = _fix_twice(tmp_path, text)
    head = text.split("\n---\n", 1)[0]
    assert out.startswith(head + "\n---\n")


def test_title_of_the_wrong_type_replaced(tmp_path: Path) -> None:
    out = _fix_twice(tmp_path, "---\ntitle: {a: 1}\nflow: {b: 2}\n---\n# Head\n\nBody\n")
    assert out == "---\ntitle: Head\nflow: {b: 2}\n---\n\nBody\n"


def test_flow_style_yaml_is_not_touched(tmp_path: Path) -> None:
    text = "---\n{title: '**T**'}\n---\nBody\n"
    assert _fix_twice(tmp_path, text) == text


def test_changes_lists_only_what_differs() -> None:
    before = Meta(title="A", tags=("x",), extra={"k": 1})
    after = Meta(title="A", tags=(), extra={"k": 1, "date": "Spring"}, lang="uk")
    assert changes(before, after) == {"lang": "uk", "tags": (), "date": "Spring"}

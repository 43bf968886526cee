"""Unit tests for convert/load.py: bytes → Article, every repair reported."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from convert.diagnostics import Report, Severity
from convert.errors import LoadError
from convert.load import LoadOptions, load, parse_date, split_frontmatter
from convert.model import Article


def _load(
    tmp_path: Path, data: str | bytes, name: str = "doc.md", root: Path | None = None
) -> tuple[Article, Report]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    report = Report()
    article = load(path, report, LoadOptions(root=root) if root else None)
    return article, report


def _lines(report: Report) -> list[tuple[str, int | None]]:
    return [(d.code, d.location.line) for d in report]


# --- frontmatter flavours ---------------------------------------------------------------


def test_yaml_frontmatter(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\ntitle: Hello\nlang: de\n---\nBody text\n")
    assert report.codes() == []
    assert article.meta.title == "Hello"
    assert article.meta.lang == "de"
    assert article.markdown == "Body text\n"
    assert article.body_line == 5
    assert article.source == tmp_path / "doc.md"
    assert article.root == tmp_path.resolve()


def test_yaml_frontmatter_closed_by_dots(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\ntitle: Dots\n...\nBody\n")
    assert report.codes() == []
    assert article.meta.title == "Dots"
    assert article.markdown == "Body\n"
    assert article.body_line == 4


def test_toml_frontmatter(tmp_path: Path) -> None:
    text = '+++\ntitle = "Toml title"\ndate = 2021-03-04\ntags = ["a", "b"]\n+++\n\nBody\n'
    article, report = _load(tmp_path, text)
    assert report.codes() == []
    assert article.meta.title == "Toml title"
    assert article.meta.date == dt.date(2021, 3, 4)
    assert article.meta.tags == ("a", "b")
    assert article.markdown == "\nBody\n"
    assert article.body_line == 6


def test_json_frontmatter(tmp_path: Path) -> None:
    text = '{\n  "title": "Json title",\n  "author": "Ann"\n}\nBody line\n'
    article, report = _load(tmp_path, text)
    assert report.codes() == []
    assert article.meta.title == "Json title"
    assert article.meta.authors == ("Ann",)
    assert article.markdown == "Body line\n"
    assert article.body_line == 5


def test_no_frontmatter(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "# Heading\n\nText.\n")
    assert report.codes() == []
    assert article.markdown == "# Heading\n\nText.\n"
    assert article.body_line == 1
    assert article.meta.title == ""
    assert article.meta.lang == "en"


def test_thematic_break_at_start_is_not_frontmatter(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\n\nJust prose after a rule.\n")
    assert report.codes() == []
    assert article.markdown == "---\n\nJust prose after a rule.\n"
    assert article.body_line == 1


def test_unterminated_yaml_frontmatter_reported(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\ntitle: Never closed\nBody\n")
    assert _lines(report) == [("meta.unterminated", 1)]
    assert article.markdown == "---\ntitle: Never closed\nBody\n"
    assert article.meta.title == ""


def test_empty_frontmatter_block(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\n---\nBody\n")
    assert report.codes() == []
    assert article.markdown == "Body\n"
    assert article.body_line == 3


# --- encodings and line endings -----------------------------------------------------------


def test_utf8_with_bom(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf---\ntitle: Bom\n---\nBody \xc3\xa9\n"
    article, report = _load(tmp_path, data)
    assert report.codes() == []
    assert article.meta.title == "Bom"
    assert article.markdown == "Body é\n"
    assert article.body_line == 4


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom(tmp_path: Path, encoding: str) -> None:
    text = "---\ntitle: Wide Ünïcode\n---\nFirst\nSecond\n"
    data = text.encode(encoding)
    if encoding == "utf-16-le":
        data = b"\xff\xfe" + data
    elif encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    article, report = _load(tmp_path, data)
    assert report.codes() == []
    assert article.meta.title == "Wide Ünïcode"
    assert article.markdown == "First\nSecond\n"
    assert article.body_line == 4


def test_crlf_line_endings(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\r\ntitle: Win\r\n---\r\nOne\r\n\r\nTwo\r\n")
    assert report.codes() == []
    assert article.meta.title == "Win"
    assert article.markdown == "One\n\nTwo\n"
    assert "\r" not in article.markdown
    assert article.body_line == 4


def test_lone_cr_line_endings(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\rtitle: Mac\rauthor: Old\r---\rOne\rTwo\r")
    assert report.codes() == []
    assert article.meta.title == "Mac"
    assert article.meta.authors == ("Old",)
    assert article.markdown == "One\nTwo\n"
    assert article.body_line == 5


def test_utf16_with_lone_cr_endings(tmp_path: Path) -> None:
    data = "---\rtitle: U\r---\rline1\rline2".encode("utf-16")
    article, report = _load(tmp_path, data)
    assert report.codes() == []
    assert article.markdown == "line1\nline2"
    assert article.body_line == 4


# --- fatal errors ------------------------------------------------------------------------


def test_binary_file_refused(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as info:
        _load(tmp_path, b"PK\x03\x04\x00\x00binary\x00stuff")
    assert info.value.code == "load.binary"
    assert str(info.value).endswith("[load.binary]")


def test_control_characters_refused(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as info:
        _load(tmp_path, b"\x01\x02\x03\x04\x05\x06abc")
    assert info.value.code == "load.binary"


def test_invalid_utf8_refused_with_line(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as info:
        _load(tmp_path, b"good line\nsecond \xff\xfe bad\n")
    assert info.value.code == "load.encoding"
    assert "line 2" in info.value.message
    assert "0xFF" in info.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as info:
        load(tmp_path / "nope.md", Report())
    assert info.value.code == "load.missing"
    assert info.value.path == tmp_path / "nope.md"


def test_directory_refused(tmp_path: Path) -> None:
    report = Report()
    with pytest.raises(LoadError) as info:
        load(tmp_path, report)
    assert info.value.code == "load.not-a-file"
    assert report.codes() == []


def test_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_text("x" * 200)
    with pytest.raises(LoadError) as info:
        load(path, Report(), LoadOptions(max_bytes=100))
    assert info.value.code == "load.too-large"


def test_empty_file(tmp_path: Path) -> None:
    article, report = _load(tmp_path, b"")
    assert report.codes() == []
    assert article.markdown == ""
    assert article.body_line == 1
    assert article.meta.title == ""


# --- key mapping ------------------------------------------------------------------------------


def test_alternative_keys_and_extra(tmp_path: Path) -> None:
    text = (
        "---\n"
        "subject: From subject\n"
        "shortDescription: Short one\n"
        "author: Jane Doe\n"
        "layout: post\n"
        "weight: 3\n"
        "---\n"
        "Body\n"
    )
    article, report = _load(tmp_path, text)
    assert report.codes() == []
    meta = article.meta
    assert meta.title == "From subject"
    assert meta.description == "Short one"
    assert meta.authors == ("Jane Doe",)
    assert dict(meta.extra) == {"layout": "post", "weight": 3}


def test_title_wins_over_subject_which_stays_in_extra(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\ntitle: Real\nsubject: Other\n---\n")
    assert report.codes() == []
    assert article.meta.title == "Real"
    assert dict(article.meta.extra) == {"subject": "Other"}


def test_authors_list_of_dicts(tmp_path: Path) -> None:
    text = "---\nauthors:\n  - name: Ann  Lee\n  - name: Bo\n  - Cy\n---\nBody\n"
    article, report = _load(tmp_path, text)
    assert report.codes() == []
    assert article.meta.authors == ("Ann Lee", "Bo", "Cy")


def test_author_entry_without_name_reported(tmp_path: Path) -> None:
    text = "---\ntitle: T\nauthors:\n  - name: Ann\n  - {}\n---\nBody\n"
    article, report = _load(tmp_path, text)
    assert _lines(report) == [("meta.empty", 3)]
    assert article.meta.authors == ("Ann",)


def test_date_as_yaml_date(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\ndate: 2022-02-19\n---\n")
    assert report.codes() == []
    assert article.meta.date == dt.date(2022, 2, 19)
    assert not isinstance(article.meta.date, dt.datetime)


def test_pubdate_string_with_offset(tmp_path: Path) -> None:
    article, report = _load(tmp_path, '---\npubDate: "2017-04-05 16:16:01 -0800"\n---\n')
    assert report.codes() == []
    expected = dt.datetime(2017, 4, 5, 16, 16, 1, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    assert article.meta.date == expected
    assert article.meta.date.utcoffset() == dt.timedelta(hours=-8)


def test_pubdate_unquoted_with_offset(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\npubDate: 2017-04-05 16:16:01 -0800\n---\n")
    assert report.codes() == []
    assert article.meta.date == dt.datetime(
        2017, 4, 5, 16, 16, 1, tzinfo=dt.timezone(dt.timedelta(hours=-8))
    )


def test_date_without_seconds(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\ndate: 2023-08-05 06:08\n---\n")
    assert report.codes() == []
    assert article.meta.date == dt.datetime(2023, 8, 5, 6, 8)


def test_unparseable_date_reported_at_key_line(tmp_path: Path) -> None:
    text = "---\ntitle: T\nauthor: A\ndate: sometime last spring\n---\nBody\n"
    article, report = _load(tmp_path, text)
    assert _lines(report) == [("meta.date-invalid", 4)]
    assert article.meta.date is None
    diag = next(iter(report))
    assert diag.severity is Severity.WARNING
    assert "sometime last spring" in diag.message


def test_unusable_date_falls_back_to_next_key(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\ndate: undefined\npubDate: 2020-05-06\n---\n")
    assert report.codes() == []
    assert article.meta.date == dt.date(2020, 5, 6)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020/01/02", dt.date(2020, 1, 2)),
        ("2 March 2021", dt.date(2021, 3, 2)),
        ("March 2, 2021", dt.date(2021, 3, 2)),
        ("02.03.2021", dt.date(2021, 3, 2)),
        ("2021-07-01T10:00:00Z", dt.datetime(2021, 7, 1, 10, 0, tzinfo=dt.UTC)),
        ("not a date", None),
        (12345, None),
    ],
)
def test_parse_date_formats(value: object, expected: object) -> None:
    assert parse_date(value) == expected


def test_lang_default_and_language_key(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\ntitle: T\n---\n")
    assert article.meta.lang == "en"
    article2, report2 = _load(tmp_path, "---\nlanguage: pt_br\n---\n", name="b.md")
    assert article2.meta.lang == "pt-BR"
    assert report.codes() == report2.codes() == []


def test_invalid_lang_reported(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\ntitle: T\nlang: not a language!\n---\n")
    assert _lines(report) == [("meta.lang-invalid", 3)]
    assert article.meta.lang == "en"


def test_cover_resolves_to_existing_image(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "c.png").write_bytes(b"\x89PNG")
    article, report = _load(tmp_path, "---\ncover: img/c.png\n---\n")
    assert report.codes() == []
    assert article.meta.cover == (tmp_path / "img" / "c.png").resolve()


def test_img_key_root_relative(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "static" / "images").mkdir(parents=True)
    (root / "static" / "images" / "hero.jpg").write_bytes(b"\xff\xd8")
    article, report = _load(
        tmp_path, "---\nimg: /images/hero.jpg\n---\n", name="site/posts/a.md", root=root
    )
    assert report.codes() == []
    assert article.meta.cover == (root / "static" / "images" / "hero.jpg").resolve()


@pytest.mark.parametrize(
    "value", ["'{}'", "{}", "undefined", "missing.png", "''", "'[object Object]'"]
)
def test_cover_without_image_reported(tmp_path: Path, value: str) -> None:
    article, report = _load(tmp_path, f"---\ntitle: T\nimage: {value}\n---\n")
    assert _lines(report) == [("meta.cover-missing", 3)]
    assert article.meta.cover is None


def test_cover_that_is_not_an_image(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hi")
    article, report = _load(tmp_path, "---\ncover: notes.txt\n---\n")
    assert _lines(report) == [("meta.cover-missing", 2)]
    assert article.meta.cover is None


def test_cover_outside_root_refused(tmp_path: Path) -> None:
    root = tmp_path / "content"
    root.mkdir()
    (tmp_path / "outside.png").write_bytes(b"\x89PNG")
    text = "---\ncover: ../../etc/passwd\n---\n"
    article, report = _load(tmp_path, text, name="content/a.md", root=root)
    assert article.meta.cover is None
    assert _lines(report) == [("meta.cover-missing", 2)]
    article2, report2 = _load(tmp_path, "---\ncover: ../outside.png\n---\n", "content/b.md", root)
    assert article2.meta.cover is None
    assert _lines(report2) == [("meta.cover-missing", 2)]


def test_cover_symlink_escaping_root_refused(tmp_path: Path) -> None:
    root = tmp_path / "content"
    root.mkdir()
    (tmp_path / "secret.png").write_bytes(b"\x89PNG")
    (root / "link.png").symlink_to(tmp_path / "secret.png")
    article, report = _load(tmp_path, "---\ncover: link.png\n---\n", "content/a.md", root)
    assert article.meta.cover is None
    assert report.codes() == ["meta.cover-missing"]


def test_tags_list(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\ntags: [history, war]\n---\n")
    assert report.codes() == []
    assert article.meta.tags == ("history", "war")


def test_tags_comma_string_split_only(tmp_path: Path) -> None:
    # The loader only gives tags their shape; the frontmatter rule drops empties and repeats.
    article, report = _load(tmp_path, "---\ntitle: T\ntags: history, war ,history,\n---\n")
    assert article.meta.tags == ("history", "war", "history", "")
    assert report.codes() == []


def test_tags_multiline_entries_kept_for_the_rule(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\ntags:\n  - |-\n    a\n    b\n  - 2022\n---\n")
    assert article.meta.tags == ("a\nb", "2022")
    assert report.codes() == []


def test_tags_list_written_as_text(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\ntitle: T\ntags: \"['a, b', 'c']\"\n---\n")
    assert article.meta.tags == ("a, b", "c")
    assert _lines(report) == [("meta.tags", 3)]
    assert next(iter(report)).severity is Severity.INFO


def test_tags_entries_that_are_not_text(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\ntags: [a, {x: 1}, [b], null, true]\n---\n")
    assert article.meta.tags == ("a", "")
    assert _lines(report) == [("meta.type", 2)] * 3
    assert "{" not in "".join(article.meta.tags)


def test_keywords_not_a_list(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\nkeywords: 42\n---\n")
    assert _lines(report) == [("meta.type", 2)]
    assert article.meta.tags == ()


def test_empty_values_reported(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\ntitle: undefined\ndescription: null\n---\nx\n")
    assert _lines(report) == [("meta.empty", 2), ("meta.empty", 3)]
    assert article.meta.title == ""
    assert article.meta.description == ""


def test_title_of_wrong_type(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\ntitle:\n  a: 1\n---\n")
    assert _lines(report) == [("meta.type", 2)]
    assert article.meta.title == ""


# --- frontmatter that does not parse ------------------------------------------------------------


def test_bad_yaml_reported_with_line_and_body_kept(tmp_path: Path) -> None:
    text = "---\ntitle: Fine\nsummary: ok\n  broken: indentation\n---\nThe body.\n"
    article, report = _load(tmp_path, text)
    assert _lines(report) == [("meta.invalid", 4)]
    diag = next(iter(report))
    assert "YAML frontmatter does not parse" in diag.message
    assert article.markdown == "The body.\n"
    assert article.body_line == 6
    assert article.meta.title == ""


def test_bad_yaml_unclosed_flow_sequence(tmp_path: Path) -> None:
    text = "---\ntitle: T\ntags: [a, b\nauthor: X\n---\nBody\n"
    article, report = _load(tmp_path, text)
    assert report.codes() == ["meta.invalid"]
    line = next(iter(report)).location.line
    assert line is not None and 2 <= line <= 4
    assert article.markdown == "Body\n"


def test_yaml_list_is_not_mapping(tmp_path: Path) -> None:
    article, report = _load(tmp_path, "---\n- one\n- two\n---\nBody\n")
    assert _lines(report) == [("meta.not-mapping", 2)]
    assert "list" in next(iter(report)).message
    assert article.markdown == "Body\n"


def test_yaml_alias_bomb_refused_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghij":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    text = "---\n" + "\n".join(lines) + "\n---\nStill here.\n"
    start = time.perf_counter()
    article, report = _load(tmp_path, text)
    elapsed = time.perf_counter() - start
    assert elapsed < 30  # a bomb would not finish at all; this is a guard, not a benchmark
    assert report.codes() == ["meta.invalid"]
    assert "alias" in next(iter(report)).message
    assert article.markdown == "Still here.\n"


def test_yaml_few_aliases_allowed(tmp_path: Path) -> None:
    text = "---\na: &a [x, y]\nb: *a\n---\n"
    article, report = _load(tmp_path, text)
    assert report.codes() == []
    assert dict(article.meta.extra) == {"a": ["x", "y"], "b": ["x", "y"]}


def test_yaml_deep_nesting_refused(tmp_path: Path) -> None:
    text = "---\nx: " + "[" * 200 + "]" * 200 + "\n---\nBody\n"
    article, report = _load(tmp_path, text)
    assert report.codes() == ["meta.invalid"]
    assert "nested deeper" in next(iter(report)).message
    assert article.markdown == "Body\n"


def test_yaml_python_tags_refused(tmp_path: Path) -> None:
    text = "---\nx: !!python/object/apply:os.system ['true']\n---\nBody\n"
    article, report = _load(tmp_path, text)
    assert _lines(report) == [("meta.invalid", 2)]
    assert article.meta.extra == {}


def test_huge_frontmatter_ignored(tmp_path: Path) -> None:
    text = "---\nx: '" + "a" * 300_000 + "'\n---\nBody\n"
    article, report = _load(tmp_path, text)
    assert _lines(report) == [("meta.too-large", 2)]
    assert article.markdown == "Body\n"


def test_bad_toml_reported_body_kept(tmp_path: Path) -> None:
    article, report = _load(tmp_path, '+++\ntitle = "x"\nbad = = 1\n+++\nBody\n')
    assert report.codes() == ["meta.invalid"]
    assert "TOML frontmatter does not parse" in next(iter(report)).message
    assert article.markdown == "Body\n"
    assert article.body_line == 5


def test_bad_toml_line_points_at_bad_line(tmp_path: Path) -> None:
    _, report = _load(tmp_path, '+++\ntitle = "x"\nbad = = 1\n+++\nBody\n')
    assert _lines(report) == [("meta.invalid", 3)]


def test_bad_json_frontmatter_keeps_body(tmp_path: Path) -> None:
    article, report = _load(tmp_path, '{{< figure src="a.png" >}}\n\nA real paragraph.\n')
    assert report.codes() == []  # a shortcode, not frontmatter: it is body text
    assert article.markdown.startswith("{{< figure")
    broken, report = _load(tmp_path, '{"title": "x",\n\nA real paragraph.\n')
    assert report.codes() == ["meta.invalid"]
    assert "A real paragraph." in broken.markdown


def test_split_frontmatter_lines() -> None:
    fm = split_frontmatter("---\na: 1\nb: 2\n---\nbody")
    assert (fm.kind, fm.text, fm.body) == ("yaml", "a: 1\nb: 2", "body")
    assert (fm.line, fm.body_line) == (2, 5)
    none = split_frontmatter("plain")
    assert (none.kind, none.body, none.body_line) == ("", "plain", 1)


@pytest.mark.parametrize(
    ("frontmatter", "lang", "source"),
    [
        ("title: T", "en", "default"),
        ("language: uk_UA", "uk-UA", "language"),
        ("lang: 42", "en", "lang"),  # given but invalid: reported, not re-detected
        ("lang: undefined", "en", "default"),  # no language really given
    ],
)
def test_lang_source(tmp_path: Path, frontmatter: str, lang: str, source: str) -> None:
    article, _ = _load(tmp_path, f"---\n{frontmatter}\n---\nBody\n")
    assert (article.meta.lang, article.meta.lang_source) == (lang, source)

"""Generated text in the document's language: catalogs complete and current, fallbacks,
dates per locale, theme overrides, and books and articles in every supported language
with no English generated word left."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from convert import i18n
from convert.book import (
    ChapterCache,
    book_apparatus,
    pdf_chapters,
    prepare_chapters,
    read_book,
    render_book_document,
    render_book_epub,
)
from convert.config import Settings
from convert.diagnostics import Report
from convert.model import PageBreaks
from convert.profiles import get as get_profile
from convert.render import build_for, code_css, print_edition
from convert.theme import load_theme
from convert.tree import _admonition_kinds

ROOT = Path(__file__).resolve().parents[2]
POT = i18n.LOCALE_DIR / "pressroom.pot"
SAME = "the same word in this language"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _template() -> list[str]:
    with POT.open("rb") as handle:
        return [str(m.id) for m in read_po(handle) if m.id]


def test_the_template_is_current() -> None:
    """Every string the code and templates generate is in pressroom.pot (make messages)."""
    method_map = [
        ("convert/accessibility.py", "python"),
        ("convert/apparatus/words.py", "python"),
        ("convert/book/**.py", "python"),
        ("convert/pipeline.py", "python"),
        ("convert/render.py", "python"),
        ("convert/tree.py", "python"),
        ("themes/**.j2", "jinja2"),
    ]
    options = {"themes/**.j2": {"extensions": "jinja2.ext.i18n"}}
    found = {
        message
        for _, _, message, _, _ in extract_from_dir(
            ROOT, method_map, options, keywords={"text": None, "_": None}
        )
    }
    assert found == set(_template())
    assert len(found) >= 20


@pytest.mark.parametrize("name", i18n.SUPPORTED)
def test_every_catalog_translates_every_string(name: str) -> None:
    path = i18n.LOCALE_DIR / f"{name}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    entries = {str(m.id): m for m in catalog if m.id}
    for message in _template():
        entry = entries.get(message)
        assert entry is not None and entry.string, f"{name}: {message!r} untranslated"
        assert not entry.fuzzy, f"{name}: {message!r} is fuzzy"
        assert sorted(PLACEHOLDER.findall(entry.string)) == sorted(PLACEHOLDER.findall(message))
        if name != "en" and entry.string == message:
            assert SAME in entry.user_comments, f"{name}: {message!r} left in English"


@pytest.mark.parametrize("name", i18n.SUPPORTED)
def test_the_apparatus_forms_work_in_every_language(name: str) -> None:
    """The apparatus fills its forms itself: each takes its values (no stray ``%``), a
    caption puts its label first (the caption element holds them in that order), and no
    line may break between an abbreviation and its number ("p." | "12")."""
    from convert.apparatus.words import of_messages

    text = i18n.messages(name.replace("_", "-"))
    got = of_messages(text)
    for kind in ("fig", "tbl", "eq", "sec", "item"):
        label = got.label(kind, "12")
        assert "12" in label and not re.search(r"\. 12|12 \.", label), (name, label)
    before, after = got.page_around()
    assert not before.endswith(" ") and not after.startswith(" "), (name, got.page)
    assert (got.page % {"n": "12"}).count("12") == 1
    assert got.caption % {"label": "L", "caption": "C"} == f"L{got.caption_joiner()}C"
    assert "T" in got.quote("T") and "L" in got.page_of % {"label": "L"}
    for form in ("[Video: %(alt)s]", "[Audio: %(alt)s]", "[Document: %(alt)s]"):
        assert "A" in text(form, alt="A")


def test_enough_languages_in_every_script_the_fonts_cover() -> None:
    assert len(i18n.SUPPORTED) >= 25
    scripts = {
        "Cyrillic": r"[\u0400-\u04ff]", "Greek": r"[\u0370-\u03ff]",
        "Arabic": r"[\u0600-\u06ff]", "Hebrew": r"[\u0590-\u05ff]",
        "CJK": r"[\u4e00-\u9fff]", "Hangul": r"[\uac00-\ud7af]", "Kana": r"[\u3040-\u30ff]",
    }  # fmt: skip
    contents = {
        name: i18n.messages(name.replace("_", "-"))("Contents")
        + i18n.messages(name.replace("_", "-"))("Pages")
        for name in i18n.SUPPORTED
    }
    for script, pattern in scripts.items():
        assert any(re.search(pattern, text) for text in contents.values()), script


@pytest.mark.parametrize(
    ("tag", "names"),
    [
        ("pt-BR", ["pt_BR", "pt"]),
        ("en_US", ["en_US", "en"]),
        ("zh-TW", ["zh_Hant", "zh"]),
        ("zh-Hant-HK", ["zh_Hant", "zh"]),
        ("zh-CN", ["zh"]),
        ("no", ["nb"]),
        ("sr-Latn", ["sr_Latn", "sr"]),
        ("", ["en"]),
    ],
)
def test_catalog_fallbacks(tag: str, names: list[str]) -> None:
    assert i18n.catalog_names(tag) == names


def test_regional_tags_and_unknown_languages() -> None:
    assert i18n.messages("pt-BR")("Contents") == "Sumário"
    assert i18n.messages("zh-TW")("Contents") == "目錄"
    assert i18n.messages("zh")("Contents") == "目录"
    assert i18n.messages("xx")("Contents") == "Contents"  # no catalog: English
    assert i18n.messages("de")("Part %(n)s", n=3) == "Teil 3"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "March 9, 2024"),
        ("en-GB", "9 March 2024"),
        ("fr", "9 mars 2024"),
        ("de", "9. März 2024"),
        ("ru", "9 марта 2024\u202fг."),
        ("uk", "9 березня 2024\u202fр."),
        ("ja", "2024年3月9日"),
        ("zh", "2024年3月9日"),
        ("ar", "9 مارس 2024"),
        ("he", "9 במרץ 2024"),
        ("xx-invalid", "2024-03-09"),
    ],
)
def test_dates_per_locale(lang: str, expected: str) -> None:
    assert i18n.format_date(dt.date(2024, 3, 9), lang) == expected
    assert i18n.format_date(dt.datetime(2024, 3, 9, 23, 0), lang) == expected
    assert i18n.format_date(None, lang) == ""


# --- whole publications -------------------------------------------------------------------


def _apparatus() -> str:
    """Markdown that makes the apparatus and the tree stage write every word they have:
    a numbered figure, table, equation and item and a reference to each, a page
    reference, a section reference (by number or by its quoted title, as the book's
    options say), index marks with "see" and "see also", a video, a sound and a document
    in image syntax, and an admonition of every kind the tree stage gives a title."""
    kinds = list(_admonition_kinds(str))  # the kinds (``str`` words them as their msgids)
    containers = "\n".join(f"::: {kind}\nW-{n}\n:::\n" for n, kind in enumerate(kinds))
    return (
        "Refs @fig:f, @tbl:t, @eq:e, @sec:h, @item:i, @page:fig:f.\n\n"
        "![F-10](../fig.svg){#fig:f}\n\n"
        "| A-11 | B-12 |\n| --- | --- |\n| 1 | 2 |\n\nTable: T-13 {#tbl:t}\n\n"
        "$$\nx = 1\n$$ {#eq:e}\n\n"
        "1. I-14\n2. []{#item:i}I-15\n\n"
        '[K-16]{.index} [K-17]{.index see="K-16"} [K-18]{.index also="K-16"}\n\n'
        "![V-19](../clip.mp4)\n\n![S-20](../sound.mp3)\n\n![D-21](../paper.pdf)\n\n" + containers
    )


def _book(folder: Path, lang: str, *, described: bool) -> Path:
    """A small book with everything that generates text: a cover, front matter, a part
    without a title, a footnote, code, images (described or not), a missing image, and
    the apparatus with lists of figures and tables (sections numbered when
    ``described``)."""
    (folder / "ch").mkdir(parents=True)
    shutil.copy(ROOT / "content/books/field-guide/images/cover.svg", folder / "cover.svg")
    shutil.copy(ROOT / "content/books/field-guide/images/signature.svg", folder / "fig.svg")
    (folder / "book.toml").write_text(
        f'[book]\ntitle = "T-1"\nauthors = ["A-2"]\nlanguage = "{lang}"\n'
        'date = 2024-03-09\npublisher = "P-3"\nrights = "R-4"\ncover = "cover.svg"\n'
        '[[front]]\nfile = "ch/0.md"\nrole = "preface"\n'
        '[[parts]]\nchapters = ["ch/1.md"]\n'
        f"[theme.options]\nnumber_sections = {str(described).lower()}\n"
        "list_of_figures = true\nlist_of_tables = true\n",
        encoding="utf-8",
    )
    (folder / "ch" / "0.md").write_text("---\ntitle: F-5\n---\n\n123.\n", encoding="utf-8")
    image = (
        "![9-9](../fig.svg)"
        if described
        else "![](../fig.svg)\n\n![](../gone.svg)\n\n![8-8](../gone-too.svg)"
    )
    (folder / "ch" / "1.md").write_text(
        f"---\ntitle: C-6\n---\n\n## H-7 {{#sec:h}}\n\n456[^1].\n\n[^1]: 789.\n\n{image}\n\n"
        f"```python\nx = 1  # 0\n```\n\n{_apparatus()}",
        encoding="utf-8",
    )
    return folder / "book.toml"


def _render(manifest: Path) -> str:
    """Everything a reader meets: the EPUB pages, nav, metadata, and the PDF document."""
    report = Report()
    spec = read_book(manifest)
    theme = load_theme(spec.theme, spec.options)
    text = theme.messages(spec.meta.lang)
    from dataclasses import replace

    spec = replace(
        spec, parts=tuple(t or text("Part %(n)s", n=i + 1) for i, t in enumerate(spec.parts))
    )
    chapters = prepare_chapters(spec, Settings(), report, ChapterCache(None))
    build = build_for(spec.meta, "x")
    source = print_edition(theme, spec.meta)
    breaks = PageBreaks({"title": ("i",), "c2": ("1",)}, source, ("i", "1"))
    apparatus = book_apparatus(spec, chapters, theme, report)
    package = render_book_epub(
        spec, chapters, theme, build=build, report=report, page_breaks=breaks,
        apparatus=apparatus,
    )  # fmt: skip
    contexts = pdf_chapters(spec, chapters, report=report, theme=theme, apparatus=apparatus)
    document = render_book_document(
        spec, contexts, theme, build=build, profile=get_profile("screen"), front_pages=3,
        code_css=code_css(theme, True), apparatus=apparatus,
    )  # fmt: skip
    parts = [page.xhtml for page in package.pages]
    parts += [package.nav, package.nav_title, package.accessibility.summary, document]
    parts += [mark.title for mark in package.landmarks]
    return _readable("\n".join(parts))


def _readable(rendered: str) -> str:
    """What a reader meets of ``rendered``: its text and the attributes read aloud or
    shown (``aria-label``, ``alt``, ``title``); not the stylesheets (a highlighting
    style's comments name "Error" and "Keyword") nor the machine names of classes, ids,
    roles and ``epub:type`` (``index-see``)."""
    text = re.sub(r"<style\b.*?</style>", "", rendered, flags=re.S)
    return re.sub(r'\s(?:class|id|role|epub:type|href|src)="[^"]*"', "", text)


def _fragments(message: str) -> list[str]:
    """The English words of a message, without its placeholders."""
    return [f.strip(" ,.:") for f in PLACEHOLDER.split(message) if len(f.strip(" ,.:")) >= 3]


@pytest.mark.parametrize("name", [n for n in i18n.SUPPORTED if n != "en"])
def test_a_book_in_every_language_has_no_english_generated_word(tmp_path: Path, name: str) -> None:
    lang = name.replace("_", "-")
    rendered = _render(_book(tmp_path / "a", lang, described=True)) + _render(
        _book(tmp_path / "b", lang, described=False)
    )
    messages = i18n.messages(lang)
    # Words this language shares with English ("Note" is Italian for "Notes") are not
    # left-over English; the catalog test checks they are flagged as meant. In any case:
    # French "figure 2" opens a caption as "Figure 2".
    own = {w.casefold() for m in _template() for w in re.findall(r"\w+", messages.gettext(m))}
    for message in _template():
        for fragment in _fragments(message):
            if {w.casefold() for w in re.findall(r"\w+", fragment)} <= own:
                continue
            english = re.compile(rf"(?<!\w){re.escape(fragment)}(?!\w)")
            assert not english.search(rendered), f"{name}: English {fragment!r} ({message!r})"
    # And the catalog was used: every string shows up in its translation.
    for message in _template():
        for fragment in _fragments(messages.gettext(message)):
            assert fragment in rendered, f"{name}: {fragment!r} never rendered"


def test_english_renders_every_string_too(tmp_path: Path) -> None:
    rendered = _render(_book(tmp_path / "a", "en", described=True)) + _render(
        _book(tmp_path / "b", "en", described=False)
    )
    for message in _template():
        for fragment in _fragments(message):
            assert fragment in rendered, fragment


def test_a_theme_overrides_any_string(tmp_path: Path) -> None:
    """A child theme's locale/<lang>.po wins over Pressroom's, English included."""
    theme_dir = tmp_path / "house"
    (theme_dir / "locale").mkdir(parents=True)
    (theme_dir / "theme.toml").write_text('[theme]\ninherit = "base"\n', encoding="utf-8")
    (theme_dir / "locale" / "en.po").write_text(
        'msgid "Contents"\nmsgstr "Table of contents"\n', encoding="utf-8"
    )
    (theme_dir / "locale" / "fr.po").write_text(
        'msgid "Contents"\nmsgstr "Sommaire"\n', encoding="utf-8"
    )
    theme = load_theme(str(theme_dir))
    assert theme.messages("en")("Contents") == "Table of contents"
    assert theme.messages("fr")("Contents") == "Sommaire"
    assert theme.messages("fr")("Notes") == "Notes"  # not overridden: Pressroom's
    assert theme.messages("de")("Contents") == "Inhalt"
    nav = theme.render(
        "nav.xhtml.j2", lang="fr", dir="ltr", title="x", book_title="B", toc=(),
        landmarks=(), page_list=(), stylesheets=[],
    )  # fmt: skip
    assert '<h1 id="toc-title">Sommaire</h1>' in nav


def test_languages_rendered_in_one_process_keep_their_own_words() -> None:
    """Batch workers render many languages with one theme: each keeps its own strings."""
    theme = load_theme("base")

    def nav(lang: str) -> str:
        return theme.render(
            "nav.xhtml.j2", lang=lang, dir="ltr", title="x", book_title="B", toc=(),
            landmarks=(), page_list=(), stylesheets=[],
        )  # fmt: skip

    assert "תוכן העניינים" in nav("he")
    assert '<h1 id="toc-title">Contents</h1>' in nav("en")
    assert "Inhalt" in nav("de") and "תוכן העניינים" in nav("he")
    assert '<h1 id="toc-title">Contents</h1>' in nav("en")


# --- what Babel finds, kept for the next process --------------------------------------------


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty user cache, and nothing of i18n's kept in memory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def forget() -> None:
        i18n.read_catalog.cache_clear()
        i18n._messages.cache_clear()
        i18n._kept_forms.cache_clear()

    forget()
    yield tmp_path / "cache" / "pressroom"
    forget()


DAYS = [dt.date(y, m, d) for y, m, d in ((2024, 1, 1), (1999, 12, 31), (7, 6, 9))] + [
    dt.date(2022, m, 19) for m in range(2, 12)
]


def test_long_dates_without_babel_are_babels_in_every_locale() -> None:
    from babel import Locale
    from babel.dates import format_date
    from babel.localedata import locale_identifiers

    for name in locale_identifiers():
        locale = Locale.parse(name)
        form = i18n._with_names(locale)
        assert form is not None, name  # every CLDR long pattern is one LongDate writes
        assert [form.apply(day) for day in DAYS] == [
            format_date(day, "long", locale=locale) for day in DAYS
        ], name


def test_kept_long_dates_read_as_they_were_written(fresh_cache: Path) -> None:
    tags = [*i18n.SUPPORTED, "", "xx", "xx-invalid", "en_US", "zh-Hant-TW", "sr-Latn", "no"]
    for tag in tags:
        expected = [i18n.format_date(day, tag) for day in DAYS]  # from Babel, and kept
        i18n._kept_forms.cache_clear()  # a new process: from the cache
        assert [i18n.format_date(day, tag) for day in DAYS] == expected, tag
    kept = json.loads(next(fresh_cache.glob("dates-babel-*.json")).read_text(encoding="utf-8"))
    assert set(kept) == set(tags)
    assert kept["xx"] is None and i18n.format_date(DAYS[0], "xx") == "2024-01-01"


def test_kept_catalogs_follow_their_files(fresh_cache: Path, tmp_path: Path) -> None:
    po = tmp_path / "xx.po"
    po.write_text('msgid "Contents"\nmsgstr "Inhalt"\n', encoding="utf-8")
    assert i18n.read_catalog(po) == {"Contents": "Inhalt"}
    [kept] = fresh_cache.glob("catalogs/*.json")
    i18n.read_catalog.cache_clear()
    assert i18n.read_catalog(po) == {"Contents": "Inhalt"}  # from the cache
    po.write_text('msgid "Contents"\nmsgstr "Sommaire"\n', encoding="utf-8")
    i18n.read_catalog.cache_clear()
    assert i18n.read_catalog(po) == {"Contents": "Sommaire"}  # the file changed: read again
    kept.write_text("{damaged", encoding="utf-8")
    i18n.read_catalog.cache_clear()
    assert i18n.read_catalog(po) == {"Contents": "Sommaire"}


def test_an_unwritable_cache_changes_nothing(tmp_path: Path, monkeypatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    i18n._kept_forms.cache_clear()
    i18n.read_catalog.cache_clear()
    try:
        assert i18n.format_date(dt.date(2024, 3, 9), "de") == "9. März 2024"
        assert i18n.read_catalog(i18n.LOCALE_DIR / "de.po")["Contents"] == "Inhalt"
    finally:
        i18n._kept_forms.cache_clear()
        i18n.read_catalog.cache_clear()


def test_a_process_with_a_warm_cache_never_imports_babel(tmp_path: Path) -> None:
    code = (
        "import datetime, sys\n"
        "from convert import i18n\n"
        "print(i18n.format_date(datetime.date(2024, 3, 9), 'fr'), i18n.messages('fr')('Notes'),"
        " 'babel' in sys.modules)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs == [["9", "mars", "2024", "Notes", "True"], ["9", "mars", "2024", "Notes", "False"]]

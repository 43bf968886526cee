"""Unit tests for convert/theme.py: finding themes, inheritance, the Jinja environment.

``load_theme`` is cached on the spec string, so every test builds its themes under its own
``tmp_path``. Theme loading reports through ``ThemeError`` (no diagnostics); each test
asserts the error code it expects.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from convert import theme as theme_module
from convert.errors import ThemeError
from convert.model import Meta
from convert.theme import available, css_string, load_theme, read_info


def _theme(root: Path, name: str, toml: str, templates: dict[str, str] | None = None) -> Path:
    folder = root / name
    (folder / "templates").mkdir(parents=True)
    (folder / "theme.toml").write_text(toml, encoding="utf-8")
    for file_name, text in (templates or {}).items():
        (folder / "templates" / file_name).write_text(text, encoding="utf-8")
    return folder


def _article_context(title: str = "Hello <b>world</b>") -> dict[str, object]:
    return {
        "lang": "en",
        "dir": "ltr",
        "title": title,
        "meta": Meta(title=title),
        "date": "",
        "date_iso": "",
        "dek": "",
        "build": SimpleNamespace(iso="2020-01-01T00:00:00Z"),
        "stylesheets": [],
        "code_css": "",
        "body": "<p>BODY</p>",
        "profile": "screen",
        "print_layout": False,
        "toc": (),
    }


def test_base_theme_loads() -> None:
    theme = load_theme("base")
    assert theme.name == "base"
    assert [info.name for info in theme.chain] == ["base"]
    assert theme.chain[0].inherit is None
    assert theme.options["page_size"] == "A4"
    pdf = theme.stylesheets("pdf")
    epub = theme.stylesheets("epub")
    assert [p.name for p in pdf] == ["common.css", "print.css"]
    assert [p.name for p in epub] == ["common.css", "epub.css"]
    assert all(p.is_file() for p in (*pdf, *epub))
    assert theme.find("css/print.css") == pdf[1]


def test_base_theme_cached() -> None:
    assert load_theme("base") is load_theme("base")


def test_base_theme_renders_article_escaped() -> None:
    html = load_theme("base").render("article.html.j2", **_article_context())
    assert "<title>Hello &lt;b&gt;world&lt;/b&gt;</title>" in html
    assert "<p>BODY</p>" not in html  # a plain str body is escaped too (autoescape)
    assert "size: A4;" in html


def test_options_override() -> None:
    theme = load_theme("base", {"page_size": "A5"})
    assert theme.options["page_size"] == "A5"
    assert load_theme("base").options["page_size"] == "A4"


def test_child_overrides_template_and_extends_parent(tmp_path: Path) -> None:
    child = _theme(
        tmp_path,
        "child",
        '[theme]\ninherit = "base"\ndescription = "Kid"\n[options]\npage_size = "Letter"\n',
        {
            "article.html.j2": '{% extends "!base/article.html.j2" %}\n'
            '{% block title_block %}<p class="child-title">{{ title }}</p>{% endblock %}\n'
        },
    )
    theme = load_theme(child)
    assert theme.name == "child"
    assert [info.name for info in theme.chain] == ["child", "base"]
    assert theme.chain[0].description == "Kid"
    assert theme.options["page_size"] == "Letter"
    assert theme.options["code_style"] == "a11y-light"  # inherited
    assert [p.name for p in theme.stylesheets("pdf")] == ["common.css", "print.css"]
    html = theme.render("article.html.j2", **_article_context("Hi & bye"))
    assert '<p class="child-title">Hi &amp; bye</p>' in html
    assert '<h1 class="title">' not in html
    assert "size: Letter;" in html
    assert "<main" in html  # the rest comes from the parent


def test_child_stylesheet_found_nearest_first(tmp_path: Path) -> None:
    child = _theme(tmp_path, "kid", '[theme]\ninherit = "base"\n')
    (child / "css").mkdir()
    (child / "css" / "print.css").write_text("/* child */")
    theme = load_theme(child)
    sheets = theme.stylesheets("pdf")
    assert sheets[0].parent.parent.name == "base"
    assert sheets[1] == (child / "css" / "print.css").resolve()
    with pytest.raises(ThemeError) as info:
        theme.find("css/nothing.css")
    assert info.value.code == "theme.file-missing"


def test_font_families_see_an_edited_stylesheet(tmp_path: Path) -> None:
    """The families are remembered per stylesheet text: an edit between two documents of
    one process is seen by the second."""
    child = _theme(tmp_path, "kid", '[theme]\ninherit = "base"\n')
    (child / "css").mkdir()
    sheet = child / "css" / "print.css"
    sheet.write_text('h1 { font-family: "Before Face", serif }', encoding="utf-8")
    theme = load_theme(child)
    assert "Before Face" in theme.font_families()
    sheet.write_text('h1 { font-family: "After Face", serif }', encoding="utf-8")
    families = theme.font_families()
    assert "After Face" in families and "Before Face" not in families


def test_missing_parent_lists_found_themes(tmp_path: Path) -> None:
    _theme(tmp_path, "sibling", '[theme]\ninherit = "base"\n')
    orphan = _theme(tmp_path, "orphan", '[theme]\ninherit = "nonexistent"\n')
    with pytest.raises(ThemeError) as info:
        load_theme(orphan)
    assert info.value.code == "theme.missing"
    message = info.value.message
    assert "'nonexistent'" in message
    assert "parent of 'orphan'" in message
    found = message.split("themes found: ", 1)[1].split(", ")
    assert {"base", "orphan", "sibling"} <= set(found)
    assert found == sorted(found)


def test_unknown_theme_name(tmp_path: Path) -> None:
    with pytest.raises(ThemeError) as info:
        load_theme(f"no-such-theme-{tmp_path.name}")
    assert info.value.code == "theme.missing"
    assert "base" in info.value.message.split("themes found: ", 1)[1].split(", ")


def test_folder_without_theme_toml(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ThemeError) as info:
        load_theme(tmp_path / "empty")
    assert info.value.code == "theme.missing"


def test_inheritance_cycle(tmp_path: Path) -> None:
    first = _theme(tmp_path, "first", '[theme]\ninherit = "second"\n')
    _theme(tmp_path, "second", '[theme]\ninherit = "first"\n')
    with pytest.raises(ThemeError) as info:
        load_theme(first)
    assert info.value.code == "theme.cycle"
    assert "first → second → first" in info.value.message


def test_self_inheritance_cycle(tmp_path: Path) -> None:
    me = _theme(tmp_path, "me", '[theme]\ninherit = "me"\n')
    with pytest.raises(ThemeError) as info:
        load_theme(me)
    assert info.value.code == "theme.cycle"


def test_invalid_theme_toml(tmp_path: Path) -> None:
    broken = _theme(tmp_path, "broken", "[theme\ninherit = \n")
    with pytest.raises(ThemeError) as info:
        load_theme(broken)
    assert info.value.code == "theme.invalid"


def test_strict_undefined_is_an_error(tmp_path: Path) -> None:
    folder = _theme(
        tmp_path, "strict", '[theme]\ninherit = "base"\n', {"page.j2": "Hi {{ nope }}!"}
    )
    theme = load_theme(folder)
    with pytest.raises(ThemeError) as info:
        theme.render("page.j2")
    assert info.value.code == "theme.template-error"
    assert "'nope' is undefined" in info.value.message
    assert theme.render("page.j2", nope="<x>") == "Hi &lt;x&gt;!"


def test_missing_template(tmp_path: Path) -> None:
    theme = load_theme(_theme(tmp_path, "t", '[theme]\ninherit = "base"\n'))
    with pytest.raises(ThemeError) as info:
        theme.render("nothing.j2")
    assert info.value.code == "theme.template-missing"


def test_template_syntax_error(tmp_path: Path) -> None:
    folder = _theme(tmp_path, "syn", "[theme]\n", {"bad.j2": "{% if %}"})
    with pytest.raises(ThemeError) as info:
        load_theme(folder).render("bad.j2")
    assert info.value.code == "theme.template-error"


def test_compiled_templates_are_kept_on_disk_and_never_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    theme_module._bytecode_cache.cache_clear()
    try:
        folder = _theme(tmp_path, "cached", "[theme]\n", {"page.j2": "One {{ x }}"})
        assert load_theme(folder).render("page.j2", x=1) == "One 1"
        [entry] = (tmp_path / "cache" / "pressroom").glob("jinja-*/*.cache")

        def fresh() -> str:  # a new process: no theme, no template in memory
            theme_module._load.cache_clear()
            return load_theme(folder).render("page.j2", x=2)

        assert fresh() == "One 2"  # from the disk
        (folder / "templates" / "page.j2").write_text("Two {{ x }}", encoding="utf-8")
        assert fresh() == "Two 2"  # an edited template is compiled again
        entry.write_bytes(entry.read_bytes()[:40])  # a damaged entry
        assert fresh() == "Two 2"
        blocked = tmp_path / "file"
        blocked.write_text("x")
        monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))  # no folder can be made in it
        theme_module._bytecode_cache.cache_clear()
        assert fresh() == "Two 2"
    finally:
        theme_module._bytecode_cache.cache_clear()
        theme_module._load.cache_clear()


def test_read_info_and_available(tmp_path: Path) -> None:
    folder = _theme(
        tmp_path,
        "info",
        '[theme]\ninherit = ""\ndescription = "D"\n[stylesheets]\npdf = ["css/a.css"]\n'
        "[options]\nx = 1\n",
    )
    info = read_info(folder)
    assert (info.name, info.inherit, info.description) == ("info", None, "D")
    assert dict(info.stylesheets) == {"pdf": ("css/a.css",)}
    assert dict(info.options) == {"x": 1}
    found = available((tmp_path,))
    assert found["info"] == folder
    assert "base" in found


def test_css_string_escapes_for_css_not_html() -> None:
    assert css_string("Smith / Title") == '"Smith / Title"'
    escaped = css_string('A "B" & </style>\\\nC')
    assert escaped == '"A \\22 B\\22  \\26  \\3c /style\\3e \\5c  C"'
    assert "<" not in escaped and "&" not in escaped  # cannot close the <style> element


def test_builtin_themes_inherit_base_and_reach_every_script() -> None:
    for name in ("book", "report", "manuscript"):
        theme = load_theme(name)
        assert [info.name for info in theme.chain] == [name, "base"]
        assert theme.chain[0].description
        for target in ("pdf", "epub", "html"):
            sheets = theme.stylesheets(target)
            assert all(p.is_file() for p in sheets)
            assert sheets[0].name == "common.css"  # base's rules stay underneath
        epub_css = "".join(p.read_text(encoding="utf-8") for p in theme.stylesheets("epub"))
        epub_css = re.sub(r"/\*.*?\*/", "", epub_css, flags=re.S)  # rules, not comments
        assert "@page" not in epub_css and "direction:" not in epub_css
        families = theme.font_families()
        for needed in ("Noto Sans CJK SC", "Noto Sans Hebrew", "Noto Sans Symbols2"):
            assert needed in families or needed.replace("Sans", "Serif") in families, (
                name,
                needed,
            )
        assert {"Noto Naskh Arabic", "Noto Sans Arabic"} & families, name


def test_manuscript_running_head_names_surname_and_title() -> None:
    context = _article_context("Metal & Ink")
    context["meta"] = Meta(title="Metal & Ink", authors=("Ada Q. Lovelace", "B. Other"))
    html = load_theme("manuscript").render("article.html.j2", **context)
    assert 'content: "Lovelace / Metal \\26  Ink" " / " counter(page);' in html


def test_book_mirrors_margins_and_print_adds_the_output_intent() -> None:
    context = _article_context()
    theme = load_theme("book")
    screen = theme.render("article.html.j2", **context)
    assert "@page :left { margin: 17mm 21mm 21mm 15mm; }" in screen
    assert "@page :right { margin: 17mm 15mm 21mm 21mm; }" in screen
    assert "@color-profile" not in screen
    printed = theme.render(
        "article.html.j2", **{**context, "profile": "print", "print_layout": True}
    )
    assert "bleed: 3mm" in printed
    profile_url = theme.file_url("icc/pressroom-cmyk.icc")
    assert f'src: url("{profile_url}")' in printed

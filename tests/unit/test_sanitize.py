"""Unit tests for convert/sanitize.py: the raw-HTML allow-list (no diagnostics)."""

from __future__ import annotations

import pytest

from convert.sanitize import clean


@pytest.mark.parametrize(
    ("dirty", "expected"),
    [
        ("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>"),
        ('<p onclick="x()" style="color:red" class="c" id="i">t</p>', '<p class="c" id="i">t</p>'),
        ('<a href="javascript:alert(1)">j</a>', "<a>j</a>"),
        ('<a rel="attachment" href="file:///etc/passwd">f</a>', "<a>f</a>"),
        (
            '<a href="https://e.org" rel="nofollow" target="_blank">e</a>',
            '<a href="https://e.org">e</a>',
        ),
        ('<a href="mailto:a@b.c">m</a>', '<a href="mailto:a@b.c">m</a>'),
        ('<a href="#frag">x</a>', '<a href="#frag">x</a>'),
        ('<a href="other.md">o</a>', '<a href="other.md">o</a>'),
        ("<!-- secret --><p>k</p>", "<p>k</p>"),
        ('<img src="a.png" alt="A" onerror="x" width="3">', '<img src="a.png" alt="A" width="3">'),
        ('<span class="k">def</span>', '<span class="k">def</span>'),
        (
            "<details open><summary>s</summary>d</details>",
            '<details open=""><summary>s</summary>d</details>',
        ),
        ('<abbr title="HyperText">HTML</abbr>', '<abbr title="HyperText">HTML</abbr>'),
    ],
)
def test_clean(dirty: str, expected: str) -> None:
    assert clean(dirty) == expected


@pytest.mark.parametrize(
    "dirty",
    [
        '<iframe src="https://e.org"></iframe>',
        '<object data="x.swf"></object>',
        "<form></form>",
        '<meta http-equiv="refresh" content="0;url=https://e.org">',
        '<link rel="stylesheet" href="x.css">',
        "<style>p { color: red }</style>",
        "<svg><script>alert(1)</script></svg>",
        '<embed src="x">',
    ],
)
def test_dangerous_elements_removed_entirely(dirty: str) -> None:
    assert clean(dirty) == ""


def test_table_keeps_align_drops_presentational() -> None:
    html = '<table><tr><td align="right" colspan="2" bgcolor="red">1</td></tr></table>'
    assert clean(html) == (
        '<table><tbody><tr><td align="right" colspan="2">1</td></tr></tbody></table>'
    )


def test_file_and_data_urls_dropped_from_images() -> None:
    assert clean('<img src="file:///etc/passwd" alt="p">') == '<img alt="p">'
    assert clean('<img src="data:image/png;base64,AAAA">') == "<img>"


def test_empty_input() -> None:
    assert clean("") == ""


def test_inputs_keep_only_inert_attributes() -> None:
    # Task list boxes travel as inputs to the tree stage, which keeps checkboxes only.
    assert clean('<input type="checkbox" checked disabled onclick="x()" name="a">') == (
        '<input type="checkbox" checked="" disabled="">'
    )
    assert clean('<form action="/x"><input type="text" value="v"></form>') == '<input type="text">'

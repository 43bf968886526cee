"""Unit tests for convert/normalize/anchors.py: the ids the parser will assign.

The main test compares ``anchors`` with what ``parse`` really does on tricky headings, in
each dialect, so the fragment rules and the parser cannot drift apart. No diagnostics here.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from convert.markdown import DIALECTS
from convert.markdown.pyblocks import code_lines, plain_text, raw_lines
from convert.model import Article, Meta
from convert.normalize.anchors import anchors
from convert.normalize.base import doc_from_text
from convert.parse import parse

TRICKY = """\
## Battle of Konotop (2022)

## C++ & Rust: a *fair* comparison?

## Битва під Конотопом

## Emoji 🎉 party

## Ñandú — “quoted” …

## Intro

text

## Intro

### Intro

## Custom {#intro-1}

## Explicit {#chosen .cls key="v"}

## chosen

## Same {#same}

## Same again {#same}

## Closed ##

## x ##{TRAILING}

## Foo \\*bar\\* \\#

## A &amp; B &copy;

## Title `co de` **strong** _u_ snake_case

## [Link](http://x.org) and ![img](a.png)

## With <small>html</small>

## Note[^n]

## Broken {#a} {#b}

## {#only}

#NoSpace

#

Setext heading
--------------

Setext one
==========

> ## In a quote

- ## In a list

<div>

## hidden in raw html

</div>

<!--
## hidden in a comment
-->

```
## not a heading in code
```

<aside class="note" id="box" markdown="1">
<p class="title" markdown="span">Aside title</p>

## Inside an aside

<div>
## raw inside the aside
</div>

</aside>

## box

   ## three spaces is a paragraph

Para {: #para-id }

Para
{: #block-id }

*emphasis*{#inline-id} here.

[^n]: The note.
""".replace("{TRAILING}", "  ")  # a heading line ending in spaces


def _doc(markdown: str, dialect: str = "commonmark"):
    return doc_from_text(markdown, 1, Meta(title="T"), dialect)


def _parse(markdown: str, dialect: str):
    article = Article(source=Path("d.md"), meta=Meta(title="T"), markdown=markdown)
    return parse(replace(article, dialect=dialect))


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_anchors_agree_with_the_parser_on_tricky_headings(dialect: str) -> None:
    found = anchors(_doc(TRICKY), dialect).headings
    predicted = [(h.level, h.text, h.id) for h in found if not h.quoted]
    assert [h.text for h in found if h.quoted] == ["In a quote"]
    parsed = _parse(TRICKY, dialect)
    assert predicted == [(h.level, h.text, h.id) for h in parsed.headings]


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_id_in_the_output_is_a_known_target(dialect: str) -> None:
    markdown = TRICKY + '\n<a name="old-anchor"></a> and <span id="raw-span">x</span>\n'
    html = _parse(markdown, dialect).html
    output_ids = set(re.findall(r'\bid="([^"]+)"', html)) | set(re.findall(r'name="([^"]+)"', html))
    targets = anchors(_doc(markdown, dialect), dialect).ids
    assert output_ids <= targets
    assert {"old-anchor", "raw-span", "fn-1"} <= targets


def test_python_markdown_html_blocks_with_markdown_inside() -> None:
    texts = '<aside markdown="1">\n<p markdown="span">[a](#b)</p>\n\n[c](#d)\n\n</aside>\n'
    lines = texts.split("\n")
    flags = raw_lines(lines, code_lines(lines))
    assert flags == [True, False, False, False, False, True, False]


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_explicit_ids_taken_before_slugs(dialect: str) -> None:
    found = anchors(_doc("## Intro\n\n## Other {#intro}\n", dialect), dialect)
    assert [h.id for h in found.headings] == ["intro-1", "intro"]


@pytest.mark.parametrize(
    ("inline", "text"),
    [
        ("plain", "plain"),
        ("a `b  c` d", "a b c d"),
        ("*em* and **strong** and ***both***", "em and strong and both"),
        ("snake_case _em_", "snake_case em"),
        ("[text](url) ![alt](src)", "text"),
        ("A &amp; B", "A & B"),
        ("esc \\* \\_ \\#", "esc * _ #"),
        ("<b>bold</b>", "bold"),
        ("<https://e.org>", "https://e.org"),
    ],
)
def test_plain_text(inline: str, text: str) -> None:
    assert plain_text(inline) == text


def test_footnote_call_in_heading_renders_its_number() -> None:
    assert plain_text("Note[^b]", {"a": 1, "b": 2}) == "Note2"
    assert plain_text("Note[^zz]", {"a": 1}) == "Note[^zz]"


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_many_repeated_headings_stay_linear(dialect: str) -> None:
    markdown = "\n\n".join("## Same" for _ in range(20000))
    found = anchors(_doc(markdown, dialect), dialect)
    assert found.headings[-1].id == "same-19999"

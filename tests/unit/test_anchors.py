"""Unit tests for convert/normalize/anchors.py: the ids the parser will assign.

The main test compares ``anchors`` with what ``markdown.parse`` really does on tricky
headings, so the fragment rules and the parser cannot drift apart. No diagnostics here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from convert.markdown import parse
from convert.model import Article, Meta
from convert.normalize.anchors import anchors, plain_text
from convert.normalize.base import doc_from_text
from convert.normalize.syntax import raw_html

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


def _doc(markdown: str):
    return doc_from_text(markdown, 1, Meta(title="T"))


def _parsed_ids(markdown: str) -> list[tuple[int, str, str]]:
    parsed = parse(Article(source=Path("d.md"), meta=Meta(title="T"), markdown=markdown))
    return [(h.level, h.text, h.id) for h in parsed.headings]


def test_anchors_agree_with_the_parser_on_tricky_headings() -> None:
    predicted = [(h.level, h.text, h.id) for h in anchors(_doc(TRICKY)).headings]
    assert predicted == _parsed_ids(TRICKY)


def test_every_id_in_the_output_is_a_known_target() -> None:
    markdown = TRICKY + '\n<a name="old-anchor"></a> and <span id="raw-span">x</span>\n'
    html = parse(Article(source=Path("d.md"), meta=Meta(title="T"), markdown=markdown)).html
    output_ids = set(re.findall(r'\bid="([^"]+)"', html)) | set(re.findall(r'name="([^"]+)"', html))
    targets = anchors(_doc(markdown)).ids
    assert output_ids <= targets
    assert {"old-anchor", "raw-span", "fn-n", "fnref-n", "fn-1"} <= targets


def test_markdown_in_html_blocks_are_markdown() -> None:
    doc = _doc('<aside markdown="1">\n<p markdown="span">[a](#b)</p>\n\n[c](#d)\n\n</aside>\n')
    assert raw_html(doc.lines) == [True, False, False, False, False, True, False]


def test_explicit_ids_taken_before_slugs() -> None:
    found = anchors(_doc("## Intro\n\n## Other {#intro}\n"))
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


def test_many_repeated_headings_stay_linear() -> None:
    markdown = "\n\n".join("## Same" for _ in range(20000))
    found = anchors(_doc(markdown))
    assert found.headings[-1].id == "same-19999"

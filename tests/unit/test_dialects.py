"""What real site exports write, read the way their authors meant (issue: the reader).

Each case is a construct Python-Markdown misreads. Checked for each: the default reader
(CommonMark) gives the structure the author wrote, no Markdown syntax is left as text, and
— where the ``portable`` rule makes the intent explicit — Python-Markdown reads the
normalized text the same way (so ``pressroom fix`` writes Markdown every reader agrees on).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import lxml.html
import pytest

from convert.diagnostics import Report
from convert.model import Article, Meta
from convert.normalize import normalize
from convert.parse import parse
from tests.conformance import shape


@dataclass(frozen=True)
class Case:
    name: str
    markdown: str
    # XPath expression → how many elements it must find in the CommonMark reading.
    counts: dict[str, int]
    portable: bool = True  # Python-Markdown reads the normalized text alike
    codes: tuple[str, ...] = ()  # diagnostics the normalization reports


CASES = [
    Case(
        "list under a text line",
        "Units under command:\n* First unit\n* Second unit\n  * Nested unit\n\nDone.\n",
        {"//li": 3, "//ul/li/ul/li": 1, "//p": 2},
        codes=("markdown.list-start", "markdown.list-indent"),
    ),
    Case(
        "list under an image line",
        "![Map](https://example.org/map.png)\n- Order one\n- Order two\n",
        {"//ul/li": 2},
        codes=("markdown.list-start", "image.remote"),
    ),
    Case(
        "ordered list with parentheses",
        "Steps:\n\n1) Set the type\n2) Ink the forme\n",
        {"//ol/li": 2},
        codes=("markdown.list-marker",),
    ),
    Case(
        "ordered list nested in bullets",
        "- Press\n  1. Ink\n  2. Pull\n- Bindery\n",
        {"//ul/li": 2, "//ul/li/ol/li": 2},
        codes=("markdown.list-indent",),
    ),
    Case(
        "nested list indented two spaces",
        "- One\n  - Two\n    - Three\n",
        {"//ul/li/ul/li/ul/li": 1},
        codes=("markdown.list-indent",),
    ),
    Case(
        "Markdown inside a raw HTML block",
        '<div class="note">\n\n**Bold** and [a link](https://example.org).\n\n</div>\n',
        {"//div/p/strong": 1, "//div/p/a": 1},
        codes=("markdown.html-markdown",),
    ),
    Case(
        "details block with Markdown",
        "<details>\n<summary>More</summary>\n\n- hidden item\n\n</details>\n",
        {"//details/summary": 1, "//details/ul/li": 1},
        codes=("markdown.html-markdown",),
    ),
    Case(
        "unclosed HTML tag",
        '<div class="thumb">\n\nText with **bold**.\n\n## Later section\n\nMore text.\n',
        {"//h2": 1, "//strong": 1},
        codes=("markdown.html-unclosed",),
    ),
    Case(
        "strikethrough",
        "Price ~~ten~~ five pence.\n",
        {"//del": 1},
        portable=False,  # not Python-Markdown syntax at all
    ),
    Case(
        "task list",
        "- [ ] Proof the galley\n- [x] Order paper\n",
        {"//li/input[@type='checkbox']": 2, "//input[@checked]": 1},
        portable=False,
    ),
    Case(
        "block quotes apart",
        "> First quote.\n\n> Second quote.\n",
        {"//blockquote": 2},
        portable=False,  # Python-Markdown merges them; nothing in Markdown says otherwise
    ),
    Case(
        "fence with line highlights",
        "```js{2}\nconst a = 1;\nconst b = 2;\n```\n",
        {"//pre/code": 1},
        codes=("markdown.fence-info",),
    ),
    Case(
        "fence with a title",
        '```python title="press.py"\nprint("ink")\n```\n',
        {"//pre/code": 1, "//figure/figcaption": 1},
        codes=("markdown.fence-info",),
    ),
    Case(
        "fence with braced attributes",
        "```{.py}\nx = 1\n```\n",
        {"//pre/code": 1},
        codes=("markdown.fence-info",),
    ),
    Case(
        "setext under a two-line paragraph",
        "Intro.\n\nA heading that\nruns over two lines\n---\n\nText.\n",
        {"//h2": 1, "//p": 2},
        codes=("markdown.setext",),
    ),
    Case(
        "a key: value line over ---",
        "Intro.\n\nsource: archive\n---\n\nText.\n",
        {"//h2": 1},
    ),
    Case(
        "heading attributes",
        "## Plugins {#plugins}\n\nSee [plugins](#plugins).\n",
        {"//h2[@id='plugins']": 1, "//a[@href='#plugins']": 1},
    ),
    Case(
        "self-closing raw HTML",
        'Works with Python <sup class="badge" data-text="3.5+" /> and later.\n',
        {"//sup": 1, "//p": 1},
        codes=("markup.self-closing",),
    ),
    Case(
        "link destination with spaces",
        "See [the guide](https://example.org/a guide.html).\n",
        {"//a": 1},
        codes=("markdown.link-destination",),
    ),
]

# What literal Markdown syntax looks like in the text of a rendered page.
_LITERAL = re.compile(r"(?m)^\s*(?:[*+-]|\d+[.)])\s|~~|```|\]\(|\{#|\[[ xX]\]|^\s*>")


def _read(markdown: str, dialect: str = "commonmark") -> tuple[str, Report, str]:
    report = Report()
    article = Article(source=Path("case.md"), meta=Meta(title="Case"), markdown=markdown)
    article = normalize(replace(article, dialect=dialect), report)
    return parse(article).html, report, article.markdown


def _text(html: str) -> str:
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for pre in root.iter("pre"):
        pre.drop_tree()
    return "\n".join(t for t in root.itertext())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_commonmark_reads_what_the_author_wrote(case: Case) -> None:
    html, report, _ = _read(case.markdown)
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for xpath, count in case.counts.items():
        assert len(root.xpath(xpath)) == count, (xpath, html)
    assert not _LITERAL.search(_text(html)), html
    assert sorted(set(report.codes())) == sorted(set(case.codes)), report.codes()


@pytest.mark.parametrize("case", [c for c in CASES if c.portable], ids=lambda c: c.name)
def test_normalized_text_reads_the_same_in_python_markdown(case: Case) -> None:
    html, _, fixed = _read(case.markdown)
    article = Article(source=Path("case.md"), meta=Meta(title="Case"), markdown=fixed)
    other = parse(replace(article, dialect="python-markdown")).html
    assert shape(other) == shape(html), (fixed, other, html)


def test_before_normalizing_python_markdown_misread_them() -> None:
    """The cases are real misreadings: Python-Markdown on the source as written differs
    (so the portability test above can fail)."""
    misread = 0
    for case in CASES:
        if not case.portable:
            continue
        article = Article(source=Path("c.md"), meta=Meta(title="C"), markdown=case.markdown)
        as_written = parse(replace(article, dialect="python-markdown")).html
        misread += shape(as_written) != shape(_read(case.markdown)[0])
    assert misread >= 12


def test_python_markdown_dialect_keeps_its_own_reading() -> None:
    # A four-space list and an admonition, as MkDocs sites write them.
    source = "!!! note\n    Mind the ink.\n\n- one\n    - nested\n"
    html, report, fixed = _read(source, "python-markdown")
    assert fixed == source.rstrip("\n") or fixed == source
    assert 'class="admonition note"' in html and "<ul>" in html and html.count("<li>") == 2
    assert "markdown.list-indent" not in report.codes()


def test_a_title_taken_from_a_heading_is_its_plain_text() -> None:
    # No frontmatter title: the first heading gives it, without markup or attributes, so
    # the PDF title and the EPUB dc:title read "Plugins for *Presses*" as a reader sees it.
    report = Report()
    article = Article(
        source=Path("p.md"), meta=Meta(), markdown="# Plugins for *Presses* {#plugins}\n\nText.\n"
    )
    fixed = normalize(article, report)
    assert fixed.meta.title == "Plugins for Presses"
    assert "meta.title-missing" in report.codes()

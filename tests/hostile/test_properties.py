"""Property-based: random Markdown and frontmatter, hostile fragments mixed in, through
load → normalize → parse → tree for both targets. Nothing raises but ``ConvertError``,
each example finishes within a deadline, and no live markup survives."""

from __future__ import annotations

import contextlib
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from convert.diagnostics import Report, Severity
from convert.errors import ConvertError
from convert.load import LoadOptions, load
from convert.normalize import normalize
from convert.parse import parse
from convert.tree import prepare

FRAGMENTS = [
    "# Title",
    "## Section",
    "### Sub",
    "text with *emphasis* and `code`",
    "[object Object]",
    "undefined",
    "- item",
    "1. one",
    "> quote",
    "```",
    "~~~",
    "| a | b |",
    "|---|---|",
    "| 1 | [object Object] |",
    "[^1]",
    "[^1]: note",
    "[x][missing]",
    "[x](#nowhere)",
    "![img](/etc/passwd)",
    "![r](http://example.org/a.png)",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">j</a>',
    '<a rel="attachment" href="file:///etc/passwd">a</a>',
    "<iframe src=x></iframe>",
    '<p style="color:red">s</p>',
    "<style>body{}</style>",
    '<meta http-equiv="refresh">',
    '<link rel="stylesheet" href="http://x/y.css">',
    "{{Infobox | a = b}}",
    "{% youtube x %}",
    "<!-- hidden -->",
    "::: tip",
    ":::",
    "[[File:A.jpg|thumb|Caption]]",
    "&#6;",
    "\u0007",
    "java&#6;script:",
    "<object data=x></object>",
    "<embed src=x>",
    "<form><input></form>",
    "    indented",
    "",
    "",
]
FRONT = st.sampled_from(
    [
        "",
        "---\ntitle: T\n---\n",
        "---\ntitle: [unclosed\n---\n",
        "---\n- a\n---\n",
        '+++\ntitle = "T"\n+++\n',
        '{"title": "J"}\n',
        "---\na: &a [1]\nb: [*a, *a]\n---\n",
        "---\ntags: undefined\nimg: {}\ndate: never\nlang: xx-!!\n---\n",
    ]
)
LIVE = re.compile(
    r"<script|\son\w+\s*=|javascript:|\sstyle\s*=|<iframe|<object|<embed|<form"
    r"|<meta|<link|<style|file:",
    re.I,
)


@settings(max_examples=150, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(front=FRONT, lines=st.lists(st.sampled_from(FRAGMENTS), max_size=40))
@example(front="", lines=["```", '<img src=x onerror="alert(1)">', "```"])  # shown, not live
def test_random_documents_are_safe(front: str, lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.md"
        path.write_text(front + "\n".join(lines), encoding="utf-8")
        report = Report()
        try:
            article = normalize(load(path, report, LoadOptions()), report)
            parsed = parse(article)
            for target in ("pdf", "epub"):
                html = prepare(
                    parsed.html, target=target, images=lambda src: None, emit=lambda *a: None
                ).html
                # Live markup is in tags; escaped text (a listing showing an attack) is not.
                tags = " ".join(re.findall(r"<[a-zA-Z!][^>]*>", html))
                assert not LIVE.search(tags), html
        except ConvertError:
            return  # refused cleanly: allowed
        assert all(isinstance(d.severity, Severity) for d in report)


@settings(max_examples=100, deadline=5000)
@given(st.text(max_size=2000))
def test_any_text_loads_and_normalizes(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.md"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        report = Report()
        with contextlib.suppress(ConvertError):  # a clean refusal is allowed
            normalize(load(path, report, LoadOptions()), report)

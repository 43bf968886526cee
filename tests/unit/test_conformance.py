"""The readers against the CommonMark 0.31.2 and GFM 0.29 spec examples (tests/conformance.py).

``commonmark`` must agree with every CommonMark example; ``gfm`` with at least 99 % of the
GFM examples, its extensions included, and differ exactly where ``GFM_DIFFERENCES`` says
why. The Python-Markdown dialect's figures are printed by ``make bench``, not asserted.
"""

from __future__ import annotations

import pytest

from tests.conformance import COMMONMARK, GFM, GFM_DIFFERENCES, compare, examples, read, shape

pytestmark = pytest.mark.skipif(
    not (COMMONMARK.is_file() and GFM.is_file()), reason="../shared/markdown-spec not found"
)


def test_commonmark_reader_agrees_with_every_commonmark_example() -> None:
    result = compare(examples(COMMONMARK), "commonmark")
    assert result.total == 655
    assert result.differ == []


def test_gfm_reader_agrees_with_the_gfm_spec_but_for_listed_reasons() -> None:
    result = compare(examples(GFM), "gfm")
    assert result.total == 671
    assert result.differ == sorted(GFM_DIFFERENCES)
    assert result.ratio >= 0.99


def test_comparison_sees_structure_not_decoration() -> None:
    # A highlighted block and a heading id are decoration; a lost list item is not.
    assert shape(
        '<div class="highlight"><pre><code class="language-py"><span>x</span> = 1\n'
        "</code></pre></div>"
    ) == shape('<pre><code class="language-py">x = 1\n</code></pre>')
    assert shape('<h2 id="a">A</h2>') == shape("<h2>A</h2>")
    assert shape("<ul><li>a</li><li>b</li></ul>") != shape("<ul><li>a</li></ul><p>b</p>")
    assert shape('<a href="/x">t</a>') != shape('<a href="/y">t</a>')


def test_the_check_can_fail_on_a_misreading_dialect() -> None:
    # Python-Markdown reads a list under a paragraph line as text: the comparison says so.
    case = [
        {
            "example": 1,
            "markdown": "Units:\n* one\n* two\n",
            "html": "<p>Units:</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n",
        }
    ]
    assert compare(case, "commonmark").differ == []
    assert compare(case, "python-markdown").differ == [1]
    assert "<li>" not in read(case[0]["markdown"], "python-markdown")

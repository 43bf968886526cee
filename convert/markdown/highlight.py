"""Code blocks, highlighted with Pygments (the only module that imports it).

Both readers hand their code blocks here, so a block looks the same whichever dialect read
it: ``<div class="highlight"><pre><code class="language-x">…spans…</code></pre></div>``,
inside a ``figure.code`` with a caption when the fence gave a title. An unknown or absent
language is not guessed: the code is shown as written, escaped.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pygments.formatters import HtmlFormatter
    from pygments.lexer import Lexer

# Pygments is imported by the functions that use it: most documents have no code block with
# a language, and its import (with the formatter's and lexers' modules) costs every cold run
# otherwise.


@lru_cache(maxsize=1)
def _formatter() -> HtmlFormatter:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


@lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    """The Pygments lexer for ``language``, or ``None`` for an unknown or absent one."""
    if not language:
        return None
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        # stripnl=False: the code is shown exactly as written, blank first lines included.
        return get_lexer_by_name(language.lower(), stripnl=False)
    except ClassNotFound:
        return None


def code_block(code: str, language: str, title: str = "") -> str:
    """The HTML of one code block (see the module docstring)."""
    lexer = _lexer(language)
    if lexer is None:
        body = html.escape(code, quote=False)
    else:
        from pygments import highlight

        body = highlight(code, lexer, _formatter())
    cls = f' class="language-{html.escape(language)}"' if language else ""
    block = f'<div class="highlight"><pre><code{cls}>{body}</code></pre></div>\n'
    if not title:
        return block
    return (
        f'<figure class="code">\n<figcaption>{html.escape(title, quote=False)}</figcaption>\n'
        f"{block}</figure>\n"
    )


@lru_cache(maxsize=8)
def highlight_css(style: str = "friendly") -> str:
    """CSS for highlighted code in the given Pygments style, scoped to ``.highlight``."""
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style=style).get_style_defs(".highlight")

"""How deep a text nests, checked before any parser recurses into it.

Parsers recurse once (or more) per level of block quote or list; a text nested thousands of
levels deep (hostile or broken) would exhaust the stack. ``refuse_deep`` measures the
nesting in one linear pass and refuses such a text with ``markdown.too-deep`` before the
normalize rules or the parse stage read it.
"""

from __future__ import annotations

import re

from ..errors import ConvertError
from ..model import Article

# Levels of block quote and list nesting a document may use. Real articles stay under ten;
# parsers recurse per level, so this is far below where they break and far above real use.
MAX_NESTING = 100

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# The nesting prefix of a line: block quote markers and list markers ("- - - x" is three
# nested lists), with the spaces between them.
_PREFIX = re.compile(r"^(?:[ \t]*(?:>|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)))+")
_MARKER = re.compile(r">|[-*+]|\d{1,9}[.)]")


def nesting_depth(text: str) -> tuple[int, int]:
    """The deepest block nesting in ``text`` and its 1-based line: quote and list markers
    at the start of a line, plus one level per 4 columns of indentation before them.
    Fenced code is skipped. One pass, linear."""
    deepest, where = 0, 0
    fence = ""
    for number, line in enumerate(text.split("\n"), start=1):
        if fence:
            if line.strip().startswith(fence):
                fence = ""
            continue
        if match := _FENCE.match(line):
            fence = match[1]
            continue
        prefix = _PREFIX.match(line)
        if prefix is None:
            continue
        run = prefix[0].expandtabs(4)
        indent = len(run) - len(run.lstrip(" "))
        depth = indent // 4 + len(_MARKER.findall(run))
        if depth > deepest:
            deepest, where = depth, number
    return deepest, where


def refuse_deep(article: Article) -> None:
    """Raise ``markdown.too-deep`` when ``article`` nests deeper than ``MAX_NESTING``."""
    depth, line = nesting_depth(article.markdown)
    if depth > MAX_NESTING:
        raise ConvertError(
            f"block quotes or lists nested {depth} levels deep (line {article.line_of(line - 1)}),"
            f" over the limit of {MAX_NESTING}",
            path=article.source,
            code="markdown.too-deep",
        )

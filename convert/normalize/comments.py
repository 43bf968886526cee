"""HTML comments, removed from the source so nothing downstream mistakes them for content.

Defect: ``<!-- … -->`` outside code (editor notes, ``<!-- more -->`` excerpt markers,
linter switches, commented-out drafts). The sanitizer drops comments from the HTML, but
at source level they still mislead the other rules (a commented-out image would be
reported missing, a commented-out list item splits a list in two), and a comment spanning
lines inside a list or paragraph can leave its text visible in some renderers.

Fix: remove the comment; lines it occupied alone disappear (so a list around a
commented-out item stays one list), text beside it stays. ``pressroom fix`` shows the
result. An unclosed ``<!--`` is left as text, and so is one begun inside a paragraph whose
``-->`` lies beyond that paragraph's end: what follows may be real text. At the start of a
line an unclosed one would open an HTML block that a CommonMark reader hides to the end of
the document: its ``<`` is escaped (``markup.comment-unclosed``, warning).

Runs first: commented-out content is not content, and no other rule should report on it.

Codes: ``markup.comment`` (info): the comment never showed, so nothing visible changed;
``markup.comment-unclosed`` (warning).
"""

from __future__ import annotations

import re
from bisect import bisect_left

from .base import Context, Doc, Edit, Rule, Run, Severity, rewrite_runs

_OPEN = "<!--"
_CLOSE = "-->"
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _comments(run: Run, ctx: Context, escaped: list[int]) -> list[Edit]:
    text = run.text
    edits: list[Edit] = []
    # Blank lines, and the next "-->", looked up without rescanning: the openers are met in
    # order, so both searches only ever move forward (linear however many "<!--" there are).
    blanks = [m.start() for m in _BLANK_LINE.finditer(text)]
    close = -2  # offset of the next "-->" at or after the current opener; -1: none left
    pos = text.find(_OPEN)
    while pos != -1:
        if run.in_code(pos) or (pos and text[pos - 1] == "\\"):  # code, or escaped: text
            pos = text.find(_OPEN, pos + 1)
            continue
        # "<!-->" and "<!--->" are complete (empty) comments in HTML.
        short = next((len(s) for s in ("<!-->", "<!--->") if text.startswith(s, pos)), 0)
        if short:
            end = pos + short
        else:
            if close != -1 and close < pos + len(_OPEN):
                close = text.find(_CLOSE, pos + len(_OPEN))
            if close == -1:
                # Unclosed: what follows may be real text. At the start of a line it would
                # open an HTML block that hides the rest of the document from a CommonMark
                # reader: escaped, it shows as the text it is.
                line_start = text.rfind("\n", 0, pos) + 1
                if text[line_start:pos].strip(" "):
                    # Inside a line it opens no block: text, and later openers still count.
                    pos = text.find(_OPEN, pos + 1)
                    continue
                edits.append(Edit(pos, pos, "\\"))
                escaped.append(pos)
                ctx.emit(
                    "markup.comment-unclosed",
                    run.origin(pos),
                    "an HTML comment that never closes would hide the rest of the document",
                    "escaped its '<' so it shows as text, with everything after it",
                )
                break  # the rest of the run is read anew in the next pass
            end = close + len(_CLOSE)
        line_start = text.rfind("\n", 0, pos) + 1
        next_blank = bisect_left(blanks, pos)
        if text[line_start:pos].strip() and next_blank < len(blanks) and blanks[next_blank] < end:
            # Begun inside a paragraph, it cannot run past the paragraph's end: a "<!--"
            # in prose with a "-->" much later is not one comment.
            pos = text.find(_OPEN, pos + 1)
            continue
        body = " ".join(text[pos + len(_OPEN) : end - len(_CLOSE)].split())
        lines = text.count("\n", pos, end) + 1
        shown = body if len(body) <= 40 else body[:39] + "…"
        span = f" ({lines} lines)" if lines > 1 else ""
        ctx.emit(
            "markup.comment",
            run.origin(pos),
            f"HTML comment{span}: {shown!r}",
            "removed it (the output never shows comments)",
            Severity.INFO,
        )
        # Take the spaces after it too when it followed a space or began the line, so no
        # double space (or an indent that reads as code) is left behind.
        if pos == 0 or text[pos - 1] in " \t\n":
            while end < len(text) and text[end] in " \t":
                end += 1
        edits.append(Edit(pos, end, ""))
        pos = text.find(_OPEN, end)
    return edits


# An escaped comment no longer hides what follows it, which may hold code fences that
# change what the next unclosed comment is: one pass per unclosed comment, at most this many.
MAX_PASSES = 100


def apply(doc: Doc, ctx: Context) -> Doc:
    for _ in range(MAX_PASSES):
        if not any(_OPEN in line.text for line in doc.lines if not line.code):
            break
        escaped: list[int] = []
        found = escaped
        doc = Doc(
            rewrite_runs(doc, lambda run, found=found: _comments(run, ctx, found), ctx), doc.meta
        )
        if not escaped:
            break
    return doc


RULE = Rule("comments", ("markup.comment", "markup.comment-unclosed"), apply)

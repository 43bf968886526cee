"""Metadata repairs: a Pandoc title block, and title, description, tags and authors that
carry markup or exporter junk.

Defects and fixes:

- A Pandoc title block (``% Title`` / ``% Author; Author`` / ``% Date`` at the very top
  of the body, continuation lines indented): its fields fill the metadata the frontmatter
  lacks and the block leaves the body (``meta.title-block``, info). A block that
  disagrees with the frontmatter is left in the body untouched.
- A title with markup or glued junk (``**Title**``, ``Title[object Object]``, ``<b>…``,
  ``[text](url)``, surrounding quotes): cleaned to its text (``meta.title``, warning).
- A description that is template or wiki junk (``{{…}}``, ``[object Object]`` glued to
  text, over 600 characters): replaced by the short description the frontmatter also
  gives (``shortDescription``, ``summary``, ``excerpt``), else by the body's first
  paragraph cut at a sentence boundary. Wiki links (``[[a|b]]``) and HTML tags are
  cleaned to their text instead (``meta.description``, warning).
- Tags: entries spanning several lines are split, markup and flag emoji stripped, junk
  (``undefined``, ``{{…}}``, ``[object Object]``, labels such as ``Support:``, over 60
  characters) dropped, repeats (ignoring case) merged (``meta.tags``: warning when
  something was split or dropped as junk, info when only normalized).
- Authors: ``"['A', 'B']"`` split, markup stripped, junk dropped (``meta.authors``,
  warning).

Legitimate look-alikes stay: ``[object Object]`` after a space inside a sentence, a title
quoting something (``"A" and "B"``), ``snake_case`` words, ``C#``, backticks.

Codes: ``meta.title-block`` (info), ``meta.title`` (warning), ``meta.description``
(warning), ``meta.tags`` (warning / info), ``meta.authors`` (warning).
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

from ..load import listed_text, parse_date
from .base import Context, Doc, Line, Rule, Severity, heading_of, plural

MAX_DESCRIPTION = 600  # longer than any summary: an infobox or article dump
SHORT_DESCRIPTION = 300  # what a fallback from the body is cut down to
MAX_TAG = 60
# Frontmatter keys that also describe the article, in the loader's order of preference.
_DESCRIPTION_KEYS = ("description", "shortDescription", "summary", "excerpt")

# Values exporters write when a field had no value (JavaScript's and Python's "nothing").
_NOTHING = {"", "undefined", "null", "none", "nan", "[object object]", "{}", "[]", "-"}

# Tags that HTML documents actually use; ``<T>`` in "List<T> in C#" is not one of them.
_HTML_TAGS = (
    "a|abbr|b|big|blockquote|br|center|cite|code|del|div|em|font|h[1-6]|hr|i|img|ins|kbd|li|"
    "mark|nobr|ol|p|pre|q|s|small|span|strike|strong|sub|sup|table|td|th|time|tr|tt|u|ul|wbr"
)
_HTML_TAG = re.compile(rf"</?(?:{_HTML_TAGS})(?:\s[^<>]*)?/?>", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:[A-Za-z]{2,8}|#\d{1,6}|#x[0-9A-Fa-f]{1,6});")
_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()\s]*(?:\s+\"[^\"]*\")?\)")
_WIKI_LINK = re.compile(r"\[\[(?:[^\[\]|]*\|)?([^\[\]|]*)\]\]")
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_WRAPPED = re.compile(r"^(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1$", re.DOTALL)
# ``[object Object]`` glued to a word is exporter junk; after a space it may be prose
# about JavaScript ("prints [object Object]") and stays.
_GLUED_OBJECT = re.compile(r"(?<=[^\s\"'`(])(?:\[object Object\])+")
_OBJECT = "[object Object]"
_FLAG = re.compile("[\U0001f1e6-\U0001f1ff]{2}|\U0001f3f4[\U000e0020-\U000e007f]+")
_LIST_MARKER = re.compile(r"^(?:[-*+•]|\d+[.)])\s+")
_QUOTES = {'"': '"', "'": "'", "“": "”", "«": "»", "„": "“", "‘": "’"}


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _plain(text: str) -> str:
    """Text without HTML tags, entities, links, wiki links and whole-value emphasis."""
    text = _HTML_TAG.sub("", text)
    text = _LINK.sub(lambda m: m[1], text)
    text = _WIKI_LINK.sub(lambda m: m[1], text)
    if _ENTITY.search(text):
        text = html.unescape(text)
    text = _collapse(text)
    while match := _WRAPPED.match(text):
        text = match[2].strip()
    return text


def _unquote(text: str) -> str:
    """``"Title"`` → ``Title``; ``"A" and "B"`` stays (the quotes are not around it all)."""
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        inner = text[1:-1]
        if text[0] not in inner and text[-1] not in inner:
            return inner.strip()
    return text


def _is_nothing(text: str) -> bool:
    return text.strip().casefold() in _NOTHING


def _listed(text: str) -> list[str] | None:
    """``"['A', 'B']"`` (a list an exporter wrote as text) → ``["A", "B"]``: the loader's
    reading, keeping only lists of strings."""
    value = listed_text(text)
    return value if value is not None and all(isinstance(v, str) for v in value) else None


# --- Pandoc title block ------------------------------------------------------------------


def _title_block(lines: tuple[Line, ...]) -> tuple[int, int, list[str]] | None:
    """``(start, end, fields)`` of a title block at the top of the body, else ``None``.

    Each field joins its ``%`` line with the indented continuation lines below it.
    """
    start = next((i for i, line in enumerate(lines) if line.text.strip()), None)
    if start is None or lines[start].code or not re.match(r"^%(?:\s|$)", lines[start].text):
        return None
    fields: list[list[str]] = []
    end = start
    while end < len(lines) and not lines[end].code:
        text = lines[end].text
        if re.match(r"^%(?:\s|$)", text) and len(fields) < 3:
            fields.append([text[1:].strip()])
        elif fields and text.strip() and text[:1] in " \t":
            fields[-1].append(text.strip())
        else:
            break
        end += 1
    if end < len(lines) and lines[end].text.strip():
        return None  # not followed by a blank line: a paragraph that starts with "%"
    return start, end, ["\n".join(part for part in field if part) for field in fields]


def _authors_of(field: str) -> tuple[str, ...]:
    names = (_collapse(n) for line in field.split("\n") for n in line.split(";"))
    return tuple(dict.fromkeys(n for n in names if n))


def _apply_title_block(doc: Doc, ctx: Context) -> Doc:
    found = _title_block(doc.lines)
    if found is None:
        return doc
    start, end, fields = found
    meta = doc.meta
    title = _collapse(fields[0]) if fields else ""
    authors = _authors_of(fields[1]) if len(fields) > 1 else ()
    date_text = _collapse(fields[2]) if len(fields) > 2 else ""
    # Consume the block only when it adds to the frontmatter or repeats it: a block that
    # disagrees would lose text either way, so it stays in the body for the author to see.
    date = parse_date(date_text) if date_text else None
    if (
        (title and meta.title and title != meta.title)
        or (authors and meta.authors and authors != meta.authors)
        or (date_text and meta.date is not None and date != meta.date)
    ):
        return doc
    got: list[str] = []
    if title and not meta.title:
        meta = replace(meta, title=title)
        got.append(f"title {title!r}")
    if authors and not meta.authors:
        meta = replace(meta, authors=authors)
        got.append(plural(len(authors), "author"))
    if date_text and meta.date is None:
        if date is not None:
            meta = replace(meta, date=date)
            got.append(f"date {date_text!r}")
        else:  # kept as text so nothing is lost; the loader reports it next time
            meta = replace(meta, extra={**meta.extra, "date": date_text})
            got.append(f"date {date_text!r} (not a date I can read; kept as text)")
    ctx.removed.update(line.origin for line in doc.lines[start:end])
    ctx.emit(
        "meta.title-block",
        doc.lines[start].origin,
        "a Pandoc title block (% lines) at the top of the body",
        f"moved {', '.join(got) or 'it'} into the metadata" if got else "removed the repeat",
        Severity.INFO,
    )
    return Doc(doc.lines[:start] + doc.lines[end:], meta)


# --- title ---------------------------------------------------------------------------------


def _unlisted(text: str) -> str:
    """A list an exporter wrote as text (``"['A', 'B']"``) → ``"A, B"``."""
    items = _listed(text)
    return ", ".join(item.strip() for item in items if item.strip()) if items else text


# "undefined", "null", "NaN" or "[object Object]" an exporter put before or after a value,
# set off by a separator or a sentence end ("Konotop | undefined", "A summary. undefined");
# the same words inside a phrase ("behaviour is undefined") are real text.
_TOKEN = r"(?:undefined|null|NaN|\[object Object\])"
_TRAILING_TOKEN = re.compile(rf"(?:(?<=[.!?…])|\s*[|·,;:—–-])\s*{_TOKEN}\s*$")
_LEADING_TOKEN = re.compile(rf"^\s*{_TOKEN}\s*[|·,;:—–-]\s*")


def _edge_debris(text: str) -> str:
    """``text`` without debris tokens at its edges (see ``_TRAILING_TOKEN``)."""
    previous = None
    while previous != text:
        previous = text
        text = _LEADING_TOKEN.sub("", _TRAILING_TOKEN.sub("", text)).strip()
    return text


def _clean_title(title: str) -> str:
    text = _GLUED_OBJECT.sub("", _unlisted(title))
    text = _edge_debris(_unquote(_plain(text)))
    return "" if _is_nothing(text) else text


def _apply_title(doc: Doc, ctx: Context) -> Doc:
    title = doc.meta.title
    if not title:
        return doc
    clean = _clean_title(title)
    if clean == title:
        return doc
    ctx.emit(
        "meta.title",
        None,
        f"the title carries markup or junk: {title[:80]!r}",
        f"cleaned it to {clean!r}" if clean else "dropped it",
    )
    return Doc(doc.lines, replace(doc.meta, title=clean))


# --- description ---------------------------------------------------------------------------


def _description_junk(text: str) -> str | None:
    """Why ``text`` cannot describe the article, or ``None`` when it can."""
    if _TEMPLATE.search(text):
        return "a template tag ({{…}})"
    if _GLUED_OBJECT.search(text) or text.count(_OBJECT) > 1 or text.strip() == _OBJECT:
        return f"'{_OBJECT}'"
    if len(text) > MAX_DESCRIPTION:
        return _TOO_LONG.format(len(text))
    return None


_TOO_LONG = "{} characters long"


_SKIP_BLOCK = re.compile(
    r"^(?: {4}|\t| {0,3}(?:[>|<%]|[-*+]\s|\d+[.)]\s|\[\^|\{[%{]|!\[|\[[^\]]*\]:|[-*_=]{3,}\s*$))"
)
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])[\"'”»)]?\s+(?=[\"'“«(]?[^\W\d_])")


def _first_paragraph(lines: tuple[Line, ...]) -> str:
    """The plain text of the body's first ordinary paragraph (not a list, quote, table…)."""
    block: list[str] = []
    other = False  # inside a block of another kind (list, quote, table, HTML…): skipped
    for line in (*lines, Line("", 0)):
        if line.code or not line.text.strip() or heading_of(line) is not None:
            text = _inline_plain(" ".join(block))
            # Enough words outside links: "Video: <https://…>" is no summary.
            if sum(c.isalpha() for c in _URL.sub("", text)) >= 20:
                return text
            block, other = [], False
        elif _SKIP_BLOCK.match(line.text):
            block, other = [], True
        elif not other:
            block.append(line.text.strip())
    return ""


_URL = re.compile(r"<?(?:https?|ftp)://[^\s>]*>?|www\.\S+")
_INLINE = (
    (re.compile(r"<((?:https?|ftp)://[^\s>]*)>"), r"\1"),  # autolinks: the address
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images carry no description
    (re.compile(r"\[\^[^\]]+\]"), ""),  # footnote calls
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"`+([^`]+)`+"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
    (_TEMPLATE, ""),
    (_HTML_TAG, ""),
)


def _inline_plain(text: str) -> str:
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    return _collapse(html.unescape(text) if _ENTITY.search(text) else text)


def _shorten(text: str, limit: int = SHORT_DESCRIPTION) -> str:
    """Whole sentences up to ``limit`` characters; one over-long sentence is cut at a word."""
    if len(text) <= limit:
        return text
    cut = 0
    for match in _SENTENCE_END.finditer(text):
        if match.start() > limit:
            break
        cut = match.start()
    if cut:
        return text[:cut].rstrip()
    words = text[: limit - 1].rsplit(" ", 1)[0]
    return words.rstrip(" ,;:–—-") + "…"


def _apply_description(doc: Doc, ctx: Context) -> Doc:
    meta = doc.meta
    given = meta.description
    if not given:
        return doc
    # Tokens an exporter put before or after it ("… in 2022. undefined"); between words a
    # lone "[object Object]" may be what the article is about, and stays.
    debris = _edge_debris(given)
    if debris != given and debris and _description_junk(debris) is None:
        ctx.emit(
            "meta.description",
            None,
            f"the description holds exporter debris: {given[:80]!r}",
            f"removed it: {debris[:60]!r}",
        )
        meta = replace(meta, description=debris)
        doc = Doc(doc.lines, meta)
        given = debris
    why = _description_junk(given)
    if why is None:
        clean = _plain(_unlisted(given))
        if clean == given:
            return doc
        ctx.emit(
            "meta.description",
            None,
            "the description carries markup (HTML tags, wiki links) or is a list as text",
            "cleaned it to its text",
        )
        return Doc(doc.lines, replace(meta, description=clean))
    clean, source = "", ""
    for key in _DESCRIPTION_KEYS:
        value = meta.extra.get(key)
        if isinstance(value, str) and not _is_nothing(value):
            candidate = _plain(value)
            if candidate and candidate != given and _description_junk(candidate) is None:
                clean, source = candidate, f"the '{key}' value"
                break
    if not clean:
        clean = _shorten(_first_paragraph(doc.lines))
        source = "the first paragraph" if clean else ""
    if not clean and why == _TOO_LONG.format(len(given)):
        # Real text that is only too long: better cut down than lost.
        clean, source = _shorten(given), "the description itself, cut short"
    ctx.emit(
        "meta.description",
        None,
        f"the description is not a summary: {why}",
        f"used {source}: {clean[:60]!r}" if clean else "dropped it (no paragraph to use)",
    )
    return Doc(doc.lines, replace(meta, description=clean))


# --- tags ------------------------------------------------------------------------------------


def _clean_tags(tags: tuple[str, ...]) -> tuple[tuple[str, ...], list[str], list[str]]:
    """``(tags, serious, minor)``: the clean tags and what was done, worst first."""
    kept: dict[str, str] = {}
    serious: list[str] = []  # split or junk dropped: the reader loses or gains something
    minor: list[str] = []  # normalized: whitespace, markup, flags, repeats, empties
    for raw in tags:
        pieces = [p for p in raw.split("\n") if p.strip()]
        if len(pieces) > 1:
            serious.append(f"split a {len(pieces)}-line entry")
        for piece in pieces or [""]:
            text = _plain(_FLAG.sub("", _LIST_MARKER.sub("", piece.strip())))
            if text != piece:
                minor.append("markup or spacing")
            if _is_nothing(text) and not piece.strip():
                minor.append("empty entry")
                continue
            if (
                _is_nothing(text)
                or _TEMPLATE.search(text)
                or _OBJECT in text
                or len(text) > MAX_TAG
                or (len(pieces) > 1 and text.endswith(":"))
            ):
                serious.append(f"dropped {text[:30]!r}")
                continue
            key = text.casefold()
            if key in kept:
                minor.append("repeat")
                continue
            kept[key] = text
    return tuple(kept.values()), serious, minor


def _apply_tags(doc: Doc, ctx: Context) -> Doc:
    tags = doc.meta.tags
    clean, serious, minor = _clean_tags(tags)
    if clean == tags:
        return doc
    done = list(dict.fromkeys(serious + minor))
    ctx.emit(
        "meta.tags",
        None,
        f"tags cleaned: {len(tags)} given, {len(clean)} kept",
        "; ".join(done[:4]) + (f"; and {len(done) - 4} more" if len(done) > 4 else ""),
        Severity.WARNING if serious else Severity.INFO,
    )
    return Doc(doc.lines, replace(doc.meta, tags=clean))


# --- authors --------------------------------------------------------------------------------


def _apply_authors(doc: Doc, ctx: Context) -> Doc:
    authors = doc.meta.authors
    names: dict[str, str] = {}
    for raw in authors:
        for name in _listed(raw) or [raw]:
            text = _edge_debris(_unquote(_plain(_GLUED_OBJECT.sub("", name))))
            if _is_nothing(text) or _OBJECT in text or _TEMPLATE.search(text):
                continue
            names.setdefault(text.casefold(), text)
    clean = tuple(names.values())
    if clean == authors:
        return doc
    ctx.emit(
        "meta.authors",
        None,
        f"authors carry markup or junk: {', '.join(repr(a[:40]) for a in authors[:3])}",
        f"cleaned to {', '.join(clean) or 'none'}",
    )
    return Doc(doc.lines, replace(doc.meta, authors=clean))


def apply(doc: Doc, ctx: Context) -> Doc:
    # The title block first: its title and authors are cleaned like the frontmatter's.
    for step in (_apply_title_block, _apply_title, _apply_authors, _apply_description):
        doc = step(doc, ctx)
    return _apply_tags(doc, ctx)


RULE = Rule(
    "frontmatter",
    ("meta.title-block", "meta.title", "meta.description", "meta.tags", "meta.authors"),
    apply,
)

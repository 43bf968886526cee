"""Template-engine tags left in the Markdown: Liquid (Jekyll), Nunjucks (Hexo, Eleventy) and
Hugo shortcodes.

Defect: ``{% tag … %}``, ``{{< shortcode … >}}``, ``{{% shortcode … %}}``, Mustache and
Handlebars sections (``{{#if x}}`` … ``{{/if}}``, a closing ``{{/video}}`` left after its
embed) and Liquid output ``{{ expression }}`` are instructions to a site generator;
outside it they print as literal text (or, in a link target, break the link).

Fix, by tag (a tag and its end tag are paired, ``{% note %}`` … ``{% endnote %}``,
``{{< notice >}}`` … ``{{< /notice >}}``; the text between them is always kept):

- notes and callouts (``note``, ``tip``, ``warning``, ``notice``, ``hint``, ``alert``,
  ``callout``…) alone on their lines become ``::: class Title`` … ``:::`` containers,
  which the ``shapes`` rule renders as asides: the title is text the reader should see;
- ``blockquote``/``quote``/``pullquote`` pairs become a Markdown quote, the attribution
  (author, source, link) a last quoted line;
- ``comment`` pairs are removed with what they enclose: the site never showed it;
- images (``img``, ``asset_img`` from Octopress/Hexo, Hugo's ``figure``) become Markdown
  images with their alt text and title or caption (the ``images`` rule then checks them);
- links (``post_url``, ``link``, ``post_path``, ``asset_path``, Hugo ``ref``/``relref``)
  become the path they name; ``post_link``/``asset_link`` the link's text;
- ``{{ "/x" | relative_url }}`` becomes ``/x``; the site's base URL
  (``{{ site.baseurl }}``, ``{{ .Site.BaseURL }}``) nothing, so ``{{ site.baseurl }}/a.png``
  reads ``/a.png``; ``{{ page.title }}`` / ``{{ .Title }}`` the document's title; any
  other expression is removed (its value is unknowable here);
- every other tag (``include``, ``if``/``endif``, ``assign``…) is removed; a note tag
  whose end tag is missing keeps its title, in bold.

Video embeds are the ``video`` rule's (it runs before this one), code tags the
``code_tags`` rule's, and braces escaped with a backslash are text. A ``{{ … }}`` that is
not a Liquid expression (``{{Infobox …}}``, with no space and no dot) is left to the
``wikitext`` rule. Never inside fenced or inline code.

Codes: ``markup.liquid`` (warning).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .base import (
    Context,
    Doc,
    Edit,
    Rule,
    Run,
    mark_code,
    outside_code,
    protected_spans,
    splice,
)

# A tag's arguments stop at the next tag opener and at 1,000 characters (a tag is one line,
# and no real one is that long), so a long line of unclosed "{%" costs linear time.
_TOKEN = re.compile(
    r"(?<!\\)\{%-?\s*(?P<lname>[A-Za-z_][\w-]*)(?P<largs>(?:[^%{\n]|%(?!\})|\{(?!%)){0,1000}?)\s*-?%\}"
    r"|(?<!\\)\{\{(?P<hd>[<%])\s*(?P<hclose>/)?\s*(?P<hname>[A-Za-z_][\w./-]*)"
    r"(?P<hargs>(?:[^{\n]|\{(?!\{)){0,1000}?)\s*/?[>%]\}\}"
    r"|(?<!\\)\{\{(?![{<%#/])(?P<expr>[^{}\n]{0,1000})\}\}"
    # Mustache/Handlebars sections: {{#name args}} … {{/name}} (not wiki {{#invoke:…}}).
    r"|(?<!\\)\{\{(?P<md>[#/])(?P<mname>[A-Za-z_][\w-]*)(?P<margs>\s[^{}\n]{0,1000})?\}\}"
)
_EXPRESSION = re.compile(
    r"""^\s*(?P<value>"[^"]*"|'[^']*'|\.?[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[[^\]]*\])*)"""
    r"""\s*(?:\|\s*[A-Za-z_]\w*(?:\s*:\s*[^|]*)?\s*)*$"""
)
_WORD = re.compile(r""""(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<w>[^\s"']+)""")
_NAMED = re.compile(r"""(?P<key>[\w-]+)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<w>\S+))""")

_BASE_URLS = {
    "site.baseurl",
    "site.url",
    "site.base_path",
    "site.basepath",
    "base_path",
    "baseurl",
    ".site.baseurl",
    "site.github.url",
}
_TITLES = {"page.title", ".title", ".page.title", "title"}
_NOTES = {
    "note",
    "tip",
    "info",
    "warning",
    "danger",
    "caution",
    "important",
    "alert",
    "callout",
    "hint",
    "notice",
    "admonition",
    "success",
    "error",
    "attention",
}
_GENERIC_NOTES = {"note", "notice", "hint", "alert", "callout", "admonition"}
_NOTE_CLASSES = _NOTES | {"default", "primary", "question", "example", "abstract", "bug"}
_QUOTES = {"blockquote", "quote", "pullquote"}
_IMAGES = {"img", "image", "asset_img", "asset_image", "figure"}
_PATHS = {"post_url", "link", "post_path", "asset_path", "ref", "relref"}
_LINK_TEXTS = {"post_link", "asset_link"}


@dataclass(slots=True)
class _Tag:
    start: int
    end: int
    line: int  # index of the line in the run
    name: str  # casefolded; for an end tag, the name of the tag it closes
    args: str
    closing: bool
    alone: bool
    raw: str
    value: str | None = None  # for a Liquid output: what it stands for
    partner: _Tag | None = None


def _words(args: str) -> list[str]:
    return [m["dq"] if m["dq"] is not None else m["sq"] if m["sq"] is not None else m["w"]
            for m in _WORD.finditer(args)]  # fmt: skip


def _named(args: str) -> dict[str, str]:
    return {
        m["key"].casefold(): next(g for g in (m["dq"], m["sq"], m["w"]) if g is not None)
        for m in _NAMED.finditer(args)
    }


def _expression(expr: str, title: str) -> str | None:
    """What a Liquid output stands for, or ``None`` if it is not a Liquid output."""
    match = _EXPRESSION.match(expr)
    if not match:
        return None
    value = match["value"]
    quoted = value[:1] in "\"'"
    # "{{Name}}" with no space, quote or dot is a wiki template, not Liquid.
    if not (expr[:1].isspace() or quoted or "." in value):
        return None
    if quoted:
        return value[1:-1]
    key = value.casefold()
    if key in _BASE_URLS:
        return ""
    if key in _TITLES:
        return title
    return ""


def _tokens(run: Run, title: str) -> list[_Tag]:
    tags: list[_Tag] = []
    for index, line in enumerate(run.lines):
        if line.code or ("{%" not in line.text and "{{" not in line.text):
            continue
        spans = protected_spans(line.text)
        base = run.starts[index]
        for m in _TOKEN.finditer(line.text):
            if not outside_code(line.text, m.start(), spans):
                continue
            alone = line.text.strip() == m[0]
            start, end = base + m.start(), base + m.end()
            if m["expr"] is not None:
                value = _expression(m["expr"], title)
                if value is not None:
                    tags.append(_Tag(start, end, index, "", m["expr"], False, alone, m[0], value))
                continue
            if m["lname"]:
                name, args = m["lname"].casefold(), m["largs"]
                closing = name.startswith("end") and len(name) > 3
                name = name[3:] if closing else name
            elif m["mname"]:
                name, args, closing = m["mname"].casefold(), m["margs"] or "", m["md"] == "/"
            else:
                name, args, closing = m["hname"].casefold(), m["hargs"], bool(m["hclose"])
            tags.append(_Tag(start, end, index, name, args.strip(), closing, alone, m[0]))
    return tags


def _pair(tags: list[_Tag]) -> None:
    """Link each end tag to the nearest open tag of the same name before it."""
    stacks: dict[str, list[_Tag]] = {}
    for tag in tags:
        if tag.value is not None:
            continue
        if not tag.closing:
            stacks.setdefault(tag.name, []).append(tag)
        elif stacks.get(tag.name):
            opener = stacks[tag.name].pop()
            opener.partner, tag.partner = tag, opener


def _note(tag: _Tag) -> tuple[str, str]:
    """``(class, title)`` of a note tag."""
    named = _named(tag.args)
    words = [w for w in _words(_NAMED.sub("", tag.args)) if w.casefold() != "no-icon"]
    kind = named.get("type") or named.get("class") or ""
    # "{% note tip Title %}": a generic note's first word may be its class.
    if not kind and tag.name in _GENERIC_NOTES and words and words[0].casefold() in _NOTE_CLASSES:
        kind = words.pop(0)
    title = named.get("title") or " ".join(words)
    return (kind or tag.name).casefold(), title


def _image(tag: _Tag) -> str:
    """Markdown image for ``img``/``asset_img`` (Octopress, Hexo) or Hugo's ``figure``."""
    if tag.name == "figure":
        named = _named(tag.args)
        src = named.get("src", "")
        caption = named.get("caption") or named.get("title") or ""
        alt = named.get("alt") or caption
    else:
        # [class names] path [width] [height] ["title" ["alt"]]
        words = _words(tag.args)
        at = next((i for i, w in enumerate(words) if "/" in w or "." in w), 0)
        src = words[at] if words else ""
        rest = [w for w in words[at + 1 :] if not w.isdigit()]
        caption = rest[0] if rest else ""
        alt = rest[1] if len(rest) > 1 else caption
    title = f' "{caption}"' if caption and '"' not in caption else ""
    target = f"<{src}>" if " " in src else src
    return f"![{alt}]({target}{title})"


def _path(tag: _Tag) -> str:
    words = _words(tag.args)
    return words[0] if words else ""


def _link_text(tag: _Tag) -> str:
    words = _words(tag.args)
    return " ".join(words[1:]) or (words[0] if words else "")


def _attribution(tag: _Tag) -> str:
    """Hexo: ``{% blockquote [author[, source]] [link] [source_link_title] %}``."""
    words = _words(tag.args)
    at = next((i for i, w in enumerate(words) if w.startswith(("http://", "https://"))), None)
    if at is None:
        return " ".join(words)
    said, url, label = " ".join(words[:at]), words[at], " ".join(words[at + 1 :])
    link = f"[{label}]({url})" if label else f"<{url}>"
    return f"{said} {link}".strip()


def _edits(run: Run, tags: list[_Tag], ctx: Context) -> list[Edit]:
    edits: list[Edit] = []

    def report(tag: _Tag, what: str, fix: str) -> None:
        ctx.emit("markup.liquid", run.lines[tag.line].origin, what, fix)

    # Comments go first, with everything inside them.
    hidden: list[tuple[int, int]] = []
    for tag in tags:
        if tag.name == "comment" and not tag.closing and tag.partner is not None:
            hidden.append((tag.start, tag.partner.end))
            edits.append(Edit(tag.start, tag.partner.end, ""))
            report(tag, "Liquid comment block", "removed it: the site never showed it")
    h = 0
    for tag in tags:
        while h < len(hidden) and hidden[h][1] <= tag.start:
            h += 1
        if h < len(hidden) and hidden[h][0] <= tag.start:
            continue
        if tag.value is not None:
            edits.append(Edit(tag.start, tag.end, tag.value))
            fix = f"replaced it with {tag.value!r}" if tag.value else "removed it"
            report(tag, f"template expression {tag.raw!r}", fix)
            continue
        if tag.closing:
            if tag.partner is None:
                edits.append(Edit(tag.start, tag.end, ""))
                report(tag, f"template end tag {tag.raw!r} with no start", "removed it")
            continue  # paired: handled with its start tag
        edits.extend(_open_tag(run, tag, report))
    edits.sort(key=lambda e: (e.start, e.end))
    kept: list[Edit] = []
    for edit in edits:  # an edit inside a removed comment block is moot
        if not kept or edit.start >= kept[-1].end:
            kept.append(edit)
    return kept


def _open_tag(run: Run, tag: _Tag, report: Callable[[_Tag, str, str], None]) -> list[Edit]:
    end = tag.partner
    pair = end is not None
    both_alone = pair and tag.alone and end.alone
    raw = " ".join(tag.raw.split())[:60]
    if tag.name in _NOTES and both_alone:
        kind, title = _note(tag)
        report(tag, f"note tag {raw!r}", "made it a ':::' container (shown as an aside)")
        container = f"::: {kind} {title}".rstrip()
        return [Edit(tag.start, tag.end, container), Edit(end.start, end.end, ":::")]
    if tag.name in _QUOTES and both_alone:
        inner = range(tag.line + 1, end.line)
        if not any(run.lines[i].code for i in inner):
            said = _attribution(tag)
            report(tag, f"quote tag {raw!r}", "made it a Markdown quote")
            edits = [Edit(tag.start, tag.end, "")]
            for i in inner:
                mark = "> " if run.lines[i].text.strip() else ">"
                edits.append(Edit(run.starts[i], run.starts[i], mark))
            edits.append(Edit(end.start, end.end, f">\n> — {said}" if said else ""))
            return edits
    if tag.name in _IMAGES and not pair:
        report(tag, f"image tag {raw!r}", "made it a Markdown image")
        return [Edit(tag.start, tag.end, _image(tag))]
    if tag.name in _PATHS and not pair:
        path = _path(tag)
        report(tag, f"link tag {raw!r}", f"replaced it with the path {path!r}")
        return [Edit(tag.start, tag.end, path)]
    if tag.name in _LINK_TEXTS and not pair:
        text = _link_text(tag)
        report(tag, f"link tag {raw!r}", f"replaced it with its text {text!r}")
        return [Edit(tag.start, tag.end, text)]
    if pair:
        report(tag, f"template tag {raw!r} and its end tag", "removed both, kept the text between")
        title = _note(tag)[1] if tag.name in _NOTES else ""
        opener = f"**{title}** " if title and not tag.alone else title
        return [Edit(tag.start, tag.end, opener), Edit(end.start, end.end, "")]
    if tag.name in _NOTES and (title := _note(tag)[1]):
        # A note whose end tag is missing: its title is still text the reader should see.
        report(tag, f"note tag {raw!r} with no end tag", f"kept its title {title!r}")
        return [Edit(tag.start, tag.end, f"**{title}**")]
    report(tag, f"template tag {raw!r} means nothing outside the site generator", "removed it")
    return [Edit(tag.start, tag.end, "")]


def apply(doc: Doc, ctx: Context) -> Doc:
    if not any("{%" in line.text or "{{" in line.text for line in doc.lines if not line.code):
        return doc
    run = Run(doc.lines)
    tags = _tokens(run, doc.meta.title)
    if not tags:
        return doc
    _pair(tags)
    lines = splice(run, _edits(run, tags, ctx), ctx)
    return Doc(mark_code(lines, ctx.dialect), doc.meta)


RULE = Rule("liquid", ("markup.liquid",), apply)

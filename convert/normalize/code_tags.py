"""Code written with template tags, made Markdown code so every rule leaves it alone.

Defect: site generators mark code with template tags that Markdown does not know:
Jekyll's ``{% highlight ruby %}`` … ``{% endhighlight %}``, Hexo's ``{% codeblock
[title] [lang:x] [url] [link text] %}`` … ``{% endcodeblock %}`` (also ``{% code %}``),
Hugo's ``{{< highlight go >}}`` … ``{{< /highlight >}}``; and Liquid's ``{% raw %}`` …
``{% endraw %}`` (also ``{% verbatim %}``), which shows template syntax literally. Left as
they are, the code is parsed as Markdown (indentation lost, ``*`` turned into emphasis),
the other rules "repair" it, and the tags print as text.

Fix: a code tag pair alone on its lines becomes a fenced block with the language (with a
fence longer than any inside it); a Hexo title and link become a line of text above it,
so no text is lost. ``raw`` tags are removed and each ``{{`` / ``{%`` between them gets a
backslash (``\\{{``), which Markdown prints as a plain brace and the template rules leave
alone. Tags without their partner are left to the ``liquid`` rule.

Runs first of all rules: the lines it makes code are then off limits to every other rule.

Codes: ``markup.code-tag`` (info): nothing is lost, the code just becomes code.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from .base import Context, Doc, Line, Rule, Severity, code_spans, mark_code, outside_code

_OPEN = re.compile(
    r"^\s*(?:\{%-?\s*(?P<liquid>highlight|codeblock|code)\b(?P<largs>[^%]*?)\s*-?%\}"
    r"|\{\{[<%]\s*(?P<hugo>highlight)\b(?P<hargs>[^>%]*?)\s*[>%]\}\})\s*$",
    re.IGNORECASE,
)
_CLOSE = re.compile(
    r"^\s*(?:\{%-?\s*end(?P<liquid>highlight|codeblock|code)\s*-?%\}"
    r"|\{\{[<%]\s*/\s*(?P<hugo>highlight)\s*[>%]\}\})\s*$",
    re.IGNORECASE,
)
_RAW = re.compile(r"\{%-?\s*(?:raw|verbatim)\s*-?%\}", re.IGNORECASE)
_END_RAW = re.compile(r"\{%-?\s*end(?:raw|verbatim)\s*-?%\}", re.IGNORECASE)
_TEMPLATE_OPEN = re.compile(r"(?<!\\)\{(?=[{%])")
_BACKTICKS = re.compile(r"^\s*(`{3,})")
_HEXO_OPTION = re.compile(r"^(?:line_number|line_threshold|highlight|first_line|mark|wrap):")
_URL = re.compile(r"^(?:https?:)?//\S+$")


def _kind(match: re.Match[str]) -> str:
    return ("hugo:" if match["hugo"] else "") + (match["liquid"] or match["hugo"]).casefold()


def _header(match: re.Match[str]) -> tuple[str, str]:
    """``(language, caption)`` from an opening tag's arguments."""
    words = (match["largs"] or match["hargs"] or "").split()
    if _kind(match) in ("highlight", "hugo:highlight"):
        # Jekyll and Hugo: the language, then options (linenos, hl_lines…).
        return (words[0].strip("\"'") if words else ""), ""
    lang, caption, link, link_text = "", [], "", []
    for word in words:  # Hexo: [title] [lang:x] [url] [link text] [options]
        if word.casefold().startswith("lang:"):
            lang = word[5:]
        elif _HEXO_OPTION.match(word.casefold()):
            continue
        elif _URL.match(word) and not link:
            link = word
        elif link:
            link_text.append(word)
        else:
            caption.append(word)
    text = " ".join(caption)
    if link:
        text = f"{text} [{' '.join(link_text) or link}]({link})".strip()
    return lang, text


def _escape(text: str) -> str:
    """``{{`` / ``{%`` outside inline code get a backslash: printed as written, and not
    template markup to the later rules."""
    spans = code_spans(text)
    return _TEMPLATE_OPEN.sub(
        lambda m: "\\{" if outside_code(text, m.start(), spans) else m[0], text
    )


def _find(pattern: re.Pattern[str], text: str, pos: int) -> re.Match[str] | None:
    spans = code_spans(text)
    for match in pattern.finditer(text, pos):
        if outside_code(text, match.start(), spans):
            return match
    return None


def _raw(lines: list[Line], ctx: Context) -> list[Line]:
    """Remove ``raw`` tag pairs, escaping the template markup between them."""
    ends = [i for i, line in enumerate(lines) if not line.code and _END_RAW.search(line.text)]
    if not ends:
        return lines
    out: list[Line] = []
    inside = False
    for i, line in enumerate(lines):
        if line.code:
            out.append(line)
            continue
        text, pieces, pos, touched = line.text, [], 0, False
        while True:
            tag = _find(_END_RAW if inside else _RAW, text, pos)
            closes_later = inside or (
                tag is not None
                and (bisect_right(ends, i) < len(ends) or _find(_END_RAW, text, tag.end()))
            )
            if tag is None or not closes_later:
                break
            segment = text[pos : tag.start()]
            pieces.append(_escape(segment) if inside else segment)
            if not inside:
                ctx.emit(
                    "markup.code-tag",
                    line.origin,
                    f"Liquid {tag[0]!r} block: template markup meant to show as written",
                    "removed the tags and escaped the braces between them",
                    Severity.INFO,
                )
            inside = not inside
            pos, touched = tag.end(), True
        rest = text[pos:]
        pieces.append(_escape(rest) if inside else rest)
        new = "".join(pieces)
        if touched and not new.strip():
            ctx.removed.add(line.origin)
            continue
        out.append(Line(new, line.origin) if new != text else line)
    return out


def _fences(lines: list[Line], ctx: Context) -> list[Line]:
    closers: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        if not line.code and (m := _CLOSE.match(line.text)):
            closers.setdefault(_kind(m), []).append(i)
    if not closers:
        return lines
    out: list[Line] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        match = None if line.code else _OPEN.match(line.text)
        candidates = closers.get(_kind(match), []) if match else []
        k = bisect_right(candidates, i)
        if match is None or k == len(candidates):
            out.append(line)
            i += 1
            continue
        end = candidates[k]
        inner = lines[i + 1 : end]
        if any(other.code for other in inner):
            out.append(line)  # holds a fence already: leave the tags to the liquid rule
            i += 1
            continue
        lang, caption = _header(match)
        longest = max((len(m[1]) for x in inner if (m := _BACKTICKS.match(x.text))), default=2)
        fence = "`" * max(3, longest + 1)
        if caption:
            out.extend([Line(caption, line.origin), Line("", line.origin)])
        out.append(Line(fence + lang, line.origin))
        out.extend(inner)
        out.append(Line(fence, lines[end].origin))
        ctx.emit(
            "markup.code-tag",
            line.origin,
            f"code written as a template tag: {line.text.strip()[:60]!r}",
            "made it a fenced code block" + (" with its title above" if caption else ""),
            Severity.INFO,
        )
        i = end + 1
    return out


def apply(doc: Doc, ctx: Context) -> Doc:
    if not any("{%" in line.text or "{{" in line.text for line in doc.lines if not line.code):
        return doc
    lines = _fences(_raw(list(doc.lines), ctx), ctx)
    return Doc(mark_code(lines, ctx.dialect), doc.meta)


RULE = Rule("code_tags", ("markup.code-tag",), apply)

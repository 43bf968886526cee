"""Video embeds, which a PDF or EPUB cannot play: a visible link (or text) instead.

Defect: a site generator's video embed left in the Markdown: Hexo/Jekyll/Eleventy tags
(``{% youtube ID %}``, ``{% vimeo ID %}``, ``{% video URL %}``), Hugo shortcodes
(``{{< youtube ID >}}``, ``{{< vimeo id="ID" >}}``), ``{{video URL}}`` / ``{{youtube ID}}``
templates, MediaWiki's EmbedVideo (``{{#ev:youtube|ID}}``), markdown-it's
``@[youtube](ID)``, and single-line ``<iframe>``/``<video>`` players. The template tags
print as literal text; iframes and videos are dropped by the sanitizer without a trace.

Fix: ``Video: <https://www.youtube.com/watch?v=ID>``: an autolink, so the address is
printed in a PDF and clickable in an EPUB (a title given in the embed is kept). A local
video file becomes text naming it, ``\\[Video: clip.mp4\\]``, never a link: the EPUB does not
carry the file. Runs before the template rules, which would otherwise drop the embeds as
unknown tags.

Never inside fenced or inline code.

Codes: ``markup.video`` (warning).
"""

from __future__ import annotations

import html
import posixpath
import re
from urllib.parse import unquote, urlsplit

from .base import Context, Doc, Line, Rule, sub_outside_code

_SERVICES = r"youtube|vimeo|video|bilibili|dailymotion|youku"
_EMBED = re.compile(
    # {% youtube ID %} (Liquid, Nunjucks), {{< youtube ID >}} / {{% … %}} (Hugo)
    rf"\{{%-?\s*(?P<tag>{_SERVICES})\s+(?P<targs>[^%\n]{{0,1000}}?)\s*-?%\}}"
    rf"|\{{\{{[<%]\s*(?P<short>{_SERVICES})\s+(?P<sargs>[^{{\n]{{0,1000}}?)\s*/?[>%]\}}\}}"
    # {{video URL}}, {{youtube|ID}}, {{#ev:youtube|ID}}
    rf"|\{{\{{\s*(?:#ev:)?(?P<tpl>{_SERVICES})\s*[|:\s]\s*(?P<pargs>[^{{}}\n]{{0,1000}}?)\s*\}}\}}"
    rf"|\{{\{{\s*#evu\s*:\s*(?P<evu>[^|{{}}\s]+)[^{{}}\n]*\}}\}}"
    # @[youtube](ID) (markdown-it-video)
    rf"|@\[(?P<at>{_SERVICES})\]\((?P<aargs>[^()\s]+)\)"
    # <iframe src=…></iframe>, <video src=…></video> on one line
    r"|<(?P<html>iframe|video)\b(?P<attrs>[^<>]*)>(?:[^<]*</(?P=html)\s*>)?",
    re.IGNORECASE,
)
_ARG = re.compile(r"""(?:(?P<key>[\w-]+)\s*=\s*)?(?P<value>"[^"]*"|'[^']*'|[^\s"']+)""")
_VIDEO_HOSTS = re.compile(
    r"(?:^|\.)(?:youtube\.com|youtube-nocookie\.com|youtu\.be|vimeo\.com|dailymotion\.com"
    r"|bilibili\.com|youku\.com)$"
)
_YOUTUBE_EMBED = re.compile(r"^https?://(?:www\.)?youtube(?:-nocookie)?\.com/embed/([\w-]+)")
_PAGES = {
    "youtube": "https://www.youtube.com/watch?v={}",
    "vimeo": "https://vimeo.com/{}",
    "bilibili": "https://www.bilibili.com/video/{}",
    "dailymotion": "https://www.dailymotion.com/video/{}",
    "youku": "https://v.youku.com/v_show/id_{}.html",
}


def _args(text: str) -> tuple[list[str], dict[str, str]]:
    positional: list[str] = []
    named: dict[str, str] = {}
    for match in _ARG.finditer(html.unescape(text)):
        value = match["value"]
        if value[:1] in "\"'" and value[-1:] == value[:1]:
            value = value[1:-1]
        if match["key"]:
            named[match["key"].casefold()] = value
        else:
            positional.append(value)
    return positional, named


def _target(match: re.Match[str]) -> tuple[str, str, str]:
    """``(service, id or address, title)`` of an embed."""
    if match["html"]:
        _, named = _args(match["attrs"])
        src = named.get("src", "")
        youtube = _YOUTUBE_EMBED.match(src)
        if youtube:
            return "youtube", youtube[1], named.get("title", "")
        return "video", src, named.get("title", "")
    if match["evu"]:
        return "video", match["evu"], ""
    service = next(match[g] for g in ("tag", "short", "tpl", "at") if match[g])
    raw = next(match[g] for g in ("targs", "sargs", "pargs", "aargs") if match[g] is not None)
    positional, named = _args(raw.replace("|", " "))
    ident = named.get("id") or named.get("src") or named.get("url") or next(iter(positional), "")
    title = named.get("title", "")
    if service.casefold() == "youtube" and "playlist" in positional[1:]:
        return "video", f"https://www.youtube.com/playlist?list={ident}", title
    return service.casefold(), ident, title


def _replacement(service: str, ident: str, title: str) -> tuple[str, str] | None:
    """The text for an embed and what to report it became; ``None``: not a video."""
    remote = ident.startswith(("http://", "https://", "//"))
    if remote:
        url = "https:" + ident if ident.startswith("//") else ident
    elif service in _PAGES and re.fullmatch(r"[\w-]+", ident):
        url = _PAGES[service].format(ident)
    elif service == "video" and ident and not urlsplit(ident).scheme:
        name = posixpath.basename(unquote(ident.split("?", 1)[0]).rstrip("/")) or ident
        said = f"{title} ({name})" if title else name
        return f'<span class="image-missing">\\[Video: {html.escape(said)}\\]</span>', "text"
    else:
        return None
    label = f"Video ({title})" if title else "Video"
    return f"{label}: <{url}>", url


def apply(doc: Doc, ctx: Context) -> Doc:
    lines: list[Line] = []
    for line in doc.lines:
        text = line.text
        if line.code or not any(c in text for c in "{@<"):
            lines.append(line)
            continue

        def repl(match: re.Match[str], line: Line = line) -> str:
            if match["html"]:
                _, named = _args(match["attrs"])
                host = (urlsplit(named.get("src", "")).hostname or "").casefold()
                if match["html"].casefold() == "iframe" and not _VIDEO_HOSTS.search(host):
                    return match[0]  # another kind of iframe: the sanitizer's business
            new = _replacement(*_target(match))
            if new is None:
                return match[0]
            text, became = new
            shown = " ".join(match[0].split())
            ctx.emit(
                "markup.video",
                line.origin,
                f"video embed {shown[:60]!r} cannot play in a PDF or EPUB",
                f"replaced it with a link to {became}" if became != "text" else "named the file",
            )
            return text

        new_text, count = sub_outside_code(_EMBED, repl, text)
        lines.append(Line(new_text, line.origin) if count and new_text != text else line)
    return Doc(tuple(lines), doc.meta)


RULE = Rule("video", ("markup.video",), apply)

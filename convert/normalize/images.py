"""Images the output cannot carry as written: found, linked, or shown as a placeholder.

Defect: an image (``![alt](src "title")``, ``![alt][ref]`` with ``[ref]: src``, or raw
``<img src>``) whose source an EPUB or PDF cannot use: a local file that is not where the
reference says (wrong letter case, moved folder, a Wikimedia exporter's garbled
``/FileBattle_of_Konot.jpg``), no source at all (``[object Object]``, ``{}``,
``undefined``, empty), a remote URL (EPUB forbids remote images, EPUBCheck RSC-006, and
nothing is fetched by default), or a video or document in image syntax.

Fix, per source:

- local and found by ``assets.find_image`` other than exactly: the source is rewritten to
  the found file, relative to the article (``image.resolved``; for a reference-style image
  the definition is rewritten, once);
- local and not found, or no source: a visible placeholder that keeps the alt text and
  title, ``<span class="image-missing">\\[Image: alt — title\\]</span>``: the form the
  tree stage uses, styled by the theme; the brackets escaped so they do not read as a
  reference link (``&#91;``/``&#93;`` in place of a raw ``<img>``, which may stand in an
  HTML block where a backslash would print); not image syntax, so a second run leaves
  it alone (``image.missing``);
- video, audio or document file: plain text naming it, ``[Video: alt (clip.mp4)]`` in the
  same span, never a link, since the EPUB does not carry the file (``image.not-image``);
- remote: a link with the alt text (``image.remote``); inside a link (a badge) only the
  alt text, since links do not nest. Hosts listed in ``Context.remote_images`` keep their
  images, reported for the record (``image.remote-allowed``): fetching them is the
  writers' business.

``data:`` URIs are left to the sanitizer and the tree stage, which remains the safety net
for anything this rule cannot see (an image whose alt text spans lines). Never inside
fenced code or inline code.

Codes: ``image.resolved``, ``image.missing``, ``image.not-image``, ``image.remote``
(warnings), ``image.remote-allowed`` (info).
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ..assets import find_image, relative_ref
from ..paths import is_remote
from .base import Context, Doc, Line, Rule, Severity, sub_outside_code

_ALT = r"(?:[^\[\]\\\n]|\\.|\[(?:[^\[\]\\\n]|\\.)*\])*"
_SRC = r"\[object Object\]|<[^<>\n]*>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*"
_TITLE = r"""(?:\s+(?P<title>"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?"""
# One pass, left to right: inline ``![alt](src "title")``, full/collapsed reference
# ``![alt][label]`` / ``![alt][]``, or shortcut ``![alt]`` (not followed by ``(`` or ``[``).
_IMAGE = re.compile(
    rf"(?<!\\)!\[(?P<alt>{_ALT})\]"
    rf"(?:\(\s*(?P<src>{_SRC})\s*{_TITLE}\s*\)|\[(?P<label>{_ALT})\]|(?![(\[]))"
)
_DEFINITION = re.compile(
    r"^(?P<head> {0,3}\[(?P<label>(?:[^\]\\^]|\\.)(?:[^\]\\]|\\.)*)\]:[ \t]*)"
    r"(?P<src><[^<>\n]*>|\S+)(?P<tail>.*)$"
)
_IMG_TAG = re.compile(r"<img\b(?P<attrs>[^<>]*)>", re.IGNORECASE)
_ATTR = re.compile(r"""(?P<name>[^\s=/>"']+)(?:\s*=\s*(?P<value>"[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_OPEN_A = re.compile(r"<a\b[^<>]*>", re.IGNORECASE)
_CLOSE_A = re.compile(r"</a\s*>", re.IGNORECASE)

# What exporters write when an image had no source.
_NOTHING = {"", "[object object]", "{}", "[]", "undefined", "null", "none", "nan"}
_NOT_IMAGE = {
    **dict.fromkeys((".mp4", ".m4v", ".webm", ".mov", ".ogv", ".avi", ".mkv", ".wmv"), "Video"),
    **dict.fromkeys((".mp3", ".m4a", ".ogg", ".oga", ".wav", ".flac", ".aac", ".opus"), "Audio"),
    **dict.fromkeys((".pdf", ".doc", ".docx", ".odt", ".ppt", ".pptx", ".zip"), "Document"),
}
_NOUN = {"Video": "a video", "Audio": "an audio file", "Document": "a document"}


@dataclass(frozen=True, slots=True)
class _Verdict:
    kind: str  # ok, skip, resolved, missing, not-image, remote, allowed
    src: str  # the source as written (unwrapped from <…>)
    new: str = ""  # resolved: the new source
    detail: str = ""


def _unwrap(src: str) -> str:
    src = src.strip()
    return src[1:-1].strip() if src.startswith("<") and src.endswith(">") else src


def _judge(src: str, ctx: Context) -> _Verdict:
    src = _unwrap(src)
    if src.casefold() in _NOTHING:
        return _Verdict("missing", src, detail="has no source")
    if src.startswith("data:"):
        return _Verdict("skip", src)
    if is_remote(src):
        try:
            parts = urlsplit(src)
        except ValueError:  # "http://[oops/a.png": not a URL at all (found by fuzzing)
            return _Verdict("missing", src, detail="is not a valid URL")
        if parts.scheme not in ("http", "https", ""):
            return _Verdict("missing", src, detail=f"uses a {parts.scheme}: URL")
        host = (parts.hostname or "").casefold()
        allowed = any(host == h or host.endswith("." + h) for h in ctx.remote_images)
        return _Verdict("allowed" if allowed else "remote", src, detail=host)
    name = posixpath.basename(unquote(src.split("#", 1)[0].split("?", 1)[0]))
    kind = _NOT_IMAGE.get(posixpath.splitext(name)[1].casefold())
    if kind:
        return _Verdict("not-image", src, detail=kind)
    found = find_image(src, path=ctx.path, root=ctx.root)
    if found is None:
        return _Verdict("missing", src, detail="is not under the content root")
    if found.how == "exact":
        return _Verdict("ok", src)
    return _Verdict("resolved", src, relative_ref(found.path, path=ctx.path), found.reason)


def _markdown_src(src: str) -> str:
    return f"<{src}>" if re.search(r"[\s()<>]", src) else src


def _title(raw: str | None) -> str:
    return " ".join(raw[1:-1].split()) if raw else ""


def _file_name(src: str) -> str:
    path = urlsplit(src).path if is_remote(src) else src
    name = posixpath.basename(unquote(path).rstrip("/"))
    return name or urlsplit(src).hostname or "image"


def _placeholder_text(verdict: _Verdict, alt: str, title: str) -> str:
    """``Image: alt — title`` / ``Video: alt (clip.mp4)``, without the brackets."""
    said = " — ".join(
        dict.fromkeys(p for p in (" ".join(alt.split()), " ".join(title.split())) if p)
    )
    if verdict.kind == "not-image":
        name = _file_name(verdict.src)
        return f"{verdict.detail}: {said} ({name})" if said else f"{verdict.detail}: {name}"
    return f"Image: {said}" if said else "Image unavailable"


def _placeholder(verdict: _Verdict, alt: str, title: str) -> str:
    """The placeholder in Markdown, where the alt text is Markdown and stays as written.
    The brackets are escaped: ``[Image: x]`` would read as a shortcut reference link."""
    return f'<span class="image-missing">\\[{_placeholder_text(verdict, alt, title)}\\]</span>'


class _Images:
    """The state of one run: definitions, and what each source turned out to be."""

    def __init__(self, doc: Doc, ctx: Context) -> None:
        self.ctx = ctx
        self.verdicts: dict[str, _Verdict] = {}
        # First definition of a label wins, as in CommonMark.
        self.definitions: dict[str, tuple[int, str, str]] = {}
        for i, line in enumerate(doc.lines):
            if not line.code and (m := _DEFINITION.match(line.text)):
                key = " ".join(m["label"].casefold().split())
                self.definitions.setdefault(key, (i, m["src"], m["tail"].strip()))
        self.rewrite_definitions: dict[int, str] = {}

    def judge(self, src: str) -> _Verdict:
        if src not in self.verdicts:
            self.verdicts[src] = _judge(src, self.ctx)
        return self.verdicts[src]

    def emit(self, verdict: _Verdict, line: Line, what: str = "image") -> None:
        src = verdict.src[:80]
        ctx = self.ctx
        if verdict.kind == "resolved":
            ctx.emit(
                "image.resolved",
                line.origin,
                f"{what} {src!r} not found as written ({verdict.detail})",
                f"now points to {verdict.new!r}",
            )
        elif verdict.kind == "missing":
            ctx.emit(
                "image.missing",
                line.origin,
                f"{what} {src!r} {verdict.detail}",
                "replaced it with a placeholder that keeps its alt text",
            )
        elif verdict.kind == "not-image":
            ctx.emit(
                "image.not-image",
                line.origin,
                f"{what} {src!r} is {_NOUN[verdict.detail]}, not an image",
                "replaced it with text naming the file",
            )
        elif verdict.kind == "remote":
            ctx.emit(
                "image.remote",
                line.origin,
                f"remote {what} {src!r} is not fetched (an EPUB may not use remote images)",
                "made it a link",
            )
        elif verdict.kind == "allowed":
            ctx.emit(
                "image.remote-allowed",
                line.origin,
                f"remote {what} {src!r} kept: {verdict.detail} is an allowed host",
                None,
                Severity.INFO,
            )

    def markdown(self, match: re.Match[str], line: Line) -> str:
        text = match.string
        alt = match["alt"]
        if match["src"] is not None:
            verdict, title = self.judge(match["src"]), _title(match["title"])
            definition = None
        else:
            label = match["label"] or alt
            definition = self.definitions.get(" ".join(label.casefold().split()))
            if definition is None:
                return match[0]  # no definition: not an image, Markdown prints it as text
            verdict, title = self.judge(definition[1]), _title(definition[2] or None)
        if verdict.kind in ("ok", "skip"):
            return match[0]
        if verdict.kind == "resolved" and definition is not None:
            # Rewrite the definition once; every image using it follows.
            if definition[0] not in self.rewrite_definitions:
                self.rewrite_definitions[definition[0]] = verdict.new
            return match[0]
        self.emit(verdict, line)
        if verdict.kind == "allowed":
            return match[0]
        if verdict.kind == "resolved":
            start, end = match.span("src")
            rel_start, rel_end = start - match.start(), end - match.start()
            whole = match[0]
            return whole[:rel_start] + _markdown_src(verdict.new) + whole[rel_end:]
        in_link = (
            match.start() > 0
            and text[match.start() - 1] == "["
            and (text.startswith("](", match.end()) or text.startswith("][", match.end()))
        )
        if verdict.kind == "remote":
            label_text = alt.strip() or _file_name(verdict.src)
            if in_link:
                return label_text
            return "[" + label_text + "]" + match[0][2 + len(alt) + 1 :]
        return _placeholder(verdict, alt, title)

    def tag(self, match: re.Match[str], line: Line) -> str:
        attrs = {m["name"].casefold(): m for m in _ATTR.finditer(match["attrs"])}
        verdict = self.judge(_value(attrs.get("src")))
        if verdict.kind in ("ok", "skip"):
            return match[0]
        self.emit(verdict, line, "<img>")
        if verdict.kind == "allowed":
            return match[0]
        if verdict.kind == "resolved":
            offset = match.start("attrs") - match.start()
            start, end = attrs["src"].span("value")
            new = '"' + html.escape(verdict.new) + '"'
            return match[0][: offset + start] + new + match[0][offset + end :]
        alt = _value(attrs.get("alt"))
        before = match.string[: match.start()]
        opens = list(_OPEN_A.finditer(before))
        in_link = bool(opens) and not _CLOSE_A.search(before, opens[-1].end())
        if verdict.kind == "remote":
            text = html.escape(alt.strip() or _file_name(verdict.src), quote=False)
            if in_link:
                return text
            return f'<a href="{html.escape(verdict.src)}">{text}</a>'
        # Raw HTML may sit in an HTML block, where a Markdown escape would print: the
        # brackets are character references, which mean "[" and "]" in both places.
        text = html.escape(_placeholder_text(verdict, alt, _value(attrs.get("title"))), False)
        return f'<span class="image-missing">&#91;{text}&#93;</span>'


def _value(attr: re.Match[str] | None) -> str:
    """An attribute's value, unquoted and with entities decoded."""
    if attr is None or attr["value"] is None:
        return ""
    value = attr["value"]
    if value[:1] in "\"'" and value[-1:] == value[:1]:
        value = value[1:-1]
    return html.unescape(value)


def apply(doc: Doc, ctx: Context) -> Doc:
    state = _Images(doc, ctx)
    lines: list[Line] = []
    for line in doc.lines:
        if line.code or ("![" not in line.text and "<img" not in line.text.casefold()):
            lines.append(line)
            continue
        text, _ = sub_outside_code(_IMAGE, lambda m, line=line: state.markdown(m, line), line.text)
        text, _ = sub_outside_code(_IMG_TAG, lambda m, line=line: state.tag(m, line), text)
        lines.append(Line(text, line.origin) if text != line.text else line)
    for index, new in state.rewrite_definitions.items():
        line = lines[index]
        m = _DEFINITION.match(line.text)
        if m is None:  # pragma: no cover - the definition line was matched above
            continue
        state.emit(state.judge(m["src"]), line, "image")
        lines[index] = Line(m["head"] + _markdown_src(new) + m["tail"], line.origin)
    return Doc(tuple(lines), doc.meta)


RULE = Rule(
    "images",
    ("image.resolved", "image.missing", "image.not-image", "image.remote", "image.remote-allowed"),
    apply,
)

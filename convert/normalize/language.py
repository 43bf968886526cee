"""The body's language, when the frontmatter names none (py3langid's model: ``langmodel``).

Defect: no ``lang``/``language``/``locale`` in the frontmatter, so the article would be
declared English (``lang="en"`` in the HTML, ``dc:language`` in the EPUB): hyphenation,
quotes, fonts and screen readers then treat Ukrainian or Arabic text as English, and a
right-to-left text is laid out left to right.

Fix: detect the language offline from the body's prose (fenced and inline code, URLs,
HTML tags, link targets and template tags stripped), only with enough text (200 letters;
a Chinese, Japanese or Korean character counts as three), one script making up two thirds
of it (a text half in English, half in Ukrainian is left alone), and a confident answer. Script
evidence wins over the statistical model, which confuses close languages on short texts:
Ukrainian letters (і ї є ґ) mean ``uk``, never ``ru``; kana means ``ja``; Han without kana
means ``zh`` (Chinese is never labelled Japanese); Hangul ``ko``; Hebrew script ``he``;
Arabic script ``ar``, or ``fa`` when the Persian letters (پ چ ژ گ ک ی) outnumber the
Arabic-only ones, or ``ur`` when Urdu's (ٹ ڈ ڑ ں ے) do. A language given in the
frontmatter is never second-guessed, even when the body disagrees.

Codes: ``meta.lang-detected`` (info), naming the language and the evidence. Detecting the
default (English) changes nothing and is not reported.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from typing import Any

from . import langmodel
from .base import Context, Doc, Line, Rule, Severity

MIN_LETTERS = 200
MIN_CONFIDENCE = 0.95
SAMPLE_CHARS = 20_000  # plenty for a confident answer; keeps huge documents fast
DOMINANT = 2 / 3  # the share of letters the main script needs; less is a mixed text
_WIDE_WEIGHT = 3  # a CJK character or Hangul syllable carries about a word

NAMES = {
    "ar": "Arabic",
    "be": "Belarusian",
    "bg": "Bulgarian",
    "cs": "Czech",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "he": "Hebrew",
    "hu": "Hungarian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sr": "Serbian",
    "sv": "Swedish",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "zh": "Chinese",
}

_STRIP = (
    re.compile(r"(`+).+?\1"),  # inline code
    re.compile(r"!\[[^\]]*\]\([^)]*\)"),  # images
    re.compile(r"\]\([^)]*\)"),  # link targets (the link text stays)
    re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$"),  # reference definitions
    re.compile(r"<[^<>\n]*>"),  # HTML tags and autolinks
    re.compile(r"(?:https?|ftp)://\S+|www\.\S+"),
    re.compile(r"\{\{.*?\}\}|\{%.*?%\}"),  # template tags
)

_UK = set("іїєґІЇЄҐ")
_RU = set("ыэъёЫЭЪЁ")
_PERSIAN = set("پچژگکی")
_ARABIC_ONLY = set("ةكيىأإ")
_URDU = set("ٹڈڑںےھ")


def _prose(lines: Iterable[Line]) -> str:
    """The body's text for detection: no code, URLs or markup; at most ``SAMPLE_CHARS``."""
    parts: list[str] = []
    size = 0
    for line in lines:
        if line.code or line.text.startswith(("    ", "\t")):
            continue
        text = line.text
        for pattern in _STRIP:
            text = pattern.sub(" ", text)
        parts.append(text)
        size += len(text)
        if size > SAMPLE_CHARS:
            break
    return "\n".join(parts)[:SAMPLE_CHARS]


def _script(char: str) -> str:
    """A coarse script name for a letter, from its Unicode name."""
    code = ord(char)
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9F:
        return "kana"
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    name = unicodedata.name(char, "")
    if name.startswith("CJK"):
        return "han"
    return name.split(" ", 1)[0].lower()  # "latin", "cyrillic", "arabic", "hebrew", …


def _letters(text: str) -> Counter[str]:
    """Letters per script, in the order each script first appears."""
    scripts: Counter[str] = Counter()
    # Each distinct letter is named once (a Unicode name lookup per letter of a 20,000
    # character sample cost a few milliseconds); counting them is C's work.
    for char, count in Counter(filter(str.isalpha, text)).items():
        scripts[_script(char)] += count
    return scripts


@lru_cache(maxsize=1)
def _identifier() -> Any:  # py3langid ships no type hints
    """The language model, ready in milliseconds and without NumPy (``langmodel``): the
    first use on a machine writes a cache, later ones map it. Where no cache can be written
    or read, py3langid's own classifier on the model as shipped (half a second)."""
    folder = langmodel.cache()
    if folder is not None:
        try:
            return langmodel.MappedModel(folder)
        except (OSError, ValueError):
            pass  # a damaged cache: the shipped model still works
    return langmodel.shipped()


def _model(text: str) -> tuple[str, float]:
    lang, confidence = _identifier().classify(text)
    return str(lang), float(confidence)


def _share(chars: set[str], text: str) -> int:
    return sum(1 for c in text if c in chars)


def detect(text: str) -> tuple[str, str] | None:
    """``(language, evidence)`` for ``text``, or ``None`` when there is too little to say."""
    scripts = _letters(text)
    wide = scripts["han"] + scripts["kana"] + scripts["hangul"]
    weight = sum(scripts.values()) + (_WIDE_WEIGHT - 1) * wide
    if weight < MIN_LETTERS:
        return None
    script, count = max(scripts.items(), key=lambda item: item[1])
    if scripts["han"] + scripts["kana"] > count:
        script, count = "han", scripts["han"] + scripts["kana"]
    if count * (_WIDE_WEIGHT if script in ("han", "hangul") else 1) < weight * DOMINANT:
        return None  # no script dominates: a mixed text, better left to the author
    if script == "han":
        kana = scripts["kana"]
        if kana >= max(3, count // 50):
            return "ja", f"{kana} kana among {count} CJK characters"
        return "zh", f"{count} Han characters and no kana"
    if script == "hangul":
        return "ko", f"{count} Hangul letters"
    if script == "hebrew":
        return "he", f"{count} Hebrew letters"
    if script == "arabic":
        persian, arabic, urdu = (_share(s, text) for s in (_PERSIAN, _ARABIC_ONLY, _URDU))
        if urdu > max(persian, arabic) and urdu >= 5:
            return "ur", f"Urdu letters (ٹ ڈ ڑ ں ے: {urdu}) in {count} Arabic-script letters"
        if persian > arabic:
            return "fa", f"Persian letters (پ چ ژ گ ک ی: {persian}) outnumber Arabic-only ones"
        return "ar", f"{count} Arabic-script letters"
    if script == "cyrillic":
        uk, ru = _share(_UK, text), _share(_RU, text)
        if uk > ru and uk * 200 >= count:
            return "uk", f"Ukrainian letters (і ї є ґ: {uk}) in {count} Cyrillic letters"
    lang, confidence = _model(text)
    if confidence < MIN_CONFIDENCE or len(lang) > 3:
        return None
    if script == "cyrillic" and lang == "uk" and _share(_UK, text) == 0:
        return None  # the model's "Ukrainian" without a single Ukrainian letter
    return lang, f"py3langid: {confidence:.2f} over {sum(scripts.values())} letters"


def apply(doc: Doc, ctx: Context) -> Doc:
    if doc.meta.lang_source != "default":
        return doc
    found = detect(_prose(doc.lines))
    if found is None:
        return doc
    lang, evidence = found
    meta = replace(doc.meta, lang=lang, lang_source="detected")
    if lang != doc.meta.lang:
        ctx.emit(
            "meta.lang-detected",
            None,
            f"no language in the frontmatter; the body reads as {NAMES.get(lang, lang)}"
            f" ({evidence})",
            f"set lang to {lang!r}",
            Severity.INFO,
        )
    return Doc(doc.lines, meta)


RULE = Rule("language", ("meta.lang-detected",), apply)

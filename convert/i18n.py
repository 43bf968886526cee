"""Generated text in the document's language (the only module that imports Babel).

Contract:
- ``messages(lang, theme_dirs)`` gives the ``Messages`` for a BCP 47 tag: every string the
  templates and writers generate ("Contents", "Notes", "Cover of %(title)s", the
  accessibility summary…) looked up in message catalogs, most specific first:
  each theme's ``locale/<lang>.po`` (child theme before parent), then Pressroom's own
  ``convert/locale/<lang>.po``. A theme can so override any string, English included
  (``locale/en.po`` with ``msgid "Contents"`` / ``msgstr "Table of contents"``). A string
  no catalog translates stays English.
- A tag falls back along its subtags: ``pt-BR`` → ``pt_BR.po`` → ``pt.po``; Chinese picks
  its script: ``zh-TW``/``zh-HK``/``zh-Hant`` → ``zh_Hant.po``, other ``zh`` → ``zh.po``
  (simplified).
- ``format_date(date, lang)`` is the long date of the locale from CLDR ("9 mars 2024",
  "9. März 2024", "2024年3月9日"); an unknown language gets the ISO date.

The catalogs are ``.po`` text, read with Babel when first needed (a few milliseconds) and
kept for the process: nothing to compile at build time, nothing binary in the repository,
and the wheel carries them as package data. ``SUPPORTED`` lists the catalogs Pressroom
ships; ``tests/unit/test_i18n.py`` checks that each translates every string of
``convert/locale/pressroom.pot``, which ``make messages`` extracts from the templates and
the code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_format_date
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"

# The catalogs Pressroom ships, by file stem: every script the bundled fonts cover (Latin,
# Cyrillic, Greek, Arabic, Hebrew, CJK).
SUPPORTED = (
    "ar", "bg", "ca", "cs", "da", "de", "el", "en", "es", "fa", "fi", "fr", "he", "hr", "hu",
    "id", "it", "ja", "ko", "nb", "nl", "pl", "pt", "ro", "ru", "sr", "sv", "tr", "uk", "zh",
    "zh_Hant",
)  # fmt: skip

_TRADITIONAL = {"tw", "hk", "mo", "hant"}
# Tags whose catalog has another name: Norwegian "no" is written Bokmål by most publishers.
_ALIASES = {"no": "nb", "iw": "he", "in": "id"}


def catalog_names(lang: str) -> list[str]:
    """Catalog file stems to try for ``lang``, most specific first: ``pt-BR`` →
    ``["pt_BR", "pt"]``; ``zh-TW`` → ``["zh_Hant", "zh"]``."""
    parts = [p for p in lang.replace("_", "-").split("-") if p]
    if not parts:
        return ["en"]
    base = _ALIASES.get(parts[0].lower(), parts[0].lower())
    rest = [p.lower() for p in parts[1:]]
    if base == "zh":
        return ["zh_Hant", "zh"] if _TRADITIONAL & set(rest) else ["zh"]
    names = []
    if rest:
        region = rest[-1]
        names.append(f"{base}_{region.upper() if len(region) == 2 else region.title()}")
    names.append(base)
    return names


@lru_cache(maxsize=256)
def read_catalog(path: Path) -> Mapping[str, str]:
    """msgid → msgstr of one ``.po`` file (untranslated and fuzzy entries left out)."""
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


@dataclass(frozen=True)
class Messages:
    """The generated strings of one language; ``gettext`` is what templates call."""

    lang: str
    table: Mapping[str, str]

    def gettext(self, message: str) -> str:
        return self.table.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        # Pressroom generates no counted phrases; Jinja's i18n extension wants the callable.
        return self.gettext(singular if n == 1 else plural)

    def __call__(self, message: str, **values: object) -> str:
        """``_("Part %(n)s", n=2)``: translated, then filled in."""
        text = self.gettext(message)
        return text % values if values else text


def messages(lang: str, theme_dirs: Iterable[Path] = ()) -> Messages:
    """The ``Messages`` for ``lang`` with the themes' overrides (see the module)."""
    return _messages(lang, tuple(theme_dirs))


@lru_cache(maxsize=64)
def _messages(lang: str, theme_dirs: tuple[Path, ...]) -> Messages:
    names = catalog_names(lang)
    # Least specific first, so each later layer overrides: Pressroom's generic catalog,
    # Pressroom's regional one, then the themes from the root of the chain to the child.
    layers = [LOCALE_DIR / f"{name}.po" for name in reversed(names)]
    for folder in reversed(theme_dirs):
        layers += [folder / "locale" / f"{name}.po" for name in reversed(names)]
    table: dict[str, str] = {}
    for path in layers:
        if path.is_file():
            table.update(read_catalog(path))
    return Messages(lang, table)


def forget() -> None:
    """Drop the cached catalogs (a long-running host, ``pressroom watch``, whose theme's
    ``locale/*.po`` files change)."""
    read_catalog.cache_clear()
    _messages.cache_clear()


def _locale(lang: str) -> Locale | None:
    try:
        return Locale.parse(lang.replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        base = lang.replace("_", "-").split("-")[0]
        try:
            return Locale.parse(base) if base and base != lang else None
        except (UnknownLocaleError, ValueError, TypeError):
            return None


def format_date(value: dt.date | None, lang: str) -> str:
    """The locale's long date form (CLDR through Babel); ISO for an unknown language."""
    if value is None:
        return ""
    locale = _locale(lang)
    day = value.date() if isinstance(value, dt.datetime) else value
    if locale is None:
        return day.isoformat()
    return _babel_format_date(day, format="long", locale=locale)


# Languages written right to left (their primary subtag).
_RTL = {"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb"}


def direction(lang: str) -> str:
    """``"rtl"`` or ``"ltr"``: the writing direction of a BCP 47 language tag."""
    return "rtl" if lang.split("-")[0].lower() in _RTL else "ltr"

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

A cold process should not pay Babel's import (with the email and locale-data machinery it
loads) for an English article: what Babel finds is kept in the user cache
(``files.user_cache``) as JSON, and later processes read it from there without importing
Babel at all: each catalog's table (``catalogs/``, checked against the file's size and
modification time and Babel's version), and per language tag the long date pattern with the
month and era names it uses (``dates-babel-VERSION.json``). A pattern with a field other
than year, month, day or era is formatted by Babel every time (no CLDR locale has one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .files import installed_version, read_cache, user_cache, write_cache

if TYPE_CHECKING:
    from babel import Locale

# Babel is imported where something is read with it the first time (``_parse_po``,
# ``_locale``, ``_long_form``); see the module's last paragraph.

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
    """msgid → msgstr of one ``.po`` file (untranslated and fuzzy entries left out), from
    the user cache when it holds this very file's table (see the module)."""
    stat = path.stat()
    key = {
        "path": str(path.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "babel": installed_version("babel"),
    }
    name = hashlib.sha256(key["path"].encode("utf-8")).hexdigest()[:32]
    kept = read_cache(user_cache("catalogs", f"{name}.json"))
    if isinstance(kept, dict) and kept.get("key") == key and isinstance(kept.get("table"), dict):
        return kept["table"]
    table = _parse_po(path)
    if key["babel"] is not None:
        write_cache(
            user_cache("catalogs", f"{name}.json"), json.dumps({"key": key, "table": table})
        )
    return table


def _parse_po(path: Path) -> dict[str, str]:
    from babel.messages.pofile import read_po

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
    from babel import Locale, UnknownLocaleError

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
    day = value.date() if isinstance(value, dt.datetime) else value
    form = _long_form(lang)
    if form is None:
        return day.isoformat()
    if isinstance(form, LongDate):
        return form.apply(day)
    from babel.dates import format_date as babel_format_date

    return babel_format_date(day, format="long", locale=form)


_FIELD = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class LongDate:
    """A locale's long date pattern, as Babel has it, with the names its fields take:
    ``apply`` gives what ``babel.dates.format_date(day, "long", locale)`` gives, without
    Babel. The fields are CLDR's: ``y`` (the year, zero-padded to the field's width, ``yy``
    its last two digits), ``d`` and ``M``/``L`` up to two letters (numbers, zero-padded),
    ``MMM``… and ``LLL``… (month names: ``names[field]`` has twelve) and ``G``… (era
    names: ``names[field]`` is before and after year zero)."""

    template: str  # Babel's pattern as a %-format: "%(MMMM)s %(d)s, %(y)s"
    names: Mapping[str, Sequence[str]]

    def apply(self, day: dt.date) -> str:
        values: dict[str, str] = {}
        for field in _FIELD.findall(self.template):
            char, width = field[0], len(field)
            if field in self.names:
                index = day.month - 1 if char in "ML" else int(day.year >= 0)
                values[field] = self.names[field][index]
            else:
                number = {"y": day.year, "d": day.day, "M": day.month, "L": day.month}[char]
                text = f"{number:0{width}d}"
                values[field] = text[-2:] if field == "yy" else text
        return self.template % values


def _long_form(lang: str) -> LongDate | Locale | None:
    """How to write a long date in ``lang``: a ``LongDate``, or Babel's ``Locale`` when the
    pattern has another field, or ``None`` for an unknown language (ISO dates). From the
    user cache when it knows ``lang`` for this Babel version (see the module)."""
    forms = _kept_forms()
    if lang in forms:
        entry = forms[lang]
        if entry is None:
            return None
        if entry == "babel":
            return _locale(lang)  # a pattern only Babel writes
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("template"), str)
            and isinstance(entry.get("names"), dict)
        ):
            return LongDate(entry["template"], entry["names"])
    locale = _locale(lang)  # not kept yet, or a damaged entry
    form = None if locale is None else _with_names(locale)
    entry = None if locale is None else "babel" if form is None else vars(form)
    version = installed_version("babel")
    if version is not None:
        forms[lang] = entry
        write_cache(user_cache(f"dates-babel-{version}.json"), json.dumps(forms))
    return form or locale


@lru_cache(maxsize=1)
def _kept_forms() -> dict[str, Any]:
    """Language tag → long date form kept in the user cache for this Babel version: the
    ``LongDate``'s fields, ``"babel"``, or ``None`` (an unknown language)."""
    version = installed_version("babel")
    kept = read_cache(user_cache(f"dates-babel-{version}.json")) if version else None
    return kept if isinstance(kept, dict) else {}


def _with_names(locale: Locale) -> LongDate | None:
    """The locale's long date pattern with its names, or ``None`` if it has a field
    ``LongDate`` does not write."""
    from babel.dates import get_date_format, get_era_names, get_month_names

    template = get_date_format("long", locale=locale).format
    names: dict[str, list[str]] = {}
    for field in _FIELD.findall(template):
        char, width = field[0], len(field)
        if char in "yd" or (char in "ML" and width <= 2):
            continue
        if char in "ML" and width <= 5:
            width_name = {3: "abbreviated", 4: "wide", 5: "narrow"}[width]
            context = "format" if char == "M" else "stand-alone"
            months = get_month_names(width_name, context, locale)
            names[field] = [months[m] for m in range(1, 13)]
        elif char == "G" and width <= 5:
            eras = get_era_names({3: "abbreviated", 4: "wide", 5: "narrow"}[max(3, width)], locale)
            names[field] = [eras[0], eras[1]]
        else:
            return None
    return LongDate(template, names)


# Languages written right to left (their primary subtag).
_RTL = {"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb"}


def direction(lang: str) -> str:
    """``"rtl"`` or ``"ltr"``: the writing direction of a BCP 47 language tag."""
    return "rtl" if lang.split("-")[0].lower() in _RTL else "ltr"

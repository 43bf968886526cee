"""Themes: find a theme folder, walk its ``inherit`` chain, build its Jinja environment.

A theme is a folder with ``theme.toml``, ``templates/*.j2`` and ``css/``. ``inherit`` names
the parent; a child overrides single files (first match along the chain wins) and reaches
the parent's file of the same name explicitly with ``{% extends "!base/article.html.j2" %}``.
Jinja runs with ``StrictUndefined`` (a typo in a template is an error, not an empty string)
and autoescape (article text can never inject markup through a template variable).
Templates write generated text through Jinja's i18n extension (``{{ _("Contents") }}``,
``{% trans %}``): ``render`` looks it up in the catalogs of the document's language, the
``lang`` the template is given (``convert/i18n.py``; a theme's ``locale/<lang>.po``
overrides Pressroom's strings).

Built-in themes live in ``themes/`` at the top of the source tree and ship in the wheel as
``convert/themes``; a theme given as a path is loaded from there, its parent looked up next
to it and then among the built-ins.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
from markupsafe import Markup

from . import i18n
from .errors import ThemeError
from .files import user_cache
from .i18n import Messages, messages
from .model import Target

_MAX_DEPTH = 16


def builtin_dirs() -> tuple[Path, ...]:
    """Where built-in themes live: inside the installed package, or the source tree."""
    here = Path(__file__).resolve().parent
    return tuple(p for p in (here / "themes", here.parent / "themes") if p.is_dir())


@dataclass(frozen=True)
class ThemeInfo:
    name: str
    path: Path
    inherit: str | None
    description: str
    stylesheets: Mapping[str, tuple[str, ...]]
    options: Mapping[str, Any]


@dataclass(frozen=True)
class Theme:
    """A resolved theme: its chain (child first), merged options, and Jinja environment."""

    chain: tuple[ThemeInfo, ...]
    options: Mapping[str, Any]
    env: jinja2.Environment = field(repr=False, compare=False)
    # One environment per language, holding that language's gettext (``_env_for``).
    _envs: dict[str, jinja2.Environment] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def name(self) -> str:
        return self.chain[0].name

    @property
    def dirs(self) -> tuple[Path, ...]:
        return tuple(info.path for info in self.chain)

    def find(self, relpath: str) -> Path:
        """The nearest theme's copy of a static file (``css/print.css``)."""
        for info in self.chain:
            candidate = info.path / relpath
            if candidate.is_file():
                return candidate
        raise ThemeError(f"theme {self.name!r} has no file {relpath!r}", code="theme.file-missing")

    def stylesheets(self, target: Target) -> tuple[Path, ...]:
        """The stylesheet files for ``target``, from the nearest theme that lists them."""
        for info in self.chain:
            if target in info.stylesheets:
                return tuple(self.find(rel) for rel in info.stylesheets[target])
        return ()

    def font_families(self) -> frozenset[str]:
        """Every font family the theme's stylesheets name (``font-family`` and ``--*-font``),
        and the fallback faces its ``fallback_fonts`` option accepts."""
        families: set[str] = {str(f) for f in self.options.get("fallback_fonts", ())}
        sheets = {
            sheet: None for target in ("pdf", "epub", "html") for sheet in self.stylesheets(target)
        }
        for sheet in sheets:  # each file once (common.css serves every target)
            families |= _families(sheet.read_text(encoding="utf-8"))
        return frozenset(families)

    def file_url(self, relpath: str) -> str:
        """``file:`` URL of the nearest theme's ``relpath``, for templates (``theme_file``)."""
        return self.find(relpath).as_uri()

    def messages(self, lang: str) -> Messages:
        """The generated strings in ``lang``, with this theme's overrides."""
        return messages(lang, self.dirs)

    def _env_for(self, lang: str) -> jinja2.Environment:
        """An environment of its own per language: Jinja's ``overlay()`` would share the
        globals, and the i18n extension installs gettext into its first environment's,
        so one language's words would leak into another's in a process that renders
        several (a batch worker)."""
        if lang not in self._envs:
            text = self.messages(lang)
            env = _environment(self.chain)
            env.install_gettext_callables(  # type: ignore[attr-defined]
                text.gettext, text.ngettext, newstyle=True
            )
            self._envs[lang] = env
        return self._envs[lang]

    def render(self, template: str, **context: Any) -> str:
        """Render ``template``; generated text is in the language of ``context["lang"]``."""
        env = self._env_for(str(context.get("lang") or "en"))
        try:
            return env.get_template(template).render(
                theme=self.options, theme_file=self.file_url, **context
            )
        except jinja2.TemplateNotFound as exc:
            raise ThemeError(
                f"theme {self.name!r} has no template {exc.name!r}", code="theme.template-missing"
            ) from None
        except jinja2.UndefinedError as exc:
            raise ThemeError(
                f"template {template!r} of theme {self.name!r}: {exc.message}",
                code="theme.template-error",
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise ThemeError(
                f"{exc.filename or template}:{exc.lineno}: {exc.message}",
                code="theme.template-error",
            ) from None


_FAMILY_DECL = re.compile(r"(?:font-family|--[\w-]*font[\w-]*)\s*:\s*([^;}]+)", re.I)
_GENERIC = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "inherit"}


# Keyed by the stylesheet's text, read again for every document: a batch worker scans
# each theme file once, and an edited file is a new key (the old one ages out).
@lru_cache(maxsize=64)
def _families(css: str) -> frozenset[str]:
    names: set[str] = set()
    for match in _FAMILY_DECL.finditer(css):
        for item in match[1].split(","):
            name = item.strip().strip("'\"").strip()
            if name and name.lower() not in _GENERIC and not name.startswith("var("):
                names.add(name)
    return frozenset(names)


def read_info(folder: Path) -> ThemeInfo:
    """Parse ``folder/theme.toml``."""
    toml_path = folder / "theme.toml"
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ThemeError(f"{folder} has no theme.toml", code="theme.not-a-theme") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"{toml_path}: {exc}", code="theme.invalid") from None
    section = data.get("theme", {})
    inherit = section.get("inherit") or None
    sheets = {k: tuple(v) for k, v in data.get("stylesheets", {}).items()}
    return ThemeInfo(
        name=folder.name,
        path=folder.resolve(),
        inherit=inherit,
        description=section.get("description", ""),
        stylesheets=sheets,
        options=dict(data.get("options", {})),
    )


def available(extra_dirs: tuple[Path, ...] = ()) -> dict[str, Path]:
    """Theme name → folder, built-ins last so a local theme of the same name wins."""
    found: dict[str, Path] = {}
    for base in (*extra_dirs, *builtin_dirs()):
        if not base.is_dir():
            continue
        for folder in sorted(base.iterdir()):
            if (folder / "theme.toml").is_file():
                found.setdefault(folder.name, folder)
    return found


def load_theme(spec: str | Path = "base", options: Mapping[str, Any] | None = None) -> Theme:
    """Resolve ``spec`` (a theme name or a folder) into a ``Theme``."""
    return _load(str(spec), tuple(sorted((options or {}).items())))


def forget() -> None:
    """Drop the loaded themes (``theme.toml``, options, templates) and their catalogs,
    for a long-running host whose theme files change (``pressroom watch``)."""
    _load.cache_clear()
    i18n.forget()


@lru_cache(maxsize=16)
def _load(spec: str, option_items: tuple[tuple[str, Any], ...]) -> Theme:
    path = Path(spec)
    search: tuple[Path, ...] = ()
    if "/" in spec or spec.startswith(".") or (path.is_dir() and (path / "theme.toml").exists()):
        if not (path / "theme.toml").is_file():
            raise ThemeError(f"{spec} is not a theme folder (no theme.toml)", code="theme.missing")
        search = (path.resolve().parent,)
        name = path.resolve().name
    else:
        name = spec
    themes = available(search)
    chain: list[ThemeInfo] = []
    seen: list[str] = []
    current: str | None = name
    while current is not None:
        if current in seen:
            cycle = " → ".join([*seen, current])
            raise ThemeError(f"theme inheritance loops: {cycle}", code="theme.cycle")
        if len(seen) >= _MAX_DEPTH:
            raise ThemeError(f"theme inheritance deeper than {_MAX_DEPTH}", code="theme.cycle")
        if current not in themes:
            known = ", ".join(sorted(themes)) or "none"
            child = f" (parent of {seen[-1]!r})" if seen else ""
            raise ThemeError(
                f"no theme named {current!r}{child}; themes found: {known}",
                code="theme.missing",
            )
        info = read_info(themes[current])
        chain.append(info)
        seen.append(current)
        current = info.inherit
    merged: dict[str, Any] = {}
    for info in reversed(chain):
        merged.update(info.options)
    merged.update(dict(option_items))
    return Theme(chain=tuple(chain), options=merged, env=_environment(tuple(chain)))


# The options every theme environment has; the compiled templates depend on them.
_OPTIONS: dict[str, Any] = {
    "undefined": jinja2.StrictUndefined,
    "autoescape": True,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
    "extensions": ["jinja2.ext.i18n"],
}


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """Jinja's on-disk cache of compiled templates, never in the way: an entry that cannot
    be read or written is compiled in memory, as without a cache."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()  # a damaged entry: compiled again, and rewritten

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):  # a full disk or a read-only cache
            super().dump_bytecode(bucket)


@lru_cache(maxsize=1)
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept on disk across processes: compiling an article's templates
    costs a cold run about 20 ms, loading them a millisecond. Jinja checks each entry
    against its template's source (an edited template is compiled again) but not against
    the Jinja version or the environment's options, which the compiled code depends on:
    both name the folder (``jinja-VERSION-OPTIONS``). ``None`` when no folder can be made
    (then templates are compiled in memory, as without a cache)."""
    options = repr(sorted((k, getattr(v, "__name__", v)) for k, v in _OPTIONS.items()))
    digest = hashlib.sha256(options.encode("utf-8")).hexdigest()[:12]
    folder = user_cache(f"jinja-{jinja2.__version__}-{digest}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _TemplateCache(str(folder))


def _environment(chain: tuple[ThemeInfo, ...]) -> jinja2.Environment:
    dirs = [str(info.path / "templates") for info in chain]
    prefixed = {
        f"!{info.name}": jinja2.FileSystemLoader(str(info.path / "templates")) for info in chain
    }
    loader = jinja2.ChoiceLoader(
        [jinja2.PrefixLoader(prefixed, delimiter="/"), jinja2.FileSystemLoader(dirs)]
    )
    env = jinja2.Environment(loader=loader, bytecode_cache=_bytecode_cache(), **_OPTIONS)
    env.filters["css_string"] = css_string
    return env


def css_string(value: object) -> Markup:
    """``value`` as a quoted CSS string, safe inside a ``<style>`` element.

    Templates use it to put article text into generated content (a running head that
    names the author). HTML escaping would print ``&amp;`` literally there, so this
    escapes for CSS instead: quotes, backslashes and line breaks, and ``<`` / ``>`` / ``&``
    as hex escapes so no text can close the ``<style>`` element.
    """
    out = []
    for char in " ".join(str(value).split()):
        if char in '"\\<>&' or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return Markup('"' + "".join(out) + '"')

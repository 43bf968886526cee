"""Markdown dialects: how a source is read, asked of the parser that will render it.

Three dialects, each offering the same three services (``blocks``, ``anchors``,
``render``; see ``commonmark`` and ``pymarkdown``):

- ``commonmark`` (the default): CommonMark 0.31.2 with the extensions site generators
  (Astro/remark, Hugo/Goldmark, Docusaurus, VitePress, GitHub, Obsidian) add — tables,
  strikethrough, task lists, footnotes, definition lists, alerts, heading attributes —
  read with markdown-it-py;
- ``gfm``: the same, plus GitHub's extended autolinks (a bare ``https://…`` is a link);
- ``python-markdown``: Python-Markdown's own dialect (MkDocs sites), read with it.

A document names its dialect in its frontmatter (``markdown: python-markdown``); else the
run's setting (``--markdown``, ``markdown = …`` in the config file) applies. The library of
a dialect is imported the first time that dialect is used, so a run that never reads
Python-Markdown never imports it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Protocol

from ..model import Heading
from .blocks import Anchors, Blocks

DEFAULT = "commonmark"
# name → (module, attribute of the module that reads it; None: the module itself)
DIALECTS: dict[str, tuple[str, str | None]] = {
    "commonmark": ("commonmark", "COMMONMARK"),
    "gfm": ("commonmark", "GFM"),
    "python-markdown": ("pymarkdown", None),
}
# Names people write for them.
ALIASES: dict[str, str] = {
    "gfm": "gfm",
    "github": "gfm",
    "commonmark": "commonmark",
    "cm": "commonmark",
    "python-markdown": "python-markdown",
    "pymarkdown": "python-markdown",
    "python_markdown": "python-markdown",
    "mkdocs": "python-markdown",
}


class Dialect(Protocol):
    NAME: str

    def blocks(self, text: str) -> Blocks: ...

    def anchors(self, text: str) -> Anchors: ...

    def render(self, text: str) -> tuple[str, tuple[Heading, ...]]: ...


def canonical(name: str) -> str | None:
    """The dialect a name means (``"GFM"`` → ``"commonmark"``), or ``None``."""
    return ALIASES.get(name.strip().lower())


def dialect(name: str = DEFAULT) -> Dialect:
    """The reader of a dialect, its library imported on first use."""
    module_name, attribute = DIALECTS[name]
    module: ModuleType = importlib.import_module(f".{module_name}", __name__)
    return getattr(module, attribute) if attribute else module  # type: ignore[return-value]


__all__ = ["ALIASES", "DEFAULT", "DIALECTS", "Dialect", "canonical", "dialect"]

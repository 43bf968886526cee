"""The house's shape: no module imports a later stage.

Every module of ``convert`` has a rank, earliest first; an import (at the top of a file or
inside a function: a lazy import is still a dependency) may only point to a module of the
same or a lower rank, and to the same rank only within one package. A new module must be
given a rank here, which is where its place in the pipeline gets decided.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "convert"

# Earliest first. A name stands for a module or a whole package.
STAGES: list[set[str]] = [
    # Data and facts every stage may use.
    {"convert", "errors", "diagnostics", "paths", "slugs", "folios", "colour", "profiles"},
    {"files"},  # writing files and the user cache (the start-up caches of i18n, theme)
    {"model", "sanitize", "i18n"},
    {"assets", "markdown", "theme", "remote"},
    # The stages, in the order a document goes through them.
    {"load", "accessibility"},
    {"fixer", "normalize"},
    {"parse"},
    {"tree"},
    {"apparatus"},
    {"render"},
    {"writers"},
    {"preflight"},
    # The run: its configuration, the one policy, the recipe and its clients.
    {"config"},
    {"runner"},
    {"pipeline"},
    {"book", "jobs"},
    {"executors"},
    {"batch", "preview"},
    {"watch"},
    {"cli"},
    {"startup"},  # what a cold start keeps between runs
    {"__main__"},
]


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(p): p for p in PACKAGE.rglob("*.py")}


def _unit(module: str) -> str:
    """The name ``STAGES`` knows a module by: its first part below ``convert``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _rank(module: str) -> int:
    unit = _unit(module)
    for rank, names in enumerate(STAGES):
        if unit in names:
            return rank
    raise AssertionError(f"{module} has no place in STAGES (tests/unit/test_layers.py)")


def _imports(module: str) -> set[str]:
    path = MODULES[module]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name in MODULES and name != module}


def test_every_module_has_a_stage() -> None:
    for module in MODULES:
        _rank(module)


def _upward() -> list[str]:
    wrong = []
    for module in sorted(MODULES):
        for target in sorted(_imports(module)):
            mine, theirs = _rank(module), _rank(target)
            if theirs > mine or (theirs == mine and _unit(target) != _unit(module)):
                wrong.append(f"{module} → {target}")
    return wrong


def test_no_module_imports_a_later_stage() -> None:
    assert _upward() == []


def test_the_check_sees_an_upward_import(tmp_path: Path, monkeypatch) -> None:
    """The check can fail: a stage that reached up to the batch, even lazily, is caught."""
    fake = tmp_path / "convert"
    fake.mkdir()
    (fake / "parse.py").write_text("def f():\n    from .batch import run\n", encoding="utf-8")
    (fake / "batch.py").write_text("from .parse import f\n", encoding="utf-8")
    modules = {"convert.parse": fake / "parse.py", "convert.batch": fake / "batch.py"}
    monkeypatch.setattr(f"{__name__}.MODULES", modules)
    assert _upward() == ["convert.parse → convert.batch"]

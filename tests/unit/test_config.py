"""Unit tests for convert/config.py: severities and disabled rules from files and flags."""

from __future__ import annotations

import importlib
import re
from dataclasses import replace
from pathlib import Path

import pytest

from convert.config import OTHER_CODES, ConfigError, Settings, known_codes, load_settings
from convert.diagnostics import Severity
from convert.normalize import RULES, Rule
from convert.preflight import CODES as PREFLIGHT_CODES

PACKAGE = Path(__file__).resolve().parents[2] / "convert"


def _names(settings: Settings) -> list[str]:
    return [rule.name for rule in settings.rules]


def test_defaults_without_any_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.severity == {}
    assert settings.rules == RULES
    assert settings.source is None


def test_pyproject_tool_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.pressroom]\ndisable = ["heading_levels"]\n\n'
        '[tool.pressroom.severity]\n"heading.duplicate" = "error"\n"section.empty" = "off"\n',
        encoding="utf-8",
    )
    settings = load_settings(tmp_path)
    assert settings.severity == {"heading.duplicate": Severity.ERROR, "section.empty": None}
    assert "heading_levels" not in _names(settings)
    assert len(settings.rules) == len(RULES) - 1
    assert settings.source == (tmp_path / "pyproject.toml").resolve()


def test_found_from_a_subfolder_and_pressroom_toml_wins(tmp_path: Path) -> None:
    (tmp_path / "pressroom.toml").write_text(
        '[severity]\n"meta.tags" = "warning"\n', encoding="utf-8"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pressroom.severity]\n"meta.tags" = "error"\n', encoding="utf-8"
    )
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    settings = load_settings(deep)
    assert settings.severity == {"meta.tags": Severity.WARNING}
    assert settings.source == (tmp_path / "pressroom.toml").resolve()


def test_pyproject_without_tool_table_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "pressroom.toml").write_text('disable = ["language"]\n', encoding="utf-8")
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert "language" not in _names(load_settings(inner))


def test_command_line_adds_and_wins(tmp_path: Path) -> None:
    (tmp_path / "pressroom.toml").write_text(
        'disable = ["language"]\n[severity]\n"meta.tags" = "error"\n', encoding="utf-8"
    )
    settings = load_settings(
        tmp_path, severity=["meta.tags=off", "heading.levels = info"], disable=["frontmatter"]
    )
    assert settings.severity == {"meta.tags": None, "heading.levels": Severity.INFO}
    assert {"language", "frontmatter"}.isdisjoint(_names(settings))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[severity]\n"heading.duplicat" = "error"\n', "did you mean 'heading.duplicate'"),
        ('[severity]\n"heading.duplicate" = "loud"\n', "unknown severity 'loud'"),
        ('[severity]\n"heading.duplicate" = 3\n', "must be text"),
        ('severity = "error"\n', "must be a table"),
        ('disable = ["heading-levels"]\n', "did you mean 'heading_levels'"),
        ('disable = "language"\n', "must be a list"),
        ("colour = true\n", "unknown key 'colour'"),
        ("severity = [\n", "not valid TOML"),
    ],
)
def test_bad_files_are_usage_errors(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "pressroom.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)) as info:
        load_settings(tmp_path)
    assert "pressroom.toml" in str(info.value)


def test_unknown_code_error_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, severity=["nope.nothing=info"])
    text = str(info.value)
    assert text.startswith("--severity: unknown code 'nope.nothing'")
    assert "heading.duplicate" in text and "meta.lang-detected" in text


@pytest.mark.parametrize("flag", ["heading.duplicate", "=error", "heading.duplicate:error"])
def test_bad_severity_flag(tmp_path: Path, flag: str) -> None:
    with pytest.raises(ConfigError, match="CODE=LEVEL"):
        load_settings(tmp_path, severity=[flag])


def test_unknown_rule_flag(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"--disable: unknown rule 'titles'.*known rules: "):
        load_settings(tmp_path, disable=["titles"])


def _declared_rule_codes() -> set[str]:
    """Codes every rule module under convert/normalize declares, registered or not yet."""
    codes: set[str] = set()
    for path in sorted((PACKAGE / "normalize").glob("*.py")):
        module = importlib.import_module(f"convert.normalize.{path.stem}")
        for value in vars(module).values():
            if isinstance(value, Rule):
                codes.update(value.codes)
    return codes


def test_every_emitted_code_is_known() -> None:
    """``OTHER_CODES`` and the rules' declared codes cover every code the source emits, so
    every diagnostic can be configured (exception codes are fatal and are not)."""
    emitted: set[str] = set()
    call = re.compile(r"(?:emit|diag|Diagnostic|Finding)\(\s*\"([a-z0-9]+\.[a-z][a-z0-9-]*)\"")
    chosen = re.compile(r"\bcode = \"([a-z]+\.[a-z][a-z0-9-]*)\" if .* else \"([^\"]+)\"")
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        emitted.update(call.findall(text))
        emitted.update(code for pair in chosen.findall(text) for code in pair)
    missing = emitted - OTHER_CODES - _declared_rule_codes()
    assert not missing, f"add to config.OTHER_CODES or the rule's codes: {sorted(missing)}"
    assert {c for r in RULES for c in r.codes} | emitted | PREFLIGHT_CODES >= OTHER_CODES
    assert known_codes() >= OTHER_CODES


def test_preflight_codes_list_every_finding() -> None:
    """``preflight.CODES`` names exactly the findings the preflight modules emit."""
    emitted: set[str] = set()
    for path in (PACKAGE / "preflight").glob("*.py"):
        emitted |= set(re.findall(r'add\(\s*"([a-z-]+)"', path.read_text(encoding="utf-8")))
    assert {f"preflight.{code}" for code in emitted} == PREFLIGHT_CODES


def test_settings_cross_process_boundaries_as_json(tmp_path: Path) -> None:
    """A batch job carries the whole run configuration to a worker on another machine."""
    import json

    from convert.config import Limits

    (tmp_path / "pressroom.toml").write_text(
        'disable = ["heading_levels"]\nmarkdown = "gfm"\n'
        '[severity]\n"heading.duplicate" = "error"\n"section.empty" = "off"\n',
        encoding="utf-8",
    )
    loaded = load_settings(tmp_path)
    settings = replace(
        loaded,
        formats=("epub",),
        theme="serif",
        profile="print",
        root=tmp_path,
        strict=True,
        remote_images=("example.org",),
        limits=Limits(max_input_mb=2.5, timeout=12, max_memory_mb=1024),
    )
    again = Settings.from_dict(json.loads(json.dumps(settings.to_dict())))
    assert again == settings
    assert again.rules == settings.rules and "heading_levels" not in _names(again)
    assert again.severity == {"heading.duplicate": Severity.ERROR, "section.empty": None}


def test_the_outputs_key_ignores_where_and_how_long() -> None:
    from convert.config import Limits

    base = Settings()
    assert (
        base.outputs_key() == replace(base, root=Path("/x"), limits=Limits(timeout=1)).outputs_key()
    )
    assert base.outputs_key() != replace(base, disabled=("titles",)).outputs_key()
    assert base.outputs_key() != replace(base, severity={"x.y": None}).outputs_key()
    assert base.outputs_key() != replace(base, strict=True).outputs_key()

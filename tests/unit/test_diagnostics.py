"""Unit tests for convert/diagnostics.py: Diagnostic, Location, Severity, Report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from convert.diagnostics import Diagnostic, Location, Report, Severity


def _diag(
    code: str = "reference.debris",
    severity: Severity = Severity.WARNING,
    path: str = "content/a.md",
    line: int | None = 41,
    message: str = "13 '[object Object]' lines removed",
    fix: str | None = "removed",
) -> Diagnostic:
    return Diagnostic(code, severity, Location(Path(path), line), message, fix)


def test_str_compiler_style() -> None:
    assert str(_diag()) == (
        "content/a.md:41: warning: 13 '[object Object]' lines removed; removed [reference.debris]"
    )


def test_str_without_line_or_fix() -> None:
    diag = _diag(code="meta.title-missing", line=None, message="no title", fix=None)
    assert str(diag) == "content/a.md: warning: no title [meta.title-missing]"


def test_str_severities() -> None:
    assert str(_diag(severity=Severity.INFO, fix=None)).startswith("content/a.md:41: info: ")
    assert str(_diag(severity=Severity.ERROR, fix=None)).startswith("content/a.md:41: error: ")


def test_location_str() -> None:
    assert str(Location(Path("x.md"), 3)) == "x.md:3"
    assert str(Location(Path("x.md"))) == "x.md"


def test_as_dict() -> None:
    assert _diag().as_dict() == {
        "code": "reference.debris",
        "severity": "warning",
        "path": "content/a.md",
        "line": 41,
        "message": "13 '[object Object]' lines removed",
        "fix": "removed",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("info", Severity.INFO),
        ("Warning", Severity.WARNING),
        (" ERROR ", Severity.ERROR),
        ("off", None),
    ],
)
def test_severity_parse(text: str, expected: Severity | None) -> None:
    assert Severity.parse(text) is expected


def test_severity_parse_rejects_unknown() -> None:
    with pytest.raises(ValueError, match="unknown severity 'loud'"):
        Severity.parse("loud")


def test_report_collects_in_order() -> None:
    report = Report()
    report.add(_diag(code="b.two"))
    report.extend([_diag(code="a.one"), _diag(code="c.three")])
    assert report.codes() == ["b.two", "a.one", "c.three"]
    assert len(report) == 3
    assert [d.code for d in report] == report.codes()


def test_report_override_changes_severity() -> None:
    report = Report({"reference.debris": Severity.ERROR})
    report.add(_diag())
    report.add(_diag(code="link.fragment"))
    assert report.codes() == ["reference.debris", "link.fragment"]
    severities = [d.severity for d in report]
    assert severities == [Severity.ERROR, Severity.WARNING]
    assert str(next(iter(report))).startswith("content/a.md:41: error: ")


def test_report_override_off_drops() -> None:
    report = Report({"section.empty": None})
    report.add(_diag(code="section.empty", severity=Severity.INFO))
    report.add(_diag(code="heading.duplicate"))
    assert report.codes() == ["heading.duplicate"]
    assert len(report) == 1


def test_child_keeps_overrides_not_items() -> None:
    parent = Report({"section.empty": None})
    parent.add(_diag())
    child = parent.child()
    assert child.codes() == []
    child.add(_diag(code="section.empty"))
    assert child.codes() == []


def test_worst() -> None:
    report = Report()
    assert report.worst() is None
    report.add(_diag(severity=Severity.INFO))
    assert report.worst() is Severity.INFO
    report.add(_diag(severity=Severity.WARNING))
    report.add(_diag(severity=Severity.INFO))
    assert report.worst() is Severity.WARNING
    assert Severity.ERROR > Severity.WARNING > Severity.INFO


def test_sorted_and_to_json() -> None:
    report = Report()
    report.add(_diag(code="z.last", path="b.md", line=1))
    report.add(_diag(code="b.second", path="a.md", line=9))
    report.add(_diag(code="a.first", path="a.md", line=None, message="Ünïcode", fix=None))
    report.add(_diag(code="a.third", path="a.md", line=9))
    assert [d.code for d in report.sorted()] == ["a.first", "a.third", "b.second", "z.last"]
    text = report.to_json()
    assert "Ünïcode" in text  # not escaped
    data = json.loads(text)
    assert [item["code"] for item in data] == ["a.first", "a.third", "b.second", "z.last"]
    assert data[0] == {
        "code": "a.first",
        "severity": "warning",
        "path": "a.md",
        "line": None,
        "message": "Ünïcode",
        "fix": None,
    }


def test_empty_report_json() -> None:
    assert json.loads(Report().to_json()) == []

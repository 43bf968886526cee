"""The one error policy (convert/runner.py): what becomes of a document, whatever breaks."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest

from convert.config import Limits, Settings
from convert.diagnostics import Diagnostic, Location, Report, Severity
from convert.errors import ConvertError
from convert.runner import run_document

DOC = Path("doc.md")


def _finding(report: Report, code: str, severity: Severity) -> None:
    report.add(Diagnostic(code, severity, Location(DOC, 1), "found", None))


def test_outputs_and_diagnostics_come_back() -> None:
    def work(report: Report) -> dict[str, Path]:
        _finding(report, "heading.duplicate", Severity.WARNING)
        return {"pdf": Path("doc.pdf")}

    outcome = run_document(DOC, work, Settings())
    assert outcome.error is None
    assert outcome.outputs == {"pdf": Path("doc.pdf")}
    assert outcome.report.codes() == ["heading.duplicate"]
    assert not outcome.failed() and outcome.failed(strict=True)


def test_configured_severities_apply_as_findings_are_reported() -> None:
    settings = Settings(severity={"heading.duplicate": Severity.ERROR, "section.empty": None})

    def work(report: Report) -> dict[str, Path]:
        _finding(report, "heading.duplicate", Severity.WARNING)
        _finding(report, "section.empty", Severity.WARNING)
        return {}

    outcome = run_document(DOC, work, settings)
    assert [(d.code, d.severity) for d in outcome.report] == [("heading.duplicate", Severity.ERROR)]
    assert outcome.failed()  # converted, with an error-level finding: exit status 1


def test_a_refused_document_keeps_its_code_and_gets_its_path() -> None:
    def work(report: Report) -> dict[str, Path]:
        _finding(report, "load.control-chars", Severity.INFO)
        raise ConvertError("is binary", code="load.binary")

    outcome = run_document(DOC, work, Settings())
    assert outcome.error is not None and outcome.error.code == "load.binary"
    assert str(outcome.error) == "doc.md: error: is binary [load.binary]"
    assert outcome.report.codes() == ["load.control-chars"]  # what was found before stays
    assert outcome.failed() and not outcome.outputs


def test_over_time_is_convert_timeout() -> None:
    settings = Settings(limits=Limits(timeout=0.2))
    started = time.monotonic()
    outcome = run_document(DOC, lambda report: time.sleep(30) or {}, settings)
    assert time.monotonic() - started < 5
    assert outcome.error is not None and outcome.error.code == "convert.timeout"
    assert "0.2 s time limit" in str(outcome.error)


def test_the_alarm_is_cleared_after_a_document() -> None:
    run_document(DOC, lambda report: {}, Settings(limits=Limits(timeout=0.2)))
    time.sleep(0.4)  # a stray alarm would raise here


def test_over_memory_is_convert_memory_and_the_ceiling_comes_back() -> None:
    before = resource.getrlimit(resource.RLIMIT_AS)

    def greedy(report: Report) -> dict[str, Path]:
        # More than the ceiling: 2 GiB of bytes under a 1 GiB address space.
        return {"x": Path(str(len(bytearray(2 * 1024**3))))}

    outcome = run_document(DOC, greedy, Settings(limits=Limits(max_memory_mb=1024)))
    assert outcome.error is not None and outcome.error.code == "convert.memory"
    assert resource.getrlimit(resource.RLIMIT_AS) == before


def test_nesting_past_the_stack_is_convert_too_deep() -> None:
    def deep(n: int) -> int:
        return deep(n + 1) + 1

    outcome = run_document(DOC, lambda report: {"x": Path(str(deep(0)))}, Settings())
    assert outcome.error is not None and outcome.error.code == "convert.too-deep"


def test_a_bug_is_one_line_and_the_next_document_goes_on() -> None:
    def buggy(report: Report) -> dict[str, Path]:
        raise KeyError("multi\nline " + "x" * 1000)

    outcome = run_document(DOC, buggy, Settings())
    assert outcome.error is not None and outcome.error.code == "convert.crash"
    line = str(outcome.error)
    assert "\n" not in line and line.startswith("doc.md: error: internal error: KeyError")
    assert len(line) < 400
    assert run_document(DOC, lambda report: {}, Settings()).error is None


def test_pressroom_debug_lets_a_bug_through(monkeypatch) -> None:
    monkeypatch.setenv("PRESSROOM_DEBUG", "1")
    with pytest.raises(KeyError):
        run_document(DOC, lambda report: {}["nope"], Settings())


def test_interrupts_stop_the_run_not_the_document() -> None:
    def interrupted(report: Report) -> dict[str, Path]:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_document(DOC, interrupted, Settings())

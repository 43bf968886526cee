"""Rule case files: one file per defect under ``cases/``, each with three parts.

```
=== input
…the Markdown (frontmatter allowed)…
=== diagnostics
LINE severity code          (one per line; LINE is "-" for no line; sorted as printed)
=== html
…the expected body HTML after normalize + parse (whitespace between tags ignored)…
```

An optional ``=== markdown`` part gives the exact normalized Markdown. Every case also
checks that normalizing the output again changes nothing and reports no repairs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from convert.diagnostics import Report, Severity
from convert.load import LoadOptions, load
from convert.normalize import normalize
from convert.parse import parse

CASES = sorted((Path(__file__).parent / "cases").glob("*.case"))


def _parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    name = None
    for line in text.splitlines(keepends=True):
        if match := re.match(r"^=== (\w+)\s*$", line):
            name = match[1]
            parts[name] = ""
        elif name is not None:
            parts[name] += line
    return parts


def _squash(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_case(case: Path, tmp_path: Path) -> None:
    parts = _parts(case.read_text(encoding="utf-8"))
    source = tmp_path / "case.md"
    source.write_text(parts["input"], encoding="utf-8")
    for extra in (case.parent / case.stem).glob("*") if (case.parent / case.stem).is_dir() else ():
        (tmp_path / extra.name).write_bytes(extra.read_bytes())
    report = Report()
    article = normalize(load(source, report, LoadOptions(root=tmp_path)), report)
    got = [f"{d.location.line or '-'} {d.severity.name.lower()} {d.code}" for d in report.sorted()]
    expected = [line.strip() for line in parts["diagnostics"].splitlines() if line.strip()]
    assert got == expected, "\n".join(str(d) for d in report.sorted())
    if "markdown" in parts:
        assert article.markdown.strip() == parts["markdown"].strip()
    assert _squash(parse(article).html) == _squash(parts["html"])

    again = Report()
    second = normalize(article, again)
    assert second.markdown == article.markdown, "not idempotent"
    repairs = [d for d in again if d.severity >= Severity.WARNING]
    assert not repairs, [str(d) for d in repairs]

"""PDF/UA-1 in every tagged profile (issue 13, part 4), checked two ways:

- the structure tree read with pikepdf by this file's own walker (it shares no code with
  ``convert/writers/pdf_tags.py`` or preflight): every Link annotation under a Link
  element (StructParent, OBJR) with ``/Contents``; every TH with ``/Scope`` and every
  ``/Headers`` ID in the ``/IDTree``; every Figure with ``/Alt``; LI kids only Lbl/LBody;
  every page's marked content and its ParentTree entry naming each other;
- page-validation's PDF/UA-1 check (PyPI, an independent implementation).

On the sample articles, the sample book and the shared corpus in the screen profile (the
print and archive files are checked in test_print.py), and on an article made of the cases
WeasyPrint 70 tags wrongly, in every tagged profile. A PDF broken on purpose must fail.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from convert.cli import main
from convert.preflight import preflight
from convert.profiles import get
from tests.conftest import CONTENT, corpus_files

pytestmark = pytest.mark.e2e

page = pytest.importorskip("page", reason="page-validation not installed (make setup)")

BOOK = CONTENT / "books" / "field-guide" / "book.toml"
ARTICLES = sorted((CONTENT / "articles").glob("*.md"))
TAGGED = ["screen", "print", "archive"]

CASES = """---
title: Tagging cases
lang: en
---

A decorative rule: ![](type-case.svg)

![A compositor's case](type-case.svg)

She said <span lang="fr">bonjour tout le monde</span> and left. [A link](https://example.org/)
and [`remark-lint`](https://example.org/lint).

- item one

  - nested

  more text after the nested list

| a | b |
|---|---|
| 1 | 2 |

<table><tbody><tr><th>Row head</th><td>value</td></tr></tbody></table>
"""


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cases")
    shutil.copy(CONTENT / "articles" / "images" / "type-case.svg", folder)
    (folder / "cases.md").write_text(CASES, encoding="utf-8")
    out = {}
    for profile in TAGGED:
        target = folder / profile
        args = [str(folder / "cases.md"), "-o", str(target), "--format", "pdf", "-q"]
        assert main(["convert", *args, "--profile", profile]) == 0
        out[profile] = target / "cases.pdf"
    return out


@pytest.fixture(scope="module")
def screen(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The sample articles, the shared corpus and the sample book, screen profile."""
    folder = tmp_path_factory.mktemp("screen")
    args = ["--profile", "screen", "--format", "pdf", "-q"]
    inputs = [str(p) for p in ARTICLES]
    assert main(["convert", *inputs, "-o", str(folder / "a"), "--root", str(CONTENT), *args]) == 0
    if corpus := corpus_files():
        root = str(corpus[0].parent)
        inputs = [str(p) for p in corpus]
        assert main(["convert", *inputs, "-o", str(folder / "c"), "--root", root, *args]) == 0
    assert main(["book", str(BOOK), "-o", str(folder / "b"), *args]) == 0
    files = sorted(folder.rglob("*.pdf"))
    assert len(files) == len(ARTICLES) + len(corpus) + 1
    return files


# --- an independent walker --------------------------------------------------------------------


def _kids(obj: pikepdf.Object) -> list:
    k = obj.get("/K")
    return [] if k is None else list(k) if isinstance(k, Array) else [k]


def _is_element(obj: object) -> bool:
    return isinstance(obj, Dictionary) and "/S" in obj and obj.get("/Type") not in ("/MCR", "/OBJR")


def _walk(root: pikepdf.Object) -> list[tuple[pikepdf.Object, pikepdf.Object]]:
    out, stack = [], [(k, root) for k in reversed(_kids(root))]
    while stack:
        element, parent = stack.pop()
        if _is_element(element):
            out.append((element, parent))
            stack.extend((k, element) for k in reversed(_kids(element)))
    return out


def _table_attributes(element: pikepdf.Object) -> dict:
    found = element.get("/A")
    items = [found] if isinstance(found, Dictionary) else list(found or [])
    merged: dict = {}
    for item in items:
        if isinstance(item, Dictionary) and item.get("/O") == Name.Table:
            merged.update({str(k): v for k, v in item.items()})
    return merged


def ua_problems(pdf: pikepdf.Pdf) -> list[str]:
    """What this file's reading of PDF/UA-1 finds wrong in ``pdf`` (empty: none)."""
    problems: list[str] = []
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return ["no structure tree"]
    tree = _walk(root)
    reachable = {e.objgen: e for e, _ in tree}
    parents = {int(k): v for k, v in pikepdf.NumberTree(root.ParentTree).items()}
    ids = set(pikepdf.NameTree(root.IDTree).keys()) if "/IDTree" in root else set()
    owned: set[tuple[tuple[int, int], int]] = set()  # (page, MCID) the tree's elements list
    for element, _ in tree:
        kind = str(element.S)
        for kid in _kids(element):
            if isinstance(kid, int):
                owned.add((element.Pg.objgen, kid))
            elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.MCR:
                owned.add((kid.get("/Pg", element.get("/Pg")).objgen, int(kid.MCID)))
        if kind == "/LI" and any(
            not (_is_element(k) and str(k.S) in ("/Lbl", "/LBody")) for k in _kids(element)
        ):
            problems.append("LI with a kid other than Lbl or LBody")
        if kind == "/TH" and str(_table_attributes(element).get("/Scope")) not in (
            "/Row",
            "/Column",
            "/Both",
        ):
            problems.append("TH without /Scope")
        for name in _table_attributes(element).get("/Headers", []):
            if str(name) not in ids:
                problems.append(f"/Headers {name} not in the IDTree")
        if kind == "/Figure" and not str(element.get("/Alt", "")).strip():
            problems.append("Figure without /Alt")
    for number, pg in enumerate(pdf.pages, start=1):
        owners = parents.get(int(pg.obj.get("/StructParents", -1)))
        marked = [
            int(op.operands[1].MCID)
            for op in pikepdf.parse_content_stream(pg)
            if str(op.operator) == "BDC"
            and isinstance(op.operands[1], Dictionary)
            and "/MCID" in op.operands[1]
        ]
        for mcid in marked:
            owner = owners[mcid] if isinstance(owners, Array) and mcid < len(owners) else None
            if not _is_element(owner) or owner.objgen not in reachable:
                problems.append(f"page {number}: MCID {mcid} has no owner in the tree")
            elif (pg.obj.objgen, mcid) not in owned:
                problems.append(f"page {number}: MCID {mcid}'s owner does not list it")
        for annot in pg.obj.get("/Annots", []):
            if annot.get("/Subtype") != Name.Link:
                continue
            owner = parents.get(int(annot.get("/StructParent", -1)))
            objrs = [
                k.Obj.objgen
                for k in (_kids(owner) if _is_element(owner) else [])
                if isinstance(k, Dictionary) and k.get("/Type") == Name.OBJR
            ]
            if (
                not _is_element(owner)
                or owner.objgen not in reachable
                or str(owner.S) != "/Link"
                or annot.objgen not in objrs
            ):
                problems.append(f"page {number}: a Link annotation outside a Link element")
            if not str(annot.get("/Contents", "")).strip():
                problems.append(f"page {number}: a Link annotation without /Contents")
    return problems


def _validate(path: Path) -> list[str]:
    report = page.validate_pdf(str(path), profile="ua1")
    return sorted({f"{f.rule_id}: {f.message}" for f in report.failures})


# --- the tests ----------------------------------------------------------------------------------


def test_samples_corpus_and_book_have_a_valid_structure_tree(screen: list[Path]) -> None:
    for path in screen:
        with pikepdf.open(path) as pdf:
            assert ua_problems(pdf) == [], path.name


def test_samples_corpus_and_book_pass_page_validation_pdfua(screen: list[Path]) -> None:
    for path in screen:
        assert _validate(path) == [], path.name


@pytest.mark.parametrize("profile", TAGGED)
def test_the_cases_pass_in_every_tagged_profile(cases: dict[str, Path], profile: str) -> None:
    with pikepdf.open(cases[profile]) as pdf:
        assert ua_problems(pdf) == []
    assert _validate(cases[profile]) == []
    findings = [d for d in preflight(cases[profile], get(profile)) if d.severity.name != "INFO"]
    assert findings == []


def test_links_carry_their_text_as_alternate_text(cases: dict[str, Path]) -> None:
    with pikepdf.open(cases["screen"]) as pdf:
        contents = [str(a.Contents) for p in pdf.pages for a in p.obj.get("/Annots", [])]
    # WeasyPrint writes the URL; the inline code inside the second link has an annotation
    # of its own, now in the same Link element and with the same text.
    assert contents == ["A link", "remark-lint", "remark-lint"]


def test_table_headers_have_column_and_row_scope(cases: dict[str, Path]) -> None:
    with pikepdf.open(cases["screen"]) as pdf:
        tree = _walk(pdf.Root.StructTreeRoot)
        scopes = [str(_table_attributes(e)["/Scope"]) for e, _ in tree if e.S == Name.TH]
        assert scopes == ["/Column", "/Column", "/Row"]
        assert "/IDTree" in pdf.Root.StructTreeRoot


def test_a_language_change_is_tagged_on_its_element(cases: dict[str, Path]) -> None:
    with pikepdf.open(cases["screen"]) as pdf:
        assert str(pdf.Root.Lang) == "en"
        tagged = [
            (str(e.S), str(e.Lang)) for e, _ in _walk(pdf.Root.StructTreeRoot) if "/Lang" in e
        ]
    assert tagged == [("/Span", "fr")]


def test_a_decorative_image_is_an_artifact(cases: dict[str, Path], tmp_path: Path) -> None:
    """``![](…)`` (empty alt text) no longer fails the document with WeasyPrint's
    "no required alt description": it is drawn as an Artifact, reported as info."""
    with pikepdf.open(cases["screen"]) as pdf:
        figures = [e for e, _ in _walk(pdf.Root.StructTreeRoot) if str(e.S) == "/Figure"]
        assert [str(f.Alt) for f in figures] == ["A compositor's case"]
        # Both images are drawn; only the one with alt text is marked as a Figure.
        marked = [
            str(op.operands[0])
            for op in pikepdf.parse_content_stream(pdf.pages[0])
            if str(op.operator) == "BDC"
        ]
        assert marked.count("/Figure") == 1
    report = tmp_path / "report.json"
    source = cases["screen"].parent.parent / "cases.md"
    args = [str(source), "-o", str(tmp_path), "--format", "pdf", "--report", str(report), "-q"]
    assert main(["convert", *args]) == 0
    assert '"pdf.decorative-image"' in report.read_text(encoding="utf-8")


def test_list_items_hold_a_label_and_a_body(cases: dict[str, Path]) -> None:
    with pikepdf.open(cases["screen"]) as pdf:
        items = [e for e, _ in _walk(pdf.Root.StructTreeRoot) if e.S == Name.LI]
        kinds = [[str(k.S) for k in _kids(item)] for item in items]
    assert kinds == [["/Lbl", "/LBody"], ["/Lbl", "/LBody"]]


def test_running_heads_and_folios_are_artifacts(screen: list[Path]) -> None:
    """WeasyPrint tags margin boxes with elements outside the tree; they are pagination
    artifacts now, so every marked MCID has its owner in the tree (``ua_problems``)."""
    book = next(p for p in screen if p.stem == "field-guide")
    with pikepdf.open(book) as pdf:
        pagination = 0
        for pg in pdf.pages:
            for op in pikepdf.parse_content_stream(pg):
                if str(op.operator) == "BDC" and op.operands[0] == Name.Artifact:
                    pagination += op.operands[1].get("/Type") == Name.Pagination
        assert pagination >= len(pdf.pages) - 2  # every page but the cover and a blank


def test_hebrew_text_maps_to_unicode(screen: list[Path]) -> None:
    """WeasyPrint 70 maps the shin dot of שָׁ to nothing (``<0064> <>``); each glyph maps
    to its own character now."""
    hebrew = next(p for p in screen if p.stem == "hebrew-type")
    with pikepdf.open(hebrew) as pdf:
        maps = [
            o.ToUnicode.read_bytes()
            for o in pdf.objects
            if isinstance(o, Dictionary) and o.get("/Type") == Name.Font and "/ToUnicode" in o
        ]
    joined = b"\n".join(maps)
    assert b"<>" not in joined
    assert b"<05c1>" in joined and b"<05b805c1>" not in joined


def test_a_broken_pdf_fails_the_checks(cases: dict[str, Path], tmp_path: Path) -> None:
    """A link annotation stripped of its StructParent, and a TH of its /Scope: this
    file's walker, page-validation and preflight all object (the checks can fail)."""
    broken = tmp_path / "broken.pdf"
    with pikepdf.open(cases["screen"]) as pdf:
        annot = next(a for pg in pdf.pages for a in pg.obj.get("/Annots", []))
        del annot["/StructParent"]
        header = next(e for e, _ in _walk(pdf.Root.StructTreeRoot) if e.S == Name.TH)
        del header.A["/Scope"]
        pdf.save(broken)
    with pikepdf.open(broken) as pdf:
        problems = ua_problems(pdf)
    assert any(p.endswith("a Link annotation outside a Link element") for p in problems)
    assert "TH without /Scope" in problems
    assert any("LINK-LINK-TAG" in f for f in _validate(broken))
    codes = {d.code for d in preflight(broken, get("screen"))}
    assert {"preflight.ua-link", "preflight.ua-table"} <= codes


def test_tagged_output_is_byte_identical_on_rebuild(cases: dict[str, Path], tmp_path) -> None:
    source = cases["screen"].parent.parent / "cases.md"
    assert main(["convert", str(source), "-o", str(tmp_path), "--format", "pdf", "-q"]) == 0
    assert (tmp_path / "cases.pdf").read_bytes() == cases["screen"].read_bytes()

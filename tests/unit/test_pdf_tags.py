"""Structure-tree repairs (convert/writers/pdf_tags.py) on small tagged PDFs made for the
purpose, each with the defect WeasyPrint 70 leaves (or one a foreign PDF may have)."""

from __future__ import annotations

import pikepdf
from pikepdf import Array, Dictionary, Name

from convert.writers.pdf_tags import TagHints, elements, kids, repair_tags


class Doc:
    """A one-page tagged PDF: ``mcids`` marked-content sequences on the page, a Document
    element under the StructTreeRoot, and helpers to hang elements under it."""

    def __init__(self, mcids: int = 4) -> None:
        self.pdf = pikepdf.new()
        content = b"".join(
            b"/Span <</MCID %d>> BDC BT 10 %d Td ET EMC\n" % (i, 10 * i) for i in range(mcids)
        )
        self.pdf.add_blank_page()
        self.page = self.pdf.pages[0].obj
        self.page.Contents = self.pdf.make_stream(content)
        self.page.StructParents = 0
        self.root = self.pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        self.document = self.element("Document", self.root)
        self.root.K = Array([self.document])
        self.owners = Array([None] * mcids)
        self.root.ParentTree = Dictionary(Nums=Array([0, self.owners]))
        self.pdf.Root.StructTreeRoot = self.root
        self.pdf.Root.Lang = pikepdf.String("en")

    def element(self, kind: str, parent: pikepdf.Object, *content, **extra) -> pikepdf.Object:
        element = self.pdf.make_indirect(
            Dictionary(Type=Name.StructElem, S=Name("/" + kind), P=parent, Pg=self.page, K=Array())
        )
        for key, value in extra.items():
            element[Name("/" + key)] = value
        for kid in content:
            self.add(element, kid)
        if parent is not self.root:
            parent.K = Array([*kids(parent), element])
        return element

    def add(self, element: pikepdf.Object, kid) -> None:
        if isinstance(kid, int):
            self.owners[kid] = element
        element.K = Array([*kids(element), kid])

    def link(self, parent: pikepdf.Object, key: int | None = None) -> pikepdf.Object:
        """A link annotation on the page, its OBJR under ``parent`` with StructParent
        ``key`` (None: no OBJR, no StructParent)."""
        annot = self.pdf.make_indirect(
            Dictionary(
                Type=Name.Annot,
                Subtype=Name.Link,
                Rect=Array([0, 0, 10, 10]),
                A=Dictionary(S=Name.URI, URI=pikepdf.String("https://example.org/")),
            )
        )
        self.page.Annots = Array([*self.page.get("/Annots", Array()), annot])
        if key is not None:
            annot.StructParent = key
            parent.K = Array([*kids(parent), Dictionary(Type=Name.OBJR, Obj=annot, Pg=self.page)])
            self.root.ParentTree.Nums.extend([key, parent])
        return annot

    def tree(self) -> list[str]:
        """The reachable elements as ``S@depth``, depth first."""
        depth = {self.root.objgen: -1}
        out = []
        for element, parent in elements(self.root):
            depth[element.objgen] = depth[parent.objgen] + 1
            out.append(f"{str(element.S)[1:]}@{depth[element.objgen]}")
        return out

    def markers(self) -> list[str]:
        return [
            str(i.operator) + ("" if str(i.operator) == "BMC" else f" {i.operands[1].get('/MCID')}")
            for i in pikepdf.parse_content_stream(self.page)
            if str(i.operator) in ("BDC", "BMC")
        ]

    def owner(self, key: int) -> pikepdf.Object:
        return pikepdf.NumberTree(self.root.ParentTree)[key]


def test_a_link_inside_a_link_moves_up_and_takes_the_link_text() -> None:
    """``<a><code>x</code></a>``: WeasyPrint files the inner box's annotation under the
    NonStruct of ``code``; it belongs to the enclosing Link."""
    doc = Doc()
    p = doc.element("P", doc.document)
    link = doc.element("Link", p, 0)
    outer = doc.link(link, 1)
    inner_box = doc.element("NonStruct", link)
    inner = doc.link(inner_box, 2)
    doc.element("Span", inner_box, 1)
    done = repair_tags(doc.pdf, TagHints(link_texts={link.objgen[0]: "the manual"}))
    assert done.links_moved == 1 and done.link_contents == 2
    assert doc.owner(2).objgen == link.objgen
    assert [k.Obj.objgen for k in kids(link) if isinstance(k, Dictionary) and "/Obj" in k] == [
        outer.objgen,
        inner.objgen,
    ]
    assert str(outer.Contents) == str(inner.Contents) == "the manual"
    assert (
        repair_tags(doc.pdf, TagHints(link_texts={link.objgen[0]: "the manual"})) == type(done)()
    )  # idempotent


def test_an_annotation_outside_the_tree_gets_a_link_element() -> None:
    doc = Doc()
    doc.element("P", doc.document, 0)
    annot = doc.link(doc.document, None)
    done = repair_tags(doc.pdf)
    assert done.links_moved == 1 and done.link_contents == 1
    owner = doc.owner(int(annot.StructParent))
    assert str(owner.S) == "/Link"
    assert owner.P.objgen == doc.document.objgen
    assert str(annot.Contents) == "https://example.org/"  # no text known: the target
    assert int(doc.root.ParentTreeNextKey) == int(annot.StructParent) + 1


def test_paragraphs_in_a_list_item_go_into_a_list_body() -> None:
    doc = Doc()
    items = doc.element("L", doc.document)
    item = doc.element("LI", items)
    doc.element("Lbl", item, 0)
    first = doc.element("P", item, 1)
    doc.element("P", item, 2)
    doc.add(item, 3)  # an MCID straight in the LI
    assert repair_tags(doc.pdf).list_bodies == 1
    assert doc.tree() == ["Document@0", "L@1", "LI@2", "Lbl@3", "LBody@3", "P@4", "P@4"]
    body = kids(item)[1]
    assert first.P.objgen == body.objgen
    assert doc.owners[3].objgen == body.objgen  # the ParentTree follows the moved MCID


def test_headers_get_a_scope_an_id_tree_and_no_dangling_names() -> None:
    doc = Doc(6)
    table = doc.element("Table", doc.document)
    head = doc.element("THead", table)
    row = doc.element("TR", head)
    doc.element("TH", row, 0, ID=pikepdf.String("t-0-0"), A=Dictionary(O=Name.Table))
    body = doc.element("TBody", table)
    row = doc.element("TR", body)
    row_header = doc.element("TH", row, 1)  # a body row's first cell: no ID, no attributes
    cell = doc.element(
        "TD", row, 2, A=Dictionary(O=Name.Table, Headers=Array([pikepdf.String("t-0-0"), "gone"]))
    )
    done = repair_tags(doc.pdf)
    assert done.header_scopes == 2
    assert done.header_ids == 2  # one ID given, one dangling name dropped
    heads = [e for e, _ in elements(doc.root) if e.S == Name.TH]
    assert [str(h.A.Scope) for h in heads] == ["/Column", "/Row"]
    assert str(row_header.ID) == f"th-{row_header.objgen[0]}"
    names = pikepdf.NameTree(doc.root.IDTree)
    assert sorted(names.keys()) == sorted(["t-0-0", str(row_header.ID)])
    assert [str(n) for n in cell.A.Headers] == ["t-0-0"]


def test_a_header_named_by_cells_of_its_own_row_is_a_row_header() -> None:
    doc = Doc(3)
    table = doc.element("Table", doc.document)
    row = doc.element("TR", table)
    doc.element("TD", row, 0, A=Dictionary(O=Name.Table, Headers=Array([pikepdf.String("h")])))
    doc.element("TH", row, 1, ID=pikepdf.String("h"), A=Dictionary(O=Name.Table))
    repair_tags(doc.pdf)
    header = next(e for e, _ in elements(doc.root) if e.S == Name.TH)
    assert header.A.Scope == Name.Row


def test_a_figure_without_alt_text_becomes_an_artifact() -> None:
    doc = Doc(3)
    p = doc.element("P", doc.document, 0)
    doc.element("Figure", p, 1)
    doc.element("Figure", p, 2, Alt=pikepdf.String("a press"))
    assert repair_tags(doc.pdf).decorative_figures == 1
    assert doc.tree() == ["Document@0", "P@1", "Figure@2"]
    assert doc.markers() == ["BDC 0", "BMC", "BDC 2"]
    assert doc.owners[1] is None


def test_content_of_elements_outside_the_tree_becomes_a_pagination_artifact() -> None:
    """WeasyPrint's running heads: an element with an MCID, never linked into the tree."""
    doc = Doc(2)
    doc.element("P", doc.document, 0)
    orphan = doc.pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Span, K=1))
    doc.owners[1] = orphan
    assert repair_tags(doc.pdf).pagination_artifacts == 1
    artifact = [i for i in pikepdf.parse_content_stream(doc.page) if str(i.operator) == "BDC"][1]
    assert artifact.operands[0] == Name.Artifact
    assert artifact.operands[1].Type == Name.Pagination
    assert doc.owners[1] is None


def test_languages_are_set_where_they_change() -> None:
    doc = Doc(3)
    p = doc.element("P", doc.document, 0)
    span = doc.element("Span", p)
    inner = doc.element("Span", span, 1)
    back = doc.element("Span", span, 2)
    hints = TagHints(
        languages={
            p.objgen[0]: "en",
            span.objgen[0]: "fr",
            inner.objgen[0]: "fr",
            back.objgen[0]: "EN",
        }
    )
    assert repair_tags(doc.pdf, hints).languages == 2
    assert "/Lang" not in p and "/Lang" not in inner
    assert str(span.Lang) == "fr" and str(back.Lang) == "EN"


def test_an_untagged_pdf_is_left_alone() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    assert repair_tags(pdf) == type(repair_tags(pdf))()
    assert "/StructTreeRoot" not in pdf.Root


def test_a_tree_leaf_is_flat_sorted_and_names_are_strings() -> None:
    from convert.writers.pdf_tags import flat_tree

    nums = flat_tree({10: pikepdf.Array([1]), 2: pikepdf.Array([2])})
    assert [int(nums[0]), int(nums[2])] == [2, 10]
    assert list(nums[1]) == [2]
    names = flat_tree({"b": pikepdf.Dictionary(), "a": pikepdf.Dictionary()})
    assert [str(names[0]), str(names[2])] == ["a", "b"]
    assert isinstance(names[0], pikepdf.String)

"""Structure-tree repairs for PDF/UA-1 (ISO 14289-1): what WeasyPrint 70's tagging leaves
undone, done on the tagged PDF with pikepdf before it is saved.

Contract: ``repair_tags(pdf, hints)`` changes the structure tree of ``pdf`` (and, for
content that is no real content, the marked content of its pages) in place and returns
what it did as ``TagRepairs``. ``pdf_finish.finish_pdf`` calls it for every tagged
profile. It needs nothing but the PDF; ``hints`` (what the layout knew, see ``TagHints``)
adds the language of each element and the text of each link. Every step is idempotent.

- ``link_elements``: every Link annotation sits in a ``/Link`` structure element, through an
  OBJR kid and a ``/StructParent`` the ParentTree resolves to that element. WeasyPrint
  gives a second annotation to an inline box inside a link (``<a><code>…</code></a>``) and
  files it under the inner ``/NonStruct``; it moves up to the enclosing Link. An annotation
  outside the tree gets a Link element of its own.
- ``link_contents``: a link's alternate text (``/Contents``) is its visible text, else what
  WeasyPrint wrote (the URL or the fragment name).
- ``list_bodies``: an ``/LI`` holds only ``/Lbl`` and ``/LBody``; WeasyPrint puts the
  paragraphs of a loose list item straight into the LI, and they move into an LBody.
- ``table_headers``: every ``/TH`` has a ``/Scope`` (Column, or Row when the cells that name
  it in their ``/Headers`` are in its own row, or when it starts a body row) and an ``/ID``;
  every ``/ID`` is in the ``/IDTree``, and ``/Headers`` names only IDs that exist.
- ``decorative_figures``: a ``/Figure`` without alternate text is an image whose HTML alt
  text was empty, that is a decorative one: its content becomes an Artifact and the
  element leaves the tree.
- ``pagination_artifacts``: WeasyPrint tags the running heads and folios of the page
  margins with elements it never links into the tree; their content becomes a pagination
  Artifact, as PDF/UA wants for running heads and page numbers.
- ``formulas``: a Figure drawn for a formula (``img.math``) becomes a ``/Formula``.
- ``languages``: ``/Lang`` on an element whose HTML element's language differs from the
  language it inherits (another element's ``/Lang``, else the catalog's).
- the ParentTree is written back flat, sorted, with ``/ParentTreeNextKey``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

# Structure types WeasyPrint's elements can have and that can hold a link annotation.
_LINK = Name("/Link")
_CONTENT_TYPES = (Name.MCR, Name.OBJR)


@dataclass(frozen=True, slots=True)
class TagHints:
    """What the layout knows about the structure elements and the PDF cannot tell, keyed
    by the object number WeasyPrint gave each element (pikepdf keeps object numbers when it
    opens a file, so they still name the same objects in the post-processing).

    ``languages``: the language (BCP 47) of the HTML element each element was made for.
    ``link_texts``: for a ``/Link`` element, the text its HTML link shows (or its label).
    """

    languages: Mapping[int, str] = field(default_factory=dict)
    link_texts: Mapping[int, str] = field(default_factory=dict)
    # Figures that are formulas (``img.math``, drawn by the apparatus): tagged /Formula.
    formulas: AbstractSet[int] = frozenset()


@dataclass(slots=True)
class TagRepairs:
    """How many of each repair ``repair_tags`` made (all 0 on an already valid tree)."""

    links_moved: int = 0  # OBJRs moved or wrapped into a Link element
    link_contents: int = 0  # /Contents written from the link's text (or added)
    list_bodies: int = 0  # LBody elements made for LI kids
    header_scopes: int = 0  # /Scope given to a TH
    header_ids: int = 0  # /ID given to a TH, or /Headers entries that named nothing
    decorative_figures: int = 0  # Figures without alternate text made Artifacts
    pagination_artifacts: int = 0  # marked content of margin boxes made Artifacts
    languages: int = 0  # /Lang set on an element
    formulas: int = 0  # Figures of formulas made /Formula


def repair_tags(pdf: pikepdf.Pdf, hints: TagHints | None = None) -> TagRepairs:
    """Repair the structure tree of ``pdf`` in place (see the module docstring)."""
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return TagRepairs()
    tree = _Tree(pdf, root)
    hints = hints or TagHints()
    done = TagRepairs()
    done.pagination_artifacts = _pagination_artifacts(tree)
    done.decorative_figures = _decorative_figures(tree)
    done.links_moved, done.link_contents = _link_elements(tree, hints)
    done.list_bodies = _list_bodies(tree)
    done.header_scopes, done.header_ids = _table_headers(tree)
    done.languages = _languages(tree, hints)
    done.formulas = _formulas(tree, hints)
    tree.write()
    return done


# --- the tree -------------------------------------------------------------------------------


def flat_tree(entries: Mapping[Any, pikepdf.Object]) -> Array:
    """The ``/Nums`` or ``/Names`` array of a number or name tree (one leaf): the keys
    sorted, each followed by its value; text keys become PDF strings. Built as one list:
    pikepdf's ``Array.extend`` copies the array, so appending entry by entry is quadratic
    (2.8 s for the ParentTree of a 1,000-page book)."""
    items: list[object] = []
    for key in sorted(entries):
        items += [pikepdf.String(key) if isinstance(key, str | bytes) else key, entries[key]]
    return Array(items)


def is_element(obj: object) -> bool:
    """A structure element (not an MCID, a marked-content or an object reference)."""
    return isinstance(obj, Dictionary) and "/S" in obj and obj.get("/Type") not in _CONTENT_TYPES


def kids(element: pikepdf.Object) -> list[pikepdf.Object]:
    """An element's ``/K`` as a list (it may be absent, one kid, or an array)."""
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, Array) else [k]


def elements(root: pikepdf.Object) -> Iterator[tuple[pikepdf.Object, pikepdf.Object]]:
    """(element, parent) for every element reachable from the root, depth first, in
    reading order (the root itself is the parent of the top elements)."""
    seen: set[tuple[int, int]] = set()
    stack = [(kid, root) for kid in reversed(kids(root))]
    while stack:
        element, parent = stack.pop()
        if not is_element(element):
            continue
        if element.is_indirect:
            if element.objgen in seen:
                continue  # a malformed tree may share a kid; visit it once
            seen.add(element.objgen)
        yield element, parent
        stack.extend((kid, element) for kid in reversed(kids(element)))


class _Tree:
    """The structure tree with its ParentTree read into a dict (written back by ``write``)."""

    def __init__(self, pdf: pikepdf.Pdf, root: pikepdf.Object) -> None:
        self.pdf = pdf
        self.root = root
        self.parents: dict[int, pikepdf.Object] = {}
        if "/ParentTree" in root:
            for key, value in pikepdf.NumberTree(root.ParentTree).items():
                self.parents[int(key)] = value
        self.page_keys = {
            page.objgen: int(page.StructParents)
            for page in (p.obj for p in pdf.pages)
            if "/StructParents" in page
        }
        self._walk: list[tuple[pikepdf.Object, pikepdf.Object]] | None = None

    def walk(self) -> list[tuple[pikepdf.Object, pikepdf.Object]]:
        """``elements(root)`` as a list, kept until a repair changes the tree (``touch``):
        walking pikepdf objects is the costly part of the repairs."""
        if self._walk is None:
            self._walk = list(elements(self.root))
        return self._walk

    def touch(self) -> None:
        self._walk = None

    def page_array(self, page: pikepdf.Object) -> pikepdf.Object | None:
        """The ParentTree's array for ``page``: MCID → the element that owns it."""
        key = self.page_keys.get(page.objgen)
        value = self.parents.get(key) if key is not None else None
        return value if isinstance(value, Array) else None

    def next_key(self) -> int:
        return max([*self.parents, *self.page_keys.values(), -1]) + 1

    def make_element(self, kind: Name, parent: pikepdf.Object, page: pikepdf.Object | None):
        element = Dictionary(Type=Name.StructElem, S=kind, P=parent, K=Array())
        if page is not None:
            element.Pg = page
        return self.pdf.make_indirect(element)

    def adopt(self, element: pikepdf.Object, kid: pikepdf.Object, page: pikepdf.Object | None):
        """Make ``kid`` (an element, an MCID, an MCR or an OBJR) a kid of ``element``, and
        point whatever names its parent (``/P``, the ParentTree) at ``element``. Returns the
        kid as it must be stored (an MCID of another page becomes an MCR)."""
        if is_element(kid):
            kid.P = element
            return kid
        if isinstance(kid, int):
            if page is not None and page != element.get("/Pg"):
                kid = self.pdf.make_indirect(Dictionary(Type=Name.MCR, MCID=kid, Pg=page))
            else:
                self._own_mcid(page, int(kid), element)
                return kid
        if kid.get("/Type") == Name.MCR:
            self._own_mcid(kid.get("/Pg", page), int(kid.MCID), element)
        elif kid.get("/Type") == Name.OBJR and "/StructParent" in kid.Obj:
            self.parents[int(kid.Obj.StructParent)] = element
        return kid

    def _own_mcid(self, page: pikepdf.Object | None, mcid: int, element: pikepdf.Object) -> None:
        array = self.page_array(page) if page is not None else None
        if array is not None and mcid < len(array):
            array[mcid] = element

    def write(self) -> None:
        self.root.ParentTree = self.pdf.make_indirect(Dictionary(Nums=flat_tree(self.parents)))
        self.root.ParentTreeNextKey = self.next_key()


def _page_of(element: pikepdf.Object, page: pikepdf.Object | None) -> pikepdf.Object | None:
    return element.get("/Pg", page)


# --- links ----------------------------------------------------------------------------------


def _link_elements(tree: _Tree, hints: TagHints) -> tuple[int, int]:
    """Every Link annotation under a Link element, with /Contents; returns (moved, texts)."""
    moved = contents = 0
    reachable = {e.objgen for e, _ in tree.walk()}
    parent_of = {e.objgen: p for e, p in tree.walk()}
    for page in tree.pdf.pages:
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") != _LINK:
                continue
            element = _annotation_element(tree, annot, reachable)
            if element is None:
                element = _new_link(tree, annot, page.obj)
                moved += 1
                tree.touch()
            elif element.get("/S") != _LINK:
                element = _move_to_link(tree, annot, element, parent_of)
                moved += 1
                tree.touch()
            text = hints.link_texts.get(element.objgen[0])
            if text and str(annot.get("/Contents", "")) != text:
                annot.Contents = pikepdf.String(text)
                contents += 1
            elif not str(annot.get("/Contents", "")).strip():
                annot.Contents = pikepdf.String(_link_target(annot))
                contents += 1
    return moved, contents


def _annotation_element(
    tree: _Tree, annot: pikepdf.Object, reachable: set[tuple[int, int]]
) -> pikepdf.Object | None:
    """The element the annotation's StructParent names, if it is in the tree and holds an
    OBJR to the annotation."""
    if "/StructParent" not in annot:
        return None
    element = tree.parents.get(int(annot.StructParent))
    if not is_element(element) or element.objgen not in reachable:
        return None
    if _objr_index(element, annot) is None:
        return None
    return element


def _objr_index(element: pikepdf.Object, annot: pikepdf.Object) -> int | None:
    for index, kid in enumerate(kids(element)):
        if (
            isinstance(kid, Dictionary)
            and kid.get("/Type") == Name.OBJR
            and kid.get("/Obj") is not None
            and kid.Obj.objgen == annot.objgen
        ):
            return index
    return None


def _move_to_link(
    tree: _Tree,
    annot: pikepdf.Object,
    element: pikepdf.Object,
    parent_of: Mapping[tuple[int, int], pikepdf.Object],
) -> pikepdf.Object:
    """Move the annotation's OBJR from ``element`` into the nearest Link above it (the
    same link: WeasyPrint's second annotation for an inline box inside ``<a>``), else into
    a new Link element standing where the OBJR stood."""
    items = kids(element)
    index = _objr_index(element, annot)
    assert index is not None
    objr = items.pop(index)
    ancestor = parent_of.get(element.objgen)
    while ancestor is not None and is_element(ancestor) and ancestor.get("/S") != _LINK:
        ancestor = parent_of.get(ancestor.objgen)
    if ancestor is not None and is_element(ancestor):
        element.K = Array(items)
        ancestor.K = Array([*kids(ancestor), tree.adopt(ancestor, objr, None)])
        return ancestor
    link = tree.make_element(_LINK, element, _page_of(element, None))
    link.K = Array([tree.adopt(link, objr, None)])
    items.insert(index, link)
    element.K = Array(items)
    return link


def _new_link(tree: _Tree, annot: pikepdf.Object, page: pikepdf.Object) -> pikepdf.Object:
    """A Link element for an annotation the tree does not reach, at the end of the
    document's top element, with a fresh StructParent."""
    top = kids(tree.root)
    holder = top[0] if len(top) == 1 and is_element(top[0]) else tree.root
    link = tree.make_element(_LINK, holder, page)
    key = tree.next_key()
    annot.StructParent = key
    tree.parents[key] = link
    link.K = Array([tree.pdf.make_indirect(Dictionary(Type=Name.OBJR, Obj=annot, Pg=page))])
    holder.K = Array([*kids(holder), link])
    return link


def _link_target(annot: pikepdf.Object) -> str:
    action = annot.get("/A")
    if action is not None and "/URI" in action:
        return str(action.URI)
    if "/Dest" in annot and isinstance(annot.Dest, pikepdf.String):
        return str(annot.Dest)
    return "Link"


# --- lists ------------------------------------------------------------------------------------

_LIST_ITEM_KIDS = (Name.Lbl, Name.LBody)


def _list_bodies(tree: _Tree) -> int:
    """Kids of an LI other than Lbl and LBody go into LBody elements (one per run)."""
    made = 0
    for element, _ in tree.walk():
        if element.get("/S") != Name.LI:
            continue
        items = kids(element)
        if all(is_element(k) and k.get("/S") in _LIST_ITEM_KIDS for k in items):
            continue
        page = element.get("/Pg")
        out: list[pikepdf.Object] = []
        body = None
        for kid in items:
            if is_element(kid) and kid.get("/S") in _LIST_ITEM_KIDS:
                out.append(kid)
                body = None
                continue
            if body is None:
                where = _page_of(kid, page) if isinstance(kid, Dictionary) else page
                body = tree.make_element(Name.LBody, element, where)
                out.append(body)
                made += 1
            body.K = Array([*kids(body), tree.adopt(body, kid, page)])
        element.K = Array(out)
    if made:
        tree.touch()
    return made


# --- tables ---------------------------------------------------------------------------------


def _table_headers(tree: _Tree) -> tuple[int, int]:
    """/Scope and /ID on every TH, an /IDTree for every /ID, /Headers naming only IDs
    that exist; returns (scopes given, IDs given or dangling Headers entries removed)."""
    scopes = ids = 0
    tables = [e for e, _ in tree.walk() if e.get("/S") == Name.Table]
    for table in tables:
        rows = _rows(table)
        headers_named: dict[str, set[int]] = {}  # TH ID -> indexes of rows whose TDs name it
        for number, (_, cells) in enumerate(rows):
            for cell in cells:
                for name in _table_attribute(cell).get("/Headers", []):
                    headers_named.setdefault(str(name), set()).add(number)
        for number, (group, cells) in enumerate(rows):
            for position, cell in enumerate(cells):
                if cell.get("/S") != Name.TH:
                    continue
                if "/ID" not in cell:
                    cell.ID = pikepdf.String(f"th-{cell.objgen[0]}")
                    ids += 1
                attributes = _table_attribute(cell)
                if "/Scope" in attributes:
                    continue
                attributes.Scope = _scope(
                    group, number, position, cells, headers_named.get(str(cell.ID))
                )
                scopes += 1
    ids += _id_tree(tree)
    return scopes, ids


def _rows(table: pikepdf.Object) -> list[tuple[Name | None, list[pikepdf.Object]]]:
    """(row group, cells) for each TR of a table, in order (THead, TBody, TFoot or none)."""
    rows: list[tuple[Name | None, list[pikepdf.Object]]] = []
    for kid in kids(table):
        if not is_element(kid):
            continue
        if kid.get("/S") == Name.TR:
            rows.append((None, [c for c in kids(kid) if is_element(c)]))
        elif kid.get("/S") in (Name.THead, Name.TBody, Name.TFoot):
            for row in kids(kid):
                if is_element(row) and row.get("/S") == Name.TR:
                    rows.append((kid.S, [c for c in kids(row) if is_element(c)]))
    return rows


def _scope(
    group: Name | None,
    number: int,
    position: int,
    cells: list[pikepdf.Object],
    named_in_rows: set[int] | None,
) -> Name:
    """A TH's scope: what the /Headers of the data cells already say (WeasyPrint names a
    header in the cells of its column, or of its row for ``scope="row"``); for a header no
    cell names, Row when it starts a body row that has data cells, else Column."""
    if named_in_rows:
        return Name.Row if named_in_rows == {number} else Name.Column
    in_body = group in (None, Name.TBody)
    has_data = any(c.get("/S") == Name.TD for c in cells)
    if in_body and position == 0 and has_data:
        return Name.Row
    return Name.Column


def _table_attribute(cell: pikepdf.Object) -> pikepdf.Object:
    """The cell's attribute object of owner /Table (made if it has none)."""
    attributes = cell.get("/A")
    found = [attributes] if isinstance(attributes, Dictionary) else list(attributes or [])
    for item in found:
        if isinstance(item, Dictionary) and item.get("/O") == Name.Table:
            return item
    table = Dictionary(O=Name.Table)
    if attributes is None:
        cell.A = table
    else:
        cell.A = Array([*found, table])
    return cell.A if isinstance(cell.A, Dictionary) else cell.A[-1]


def _id_tree(tree: _Tree) -> int:
    """``/IDTree`` naming every element that has an ``/ID``; drops /Headers entries that
    name no element. Returns how many entries were dropped."""
    by_id: dict[bytes, pikepdf.Object] = {}
    cells = []
    for element, _ in tree.walk():
        if "/ID" in element:
            by_id.setdefault(bytes(element.ID), element)
        if element.get("/S") in (Name.TD, Name.TH):
            cells.append(element)
    dropped = 0
    for cell in cells:
        attributes = cell.get("/A")
        for item in [attributes] if isinstance(attributes, Dictionary) else list(attributes or []):
            if not isinstance(item, Dictionary) or "/Headers" not in item:
                continue
            names = [n for n in item.Headers if bytes(n) in by_id]
            dropped += len(item.Headers) - len(names)
            if names:
                item.Headers = Array(names)
            else:
                del item["/Headers"]  # an empty list says nothing
    if by_id:
        tree.root.IDTree = tree.pdf.make_indirect(Dictionary(Names=flat_tree(by_id)))
    elif "/IDTree" in tree.root:
        del tree.root["/IDTree"]
    return dropped


# --- figures and artifacts ------------------------------------------------------------------


def _formulas(tree: _Tree, hints: TagHints) -> int:
    """A formula is drawn as an image (vector paths) and WeasyPrint tags it a Figure; PDF
    has a structure type of its own for it, Formula, with the same alternate text (its TeX
    source)."""
    made = 0
    for element, _parent in tree.walk():
        if element.get("/S") != Name.Figure or not element.is_indirect:
            continue
        if element.objgen[0] in hints.formulas and _has_text_alternative(element):
            element.S = Name("/Formula")
            made += 1
    return made


def _decorative_figures(tree: _Tree) -> int:
    """A Figure without /Alt or /ActualText leaves the tree; its content becomes an
    Artifact (WeasyPrint writes a Figure for ``<img alt="">`` without alternate text)."""
    made = 0
    marked: list[tuple[pikepdf.Object, int]] = []
    for element, parent in tree.walk():
        if element.get("/S") != Name.Figure or _has_text_alternative(element):
            continue
        own: list[tuple[pikepdf.Object, int]] = []
        rest: list[pikepdf.Object] = []
        page = element.get("/Pg")
        for kid in kids(element):
            if isinstance(kid, int) and page is not None:
                own.append((page, int(kid)))
            elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.MCR and "/Stm" not in kid:
                own.append((kid.get("/Pg", page), int(kid.MCID)))
            else:
                rest.append(kid)  # structure inside a figure: kept, one level up
        if any(p is None for p, _ in own):
            continue  # content we cannot find on a page: left as it is
        siblings = kids(parent)
        index = next(
            i
            for i, s in enumerate(siblings)
            if isinstance(s, Dictionary) and s.objgen == element.objgen
        )
        siblings[index : index + 1] = [tree.adopt(parent, kid, page) for kid in rest]
        parent.K = Array(siblings)
        marked.extend(own)
        made += 1
    if made:
        _to_artifacts(tree, marked, None)
        tree.touch()
    return made


def _has_text_alternative(element: pikepdf.Object) -> bool:
    return any(str(element.get(key, "")).strip() for key in ("/Alt", "/ActualText"))


def _pagination_artifacts(tree: _Tree) -> int:
    """Marked content owned by elements the tree does not reach (WeasyPrint's margin boxes:
    running heads and folios) becomes a pagination Artifact."""
    reachable = {e.objgen for e, _ in tree.walk()}
    marked: list[tuple[pikepdf.Object, int]] = []
    for page in tree.pdf.pages:
        array = tree.page_array(page.obj)
        for mcid, owner in enumerate(array or []):
            if is_element(owner) and owner.objgen not in reachable:
                marked.append((page.obj, mcid))
    return _to_artifacts(tree, marked, Dictionary(Type=Name.Pagination))


def _to_artifacts(
    tree: _Tree, marked: list[tuple[pikepdf.Object, int]], properties: Dictionary | None
) -> int:
    """Rewrite ``BDC`` of each (page, MCID) as an Artifact (``BMC``, or ``BDC`` with
    ``properties``) and empty its ParentTree slot. Returns how many were rewritten."""
    by_page: dict[tuple[int, int], tuple[pikepdf.Object, set[int]]] = {}
    for page, mcid in marked:
        by_page.setdefault(page.objgen, (page, set()))[1].add(mcid)
    changed = 0
    for page, mcids in by_page.values():
        out = []
        for item in pikepdf.parse_content_stream(page):
            if (
                not isinstance(item, pikepdf.ContentStreamInlineImage)
                and str(item.operator) == "BDC"
                and isinstance(item.operands[1], Dictionary)
                and int(item.operands[1].get("/MCID", -1)) in mcids
            ):
                if properties is None:
                    operands, op = [Name.Artifact], "BMC"
                else:
                    operands, op = [Name.Artifact, properties], "BDC"
                item = pikepdf.ContentStreamInstruction(operands, pikepdf.Operator(op))
                changed += 1
            out.append(item)
        page.Contents = tree.pdf.make_stream(pikepdf.unparse_content_stream(out))
        array = tree.page_array(page)
        for mcid in mcids:
            if array is not None and mcid < len(array):
                array[mcid] = None
    return changed


# --- languages --------------------------------------------------------------------------------


def _languages(tree: _Tree, hints: TagHints) -> int:
    """``/Lang`` where an element's language differs from the one it inherits."""
    if not hints.languages:
        return 0
    document = str(tree.pdf.Root.get("/Lang", ""))
    inherited: dict[tuple[int, int], str] = {tree.root.objgen: document}
    set_count = 0
    for element, parent in tree.walk():
        outer = inherited.get(parent.objgen, document)
        own = str(element.get("/Lang", "")) or hints.languages.get(element.objgen[0], "")
        if own and own.lower() != outer.lower():
            if "/Lang" not in element:
                element.Lang = pikepdf.String(own)
                set_count += 1
            inherited[element.objgen] = own
        else:
            inherited[element.objgen] = outer
    return set_count

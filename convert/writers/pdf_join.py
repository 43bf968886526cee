"""The parts of a book laid out in parallel, joined into one PDF with pikepdf.

Contract: ``join(pieces, margins, fonts=…, font_store=…)`` takes the PDFs of the parts in
reading order (``Piece``: the part's bytes, which of its pages to keep, its stub
destinations and its bookmarks' levels) and the PDF of running heads and folios (one page
per page of the book, in stretches: ``writers/pdf_parts.lay_out_margins``), and returns
one PDF, open for the finishing, with:

- every page of the parts, in order, each with its margin page laid over it as a Form
  XObject marked as a pagination Artifact (PDF/UA: running heads and folios are not
  content);
- one structure tree: the parts' trees under one document element, the ParentTree
  renumbered (each part's keys shifted past the previous ones), the IDTrees, RoleMap and
  ClassMap merged;
- one ``/Dests`` name tree: each anchor's destination from the part that holds it (a
  part's stubs, its links to other parts, are dropped), so links across parts land
  where they would in one document; a link to an anchor no part holds loses its
  annotation and is returned in ``Joined.dangling``;
- one outline, nested by the bookmarks' levels exactly as WeasyPrint nests them;
- one font program per font: WeasyPrint keeps glyph ids when it subsets, so the parts'
  subsets of one font (same ``/BaseFont``) become one, the original program subset
  again with the union of their glyphs (fontTools), their widths and ToUnicode maps
  merged, and every page pointed at it. Fonts that cannot be merged (bitmap, colour or
  variable fonts, or an original not in ``font_store``) stay one per part.

The catalog (language, output intents, metadata, viewer preferences) and Info come from
the first part. ``pdf_finish.finish_pdf`` then finishes the joined file as it would a
single document's (page labels, colour, XMP, deterministic ``/ID``).
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from .pdf_parts import FontSource
from .pdf_tags import flat_tree
from .pdf_unicode import read_map, write_map


@dataclass(frozen=True, slots=True)
class Piece:
    pdf: bytes
    keep: tuple[int, ...]  # the part's pages (0-based) that go into the book
    stubs: tuple[str, ...] = ()
    bookmarks: tuple[tuple[int, str], ...] = ()  # (level, state) in document order


@dataclass(frozen=True, slots=True)
class Joined:
    # Open, not written: the finishing (``pdf_finish.finish_pdf``) takes it as it is and
    # closes it, which spares writing 1,000 pages out and parsing them back (1.2 s).
    pdf: pikepdf.Pdf
    dangling: tuple[str, ...]  # link targets no part holds (their links were removed)
    fonts_merged: int  # fonts whose per-part subsets became one


_ARTIFACT = b"/Artifact <</Type /Pagination>> BDC"


def join(
    pieces: Sequence[Piece],
    margins: Sequence[bytes],
    *,
    fonts: Mapping[str, FontSource],
    font_store: pikepdf.Object | None = None,
    font_cache: dict | None = None,
) -> Joined:
    """Join ``pieces`` and lay ``margins`` over them (see the module docstring)."""
    out = pikepdf.open(io.BytesIO(pieces[0].pdf))
    _keep_only(out, pieces[0].keep)
    tree = out.Root.get("/StructTreeRoot")
    parents: dict[int, pikepdf.Object] = {}
    ids: dict[str, pikepdf.Object] = {}
    document = None
    if tree is not None:
        parents = _parent_tree(tree)
        ids = _id_tree(tree)
        document = _document_element(tree)
    dests: dict[str, pikepdf.Object] = {}
    outline: list[tuple[int, str, pikepdf.Object, pikepdf.Object]] = []
    wanted: set[str] = set()
    _collect(out, pieces[0], dests, outline, wanted, copy=None)
    for piece in pieces[1:]:
        src = pikepdf.open(io.BytesIO(piece.pdf))
        _keep_only(src, piece.keep)
        offset = max([*parents, -1]) + 1
        for page in src.pages:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annot in page.obj.get("/Annots", []):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + offset
        with warnings.catch_warnings():
            # Named destinations are merged below (``_collect``), not by pikepdf.
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            out.pages.extend(src.pages)
        copy = partial(_copy, out, src)
        source_tree = src.Root.get("/StructTreeRoot")
        if tree is not None and source_tree is not None:
            for key, value in _parent_tree(source_tree).items():
                parents[key + offset] = copy(value)
            for key, value in _id_tree(source_tree).items():
                if key not in ids:
                    ids[key] = copy(value)
            holder = document if document is not None else tree
            top = _kids(_document_element(source_tree) or source_tree)
            copied = [copy(kid) for kid in top]
            for kid in copied:
                if isinstance(kid, Dictionary):
                    kid.P = holder
            holder.K = Array([*_kids(holder), *copied])
            for key in ("/RoleMap", "/ClassMap"):
                if key in source_tree:
                    merged = tree.get(key, Dictionary())
                    for name, value in source_tree[key].items():
                        if name not in merged:
                            merged[name] = copy(value)
                    tree[key] = merged
        _collect(out, piece, dests, outline, wanted, copy=copy, source=src)
    if tree is not None:
        tree.ParentTree = out.make_indirect(Dictionary(Nums=flat_tree(parents)))
        tree.ParentTreeNextKey = max([*parents, -1]) + 1
        if ids:
            tree.IDTree = out.make_indirect(Dictionary(Names=flat_tree(ids)))
    dangling = tuple(sorted(wanted - set(dests)))
    if dangling:
        _drop_links(out, set(dangling))
    out.Root.Names = out.Root.get("/Names", Dictionary())
    out.Root.Names.Dests = out.make_indirect(Dictionary(Names=flat_tree(dests)))
    _write_outline(out, outline)
    if margins:
        _overlay(out, [pikepdf.open(io.BytesIO(data)) for data in margins])
    merged = _merge_fonts(out, fonts, font_store, font_cache)
    return Joined(out, dangling, merged)


def _copy(out: pikepdf.Pdf, src: pikepdf.Pdf, obj: object) -> object:
    """``obj`` of ``src`` in ``out`` (qpdf copies only indirect objects; what they
    reference, pages included, maps to what was already copied)."""
    if not isinstance(obj, Dictionary | Array | Stream):
        return obj
    if not obj.is_indirect:
        obj = src.make_indirect(obj)
    return out.copy_foreign(obj)


def _keep_only(pdf: pikepdf.Pdf, keep: Sequence[int]) -> None:
    wanted = set(keep)
    for index in reversed(range(len(pdf.pages))):
        if index not in wanted:
            del pdf.pages[index]


def _kids(element: pikepdf.Object) -> list[pikepdf.Object]:
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, Array) else [k]


def _document_element(tree: pikepdf.Object) -> pikepdf.Object | None:
    """The tree's one top element (WeasyPrint's ``/Document``), if it has exactly one."""
    top = _kids(tree)
    if len(top) == 1 and isinstance(top[0], Dictionary) and "/S" in top[0]:
        return top[0]
    return None


def _parent_tree(tree: pikepdf.Object) -> dict[int, pikepdf.Object]:
    if "/ParentTree" not in tree:
        return {}
    return {int(k): v for k, v in pikepdf.NumberTree(tree.ParentTree).items()}


def _collect(
    out: pikepdf.Pdf,
    piece: Piece,
    dests: dict[str, pikepdf.Object],
    outline: list,
    wanted: set[str],
    *,
    copy,  # type: ignore[no-untyped-def]
    source: pikepdf.Pdf | None = None,
) -> None:
    """The piece's destinations (less its stubs; the first holder of a name wins), its
    outline items with their levels, and the names its links point to."""
    pdf = source if source is not None else out
    stubs = set(piece.stubs)
    names = pdf.Root.get("/Names", Dictionary()).get("/Dests")
    if names is not None:
        for name, dest in pikepdf.NameTree(names).items():
            if name in stubs or name in dests:
                continue
            if isinstance(dest, Array) and len(dest) and _on_dropped_page(dest[0], pdf):
                continue
            dests[name] = copy(dest) if copy else dest
    items = list(_outline_items(pdf))
    for (title, dest), (level, state) in zip(items, piece.bookmarks, strict=False):
        outline.append((level, state, title, copy(dest) if copy else dest))
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            dest = annot.get("/Dest")
            if isinstance(dest, pikepdf.String):
                wanted.add(str(dest))


def _on_dropped_page(page: pikepdf.Object, pdf: pikepdf.Pdf) -> bool:
    if not isinstance(page, Dictionary):
        return False
    return all(p.obj.objgen != page.objgen for p in pdf.pages)


def _outline_items(pdf: pikepdf.Pdf):  # type: ignore[no-untyped-def]
    """(title, dest) of every outline item, in document order (pre-order)."""
    root = pdf.Root.get("/Outlines")
    if root is None:
        return
    stack = [root.get("/First")]
    while stack:
        item = stack.pop()
        if item is None:
            continue
        yield item.get("/Title"), item.get("/Dest")
        stack.append(item.get("/Next"))
        stack.append(item.get("/First"))


def _write_outline(out: pikepdf.Pdf, items: list) -> None:
    """Nest the outline items by level as WeasyPrint does (a skipped level does not make
    an empty one) and write ``/Outlines`` (closed items count negatively)."""
    if "/Outlines" in out.Root:
        del out.Root["/Outlines"]
    if not items:
        return
    root: list = []
    skipped: list[int] = []
    last_by_depth: list[list] = [root]
    previous = 0
    for level, state, title, dest in items:
        if level > previous:
            skipped.append(level - previous - 1)
        else:
            temp = level
            while temp < previous:
                temp += 1 + skipped.pop()
            if temp > previous:
                skipped.append(temp - previous - 1)
        previous = level
        depth = level - sum(skipped)
        children: list = []
        last_by_depth[depth - 1].append((title, dest, children, state))
        del last_by_depth[depth:]
        last_by_depth.append(children)

    def build(nodes: list, parent: pikepdf.Object) -> tuple[list, int]:
        count = len(nodes)
        made = []
        for title, dest, children, state in nodes:
            item = out.make_indirect(Dictionary(Title=title, Dest=dest, Parent=parent))
            kids, kids_count = build(children, item)
            item.Count = -kids_count if state == "closed" else kids_count
            if state != "closed":
                count += kids_count
            if kids:
                item.First, item.Last = kids[0], kids[-1]
            if made:
                item.Prev = made[-1]
                made[-1].Next = item
            made.append(item)
        return made, count

    outlines = out.make_indirect(Dictionary(Type=Name.Outlines))
    made, count = build(root, outlines)
    outlines.First, outlines.Last, outlines.Count = made[0], made[-1], count
    out.Root.Outlines = outlines


def _id_tree(tree: pikepdf.Object) -> dict[str, pikepdf.Object]:
    """A part's ``/IDTree``: every element with an ``/ID`` (``pdf_tags`` made it complete
    when it repaired the part's tree), merged into one for the book without walking the
    book's 60,000 elements again."""
    if "/IDTree" not in tree:
        return {}
    return dict(pikepdf.NameTree(tree.IDTree).items())


def _drop_links(out: pikepdf.Pdf, names: set[str]) -> None:
    for page in out.pages:
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        kept = [a for a in annots if str(a.get("/Dest", "")) not in names]
        page.obj.Annots = Array(kept)


def _overlay(out: pikepdf.Pdf, margins: Sequence[pikepdf.Pdf]) -> None:
    """Each margin page (the stretches' pages in order) over its page, as a pagination
    Artifact, in a clean graphics state (the page's own content is wrapped in q … Q)."""
    pages = [page for stretch in margins for page in stretch.pages]
    if len(pages) != len(out.pages):
        raise ValueError(f"{len(pages)} margin pages for {len(out.pages)} pages")
    for number, (page, margin) in enumerate(zip(out.pages, pages, strict=True)):
        form = out.copy_foreign(margin.as_form_xobject())
        # A name of its own (pages may share their resources) and no random one (pikepdf
        # makes them): same input, same bytes.
        resources = page.obj.get("/Resources")
        if resources is None:
            page.obj.Resources = resources = Dictionary()
        if "/XObject" not in resources:
            resources.XObject = Dictionary()
        name = Name(f"/PressroomMargins{number}")
        resources.XObject[name] = form
        page.contents_add(out.make_stream(b"q\n"), prepend=True)
        page.contents_add(
            out.make_stream(
                b"Q\nq " + _ARTIFACT + b" " + bytes(str(name), "ascii") + b" Do EMC Q\n"
            )
        )


# --- one font program per font ---------------------------------------------------------------

_W_TOKEN = re.compile(r"\[|\]|[-+]?\d*\.?\d+")


def _widths(array: pikepdf.Object) -> dict[int, object]:
    """A CID font's ``/W`` as CID → width (both of its forms: ``c [w …]`` and ``c1 c2 w``)."""
    out: dict[int, object] = {}
    items = list(array)
    i = 0
    while i < len(items):
        first = int(items[i])
        following = items[i + 1]
        if isinstance(following, Array):
            for offset, width in enumerate(following):
                out[first + offset] = width
            i += 2
        else:
            for cid in range(first, int(following) + 1):
                out[cid] = items[i + 2]
            i += 3
    return out


def _fonts_by_name(out: pikepdf.Pdf) -> dict[str, list[tuple[pikepdf.Object, pikepdf.Object]]]:
    """``/BaseFont`` → (resource dictionary's /Font dict, key) for every Type 0 font used."""
    found: dict[str, list[tuple[pikepdf.Object, pikepdf.Object]]] = {}
    seen: set[tuple[int, int]] = set()
    stack = [p.obj.get("/Resources", Dictionary()) for p in out.pages]
    while stack:
        resources = stack.pop()
        if resources.is_indirect:
            if resources.objgen in seen:
                continue
            seen.add(resources.objgen)
        font_dict = resources.get("/Font")
        if font_dict is not None:
            for key in list(font_dict.keys()):
                font = font_dict[key]
                if font.get("/Subtype") == Name.Type0 and "/BaseFont" in font:
                    found.setdefault(str(font.BaseFont)[1:], []).append((font_dict, key))
        for xobject in resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == Name.Form and "/Resources" in xobject:
                stack.append(xobject.Resources)
    return found


def _merge_fonts(
    out: pikepdf.Pdf,
    sources: Mapping[str, FontSource],
    store,  # type: ignore[no-untyped-def]
    cache: dict | None,
) -> int:
    merged = 0
    for name, uses in sorted(_fonts_by_name(out).items()):
        fonts = []
        for font_dict, key in uses:
            font = font_dict[key]
            if all(f.objgen != font.objgen for f in fonts):
                fonts.append(font)
        source = sources.get(name)
        if len(fonts) < 2 or source is None or not source.mergeable or store is None:
            continue
        path = store / f"{source.sha}.font"
        if not path.exists():
            continue
        widths: dict[int, object] = {}
        text: dict[int, str | None] = {}
        template = b""
        width = 2
        for font in fonts:
            descendant = font.DescendantFonts[0]
            for cid, w in _widths(descendant.get("/W", Array())).items():
                widths.setdefault(cid, w)
            if isinstance(font.get("/ToUnicode"), Stream):
                data = font.ToUnicode.read_bytes()
                template = template or data
                mapping, width = read_map(data)
                for code, value in mapping.items():
                    text.setdefault(code, value)
        glyphs = sorted({0, *widths, *text})
        key = (source.sha, source.index, tuple(glyphs))
        program = cache.get(key) if cache is not None else None
        if program is None:
            program = _subset(path.read_bytes(), source.index, glyphs)
            if cache is not None:
                cache[key] = program
        keeper = fonts[0]
        descendant = keeper.DescendantFonts[0]
        descriptor = descendant.FontDescriptor
        file_key = "/FontFile2" if "/FontFile2" in descriptor else "/FontFile3"
        stream = descriptor.get(file_key)
        if stream is None:
            continue
        stream.write(program)
        if file_key == "/FontFile2":
            stream.Length1 = len(program)
        if "/CIDSet" in descriptor:
            bits = bytearray((max(glyphs) // 8) + 1)
            for gid in glyphs:
                bits[gid // 8] |= 0x80 >> (gid % 8)
            descriptor.CIDSet.write(bytes(bits))
        descendant.W = flat_tree({cid: Array([advance]) for cid, advance in widths.items()})
        if template:
            keeper.ToUnicode = out.make_stream(write_map(template, text, width))
        for font_dict, key in uses:
            font_dict[key] = keeper
        merged += 1
    return merged


def _subset(program: bytes, index: int, glyphs: Sequence[int]) -> bytes:
    """The font ``program`` with only ``glyphs`` (glyph ids kept: the PDF's codes are
    glyph ids), without layout tables and hinting, as WeasyPrint subsets."""
    import logging

    from fontTools import subset
    from fontTools.ttLib import TTFont

    # fontTools says what it subsets at INFO level, which a verbose run would print.
    logging.getLogger("fontTools").setLevel(logging.WARNING)

    options = subset.Options(
        retain_gids=True,
        passthrough_tables=True,
        ignore_missing_glyphs=True,
        hinting=False,
        desubroutinize=True,
        notdef_outline=True,
    )
    dropped = ["GSUB", "GPOS", "GDEF", "SVG ", "BASE", "JSTF", "DSIG", "EBDT", "EBLC", "EBSC"]
    options.drop_tables += dropped
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=list(glyphs))
    # recalcTimestamp off: a subset made today would differ from one made yesterday.
    font = TTFont(io.BytesIO(program), fontNumber=index, lazy=True, recalcTimestamp=False)
    # Dropped before subsetting: fontTools would read the layout tables (most of the time
    # a subset takes) only to throw them away.
    for tag in dropped:
        if tag in font:
            del font[tag]
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()

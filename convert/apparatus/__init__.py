"""The apparatus of a long document: numbered figures, tables, equations and sections,
cross-references, an index, lists of figures and tables, and typeset mathematics — the
same in the PDF and the EPUB, for an article or for a whole book.

Contract:

- ``Apparatus.build(docs, fragments, style)`` surveys every document (an article is one,
  a book's chapters are many; ``marks.survey``), numbers what is labelled (per chapter,
  "Figure 3.2", or through the book, "Figure 7": the theme option ``numbering``), gathers
  the index, and reports, once for all targets, what cannot be resolved: a reference to no
  label (``xref.unresolved``), a label used twice (``xref.duplicate``), a formula that does
  not parse (``math.invalid``), an index "see" naming no entry (``index.see-missing``).
- ``hook(doc, target)`` is what the tree stage calls while it makes one document fit for
  one target (``tree.Apparatus``): formulas typeset, captions and equations numbered,
  ``@fig:map`` written as "Figure 3.2" linking to the figure (in the PDF ``@page:fig:map``
  prints "p. 42" through ``target-counter``), index marks anchored.
- ``index_pdf(pages=None, label=…)``, ``index_epub()``, ``lists_pdf()``, ``lists_epub()``
  write the generated parts; the print index gets its page numbers from a first layout
  (``paged_index``), the lists use ``target-counter`` like the contents.

Generated words come from ``words``, which reads them from the message catalogs: what
stands inside a document (captions, references, page references) in that document's
language (``Doc.lang``: a book chapter's own, else the book's), what the apparatus adds to
the whole (the index, the lists) in the publication's (``Style.lang``). Nothing here reads
a clock, and no file but the catalogs: the same documents give the same apparatus.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diagnostics import Emit, Severity
from ..model import Target
from ..tree import replace_content, survey
from . import formulas
from .index import Index, Locator
from .marks import Label, Survey, Term, classes, structure, text_of
from .marks import survey as read_survey
from .words import Words, capitalized, words

OPTIONS = ("numbering", "number_sections", "list_of_figures", "list_of_tables")
INDEX_BODY = "index-body"  # the id of the print index's body, which the second pass fills


@dataclass(frozen=True, slots=True)
class Style:
    """How the apparatus is set: theme options (``numbering`` ``"chapter"`` or ``"book"``,
    ``number_sections``, ``list_of_figures``, ``list_of_tables``), the index terms of a
    book, the language of generated words and of the index's order, and the folders of
    the theme chain whose ``locale/`` catalogs may override those words (``Theme.dirs``)."""

    lang: str = "en"
    numbering: str = "chapter"
    number_sections: bool = False
    list_of_figures: bool = False
    list_of_tables: bool = False
    terms: tuple[Term, ...] = ()
    theme_dirs: tuple[Path, ...] = ()

    @classmethod
    def of(
        cls,
        options: Mapping[str, Any],
        lang: str,
        terms: Sequence[Term] = (),
        theme_dirs: Sequence[Path] = (),
    ) -> Style:
        numbering = str(options.get("numbering", "chapter"))
        return cls(
            lang=lang,
            numbering="book" if numbering == "book" else "chapter",
            number_sections=bool(options.get("number_sections", False)),
            list_of_figures=bool(options.get("list_of_figures", False)),
            list_of_tables=bool(options.get("list_of_tables", False)),
            terms=tuple(terms),
            theme_dirs=tuple(theme_dirs),
        )


@dataclass(frozen=True, slots=True)
class Doc:
    """One document of the output and how each output reaches it."""

    title: str
    emit: Emit
    prefix: str = ""  # of its numbers: "3" (chapter 3), "A" (an appendix), "" (article)
    pdf_prefix: str = ""  # of its ids in the one-document PDF: "c3-"
    file_name: str = "chapter.xhtml"  # its EPUB page
    roman: bool = False  # its pages are numbered in lower roman (front matter)
    lang: str = ""  # its own language (a book chapter's); "" is the publication's


@dataclass(frozen=True, slots=True)
class Numbered:
    doc: int
    label: Label
    number: str  # "3.2"; "" for a plain anchor


@dataclass(slots=True)
class Apparatus:
    docs: tuple[Doc, ...]
    style: Style
    surveys: tuple[Survey, ...]
    targets: dict[str, Numbered] = field(default_factory=dict)
    sections: list[dict[str, str]] = field(default_factory=list)  # per doc: id → number
    index: Index | None = None

    @property
    def words(self) -> Words:
        """The publication's words: the index, the lists of figures and tables."""
        return words(self.style.lang, self.style.theme_dirs)

    def words_in(self, doc: int) -> Words:
        """The words written inside document ``doc``: in its own language."""
        return words(self.docs[doc].lang or self.style.lang, self.style.theme_dirs)

    @classmethod
    def build(cls, docs: Sequence[Doc], fragments: Sequence[str], style: Style) -> Apparatus:
        terms = style.terms

        def visit(root: Any) -> Survey:
            structure(root, terms)
            return read_survey(root)

        surveys = tuple(survey(fragment, visit) for fragment in fragments)
        found = cls(tuple(docs), style, surveys)
        found._number()
        found._check()
        marks = [(n, mark) for n, s in enumerate(surveys) for mark in s.marks]
        found.index = Index.of(marks, style.lang)
        for doc, entry, ref in found.index.missing_references():
            docs[doc].emit(
                "index.see-missing",
                ref,
                f"index entry {entry!r} refers to {ref!r}, which is no entry",
                "printed as written",
                Severity.WARNING,
            )
        return found

    # -----------------------------------------------------------------------------------
    # numbers

    def _number(self) -> None:
        book_counts: dict[str, int] = {}
        for n, (doc, found) in enumerate(zip(self.docs, self.surveys, strict=True)):
            counts = book_counts if self.style.numbering == "book" else {}
            self.sections.append(_section_numbers(found, doc.prefix))
            for label in found.labels:
                if label.label in self.targets:
                    doc.emit(
                        "xref.duplicate",
                        "{#" + label.label,
                        f"label {label.label!r} is used twice; references go to the first",
                        None,
                        Severity.WARNING,
                    )
                    continue
                number = ""
                if label.kind in ("fig", "tbl", "eq"):
                    counts[label.kind] = counts.get(label.kind, 0) + 1
                    k = counts[label.kind]
                    chaptered = self.style.numbering == "chapter" and doc.prefix
                    number = f"{doc.prefix}.{k}" if chaptered else str(k)
                elif label.kind == "sec":
                    number = self.sections[n].get(label.ident, "")
                elif label.kind == "item":
                    number = label.ordinal
                self.targets[label.label] = Numbered(n, label, number)

    def _check(self) -> None:
        for n, (doc, found) in enumerate(zip(self.docs, self.surveys, strict=True)):
            for ref in dict.fromkeys(found.references):
                if ref not in self.targets:
                    doc.emit(
                        "xref.unresolved",
                        "@" + ref if "@" + ref else ref,
                        f"reference @{ref} names no label in the "
                        + ("book" if len(self.docs) > 1 else "document"),
                        "kept as text",
                        Severity.WARNING,
                    )
            for tex, display in dict.fromkeys(found.formulas):
                why = formulas.check(tex, display)
                if why is not None:
                    doc.emit(
                        "math.invalid",
                        tex.strip().split("\n")[0][:60],
                        f"formula {formulas.source(' '.join(tex.split()), display)[:80]!r} does "
                        f"not parse: {why}",
                        "shown as code",
                        Severity.WARNING,
                    )
            del n

    def label_text(self, target: Numbered, words: Words | None = None) -> str:
        """How a reference names its target: "Figure 3.2", "Section 4.1", or a section's
        title in quotes when sections are not numbered; in ``words`` (those of the
        document the reference stands in), else the publication's."""
        words = words or self.words
        kind, number = target.label.kind, target.number
        if kind in ("fig", "tbl", "eq", "item") and number:
            return words.label(kind, number)
        if kind == "sec" and self.style.number_sections and number:
            return words.label("sec", number)
        title = target.label.text if kind == "sec" else target.label.section
        return words.quote(title or self.docs[target.doc].title)

    def href(self, doc: int, target_doc: int, ident: str, target: Target) -> str:
        """Where a link in ``doc`` to ``ident`` of ``target_doc`` leads in ``target``."""
        if target == "epub":
            own = target_doc == doc
            return f"#{ident}" if own else f"{self.docs[target_doc].file_name}#{ident}"
        return f"#{self.docs[target_doc].pdf_prefix}{ident}"

    def hook(self, doc: int, target: Target) -> Hook:
        return Hook(self, doc, target)

    # -----------------------------------------------------------------------------------
    # the generated parts

    def _locator_href(self, target: Target) -> Callable[[Locator], str]:
        def href(loc: Locator) -> str:
            if target == "epub":
                return f"{self.docs[loc.doc].file_name}#{loc.ident}"
            return f"#{self.docs[loc.doc].pdf_prefix}{loc.ident}"

        return href

    def index_pdf(
        self, pages: Mapping[str, int] | None = None, label: Callable[[int], str] = str
    ) -> str:
        """The print index's body ("" without marks); see ``Index.pdf``."""
        if not self.index:
            return ""
        return self.index.pdf(
            self.words,
            self._locator_href("pdf"),
            lambda loc: self.docs[loc.doc].roman,
            pages,
            label,
        )

    def paged_index(
        self, layout: Any, relayout: Callable[[str], Any], label: Callable[[int], str]
    ) -> Any:
        """The second layout: the print index with the pages the first layout put each
        mark on (``writers.pdf.Layout``s, duck-typed: ``html``, ``inspection.anchors``).
        The index comes last, so nothing before it moves; that is checked, and a mark that
        moved all the same is reported (``index.page-mismatch``)."""
        before = layout.inspection.anchors
        html = replace_content(layout.html, INDEX_BODY, self.index_pdf(before, label))
        if html == layout.html:
            return layout
        after = relayout(html)
        marks = [
            f"{self.docs[n].pdf_prefix}{mark.ident}"
            for n, found in enumerate(self.surveys)
            for mark in found.marks
        ]
        moved = [m for m in marks if after.inspection.anchors.get(m) != before.get(m)]
        if moved:
            self.docs[0].emit(
                "index.page-mismatch",
                "",
                f"{len(moved)} index mark(s) moved in the second layout, first {moved[0]}",
                "the index may print wrong pages",
                Severity.ERROR,
            )
        return after

    def index_epub(self) -> str:
        if not self.index:
            return ""
        return self.index.epub(
            self.words,
            self._locator_href("epub"),
            lambda loc: loc.section or self.docs[loc.doc].title,
        )

    def listed(self, kind: str) -> list[Numbered]:
        return [t for t in self.targets.values() if t.label.kind == kind and t.number]

    def lists(self) -> list[tuple[str, str, list[Numbered]]]:
        """(kind, heading, entries) for each list the style asks for and the book fills."""
        out = []
        if self.style.list_of_figures and self.listed("fig"):
            out.append(("figures", self.words.figures, self.listed("fig")))
        if self.style.list_of_tables and self.listed("tbl"):
            out.append(("tables", self.words.tables, self.listed("tbl")))
        return out

    def list_entries(self, entries: Sequence[Numbered], target: Target, doc: int = -1) -> str:
        """The ``li`` items of a list of figures or tables: the number and caption, a link
        (print: ``a.toc-link``, which prints its page like the contents)."""
        items = []
        for t in entries:
            href = html.escape(self.href(doc, t.doc, t.label.ident, target))
            name = capitalized(self.words.label(t.label.kind, t.number))
            text = html.escape(f"{name}  {t.label.text}".strip())
            roman = " toc-roman" if self.docs[t.doc].roman else ""
            cls = f"toc-link{roman}" if target == "pdf" else "list-link"
            items.append(f'<li><a class="{cls}" href="{href}">{text}</a></li>')
        return "\n".join(items)


def _section_numbers(found: Survey, prefix: str) -> dict[str, str]:
    """Every heading's number: "4.1" is the first section of chapter 4 (the document's
    top heading level counts first)."""
    top = min((h.level for h in found.headings), default=2)
    counters: list[int] = []
    numbers: dict[str, str] = {}
    for heading in found.headings:
        depth = heading.level - top
        del counters[depth + 1 :]
        while len(counters) <= depth:
            counters.append(0)
        counters[depth] += 1
        parts = [str(c) for c in counters]
        numbers[heading.ident] = ".".join([prefix, *parts] if prefix else parts)
    return numbers


class Hook:
    """One document's apparatus for one target (``tree.Apparatus``)."""

    def __init__(self, apparatus: Apparatus, doc: int, target: Target) -> None:
        self.apparatus = apparatus
        self.doc = doc
        self.target = target
        self.typesetter = formulas.Typesetter(target)

    def formulas(self, root: Any) -> None:
        for el in [e for e in root.iter("span", "div") if "math" in classes(e)]:
            self.typesetter.replace(el)

    def finish(self, text: str) -> str:
        return self.typesetter.finish(text)

    def apply(self, root: Any) -> None:
        app = self.apparatus
        structure(root, app.style.terms)
        sections = app.sections[self.doc]
        for el in list(root.iter()):
            label = el.get("data-label")
            if label:
                del el.attrib["data-label"]
                found = app.targets.get(label)
                if found is not None and found.doc == self.doc:
                    self._number(el, found)
            if app.style.number_sections and el.tag in ("h2", "h3", "h4", "h5", "h6"):
                number = sections.get(el.get("id") or "")
                if number:
                    span = el.makeelement("span", {"class": "section-number"})
                    span.text = number
                    span.tail = " " + (el.text or "")
                    el.text = None
                    el.insert(0, span)
            if el.tag == "span" and "index" in classes(el):
                for key in ("data-index", "data-see", "data-also", "data-sort"):
                    el.attrib.pop(key, None)
                el.set("class", "index-mark")
            elif el.tag == "span" and "xref" in classes(el):
                self._reference(el)
            elif el.tag == "a" and (el.get("href") or "").startswith("#"):
                target = app.targets.get(el.get("href")[1:])
                if target is not None and target.doc != self.doc:
                    el.set("href", app.href(self.doc, target.doc, target.label.ident, self.target))
                    el.set("class", " ".join([*classes(el), "xref"]))

    def _number(self, el: Any, found: Numbered) -> None:
        kind, number = found.label.kind, found.number
        if not number or kind not in ("fig", "tbl", "eq"):
            return
        words = self.apparatus.words_in(self.doc)
        if kind == "eq":
            span = el.makeelement("span", {"class": "equation-number"})
            span.text = f"({number})"
            el.append(span)
            return
        holder = el.find("figcaption" if kind == "fig" else "caption")
        if holder is None and el.tag in ("figure", "table"):
            holder = el.makeelement("figcaption" if kind == "fig" else "caption", {})
            if kind == "fig":
                el.append(holder)
            else:
                el.insert(0, holder)
        if holder is None:
            return
        name = el.makeelement("span", {"class": "caption-label"})
        name.text = capitalized(words.label(kind, number))
        has_text = bool(text_of(holder))
        name.tail = (words.caption_joiner() if has_text else "") + (holder.text or "")
        holder.text = None
        holder.insert(0, name)

    def _reference(self, el: Any) -> None:
        app = self.apparatus
        label = el.get("data-ref") or ""
        form = el.get("data-form") or "label"
        found = app.targets.get(label)
        for key in ("data-ref", "data-form"):
            el.attrib.pop(key, None)
        if found is None:
            el.set("class", "xref-missing")
            return
        words = app.words_in(self.doc)
        name = app.label_text(found, words)
        el.tag = "a"
        el.set("href", app.href(self.doc, found.doc, found.label.ident, self.target))
        for child in list(el):
            el.remove(child)
        if form == "page" and self.target == "pdf":
            roman = app.docs[found.doc].roman
            el.set("class", "xref xref-page" + (" roman" if roman else ""))
            before, after = words.page_around()
            el.text = before
            el.set("aria-label", words.page_of % {"label": name})
            el.tail = after + (el.tail or "")
        else:
            el.set("class", "xref")
            el.text = name

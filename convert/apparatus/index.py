"""The index: entries gathered from the marks of every document, sorted by the language,
written for print (page numbers, ranges collapsed) and for the e-book (links).

Contract: ``Index.of(marks, lang)`` gathers the marks (``marks.Mark``, with the document
each stands in) into entries with sub-entries, "see" and "see also" references;
``groups()`` gives them in letter groups in the order of the book's language
(``collate``). ``pdf(...)`` writes the print index: without pages (first layout) each
locator prints its page with ``target-counter``; with the pages the layout found, each
entry prints its pages once, consecutive pages collapsed into a range ("12–14"), each
linked to the first mark on it. ``epub(...)`` writes the index of the EPUB Indexes
vocabulary (``epub:type="index"`` and its parts), each locator a link to the marked
place, named by the section it stands in (one per section).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .marks import Mark, split_entry
from .words import Words


@dataclass(frozen=True, slots=True)
class Locator:
    doc: int
    ident: str  # the mark's id in its document
    section: str  # the title of the section it stands in


@dataclass(slots=True)
class Entry:
    name: str
    path: tuple[str, ...]
    sort: str
    doc: int  # the first document that marks it
    locators: list[Locator] = field(default_factory=list)
    see: list[str] = field(default_factory=list)
    also: list[str] = field(default_factory=list)
    children: dict[str, Entry] = field(default_factory=dict)


@dataclass(slots=True)
class Index:
    lang: str
    top: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def of(cls, marks: Sequence[tuple[int, Mark]], lang: str) -> Index:
        index = cls(lang)
        for doc, mark in marks:
            entry = index._entry(mark.path, mark.sort, doc)
            for ref in mark.see:
                if ref not in entry.see:
                    entry.see.append(ref)
            for ref in mark.also:
                if ref not in entry.also:
                    entry.also.append(ref)
            if not mark.see:  # "quoins, see furniture": a pointer, not a place
                entry.locators.append(Locator(doc, mark.ident, mark.section))
        return index

    def _entry(self, path: tuple[str, ...], sort: str, doc: int) -> Entry:
        level = self.top
        entry: Entry | None = None
        for depth, name in enumerate(path):
            if name not in level:
                own = sort if depth == len(path) - 1 and sort else name
                level[name] = Entry(name, path[: depth + 1], own, doc)
            entry = level[name]
            level = entry.children
        assert entry is not None
        return entry

    def __bool__(self) -> bool:
        return bool(self.top)

    def missing_references(self) -> list[tuple[int, str, str]]:
        """(document, entry, reference) for each "see"/"see also" that names no entry."""
        found: list[tuple[int, str, str]] = []

        def walk(entries: Mapping[str, Entry]) -> None:
            for entry in entries.values():
                for ref in (*entry.see, *entry.also):
                    if self.find(ref) is None:
                        found.append((entry.doc, "!".join(entry.path), ref))
                walk(entry.children)

        walk(self.top)
        return found

    def find(self, reference: str) -> Entry | None:
        level: Mapping[str, Entry] = self.top
        entry = None
        for name in split_entry(reference):
            entry = level.get(name)
            if entry is None:
                return None
            level = entry.children
        return entry

    def groups(self) -> list[tuple[str, list[Entry]]]:
        # ICU only when an index is written: its import costs every cold run otherwise.
        from .collate import letter_groups

        entries = list(self.top.values())
        return [
            (letter, [entries[i] for i in members])
            for letter, members in letter_groups(self.lang, [e.sort for e in entries])
        ]

    def ordered(self, entries: Mapping[str, Entry]) -> list[Entry]:
        from .collate import sort_key  # ICU only when an index is written (see groups)

        key = sort_key(self.lang)
        return sorted(entries.values(), key=lambda e: key(e.sort))

    # -----------------------------------------------------------------------------------
    # print

    def pdf(
        self,
        words: Words,
        href: Callable[[Locator], str],
        roman: Callable[[Locator], bool],
        pages: Mapping[str, int] | None = None,
        label: Callable[[int], str] = str,
    ) -> str:
        """The body of the print index. ``pages`` (anchor → physical page, from a layout)
        gives static, collapsed page numbers; without it each locator prints its page
        with ``target-counter`` (see the module docstring)."""

        def locators(entry: Entry) -> str:
            if pages is None:
                links = [
                    f'<a class="index-locator{" roman" if roman(loc) else ""}" '
                    f'href="{html.escape(href(loc))}"></a>'
                    for loc in entry.locators
                ]
                return ", ".join(links)
            first: dict[int, str] = {}
            for loc in entry.locators:
                target = href(loc)
                page = pages.get(target.removeprefix("#"))
                if page is not None:
                    first.setdefault(page, target)
            ranges: list[list[int]] = []
            for page in sorted(first):
                if ranges and page == ranges[-1][-1] + 1:
                    ranges[-1].append(page)
                else:
                    ranges.append([page])
            parts = []
            for run in ranges:
                text = label(run[0]) if len(run) == 1 else f"{label(run[0])}\u2013{label(run[-1])}"
                parts.append(
                    f'<a class="index-locator" href="{html.escape(first[run[0]])}">{text}</a>'
                )
            return ", ".join(parts)

        return self._write(words, locators, epub=False)

    # -----------------------------------------------------------------------------------
    # e-book

    def epub(
        self, words: Words, href: Callable[[Locator], str], title: Callable[[Locator], str]
    ) -> str:
        """The body of the EPUB index (EPUB Indexes 1.0 vocabulary)."""

        def locators(entry: Entry) -> str:
            seen: set[tuple[int, str]] = set()
            links = []
            for loc in entry.locators:
                if (loc.doc, loc.section) in seen:
                    continue
                seen.add((loc.doc, loc.section))
                links.append(
                    f'<a epub:type="index-locator" href="{html.escape(href(loc))}">'
                    f"{html.escape(title(loc))}</a>"
                )
            return ", ".join(links)

        return self._write(words, locators, epub=True)

    def _write(self, words: Words, locators: Callable[[Entry], str], *, epub: bool) -> str:
        def kind(name: str) -> str:
            return f' class="{name}" epub:type="{name}"' if epub else f' class="{name}"'

        def entry_html(entry: Entry) -> str:
            out = [
                f"<li{kind('index-entry')}><span{kind('index-term')}>{html.escape(entry.name)}</span>"
            ]
            found = locators(entry)
            if found:
                out.append(f", {found}")
            for word, refs, name in (
                (words.see, entry.see, "index-xref-preferred"),
                (words.see_also, entry.also, "index-xref-related"),
            ):
                if refs:
                    joined = "; ".join(html.escape(r.replace("!", ", ")) for r in refs)
                    # "see also" always follows a full stop; "see" only after pages (a
                    # bare "see" entry reads "term, see other"). Told apart by role, not
                    # by word: a language may write both alike.
                    related = name == "index-xref-related"
                    sep = ". " if found or related else ", "
                    see = f'<em class="index-see">{html.escape(word)}</em>'
                    out.append(f"{sep}{see} <span{kind(name)}>{joined}</span>")
            if entry.children:
                out.append(f"<ul{kind('index-entry-list')}>")
                out.extend(entry_html(child) for child in self.ordered(entry.children))
                out.append("</ul>")
            out.append("</li>")
            return "".join(out)

        parts = []
        for letter, entries in self.groups():
            parts.append(
                f'<section{kind("index-group")}><h2 class="index-letter">{html.escape(letter)}</h2>'
                f"<ul{kind('index-entry-list')}>"
                + "\n".join(entry_html(e) for e in entries)
                + "</ul></section>"
            )
        return "\n".join(parts)

"""A book laid out in parts, in parallel worker processes, with the page numbers a
single layout would give, and laid out again only where something moved.

Imported only when a PDF is laid out (it imports WeasyPrint through ``writers``).

How (``lay_out_parallel``):

1. **Segments.** The book is cut into segments: the front matter (cover, title and
   copyright pages, contents, lists, front chapters), groups of consecutive chapters (a
   part's title page goes with its first chapter) and the index. Each is the whole book's
   document with the other pieces hidden (``render_book_document(segment=…)``), so every
   selector matches as in one document, and with empty ``lead`` pages first that set the
   side its first page falls on; they are dropped after layout.
2. **Parts.** Every segment is laid out on its own (``writers/pdf_parts.lay_out_part``),
   ``jobs`` at a time in worker processes forked from this one, without margin boxes:
   running heads and folios depend on where a part starts, the body does not (except
   through the side of its pages, and page numbers it prints itself).
3. **Settling.** The parts are put end to end: the physical page of every page and
   anchor follows; a part that opens with a blank verso (a chapter starting on a recto)
   loses it when it starts on a recto anyway. A part is laid out again when it was laid
   out on the wrong side and the side changes its page area, when it printed a page
   number (contents, ``@page:`` references, the index) that turned out wrong, or when it
   numbered its own pages from a start that turned out wrong. The contents are laid out
   again with the true numbers, the index (last) once every mark's page is known.
4. **Margins.** Documents of empty pages, one per page of the book, each of the type
   its page had (named page, side, blank) and setting the strings its page set, are laid
   out with the book's stylesheets: WeasyPrint draws the running heads and folios as in a
   single layout, counters and ``string()`` included (``lay_out_margins``). The pages are
   cut in stretches laid out by the workers, each after a lead page that carries the
   strings and counters of the pages before it (``_stretches``); if a stretch does not
   start where the one before it ended, one document is laid out instead.
5. **Join** (``writers/pdf_join``): one PDF, the margins laid over the pages, one
   structure tree, outline, name tree of destinations and one subset per font.

Every part, every stretch of the margins and each merged font are cached in
``OUTDIR/.cache`` by what they are made of (the HTML, the seeds and side they were laid
out with, the theme's files, the versions), so a rebuild lays out only the segments that
changed, and the ones whose printed numbers or side moved. ``Settled.laid_out`` names
them.
"""

from __future__ import annotations

import contextlib
import hashlib
import html as html_lib
import itertools
import json
import multiprocessing
import os
import re
import signal
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from .. import __version__
from ..apparatus import Apparatus
from ..folios import PageLabels
from ..i18n import direction
from ..model import PageBreaks
from ..profiles import Profile
from ..theme import Theme
from ..tree import split_tables
from ..writers import pdf as pdf_writer
from ..writers.pdf_join import Piece, join
from ..writers.pdf_parts import PageRecord, Part, Unsupported, lay_out_margins, lay_out_part
from .chapters import ChapterCache
from .manifest import BookSpec

if TYPE_CHECKING:
    import pikepdf

_ID = re.compile(r'\sid="([^"]+)"')
_HREF = re.compile(r'\shref="#([^"]+)"')
# A segment holds about this many characters of chapter HTML (some 20 pages): small
# enough to balance the workers and to lay out little again after an edit, large enough
# that the per-document cost (parsing the stylesheets) stays small.
SEGMENT_CHARS = 60_000
MAX_ROUNDS = 4


@dataclass(frozen=True, slots=True)
class Segment:
    kind: str  # "front", "main" or "index"
    keys: frozenset[str]  # the pieces of the book document it shows
    chapters: tuple[int, ...]  # the chapters (indexes into the contexts) whose body it holds
    owned: frozenset[str]  # the anchors it holds
    refs: frozenset[str]  # anchors it refers to and does not hold
    names: tuple[str, ...]  # what the report calls it (chapter files)


@dataclass(frozen=True, slots=True)
class Laid:
    """One segment as laid out: the part, and what it was laid out with."""

    part: Part
    lead: int
    side: str  # the side its first kept page was laid out on
    start: int  # the page number (page counter) its first kept page was given
    seeds: dict[str, dict[str, list[int]]]


@dataclass(slots=True)
class Settled:
    """The book laid out in parts and joined (see the module docstring)."""

    pdf: pikepdf.Pdf  # joined, open: the finishing writes and closes it
    pages: int
    labels: PageLabels
    anchors: dict[str, int]  # anchor → 1-based physical page
    block_starts: dict[str, int]
    inspection: pdf_writer.Inspection
    refused: list[str]
    messages: list[tuple[int, str]]
    families: frozenset[str]
    html: str
    laid_out: list[str] = field(default_factory=list)  # segments laid out in this run
    moved: list[tuple[str, int, int]] = field(default_factory=list)  # (chapter, was, now)
    rounds: int = 0

    def page_breaks(self, source: str) -> PageBreaks:
        return pdf_writer.page_breaks(self.block_starts, self.pages, source, self.labels)


def segments_of(
    spec: BookSpec, contexts: Sequence[dict[str, Any]], apparatus: Apparatus | None
) -> list[Segment]:
    """The book's segments in reading order (see the module docstring). The grouping of
    chapters depends on the chapters alone (not on the number of workers), so every
    ``--jobs`` gives the same parts and the same bytes."""
    segments = []
    front_keys = {"cover", "title", "copyright", "toc"}
    front_keys |= {f"list-of-{kind}" for kind, _t, _e in (apparatus.lists() if apparatus else [])}
    front = [n for n, c in enumerate(contexts) if c["kind"] == "front"]
    front_keys |= {contexts[n]["anchor"] for n in front}
    owned = {"title-page", *(f"list-of-{k}" for k in front_keys if k.startswith("list-of-"))}
    refs: set[str] = set()
    for n in front:
        owned |= {contexts[n]["anchor"], *_prefixed(contexts[n])}
        refs |= set(_HREF.findall(str(contexts[n]["body"])))
    toc_refs = {c["anchor"] for c in contexts}
    toc_refs |= {f"part-{c['part'] + 1}" for c in contexts if c["part"] is not None}
    if apparatus is not None and apparatus.index:
        toc_refs.add("index")
    if apparatus is not None:
        for _kind, _title, entries in apparatus.lists():
            refs |= set(_HREF.findall(apparatus.list_entries(entries, "pdf")))
    segments.append(
        Segment(
            "front",
            frozenset(front_keys),
            tuple(front),
            frozenset(owned),
            frozenset((refs | toc_refs) - owned),
            ("front matter",),
        )
    )
    main = [n for n, c in enumerate(contexts) if c["kind"] != "front"]
    size = sum(len(str(contexts[n]["body"])) for n in main) / max(1, len(main))
    per = max(1, round(SEGMENT_CHARS / max(1.0, size)))
    per = 1 << max(0, per.bit_length() - 1)  # a power of two: stable under small edits
    seen_parts: set[int] = set()
    for start in range(0, len(main), per):
        group = main[start : start + per]
        keys = {"main"}
        held = set()
        if start == 0:
            held.add("main-matter")
        refs = set()
        for n in group:
            context = contexts[n]
            keys.add(context["anchor"])
            held |= {context["anchor"], *_prefixed(context)}
            if context["part"] is not None and context["part"] not in seen_parts:
                seen_parts.add(context["part"])
                keys.add(f"part-{context['part'] + 1}")
                held.add(f"part-{context['part'] + 1}")
            refs |= set(_HREF.findall(str(context["body"])))
        segments.append(
            Segment(
                "main",
                frozenset(keys),
                tuple(group),
                frozenset(held),
                frozenset(refs - held),
                tuple(contexts[n]["source"] for n in group),
            )
        )
    if apparatus is not None and apparatus.index:
        segments.append(
            Segment(
                "index",
                frozenset({"main", "index"}),
                (),
                frozenset({"index"}),
                frozenset(),
                ("index",),
            )
        )
    return segments


# The page counter a segment's first page starts from (``page_reset`` in book.html.j2).
_RESET = re.compile(r"counter-reset: page -?\d+")


def _same(value: dict[str, list[int]] | None, used: tuple) -> bool:
    """Whether seeds ``value`` give a part the counters it used (``Part.seeded``)."""
    return value is not None and {k: tuple(v) for k, v in value.items()} == dict(used)


def _prefixed(context: dict[str, Any]) -> set[str]:
    return set(_ID.findall(str(context["body"])))


def _digest(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(json.dumps(part, sort_keys=True, default=str).encode())
        h.update(b"\0")
    return h.hexdigest()


def _files_digest(folders: Sequence[Path]) -> str:
    """The theme's files (stylesheets, templates, fonts, ICC profiles): a part laid out
    with other files is another part."""
    h = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            h.update(str(path).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _referenced_files(html: str) -> list[str]:
    """Local files a document names (images): their bytes are part of a part's key."""
    out = []
    for url in sorted(set(re.findall(r'(?:src|href)="(file://[^"]+)"', html))):
        path = Path(url.removeprefix("file://"))
        try:
            out.append(hashlib.sha256(path.read_bytes()).hexdigest())
        except OSError:
            out.append("missing")
    return out


class _FontCache:
    """Merged font programs, kept in the chapter cache's folder."""

    def __init__(self, cache: ChapterCache) -> None:
        self.cache = cache

    def _key(self, key: tuple) -> str:
        return "font-" + _digest(list(key))

    def get(self, key: tuple) -> bytes | None:
        value = self.cache.get(self._key(key))
        return value if isinstance(value, bytes) else None

    def __setitem__(self, key: tuple, value: bytes) -> None:
        self.cache.put(self._key(key), value)


# --- the workers ---------------------------------------------------------------------------

_WORK: dict[str, Any] = {}  # what every task shares, set before the workers are forked


def _task(job: tuple[str, str, int, Any]) -> Part:
    """A worker's job: ``("part", html, lead, seeds)`` lays out a segment,
    ``("margins", html, lead, total)`` a stretch of the running heads and folios."""
    kind, html, lead, extra = job
    shared = _WORK
    if kind == "margins":
        return lay_out_margins(
            html,
            base=shared["base"],
            roots=shared["roots"],
            source=shared["source"],
            font_store=shared["font_store"],
            lead=lead,
            total=extra,
        )
    return lay_out_part(
        html,
        lead=lead,
        seeds=extra,
        base=shared["base"],
        roots=shared["roots"],
        source=shared["source"],
        profile=shared["profile"],
        font_store=shared["font_store"],
        allow_remote=shared["allow_remote"],
        split=split_tables,
    )


def _worker_signals() -> None:
    """A worker leaves Ctrl-C to the build that forked it (which stops the workers) and
    dies quietly when stopped: a host such as ``pressroom watch`` turns SIGTERM into
    KeyboardInterrupt, which a forked worker would inherit and print as a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _serve(conn: Connection) -> None:
    """A worker: lay out each job it is sent, send back ``(True, part)`` or
    ``(False, error)``, until told to stop (``None``) or its pipe closes."""
    _worker_signals()
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        try:
            reply: tuple[bool, object] = (True, _task(job))
        except Exception as exc:  # the build reports it, as it would its own
            reply = (False, exc)
        try:
            conn.send(reply)
        except Exception:  # an error that cannot be pickled: its words at least
            conn.send((False, RuntimeError(f"{type(reply[1]).__name__}: {reply[1]}")))


class _Runner:
    """Lays out a batch of jobs: in this process (one job), or in ``jobs`` worker
    processes forked from this one, each sent one job at a time over its own pipe.

    Not ``multiprocessing.Pool``: stopped in the middle of a batch (Ctrl-C in
    ``pressroom watch``, a failed part), a Pool's shutdown can wait forever on a queue lock
    a killed worker held; a worker with a pipe of its own is simply killed. A worker that
    dies (a crash, the kernel's OOM killer) makes the book fall back to one layout."""

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, jobs)
        self.workers: list[tuple[BaseProcess, Connection]] = []

    def _start(self) -> None:
        context = multiprocessing.get_context("fork")
        for _ in range(min(self.jobs, os.cpu_count() or 1)):
            mine, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs,), daemon=True)
            process.start()
            theirs.close()
            self.workers.append((process, mine))

    def run(self, batch: list[tuple[str, str, int, Any]]) -> list[Part]:
        # One job alone is laid out here, until there are workers (a book of more than
        # one segment): then they take every job, and this process stays small.
        if self.jobs == 1 or (len(batch) == 1 and not self.workers):
            return [_task(job) for job in batch]
        if not self.workers:
            self._start()
        results: list[Part | None] = [None] * len(batch)
        pending = list(enumerate(batch))[::-1]
        idle = [conn for _process, conn in self.workers]
        busy: dict[Connection, int] = {}
        while pending or busy:
            while pending and idle:
                conn = idle.pop()
                n, job = pending.pop()
                conn.send(job)
                busy[conn] = n
            for conn in wait(list(busy)):
                try:
                    ok, value = conn.recv()
                except (EOFError, OSError):
                    raise Unsupported("a layout worker stopped") from None
                n = busy.pop(conn)
                idle.append(conn)
                if not ok:
                    raise value
                results[n] = value
        return [part for part in results if part is not None]

    def close(self) -> None:
        """Let the workers go (they exit when told); kill one that does not."""
        for _process, conn in self.workers:
            with contextlib.suppress(OSError):
                conn.send(None)
        for process, conn in self.workers:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
            conn.close()
        self.workers = []

    def terminate(self) -> None:
        """Stop the workers where they are (the build failed, or Ctrl-C)."""
        for process, _conn in self.workers:
            process.kill()
        for process, conn in self.workers:
            process.join()
            conn.close()
        self.workers = []


# --- the settling ---------------------------------------------------------------------------


def lay_out_parallel(
    spec: BookSpec,
    contexts: Sequence[dict[str, Any]],
    render: Callable[..., str],
    theme: Theme,
    *,
    profile: Profile,
    apparatus: Apparatus | None,
    cache: ChapterCache,
    jobs: int,
    allow_remote: bool = False,
) -> Settled:
    """Lay out the book in parts and join them (see the module docstring). ``render(**kw)``
    renders the book document (``render_book_document`` with the book's fixed
    arguments); ``contexts`` are the chapters (``pdf_chapters``)."""
    segments = segments_of(spec, contexts, apparatus)
    roots = (spec.root, *theme.dirs)
    # The fonts' original programs, for one subset per font (a temporary folder when
    # the build keeps no cache).
    scratch = None
    if cache.folder is not None:
        store = cache.folder / "fonts"
    else:
        scratch = tempfile.TemporaryDirectory(prefix="pressroom-fonts-")
        store = Path(scratch.name)
    _WORK.update(
        base=spec.root,
        roots=roots,
        source=spec.manifest,
        profile=profile,
        font_store=store,
        allow_remote=allow_remote,
    )
    fixed = _digest(
        __version__,
        _files_digest(theme.dirs),
        profile.name,
        allow_remote,
        pdf_writer.weasyprint.__version__,
    )
    # WeasyPrint's first page is a left one in a right-to-left document.
    first_side = "left" if direction(spec.meta.lang) == "rtl" else "right"
    # What the previous build settled: each segment's start, the anchors' counters.
    memory_key = "settled-" + _digest(str(spec.manifest.resolve()), fixed)[:24]
    memory = cache.get(memory_key)
    if not isinstance(memory, dict):
        memory = {}
    counters: dict[str, dict[str, list[int]]] = memory.get("counters", {})
    starts: dict[tuple[str, ...], int] = memory.get("starts", {})
    front_pages: int = memory.get("front", 0)
    laid: dict[int, Laid] = {}
    laid_out: list[str] = []
    runner = _Runner(jobs)
    index_body: str | None = None
    has_index = apparatus is not None and bool(apparatus.index)

    def side_of(page: int) -> str:
        odd = page % 2 == 1
        return (
            ("right" if odd else "left") if first_side == "right" else ("left" if odd else "right")
        )

    def html_of(n: int, lead: int, start: int) -> str:
        segment = segments[n]
        shown = [
            c if i in segment.chapters else {**c, "body": Markup("")}
            for i, c in enumerate(contexts)
        ]
        return render(
            contexts=shown,
            front_pages=front_pages,
            segment=segment.keys,
            lead=lead,
            page_reset=None if segment.kind == "front" else start - lead,
            # Elsewhere the index is only named (the contents list it), not laid out.
            index_body=index_body
            if segment.kind == "index"
            else ("<!-- the index -->" if has_index else ""),
        )

    def job_of(n: int, page: int, lead: int | None = None) -> tuple[str, str, int, int, dict]:
        """(cache key, html, lead, start, seeds) to lay out segment ``n`` from ``page``
        (with ``lead`` empty pages first if given, else as many as put it on its side)."""
        segment = segments[n]
        if segment.kind == "front":
            lead, start = 0, 1 - front_pages
        else:
            # Doc page lead + 1 must fall on the side of ``page``: 1 lead page when that
            # is the side after the first page's, else 2.
            if lead is None:
                lead = 1 if side_of(page) != first_side else 2
            start = page - front_pages
        seeds = {name: counters.get(name, {"page": [0]}) for name in sorted(segment.refs)}
        html = html_of(n, lead, start)
        # The key leaves out what a part may not use: its first page's number (it matters
        # only to a part that prints its own page numbers) and the other parts' numbers
        # (only those it printed matter): both are checked on a hit (``fits``).
        key = "part-" + _digest(fixed, _RESET.sub("", html), lead, _referenced_files(html))
        return key, html, lead, start, seeds

    def fits(hit: object, start: int, seeds: dict) -> bool:
        if not isinstance(hit, dict) or not isinstance(hit.get("part"), Part):
            return False
        part = hit["part"]
        if part.local_lookups and hit["start"] != start:
            return False
        return all(_same(seeds.get(name), used) for name, used in part.seeded.items())

    # The lead each segment had when the last build settled: a part laid out on the other
    # side and kept there (the same page area) is found in the cache under that lead.
    leads: dict[tuple[str, ...], int] = memory.get("leads", {})

    def lay(batch: list[tuple[int, int]], *, remembered: bool = False) -> None:
        todo = []
        for n, page in batch:
            key, html, lead, start, seeds = job_of(n, page)
            hit = cache.get(key)
            kept = leads.get(segments[n].names) if remembered else None
            if not fits(hit, start, seeds) and kept not in (None, lead):
                # Unchanged since the last build, which kept it on the other side.
                key2, html2, lead2, start2, seeds2 = job_of(n, page, kept)
                hit2 = cache.get(key2)
                if fits(hit2, start2, seeds2):
                    key, html, lead, start, seeds, hit = key2, html2, lead2, start2, seeds2, hit2
            if fits(hit, start, seeds):
                laid[n] = Laid(hit["part"], lead, side_of(page), start, seeds)
            else:
                todo.append((n, page, key, html, lead, start, seeds))
        parts = runner.run(
            [("part", html, lead, seeds) for _n, _p, _k, html, lead, _s, seeds in todo]
        )
        for (n, page, key, _html, lead, start, seeds), part in zip(todo, parts, strict=True):
            if part.running:
                raise Unsupported("running elements (element()) in the margins")
            cache.put(key, {"part": part, "start": start})
            laid[n] = Laid(part, lead, side_of(page), start, seeds)
            laid_out.extend(segments[n].names)

    def lay_margins(placed: _Placed) -> list[Part]:
        """The running heads and folios, in stretches laid out side by side (one
        document when the stretches would not be exact: see ``_stretches``)."""
        records = placed.records
        empty = [{**c, "body": Markup("")} for c in contexts]
        counters = _PageCounters(laid[0].part.pages, [laid[n].part for n in laid if n])

        def job(start: int, end: int) -> tuple[str, tuple[str, str, int, Any]]:
            lead = [_carried(records, start)] if start else []
            html = render(
                contexts=empty,
                front_pages=placed.front,
                segment=frozenset(),
                page_reset=start + 1 - len(lead) - placed.front,
                # The lead page stands for the page before the stretch: it is reset to
                # the values before that page and moves them as that page did.
                counter_resets=counters.before(records, start - 1) if start else (),
                margins_body=_margins_body([*lead, *records[start:end]]),
            )
            key = "margins-" + _digest(fixed, html, len(records))
            return key, ("margins", html, len(lead), len(records))

        for stretches in (_stretches(records, placed.front, first_side), [(0, len(records))]):
            jobs = [job(start, end) for start, end in stretches]
            found = [cache.get(key) for key, _job in jobs]
            todo = [n for n, hit in enumerate(found) if not isinstance(hit, Part)]
            for n, part in zip(todo, runner.run([jobs[n][1] for n in todo]), strict=True):
                cache.put(jobs[n][0], part)
                found[n] = part
            if todo and "running heads and folios" not in laid_out:
                laid_out.append("running heads and folios")
            parts = [part for part in found if isinstance(part, Part)]
            if _continuous(parts):
                return parts
        return parts

    try:
        pdf_writer.warm_up([*theme.stylesheets("pdf")])
        # Round 1: every segment but the index, each from where the last build put it.
        guess = 1
        batch = []
        for n, segment in enumerate(segments):
            if segment.kind == "index":
                continue
            page = starts.get(segment.names, guess) if segment.kind != "front" else 1
            batch.append((n, page))
            guess = page + max(
                1, round(sum(len(str(contexts[i]["body"])) for i in segment.chapters) / 3000)
            )
        lay(batch, remembered=True)
        rounds = 1
        while True:
            placed = _place(segments, laid, side_of)
            anchors, labels, front = placed.anchors, placed.labels, placed.front
            new_counters = _counters(segments, laid, placed)
            again: list[tuple[int, int]] = []
            if front != front_pages:
                front_pages = front
            for n in range(len(segments)):
                if n not in laid:
                    continue
                item, page = laid[n], placed.starts[n]
                if _needs_again(item, page, side_of, placed, new_counters, front_pages):
                    again.append((n, page))
            counters = new_counters
            if apparatus is not None and apparatus.index:
                n = len(segments) - 1
                body = apparatus.index_pdf(anchors, labels.label)
                if body != index_body or n not in laid:
                    index_body = body
                    again.append((n, placed.next_page))
                elif laid[n].side != side_of(placed.starts[n]):
                    again.append((n, placed.starts[n]))
            if not again or rounds >= MAX_ROUNDS:
                break
            lay(again)
            rounds += 1
        placed = _place(segments, laid, side_of)
        anchors, labels = placed.anchors, placed.labels
        margins = lay_margins(placed)
    except BaseException:
        runner.terminate()
        raise
    finally:
        runner.close()
    # Sides are the book's (a part laid out on the other side has the same page area).
    margin_pages = [(r.blank, r.name) for part in margins for r in part.pages]
    if margin_pages != [(r.blank, r.name) for r in placed.records]:
        raise Unsupported("the running heads' pages do not fall as the parts' pages")
    fonts = {}
    for part in [*(item.part for item in laid.values()), *margins]:
        fonts.update(part.fonts)
    pieces = []
    for n in range(len(segments)):
        item = laid[n]
        pieces.append(
            Piece(item.part.pdf, placed.keep[n], item.part.stubs, tuple(item.part.bookmarks))
        )
    try:
        joined = join(
            pieces,
            [part.pdf for part in margins],
            fonts=fonts,
            font_store=store,
            font_cache=_FontCache(cache),
        )
    finally:
        if scratch is not None:
            scratch.cleanup()
    moved = []
    was = memory.get("chapters", {})
    now = {}
    for n, segment in enumerate(segments):
        for name in segment.names:
            now[name] = placed.starts[n]
            if name in was and was[name] != placed.starts[n]:
                moved.append((name, was[name], placed.starts[n]))
    cache.put(
        memory_key,
        {
            "counters": counters,
            "starts": {segments[n].names: placed.starts[n] for n in range(len(segments))},
            "front": placed.front,
            "chapters": now,
            "leads": {segments[n].names: laid[n].lead for n in range(len(segments))},
        },
    )
    inspection = pdf_writer.Inspection(
        toc=dict(laid[0].part.toc),
        anchors=anchors,
        overflow=tuple(
            pdf_writer.Overflow(placed.physical[(n, page)], words, edge)
            for n in range(len(segments))
            for page, words, edge in laid[n].part.overflow
            if (n, page) in placed.physical
        ),
        cramped=(),
    )
    messages = [m for n in range(len(segments)) for m in laid[n].part.messages]
    refused = [r for n in range(len(segments)) for r in laid[n].part.refused]
    families = frozenset().union(
        *(laid[n].part.families for n in laid), *(part.families for part in margins)
    )
    return Settled(
        pdf=joined.pdf,
        pages=len(placed.records),
        labels=labels,
        anchors=anchors,
        block_starts=placed.block_starts,
        inspection=inspection,
        refused=refused,
        messages=messages
        + [(40, f"No anchor #{name} for internal URI reference") for name in joined.dangling],
        families=families,
        html=_whole_html(render, contexts, laid, segments, placed.front, index_body),
        laid_out=laid_out,
        moved=moved,
        rounds=rounds,
    )


@dataclass
class _Placed:
    starts: dict[int, int]  # segment → physical page of its first kept page
    keep: dict[int, tuple[int, ...]]  # segment → its part's pages that are kept
    physical: dict[tuple[int, int], int]  # (segment, part page) → physical page (1-based)
    records: list  # PageRecord of every physical page
    anchors: dict[str, int]
    block_starts: dict[str, int]
    labels: PageLabels
    front: int  # pages before the main matter
    next_page: int


def _place(
    segments: Sequence[Segment], laid: dict[int, Laid], side_of: Callable[[int], str]
) -> _Placed:
    """The laid-out parts end to end: a part that opens with a blank page (its first page
    wants the other side) drops it when it starts on that side anyway."""
    page = 1
    starts, keep, physical, records = {}, {}, {}, []
    anchors: dict[str, int] = {}
    block_starts: dict[str, int] = {}
    for n in range(len(segments)):
        if n not in laid:
            continue
        part = laid[n].part
        pages = list(range(len(part.pages)))
        if len(pages) > 1 and part.pages[0].blank and side_of(page) == part.pages[1].side:
            pages = pages[1:]
        starts[n] = page
        keep[n] = tuple(pages)
        for index in pages:
            physical[(n, index)] = page
            records.append(part.pages[index])
            page += 1
        for name, index in part.anchors.items():
            if (n, index) in physical:
                anchors.setdefault(name, physical[(n, index)])
        for name, index in part.block_starts.items():
            if (n, index) in physical:
                block_starts.setdefault(name, physical[(n, index)])
    total = page - 1
    main = anchors.get("main-matter", 1)
    labels = PageLabels.book(total, front=anchors.get("title-page", 1) or 1, main=main)
    return _Placed(starts, keep, physical, records, anchors, block_starts, labels, main - 1, page)


def _counters(
    segments: Sequence[Segment], laid: dict[int, Laid], placed: _Placed
) -> dict[str, dict[str, list[int]]]:
    """Each anchor's page counters as one layout would have them: ``page`` from the
    physical page (the main matter's first page is 1), ``frontfolio`` from the front
    matter's own layout (it starts at the first page, as in one layout)."""
    out: dict[str, dict[str, list[int]]] = {}
    for n in sorted(laid):
        part = laid[n].part
        for name, index in part.anchors.items():
            if name in out or (n, index) not in placed.physical:
                continue
            page = placed.physical[(n, index)]
            values: dict[str, list[int]] = {"page": [page - placed.front]}
            if segments[n].kind == "front":
                for counter, value in part.pages[index].counters:
                    if counter != "page":
                        values[counter] = list(value)
            out[name] = values
    return out


def _needs_again(
    item: Laid,
    page: int,
    side_of: Callable[[int], str],
    placed: _Placed,
    counters: dict[str, dict[str, list[int]]],
    front: int,
) -> bool:
    """Whether a part must be laid out again: a number it printed from another part
    moved, it numbered its own pages from a start that moved, or it fell on the other
    side and that side has another page area (or it makes blank pages of its own)."""
    part = item.part
    for name, value in part.seeded.items():
        if not _same(counters.get(name), value):
            return True
    if part.local_lookups and item.start != page - front:
        return True
    if not part.pages:
        return False
    laid_side = part.pages[0].side
    if laid_side != side_of(page) and not (part.pages[0].blank and len(part.pages) > 1):
        inner_blanks = any(r.blank for r in part.pages[1:])
        if inner_blanks or not _same_area(part.pages, placed.records):
            return True
    return False


def _same_area(pages: Sequence, records: Sequence) -> bool:
    """Whether left and right pages of every named page in the part have the same page
    area (then a part laid out on the other side is the same part, moved)."""
    by_kind: dict[tuple[str, str], tuple] = {}
    for record in [*records, *pages]:
        by_kind.setdefault((record.name, record.side), record.geometry)
    for record in pages:
        left = by_kind.get((record.name, "left"))
        right = by_kind.get((record.name, "right"))
        if left is None or right is None:
            return False
        # Mirrored margins swap left and right: the area's width and height matter, and
        # its horizontal place would too (a part is not moved sideways): compare all.
        if left != right:
            return False
    return True


# A stretch of the running heads holds about this many pages: a few per worker for a
# 1,000-page book, and after an edit that moves no page, none is laid out again.
STRETCH_PAGES = 96


def _stretches(records: Sequence, front: int, first_side: str) -> list[tuple[int, int]]:
    """The book's pages cut into stretches ``[start, end)`` of about ``STRETCH_PAGES``,
    each laid out as a document of its own after one lead page that carries what the
    pages before it set: the strings (``_carried``) and the page counters (``page`` from
    the page's number, the others from ``_PageCounters``). A stretch starts in the main
    matter, on the side a document's second page falls on (so one lead page puts it
    there), after a page that is not blank. Whether the stretches equal one document is
    checked after they are laid out (``_continuous``)."""
    first_other = "left" if first_side == "right" else "right"
    cuts = [0]
    for start in range(front + 1, len(records)):
        if start - cuts[-1] < STRETCH_PAGES or len(records) - start < STRETCH_PAGES // 2:
            continue
        record, before = records[start], records[start - 1]
        if record.side == first_other and not record.blank and not before.blank:
            cuts.append(start)
    return list(zip(cuts, [*cuts[1:], len(records)], strict=True))


class _PageCounters:
    """The page-based counters other than ``page`` (a theme's ``frontfolio``) where a
    stretch starts: their values on the front matter's last page (the front part is laid
    out from the first page, so its values are the book's), plus what each page after it
    adds, learnt from the other parts as the change from page to page of each type (name,
    blank, side). A guess: ``_continuous`` checks it against the stretch before."""

    def __init__(self, front: Sequence[PageRecord], parts: Sequence[Part]) -> None:
        self.front = len(front)
        self.start = {k: v[-1] for k, v in (front[-1].counters if front else ()) if v}
        self.start.pop("page", None)
        self.steps: dict[tuple[str, bool, str], dict[str, int]] = {}
        for part in parts:
            # A part's first page follows its lead pages, which move no counter of this
            # kind (they are plain pages of the body): its values are its own steps.
            for before, page in itertools.pairwise([None, *part.pages]):
                was = {k: v[-1] for k, v in before.counters if v} if before else {}
                step = self.steps.setdefault((page.name, page.blank, page.side), {})
                for name, values in page.counters:
                    if name != "page" and values:
                        step[name] = values[-1] - was.get(name, 0)

    def before(self, records: Sequence[PageRecord], start: int) -> tuple[tuple[str, int], ...]:
        values = dict(self.start)
        for record in records[self.front : start]:
            for name, step in self.steps.get((record.name, record.blank, record.side), {}).items():
                values[name] = values.get(name, 0) + step
        return tuple(sorted(values.items()))


def _carried(records: Sequence, start: int) -> PageRecord:
    """The lead page of a stretch from ``start``: the type of the page before it, and the
    last value of every string set before it."""
    last: dict[str, str] = {}
    for record in records[:start]:
        for name, values in record.strings:
            if values:
                last[name] = values[-1]
    before = records[start - 1]
    return replace(
        before, blank=False, strings=tuple((name, (last[name],)) for name in sorted(last))
    )


def _continuous(stretches: Sequence[Part]) -> bool:
    """Whether each stretch began with the page-based counters (``page`` aside, which its
    lead page sets from the page's number) that the stretch before it ended with: then
    the stretches are one document cut in pieces. A theme whose pages move another
    counter in the main matter is not, and gets one document."""

    def others(record: PageRecord) -> tuple:
        return tuple((k, v) for k, v in record.counters if k != "page")

    for before, after in itertools.pairwise(stretches):
        if not before.pages or not after.leads:
            return False
        if others(before.pages[-1]) != others(after.leads[-1]):
            return False
    return True


def _css_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ")
    return f'"{escaped}"'


def _margins_body(records: Sequence) -> str:
    """One empty page per page of the book, of its page's type, setting its strings
    (a blank page is made by WeasyPrint as it was: by the next page's side)."""
    out = []
    blank_name = None
    for number, record in enumerate(records):
        if record.blank:
            blank_name = record.name
            continue
        style = ["display: block"]
        if record.name:
            style.append(f"page: {record.name}")
        if number:
            style.append(f"break-before: {record.side if blank_name is not None else 'page'}")
        strings = "".join(
            '<x-s style="display: block; string-set: '
            + html_lib.escape(f"{name} {_css_string(value)}", quote=True)
            + '"></x-s>'
            for name, values in record.strings
            for value in values
        )
        page = f'<x-page style="{"; ".join(style)}">{strings}</x-page>'
        if blank_name:
            page = f'<x-g style="display: block; page: {blank_name}">{page}</x-g>'
        out.append(page)
        blank_name = None
    return "\n".join(out)


def _whole_html(
    render: Callable[..., str],
    contexts: Sequence[dict[str, Any]],
    laid: dict[int, Laid],
    segments: Sequence[Segment],
    front: int,
    index_body: str | None,
) -> str:
    """The book as one HTML document, as ``--format html`` writes it."""
    return render(contexts=list(contexts), front_pages=front, index_body=index_body)

"""``pressroom watch BOOK.toml|FILE.md``: rebuild on save, with a live preview on 127.0.0.1.

A client of the recipe like the batch: each build is ``book.build_book`` or
``pipeline.convert_article`` under the one error policy (``runner.run_document``), in two
steps so the author sees an edit quickly:

1. the preview: the HTML document WeasyPrint lays out (``--format html``), served by
   ``preview.PreviewServer`` and reloaded in the browser;
2. the other formats asked for (``--format``, default PDF and EPUB), behind it. When the
   sources change again during step 1, step 2 waits for the next build (the PDF of a text
   already replaced would be stale before it is finished).

Contract:

- **What is watched** is what the outputs depend on: for a book ``book.dependencies``
  (manifest, chapters, cover, theme files), for an article the file, its cover and the
  theme's files; and for both the files the last preview document names under the content
  root (its images). The folders holding them are watched (``watchfiles``), not the files,
  so editors that save by renaming a new file over the old one are seen; a book's
  dependencies are read again when a file appears or goes (a new chapter matching a glob).
  Changes are debounced; a save during a build makes one more build after it.
- **The terminal** gets the diagnostics that changed since the previous build (``diff``:
  new ones as they are printed by ``convert``, ones that went away as ``gone: …``; a
  finding that only moved to another line is neither) and one line per build with its
  times. ``-q``: only errors.
- **A failed build** (a broken chapter, a bad manifest, ``--strict``) prints its one-line
  error and shows it in the preview; the previous good outputs stay, because every build
  writes into ``OUTDIR/.watch`` and its outputs replace those in ``OUTDIR`` only when it
  succeeded (each by an atomic rename). The loop goes on.
- **Stopping**: Ctrl-C (or SIGTERM) stops the watcher, ends the preview's event streams,
  closes the server's socket and joins its threads; ``run`` returns 0 (stopping is how a
  watch ends, not a failure). It starts no process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

import watchfiles

from . import assets, theme
from .book import build_book, dependencies, read_book
from .config import Settings
from .diagnostics import Diagnostic, Report, Severity
from .errors import ConvertError, WriteError
from .load import LoadOptions, load
from .pipeline import convert_article
from .preview import Preview, PreviewServer, Roots, Status, referenced_files
from .runner import Outcome, run_document

# watchfiles yields a batch once the folder has been quiet for STEP_MS (an editor's save
# is several writes), and at the latest after DEBOUNCE_MS of continuous changes.
STEP_MS = 100
DEBOUNCE_MS = 1600
STAGING = ".watch"  # under OUTDIR: where builds write before their outputs replace the old

# watchfiles logs each batch at INFO, and a dependency (accessible-pygments) configures the
# root logger at INFO when it is imported: the terminal is for diagnostics.
logging.getLogger("watchfiles").setLevel(logging.WARNING)


@dataclass(frozen=True, slots=True)
class Target:
    """What is watched: a book's manifest or an article, built into ``outdir``."""

    path: Path
    outdir: Path
    settings: Settings

    @property
    def book(self) -> bool:
        return self.path.suffix.lower() == ".toml"


# ---------------------------------------------------------------------------------------
# Diagnostics that changed


def _key(diagnostic: Diagnostic) -> tuple:
    d = diagnostic
    return (str(d.location.path), d.code, d.severity, d.message, d.fix)


def _at(diagnostic: Diagnostic) -> tuple:
    return (*_key(diagnostic), diagnostic.location.line)


def _unmatched(items: Iterable[Diagnostic], matched: Counter, key: Callable) -> list[Diagnostic]:
    left = Counter(matched)
    rest = []
    for item in items:
        if left[key(item)] > 0:
            left[key(item)] -= 1
        else:
            rest.append(item)
    return rest


def _order(diagnostic: Diagnostic) -> tuple:
    d = diagnostic
    return (str(d.location.path), d.location.line or 0, d.code, d.message, d.fix or "")


def diff(
    before: Iterable[Diagnostic], after: Iterable[Diagnostic]
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """``(new, gone)``: the findings of ``after`` that ``before`` did not have, and those
    of ``before`` that ``after`` no longer has, each sorted by file and line.

    Findings are compared by file, code, severity, message and fix, as a multiset (twice
    the same finding is two). Those at the same line pair up first; then one that only
    moved (lines were added above it) pairs with its old self, and is neither new nor
    gone."""
    old, now = list(before), list(after)
    same = Counter(map(_at, old)) & Counter(map(_at, now))
    old, now = _unmatched(old, same, _at), _unmatched(now, same, _at)
    moved = Counter(map(_key, old)) & Counter(map(_key, now))
    new, gone = _unmatched(now, moved, _key), _unmatched(old, moved, _key)
    return sorted(new, key=_order), sorted(gone, key=_order)


class Log:
    """What the terminal is told: the diagnostics that changed and one line per build.

    ``shown`` is what has been printed and not taken back since; the error line of a
    failed step (the preview, the other formats) counts like a finding: printed once,
    ``gone:`` when that step works again."""

    def __init__(
        self, *, quiet: bool = False, out: TextIO | None = None, err: TextIO | None = None
    ):
        self.quiet = quiet
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.shown: list[Diagnostic] = []
        self.errors: dict[str, str] = {}  # the error line of each step of the last build

    def _say(self, stream: TextIO, text: str) -> None:
        print(text, file=stream, flush=True)

    def _visible(self, diagnostic: Diagnostic) -> bool:
        return not self.quiet or diagnostic.severity >= Severity.ERROR

    def add(self, diagnostics: Iterable[Diagnostic]) -> None:
        """Print what is new in a partial build (the preview step): nothing is taken back
        before the build is complete."""
        new, _ = diff(self.shown, diagnostics)
        for diagnostic in new:
            if self._visible(diagnostic):
                self._say(self.err, str(diagnostic))
        self.shown += new

    def settle(self, diagnostics: Iterable[Diagnostic]) -> None:
        """A complete build: print what is new and what is gone."""
        current = list(diagnostics)
        new, gone = diff(self.shown, current)
        for diagnostic in gone:
            if self._visible(diagnostic):
                self._say(self.err, f"gone: {diagnostic}")
        for diagnostic in new:
            if self._visible(diagnostic):
                self._say(self.err, str(diagnostic))
        self.shown = current

    def failed(self, step: str, error: str) -> None:
        """``step`` of the build failed with ``error``: printed unless it was already."""
        if error != self.errors.get(step):
            self._say(self.err, error)
        self.errors[step] = error

    def succeeded(self, step: str) -> None:
        if step in self.errors:
            self._say(self.err, f"gone: {self.errors.pop(step)}")

    def line(self, text: str) -> None:
        if not self.quiet:
            self._say(self.out, f"{time.strftime('%H:%M:%S')} {text}")


# ---------------------------------------------------------------------------------------
# What the outputs depend on


@dataclass(frozen=True, slots=True)
class Sources:
    """The files a build depends on, and where the preview may read files from."""

    files: frozenset[Path]
    roots: Roots
    book_files: frozenset[Path] = frozenset()  # what book.dependencies said, for rereading

    def folders(self) -> frozenset[Path]:
        return frozenset(p.parent for p in self.files if p.parent.is_dir())

    def __contains__(self, path: Path) -> bool:
        return path in self.files


def _forms(paths: Iterable[Path]) -> frozenset[Path]:
    """Each path as written (made absolute) and as its real path: an event names the
    file either way, and a symlinked chapter changes where its target lives."""
    found = set()
    for path in paths:
        found.add(Path(os.path.abspath(path)))
        with contextlib.suppress(OSError, RuntimeError):
            found.add(path.resolve())
    return frozenset(found)


def _theme_files(folders: Iterable[Path]) -> list[Path]:
    return [p for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()]


def sources(
    target: Target, previous: Sources | None = None, document: Path | None = None
) -> Sources:
    """What ``target`` depends on now; ``document`` is the last preview HTML (its images
    count). A manifest or theme that cannot be read keeps the previous answer, plus the
    target itself (its next save is the fix)."""
    settings = target.settings
    try:
        if target.book:
            spec = read_book(target.path)
            own = dependencies(target.path)
            roots = Roots(spec.root.resolve(), theme.load_theme(spec.theme, spec.options).dirs)
        else:
            chosen = theme.load_theme(settings.theme)
            root = (settings.root or target.path.parent).resolve()
            own = [target.path, *_theme_files(chosen.dirs)]
            with contextlib.suppress(ConvertError):  # a broken article still has its file
                where = LoadOptions(
                    root=root, max_bytes=settings.limits.max_input_bytes, dialect=settings.dialect
                )
                cover = load(target.path, Report(), where).meta.cover
                if cover is not None:
                    own.append(cover)
            roots = Roots(root, chosen.dirs)
    except ConvertError:
        if previous is None:
            fallback = (settings.root or target.path.parent).resolve()
            previous = Sources(frozenset(), Roots(fallback))
        return replace(previous, files=previous.files | _forms([target.path]))
    files = set(own)
    if document is not None and document.is_file():
        # Only the content root's: theme files are all watched already, and anything else
        # the document names the renderer would refuse to read.
        named = referenced_files(document.read_text(encoding="utf-8"))
        files |= {p for p in named if p.resolve().is_relative_to(roots.content)}
    return Sources(_forms(files), roots, frozenset(own) if target.book else frozenset())


# ---------------------------------------------------------------------------------------
# Watching folders


class _Watcher:
    """``watchfiles`` over ``folders`` (not recursively) in a thread; each batch of
    changes goes onto ``inbox`` as a list of (change, path), an exception as itself."""

    def __init__(self, folders: frozenset[Path], inbox: queue.Queue) -> None:
        self.folders = folders
        self._stop = threading.Event()
        self._inbox = inbox
        self._thread = threading.Thread(target=self._run, name="pressroom-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for changes in watchfiles.watch(
                *sorted(self.folders),
                watch_filter=None,  # every change: which matter is decided against the sources
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                stop_event=self._stop,
                recursive=False,
                raise_interrupt=False,
                ignore_permission_denied=True,
            ):
                self._inbox.put([(change, Path(path)) for change, path in changes])
        except Exception as exc:  # a watched folder went away: the loop watches anew
            if not self._stop.is_set():
                self._inbox.put(exc)

    def close(self) -> None:
        self._stop.set()
        # watchfiles looks at the event every STEP_MS; the timeout only guards a hang.
        self._thread.join(timeout=5)


def _changed(
    batches: Iterable[list[tuple[watchfiles.Change, Path]] | Exception],
    target: Target,
    current: Sources,
) -> tuple[set[Path], bool]:
    """The paths among ``batches`` that the outputs depend on, and whether the watcher
    must start again (it failed, or a book's dependencies changed with a file that came
    or went)."""
    hits: set[Path] = set()
    restart = False
    outdir = target.outdir.resolve()
    for batch in batches:
        if isinstance(batch, Exception):
            restart = True
            continue
        for change, path in batch:
            if path.is_relative_to(outdir):
                continue  # our own writes
            if path in current:
                hits.add(path)
            elif target.book and change != watchfiles.Change.modified:
                # A file came or went: a glob in the manifest may pick it up now.
                with contextlib.suppress(ConvertError):
                    if frozenset(dependencies(target.path)) != current.book_files:
                        hits.add(path)
                        restart = True
    return hits, restart


def _drain(inbox: queue.Queue) -> list:
    items = []
    with contextlib.suppress(queue.Empty):
        while True:
            items.append(inbox.get_nowait())
    return items


# ---------------------------------------------------------------------------------------
# Building


@dataclass(slots=True)
class _Step:
    outcome: Outcome
    outputs: dict[str, Path] = field(default_factory=dict)  # promoted into OUTDIR


def build(target: Target, formats: tuple[str, ...]) -> _Step:
    """One build of ``target`` in ``formats`` under the one error policy, written into
    ``OUTDIR/.watch`` and moved into ``OUTDIR`` only when it succeeded."""
    settings = replace(target.settings, formats=formats)
    staging = target.outdir / STAGING

    def work(report: Report) -> Mapping[str, Path]:
        if target.book:
            return build_book(target.path, staging, settings, report=report).outputs
        return convert_article(target.path, staging, settings, report)

    outcome = run_document(target.path, work, settings)
    step = _Step(outcome)
    if outcome.error is not None:
        return step
    try:
        for fmt, path in outcome.outputs.items():
            final = target.outdir / path.name
            os.replace(path, final)
            step.outputs[fmt] = final
    except OSError as exc:
        outcome.error = WriteError(
            f"could not move the new {path.name} into {target.outdir}: {exc.strerror or exc}",
            path=target.outdir / path.name,
        )
    return step


def _names(outputs: Mapping[str, Path]) -> str:
    return ", ".join(str(p) for p in outputs.values())


def _sorted(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    return tuple(sorted(diagnostics, key=_order))


def _tally(diagnostics: Iterable[Diagnostic]) -> str:
    counts = Counter(d.severity for d in diagnostics)
    words = [(Severity.ERROR, "error"), (Severity.WARNING, "warning")]
    said = [f"{counts[s]} {w}{'s' if counts[s] != 1 else ''}" for s, w in words if counts[s]]
    return f" ({', '.join(said)})" if said else ""


class _Loop:
    """The build loop: state between builds, and what each step tells the terminal and
    the preview."""

    def __init__(self, target: Target, log: Log, preview: Preview | None) -> None:
        self.target = target
        self.log = log
        self.preview = preview
        self.inbox: queue.Queue = queue.Queue()
        self.sources = sources(target)
        self.watcher = _Watcher(self.sources.folders(), self.inbox)
        self.number = 0
        self.status = Status(str(target.path), roots=self.sources.roots)
        formats = target.settings.formats
        self.first = ("html",) if preview is not None else formats
        self.rest = tuple(f for f in formats if f not in self.first)
        self.first_label = "preview" if preview is not None else ", ".join(formats)
        self.rest_label = ", ".join(f.upper() for f in self.rest)

    def _publish(self, **changes: object) -> None:
        self.status = replace(self.status, **changes)
        if self.preview is not None:
            self.preview.publish(self.status)

    def _watch_again(self) -> None:
        folders = self.sources.folders()
        if folders != self.watcher.folders:
            # The new watcher starts before the old one stops, so no save falls between.
            old, self.watcher = self.watcher, _Watcher(folders, self.inbox)
            old.close()

    def pending(self, *, wait: bool) -> set[Path]:
        """The changed sources waiting in the inbox; with ``wait``, block until there
        are some."""
        hits: set[Path] = set()
        while True:
            batches = _drain(self.inbox)
            if not batches and wait and not hits:
                with contextlib.suppress(queue.Empty):
                    batches = [self.inbox.get(timeout=0.5)]
            found, restart = _changed(batches, self.target, self.sources)
            hits |= found
            if restart:
                self.sources = sources(self.target, self.sources, self.status.document)
                self.watcher.close()  # it failed, or the folders to watch changed
                self.watcher = _Watcher(self.sources.folders(), self.inbox)
            if hits or not wait:
                return hits

    def once(self, changed: set[Path]) -> set[Path]:
        """One build: the preview, then the other formats behind it. Returns the changes
        that came in meanwhile (the next build's, at once)."""
        self.number += 1
        if any(any(p.is_relative_to(d) for d in self.sources.roots.themes) for p in changed):
            theme.forget()  # theme.toml, templates and catalogs are cached per process
        assets.forget()  # the content root's image index: files may have come or gone
        self._publish(busy=self.first_label)
        first = build(self.target, self.first)
        outcome = first.outcome
        took = f"{self.first_label} {outcome.seconds:.2f} s"
        if outcome.error is not None:
            error = str(outcome.error)
            self.log.failed("first", error)
            self._publish(busy="", error=error)
            kept = f"build {self.status.build}" if self.status.build else "no build"
            self.log.line(f"build {self.number} failed ({took}); the outputs of {kept} stay")
            self.sources = sources(self.target, self.sources, self.status.document)
            self._watch_again()
            return self.pending(wait=False)
        self.log.succeeded("first")
        diagnostics = list(outcome.report)
        document = first.outputs.get("html", self.status.document)
        self.sources = sources(self.target, self.sources, document)
        self._watch_again()
        self._publish(
            document=document,
            outputs={**self.status.outputs, **first.outputs},
            error=None,
            diagnostics=_sorted(diagnostics),
            build=self.number,
            built=time.strftime("%H:%M:%S"),
            took=took,
            roots=self.sources.roots,
            busy=self.rest_label,
        )
        if not self.rest:
            self.log.settle(diagnostics)
            names = _names(first.outputs)
            self.log.line(f"build {self.number}: {took} → {names}{_tally(diagnostics)}")
            return self.pending(wait=False)
        self.log.add(diagnostics)
        waiting = self.pending(wait=False)
        if waiting:
            self._publish(busy="")
            self.log.line(
                f"build {self.number}: {took}; {self.rest_label} deferred "
                "(the sources changed again)"
            )
            return waiting
        second = build(self.target, self.rest)
        later = f"{self.rest_label} {second.outcome.seconds:.2f} s"
        if second.outcome.error is not None:
            error = str(second.outcome.error)
            self.log.failed("rest", error)
            self._publish(busy="", error=error)
            self.log.line(
                f"build {self.number}: {took}; {later} failed; the {self.rest_label} of an "
                "earlier build stay"
            )
            return self.pending(wait=False)
        self.log.succeeded("rest")
        # The whole build's findings: the preview's and those only the other formats have
        # (both steps read the sources, so the shared ones are counted once).
        combined = list(second.outcome.report)
        combined += _unmatched(diagnostics, Counter(map(_at, combined)), _at)
        self.log.settle(combined)
        self._publish(
            busy="",
            took=f"{took}; {later}",
            outputs={**self.status.outputs, **second.outputs},
            diagnostics=_sorted(combined),
        )
        names = _names({**first.outputs, **second.outputs})
        self.log.line(f"build {self.number}: {took}; {later} → {names}{_tally(combined)}")
        return self.pending(wait=False)

    def forever(self) -> None:
        changed: set[Path] = set()
        while True:
            changed = self.once(changed) or self.pending(wait=True)

    def close(self) -> None:
        self.watcher.close()


@contextlib.contextmanager
def _handled(signum: int, handler: Any) -> Iterator[None]:
    """``handler`` for ``signum`` while the block runs (in the main thread only, where
    Python runs signal handlers; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signum, handler)
    try:
        yield
    finally:
        signal.signal(signum, previous)


def run(
    target: Target,
    *,
    serve: bool = True,
    port: int = 0,
    quiet: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Watch ``target`` until Ctrl-C or SIGTERM (see the module docstring); 0 then, 2 if
    the preview's port cannot be had."""
    log = Log(quiet=quiet, out=out, err=err)
    preview = server = loop = None
    # SIGTERM stops the watch the way Ctrl-C does.
    with _handled(signal.SIGTERM, signal.default_int_handler):
        try:
            if serve:
                preview = Preview(str(target.path))
                try:
                    server = PreviewServer(preview, target.outdir, port)
                except OSError as exc:
                    print(
                        f"pressroom: error: cannot listen on 127.0.0.1:{port}: "
                        f"{exc.strerror or exc}",
                        file=log.err,
                    )
                    return 2
                print(f"Preview: {server.url} (Ctrl-C stops)", file=log.out, flush=True)
            else:
                print(f"Watching {target.path} (Ctrl-C stops)", file=log.out, flush=True)
            loop = _Loop(target, log, preview)
            loop.forever()
        except KeyboardInterrupt:
            pass
        finally:
            # Ctrl-C pressed again while shutting down must not leave a traceback.
            with _handled(signal.SIGINT, signal.SIG_IGN):
                if loop is not None:
                    loop.close()
                if server is not None:
                    server.close()
    print("pressroom watch: stopped", file=log.err, flush=True)
    return 0

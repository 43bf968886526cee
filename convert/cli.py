"""Command line: ``pressroom convert|check|fix|themes`` (``main(argv) -> int``).

Exit status: 0 success (warnings allowed), 1 a document failed (or warnings under
``--strict``), 2 usage error. A document that cannot be converted gets one line on stderr,
``path: error: why [code]``, never a traceback, and leaves no output file.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from . import __version__
from .config import ConfigError, load_settings, rule_names
from .diagnostics import Report, Severity
from .errors import ConvertError
from .files import atomic_output
from .fixer import fixed_text
from .load import LoadOptions, decode, load, read_bytes
from .normalize import normalize
from .pipeline import FORMATS, Options, convert_article
from .profiles import PROFILES
from .theme import available, load_theme, read_info


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line and exit 2, as argparse does, no usage dump
        self.exit(
            2, f"pressroom: error: {message} (see pressroom {self.prog.split()[-1]} --help)\n"
        )


def _formats(text: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in items if f not in FORMATS]
    if unknown or not items:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}"
        )
    return items


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pressroom", description="Markdown articles → repaired PDF and EPUB 3.")
    parser.add_argument("--version", action="version", version=f"pressroom {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    conv = sub.add_parser("convert", help="convert Markdown files to PDF, EPUB and/or HTML")
    conv.add_argument("inputs", nargs="+", type=Path, metavar="INPUT")
    conv.add_argument("-o", "--outdir", type=Path, default=Path("build"))
    conv.add_argument(
        "--format",
        type=_formats,
        default=("pdf", "epub"),
        dest="formats",
        help="comma-separated: pdf,epub,html (default: pdf,epub)",
    )
    conv.add_argument("--theme", default="base", help="theme name or theme folder")
    conv.add_argument("--profile", choices=list(PROFILES), default="screen")
    conv.add_argument("--root", type=Path, help="content root (default: each input's folder)")
    conv.add_argument("--strict", action="store_true", help="fail a document on any warning")
    conv.add_argument("--report", type=Path, metavar="FILE.json", help="write diagnostics as JSON")
    conv.add_argument(
        "--remote-images",
        default="",
        metavar="HOST[,HOST]",
        help="download images from these hosts once into a cache and embed them "
        "(default: none; remote images become links)",
    )
    conv.add_argument(
        "--allow-remote",
        action="store_true",
        help="let the PDF renderer fetch http(s) resources (off by default)",
    )
    conv.add_argument(
        "--page-list",
        action="store_true",
        help="with only EPUB asked for: lay out the PDF anyway, so the EPUB carries the "
        "print page numbers and a page list (slower; with pdf they are always there)",
    )
    conv.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    _limit_arguments(conv)
    conv.set_defaults(run=_convert)
    _config_arguments(conv)

    check = sub.add_parser("check", help="print diagnostics only; write nothing")
    check.add_argument("inputs", nargs="+", type=Path, metavar="INPUT")
    check.add_argument("--json", action="store_true", help="diagnostics as JSON on stdout")
    check.add_argument("--root", type=Path)
    check.add_argument("--strict", action="store_true")
    check.add_argument("--max-input-mb", type=_positive, default=DEFAULT_MAX_INPUT_MB, metavar="MB")
    check.set_defaults(run=_check)
    _config_arguments(check)

    fix = sub.add_parser("fix", help="write the normalized Markdown")
    fix.add_argument("inputs", nargs="+", type=Path, metavar="INPUT")
    where = fix.add_mutually_exclusive_group(required=True)
    where.add_argument("-o", "--outdir", type=Path)
    where.add_argument("--in-place", action="store_true")
    fix.add_argument("--diff", action="store_true", help="also print a unified diff")
    fix.add_argument("--root", type=Path)
    fix.set_defaults(run=_fix)
    _config_arguments(fix)

    book = sub.add_parser("book", help="bind the chapters of a book.toml into one PDF and EPUB")
    book.add_argument("manifest", type=Path, metavar="BOOK.toml")
    book.add_argument("-o", "--outdir", type=Path, default=Path("build"))
    book.add_argument("--format", type=_formats, default=("pdf", "epub"), dest="formats")
    book.add_argument("--profile", choices=list(PROFILES), default="screen")
    book.add_argument("--report", type=Path, metavar="FILE.json")
    book.add_argument("--strict", action="store_true")
    book.add_argument("--no-cache", action="store_true", help="ignore OUTDIR/.cache")
    book.add_argument(
        "--page-list",
        action="store_true",
        help="with only EPUB asked for: lay out the PDF anyway, so the EPUB carries the "
        "print page numbers and a page list (slower; with pdf they are always there)",
    )
    book.add_argument(
        "--depfile",
        type=Path,
        metavar="FILE.d",
        help="write make dependencies of the outputs (like cc -MD)",
    )
    book.add_argument("-q", "--quiet", action="store_true")
    book.set_defaults(run=_book)

    batch = sub.add_parser("batch", help="convert a whole content tree, incrementally")
    batch.add_argument("src", type=Path, metavar="DIR")
    batch.add_argument("-o", "--outdir", type=Path, default=Path("build/export"))
    batch.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes (default: all cores)",
    )
    batch.add_argument("--format", type=_formats, default=("pdf", "epub"), dest="formats")
    batch.add_argument("--theme", default="base")
    batch.add_argument("--profile", choices=list(PROFILES), default="screen")
    batch.add_argument("--force", action="store_true", help="rebuild everything")
    batch.add_argument("--report", type=Path, metavar="FILE.json")
    batch.add_argument("--junit", type=Path, metavar="FILE.xml", help="JUnit XML report")
    batch.add_argument(
        "--archive",
        type=Path,
        metavar="FILE.zip",
        help="also pack outputs, manifest and report into one zip",
    )
    batch.add_argument("--timeout", type=float, default=300.0, help="seconds per document")
    batch.add_argument("--max-tasks-per-child", type=int, default=200)
    batch.add_argument(
        "--max-memory",
        type=int,
        default=2048,
        metavar="MB",
        help="a worker above this after a document is replaced",
    )
    batch.add_argument("--executor", choices=("local", "celery"), default="local")
    batch.set_defaults(run=_batch)

    worker = sub.add_parser("worker", help="start a Celery worker for --executor celery")
    worker.add_argument("--concurrency", type=int, default=os.cpu_count() or 1)
    worker.add_argument("--max-tasks-per-child", type=int, default=200)
    worker.add_argument("--max-memory", type=int, default=2048, metavar="MB")
    worker.add_argument("--timeout", type=float, default=300.0, help="seconds per document")
    worker.add_argument("--loglevel", default="INFO")
    worker.set_defaults(run=_worker)

    check_file = sub.add_parser(
        "preflight", help="check any PDF or EPUB against a print, archive or store profile"
    )
    check_file.add_argument("files", nargs="+", type=Path, metavar="FILE")
    check_file.add_argument(
        "--profile", choices=list(PROFILES), default="print", help="default: print (PDF/X-4)"
    )
    check_file.add_argument("--json", action="store_true", help="findings as JSON on stdout")
    check_file.set_defaults(run=_preflight)

    themes = sub.add_parser("themes", help="list themes and their inheritance")
    themes.set_defaults(run=_themes)
    return parser


DEFAULT_MAX_INPUT_MB = 20.0
DEFAULT_TIMEOUT = 600.0
DEFAULT_MAX_MEMORY_MB = 4096
MIN_MEMORY_MB = 512


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return value


def _limit_arguments(parser: argparse.ArgumentParser) -> None:
    """Per-document resource limits (every article is untrusted input)."""
    parser.add_argument(
        "--max-input-mb",
        type=_positive,
        default=DEFAULT_MAX_INPUT_MB,
        metavar="MB",
        help=f"refuse larger source files (default {DEFAULT_MAX_INPUT_MB:g})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"wall time per document, 0 for none (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-memory",
        type=int,
        default=DEFAULT_MAX_MEMORY_MB,
        metavar="MB",
        help=f"address-space ceiling of the process, 0 for none (default {DEFAULT_MAX_MEMORY_MB})",
    )


class _OverTime(BaseException):
    """Raised by the alarm inside a document; a BaseException so that no library's
    ``except Exception`` turns it into its own error on the way out."""


@contextlib.contextmanager
def _time_limit(seconds: float, path: Path) -> Iterator[None]:
    """Abort the document after ``seconds`` of wall time (``convert.timeout``). Uses
    SIGALRM, so only in the main thread (elsewhere, e.g. an embedding host, no limit)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _OverTime

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _OverTime:
        raise ConvertError(
            f"over the {seconds:g} s time limit (--timeout)", path=path, code="convert.timeout"
        ) from None
    except MemoryError:
        raise ConvertError(
            "over the memory ceiling (--max-memory)", path=path, code="convert.memory"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _memory_ceiling(megabytes: int) -> Iterator[None]:
    """Cap this process's address space while documents convert: an allocation past it is
    a ``MemoryError`` (reported per document as ``convert.memory``) instead of the machine
    swapping. The previous limit comes back afterwards, so a caller that runs ``main()``
    in its own process (tests, an embedding program) and its later children keep theirs."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    lowered = megabytes > 0 and (soft == resource.RLIM_INFINITY or limit < soft)
    if lowered:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        except (ValueError, OSError):
            lowered = False
    try:
        yield
    finally:
        if lowered:
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _config_arguments(parser: argparse.ArgumentParser) -> None:
    """--severity, --disable, --markdown: on top of pyproject.toml / pressroom.toml
    (config.py)."""
    parser.add_argument(
        "--markdown",
        metavar="DIALECT",
        help="dialect of documents whose frontmatter names none: commonmark (default; GFM "
        "extensions included) or python-markdown",
    )
    parser.add_argument(
        "--severity",
        action="append",
        default=[],
        metavar="CODE=LEVEL",
        help="report CODE as info, warning, error or off (repeatable)",
    )
    parser.add_argument(
        "--disable",
        action="append",
        default=[],
        metavar="RULE",
        help=f"do not run the normalization rule RULE (repeatable): {', '.join(rule_names())}",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(args, "disable"):  # convert, check, fix: read the configuration once
        try:
            args.settings = load_settings(
                severity=args.severity, disable=args.disable, dialect=args.markdown
            )
        except ConfigError as exc:
            print(f"pressroom: error: {exc}", file=sys.stderr)
            return 2
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("pressroom: interrupted", file=sys.stderr)
        return 130
    except ConvertError as exc:  # a theme or setup problem that stops every document
        print(f"pressroom: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader of our output went away (`pressroom check … | head`): not an error of
        # ours. Python would complain again when it flushes stdout at exit.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141 if os.name == "posix" else 1


def _duplicate_stems(inputs: Sequence[Path]) -> str | None:
    seen: dict[str, Path] = {}
    for path in inputs:
        if path.stem in seen and seen[path.stem] != path:
            return f"{seen[path.stem]} and {path} would write the same output names"
        seen[path.stem] = path
    return None


def _print_diagnostics(report: Report, *, quiet: bool = False) -> None:
    for diagnostic in report.sorted():
        if quiet and diagnostic.severity < Severity.ERROR:
            continue
        print(diagnostic, file=sys.stderr)


def _each(
    inputs: Sequence[Path],
    job: Callable[[Path, Report], None],
    *,
    strict: bool,
    overrides: Mapping[str, Severity | None] | None = None,
) -> tuple[int, Report]:
    """Run ``job`` per input with its own report; a failing input never stops the rest."""
    status = 0
    everything = Report(overrides)
    for path in inputs:
        report = Report(overrides)
        try:
            job(path, report)
        except ConvertError as exc:
            if exc.path is None:
                exc.path = path
            print(exc, file=sys.stderr)
            status = 1
        except RecursionError:
            # Limits no stage caught in time: this document fails, the others go on.
            print(
                ConvertError("nested too deeply", path=path, code="convert.too-deep"),
                file=sys.stderr,
            )
            status = 1
        except MemoryError:
            print(ConvertError("out of memory", path=path, code="convert.memory"), file=sys.stderr)
            status = 1
        worst = report.worst()
        if worst is not None and (
            worst >= Severity.ERROR or (strict and worst >= Severity.WARNING)
        ):
            status = 1
        everything.extend(report)
    return status, everything


def _convert(args: argparse.Namespace) -> int:
    if clash := _duplicate_stems(args.inputs):
        print(f"pressroom: error: {clash}", file=sys.stderr)
        return 2
    if 0 < args.max_memory < MIN_MEMORY_MB:
        # Below this, Pango and GLib cannot even start their threads and abort the process.
        print(
            f"pressroom: error: --max-memory must be 0 or at least {MIN_MEMORY_MB}", file=sys.stderr
        )
        return 2
    load_theme(args.theme)  # a bad theme is one error up front, not one per document
    options = Options(
        formats=args.formats,
        theme=args.theme,
        profile=args.profile,
        root=args.root,
        strict=args.strict,
        allow_remote=args.allow_remote,
        remote_images=tuple(h for h in args.remote_images.split(",") if h.strip()),
        rules=args.settings.rules,
        max_input_bytes=int(args.max_input_mb * 1024 * 1024),
        dialect=args.settings.dialect,
        page_list=args.page_list,
    )

    def job(path: Path, report: Report) -> None:
        started = time.perf_counter()
        try:
            with _memory_ceiling(args.max_memory), _time_limit(args.timeout, path):
                written = convert_article(path, args.outdir, options, report)
        finally:
            _print_diagnostics(report, quiet=args.quiet)
        if not args.quiet:
            names = ", ".join(str(p) for p in written.values())
            print(f"{path} → {names} ({time.perf_counter() - started:.2f} s)")

    status, everything = _each(
        args.inputs, job, strict=args.strict, overrides=args.settings.severity
    )
    if args.report:
        with atomic_output(args.report) as tmp:
            tmp.write_text(everything.to_json() + "\n", encoding="utf-8")
    return status


def _check(args: argparse.Namespace) -> int:
    limit = int(args.max_input_mb * 1024 * 1024)

    def job(path: Path, report: Report) -> None:
        options = LoadOptions(root=args.root, max_bytes=limit, dialect=args.settings.dialect)
        loaded = load(path, report, options)
        normalize(loaded, report, args.settings.rules)

    status, everything = _each(
        args.inputs, job, strict=args.strict, overrides=args.settings.severity
    )
    if args.json:
        print(everything.to_json())
    else:
        _print_diagnostics(everything)
    return status


def _fix(args: argparse.Namespace) -> int:
    if args.outdir and (clash := _duplicate_stems(args.inputs)):
        print(f"pressroom: error: {clash}", file=sys.stderr)
        return 2

    def job(path: Path, report: Report) -> None:
        loaded = Report()  # unfiltered: fixer must know if the frontmatter was ignored
        before = load(path, loaded, LoadOptions(root=args.root, dialect=args.settings.dialect))
        report.extend(loaded)
        article = normalize(before, report, args.settings.rules)
        original = decode(read_bytes(path), path)
        # Metadata repairs go back into the frontmatter, in place (fixer.py).
        fixed = fixed_text(original, before.meta, article.meta, article.markdown, loaded.codes())
        out = path if args.in_place else args.outdir / path.name
        if args.diff:
            sys.stdout.writelines(
                difflib.unified_diff(
                    original.splitlines(keepends=True),
                    fixed.splitlines(keepends=True),
                    fromfile=str(path),
                    tofile=str(out),
                )
            )
        with atomic_output(out) as tmp:
            tmp.write_text(fixed, encoding="utf-8")
        _print_diagnostics(report)

    status, _ = _each(args.inputs, job, strict=False, overrides=args.settings.severity)
    return status


def _preflight(args: argparse.Namespace) -> int:
    """Findings in the diagnostic format; exit 1 when any is a warning or an error."""
    from .preflight import preflight
    from .profiles import get

    profile = get(args.profile)
    status = 0
    everything = Report()
    for path in args.files:
        try:
            findings = preflight(path, profile)
        except ConvertError as exc:
            print(exc, file=sys.stderr)
            status = 1
            continue
        everything.extend(findings)
        if any(d.severity >= Severity.WARNING for d in findings):
            status = 1
    if args.json:
        print(everything.to_json())
    else:
        for diagnostic in everything:
            print(diagnostic)
        if not args.json:
            worst = sum(1 for d in everything if d.severity >= Severity.WARNING)
            names = ", ".join(str(p) for p in args.files)
            verdict = f"{worst} finding(s)" if worst else "passes"
            print(f"{names}: {profile.name} ({profile.standard}): {verdict}", file=sys.stderr)
    return status


def _themes(args: argparse.Namespace) -> int:
    for name, folder in sorted(available().items()):
        info = read_info(folder)
        chain = load_theme(name).chain
        lineage = " → ".join(t.name for t in chain)
        print(f"{name:<12} {lineage:<24} {info.description}")
    return 0


def _batch(args: argparse.Namespace) -> int:
    from .batch import Settings, report_json, report_junit, run_batch, write_archive
    from .executors.local import Limits

    if not args.src.is_dir():
        print(f"pressroom: error: {args.src} is not a folder", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("pressroom: error: --jobs must be at least 1", file=sys.stderr)
        return 2
    settings = Settings(formats=args.formats, theme=args.theme, profile=args.profile)
    limits = Limits(
        jobs=args.jobs,
        timeout=args.timeout,
        max_tasks=args.max_tasks_per_child,
        max_memory_mb=args.max_memory,
    )
    runner = None
    if args.executor == "celery":
        from .executors.celery import run_celery

        runner = run_celery
    with _BatchProgress(args.src) as progress:
        result = run_batch(
            args.src,
            args.outdir,
            settings,
            limits=limits,
            force=args.force,
            progress=progress.update,
            **({"runner": runner} if runner else {}),
        )
    for entry in result.documents.values():
        if entry.get("status") == "failed" and entry.get("error"):
            print(entry["error"]["message"], file=sys.stderr)
    extra: list[Path] = []
    if args.report:
        with atomic_output(args.report) as tmp:
            tmp.write_text(report_json(result) + "\n", encoding="utf-8")
        extra.append(args.report)
    if args.junit:
        with atomic_output(args.junit) as tmp:
            tmp.write_text(report_junit(result), encoding="utf-8")
        extra.append(args.junit)
    if args.archive:
        write_archive(args.outdir.resolve(), args.archive, [p.resolve() for p in extra])
    print(f"pressroom batch: {result.summary()}")
    return 1 if result.failed else 0


class _BatchProgress:
    """A progress bar on a terminal; nothing (one summary line at the end) under cron."""

    def __init__(self, src: Path) -> None:
        self.bar = None
        if sys.stderr.isatty():
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.task = self.bar.add_task(f"converting {src}", total=None)

    def __enter__(self) -> _BatchProgress:
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar:
            self.bar.stop()

    def update(self, entry: dict) -> None:
        if self.bar:
            self.bar.advance(self.task)


def _worker(args: argparse.Namespace) -> int:
    from .executors.celery import start_worker

    return start_worker(
        concurrency=args.concurrency,
        max_tasks_per_child=args.max_tasks_per_child,
        max_memory_mb=args.max_memory,
        timeout=args.timeout,
        loglevel=args.loglevel,
    )


def _book(args: argparse.Namespace) -> int:
    from .book import build_book, dependencies

    report = Report()
    started = time.perf_counter()
    try:
        result = build_book(
            args.manifest,
            args.outdir,
            formats=args.formats,
            profile=args.profile,
            report=report,
            use_cache=not args.no_cache,
            page_list=args.page_list,
        )
    except ConvertError as exc:
        _print_diagnostics(report, quiet=args.quiet)
        if exc.path is None:
            exc.path = args.manifest
        print(exc, file=sys.stderr)
        return 1
    _print_diagnostics(report, quiet=args.quiet)
    if args.report:
        with atomic_output(args.report) as tmp:
            tmp.write_text(report.to_json() + "\n", encoding="utf-8")
    if args.depfile:
        targets = " ".join(str(p) for p in result.outputs.values())
        deps = " ".join(str(p) for p in dependencies(args.manifest))
        with atomic_output(args.depfile) as tmp:
            tmp.write_text(f"{targets}: {deps}\n", encoding="utf-8")
    if not args.quiet:
        names = ", ".join(str(p) for p in result.outputs.values())
        print(
            f"{args.manifest} → {names}: {result.chapters} chapters, {result.pages} pages "
            f"({time.perf_counter() - started:.1f} s; {result.cache_hits} chapters from cache)"
        )
    worst = report.worst()
    if worst is not None and (
        worst >= Severity.ERROR or (args.strict and worst >= Severity.WARNING)
    ):
        return 1
    return 0

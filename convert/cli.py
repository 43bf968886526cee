"""Command line: ``pressroom convert|check|fix|book|watch|batch|worker|preflight|themes``
(``main(argv) -> int``).

Every command that reads documents builds one ``Settings`` (configuration file, then
flags; the shared flags mean the same in each) and runs each document through the one
error policy (``runner.run_document``; a book is one document, a batch's documents run
in workers through the same policy).

Exit status: 0 success (warnings allowed), 1 a document failed or has an error-level
finding (or warnings under ``--strict``), 2 usage error. A document that cannot be
converted gets one line on stderr, ``path: error: why [code]``, never a traceback, and
leaves no output file.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from . import __version__
from .config import ConfigError, Limits, Settings, load_settings, rule_names
from .diagnostics import Report, Severity
from .errors import ConvertError
from .files import atomic_output
from .fixer import fixed_text
from .load import LoadOptions, decode, load, read_bytes
from .normalize import normalize
from .pipeline import FORMATS, convert_article, read
from .profiles import PROFILES
from .runner import MIN_MEMORY_MB, Outcome, run_document
from .theme import available, load_theme, read_info


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line and exit 2, as argparse does, no usage dump
        # self.prog is "pressroom" for the main parser, "pressroom batch" for a command's.
        self.exit(2, f"pressroom: error: {message} (see {self.prog} --help)\n")


def _formats(text: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in items if f not in FORMATS]
    if unknown or not items:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}"
        )
    return items


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0-65535)")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pressroom", description="Markdown articles → repaired PDF and EPUB 3.")
    parser.add_argument("--version", action="version", version=f"pressroom {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    conv = sub.add_parser("convert", help="convert Markdown files to PDF, EPUB and/or HTML")
    conv.add_argument("inputs", nargs="+", type=Path, metavar="INPUT")
    conv.add_argument("-o", "--outdir", type=Path, default=Path("build"))
    _output_arguments(conv, theme=True)
    conv.add_argument("--root", type=Path, help="content root (default: each input's folder)")
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
    _page_list_argument(conv)
    _run_arguments(conv)
    conv.set_defaults(run=_convert)

    check = sub.add_parser("check", help="print diagnostics only; write nothing")
    check.add_argument("inputs", nargs="+", type=Path, metavar="INPUT")
    check.add_argument("--json", action="store_true", help="diagnostics as JSON on stdout")
    check.add_argument("--root", type=Path)
    _run_arguments(check, report=False, quiet=False)
    check.set_defaults(run=_check)

    fix = sub.add_parser("fix", help="write the normalized Markdown")
    fix.add_argument("inputs", nargs="+", type=Path, metavar="INPUT")
    where = fix.add_mutually_exclusive_group(required=True)
    where.add_argument("-o", "--outdir", type=Path)
    where.add_argument("--in-place", action="store_true")
    fix.add_argument("--diff", action="store_true", help="also print a unified diff")
    fix.add_argument("--root", type=Path)
    _run_arguments(fix, report=False, quiet=False, strict=False)
    fix.set_defaults(run=_fix)

    book = sub.add_parser("book", help="bind the chapters of a book.toml into one PDF and EPUB")
    book.add_argument("manifest", type=Path, metavar="BOOK.toml")
    book.add_argument("-o", "--outdir", type=Path, default=Path("build"))
    _output_arguments(book, theme=False)
    book.add_argument("--no-cache", action="store_true", help="ignore OUTDIR/.cache")
    book.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="lay the chapters out in N worker processes (default: the cores; "
        "0: the book as one document, in one layout)",
    )
    _page_list_argument(book)
    book.add_argument(
        "--depfile",
        type=Path,
        metavar="FILE.d",
        help="write make dependencies of the outputs (like cc -MD)",
    )
    _run_arguments(book)
    book.set_defaults(run=_book)

    watch = sub.add_parser(
        "watch", help="rebuild a book or an article on save, with a live preview on 127.0.0.1"
    )
    watch.add_argument("input", type=Path, metavar="BOOK.toml|FILE.md")
    watch.add_argument("-o", "--outdir", type=Path, default=Path("build"))
    watch.add_argument(
        "--format",
        type=_formats,
        default=("pdf", "epub"),
        dest="formats",
        help="what is rebuilt behind the preview, comma-separated: pdf,epub,html "
        "(default: pdf,epub; the preview's HTML is always written)",
    )
    watch.add_argument("--theme", help="an article's theme name or folder (default: base)")
    watch.add_argument("--profile", choices=list(PROFILES), default="screen")
    watch.add_argument("--root", type=Path, help="an article's content root (default: its folder)")
    watch.add_argument(
        "--port",
        type=_port,
        default=0,
        help="the preview's port on 127.0.0.1 (default: a free one, printed)",
    )
    watch.add_argument(
        "--no-serve", action="store_true", help="rebuild on save only: no preview server"
    )
    _run_arguments(watch, report=False)
    watch.set_defaults(run=_watch)

    batch = sub.add_parser("batch", help="convert a whole content tree, incrementally")
    batch.add_argument("src", type=Path, metavar="DIR")
    batch.add_argument("-o", "--outdir", type=Path, default=Path("build/export"))
    batch.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes (default: all cores)",
    )
    _output_arguments(batch, theme=True)
    batch.add_argument("--force", action="store_true", help="rebuild everything")
    batch.add_argument("--junit", type=Path, metavar="FILE.xml", help="JUnit XML report")
    batch.add_argument(
        "--archive",
        type=Path,
        metavar="FILE.zip",
        help="also pack outputs, manifest and report into one zip",
    )
    batch.add_argument(
        "--max-tasks-per-child", type=int, default=200, help="documents per worker process"
    )
    batch.add_argument("--executor", choices=("local", "celery"), default="local")
    _run_arguments(batch)
    batch.set_defaults(run=_batch)

    worker = sub.add_parser("worker", help="start a Celery worker for --executor celery")
    worker.add_argument("--concurrency", type=int, default=os.cpu_count() or 1)
    worker.add_argument("--max-tasks-per-child", type=int, default=200)
    _limit_arguments(worker, input_size=False)
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


def _output_arguments(parser: argparse.ArgumentParser, *, theme: bool) -> None:
    """What to make: formats, the theme (a book names its own), the profile."""
    parser.add_argument(
        "--format",
        type=_formats,
        default=("pdf", "epub"),
        dest="formats",
        help="comma-separated: pdf,epub,html (default: pdf,epub)",
    )
    if theme:
        parser.add_argument("--theme", default="base", help="theme name or theme folder")
    parser.add_argument("--profile", choices=list(PROFILES), default="screen")


def _page_list_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--page-list",
        action="store_true",
        help="with only EPUB asked for: lay out the PDF anyway, so the EPUB carries the "
        "print page numbers and a page list (slower; with pdf they are always there)",
    )


def _run_arguments(
    parser: argparse.ArgumentParser,
    *,
    report: bool = True,
    quiet: bool = True,
    strict: bool = True,
) -> None:
    """The flags every command that reads documents shares, meaning the same in each:
    the configuration (--markdown, --severity, --disable), the limits, --strict, -q and
    --report."""
    _config_arguments(parser)
    _limit_arguments(parser)
    if strict:
        parser.add_argument("--strict", action="store_true", help="fail a document on any warning")
    if report:
        parser.add_argument(
            "--report", type=Path, metavar="FILE.json", help="write diagnostics as JSON"
        )
    if quiet:
        parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")


DEFAULTS = Limits()


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return value


def _limit_arguments(parser: argparse.ArgumentParser, *, input_size: bool = True) -> None:
    """Per-document resource limits (every article is untrusted input; a book is one
    document)."""
    if input_size:
        parser.add_argument(
            "--max-input-mb",
            type=_positive,
            default=DEFAULTS.max_input_mb,
            metavar="MB",
            help=f"refuse larger source files (default {DEFAULTS.max_input_mb:g})",
        )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULTS.timeout,
        metavar="SECONDS",
        help=f"wall time per document, 0 for none (default {DEFAULTS.timeout:g})",
    )
    parser.add_argument(
        "--max-memory",
        type=int,
        default=DEFAULTS.max_memory_mb,
        metavar="MB",
        help="address-space ceiling while a document converts, 0 for none "
        f"(default {DEFAULTS.max_memory_mb})",
    )


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


def settings_of(args: argparse.Namespace) -> Settings:
    """The run's ``Settings``: the configuration file found from the current folder
    upwards, then the command line's flags (those the command has)."""
    settings = load_settings(severity=args.severity, disable=args.disable, dialect=args.markdown)
    given = vars(args)
    if 0 < given.get("max_memory", 0) < MIN_MEMORY_MB:
        raise ConfigError(f"--max-memory must be 0 or at least {MIN_MEMORY_MB}")
    limits = Limits(
        max_input_mb=given.get("max_input_mb", DEFAULTS.max_input_mb),
        timeout=given.get("timeout", DEFAULTS.timeout),
        max_memory_mb=given.get("max_memory", DEFAULTS.max_memory_mb),
    )
    fields = {
        "formats": given.get("formats"),
        "theme": given.get("theme"),
        "profile": given.get("profile"),
        "root": given.get("root"),
        "strict": given.get("strict"),
        "allow_remote": given.get("allow_remote"),
        "page_list": given.get("page_list"),
    }
    hosts = given.get("remote_images") or ""
    return replace(
        settings,
        limits=limits,
        remote_images=tuple(h.strip() for h in hosts.split(",") if h.strip()),
        **{key: value for key, value in fields.items() if value is not None},
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(args, "disable"):  # the commands that read documents: configure them once
        try:
            args.settings = settings_of(args)
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
    work: Callable[[Path, Report], Mapping[str, Path]],
    settings: Settings,
    show: Callable[[Outcome], None],
) -> tuple[int, Report]:
    """Run ``work`` per input under the one error policy (``runner``); ``show`` prints
    each outcome as it comes. A failing input never stops the rest."""
    status = 0
    everything = Report(settings.severity)
    for path in inputs:
        outcome = run_document(path, lambda report, p=path: work(p, report), settings)
        show(outcome)
        if outcome.error is not None:
            print(outcome.error, file=sys.stderr)
        if outcome.failed(settings.strict):
            status = 1
        everything.extend(outcome.report)
    return status, everything


def _write_report(path: Path | None, report: Report) -> None:
    if path is not None:
        with atomic_output(path) as tmp:
            tmp.write_text(report.to_json() + "\n", encoding="utf-8")


def _convert(args: argparse.Namespace) -> int:
    if clash := _duplicate_stems(args.inputs):
        print(f"pressroom: error: {clash}", file=sys.stderr)
        return 2
    settings: Settings = args.settings
    load_theme(settings.theme)  # a bad theme is one error up front, not one per document

    def work(path: Path, report: Report) -> Mapping[str, Path]:
        return convert_article(path, args.outdir, settings, report)

    def show(outcome: Outcome) -> None:
        _print_diagnostics(outcome.report, quiet=args.quiet)
        if outcome.error is None and not args.quiet:
            names = ", ".join(str(p) for p in outcome.outputs.values())
            print(f"{outcome.path} → {names} ({outcome.seconds:.2f} s)")

    status, everything = _each(args.inputs, work, settings, show)
    _write_report(args.report, everything)
    return status


def _check(args: argparse.Namespace) -> int:
    settings: Settings = args.settings

    def work(path: Path, report: Report) -> Mapping[str, Path]:
        read(path, report, settings)
        return {}

    status, everything = _each(args.inputs, work, settings, lambda outcome: None)
    if args.json:
        print(everything.to_json())
    else:
        _print_diagnostics(everything)
    return status


def _fix(args: argparse.Namespace) -> int:
    if args.outdir and (clash := _duplicate_stems(args.inputs)):
        print(f"pressroom: error: {clash}", file=sys.stderr)
        return 2
    settings: Settings = args.settings

    def work(path: Path, report: Report) -> Mapping[str, Path]:
        loaded = Report()  # unfiltered: fixer must know if the frontmatter was ignored
        where = LoadOptions(
            root=settings.root,
            max_bytes=settings.limits.max_input_bytes,
            dialect=settings.dialect,
        )
        before = load(path, loaded, where)
        report.extend(loaded)
        article = normalize(before, report, settings.rules)
        original = decode(read_bytes(path, where.max_bytes), path)
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
        return {"md": out}

    status, _ = _each(
        args.inputs, work, settings, lambda outcome: _print_diagnostics(outcome.report)
    )
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
    from .batch import report_json, report_junit, run_batch, write_archive
    from .executors.local import Pool

    if not args.src.is_dir():
        print(f"pressroom: error: {args.src} is not a folder", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("pressroom: error: --jobs must be at least 1", file=sys.stderr)
        return 2
    settings: Settings = args.settings
    load_theme(settings.theme)  # a bad theme is one error up front, not one per document
    pool = Pool(jobs=args.jobs, max_tasks=args.max_tasks_per_child)
    runner = None
    if args.executor == "celery":
        from .executors.celery import run_celery

        runner = run_celery
    with _BatchProgress(args.src, quiet=args.quiet) as progress:
        result = run_batch(
            args.src,
            args.outdir,
            settings,
            pool=pool,
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
    if not args.quiet:
        print(f"pressroom batch: {result.summary()}")
    return 1 if result.failed or result.flagged else 0


class _BatchProgress:
    """A progress bar on a terminal; nothing (one summary line at the end) under cron."""

    def __init__(self, src: Path, *, quiet: bool = False) -> None:
        self.bar = None
        if sys.stderr.isatty() and not quiet:
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
    from .batch import scheduled
    from .executors.celery import register, start_worker

    register("pressroom.batch", scheduled)  # a whole export as one task, for Celery beat
    return start_worker(
        concurrency=args.concurrency,
        max_tasks_per_child=args.max_tasks_per_child,
        max_memory_mb=args.max_memory,
        timeout=args.timeout,
        loglevel=args.loglevel,
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def laid_out_line(result: object) -> str:
    """What a parallel layout did: the chapters laid out (the others came from the
    cache) and the pages that moved since the last build."""
    # A part laid out again in a later round (the contents, once the pages are known) is
    # named once.
    laid = [
        n
        for n in dict.fromkeys(result.laid_out)  # type: ignore[attr-defined]
        if n != "running heads and folios"
    ]
    shown = ", ".join(laid[:8]) + (f" and {len(laid) - 8} more" if len(laid) > 8 else "")
    text = f"laid out ({result.jobs} job{'s' if result.jobs > 1 else ''}): "
    text += shown or "nothing (every part from the cache)"
    if "running heads and folios" in result.laid_out:
        text += "; running heads and folios"
    if result.moved:
        name, was, now = result.moved[0]
        text += f"; pages moved: {len(result.moved)} chapter(s) from {name} (p. {was} → p. {now})"
    else:
        text += "; no pages moved"
    return text


def _book(args: argparse.Namespace) -> int:
    from .book import BookResult, build_book, dependencies

    settings: Settings = args.settings
    built: list[BookResult] = []
    seconds = 0.0

    def work(manifest: Path, report: Report) -> Mapping[str, Path]:
        result = build_book(
            manifest,
            args.outdir,
            settings,
            report=report,
            use_cache=not args.no_cache,
            jobs=args.jobs,
        )
        built.append(result)
        return result.outputs

    def show(outcome: Outcome) -> None:
        nonlocal seconds
        seconds = outcome.seconds
        _print_diagnostics(outcome.report, quiet=args.quiet)

    status, everything = _each([args.manifest], work, settings, show)
    _write_report(args.report, everything)
    if not built:
        return status
    result = built[0]
    if args.depfile:
        targets = " ".join(str(p) for p in result.outputs.values())
        deps = " ".join(str(p) for p in dependencies(args.manifest))
        with atomic_output(args.depfile) as tmp:
            tmp.write_text(f"{targets}: {deps}\n", encoding="utf-8")
    if not args.quiet and result.jobs:
        print(laid_out_line(result))
    if not args.quiet:
        names = ", ".join(str(p) for p in result.outputs.values())
        print(
            f"{args.manifest} → {names}: {_count(result.chapters, 'chapter')}, "
            f"{_count(result.pages, 'page')} ({seconds:.1f} s; "
            f"{_count(result.cache_hits, 'chapter')} from cache)"
        )
    return status


def _watch(args: argparse.Namespace) -> int:
    """Rebuild on save with a live preview until Ctrl-C (``watch.run``): exit 0 then."""
    from .watch import Target, run

    path: Path = args.input
    if not path.is_file():
        print(f"pressroom: error: {path} is not a file", file=sys.stderr)
        return 2
    settings: Settings = args.settings
    if path.suffix.lower() == ".toml":
        if args.theme or args.root:
            print(
                "pressroom: error: --theme and --root are for articles: a book names its "
                "theme in book.toml, and its folder is its content root",
                file=sys.stderr,
            )
            return 2
    else:
        load_theme(settings.theme)  # a bad theme is a mistake to fix before watching
    target = Target(path, args.outdir, settings)
    return run(target, serve=not args.no_serve, port=args.port, quiet=args.quiet)

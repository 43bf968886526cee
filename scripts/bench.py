"""Benchmarks: prints figures and ratios, asserts nothing (timings belong here, not in tests).

    make bench                 # all sections
    python scripts/bench.py article normalize

Sections:
- article:   one article through the whole pipeline, next to the limit: WeasyPrint alone
             laying out the same HTML (the document ``--format html`` writes).
- book:      a generated book of about 1,000 pages: time and peak memory, next to
             WeasyPrint alone on the same HTML, and a rebuild after editing one chapter.
- batch:     200 generated articles with --jobs 1 and 2, next to one process per article
             and to WeasyPrint alone divided by the jobs; no-op reruns of 200 and 1,000.
- cold:      one whole `pressroom convert` process on the seed article (PDF + EPUB, and
             EPUB only), next to Pandoc making the same files (WeasyPrint as its PDF
             engine); skipped with a message when pandoc is not installed. The package's
             bytecode is compiled first and the per-machine caches warmed, as on a machine
             where Pressroom is installed and has run once.
- normalize: normalization throughput (MB of Markdown per second) on generated input, next
             to rendering time for the same text, and growth with size (linear or not).
- reading:   the readers against the CommonMark 0.31.2 and GFM 0.29 spec examples (each
             dialect, structure compared after the sanitizer), and reading time for 10^5
             headings and 10^5 list items (normalize + parse), linear or not.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from convert.config import Settings  # noqa: E402
from convert.diagnostics import Report  # noqa: E402
from convert.load import LoadOptions, load  # noqa: E402
from convert.model import Article, Meta  # noqa: E402
from convert.normalize import normalize  # noqa: E402
from convert.parse import parse  # noqa: E402
from convert.pipeline import convert_article  # noqa: E402
from convert.render import build_for, render_document  # noqa: E402
from convert.theme import load_theme  # noqa: E402

SAMPLE = ROOT / "content" / "articles" / "printing-press.md"


def best_of(runs: int, fn: Callable[[], object]) -> float:
    """The median wall time of ``runs`` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_article(runs: int) -> None:
    import weasyprint  # the limit: WeasyPrint alone on the very same HTML

    print(f"== article: {SAMPLE.relative_to(ROOT)} (median of {runs})")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        full = best_of(
            runs, lambda: convert_article(SAMPLE, out, Settings(formats=("pdf",)), Report())
        )
        both = best_of(runs, lambda: convert_article(SAMPLE, out, Settings(), Report()))
        report = Report()
        article = normalize(load(SAMPLE, report, LoadOptions()), report)
        parsed = parse(article)
        theme = load_theme("base")
        html = render_document(
            article, parsed, theme, build=build_for(article.meta, "x"), report=report
        )
        alone = best_of(
            runs,
            lambda: weasyprint.HTML(string=html, base_url=SAMPLE.parent.as_uri() + "/").write_pdf(
                out / "alone.pdf", pdf_tags=True
            ),
        )
        front = best_of(
            runs,
            lambda: render_document(
                normalize(load(SAMPLE, Report(), LoadOptions()), Report()),
                parsed,
                theme,
                build=build_for(article.meta, "x"),
                report=Report(),
            ),
        )
    print(f"  pressroom convert, PDF only      {full * 1000:8.1f} ms")
    print(f"  pressroom convert, PDF + EPUB    {both * 1000:8.1f} ms")
    print(f"  WeasyPrint alone, same HTML      {alone * 1000:8.1f} ms   (the limit)")
    print(f"  load+normalize+parse+render      {front * 1000:8.1f} ms")
    print(f"  ratio PDF-only / limit           {full / alone:8.2f}x")
    print(f"  peak RSS so far                  {peak_rss_mb():8.0f} MB")


def _synthetic(paragraphs: int) -> str:
    chunk = (
        "## Section {n}\n\nSome prose with *emphasis*, a [link](https://example.org) and "
        "`code`, long enough to look like an article paragraph of ordinary length.[^{n}]\n\n"
        "| a | b |\n|---|---|\n| {n} | undefined behaviour |\n\n"
        "[object Object]\n\n[^{n}]: A note for section {n}.\n\n"
    )
    return "".join(chunk.format(n=i) for i in range(paragraphs))


def bench_normalize(runs: int) -> None:
    print(f"== normalize: generated Markdown (median of {runs})")
    previous = None
    for paragraphs in (500, 2000, 8000):
        text = _synthetic(paragraphs)
        size_mb = len(text.encode()) / 1e6
        article = Article(
            source=Path("bench.md"), meta=Meta(title="Bench"), markdown=text, root=Path(".")
        )
        took = best_of(runs, lambda article=article: normalize(article, Report()))
        rate = size_mb / took
        note = ""
        if previous:
            note = f"   time x{took / previous[1]:.1f} for size x{size_mb / previous[0]:.1f}"
        print(f"  {size_mb:6.2f} MB  {took * 1000:8.1f} ms  {rate:6.1f} MB/s{note}")
        previous = (size_mb, took)
    text = _synthetic(200)
    article = Article(
        source=Path("bench.md"), meta=Meta(title="Bench"), markdown=text, root=Path(".")
    )
    norm = best_of(runs, lambda: normalize(article, Report()))
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "bench.md"
        src.write_text("---\ntitle: Bench\n---\n" + text, encoding="utf-8")
        total = best_of(
            1, lambda: convert_article(src, Path(tmp), Settings(formats=("pdf",)), Report())
        )
    print(
        f"  {len(text) / 1e3:.0f} kB article: normalize {norm * 1000:.1f} ms of "
        f"{total * 1000:.0f} ms total ({norm / total:.1%} of the conversion)"
    )


def _corpus(folder: Path, count: int) -> Path:
    """``count`` generated articles of a few pages each, in a few folders."""
    body = "\n\n".join(
        f"## Part {k}\n\nA paragraph of ordinary prose about the export number {{n}}, "
        "long enough to fill a few lines of a printed page with text, and a note.[^{k}]\n\n"
        f"[^{k}]: Footnote {k}."
        for k in range(6)
    )
    for n in range(count):
        sub = folder / f"section-{n % 10}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"article-{n:04d}.md").write_text(
            f"---\ntitle: Article {n}\nauthor: Bench\ndate: 2024-01-01\n---\n\n"
            + body.replace("{n}", str(n)),
            encoding="utf-8",
        )
    return folder


def _run(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def bench_batch(runs: int, count: int = 200, noop_count: int = 1000) -> None:
    import weasyprint

    from convert.pipeline import prepare

    exe = [sys.executable, "-m", "convert"]
    print(f"== batch: {count} generated articles, PDF (the limit is PDF work too)")
    with tempfile.TemporaryDirectory() as tmp:
        src = _corpus(Path(tmp) / "src", count)
        timings = {}
        for jobs in (1, 2):
            out = Path(tmp) / f"out{jobs}"
            timings[jobs] = _run(
                [*exe, "batch", str(src), "-o", str(out), "--jobs", str(jobs), "--format", "pdf"]
            )
        files = sorted(src.rglob("*.md"))
        sample = files[: max(10, count // 10)]
        per_process = _run_each(exe, sample, Path(tmp) / "each") * len(files) / len(sample)
        # The limit: WeasyPrint alone on the same HTML documents, split over the jobs.
        theme = load_theme("base")
        documents = []
        for path in files:
            article, parsed = prepare(path, Report(), Settings(root=src))
            html = render_document(
                article, parsed, theme, build=build_for(article.meta, "x"), report=Report()
            )
            documents.append((html, path.parent.as_uri() + "/"))
        started = time.perf_counter()
        for html, base in documents:
            weasyprint.HTML(string=html, base_url=base).write_pdf(
                Path(tmp) / "alone.pdf", pdf_tags=True
            )
        alone = time.perf_counter() - started
        noop = _run(
            [
                *exe,
                "batch",
                str(src),
                "-o",
                str(Path(tmp) / "out2"),
                "--jobs",
                "2",
                "--format",
                "pdf",
            ]
        )
    for jobs in (1, 2):
        limit = alone / jobs
        print(
            f"  --jobs {jobs}: {timings[jobs]:7.1f} s  {count / timings[jobs]:6.1f} articles/s"
            f"   limit (WeasyPrint alone / {jobs}) {limit:6.1f} s"
            f"   ratio {timings[jobs] / limit:5.2f}x"
        )
    print(
        f"  one process per article (estimated from {len(sample)}): {per_process:7.1f} s"
        f"   --jobs 2 is {per_process / timings[2]:4.1f}x faster"
    )
    print(f"  no-op rerun of {count}: {noop:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        src = _corpus(Path(tmp) / "src", noop_count)
        out = Path(tmp) / "out"
        _run([*exe, "batch", str(src), "-o", str(out), "--format", "epub", "--jobs", "2"])
        noop = min(
            _run([*exe, "batch", str(src), "-o", str(out), "--format", "epub"]) for _ in range(3)
        )
    print(f"  no-op rerun of {noop_count}: {noop:.2f} s (aim: under 2 s)")


def _run_each(exe: list[str], files: list[Path], out: Path) -> float:
    started = time.perf_counter()
    for path in files:
        subprocess.run(
            [*exe, "convert", str(path), "-o", str(out), "-q"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return time.perf_counter() - started


def _book(folder: Path, chapters: int) -> Path:
    """A generated book of ``chapters`` chapters of about ten A4 pages each."""
    prose = (
        "A paragraph of ordinary prose that fills a few lines of the page, with a reference "
        "to the previous section and a note at the end of its last sentence.[^{k}] "
    ) * 3
    (folder / "chapters").mkdir(parents=True)
    for n in range(chapters):
        body = "\n\n".join(
            f"## Section {k}\n\n{prose.replace('{k}', str(k))}\n\n"
            + "\n\n".join(prose.replace("[^{k}]", "") for _ in range(4))
            + f"\n\n[^{k}]: Note {k} of chapter {n}."
            for k in range(6)
        )
        link = f"See [the previous chapter](ch{n - 1:03d}.md#section-2).\n\n" if n else ""
        (folder / "chapters" / f"ch{n:03d}.md").write_text(
            f"---\ntitle: Chapter {n}\n---\n\n{link}{body}\n", encoding="utf-8"
        )
    (folder / "book.toml").write_text(
        '[book]\ntitle = "Benchmark Book"\nauthors = ["Bench"]\nlanguage = "en"\n'
        'date = 2024-01-01\n\nchapters = ["chapters/*.md"]\n',
        encoding="utf-8",
    )
    return folder / "book.toml"


def _measured(cmd: list[str]) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of a child process."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(time.perf_counter() - t, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *cmd], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[0]), float(out[1])


def _measured_tree(cmd: list[str]) -> tuple[float, float, float]:
    """Wall time, peak RSS of the process itself and peak RSS of any one of its worker
    processes (MB), read from /proc every 50 ms (ru_maxrss of children gives only the
    largest of all, the parent included). The high-water mark (VmHWM), so a peak between
    two readings is not missed."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    own = workers = 0.0

    def rss(pid: int) -> float:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    while proc.poll() is None:
        own = max(own, rss(proc.pid))
        try:
            kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        except OSError:
            kids = []
        for kid in kids:
            workers = max(workers, rss(int(kid)))
        time.sleep(0.05)
    if proc.returncode:
        raise SystemExit(f"{cmd} failed")
    return time.perf_counter() - started, own, workers


def bench_book(runs: int, chapters: int = 200) -> None:
    """Issue 15's figures in one run: --jobs 2 cold <= 0.6x WeasyPrint alone, --jobs 1 cold
    <= 1.1x, one chapter edited <= 0.15x the cold build, 300 MB per process."""
    print(
        f"== book: {chapters} generated chapters (about 1,000 pages), PDF, {os.cpu_count()} cores"
    )
    exe = [sys.executable, "-m", "convert"]
    with tempfile.TemporaryDirectory() as tmp:
        manifest = _book(Path(tmp) / "book", chapters)
        html_out = Path(tmp) / "html"
        subprocess.run(
            [*exe, "book", str(manifest), "-o", str(html_out), "--format", "html", "-q",
             "--jobs", "0"],
            check=True,
        )  # fmt: skip
        html = html_out / "book.html"
        alone_code = (
            "import sys, weasyprint; weasyprint.HTML(filename=sys.argv[1])"
            ".write_pdf(sys.argv[2], pdf_tags=True)"
        )
        alone, alone_rss, _ = _measured_tree(
            [sys.executable, "-c", alone_code, str(html), str(Path(tmp) / "alone.pdf")]
        )
        figures = {}
        for jobs in (1, 2):
            out = Path(tmp) / f"jobs{jobs}"
            figures[jobs] = _measured_tree(
                [*exe, "book", str(manifest), "-o", str(out), "--format", "pdf", "-q",
                 "--jobs", str(jobs)]
            )  # fmt: skip
        from pypdf import PdfReader

        pages = len(PdfReader(Path(tmp) / "jobs2" / "book.pdf").pages)
        chapter = manifest.parent / "chapters" / "ch050.md"
        chapter.write_text(chapter.read_text() + "\nOne more sentence.\n", encoding="utf-8")
        edited = _measured_tree(
            [*exe, "book", str(manifest), "-o", str(Path(tmp) / "jobs2"), "--format", "pdf",
             "-q", "--jobs", "2"]
        )  # fmt: skip
    cold2, own2, workers2 = figures[2]
    cold1, own1, _ = figures[1]
    print(
        f"  WeasyPrint alone, same HTML   {alone:7.1f} s  peak {alone_rss:6.0f} MB  {pages} pages"
    )
    print(
        f"  --jobs 2, cold cache          {cold2:7.1f} s  {cold2 / alone:5.2f}x  (limit 0.60x)"
        f"  peak {own2:4.0f} MB main, {workers2:4.0f} MB a worker  (limit 300 MB)"
    )
    print(
        f"  --jobs 1, cold cache          {cold1:7.1f} s  {cold1 / alone:5.2f}x  (limit 1.10x)"
        f"  peak {own1:4.0f} MB  (limit 300 MB)"
    )
    print(
        f"  one chapter edited, --jobs 2  {edited[0]:7.1f} s  {edited[0] / cold2:5.2f}x of cold"
        "  (limit 0.15x)"
    )


SEED = ROOT.parent / "shared" / "corpus" / "seed-konotop.md"


def bench_cold(runs: int) -> None:
    import shutil

    print(f"== cold: one whole process each on {SEED.name} (best and median of {runs})")
    pandoc = shutil.which("pandoc")
    weasy = shutil.which("weasyprint") or str(Path(sys.executable).parent / "weasyprint")
    source = SEED if SEED.is_file() else SAMPLE
    exe = [sys.executable, "-m", "convert", "convert", str(source), "-q"]
    # Bytecode as an installed package has it (pip compiles it at install time): where
    # PYTHONDONTWRITEBYTECODE is set, every run would otherwise compile the package's modules
    # again, a sixth of a second that no installed copy pays.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "convert")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        jobs = {
            "pressroom, PDF + EPUB": [[*exe, "-o", str(out), "--format", "pdf,epub"]],
            "pressroom, EPUB only": [[*exe, "-o", str(out), "--format", "epub"]],
        }
        if pandoc is not None:
            p_pdf = [pandoc, str(source), "-o", str(out / "p.pdf"), f"--pdf-engine={weasy}"]
            p_epub = [pandoc, str(source), "-o", str(out / "p.epub")]
            jobs["pandoc + weasyprint, PDF + EPUB"] = [p_pdf, p_epub]
            jobs["pandoc, EPUB only"] = [p_epub]
        # One untimed round first: it writes the caches of a machine's first run (language
        # model, compiled templates, message catalogs and date formats, hyphenation
        # dictionaries). Then the jobs take turns, so a busy moment of the machine weighs
        # on all of them alike.
        times: dict[str, list[float]] = {label: [] for label in jobs}
        for round_ in range(runs + 1):
            for label, commands in jobs.items():
                started = time.perf_counter()
                for cmd in commands:
                    _run(cmd)
                if round_:
                    times[label].append(time.perf_counter() - started)
    figures = {label: (min(t), statistics.median(t)) for label, t in times.items()}
    for label, (best, median) in figures.items():
        print(f"  {label:32s}{best:5.2f} s  median {median:5.2f} s")
    if pandoc is None:
        print("  pandoc: not installed (apt-get install pandoc): no comparison")
        return
    for label, ours, theirs, limit in (
        ("ratio PDF + EPUB", "pressroom, PDF + EPUB", "pandoc + weasyprint, PDF + EPUB", "1.0x"),
        ("ratio EPUB only", "pressroom, EPUB only", "pandoc, EPUB only", "2x"),
    ):
        aim = "0.8x" if limit == "1.0x" else "1.5x"
        (best, median), (p_best, p_median) = figures[ours], figures[theirs]
        print(
            f"  {label:32s}{best / p_best:5.2f}x  median {median / p_median:5.2f}x"
            f"   (limit {limit}, aim {aim})"
        )


def bench_reading(runs: int) -> None:
    from tests.conformance import COMMONMARK, GFM, GFM_DIFFERENCES, compare, examples

    print("== reading: spec conformance (structure after the sanitizer)")
    if not COMMONMARK.is_file():
        print(f"  skipped: {COMMONMARK.parent} not found")
    else:
        for spec, label in ((COMMONMARK, "CommonMark 0.31.2"), (GFM, "GFM 0.29")):
            cases = examples(spec)
            for dialect in ("commonmark", "gfm", "python-markdown"):
                result = compare(cases, dialect)
                print(
                    f"  {label:18s} {dialect:16s} {len(result.agree):4d}/{result.total}"
                    f"  {result.ratio:6.1%}"
                )
        print(f"  GFM examples gfm reads otherwise on purpose: {sorted(GFM_DIFFERENCES)}")
    print("== reading: time for 10^5 blocks (normalize + parse, one run each)")
    shapes = {
        "headings": lambda n: "".join(f"## Heading {i}\n\ntext {i}\n\n" for i in range(n)),
        "list items": lambda n: "Items:\n\n" + "".join(f"- item {i}\n" for i in range(n)),
        "nested items": lambda n: "".join(f"- item {i}\n  - sub {i}\n" for i in range(n // 2)),
    }
    for name, make in shapes.items():
        times = []
        for n in (25_000, 100_000):
            article = Article(
                source=Path("bench.md"), meta=Meta(title="Bench"), markdown=make(n), root=Path(".")
            )
            started = time.perf_counter()
            parse(normalize(article, Report()))
            times.append(time.perf_counter() - started)
        print(
            f"  {name:13s} 10^5: {times[1]:6.1f} s   (x{times[1] / times[0]:.1f} time for x4 size;"
            " linear is x4)"
        )


SECTIONS = {
    "cold": bench_cold,
    "article": bench_article,
    "normalize": bench_normalize,
    "reading": bench_reading,
    "batch": bench_batch,
    "book": bench_book,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sections", nargs="*", choices=[*SECTIONS, []], default=[])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    for name in args.sections or SECTIONS:
        SECTIONS[name](args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())

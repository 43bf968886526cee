"""The recipe: one article through every stage, and nothing written unless all went well.

``convert_article`` names each stage in order: load → normalize → parse → render → write.
Everything is rendered before anything is written, and if a writer fails the outputs of
this run are removed, so a document either gets all its outputs or none.

Rendering the PDF includes laying it out, and that comes before the EPUB: the layout
knows on which page each block begins, and the EPUB gets those pages (``PageBreaks``:
page-break markers and a page list naming the PDF as its print edition). When only the
EPUB is asked for, the PDF is laid out for that only with ``page_list`` (it costs the
layout's time, several times the EPUB's own; see the README).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import markdown
from .apparatus import Apparatus, Doc, Settings
from .diagnostics import Diagnostic, Location, Report, Severity
from .errors import StrictError
from .folios import PageLabels
from .load import MAX_INPUT_BYTES, LoadOptions, load
from .model import Article, Parsed
from .normalize import RULES, Rule, normalize
from .parse import parse
from .profiles import Profile, get, page_options
from .render import build_for, print_edition, render_document, render_epub
from .theme import Theme, load_theme
from .tree import split_tables
from .writers.epub import write_epub
from .writers.html import write_html

FORMATS = ("pdf", "epub", "html")


@dataclass(frozen=True, slots=True)
class Options:
    formats: Sequence[str] = ("pdf", "epub")
    theme: str = "base"
    profile: str = "screen"
    root: Path | None = None
    strict: bool = False
    allow_remote: bool = False
    rules: Sequence[Rule] = RULES  # normalization rules to run (config can disable some)
    remote_images: tuple[str, ...] = ()  # hosts whose images are downloaded (off: none)
    max_input_bytes: int = MAX_INPUT_BYTES  # larger sources are refused (load.too-large)
    dialect: str = markdown.DEFAULT  # of documents whose frontmatter names none
    page_list: bool = False  # lay out the PDF for the EPUB's page list even without "pdf"


def prepare(path: Path, report: Report, options: Options) -> tuple[Article, Parsed]:
    """load → normalize → parse: everything up to, not including, the theme."""
    limits = LoadOptions(
        root=options.root, max_bytes=options.max_input_bytes, dialect=options.dialect
    )
    article = load(path, report, limits)
    article = normalize(article, report, options.rules, remote_images=options.remote_images)
    return article, parse(article)


def convert_article(path: Path, outdir: Path, options: Options, report: Report) -> dict[str, Path]:
    """Convert one Markdown file into ``outdir``; return the written paths by format."""
    article, parsed = prepare(path, report, options)
    profile = get(options.profile)
    theme = profile_theme(options.theme, {}, profile, report, article.source)
    build = build_for(article.meta, f"{article.meta.title}\n{article.markdown}")

    remote = None
    if options.remote_images:  # urllib and http.client only when the user allowed hosts
        from .remote import RemoteImages

        remote = RemoteImages(options.remote_images)
    fetch = remote.fetch if remote else None
    roots = (article.root, *theme.dirs, *((remote.cache,) if remote else ()))
    apparatus = article_apparatus(article, parsed, theme, report)
    epub = "epub" in options.formats
    lay_out = "pdf" in options.formats or (epub and options.page_list)
    document = epub_package = layout = None
    if {"pdf", "html"} & set(options.formats) or lay_out:
        document = render_document(
            article,
            parsed,
            theme,
            build=build,
            report=report,
            profile=profile,
            remote=fetch,
            number_blocks=epub and lay_out,
            apparatus=apparatus,
        )
    if lay_out and document is not None:
        # Imported here: WeasyPrint takes most of a second to import, and an EPUB or HTML
        # run without a page list never needs it.
        from .writers.pdf import fit, layout_pdf

        where = {
            "base": article.source.parent,
            "roots": roots,
            "allow_remote": options.allow_remote,
        }
        layout = layout_pdf(document, source=article.source, **where)
        layout = fit(layout, split_tables, **where)  # cramped tables split, laid out again
        if apparatus.index:
            # The index prints the pages its terms landed on: a second layout with them.
            layout = apparatus.paged_index(
                layout,
                lambda html: layout_pdf(html, source=article.source, **where),
                PageLabels.article(layout.pages).label,
            )
        document = layout.html or document
    if epub:
        breaks = None
        if layout is not None:
            breaks = layout.page_breaks(
                print_edition(theme, article.meta), PageLabels.article(layout.pages)
            )
        epub_package = render_epub(
            article,
            parsed,
            theme,
            build=build,
            report=report,
            remote=fetch,
            page_breaks=breaks,
            apparatus=apparatus,
        )
    if remote:
        for url, why in sorted(remote.failures.items()):
            report.add(
                Diagnostic(
                    "image.remote-failed",
                    Severity.WARNING,
                    Location(article.source),
                    f"could not download {url[:100]}: {why}",
                    "replaced it with a link",
                )
            )
    _check_strict(report, options, path)

    stem = path.stem
    written: dict[str, Path] = {}
    try:
        if epub_package is not None:
            written["epub"] = write_epub(epub_package, outdir / f"{stem}.epub")
        if layout is not None and "pdf" in options.formats:
            out = outdir / f"{stem}.pdf"
            from .writers.pdf import save_pdf

            result = save_pdf(
                layout,
                out,
                report=report,
                locate=_locator(article),
                identifier=build.identifier.encode("ascii"),
                profile=profile,
                labels=PageLabels.article(layout.pages),
            )
            _check_fonts(result.families, theme.font_families(), report, article.source)
            written["pdf"] = out
        if document is not None and "html" in options.formats:
            written["html"] = write_html(document, outdir / f"{stem}.html")
        self_check(profile, written, report)
        _check_strict(report, options, path)
    except BaseException:
        for done in written.values():
            with contextlib.suppress(FileNotFoundError):
                done.unlink()
        raise
    return written


def article_apparatus(article: Article, parsed: Parsed, theme: Theme, report: Report) -> Apparatus:
    """The apparatus of one article (numbers, references, index, formulas): its findings
    reported once, whatever the formats."""
    from .render import emitter

    doc = Doc(article.meta.title, emitter(article, report))
    settings = Settings.of(theme.options, article.meta.lang)
    return Apparatus.build([doc], [parsed.html], settings)


def profile_theme(
    name: str,
    options: dict,
    profile: Profile,
    report: Report,
    source: Path,
    pages: int | None = None,
) -> Theme:
    """The theme with what a print profile imposes on its options (bleed, marks, a trim
    the store accepts, the store's gutter for ``pages`` pages); a page size the store does
    not print is replaced and reported (``profile.trim``)."""
    theme = load_theme(name, options)
    imposed = page_options(profile, dict(theme.options), pages)
    if not imposed:
        return theme
    if "page_size" in imposed and pages is None:
        report.add(
            Diagnostic(
                "profile.trim",
                Severity.INFO,
                Location(source),
                f"page size {theme.options.get('page_size')!r} is not a {profile.name} trim",
                f"set in {imposed['page_size']}",
            )
        )
    return load_theme(name, {**options, **imposed})


def self_check(profile: Profile, written: dict[str, Path], report: Report) -> None:
    """A print or store profile preflights what it wrote: every finding is reported
    (and fails the document under --strict)."""
    if not profile.self_check:
        return
    for fmt in ("pdf", "epub"):
        if fmt in written and (fmt == "pdf" or profile.epub is not None):
            from .preflight import preflight  # pikepdf: only when a profile asks for it

            report.extend(preflight(written[fmt], profile))


def _locator(article: Article) -> Callable[[str], Location]:
    """Where a character first appears in the article's source file."""
    lines = article.markdown.split("\n")

    def locate(char: str) -> Location:
        index = next((i for i, text in enumerate(lines) if char in text), None)
        return Location(article.source, article.line_of(index) if index is not None else None)

    return locate


def _check_fonts(
    used: frozenset[str], declared: frozenset[str], report: Report, source: Path
) -> None:
    """A family that set text but that the theme never names is a silent fallback."""
    for family in sorted(used - declared):
        report.add(
            Diagnostic(
                "font.fallback",
                Severity.WARNING,
                Location(source),
                f"some text was set in {family!r}, a fallback the theme does not name",
                "add a font covering that text to the theme's font stacks",
            )
        )


def _check_strict(report: Report, options: Options, path: Path) -> None:
    if not options.strict:
        return
    warnings = sum(1 for d in report if d.severity >= Severity.WARNING)
    if warnings:
        raise StrictError(f"{warnings} warning(s) under --strict", path=path)

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

from pathlib import Path

from .apparatus import Apparatus, Doc, Style
from .config import Settings
from .diagnostics import Diagnostic, Location, Report, Severity
from .errors import StrictError
from .files import all_or_nothing
from .folios import PageLabels
from .load import LoadOptions, load
from .model import Article, Parsed
from .normalize import normalize
from .parse import parse
from .profiles import Profile, get, page_options
from .render import build_for, print_edition, render_document, render_epub
from .theme import Theme, load_theme
from .tree import split_tables
from .writers.epub import write_epub
from .writers.html import write_html

FORMATS = ("pdf", "epub", "html")


def read(
    path: Path,
    report: Report,
    settings: Settings,
    *,
    root: Path | None = None,
    book_sources: frozenset[Path] = frozenset(),
) -> Article:
    """load → normalize: the article as its author meant it, every repair reported.
    ``root`` overrides the settings' content root (a book's folder); ``book_sources`` are
    the other files of the same output (a book's chapters), whose links stay links."""
    where = LoadOptions(
        root=root or settings.root,
        max_bytes=settings.limits.max_input_bytes,
        dialect=settings.dialect,
    )
    return normalize(
        load(path, report, where),
        report,
        settings.rules,
        remote_images=settings.remote_images,
        book_sources=book_sources,
    )


def prepare(
    path: Path,
    report: Report,
    settings: Settings,
    *,
    root: Path | None = None,
    book_sources: frozenset[Path] = frozenset(),
) -> tuple[Article, Parsed]:
    """load → normalize → parse: everything up to, not including, the theme."""
    article = read(path, report, settings, root=root, book_sources=book_sources)
    return article, parse(article)


def convert_article(
    path: Path, outdir: Path, settings: Settings, report: Report
) -> dict[str, Path]:
    """Convert one Markdown file into ``outdir``; return the written paths by format."""
    article, parsed = prepare(path, report, settings)
    profile = get(settings.profile)
    theme = profile_theme(settings.theme, {}, profile, report, article.source)
    build = build_for(article.meta, f"{article.meta.title}\n{article.markdown}")

    remote = None
    if settings.remote_images:  # urllib and http.client only when the user allowed hosts
        from .remote import RemoteImages

        remote = RemoteImages(settings.remote_images)
    fetch = remote.fetch if remote else None
    roots = (article.root, *theme.dirs, *((remote.cache,) if remote else ()))
    apparatus = article_apparatus(article, parsed, theme, report)
    epub = "epub" in settings.formats
    lay_out = "pdf" in settings.formats or (epub and settings.page_list)
    document = epub_package = layout = None
    if {"pdf", "html"} & set(settings.formats) or lay_out:
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
            "allow_remote": settings.allow_remote,
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
    check_strict(report, settings, path)

    stem = path.stem
    with all_or_nothing() as written:
        if epub_package is not None:
            written["epub"] = write_epub(epub_package, outdir / f"{stem}.epub")
        if layout is not None and "pdf" in settings.formats:
            out = outdir / f"{stem}.pdf"
            from .writers.pdf import save_pdf

            result = save_pdf(
                layout,
                out,
                report=report,
                locate=article.locator(),
                identifier=build.identifier.encode("ascii"),
                profile=profile,
                labels=PageLabels.article(layout.pages),
            )
            check_fonts(result.families, theme.font_families(), report, article.source)
            written["pdf"] = out
        if document is not None and "html" in settings.formats:
            written["html"] = write_html(document, outdir / f"{stem}.html")
        self_check(profile, written, report)
        check_strict(report, settings, path)
    return written


def article_apparatus(article: Article, parsed: Parsed, theme: Theme, report: Report) -> Apparatus:
    """The apparatus of one article (numbers, references, index, formulas): its findings
    reported once, whatever the formats."""
    doc = Doc(article.meta.title, article.locator().emitter(report))
    return Apparatus.build(
        [doc], [parsed.html], Style.of(theme.options, article.meta.lang, theme_dirs=theme.dirs)
    )


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


def check_fonts(
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


def check_strict(report: Report, settings: Settings, path: Path) -> None:
    if not settings.strict:
        return
    warnings = sum(1 for d in report if d.severity >= Severity.WARNING)
    if warnings:
        raise StrictError(f"{warnings} warning(s) under --strict", path=path)

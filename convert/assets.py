"""Find an image file under the content root, also when the reference to it is damaged.

Used by the loader (the frontmatter cover) and the ``images`` normalization rule (images in
the body), so both repair a reference the same way.

Contract: ``find_image(ref, path=…, root=…)`` returns the file ``ref`` names and how it was
found, trying in order:

1. ``exact``: ``paths.resolve_local``; ``decoded``: the same after decoding ``%20``-style
   escapes (the renderer looks files up by the literal text);
2. ``case``: the same path, matched without regard to letter case (files made on macOS or
   Windows, published from Linux);
3. ``name``: the file name alone (case, ``_``/space and ``%``-escapes ignored) anywhere
   under the root: exporters flatten or move folders;
4. ``truncated``: a Wikimedia exporter's garbled name, ``File`` glued to the first 15
   characters of the real name, the extension, sometimes the caption glued after it
   (``/FileBattle_of_Konot.jpg`` for ``Battle_of_Konotop_24.jpg``): an image whose name,
   without any ``File``/``File:`` prefix, starts with those characters.

Steps 2-4 only ever return a file that is the *only* candidate; an ambiguous match is no
match. They look in an index of the image files under the root, built on first need and
kept for the process (``forget()`` drops it, for long-running hosts whose files change).
The walk is bounded: hidden folders and ``node_modules`` are skipped, and it stops after
``MAX_FILES`` files, in sorted order so the same tree always gives the same index.
Everything returned is inside the root.

``check_image(path)`` is the gate for every image a document would use (body images in
the PDF and EPUB, covers, anything WeasyPrint fetches): it raises ``ImageRefused`` for a
raster image over ``MAX_IMAGE_PIXELS`` or ``MAX_IMAGE_BYTES`` (a decompression bomb: a
small PNG that claims 30000×30000 pixels), and an SVG
with scripts, event handlers, ``<foreignObject>`` or references to anything outside
itself. Only the header is read (Pillow does not decode pixels on open).
"""

from __future__ import annotations

import os
import posixpath
import re
import warnings
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

from .errors import ConvertError
from .paths import is_remote, resolve_local

MAX_IMAGE_PIXELS = 50_000_000  # 50 megapixels: a 7000×7000 photo; 200 MB decoded (RGBA)
MAX_IMAGE_BYTES = 50 * 1024 * 1024
MAX_SVG_BYTES = 5 * 1024 * 1024
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp"})
MAX_FILES = 20_000
_SKIP_DIRS = {"node_modules", "__pycache__"}
# "File:" or "File" before a capital (MediaWiki capitalises names; "Filesystem.png" is not
# garbled), up to 15 characters, an image extension, then maybe a caption glued on.
_GARBLED = re.compile(
    r"^File(?::|(?=[A-Z0-9]))(?P<stem>.{1,15}?)(?P<ext>(?i:\.(?:jpe?g|png|gif|svg|webp)))"
)
_TRUNCATED_AT = 15
_FILE_PREFIX = re.compile(r"^File(?::|_|(?=[A-Z0-9]))")


_REASONS = {
    "exact": "found as written",
    "decoded": "written with %-escapes",
    "case": "the letter case differs",
    "name": "found by its file name",
    "truncated": "the exporter cut its name short",
}


@dataclass(frozen=True, slots=True)
class Found:
    path: Path
    how: str  # "exact", "decoded", "case", "name" or "truncated"

    @property
    def reason(self) -> str:
        """How it was found, for a diagnostic: "the letter case differs"."""
        return _REASONS[self.how]


def _name_key(name: str) -> str:
    return unquote(name).casefold().replace(" ", "_")


def _ext(suffix: str) -> str:
    suffix = suffix.casefold()
    return ".jpg" if suffix == ".jpeg" else suffix


@dataclass(frozen=True, slots=True)
class _Index:
    by_path: dict[str, tuple[Path, ...]]  # casefolded path relative to the root
    by_name: dict[str, tuple[Path, ...]]  # _name_key of the file name
    stems: dict[str, list[tuple[str, Path]]]  # extension → sorted (stem key, path)


@lru_cache(maxsize=4)
def _index(root: Path) -> _Index:
    by_path: dict[str, list[Path]] = {}
    by_name: dict[str, list[Path]] = {}
    stems: dict[str, list[tuple[str, Path]]] = {}
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        for name in sorted(files):
            seen += 1
            if seen > MAX_FILES:
                break
            suffix = os.path.splitext(name)[1]
            if suffix.casefold() not in IMAGE_SUFFIXES:
                continue
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix().casefold()
            by_path.setdefault(rel, []).append(path)
            by_name.setdefault(_name_key(name), []).append(path)
            stem = _name_key(_FILE_PREFIX.sub("", name[: -len(suffix)]))
            stems.setdefault(_ext(suffix), []).append((stem, path))
        if seen > MAX_FILES:
            break
    return _Index(
        {k: tuple(v) for k, v in by_path.items()},
        {k: tuple(v) for k, v in by_name.items()},
        {k: sorted(v) for k, v in stems.items()},
    )


def forget() -> None:
    """Drop the cached indexes (files under a root were added or removed)."""
    _index.cache_clear()


def _only(paths: tuple[Path, ...] | list[Path] | None, root: Path) -> Path | None:
    """The one file in ``paths`` if there is exactly one and it is (still) under ``root``."""
    if not paths or len(set(paths)) != 1:
        return None
    try:
        real = paths[0].resolve()
    except (OSError, RuntimeError):
        return None
    return real if real.is_file() and real.is_relative_to(root) else None


def find_image(ref: str, *, path: Path, root: Path) -> Found | None:
    """The image file ``ref`` (written in the article at ``path``) means; see the module."""
    if not ref or is_remote(ref):
        return None
    clean = ref.split("#", 1)[0].split("?", 1)[0].strip()
    found = resolve_local(clean, path=path, root=root)
    if found is not None:
        return Found(found, "exact")
    if unquote(clean) != clean and (found := resolve_local(unquote(clean), path=path, root=root)):
        return Found(found, "decoded")
    if not clean:
        return None
    root = root.resolve()
    index = _index(root)
    decoded = unquote(clean)
    if decoded.startswith("/"):
        rel = decoded.lstrip("/")
        keys = [rel, f"public/{rel}", f"static/{rel}"]
    else:
        try:
            folder = path.resolve().parent.relative_to(root).as_posix()
        except ValueError:
            folder = ""
        keys = [posixpath.normpath(posixpath.join(folder, decoded))]
    for key in keys:
        if key.startswith("../"):
            continue
        if hit := _only(index.by_path.get(key.casefold()), root):
            return Found(hit, "case")
    name = posixpath.basename(decoded.rstrip("/"))
    if hit := _only(index.by_name.get(_name_key(name)), root):
        return Found(hit, "name")
    match = _GARBLED.match(name)
    if match:
        stem = _name_key(match["stem"])
        # Fewer than 15 characters: the name was not cut, so it must match whole.
        whole = len(match["stem"]) < _TRUNCATED_AT
        entries = index.stems.get(_ext(match["ext"]), [])
        hits = []
        for key, candidate in entries[bisect_left(entries, (stem,)) :]:
            if not key.startswith(stem):
                break
            if key == stem or not whole:
                hits.append(candidate)
        if hit := _only(hits, root):
            return Found(hit, "truncated")
    return None


def relative_ref(found: Path, *, path: Path) -> str:
    """How the article at ``path`` names ``found``: a relative POSIX path."""
    return Path(os.path.relpath(found, path.resolve().parent)).as_posix()


class ImageRefused(ConvertError):
    """An image a document may not use; ``code`` says why (``image.too-large``,
    ``image.unsafe-svg``, ``image.unreadable``)."""

    code = "image.too-large"


# An SVG is a document: scripts and event handlers run in readers that render it, and
# hrefs/url()/@import fetch other files. Only same-document (#id) and data: references
# are harmless.
_SVG_ACTIVE = re.compile(
    r"<\s*(?:[\w-]+:)?(?:script|foreignObject|iframe|embed|object|handler|listener)\b"
    r"|\son[a-z]+\s*="
    r"|javascript\s*:"
    r"|@import"
    r"|<!ENTITY",
    re.IGNORECASE,
)
_SVG_REFERENCE = re.compile(
    r"""(?:href\s*=\s*["']?|url\(\s*["']?)\s*(?!#|data:)([^"')\s>]+)""", re.IGNORECASE
)


def check_image(path: Path) -> None:
    """Refuse an image no document should make us decode or pack (see the module)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImageRefused(
            f"cannot read {path.name}: {exc.strerror}", code="image.unreadable"
        ) from None
    if path.suffix.casefold() == ".svg":
        _check_svg(path, size)
        return
    if size > MAX_IMAGE_BYTES:
        raise ImageRefused(f"{path.name} is {size:,} bytes, over {MAX_IMAGE_BYTES:,}")
    from PIL import Image, UnidentifiedImageError  # see image_size

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        raise ImageRefused(f"{path.name} claims more pixels than Pillow will decode") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        # Not an image Pillow knows: nothing will decode it either (WeasyPrint reads images
        # through Pillow and reports the failure), so there is no bomb to defuse.
        return
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageRefused(
            f"{path.name} is {width}×{height} pixels, over {MAX_IMAGE_PIXELS:,} pixels"
        )


def animated(path: Path) -> bool:
    """Whether an image has more than one frame (an animated GIF, WebP or PNG): a
    possible flashing hazard. Only the header and frame count are read."""
    if path.suffix.casefold() not in (".gif", ".webp", ".png"):
        return False
    from PIL import Image  # see image_size

    try:
        with Image.open(path) as image:
            return bool(getattr(image, "is_animated", False))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False


def _check_svg(path: Path, size: int) -> None:
    if size > MAX_SVG_BYTES:
        raise ImageRefused(f"{path.name} is {size:,} bytes, over {MAX_SVG_BYTES:,}")
    text = path.read_bytes().decode("utf-8", "replace")
    if match := _SVG_ACTIVE.search(text):
        raise ImageRefused(
            f"{path.name} is an SVG with active content ({match[0].strip()[:30]!r})",
            code="image.unsafe-svg",
        )
    if match := _SVG_REFERENCE.search(text):
        raise ImageRefused(
            f"{path.name} is an SVG that references {match[1][:60]!r}", code="image.unsafe-svg"
        )


def image_size(data: bytes) -> tuple[int, int] | None:
    """Pixel width and height of a raster image's bytes (header only), or None when Pillow
    does not know the format (SVG, damaged files). Used by EPUB preflight on covers."""
    import io

    # Pillow is imported where an image is read (here, check_image, animated): a document
    # without images never needs it, and its import costs a cold run milliseconds.
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None

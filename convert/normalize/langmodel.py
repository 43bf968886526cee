"""py3langid's language model, read in milliseconds and without NumPy.

py3langid ships its model LZMA-compressed: decompressing it costs half a second, and
py3langid's own classifier needs NumPy, whose import alone costs a tenth of a second, more
than the rest of an EPUB's cold start without it. So the first use on a machine (``cache``)
decompresses the model once into a cache folder, ``$XDG_CACHE_HOME/pressroom`` (else
``~/.cache/pressroom``), with NumPy; every later process maps the files from there
(``MappedModel``) and classifies with the standard library alone, reading only the pages
of the model a text touches.

Contract: ``MappedModel.classify`` answers as py3langid's ``LanguageIdentifier`` with
``norm_probs=True``: the same language, and a confidence equal up to rounding (computed
here in double precision with exact integer sums, there in single precision; measured on
the test samples and the shared corpus, the largest difference is in the sixth decimal).
Where no cache can be written or read, ``shipped`` gives py3langid's own classifier.
"""

from __future__ import annotations

import importlib.util
import math
import mmap
import re
import struct
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from ..files import installed_version, user_cache

# The cache's layout; a new layout gets a new folder, so an old cache is never misread.
FORMAT = 2
# The model's arrays kept as py3langid ships them: the byte n-gram automaton (transition
# rows, the row of each state, the feature each state completes), the labels and priors.
KEPT = ("classes", "pc", "nextmove", "nextmove_row", "out_feat")
# py3langid's weights (``ptc``: one row per feature, one half-precision log-probability per
# language) as unsigned integers, ``(high - ptc) * scale``, exact, in 32-bit lanes: a row is
# one Python integer, and the rows of a text are summed by integer additions, all languages
# at once, instead of one float operation per feature and language (hundreds of thousands).
WEIGHTS = "weights"
SCALE = "weights_scale"  # float64 [high, scale, largest value]
FILES = (*KEPT, WEIGHTS, SCALE)
_LANE = 32  # bits: "I" in memoryview.cast


def shipped_file() -> Path:
    """py3langid's model file, found without importing py3langid (its ``__init__`` imports
    NumPy). ``OSError`` when py3langid is not installed."""
    spec = importlib.util.find_spec("py3langid")
    if spec is None or not spec.submodule_search_locations:
        raise OSError("py3langid is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "model.npz.xz"


def shipped() -> Any:  # py3langid ships no type hints
    """py3langid's own classifier on the model as shipped (slow: NumPy, decompression)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def cache() -> Path | None:
    """The cache folder, written on first use, or ``None`` when it cannot be written (or
    the model does not fit the integer layout). Named by py3langid's version and the
    layout: a new model or layout gets a new folder."""
    try:
        model = shipped_file()
        # The version py3langid declares, else the model file's size: a new model, a new
        # folder.
        version = installed_version("py3langid") or f"size{model.stat().st_size}"
    except OSError:
        return None
    folder = user_cache(f"langid-{version}-f{FORMAT}")
    if all((folder / f"{name}.npy").is_file() for name in FILES):
        return folder
    try:
        _write(model, folder)
    except (OSError, ValueError):
        return None
    return folder


def _write(model: Path, folder: Path) -> None:
    """Decompress the shipped model into ``folder``, atomically (a temporary folder renamed
    into place: concurrent first uses, batch workers, never see half a cache). NumPy
    writes the arrays: this runs once per machine and model. ``ValueError`` when the
    weights cannot be held exactly in integer lanes (then nothing is written)."""
    import lzma
    import shutil
    import tempfile

    import numpy as np

    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".langid-", dir=folder.parent))
    try:
        with tempfile.TemporaryFile() as npz:
            with lzma.open(model) as src:
                shutil.copyfileobj(src, npz, length=1 << 20)
            npz.seek(0)
            with np.load(npz, allow_pickle=False) as data:
                for name in KEPT:
                    np.save(work / f"{name}.npy", data[name], allow_pickle=False)
                ptc = data["ptc"].astype(np.float64)
        high = float(ptc.max())
        below = high - ptc  # exact: half-precision values, differences held in a double
        for power in range(40):  # the coarsest scale that makes every value an integer
            scaled = below * 2.0**power
            if np.array_equal(scaled, np.rint(scaled)):
                break
        else:
            raise ValueError("model weights are not exact binary fractions")
        largest = float(scaled.max())
        if largest >= 2 ** (_LANE - 10):  # fewer than 1,024 rows per sum: not worth it
            raise ValueError("model weights too wide for 32-bit lanes")
        np.save(work / f"{WEIGHTS}.npy", scaled.astype("<u4"), allow_pickle=False)
        meta = np.array([high, 2.0**power, largest], dtype="<f8")
        np.save(work / f"{SCALE}.npy", meta, allow_pickle=False)
        try:
            work.rename(folder)
        except OSError:
            if not folder.is_dir():  # another process won the race: use its folder
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


# The dtypes MappedModel reads (NumPy's names) and their memoryview codes; anything else in
# a cache folder is refused (ValueError) and the shipped model is used instead.
_CODES = {"<u2": "H", "<u4": "I", "<i4": "i", "<f4": "f", "<f8": "d"}
_NPY_HEADER = re.compile(
    r"\{'descr': '(?P<descr>[<|>]\w+)', 'fortran_order': (?P<fortran>True|False), "
    r"'shape': \((?P<shape>[\d, ]*)\), \}"
)


def _npy(path: Path) -> tuple[str, tuple[int, ...], memoryview]:
    """``(dtype, shape, data)`` of a C-ordered ``.npy`` file, its data memory-mapped: the
    format's header read by hand (NumPy's own reader costs NumPy's import). ``ValueError``
    for anything else, a truncated file included."""
    with path.open("rb") as file:
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    view = memoryview(mapped)  # keeps the mapping alive as long as the model
    if len(view) < 12 or view[:6] != b"\x93NUMPY":
        raise ValueError(f"{path}: not a .npy file")
    size_bytes = 2 if view[6] == 1 else 4
    start = 8 + size_bytes + int.from_bytes(view[8 : 8 + size_bytes], "little")
    header = _NPY_HEADER.match(bytes(view[8 + size_bytes : start]).decode("latin-1"))
    if header is None or header["fortran"] == "True":
        raise ValueError(f"{path}: unexpected .npy header")
    descr = header["descr"]
    shape = tuple(int(n) for n in header["shape"].replace(" ", "").split(",") if n)
    itemsize = int(descr[2:]) * (4 if descr[1] == "U" else 1)
    if len(view) - start != math.prod(shape) * itemsize:
        raise ValueError(f"{path}: truncated")
    return descr, shape, view[start:]


def _numbers(arrays: dict[str, tuple[str, tuple[int, ...], memoryview]], name: str) -> Any:
    descr, _, data = arrays[name]
    if descr not in _CODES:
        raise ValueError(f"{name}: unexpected dtype {descr}")
    return data.cast(_CODES[descr])


class MappedModel:
    """The cached model (``cache()``), classifying as py3langid does (see the module's
    contract). ``OSError`` or ``ValueError`` when the folder does not hold a readable
    cache. The transition table (39 MB) and the weights (57 MB) stay memory-mapped."""

    def __init__(self, folder: Path) -> None:
        if sys.byteorder != "little":  # the cache is little-endian, as NumPy wrote it here
            raise ValueError("a big-endian machine reads the model with NumPy")
        arrays = {name: _npy(folder / f"{name}.npy") for name in FILES}
        descr, (count,), names = arrays["classes"]
        if not descr.startswith("<U"):
            raise ValueError(f"classes: unexpected dtype {descr}")
        width = int(descr[2:])
        text = bytes(names).decode("utf-32-le")
        self.classes = [text[i : i + width].rstrip("\0") for i in range(0, len(text), width)]
        self._prior = _numbers(arrays, "pc").tolist()
        weights_descr, shape, _ = arrays[WEIGHTS]
        states = arrays["out_feat"][1]
        if (
            weights_descr != "<u4"
            or shape[1:] != (count,)
            or len(self._prior) != count
            or arrays["nextmove_row"][1] != states
            or math.prod(arrays["nextmove"][1]) % 256
        ):
            raise ValueError("unexpected model shape")
        self._high, scale, largest = _numbers(arrays, SCALE).tolist()
        self._unit = 1.0 / scale
        self._rows_per_sum = int((2**_LANE - 1) // max(largest, 1))
        self._row_bytes = count * _LANE // 8
        self._weights = arrays[WEIGHTS][2]
        self._next = _numbers(arrays, "nextmove")
        self._state_row = _numbers(arrays, "nextmove_row")
        self._feature = _numbers(arrays, "out_feat")
        first: dict[str, int] = {}
        self._aliases = [
            (first[c], i) for i, c in enumerate(self.classes) if first.setdefault(c, i) != i
        ]

    def _features(self, data: bytes) -> Counter[int]:
        """How often each feature (a byte n-gram the model knows) ends in ``data``."""
        following, state_row, feature = self._next, self._state_row, self._feature
        found: list[int] = []
        state = 0
        for byte in data:
            state = following[(state_row[state] << 8) + byte]
            if (f := feature[state]) >= 0:
                found.append(f)
        return Counter(found)

    def _sums(self, features: list[int]) -> list[float]:
        """Per language, the sum of the weights of ``features``, exact."""
        size, weights = self._row_bytes, self._weights
        lanes = [0] * len(self._prior)
        step = self._rows_per_sum
        for start in range(0, len(features), step):
            chunk = features[start : start + step]
            total = sum(
                int.from_bytes(weights[f * size : f * size + size], "little") for f in chunk
            )
            part = memoryview(total.to_bytes(size, "little")).cast("I").tolist()
            lanes = [a + b for a, b in zip(lanes, part, strict=True)]
        high, unit, rows = self._high, self._unit, len(features)
        return [rows * high - value * unit for value in lanes]

    def classify(self, text: str) -> tuple[str, float]:
        """``(language, probability)`` of the most likely language of ``text``."""
        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf-8", errors="surrogatepass")
        counts = self._features(data)
        scores = [0.0] * len(self._prior)
        if counts:  # no feature at all: every language equally likely, as py3langid has it
            # Features seen equally often share a weight, log(1 + count) in single precision
            # as py3langid computes it: their rows are summed first, then weighted.
            by_count: dict[int, list[int]] = {}
            for feature, seen in counts.items():
                by_count.setdefault(seen, []).append(feature)
            scores = list(self._prior)
            for seen, features in by_count.items():
                weight = _single(math.log1p(_single(seen)))
                sums = self._sums(features)
                scores = [s + weight * t for s, t in zip(scores, sums, strict=True)]
        scale = 1.0 / math.sqrt(len(data) or 1)  # py3langid's temperature: sqrt of the bytes
        top = max(scores) * scale
        probabilities = [math.exp(s * scale - top) for s in scores]
        total = math.fsum(probabilities)
        probabilities = [p / total for p in probabilities]
        for i, j in self._aliases:  # a label with two columns (sr, uz) gets both
            probabilities[i] += probabilities[j]
            probabilities[j] = 0.0
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        return self.classes[best], probabilities[best]


def _single(value: float) -> float:
    """``value`` rounded to single precision."""
    return struct.unpack("<f", struct.pack("<f", value))[0]

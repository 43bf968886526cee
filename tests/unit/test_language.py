"""Unit tests for convert/normalize/language.py: the body's language, script evidence first."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convert.diagnostics import Report, Severity
from convert.i18n import direction
from convert.load import load
from convert.model import Article, Meta
from convert.normalize import langmodel, language, normalize
from convert.normalize.base import doc_from_text

CASES = Path(__file__).resolve().parents[1] / "rules" / "cases"

UK = (
    "Друкарський верстат змінив те, як ідеї поширювалися Європою. Протягом п’ятдесяти років "
    "після його винайдення верстати працювали у понад двохстах містах, а книжки друкувалися. "
)
RU = (
    "Печатный станок изменил то, как идеи распространялись по Европе. За пятьдесят лет после "
    "его изобретения станки работали более чем в двухстах городах, а книги печатались быстро. "
)
EN = (
    "The printing press changed how ideas travelled across Europe. Within fifty years of its "
    "invention, presses were running in more than two hundred cities across the continent. "
)


def _case_input(name: str) -> str:
    text = (CASES / f"{name}.case").read_text(encoding="utf-8")
    return re.search(r"=== input\n(.*?)=== diagnostics", text, re.DOTALL)[1]  # type: ignore[index]


@pytest.mark.parametrize(
    ("case", "lang"),
    [
        ("language-uk", "uk"),
        ("language-ru", "ru"),
        ("language-zh", "zh"),
        ("language-ja", "ja"),
        ("language-ar", "ar"),
        ("language-fa", "fa"),
        ("language-he", "he"),
        ("language-en", "en"),
        ("language-short", "en"),  # too little text: the default stays
        ("language-given", "de"),  # given in the frontmatter: never second-guessed
    ],
)
def test_case_files_detect_the_right_language(tmp_path: Path, case: str, lang: str) -> None:
    path = tmp_path / "doc.md"
    path.write_text(_case_input(case), encoding="utf-8")
    report = Report()
    article = normalize(load(path, report), report)
    assert article.meta.lang == lang


def test_rtl_languages_get_rtl_direction() -> None:
    assert [direction(x) for x in ("ar", "he", "fa", "ur", "en", "uk", "zh")] == (
        ["rtl"] * 4 + ["ltr"] * 3
    )


def test_ukrainian_letters_win_over_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(language, "_model", lambda text: ("ru", 1.0))
    lang, evidence = language.detect(UK * 2) or ("", "")
    assert lang == "uk"
    assert "і ї є ґ" in evidence


def test_russian_with_a_ukrainian_place_name_stays_russian() -> None:
    assert (language.detect(RU * 2 + "Київ і Львів.") or ("",))[0] == "ru"


def test_model_saying_ukrainian_without_ukrainian_letters_is_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(language, "_model", lambda text: ("uk", 1.0))
    assert language.detect(RU * 2) is None


def test_chinese_is_never_japanese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(language, "_model", lambda text: ("ja", 1.0))
    chinese = "印刷机改变了思想在欧洲传播的方式。在其发明后的五十年内，印刷机已在两百多个城市运转。"
    assert (language.detect(chinese * 2) or ("",))[0] == "zh"


def test_japanese_mostly_kanji_is_japanese() -> None:
    japanese = "印刷機発明以後五十年間欧州二百都市稼働書籍製作期間短縮。これは重要です。"
    assert (language.detect(japanese * 3) or ("",))[0] == "ja"


def test_korean_hebrew_and_arabic_by_script(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(language, "_model", lambda text: pytest.fail("model not needed"))
    assert language.detect("인쇄기는 유럽에서 생각이 퍼지는 방식을 바꾸었습니다. " * 4)[0] == "ko"  # type: ignore[index]
    assert language.detect("מכונת הדפוס שינתה את הדרך שבה רעיונות נפוצו. " * 8)[0] == "he"  # type: ignore[index]
    assert language.detect("غيّرت المطبعة الطريقة التي انتقلت بها الأفكار. " * 8)[0] == "ar"  # type: ignore[index]


def test_too_little_text_or_no_dominant_script() -> None:
    assert language.detect("Лише кілька слів українською.") is None
    assert language.detect(EN + UK) is None  # half and half: left to the author


def test_code_urls_and_markup_are_not_prose() -> None:
    body = (
        "Short intro.\n\n```\n" + UK * 5 + "\n```\n\n`" + UK + "`\n\n"
        "<https://example.com/дуже/довга/адреса/українською/мовою/щоб/перевірити>\n"
        "![" + UK + "](x.png)\n"
    )
    assert language._prose(doc_from_text(body, 1, Meta()).lines).count("і") == 0


def test_detection_reported_once_and_only_when_it_changes_something() -> None:
    article = Article(Path("d.md"), Meta(title="T"), UK * 2)
    report = Report()
    first = normalize(article, report)
    assert first.meta.lang == "uk" and first.meta.lang_source == "detected"
    [diagnostic] = [d for d in report if d.code == "meta.lang-detected"]
    assert diagnostic.severity is Severity.INFO and "Ukrainian" in diagnostic.message
    again = Report()
    assert normalize(first, again).meta == first.meta
    assert "meta.lang-detected" not in again.codes()
    english = Report()
    normalize(Article(Path("d.md"), Meta(title="T"), EN * 2), english)
    assert "meta.lang-detected" not in english.codes()


def test_empty_lang_value_still_detects(tmp_path: Path) -> None:
    path = tmp_path / "doc.md"
    path.write_text(f"---\ntitle: T\nlang: undefined\n---\n\n{UK * 2}\n", encoding="utf-8")
    report = Report()
    article = normalize(load(path, report), report)
    assert article.meta.lang == "uk"
    assert report.codes() == ["meta.lang-invalid", "meta.lang-detected"]


def test_huge_body_is_sampled() -> None:
    body = (UK + "\n\n") * 60_000  # about 10 MB
    started = time.perf_counter()
    text = language._prose(doc_from_text(body, 1, Meta()).lines)
    found = language.detect(text)
    assert found is not None and found[0] == "uk"
    assert len(text) < language.SAMPLE_CHARS * 2
    assert time.perf_counter() - started < 60  # guard against blow-ups, not a benchmark


# --- the model cache --------------------------------------------------------------------------

SAMPLES = [
    "Dies ist ein kurzer deutscher Text über das Drucken von Büchern und Zeitungen im Dorf.",
    "Ceci est un court texte français sur l'imprimerie et la fabrication des livres anciens.",
    "Este es un texto breve en español sobre la imprenta y los libros que salen de ella.",
    "This is a short English text about printing presses and the books they make for us.",
    "Это короткий русский текст о печатных станках и книгах, которые на них печатают.",
]


def test_cached_model_reads_like_the_shipped_one(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    language._identifier.cache_clear()
    try:
        folder = langmodel.cache()
        assert folder is not None and folder.is_relative_to(tmp_path)
        assert sorted(p.stem for p in folder.glob("*.npy")) == sorted(langmodel.FILES)
        mapped = langmodel.MappedModel(folder)
        shipped = langmodel.shipped()
        # Every prose sample we have, whole and in pieces: short texts are the close calls.
        texts = [*SAMPLES, UK, RU, EN, "", "1234", "ALL CAPS TEXT ABOUT PRINTING", "x\udc80y"]
        for case in sorted(CASES.glob("*.case")):
            body = case.read_text(encoding="utf-8")
            texts += [body[:20_000], body[:300], body[-120:]]
        for text in texts:
            expected = shipped.classify(text)
            lang, confidence = mapped.classify(text)
            assert lang == expected[0], text
            assert confidence == pytest.approx(expected[1], abs=1e-5), text
        assert isinstance(language._identifier(), langmodel.MappedModel)
        assert language._identifier().classify(SAMPLES[0])[0] == "de"
    finally:
        language._identifier.cache_clear()


def test_the_cached_model_needs_no_numpy(tmp_path: Path) -> None:
    # NumPy's import costs more than the rest of an EPUB's cold start: only the first use
    # on a machine (writing the cache) may import it.
    code = (
        "import sys\n"
        "from convert.normalize import language\n"
        f"print(language._model({EN * 2!r})[0], 'numpy' in sys.modules)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
        )
        for _ in range(2)
    ]
    assert [run.stdout.split() for run in runs] == [["en", "True"], ["en", "False"]], runs


def test_a_damaged_or_unwritable_cache_falls_back_to_the_shipped_model(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    language._identifier.cache_clear()
    try:
        folder = langmodel.cache()
        assert folder is not None
        for damage in (b"not an array", (folder / "weights.npy").read_bytes()[:5000]):
            (folder / "weights.npy").write_bytes(damage)
            language._identifier.cache_clear()
            assert not isinstance(language._identifier(), langmodel.MappedModel)
            assert language._identifier().classify(SAMPLES[1])[0] == "fr"
        blocked = tmp_path / "file"
        blocked.write_text("x")
        monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))  # a file: no folder in it
        assert langmodel.cache() is None
    finally:
        language._identifier.cache_clear()

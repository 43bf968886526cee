"""Profiles, folios and colour: the data and small functions the PDF writer relies on."""

from __future__ import annotations

import pytest

from convert.colour import Separation, srgb_profile
from convert.folios import PageLabels, roman
from convert.profiles import PROFILES, Colour, Family, get, page_options, page_size_in
from tests.conftest import ROOT


def test_every_profile_is_consistent() -> None:
    for name, profile in PROFILES.items():
        assert profile.name == name
        if profile.family is Family.PDFX:
            assert profile.print_layout and profile.colour is not Colour.DEVICE
        if profile.colour is Colour.CMYK:
            assert profile.pdf_version == "1.3" and not profile.tagged
        if profile.trims:
            assert profile.default_trim in profile.trims and profile.source
    assert get("archive").pdfa_part == (3, "U")
    assert get("print-x1a").pdfx_version == "PDF/X-1:2001"
    with pytest.raises(ValueError, match="unknown profile"):
        get("glossy")


def test_page_sizes() -> None:
    assert page_size_in("6in 9in") == (6.0, 9.0)
    assert page_size_in("A4")[0] == pytest.approx(8.27, abs=0.01)
    assert page_size_in("A5 landscape")[0] == pytest.approx(8.27, abs=0.01)
    assert page_size_in("nonsense") is None


def test_store_gutter_grows_with_the_page_count() -> None:
    kdp = get("kdp-print")
    theme = {"page_size": "6in 9in", "page_margin": "10mm", "margin_inner": "10mm"}
    assert page_options(kdp, theme, 100)["gutter"] == "0.394in"  # 10 mm beats 0.375 in
    assert page_options(kdp, theme, 400)["gutter"] == "0.625in"
    assert page_options(kdp, theme, 400)["margin_inner"] == "0.625in"
    assert page_options(kdp, theme)["marks"] == "none"
    assert page_options(kdp, {"page_size": "7in 7in"})["page_size"] == "6in 9in"
    assert page_options(get("screen"), theme) == {}


def test_folios_of_a_book() -> None:
    labels = PageLabels.book(10, front=2, main=6)
    assert labels.labels() == ["Cover", "i", "ii", "iii", "iv", "1", "2", "3", "4", "5"]
    assert PageLabels.book(4, front=1, main=3).labels() == ["i", "ii", "1", "2"]
    assert PageLabels.article(3).labels() == ["1", "2", "3"]
    assert roman(1994) == "mcmxciv"


def test_separation_keeps_greys_on_black_and_colours_in_cmy() -> None:
    separation = Separation((ROOT / "themes/base/icc/pressroom-cmyk.icc").read_bytes())
    assert separation.rgb(0, 0, 0) == (0, 0, 0, 1.0)
    assert separation.rgb(1, 1, 1) == (0, 0, 0, 0)
    c, m, y, _k = separation.rgb(0.8, 0.1, 0.1)  # a red
    assert m > 0.5 and y > 0.5 and c < 0.3
    assert separation.grey(0.25) == (0, 0, 0, 0.75)


def test_srgb_profile_is_the_same_bytes_every_time() -> None:
    data = srgb_profile()
    srgb_profile.cache_clear()
    assert srgb_profile() == data
    assert data[36:40] == b"acsp"

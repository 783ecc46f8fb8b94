"""Every test vector of shared/SEGMENTATION.md §11 (and the worked examples of §7)."""

from __future__ import annotations

import pytest

from sms_cli.core.segments import (
    GSM7,
    GSM_BASIC_TABLE,
    UCS2,
    Alphabet,
    count,
    gsm_part_units,
    split,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
PANGRAM = "The quick brown fox jumps over the lazy dog. "
CYRILLIC = "Съешь же ещё этих мягких французских булок, да выпей чаю. "

# (id, text, encoding, units per part)
VECTORS: list[tuple[str, str, str, list[int]]] = [
    ("empty", "", GSM7, [0]),
    ("gsm-a-160", "a" * 160, GSM7, [160]),
    ("gsm-a-161", "a" * 161, GSM7, [153, 8]),
    ("gsm-a-306", "a" * 306, GSM7, [153, 153]),
    ("gsm-a-307", "a" * 307, GSM7, [153, 153, 1]),
    ("gsm-a-1531", "a" * 1531, GSM7, [153] * 10 + [1]),
    ("gsm-pangram-1600", (PANGRAM * 40)[:1600], GSM7, [153] * 10 + [70]),
    ("gsm-all-basic", GSM_BASIC_TABLE.replace("\x1b", ""), GSM7, [127]),
    ("gsm-all-ext", "\f^{}\\[~]|€", GSM7, [20]),
    ("ext-ff-1", "\f", GSM7, [2]),
    ("ext-158a-euro", "a" * 158 + "€", GSM7, [160]),
    ("ext-159a-euro", "a" * 159 + "€", GSM7, [153, 8]),
    ("ext-152a-brace-6a", "a" * 152 + "{" + "a" * 6, GSM7, [160]),
    ("ext-152a-brace-7a", "a" * 152 + "{" + "a" * 7, GSM7, [152, 9]),
    ("ext-straddle-lbrace", "a" * 152 + "{" + "a" * 152, GSM7, [152, 153, 1]),
    ("ext-straddle-2nd-boundary", "a" * 305 + "~" + "a" * 10, GSM7, [153, 152, 12]),
    ("ext-rbrack-80", "]" * 80, GSM7, [160]),
    ("ext-rbrack-81", "]" * 81, GSM7, [152, 10]),
    ("ext-rbrack-153", "]" * 153, GSM7, [152, 152, 2]),
    ("ext-braces-1600", "{}" * 800, GSM7, [152] * 21 + [8]),
    ("ucs2-zhe-70", "ж" * 70, UCS2, [70]),
    ("ucs2-zhe-71", "ж" * 71, UCS2, [67, 4]),
    ("ucs2-zhe-134", "ж" * 134, UCS2, [67, 67]),
    ("ucs2-zhe-135", "ж" * 135, UCS2, [67, 67, 1]),
    ("ucs2-159a-cedilla", "a" * 159 + "ç", UCS2, [67, 67, 26]),
    (
        "ucs2-mixed-gsm-ext-in-ucs2",
        "|" * 24 + "{" + "|" * 28 + "∞" + "|" * 10 + "^" + "|" * 5,
        UCS2,
        [70],
    ),
    ("ucs2-ru-1600", (CYRILLIC * 30)[:1600], UCS2, [67] * 23 + [59]),
    ("emoji-35", "😀" * 35, UCS2, [70]),
    ("emoji-36", "😀" * 36, UCS2, [66, 6]),
    ("emoji-straddle-count", "ж" * 66 + "😀" + "ж" * 66, UCS2, [66, 67, 1]),
    ("emoji-800", "😀" * 800, UCS2, [66] * 24 + [16]),
    ("combining-70x", "e\u0301" * 70, UCS2, [67, 67, 6]),
    ("zwj-family-count", "ж" * 60 + FAMILY + "ж" * 57, UCS2, [66, 62]),
    ("flag-boundary", "ж" * 65 + "🇺🇸" + "ж" * 5, UCS2, [67, 7]),
    ("crlf-80-79", "a" * 80 + "\r\n" + "a" * 79, GSM7, [153, 8]),
    ("crlf-straddle-gsm", "a" * 152 + "\r\n" + "a" * 10, GSM7, [153, 11]),
    ("C-cedilla-cap", "Ç", GSM7, [1]),
    ("c-cedilla-small", "ç", UCS2, [1]),
    ("greek-gsm-caps", "ΔΦΓΛΩΠΨΣΘΞ", GSM7, [10]),
    ("greek-lookalike-caps", "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", UCS2, [14]),
    ("backtick", "`", UCS2, [1]),
    ("tab", "a\tb", UCS2, [3]),
    ("french-gsm", "Ça fait 5€ à Paris", GSM7, [19]),
    ("smart-159a-apostrophe", "a" * 159 + "’", UCS2, [67, 67, 26]),
    ("smart-in-ucs2", "Привет…", UCS2, [7]),
]


@pytest.mark.parametrize(
    ("text", "encoding", "units"), [v[1:] for v in VECTORS], ids=[v[0] for v in VECTORS]
)
def test_vector(text: str, encoding: str, units: list[int]) -> None:
    result = split(text)
    assert result.encoding == encoding
    assert [s.units for s in result.segments] == units
    assert result.units == sum(units)
    assert "".join(s.text for s in result.segments) == text
    fast = count(text)
    assert (fast.encoding, fast.units, fast.parts) == (encoding, sum(units), len(units))


def test_pangram_and_cyrillic_fixtures_have_the_right_length() -> None:
    assert len((PANGRAM * 40)[:1600]) == 1600
    assert len((CYRILLIC * 30)[:1600]) == 1600
    assert len(GSM_BASIC_TABLE.replace("\x1b", "")) == 127


def test_ref16_gsm() -> None:  # vector 43
    assert [s.units for s in split("a" * 161, ref16=True).segments] == [152, 9]
    assert count("a" * 161, ref16=True).parts == 2


def test_ref16_ucs2() -> None:  # vector 44
    assert [s.units for s in split("ж" * 71, ref16=True).segments] == [66, 5]


def test_turkish_locking_shift_is_chosen_for_s_cedilla() -> None:  # vector 45
    result = split("ş" * 160, national=["tr"])
    assert result.encoding == GSM7
    assert (result.locking_shift, result.single_shift) == ("tr", None)
    assert [s.units for s in result.segments] == [149, 11]


@pytest.mark.parametrize(
    ("locking", "single", "units"),
    [
        ("tr", None, [149, 11]),
        ("tr", "tr", [146, 14]),
        (None, "tr", [148, 148, 24]),
    ],
)
def test_turkish_table_pairs_from_section_7(
    locking: str | None, single: str | None, units: list[int]
) -> None:
    assert gsm_part_units("ş" * 160, Alphabet.build(locking, single)) == units


def test_s_cedilla_without_national_tables_is_ucs2() -> None:
    assert [s.units for s in split("ş" * 160).segments] == [67, 67, 26]


def test_spanish_single_shift_example_from_section_7() -> None:
    text = ("¿Dónde está la estación? Mañana. " * 5)[:150]
    assert sum(text.count(c) for c in "óá") == 14
    assert [s.units for s in split(text).segments] == [67, 67, 16]
    result = split(text, national=["es"])
    assert (result.encoding, result.single_shift, result.units) == (GSM7, "es", 164)
    assert [s.units for s in result.segments] == [149, 15]


def test_national_tables_are_not_used_when_the_default_alphabet_is_enough() -> None:
    result = split("hello", national=["tr", "es", "pt"])
    assert (result.locking_shift, result.single_shift, result.single_limit) == (None, None, 160)


def test_a_tie_between_national_gsm_and_ucs2_keeps_gsm() -> None:
    # 'ç' costs 2 septets in the Spanish single shift table: 70 of them are 140 septets, one part
    # of 155 (one shift IE), and also one UCS-2 part of 70: the tie goes to GSM-7.
    result = split("ç" * 70, national=["es"])
    assert (result.encoding, result.single_shift, result.units) == (GSM7, "es", 140)


def test_unknown_national_language_is_refused() -> None:
    with pytest.raises(ValueError, match="xx"):
        split("hello", national=["xx"])

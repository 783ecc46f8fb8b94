"""Smart encoding: look-alike replacement, all or nothing (SEGMENTATION.md §8)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_cli.core.segments import GSM7, UCS2, is_gsm
from sms_cli.core.smart import LOOKALIKES, smart_encode
from sms_cli.services.preview import build_preview


@pytest.mark.parametrize(("source", "target"), sorted(LOOKALIKES.items()))
def test_every_replacement_is_gsm_and_the_source_is_not(source: str, target: str) -> None:
    assert not is_gsm(source)
    assert is_gsm(target)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("“Hi” ‘there’", "\"Hi\" 'there'"),
        ("a – b — c", "a - b - c"),
        ("wait…", "wait..."),
        ("10\u00a0000\u2009kr", "10 000 kr"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("a\tb", "a b"),
        ("½ ¼ ¾", "1/2 1/4 3/4"),
        ("ＡＢＣ１２３！", "ABC123!"),
        ("｛ｘ｝", "{x}"),
        ("‚so‘", "'so'"),
        ("«oui»", '"oui"'),
    ],
)
def test_replacements(text: str, expected: str) -> None:
    result = smart_encode(text, is_gsm)
    assert result.applied
    assert result.text == expected


def test_smart_159a_apostrophe_saves_two_segments() -> None:  # vector 41
    preview = build_preview("a" * 159 + "’", smart=True)
    assert preview.segmentation.encoding == GSM7
    assert [s.units for s in preview.segmentation.segments] == [160]
    assert preview.segments_without_smart == 3
    assert preview.segments_saved == 2
    assert preview.smart is not None
    assert [(r.index, r.char, r.replacement) for r in preview.smart.replacements] == [
        (159, "’", "'")
    ]


def test_text_that_stays_ucs2_is_left_unchanged() -> None:  # vector 42
    preview = build_preview("Привет…", smart=True)
    assert preview.segmentation.encoding == UCS2
    assert preview.segmentation.text == "Привет…"
    assert preview.segmentation.units == 7
    assert preview.smart is not None
    assert not preview.smart.applied
    assert preview.smart.replacements == ()
    assert [c.char for c in preview.smart.candidates] == ["…"]


def test_gsm_text_has_nothing_to_replace() -> None:
    result = smart_encode("plain text", is_gsm)
    assert (result.applied, result.text, result.candidates) == (False, "plain text", ())


def test_smart_is_off_by_default() -> None:
    preview = build_preview("a" * 159 + "’")
    assert preview.smart is None
    assert preview.segmentation.encoding == UCS2


@given(st.text(alphabet=st.sampled_from([*LOOKALIKES, "a", "ж", "{"]), max_size=200))
def test_all_or_nothing(text: str) -> None:
    result = smart_encode(text, is_gsm)
    if result.applied:
        assert is_gsm(result.text)
        assert len(result.replacements) == sum(c in LOOKALIKES for c in text)
    else:
        assert result.text == text
        assert result.replacements == ()
    for item in result.replacements:
        assert text[item.index] == item.char

"""Hypothesis properties of the segmenter, checked against an independent per-character model."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sms_cli.core.segments import GSM7, GSM_BASIC_TABLE, GSM_EXTENSION_CHARS, count, split

BASIC = GSM_BASIC_TABLE.replace("\x1b", "")
NON_GSM_BMP = "жçáΑ`\t∞中\u0301\u200d\x1b"
ASTRAL = "😀🇺🇸\U00020000"

texts = st.text(
    alphabet=st.sampled_from(list(BASIC + GSM_EXTENSION_CHARS + NON_GSM_BMP + ASTRAL)),
    max_size=700,
)
# Hypothesis favours short texts; boundaries only matter past one part, so ask for long ones too.
long_texts = st.text(
    alphabet=st.sampled_from(list(BASIC + GSM_EXTENSION_CHARS + NON_GSM_BMP + ASTRAL)),
    min_size=60,
    max_size=700,
)
gsm_texts = st.text(
    alphabet=st.sampled_from(list(BASIC + GSM_EXTENSION_CHARS)), min_size=100, max_size=700
)
extension_heavy = st.text(alphabet=st.sampled_from(list("a{]€\f")), min_size=70, max_size=700)


def reference_cost(char: str, encoding: str) -> int:
    """Independent of the implementation: septets from the tables, units from UTF-16."""
    if encoding == GSM7:
        assert char in BASIC or char in GSM_EXTENSION_CHARS, char
        return 2 if char in GSM_EXTENSION_CHARS else 1
    return len(char.encode("utf-16-le")) // 2


def minimal_parts(costs: list[int], single: int, multi: int) -> int:
    """The fewest parts any split into whole characters can achieve (exhaustive DP)."""
    if sum(costs) <= single:
        return 1
    n = len(costs)
    best = [0] * (n + 1)  # best[i]: fewest parts for the characters from i to the end
    for start in range(n - 1, -1, -1):
        used, result, end = 0, n + 1, start
        while end < n and used + costs[end] <= multi:
            used += costs[end]
            end += 1
            result = min(result, 1 + best[end])
        best[start] = result
    return best[0]


def check(text: str) -> None:
    result = split(text)
    encoding = result.encoding
    costs = [reference_cost(c, encoding) for c in text]

    assert "".join(s.text for s in result.segments) == text
    assert result.units == sum(costs)
    position = 0
    for segment in result.segments:
        own = costs[position : position + len(segment.text)]
        assert segment.start == position
        # The units of a segment are those of whole characters: no pair is split across parts.
        assert segment.units == sum(own)
        assert segment.units <= segment.limit
        position += len(segment.text)
    if encoding != GSM7:
        for segment in result.segments:
            encoded = segment.text.encode("utf-16-le")
            assert len(encoded) // 2 == segment.units
            encoded.decode("utf-16-le")  # no lone surrogate at either end
    # Greedy: every part but the last is full, the next character would not have fitted.
    for segment, following in zip(result.segments, result.segments[1:], strict=False):
        assert segment.units + costs[following.start] > segment.limit

    assert len(result.segments) == minimal_parts(
        costs, result.single_limit, result.per_segment_limit
    )
    fast = count(text)
    assert (fast.encoding, fast.units, fast.parts) == (encoding, result.units, result.segment_count)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_any_text(text: str) -> None:
    check(text)


@settings(max_examples=300, deadline=None)
@given(long_texts)
def test_long_text(text: str) -> None:
    check(text)


@settings(max_examples=300, deadline=None)
@given(gsm_texts)
def test_gsm_text(text: str) -> None:
    assert split(text).encoding == GSM7
    check(text)


@settings(max_examples=300, deadline=None)
@given(extension_heavy)
def test_escape_pairs_near_boundaries(text: str) -> None:
    check(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ж😀")), min_size=30, max_size=400))
def test_surrogate_pairs_near_boundaries(text: str) -> None:
    check(text)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_forced_ucs2_counts_utf16_units(text: str) -> None:
    result = split(text, force_ucs2=True)
    assert result.encoding == "ucs2"
    assert result.units == len(text.encode("utf-16-le")) // 2
    assert count(text, force_ucs2=True).parts == result.segment_count


@settings(max_examples=200, deadline=None)
@given(texts)
def test_non_gsm_lists_exactly_the_characters_outside_the_alphabet(text: str) -> None:
    result = split(text)
    expected = [(i, c) for i, c in enumerate(text) if c not in BASIC + GSM_EXTENSION_CHARS]
    assert [(n.index, n.char) for n in result.non_gsm] == expected
    assert (result.encoding == GSM7) == (not expected)

"""Segment counting decides cost and what the composer shows the dispatcher."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from burgernet.dispatch.sms import GSM7_BASIC, GSM7_EXTENSION, sms_segments

gsm_basic = st.text(alphabet=sorted(set(GSM7_BASIC) - {"\x1b"}))
gsm_any = st.text(alphabet=sorted((set(GSM7_BASIC) - {"\x1b"}) | set(GSM7_EXTENSION)))


def test_known_examples() -> None:
    assert sms_segments("") == ("GSM-7", 0)
    assert sms_segments("a" * 160) == ("GSM-7", 1)
    assert sms_segments("a" * 161) == ("GSM-7", 2)
    assert sms_segments("a" * 306) == ("GSM-7", 2)
    assert sms_segments("a" * 307) == ("GSM-7", 3)
    assert sms_segments("€" * 80) == ("GSM-7", 1)  # two septets each
    assert sms_segments("€" * 81) == ("GSM-7", 2)
    assert sms_segments("Vermist: jongen (8), blauwe jas. Bel 0800-0011") == ("GSM-7", 1)
    assert sms_segments("ç" * 70) == ("UCS-2", 1)  # lower-case ç is not in GSM-7
    assert sms_segments("ç" * 71) == ("UCS-2", 2)
    assert sms_segments("😀" * 35) == ("UCS-2", 1)  # surrogate pairs
    assert sms_segments("😀" * 36) == ("UCS-2", 2)


def test_escape_pair_is_not_split_between_parts() -> None:
    # 152 plain septets then '€' (2 septets) would straddle the 153 boundary: it moves on.
    assert sms_segments("a" * 152 + "€" + "a" * 152) == ("GSM-7", 3)
    assert sms_segments("a" * 151 + "€" + "a" * 153) == ("GSM-7", 2)


@given(gsm_basic)
def test_plain_gsm_text_matches_the_formula(text: str) -> None:
    encoding, parts = sms_segments(text)
    assert encoding == "GSM-7"
    n = len(text)
    expected = 0 if n == 0 else 1 if n <= 160 else math.ceil(n / 153)
    assert parts == expected


@given(gsm_any, st.sampled_from(["ç", "😀", "ł", "中"]))
def test_one_non_gsm_character_switches_to_ucs2(text: str, odd: str) -> None:
    encoding, parts = sms_segments(text + odd)
    assert encoding == "UCS-2"
    assert parts >= 1


@given(st.text())
def test_parts_hold_the_whole_text(text: str) -> None:
    encoding, parts = sms_segments(text)
    if encoding == "GSM-7":
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, part = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
    if units == 0:
        assert parts == 0
    elif units <= single:
        assert parts == 1
    else:
        # Never fewer parts than the raw capacity needs, at most one extra per part for
        # pairs that may not be split.
        assert math.ceil(units / part) <= parts <= math.ceil(units / (part - 1))


@given(gsm_any, gsm_any)
def test_appending_never_needs_fewer_parts(a: str, b: str) -> None:
    assert sms_segments(a + b)[1] >= sms_segments(a)[1]

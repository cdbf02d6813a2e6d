"""Phone parsing, mobile detection and the keyed hash used for caller lookup."""

from __future__ import annotations

import phonenumbers
import pytest
from django.test import override_settings
from hypothesis import assume, given
from hypothesis import strategies as st

from burgernet.participants.phones import PhoneError, is_mobile, parse_phone, phone_hash

# (country calling code, region, mobile prefix, subscriber digits after the prefix)
MOBILE_PLANS = [("31", "NL", "6", 8), ("32", "BE", "47", 7), ("49", "DE", "151", 8)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06-12345678", "+31612345678"),
        ("06 1234 5678", "+31612345678"),
        ("+31 (0)6 12345678", "+31612345678"),
        ("0031612345678", "+31612345678"),
        ("020-1234567", "+31201234567"),
        ("+32 470 12 34 56", "+32470123456"),
        ("0032 470.12.34.56", "+32470123456"),
        ("0049 151 23456789", "+4915123456789"),
        ("+49 (0)151/23456789", "+4915123456789"),
    ],
)
def test_dutch_belgian_and_german_formats_parse_to_e164(raw: str, expected: str) -> None:
    assert parse_phone(raw) == expected


def test_national_format_of_another_country_with_its_region() -> None:
    assert parse_phone("0470 12 34 56", default_region="BE") == "+32470123456"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("12", "invalid"),
        ("hallo", "invalid"),
        ("06-1234", "invalid"),
    ],
)
def test_unusable_input_raises_phone_error_with_a_code(raw: str, code: str) -> None:
    with pytest.raises(PhoneError) as info:
        parse_phone(raw)
    assert info.value.code == code
    assert isinstance(info.value, ValueError)
    assert str(info.value.message)


def test_landline_is_refused_where_a_mobile_is_required() -> None:
    assert parse_phone("020-1234567") == "+31201234567"
    with pytest.raises(PhoneError) as info:
        parse_phone("020-1234567", mobile_required=True)
    assert info.value.code == "not_mobile"
    assert parse_phone("06-12345678", mobile_required=True) == "+31612345678"


def test_is_mobile() -> None:
    assert is_mobile("+31612345678")
    assert is_mobile("+32470123456")
    assert is_mobile("+4915123456789")
    assert not is_mobile("+31201234567")
    assert not is_mobile("garbage")


@st.composite
def number_and_variant(draw: st.DrawFn) -> tuple[str, str]:
    """A valid mobile number (E.164) and one of the many ways a person might type it."""
    cc, region, prefix, length = draw(st.sampled_from(MOBILE_PLANS))
    subscriber = draw(st.text("0123456789", min_size=length, max_size=length))
    national = prefix + subscriber
    e164 = f"+{cc}{national}"
    assume(phonenumbers.is_valid_number(phonenumbers.parse(e164, None)))
    lead = draw(
        st.sampled_from(
            [f"+{cc}", f"00{cc}", f"+{cc} (0)", f"+{cc}(0)", "0" if region == "NL" else f"+{cc}"]
        )
    )
    # Sprinkle separators between the digits of the national number.
    separators = draw(
        st.lists(
            st.sampled_from(["", "", " ", "-", ".", " - "]),
            min_size=len(national),
            max_size=len(national),
        )
    )
    body = "".join(sep + digit for sep, digit in zip(separators, national, strict=True))
    if draw(st.booleans()) and len(national) > 3:
        body = f"({national[:2]}) {national[2:]}" if lead == "0" else body
    padding = draw(st.sampled_from(["", " ", "  "]))
    return e164, f"{padding}{lead}{' ' if draw(st.booleans()) else ''}{body}{padding}"


@given(number_and_variant())
def test_formatting_variants_parse_to_the_same_e164(case: tuple[str, str]) -> None:
    e164, typed = case
    assert parse_phone(typed) == e164


@given(st.sampled_from(["+31612345678", "+32470123456", "+4915123456789"]), st.text(min_size=1))
def test_hash_is_stable_and_differs_per_key(e164: str, key: str) -> None:
    assert phone_hash(e164, key=key) == phone_hash(e164, key=key)
    assert len(phone_hash(e164, key=key)) == 64
    assert phone_hash(e164, key=key) != phone_hash(e164, key=key + "x")


def test_hash_uses_the_configured_key() -> None:
    with override_settings(PHONE_HASH_KEY="one"):
        first = phone_hash("+31612345678")
        assert first == phone_hash("+31612345678", key="one")
    with override_settings(PHONE_HASH_KEY="two"):
        assert phone_hash("+31612345678") != first
    assert phone_hash("+31612345678") != phone_hash("+31612345679")

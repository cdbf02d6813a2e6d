"""Property tests for the address parsers of the sign-up form."""

from __future__ import annotations

import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st

from burgernet.participants.forms import clean_house_number, normalise_postcode

digits4 = st.integers(min_value=1000, max_value=9999).map(str)
letters2 = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2
)
spaces = st.text(alphabet=" ", max_size=3)


@given(digits4, letters2, spaces, spaces, spaces)
def test_any_spacing_and_case_normalises(d: str, l2: str, a: str, b: str, c: str) -> None:
    assert normalise_postcode(f"{a}{d}{b}{l2}{c}") == f"{d} {l2.upper()}"


@given(st.text(max_size=12))
def test_anything_else_is_refused_or_a_postcode(raw: str) -> None:
    try:
        value = normalise_postcode(raw)
    except forms.ValidationError as exc:
        assert "Postcode" in str(exc.messages[0]) or "postcode" in str(exc.messages[0]).lower()
    else:
        assert len(value) == 7 and value[:4].isdigit() and value[5:].isupper()


@pytest.mark.parametrize("raw", ["0123 AB", "123 AB", "12345 AB", "1234 A1", ""])
def test_invalid_postcodes(raw: str) -> None:
    with pytest.raises(forms.ValidationError):
        normalise_postcode(raw)


@pytest.mark.parametrize(
    ("raw", "ok"), [("12", True), ("12a", True), ("12-3", True), ("a12", False)]
)
def test_house_numbers(raw: str, ok: bool) -> None:
    if ok:
        assert clean_house_number(raw) == raw
    else:
        with pytest.raises(forms.ValidationError):
            clean_house_number(raw)

"""Temporary phone helpers until `participants/phones.py` (branch pdata) is merged.

Same names and signatures as `phones.py`; the lead replaces the imports of this module with it.
"""

from __future__ import annotations

import hashlib
import hmac

import phonenumbers
from django.conf import settings


class PhoneError(ValueError):
    """Not a valid phone number; the message is safe to show."""


def parse_phone(raw: str, default_region: str = "NL") -> str:
    """`raw` in any common notation (06-12345678, +32 470 12 34 56, 0049 151 ...) as E.164."""
    text = (raw or "").strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    """True for numbers that can receive SMS (mobile, or fixed-or-mobile where undecidable)."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def phone_hash(e164: str) -> str:
    """The keyed hash (HMAC-SHA256, hex) of an E.164 number, for lookup without the number."""
    key = str(settings.PHONE_HASH_KEY).encode()
    return hmac.new(key, e164.encode(), hashlib.sha256).hexdigest()

"""Phone numbers: parse what people type into E.164, tell mobiles apart, and hash for lookup.

Participants type numbers in every shape: `06-12345678`, `+31 (0)6 1234 5678`, `0032 470 12 34 56`
for a Belgian mobile, `0049 151 23456789` for a German one. `parse_phone` turns all of them into
one E.164 string (`+31612345678`) with Google's libphonenumber metadata (the `phonenumbers`
package, offline). National formats are read as Dutch unless another `default_region` is given.

`phone_hash` is a keyed hash (HMAC-SHA256 with `settings.PHONE_HASH_KEY`) of the E.164 string.
Incoming calls and SMS replies carry the caller's number; looking up its hash in the indexed
`PhoneNumber.number_hash` column finds the participant without scanning or decrypting, and a
leaked table of hashes cannot be reversed by enumerating the (small) space of phone numbers
without the key. Rotating the key means re-hashing every stored number.
"""

from __future__ import annotations

import phonenumbers
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from burgernet.core.hashing import phone_hash as core_phone_hash

_MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)

#: Message per error code; msgids in English, the Dutch text lives in the app's .po file.
MESSAGES: dict[str, Promise] = {
    "empty": _("Enter a phone number."),
    "invalid": _("This is not a valid phone number. Use e.g. 06 12345678 or +32 470 12 34 56."),
    "not_mobile": _("Enter a mobile number (06 …): we send text messages to it."),
}


class PhoneError(ValueError):
    """A number that cannot be used; `code` is one of MESSAGES' keys, `message` its text."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.message = MESSAGES[code]
        super().__init__(str(self.message))


def parse_phone(raw: str, default_region: str = "NL", *, mobile_required: bool = False) -> str:
    """The number in E.164 (`+31612345678`), or PhoneError (`empty`, `invalid`, `not_mobile`).

    Accepts spaces, dashes, dots, slashes and parentheses, the trunk `(0)` after a country code,
    and `00` as well as `+` for international numbers.
    """
    text = (raw or "").strip()
    if not text:
        raise PhoneError("empty")
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise PhoneError("invalid") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("invalid")
    if mobile_required and phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise PhoneError("not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    """Whether an E.164 number is a mobile number (so it can take SMS)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in _MOBILE_TYPES


def phone_hash(e164: str, *, key: str | None = None) -> str:
    """HMAC-SHA256 (hex) of the E.164 number with `settings.PHONE_HASH_KEY` (or `key`)."""
    return core_phone_hash(e164, key=key)

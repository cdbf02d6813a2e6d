"""SMS encoding and segment counting: the one helper both the composer and dispatch use.

GSM 03.38 7-bit default alphabet when every character fits (extension characters such as `€`
or `{` take two septets: an escape plus the character), otherwise UCS-2 (UTF-16 code units;
characters outside the BMP, such as most emoji, take two). A single SMS carries 160 septets or
70 UCS-2 units; a concatenated one loses room to its header: 153 septets or 67 units per part.
An escape pair or a surrogate pair is never split between parts, as handsets do.
"""

from __future__ import annotations

from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"
_BASIC = frozenset(GSM7_BASIC) - {"\x1b"}
_EXTENSION = frozenset(GSM7_EXTENSION)

SINGLE_CAPACITY = {"GSM-7": 160, "UCS-2": 70}
PART_CAPACITY = {"GSM-7": 153, "UCS-2": 67}


def sms_encoding(text: str) -> Encoding:
    """GSM-7 when every character is in the default alphabet or its extension, else UCS-2."""
    return "GSM-7" if all(c in _BASIC or c in _EXTENSION for c in text) else "UCS-2"


def _units(text: str, encoding: Encoding) -> list[int]:
    if encoding == "GSM-7":
        return [2 if c in _EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def sms_segments(text: str) -> tuple[Encoding, int]:
    """The encoding an SMS of `text` needs and how many parts it is sent in (0 for no text)."""
    encoding = sms_encoding(text)
    units = _units(text, encoding)
    total = sum(units)
    if total == 0:
        return encoding, 0
    if total <= SINGLE_CAPACITY[encoding]:
        return encoding, 1
    capacity = PART_CAPACITY[encoding]
    parts, used = 1, 0
    for unit in units:
        if used + unit > capacity:
            parts, used = parts + 1, 0
        used += unit
    return encoding, parts

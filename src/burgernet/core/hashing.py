"""The keyed hash of phone numbers, shared by the registry (stored on PhoneNumber) and the
dispatch engine (looking up callers): one implementation so the two can never disagree."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def phone_hash(e164: str, *, key: str | None = None) -> str:
    """HMAC-SHA256 (hex) of the E.164 number with `settings.PHONE_HASH_KEY` (or `key`)."""
    secret = settings.PHONE_HASH_KEY if key is None else key
    return hmac.new(secret.encode(), e164.encode(), hashlib.sha256).hexdigest()

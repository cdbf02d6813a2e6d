"""HMAC-SHA256 signatures for the generic HTTP gateway (requests out, receipts in)."""

from __future__ import annotations

import hashlib
import hmac

from burgernet.core.hashing import phone_hash as core_phone_hash

SIGNATURE_HEADER = "X-Burgernet-Signature"


def sign(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Constant-time check of `signature` against the body."""
    return bool(secret) and hmac.compare_digest(sign(secret, body), signature or "")


def phone_hash(e164: str) -> str:
    """Keyed hash of an E.164 number, as `participants.PhoneNumber.number_hash` stores it."""
    return core_phone_hash(e164)

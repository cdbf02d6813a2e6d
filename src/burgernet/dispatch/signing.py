"""HMAC-SHA256 signatures: the generic HTTP gateway (requests out, receipts in) signs the raw
body; partner webhooks sign "<unix seconds>.<raw body>" so a replay can be refused by age."""

from __future__ import annotations

import hashlib
import hmac
import time

from burgernet.core.hashing import phone_hash as core_phone_hash

SIGNATURE_HEADER = "X-Burgernet-Signature"


def sign(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Constant-time check of `signature` against the body."""
    return bool(secret) and hmac.compare_digest(sign(secret, body), signature or "")


def signature_header(secret: str, body: bytes, *, at: int | None = None) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the timestamp is signed
    too, so a partner can refuse a replayed request that is older than a few minutes."""
    t = int(time.time()) if at is None else at
    return f"t={t},v1={sign(secret, str(t).encode() + b'.' + body)}"


def verify_signature(
    secret: str, body: bytes, header: str, *, tolerance: float = 300, now: float | None = None
) -> bool:
    """What a partner does (and the mock provider): check the signature and its age."""
    parts = dict(p.strip().split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = sign(secret, str(t).encode() + b"." + body)
    return bool(secret) and hmac.compare_digest(expected, parts.get("v1", ""))


def phone_hash(e164: str) -> str:
    """Keyed hash of an E.164 number, as `participants.PhoneNumber.number_hash` stores it."""
    return core_phone_hash(e164)

"""Demo app subscriptions: a few anonymous app users in the big towns, whose push endpoints
are the mock provider's push service, so `make run` shows app push in the console's progress
and the mock records what a phone would receive. Nothing here reaches a real push service."""

from __future__ import annotations

import base64
import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

from burgernet.public import services
from burgernet.public.models import AppSubscription

#: Town centres (lat, lon) and how many demo app users live around each.
TOWNS = {
    "Amsterdam": ((52.3731, 4.8922), 12),
    "Rotterdam": ((51.9225, 4.4792), 8),
    "Den Haag": ((52.0799, 4.3113), 6),
    "Utrecht": ((52.0907, 5.1214), 6),
    "Eindhoven": ((51.4416, 5.4697), 4),
    "Groningen": ((53.2194, 6.5665), 4),
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _keys(rng: random.Random) -> tuple[str, str]:
    """A valid p256dh public key and auth secret, as a browser would send them."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64(public), _b64(rng.randbytes(16))


def build(*, options: dict[str, Any], out: Callable[[str], Any]) -> None:
    """Create (or refresh) the demo app subscriptions; idempotent by endpoint."""
    if not (settings.DEMO_MODE or settings.DEBUG or settings.TESTING):
        out("App subscriptions: skipped (demo endpoints are plain http, demo mode only)")
        return
    rng = random.Random(options.get("seed", 2025))  # noqa: S311 - demo data
    made = 0
    for town, ((lat, lon), count) in TOWNS.items():
        for n in range(count):
            token = f"demo-{town.lower().replace(' ', '-')}-{n}"
            endpoint = f"{settings.MOCK_PROVIDER_URL}/push/{token}"
            place = services.Place(lat + rng.uniform(-0.03, 0.03), lon + rng.uniform(-0.05, 0.05))
            existing = AppSubscription.objects.filter(endpoint=endpoint).first()
            p256dh, auth = (existing.p256dh, existing.auth) if existing else _keys(rng)
            quiet = (dt.time(23, 0), dt.time(7, 0)) if n % 4 == 3 else (None, None)
            services.app_subscription_upsert(
                endpoint=endpoint,
                p256dh=p256dh,
                auth=auth,
                places=[place],
                languages=["en"] if n % 5 == 4 else ["nl"],
                quiet_start=quiet[0],
                quiet_end=quiet[1],
            )
            made += 1
    out(f"App subscriptions: {made} demo app users (push to the mock provider)")

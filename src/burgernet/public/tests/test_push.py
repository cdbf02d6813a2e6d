"""Web Push against a local push-service stand-in that decrypts what it receives (RFC 8291)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from burgernet.actions import services as action_services
from burgernet.public import push, services
from burgernet.public.management.commands.vapid_keys import vapid_key_pair
from burgernet.public.models import AppSubscription
from burgernet.public.tests.conftest import AMSTERDAM, GRONINGEN

pytestmark = pytest.mark.django_db


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PushService:
    """A push service on loopback: records each POST; /gone/ endpoints answer 410."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append(
                    (self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                self.send_response(410 if self.path.startswith("/gone/") else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Browser:
    """One browser's push subscription: its own ECDH key pair and auth secret."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.p256dh = b64(
            self.key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def subscribe(self, *, place, quiet=None):
        return services.app_subscription_upsert(
            endpoint=self.endpoint,
            p256dh=self.p256dh,
            auth=b64(self.auth),
            places=[services.Place(*place)],
            languages=["nl"],
            quiet_start=quiet[0] if quiet else None,
            quiet_end=quiet[1] if quiet else None,
        )

    def decrypt(self, body: bytes) -> dict:
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


@pytest.fixture
def push_service(settings):
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = vapid_key_pair()
    settings.VAPID_SUBJECT = "mailto:test@burgernet.invalid"
    service = PushService()
    yield service
    service.close()


def test_start_is_pushed_encrypted_to_subscribers_near_the_area_only(push_service, actions):
    near = Browser(f"{push_service.url}/push/near")
    far = Browser(f"{push_service.url}/push/far")
    near.subscribe(place=(AMSTERDAM[0] + 0.01, AMSTERDAM[1]))
    far.subscribe(place=GRONINGEN)
    action = actions.active(title="Vermist kind Centrum")

    result = push.push_for_action_event(action=action, kind="start")

    assert result.sent == 1
    ((path, headers, body),) = push_service.received
    assert path == "/push/near"
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["urgency"] == "high" and headers["ttl"] == "3600"
    assert headers["authorization"].startswith("vapid t=")
    assert b"Jongen" not in body  # encrypted on the wire
    message = near.decrypt(body)
    assert message["action_id"] == action.pk and message["kind"] == "start"
    assert message["title"] == "Burgernet: Vermist kind Centrum"
    assert message["text"] == "Jongen, 8 jaar, blauwe pet, rode fiets."


def test_closing_message_and_gone_subscription(push_service, actions):
    alive = Browser(f"{push_service.url}/push/alive")
    gone = Browser(f"{push_service.url}/gone/old-phone")
    alive.subscribe(place=AMSTERDAM)
    gone.subscribe(place=AMSTERDAM)
    action = actions.active()
    action_services.action_close(action=action, by=actions.user, outcome="found")
    action.refresh_from_db()

    result = push.push_for_action_event(action=action, kind="closed")

    assert (result.sent, result.gone) == (1, 1)
    assert list(AppSubscription.objects.values_list("endpoint", flat=True)) == [alive.endpoint]
    body = next(b for p, _h, b in push_service.received if p == "/push/alive")
    message = alive.decrypt(body)
    assert message["kind"] == "closing" and "gevonden" in message["text"]


def test_quiet_hours_hold_back_non_urgent_messages_only(push_service, actions):
    sleeper = Browser(f"{push_service.url}/push/sleeper")
    sleeper.subscribe(place=AMSTERDAM, quiet=(dt.time(22, 0), dt.time(7, 0)))
    prevention = actions.active(type="prevention", title="Let op: babbeltrucs")
    urgent = actions.active(type="missing_child", title="Vermist kind")

    night = dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.UTC)  # 03:30 in Amsterdam
    with time_machine.travel(night, tick=False):
        assert push.push_for_action_event(action=prevention, kind="start").skipped_quiet == 1
        assert push.push_for_action_event(action=urgent, kind="start").sent == 1
    with time_machine.travel(night.replace(hour=10), tick=False):
        assert push.push_for_action_event(action=prevention, kind="start").sent == 1
    urgencies = [h["urgency"] for _p, h, _b in push_service.received]
    assert urgencies == ["high", "normal"]


def test_exercises_are_never_pushed(push_service, actions):
    Browser(f"{push_service.url}/push/x").subscribe(place=AMSTERDAM)
    exercise = actions.active(exercise=True)
    assert push.push_for_action_event(action=exercise, kind="start").sent == 0
    assert push_service.received == []


def test_vapid_keys_command_prints_a_usable_pair():
    import io

    from django.core.management import call_command
    from py_vapid import Vapid

    out = io.StringIO()
    call_command("vapid_keys", stdout=out)
    values = dict(line.split("=", 1) for line in out.getvalue().split())
    vapid = Vapid.from_raw(values["VAPID_PRIVATE_KEY"].encode())
    public = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert b64(public) == values["VAPID_PUBLIC_KEY"]

"""App push through the dispatch outbox, against the mock provider's push service over HTTP.

Each test subscribes "browsers" that hold their own ECDH keys, starts real actions through the
lifecycle services (the registry is stubbed: no participants, only app users), drains the push
channel with the real dispatch engine and reads what the push service received.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os

import http_ece
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.cache import cache
from django.db import transaction

from burgernet.actions import outbox
from burgernet.actions import services as action_services
from burgernet.dispatch import services as dispatch
from burgernet.dispatch.models import Delivery, DeliveryState, Message
from burgernet.dispatch.providers.webpush import topic_for
from burgernet.dispatch.tests.conftest import mock_config, mock_messages, mock_stats
from burgernet.public import services
from burgernet.public.management.commands.vapid_keys import vapid_key_pair
from burgernet.public.models import AppSubscription
from burgernet.public.tests.conftest import AMSTERDAM, GRONINGEN

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quiet_outbox(monkeypatch):
    """Overrides the package's stub: the real outbox, with nobody in the registry."""
    monkeypatch.setattr(outbox, "reach", lambda *, area, channels, at, category: [])
    cache.clear()
    yield
    cache.clear()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Browser:
    """One browser's push subscription: its own ECDH key pair and auth secret."""

    def __init__(self, endpoint: str, *, language: str = "nl") -> None:
        self.endpoint = endpoint
        self.token = endpoint.rsplit("/", 1)[-1]
        self.language = language
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.p256dh = b64(
            self.key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )
        self.sub: AppSubscription | None = None

    def subscribe(self, *, place, quiet=None) -> Browser:
        self.sub = services.app_subscription_upsert(
            endpoint=self.endpoint,
            p256dh=self.p256dh,
            auth=b64(self.auth),
            places=[services.Place(*place)],
            languages=[self.language],
            quiet_start=quiet[0] if quiet else None,
            quiet_end=quiet[1] if quiet else None,
        )
        return self

    @property
    def address(self) -> str:
        assert self.sub is not None
        return f"sub:{self.sub.pk}"

    def decrypt(self, record: dict) -> dict:
        body = base64.b64decode(record["body"])
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


def push_account(**extra) -> dict:
    entry = {"name": "push", "channel": "push", "adapter": "webpush", "batch_size": 50}
    entry.update(extra)
    return entry


@pytest.fixture
def push_setup(settings, mock_provider, configure_accounts):
    """VAPID keys and one push account that posts to each subscription's own endpoint."""
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = vapid_key_pair()
    settings.VAPID_SUBJECT = "mailto:test@burgernet.invalid"
    configure_accounts(push_account())
    return mock_provider


def browser(mock, name: str, **kwargs) -> Browser:
    return Browser(f"{mock.url}/push/{name}", **kwargs)


def pushed(mock, browser: Browser) -> list[dict]:
    return mock_messages(mock, channel="push", to=browser.token)


def test_start_writes_push_deliveries_in_the_same_transaction(push_setup, actions):
    near = browser(push_setup, "near").subscribe(place=(AMSTERDAM[0] + 0.01, AMSTERDAM[1]))
    browser(push_setup, "far").subscribe(place=GRONINGEN)

    draft = actions.draft(title="Vermist kind Centrum")
    with pytest.raises(RuntimeError), transaction.atomic():
        action_services.action_start(action=draft, by=actions.user)
        assert Delivery.objects.filter(channel="push").count() == 1
        raise RuntimeError("the request fails after the start")
    assert not Delivery.objects.exists() and not Message.objects.exists()

    action_services.action_start(action=draft, by=actions.user)

    (delivery,) = Delivery.objects.filter(channel="push")
    assert delivery.address == near.address and delivery.state == DeliveryState.QUEUED
    push = delivery.message.payload["push"]
    assert (push["ttl"], push["urgency"]) == (3600, "high")
    assert push["messages"]["en"]["lang"] == "en"
    assert push["messages"]["nl"]["text"] == "Jongen, 8 jaar, blauwe pet, rode fiets."
    assert delivery.message.source_id == str(draft.pk)
    assert delivery.message.kind == "action_start"


def test_one_encrypted_push_per_subscription_with_ttl_urgency_and_topic(push_setup, actions):
    dutch = browser(push_setup, "dutch").subscribe(place=AMSTERDAM)
    english = browser(push_setup, "english", language="en").subscribe(place=AMSTERDAM)
    action = actions.active(title="Vermist kind Centrum")

    assert dispatch.deliveries_drain(channel="push", wait_for_retries=False) == 2

    for who in (dutch, english):
        (record,) = pushed(push_setup, who)
        delivery = Delivery.objects.get(address=who.address)
        assert 3590 <= record["ttl"] <= 3600 and record["urgency"] == "high"
        assert record["topic"] == topic_for(delivery.idempotency_key)
        assert len(record["topic"]) == 32
        assert b"Jongen" not in base64.b64decode(record["body"])  # encrypted on the wire
        message = who.decrypt(record)
        assert message["action_id"] == action.pk and message["kind"] == "start"
        assert message["title"] == "Burgernet: Vermist kind Centrum"
        assert message["text"] == "Jongen, 8 jaar, blauwe pet, rode fiets."
        assert message["lang"] == who.language
        assert message["url"].endswith(f"#action-{action.pk}")
        assert delivery.state == DeliveryState.SENT
        assert delivery.provider_message_id.startswith(f"/push/{who.token}/messages/")
    stats = mock_stats(push_setup)["accounts"]["push"]
    assert (stats["requests"], stats["accepted"]) == (2, 2)  # one request per subscription


def test_closing_is_pushed_and_a_gone_subscription_is_deleted(push_setup, actions):
    alive = browser(push_setup, "alive").subscribe(place=AMSTERDAM)
    gone = browser(push_setup, "old-phone").subscribe(place=AMSTERDAM)
    action = actions.active()
    dispatch.deliveries_drain(channel="push", wait_for_retries=False)
    mock_config(push_setup, push_gone=[gone.token])

    action_services.action_close(action=action, by=actions.user, outcome="found")
    dispatch.deliveries_drain(channel="push", wait_for_retries=False)

    assert list(AppSubscription.objects.values_list("endpoint", flat=True)) == [alive.endpoint]
    closing = Delivery.objects.filter(message__kind="action_closing")
    lost = closing.get(address=gone.address)
    assert lost.state == DeliveryState.UNDELIVERABLE and "410" in lost.error
    assert closing.get(address=alive.address).state == DeliveryState.SENT
    records = pushed(push_setup, alive)
    assert [alive.decrypt(r)["kind"] for r in records] == ["start", "closing"]
    closing_message = alive.decrypt(records[1])
    assert "gevonden" in closing_message["text"]
    assert records[1]["ttl"] > 3600  # a closing message is still worth showing tomorrow


def test_a_server_error_then_success_delivers_once(push_setup, actions, settings):
    phone = browser(push_setup, "flaky").subscribe(place=AMSTERDAM)
    mock_config(push_setup, push_fail={phone.token: [500]})
    actions.active()

    dispatch.deliveries_drain(channel="push")

    (record,) = pushed(push_setup, phone)
    delivery = Delivery.objects.get(address=phone.address)
    assert delivery.state == DeliveryState.SENT and delivery.attempts == 2
    assert record["topic"] == topic_for(delivery.idempotency_key)
    assert mock_stats(push_setup)["accounts"]["push"]["scripted_500"] == 1


def test_too_many_requests_waits_for_retry_after(push_setup, actions):
    phone = browser(push_setup, "busy").subscribe(place=AMSTERDAM)
    other = browser(push_setup, "calm").subscribe(place=AMSTERDAM)
    mock_config(push_setup, push_fail={phone.token: [429]}, retry_after=30)
    actions.active()

    dispatch.deliveries_drain(channel="push", wait_for_retries=False)

    waiting = Delivery.objects.get(address=phone.address)
    assert waiting.state == DeliveryState.QUEUED and "429" in waiting.error
    assert (waiting.next_attempt_at - waiting.queued_at).total_seconds() >= 29
    # The other push service was not held back by the busy one.
    assert Delivery.objects.get(address=other.address).state == DeliveryState.SENT
    assert pushed(push_setup, phone) == [] and len(pushed(push_setup, other)) == 1


def test_quiet_hours_hold_back_non_urgent_messages_only(push_setup, actions):
    sleeper = browser(push_setup, "sleeper").subscribe(
        place=AMSTERDAM, quiet=(dt.time(22, 0), dt.time(7, 0))
    )
    night = dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.UTC)  # 03:30 in Amsterdam
    with time_machine.travel(night, tick=False):
        actions.active(type="prevention", title="Let op: babbeltrucs")
        assert not Delivery.objects.filter(channel="push").exists()
        actions.active(type="missing_child", title="Vermist kind")
        assert Delivery.objects.filter(channel="push").count() == 1
        dispatch.deliveries_drain(channel="push", wait_for_retries=False)
    with time_machine.travel(night.replace(hour=10), tick=False):
        actions.active(type="prevention", title="Let op: babbeltrucs")
        dispatch.deliveries_drain(channel="push", wait_for_retries=False)
    urgencies = [r["urgency"] for r in pushed(push_setup, sleeper)]
    assert urgencies == ["high", "normal"]


def test_exercise_never_reaches_a_real_push_service(push_setup, actions, configure_accounts):
    phone = browser(push_setup, "real-phone").subscribe(place=AMSTERDAM)
    actions.active(exercise=True)

    dispatch.deliveries_drain(channel="push", wait_for_retries=False)

    delivery = Delivery.objects.get(channel="push")
    assert delivery.state == DeliveryState.UNDELIVERABLE and "exercise" in delivery.error
    assert mock_messages(push_setup, channel="push") == []

    # With an exercise account (a test push service) it goes there, not to the phone.
    configure_accounts(
        push_account(),
        push_account(
            name="drill", exercise=True, options={"push_service_url": f"{push_setup.url}/push"}
        ),
    )
    action = actions.active(exercise=True)
    dispatch.deliveries_drain(channel="push", wait_for_retries=False)
    assert pushed(push_setup, phone) == []
    (record,) = mock_messages(push_setup, channel="push")
    assert record["to"] == f"sub-{phone.sub.pk}"
    message = phone.decrypt(record)
    assert message["action_id"] == action.pk and message["title"].startswith("OEFENING")


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


def test_without_vapid_keys_app_push_is_off(settings, actions, mock_provider):
    settings.VAPID_PRIVATE_KEY = ""
    settings.DEMO_MODE = False
    settings.PROVIDER_ACCOUNTS = "[]"
    browser(mock_provider, "phone").subscribe(place=AMSTERDAM)

    actions.active()

    assert not Delivery.objects.filter(channel="push").exists()


def test_a_broken_provider_configuration_does_not_stop_an_action(settings, actions, mock_provider):
    settings.PROVIDER_ACCOUNTS = "[{not json"
    phone = browser(mock_provider, "phone").subscribe(place=AMSTERDAM)

    action = actions.active()

    assert action.status == "active"
    (delivery,) = Delivery.objects.filter(channel="push")
    assert delivery.address == phone.address  # waits in the outbox for a fixed configuration

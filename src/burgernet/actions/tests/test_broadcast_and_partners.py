# ruff: noqa: S314  -- parses XML our own code produced
"""Broadcast through Apprise and signed partner webhooks, over HTTP against the mock provider:
the real lifecycle services write the outbox, the real dispatch engine sends it, Apprise posts
to the mock's JSON endpoint and partners are the mock's signature-checking endpoints."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest
import xmlschema
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import Client

from burgernet.actions import services
from burgernet.actions.tests.factories import dispatcher
from burgernet.core import clock
from burgernet.dispatch import services as dispatch
from burgernet.dispatch import targets
from burgernet.dispatch.models import Delivery, DeliveryState
from burgernet.dispatch.signing import verify_signature
from burgernet.dispatch.tests.conftest import mock_config, mock_messages
from burgernet.geo.area import Circle

pytestmark = pytest.mark.django_db
DAM = (52.3731, 4.8926)
CAP_SCHEMA = Path(__file__).parents[2] / "public" / "tests" / "schema" / "CAP-v1.2.xsd"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
JSON_SECRET = "ov-secret-1234"
CAP_SECRET = "matrix-secret-5678"


@pytest.fixture
def peers(settings, monkeypatch, mock_provider, configure_accounts):
    """Two broadcast targets (one marked exercise) and two partners on the mock provider."""
    configure_accounts()  # no provider accounts: broadcast and webhooks use their built-ins
    monkeypatch.setenv("TEST_PARTNER_JSON_SECRET", JSON_SECRET)
    monkeypatch.setenv("TEST_PARTNER_CAP_SECRET", CAP_SECRET)
    host = mock_provider.url.removeprefix("http://")
    settings.BROADCAST_TARGETS = json.dumps(
        [
            {"name": "social", "url": f"json://{host}/broadcast/social"},
            {
                "name": "oefenkanaal",
                "url": f"json://{host}/broadcast/oefenkanaal",
                "exercise": True,
                "events": ["started", "follow_up", "closed"],
            },
        ]
    )
    settings.PARTNER_WEBHOOKS = json.dumps(
        [
            {
                "name": "ov-schermen",
                "url": f"{mock_provider.url}/partner/ov-schermen",
                "format": "json",
                "secret_env": "TEST_PARTNER_JSON_SECRET",
            },
            {
                "name": "matrixborden",
                "url": f"{mock_provider.url}/partner/matrixborden",
                "format": "cap",
                "secret_env": "TEST_PARTNER_CAP_SECRET",
                "events": ["started", "closed"],
            },
        ]
    )
    mock_config(
        mock_provider,
        partner_secrets={"ov-schermen": JSON_SECRET, "matrixborden": CAP_SECRET},
        retry_after=0,
    )
    targets.clear_cache()
    yield mock_provider
    targets.clear_cache()


def requests_to(server, name: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{server.url}/_mock/requests")
    return [r for r in response.json()["requests"] if r["name"] == name]


def start(
    *,
    type: str = "missing_child",
    channels: list[str] | None = None,
    exercise: bool = False,
    omit_offence: bool = False,
    title: str = "Vermist kind Dam",
):
    user = dispatcher()
    action = services.action_create(
        by=user,
        type=type,
        title=title,
        description="Jongen, 8 jaar, blauwe pet, rode fiets.",
        area=Circle(lat=DAM[0], lon=DAM[1], radius_m=2000),
        channels=channels or ["sms"],
        omit_offence=omit_offence,
        exercise=exercise,
    )
    return services.action_start(action=action, by=user), user


def drain() -> None:
    """Send, and retry what is due within the drain's wait (the sweeper's job in production)."""
    dispatch.deliveries_drain(channel="webhook", wait_for_retries=True)
    dispatch.deliveries_drain(channel="broadcast", wait_for_retries=True)


def test_start_sends_each_partner_one_signed_request(peers) -> None:
    action, _user = start()
    drain()

    for name, secret in (("ov-schermen", JSON_SECRET), ("matrixborden", CAP_SECRET)):
        (request,) = requests_to(peers, name)
        assert request["status"] == 200 and request["event"] == "started"
        body = request["body"].encode()
        assert verify_signature(secret, body, request["signature"])
        assert not verify_signature("another-secret", body, request["signature"])
        assert not verify_signature(secret, body + b" ", request["signature"])
        delivery = Delivery.objects.get(channel="webhook", address=name)
        assert request["delivery"] == delivery.idempotency_key
        assert delivery.state == DeliveryState.DELIVERED

    event = json.loads(requests_to(peers, "ov-schermen")[0]["body"])
    assert requests_to(peers, "ov-schermen")[0]["content_type"].startswith("application/json")
    assert event["event"] == "started" and event["seq"] >= 1
    assert event["action"]["id"] == action.pk and event["action"]["status"] == "active"
    assert event["action"]["type"] == "missing_child"
    assert event["action"]["area"] == action.area
    assert event["action"]["incident"]["coordinates"] == [
        round(action.incident_lon, 6),
        round(action.incident_lat, 6),
    ]
    assert "blauwe pet" in event["action"]["text"]
    assert event["action"]["url"].endswith(f"/acties/{action.pk}/")

    cap = requests_to(peers, "matrixborden")[0]
    assert cap["content_type"].startswith("application/cap+xml")
    xmlschema.XMLSchema(CAP_SCHEMA).validate(cap["body"])
    alert = ET.fromstring(cap["body"].encode())
    assert alert.findtext(f"{CAP}msgType") == "Alert"
    assert alert.findtext(f"{CAP}status") == "Actual"
    assert alert.findtext(f"{CAP}identifier").startswith(f"nl.burgernet.action.{action.pk}.")


def test_a_wrong_secret_is_refused_by_the_partner(peers) -> None:
    # The partner holds another secret than ours: it answers 401, which is permanent.
    mock_config(peers, partner_secrets={"ov-schermen": "not-ours", "matrixborden": CAP_SECRET})
    start()
    drain()
    (request,) = requests_to(peers, "ov-schermen")
    assert request["status"] == 401
    refused = Delivery.objects.get(address="ov-schermen")
    assert refused.state == DeliveryState.UNDELIVERABLE and "HTTP 401" in refused.error


def test_partner_500_then_200_is_one_delivery_with_one_stable_key(peers) -> None:
    mock_config(peers, script={"ov-schermen": [500]})
    start()
    drain()
    first, second = requests_to(peers, "ov-schermen")
    assert (first["status"], second["status"]) == (500, 200)
    assert first["delivery"] == second["delivery"]  # the partner can drop a duplicate
    assert first["body"] == second["body"]  # the same bytes, built once at enqueue
    delivery = Delivery.objects.get(address="ov-schermen")
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 2
    assert len(mock_messages(peers, channel="webhook", to="ov-schermen")) == 1


def test_a_partner_that_is_down_does_not_hold_the_worker(peers) -> None:
    # A worker that waited here for the partner's retries would leave the next action's SMS
    # queued behind it (seen in the first-message benchmark: seconds instead of 100 ms).
    mock_config(peers, script={"ov-schermen": [500, 500, 500]})
    start()
    dispatch.deliveries_drain(channel="webhook")  # as the worker's drain task calls it
    assert len(requests_to(peers, "ov-schermen")) == 1
    waiting = Delivery.objects.get(address="ov-schermen")
    # Queued for its retry, which the sweeper wakes a worker for.
    assert waiting.state == DeliveryState.QUEUED and waiting.attempts == 1


def test_partner_429_waits_for_its_retry_after(peers) -> None:
    mock_config(peers, script={"ov-schermen": [429]}, retry_after=120)
    start()
    before = clock.now()
    dispatch.deliveries_drain(channel="webhook", wait_for_retries=False)
    waiting = Delivery.objects.get(address="ov-schermen")
    assert waiting.state == DeliveryState.QUEUED and "HTTP 429" in waiting.error
    assert waiting.next_attempt_at >= before + dt.timedelta(seconds=119)


def test_partner_400_fails_with_the_reason(peers) -> None:
    mock_config(peers, script={"matrixborden": [400]})
    start()
    drain()
    assert len(requests_to(peers, "matrixborden")) == 1  # never retried
    refused = Delivery.objects.get(address="matrixborden")
    assert refused.state == DeliveryState.UNDELIVERABLE
    assert "HTTP 400" in refused.error and "scripted failure" in refused.error
    assert Delivery.objects.get(address="ov-schermen").state == DeliveryState.DELIVERED


def test_every_lifecycle_step_reaches_the_subscribed_partners(peers) -> None:
    action, user = start()
    services.action_expand(
        action=action, by=user, area=Circle(lat=DAM[0], lon=DAM[1], radius_m=4000)
    )
    services.action_follow_up(action=action, by=user, text="Hij is bij het station gezien.")
    services.action_close(action=action, by=user, outcome="cancelled")
    services.action_publish(action=action, by=user, public_summary="De melding bleek onjuist.")
    drain()
    events = [r["event"] for r in requests_to(peers, "ov-schermen")]
    assert events == ["started", "expanded", "follow_up", "closed", "published"]
    caps = requests_to(peers, "matrixborden")
    assert [r["event"] for r in caps] == ["started", "closed"]  # what it subscribed to
    schema = xmlschema.XMLSchema(CAP_SCHEMA)
    for cap in caps:
        schema.validate(cap["body"])
    closing = ET.fromstring(caps[1]["body"].encode())
    assert closing.findtext(f"{CAP}msgType") == "Cancel"
    assert closing.findtext(f"{CAP}references")  # it points back at the alert
    published = json.loads(requests_to(peers, "ov-schermen")[-1]["body"])
    assert published["action"]["text"] == "De melding bleek onjuist."
    assert published["action"]["outcome"] == "cancelled"


def test_broadcast_carries_the_public_text_without_the_offence(peers, settings) -> None:
    action, user = start(
        type="robbery", channels=["sms", "broadcast"], omit_offence=True, title="Overval juwelier"
    )
    drain()
    posts = mock_messages(peers, channel="broadcast", to="social")
    assert len(posts) == 1
    text = posts[0]["text"]
    assert "blauwe pet" in text
    assert settings.CALLBACK_NUMBER in text
    assert f"/acties/{action.pk}/" in text
    assert "overval" not in text.lower()
    assert Delivery.objects.get(channel="broadcast", address="social").state == "delivered"
    # The partner's JSON leaves the type out with the offence.
    event = json.loads(requests_to(peers, "ov-schermen")[0]["body"])
    assert event["action"]["type"] is None and event["action"]["offence_omitted"] is True
    assert "overval" not in json.dumps(event).lower()
    # CAP too: a neutral event and headline, in both languages.
    cap = requests_to(peers, "matrixborden")[0]["body"]
    assert "overval" not in cap.lower() and "robbery" not in cap.lower()
    assert "<event>Burgernetactie</event>" in cap and "<event>Burgernet action</event>" in cap

    services.action_close(action=action, by=user, outcome="apprehended")
    drain()
    closing = mock_messages(peers, channel="broadcast", to="social")[-1]["text"]
    assert "de actie is beëindigd" in closing.lower() and "aangehouden" in closing


def test_broadcast_only_when_the_dispatcher_chose_it(peers) -> None:
    start(channels=["sms"])
    drain()
    assert mock_messages(peers, channel="broadcast") == []
    assert not Delivery.objects.filter(channel="broadcast").exists()


def test_broadcast_retries_when_apprise_reports_failure(peers) -> None:
    mock_config(peers, script={"social": [503, 500]})
    start(channels=["broadcast"])
    drain()
    tries = requests_to(peers, "social")
    assert [r["status"] for r in tries] == [503, 500, 200]
    delivery = Delivery.objects.get(channel="broadcast", address="social")
    # Apprise's JSON URL carries our key, the same on every try.
    assert {r["delivery"] for r in tries} == {delivery.idempotency_key}
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 3


def test_exercise_reaches_only_targets_and_partners_marked_exercise(peers) -> None:
    start(channels=["sms", "broadcast"], exercise=True)
    drain()
    posts = mock_messages(peers, channel="broadcast")
    assert [p["to"] for p in posts] == ["oefenkanaal"]
    assert posts[0]["text"].startswith("OEFENING")
    assert requests_to(peers, "social") == []
    # Neither partner is marked exercise: nothing was even written for them.
    assert not Delivery.objects.filter(channel="webhook").exists()
    assert requests_to(peers, "ov-schermen") == [] and requests_to(peers, "matrixborden") == []


def test_exercise_partner_gets_a_cap_exercise(peers, settings) -> None:
    entries = json.loads(settings.PARTNER_WEBHOOKS)
    entries[1]["exercise"] = True
    settings.PARTNER_WEBHOOKS = json.dumps(entries)
    targets.clear_cache()
    start(exercise=True)
    drain()
    (cap,) = requests_to(peers, "matrixborden")
    xmlschema.XMLSchema(CAP_SCHEMA).validate(cap["body"])
    assert ET.fromstring(cap["body"].encode()).findtext(f"{CAP}status") == "Exercise"


def test_unknown_target_name_is_a_permanent_error(peers) -> None:
    from django.db import transaction

    with transaction.atomic():
        message = dispatch.message_create(
            kind="test", payload={"title": "t", "body": "b", "event": "started"}
        )
        dispatch.deliveries_enqueue(message=message, recipients=[("broadcast", "weg", None)])
        dispatch.deliveries_enqueue(message=message, recipients=[("webhook", "weg", None)])
    drain()
    errors = dict(Delivery.objects.values_list("channel", "error"))
    assert set(Delivery.objects.values_list("state", flat=True)) == {"undeliverable"}
    assert "unknown broadcast target 'weg'" in errors["broadcast"]
    assert "unknown partner 'weg'" in errors["webhook"]


def test_choosing_broadcast_without_targets_is_refused_naming_the_field(peers, settings) -> None:
    settings.BROADCAST_TARGETS = "[]"
    with pytest.raises(ValidationError) as error:
        start(channels=["sms", "broadcast"])
    assert "channels" in error.value.message_dict


def test_api_accepts_the_broadcast_channel(peers) -> None:
    user = dispatcher()
    _token, raw = services.control_room_token_issue(user=user, name="GMS")
    body = {
        "type": "missing_child",
        "description": "Meisje, 6 jaar, gele jas.",
        "area": Circle(lat=DAM[0], lon=DAM[1], radius_m=1500).to_geojson(),
        "channels": ["sms", "broadcast"],
    }
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    created = Client().post(
        "/api/v1/actions", json.dumps(body), content_type="application/json", **auth
    )
    assert created.status_code == 201, created.content
    assert created.json()["channels"] == ["sms", "broadcast"]
    bad = Client().post(
        "/api/v1/actions",
        json.dumps({**body, "channels": ["sms", "fax"]}),
        content_type="application/json",
        **auth,
    )
    assert bad.status_code in (400, 422)
    assert bad["Content-Type"] == "application/problem+json"
    assert "channels" in bad.content.decode()


@pytest.mark.parametrize(
    ("setting", "entries", "message"),
    [
        ("BROADCAST_TARGETS", "{nope", "BROADCAST_TARGETS is not valid JSON"),
        ("BROADCAST_TARGETS", [{"url": "json://x"}], "BROADCAST_TARGETS[0].name is required"),
        ("BROADCAST_TARGETS", [{"name": "a"}], "BROADCAST_TARGETS[a].url (or url_env)"),
        (
            "BROADCAST_TARGETS",
            [{"name": "a", "url_env": "TEST_UNSET_BROADCAST_URL"}],
            "BROADCAST_TARGETS[a].url_env: environment variable TEST_UNSET_BROADCAST_URL",
        ),
        (
            "BROADCAST_TARGETS",
            [{"name": "a", "url": "json://x", "events": ["begun"]}],
            "BROADCAST_TARGETS[a].events: unknown 'begun'",
        ),
        (
            "PARTNER_WEBHOOKS",
            [{"name": "p", "url": "ftp://x", "secret_env": "X"}],
            "PARTNER_WEBHOOKS[p].url must be an http(s) URL",
        ),
        (
            "PARTNER_WEBHOOKS",
            [{"name": "p", "url": "https://x", "format": "xml", "secret_env": "X"}],
            "PARTNER_WEBHOOKS[p].format 'xml' is unknown",
        ),
        (
            "PARTNER_WEBHOOKS",
            [{"name": "p", "url": "https://x", "secret": "inline"}],
            "PARTNER_WEBHOOKS[p].secret: put the secret in the environment",
        ),
        (
            "PARTNER_WEBHOOKS",
            [{"name": "p", "url": "https://x", "secret_env": "TEST_UNSET_PARTNER_SECRET"}],
            "PARTNER_WEBHOOKS[p].secret_env: environment variable TEST_UNSET_PARTNER_SECRET",
        ),
        (
            "PARTNER_WEBHOOKS",
            [{"name": "p", "url": "https://x", "secret_env": "HOME", "exercise": "yes"}],
            "PARTNER_WEBHOOKS[p].exercise must be true or false",
        ),
    ],
)
def test_bad_configuration_names_the_entry_and_key(settings, setting, entries, message) -> None:
    from django.core import checks

    setattr(settings, setting, entries if isinstance(entries, str) else json.dumps(entries))
    targets.clear_cache()
    read = targets.broadcast_targets if setting == "BROADCAST_TARGETS" else targets.partner_webhooks
    with pytest.raises(ImproperlyConfigured) as error:
        read()
    assert message in str(error.value)
    # The same message stops start-up (serve and the workers run the system checks).
    problems = [m for m in checks.run_checks() if m.id == f"burgernet.dispatch.{setting.lower()}"]
    assert [p.msg for p in problems] == [str(error.value)]
    targets.clear_cache()


def test_a_url_apprise_cannot_use_stops_start_up_and_is_never_retried(peers, settings) -> None:
    from django.core import checks

    settings.BROADCAST_TARGETS = json.dumps([{"name": "social", "url": "nope://token@x"}])
    targets.clear_cache()
    (problem,) = [m for m in checks.run_checks() if m.id == "burgernet.dispatch.broadcast_targets"]
    assert "BROADCAST_TARGETS[social].url is not an Apprise URL" in problem.msg
    assert "token" not in problem.msg  # URLs carry secrets: never echoed
    # Started anyway (a process that skipped the checks): final, not retried.
    start(channels=["broadcast"])
    drain()
    delivery = Delivery.objects.get(channel="broadcast")
    assert delivery.state == DeliveryState.UNDELIVERABLE and delivery.attempts == 1
    assert "cannot use the URL of 'social'" in delivery.error


def test_demo_mode_has_a_broadcast_target_and_two_partners_on_the_mock(settings) -> None:
    settings.DEMO_MODE = True
    settings.BROADCAST_TARGETS = ""
    settings.PARTNER_WEBHOOKS = ""
    settings.MOCK_PROVIDER_URL = "http://127.0.0.1:8025"
    targets.clear_cache()
    (target,) = targets.broadcast_targets()
    assert target.url == "json://127.0.0.1:8025/broadcast/demo-social" and target.exercise
    partners = {p.format: p.url for p in targets.partner_webhooks()}
    assert partners == {
        "json": "http://127.0.0.1:8025/partner/demo-json",
        "cap": "http://127.0.0.1:8025/partner/demo-cap",
    }
    targets.clear_cache()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_console_offers_broadcast_and_shows_its_progress(signed_in_page, peers) -> None:
    from django.urls import reverse
    from playwright.sync_api import expect

    from burgernet.actions.models import Action
    from burgernet.conftest import screenshot_dir

    user = dispatcher()
    page = signed_in_page(user, reverse("actions:new"), viewport={"width": 1280, "height": 800})
    page.select_option("#id_type", "missing_child")
    broadcast = page.get_by_label("uitzending (sociale media en groepskanalen)")
    expect(broadcast).to_be_visible()
    expect(broadcast).not_to_be_checked()  # a choice, not a default
    page.fill("#id_description", "Meisje, 6 jaar, gele jas.")
    broadcast.check()
    page.fill("#address-q", "Amsterdam")
    page.locator("#address-results button").first.click()
    expect(page.locator("#reach-sms")).not_to_have_text("–")
    page.click("text=Opslaan als concept")

    expect(page.locator("#broadcast-confirmation")).to_contain_text("social")
    page.click("#start-button")
    page.wait_for_selector("#action-status:has-text('actief')")
    assert Action.objects.get().channels == ["voice", "sms", "broadcast"]

    drain()
    row = page.locator("#progress-table tbody tr", has_text="uitzending")
    # Queued, sent, delivered, failed: both targets took it (real alerts reach the one
    # marked exercise too).
    expect(row.locator("td")).to_have_text(["uitzending", "0", "0", "2", "0"], timeout=3000)
    expect(page.locator("#progress-table tbody")).to_contain_text("partnerkoppeling")
    shots = screenshot_dir()
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "console-broadcast.png"), full_page=True)

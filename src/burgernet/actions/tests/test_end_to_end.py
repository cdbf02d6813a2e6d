"""An action end to end, through the real registry, the real outbox and the mock provider over
HTTP: the people inside are exactly those an independent distance recount says, a reached
participant's call goes to the right control room and shows in the console, expanding reaches
only the new ones, closing reaches everyone, the public page shows the outcome. An app user
near the Dam gets each step as an encrypted push through the same outbox."""

from __future__ import annotations

import math
import random
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from twilio.request_validator import RequestValidator

from burgernet.accounts.models import Role
from burgernet.accounts.tests.factories import DispatchCentreFactory, StaffUserFactory
from burgernet.actions import services
from burgernet.actions.dossier import dossier_verify
from burgernet.actions.models import Response
from burgernet.dispatch import services as dispatch
from burgernet.dispatch.tests.conftest import (
    TWILIO_TOKEN,
    gateway_account,
    mock_messages,
    twilio_account,
)
from burgernet.geo.area import Circle
from burgernet.participants.models import Participant, PhoneNumber
from burgernet.participants.tests.factories import make_participant
from burgernet.public import services as public_services
from burgernet.public.management.commands.vapid_keys import vapid_key_pair

pytestmark = pytest.mark.django_db
CENTRE = (52.3731, 4.8926)  # Dam, Amsterdam


def great_circle_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Independent of the product's code: spherical law of cosines, R = 6,371,008.8 m."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 6_371_008.8 * math.acos(max(-1.0, min(1.0, c)))


def inside(radius_m: float) -> set[str]:
    """Recount over the database: numbers of confirmed participants within `radius_m`."""
    numbers = set()
    for participant in Participant.objects.exclude(confirmed_at=None).prefetch_related(
        "locations", "phones"
    ):
        if any(
            great_circle_m(*CENTRE, loc.lat, loc.lon) <= radius_m
            for loc in participant.locations.all()
        ):
            numbers.update(p.e164 for p in participant.phones.all())
    return numbers


@pytest.fixture
def people() -> None:
    rng = random.Random(7)
    for i in range(80):
        distance = rng.uniform(0, 6000)
        bearing = rng.uniform(0, 2 * math.pi)
        lat = CENTRE[0] + distance * math.cos(bearing) / 111_195
        lon = CENTRE[1] + distance * math.sin(bearing) / (
            111_195 * math.cos(math.radians(CENTRE[0]))
        )
        make_participant(
            region=None,
            name=f"Deelnemer {i}",
            email=f"d{i}@example.nl",
            phone=f"+3162000{i:04d}",
            lat=lat,
            lon=lon,
        )
    # Inside, but not confirmed: must never be reached.
    make_participant(
        region=None,
        name="Onbevestigd",
        email="x@example.nl",
        phone="+31629999999",
        lat=CENTRE[0],
        lon=CENTRE[1],
        confirmed=False,
    )


def sms_to(mock, text_start: str) -> list[str]:
    return sorted(
        m["to"] for m in mock_messages(mock, channel="sms") if m["text"].startswith(text_start)
    )


def test_missing_child_from_start_to_publication(
    people, mock_provider, configure_accounts, settings, login_client
) -> None:
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = vapid_key_pair()
    configure_accounts(
        gateway_account("gw", mock_provider.url),
        twilio_account("tv", mock_provider.url, channel="voice"),
        {"name": "wp", "channel": "push", "adapter": "webpush"},
    )
    public_services.app_subscription_upsert(
        endpoint=f"{mock_provider.url}/push/app-user",
        # A real P-256 point and auth secret, as a browser sends them.
        p256dh="BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
        auth="tBHItJI5svbpez7KI4CCXg",
        places=[public_services.Place(*CENTRE)],
    )
    centre = DispatchCentreFactory(phone_number="+31205559999")
    dispatcher = StaffUserFactory(organisation=centre, roles=[Role.DISPATCHER])

    action = services.action_create(
        by=dispatcher,
        type="missing_child",
        title="Jordaan",
        description="Meisje, 6 jaar, gele regenjas, roze laarzen.",
        area=Circle(lat=CENTRE[0], lon=CENTRE[1], radius_m=2000),
        channels=["sms"],
    )
    services.action_start(action=action, by=dispatcher)
    dispatch.deliveries_drain(channel="sms")

    first = inside(2000)
    assert 5 < len(first) < 80
    assert sms_to(mock_provider, "Dit is een oproep van Burgernet.") == sorted(first)
    assert "+31629999999" not in first
    dispatch.deliveries_drain(channel="push")
    (push,) = mock_messages(mock_provider, channel="push")
    assert (push["to"], push["urgency"]) == ("app-user", "high")

    # A reached participant calls the free number: put through to this control room, and the
    # call shows in the console's live panel.
    caller = sorted(first)[0]
    params = {"CallSid": "CA-e2e-1", "From": caller, "To": "+31800"}
    url = "http://testserver/dispatch/webhooks/twilio/tv/voice"
    settings.DISPATCH_WEBHOOK_BASE_URL = "http://testserver"
    answer = Client().post(
        "/dispatch/webhooks/twilio/tv/voice",
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={
            "X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
        },
    )
    assert "<Dial>+31205559999</Dial>" in answer.content.decode()
    response = Response.objects.get(action=action)
    phone = PhoneNumber.objects.get(e164=caller)
    assert response.kind == "call" and response.participant_id == phone.participant_id
    live = login_client(dispatcher).get(reverse("actions:live", args=[action.pk])).content.decode()
    assert "Belt terug; doorverbonden met de meldkamer." in live
    assert "m van het incident" in live
    assert "app-pushbericht" in live  # the console's progress per channel includes app push

    # Expanding reaches only the newly covered participants.
    services.action_expand(
        action=action, by=dispatcher, area=Circle(lat=CENTRE[0], lon=CENTRE[1], radius_m=4000)
    )
    dispatch.deliveries_drain(channel="sms")
    all_texts = mock_messages(mock_provider, channel="sms")
    start_texts = [m["to"] for m in all_texts if m["text"].startswith("Dit is een oproep")]
    assert sorted(start_texts) == sorted(inside(4000))  # each exactly once, old and new
    assert len(start_texts) == len(set(start_texts))

    # Closing reaches everyone reached, on the channel they were reached on.
    services.action_close(
        action=action, by=dispatcher, outcome="found", participant_contributed=True
    )
    dispatch.deliveries_drain(channel="sms")
    assert sms_to(mock_provider, "Burgernet: de actie is beëindigd.") == sorted(inside(4000))
    dispatch.deliveries_drain(channel="push")
    pushes = mock_messages(mock_provider, channel="push", to="app-user")
    assert len(pushes) == 3  # start, expansion, closing
    assert sorted(p["ttl"] > 3600 for p in pushes) == [False, False, True]  # closing lives longer

    services.action_publish(
        action=action, by=dispatcher, public_summary="Het meisje is gevonden dankzij een tip."
    )
    assert dossier_verify(action=action).ok
    public = Client().get(reverse("public:action", args=[action.pk]))
    assert "Het meisje is gevonden dankzij een tip." in public.content.decode()

"""A participant's own Burgernetmail settings (My Burgernet) and the composer's live count."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from burgernet.geo.models import Region
from burgernet.mailings.models import Mailing, MailPreference
from burgernet.mailings.tests.conftest import Sink, World, drain
from burgernet.participants.models import Participant
from burgernet.participants.session import SESSION_KEY, SINCE_KEY

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
URL = "/mijn-burgernet/burgernetmail/"


def _as_participant(participant: Participant) -> Client:
    """A browser session opened by the participant's magic link."""
    client = Client()
    session = client.session
    session[SESSION_KEY] = participant.pk
    session[SINCE_KEY] = participant.created_at.isoformat()
    session.save()
    return client


def _send_mailing(sender: Client, postcodes: str = "1234") -> Mailing:
    response = sender.post(
        reverse("mailings:compose"),
        {
            "kind": "inquiry",
            "subject": "Inbraak in uw buurt",
            "body": "Beste {{ naam }}, zag u iets?",
            "target_kind": "postcodes",
            "postcodes": postcodes,
            "allow_replies": "on",
            "reply_days": "14",
            "action": "save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    mailing = Mailing.objects.latest("pk")
    sender.post(reverse("mailings:detail", args=[mailing.pk]), {"action": "send", "send_at": ""})
    mailing.refresh_from_db()
    return mailing


def test_quiet_hours_set_on_my_burgernet_hold_a_mailing_until_morning(
    world: World, people: dict[str, Any], smtp: Sink, login_client: Any
) -> None:
    anna = _as_participant(people["anna"])
    page = anna.get(URL)
    assert page.status_code == 200 and 'name="quiet_start"' in page.content.decode()
    saved = anna.post(URL, {"receive": "on", "quiet_start": "22:00", "quiet_end": "07:00"})
    assert saved.status_code == 302
    preference = MailPreference.objects.get(participant=people["anna"])
    assert (preference.quiet_start, preference.quiet_end) == (dt.time(22), dt.time(7))

    with time_machine.travel(dt.datetime(2026, 11, 25, 23, 0, tzinfo=AMS), tick=False):
        _send_mailing(login_client(world.comms))
        assert drain() == 1
    assert smtp.recipients == ["bob@example.nl"]
    with time_machine.travel(dt.datetime(2026, 11, 26, 7, 0, tzinfo=AMS), tick=False):
        assert drain() == 1
    assert smtp.recipients == ["bob@example.nl", "anna@example.nl"]


def test_half_given_quiet_hours_name_the_field_and_change_nothing(
    world: World, people: dict[str, Any]
) -> None:
    anna = _as_participant(people["anna"])
    response = anna.post(URL, {"receive": "on", "quiet_start": "22:00", "quiet_end": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Stille uren: geef een begin en een eind." in body
    assert 'id="id_quiet_end"' in body and 'aria-invalid="true"' in body
    assert not MailPreference.objects.exists()
    same = anna.post(URL, {"receive": "on", "quiet_start": "22:00", "quiet_end": "22:00"})
    assert same.status_code == 400 and not MailPreference.objects.exists()


def test_unsubscribe_and_subscribe_again_from_my_burgernet(
    world: World, people: dict[str, Any], smtp: Sink, login_client: Any
) -> None:
    anna = _as_participant(people["anna"])
    assert anna.post(URL, {"quiet_start": "", "quiet_end": ""}).status_code == 302
    sender = login_client(world.comms)
    _send_mailing(sender)
    drain()
    assert smtp.recipients == ["bob@example.nl"]
    page = anna.get(URL).content.decode()
    assert 'name="receive"' in page and "checked" not in page.split('name="receive"')[1][:80]

    assert anna.post(URL, {"receive": "on"}).status_code == 302
    _send_mailing(sender)
    drain()
    assert sorted(smtp.recipients) == ["anna@example.nl", "bob@example.nl", "bob@example.nl"]


def test_settings_page_needs_a_participant_session(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == reverse("participants:manage_request")


# --- live recipient count ------------------------------------------------------------------


def _count(client: Client, **fields: str) -> Any:
    return client.post(reverse("mailings:reach_count"), {"kind": "inquiry", **fields})


def test_live_count_equals_who_the_mailing_reaches(
    world: World, people: dict[str, Any], smtp: Sink, login_client: Any
) -> None:
    sender = login_client(world.comms)
    response = _count(sender, target_kind="postcodes", postcodes="1234")
    assert response.status_code == 200
    assert response.json() == {"count": 2, "text": "Deze mailing zou 2 deelnemers bereiken."}
    # Dirk lives in 1234 too but only wants prevention news: a prevention mailing counts him
    # beside Anna and Bob, who chose no categories (they get everything).
    prevention = _count(sender, target_kind="postcodes", postcodes="1234", kind="prevention")
    assert prevention.json()["count"] == 3
    mailing = _send_mailing(sender)
    assert mailing.recipient_count == 2


def test_live_count_answers_problem_json_naming_the_field(
    world: World, people: dict[str, Any], login_client: Any
) -> None:
    sender = login_client(world.comms)
    response = _count(sender, target_kind="postcodes", postcodes="12")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = json.loads(response.content)
    assert list(problem["errors"]) == ["postcodes"]
    assert "12" in problem["detail"]

    area = _count(sender, target_kind="area", area="{not json")
    assert area.status_code == 400 and list(json.loads(area.content)["errors"]) == ["area"]


def test_live_count_refuses_another_municipality(
    world: World, people: dict[str, Any], login_client: Any
) -> None:
    sender = login_client(world.comms)
    andersdorp = Region.objects.get(code="GM9002")
    response = _count(sender, target_kind="municipality", region=str(andersdorp.pk))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "count" not in json.loads(response.content)


def test_live_count_is_for_staff_only(client: Client, world: World) -> None:
    response = _count(client, target_kind="postcodes", postcodes="1234")
    assert response.status_code in (302, 403)
    assert b"count" not in response.content

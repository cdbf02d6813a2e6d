"""Self-service through a magic link: see and change everything, pause, export, erase."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from burgernet.actions import services as action_services
from burgernet.actions.models import ActionRecipient
from burgernet.actions.tests.factories import dispatcher
from burgernet.core.models import AccessLogEntry
from burgernet.dispatch import services as dispatch
from burgernet.dispatch.models import Delivery, DeliveryState
from burgernet.geo.area import Circle
from burgernet.mailings.models import MailBounce
from burgernet.participants.models import (
    CounterKind,
    Location,
    Participant,
    PhoneNumber,
    PhoneVerification,
    RegistryCounter,
)
from burgernet.participants.tests.conftest import code_from
from burgernet.participants.tests.factories import make_participant

pytestmark = pytest.mark.django_db


def _mail_path(message: Any) -> str:
    match = re.search(r"https?://\S+", message.body)
    assert match, message.body
    return "/" + match.group(0).split("://", 1)[1].split("/", 1)[1]


def _signed_in(client: Client, email: str, run_on_commit: Any) -> None:
    with run_on_commit():
        client.post(reverse("participants:manage_request"), {"email": email})
    link = _mail_path(mail.outbox[-1])
    assert "/mijn-burgernet/link/" in link
    response = client.post(link)
    assert response.status_code == 302


def test_manage_link_answer_is_the_same_for_known_and_unknown_addresses(
    client: Client, regions: Any, run_on_commit: Any
) -> None:
    make_participant(region=regions[0])
    with run_on_commit():
        known = client.post(reverse("participants:manage_request"), {"email": "piet@example.nl"})
        unknown = client.post(reverse("participants:manage_request"), {"email": "nobody@x.nl"})
    assert known.status_code == unknown.status_code == 200

    def strip(html: str) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    assert strip(known.content.decode()) == strip(unknown.content.decode())
    assert [m.to for m in mail.outbox] == [["piet@example.nl"]]


def test_manage_link_is_rate_limited(client: Client, regions: Any, settings: Any) -> None:
    settings.PARTICIPANTS_RATE_PER_ADDRESS = 3
    url = reverse("participants:manage_request")
    codes = [client.post(url, {"email": "piet@example.nl"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_expired_or_forged_manage_link_is_refused(
    client: Client, regions: Any, run_on_commit: Any
) -> None:
    make_participant(region=regions[0])
    with run_on_commit():
        client.post(reverse("participants:manage_request"), {"email": "piet@example.nl"})
    link = _mail_path(mail.outbox[-1])
    assert client.post(link[:-3] + "xx/").status_code == 400
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(hours=2)):
        assert client.post(link).status_code == 400
    assert client.get(reverse("participants:manage")).status_code == 302


def test_change_preferences_pause_and_places(
    client: Client, regions: Any, run_on_commit: Any
) -> None:
    participant = make_participant(region=regions[0])
    _signed_in(client, "piet@example.nl", run_on_commit)
    page = client.get(reverse("participants:manage"))
    assert "+31612345678" in page.content.decode()

    client.post(
        reverse("participants:manage_preferences"),
        {"name": "Piet J.", "languages": ["de"], "categories": ["crisis"]},
    )
    participant.refresh_from_db()
    assert (participant.name, participant.languages, participant.categories) == (
        "Piet J.",
        ["de"],
        ["crisis"],
    )

    until = timezone.localdate() + dt.timedelta(days=10)
    client.post(reverse("participants:manage_pause"), {"until": until.isoformat()})
    participant.refresh_from_db()
    assert participant.paused_until == until
    assert participant.status == "paused"
    client.post(reverse("participants:manage_pause"), {"resume": "1"})
    participant.refresh_from_db()
    assert participant.paused_until is None

    client.post(
        reverse("participants:location_add"),
        {
            "kind": "work",
            "label": "Kantoor",
            "postcode": "3511aa",
            "house_number": "3",
            "city": "Andersdorp",
            "window_start": "22:00",
            "window_end": "06:00",
        },
    )
    work = participant.locations.get(kind="work")
    assert work.region == regions[1] and work.window_start == dt.time(22, 0)
    home = participant.locations.get(kind="home")
    client.post(reverse("participants:location_remove", args=[home.pk]))
    assert list(participant.locations.values_list("kind", flat=True)) == ["work"]
    # The last place cannot be removed.
    response = client.post(reverse("participants:location_remove", args=[work.pk]), follow=True)
    assert participant.locations.count() == 1
    assert "minstens één plek" in response.content.decode()


def test_new_number_is_verified_by_sms_code(
    client: Client, regions: Any, sms_outbox: list, run_on_commit: Any
) -> None:
    participant = make_participant(region=regions[0])
    _signed_in(client, "piet@example.nl", run_on_commit)
    with run_on_commit():
        response = client.post(
            reverse("participants:phone_add"), {"phone": "+32 470 12 34 56", "sms": "on"}
        )
    new = participant.phones.get(e164="+32470123456")
    assert response["Location"] == reverse("participants:phone_verify", args=[new.pk])
    assert new.verified_at is None and new.voice is False
    assert sms_outbox[-1]["to"] == "+32470123456"
    client.post(response["Location"], {"code": code_from(sms_outbox[-1])})
    new.refresh_from_db()
    assert new.verified_at is not None


def test_export_contains_everything(client: Client, regions: Any, run_on_commit: Any) -> None:
    participant = make_participant(region=regions[0], name="Export Eva", email="eva@example.nl")
    _signed_in(client, "eva@example.nl", run_on_commit)
    response = client.get(reverse("participants:manage_export"))
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["participant"]["name"] == "Export Eva"
    assert data["participant"]["email"] == "eva@example.nl"
    assert data["participant"]["confirmed_at"] is not None
    assert data["phone_numbers"] == [
        {
            "number": "+31612345678",
            "voice": True,
            "sms": True,
            "verified_at": participant.phones.get().verified_at.isoformat(),
        }
    ]
    assert data["locations"][0]["postcode"] == "1234 AB"
    assert data["locations"][0]["municipality"] == "Testdam"


def _all_text_in_database() -> str:
    """Every text value of every table, to look for leftovers."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(chunks)


def test_erase_leaves_nothing_personal(
    client: Client, regions: Any, sms_outbox: list, run_on_commit: Any, officer_a: Any
) -> None:
    participant = make_participant(
        region=regions[0], name="Weg Willem", email="willem@example.nl", phone="+31687654321"
    )
    PhoneVerification.objects.create(
        phone=participant.phones.get(),
        code_hash="x" * 64,
        expires_at=participant.created_at,
        sent_at=participant.created_at,
    )
    AccessLogEntry.objects.create(
        staff=officer_a, participant_id=participant.pk, at=participant.created_at, why="test"
    )
    # The outbox holds copies: an SMS of an action delivered to the participant, an e-mail
    # still queued, and a one-off sign-up code (which carries no participant id).
    with transaction.atomic():
        message = dispatch.message_create(
            kind="action_start",
            sms_text="Burgernet: gezocht ...",
            email_subject="Burgernetmail",
            email_text="Beste Willem",
            source_type="action",
            source_id="1",
        )
        dispatch.deliveries_enqueue(
            message=message,
            recipients=[
                ("sms", "+31687654321", participant.pk),
                ("email", "willem@example.nl", participant.pk),
            ],
        )
    sms = Delivery.objects.get(channel="sms")
    assert dispatch.delivery_receipt_apply(status="delivered", idempotency_key=sms.idempotency_key)
    dispatch.send_transactional(
        channel="sms", address="+31687654321", text="Code 123456", idempotency_key="code-1"
    )
    # An action reached the participant on that number (actions keeps who it reached).
    action = action_services.action_create(
        by=dispatcher(),
        type="missing_child",
        title="Vermist kind",
        description="Jongen, 8 jaar.",
        area=Circle(lat=52.0, lon=5.0, radius_m=1000),
        channels=["sms"],
    )
    ActionRecipient.objects.create(
        action=action,
        participant_id=participant.pk,
        channel="sms",
        address="+31687654321",
        reached_in=1,
    )
    # A bounce report about the address (mailings keeps those).
    MailBounce.objects.create(
        address="Willem@example.nl", kind="hard", received_at=participant.created_at
    )
    _signed_in(client, "willem@example.nl", run_on_commit)
    leftovers = _all_text_in_database()
    assert "Weg Willem" in leftovers and "+31687654321" in leftovers
    response = client.post(reverse("participants:manage_erase"), {"confirm": "on"})
    assert response.status_code == 200
    assert "afgemeld" in response.content.decode()

    leftovers = _all_text_in_database()
    for personal in ("Weg Willem", "willem@example.nl", "+31687654321", "87654321"):
        assert personal.lower() not in leftovers.lower()
    assert not Participant.objects.exists()
    assert not PhoneNumber.objects.exists()
    assert not Location.objects.exists()
    assert not PhoneVerification.objects.exists()
    # The outbox keeps what the figures need; the queued e-mail is cancelled, not sent.
    delivered = Delivery.objects.get(message=message, channel="sms")
    assert (delivered.state, delivered.address) == (DeliveryState.DELIVERED, "")
    assert delivered.delivered_at is not None
    assert Delivery.objects.get(message=message, channel="email").error == "erased"
    # The action still counts the participant as reached, without the number.
    assert ActionRecipient.objects.get(action=action).participant_id == participant.pk
    counter = RegistryCounter.objects.get(kind=CounterKind.SIGNOFF)
    assert (counter.region_code, counter.count) == ("GM9001", 1)
    # The session no longer opens anything.
    assert client.get(reverse("participants:manage")).status_code == 302


def test_erase_needs_the_confirmation_box(client: Client, regions: Any, run_on_commit: Any) -> None:
    make_participant(region=regions[0])
    _signed_in(client, "piet@example.nl", run_on_commit)
    response = client.post(reverse("participants:manage_erase"), {})
    assert "Bevestiging:" in response.content.decode()
    assert Participant.objects.exists()


def test_email_change_applies_after_confirmation(
    client: Client, regions: Any, run_on_commit: Any
) -> None:
    participant = make_participant(region=regions[0])
    _signed_in(client, "piet@example.nl", run_on_commit)
    with run_on_commit():
        client.post(reverse("participants:manage_email"), {"email": "nieuw@example.nl"})
    participant.refresh_from_db()
    assert participant.email == "piet@example.nl"
    assert mail.outbox[-1].to == ["nieuw@example.nl"]
    client.post(_mail_path(mail.outbox[-1]))
    participant.refresh_from_db()
    assert participant.email == "nieuw@example.nl"


def test_magic_link_also_confirms_a_lost_confirmation(
    client: Client, regions: Any, sms_outbox: list, run_on_commit: Any
) -> None:
    participant = make_participant(region=regions[0], confirmed=False)
    with run_on_commit():
        client.post(reverse("participants:manage_request"), {"email": "piet@example.nl"})
    with run_on_commit():
        client.post(_mail_path(mail.outbox[-1]))
    participant.refresh_from_db()
    assert participant.email_confirmed_at is not None and participant.confirmed_at is None
    phone = participant.phones.get()
    client.post(
        reverse("participants:phone_verify", args=[phone.pk]), {"code": code_from(sms_outbox[-1])}
    )
    participant.refresh_from_db()
    assert participant.confirmed_at is not None


def test_change_channels_of_a_number(client: Client, regions: Any, run_on_commit: Any) -> None:
    participant = make_participant(region=regions[0])
    _signed_in(client, "piet@example.nl", run_on_commit)
    phone = participant.phones.get()
    client.post(reverse("participants:phone_channels", args=[phone.pk]), {"sms": "on"})
    phone.refresh_from_db()
    assert (phone.voice, phone.sms) == (False, True)
    response = client.post(reverse("participants:phone_channels", args=[phone.pk]), {}, follow=True)
    phone.refresh_from_db()
    assert phone.sms is True
    assert "kies bellen, sms of allebei" in response.content.decode()


def test_session_of_an_erased_participant_opens_no_one_else(
    client: Client, regions: Any, run_on_commit: Any
) -> None:
    first = make_participant(region=regions[0])
    _signed_in(client, "piet@example.nl", run_on_commit)
    session = client.session
    pk = first.pk
    first.delete()
    # A later participant that happens to get the same id (SQLite reuses the highest rowid).
    Participant.objects.create(
        id=pk,
        name="Later",
        email="later@example.nl",
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    assert session["participant_id"] == pk
    assert client.get(reverse("participants:manage")).status_code == 302

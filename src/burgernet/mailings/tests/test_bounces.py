"""Bounces: the HMAC-signed webhook and the bounce mailbox; three hard bounces make an
address unreachable, so later mailings skip it."""

from __future__ import annotations

import hashlib
import hmac
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from burgernet.geo.models import Region
from burgernet.mailings.models import MailBounce, MailPreference
from burgernet.mailings.rendering import unsubscribe_token
from burgernet.mailings.selectors import Target, mailing_recipients
from burgernet.mailings.tests.conftest import World, make_participant

pytestmark = pytest.mark.django_db

SECRET = "bounce-test-secret"


def _post(client: Client, payload: Any, secret: str = SECRET) -> Any:
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        reverse("mailings:bounce_webhook"),
        body,
        content_type="application/json",
        headers={"X-Burgernet-Signature": signature},
    )


@pytest.fixture
def anna(world: World) -> Any:
    return make_participant(
        name="Anna",
        email="anna@example.nl",
        postcode="1234 AB",
        lat=52.05,
        lon=5.05,
        region=Region.objects.get(code="GM9001"),
    )


def _reached(world: World) -> list[str]:
    from burgernet.core import clock

    return [
        r.address
        for r in mailing_recipients(
            target=Target(kind="postcodes", postcodes=("1234",)),
            organisation=world.testdam,
            category=None,
            at=clock.now(),
        )
    ]


def test_three_hard_bounces_through_the_webhook_make_an_address_unreachable(
    world: World, anna: Any, client: Client, settings: Any
) -> None:
    settings.MAILINGS_BOUNCE_SECRET = SECRET
    assert _reached(world) == ["anna@example.nl"]
    for n in range(2):
        response = _post(
            client, {"address": "anna@example.nl", "kind": "hard", "reference": f"m{n}"}
        )
        assert response.status_code == 200
    # A repeated report (same reference) and a soft bounce do not count.
    _post(client, {"address": "anna@example.nl", "kind": "hard", "reference": "m1"})
    _post(client, {"address": "anna@example.nl", "kind": "soft", "reference": "m9"})
    anna.refresh_from_db()
    assert not anna.email_unreachable
    _post(client, [{"address": "anna@example.nl", "kind": "hard", "reference": "m2"}])
    anna.refresh_from_db()
    assert anna.email_unreachable
    assert _reached(world) == []


def test_webhook_refuses_bad_signatures_and_bad_reports(
    world: World, anna: Any, client: Client, settings: Any
) -> None:
    settings.MAILINGS_BOUNCE_SECRET = SECRET
    forged = _post(client, {"address": "anna@example.nl", "kind": "hard"}, secret="wrong")
    assert forged.status_code == 403
    bad = _post(
        client,
        [
            {"address": "anna@example.nl", "kind": "hard", "reference": "x1"},
            {"address": "anna@example.nl", "kind": "bouncy"},
        ],
    )
    assert bad.status_code == 400
    assert bad["Content-Type"] == "application/problem+json"
    assert "[1].kind" in bad.json()["detail"]
    assert not MailBounce.objects.exists(), "nothing half-saved"


DSN = """From MAILER-DAEMON Wed Nov 25 10:00:00 2026
From: Mail Delivery System <MAILER-DAEMON@mx.example.nl>
To: noreply@burgernet.invalid
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{n}@mx.example.nl>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.nl

Final-Recipient: rfc822; anna@example.nl
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--B--

"""


def test_bounce_mailbox_and_unsubscribe_by_mail(world: World, anna: Any, tmp_path: Path) -> None:
    token = unsubscribe_token(participant_id=anna.pk)
    unsubscribe = (
        "From bob Wed Nov 25 10:00:00 2026\n"
        "From: anna@example.nl\nTo: afmelden@burgernet.invalid\n"
        f"Subject: afmelden {token}\nMessage-ID: <u1@example.nl>\n\nafmelden\n\n"
    )
    mbox = tmp_path / "bounces.mbox"
    mbox.write_text("".join(DSN.format(n=n) for n in range(3)) + unsubscribe)
    out = StringIO()
    call_command("mailbounces", str(mbox), stdout=out)
    assert "hard bounces: 3" in out.getvalue() and "unsubscribed: 1" in out.getvalue()
    anna.refresh_from_db()
    assert anna.email_unreachable
    assert MailPreference.objects.get(participant=anna).unsubscribed_at is not None

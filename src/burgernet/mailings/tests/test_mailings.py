"""Burgernetmail end to end: compose in the portal, send through the dispatch engine to a real
SMTP server on loopback, reply through the link, unsubscribe with one click, quiet hours."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from burgernet.geo.models import Region
from burgernet.mailings import services
from burgernet.mailings.models import Mailing, MailPreference, MailReply
from burgernet.mailings.tests.conftest import Sink, World, drain

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, "needs a text and an HTML part"
    return text.get_content(), html.get_content()


def _compose(client: Client, **fields: Any) -> Any:
    data = {
        "kind": "inquiry",
        "subject": "Inbraak in uw buurt",
        "body": (
            "Beste {{ naam }},\n\nIn {{ gemeente }} is ingebroken. Zag u iets?\n\n{{ reactielink }}"
        ),
        "target_kind": "postcodes",
        "postcodes": "",
        "allow_replies": "on",
        "reply_days": "14",
        "action": "save",
    }
    data.update(fields)
    return client.post(reverse("mailings:compose"), data)


def _send(client: Client, response: Any, send_at: str = "") -> Mailing:
    assert response.status_code == 302, response.content.decode()[:3000]
    mailing = Mailing.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    sent = client.post(
        reverse("mailings:detail", args=[mailing.pk]), {"action": "send", "send_at": send_at}
    )
    assert sent.status_code == 302, sent.content.decode()[:3000]
    mailing.refresh_from_db()
    return mailing


def test_mailing_reaches_exactly_the_targeted_participants_over_smtp(
    world: World, people: dict[str, Any], smtp: Sink, login_client: Any
) -> None:
    client = login_client(world.comms)
    mailing = _send(client, _compose(client, postcodes="1234"))
    assert mailing.status == "sent" and mailing.recipient_count == 2

    assert drain() == 2
    assert sorted(smtp.recipients) == ["anna@example.nl", "bob@example.nl"]
    [mail] = smtp.to("anna@example.nl")
    assert mail["Subject"] == "Inbraak in uw buurt"
    text, html = _parts(mail)
    assert "Beste Anna de Vries," in text and "In Testdam is ingebroken" in text
    assert "Anna de Vries" in html and 'lang="nl"' in html
    assert "Bob" not in text
    # RFC 2369 / RFC 8058 headers: mailto and https, one-click.
    unsubscribe = mail["List-Unsubscribe"]
    assert re.search(r"<mailto:afmelden@[^>]+>", unsubscribe)
    assert re.search(r"<http://[^>]+/burgernetmail/afmelden/[^>]+/>", unsubscribe)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A second drain sends nothing again.
    assert drain() == 0 and len(smtp.messages) == 2


def test_reply_through_the_link_lands_in_the_senders_inbox(
    world: World, people: dict[str, Any], smtp: Sink, login_client: Any, client: Client
) -> None:
    sender = login_client(world.comms)
    _send(sender, _compose(sender, postcodes="1234 AB"))
    drain()
    [mail] = smtp.to("anna@example.nl")
    text, _html = _parts(mail)
    link = re.search(r"http://[^\s]+/burgernetmail/reageren/[^\s/]+/", text)
    assert link
    path = link.group(0).split("http://127.0.0.1:8000", 1)[-1]
    assert client.get(path).status_code == 200

    photo = io.BytesIO()
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    image.save(photo, format="JPEG", exif=exif)
    response = client.post(
        path,
        {
            "text": "Ik zag een man met een rode tas",
            "may_contact": "on",
            "photo": SimpleUploadedFile("p.jpg", photo.getvalue(), content_type="image/jpeg"),
        },
    )
    assert response.status_code == 200
    reply = MailReply.objects.get()
    assert reply.participant == people["anna"] and reply.may_contact
    with Image.open(reply.photo.path) as stored:
        assert not stored.getexif(), "EXIF must be stripped"

    inbox = sender.get(reverse("mailings:inbox"))
    assert "Ik zag een man met een rode tas" in inbox.content.decode()
    assert "anna@example.nl" in inbox.content.decode()  # consent given
    csv = sender.get(reverse("mailings:inbox_csv"))
    assert "rode tas" in csv.content.decode()


def test_expired_or_forged_reply_link_is_refused(
    world: World, people: dict[str, Any], smtp: Sink, login_client: Any, client: Client
) -> None:
    sender = login_client(world.comms)
    _send(sender, _compose(sender, postcodes="1234 AB", reply_days="2"))
    drain()
    text, _html = _parts(smtp.to("anna@example.nl")[0])
    path = "/burgernetmail/" + text.split("/burgernetmail/reageren/", 1)[1].split()[0]
    path = path.replace("/burgernetmail/", "/burgernetmail/reageren/", 1)
    assert client.get(path[:-3] + "xx/").status_code == 404
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=3)):
        assert client.post(path, {"text": "te laat"}).status_code == 404
    assert not MailReply.objects.exists()


def test_one_click_unsubscribe_stops_further_mails(
    world: World, people: dict[str, Any], smtp: Sink, login_client: Any, client: Client
) -> None:
    sender = login_client(world.comms)
    _send(sender, _compose(sender, postcodes="1234"))
    drain()
    [mail] = smtp.to("anna@example.nl")
    url = re.search(r"<(http://[^>]+)>", mail["List-Unsubscribe"])
    assert url
    path = url.group(1).split("http://127.0.0.1:8000", 1)[-1]
    # RFC 8058: a POST with the one-click body, no session, no CSRF token.
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert MailPreference.objects.get(participant=people["anna"]).unsubscribed_at is not None

    _send(sender, _compose(sender, postcodes="1234", subject="Tweede mail"))
    drain()
    assert [m["To"] for m in smtp.messages if m["Subject"] == "Tweede mail"] == ["bob@example.nl"]


def test_basic_team_cannot_send_outside_its_area(
    world: World, people: dict[str, Any], login_client: Any
) -> None:
    client = login_client(world.officer_a)
    outside = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [5.55, 52.35]},
        "properties": {"radius": 1000},
    }
    response = _compose(client, target_kind="area", area=json.dumps(outside))
    assert response.status_code == 403
    # Reaching over the edge of the unit's municipalities is refused as well.
    edge = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [5.005, 52.05]},
        "properties": {"radius": 2000},
    }
    assert _compose(client, target_kind="area", area=json.dumps(edge)).status_code == 403
    andersdorp = Region.objects.get(code="GM9002")
    assert _compose(client, target_kind="municipality", region=andersdorp.pk).status_code == 403
    assert _compose(client, postcodes="9999").status_code == 403
    assert not Mailing.objects.exists()
    # Inside: a circle in Testdam (a municipality of the team's police unit) is fine.
    inside = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [5.05, 52.05]},
        "properties": {"radius": 1500},
    }
    response = _compose(client, target_kind="area", area=json.dumps(inside))
    assert response.status_code == 302


def test_basic_team_sees_no_other_teams_mailings_or_replies(
    world: World, people: dict[str, Any], smtp: Sink, login_client: Any, client: Client
) -> None:
    team_a = login_client(world.officer_a)
    mailing = _send(team_a, _compose(team_a, postcodes="1234 AB"))
    drain()
    token = rendering_reply_path(smtp.to("anna@example.nl")[0])
    client.post(token, {"text": "Geheim voor team A"})
    reply = MailReply.objects.get()

    team_b = login_client(world.officer_b)
    assert "Geheim voor team A" not in team_b.get(reverse("mailings:inbox")).content.decode()
    assert b"Geheim" not in team_b.get(reverse("mailings:inbox_csv")).content
    assert team_b.get(reverse("mailings:detail", args=[mailing.pk])).status_code == 404
    assert team_b.get(reverse("mailings:preview", args=[mailing.pk])).status_code == 404
    assert team_b.get(reverse("mailings:reply_photo", args=[reply.pk])).status_code == 404
    assert "Geheim voor team A" in team_a.get(reverse("mailings:inbox")).content.decode()


def rendering_reply_path(mail: EmailMessage) -> str:
    text, _html = _parts(mail)
    return "/burgernetmail/reageren/" + text.split("/burgernetmail/reageren/", 1)[1].split()[0]


def test_mail_in_quiet_hours_is_delivered_after_them(
    world: World, people: dict[str, Any], smtp: Sink, login_client: Any
) -> None:
    MailPreference.objects.create(
        participant=people["anna"], quiet_start=dt.time(22, 0), quiet_end=dt.time(7, 0)
    )
    evening = dt.datetime(2026, 11, 25, 23, 0, tzinfo=AMS)
    with time_machine.travel(evening, tick=False):
        sender = login_client(world.comms)  # sessions expire: sign in at the travelled time
        _send(sender, _compose(sender, postcodes="1234"))
        assert drain() == 1
    assert smtp.recipients == ["bob@example.nl"]
    with time_machine.travel(dt.datetime(2026, 11, 26, 6, 59, tzinfo=AMS), tick=False):
        assert drain() == 0
    with time_machine.travel(dt.datetime(2026, 11, 26, 7, 0, tzinfo=AMS), tick=False):
        assert drain() == 1
    assert smtp.recipients == ["bob@example.nl", "anna@example.nl"]


def test_scheduled_mailing_waits_for_its_time(
    world: World, people: dict[str, Any], smtp: Sink, login_client: Any
) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 25, 9, 0, tzinfo=AMS), tick=False):
        sender = login_client(world.comms)
        mailing = _send(sender, _compose(sender, postcodes="1234"), send_at="2026-11-25T14:00")
        assert mailing.status == "scheduled"
        assert drain() == 0
    with time_machine.travel(dt.datetime(2026, 11, 25, 14, 0, 1, tzinfo=AMS), tick=False):
        assert drain() == 2
        sender = login_client(world.comms)
        assert sender.get(reverse("mailings:list")).status_code == 200
    mailing.refresh_from_db()
    assert mailing.status == "sent"


def test_bad_target_input_names_the_field(world: World, login_client: Any) -> None:
    client = login_client(world.comms)
    response = _compose(client, postcodes="12")
    assert response.status_code == 200
    assert "postcodes" in response.context["form"].errors
    response = _compose(client, target_kind="area", area='{"type": "Point"}')
    assert "area" in response.context["form"].errors
    assert not Mailing.objects.exists()


def test_quiet_until_crosses_midnight() -> None:
    start, end = dt.time(22, 0), dt.time(7, 0)
    at = dt.datetime(2026, 3, 28, 23, 30, tzinfo=AMS)  # night before the clocks go forward
    assert services.quiet_until(at=at, start=start, end=end) == dt.datetime(
        2026, 3, 29, 7, 0, tzinfo=AMS
    )
    noon = dt.datetime(2026, 3, 28, 12, 0, tzinfo=AMS)
    assert services.quiet_until(at=noon, start=start, end=end) == noon
    early = dt.datetime(2026, 3, 28, 5, 0, tzinfo=AMS)
    assert services.quiet_until(at=early, start=start, end=end) == dt.datetime(
        2026, 3, 28, 7, 0, tzinfo=AMS
    )


def test_replies_past_retention_are_deleted_with_their_photos(
    world: World,
    people: dict[str, Any],
    smtp: Sink,
    login_client: Any,
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    settings.MEDIA_ROOT = str(tmp_path)
    settings.MAILINGS_REPLY_RETENTION_DAYS = 30
    sender = login_client(world.comms)
    mailing = _send(sender, _compose(sender, postcodes="1234"))
    now = dt.datetime.now(dt.UTC)
    old = MailReply(mailing=mailing, text="Oude tip", received_at=now - dt.timedelta(days=31))
    old.photo.save("old.jpg", ContentFile(b"\xff\xd8\xff old"), save=False)
    old.save()
    recent = MailReply.objects.create(
        mailing=mailing, text="Nieuwe tip", received_at=now - dt.timedelta(days=29)
    )
    old_file = tmp_path / old.photo.name
    assert old_file.exists()

    out = io.StringIO()
    call_command("purge_mail_replies", "--dry-run", stdout=out)
    assert "would delete 1 reply older than 30 days" in out.getvalue()
    assert MailReply.objects.count() == 2 and old_file.exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert services.replies_purge_expired() == 1
    assert list(MailReply.objects.all()) == [recent]
    assert not old_file.exists()
    inbox = sender.get(reverse("mailings:inbox")).content.decode()
    assert "Nieuwe tip" in inbox and "Oude tip" not in inbox
    assert services.replies_purge_expired() == 0

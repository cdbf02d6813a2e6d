"""Templates with a logo, preview, test send to oneself, and the English version."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from burgernet.geo.models import Region
from burgernet.mailings.models import Mailing, MailTemplate
from burgernet.mailings.tests.conftest import Sink, World, drain, make_participant

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "blue").save(out, format="PNG")
    return out.getvalue()


def test_template_with_logo_preview_and_test_send(
    world: World, smtp: Sink, login_client: Any
) -> None:
    client = login_client(world.comms)
    response = client.post(
        reverse("mailings:templates"),
        {
            "name": "Buurtonderzoek",
            "subject": "Heeft u iets gezien in {{ gemeente }}?",
            "body": "Beste {{ naam }},\n\nHeeft u iets gezien?\n\n{{ reactielink }}",
            "logo": SimpleUploadedFile("logo.png", _png(), content_type="image/png"),
        },
    )
    assert response.status_code == 302
    template = MailTemplate.objects.get(organisation=world.testdam)
    assert client.get(reverse("mailings:logo", args=[template.pk]))["Content-Type"] == "image/png"
    # Another organisation's staff do not see or use it.
    other = login_client(world.officer_a)
    assert "Buurtonderzoek" not in other.get(reverse("mailings:templates")).content.decode()

    form = client.get(reverse("mailings:compose") + f"?template={template.pk}").content.decode()
    assert "Heeft u iets gezien in {{ gemeente }}?" in form
    response = client.post(
        reverse("mailings:compose"),
        {
            "template": template.pk,
            "kind": "inquiry",
            "subject": template.subject,
            "body": template.body,
            "target_kind": "municipality",
            "region": Region.objects.get(code="GM9001").pk,
            "allow_replies": "on",
            "reply_days": "14",
        },
    )
    assert response.status_code == 302
    mailing = Mailing.objects.get()
    preview = client.get(reverse("mailings:preview", args=[mailing.pk])).content.decode()
    assert f"/burgernetmail/logo/{template.pk}/" in preview
    assert 'alt="Gemeente Testdam"' in preview and "Beste Anna de Vries" in preview
    text = client.get(reverse("mailings:preview", args=[mailing.pk]) + "?format=text")
    assert "Heeft u iets gezien?" in text.content.decode()

    client.post(reverse("mailings:detail", args=[mailing.pk]), {"action": "test"})
    drain()
    [mail] = smtp.messages
    assert mail["To"] == "comms@testdam.nl"
    assert mail["Subject"] == "[TEST] Heeft u iets gezien in Gemeente Testdam?"
    mailing.refresh_from_db()
    assert mailing.status == "draft", "a test send does not send the mailing"


def test_participant_who_reads_english_gets_the_english_version(
    world: World, smtp: Sink, login_client: Any
) -> None:
    testdam = Region.objects.get(code="GM9001")
    make_participant(
        name="John",
        email="john@example.com",
        postcode="1234 AB",
        lat=52.05,
        lon=5.05,
        region=testdam,
        languages=["en"],
    )
    make_participant(
        name="Joost",
        email="joost@example.nl",
        postcode="1234 AB",
        lat=52.05,
        lon=5.05,
        region=testdam,
        languages=["nl", "en"],
    )
    client = login_client(world.comms)
    response = client.post(
        reverse("mailings:compose"),
        {
            "kind": "newsletter",
            "subject": "Nieuwsbrief",
            "body": "Hallo {{ naam }}",
            "subject_en": "Newsletter",
            "body_en": "Hello {{ naam }}",
            "target_kind": "postcodes",
            "postcodes": "1234AB",
            "reply_days": "14",
        },
    )
    assert response.status_code == 302
    mailing = Mailing.objects.get()
    client.post(reverse("mailings:detail", args=[mailing.pk]), {"action": "send"})
    assert drain() == 2
    subjects = {m["To"]: m["Subject"] for m in smtp.messages}
    assert subjects == {"john@example.com": "Newsletter", "joost@example.nl": "Nieuwsbrief"}
    english = next(m for m in smtp.messages if m["To"] == "john@example.com")
    html = english.get_body(preferencelist=("html",))
    assert html is not None
    assert 'lang="en"' in html.get_content() and "Hello John" in html.get_content()
    assert "reageren" not in html.get_content(), "no reply button when replies are off"

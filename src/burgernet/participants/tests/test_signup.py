"""Public sign-up with double opt-in: e-mail link, then SMS code; enumeration and rate limits."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from burgernet.participants.models import (
    CounterKind,
    LocationPrecision,
    Participant,
    PhoneVerification,
    RegistryCounter,
)
from burgernet.participants.tests.conftest import code_from

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _mail_link(message: Any) -> str:
    match = re.search(r"https?://\S+", message.body)
    assert match, message.body
    return _path(match.group(0))


def test_sign_up_confirm_mail_then_sms_code_makes_participant_confirmed(
    client: Client, regions: Any, signup_data: dict[str, Any], sms_outbox: list, run_on_commit: Any
) -> None:
    with run_on_commit():
        response = client.post(reverse("participants:signup"), signup_data)
    assert response.status_code == 302
    assert response["Location"] == reverse("participants:signup_done")
    page = client.get(response["Location"])
    assert "Controleer uw e-mail" in page.content.decode()

    participant = Participant.objects.get(email="anna@example.nl")
    assert participant.confirmed_at is None
    assert participant.languages == ["nl", "en"]
    phone = participant.phones.get()
    assert phone.e164 == "+31612345678" and phone.verified_at is None
    home = participant.locations.get()
    assert home.postcode == "1234 AB" and home.region == regions[0]
    assert home.precision == LocationPrecision.MUNICIPALITY
    assert home.h3_r9 and home.h3_r7 and home.h3_r5
    assert sms_outbox == []  # no SMS before the e-mail address is proven

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@example.nl"]
    link = _mail_link(mail.outbox[0])
    assert client.get(link).status_code == 200  # a mail scanner's GET changes nothing
    participant.refresh_from_db()
    assert participant.email_confirmed_at is None

    with run_on_commit():
        response = client.post(link)
    assert response.status_code == 302
    # Straight on to the code page of the number that just got its SMS.
    assert response["Location"] == reverse("participants:phone_verify", args=[phone.pk])
    participant.refresh_from_db()
    assert participant.email_confirmed_at is not None
    assert participant.confirmed_at is None  # the number is not verified yet
    assert len(sms_outbox) == 1 and sms_outbox[0]["to"] == "+31612345678"
    code = code_from(sms_outbox[0])
    # Only a hash of the code is stored.
    assert code not in PhoneVerification.objects.get().code_hash

    verify = reverse("participants:phone_verify", args=[phone.pk])
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(verify, {"code": wrong})
    assert "niet juist" in response.content.decode()
    response = client.post(verify, {"code": code})
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.confirmed_at is not None
    assert RegistryCounter.objects.get(kind=CounterKind.CONFIRMED, region_code="GM9001").count == 1


def test_sms_code_attempts_are_limited(
    client: Client, regions: Any, signup_data: dict[str, Any], sms_outbox: list, run_on_commit: Any
) -> None:
    with run_on_commit():
        client.post(reverse("participants:signup"), signup_data)
    with run_on_commit():
        client.post(_mail_link(mail.outbox[0]))
    code = code_from(sms_outbox[0])
    phone = Participant.objects.get().phones.get()
    verify = reverse("participants:phone_verify", args=[phone.pk])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(PhoneVerification.MAX_ATTEMPTS):
        client.post(verify, {"code": wrong})
    response = client.post(verify, {"code": code})
    assert "te vaak" in response.content.decode()
    phone.refresh_from_db()
    assert phone.verified_at is None


def test_known_and_unknown_email_get_the_same_answer(
    client: Client, regions: Any, signup_data: dict[str, Any], run_on_commit: Any
) -> None:
    with run_on_commit():
        first = client.post(reverse("participants:signup"), signup_data)
        Participant.objects.update(email_confirmed_at="2026-01-01T00:00:00Z")
        again = client.post(reverse("participants:signup"), {**signup_data, "name": "Someone"})
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Participant.objects.count() == 1
    assert Participant.objects.get().name == "Anna de Vries"
    # The owner of the address is told, with a manage link, not the person at the keyboard.
    assert len(mail.outbox) == 2
    assert "al aangemeld" in mail.outbox[1].body
    assert "/mijn-burgernet/link/" in mail.outbox[1].body


def test_field_errors_name_the_field_in_dutch(client: Client, regions: Any) -> None:
    data = {"postcode": "12", "phone_1": "12", "city": "Testdam", "house_number": "x"}
    response = client.post(reverse("participants:signup"), data)
    assert response.status_code == 200
    text = response.content.decode()
    for expected in (
        "Naam: vul uw naam in.",
        "Postcode: vul vier cijfers en twee letters in",
        "Telefoonnummer: vul een geldig nummer in",
        "Huisnummer:",
        "Leeftijd:",
        "Toestemming:",
    ):
        assert expected in text
    assert Participant.objects.count() == 0


def test_unknown_place_is_an_error_on_the_city_field(
    client: Client, regions: Any, signup_data: dict[str, Any]
) -> None:
    response = client.post(reverse("participants:signup"), {**signup_data, "city": "Nergenshuizen"})
    assert response.status_code == 200
    assert "niet vinden" in response.content.decode()
    # The error is tied to its input for screen readers.
    assert 'aria-describedby="id_city_error"' in response.content.decode()
    assert 'id="id_city_error"' in response.content.decode()
    assert Participant.objects.count() == 0


def test_landline_is_refused_on_the_public_form(
    client: Client, regions: Any, signup_data: dict[str, Any]
) -> None:
    response = client.post(
        reverse("participants:signup"), {**signup_data, "phone_1": "030 123 4567"}
    )
    assert "mobiel nummer" in response.content.decode()


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+32 470 12 34 56", "+32470123456"),
        ("0049 151 23456789", "+4915123456789"),
        ("06 1234 5678", "+31612345678"),
    ],
)
def test_belgian_german_and_dutch_numbers(
    client: Client, regions: Any, signup_data: dict[str, Any], raw: str, e164: str
) -> None:
    client.post(reverse("participants:signup"), {**signup_data, "phone_1": raw})
    assert Participant.objects.get().phones.get().e164 == e164


def test_second_place_with_time_window(
    client: Client, regions: Any, signup_data: dict[str, Any]
) -> None:
    data = {
        **signup_data,
        "work_label": "Werk",
        "work_postcode": "3511 AA",
        "work_house_number": "1",
        "work_city": "Andersdorp",
        "work_window_start": "08:00",
        "work_window_end": "17:30",
    }
    client.post(reverse("participants:signup"), data)
    work = Participant.objects.get().locations.get(kind="work")
    assert work.region == regions[1]
    assert work.window_start.hour == 8 and work.window_end.minute == 30


def test_sign_up_is_rate_limited_per_address(
    client: Client, regions: Any, signup_data: dict[str, Any], settings: Any
) -> None:
    settings.PARTICIPANTS_RATE_PER_ADDRESS = 2
    statuses = [
        client.post(reverse("participants:signup"), signup_data).status_code for _ in range(3)
    ]
    assert statuses == [302, 302, 429]


def test_sign_up_is_rate_limited_per_ip(
    client: Client, regions: Any, signup_data: dict[str, Any], settings: Any
) -> None:
    settings.PARTICIPANTS_RATE_PER_IP = 3
    statuses = [
        client.post(
            reverse("participants:signup"), {**signup_data, "email": f"p{i}@example.nl"}
        ).status_code
        for i in range(4)
    ]
    assert statuses[-1] == 429
    assert (
        "Te vaak geprobeerd"
        in client.post(reverse("participants:signup"), signup_data).content.decode()
    )


def test_sign_up_needs_csrf(regions: Any, signup_data: dict[str, Any]) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("participants:signup"), signup_data).status_code == 403


def test_sign_up_page_in_english(client: Client) -> None:
    page = client.get(reverse("participants:signup"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Sign up for Burgernet" in page.content.decode()
    assert "What we do with your data" in page.content.decode()


def test_links_do_not_carry_the_address(
    client: Client, regions: Any, signup_data: dict[str, Any], run_on_commit: Any
) -> None:
    import base64

    with run_on_commit():
        client.post(reverse("participants:signup"), signup_data)
    token = _mail_link(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]
    payload = token.split(":", 1)[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"anna" not in decoded.lower()
    # A link for an address that has since changed no longer works.
    Participant.objects.update(email="other@example.nl")
    assert client.post(_mail_link(mail.outbox[0])).status_code == 400

"""The app's server side: subscriptions keep no position, tips are checked and cleaned."""

from __future__ import annotations

import datetime as dt
import io
import json

import h3.api.basic_int as h3
import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from PIL import Image

from burgernet.actions.models import ActionEvent, Response
from burgernet.public import services
from burgernet.public.models import AppSubscription, AppSubscriptionCell
from burgernet.public.tests.conftest import AMSTERDAM, GRONINGEN

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _subscribe(client, places, endpoint="https://push.example.test/abc", **extra):
    body = {
        "endpoint": endpoint,
        "keys": {"p256dh": "BPublicKeyOfTheBrowser", "auth": "secret16bytes"},
        "places": [{"lat": lat, "lon": lon} for lat, lon in places],
        "languages": ["en"],
        **extra,
    }
    return client.post(
        reverse("public:api_subscription"), json.dumps(body), content_type="application/json"
    )


def test_subscription_keeps_districts_never_coordinates(client) -> None:
    lat, lon = 52.37, 4.89  # rounded by the app already
    response = _subscribe(client, [(lat, lon)], quiet_start="22:00", quiet_end="07:00")
    assert response.status_code == 200, response.content

    coordinate_like = {"lat", "lon", "latitude", "longitude", "point", "position", "location"}
    for model in (AppSubscription, AppSubscriptionCell):
        names = {f.name for f in model._meta.get_fields()}
        assert not names & coordinate_like
        assert not any(
            isinstance(f, type(AppSubscription._meta.get_field("p256dh"))) and "lat" in f.name
            for f in model._meta.get_fields()
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM public_appsubscription")
        row = cursor.fetchone()
        cursor.execute("SELECT cell FROM public_appsubscriptioncell")
        cells = [c for (c,) in cursor.fetchall()]
    text = " ".join(str(v) for v in row)
    assert "52.37" not in text and "4.89" not in text
    assert cells == [h3.latlng_to_cell(lat, lon, 6)]
    assert h3.get_resolution(cells[0]) == 6
    sub = AppSubscription.objects.get()
    assert sub.languages == ["en"] and sub.quiet_start == dt.time(22, 0)


def test_moving_replaces_the_district_without_history(client) -> None:
    _subscribe(client, [AMSTERDAM])
    _subscribe(client, [GRONINGEN])
    assert AppSubscription.objects.count() == 1
    assert list(AppSubscriptionCell.objects.values_list("cell", flat=True)) == [
        h3.latlng_to_cell(*GRONINGEN, 6)
    ]


def test_bad_subscription_is_refused_with_the_field_named(client) -> None:
    response = _subscribe(client, [(95.0, 4.0)])
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "places[0]" in response.json()["errors"]
    response = _subscribe(client, [AMSTERDAM], endpoint="ftp://nope")
    assert "endpoint" in response.json()["errors"]
    assert AppSubscription.objects.count() == 0


def test_expired_subscriptions_are_purged(client) -> None:
    with time_machine.travel(dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC), tick=False):
        _subscribe(client, [AMSTERDAM], endpoint="https://push.example.test/old")
    with time_machine.travel(dt.datetime(2026, 1, 25, 12, tzinfo=dt.UTC), tick=False):
        _subscribe(client, [AMSTERDAM], endpoint="https://push.example.test/fresh")
    with time_machine.travel(dt.datetime(2026, 2, 1, 12, tzinfo=dt.UTC), tick=False):
        assert services.app_subscriptions_purge_expired() == 1
        out = io.StringIO()
        call_command("purge_app_subscriptions", stdout=out)
        assert "0 expired" in out.getvalue()
    assert list(AppSubscription.objects.values_list("endpoint", flat=True)) == [
        "https://push.example.test/fresh"
    ]
    assert AppSubscriptionCell.objects.count() == 1


def _jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (52.0, 22.0, 23.0)
    gps[3], gps[4] = "E", (4.0, 53.0, 32.0)
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the GPS is really there
    return data


def _tip(client, action, **data):
    return client.post(reverse("public:api_tip", args=[action.pk]), data)


def test_tip_with_photo_lands_in_the_console_without_exif(client, actions, login_client) -> None:
    action = actions.active()
    photo = io.BytesIO(_jpeg_with_gps())
    photo.name = "IMG_0001.jpg"
    response = _tip(
        client, action, text="Jongen gezien bij het station", media=photo, phone="06 1234 5678"
    )
    assert response.status_code == 201, response.content

    tip = Response.objects.get(action=action)
    assert tip.kind == "app_tip" and tip.from_number == "0612345678"
    assert tip.lat is None and tip.lon is None
    with tip.media.open("rb") as f:
        stored = Image.open(io.BytesIO(f.read()))
        assert stored.format == "JPEG" and stored.size == (64, 48)
        assert not stored.getexif() and "exif" not in stored.info
    assert ActionEvent.objects.filter(action=action, kind="response_app_tip").exists()

    live = login_client(actions.user).get(reverse("actions:live", args=[action.pk]))
    assert "Jongen gezien bij het station" in live.content.decode()
    media_url = reverse("actions:response_media", args=[action.pk, tip.pk])
    assert f'src="{media_url}"' in live.content.decode()
    served = login_client(actions.user).get(media_url)
    with Image.open(io.BytesIO(b"".join(served.streaming_content))) as image:
        assert not image.getexif()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4 not a photo" * 10, "JPEG, PNG of WebP"),
        (b"\xff\xd8\xff" + b"broken jpeg" * 20, "kon niet worden gelezen"),
        (b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024), "maximaal 10 MB"),
    ],
)
def test_wrong_or_oversized_media_is_refused_and_nothing_saved(
    client, actions, content, message
) -> None:
    action = actions.active()
    upload = io.BytesIO(content)
    upload.name = "photo.jpg"
    response = _tip(client, action, text="Zie foto", media=upload)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert message in response.json()["errors"]["media"]
    assert not Response.objects.exists()
    assert not ActionEvent.objects.filter(kind="response_app_tip").exists()


def test_tip_on_closed_action_is_refused(client, actions) -> None:
    action = actions.closed()
    response = _tip(client, action, text="Te laat")
    assert response.status_code == 409
    assert "action" in response.json()["errors"]
    assert not Response.objects.exists()
    exercise = actions.active(exercise=True)
    assert _tip(client, exercise, text="Oefening").status_code == 404


def test_tips_are_rate_limited_per_connection(client, actions) -> None:
    action = actions.active()
    codes = [_tip(client, action, text=f"tip {i}").status_code for i in range(7)]
    assert codes[:5] == [201] * 5 and codes[5:] == [429, 429]
    assert Response.objects.count() == 5


def test_pwa_is_installable(client) -> None:
    manifest = client.get(reverse("public:manifest")).json()
    assert manifest["start_url"] == "/app/" and manifest["display"] == "standalone"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
    sw = client.get(reverse("public:service_worker"))
    assert sw["Service-Worker-Allowed"] == "/app/"
    assert sw["Content-Type"].startswith("text/javascript")
    page = client.get(reverse("public:app")).content.decode()
    assert 'rel="manifest"' in page and 'href="tel:0800-0011"' in page


def test_unsubscribing_forgets_the_phone(client) -> None:
    _subscribe(client, [AMSTERDAM])
    response = client.delete(
        reverse("public:api_subscription"),
        json.dumps({"endpoint": "https://push.example.test/abc"}),
        content_type="application/json",
    )
    assert response.status_code == 204
    assert not AppSubscription.objects.exists() and not AppSubscriptionCell.objects.exists()

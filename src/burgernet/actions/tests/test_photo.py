"""An action's photo: attached in the console or through the API, cleaned before it is stored,
recorded in the dossier by its hash, shown publicly while allowed and withdrawn once found."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from burgernet.accounts.models import Role
from burgernet.accounts.tests.factories import DispatchCentreFactory, StaffUserFactory
from burgernet.actions import services
from burgernet.actions.models import Action, ActionEvent
from burgernet.actions.tests.factories import dispatcher
from burgernet.core.tests.test_images import jpeg_with_gps
from burgernet.geo.area import Circle

pytestmark = pytest.mark.django_db
AREA = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [4.89, 52.37]},
    "properties": {"radius": 1500},
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path, monkeypatch):
    from burgernet.actions import outbox

    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(outbox, "progress", lambda *, action_id: {})
    monkeypatch.setattr(outbox, "reach_counts", lambda *, area, at, category: {"sms": 2})
    cache.clear()
    yield settings.MEDIA_ROOT
    cache.clear()


def stored_files(media) -> list:
    return sorted(p for p in (media / "actions").glob("*")) if (media / "actions").exists() else []


def draft(user, **kwargs):
    return services.action_create(
        by=user,
        type=kwargs.pop("type", "missing_child"),
        title="Vermist kind Amsterdam",
        description="Jongen, 8 jaar, blauwe pet.",
        area=Circle(lat=52.37, lon=4.89, radius_m=1500),
        channels=["sms"],
        **kwargs,
    )


def photo_events(action) -> list[ActionEvent]:
    return list(ActionEvent.objects.filter(action=action, kind__startswith="photo").order_by("seq"))


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "green").save(out, format="PNG")
    return out.getvalue()


def test_console_photo_has_no_exif_and_the_public_page_serves_it(
    login_client, recorder, media, django_capture_on_commit_callbacks
) -> None:
    user = dispatcher()
    action = draft(user)
    client = login_client(user)
    upload = SimpleUploadedFile("kind.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = client.post(reverse("actions:photo", args=[action.pk]), {"photo": upload})
    assert response.status_code == 302
    action.refresh_from_db()
    [stored] = stored_files(media)
    body = stored.read_bytes()
    with Image.open(io.BytesIO(body)) as image:
        assert image.format == "JPEG" and not image.getexif()
    assert b"SpyCam" not in body
    [event] = photo_events(action)
    assert event.kind == "photo_attached" and event.actor_id == user.pk
    assert event.payload["sha256"] == hashlib.sha256(body).hexdigest()
    assert "image" not in json.dumps(event.payload).replace("image/jpeg", "")
    # The dispatcher sees it in the console; a draft's photo is not public yet.
    assert (
        action.photo.url in client.get(reverse("actions:detail", args=[action.pk])).content.decode()
    )
    assert Client().get(action.photo.url).status_code == 404

    services.action_start(action=action, by=user)
    page = Client().get(reverse("public:action", args=[action.pk])).content.decode()
    assert f'src="{action.photo.url}"' in page
    served = Client().get(action.photo.url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == body


def test_a_png_called_jpg_is_stored_as_the_png_it_is(login_client, media) -> None:
    user = dispatcher()
    action = draft(user)
    upload = SimpleUploadedFile("photo.jpg", png_bytes(), content_type="image/jpeg")
    login_client(user).post(reverse("actions:photo", args=[action.pk]), {"photo": upload})
    [stored] = stored_files(media)
    assert stored.suffix == ".png"
    assert photo_events(action)[0].payload["content_type"] == "image/png"


def test_a_text_file_is_a_field_error_and_nothing_is_stored(login_client, media) -> None:
    user = dispatcher()
    action = draft(user)
    upload = SimpleUploadedFile("foto.jpg", b"dit is geen foto\n" * 20, content_type="image/jpeg")
    response = login_client(user).post(
        reverse("actions:photo", args=[action.pk]), {"photo": upload}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Dit is geen foto die we accepteren (JPEG, PNG, WebP)." in page
    assert 'id="id_photo_error"' in page
    assert stored_files(media) == [] and photo_events(action) == []
    action.refresh_from_db()
    assert not action.photo


def test_the_new_action_form_takes_a_photo(login_client, recorder, media) -> None:
    client = login_client(dispatcher())
    response = client.post(
        reverse("actions:new"),
        {
            "type": "missing_elderly",
            "description": "Man, 82 jaar, grijze jas.",
            "channels": ["sms"],
            "area": json.dumps(AREA),
            "photo": SimpleUploadedFile("man.jpg", jpeg_with_gps(), content_type="image/jpeg"),
        },
    )
    assert response.status_code == 302
    action = Action.objects.get()
    assert action.photo and [e.kind for e in action.events.order_by("seq")] == [
        "created",
        "photo_attached",
    ]
    refused = client.post(
        reverse("actions:new"),
        {
            "type": "missing_elderly",
            "description": "Tweede",
            "channels": ["sms"],
            "area": json.dumps(AREA),
            "photo": SimpleUploadedFile("x.jpg", b"%PDF-1.4" * 10, content_type="image/jpeg"),
        },
    )
    assert refused.status_code == 200 and Action.objects.count() == 1
    assert len(stored_files(media)) == 1


def test_replace_and_remove_delete_the_old_file_on_commit(
    login_client, media, django_capture_on_commit_callbacks
) -> None:
    user = dispatcher()
    action = draft(user)
    client = login_client(user)
    url = reverse("actions:photo", args=[action.pk])
    client.post(url, {"photo": SimpleUploadedFile("a.jpg", jpeg_with_gps())})
    [first] = stored_files(media)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"photo": SimpleUploadedFile("b.png", png_bytes())})
    [second] = stored_files(media)
    assert second != first and second.suffix == ".png"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"remove": "1"}).status_code == 302
    assert stored_files(media) == []
    kinds = [(e.kind, e.payload["sha256"]) for e in photo_events(action)]
    assert [k for k, _ in kinds] == ["photo_attached", "photo_replaced", "photo_removed"]
    assert kinds[1][1] == kinds[2][1]  # the removal names the hash of what was removed


def test_other_centres_cannot_change_the_photo(login_client, media) -> None:
    owner = dispatcher()
    action = draft(owner)
    stranger = dispatcher()  # another police unit: cannot even see it
    neighbour = StaffUserFactory(
        organisation=DispatchCentreFactory(parent=owner.organisation.parent),
        roles=[Role.DISPATCHER],
    )
    url = reverse("actions:photo", args=[action.pk])
    assert (
        login_client(stranger).post(url, {"photo": SimpleUploadedFile("a.jpg", jpeg_with_gps())})
    ).status_code == 404
    assert (
        login_client(neighbour).post(url, {"photo": SimpleUploadedFile("a.jpg", jpeg_with_gps())})
    ).status_code == 403
    assert stored_files(media) == [] and photo_events(action) == []


def test_found_withdraws_the_photo_from_the_public_page(login_client, recorder, media) -> None:
    user = dispatcher()
    action = draft(user, type="missing_elderly")
    login_client(user).post(
        reverse("actions:photo", args=[action.pk]),
        {"photo": SimpleUploadedFile("a.jpg", jpeg_with_gps())},
    )
    services.action_start(action=action, by=user)
    action.refresh_from_db()
    url = action.photo.url
    assert Client().get(url).status_code == 200
    services.action_close(action=action, by=user, outcome="found")
    services.action_publish(action=action, by=user, public_summary="De man is gevonden.")
    cache.clear()
    page = Client().get(reverse("public:action", args=[action.pk])).content.decode()
    assert "De man is gevonden." in page and url not in page
    assert Client().get(url).status_code == 404
    assert login_client(user).get(url).status_code == 200  # still in the dossier's console
    # Once closed, the photo cannot be changed any more.
    response = login_client(user).post(
        reverse("actions:photo", args=[action.pk]),
        {"photo": SimpleUploadedFile("b.png", png_bytes())},
    )
    assert response.status_code == 400 and len(stored_files(media)) == 1


def api_client(user) -> tuple[Client, dict[str, str]]:
    _token, raw = services.control_room_token_issue(user=user, name="GMS")
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_api_photo_upload_is_idempotent_and_delete_removes_it(
    media, django_capture_on_commit_callbacks
) -> None:
    user = dispatcher()
    action = draft(user)
    client, auth = api_client(user)
    url = f"/api/v1/actions/{action.pk}/photo"
    first = client.post(
        url,
        {"photo": SimpleUploadedFile("a.jpg", jpeg_with_gps())},
        HTTP_IDEMPOTENCY_KEY="p1",
        **auth,
    )
    again = client.post(
        url,
        {"photo": SimpleUploadedFile("a.jpg", jpeg_with_gps())},
        HTTP_IDEMPOTENCY_KEY="p1",
        **auth,
    )
    assert first.status_code == 200 and again.json() == first.json()
    assert first.json()["photo_url"].startswith("/media/actions/")
    assert len(photo_events(action)) == 1 and len(stored_files(media)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        removed = client.delete(url, **auth)
    assert removed.status_code == 200 and removed.json()["photo_url"] is None
    assert stored_files(media) == []


def test_api_photo_errors_are_problem_json_naming_the_field(media) -> None:
    owner = dispatcher()
    action = draft(owner)
    client, auth = api_client(owner)
    url = f"/api/v1/actions/{action.pk}/photo"
    text = client.post(url, {"photo": SimpleUploadedFile("a.jpg", b"hello" * 50)}, **auth)
    assert text.status_code == 422 and text["Content-Type"] == "application/problem+json"
    assert text.json()["errors"][0]["field"] == "photo"
    missing = client.post(url, {}, **auth)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "photo"

    neighbour = StaffUserFactory(
        organisation=DispatchCentreFactory(parent=owner.organisation.parent),
        roles=[Role.DISPATCHER],
    )
    other, other_auth = api_client(neighbour)
    denied = other.post(url, {"photo": SimpleUploadedFile("a.jpg", jpeg_with_gps())}, **other_auth)
    assert denied.status_code == 403 and denied["Content-Type"] == "application/problem+json"
    stranger, stranger_auth = api_client(dispatcher())
    assert stranger.delete(url, **stranger_auth).status_code == 404
    assert stored_files(media) == [] and photo_events(action) == []


def test_tip_photo_is_served_to_the_console_only_and_every_look_is_logged(
    login_client, recorder, media
) -> None:
    from django.core.files.base import ContentFile

    from burgernet.actions.models import Response
    from burgernet.core import clock
    from burgernet.core.models import AccessLogEntry

    user = dispatcher()
    action = draft(user)
    services.action_start(action=action, by=user)
    tip = Response(action=action, kind="tip", at=clock.now(), participant_id=4242)
    tip.media.save("tip.png", ContentFile(png_bytes()), save=False)
    tip.save()
    url = reverse("actions:response_media", args=[action.pk, tip.pk])

    client = login_client(user)
    live = client.get(reverse("actions:live", args=[action.pk])).content.decode()
    assert f'src="{url}"' in live and tip.media.url not in live
    served = client.get(url)
    assert served.status_code == 200 and served["Cache-Control"] == "private, no-store"
    assert b"".join(served.streaming_content) == png_bytes()
    assert AccessLogEntry.objects.filter(staff=user, participant_id=4242).count() == 1

    # Nobody else: not the public, not another dispatch centre; nothing is logged for them.
    assert Client().get(url).status_code in (302, 403, 404)
    other = StaffUserFactory(organisation=DispatchCentreFactory(), roles=[Role.DISPATCHER])
    assert login_client(other).get(url).status_code == 404
    assert Client().get(tip.media.url).status_code == 404
    assert AccessLogEntry.objects.count() == 1

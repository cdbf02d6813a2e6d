"""Retention: dossiers closed longer ago than DOSSIER_RETENTION_DAYS lose their personal parts;
an anonymous shell keeps the public summary, the dashboard figures and a meaningful chain."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from burgernet.actions import outbox, services
from burgernet.actions.dossier import dossier_verify
from burgernet.actions.models import Action, ActionEvent, ActionRecipient, Response
from burgernet.actions.retention import dossiers_purge_expired
from burgernet.actions.tasks import purge_expired_dossiers
from burgernet.actions.tests.factories import dispatcher
from burgernet.core import clock
from burgernet.core.tests.test_images import jpeg_with_gps
from burgernet.dashboard.models import DailyFigure
from burgernet.dashboard.services import aggregates_rebuild
from burgernet.dispatch.models import Delivery, Message
from burgernet.geo.area import Circle

pytestmark = pytest.mark.django_db
LONG_AGO = dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC)  # a Tuesday, far past 365 days
PHONES = {1: "+31611111111", 2: "+31622222222"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DOSSIER_RETENTION_DAYS = 365
    # Two participants in the area; the real outbox writes dispatch messages and deliveries.
    monkeypatch.setattr(
        outbox,
        "reach",
        lambda *, area, channels, at, category: [
            outbox.Recipient(pid, "sms", phone, 100.0 * pid) for pid, phone in PHONES.items()
        ],
    )
    cache.clear()
    return settings.MEDIA_ROOT


def run_action(user, *, at: dt.datetime, close: bool = True) -> Action:
    """An action with a photo, recipients, deliveries, and a call and an app tip with photo."""
    with clock.frozen(at):
        action = services.action_create(
            by=user,
            type="missing_child",
            title="Vermist kind Amsterdam",
            description="Tim, 8 jaar, blauwe pet, woont Keizersgracht 1.",
            area=Circle(lat=52.37, lon=4.89, radius_m=1500),
            channels=["sms"],
            photo=services.photo_clean(data=jpeg_with_gps()),
        )
        services.action_start(action=action, by=user)
    with clock.frozen(at + dt.timedelta(minutes=3)):
        services.response_record(
            action=action, kind="call", participant_id=1, from_number=PHONES[1], text="Belt"
        )
        services.response_record(
            action=action,
            kind="app_tip",
            text="Jongen bij de bakker",
            from_number="0612345678",
            lat=52.371,
            lon=4.891,
            media=ContentFile(jpeg_with_gps(), name="tip.jpg"),
        )
    if close:
        with clock.frozen(at + dt.timedelta(hours=1)):
            services.action_close(
                action=action, by=user, outcome="found", participant_contributed=True
            )
            services.action_publish(
                action=action, by=user, public_summary="Het kind is dankzij een tip gevonden."
            )
    action.refresh_from_db()
    return action


def files(media) -> set[str]:
    return {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()}


def snapshot(action: Action) -> dict:
    return {
        "recipients": ActionRecipient.objects.filter(action=action).count(),
        "responses": Response.objects.filter(action=action).count(),
        "events": list(
            ActionEvent.objects.filter(action=action).order_by("seq").values_list("payload", "hash")
        ),
        "addresses": sorted(
            Delivery.objects.filter(message__source_id=str(action.pk)).values_list(
                "address", flat=True
            )
        ),
        "description": Action.objects.get(pk=action.pk).description,
    }


def test_expired_dossiers_lose_personal_data_and_keep_an_anonymous_shell(
    media, login_client, django_capture_on_commit_callbacks
) -> None:
    user = dispatcher()
    old = run_action(user, at=LONG_AGO)
    recent = run_action(user, at=clock.now() - dt.timedelta(days=30))
    running = run_action(user, at=LONG_AGO, close=False)  # still active: never purged
    day = LONG_AGO.date()
    aggregates_rebuild(day=day)
    before = DailyFigure.objects.get(organisation=user.organisation, day=day)
    assert before.recipients == 4 and before.responses == 4 and before.actions_responded == 2
    old_files = {old.photo.name, *(r.media.name for r in old.responses.exclude(media=""))}
    assert old_files <= files(media) and len(old_files) == 2
    kept = {a.pk: snapshot(a) for a in (recent, running)}
    assert all("Keizersgracht" in json.dumps(s["events"]) for s in kept.values())

    with django_capture_on_commit_callbacks(execute=True):
        report = dossiers_purge_expired()
    assert report.actions == [old.pk]
    assert report.rows == {
        "recipients": 2,
        "responses": 2,
        "files": 2,
        "events_redacted": 8,
        "deliveries": 4,
    }

    old.refresh_from_db()
    # Personal parts are gone, from the database and from storage.
    assert not ActionRecipient.objects.filter(action=old).exists()
    assert not Response.objects.filter(action=old).exists()
    assert not old_files & files(media)
    assert not old.photo and old.description == "" and old.sms_text == ""
    dumped = json.dumps(list(ActionEvent.objects.filter(action=old).values_list("payload")))
    for personal in ("Keizersgracht", "Tim", "+316", "0612345678", "participant_id", "sha256"):
        assert personal not in dumped
    deliveries = Delivery.objects.filter(message__source_id=str(old.pk))
    assert set(deliveries.values_list("address", flat=True)) == {""}
    assert not deliveries.exclude(recipient_ref=None).exists()
    assert set(
        Message.objects.filter(source_id=str(old.pk)).values_list("sms_text", flat=True)
    ) == {""}
    # What the shell keeps: the outcome, the public summary, counts and a verifiable chain.
    assert old.outcome == "found" and old.purged_at is not None
    assert old.retained_figures["recipients"] == 2 and old.retained_figures["responses"] == 2
    check = dossier_verify(action=old)
    assert check.ok and check.redacted_through == 8 and check.events == 9
    purge = ActionEvent.objects.get(action=old, kind="purged")
    assert purge.payload["rows"]["responses"] == 2 and purge.payload["chain_before"]["ok"]
    page = Client().get(reverse("public:action", args=[old.pk])).content.decode()
    assert "Het kind is dankzij een tip gevonden." in page and "Keizersgracht" not in page
    dossier = login_client(user).get(reverse("actions:dossier", args=[old.pk])).content.decode()
    assert "Opgeschoond op" in dossier and "Keten intact" in dossier

    # A later recompute of that day does not silently turn the figures into zeros.
    aggregates_rebuild(day=day)
    after = DailyFigure.objects.get(organisation=user.organisation, day=day)
    assert (after.recipients, after.responses, after.actions_responded) == (4, 4, 2)
    assert after.first_response_seconds == before.first_response_seconds

    # Recent and running actions keep everything.
    for action in (recent, running):
        assert snapshot(action) == kept[action.pk]
        assert dossier_verify(action=action).ok
    # A purged action cannot be changed any more, and purging again does nothing.
    with pytest.raises(services.ValidationError):
        services.action_publish(action=old, by=user, public_summary="Nieuw")
    assert dossiers_purge_expired().actions == []


def test_dry_run_changes_nothing(media, django_capture_on_commit_callbacks) -> None:
    user = dispatcher()
    old = run_action(user, at=LONG_AGO)
    before, stored = snapshot(old), files(media)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_dossiers", "--dry-run", stdout=out)
    assert "would purge 1 action(s) closed more than 365 days ago" in out.getvalue()
    assert "2 recipients" in out.getvalue() and str(old.pk) in out.getvalue()
    assert snapshot(old) == before and files(media) == stored
    old.refresh_from_db()
    assert old.purged_at is None and old.photo

    with django_capture_on_commit_callbacks(execute=True):
        assert purge_expired_dossiers.call() == 1
    assert not Response.objects.filter(action=old).exists()


def test_the_chain_check_stays_meaningful_after_the_purge(media) -> None:
    user = dispatcher()
    old = run_action(user, at=LONG_AGO)
    broken = run_action(user, at=LONG_AGO)
    with connection.cursor() as cursor:  # tampered with before the purge
        cursor.execute(
            "UPDATE actions_actionevent SET kind = 'edited' WHERE action_id = %s AND seq = 2",
            [broken.pk],
        )
    dossiers_purge_expired()
    assert dossier_verify(action=old).ok
    check = dossier_verify(action=broken)
    assert not check.ok and "broken before the purge" in check.reason

    # Changing what the purge kept is detected too.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE actions_actionevent SET payload = %s WHERE action_id = %s AND seq = 3",
            ['{"reached": {"sms": 99}, "redacted": true}', old.pk],
        )
    check = dossier_verify(action=old)
    assert not check.ok and check.reason == "events redacted at retention were changed"


def test_zero_days_is_refused_at_start_up(tmp_path) -> None:
    from burgernet.core.tests.test_startup_errors import assert_one_clear_line, run_burgernet

    result = run_burgernet(tmp_path, "check", DEMO_MODE="1", DOSSIER_RETENTION_DAYS="0")
    assert_one_clear_line(result, "DOSSIER_RETENTION_DAYS")

"""The action lifecycle with the registry and the dispatch engine replaced by recorders.

(The end-to-end path through the real registry and mock provider is tested in
test_end_to_end.py.)"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from burgernet.actions import services
from burgernet.actions.dossier import dossier_verify
from burgernet.actions.models import ActionRecipient, ActionStatus
from burgernet.actions.tests.factories import dispatcher
from burgernet.geo.area import Circle

pytestmark = pytest.mark.django_db

CENTRE = (52.37, 4.89)


def test_start_expand_close_reach_the_right_people(recorder) -> None:
    user = dispatcher()
    action = services.action_create(
        by=user,
        type="missing_child",
        title="",
        description="Meisje, 6 jaar, gele jas.",
        area=Circle(lat=CENTRE[0], lon=CENTRE[1], radius_m=1500),
        channels=["sms"],
    )
    assert action.sms_text.startswith("Dit is een oproep van Burgernet. Vermist kind.")
    assert "Bel gratis 0800-0011 en blijf aan de lijn." in action.sms_text
    services.action_start(action=action, by=user)
    kind, text, recipients = recorder.sent[-1]
    assert kind == "start" and {r[2] for r in recipients} == {1, 2}

    services.action_expand(
        action=action, by=user, area=Circle(lat=CENTRE[0], lon=CENTRE[1], radius_m=8000)
    )
    kind, _text, recipients = recorder.sent[-1]
    assert kind == "expansion" and {r[2] for r in recipients} == {3}  # only the new one

    services.action_close(action=action, by=user, outcome="found", participant_contributed=True)
    kind, text, recipients = recorder.sent[-1]
    assert kind == "closing" and {r[2] for r in recipients} == {1, 2, 3}
    assert "gevonden" in text
    # The dossier's recipient list: who, on what, how far, and in which step.
    rows = dict(
        ActionRecipient.objects.filter(action=action).values_list("participant_id", "reached_in")
    )
    assert rows[1] == rows[2] < rows[3]
    assert all(
        d is not None and d >= 0
        for d in ActionRecipient.objects.filter(action=action).values_list("distance_m", flat=True)
    )
    action.refresh_from_db()
    assert action.status == ActionStatus.CLOSED
    kinds = list(action.events.values_list("kind", flat=True))
    assert kinds == ["created", "starting", "started", "expanding", "expanded", "closed"]
    assert dossier_verify(action=action).ok


def test_only_the_owning_control_room_acts(recorder) -> None:
    owner = dispatcher()
    other = dispatcher()
    action = services.action_create(
        by=owner,
        type="robbery",
        title="",
        description="Man met bivakmuts, scooter.",
        area=Circle(lat=CENTRE[0], lon=CENTRE[1], radius_m=1000),
    )
    with pytest.raises(PermissionDenied):
        services.action_start(action=action, by=other)
    action.refresh_from_db()
    assert action.status == ActionStatus.DRAFT and recorder.sent == []


def test_same_idempotency_key_makes_one_action(recorder) -> None:
    user = dispatcher()
    kwargs = {
        "by": user,
        "type": "theft",
        "title": "",
        "description": "Fiets gestolen.",
        "area": Circle(lat=CENTRE[0], lon=CENTRE[1], radius_m=1000),
        "idempotency_key": "abc-1",
    }
    first = services.action_create(**kwargs)
    second = services.action_create(**kwargs)
    assert first.pk == second.pk


def test_bad_input_changes_nothing(recorder) -> None:
    user = dispatcher()
    with pytest.raises(ValidationError) as info:
        services.action_create(
            by=user,
            type="theft",
            title="",
            description="  ",
            area=Circle(lat=CENTRE[0], lon=CENTRE[1], radius_m=1000),
        )
    assert "description" in info.value.message_dict
    action = services.action_create(
        by=user,
        type="theft",
        title="",
        description="Fiets",
        area=Circle(lat=CENTRE[0], lon=CENTRE[1], radius_m=1000),
    )
    services.action_start(action=action, by=user)
    with pytest.raises(ValidationError):
        services.action_start(action=action, by=user)
    assert len(recorder.sent) == 1
    assert ActionRecipient.objects.filter(action=action).count() == 2


def test_exercise_is_marked_in_every_message(recorder) -> None:
    user = dispatcher()
    action = services.action_create(
        by=user,
        type="hit_and_run",
        title="",
        description="Blauwe bestelbus.",
        exercise=True,
        area=Circle(lat=CENTRE[0], lon=CENTRE[1], radius_m=1000),
    )
    services.action_start(action=action, by=user)
    services.action_follow_up(action=action, by=user, text="Kenteken begint met VX.")
    services.action_close(action=action, by=user, outcome="no_result")
    assert [t.startswith("OEFENING") for _k, t, _r in recorder.sent] == [True, True, True]


def test_publish_withdraws_photo_of_found_person(recorder) -> None:
    user = dispatcher()
    action = services.action_create(
        by=user,
        type="missing_elderly",
        title="",
        description="Man, 82, grijze jas.",
        area=Circle(lat=CENTRE[0], lon=CENTRE[1], radius_m=1000),
    )
    services.action_start(action=action, by=user)
    services.action_close(action=action, by=user, outcome="found")
    services.action_publish(action=action, by=user, public_summary="De man is gevonden.")
    action.refresh_from_db()
    assert action.status == ActionStatus.PUBLISHED and action.photo_withdrawn

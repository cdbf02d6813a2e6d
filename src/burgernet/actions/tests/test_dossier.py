"""The dossier is append-only and any later change to it is detectable."""

from __future__ import annotations

import pytest
from django.db import connection

from burgernet.actions import services
from burgernet.actions.dossier import dossier_append, dossier_verify
from burgernet.actions.models import ActionEvent
from burgernet.actions.tests.factories import dispatcher
from burgernet.geo.area import Circle

pytestmark = pytest.mark.django_db


def make_action():
    user = dispatcher()
    action = services.action_create(
        by=user,
        type="missing_child",
        title="",
        description="Jongen, 8 jaar, rode jas.",
        area=Circle(lat=52.37, lon=4.89, radius_m=1500),
    )
    for i in range(4):
        dossier_append(
            action=action,
            kind="note",
            actor_id=user.pk,
            payload={"n": i, "text": "Melding van burger", "lat": 52.1234567},
        )
    return action


def test_an_untouched_dossier_verifies() -> None:
    action = make_action()
    check = dossier_verify(action=action)
    assert check.ok and check.events == 5


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE actions_actionevent SET payload = '{\"n\": 9}' WHERE action_id = %s AND seq = 3",
        "UPDATE actions_actionevent SET kind = 'edited' WHERE action_id = %s AND seq = 2",
        "UPDATE actions_actionevent SET actor_id = NULL WHERE action_id = %s AND seq = 4",
        "DELETE FROM actions_actionevent WHERE action_id = %s AND seq = 3",
        "DELETE FROM actions_actionevent WHERE action_id = %s AND seq = 5",
    ],
)
def test_editing_any_row_in_the_database_is_detected(tamper: str) -> None:
    action = make_action()
    with connection.cursor() as cursor:
        cursor.execute(tamper, [action.pk])
    check = dossier_verify(action=action)
    assert not check.ok
    assert check.first_broken_seq is not None and check.first_broken_seq <= 5


def test_a_moved_timestamp_is_detected() -> None:
    action = make_action()
    event = ActionEvent.objects.get(action=action, seq=2)
    ActionEvent.objects.filter(pk=event.pk).update(at=event.at.replace(microsecond=1))
    assert dossier_verify(action=action).first_broken_seq == 2

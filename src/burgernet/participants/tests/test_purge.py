"""Unconfirmed web sign-ups are erased after 7 days; confirmed and paper ones stay."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from burgernet.participants.models import CounterKind, Participant, RegistryCounter, Source
from burgernet.participants.tasks import purge_unconfirmed
from burgernet.participants.tests.factories import make_participant

pytestmark = pytest.mark.django_db


def test_purge_unconfirmed_after_seven_days(regions: Any) -> None:
    start = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        make_participant(region=regions[0], email="old@x.nl", confirmed=False)
        make_participant(region=regions[0], email="ok@x.nl", phone="+31611111111")
        make_participant(
            region=regions[0],
            email="paper@x.nl",
            phone="+31622222222",
            confirmed=False,
            source=Source.PAPER,
        )
    with time_machine.travel(start + dt.timedelta(days=6), tick=False):
        make_participant(region=regions[0], email="new@x.nl", phone="+31633333333", confirmed=False)
        out = StringIO()
        call_command("purge_unconfirmed", stdout=out)
        assert "purged 0" in out.getvalue()
    with time_machine.travel(start + dt.timedelta(days=8), tick=False):
        call_command("purge_unconfirmed", stdout=StringIO())
        assert sorted(Participant.objects.values_list("email", flat=True)) == [
            "new@x.nl",
            "ok@x.nl",
            "paper@x.nl",
        ]
        assert RegistryCounter.objects.get(kind=CounterKind.PURGED).count == 1


def test_purge_task_calls_the_service(regions: Any, settings: Any) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), tick=False):
        make_participant(region=regions[0], confirmed=False)
    assert purge_unconfirmed.call() == 1

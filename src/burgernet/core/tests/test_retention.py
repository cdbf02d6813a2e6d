"""The staff access log is kept ACCESS_LOG_RETENTION_DAYS, then the daily job deletes it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from burgernet.accounts.models import Organisation, OrganisationKind, Role, StaffUser
from burgernet.core import clock
from burgernet.core.models import AccessLogEntry
from burgernet.core.tasks import purge_expired_access_log
from burgernet.core.tests.test_startup_errors import assert_one_clear_line, run_burgernet

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_entries_older_than_the_retention_go_and_the_rest_stays(settings) -> None:
    settings.ACCESS_LOG_RETENTION_DAYS = 730
    town = Organisation.objects.create(
        code="gm0001", kind=OrganisationKind.MUNICIPALITY, name="Testdam"
    )
    officer = StaffUser.objects.create(
        username="ambtenaar", organisation=town, roles=[Role.REGISTRY_OFFICER]
    )
    for days, participant_id in ((731, 1), (729, 2), (1, 3)):
        AccessLogEntry.objects.create(
            staff=officer, participant_id=participant_id, at=NOW - dt.timedelta(days=days), why="x"
        )

    with clock.frozen(NOW):
        assert purge_expired_access_log.call() == 1
        assert purge_expired_access_log.call() == 0  # idempotent

    assert sorted(AccessLogEntry.objects.values_list("participant_id", flat=True)) == [2, 3]


@pytest.mark.slow
def test_a_retention_shorter_than_half_a_year_stops_start_up(tmp_path: Path) -> None:
    result = run_burgernet(tmp_path, "check", DEMO_MODE="1", ACCESS_LOG_RETENTION_DAYS="30")
    assert_one_clear_line(result, "ACCESS_LOG_RETENTION_DAYS=30", "180 days")

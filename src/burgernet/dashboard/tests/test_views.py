"""The pages: who may see what, CSV of every table, the weekly report, and that a
municipality sees other municipalities only as aggregates, never participant rows."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from burgernet.accounts.models import Role
from burgernet.dashboard import selectors
from burgernet.dashboard.models import DailyFigure
from burgernet.dashboard.tables import dashboard_tables
from burgernet.participants.models import Participant


def _json_scripts(html: str) -> dict[str, object]:
    found = re.findall(r'<script id="([^"]+)" type="application/json">(.*?)</script>', html, re.S)
    return {k: json.loads(v) for k, v in found}


@pytest.mark.django_db
def test_municipality_sees_its_figures_and_others_only_as_aggregates(world, staff_of, login_client):
    client = login_client(staff_of(world.a))
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Gemeente GM0001" in html
    # No participant of any municipality appears: names, e-mail addresses, numbers.
    for p in Participant.objects.all():
        assert p.name not in html
        assert p.email not in html
        for phone in p.phones.all():
            assert phone.e164 not in html
    data = _json_scripts(html)
    # Other municipalities appear on the map only as rates (aggregates).
    rates = data["coverage-rates"]
    assert {tuple(sorted(r)) for r in rates} == {("code", "name", "per_1000", "white_spot")}
    assert {r["code"] for r in rates} == {"GM0001", "GM0002", "GM0003"}
    # The cells map is only of the own municipality.
    cells = data["coverage-cells"]
    assert sum(f["properties"]["participants"] for f in cells["features"]) >= 1
    # The table of municipalities lists only the own one.
    coverage = dashboard_tables(scope=selectors.dashboard_scope(user=staff_of(world.a)))["coverage"]
    assert [r[1] for r in coverage.rows] == ["GM0001"]
    assert "Vergelijking" in html or "Benchmark" in html


@pytest.mark.django_db
def test_municipality_cannot_switch_to_another_municipality(world, staff_of, login_client):
    client = login_client(staff_of(world.a))
    response = client.get(reverse("dashboard:home"), {"municipality": "GM0002"})
    assert "Dashboard: Gemeente GM0001" in response.content.decode()
    csv_response = client.get(
        reverse("dashboard:csv", args=["participants"]), {"municipality": "GM0002"}
    )
    own = client.get(reverse("dashboard:csv", args=["participants"]))
    assert csv_response.content == own.content


@pytest.mark.django_db
def test_police_unit_sees_its_municipalities_and_may_pick_one(world, staff_of, login_client):
    client = login_client(staff_of(world.centre1))
    body = client.get(reverse("dashboard:csv", args=["coverage"])).content.decode()
    codes = [row[1] for row in csv.reader(io.StringIO(body))][1:]
    assert sorted(codes) == ["GM0001", "GM0002"]
    # A municipality of another unit is out of scope: ignored, the unit's view stays.
    other = client.get(reverse("dashboard:home"), {"municipality": "GM0003"}).content.decode()
    assert "Gemeente GM0003</option>" not in other
    picked = client.get(reverse("dashboard:home"), {"municipality": "GM0002"}).content.decode()
    assert "Dashboard: Gemeente GM0002" in picked


@pytest.mark.django_db
def test_every_table_downloads_as_csv_with_the_figures_of_the_page(world, staff_of, login_client):
    user = staff_of(world.a)
    client = login_client(user)
    tables = dashboard_tables(scope=selectors.dashboard_scope(user=user))
    assert {
        "participants",
        "channels",
        "sources",
        "flow",
        "actions_by_month",
        "action_rates",
        "coverage",
        "benchmark",
        "cells",
        "costs",
    } <= set(tables)
    html = client.get(reverse("dashboard:home")).content.decode()
    for slug, table in tables.items():
        url = reverse("dashboard:csv", args=[slug])
        assert url in html
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == [str(c) for c in table.columns]
        assert rows[1:] == [[str(v) for v in r] for r in table.rows]
    assert client.get(reverse("dashboard:csv", args=["nope"])).status_code == 404


@pytest.mark.django_db
def test_each_chart_has_its_data_and_a_table(world, staff_of, login_client):
    html = login_client(staff_of(world.a)).get(reverse("dashboard:home")).content.decode()
    data = _json_scripts(html)
    for chart_id in re.findall(r'data-chart="([^"]+)"', html):
        assert chart_id in data
        slug = chart_id.removeprefix("chart-")
        assert f'id="t-{slug}"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "<script>" not in html  # no inline script (CSP)


@pytest.mark.django_db
def test_mail_figures_show_with_chart_table_and_csv_and_only_own_mailings(
    world, staff_of, login_client
):
    client = login_client(staff_of(world.a))
    html = client.get(reverse("dashboard:home")).content.decode()
    assert "Nog niet beschikbaar" not in html
    assert 'id="t-costs"' in html
    for slug in ("mailings_by_month", "mail_by_month", "mail_rates"):
        assert f'id="t-{slug}"' in html
    data = _json_scripts(html)
    kinds = {ds["label"]: sum(ds["data"]) for ds in data["chart-mailings_by_month"]["datasets"]}
    # Municipality a's own mailings only: not b's prevention mail nor the basic team's.
    assert kinds == {"digitaal buurtonderzoek": 1, "nieuwsbrief": 1}
    assert {ds["label"] for ds in data["chart-mail_by_month"]["datasets"]} == {
        "Reacties",
        "Gebounced",
        "Afmeldingen",
    }
    # Aggregates only: no reply text, no recipient.
    assert "Ik zag iets" not in html
    for p in Participant.objects.all():
        assert p.email not in html
    rates = client.get(reverse("dashboard:csv", args=["mail_rates"])).content.decode()
    assert "Reacties per 100 ontvangers,75,00" in rates.replace('"', "")
    assert "Verzonden mailingen,2" in rates


@pytest.mark.django_db
def test_weekly_report_page_and_csv(world, staff_of, login_client):
    client = login_client(staff_of(world.centre1, Role.DISPATCHER))
    response = client.get(reverse("dashboard:weekly"), {"week": "2026-03-10"})
    assert response.status_code == 200
    body = client.get(reverse("dashboard:weekly"), {"week": "2026-03-09", "format": "csv"})
    rows = list(csv.reader(io.StringIO(body.content.decode())))
    total = rows[-1]
    assert total[1:3] == ["2", "3"]  # actions, participants reached in the week
    bad = client.get(reverse("dashboard:weekly"), {"week": "gisteren"})
    assert bad.status_code == 400
    assert "week" in bad.content.decode()


@pytest.mark.django_db
def test_staff_without_a_dashboard_role_are_refused(world, staff_of, login_client, client):
    user = staff_of(world.a, Role.COMMUNICATIONS_OFFICER)
    assert login_client(user).get(reverse("dashboard:home")).status_code == 403
    assert client.get(reverse("dashboard:home")).status_code == 302


@pytest.mark.django_db
def test_command_and_task_rebuild_the_recent_days(world):
    DailyFigure.objects.all().delete()
    call_command("aggregates", "--days", "3")
    assert DailyFigure.objects.values("day").distinct().count() == 3
    from burgernet.dashboard.tasks import aggregates_rebuild_recent

    assert aggregates_rebuild_recent.call(days=2) == 2 * 5
    assert DailyFigure.objects.count() == 3 * 5


@pytest.mark.django_db
def test_demo_builder_covers_a_year_of_actions(world):
    from burgernet.dashboard import demo

    DailyFigure.objects.all().delete()
    lines: list[str] = []
    demo.build(options={}, out=lines.append)
    assert DailyFigure.objects.values("day").distinct().count() == demo.ACTION_DAYS
    # Five rows a day (three municipalities, two centres), plus the basic team on the one day
    # it sent a mailing.
    rows = demo.ACTION_DAYS * 5 + 1
    assert lines == [f"Dashboard figures: {demo.ACTION_DAYS} days, {rows:,} rows"]
    # The theft 40 days before DAY is there, like the three actions of DAY.
    assert (
        sum(
            DailyFigure.objects.filter(organisation=world.centre1).values_list(
                "actions_total", flat=True
            )
        )
        == 3
    )


@pytest.mark.django_db
def test_the_page_in_english(world, staff_of, login_client, settings):
    client = login_client(staff_of(world.a))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("dashboard:home")).content.decode()
    assert "Participants by channel" in html
    assert "Not available yet." not in html
    assert "Share of mailings with at least one reply" in html

"""Staff registry: scoped to the own municipality, every detail view logged."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from burgernet.accounts.models import Role
from burgernet.accounts.tests.factories import StaffUserFactory
from burgernet.core.models import AccessLogEntry
from burgernet.participants.models import Participant, Source
from burgernet.participants.tests.factories import make_participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(regions: Any, municipalities: Any) -> tuple[Participant, Participant]:
    in_a = make_participant(
        region=regions[0], name="Anna Aa", email="anna@a.nl", categories=["crime"]
    )
    in_b = make_participant(
        region=regions[1],
        name="Bert Bee",
        email="bert@b.nl",
        phone="+31698765432",
        lat=52.35,
        lon=5.55,
    )
    return in_a, in_b


def test_officer_sees_only_own_municipality(login_client: Any, officer_a: Any, people: Any) -> None:
    client = login_client(officer_a)
    page = client.get(reverse("participants:registry")).content.decode()
    assert "Anna Aa" in page and "Bert Bee" not in page
    assert (
        client.get(reverse("participants:registry_detail", args=[people[1].pk])).status_code == 404
    )
    assert client.get(reverse("participants:registry_edit", args=[people[1].pk])).status_code == 404
    response = client.post(reverse("participants:registry_deactivate", args=[people[1].pk]))
    assert response.status_code == 404
    people[1].refresh_from_db()
    assert people[1].deactivated_at is None
    assert not AccessLogEntry.objects.filter(participant_id=people[1].pk).exists()


def test_each_detail_view_writes_one_access_log_entry(
    login_client: Any, officer_a: Any, people: Any
) -> None:
    client = login_client(officer_a)
    url = reverse("participants:registry_detail", args=[people[0].pk])
    for expected in (1, 2):
        response = client.get(url)
        assert response.status_code == 200
        assert "anna@a.nl" in response.content.decode()
        entries = AccessLogEntry.objects.filter(participant_id=people[0].pk)
        assert entries.count() == expected
    entry = entries.first()
    assert entry.staff == officer_a and entry.why


def test_national_officer_sees_all(login_client: Any, national_officer: Any, people: Any) -> None:
    page = login_client(national_officer).get(reverse("participants:registry")).content.decode()
    assert "Anna Aa" in page and "Bert Bee" in page


def test_other_roles_are_refused(login_client: Any, municipalities: Any) -> None:
    dispatcher = StaffUserFactory(organisation=municipalities[0], roles=[Role.DISPATCHER])
    assert login_client(dispatcher).get(reverse("participants:registry")).status_code == 403


@pytest.mark.parametrize(
    ("query", "found"),
    [("anna", True), ("ANNA@A", True), ("1234ab", True), ("06 12345678", True), ("zzz", False)],
)
def test_search_by_name_email_postcode_and_phone(
    login_client: Any, officer_a: Any, people: Any, query: str, found: bool
) -> None:
    page = login_client(officer_a).get(reverse("participants:registry"), {"q": query})
    assert ("Anna Aa" in page.content.decode()) is found


def test_filters_status_source_category(
    login_client: Any, officer_a: Any, people: Any, regions: Any
) -> None:
    make_participant(
        region=regions[0],
        name="Carla Card",
        email="c@a.nl",
        phone="+31611112222",
        source=Source.PAPER,
        categories=["crisis"],
        confirmed=False,
    )
    client = login_client(officer_a)
    url = reverse("participants:registry")

    def names(**params: str) -> set[str]:
        html = client.get(url, params).content.decode()
        return {n for n in ("Anna Aa", "Carla Card") if n in html}

    assert names(status="unconfirmed") == {"Carla Card"}
    assert names(status="active") == {"Anna Aa"}
    assert names(source="paper") == {"Carla Card"}
    assert names(category="crisis") == {"Carla Card"}
    assert names(category="crime") == {"Anna Aa"}


def test_list_is_paginated_with_few_queries(
    login_client: Any, officer_a: Any, regions: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(30):
        make_participant(
            region=regions[0], name=f"P{i:02d}", email=f"p{i}@a.nl", phone=f"+316100000{i:02d}"
        )
    client = login_client(officer_a)
    with django_assert_max_num_queries(15):
        page = client.get(reverse("participants:registry")).content.decode()
    assert "P00" in page and "P29" not in page
    assert "P29" in client.get(reverse("participants:registry"), {"page": 2}).content.decode()


def test_create_from_paper_card_is_confirmed_and_in_scope(
    login_client: Any, officer_a: Any, regions: Any, municipalities: Any
) -> None:
    client = login_client(officer_a)
    data = {
        "name": "Kaart Karel",
        "email": "",
        "postcode": "1234 AB",
        "house_number": "5",
        "city": "Testdam",
        "phone_1": "030 123 4567",  # a landline is fine on a signed card
        "phone_1_voice": "on",
        "languages": ["nl"],
        "categories": ["crime"],
    }
    response = client.post(reverse("participants:registry_create"), data)
    assert response.status_code == 302
    karel = Participant.objects.get(name="Kaart Karel")
    assert karel.source == Source.PAPER and karel.confirmed_at is not None
    assert karel.phones.get().verified_at is not None
    # An address in another municipality is refused, naming the field.
    response = client.post(
        reverse("participants:registry_create"),
        {**data, "name": "Elders", "city": "Andersdorp", "phone_1": "030 765 4321"},
    )
    assert response.status_code == 200
    assert "buiten de gemeenten" in response.content.decode()
    assert not Participant.objects.filter(name="Elders").exists()


def test_edit_deactivate_and_mark_unreachable(
    login_client: Any, officer_a: Any, people: Any
) -> None:
    client = login_client(officer_a)
    anna = people[0]
    response = client.post(
        reverse("participants:registry_edit", args=[anna.pk]),
        {"name": "Anna A.", "email": "anna2@a.nl", "languages": ["nl"], "categories": ["crime"]},
    )
    assert response.status_code == 302
    anna.refresh_from_db()
    assert (anna.name, anna.email, anna.email_confirmed_at) == ("Anna A.", "anna2@a.nl", None)
    client.post(reverse("participants:registry_unreachable", args=[anna.pk]))
    anna.refresh_from_db()
    assert anna.email_unreachable and anna.phones.get().verified_at is None
    client.post(reverse("participants:registry_deactivate", args=[anna.pk]))
    anna.refresh_from_db()
    assert anna.deactivated_at is not None and anna.status == "deactivated"


def test_recruitment_table_counts_per_municipality(
    login_client: Any, national_officer: Any, people: Any, regions: Any
) -> None:
    make_participant(region=regions[0], name="X", email="x@a.nl", phone="+31699990000")
    make_participant(
        region=regions[0], name="Y", email="y@a.nl", phone="+31699990001", confirmed=False
    )
    response = login_client(national_officer).get(reverse("participants:registry_recruitment"))
    rows = {r.municipality: r for r in response.context["rows"]}
    assert rows["Gemeente Testdam"].participants == 2  # the unconfirmed one does not count
    assert rows["Gemeente Testdam"].per_1000 == 0.1
    assert rows["Gemeente Andersdorp"].participants == 1
    assert "Gemeente Testdam" in response.content.decode()

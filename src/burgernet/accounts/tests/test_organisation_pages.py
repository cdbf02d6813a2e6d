"""Organisation and staff pages prove the scoping rules through real views.

A dispatcher of police unit A sees unit A's organisations and gets 404 (not 403) for unit B's;
a municipality officer sees only his own municipality; the national office sees everything.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse

from burgernet.accounts.models import Organisation, OrganisationKind, Role
from burgernet.accounts.tests.factories import (
    DispatchCentreFactory,
    MunicipalityFactory,
    OrganisationFactory,
    PoliceUnitFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db


@dataclass
class Unit:
    unit: Organisation
    centre: Organisation
    team: Organisation
    municipality: Organisation

    def all(self) -> list[Organisation]:
        return [self.unit, self.centre, self.team, self.municipality]


def make_unit(name: str) -> Unit:
    unit = PoliceUnitFactory(name=f"Politie-eenheid {name}")
    return Unit(
        unit=unit,
        centre=DispatchCentreFactory(name=f"MK {name}", parent=unit),
        team=OrganisationFactory(
            kind=OrganisationKind.BASIC_TEAM, name=f"Basisteam {name}", parent=unit
        ),
        municipality=MunicipalityFactory(name=f"Gemeente {name}stad", parent=unit),
    )


@pytest.fixture
def units() -> tuple[Unit, Unit]:
    return make_unit("Noord"), make_unit("Zuid")


def detail(org: Organisation) -> str:
    return reverse("portal:organisation_detail", args=[org.pk])


def test_dispatcher_sees_his_own_unit_and_gets_404_for_another(units, login_client) -> None:
    own, other = units
    dispatcher = StaffUserFactory(
        organisation=own.centre, roles=[Role.DISPATCHER], first_name="Sanne", last_name="Visser"
    )
    client = login_client(dispatcher)

    for org in own.all():
        page = client.get(detail(org))
        assert page.status_code == 200, org
        assert org.name in page.content.decode()
    for org in other.all():
        assert client.get(detail(org)).status_code == 404, org

    listing = client.get(reverse("portal:organisations")).content.decode()
    assert all(org.name in listing for org in own.all())
    assert not any(org.name in listing for org in other.all())


def test_detail_shows_kind_parent_children_and_staff_with_roles(units, login_client) -> None:
    own, _other = units
    StaffUserFactory(
        organisation=own.centre,
        roles=[Role.DISPATCHER],
        first_name="Mehmet",
        last_name="Yilmaz",
    )
    viewer = StaffUserFactory(organisation=own.unit, roles=[Role.DASHBOARD_VIEWER])
    client = login_client(viewer)

    centre = client.get(detail(own.centre)).content.decode()
    assert "Meldkamer" in centre  # kind, in Dutch
    assert own.unit.name in centre and detail(own.unit) in centre  # parent, linked
    assert "Mehmet Yilmaz" in centre and "centralist" in centre  # staff with role, in Dutch

    unit = client.get(detail(own.unit)).content.decode()
    for child in (own.centre, own.team, own.municipality):
        assert detail(child) in unit


def test_municipality_officer_sees_only_his_own_municipality(units, login_client) -> None:
    own, other = units
    officer = StaffUserFactory(organisation=own.municipality, roles=[Role.REGISTRY_OFFICER])
    client = login_client(officer)

    page = client.get(detail(own.municipality)).content.decode()
    assert own.municipality.name in page
    # The police unit is named as parent but not linked: it lies outside his scope.
    assert own.unit.name in page and detail(own.unit) not in page
    for org in [own.unit, own.centre, own.team, *other.all()]:
        assert client.get(detail(org)).status_code == 404, org

    listing = client.get(reverse("portal:organisations")).content.decode()
    assert own.municipality.name in listing
    assert not any(org.name in listing for org in [own.centre, own.team, *other.all()])


def test_national_office_sees_every_organisation(units, login_client) -> None:
    national = OrganisationFactory(kind=OrganisationKind.NATIONAL, name="Landelijk bureau")
    client = login_client(StaffUserFactory(organisation=national, roles=[Role.DASHBOARD_VIEWER]))
    listing = client.get(reverse("portal:organisations")).content.decode()
    for unit in units:
        for org in unit.all():
            assert org.name in listing
            assert client.get(detail(org)).status_code == 200


def test_an_unknown_organisation_is_a_404_like_one_out_of_scope(login_client) -> None:
    client = login_client(StaffUserFactory(roles=[Role.REGISTRY_OFFICER]))
    assert client.get(reverse("portal:organisation_detail", args=[999_999])).status_code == 404


def test_organisation_pages_need_a_verified_sign_in(units, client) -> None:
    own, _ = units
    for url in (reverse("portal:organisations"), detail(own.unit), reverse("portal:staff_list")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_staff_list_is_for_administrators_and_scoped(units, login_client) -> None:
    own, other = units
    StaffUserFactory(organisation=own.municipality, username="ambtenaar.noord")
    StaffUserFactory(organisation=other.municipality, username="ambtenaar.zuid")
    admin = StaffUserFactory(organisation=own.unit, roles=[Role.ADMINISTRATOR])
    page = login_client(admin).get(reverse("portal:staff_list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "ambtenaar.noord" in text
    assert "ambtenaar.zuid" not in text

    dispatcher = StaffUserFactory(organisation=own.centre, roles=[Role.DISPATCHER])
    assert login_client(dispatcher).get(reverse("portal:staff_list")).status_code == 403


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_role_finds_organisations_in_the_navigation(role, login_client) -> None:
    user = StaffUserFactory(roles=[role])
    page = login_client(user).get(reverse("portal:home")).content.decode()
    assert reverse("portal:organisations") in page
    assert (reverse("portal:staff_list") in page) == (role == Role.ADMINISTRATOR)

"""Console pages and the control-room API: permissions, idempotency, problem+json."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from burgernet.accounts.models import Role
from burgernet.accounts.tests.factories import (
    DispatchCentreFactory,
    MunicipalityFactory,
    StaffUserFactory,
)
from burgernet.actions import services
from burgernet.actions.models import Action, ActionStatus
from burgernet.actions.tests.factories import dispatcher
from burgernet.geo.area import Circle

pytestmark = pytest.mark.django_db
AREA = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [4.89, 52.37]},
    "properties": {"radius": 1500},
}


@pytest.fixture
def counts(monkeypatch):
    from burgernet.actions import outbox

    monkeypatch.setattr(
        outbox,
        "reach_counts",
        lambda *, area, at, category: {"sms": 2, "voice": 1, "email": 5},
    )
    monkeypatch.setattr(outbox, "progress", lambda *, action_id: {})


def test_dispatcher_creates_a_draft_through_the_console(login_client, recorder, counts) -> None:
    user = dispatcher()
    client = login_client(user)
    assert client.get(reverse("actions:new")).status_code == 200
    response = client.post(
        reverse("actions:new"),
        {
            "type": "missing_child",
            "description": "Jongen, 8 jaar, blauwe pet.",
            "channels": ["sms", "voice"],
            "area": json.dumps(AREA),
            "idempotency_key": "k1",
        },
    )
    assert response.status_code == 302
    assert Action.objects.get().status == ActionStatus.DRAFT
    page = client.get(response["Location"]).content.decode()
    assert "Jongen, 8 jaar, blauwe pet." in page
    # The start confirmation shows who will be reached, per chosen channel (not e-mail).
    confirmation = page[page.index('id="start-confirmation"') :]
    confirmation = confirmation[: confirmation.index("</p>")]
    assert "<strong>2</strong> per sms" in confirmation
    assert "<strong>1</strong> via een gesproken bericht" in confirmation
    assert "5" not in confirmation


def test_console_form_names_the_missing_fields(login_client, counts) -> None:
    client = login_client(dispatcher())
    page = client.post(reverse("actions:new"), {"type": "robbery", "description": ""})
    assert page.status_code == 200
    assert Action.objects.count() == 0
    text = page.content.decode()
    assert "Klik op de kaart" in text  # area required, in Dutch


def test_other_unit_gets_404_and_same_unit_other_centre_cannot_act(
    login_client, recorder, counts
) -> None:
    owner = dispatcher()
    action = services.action_create(
        by=owner,
        type="robbery",
        title="",
        description="x",
        area=Circle(lat=52.37, lon=4.89, radius_m=1000),
    )
    stranger = dispatcher()  # another police unit
    assert (
        login_client(stranger).get(reverse("actions:detail", args=[action.pk])).status_code == 404
    )
    assert (
        login_client(stranger).post(reverse("actions:step", args=[action.pk, "start"])).status_code
        == 404
    )
    neighbour = StaffUserFactory(
        organisation=DispatchCentreFactory(parent=owner.organisation.parent),
        roles=[Role.DISPATCHER],
    )
    client = login_client(neighbour)
    assert client.get(reverse("actions:detail", args=[action.pk])).status_code == 200
    assert client.post(reverse("actions:step", args=[action.pk, "start"])).status_code == 403
    action.refresh_from_db()
    assert action.status == ActionStatus.DRAFT


def test_municipality_sees_only_published_actions(login_client, recorder, counts) -> None:
    from burgernet.geo.demo import load_municipalities

    load_municipalities()
    owner = dispatcher()
    action = services.action_create(
        by=owner,
        type="theft",
        title="",
        description="x",
        area=Circle(lat=52.3728, lon=4.8936, radius_m=1000),
    )
    amsterdam = MunicipalityFactory(
        code="GM0363-test", region_id=action.regions.get(code="GM0363").pk
    )
    officer = StaffUserFactory(organisation=amsterdam, roles=[Role.DASHBOARD_VIEWER])
    url = reverse("actions:detail", args=[action.pk])
    assert login_client(officer).get(url).status_code == 404
    services.action_start(action=action, by=owner)
    services.action_close(action=action, by=owner, outcome="no_result")
    services.action_publish(action=action, by=owner, public_summary="Geen resultaat.")
    assert login_client(officer).get(url).status_code == 200


def api_client(user) -> tuple[Client, dict[str, str]]:
    _token, raw = services.control_room_token_issue(user=user, name="GMS")
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_api_create_is_idempotent_and_start_needs_permission(recorder, counts) -> None:
    owner = dispatcher()
    client, auth = api_client(owner)
    body = {"type": "hit_and_run", "description": "Rode auto, schade rechtsvoor.", "area": AREA}
    first = client.post(
        "/api/v1/actions",
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="abc",
        **auth,
    )
    again = client.post(
        "/api/v1/actions",
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="abc",
        **auth,
    )
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and Action.objects.count() == 1

    neighbour = StaffUserFactory(
        organisation=DispatchCentreFactory(parent=owner.organisation.parent),
        roles=[Role.DISPATCHER],
    )
    other_client, other_auth = api_client(neighbour)
    denied = other_client.post(f"/api/v1/actions/{first.json()['id']}/start", **other_auth)
    assert denied.status_code == 403
    assert denied["Content-Type"] == "application/problem+json"
    assert Action.objects.get().status == ActionStatus.DRAFT

    started = client.post(
        f"/api/v1/actions/{first.json()['id']}/start", HTTP_IDEMPOTENCY_KEY="s1", **auth
    )
    replay = client.post(
        f"/api/v1/actions/{first.json()['id']}/start", HTTP_IDEMPOTENCY_KEY="s1", **auth
    )
    assert started.status_code == 200 and replay.status_code == 200
    assert len(recorder.sent) == 1


def test_api_malformed_area_is_problem_json_naming_the_field(recorder, counts) -> None:
    client, auth = api_client(dispatcher())
    body = {
        "type": "robbery",
        "description": "x",
        "area": {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [4.89, 52.37]},
            "properties": {},
        },
    }
    response = client.post(
        "/api/v1/actions", json.dumps(body), content_type="application/json", **auth
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "area.properties.radius"
    assert Action.objects.count() == 0
    missing = client.post(
        "/api/v1/actions", json.dumps({"type": "robbery"}), content_type="application/json", **auth
    )
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} >= {"description", "area"}


def test_api_without_token_is_401_problem_json() -> None:
    response = Client().get("/api/v1/actions/1")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_openapi_document_is_served() -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/actions/{action_id}/start" in doc["paths"]

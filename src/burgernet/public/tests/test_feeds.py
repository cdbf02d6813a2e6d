# ruff: noqa: S314  -- parses the XML our own views just produced
"""RSS, Atom and CAP 1.2 feeds, validated against their XML schemas."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from django.urls import reverse

from burgernet.actions import services
from burgernet.geo.area import Circle, parse_area
from burgernet.public.tests.conftest import AMSTERDAM

pytestmark = pytest.mark.django_db
SCHEMAS = Path(__file__).parent / "schema"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def cap_schema():
    return xmlschema.XMLSchema(SCHEMAS / "CAP-v1.2.xsd")


@pytest.fixture(scope="module")
def atom_schema():
    return xmlschema.XMLSchema(SCHEMAS / "atom.xsd")


def _xml(client, url) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content


def test_rss_and_atom_list_public_actions_and_validate(client, actions, atom_schema) -> None:
    actions.active(title="Vermist kind Oost")
    actions.published(title="Overval opgelost", type="robbery", outcome="apprehended")
    actions.active(title="Oefening", exercise=True)
    actions.draft(title="Concept")

    rss = _xml(client, reverse("public:rss"))
    xmlschema.XMLSchema(SCHEMAS / "rss-2_0.xsd").validate(rss)
    titles = [t.text for t in ET.fromstring(rss).iter("title")]
    assert "Vermist kind Oost" in titles
    assert any(t and t.startswith("Overval opgelost") for t in titles)
    assert not any(t and ("Oefening" in t or "Concept" in t) for t in titles)

    atom = _xml(client, reverse("public:atom"))
    atom_schema.validate(atom)
    entries = ET.fromstring(atom).findall(f"{ATOM}entry")
    assert len(entries) == 2
    assert "Het kind is dankzij een tip gevonden." in atom.decode()


def _cap_documents(client, atom_schema):
    index = _xml(client, reverse("public:cap_index"))
    atom_schema.validate(index)
    links = [
        link.get("href")
        for link in ET.fromstring(index).iter(f"{ATOM}link")
        if link.get("type") == "application/cap+xml"
    ]
    return [_xml(client, href.replace("http://127.0.0.1:8000", "")) for href in links]


def test_cap_messages_of_an_action_validate_and_reference_each_other(
    client, actions, cap_schema, atom_schema
) -> None:
    action = actions.active(title="Vermist meisje", type="missing_child")
    services.action_expand(
        action=action,
        by=actions.user,
        area=Circle(lat=AMSTERDAM[0], lon=AMSTERDAM[1], radius_m=5000),
    )
    services.action_follow_up(action=action, by=actions.user, text="Ze draagt een gele jas.")
    services.action_close(action=action, by=actions.user, outcome="found")

    docs = _cap_documents(client, atom_schema)
    assert len(docs) == 4
    for doc in docs:
        cap_schema.validate(doc)
    alerts = sorted((ET.fromstring(d) for d in docs), key=lambda a: a.findtext(f"{CAP}identifier"))
    start, expansion, follow_up, close = alerts
    assert [a.findtext(f"{CAP}msgType") for a in alerts] == ["Alert", "Update", "Update", "Update"]
    assert {a.findtext(f"{CAP}status") for a in alerts} == {"Actual"}
    assert {a.findtext(f"{CAP}scope") for a in alerts} == {"Public"}

    def ref(a):
        return ",".join(a.findtext(f"{CAP}{t}") for t in ("sender", "identifier", "sent"))

    assert start.find(f"{CAP}references") is None
    assert expansion.findtext(f"{CAP}references") == ref(start)
    assert close.findtext(f"{CAP}references") == " ".join(
        ref(a) for a in (start, expansion, follow_up)
    )

    infos = start.findall(f"{CAP}info")
    assert [i.findtext(f"{CAP}language") for i in infos] == ["nl-NL", "en-GB"]
    nl, en = infos
    assert nl.findtext(f"{CAP}category") == "Rescue"
    assert (
        nl.findtext(f"{CAP}event") == "vermist kind"
        and en.findtext(f"{CAP}event") == "missing child"
    )
    assert "0800-0011" in nl.findtext(f"{CAP}instruction")
    assert nl.findtext(f"{CAP}web").endswith(f"/acties/{action.pk}/")
    # the start message carries the area at start, the expansion the enlarged one
    assert nl.findtext(f"{CAP}area/{CAP}circle") == "52.373100,4.892200 2.000"
    assert expansion.find(f"{CAP}info/{CAP}area/{CAP}circle").text.endswith(" 5.000")
    assert "gele jas" in follow_up.find(f"{CAP}info/{CAP}description").text
    assert close.find(f"{CAP}info/{CAP}responseType").text == "AllClear"


def test_cancelled_action_ends_with_a_cap_cancel(client, actions, cap_schema, atom_schema) -> None:
    actions.closed(outcome="cancelled", type="robbery", title="Overval")
    docs = [ET.fromstring(d) for d in _cap_documents(client, atom_schema)]
    assert sorted(a.findtext(f"{CAP}msgType") for a in docs) == ["Alert", "Cancel"]
    assert {a.find(f"{CAP}info/{CAP}category").text for a in docs} == {"Security"}


def test_polygon_area_is_a_closed_ring_of_lat_lon(client, actions, cap_schema) -> None:
    ring = [[4.88, 52.36], [4.90, 52.36], [4.90, 52.38], [4.88, 52.38], [4.88, 52.36]]
    action = services.action_create(
        by=actions.user,
        type="theft",
        title="Fietsendief",
        description="Man in groene jas.",
        area=parse_area({"type": "Polygon", "coordinates": [ring]}),
        channels=["sms"],
    )
    services.action_start(action=action, by=actions.user)
    seq = action.events.get(kind="started").seq
    doc = _xml(client, reverse("public:cap_message", args=[action.pk, seq]))
    cap_schema.validate(doc)
    polygon = ET.fromstring(doc).find(f"{CAP}info/{CAP}area/{CAP}polygon").text.split()
    assert polygon[0] == polygon[-1] == "52.360000,4.880000"
    assert len(polygon) == 5


def test_exercises_and_drafts_have_no_cap_messages(client, actions, atom_schema) -> None:
    exercise = actions.active(exercise=True)
    draft = actions.draft()
    assert _cap_documents(client, atom_schema) == []
    for action in (exercise, draft):
        assert client.get(reverse("public:cap_message", args=[action.pk, 1])).status_code == 404

"""The dossier as PDF: what an investigator reads in it, and who may get it."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from burgernet.actions import services
from burgernet.actions.models import ActionEvent
from burgernet.actions.pdf import dossier_pdf
from burgernet.actions.tests.factories import dispatcher
from burgernet.conftest import screenshot_dir
from burgernet.core.models import AccessLogEntry
from burgernet.geo.area import Circle

pytestmark = pytest.mark.django_db


def pdf_text(body: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def finished(recorder):
    user = dispatcher()
    action = services.action_create(
        by=user,
        type="missing_child",
        title="Vermist kind Amsterdam",
        description="Jongen, 8 jaar, blauwe pet.",
        area=Circle(lat=52.371, lon=4.891, radius_m=1500),
        channels=["sms"],
    )
    services.action_start(action=action, by=user)
    services.response_record(
        action=action,
        kind="sms",
        participant_id=1,
        from_number="+31600000001",
        text="Ik zie hem bij de bakker",
    )
    for i in range(25):  # enough events for a second page
        services.action_follow_up(action=action, by=user, text=f"Aanvulling {i}: rode fiets.")
    services.action_close(action=action, by=user, outcome="found", participant_contributed=True)
    return user, action


def test_the_pdf_holds_the_header_events_chain_reach_and_responses(login_client, finished) -> None:
    user, action = finished
    client = login_client(user)
    dossier_page = client.get(reverse("actions:dossier", args=[action.pk])).content.decode()
    url = reverse("actions:dossier_pdf", args=[action.pk])
    assert f'href="{url}"' in dossier_page
    AccessLogEntry.objects.all().delete()

    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text, pages = pdf_text(response.content)
    screenshot_dir().mkdir(parents=True, exist_ok=True)
    (screenshot_dir() / "dossier.pdf").write_bytes(response.content)  # to look at
    one_line = flat(text)
    assert pages >= 2
    assert f"Pagina 1 van {pages}" in one_line and f"Pagina {pages} van {pages}" in one_line
    assert f"Actiedossier #{action.pk}" in one_line and "Vermist kind" in one_line
    assert "Keten intact: alle 30 gebeurtenissen gecontroleerd." in one_line
    assert "Gegenereerd op" in one_line and user.username in one_line
    for event in ActionEvent.objects.filter(action=action):
        assert event.kind in one_line
        assert event.hash[:12] in one_line
    assert "UTC" in one_line and "lokaal" in one_line
    assert "cirkel van 1.50 km" in one_line
    assert "+31600000001" in one_line and "Ik zie hem bij de bakker" in one_line
    assert "Aanvulling 24: rode fiets." in one_line
    reach = one_line[one_line.index("Bereik per kanaal") : one_line.index("Gebeurtenissen #")]
    assert "participants 2 sms 2" in reach  # the third person lives 5 km away
    # Reading the responses is a view of personal data: logged per participant.
    [entry] = AccessLogEntry.objects.all()
    assert entry.staff == user and entry.participant_id == 1 and "PDF" in entry.why


def test_a_tampered_dossier_reads_chain_broken(login_client, finished) -> None:
    user, action = finished
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE actions_actionevent SET payload = %s WHERE action_id = %s AND seq = 3",
            ['{"text": "niets gezien"}', action.pk],
        )
    text, _pages = pdf_text(
        login_client(user).get(reverse("actions:dossier_pdf", args=[action.pk])).content
    )
    assert "Keten verbroken bij gebeurtenis 3" in flat(text)
    with translation.override("en"):
        english, _pages = pdf_text(dossier_pdf(action=action, by=user))
    assert "Chain broken at event 3: event content was changed." in flat(english)


def test_other_centres_get_404_and_nothing_is_logged(login_client, finished) -> None:
    _user, action = finished
    AccessLogEntry.objects.all().delete()
    stranger = dispatcher()
    url = reverse("actions:dossier_pdf", args=[action.pk])
    assert login_client(stranger).get(url).status_code == 404
    assert not AccessLogEntry.objects.exists()

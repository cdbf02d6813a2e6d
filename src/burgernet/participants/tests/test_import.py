"""Paper-card CSV import: dry run reports per row and column, commit is all or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from burgernet.participants.importing import registry_import_check
from burgernet.participants.models import Participant, Source
from burgernet.participants.tests.factories import make_participant

pytestmark = pytest.mark.django_db

HEADER = (
    "naam;email;postcode;huisnummer;woonplaats;telefoon;telefoon_2;spraak;sms;talen;categorieen\n"
)
GOOD = [
    "Jan Kaart;jan@k.nl;1234 AB;1;Testdam;06 11111111;;ja;ja;nl;\n",
    "Els Kaart;;1234 AC;2a;testdam;030 123 4567;;ja;nee;nl en;crime crisis\n",
]


def _upload(client: Any, text: str) -> Any:
    file = SimpleUploadedFile("kaarten.csv", text.encode("utf-8"), content_type="text/csv")
    return client.post(reverse("participants:registry_import"), {"file": file})


def test_dry_run_then_commit_imports_all_rows(
    login_client: Any, officer_a: Any, regions: Any
) -> None:
    client = login_client(officer_a)
    response = _upload(client, HEADER + "".join(GOOD))
    assert Participant.objects.count() == 0  # a dry run saves nothing
    commit = response.context["commit_form"]
    assert commit is not None
    response = client.post(
        reverse("participants:registry_import"), {"staged": commit.initial["staged"]}
    )
    assert response.status_code == 302
    assert Participant.objects.count() == 2
    els = Participant.objects.get(name="Els Kaart")
    assert els.source == Source.IMPORT and els.confirmed_at is not None
    assert els.categories == ["crime", "crisis"]
    phone = els.phones.get()
    assert (phone.e164, phone.voice, phone.sms) == ("+31301234567", True, False)


def test_one_bad_row_saves_nothing_and_names_row_and_column(
    login_client: Any, officer_a: Any, regions: Any
) -> None:
    client = login_client(officer_a)
    bad = "Fout Frans;frans@k.nl;12;3;Testdam;06 22222222;;ja;ja;;\n"
    response = _upload(client, HEADER + GOOD[0] + bad + GOOD[1])
    errors = response.context["report"].errors
    assert [(e.row, e.column) for e in errors] == [(3, "postcode")]
    assert "Postcode" in errors[0].message
    assert response.context.get("commit_form") is None
    assert "Regel" in response.content.decode()
    assert Participant.objects.count() == 0


def test_semicolon_or_comma_and_bom(officer_a: Any, regions: Any) -> None:
    text = "\ufeff" + HEADER.replace(";", ",") + GOOD[0].replace(";", ",")
    report = registry_import_check(by=officer_a, content=text.encode("utf-8"))
    assert report.ok and report.rows == 1


def test_duplicates_within_file_and_registry_are_reported(officer_a: Any, regions: Any) -> None:
    make_participant(region=regions[0], email="known@k.nl", phone="+31633333333")
    rows = [
        GOOD[0],
        "Jan Twee;JAN@k.nl;1234 AB;1;Testdam;06 44444444;;;;;\n",
        "Bekend;known@k.nl;1234 AB;1;Testdam;06 33333333;;;;;\n",
        "Zelfde nummer;z@k.nl;1234 AB;1;Testdam;+31 6 11111111;;;;;\n",
    ]
    report = registry_import_check(by=officer_a, content=(HEADER + "".join(rows)).encode())
    found = {(e.row, e.column, e.message) for e in report.errors}
    assert (3, "email", "Dubbel: hetzelfde e-mailadres als regel 2.") in found
    assert (4, "email", "Dubbel: staat al in het register.") in found
    assert (4, "telefoon", "Dubbel: staat al in het register.") in found
    assert (5, "telefoon", "Dubbel: hetzelfde nummer als regel 2.") in found
    assert not report.ok


def test_missing_columns_and_rows_outside_scope(officer_a: Any, regions: Any) -> None:
    report = registry_import_check(by=officer_a, content=b"naam;email\nA;a@b.nl\n")
    assert report.errors[0].column == "postcode, huisnummer, woonplaats, telefoon"
    outside = HEADER + "Ver Weg;v@k.nl;1234 AB;1;Andersdorp;06 55555555;;;;;\n"
    report = registry_import_check(by=officer_a, content=outside.encode())
    assert [(e.row, e.column) for e in report.errors] == [(2, "postcode")]


def test_tampered_staged_file_is_refused(login_client: Any, officer_a: Any, regions: Any) -> None:
    client = login_client(officer_a)
    response = client.post(reverse("participants:registry_import"), {"staged": "forged:value"})
    assert response.status_code == 200
    assert Participant.objects.count() == 0


def test_too_big_file_is_refused(login_client: Any, officer_a: Any, regions: Any) -> None:
    response = _upload(login_client(officer_a), HEADER + GOOD[0] * 40000)
    assert "groter dan 2 MB" in response.content.decode()
    assert Participant.objects.count() == 0

"""Demo organisations and staff: the ten police units with a dispatch centre and basic teams,
the 342 municipalities, and a demo login for every role."""

from __future__ import annotations

import re
import unicodedata

from django_otp.plugins.otp_totp.models import TOTPDevice

from burgernet.accounts.demo_logins import DEMO_PASSWORD
from burgernet.accounts.models import Organisation, OrganisationKind, Role, StaffUser
from burgernet.geo.demo import municipality_rows
from burgernet.geo.models import Region

# Dispatch centre (meldkamer) per police unit, with a made-up demo phone number.
DISPATCH_CENTRES = {
    "Noord-Nederland": "Meldkamer Noord-Nederland",
    "Oost-Nederland": "Meldkamer Oost-Nederland",
    "Midden-Nederland": "Meldkamer Midden-Nederland",
    "Noord-Holland": "Meldkamer Noord-Holland",
    "Amsterdam": "Meldkamer Amsterdam-Amstelland",
    "Den Haag": "Meldkamer Haaglanden",
    "Rotterdam": "Meldkamer Rotterdam",
    "Zeeland-West-Brabant": "Meldkamer Zeeland-West-Brabant",
    "Oost-Brabant": "Meldkamer Oost-Brabant",
    "Limburg": "Meldkamer Limburg",
}


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def build_organisations() -> None:
    national, _ = Organisation.objects.get_or_create(
        code="LPB",
        defaults={"kind": OrganisationKind.NATIONAL, "name": "Landelijk Programmabureau Burgernet"},
    )
    rows = municipality_rows()
    regions = {r.code: r for r in Region.objects.all()}
    units: dict[str, Organisation] = {}
    for i, (unit_name, centre_name) in enumerate(sorted(DISPATCH_CENTRES.items()), start=1):
        unit, _ = Organisation.objects.get_or_create(
            code=f"PE-{slug(unit_name)}",
            defaults={"kind": OrganisationKind.POLICE_UNIT, "name": f"Politie-eenheid {unit_name}"},
        )
        units[unit_name] = unit
        Organisation.objects.get_or_create(
            code=f"MK-{slug(unit_name)}",
            defaults={
                "kind": OrganisationKind.DISPATCH_CENTRE,
                "name": centre_name,
                "parent": unit,
                "phone_number": f"+3188{i:02d}00000",
            },
        )
    # Basic teams: one per largest municipality of each unit (real units have 5-20; the demo
    # keeps three each).
    by_unit: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_unit.setdefault(row["politie_eenheid"], []).append(row)
    for unit_name, unit_rows in by_unit.items():
        for row in sorted(unit_rows, key=lambda r: -int(r["inwoners"]))[:3]:
            Organisation.objects.get_or_create(
                code=f"BT-{slug(row['statnaam'])}",
                defaults={
                    "kind": OrganisationKind.BASIC_TEAM,
                    "name": f"Basisteam {row['statnaam']}",
                    "parent": units[unit_name],
                },
            )
    for row in rows:
        Organisation.objects.update_or_create(
            code=row["statcode"],
            defaults={
                "kind": OrganisationKind.MUNICIPALITY,
                "name": f"Gemeente {row['statnaam']}",
                "parent": units[row["politie_eenheid"]],
                "region": regions.get(row["statcode"]),
                "inhabitants": int(row["inwoners"]),
                "safety_region": row["veiligheidsregio"],
            },
        )
    del national


# (username, first name, organisation code, roles)
DEMO_STAFF = [
    ("centralist.amsterdam", "Sanne", "MK-amsterdam", [Role.DISPATCHER]),
    ("centralist.rotterdam", "Mehmet", "MK-rotterdam", [Role.DISPATCHER]),
    ("basisteam.amsterdam", "Joris", "BT-amsterdam", [Role.BASIC_TEAM_OFFICER]),
    ("relatiebeheer.amsterdam", "Fatima", "GM0363", [Role.REGISTRY_OFFICER, Role.DASHBOARD_VIEWER]),
    ("relatiebeheer.utrecht", "Pieter", "GM0344", [Role.REGISTRY_OFFICER, Role.DASHBOARD_VIEWER]),
    ("communicatie.amsterdam", "Lotte", "GM0363", [Role.COMMUNICATIONS_OFFICER]),
    ("beleid.amsterdam", "Anouk", "GM0363", [Role.DASHBOARD_VIEWER]),
    (
        "landelijk.beheer",
        "Eva",
        "LPB",
        [Role.ADMINISTRATOR, Role.DASHBOARD_VIEWER, Role.REGISTRY_OFFICER],
    ),
]


def build_staff() -> list[StaffUser]:
    users = []
    for username, first_name, org_code, roles in DEMO_STAFF:
        user, created = StaffUser.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "organisation": Organisation.objects.get(code=org_code),
                "roles": [str(r) for r in roles],
                "is_demo": True,
                "email": f"{username}@demo.burgernet.invalid",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
        users.append(user)
    return users

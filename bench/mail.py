"""Burgernetmail benchmark: N personalised mails through the dispatch e-mail channel to a real
SMTP server on loopback (an aiosmtpd sink in its own process), printed as mails/s.

What is timed: `mailing_send` (select recipients, write the outbox) and then the dispatch
worker's `deliveries_drain(channel="email")` until every delivery is accepted by the SMTP sink:
per-recipient rendering (name, reply link, List-Unsubscribe), SMTP over loopback (one
connection per batch of 50), state updates. One worker process; a database of its own.

    .venv/bin/python bench/mail.py [--n 20000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/burgernet_bench_mail \\
        .venv/bin/python bench/mail.py
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def _sink(port: int, ready: Any, count: Any) -> None:
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with count.get_lock():
                count.value += len(envelope.rcpt_tos)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-mail-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    port = _free_port()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="burgernet.settings",
        BURGERNET_TESTING="1",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        MEDIA_ROOT=tmp,
    )
    ready, count = mp.Event(), mp.Value("i", 0)
    sink = mp.Process(target=_sink, args=(port, ready, count), daemon=True)
    sink.start()
    ready.wait(10)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)

    from burgernet.accounts.models import Organisation, OrganisationKind, Role, StaffUser
    from burgernet.core import clock
    from burgernet.dispatch import services as dispatch
    from burgernet.geo.cells import point_cells
    from burgernet.geo.models import Region
    from burgernet.geo.services import region_import_geojson
    from burgernet.mailings import services
    from burgernet.mailings.models import Mailing
    from burgernet.mailings.selectors import Target
    from burgernet.participants.models import Location, Participant

    ring = [[5.0, 52.0], [5.2, 52.0], [5.2, 52.2], [5.0, 52.2], [5.0, 52.0]]
    region_import_geojson(
        collection={
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"statcode": "GM9901", "statnaam": "Benchdam", "inwoners": 1},
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                }
            ],
        }
    )
    region = Region.objects.get(code="GM9901")
    unit = Organisation.objects.create(kind=OrganisationKind.POLICE_UNIT, name="U", code="BU")
    town = Organisation.objects.create(
        kind=OrganisationKind.MUNICIPALITY,
        name="Gemeente Benchdam",
        code="BG",
        parent=unit,
        region=region,
    )
    user = StaffUser.objects.create(
        username="bench", organisation=town, roles=[Role.COMMUNICATIONS_OFFICER]
    )
    now = clock.now()
    participants = Participant.objects.bulk_create(
        [
            Participant(
                name=f"Deelnemer {i}",
                email=f"p{i}@example.nl",
                email_confirmed_at=now,
                confirmed_at=now,
                created_at=now,
                updated_at=now,
            )
            for i in range(args.n)
        ],
        batch_size=2000,
    )
    locations = []
    for i, p in enumerate(participants):
        lat, lon = 52.01 + (i % 180) / 1000, 5.01 + (i // 180 % 180) / 1000
        r5, r7, r9 = point_cells(lat, lon)
        locations.append(
            Location(
                participant=p,
                postcode="1234 AB",
                lat=lat,
                lon=lon,
                h3_r5=r5,
                h3_r7=r7,
                h3_r9=r9,
                region=region,
            )
        )
    Location.objects.bulk_create(locations, batch_size=2000)
    mailing = services.mailing_create(
        by=user,
        data=services.MailingData(
            kind="newsletter",
            subject="Nieuwsbrief",
            body="Beste {{ naam }},\n\nNieuws uit {{ gemeente }}.\n\n{{ reactielink }}",
            target=Target(kind="postcodes", postcodes=("1234",)),
        ),
    )
    started = time.perf_counter()
    services.mailing_send(by=user, mailing=mailing)
    enqueued = time.perf_counter()
    sent = dispatch.deliveries_drain(channel="email", wait_for_retries=False)
    done = time.perf_counter()
    assert Mailing.objects.get(pk=mailing.pk).recipient_count == args.n
    received = count.value
    vendor = django.db.connection.vendor
    print(f"database: {vendor}; mails: {args.n}; accepted: {sent}; received by sink: {received}")
    print(f"send (select + outbox): {enqueued - started:.2f} s")
    print(
        f"drain (render + SMTP):  {done - enqueued:.2f} s -> {sent / (done - enqueued):.0f} mails/s"
    )
    print(f"total: {args.n / (done - started):.0f} mails/s")
    sink.terminate()


if __name__ == "__main__":
    main()

"""Demo builder: a year of Burgernetmail from the demo organisations that send it (Amsterdam,
its basic team, Utrecht), sent through the real services, with delivery outcomes, bounce
reports, replies and a few unsubscribes, so the inbox and the dashboard have history."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction

from burgernet.accounts.models import StaffUser
from burgernet.core import clock
from burgernet.dispatch.models import Delivery, DeliveryState
from burgernet.mailings import services
from burgernet.mailings.models import MailBounce, Mailing, MailPreference, MailReply, TargetKind
from burgernet.mailings.selectors import Target

# (staff username, municipality whose participants get it, mailings a month)
SENDERS = [
    ("communicatie.amsterdam", "GM0363", 2),
    ("basisteam.amsterdam", "GM0363", 1),
    ("relatiebeheer.utrecht", "GM0344", 1),
]
MAILS = [
    (
        "inquiry",
        "Inbraak in uw buurt: heeft u iets gezien?",
        "Beste {{ naam }},\n\nAfgelopen nacht is in uw buurt ingebroken. Heeft u iets gezien "
        "of gehoord? Laat het ons weten via {{ reactielink }}.\n\nMet vriendelijke groet,\n"
        "de politie",
    ),
    (
        "prevention",
        "Tips tegen woninginbraak in de donkere dagen",
        "Beste {{ naam }},\n\nDe dagen worden korter. Doe de deur op slot, ook als u even weg "
        "bent, en laat licht branden.\n\nMet vriendelijke groet,\ngemeente {{ gemeente }}",
    ),
    (
        "newsletter",
        "Burgernet nieuwsbrief",
        "Beste {{ naam }},\n\nDit kwartaal hielpen deelnemers in {{ gemeente }} bij het vinden "
        "van een vermist kind. Dank u wel!\n\nAfmelden: {{ afmeldlink }}",
    ),
    (
        "invitation",
        "Uitnodiging buurtbijeenkomst veiligheid",
        "Beste {{ naam }},\n\nU bent welkom op de buurtbijeenkomst over veiligheid. Reageer "
        "via {{ reactielink }} als u komt.",
    ),
]
REPLIES = [
    "Ik zag rond 02:00 een man met een rugzak door de achtertuinen lopen.",
    "Er stond een witte bestelbus met draaiende motor in onze straat.",
    "Mijn camera heeft iets opgenomen, u mag contact met mij opnemen.",
    "Niets gezien, maar mijn buren hoorden glasgerinkel rond middernacht.",
    "Ik kom graag naar de bijeenkomst.",
]


def build(*, options: dict[str, Any], out: Callable[[str], Any]) -> None:
    """Send the demo mailings of the past year (skipped when there are mailings already)."""
    if Mailing.objects.exists():
        return
    rng = random.Random(options.get("seed", 2025))  # noqa: S311 - synthetic, reproducible
    now = clock.now()
    made = deliveries = 0
    for username, municipality_code, per_month in SENDERS:
        user = StaffUser.objects.filter(username=username).select_related("organisation").first()
        if user is None or user.organisation is None:
            continue
        region_id = (
            user.organisation.region_id
            if user.organisation.region_id is not None
            else _region_of(municipality_code)
        )
        if region_id is None:
            continue
        for month in range(11, -1, -1):
            for _ in range(per_month):
                at = now - dt.timedelta(
                    days=month * 30 + rng.uniform(1, 29), hours=rng.uniform(0, 8)
                )
                mailing = _one(rng, user=user, region_id=region_id, at=at)
                made += 1
                deliveries += mailing.recipient_count
    out(f"Burgernetmail (history): {made} mailings, {deliveries:,} deliveries")


def _region_of(code: str) -> int | None:
    from burgernet.geo.models import Region

    return Region.objects.filter(code=code).values_list("pk", flat=True).first()


@transaction.atomic
def _one(rng: random.Random, *, user: StaffUser, region_id: int, at: dt.datetime) -> Mailing:
    kind, subject, body = rng.choice(MAILS)
    with clock.frozen(at):
        mailing = services.mailing_create(
            by=user,
            data=services.MailingData(
                kind=kind,
                subject=subject,
                body=body,
                target=Target(kind=TargetKind.MUNICIPALITY, region_id=region_id),
                allow_replies=kind in ("inquiry", "invitation"),
            ),
        )
        mailing = services.mailing_send(by=user, mailing=mailing)
    # What the worker and the mail server would have made of it (set-based: a few queries).
    mine = Delivery.objects.filter(
        message__source_type="mailing", message__source_id=str(mailing.pk)
    )
    handed = at + dt.timedelta(seconds=rng.uniform(5, 600))
    mine.update(state=DeliveryState.SENT, sent_at=handed, provider_account="demo-mail")
    rows = list(mine.values_list("id", "recipient_ref", "address"))
    refused = {pk for pk, _ref, _address in rows if rng.random() < 0.015}
    mine.filter(id__in=refused).update(
        state=DeliveryState.UNDELIVERABLE, failed_at=handed, error="550 5.1.1 mailbox unknown"
    )
    for pk, ref, address in rows:
        if pk not in refused and rng.random() < 0.01:
            MailBounce.objects.create(
                address=address,
                kind="soft",
                participant_id=ref,
                reason="452 4.2.2 mailbox full",
                reference=f"demo-{pk}",
                received_at=handed + dt.timedelta(hours=2),
            )
    reached = [ref for pk, ref, _address in rows if ref is not None and pk not in refused]
    if mailing.allow_replies and reached:
        for participant_id in rng.sample(reached, k=min(len(reached), rng.randint(0, 6))):
            MailReply.objects.create(
                mailing=mailing,
                participant_id=participant_id,
                text=rng.choice(REPLIES),
                may_contact=rng.random() < 0.5,
                received_at=at + dt.timedelta(hours=rng.uniform(1, 72)),
            )
    for participant_id in rng.sample(reached, k=min(len(reached), rng.randint(0, 2))):
        MailPreference.objects.update_or_create(
            participant_id=participant_id,
            defaults={"unsubscribed_at": at + dt.timedelta(hours=rng.uniform(1, 48))},
        )
    return mailing

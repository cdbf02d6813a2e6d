"""A small fixed world for the dashboard tests: regions, municipalities, participants and
actions with explicit times."""

from __future__ import annotations

import datetime as dt
from typing import Any

from burgernet.accounts.models import Organisation, StaffUser
from burgernet.accounts.tests.factories import MunicipalityFactory
from burgernet.actions.models import Action, ActionRecipient, ActionStatus, Response
from burgernet.geo.cells import point_cells
from burgernet.geo.models import Region, RegionKind
from burgernet.participants.models import Location, Participant, PhoneNumber


def make_region(code: str, lat: float, lon: float, inhabitants: int) -> Region:
    d = 0.02
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
    ring.append(ring[0])
    return Region.objects.create(
        kind=RegionKind.MUNICIPALITY,
        code=code,
        name=f"Gemeente {code}",
        inhabitants=inhabitants,
        geometry={"type": "Polygon", "coordinates": [ring]},
        min_lat=lat - d,
        max_lat=lat + d,
        min_lon=lon - d,
        max_lon=lon + d,
    )


def make_municipality(
    code: str, lat: float, lon: float, inhabitants: int, unit: Organisation
) -> Organisation:
    region = make_region(code, lat, lon, inhabitants)
    return MunicipalityFactory(
        code=code, name=f"Gemeente {code}", region=region, inhabitants=inhabitants, parent=unit
    )


def make_participant(
    *,
    name: str,
    places: list[tuple[Region, float, float]],
    confirmed_at: dt.datetime | None,
    created_at: dt.datetime,
    source: str = "web",
    email_confirmed: bool = False,
    phone: tuple[bool, bool, bool] | None = None,  # (voice, sms, verified)
    **extra: Any,
) -> Participant:
    p = Participant.objects.create(
        name=name,
        email=f"{name.lower().replace(' ', '.')}@example.nl",
        email_confirmed_at=confirmed_at if email_confirmed else None,
        confirmed_at=confirmed_at,
        created_at=created_at,
        updated_at=created_at,
        source=source,
        **extra,
    )
    if phone is not None:
        voice, sms, verified = phone
        PhoneNumber.objects.create(
            participant=p,
            e164=f"+3161{p.pk:07d}",
            number_hash=f"hash{p.pk}",
            voice=voice,
            sms=sms,
            verified_at=confirmed_at if verified else None,
        )
    for region, lat, lon in places:
        r5, r7, r9 = point_cells(lat, lon)
        Location.objects.create(
            participant=p, lat=lat, lon=lon, h3_r5=r5, h3_r7=r7, h3_r9=r9, region=region
        )
    return p


def make_action(
    *,
    centre: Organisation,
    by: StaffUser,
    type: str,
    started_at: dt.datetime,
    regions: list[Region],
    responses_after_min: list[float] = (),  # type: ignore[assignment]
    outcome: str = "",
    contributed: bool = False,
    exercise: bool = False,
    status: str = ActionStatus.CLOSED,
    recipients: list[tuple[int, str]] = (),  # type: ignore[assignment]
) -> Action:
    action = Action.objects.create(
        type=type,
        status=status,
        dispatch_centre=centre,
        created_by=by,
        exercise=exercise,
        title="t",
        description="d",
        area={"type": "Feature", "geometry": {"type": "Point", "coordinates": [5, 52]}},
        incident_lat=52,
        incident_lon=5,
        outcome=outcome,
        participant_contributed=contributed,
        created_at=started_at - dt.timedelta(minutes=1),
        started_at=None if status == ActionStatus.DRAFT else started_at,
        closed_at=started_at + dt.timedelta(hours=1),
    )
    action.regions.set(regions)
    for minutes in responses_after_min:
        Response.objects.create(
            action=action, kind="call", at=started_at + dt.timedelta(minutes=minutes)
        )
    for i, (pid, channel) in enumerate(recipients):
        ActionRecipient.objects.create(
            action=action, participant_id=pid, channel=channel, address=f"a{i}", reached_in=2
        )
    return action


def make_delivery(
    *,
    source: tuple[str, int],
    channel: str,
    cost: str | None,
    sent_at: dt.datetime | None,
    exercise: bool = False,
) -> Any:
    from decimal import Decimal

    from burgernet.dispatch.models import Delivery, Message

    queued = sent_at or dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)
    message = Message.objects.create(
        kind="start",
        source_type=source[0],
        source_id=str(source[1]),
        exercise=exercise,
        created_at=queued,
    )
    n = Delivery.objects.count()
    return Delivery.objects.create(
        message=message,
        channel=channel,
        address=f"+3161000{n:04d}",
        state="sent" if sent_at else "queued",
        idempotency_key=f"k{n}-{message.pk}",
        next_attempt_at=queued,
        queued_at=queued,
        sent_at=sent_at,
        cost=Decimal(cost) if cost is not None else None,
        segments=1,
    )


def make_mailing(
    *,
    org: Any,
    kind: str,
    sent_at: dt.datetime | None,
    deliveries: list[tuple[Participant, str, str]],  # (participant, state, error)
    replies: list[Participant] = (),  # type: ignore[assignment]
    allow_replies: bool = True,
    status: str = "sent",
) -> Any:
    """A mailing as `mailings.services.mailing_send` leaves it: one dispatch message, one
    e-mail delivery per recipient; plus replies."""
    from burgernet.accounts.tests.factories import StaffUserFactory
    from burgernet.dispatch.models import Delivery, Message
    from burgernet.mailings.models import Mailing, MailReply

    created = sent_at or dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    mailing = Mailing.objects.create(
        organisation=org,
        created_by=StaffUserFactory(organisation=org),
        kind=kind,
        subject=f"{kind} mail",
        body="Beste {{ naam }}",
        target_kind="municipality",
        allow_replies=allow_replies,
        status=status,
        send_at=sent_at,
        sent_at=sent_at,
        recipient_count=len(deliveries),
        created_at=created,
    )
    if status == "draft":
        return mailing
    message = Message.objects.create(
        kind=f"mailing:{kind}",
        lane="bulk",
        email_subject=mailing.subject,
        email_text=mailing.body,
        source_type="mailing",
        source_id=str(mailing.pk),
        created_at=created,
    )
    Mailing.objects.filter(pk=mailing.pk).update(message_id=message.pk)
    for participant, state, error in deliveries:
        handed = state in ("sent", "delivered")
        Delivery.objects.create(
            message=message,
            channel="email",
            priority=2,
            recipient_ref=participant.pk,
            address=participant.email,
            state=state,
            error=error,
            idempotency_key=f"m{message.pk}-{participant.pk}",
            next_attempt_at=created,
            queued_at=created,
            sent_at=created if handed else None,
            failed_at=created if state in ("failed", "undeliverable") else None,
        )
    for n, participant in enumerate(replies):
        MailReply.objects.create(
            mailing=mailing,
            participant=participant,
            text="Ik zag iets",
            received_at=created + dt.timedelta(hours=n + 1),
        )
    mailing.refresh_from_db()
    return mailing

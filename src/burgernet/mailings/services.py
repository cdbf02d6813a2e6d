"""Writes for Burgernetmail: templates, mailings, sending, replies, unsubscribe, bounces."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

import structlog
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from burgernet.accounts.models import StaffUser
from burgernet.core import clock
from burgernet.core.images import MAIL_IMAGE_TYPES, ImageError, image_clean
from burgernet.dispatch import services as dispatch
from burgernet.dispatch.models import Channel, Delivery, DeliveryState, Lane, Message
from burgernet.geo.area import Circle, Polygon
from burgernet.geo.selectors import region_for_point
from burgernet.mailings import rendering
from burgernet.mailings.models import (
    BounceKind,
    MailBounce,
    Mailing,
    MailingKind,
    MailingStatus,
    MailPreference,
    MailReply,
    MailTemplate,
    TargetKind,
)
from burgernet.mailings.selectors import (
    KIND_CATEGORY,
    Target,
    mailing_recipients,
    mailing_target,
    sending_region_ids,
)
from burgernet.participants.models import Participant
from burgernet.participants.reach import LOCAL_TZ, in_window

log = structlog.get_logger(__name__)

SOURCE_TYPE = "mailing"
MAX_PHOTO_BYTES = 10 * 1024 * 1024
HARD_BOUNCES_UNREACHABLE = 3


class MailingError(ValueError):
    """Bad input to a mailing service; `field` names the form field."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _organisation(by: StaffUser) -> int:
    if by.organisation_id is None:
        raise PermissionDenied("no organisation")
    return by.organisation_id


# --- Templates ----------------------------------------------------------------------------------


def template_create(
    *, by: StaffUser, name: str, subject: str, body: str, logo: UploadedFile | None = None
) -> MailTemplate:
    """Store a template (sjabloon) of the user's organisation, with an optional logo."""
    template = MailTemplate(
        organisation_id=_organisation(by),
        name=name,
        subject=subject,
        body=body,
        created_at=clock.now(),
    )
    if logo is not None:
        clean = _reencode(logo)
        template.logo.save(clean.name or "logo.png", clean, save=False)
    template.save()
    return template


# --- Target checks ------------------------------------------------------------------------------


def _boundary_points(target: Target) -> list[tuple[float, float]]:
    area = target.area
    if isinstance(area, Circle):
        points = [(area.lat, area.lon)]
        # 24 points on the circle: a circle reaching out of the area is caught.
        for i in range(24):
            bearing = 2 * math.pi * i / 24
            dlat = area.radius_m * math.cos(bearing) / 111_195
            dlon = area.radius_m * math.sin(bearing) / (111_195 * math.cos(math.radians(area.lat)))
            points.append((area.lat + dlat, area.lon + dlon))
        return points
    if isinstance(area, Polygon):
        return [(lat, lon) for polygon in area.polygons for ring in polygon for lon, lat in ring]
    return []


def target_check(*, by: StaffUser, target: Target) -> None:
    """Refuse (PermissionDenied) a target outside the sender's area.

    A municipality must be one of the sender's; a drawn area must lie inside them (its outline
    is checked point by point); postcodes must have participants inside them. Recipients are
    filtered to the sender's area in any case.
    """
    from burgernet.participants.models import Location

    allowed = sending_region_ids(by.organisation) if by.organisation else set()
    if target.kind == TargetKind.MUNICIPALITY:
        if target.region_id not in allowed:
            raise PermissionDenied("municipality outside the sender's area")
    elif target.kind == TargetKind.AREA:
        for lat, lon in _boundary_points(target):
            region = region_for_point(lat=lat, lon=lon)
            if region is None or region.pk not in allowed:
                raise PermissionDenied("area outside the sender's area")
    elif target.kind == TargetKind.POSTCODES:
        from burgernet.mailings.selectors import _postcode_q

        for code in target.postcodes:
            regions = set(
                Location.objects.filter(_postcode_q([code]))
                .exclude(region=None)
                .values_list("region_id", flat=True)
                .distinct()
            )
            if regions and not regions & allowed:
                raise PermissionDenied(f"postcode {code} outside the sender's area")


# --- Mailings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailingData:
    kind: str
    subject: str
    body: str
    target: Target
    subject_en: str = ""
    body_en: str = ""
    allow_replies: bool = True
    reply_days: int = 14
    template: MailTemplate | None = None


def mailing_create(*, by: StaffUser, data: MailingData) -> Mailing:
    """Save a draft mailing of the user's organisation; the target must lie in its area."""
    organisation_id = _organisation(by)
    if data.kind not in MailingKind.values:
        raise MailingError(_("Choose a kind of mailing."), field="kind")
    if not data.subject.strip():
        raise MailingError(_("Subject: enter a subject."), field="subject")
    if not data.body.strip():
        raise MailingError(_("Text: enter the text of the mail."), field="body")
    if data.template is not None and data.template.organisation_id != organisation_id:
        raise PermissionDenied("template of another organisation")
    target_check(by=by, target=data.target)
    category = KIND_CATEGORY[MailingKind(data.kind)] or ""
    return Mailing.objects.create(
        organisation_id=organisation_id,
        created_by=by,
        template=data.template,
        kind=data.kind,
        subject=data.subject.strip(),
        body=data.body,
        subject_en=data.subject_en.strip(),
        body_en=data.body_en,
        target_kind=data.target.kind,
        postcodes=list(data.target.postcodes),
        target_region_id=data.target.region_id,
        area=data.target.area.to_geojson() if data.target.area else None,
        category=category,
        allow_replies=data.allow_replies,
        reply_days=data.reply_days,
        created_at=clock.now(),
    )


def quiet_until(*, at: dt.datetime, start: dt.time | None, end: dt.time | None) -> dt.datetime:
    """`at`, or the end of the quiet hours (local time, may cross midnight) it falls in."""
    local = at.astimezone(LOCAL_TZ)
    moment = local.time().replace(tzinfo=None)
    if start is None or end is None or not in_window(start, end, moment):
        return at
    day = local.date()
    candidate = dt.datetime.combine(day, end, tzinfo=LOCAL_TZ)
    if candidate <= local:
        candidate = dt.datetime.combine(day + dt.timedelta(days=1), end, tzinfo=LOCAL_TZ)
    return candidate.astimezone(dt.UTC)


def mailing_send(*, by: StaffUser, mailing: Mailing, send_at: dt.datetime | None = None) -> Mailing:
    """Send (or schedule) a draft: one dispatch message on the bulk lane, one delivery per
    recipient; deliveries due in a recipient's quiet hours wait until those end."""
    now = clock.now()
    if send_at is not None and send_at < now - dt.timedelta(minutes=1):
        raise MailingError(_("Send at: choose a moment in the future."), field="send_at")
    due = max(send_at or now, now)
    with transaction.atomic():
        locked = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if locked.organisation_id != by.organisation_id:
            raise PermissionDenied("mailing of another organisation")
        if locked.status != MailingStatus.DRAFT:
            raise MailingError(_("This mailing was already sent."), field="status")
        target_check(by=by, target=mailing_target(locked))
        recipients = mailing_recipients(
            target=mailing_target(locked),
            organisation=locked.organisation,
            category=locked.category or None,
            at=due,
        )
        frame = rendering.render_frame(mailing=locked, language="nl")
        message = dispatch.message_create(
            kind=f"mailing:{locked.kind}",
            lane=Lane.BULK,
            email_subject=frame.subject,
            email_text=frame.text,
            email_html=frame.html,
            source_type=SOURCE_TYPE,
            source_id=str(locked.pk),
        )
        if recipients:
            dispatch.deliveries_enqueue(
                message=message,
                recipients=[(Channel.EMAIL, r.address, r.participant_id) for r in recipients],
            )
            _schedule(
                message=message,
                recipient_ids=[r.participant_id for r in recipients],
                due=due,
                enqueued_at=now,
            )
        locked.message_id = message.pk
        locked.recipient_count = len(recipients)
        locked.send_at = due
        locked.status = MailingStatus.SENT if due <= now else MailingStatus.SCHEDULED
        locked.sent_at = due
        locked.save(update_fields=["message_id", "recipient_count", "send_at", "status", "sent_at"])
    log.info("mailing_sent", mailing_id=locked.pk, recipients=len(recipients), due=due.isoformat())
    return locked


def mailings_mark_due_sent() -> int:
    """Scheduled mailings whose time has come count as sent (their deliveries are due)."""
    now = clock.now()
    return Mailing.objects.filter(status=MailingStatus.SCHEDULED, send_at__lte=now).update(
        status=MailingStatus.SENT
    )


def _schedule(
    *, message: Message, recipient_ids: list[int], due: dt.datetime, enqueued_at: dt.datetime
) -> None:
    """Move deliveries to `due`, or later for recipients in their quiet hours."""
    later: dict[dt.datetime, list[int]] = defaultdict(list)
    quiet = {
        p: (s, e)
        for p, s, e in MailPreference.objects.filter(
            participant_id__in=recipient_ids, quiet_start__isnull=False, quiet_end__isnull=False
        ).values_list("participant_id", "quiet_start", "quiet_end")
    }
    for participant_id in recipient_ids:
        start, end = quiet.get(participant_id, (None, None))
        at = quiet_until(at=due, start=start, end=end)
        if at > enqueued_at:
            later[at].append(participant_id)
    for at, ids in later.items():
        for offset in range(0, len(ids), 900):
            Delivery.objects.filter(
                message=message, recipient_ref__in=ids[offset : offset + 900]
            ).update(next_attempt_at=at)


def mailing_send_test(*, by: StaffUser, mailing: Mailing) -> Delivery:
    """Send the mailing to the user's own address, as a sample recipient would get it."""
    if not by.email:
        raise MailingError(_("Your account has no e-mail address."), field="email")
    subject, text, html = rendering.sample_mail(mailing=mailing, name=by.get_full_name() or "")
    return dispatch.send_transactional(
        channel=Channel.EMAIL,
        address=by.email,
        subject=f"[TEST] {subject}",
        text=text,
        html=html,
        idempotency_key=f"mailing-test:{mailing.pk}:{by.pk}:{clock.now().isoformat()}",
        lane=Lane.DEFAULT,
    )


# --- Replies ------------------------------------------------------------------------------------


class LinkInvalid(Exception):
    """A reply or unsubscribe link that is forged, malformed or expired."""


def reply_link_check(*, token: str) -> tuple[Mailing, int]:
    """The mailing and participant id of a reply link; raises LinkInvalid (bad or expired)."""
    try:
        mailing_id, participant_id = rendering.read_reply_token(token)
    except signing.BadSignature:
        raise LinkInvalid from None
    mailing = Mailing.objects.select_related("organisation").filter(pk=mailing_id).first()
    if mailing is None or not mailing.allow_replies or mailing.sent_at is None:
        raise LinkInvalid
    if clock.now() > mailing.sent_at + dt.timedelta(days=mailing.reply_days):
        raise LinkInvalid
    return mailing, participant_id


def _reencode(upload: UploadedFile) -> ContentFile[bytes]:
    """Sniff and re-encode an uploaded image with the shared cleaner: drops EXIF (GPS position,
    camera) and anything hidden. JPEG and PNG only, as every mail client shows them."""
    if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
        raise MailingError(_("Photo: the file is larger than 10 MB."), field="photo")
    upload.seek(0)  # form validation may have read it already
    try:
        return image_clean(data=upload.read(), types=MAIL_IMAGE_TYPES).file
    except ImageError as exc:
        if exc.code == "too_large":
            raise MailingError(_("Photo: the file is larger than 10 MB."), field="photo") from None
        if exc.code == "wrong_type":
            raise MailingError(_("Photo: send a JPEG or PNG image."), field="photo") from None
        raise MailingError(_("Photo: this is not an image we can read."), field="photo") from None


def reply_submit(
    *, token: str, text: str, photo: UploadedFile | None = None, may_contact: bool = False
) -> MailReply:
    """Store a reply from a mail's reply link in the sending organisation's inbox."""
    mailing, participant_id = reply_link_check(token=token)
    if not text.strip():
        raise MailingError(_("Message: write what you saw or heard."), field="text")
    content = _reencode(photo) if photo is not None else None
    with transaction.atomic():
        reply = MailReply(
            mailing=mailing,
            participant=Participant.objects.filter(pk=participant_id).first(),
            text=text.strip()[:5000],
            may_contact=may_contact,
            received_at=clock.now(),
        )
        if content is not None and photo is not None:
            reply.photo.save(content.name or "photo.jpg", content, save=False)
        reply.save()
    log.info("mailing_reply", mailing_id=mailing.pk, reply_id=reply.pk)
    return reply


# --- Unsubscribe and preferences ----------------------------------------------------------------


def participant_unsubscribe(*, token: str) -> int:
    """One-click unsubscribe from Burgernetmail; queued mailing deliveries are cancelled.
    Returns the participant id; raises LinkInvalid."""
    try:
        participant_id = rendering.read_unsubscribe_token(token)
    except signing.BadSignature:
        raise LinkInvalid from None
    if not Participant.objects.filter(pk=participant_id).exists():
        raise LinkInvalid
    now = clock.now()
    with transaction.atomic():
        preference, _created = MailPreference.objects.select_for_update().get_or_create(
            participant_id=participant_id
        )
        if preference.unsubscribed_at is None:
            preference.unsubscribed_at = now
            preference.save(update_fields=["unsubscribed_at"])
        cancelled = Delivery.objects.filter(
            recipient_ref=participant_id,
            channel=Channel.EMAIL,
            state=DeliveryState.QUEUED,
            message__source_type=SOURCE_TYPE,
        ).update(state=DeliveryState.FAILED, error="unsubscribed", failed_at=now)
    log.info("mailing_unsubscribed", participant_id=participant_id, cancelled=cancelled)
    return participant_id


def mail_preference_set(
    *,
    participant: Participant,
    quiet_start: dt.time | None,
    quiet_end: dt.time | None,
    receive: bool | None = None,
) -> MailPreference:
    """Set a participant's Burgernetmail preferences: quiet hours (both or neither; equal
    times are refused) and, when `receive` is given, subscribe again or unsubscribe (queued
    mailing deliveries are cancelled then, as with the one-click link)."""
    if (quiet_start is None) != (quiet_end is None):
        field = "quiet_end" if quiet_end is None else "quiet_start"
        raise MailingError(_("Quiet hours: give both a start and an end."), field=field)
    if quiet_start is not None and quiet_start == quiet_end:
        raise MailingError(_("Quiet hours: the end must differ from the start."), field="quiet_end")
    now = clock.now()
    with transaction.atomic():
        preference, _created = MailPreference.objects.select_for_update().get_or_create(
            participant=participant
        )
        preference.quiet_start, preference.quiet_end = quiet_start, quiet_end
        if receive is True:
            preference.unsubscribed_at = None
        elif receive is False and preference.unsubscribed_at is None:
            preference.unsubscribed_at = now
            Delivery.objects.filter(
                recipient_ref=participant.pk,
                channel=Channel.EMAIL,
                state=DeliveryState.QUEUED,
                message__source_type=SOURCE_TYPE,
            ).update(state=DeliveryState.FAILED, error="unsubscribed", failed_at=now)
        preference.save()
    log.info(
        "mail_preference_set",
        participant_id=participant.pk,
        quiet=quiet_start is not None,
        receives=preference.unsubscribed_at is None,
    )
    return preference


def replies_purge_expired(*, dry_run: bool = False) -> int:
    """Delete replies older than MAILINGS_REPLY_RETENTION_DAYS with their photos (the files
    go after the commit, so a rollback never leaves a reply without its photo). Returns how
    many replies were (or, with `dry_run`, would be) deleted. Idempotent."""
    cutoff = clock.now() - dt.timedelta(days=settings.MAILINGS_REPLY_RETENTION_DAYS)
    expired = MailReply.objects.filter(received_at__lt=cutoff)
    if dry_run:
        return expired.count()
    with transaction.atomic():
        rows = list(expired.select_for_update().values_list("pk", "photo"))
        MailReply.objects.filter(pk__in=[pk for pk, _photo in rows]).delete()
        photos = [name for _pk, name in rows if name]
        transaction.on_commit(lambda: _delete_files(photos))
    log.info("mail_replies_purged", count=len(rows), photos=len(photos))
    return len(rows)


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


# --- Bounces ------------------------------------------------------------------------------------


def bounce_record(*, address: str, kind: str, reason: str = "", reference: str = "") -> bool:
    """Record a bounce once per (address, reference); after HARD_BOUNCES_UNREACHABLE hard
    bounces the participants with that address are marked e-mail-unreachable. Returns whether
    the address is (now) unreachable."""
    if kind not in BounceKind.values:
        raise MailingError(f"unknown bounce kind {kind!r}", field="kind")
    address = address.strip()
    if "@" not in address:
        raise MailingError("not an e-mail address", field="address")
    with transaction.atomic():
        if reference and MailBounce.objects.filter(address=address, reference=reference).exists():
            pass
        else:
            participant = Participant.objects.filter(email__iexact=address).first()
            MailBounce.objects.create(
                address=address,
                kind=kind,
                participant=participant,
                reason=reason[:300],
                reference=reference[:200],
                received_at=clock.now(),
            )
        hard = MailBounce.objects.filter(address__iexact=address, kind=BounceKind.HARD).count()
        if hard >= HARD_BOUNCES_UNREACHABLE:
            # The registry's flag for this purpose; reach and mailings skip such addresses.
            Participant.objects.filter(email__iexact=address, email_unreachable=False).update(
                email_unreachable=True, updated_at=clock.now()
            )
            log.info("mail_address_unreachable", hard_bounces=hard)
            return True
    return False


def bounces_erase_for_participant(participant_id: int, addresses: list[str]) -> int:
    """Erasure hook (participants.erasure): delete the bounce reports of a participant who
    signs off, by participant or by one of their addresses. Returns how many."""
    wanted = Q(participant_id=participant_id)
    for address in addresses:
        if "@" in address:
            wanted |= Q(address__iexact=address)
    deleted, _by_model = MailBounce.objects.filter(wanted).delete()
    return deleted

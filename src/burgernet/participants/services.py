"""Writes for the participant registry: sign-up with double opt-in, self-service, staff edits,
erasure and purging. Every write that matters goes through a function here.

Double opt-in (ADR 0040): a web sign-up is *confirmed* (reachable) once its e-mail address is
confirmed through the signed link AND at least one mobile number is verified with its SMS code.
SMS codes are only sent after the e-mail is confirmed, so nobody can make us text a stranger
by typing their number into a public form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import importlib
import secrets
from dataclasses import dataclass, field
from typing import Any

import structlog
from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from burgernet.accounts.models import StaffUser
from burgernet.accounts.scoping import is_national, municipalities_in_scope
from burgernet.core import clock
from burgernet.core.models import AccessLogEntry
from burgernet.geo.cells import point_cells
from burgernet.geo.models import Region, RegionKind
from burgernet.geo.selectors import region_for_point
from burgernet.participants import erasure
from burgernet.participants.models import (
    CounterKind,
    Location,
    LocationKind,
    LocationPrecision,
    Participant,
    PhoneNumber,
    PhoneVerification,
    RegistryCounter,
    Source,
)
from burgernet.participants.phones import is_mobile, phone_hash

log = structlog.get_logger(__name__)

EMAIL_CONFIRM_MAX_AGE = dt.timedelta(days=7)
MANAGE_LINK_MAX_AGE = dt.timedelta(hours=1)
SMS_CODE_TTL = dt.timedelta(minutes=15)
SMS_CODE_RESEND_AFTER = dt.timedelta(seconds=60)
UNCONFIRMED_RETENTION = dt.timedelta(days=7)

_SALT_CONFIRM = "burgernet.participants.confirm-email"
_SALT_CHANGE = "burgernet.participants.change-email"
_SALT_MANAGE = "burgernet.participants.manage"


class ParticipantError(ValueError):
    """Bad input for a participant write; `field` names the form field it belongs to."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class TokenError(ValueError):
    """A link token that is invalid, expired or no longer matches."""


@dataclass(frozen=True)
class PhoneInput:
    e164: str
    voice: bool = True
    sms: bool = True


@dataclass(frozen=True)
class LocationInput:
    kind: str = LocationKind.HOME
    label: str = ""
    postcode: str = ""
    house_number: str = ""
    street: str = ""
    city: str = ""
    lat: float | None = None
    lon: float | None = None
    window_start: dt.time | None = None
    window_end: dt.time | None = None
    # The form field prefix, so a geocoding error can name the right field.
    field_prefix: str = ""


@dataclass(frozen=True)
class GeoPoint:
    lat: float
    lon: float
    precision: str
    region: Region | None


@dataclass
class ParticipantInput:
    name: str
    email: str
    languages: list[str]
    categories: list[str]
    phones: list[PhoneInput]
    locations: list[LocationInput]
    extra: dict[str, Any] = field(default_factory=dict)


# --- geocoding: the one place that turns an address into a point ------------------------------


def _geocoder() -> Any | None:
    """The geo app's geocoder (`burgernet.geo.geocoding.get_geocoder()`), or None while that
    module does not exist."""
    try:
        module = importlib.import_module("burgernet.geo.geocoding")
    except ImportError:
        return None
    return module.get_geocoder()


def _geocode(*, postcode: str, house_number: str, city: str) -> tuple[float, float, str] | None:
    """Address → (lat, lon, precision), or None when the place is unknown.

    Asks the geo app's geocoder (`lookup(postcode, house_number)`) when there is one; when
    there is none, it finds nothing or it is down, the point is the centre of the municipality
    named in `city`, flagged with precision "municipality" so nobody mistakes it for the address.
    """
    geocoder = _geocoder()
    if geocoder is not None:
        try:
            found = geocoder.lookup(postcode, house_number)
        except Exception:  # an outage or odd answer must not block a sign-up
            log.warning("participants.geocode_failed", exc_info=True)
            found = None
        if found is not None:
            exact = getattr(found, "precision", "address") == "address"
            precision = LocationPrecision.ADDRESS if exact else LocationPrecision.APPROXIMATE
            return float(found.lat), float(found.lon), str(precision)
    region = Region.objects.filter(kind=RegionKind.MUNICIPALITY, name__iexact=city.strip()).first()
    if region is None:
        return None
    # A cell wholly inside the boundary: its centre lies in the municipality (a bbox centre
    # might not, for a crescent-shaped one).
    import h3.api.basic_int as h3

    inner = region.cells.filter(interior=True).order_by("cell").first()
    if inner is not None:
        lat, lon = h3.cell_to_latlng(inner.cell)
    else:
        lat, lon = (region.min_lat + region.max_lat) / 2, (region.min_lon + region.max_lon) / 2
    return lat, lon, str(LocationPrecision.MUNICIPALITY)


def location_locate(*, data: LocationInput) -> GeoPoint:
    """Where `data` is: the point picked on the map, else the geocoded address.

    Raises ParticipantError naming the field when the place cannot be found.
    """
    if data.lat is not None and data.lon is not None:
        if not (-90 <= data.lat <= 90 and -180 <= data.lon <= 180):
            raise ParticipantError(_("Map: this point is not on the map."), field="lat")
        lat, lon, precision = data.lat, data.lon, str(LocationPrecision.MAP)
    else:
        found = _geocode(postcode=data.postcode, house_number=data.house_number, city=data.city)
        if found is None:
            raise ParticipantError(
                _(
                    "Town or city: we cannot find this place. "
                    "Check the name or pick the spot on the map."
                ),
                field=f"{data.field_prefix}city",
            )
        lat, lon, precision = found
    return GeoPoint(
        lat=lat, lon=lon, precision=precision, region=region_for_point(lat=lat, lon=lon)
    )


def _location_build(*, participant: Participant, data: LocationInput, point: GeoPoint) -> Location:
    r5, r7, r9 = point_cells(point.lat, point.lon)
    return Location(
        participant=participant,
        kind=data.kind,
        label=data.label,
        street=data.street,
        house_number=data.house_number,
        postcode=data.postcode,
        city=data.city,
        country="NL",
        lat=point.lat,
        lon=point.lon,
        h3_r5=r5,
        h3_r7=r7,
        h3_r9=r9,
        region=point.region,
        precision=point.precision,
        window_start=data.window_start,
        window_end=data.window_end,
    )


# --- counters -----------------------------------------------------------------------------------


def _count(*, kind: str, region: Region | None, n: int = 1) -> None:
    """Add `n` to today's anonymous counter of `kind` for `region`."""
    code = region.code if region is not None else ""
    today = clock.now().date()
    row, _created = RegistryCounter.objects.get_or_create(
        date=today, region_code=code, kind=kind, defaults={"count": 0}
    )
    RegistryCounter.objects.filter(pk=row.pk).update(count=F("count") + n)


def _home_region(participant: Participant) -> Region | None:
    # The first place entered is the home address.
    home = participant.locations.select_related("region").order_by("id").first()
    return home.region if home is not None else None


# --- mail ---------------------------------------------------------------------------------------


def _absolute(url_name: str, *args: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(url_name, args=args)


def _mail_language(participant: Participant) -> str:
    for code in participant.languages or []:
        if code in dict(settings.LANGUAGES):
            return str(code)
    return str(settings.LANGUAGE_CODE)


def _send_mail(
    *, participant: Participant, to: str, template: str, context: dict[str, Any]
) -> None:
    with translation.override(_mail_language(participant)):
        subject = render_to_string(f"participants/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"participants/email/{template}.txt", context)
    send_mail(subject, body, None, [to])


def _mail_on_commit(*, participant: Participant, to: str, template: str, link: str) -> None:
    context = {"name": participant.name, "link": link}
    transaction.on_commit(
        lambda: _send_mail(participant=participant, to=to, template=template, context=context)
    )


def _digest(email: str) -> str:
    """A keyed digest of an address: links name it without putting it in URLs (and in web
    server logs), and stop working once the address changes."""
    key = f"link-email:{settings.SECRET_KEY}".encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:24]


def _load_participant(payload: Any, *, email_field: str = "email") -> Participant:
    """The live participant a verified token payload names (locked); TokenError otherwise."""
    pk = payload.get("p") if isinstance(payload, dict) else None
    if not isinstance(pk, int):
        raise TokenError("malformed")
    participant = (
        Participant.objects.select_for_update().filter(pk=pk, deactivated_at__isnull=True).first()
    )
    if participant is None or not hmac.compare_digest(
        _digest(getattr(participant, email_field)), str(payload.get("h", ""))
    ):
        raise TokenError("no longer valid")
    return participant


def _confirm_token(participant: Participant) -> str:
    return signing.dumps({"p": participant.pk, "h": _digest(participant.email)}, salt=_SALT_CONFIRM)


def manage_token(*, participant: Participant) -> str:
    """A signed magic-link token for self-service (valid MANAGE_LINK_MAX_AGE)."""
    return signing.dumps({"p": participant.pk, "h": _digest(participant.email)}, salt=_SALT_MANAGE)


def _send_manage_link(participant: Participant, *, template: str = "manage_link") -> None:
    link = _absolute("participants:manage_login", manage_token(participant=participant))
    _mail_on_commit(participant=participant, to=participant.email, template=template, link=link)


# --- SMS codes ----------------------------------------------------------------------------------


def _code_hash(phone_id: int, code: str) -> str:
    key = f"sms-code:{settings.SECRET_KEY}".encode()
    return hmac.new(key, f"{phone_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _send_sms_code(*, e164: str, text: str, idempotency_key: str) -> None:
    """Hand one verification SMS to the dispatch app (the only place that calls it)."""
    try:
        send_transactional = importlib.import_module(
            "burgernet.dispatch.services"
        ).send_transactional
    except (ImportError, AttributeError):
        log.warning("participants.sms_code_not_sent", reason="dispatch app not available")
        return
    send_transactional(
        channel="sms", address=e164, text=text, idempotency_key=idempotency_key, lane="urgent"
    )


def phone_send_code(*, phone: PhoneNumber) -> bool:
    """Create a fresh 6-digit code for `phone` (hash stored) and send it by SMS on commit.

    Returns False (and sends nothing) when a code went out less than a minute ago.
    """
    now = clock.now()
    with transaction.atomic():
        current = PhoneVerification.objects.select_for_update().filter(phone=phone).first()
        if current is not None and now - current.sent_at < SMS_CODE_RESEND_AFTER:
            return False
        code = f"{secrets.randbelow(10**6):06d}"
        PhoneVerification.objects.update_or_create(
            phone=phone,
            defaults={
                "code_hash": _code_hash(phone.pk, code),
                "expires_at": now + SMS_CODE_TTL,
                "attempts": 0,
                "sent_at": now,
            },
        )
        participant = phone.participant
        with translation.override(_mail_language(participant)):
            text = _("Your Burgernet code is %(code)s. It is valid for 15 minutes.") % {
                "code": code
            }
        key = f"participants:verify:{phone.pk}:{int(now.timestamp())}"
        e164 = phone.e164
        transaction.on_commit(lambda: _send_sms_code(e164=e164, text=text, idempotency_key=key))
    return True


class CodeResult:
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"


def phone_verify_code(*, phone: PhoneNumber, code: str) -> str:
    """Check `code` for `phone`; a `CodeResult`. Wrong attempts are counted and kept."""
    now = clock.now()
    code = "".join(ch for ch in code if ch.isdigit())
    with transaction.atomic():
        verification = PhoneVerification.objects.select_for_update().filter(phone=phone).first()
        if verification is None or verification.expires_at < now:
            return CodeResult.EXPIRED
        if verification.attempts >= PhoneVerification.MAX_ATTEMPTS:
            return CodeResult.LOCKED
        if not hmac.compare_digest(verification.code_hash, _code_hash(phone.pk, code)):
            verification.attempts += 1
            verification.save(update_fields=["attempts"])
            if verification.attempts >= PhoneVerification.MAX_ATTEMPTS:
                return CodeResult.LOCKED
            return CodeResult.WRONG
        verification.delete()
        PhoneNumber.objects.filter(pk=phone.pk).update(verified_at=now)
        phone.verified_at = now
        _maybe_confirm(Participant.objects.select_for_update().get(pk=phone.participant_id))
    return CodeResult.OK


def _maybe_confirm(participant: Participant) -> None:
    """Set confirmed_at once the e-mail is confirmed and a number verified (ADR 0040)."""
    if participant.confirmed_at is not None or participant.email_confirmed_at is None:
        return
    if not participant.phones.filter(verified_at__isnull=False).exists():
        return
    participant.confirmed_at = clock.now()
    participant.updated_at = participant.confirmed_at
    participant.save(update_fields=["confirmed_at", "updated_at"])
    _count(kind=CounterKind.CONFIRMED, region=_home_region(participant))
    log.info("participants.confirmed", participant_id=participant.pk)


def _send_codes_to_unverified(participant: Participant) -> None:
    for phone in participant.phones.filter(verified_at__isnull=True, sms=True):
        if is_mobile(phone.e164):
            phone_send_code(phone=phone)


# --- public sign-up -----------------------------------------------------------------------------


def _create_children(
    *, participant: Participant, data: ParticipantInput, points: list[GeoPoint], verified: bool
) -> None:
    now = clock.now()
    seen: set[str] = set()
    for phone in data.phones:
        if phone.e164 in seen:
            continue
        seen.add(phone.e164)
        PhoneNumber.objects.create(
            participant=participant,
            e164=phone.e164,
            number_hash=phone_hash(phone.e164),
            voice=phone.voice,
            sms=phone.sms,
            verified_at=now if verified else None,
        )
    Location.objects.bulk_create(
        _location_build(participant=participant, data=loc, point=point)
        for loc, point in zip(data.locations, points, strict=True)
    )


def participant_sign_up(*, data: ParticipantInput) -> Participant | None:
    """Register a web sign-up (unconfirmed) and mail the confirmation link.

    The caller shows the same answer whatever happens: when the e-mail address is already
    registered nothing is created and that participant gets a "you are already registered"
    mail with a manage link (or, if still unconfirmed, the confirmation link again).
    Raises ParticipantError (with the field) when a place cannot be found.
    """
    if not data.locations:
        raise ParticipantError(_("Postcode: enter your address."), field="postcode")
    points = [location_locate(data=loc) for loc in data.locations]
    email = data.email.strip().lower()
    with transaction.atomic():
        existing = (
            Participant.objects.select_for_update()
            .filter(email__iexact=email, deactivated_at__isnull=True)
            .first()
        )
        if existing is not None:
            if existing.email_confirmed_at is None:
                link = _absolute("participants:confirm_email", _confirm_token(existing))
                _mail_on_commit(participant=existing, to=email, template="confirm", link=link)
            else:
                _send_manage_link(existing, template="already_registered")
            log.info("participants.signup_existing", participant_id=existing.pk)
            return None
        now = clock.now()
        participant = Participant.objects.create(
            name=data.name.strip(),
            email=email,
            languages=data.languages,
            categories=data.categories,
            source=Source.WEB,
            created_at=now,
            updated_at=now,
        )
        _create_children(participant=participant, data=data, points=points, verified=False)
        _count(kind=CounterKind.SIGNUP, region=points[0].region)
        link = _absolute("participants:confirm_email", _confirm_token(participant))
        _mail_on_commit(participant=participant, to=email, template="confirm", link=link)
    log.info("participants.signed_up", participant_id=participant.pk)
    return participant


def participant_confirm_email(*, token: str) -> Participant:
    """Confirm the e-mail address from the signed link, then text a code to each mobile number.

    Raises TokenError for a bad, expired or outdated link.
    """
    try:
        payload = signing.loads(token, salt=_SALT_CONFIRM, max_age=EMAIL_CONFIRM_MAX_AGE)
    except signing.BadSignature as exc:
        raise TokenError("invalid or expired") from exc
    with transaction.atomic():
        participant = _load_participant(payload)
        if participant.email_confirmed_at is None:
            _confirm_email(participant)
    return participant


def _confirm_email(participant: Participant) -> None:
    participant.email_confirmed_at = clock.now()
    participant.email_unreachable = False
    participant.updated_at = participant.email_confirmed_at
    participant.save(update_fields=["email_confirmed_at", "email_unreachable", "updated_at"])
    _send_codes_to_unverified(participant)
    _maybe_confirm(participant)


# --- self-service -------------------------------------------------------------------------------


def participant_request_manage_link(*, email: str) -> None:
    """Mail a magic link to `email` if it belongs to a participant; silently nothing if not."""
    participant = Participant.objects.filter(
        email__iexact=email.strip(), deactivated_at__isnull=True
    ).first()
    if participant is not None:
        with transaction.atomic():
            _send_manage_link(participant)


def participant_sign_in(*, token: str) -> Participant:
    """The participant a magic link belongs to; raises TokenError when invalid or expired.

    Following the link proves control of the address just as the confirmation link does, so a
    participant who lost the confirmation mail is confirmed here (and gets the SMS codes).
    """
    try:
        payload = signing.loads(token, salt=_SALT_MANAGE, max_age=MANAGE_LINK_MAX_AGE)
    except signing.BadSignature as exc:
        raise TokenError("invalid or expired") from exc
    with transaction.atomic():
        participant = _load_participant(payload)
        if participant.email_confirmed_at is None:
            _confirm_email(participant)
    return participant


def first_unverified_phone(*, participant: Participant) -> PhoneNumber | None:
    """The first number still waiting for its SMS code (to send the participant there)."""
    return (
        participant.phones.filter(verified_at__isnull=True, verification__isnull=False)
        .order_by("id")
        .first()
    )


def participant_update(
    *, participant: Participant, name: str, languages: list[str], categories: list[str]
) -> Participant:
    """Change name and preferences (self-service or staff)."""
    participant.name = name.strip()
    participant.languages = languages
    participant.categories = categories
    participant.updated_at = clock.now()
    participant.save(update_fields=["name", "languages", "categories", "updated_at"])
    return participant


def participant_request_email_change(*, participant: Participant, new_email: str) -> None:
    """Keep the new address as pending and mail it a confirmation link; the change applies
    when that link is followed."""
    new_email = new_email.strip().lower()
    with transaction.atomic():
        participant.pending_email = new_email
        participant.save(update_fields=["pending_email"])
        token = signing.dumps({"p": participant.pk, "h": _digest(new_email)}, salt=_SALT_CHANGE)
        link = _absolute("participants:confirm_email_change", token)
        _mail_on_commit(participant=participant, to=new_email, template="change_email", link=link)


def participant_confirm_email_change(*, token: str) -> Participant:
    """Apply an e-mail change from its signed link (TokenError when invalid or outdated)."""
    try:
        payload = signing.loads(token, salt=_SALT_CHANGE, max_age=EMAIL_CONFIRM_MAX_AGE)
    except signing.BadSignature as exc:
        raise TokenError("invalid or expired") from exc
    with transaction.atomic():
        participant = _load_participant(payload, email_field="pending_email")
        if not participant.pending_email:
            raise TokenError("no longer valid")
        now = clock.now()
        participant.email = participant.pending_email
        participant.pending_email = ""
        participant.email_confirmed_at = now
        participant.email_unreachable = False
        participant.updated_at = now
        participant.save(
            update_fields=[
                "email",
                "pending_email",
                "email_confirmed_at",
                "email_unreachable",
                "updated_at",
            ]
        )
    return participant


def location_add(*, participant: Participant, data: LocationInput) -> Location:
    """Add a place (geocoded, with its H3 cells and region)."""
    point = location_locate(data=data)
    location = _location_build(participant=participant, data=data, point=point)
    with transaction.atomic():
        location.save()
        Participant.objects.filter(pk=participant.pk).update(updated_at=clock.now())
    return location


def location_remove(*, participant: Participant, location_id: int) -> None:
    """Remove one of the participant's places; the last one stays (sign off instead)."""
    with transaction.atomic():
        locations = list(participant.locations.select_for_update().order_by("id"))
        if len(locations) <= 1:
            raise ParticipantError(
                _("You need at least one place. To stop, sign off instead."), field="location"
            )
        participant.locations.filter(pk=location_id).delete()


def phone_add(*, participant: Participant, data: PhoneInput, verified: bool = False) -> PhoneNumber:
    """Add a number; a mobile number gets an SMS code (it counts once verified)."""
    try:
        with transaction.atomic():
            phone = PhoneNumber.objects.create(
                participant=participant,
                e164=data.e164,
                number_hash=phone_hash(data.e164),
                voice=data.voice,
                sms=data.sms,
                verified_at=clock.now() if verified else None,
            )
    except IntegrityError as exc:
        raise ParticipantError(
            _("Phone number: this number is already in your list."), field="phone"
        ) from exc
    if not verified and is_mobile(phone.e164):
        phone_send_code(phone=phone)
    return phone


def phone_update_channels(*, phone: PhoneNumber, voice: bool, sms: bool) -> PhoneNumber:
    """Choose how this number may be used (call, SMS)."""
    phone.voice, phone.sms = voice, sms
    phone.save(update_fields=["voice", "sms"])
    return phone


def phone_remove(*, participant: Participant, phone_id: int) -> None:
    """Remove one number; the last one stays (sign off instead)."""
    with transaction.atomic():
        phones = list(participant.phones.select_for_update())
        if len(phones) <= 1:
            raise ParticipantError(
                _("You need at least one phone number. To stop, sign off instead."), field="phone"
            )
        participant.phones.filter(pk=phone_id).delete()


def participant_pause(*, participant: Participant, until: dt.date | None) -> Participant:
    """Pause all messages up to and including `until` (None resumes)."""
    if until is not None and until < timezone.localdate(clock.now()):
        raise ParticipantError(_("Pause: choose a date in the future."), field="until")
    participant.paused_until = until
    participant.updated_at = clock.now()
    participant.save(update_fields=["paused_until", "updated_at"])
    return participant


def participant_export(*, participant: Participant) -> dict[str, Any]:
    """Everything stored about the participant, as JSON-ready data (AVG art. 15 and 20)."""

    def iso(value: Any) -> Any:
        return value.isoformat() if value is not None else None

    return {
        "participant": {
            "id": participant.pk,
            "name": participant.name,
            "email": participant.email,
            "pending_email": participant.pending_email or None,
            "email_confirmed_at": iso(participant.email_confirmed_at),
            "email_unreachable": participant.email_unreachable,
            "languages": participant.languages,
            "categories": participant.categories,
            "source": participant.source,
            "confirmed_at": iso(participant.confirmed_at),
            "paused_until": iso(participant.paused_until),
            "deactivated_at": iso(participant.deactivated_at),
            "created_at": iso(participant.created_at),
            "updated_at": iso(participant.updated_at),
        },
        "phone_numbers": [
            {
                "number": p.e164,
                "voice": p.voice,
                "sms": p.sms,
                "verified_at": iso(p.verified_at),
            }
            for p in participant.phones.order_by("id")
        ],
        "locations": [
            {
                "kind": loc.kind,
                "label": loc.label,
                "street": loc.street,
                "house_number": loc.house_number,
                "postcode": loc.postcode,
                "city": loc.city,
                "country": loc.country,
                "lat": loc.lat,
                "lon": loc.lon,
                "precision": loc.precision,
                "municipality": loc.region.name if loc.region else None,
                "window_start": iso(loc.window_start),
                "window_end": iso(loc.window_end),
            }
            for loc in participant.locations.select_related("region").order_by("id")
        ],
        "staff_views": [
            {"at": iso(e.at), "why": e.why}
            for e in AccessLogEntry.objects.filter(
                participant_id=participant.pk, at__gte=participant.created_at
            ).order_by("at")
        ],
        "exported_at": clock.now().isoformat(),
    }


def participant_erase(*, participant: Participant, kind: str = CounterKind.SIGNOFF) -> None:
    """Delete every piece of personal data (participant, numbers, places, codes) for good,
    blank the participant's addresses in the dispatch outbox, delete the inbound SMS/call
    records of their numbers and, through the hooks of `participants.erasure`, their copies in
    other apps.

    Only an anonymous count of `kind` for the home municipality remains. The staff access log
    keeps its rows: they hold the former id, no personal data.
    """
    from burgernet.dispatch.services import deliveries_blank_for_recipient, inbound_forget_numbers

    with transaction.atomic():
        region = _home_region(participant)
        pk = participant.pk
        addresses = [participant.email, participant.pending_email]
        numbers = list(participant.phones.values_list("e164", flat=True))
        addresses += numbers
        participant.delete()  # cascades to phones, verifications and locations
        # Copies of the numbers and addresses in the dispatch outbox and in other apps go in
        # the same transaction.
        deliveries_blank_for_recipient(recipient_ref=pk, addresses=addresses)
        inbound_forget_numbers(e164s=numbers)
        erasure.erase_copies(participant_id=pk, addresses=[a for a in addresses if a])
        _count(kind=kind, region=region)
    log.info("participants.erased", participant_id=pk, kind=kind)


def participant_purge_unconfirmed(*, older_than: dt.timedelta = UNCONFIRMED_RETENTION) -> int:
    """Erase web sign-ups still unconfirmed after `older_than` (7 days). Returns how many."""
    cutoff = clock.now() - older_than
    stale = Participant.objects.filter(confirmed_at__isnull=True, created_at__lt=cutoff).filter(
        source=Source.WEB
    )
    purged = 0
    for participant in stale.iterator():
        participant_erase(participant=participant, kind=CounterKind.PURGED)
        purged += 1
    log.info("participants.purged_unconfirmed", count=purged)
    return purged


# --- staff --------------------------------------------------------------------------------------


def participant_access_log(*, by: StaffUser, participant: Participant, why: str) -> None:
    """Record that `by` looked at `participant`'s personal data, and why."""
    AccessLogEntry.objects.create(
        staff=by, participant_id=participant.pk, at=clock.now(), why=why[:200]
    )


def location_check_in_scope(*, by: StaffUser, point: GeoPoint, field_name: str) -> None:
    """Refuse (ParticipantError on `field_name`) a point outside the municipalities `by` may
    manage; national staff may place anyone anywhere."""
    if is_national(by):
        return
    allowed = set(
        municipalities_in_scope(by).exclude(region=None).values_list("region_id", flat=True)
    )
    if point.region is None or point.region.pk not in allowed:
        raise ParticipantError(
            _("Postcode: this address lies outside the municipalities you manage."),
            field=field_name,
        )


def participant_create_by_staff(
    *, by: StaffUser, data: ParticipantInput, source: str = Source.PAPER
) -> Participant:
    """Register a participant from a signed paper card: confirmed straight away, numbers
    taken as verified (the card carries the signature). The address must be in `by`'s scope."""
    points = [location_locate(data=loc) for loc in data.locations]
    if not points:
        raise ParticipantError(_("Postcode: enter the address."), field="postcode")
    location_check_in_scope(
        by=by, point=points[0], field_name=f"{data.locations[0].field_prefix}postcode"
    )
    now = clock.now()
    with transaction.atomic():
        participant = Participant.objects.create(
            name=data.name.strip(),
            email=data.email.strip().lower(),
            languages=data.languages,
            categories=data.categories,
            source=source,
            confirmed_at=now,
            created_at=now,
            updated_at=now,
        )
        _create_children(participant=participant, data=data, points=points, verified=True)
        _count(kind=CounterKind.SIGNUP, region=points[0].region)
        _count(kind=CounterKind.CONFIRMED, region=points[0].region)
    log.info("participants.created_by_staff", participant_id=participant.pk, staff_id=by.pk)
    return participant


def participant_deactivate(*, by: StaffUser, participant: Participant) -> Participant:
    """Stop all messages to the participant (kept in the registry, e.g. after a complaint)."""
    if participant.deactivated_at is None:
        participant.deactivated_at = participant.updated_at = clock.now()
        participant.save(update_fields=["deactivated_at", "updated_at"])
        _count(kind=CounterKind.DEACTIVATED, region=_home_region(participant))
        log.info("participants.deactivated", participant_id=participant.pk, staff_id=by.pk)
    return participant


def participant_mark_unreachable(*, by: StaffUser, participant: Participant) -> Participant:
    """Mark e-mail bounced and every number unverified (it must be verified again by SMS code
    through self-service before it is used)."""
    with transaction.atomic():
        participant.email_unreachable = True
        participant.updated_at = clock.now()
        participant.save(update_fields=["email_unreachable", "updated_at"])
        participant.phones.update(verified_at=None)
    log.info("participants.marked_unreachable", participant_id=participant.pk, staff_id=by.pk)
    return participant


def participant_staff_update(
    *,
    by: StaffUser,
    participant: Participant,
    name: str,
    email: str,
    languages: list[str],
    categories: list[str],
) -> Participant:
    """Staff correct a participant's details (e.g. from a new paper card)."""
    with transaction.atomic():
        participant_update(
            participant=participant, name=name, languages=languages, categories=categories
        )
        new_email = email.strip().lower()
        if new_email != participant.email:
            participant.email = new_email
            participant.email_confirmed_at = None
            participant.email_unreachable = False
            participant.save(update_fields=["email", "email_confirmed_at", "email_unreachable"])
    log.info("participants.staff_updated", participant_id=participant.pk, staff_id=by.pk)
    return participant

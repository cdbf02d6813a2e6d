"""The action lifecycle: draft → active → (expanded / follow-up)* → closed → published.

Every step locks the action, appends a dossier event, writes what must be sent into the outbox
(dispatch deliveries) in the same transaction, and lets the dispatch engine act on commit.
Only dispatchers of the owning dispatch centre act on an action.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from burgernet.accounts.models import Organisation, OrganisationKind, Role, StaffUser
from burgernet.actions import announce, outbox, selectors, texts
from burgernet.actions.dossier import dossier_append
from burgernet.actions.models import (
    Action,
    ActionRecipient,
    ActionStatus,
    ActionType,
    ControlRoomToken,
    Outcome,
    Response,
)
from burgernet.core import clock
from burgernet.core.images import CleanImage, ImageError, image_clean
from burgernet.geo.area import Area, Circle, parse_area
from burgernet.geo.distance import haversine_m

KNOWN_CHANNELS = ("voice", "sms", "broadcast")
# Channels that reach participants; `broadcast` goes to the configured social channels.
PARTICIPANT_CHANNELS = ("voice", "sms")


def _require_dispatcher(*, user: StaffUser, dispatch_centre_id: int) -> None:
    if not user.has_role(Role.DISPATCHER) or user.organisation_id != dispatch_centre_id:
        raise PermissionDenied(_("Only dispatchers of the owning control room can do this."))


def _lock(action: Action) -> Action:
    """The action, row-locked; a purged action (retention) can no longer change."""
    locked = Action.objects.select_for_update().get(pk=action.pk)
    if locked.purged_at is not None:
        raise ValidationError(
            {
                "status": _(
                    "The personal data of this action were deleted after the retention "
                    "period; it can no longer be changed."
                )
            }
        )
    return locked


def _check_channels(channels: list[str], *, exercise: bool) -> list[str]:
    unknown = [c for c in channels if c not in KNOWN_CHANNELS]
    if unknown or not channels:
        raise ValidationError(
            {
                "channels": _("Choose at least one of: %(channels)s.")
                % {"channels": ", ".join(KNOWN_CHANNELS)}
            }
        )
    if announce.BROADCAST in channels and not announce.broadcast_targets_for(exercise=exercise):
        raise ValidationError(
            {
                "channels": _("No broadcast target is configured for exercises.")
                if exercise
                else _("No broadcast target is configured.")
            }
        )
    return list(dict.fromkeys(channels))


@transaction.atomic
def action_create(
    *,
    by: StaffUser,
    type: str,
    title: str,
    description: str,
    area: Area,
    incident: tuple[float, float] | None = None,
    channels: list[str] | None = None,
    omit_offence: bool = False,
    exercise: bool = False,
    idempotency_key: str = "",
    photo: CleanImage | None = None,
) -> Action:
    """Create a draft action for the dispatcher's own control room, with an optional photo
    (already cleaned by `photo_clean`) for the app and the public page.

    A repeated call with the same `idempotency_key` returns the action created the first time.
    """
    centre = by.organisation
    if centre is None or centre.kind != OrganisationKind.DISPATCH_CENTRE:
        raise PermissionDenied(_("Only dispatchers of a control room can create actions."))
    _require_dispatcher(user=by, dispatch_centre_id=centre.pk)
    if idempotency_key:
        existing = Action.objects.filter(
            dispatch_centre=centre, idempotency_key=idempotency_key
        ).first()
        if existing:
            return existing
    errors: dict[str, str] = {}
    if type not in ActionType.values:
        errors["type"] = _("Unknown action type.")
    if not description.strip():
        errors["description"] = _("Describe who or what to look for.")
    if errors:
        raise ValidationError(errors)
    defaults = texts.TYPE_DEFAULTS[type]
    chosen = _check_channels(
        channels if channels is not None else list(defaults.channels), exercise=exercise
    )
    lat, lon = incident if incident is not None else area.centre
    now = clock.now()
    sms = texts.compose(
        action_type=type, description=description, omit_offence=omit_offence, exercise=exercise
    )
    action = Action(
        type=type,
        dispatch_centre=centre,
        created_by=by,
        exercise=exercise,
        title=title.strip() or str(ActionType(type).label),
        description=description.strip(),
        omit_offence=omit_offence,
        area=area.to_geojson(),
        incident_lat=lat,
        incident_lon=lon,
        channels=chosen,
        sms_text=sms,
        voice_text=texts.voice_script(sms),
        idempotency_key=idempotency_key,
        created_at=now,
    )
    try:
        with transaction.atomic():
            action.save()
    except IntegrityError:
        # A concurrent request with the same key won the race.
        return Action.objects.get(dispatch_centre=centre, idempotency_key=idempotency_key)
    action.regions.set(selectors.regions_touched(area=area))
    dossier_append(
        action=action,
        kind="created",
        actor_id=by.pk,
        payload={
            "type": type,
            "area": action.area,
            "channels": chosen,
            "exercise": exercise,
            "description": action.description,
        },
    )
    if photo is not None:
        _photo_put(action=action, by=by, photo=photo)
    return action


# --- Photo ---------------------------------------------------------------------------------------


def photo_clean(*, data: bytes) -> CleanImage:
    """Sniff and re-encode an uploaded photo (JPEG, PNG or WebP, at most 10 MB) so EXIF and
    GPS never reach storage; a ValidationError on the `photo` field otherwise."""
    try:
        return image_clean(data=data)
    except ImageError as exc:
        raise ValidationError({"photo": exc.message}) from None


@contextmanager
def _stored_files_removed_on_error() -> Iterator[list[str]]:
    """Files saved inside a transaction that then fails are deleted again: storage is not
    transactional, and nothing may be half-saved."""
    saved: list[str] = []
    try:
        yield saved
    except BaseException:
        storage = Action._meta.get_field("photo").storage
        for name in saved:
            storage.delete(name)
        raise


def _file_sha256(action: Action) -> str | None:
    try:
        with action.photo.open("rb") as stored:
            return hashlib.sha256(stored.read()).hexdigest()
    except OSError:
        return None


def _photo_put(*, action: Action, by: StaffUser, photo: CleanImage | None) -> None:
    """Store, replace or remove the photo of a locked action and note it in the dossier (the
    hash of the stored file, never the image). The old file is deleted on commit."""
    old_name = action.photo.name or ""
    if photo is None and not old_name:
        return
    payload: dict[str, Any]
    with _stored_files_removed_on_error() as saved:
        if photo is not None:
            action.photo.save(photo.file.name or "photo", photo.file, save=False)
            saved.append(action.photo.name or "")
            kind = "photo_replaced" if old_name else "photo_attached"
            payload = {
                "sha256": photo.sha256,
                "bytes": photo.size,
                "content_type": photo.content_type,
                "width": photo.width,
                "height": photo.height,
            }
        else:
            kind, payload = "photo_removed", {"sha256": _file_sha256(action)}
            action.photo.name = ""
        action.photo_withdrawn = False
        action.save(update_fields=["photo", "photo_withdrawn"])
        dossier_append(action=action, kind=kind, actor_id=by.pk, payload=payload)
    if old_name:
        storage = action.photo.storage
        transaction.on_commit(lambda: storage.delete(old_name))


def _photo_change(*, action: Action, by: StaffUser, photo: CleanImage | None) -> Action:
    with transaction.atomic():
        action = _lock(action)
        _require_dispatcher(user=by, dispatch_centre_id=action.dispatch_centre_id)
        if action.status not in (ActionStatus.DRAFT, ActionStatus.ACTIVE):
            raise ValidationError(
                {"status": _("The photo can only be changed while the action is a draft or runs.")}
            )
        _photo_put(action=action, by=by, photo=photo)
    return action


def action_photo_set(*, action: Action, by: StaffUser, photo: CleanImage) -> Action:
    """Attach or replace the photo shown in the app and on the public page (draft or active
    action, dispatchers of the owning control room). `photo` comes from `photo_clean`, so EXIF
    and GPS never reach storage."""
    return _photo_change(action=action, by=by, photo=photo)


def action_photo_remove(*, action: Action, by: StaffUser) -> Action:
    """Remove the photo (draft or active action); the file is deleted on commit."""
    return _photo_change(action=action, by=by, photo=None)


def _area(action: Action) -> Area:
    return parse_area(action.area)


def _reach_new(action: Action, area: Area, *, seq: int) -> list[outbox.Recipient]:
    """Recipients in `area` not reached before by this action, saved as ActionRecipients."""
    defaults = texts.TYPE_DEFAULTS[action.type]
    channels = [c for c in action.channels if c in PARTICIPANT_CHANNELS]
    found = outbox.reach(area=area, channels=channels, at=clock.now(), category=defaults.category)
    already = set(ActionRecipient.objects.filter(action=action).values_list("channel", "address"))
    fresh: dict[tuple[str, str], outbox.Recipient] = {}
    for r in found:
        key = (r.channel, r.address)
        if key not in already and key not in fresh:
            fresh[key] = r
    _recipients_save(action, list(fresh.values()), seq=seq)
    return list(fresh.values())


_RECIPIENT_COLUMNS = (
    "action_id",
    "participant_id",
    "channel",
    "address",
    "distance_m",
    "reached_in",
)


def _recipients_save(action: Action, recipients: list[outbox.Recipient], *, seq: int) -> None:
    """Write the action's new recipients: COPY on PostgreSQL (a 5 km circle in Amsterdam is
    ~80,000 rows: bulk_create's model instances took 4.7 s of the start), bulk_create
    elsewhere. Inside the start's or expansion's transaction."""
    if connection.vendor == "postgresql":
        table = ActionRecipient._meta.db_table
        with connection.cursor() as cursor:
            sql = f"COPY {table} ({', '.join(_RECIPIENT_COLUMNS)}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for r in recipients:
                    copy.write_row(
                        (action.pk, r.participant_id, r.channel, r.address, r.distance_m, seq)
                    )
        return
    ActionRecipient.objects.bulk_create(
        (
            ActionRecipient(
                action=action,
                participant_id=r.participant_id,
                channel=r.channel,
                address=r.address,
                distance_m=r.distance_m,
                reached_in=seq,
            )
            for r in recipients
        ),
        batch_size=5000,
    )


def _send(action: Action, *, kind: str, text: str, recipients: Sequence[outbox.Recipient]) -> int:
    return outbox.send(
        source_id=action.pk,
        kind=kind,
        text=text,
        recipients=[(r.channel, r.address, r.participant_id) for r in recipients],
        exercise=action.exercise,
        urgent=texts.TYPE_DEFAULTS[action.type].urgent,
    )


def _counts(recipients: Sequence[outbox.Recipient]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in recipients:
        counts[r.channel] = counts.get(r.channel, 0) + 1
    counts["participants"] = len({r.participant_id for r in recipients})
    return counts


@transaction.atomic
def action_start(*, action: Action, by: StaffUser) -> Action:
    """Start a draft: reach everyone in the area on the chosen channels, within seconds."""
    action = _lock(action)
    _require_dispatcher(user=by, dispatch_centre_id=action.dispatch_centre_id)
    if action.status != ActionStatus.DRAFT:
        raise ValidationError({"status": _("Only a draft can be started.")})
    action.status = ActionStatus.ACTIVE
    action.started_at = clock.now()
    action.save(update_fields=["status", "started_at"])
    event = dossier_append(action=action, kind="starting", actor_id=by.pk, payload={})
    recipients = _reach_new(action, _area(action), seq=event.seq)
    message_id = _send(action, kind="start", text=action.sms_text, recipients=recipients)
    started = dossier_append(
        action=action,
        kind="started",
        actor_id=by.pk,
        payload={"message_id": message_id, "reached": _counts(recipients), "text": action.sms_text},
    )
    announce.announce(action=action, event=started)
    return action


@transaction.atomic
def action_expand(*, action: Action, by: StaffUser, area: Area) -> Action:
    """Enlarge the area; only newly covered participants are contacted."""
    action = _lock(action)
    _require_dispatcher(user=by, dispatch_centre_id=action.dispatch_centre_id)
    if action.status != ActionStatus.ACTIVE:
        raise ValidationError({"status": _("Only an active action can be expanded.")})
    old = action.area
    action.area = area.to_geojson()
    action.save(update_fields=["area"])
    action.regions.set(selectors.regions_touched(area=area))
    event = dossier_append(
        action=action, kind="expanding", actor_id=by.pk, payload={"from": old, "to": action.area}
    )
    recipients = _reach_new(action, area, seq=event.seq)
    message_id = _send(action, kind="expansion", text=action.sms_text, recipients=recipients)
    expanded = dossier_append(
        action=action,
        kind="expanded",
        actor_id=by.pk,
        payload={"message_id": message_id, "reached": _counts(recipients)},
    )
    announce.announce(action=action, event=expanded)
    return action


def _everyone(action: Action) -> list[outbox.Recipient]:
    return [
        outbox.Recipient(
            participant_id=participant_id, channel=channel, address=address, distance_m=distance
        )
        for participant_id, channel, address, distance in ActionRecipient.objects.filter(
            action=action
        )
        .order_by("pk")
        .values_list("participant_id", "channel", "address", "distance_m")
    ]


@transaction.atomic
def action_follow_up(*, action: Action, by: StaffUser, text: str) -> Action:
    """Send a follow-up message to everyone reached so far."""
    action = _lock(action)
    _require_dispatcher(user=by, dispatch_centre_id=action.dispatch_centre_id)
    if action.status != ActionStatus.ACTIVE:
        raise ValidationError({"status": _("Only an active action can get a follow-up.")})
    if not text.strip():
        raise ValidationError({"text": _("Write the follow-up message.")})
    body = texts.compose_follow_up(text=text, exercise=action.exercise)
    recipients = _everyone(action)
    message_id = _send(action, kind="follow_up", text=body, recipients=recipients)
    follow_up = dossier_append(
        action=action,
        kind="follow_up",
        actor_id=by.pk,
        payload={"message_id": message_id, "text": body, "reached": _counts(recipients)},
    )
    announce.announce(action=action, event=follow_up)
    return action


@transaction.atomic
def action_close(
    *,
    action: Action,
    by: StaffUser,
    outcome: str,
    participant_contributed: bool = False,
    closing_text: str = "",
) -> Action:
    """Close with an outcome and send the closing message to everyone reached, on the channel
    they were reached on."""
    action = _lock(action)
    _require_dispatcher(user=by, dispatch_centre_id=action.dispatch_centre_id)
    if action.status not in (ActionStatus.ACTIVE, ActionStatus.DRAFT):
        raise ValidationError({"status": _("This action is already closed.")})
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    was_active = action.status == ActionStatus.ACTIVE
    body = texts.compose_closing(outcome=outcome, text=closing_text, exercise=action.exercise)
    action.status = ActionStatus.CLOSED
    action.outcome = outcome
    action.participant_contributed = participant_contributed
    action.closing_text = body
    action.closed_at = clock.now()
    action.save(
        update_fields=["status", "outcome", "participant_contributed", "closing_text", "closed_at"]
    )
    payload: dict[str, Any] = {
        "outcome": outcome,
        "participant_contributed": participant_contributed,
        "text": body,
    }
    if was_active:
        recipients = _everyone(action)
        payload["message_id"] = _send(action, kind="closing", text=body, recipients=recipients)
        payload["reached"] = _counts(recipients)
    closed = dossier_append(action=action, kind="closed", actor_id=by.pk, payload=payload)
    announce.announce(action=action, event=closed)
    return action


@transaction.atomic
def action_publish(*, action: Action, by: StaffUser, public_summary: str) -> Action:
    """Publish the outcome on the public site. Photos of missing persons who were found are
    withdrawn from public pages."""
    action = _lock(action)
    _require_dispatcher(user=by, dispatch_centre_id=action.dispatch_centre_id)
    if action.status not in (ActionStatus.CLOSED, ActionStatus.PUBLISHED):
        raise ValidationError({"status": _("Close the action before publishing it.")})
    if not public_summary.strip():
        raise ValidationError({"public_summary": _("Write the public summary.")})
    action.public_summary = public_summary.strip()
    action.status = ActionStatus.PUBLISHED
    action.published_at = clock.now()
    if action.outcome == Outcome.FOUND and action.type.startswith("missing"):
        action.photo_withdrawn = True
    action.save(update_fields=["public_summary", "status", "published_at", "photo_withdrawn"])
    published = dossier_append(
        action=action,
        kind="published",
        actor_id=by.pk,
        payload={"public_summary": action.public_summary},
    )
    announce.announce(action=action, event=published)
    return action


def response_distance(action: Action, lat: float | None, lon: float | None) -> float | None:
    """Distance from the incident to where a response came from, in metres."""
    if lat is None or lon is None:
        return None
    return haversine_m(action.incident_lat, action.incident_lon, lat, lon)


def default_circle(*, action_type: str, lat: float, lon: float) -> Circle:
    return Circle(lat=lat, lon=lon, radius_m=texts.TYPE_DEFAULTS[action_type].radius_m)


def dispatch_centre_of(user: StaffUser) -> Organisation | None:
    org = user.organisation
    return org if org and org.kind == OrganisationKind.DISPATCH_CENTRE else None


@transaction.atomic
def response_record(
    *,
    action: Action,
    kind: str,
    text: str = "",
    participant_id: int | None = None,
    from_number: str = "",
    lat: float | None = None,
    lon: float | None = None,
    media: Any = None,
) -> Response:
    """Record what came back (a call, an SMS reply, an app tip) and note it in the dossier."""
    action = _lock(action)
    if lat is None and participant_id is not None:
        nearest = (
            ActionRecipient.objects.filter(action=action, participant_id=participant_id)
            .exclude(distance_m=None)
            .order_by("distance_m")
            .values_list("distance_m", flat=True)
            .first()
        )
        distance = nearest
    else:
        distance = response_distance(action, lat, lon)
    response = Response(
        action=action,
        kind=kind,
        at=clock.now(),
        participant_id=participant_id,
        from_number=from_number,
        text=text,
        lat=lat,
        lon=lon,
        distance_m=distance,
    )
    if media is not None:
        response.media = media
    response.save()
    dossier_append(
        action=action,
        kind=f"response_{kind}",
        actor_id=None,
        payload={
            "response_id": response.pk,
            "participant_id": participant_id,
            "text": text,
            "distance_m": distance,
        },
    )
    return response


def dossier_access_log(*, by: StaffUser, action: Action, why: str) -> int:
    """Record that `by` looked at the personal data in an action's dossier (the participants
    whose responses it shows); returns how many entries were written."""
    from burgernet.core.models import AccessLogEntry

    now = clock.now()
    ids = sorted(
        {
            pid
            for pid in Response.objects.filter(action=action).values_list(
                "participant_id", flat=True
            )
            if pid is not None
        }
    )
    AccessLogEntry.objects.bulk_create(
        [AccessLogEntry(staff=by, participant_id=pid, at=now, why=why[:200]) for pid in ids]
    )
    return len(ids)


def recipients_forget_participant(participant_id: int, addresses: list[str]) -> int:
    """Erasure hook (participants.erasure): blank the number or address an action reached a
    signed-off participant on. The row stays (the dossier's reach counts and channel), so a
    later call from that number is no longer recognised as a reached participant. Responses
    stay with the dossier until its retention ends (a police record). Returns rows blanked."""
    return (
        ActionRecipient.objects.filter(participant_id=participant_id)
        .exclude(address="")
        .update(address="")
    )


def response_access_log(*, by: StaffUser, response: Response, why: str) -> None:
    """Record that `by` opened what a participant sent with a response (e.g. a tip photo)."""
    from burgernet.core.models import AccessLogEntry

    if response.participant_id is not None:
        AccessLogEntry.objects.create(
            staff=by, participant_id=response.participant_id, at=clock.now(), why=why[:200]
        )


def control_room_token_issue(*, user: StaffUser, name: str) -> tuple[ControlRoomToken, str]:
    """Issue an API token for a dispatcher's control room; the raw token is returned once."""
    import secrets

    from burgernet.actions.api import token_hash

    centre = dispatch_centre_of(user)
    if centre is None or not user.has_role(Role.DISPATCHER):
        raise ValidationError({"user": _("Tokens are issued for dispatchers of a control room.")})
    raw = secrets.token_urlsafe(32)
    token = ControlRoomToken.objects.create(
        organisation=centre,
        user=user,
        name=name,
        token_hash=token_hash(raw),
        created_at=clock.now(),
    )
    return token, raw

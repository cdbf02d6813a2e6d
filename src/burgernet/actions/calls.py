"""Incoming calls and SMS replies of participants reached by a running action.

The dispatch engine asks its caller resolvers where to put a caller through: this one answers
with the number of the dispatch centre whose running action reached the caller's number. Each
new inbound call or SMS reply of such a participant is recorded as a response in that action's
dossier and console (once per provider id: dispatch notifies only new ones).
"""

from __future__ import annotations

from burgernet.actions.models import Action, ActionRecipient, ActionStatus


def reached_action_for(*, number_hash: str) -> tuple[Action, int] | None:
    """The newest running action that reached this phone number, with the participant id."""
    from burgernet.participants.models import PhoneNumber

    phones = list(
        PhoneNumber.objects.filter(number_hash=number_hash).values_list("participant_id", "e164")
    )
    if not phones:
        return None
    hit = (
        ActionRecipient.objects.filter(
            action__status=ActionStatus.ACTIVE,
            participant_id__in={pid for pid, _e164 in phones},
            address__in={e164 for _pid, e164 in phones},
        )
        .select_related("action", "action__dispatch_centre")
        .order_by("-action__started_at")
        .first()
    )
    return (hit.action, hit.participant_id) if hit else None


def resolve_caller(number_hash: str) -> str | None:
    """Caller resolver: the control room of the running action that reached this number."""
    found = reached_action_for(number_hash=number_hash)
    if found is None:
        return None
    return found[0].dispatch_centre.phone_number or None


def record_inbound(kind: str, number_hash: str, text: str) -> None:
    """Inbound handler: a reached participant's call or SMS reply becomes a response."""
    from burgernet.actions.services import response_record

    found = reached_action_for(number_hash=number_hash)
    if found is None:
        return
    action, participant_id = found
    if kind == "call":
        response_record(
            action=action,
            kind="call",
            participant_id=participant_id,
            text="Belt terug; doorverbonden met de meldkamer.",
        )
    elif kind == "sms":
        response_record(action=action, kind="sms", participant_id=participant_id, text=text)

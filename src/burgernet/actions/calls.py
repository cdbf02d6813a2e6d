"""Incoming calls and SMS replies of participants reached by a running action.

The dispatch engine asks its registered caller resolvers where to put a caller through; this
one answers with the number of the dispatch centre whose running action reached the caller's
number, and records the call as a response in that action's dossier and console.
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
    participant_ids = {pid for pid, _e164 in phones}
    addresses = {e164 for _pid, e164 in phones}
    hit = (
        ActionRecipient.objects.filter(
            action__status=ActionStatus.ACTIVE,
            participant_id__in=participant_ids,
            address__in=addresses,
        )
        .select_related("action", "action__dispatch_centre")
        .order_by("-action__started_at")
        .first()
    )
    return (hit.action, hit.participant_id) if hit else None


def resolve_caller(number_hash: str) -> str | None:
    """Caller resolver for dispatch.routing: put a reached participant through to the dispatch
    centre of the running action, recording the call as a response."""
    from burgernet.actions.services import response_record

    found = reached_action_for(number_hash=number_hash)
    if found is None:
        return None
    action, participant_id = found
    number = action.dispatch_centre.phone_number
    if not number:
        return None
    response_record(
        action=action,
        kind="call",
        participant_id=participant_id,
        text="Inkomend telefoontje, doorverbonden met de meldkamer.",
    )
    return number

"""The action dossier: an append-only, hash-chained event log.

Each event's hash is SHA-256 over the previous hash and a canonical JSON encoding of the event
(seq, time, actor, kind, payload). Changing, inserting or deleting any row breaks the chain from
that row on, which `dossier_verify` reports. Events are only appended under a row lock on the
action, so sequence numbers are gap-free.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from burgernet.actions.models import Action, ActionEvent
from burgernet.core import clock

GENESIS = "0" * 64


def event_hash(
    *,
    prev_hash: str,
    seq: int,
    at: dt.datetime,
    actor_id: int | None,
    kind: str,
    payload: dict[str, Any],
) -> str:
    """The chain hash of one event."""
    body = json.dumps(
        {
            "seq": seq,
            "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor": actor_id,
            "kind": kind,
            "payload": payload,
        },
        sort_keys=True,
        separators=(",", ":"),
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def dossier_append(
    *, action: Action, kind: str, actor_id: int | None, payload: dict[str, Any] | None = None
) -> ActionEvent:
    """Append an event. The caller holds `select_for_update` on the action in a transaction."""
    payload = json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder))
    last = ActionEvent.objects.filter(action=action).order_by("-seq").only("seq", "hash").first()
    seq = (last.seq + 1) if last else 1
    prev_hash = last.hash if last else GENESIS
    at = clock.now()
    event = ActionEvent.objects.create(
        action=action,
        seq=seq,
        at=at,
        actor_id=actor_id,
        kind=kind,
        payload=payload,
        prev_hash=prev_hash,
        hash=event_hash(
            prev_hash=prev_hash, seq=seq, at=at, actor_id=actor_id, kind=kind, payload=payload
        ),
    )
    Action.objects.filter(pk=action.pk).update(dossier_head=event.hash, dossier_length=seq)
    action.dossier_head, action.dossier_length = event.hash, seq
    return event


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    events: int
    first_broken_seq: int | None = None
    reason: str = ""


def dossier_verify(*, action: Action) -> ChainCheck:
    """Recompute the chain; report the first event that does not match."""
    prev_hash = GENESIS
    expected_seq = 1
    count = 0
    for event in ActionEvent.objects.filter(action=action).order_by("seq").iterator():
        count += 1
        if event.seq != expected_seq:
            return ChainCheck(False, count, event.seq, f"expected event {expected_seq}")
        if event.prev_hash != prev_hash:
            return ChainCheck(False, count, event.seq, "link to the previous event is broken")
        recomputed = event_hash(
            prev_hash=prev_hash,
            seq=event.seq,
            at=event.at,
            actor_id=event.actor_id,
            kind=event.kind,
            payload=event.payload,
        )
        if recomputed != event.hash:
            return ChainCheck(False, count, event.seq, "event content was changed")
        prev_hash = event.hash
        expected_seq += 1
    head = Action.objects.filter(pk=action.pk).values_list("dossier_head", "dossier_length").get()
    if head != ((prev_hash if count else ""), count):
        return ChainCheck(False, count, count + 1, "events are missing at the end")
    return ChainCheck(True, count)

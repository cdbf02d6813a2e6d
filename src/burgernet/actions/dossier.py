"""The action dossier: an append-only, hash-chained event log.

Each event's hash is SHA-256 over the previous hash and a canonical JSON encoding of the event
(seq, time, actor, kind, payload). Changing, inserting or deleting any row breaks the chain from
that row on, which `dossier_verify` reports. Events are only appended under a row lock on the
action, so sequence numbers are gap-free.

Retention is the one sanctioned change (ADR 0085): the purge verifies the chain, removes the
personal parts of events 1..n from their payloads, and appends a `purged` event whose payload
holds a *seal*, the SHA-256 of everything kept of events 1..n (seq, time, actor, kind, redacted
payload, both hashes). From then on those events are checked by their links and the seal; the
`purged` event and any later ones are recomputed as before.
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


PURGED = "purged"
# What a purged event keeps of its payload: counts, ids of messages, decisions and areas; never
# texts, phone numbers, participant ids or photo hashes.
KEPT_PAYLOAD_KEYS = frozenset(
    {
        "type",
        "channels",
        "exercise",
        "reached",
        "message_id",
        "outcome",
        "participant_contributed",
        "public_summary",
        "area",
        "from",
        "to",
        "content_type",
        "bytes",
    }
)


def _canonical(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder, ensure_ascii=False
    )


def _utc(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def redacted_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The part of an event payload that outlives retention, marked as redacted."""
    kept = {k: v for k, v in payload.items() if k in KEPT_PAYLOAD_KEYS}
    kept["redacted"] = True
    return kept


def dossier_seal(events: list[ActionEvent]) -> str:
    """SHA-256 over everything kept of redacted events, in order (stored in the purge event)."""
    body = _canonical(
        [
            {
                "seq": e.seq,
                "at": _utc(e.at),
                "actor": e.actor_id,
                "kind": e.kind,
                "payload": e.payload,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e in events
        ]
    )
    return hashlib.sha256(body.encode()).hexdigest()


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
    body = _canonical(
        {"seq": seq, "at": _utc(at), "actor": actor_id, "kind": kind, "payload": payload}
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
    # Events 1..redacted_through lost their personal parts at retention; they are checked by
    # their links and the seal in the `purged` event instead of by recomputing their hashes.
    redacted_through: int = 0


def _purge_marker(action: Action) -> tuple[int, str, dict[str, Any]]:
    """(events redacted, seal, chain state before the purge) from the first `purged` event."""
    event = ActionEvent.objects.filter(action=action, kind=PURGED).order_by("seq").first()
    if event is None:
        return 0, "", {}
    payload = event.payload
    through = payload.get("redacted_through")
    if not isinstance(through, int) or through != event.seq - 1:
        return event.seq - 1, "", {}
    return through, str(payload.get("seal", "")), dict(payload.get("chain_before") or {})


def dossier_verify(*, action: Action) -> ChainCheck:
    """Recompute the chain; report the first event that does not match."""
    through, seal, before = _purge_marker(action)
    prev_hash = GENESIS
    expected_seq = 1
    count = 0
    redacted: list[ActionEvent] = []
    for event in ActionEvent.objects.filter(action=action).order_by("seq").iterator():
        count += 1
        if event.seq != expected_seq:
            return ChainCheck(False, count, event.seq, f"expected event {expected_seq}", through)
        if event.prev_hash != prev_hash:
            return ChainCheck(
                False, count, event.seq, "link to the previous event is broken", through
            )
        if event.seq <= through:
            redacted.append(event)
        else:
            if through and event.seq == through + 1 and dossier_seal(redacted) != seal:
                return ChainCheck(
                    False, count, 1, "events redacted at retention were changed", through
                )
            recomputed = event_hash(
                prev_hash=prev_hash,
                seq=event.seq,
                at=event.at,
                actor_id=event.actor_id,
                kind=event.kind,
                payload=event.payload,
            )
            if recomputed != event.hash:
                return ChainCheck(False, count, event.seq, "event content was changed", through)
        prev_hash = event.hash
        expected_seq += 1
    head = Action.objects.filter(pk=action.pk).values_list("dossier_head", "dossier_length").get()
    if head != ((prev_hash if count else ""), count):
        return ChainCheck(False, count, count + 1, "events are missing at the end", through)
    if before and not before.get("ok", True):
        # The purge recorded a chain that was already broken: it stays reported as broken.
        return ChainCheck(
            False,
            count,
            before.get("first_broken_seq"),
            f"broken before the purge: {before.get('reason', '')}",
            through,
        )
    return ChainCheck(True, count, redacted_through=through)

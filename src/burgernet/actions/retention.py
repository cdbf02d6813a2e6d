"""Retention of action dossiers (ADR 0084, 0085).

`DOSSIER_RETENTION_DAYS` after an action was closed (or after an abandoned draft was created),
its personal parts are deleted and an anonymous shell stays:

- deleted: who was reached (`ActionRecipient`), what came back (`Response`, with photo and video
  files), the action's photo file, the texts that describe people (description, SMS and voice
  text, closing message), and in the dispatch outbox the message texts and every delivery's
  address, participant reference and provider id;
- kept: type, status, control room, exercise flag, title, area and municipalities, times,
  outcome, whether a participant contributed, the public summary, per-channel delivery states
  and costs, and each dossier event's seq, time, staff actor, kind and a payload reduced to
  counts and decisions (`dossier.KEPT_PAYLOAD_KEYS`);
- recorded: `Action.purged_at`, `Action.retained_figures` (the counts the dashboard computes
  from deleted rows) and a final `purged` dossier event with the rows removed and the seal that
  keeps the chain check meaningful.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q, QuerySet

from burgernet.actions import selectors
from burgernet.actions.dossier import (
    PURGED,
    dossier_append,
    dossier_seal,
    dossier_verify,
    redacted_payload,
)
from burgernet.actions.models import Action, ActionEvent, ActionRecipient, ActionStatus, Response
from burgernet.core import clock

log = structlog.get_logger(__name__)


def retention_cutoff(*, now: dt.datetime | None = None) -> dt.datetime:
    """Actions closed before this moment are past their retention."""
    return (now or clock.now()) - dt.timedelta(days=settings.DOSSIER_RETENTION_DAYS)


def actions_expired(*, now: dt.datetime | None = None) -> QuerySet[Action]:
    """Actions whose personal parts are due for deletion: closed (or published) longer ago than
    the retention period, and drafts abandoned that long; not purged yet."""
    cutoff = retention_cutoff(now=now)
    return Action.objects.filter(purged_at=None).filter(
        Q(status__in=(ActionStatus.CLOSED, ActionStatus.PUBLISHED), closed_at__lt=cutoff)
        | Q(status=ActionStatus.DRAFT, created_at__lt=cutoff)
    )


@dataclass
class PurgeReport:
    """What a purge run deleted (or, in a dry run, would delete)."""

    dry_run: bool
    actions: list[int] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, action_id: int, rows: dict[str, int]) -> None:
        self.actions.append(action_id)
        for key, n in rows.items():
            self.rows[key] = self.rows.get(key, 0) + n


def dossiers_purge_expired(*, dry_run: bool = False, now: dt.datetime | None = None) -> PurgeReport:
    """Purge every action past its retention, one transaction each (idempotent: a purged action
    is skipped, a crash half-way leaves the others as they were). With `dry_run` nothing
    changes and the report says what would be deleted."""
    report = PurgeReport(dry_run=dry_run)
    for action_id in list(actions_expired(now=now).order_by("pk").values_list("pk", flat=True)):
        rows = dossier_purge(action_id=action_id, dry_run=dry_run, now=now)
        if rows is not None:
            report.add(action_id, rows)
    log.info(
        "actions.dossiers_purged",
        dry_run=dry_run,
        actions=len(report.actions),
        **report.rows,
    )
    return report


def dossier_purge(
    *, action_id: int, dry_run: bool = False, now: dt.datetime | None = None
) -> dict[str, int] | None:
    """Delete the personal parts of one expired action and leave the anonymous shell.

    Re-checked under the row lock; returns the rows deleted per kind, or None when the action
    is not (or no longer) due. Files are deleted from storage on commit.
    """
    with transaction.atomic():
        action = actions_expired(now=now).select_for_update().filter(pk=action_id).first()
        if action is None:
            return None
        recipients = ActionRecipient.objects.filter(action=action)
        responses = Response.objects.filter(action=action)
        media = [name for name in responses.values_list("media", flat=True) if name]
        photo = action.photo.name or ""
        rows = {
            "recipients": recipients.count(),
            "responses": responses.count(),
            "files": len(media) + (1 if photo else 0),
            "events_redacted": action.dossier_length,
        }
        if dry_run:
            return rows
        check = dossier_verify(action=action)
        first_response = responses.aggregate(first=Min("at"))["first"]
        action.retained_figures = {
            "recipients": recipients.values("participant_id").distinct().count(),
            "reached": selectors.reach_summary(action=action),
            "responses": rows["responses"],
            "first_response_at": first_response.isoformat() if first_response else None,
        }
        events = list(ActionEvent.objects.filter(action=action).order_by("seq"))
        for event in events:
            event.payload = redacted_payload(event.payload)
        ActionEvent.objects.bulk_update(events, ["payload"], batch_size=500)
        responses.delete()
        recipients.delete()
        rows["deliveries"] = _redact_outbox(action)
        action.description = ""
        action.sms_text = ""
        action.voice_text = ""
        action.closing_text = ""
        action.photo.name = ""
        action.purged_at = clock.now()
        action.save(
            update_fields=[
                "description",
                "sms_text",
                "voice_text",
                "closing_text",
                "photo",
                "purged_at",
                "retained_figures",
            ]
        )
        payload: dict[str, Any] = {
            "redacted_through": len(events),
            "seal": dossier_seal(events),
            "head_before": events[-1].hash if events else "",
            "chain_before": {
                "ok": check.ok,
                "first_broken_seq": check.first_broken_seq,
                "reason": check.reason,
            },
            "retention_days": settings.DOSSIER_RETENTION_DAYS,
            "rows": rows,
        }
        dossier_append(action=action, kind=PURGED, actor_id=None, payload=payload)
        storage = action.photo.storage
        files = [*media, *([photo] if photo else [])]
        transaction.on_commit(lambda: _delete_files(storage, files))
    log.info("actions.dossier_purged", action_id=action_id, **rows)
    return rows


def _redact_outbox(action: Action) -> int:
    from burgernet.dispatch import services as dispatch

    return dispatch.messages_redact(source_type="action", source_id=str(action.pk))


def _delete_files(storage: Any, names: list[str]) -> None:
    for name in names:
        storage.delete(name)

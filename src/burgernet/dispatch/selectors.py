"""Reads of the outbox: progress per message and channel (cheap to poll)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from burgernet.dispatch.models import Delivery, DeliveryState, InboundMessage


def message_progress(*, message_id: int) -> dict[str, dict[str, int]]:
    """Counts per channel and state for one message, e.g. `{"sms": {"queued": 3, ...}}`.

    One grouped query on the (message, channel, state) index; every state is present.
    """
    progress: dict[str, dict[str, int]] = {}
    rows = (
        Delivery.objects.filter(message_id=message_id)
        .values("channel", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts = progress.setdefault(row["channel"], dict.fromkeys(DeliveryState.values, 0))
        counts[row["state"]] = row["n"]
    return progress


def deliveries_for_message(*, message_id: int) -> QuerySet[Delivery]:
    return Delivery.objects.filter(message_id=message_id).order_by("id")


def inbound_for_caller(*, number_hash: str) -> QuerySet[InboundMessage]:
    return InboundMessage.objects.filter(from_hash=number_hash).order_by("-received_at")

"""Prometheus metrics. Counters count in the process that does the work; the outbox gauges
are read from the database at scrape time, so `/metrics` on any web process shows every
worker's progress."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

deliveries_sent = Counter(
    "burgernet_deliveries_sent", "Deliveries accepted by a provider", ["channel", "account"]
)
provider_errors = Counter(
    "burgernet_provider_errors", "Provider requests that failed", ["account", "kind"]
)
receipts = Counter("burgernet_receipts", "Delivery receipts received", ["status", "applied"])
webhook_rejected = Counter(
    "burgernet_webhook_rejected", "Webhook calls refused for a bad signature", ["kind"]
)
push_answers = Counter(
    "burgernet_push_answers",
    "Answers of push services per delivery (accepted, permanent e.g. gone, retry)",
    ["account", "outcome"],
)
batch_seconds = Histogram(
    "burgernet_provider_batch_seconds",
    "Time to hand one batch to a provider",
    ["account"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class OutboxCollector(Collector):
    """The backlog (queued and claimed deliveries) by channel, read at scrape time.

    Only the two states with a partial index: counting sent or delivered rows would scan the
    whole outbox on every scrape. Throughput comes from the per-process counters.
    """

    def collect(self) -> Iterable[GaugeMetricFamily]:
        from django.db.models import Count, Min

        from burgernet.core import clock
        from burgernet.dispatch.models import Delivery, DeliveryState

        gauge = GaugeMetricFamily(
            "burgernet_deliveries_backlog",
            "Deliveries waiting (queued) or being sent (claimed), by channel",
            labels=["channel", "state"],
        )
        oldest = GaugeMetricFamily(
            "burgernet_deliveries_oldest_due_seconds",
            "Age of the oldest queued delivery that is due, by channel",
            labels=["channel"],
        )
        now = clock.now()
        for state in (DeliveryState.QUEUED, DeliveryState.CLAIMED):
            rows = (
                Delivery.objects.filter(state=state)
                .values("channel")
                .annotate(n=Count("id"), due=Min("next_attempt_at"))
                .order_by()
            )
            for row in rows:
                gauge.add_metric([row["channel"], state.value], row["n"])
                if state == DeliveryState.QUEUED and row["due"] is not None:
                    age = max(0.0, (now - row["due"]).total_seconds())
                    oldest.add_metric([row["channel"]], age)
        yield gauge
        yield oldest


_registered = False


def register_outbox_collector() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(OutboxCollector())
        _registered = True

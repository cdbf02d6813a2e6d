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
batch_seconds = Histogram(
    "burgernet_provider_batch_seconds",
    "Time to hand one batch to a provider",
    ["account"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class OutboxCollector(Collector):
    """Deliveries by channel and state, read at scrape time."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        from django.db.models import Count

        from burgernet.dispatch.models import Delivery

        gauge = GaugeMetricFamily(
            "burgernet_deliveries",
            "Deliveries in the outbox by channel and state",
            labels=["channel", "state"],
        )
        rows = Delivery.objects.values("channel", "state").annotate(n=Count("id")).order_by()
        for row in rows:
            gauge.add_metric([row["channel"], row["state"]], row["n"])
        yield gauge


_registered = False


def register_outbox_collector() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(OutboxCollector())
        _registered = True

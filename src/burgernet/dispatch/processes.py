"""Processes `burgernet serve` starts for dispatch (see SERVE_EXTRA_PROCESSES), and what a
task worker does for dispatch before its first task (WORKER_WARM_UP)."""

from __future__ import annotations

import structlog
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import get_resolver

log = structlog.get_logger(__name__)


def serve_processes(burgernet: list[str]) -> list[tuple[str, list[str]]]:
    """The sweeper always; the mock provider in demo mode."""
    processes = [("dispatch-sweeper", [*burgernet, "dispatchsweeper"])]
    if settings.DEMO_MODE:
        processes.append(
            (
                "mock-provider",
                [*burgernet, "mockprovider", "--port", str(settings.MOCK_PROVIDER_PORT)],
            )
        )
    return processes


def worker_warm_up() -> None:
    """Pay a worker's one-off costs before the first alert instead of during it.

    The first batch's callback URL loads the whole URLconf (≈0.2 s), and each account's
    adapter builds its HTTP client (20-40 ms each): measured at the mock, the first batch of a
    fresh worker left 0.2 s late and each further account another 20 ms.
    """
    from burgernet.dispatch import services
    from burgernet.dispatch.accounts import provider_accounts

    get_resolver().url_patterns  # noqa: B018 - imports every URL module once
    try:
        accounts = provider_accounts()
    except ImproperlyConfigured as exc:
        # The first send reports it where it matters; a warm-up never stops a worker.
        log.warning("provider_accounts_invalid", error=str(exc))
        return
    for account in accounts:
        try:
            services.warm_adapter(account)
        except (ImproperlyConfigured, ValueError, OSError) as exc:
            log.warning("adapter_warm_up_failed", account=account.name, error=str(exc))

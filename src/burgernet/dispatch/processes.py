"""Processes `burgernet serve` starts for dispatch (see SERVE_EXTRA_PROCESSES)."""

from __future__ import annotations

from django.conf import settings


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

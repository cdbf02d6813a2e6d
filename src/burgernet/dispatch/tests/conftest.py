"""Fixtures: a real mock provider on loopback and provider accounts pointing at it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from burgernet.dispatch import services
from burgernet.dispatch.mock import MockServer

SECRET = "test-gateway-secret"
TWILIO_TOKEN = "mock-twilio-token"


@pytest.fixture
def mock_provider() -> Iterator[MockServer]:
    server = MockServer().start()
    server.state.config["receipts"] = False
    yield server
    server.stop()


def gateway_account(name: str, url: str, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "channel": "sms",
        "adapter": "generic_http_sms",
        "batch_size": 100,
        "price": "0.07",
        "options": {"url": f"{url}/sms/batch", "secret": SECRET, "timeout": 5},
    }
    entry.update(extra)
    return entry


def twilio_account(name: str, url: str, channel: str = "sms", **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "channel": channel,
        "adapter": f"twilio_{channel}",
        "batch_size": 20,
        "price": "0.08",
        "options": {
            "base_url": url,
            "account_sid": f"AC{name}",
            "auth_token": TWILIO_TOKEN,
            "from": "+3197010000000",
        },
    }
    entry.update(extra)
    return entry


@pytest.fixture
def configure_accounts(settings: Any, mock_provider: MockServer) -> Callable[..., None]:
    """Set PROVIDER_ACCOUNTS (and the mock's secrets) for one test."""
    settings.DISPATCH_RETRY_BASE_SECONDS = 0.01
    settings.DISPATCH_RETRY_MAX_SECONDS = 0.05
    settings.DISPATCH_CIRCUIT_COOLDOWN_SECONDS = 0.2
    settings.DISPATCH_MAX_ATTEMPTS = 50
    settings.DISPATCH_WEBHOOK_BASE_URL = "http://testserver"

    def configure(*entries: dict[str, Any]) -> None:
        settings.PROVIDER_ACCOUNTS = json.dumps(list(entries))
        for entry in entries:
            if entry["adapter"].startswith("generic"):
                mock_provider.state.config["secrets"][entry["name"]] = SECRET
        services.reset_provider_state()

    yield configure
    services.reset_provider_state()


def mock_messages(server: MockServer, **query: str) -> list[dict[str, Any]]:
    """What the mock recorded, read over HTTP like any client would."""
    response = httpx.get(f"{server.url}/_mock/messages", params=query)
    response.raise_for_status()
    return response.json()["messages"]


def mock_config(server: MockServer, **changes: Any) -> None:
    httpx.post(f"{server.url}/_mock/config", json=changes).raise_for_status()


def mock_stats(server: MockServer) -> dict[str, Any]:
    return httpx.get(f"{server.url}/_mock/stats").json()

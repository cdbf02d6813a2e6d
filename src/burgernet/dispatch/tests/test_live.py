"""End to end over real HTTP both ways: the mock provider sends its receipts to our server."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from burgernet.dispatch import services
from burgernet.dispatch.models import Delivery, DeliveryState, Lane
from burgernet.dispatch.tests.conftest import gateway_account, twilio_account


@pytest.mark.django_db(transaction=True)
def test_mock_receipts_reach_the_webhook_and_mark_delivered(
    live_server, mock_provider, configure_accounts, settings
) -> None:
    settings.DISPATCH_WEBHOOK_BASE_URL = live_server.url
    configure_accounts(
        gateway_account("gw-1", mock_provider.url, weight=1),
        twilio_account("tw", mock_provider.url, weight=1),
    )
    mock_provider.state.config["receipts"] = True
    with transaction.atomic():
        message = services.message_create(kind="action_start", lane=Lane.URGENT, sms_text="Let op")
        services.deliveries_enqueue(
            message=message, recipients=[("sms", f"+316100000{i:02d}", None) for i in range(40)]
        )

    services.deliveries_drain(channel="sms")

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if not Delivery.objects.exclude(state=DeliveryState.DELIVERED).exists():
            break
        time.sleep(0.1)
    states = set(Delivery.objects.values_list("state", flat=True))
    assert states == {DeliveryState.DELIVERED}
    assert set(Delivery.objects.values_list("provider_account", flat=True)) <= {"gw-1", "tw"}

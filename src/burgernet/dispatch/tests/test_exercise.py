"""Exercise messages reach only accounts marked as exercise peers (the mock), never a real one."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import transaction

from burgernet.dispatch import services
from burgernet.dispatch.models import Delivery, DeliveryState, Lane
from burgernet.dispatch.tests.conftest import gateway_account, mock_messages

pytestmark = pytest.mark.django_db


def enqueue(addresses: list[str], *, exercise: bool) -> None:
    with transaction.atomic():
        message = services.message_create(
            kind="action_start",
            lane=Lane.URGENT,
            sms_text="OEFENING - test",
            source_type="test",
            source_id="1",
            exercise=exercise,
        )
        services.deliveries_enqueue(
            message=message, recipients=[("sms", a, i) for i, a in enumerate(addresses)]
        )


def test_exercise_goes_only_to_the_exercise_account(mock_provider, configure_accounts) -> None:
    # "real-gw" has the higher weight: ordinary traffic would prefer it.
    configure_accounts(
        gateway_account("real-gw", mock_provider.url, weight=100),
        gateway_account("mock-gw", mock_provider.url, weight=1, exercise=True),
    )
    addresses = [f"+3161000{i:04d}" for i in range(40)]
    enqueue(addresses, exercise=True)
    services.deliveries_drain(channel="sms")
    assert Counter(m["to"] for m in mock_messages(mock_provider)) == Counter(addresses)
    assert set(Delivery.objects.values_list("provider_account", flat=True)) == {"mock-gw"}


def test_exercise_without_an_exercise_account_reaches_nobody(
    mock_provider, configure_accounts
) -> None:
    configure_accounts(gateway_account("real-gw", mock_provider.url))
    enqueue(["+31610000001", "+31610000002"], exercise=True)
    services.deliveries_drain(channel="sms")
    assert mock_messages(mock_provider) == []
    states = set(Delivery.objects.values_list("state", flat=True))
    assert states == {DeliveryState.UNDELIVERABLE}
    assert "exercise" in Delivery.objects.first().error

"""The outbox against the mock provider over HTTP: every recipient exactly once."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import transaction

from burgernet.dispatch import services
from burgernet.dispatch.models import Delivery, DeliveryState, Lane
from burgernet.dispatch.selectors import message_progress
from burgernet.dispatch.tests.conftest import (
    gateway_account,
    mock_config,
    mock_messages,
    mock_stats,
    twilio_account,
)

pytestmark = pytest.mark.django_db


def numbers(n: int, start: int = 0) -> list[str]:
    return [f"+316{i:08d}" for i in range(start, start + n)]


def enqueue_sms(addresses: list[str], text: str = "Vermist: jongen, 8 jaar. Bel 0800-0011") -> int:
    with transaction.atomic():
        message = services.message_create(
            kind="action_start",
            lane=Lane.URGENT,
            sms_text=text,
            source_type="test",
            source_id="1",
        )
        services.deliveries_enqueue(
            message=message, recipients=[("sms", a, i) for i, a in enumerate(addresses)]
        )
    return message.pk


def test_every_recipient_gets_the_sms_once(mock_provider, configure_accounts) -> None:
    configure_accounts(gateway_account("gw-1", mock_provider.url))
    addresses = numbers(250)
    message_id = enqueue_sms(addresses + addresses[:10])  # duplicates are written once

    services.deliveries_drain(channel="sms")

    received = Counter(m["to"] for m in mock_messages(mock_provider))
    assert received == Counter(addresses)
    assert message_progress(message_id=message_id)["sms"]["sent"] == 250
    delivery = Delivery.objects.get(address=addresses[0])
    assert delivery.provider_account == "gw-1"
    assert delivery.provider_message_id.startswith("mock-")
    assert delivery.segments == 1
    assert delivery.cost is not None and delivery.cost > 0
    assert delivery.sent_at is not None and delivery.attempts == 1


@pytest.mark.slow
def test_fifth_of_requests_failing_still_delivers_each_exactly_once(
    mock_provider, configure_accounts
) -> None:
    configure_accounts(
        gateway_account("gw-1", mock_provider.url, batch_size=200),
        gateway_account("gw-2", mock_provider.url, batch_size=200),
    )
    mock_config(mock_provider, fail_share=0.2, fail_statuses=[500, 429], retry_after=0)
    addresses = numbers(10_000)
    enqueue_sms(addresses)

    services.deliveries_drain(channel="sms")

    stats = mock_stats(mock_provider)
    injected = sum(
        a.get("injected_500", 0) + a.get("injected_429", 0) for a in stats["accounts"].values()
    )
    assert injected > 0, "the mock should have refused some requests"
    received = Counter(m["to"] for m in mock_messages(mock_provider))
    assert len(received) == 10_000 and set(received.values()) == {1}
    assert sum(a.get("duplicates", 0) for a in stats["accounts"].values()) == 0
    assert Delivery.objects.exclude(state=DeliveryState.SENT).count() == 0


def test_first_account_down_fails_over_to_the_second(mock_provider, configure_accounts) -> None:
    configure_accounts(
        gateway_account("primary", mock_provider.url, weight=100),
        gateway_account("backup", mock_provider.url, weight=0),  # standby
    )
    mock_config(mock_provider, down=["primary"])
    addresses = numbers(300)
    enqueue_sms(addresses)

    services.deliveries_drain(channel="sms")

    received = mock_messages(mock_provider)
    assert Counter(m["to"] for m in received) == Counter(addresses)
    assert {m["account"] for m in received} == {"backup"}
    assert set(Delivery.objects.values_list("provider_account", flat=True)) == {"backup"}
    assert mock_stats(mock_provider)["accounts"]["primary"]["down"] >= 1


def test_invalid_number_is_recorded_undeliverable_with_reason(
    mock_provider, configure_accounts
) -> None:
    configure_accounts(gateway_account("gw-1", mock_provider.url))
    enqueue_sms(["+31612345678", "0612345678"])

    services.deliveries_drain(channel="sms")

    bad = Delivery.objects.get(address="0612345678")
    assert bad.state == DeliveryState.UNDELIVERABLE
    assert bad.error == "invalid number"
    assert bad.failed_at is not None
    assert Delivery.objects.get(address="+31612345678").state == DeliveryState.SENT


def test_pinned_delivery_never_moves_to_another_account(
    mock_provider, configure_accounts, settings
) -> None:
    """After a timeout the first account may have it: only that account may be asked again."""
    configure_accounts(
        gateway_account("a", mock_provider.url, weight=100),
        gateway_account("b", mock_provider.url, weight=1),
    )
    enqueue_sms(numbers(5))
    Delivery.objects.update(provider_account="a", pinned=True)
    mock_config(mock_provider, down=["a"])
    settings.DISPATCH_RETRY_BASE_SECONDS = settings.DISPATCH_RETRY_MAX_SECONDS = 60

    services.deliveries_drain(channel="sms", wait_for_retries=False)

    assert mock_messages(mock_provider) == []
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.QUEUED}
    mock_config(mock_provider, down=[])
    Delivery.objects.update(next_attempt_at=Delivery.objects.first().queued_at)
    services.reset_provider_state()
    services.deliveries_drain(channel="sms")
    assert {m["account"] for m in mock_messages(mock_provider)} == {"a"}


def test_a_resend_after_a_lost_answer_reaches_nobody_twice(
    mock_provider, configure_accounts
) -> None:
    """The worker posted, then died before recording: the sweeper re-drives, the key dedupes."""
    configure_accounts(gateway_account("gw-1", mock_provider.url))
    addresses = numbers(50)
    enqueue_sms(addresses)
    claimed = services.deliveries_claim(channel="sms", limit=50, account="gw-1", lease_seconds=0)
    adapter = services._adapter(services.provider_account("gw-1"))
    messages = {d.message_id: d.message for d in claimed}
    adapter.send_batch([services._item(d, messages[d.message_id]) for d in claimed])
    # ... and the worker dies here: nothing recorded.

    assert services.deliveries_sweep() == 50
    services.deliveries_drain(channel="sms")

    assert Counter(m["to"] for m in mock_messages(mock_provider)) == Counter(addresses)
    assert mock_stats(mock_provider)["accounts"]["gw-1"]["duplicates"] == 50
    assert Delivery.objects.filter(state=DeliveryState.SENT).count() == 50


def test_urgent_lane_is_claimed_before_bulk(mock_provider, configure_accounts) -> None:
    configure_accounts(gateway_account("gw-1", mock_provider.url))
    with transaction.atomic():
        bulk = services.message_create(kind="newsletter", lane=Lane.BULK, sms_text="Nieuwsbrief")
        services.deliveries_enqueue(
            message=bulk, recipients=[("sms", a, None) for a in numbers(30)]
        )
        urgent = services.message_create(kind="action_start", lane=Lane.URGENT, sms_text="Vermist")
        services.deliveries_enqueue(
            message=urgent, recipients=[("sms", a, None) for a in numbers(10, 100)]
        )

    claimed = services.deliveries_claim(channel="sms", limit=10, account="gw-1")

    assert {d.message_id for d in claimed} == {urgent.pk}


def test_a_claim_takes_at_most_its_limit_and_one_batch_at_a_time(
    mock_provider, configure_accounts
) -> None:
    configure_accounts(gateway_account("gw-1", mock_provider.url))
    enqueue_sms(numbers(300))

    first = services.deliveries_claim(channel="sms", limit=20, account="gw-1")
    second = services.deliveries_claim(channel="sms", limit=20, account="gw-1")

    assert len(first) == len(second) == 20
    assert not {d.pk for d in first} & {d.pk for d in second}
    assert [d.pk for d in first] == sorted(d.pk for d in first)  # oldest first
    assert all(d.state == DeliveryState.CLAIMED and d.attempts == 1 for d in first + second)
    assert Delivery.objects.filter(state=DeliveryState.QUEUED).count() == 260


def test_a_new_action_is_not_queued_behind_a_big_one_still_draining(
    mock_provider, configure_accounts
) -> None:
    """Claims take the lowest ranks of all messages of a lane first (ADR 0087)."""
    configure_accounts(gateway_account("gw-1", mock_provider.url))
    with transaction.atomic():
        big = services.message_create(kind="action_start", lane=Lane.URGENT, sms_text="Overval")
        services.deliveries_enqueue(
            message=big, recipients=[("sms", a, None) for a in numbers(300)]
        )
    services.deliveries_claim(channel="sms", limit=100, account="gw-1")  # the big one is going
    with transaction.atomic():
        new = services.message_create(kind="action_start", lane=Lane.URGENT, sms_text="Vermist")
        nearest_first = numbers(10, 1000)
        services.deliveries_enqueue(
            message=new, recipients=[("sms", a, None) for a in nearest_first]
        )

    claimed = services.deliveries_claim(channel="sms", limit=20, account="gw-1")

    mine = [d.address for d in claimed if d.message_id == new.pk]
    assert mine == nearest_first  # all of them, in the order given (nearest first)
    assert len(claimed) == 20  # sharing the batch with the big one, not waiting for it


def test_send_transactional_is_idempotent(mock_provider, configure_accounts) -> None:
    configure_accounts(gateway_account("gw-1", mock_provider.url))
    first = services.send_transactional(
        channel="sms", address="+31611111111", text="Uw code: 123456", idempotency_key="signup:7"
    )
    again = services.send_transactional(
        channel="sms", address="+31611111111", text="Uw code: 123456", idempotency_key="signup:7"
    )
    services.deliveries_drain(channel="sms")

    assert first.pk == again.pk
    assert [m["text"] for m in mock_messages(mock_provider)] == ["Uw code: 123456"]


def test_missing_channel_text_is_refused_and_nothing_saved(
    mock_provider, configure_accounts
) -> None:
    with pytest.raises(services.DispatchError, match="sms_text") as error, transaction.atomic():
        empty = services.message_create(kind="x", voice_text="alleen spraak")
        services.deliveries_enqueue(
            message=empty,
            recipients=[("voice", "+31612345678", None), ("sms", "+31612345678", None)],
        )
    assert error.value.field == "sms_text"
    assert Delivery.objects.count() == 0


def test_twilio_sms_adapter_sends_through_the_sdk(mock_provider, configure_accounts) -> None:
    configure_accounts(twilio_account("tw", mock_provider.url))
    enqueue_sms(numbers(3), text="Gezocht: rode scooter")

    services.deliveries_drain(channel="sms")

    received = mock_messages(mock_provider)
    assert sorted(m["to"] for m in received) == numbers(3)
    assert {m["kind"] for m in received} == {"twilio_sms"}
    assert all(m["reference"] for m in received)  # the idempotency header arrived
    d = Delivery.objects.first()
    assert d.state == DeliveryState.SENT and d.provider_message_id.startswith("SM")


def test_voice_call_reads_the_message_twice_in_dutch(mock_provider, configure_accounts) -> None:
    configure_accounts(twilio_account("tv", mock_provider.url, channel="voice"))
    with transaction.atomic():
        message = services.message_create(
            kind="action_start", lane=Lane.URGENT, voice_text="Let op: vermiste jongen."
        )
        services.deliveries_enqueue(message=message, recipients=[("voice", "+31201234567", 1)])

    services.deliveries_drain(channel="voice")

    (call,) = mock_messages(mock_provider, channel="voice")
    twiml = call["text"]
    assert twiml.count('<Say language="nl-NL">Let op: vermiste jongen.</Say>') == 2
    assert "0 8 0 0 0 0 1 1" in twiml
    assert call["to"] == "+31201234567"


def test_account_with_a_wrong_key_fails_over_and_loses_nobody(
    mock_provider, configure_accounts
) -> None:
    configure_accounts(
        gateway_account("misconfigured", mock_provider.url, weight=100),
        gateway_account("good", mock_provider.url, weight=1),
    )
    mock_provider.state.config["secrets"]["misconfigured"] = "another-secret"  # → 401
    addresses = numbers(120)
    enqueue_sms(addresses)

    services.deliveries_drain(channel="sms")

    assert Counter(m["to"] for m in mock_messages(mock_provider)) == Counter(addresses)
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}


def test_generic_voice_gateway_places_the_call(mock_provider, configure_accounts) -> None:
    account = gateway_account(
        "gv", mock_provider.url, channel="voice", adapter="generic_http_voice"
    )
    account["options"]["url"] = f"{mock_provider.url}/voice/batch"
    configure_accounts(account)
    with transaction.atomic():
        message = services.message_create(
            kind="action_start", lane=Lane.URGENT, voice_text="Let op"
        )
        services.deliveries_enqueue(message=message, recipients=[("voice", "+31201234567", 1)])

    services.deliveries_drain(channel="voice")

    (call,) = mock_messages(mock_provider, channel="voice")
    assert call["to"] == "+31201234567" and call["text"] == "Let op"
    assert Delivery.objects.get().state == DeliveryState.SENT

"""Outbox retention (ADR 0038): settled deliveries lose their address after
DELIVERY_RETENTION_DAYS; queued and recent ones keep it; the figures stay. Inbound SMS/call
records are deleted after INBOUND_RETENTION_DAYS and when the caller signs off."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from burgernet.core import clock
from burgernet.dispatch import services
from burgernet.dispatch.models import Delivery, DeliveryState, InboundMessage
from burgernet.dispatch.tasks import blank_expired_deliveries, purge_expired_inbound

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def _outbox(at: dt.datetime, numbers: list[str]) -> dict[str, Delivery]:
    with clock.frozen(at), transaction.atomic():
        message = services.message_create(kind="action_start", sms_text="Gezocht: ...")
        services.deliveries_enqueue(
            message=message, recipients=[("sms", n, i) for i, n in enumerate(numbers, 1)]
        )
    return {d.address: d for d in Delivery.objects.filter(message=message)}


def _settle(delivery: Delivery, state: str, at: dt.datetime, error: str = "") -> None:
    stamps = {"sent_at": at}
    if state == DeliveryState.DELIVERED:
        stamps["delivered_at"] = at
    elif state != DeliveryState.SENT:
        stamps["failed_at"] = at
    Delivery.objects.filter(pk=delivery.pk).update(
        state=state,
        **stamps,
        cost=Decimal("0.0700"),
        segments=1,
        error=error,
        provider_message_id=f"p-{delivery.pk}",
    )


def test_retention_blanks_old_settled_rows_and_leaves_queued_and_recent(settings) -> None:
    settings.DELIVERY_RETENTION_DAYS = 90
    old = NOW - dt.timedelta(days=120)
    rows = _outbox(
        old, ["+31600000001", "+31600000002", "+31600000003", "+31600000004", "+31600000005"]
    )
    _settle(rows["+31600000001"], DeliveryState.DELIVERED, old)
    _settle(rows["+31600000002"], DeliveryState.UNDELIVERABLE, old, "bad number +31600000002")
    _settle(rows["+31600000003"], DeliveryState.SENT, old)  # no receipt ever came
    _settle(rows["+31600000004"], DeliveryState.DELIVERED, NOW - dt.timedelta(days=10))
    # +31600000005 is still queued (e.g. a retry that is due later): never touched.
    recent = _outbox(NOW - dt.timedelta(days=1), ["+31600000001"])["+31600000001"]
    _settle(recent, DeliveryState.DELIVERED, NOW - dt.timedelta(days=1))

    with clock.frozen(NOW):
        assert services.deliveries_blank_expired() == 3
        assert services.deliveries_blank_expired() == 0  # idempotent

    kept = set(Delivery.objects.exclude(address="").values_list("address", "state"))
    assert kept == {
        ("+31600000004", DeliveryState.DELIVERED),
        ("+31600000005", DeliveryState.QUEUED),
        ("+31600000001", DeliveryState.DELIVERED),  # the recent one
    }
    blanked = Delivery.objects.filter(address="").order_by("id")
    assert [d.state for d in blanked] == [
        DeliveryState.DELIVERED,
        DeliveryState.UNDELIVERABLE,
        DeliveryState.SENT,
    ]
    for d in blanked:
        # What the figures need stays; nothing of the number does.
        assert (d.channel, d.cost, d.segments, d.sent_at) == ("sms", Decimal("0.0700"), 1, old)
        assert "+3160000000" not in d.error
        assert d.idempotency_key == f"blanked:{d.pk}"
    assert blanked[1].error == "bad number "
    # A late receipt still finds its row by provider id.
    assert services.delivery_receipt_apply(
        status="delivered", provider_message_id=f"p-{blanked[2].pk}"
    )


def test_retention_days_come_from_the_setting(settings) -> None:
    settings.DELIVERY_RETENTION_DAYS = 5
    rows = _outbox(NOW - dt.timedelta(days=6), ["+31600000001"])
    _settle(rows["+31600000001"], DeliveryState.FAILED, NOW - dt.timedelta(days=6))
    with clock.frozen(NOW):
        with pytest.raises(services.DispatchError, match="older_than_days"):
            services.deliveries_blank_expired(older_than_days=-1)
        assert blank_expired_deliveries.call() == 1
    assert Delivery.objects.get().address == ""


def test_erasing_a_recipient_cancels_what_is_not_sent_yet() -> None:
    rows = _outbox(timezone.now(), ["+31600000001", "+31600000002"])
    _settle(rows["+31600000001"], DeliveryState.SENT, timezone.now())
    # Participant 1's first number, participant 2 untouched.
    assert services.deliveries_blank_for_recipient(recipient_ref=1) == 1
    first = Delivery.objects.get(pk=rows["+31600000001"].pk)
    assert (first.address, first.state) == ("", DeliveryState.SENT)
    other = Delivery.objects.get(pk=rows["+31600000002"].pk)
    assert (other.address, other.state) == ("+31600000002", DeliveryState.QUEUED)
    assert services.deliveries_blank_for_recipient(recipient_ref=2) == 1
    other.refresh_from_db()
    assert (other.address, other.state, other.error) == ("", DeliveryState.FAILED, "erased")
    # Nothing is sent to a blanked, cancelled row.
    assert services.deliveries_claim(channel="sms", limit=10) == []


def _inbound(at: dt.datetime, provider_id: str, number: str) -> None:
    with clock.frozen(at):
        services.inbound_record(
            kind="sms",
            account="gw-1",
            provider_message_id=provider_id,
            from_e164=number,
            text="Gezien bij het station",
        )


def test_inbound_records_go_after_their_retention(settings) -> None:
    settings.INBOUND_RETENTION_DAYS = 90
    _inbound(NOW - dt.timedelta(days=91), "old", "+31611111111")
    _inbound(NOW - dt.timedelta(days=89), "recent", "+31622222222")

    with clock.frozen(NOW):
        assert purge_expired_inbound.call() == 1
        assert purge_expired_inbound.call() == 0  # idempotent
    assert list(InboundMessage.objects.values_list("provider_message_id", flat=True)) == ["recent"]


def test_erasing_a_participant_deletes_the_inbound_records_of_their_numbers() -> None:
    _inbound(NOW, "theirs", "+31611111111")
    _inbound(NOW, "someone-else", "+31622222222")

    assert services.inbound_forget_numbers(e164s=["+31611111111", ""]) == 1

    assert list(InboundMessage.objects.values_list("provider_message_id", flat=True)) == [
        "someone-else"
    ]


def test_a_sign_off_takes_the_inbound_records_of_the_participants_numbers() -> None:
    from burgernet.participants.services import participant_erase
    from burgernet.participants.tests.factories import make_participant

    person = make_participant(region=None, phone="+31611111111")
    _inbound(NOW, "theirs", "+31611111111")
    _inbound(NOW, "someone-else", "+31622222222")

    participant_erase(participant=person)

    assert list(InboundMessage.objects.values_list("provider_message_id", flat=True)) == [
        "someone-else"
    ]

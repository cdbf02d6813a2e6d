"""Inbound: signed receipts move deliveries forward; forged ones change nothing; calls route."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.utils import timezone
from twilio.request_validator import RequestValidator

from burgernet.accounts.tests.factories import DispatchCentreFactory
from burgernet.dispatch import routing, services
from burgernet.dispatch.models import Delivery, DeliveryState, InboundMessage, Lane
from burgernet.dispatch.signing import SIGNATURE_HEADER, phone_hash, sign
from burgernet.dispatch.tests.conftest import SECRET, TWILIO_TOKEN, gateway_account, twilio_account
from burgernet.participants.models import Participant, PhoneNumber

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(mock_provider, configure_accounts):
    """Three SMS handed to the gateway account gw-1 (state sent)."""
    configure_accounts(
        gateway_account("gw-1", mock_provider.url),
        twilio_account("tw", mock_provider.url),
        twilio_account("tv", mock_provider.url, channel="voice"),
    )
    with transaction.atomic():
        message = services.message_create(kind="action_start", lane=Lane.URGENT, sms_text="Let op")
        services.deliveries_enqueue(
            message=message,
            recipients=[("sms", f"+3161234567{i}", None) for i in range(3)],
        )
    Delivery.objects.update(provider_account="gw-1")  # go through the gateway
    services.deliveries_drain(channel="sms")
    return list(Delivery.objects.order_by("id"))


def post_receipts(client, receipts, *, secret=SECRET, account="gw-1"):
    body = json.dumps({"receipts": receipts}).encode()
    return client.post(
        f"/dispatch/webhooks/gateway/{account}/receipts",
        data=body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign(secret, body)},
    )


def test_signed_receipt_marks_delivered(client, sent) -> None:
    d = sent[0]
    response = post_receipts(
        client,
        [{"reference": d.idempotency_key, "id": d.provider_message_id, "status": "delivered"}],
    )
    assert response.status_code == 200
    d.refresh_from_db()
    assert d.state == DeliveryState.DELIVERED and d.delivered_at is not None


def test_forged_receipt_is_refused_and_changes_nothing(client, sent) -> None:
    d = sent[0]
    response = post_receipts(
        client,
        [{"reference": d.idempotency_key, "status": "failed"}],
        secret="not-the-secret",
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    d.refresh_from_db()
    assert d.state == DeliveryState.SENT


def test_late_sent_never_overwrites_delivered_and_duplicates_are_harmless(client, sent) -> None:
    d = sent[1]
    delivered = {"reference": d.idempotency_key, "status": "delivered"}
    post_receipts(client, [delivered])
    post_receipts(client, [delivered])  # duplicate
    response = post_receipts(client, [{"reference": d.idempotency_key, "status": "sent"}])
    assert response.json()["applied"] == 0
    d.refresh_from_db()
    assert d.state == DeliveryState.DELIVERED


def test_failed_receipt_records_the_reason(client, sent) -> None:
    d = sent[2]
    post_receipts(
        client,
        [{"reference": d.idempotency_key, "status": "undelivered", "error": "absent subscriber"}],
    )
    d.refresh_from_db()
    assert d.state == DeliveryState.UNDELIVERABLE and d.error == "absent subscriber"


def twilio_post(client, path, params, *, token=TWILIO_TOKEN):
    url = f"http://testserver{path}"
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(
        path,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )


def test_twilio_status_callback_is_verified(client, sent) -> None:
    d = Delivery.objects.create(
        message=sent[0].message,
        channel="sms",
        address="+31699999999",
        state="sent",
        idempotency_key="k-twilio",
        next_attempt_at=timezone.now(),
        queued_at=timezone.now(),
        provider_account="tw",
        provider_message_id="SM1",
    )
    path = "/dispatch/webhooks/twilio/tw/status?ref=k-twilio"
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    forged = twilio_post(client, path, params, token="wrong")
    assert forged.status_code == 403
    d.refresh_from_db()
    assert d.state == DeliveryState.SENT
    assert twilio_post(client, path, params).status_code == 204
    d.refresh_from_db()
    assert d.state == DeliveryState.DELIVERED


def test_sms_reply_is_recorded_once(client, sent) -> None:
    params = {"MessageSid": "SMin1", "From": "+31612345670", "Body": "Ik zie hem bij de kerk"}
    twilio_post(client, "/dispatch/webhooks/twilio/tw/sms", params)
    twilio_post(client, "/dispatch/webhooks/twilio/tw/sms", params)
    (reply,) = InboundMessage.objects.all()
    assert reply.text == "Ik zie hem bij de kerk"
    assert reply.from_hash == phone_hash("+31612345670")


@pytest.fixture
def action_resolver():
    """What actions (#5) will register: a caller reached by an action → its dispatch centre."""
    from burgernet.accounts.models import Organisation

    def resolve(number_hash: str) -> str | None:
        participant_ids = PhoneNumber.objects.filter(number_hash=number_hash).values_list(
            "participant_id", flat=True
        )
        delivery = (
            Delivery.objects.filter(
                recipient_ref__in=list(participant_ids), message__source_type="action"
            )
            .select_related("message")
            .order_by("-queued_at")
            .first()
        )
        if delivery is None:
            return None
        return Organisation.objects.get(pk=int(delivery.message.source_id)).phone_number

    routing.register_caller_resolver(resolve)
    yield resolve
    routing.unregister_caller_resolver(resolve)


def test_call_from_a_reached_participant_is_put_through_to_the_dispatch_centre(
    client, sent, action_resolver, settings
) -> None:
    centre = DispatchCentreFactory(phone_number="+31881234567")
    now = timezone.now()
    participant = Participant.objects.create(name="A", created_at=now, updated_at=now)
    PhoneNumber.objects.create(
        participant=participant, e164="+31611112222", number_hash=phone_hash("+31611112222")
    )
    with transaction.atomic():
        message = services.message_create(
            kind="action_start",
            lane=Lane.URGENT,
            voice_text="Let op",
            source_type="action",
            source_id=str(centre.pk),
        )
        services.deliveries_enqueue(
            message=message, recipients=[("voice", "+31611112222", participant.pk)]
        )

    response = twilio_post(
        client, "/dispatch/webhooks/twilio/tv/voice", {"CallSid": "CA1", "From": "+31611112222"}
    )

    assert response.status_code == 200
    assert "<Dial>+31881234567</Dial>" in response.content.decode()
    assert InboundMessage.objects.get(provider_message_id="CA1").routed_to == "+31881234567"

    stranger = twilio_post(
        client, "/dispatch/webhooks/twilio/tv/voice", {"CallSid": "CA2", "From": "+31600000001"}
    )
    assert f"<Dial>{settings.DISPATCH_NATIONAL_NUMBER}</Dial>" in stranger.content.decode()


def test_forged_incoming_call_is_refused(client, sent) -> None:
    response = twilio_post(
        client,
        "/dispatch/webhooks/twilio/tv/voice",
        {"CallSid": "CA3", "From": "+31611112222"},
        token="forged",
    )
    assert response.status_code == 403
    assert not InboundMessage.objects.exists()


def test_signed_gateway_reply_is_recorded_once_and_forged_one_not(client, sent) -> None:
    body = json.dumps({"messages": [{"id": "in-1", "from": "+31612345670", "text": "Gezien!"}]})
    path = "/dispatch/webhooks/gateway/gw-1/inbound"
    forged = client.post(
        path,
        data=body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign("wrong", body.encode())},
    )
    assert forged.status_code == 403 and not InboundMessage.objects.exists()
    for _ in range(2):
        client.post(
            path,
            data=body,
            content_type="application/json",
            headers={SIGNATURE_HEADER: sign(SECRET, body.encode())},
        )
    (reply,) = InboundMessage.objects.all()
    assert reply.kind == "sms" and reply.text == "Gezien!"

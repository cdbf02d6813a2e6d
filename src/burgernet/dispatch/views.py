"""Provider webhooks (receipts, SMS replies, incoming calls), progress and /metrics.

Every webhook checks its signature before reading anything: HMAC-SHA256 for the generic
gateway, `X-Twilio-Signature` through Twilio's RequestValidator. A bad signature is answered
403 and nothing is recorded.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from twilio.request_validator import RequestValidator

from burgernet.accounts.permissions import staff_required
from burgernet.dispatch import metrics, selectors, services
from burgernet.dispatch.accounts import provider_account
from burgernet.dispatch.providers.base import ProviderAccount
from burgernet.dispatch.routing import route_caller
from burgernet.dispatch.signing import SIGNATURE_HEADER, verify
from burgernet.dispatch.twiml import dial_twiml, empty_twiml

log = structlog.get_logger(__name__)


def _problem(status: int, title: str, detail: str = "") -> JsonResponse:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    return JsonResponse(body, status=status, content_type="application/problem+json")


def _account(name: str, adapter_prefix: str) -> ProviderAccount | None:
    account = provider_account(name)
    if account is None or not account.adapter.startswith(adapter_prefix):
        return None
    return account


def _gateway_payload(request: HttpRequest, account_name: str) -> Any:
    """The verified JSON body, or an HttpResponse to return."""
    account = _account(account_name, "generic_http")
    if account is None:
        return _problem(404, "Unknown provider account")
    secret = account.option("webhook_secret") or account.option("secret")
    if not verify(secret, request.body, request.headers.get(SIGNATURE_HEADER, "")):
        metrics.webhook_rejected.labels(kind="gateway").inc()
        log.warning("webhook_bad_signature", account=account_name, path=request.path)
        return _problem(403, "Bad signature")
    try:
        return json.loads(request.body)
    except ValueError:
        return _problem(400, "Body is not JSON")


@csrf_exempt
@require_POST
def gateway_receipts(request: HttpRequest, account: str) -> HttpResponse:
    """Delivery receipts from the generic gateway: `{"receipts": [{"reference", "id",
    "status", "error"}]}`."""
    payload = _gateway_payload(request, account)
    if isinstance(payload, HttpResponse):
        return payload
    receipts = payload.get("receipts") if isinstance(payload, dict) else None
    if not isinstance(receipts, list):
        return _problem(400, "Malformed receipts", "receipts: a list is required")
    applied = 0
    for receipt in receipts:
        if not isinstance(receipt, dict):
            continue
        applied += services.delivery_receipt_apply(
            status=str(receipt.get("status", "")),
            idempotency_key=str(receipt.get("reference") or ""),
            provider_message_id=str(receipt.get("id") or ""),
            error=str(receipt.get("error") or ""),
        )
    return JsonResponse({"received": len(receipts), "applied": applied})


@csrf_exempt
@require_POST
def gateway_inbound(request: HttpRequest, account: str) -> HttpResponse:
    """SMS replies from the generic gateway: `{"messages": [{"id", "from", "text"}]}`."""
    payload = _gateway_payload(request, account)
    if isinstance(payload, HttpResponse):
        return payload
    messages = payload.get("messages") if isinstance(payload, dict) else None
    if not isinstance(messages, list):
        return _problem(400, "Malformed messages", "messages: a list is required")
    created = 0
    for m in messages:
        if isinstance(m, dict) and m.get("id") and m.get("from"):
            _, new = services.inbound_record(
                kind="sms",
                account=account,
                provider_message_id=str(m["id"]),
                from_e164=str(m["from"]),
                text=str(m.get("text", "")),
            )
            created += new
    return JsonResponse({"received": len(messages), "created": created})


def _twilio_verified(request: HttpRequest, account_name: str) -> ProviderAccount | HttpResponse:
    account = _account(account_name, "twilio")
    if account is None:
        return _problem(404, "Unknown provider account")
    # The URL as the provider called it: our public base URL + the path and query.
    url = settings.DISPATCH_WEBHOOK_BASE_URL.rstrip("/") + request.get_full_path()
    validator = RequestValidator(account.option("auth_token"))
    signature = request.headers.get("X-Twilio-Signature", "")
    if not validator.validate(url, request.POST.dict(), signature):
        metrics.webhook_rejected.labels(kind="twilio").inc()
        log.warning("webhook_bad_signature", account=account_name, path=request.path)
        return _problem(403, "Bad signature")
    return account


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest, account: str) -> HttpResponse:
    """Twilio status callback for a message or call we placed (`?ref=` is our key)."""
    verified = _twilio_verified(request, account)
    if isinstance(verified, HttpResponse):
        return verified
    status = request.POST.get("MessageStatus") or request.POST.get("CallStatus") or ""
    sid = request.POST.get("MessageSid") or request.POST.get("CallSid") or ""
    services.delivery_receipt_apply(
        status=status,
        idempotency_key=request.GET.get("ref", ""),
        provider_message_id=sid,
        error=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_sms(request: HttpRequest, account: str) -> HttpResponse:
    """An incoming SMS (a reply to an alert): recorded once per MessageSid."""
    verified = _twilio_verified(request, account)
    if isinstance(verified, HttpResponse):
        return verified
    sid, sender = request.POST.get("MessageSid", ""), request.POST.get("From", "")
    if sid and sender:
        services.inbound_record(
            kind="sms",
            account=account,
            provider_message_id=sid,
            from_e164=sender,
            text=request.POST.get("Body", ""),
        )
    return HttpResponse(empty_twiml(), content_type="text/xml")


@csrf_exempt
@require_POST
def twilio_voice(request: HttpRequest, account: str) -> HttpResponse:
    """An incoming call to the Burgernet number: put through to the right dispatch centre."""
    verified = _twilio_verified(request, account)
    if isinstance(verified, HttpResponse):
        return verified
    caller = request.POST.get("From", "")
    target = route_caller(caller_e164=caller)
    sid = request.POST.get("CallSid", "")
    if sid and caller:
        services.inbound_record(
            kind="call",
            account=account,
            provider_message_id=sid,
            from_e164=caller,
            routed_to=target,
        )
    log.info("incoming_call_routed", call_sid=sid, routed_to=target)
    return HttpResponse(dial_twiml(target), content_type="text/xml")


@staff_required()
@require_GET
def message_progress(request: HttpRequest, message_id: int) -> JsonResponse:
    """Counts per channel and state for one message (poll it; one indexed query)."""
    return JsonResponse(
        {"message": message_id, "channels": selectors.message_progress(message_id=message_id)}
    )


@require_GET
def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition (keep it on the internal network)."""
    metrics.register_outbox_collector()
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)

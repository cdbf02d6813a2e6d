"""Dispatch services: write the outbox, claim, send, retry, sweep and apply receipts.

Callers (actions, mailings, sign-up) use `message_create`, `deliveries_enqueue` (inside their
own transaction, beside the event that causes the deliveries) and `send_transactional`.
Workers use `deliveries_drain`; the sweeper `deliveries_sweep`; webhooks `delivery_receipt_apply`
and `inbound_record`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, CharField, F, Func, Min, Q, TextField, Value, When
from django.db.models.functions import Cast, Coalesce, Concat

from burgernet.core import clock
from burgernet.core.db import delete_in_batches
from burgernet.dispatch import metrics, ratelimit
from burgernet.dispatch.accounts import provider_account, provider_accounts
from burgernet.dispatch.models import (
    FINAL_STATES,
    LANE_PRIORITY,
    STATE_RANK,
    Channel,
    Delivery,
    DeliveryState,
    InboundMessage,
    Lane,
    Message,
)
from burgernet.dispatch.personalize import personalize
from burgernet.dispatch.providers import adapter_class
from burgernet.dispatch.providers.base import (
    Adapter,
    ItemResult,
    OutgoingItem,
    ProviderAccount,
    ProviderError,
)
from burgernet.dispatch.sms import sms_segments

log = structlog.get_logger(__name__)


class DispatchError(ValueError):
    """Bad input to a dispatch service; `field` names what is wrong."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


# --- Writing the outbox ---------------------------------------------------------------------


def message_create(
    *,
    kind: str,
    lane: str = Lane.DEFAULT,
    sms_text: str = "",
    voice_text: str = "",
    email_subject: str = "",
    email_html: str = "",
    email_text: str = "",
    payload: dict[str, Any] | None = None,
    source_type: str = "",
    source_id: str = "",
    exercise: bool = False,
) -> Message:
    """Store a message (one text per channel) owned by `source_type`/`source_id`.

    `payload` carries the structured content of data channels: for app push one key per
    channel (`{"push": {...}}`, see providers/webpush.py); a broadcast or partner-webhook
    message carries its title/body or rendered bodies at the top level (actions/announce.py).
    An `exercise` message is only handed to provider accounts marked `exercise` (the mock
    provider); with none configured its deliveries end undeliverable, never at a real gateway.
    """
    if lane not in Lane.values:
        raise DispatchError(f"unknown lane {lane!r}", field="lane")
    if not kind:
        raise DispatchError("a kind is required", field="kind")
    return Message.objects.create(
        kind=kind,
        lane=lane,
        sms_text=sms_text,
        voice_text=voice_text,
        email_subject=email_subject,
        email_html=email_html,
        email_text=email_text,
        payload=payload or {},
        source_type=source_type,
        source_id=str(source_id),
        exercise=exercise,
        created_at=clock.now(),
    )


def delivery_key(message_id: int, channel: str, address: str) -> str:
    """The idempotency key: one per message × channel × address, stable across retries."""
    return hashlib.sha256(f"{message_id}:{channel}:{address}".encode()).hexdigest()[:40]


_CHANNEL_TEXT = {
    # Broadcast and partner webhooks carry what they send in the structured payload.
    Channel.BROADCAST: ("payload",),
    Channel.WEBHOOK: ("payload",),
    Channel.SMS: ("sms_text",),
    Channel.VOICE: ("voice_text",),
    Channel.EMAIL: ("email_subject", "email_text"),
    Channel.PUSH: (),
}
#: Channels whose content is `Message.payload[<channel>]` rather than a text field.
_CHANNEL_PAYLOAD = (Channel.PUSH,)


def deliveries_enqueue(
    *, message: Message, recipients: Iterable[tuple[str, str, int | None]]
) -> int:
    """Write one queued delivery per (channel, address, participant id); returns how many.

    Must run inside the caller's transaction (the one that records the cause), so the outbox
    and the event commit together. The same address on the same channel is written once.
    Workers are woken on commit by a task on the message's lane.
    """
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError(
            "deliveries_enqueue must run inside the caller's transaction.atomic()"
        )
    now = clock.now()
    priority = LANE_PRIORITY[Lane(message.lane)]
    checked: set[str] = set()
    # (channel, address) -> participant id; the first mention of an address wins.
    rows: dict[tuple[str, str], int | None] = {}
    for channel, address, participant_id in recipients:
        if channel not in checked:
            if channel not in Channel.values:
                raise DispatchError(f"unknown channel {channel!r}", field="channel")
            for text_field in _CHANNEL_TEXT[Channel(channel)]:
                if not getattr(message, text_field):
                    raise DispatchError(f"the message has no {text_field}", field=text_field)
            if channel in _CHANNEL_PAYLOAD and not message.payload.get(channel):
                raise DispatchError(f"the message has no {channel} payload", field="payload")
            checked.add(channel)
        if not address:
            raise DispatchError("an address is required", field="address")
        rows.setdefault((channel, address), participant_id)
    if connection.vendor == "postgresql":
        _copy_deliveries(message_id=message.pk, priority=priority, rows=rows, now=now)
    else:
        Delivery.objects.bulk_create(
            [
                Delivery(
                    message_id=message.pk,
                    channel=channel,
                    priority=priority,
                    recipient_ref=participant_id,
                    address=address,
                    state=DeliveryState.QUEUED,
                    idempotency_key=delivery_key(message.pk, channel, address),
                    rank=rank,
                    next_attempt_at=now,
                    queued_at=now,
                )
                for rank, ((channel, address), participant_id) in enumerate(rows.items())
            ],
            batch_size=2000,
        )
    _wake_with_commit(lane=message.lane, channels=sorted(checked))
    log.info("deliveries_enqueued", message_id=message.pk, count=len(rows), lane=message.lane)
    return len(rows)


_COPY_COLUMNS = (
    "message_id",
    "channel",
    "priority",
    "recipient_ref",
    "address",
    "state",
    "provider_account",
    "pinned",
    "provider_message_id",
    "idempotency_key",
    "attempts",
    "next_attempt_at",
    "claimed_by",
    "error",
    "queued_at",
    "rank",
)


def _copy_deliveries(
    *, message_id: int, priority: int, rows: dict[tuple[str, str], int | None], now: dt.datetime
) -> None:
    """PostgreSQL COPY: tens of thousands of rows in a fraction of a second.

    The lines are written in COPY's text format by hand, a few thousand per write: psycopg's
    `write_row` adapts each of the 15 values one by one, which took 0.23 s of a 50,000-row
    fan-out's 0.65 s.
    """
    queued = DeliveryState.QUEUED.value
    at = now.isoformat()
    # Columns as _COPY_COLUMNS; empty strings, `f` (false) and 0 are the fixed ones.
    head = f"{message_id}\t"
    tail = f"\t{queued}\t\tf\t\t"
    middle = f"\t0\t{at}\t\t\t{at}\t"
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
        columns = ", ".join(_COPY_COLUMNS)
        with raw.copy(f"COPY dispatch_delivery ({columns}) FROM STDIN") as copy:
            lines: list[str] = []
            for rank, ((channel, address), participant_id) in enumerate(rows.items()):
                ref = "\\N" if participant_id is None else str(int(participant_id))
                lines.append(
                    f"{head}{_copy_text(channel)}\t{priority}\t{ref}\t{_copy_text(address)}"
                    f"{tail}{delivery_key(message_id, channel, address)}{middle}{rank}\n"
                )
                if len(lines) >= 5000:
                    copy.write("".join(lines))
                    lines.clear()
            if lines:
                copy.write("".join(lines))


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """`value` as a field of COPY's text format (backslash, tab and line ends escaped)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def wake_workers(*, lane: str, channels: Iterable[str]) -> None:
    """Enqueue drain tasks per channel on the lane's queue (a task only wakes a worker).

    DISPATCH_DRAIN_TASKS tasks per channel let that many workers drain side by side; a task
    that finds nothing left ends at once.
    """
    from burgernet.dispatch.tasks import drain_deliveries

    for channel in channels:
        for _ in range(settings.DISPATCH_DRAIN_TASKS):
            drain_deliveries.using(queue_name=lane).enqueue(channel=channel)


def _wake_with_commit(*, lane: str, channels: list[str]) -> None:
    """Wake workers when the caller's transaction commits, never before.

    With the database task queue the wake-up tasks are written inside the transaction (they
    commit or vanish with the deliveries, and the worker's LISTEN hears of them at commit);
    otherwise (Redis) they are enqueued on commit.
    """
    from burgernet.core.taskwake import enqueue_is_transactional

    if enqueue_is_transactional():
        wake_workers(lane=lane, channels=channels)
    else:
        transaction.on_commit(lambda: wake_workers(lane=lane, channels=channels))


def send_transactional(
    *,
    channel: str,
    address: str,
    text: str,
    subject: str = "",
    html: str = "",
    idempotency_key: str,
    lane: str = Lane.URGENT,
) -> Delivery:
    """Send one message to one address (sign-up codes and the like), at most once per key.

    Calling again with the same `idempotency_key` returns the existing delivery and sends
    nothing new.
    """
    if not idempotency_key:
        raise DispatchError("an idempotency key is required", field="idempotency_key")
    key = "tx-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    with transaction.atomic():
        existing = Delivery.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        texts: dict[str, str] = {}
        if channel == Channel.SMS:
            texts = {"sms_text": text}
        elif channel == Channel.VOICE:
            texts = {"voice_text": text}
        elif channel == Channel.EMAIL:
            texts = {"email_subject": subject, "email_text": text, "email_html": html}
        else:
            raise DispatchError(f"unknown channel {channel!r}", field="channel")
        if not text:
            raise DispatchError("a text is required", field="text")
        message = message_create(
            kind="transactional",
            lane=lane,
            sms_text=texts.get("sms_text", ""),
            voice_text=texts.get("voice_text", ""),
            email_subject=texts.get("email_subject", ""),
            email_text=texts.get("email_text", ""),
            email_html=texts.get("email_html", ""),
        )
        now = clock.now()
        delivery = Delivery.objects.create(
            message=message,
            channel=channel,
            priority=LANE_PRIORITY[Lane(lane)],
            address=address,
            idempotency_key=key,
            next_attempt_at=now,
            queued_at=now,
        )
        _wake_with_commit(lane=lane, channels=[channel])
    return delivery


# --- Claiming ---------------------------------------------------------------------------------


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# One statement, one round trip: lock the most urgent due rows nobody holds (SKIP LOCKED) and
# claim them, returning the claimed rows. The pick is a MATERIALIZED CTE: as `id IN (subquery)`
# the planner may rescan the LIMIT subquery and claim far more than `limit` rows (seen: 300
# for a limit of 20). Select, update and re-read took three round trips, and at 500 rows a
# batch the claim was 40 % of a worker's time in the fan-out benchmark. It returns what
# sending reads, not the timestamps: parsing four per row was a tenth of a worker's time
# (the model loads a left-out field on first access, so nothing breaks if one is read).
_POSTGRES_CLAIM = """
WITH picked AS MATERIALIZED (
    SELECT id FROM dispatch_delivery
    WHERE state = 'queued' AND channel = %s AND next_attempt_at <= %s
    ORDER BY priority, rank, id
    LIMIT %s
    FOR UPDATE SKIP LOCKED
)
UPDATE dispatch_delivery d SET
    state = 'claimed', claimed_by = %s, claimed_until = %s, claimed_at = %s,
    attempts = d.attempts + 1,
    provider_account = CASE WHEN d.provider_account = '' THEN %s ELSE d.provider_account END
FROM picked
WHERE d.id = picked.id
RETURNING d.id, d.message_id, d.channel, d.priority, d.recipient_ref, d.address, d.state,
    d.provider_account, d.pinned, d.provider_message_id, d.idempotency_key, d.attempts, d.rank,
    d.claimed_by, d.error, d.cost, d.segments
"""


def deliveries_claim(
    *, channel: str, limit: int, account: str = "", lease_seconds: float | None = None
) -> list[Delivery]:
    """Claim up to `limit` due deliveries of `channel`, most urgent first, under a lease.

    PostgreSQL: one `UPDATE … FROM (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`, so
    concurrent workers take disjoint batches without waiting. SQLite: the write transaction is
    exclusive (IMMEDIATE), and the UPDATE is conditional on the row still being queued. Each
    claim has its own token in `claimed_by`. Rows without an account get `account` (the one
    this batch will try first).
    """
    lease = lease_seconds if lease_seconds is not None else settings.DISPATCH_LEASE_SECONDS
    now = clock.now()
    token = f"{_worker_id()}:{uuid.uuid4().hex[:12]}"
    if connection.vendor == "postgresql":
        claimed = Delivery.objects.raw(
            _POSTGRES_CLAIM,
            [channel, now, limit, token, now + dt.timedelta(seconds=lease), now, account],
        )
        return sorted(claimed, key=lambda d: (d.priority, d.rank, d.pk))
    with transaction.atomic():
        due = Delivery.objects.filter(
            state=DeliveryState.QUEUED, channel=channel, next_attempt_at__lte=now
        ).order_by("priority", "rank", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Delivery.objects.filter(id__in=ids, state=DeliveryState.QUEUED).update(
            state=DeliveryState.CLAIMED,
            claimed_by=token,
            claimed_until=now + dt.timedelta(seconds=lease),
            claimed_at=now,
            attempts=F("attempts") + 1,
            provider_account=Case(
                When(provider_account="", then=Value(account)), default=F("provider_account")
            ),
        )
    # The rows are locked (PostgreSQL) or the writer is alone (SQLite): every id was claimed.
    # Re-reading by primary key keeps this independent of the table's size.
    return list(
        Delivery.objects.filter(id__in=ids, claimed_by=token, state=DeliveryState.CLAIMED).order_by(
            "priority", "rank", "id"
        )
    )


# --- Sending ----------------------------------------------------------------------------------


@dataclass
class _Health:
    """Per-process view of an account's health (circuit breaker)."""

    failures: int = 0
    down_until: float = 0.0


_health: dict[str, _Health] = defaultdict(_Health)
_adapters: dict[str, Adapter] = {}


def _adapter(account: ProviderAccount) -> Adapter:
    adapter = _adapters.get(account.name)
    if adapter is None or adapter.account != account:
        adapter = adapter_class(account.adapter)(account)
        _adapters[account.name] = adapter
    return adapter


def warm_adapter(account: ProviderAccount) -> None:
    """Build the account's adapter (and its HTTP client) now rather than at the first send."""
    _adapter(account)


def reset_provider_state() -> None:
    """Forget circuit breakers and cached adapters (configuration changed, tests)."""
    for adapter in _adapters.values():
        adapter.close()
    _adapters.clear()
    _health.clear()


def _account_order(accounts: list[ProviderAccount]) -> list[ProviderAccount]:
    """Healthy accounts in a weighted random order, then the ones whose circuit is open."""
    now = time.monotonic()

    def key(a: ProviderAccount) -> float:
        # Efraimidis–Spirakis weighted shuffle; weight 0 means standby (failover only).
        return random.random() ** (1 / a.weight) if a.weight > 0 else -1.0  # noqa: S311

    healthy = sorted((a for a in accounts if _health[a.name].down_until <= now), key=key)
    healthy.reverse()
    down = [a for a in accounts if _health[a.name].down_until > now]
    return healthy + down


def _mark_failure(account: ProviderAccount, error: ProviderError) -> None:
    health = _health[account.name]
    health.failures += 1
    cooldown = 0.0
    if error.retry_after:
        cooldown = error.retry_after
    elif error.down or not error.retryable or health.failures >= settings.DISPATCH_CIRCUIT_FAILURES:
        cooldown = settings.DISPATCH_CIRCUIT_COOLDOWN_SECONDS
    if cooldown:
        health.down_until = time.monotonic() + cooldown
    metrics.provider_errors.labels(account=account.name, kind=_error_kind(error)).inc()
    log.warning(
        "provider_error", account=account.name, error=error.reason, cooldown=cooldown or None
    )


def _error_kind(error: ProviderError) -> str:
    if error.down:
        return "down"
    if error.ambiguous:
        return "timeout"
    if error.reason.startswith("HTTP 429"):
        return "rate_limited"
    return "server_error" if error.retryable else "rejected"


def _mark_success(account: ProviderAccount) -> None:
    health = _health[account.name]
    health.failures = 0
    health.down_until = 0.0


@dataclass
class _Outcome:
    accepted: list[tuple[Delivery, ItemResult, ProviderAccount]] = field(default_factory=list)
    permanent: list[tuple[Delivery, str]] = field(default_factory=list)
    # (delivery, error, retry_after, sticky account name or "")
    retry: list[tuple[Delivery, str, float, str]] = field(default_factory=list)


def _item(delivery: Delivery, message: Message) -> OutgoingItem:
    if delivery.channel == Channel.EMAIL:
        # Per-recipient content (name, reply and unsubscribe links) from the message's owner.
        personal = personalize(delivery, message)
        if personal is not None:
            return OutgoingItem(
                delivery_id=delivery.pk,
                idempotency_key=delivery.idempotency_key,
                address=delivery.address,
                email_subject=personal.subject,
                email_html=personal.html,
                email_text=personal.text,
                email_headers=tuple(personal.headers.items()),
            )
    return OutgoingItem(
        delivery_id=delivery.pk,
        idempotency_key=delivery.idempotency_key,
        address=delivery.address,
        sms_text=message.sms_text,
        voice_text=message.voice_text,
        email_subject=message.email_subject,
        email_html=message.email_html,
        email_text=message.email_text,
        payload=message.payload,
    )


def _chunks(items: list[Delivery], size: int) -> Iterable[list[Delivery]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _try_accounts(
    deliveries: list[Delivery],
    accounts: list[ProviderAccount],
    messages: dict[int, Message],
    outcome: _Outcome,
    *,
    pinned: bool,
) -> None:
    """Send through the first account that takes them; fail over on unambiguous refusals.

    A refusal (connection refused, 5xx, 429, rejected batch) proves the account did not take
    the batch, so the next account may. A timeout proves nothing: those deliveries are pinned
    to the account and retried there only. Before the batch moves to another account the new
    account is written down, so a worker that dies during that request leaves it pinned right.
    """
    pending = deliveries
    last_error, retry_after = "no provider account for this channel", 0.0
    for position, account in enumerate(accounts):
        if not pending:
            return
        if position > 0:
            Delivery.objects.filter(id__in=[d.pk for d in pending]).update(
                provider_account=account.name
            )
        adapter = _adapter(account)
        failed_over: list[Delivery] = []
        for chunk in _chunks(pending, account.send_batch_size):
            wait = ratelimit.acquire(account, len(chunk))
            if wait > 0:
                time.sleep(wait)
            by_key = {d.idempotency_key: d for d in chunk}
            started = time.monotonic()
            try:
                results = adapter.send_batch([_item(d, messages[d.message_id]) for d in chunk])
            except ProviderError as exc:
                _mark_failure(account, exc)
                _collect(exc.partial, by_key, account, outcome)
                done = {r.idempotency_key for r in exc.partial}
                rest = [d for d in chunk if d.idempotency_key not in done]
                last_error, retry_after = exc.reason, exc.retry_after or 0.0
                # A refused request (even a 4xx: a wrong key, a suspended account) says
                # nothing about the recipients: only per-recipient rejections are permanent.
                # A timeout, or a pinned delivery: only this account may try again.
                if exc.ambiguous or pinned:
                    outcome.retry.extend((d, exc.reason, retry_after, account.name) for d in rest)
                else:
                    failed_over.extend(rest)
                continue
            metrics.batch_seconds.labels(account=account.name).observe(time.monotonic() - started)
            _mark_success(account)
            _collect(results, by_key, account, outcome)
        pending = failed_over
    outcome.retry.extend((d, last_error, retry_after, "") for d in pending)


def _collect(
    results: list[ItemResult],
    by_key: dict[str, Delivery],
    account: ProviderAccount,
    outcome: _Outcome,
) -> None:
    for result in results:
        delivery = by_key.get(result.idempotency_key)
        if delivery is None:
            continue
        if result.outcome == "accepted":
            outcome.accepted.append((delivery, result, account))
        elif result.outcome == "permanent":
            outcome.permanent.append((delivery, result.error or "rejected"))
        else:
            outcome.retry.append((delivery, result.error or "retry", result.retry_after or 0.0, ""))


def backoff_seconds(attempts: int, retry_after: float = 0.0) -> float:
    """Exponential backoff with jitter, never sooner than the provider's Retry-After.

    "Equal jitter": half the exponential step for sure, the other half random, so retries of
    one failed batch spread out but none comes back at once.
    """
    base = settings.DISPATCH_RETRY_BASE_SECONDS
    cap = settings.DISPATCH_RETRY_MAX_SECONDS
    step = min(cap, base * 2 ** max(0, attempts - 1))
    delay = step / 2 + random.uniform(0, step / 2)  # noqa: S311
    return max(delay, retry_after)


def deliveries_send_claimed(*, deliveries: list[Delivery]) -> int:
    """Hand claimed deliveries to the providers and record the outcome; returns accepted."""
    if not deliveries:
        return 0
    channel = deliveries[0].channel
    token = deliveries[0].claimed_by
    message_ids = {d.message_id for d in deliveries}
    messages = {m.pk: m for m in Message.objects.filter(pk__in=message_ids)}
    accounts = provider_accounts(channel)
    outcome = _Outcome()
    groups: dict[tuple[str, bool, bool], list[Delivery]] = defaultdict(list)
    for d in deliveries:
        exercise = messages[d.message_id].exercise
        known = provider_account(d.provider_account) if d.provider_account else None
        if known is None or known.channel != channel or (exercise and not known.exercise):
            groups[("", False, exercise)].append(d)
        else:
            groups[(known.name, d.pinned, exercise)].append(d)
    for (name, pinned, exercise), group in groups.items():
        usable = [a for a in accounts if a.exercise] if exercise else accounts
        if not usable:
            outcome.permanent.extend(
                (d, "exercise: no exercise provider account for this channel") for d in group
            )
            continue
        order = _account_order(usable)
        if name:
            first = next(a for a in usable if a.name == name)
            order = [first] if pinned else [first, *[a for a in order if a.name != name]]
        _try_accounts(group, order, messages, outcome, pinned=pinned)
    _record(outcome, token=token, messages=messages)
    _record_acknowledged(outcome, token=token)
    return len(outcome.accepted)


def _record_acknowledged(outcome: _Outcome, *, token: str) -> None:
    """Deliveries the recipient itself acknowledged (a partner webhook's 2xx) are delivered."""
    ids = [d.pk for d, result, _ in outcome.accepted if result.delivered]
    if ids:
        Delivery.objects.filter(id__in=ids, claimed_by=token, state=DeliveryState.SENT).update(
            state=DeliveryState.DELIVERED, delivered_at=clock.now()
        )


def _update_from_values(
    *,
    columns: list[tuple[str, str]],
    rows: list[tuple[Any, ...]],
    set_sql: str,
    set_params: list[Any],
    token: str,
    only_claimed: bool,
) -> None:
    """One `UPDATE dispatch_delivery … FROM <per-row values>` statement for a whole batch.

    `columns` are (name, PostgreSQL type) of the per-row values, the first the delivery id;
    `set_sql` refers to them as `v.<name>`. PostgreSQL gets one array per column (`unnest`:
    a handful of parameters, and the planner joins on the primary key); SQLite a VALUES list.
    Only rows still held by claim `token` change (with `only_claimed`, only while still
    claimed), so a claim the sweeper took back is left alone. (Django's bulk_update builds a
    CASE per row and field: 30× slower here.)
    """
    names = ", ".join(name for name, _ in columns)
    guard = " AND dispatch_delivery.state = 'claimed'" if only_claimed else ""
    where = (
        f"WHERE dispatch_delivery.id = v.{columns[0][0]} "
        f"AND dispatch_delivery.claimed_by = %s{guard}"
    )
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{sql_type}[]" for _, sql_type in columns)
        # Identifiers and SQL are ours; every value is a parameter.
        sql = f"UPDATE dispatch_delivery SET {set_sql} FROM unnest({arrays}) AS v({names}) {where}"  # noqa: S608
        params: list[Any] = [*set_params, *(list(col) for col in zip(*rows, strict=True)), token]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(chunk))
        sql = (
            f"WITH v({names}) AS (VALUES {placeholders}) "  # noqa: S608
            f"UPDATE dispatch_delivery SET {set_sql} FROM v {where}"
        )
        params = [value for row in chunk for value in row]
        params += [*set_params, token]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _ts(value: dt.datetime) -> object:
    return connection.ops.adapt_datetimefield_value(value)


def _record(outcome: _Outcome, *, token: str, messages: dict[int, Message]) -> None:
    """One set-based write per kind of outcome, guarded by the claim token."""
    now = clock.now()
    mine = Delivery.objects.filter(claimed_by=token)
    timestamp = "timestamptz" if connection.vendor == "postgresql" else "text"
    if outcome.accepted:
        rows: list[tuple[Any, ...]] = []
        for delivery, result, account in outcome.accepted:
            segments = result.segments
            if segments is None and delivery.channel == Channel.SMS:
                segments = sms_segments(messages[delivery.message_id].sms_text)[1]
            cost = result.cost
            if cost is None:
                cost = account.price * (segments or 1)
            rows.append(
                (
                    delivery.pk,
                    account.name,
                    result.provider_message_id,
                    str(cost.quantize(Decimal("0.0001"))),
                    segments,
                )
            )
            metrics.deliveries_sent.labels(channel=delivery.channel, account=account.name).inc()
        # A receipt may have beaten us to it: keep its state and its provider id.
        _update_from_values(
            columns=[
                ("v_id", "bigint"),
                ("v_account", "text"),
                ("v_pid", "text"),
                ("v_cost", "numeric"),
                ("v_segments", "integer"),
            ],
            rows=rows,
            set_sql=(
                "provider_account = v.v_account, "
                "provider_message_id = CASE WHEN dispatch_delivery.provider_message_id = '' "
                "THEN v.v_pid ELSE dispatch_delivery.provider_message_id END, "
                "cost = CAST(v.v_cost AS numeric), segments = CAST(v.v_segments AS integer), "
                f"sent_at = CAST(%s AS {timestamp}), claimed_until = NULL, pinned = false, "
                "error = '', state = CASE WHEN dispatch_delivery.state = 'claimed' "
                "THEN 'sent' ELSE dispatch_delivery.state END"
            ),
            set_params=[str(_ts(now))],
            token=token,
            only_claimed=False,
        )
    if outcome.accepted:
        log.info(
            "deliveries_sent",
            count=len(outcome.accepted),
            accounts=sorted({account.name for _, _, account in outcome.accepted}),
            message_ids=sorted({d.message_id for d, _, _ in outcome.accepted}),
            first_delivery_id=outcome.accepted[0][0].pk,
            last_delivery_id=outcome.accepted[-1][0].pk,
        )
    by_error: dict[str, list[int]] = defaultdict(list)
    for delivery, error in outcome.permanent:
        by_error[error[:500]].append(delivery.pk)
    for error, ids in by_error.items():
        mine.filter(id__in=ids, state=DeliveryState.CLAIMED).update(
            state=DeliveryState.UNDELIVERABLE, error=error, failed_at=now, claimed_until=None
        )
        log.info("deliveries_undeliverable", count=len(ids), error=error, delivery_ids=ids[:20])
    if outcome.retry:
        requeue: list[tuple[Any, ...]] = []
        failed: dict[str, list[int]] = defaultdict(list)
        for delivery, error, retry_after, pin_account in outcome.retry:
            if delivery.attempts >= settings.DISPATCH_MAX_ATTEMPTS:
                failed[error[:500]].append(delivery.pk)
                continue
            next_at = now + dt.timedelta(seconds=backoff_seconds(delivery.attempts, retry_after))
            # Pinned to the account that may have it; otherwise free to go anywhere next time.
            requeue.append((delivery.pk, str(_ts(next_at)), error[:500], pin_account))
        if requeue:
            log.info(
                "deliveries_retry",
                count=len(requeue),
                error=requeue[0][2],
                delivery_ids=[row[0] for row in requeue[:20]],
            )
        if requeue:
            _update_from_values(
                columns=[
                    ("v_id", "bigint"),
                    ("v_next", "timestamptz"),
                    ("v_error", "text"),
                    ("v_account", "text"),
                ],
                rows=requeue,
                set_sql=(
                    f"state = 'queued', next_attempt_at = CAST(v.v_next AS {timestamp}), "
                    "error = v.v_error, provider_account = v.v_account, "
                    "pinned = (v.v_account <> ''), claimed_by = '', claimed_until = NULL"
                ),
                set_params=[],
                token=token,
                only_claimed=True,
            )
        for error, ids in failed.items():
            mine.filter(id__in=ids, state=DeliveryState.CLAIMED).update(
                state=DeliveryState.FAILED, error=error, failed_at=now, claimed_until=None
            )
            log.warning("deliveries_failed", count=len(ids), error=error, delivery_ids=ids[:20])


FIRST_BATCH = 50


#: Channels to partner systems and broadcast targets, not to people: their drains do not wait
#: for retries (see `deliveries_drain`).
UNHURRIED_CHANNELS = frozenset({Channel.WEBHOOK.value, Channel.BROADCAST.value})


def deliveries_drain(
    *, channel: str, max_seconds: float | None = None, wait_for_retries: bool | None = None
) -> int:
    """Claim and send batches of `channel` until nothing is due; returns how many were accepted.

    With `wait_for_retries` it also waits for retries due within DISPATCH_DRAIN_WAIT_SECONDS,
    so a burst of provider errors does not wait for the sweeper. By default only channels that
    reach people wait: a partner system or broadcast target that is down must not hold the
    worker that the next action's SMS is queued behind (their retries come with the sweeper).
    """
    if wait_for_retries is None:
        wait_for_retries = channel not in UNHURRIED_CHANNELS
    started = time.monotonic()
    accepted = 0
    accounts = provider_accounts(channel)
    rate_limited = any(a.rate_per_second > 0 for a in accounts)
    while True:
        order = _account_order(accounts)
        if rate_limited and len(order) > 1:
            # The batch goes to the account that can take it soonest, so no worker queues
            # behind a busy account while another has tokens; of those ready now, the one
            # with the fullest bucket (whose tokens would be lost first: at the start, an
            # account nobody has used yet), then the weighted order.
            ready = ratelimit.readiness(order)
            rank = {a.name: i for i, a in enumerate(order)}
            order.sort(
                key=lambda a: (
                    round(ready[a.name][0], 2),
                    -round(ready[a.name][1], 1),
                    rank[a.name],
                )
            )
        first = order[0] if order else None
        limit = first.send_batch_size if first else 100
        if accepted == 0:
            # A small first batch: the first messages of an alert go out a few ms sooner.
            limit = min(limit, FIRST_BATCH)
        claimed = deliveries_claim(
            channel=channel,
            limit=limit,
            account=first.name if first else "",
        )
        if claimed:
            accepted += deliveries_send_claimed(deliveries=claimed)
        else:
            if not wait_for_retries:
                break
            upcoming = Delivery.objects.filter(
                state=DeliveryState.QUEUED, channel=channel
            ).aggregate(at=Min("next_attempt_at"))["at"]
            if upcoming is None:
                break
            delay = (upcoming - clock.now()).total_seconds()
            if delay > settings.DISPATCH_DRAIN_WAIT_SECONDS:
                break
            time.sleep(min(max(delay, 0.01), 1.0))
        if max_seconds is not None and time.monotonic() - started > max_seconds:
            break
    return accepted


# --- Sweeper ----------------------------------------------------------------------------------


STALE_AFTER = dt.timedelta(seconds=5)


def deliveries_sweep() -> int:
    """Put deliveries whose claim expired (a worker died) back in the queue; wake workers.

    Returns how many were re-queued. The idempotency key makes the second send safe: a provider
    that already accepted it answers with the first result and sends nothing.
    """
    now = clock.now()
    requeued = Delivery.objects.filter(state=DeliveryState.CLAIMED, claimed_until__lt=now).update(
        state=DeliveryState.QUEUED,
        claimed_by="",
        claimed_until=None,
        next_attempt_at=now,
        # The dead worker may have handed them over: only the same account may try again.
        pinned=True,
        error="claim expired",
    )
    if requeued:
        log.warning("deliveries_requeued", count=requeued)
    # Due rows nobody picked up for a while (retries past the drain's wait, lost wake-ups),
    # or anything due right after taking claims back. Rows that only just became due are left
    # to the workers already draining, so a long fan-out does not pile up wake-up tasks.
    due_before = now if requeued else now - STALE_AFTER
    due = (
        Delivery.objects.filter(state=DeliveryState.QUEUED, next_attempt_at__lte=due_before)
        .values_list("channel", "priority")
        .distinct()
    )
    lanes = {v: k for k, v in LANE_PRIORITY.items()}
    for channel, priority in set(due):
        wake_workers(lane=lanes.get(priority, Lane.DEFAULT), channels=[channel])
    return requeued


# --- Receipts and inbound ---------------------------------------------------------------------

RECEIPT_STATES = {
    "sent": DeliveryState.SENT,
    "queued": DeliveryState.SENT,
    "accepted": DeliveryState.SENT,
    "sending": DeliveryState.SENT,
    "ringing": DeliveryState.SENT,
    "in-progress": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "completed": DeliveryState.DELIVERED,
    "answered": DeliveryState.DELIVERED,
    "failed": DeliveryState.FAILED,
    "busy": DeliveryState.FAILED,
    "no-answer": DeliveryState.FAILED,
    "canceled": DeliveryState.FAILED,
    "undelivered": DeliveryState.UNDELIVERABLE,
    "undeliverable": DeliveryState.UNDELIVERABLE,
}


def delivery_receipt_apply(
    *,
    status: str,
    idempotency_key: str = "",
    provider_message_id: str = "",
    error: str = "",
) -> bool:
    """Move a delivery forward on a provider receipt; returns whether anything changed.

    Idempotent and order-proof: a state only moves to a higher rank (a late "sent" never
    overwrites "delivered"), a duplicate changes nothing.
    """
    new_state = RECEIPT_STATES.get(status.lower())
    if new_state is None or not (idempotency_key or provider_message_id):
        return False
    lower = [s for s, rank in STATE_RANK.items() if rank < STATE_RANK[new_state]]
    qs = Delivery.objects.filter(state__in=lower)
    if idempotency_key:
        qs = qs.filter(idempotency_key=idempotency_key)
    else:
        qs = qs.filter(provider_message_id=provider_message_id)
    now = clock.now()
    changes: dict[str, object] = {"state": new_state}
    if provider_message_id:
        changes["provider_message_id"] = provider_message_id
    if new_state == DeliveryState.DELIVERED:
        changes["delivered_at"] = now
    elif new_state in (DeliveryState.FAILED, DeliveryState.UNDELIVERABLE):
        changes["failed_at"] = now
        changes["error"] = error[:500] or status
    changed = qs.update(**changes) > 0
    metrics.receipts.labels(status=new_state, applied=str(changed).lower()).inc()
    return changed


def inbound_record(
    *,
    kind: str,
    account: str,
    provider_message_id: str,
    from_e164: str,
    text: str = "",
    routed_to: str = "",
) -> tuple[InboundMessage, bool]:
    """Record an SMS reply or an incoming call once per provider id; (record, created)."""
    from burgernet.dispatch.signing import phone_hash

    return InboundMessage.objects.get_or_create(
        provider_message_id=provider_message_id,
        defaults={
            "kind": kind,
            "provider_account": account,
            "from_hash": phone_hash(from_e164),
            "text": text,
            "routed_to": routed_to,
            "received_at": clock.now(),
        },
    )


def messages_redact(*, source_type: str, source_id: str) -> int:
    """Remove the personal data from one owner's messages and deliveries when its retention
    has ended (e.g. an action's dossier purge): texts and push payloads, addresses, participant
    references, provider ids and errors; the idempotency key (a hash of the address) is
    replaced as retention does (`_blank_changes`). Channel, state, times, cost and segments
    stay, so cost figures survive.
    Deliveries still queued are failed first. Runs in the caller's transaction; returns the
    number of deliveries redacted."""
    messages = Message.objects.filter(source_type=source_type, source_id=source_id)
    deliveries = Delivery.objects.filter(message__in=messages.values("pk"))
    now = clock.now()
    deliveries.filter(state__in=(DeliveryState.QUEUED, DeliveryState.CLAIMED)).update(
        state=DeliveryState.FAILED, failed_at=now
    )
    count = deliveries.update(
        **{
            **_blank_changes(),
            "error": "",
            "recipient_ref": None,
            "provider_message_id": "",
            "claimed_by": "",
        }
    )
    messages.update(
        sms_text="", voice_text="", email_subject="", email_html="", email_text="", payload={}
    )
    log.info("dispatch.messages_redacted", source_type=source_type, source_id=source_id, n=count)
    return count


# --- Retention and erasure (ADR 0038) ----------------------------------------------------------

# A `sent` delivery whose receipt never came is as settled as a final one once it is this old.
SETTLED_STATES = (*FINAL_STATES, DeliveryState.SENT)
BLANK_BATCH = 2000


def _blank_changes() -> dict[str, Any]:
    """The address goes, and with it every copy of it: the idempotency key (a hash of message,
    channel and address that a search over all phone numbers would undo) becomes a key made of
    the row id, and the address is cut out of the provider's error text. Channel, state, cost,
    segments, provider id and timestamps stay for the figures."""
    return {
        "address": "",
        "idempotency_key": Concat(Value("blanked:"), Cast("id", output_field=CharField())),
        # REPLACE(error, address, ''): the same function on PostgreSQL and SQLite.
        "error": Func(
            F("error"), F("address"), Value(""), function="REPLACE", output_field=TextField()
        ),
    }


def deliveries_blank_expired(*, older_than_days: int | None = None) -> int:
    """Blank the address of every settled delivery (delivered, failed, undeliverable, or sent
    without a receipt) settled more than `older_than_days` (DELIVERY_RETENTION_DAYS) ago.
    Queued and claimed rows are never touched. Idempotent; returns how many were blanked."""
    days = settings.DELIVERY_RETENTION_DAYS if older_than_days is None else older_than_days
    if days < 0:
        raise DispatchError("must be 0 or more", field="older_than_days")
    cutoff = clock.now() - dt.timedelta(days=days)
    expired = (
        Delivery.objects.filter(state__in=SETTLED_STATES)
        .exclude(address="")
        .alias(settled_at=Coalesce("delivered_at", "failed_at", "sent_at", "queued_at"))
        .filter(settled_at__lt=cutoff)
    )
    blanked = 0
    while True:
        # Short transactions: a few thousand rows at a time, so workers are never held up.
        ids = list(expired.order_by("id").values_list("id", flat=True)[:BLANK_BATCH])
        if not ids:
            break
        with transaction.atomic():
            blanked += Delivery.objects.filter(id__in=ids).update(**_blank_changes())
    log.info("deliveries_blanked_expired", count=blanked, older_than_days=days)
    return blanked


def inbound_purge_expired(*, older_than_days: int | None = None) -> int:
    """Delete inbound SMS/call records received more than `older_than_days`
    (INBOUND_RETENTION_DAYS) ago, a few thousand per transaction. Idempotent; returns how many.
    A provider retrying a webhook that old is not expected: the record only de-duplicates."""
    days = settings.INBOUND_RETENTION_DAYS if older_than_days is None else older_than_days
    if days < 0:
        raise DispatchError("must be 0 or more", field="older_than_days")
    expired = InboundMessage.objects.filter(received_at__lt=clock.now() - dt.timedelta(days=days))
    deleted = delete_in_batches(expired, batch=BLANK_BATCH)
    log.info("inbound_purged_expired", count=deleted, older_than_days=days)
    return deleted


def inbound_forget_numbers(*, e164s: Iterable[str]) -> int:
    """Erasure: delete the inbound records of these numbers (matched by their keyed hash)."""
    from burgernet.dispatch.signing import phone_hash

    hashes = [phone_hash(e164) for e164 in e164s if e164]
    if not hashes:
        return 0
    return InboundMessage.objects.filter(from_hash__in=hashes).delete()[0]


def deliveries_blank_for_recipient(*, recipient_ref: int, addresses: Iterable[str] = ()) -> int:
    """Erase one participant's addresses from the outbox (their sign-off): every delivery to
    `recipient_ref`, or to one of `addresses` (their numbers and e-mail addresses: one-off
    messages such as sign-up codes carry no participant id), is blanked, and those not yet
    handed to a provider are cancelled (failed, "erased"). Runs inside the caller's
    transaction when there is one; returns how many were blanked."""
    now = clock.now()
    wanted = Q(recipient_ref=recipient_ref)
    known = sorted({a for a in addresses if a})
    if known:
        wanted |= Q(address__in=known)
    with transaction.atomic():
        mine = Delivery.objects.filter(wanted)
        mine.filter(state__in=(DeliveryState.QUEUED, DeliveryState.CLAIMED)).update(
            state=DeliveryState.FAILED, error="erased", failed_at=now, claimed_until=None
        )
        blanked = mine.filter(~Q(address="")).update(**_blank_changes())
    log.info("deliveries_blanked_for_recipient", participant_id=recipient_ref, count=blanked)
    return blanked

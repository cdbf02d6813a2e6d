"""The outbox: messages and their deliveries, one row per recipient × channel × message.

The database is the source of truth for everything sent. A `Delivery` moves through
queued → claimed → sent → delivered | failed | undeliverable; workers claim batches with a lease
(`claimed_until`) and a sweeper puts expired claims back in the queue, so a killed worker loses
nothing. `idempotency_key` is unique and goes to the provider, so a retry never sends twice.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Lane(models.TextChoices):
    """Task queue of a message; `urgent` (actions) is always served before the others."""

    URGENT = "urgent", _("urgent")
    DEFAULT = "default", _("default")
    BULK = "bulk", _("bulk")


LANE_PRIORITY = {Lane.URGENT: 0, Lane.DEFAULT: 1, Lane.BULK: 2}


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    VOICE = "voice", _("voice call")
    EMAIL = "email", _("e-mail")
    # One delivery per app subscription (address "sub:<id>"), per Apprise target and per
    # partner webhook (address: the configured target's name).
    PUSH = "push", _("app push")
    BROADCAST = "broadcast", _("broadcast")
    WEBHOOK = "webhook", _("partner webhook")


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("queued")
    CLAIMED = "claimed", _("claimed")
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")
    UNDELIVERABLE = "undeliverable", _("undeliverable")


# A receipt may only move a delivery forward: a late "sent" never overwrites "delivered".
STATE_RANK = {
    DeliveryState.QUEUED: 0,
    DeliveryState.CLAIMED: 1,
    DeliveryState.SENT: 2,
    DeliveryState.DELIVERED: 3,
    DeliveryState.FAILED: 3,
    DeliveryState.UNDELIVERABLE: 3,
}
FINAL_STATES = (DeliveryState.DELIVERED, DeliveryState.FAILED, DeliveryState.UNDELIVERABLE)


class Message(models.Model):
    """What is sent: one text per channel, owned by an action, mailing or one-off sender."""

    kind = models.CharField(max_length=40)
    lane = models.CharField(max_length=10, choices=Lane.choices, default=Lane.DEFAULT)
    sms_text = models.TextField(blank=True)
    voice_text = models.TextField(blank=True)
    email_subject = models.CharField(max_length=300, blank=True)
    email_html = models.TextField(blank=True)
    email_text = models.TextField(blank=True)
    # Structured content of the channels that carry data rather than text: the app push
    # payload, the partner webhook event, the broadcast title.
    payload = models.JSONField(default=dict, blank=True)
    # Generic reference to the owner (e.g. "action", "42"): dispatch knows no other app.
    source_type = models.CharField(max_length=40, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    # Exercise messages go only to accounts marked `exercise` (test peers such as the mock).
    exercise = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["source_type", "source_id"], name="dispatch_msg_source")]

    def __str__(self) -> str:
        return f"message {self.pk} ({self.kind})"


class Delivery(models.Model):
    """One message to one address over one channel (the outbox row)."""

    # Indexed by the progress index, which starts with it.
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # 0 urgent, 1 default, 2 bulk: copied from the message so claims sort on one index.
    priority = models.PositiveSmallIntegerField(default=1)
    recipient_ref = models.BigIntegerField(null=True, blank=True)  # participant id, if any
    address = models.CharField(max_length=254)  # E.164 or e-mail address
    state = models.CharField(
        max_length=14, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    # While queued/claimed: the account this delivery goes to first. `pinned` means that
    # account may already have it (a timeout, or a worker that died mid-request), so it may
    # go nowhere else: only that account's idempotency check makes a resend safe.
    provider_account = models.CharField(max_length=64, blank=True)
    pinned = models.BooleanField(default=False)
    provider_message_id = models.CharField(max_length=128, blank=True)
    # Unique through Meta.constraints: `unique=True` on a CharField also gets PostgreSQL a
    # second, `varchar_pattern_ops` index for LIKE queries, which none of ours makes and every
    # insert and state change pays for (≈0.1 s per 50,000-row fan-out).
    idempotency_key = models.CharField(max_length=64)
    attempts = models.PositiveIntegerField(default=0)
    # Position within its message's fan-out (0 = first: the recipients come nearest first).
    # Claims take the lowest ranks of all messages of a lane first, so a new action's first
    # SMS do not wait behind the rest of a big fan-out that is still draining (ADR 0087).
    rank = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=80, blank=True)
    error = models.TextField(blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    segments = models.PositiveSmallIntegerField(null=True, blank=True)
    queued_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        # Every state change writes a new row version into every index, so there are few, and
        # the claim and lease indexes are partial: they only hold the rows they look for.
        indexes = [
            # The claim query: queued rows of a channel, most urgent lane first, then the lowest
            # rank across messages (ADR 0087). It ends in id like the ORDER BY, or a claim would
            # sort every row of a big fan-out to find the first 500; next_attempt_at is
            # checked on the index entry.
            models.Index(
                fields=["channel", "priority", "rank", "id"],
                include=["next_attempt_at"],
                name="dispatch_delivery_claim_fair",
                condition=models.Q(state="queued"),
            ),
            # The sweeper: claims whose lease ran out.
            models.Index(
                fields=["claimed_until"],
                name="dispatch_delivery_lease",
                condition=models.Q(state="claimed"),
            ),
            # Progress per message and channel.
            models.Index(fields=["message", "channel", "state"], name="dispatch_delivery_progress"),
            models.Index(fields=["provider_message_id"], name="dispatch_delivery_provider_id"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="dispatch_delivery_key_unique")
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.channel}, {self.state})"


class RateBucket(models.Model):
    """Token bucket of one provider account, shared by every worker (database limiter)."""

    account = models.CharField(max_length=64, primary_key=True)
    tokens = models.FloatField()
    updated_at = models.FloatField()  # seconds since the epoch; float keeps the refill exact

    def __str__(self) -> str:
        return f"bucket {self.account}"


class InboundMessage(models.Model):
    """An SMS reply or incoming call as the provider reported it (once per provider id)."""

    class Kind(models.TextChoices):
        SMS = "sms", _("SMS reply")
        CALL = "call", _("incoming call")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    provider_account = models.CharField(max_length=64)
    provider_message_id = models.CharField(max_length=128, unique=True)
    from_hash = models.CharField(max_length=64, db_index=True)
    text = models.TextField(blank=True)
    routed_to = models.CharField(max_length=32, blank=True)
    received_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"inbound {self.kind} {self.pk}"

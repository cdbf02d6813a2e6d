"""Daily aggregates behind the dashboard: one row per organisation and day, rebuilt by
`services.aggregates_rebuild`. No personal data: counts only."""

from __future__ import annotations

from django.db import models


class DailyFigure(models.Model):
    """The figures of one organisation on one day.

    For a municipality: its participants at the end of the day (with a place inside its
    boundary), sign-ups and sign-offs that day, and the actions started that day whose area
    touched it. For a dispatch centre: the actions it started that day (participant fields 0).
    For every organisation that sends Burgernetmail (municipalities, basic teams): the
    mailings it sent that day.
    Police-unit and national figures are sums over these rows, so nothing is counted twice.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="daily_figures"
    )
    day = models.DateField()
    participants = models.PositiveIntegerField(default=0)
    # {"voice": n, "sms": n, "email": n}: participants reachable on that channel.
    participants_by_channel = models.JSONField(default=dict)
    # {"web": n, "paper": n, ...}: participants by how they signed up.
    participants_by_source = models.JSONField(default=dict)
    signups = models.PositiveIntegerField(default=0)
    signoffs = models.PositiveIntegerField(default=0)
    # {"missing_child": n, ...}: actions started that day (exercises left out).
    actions_by_type = models.JSONField(default=dict)
    actions_total = models.PositiveIntegerField(default=0)
    actions_responded = models.PositiveIntegerField(default=0)
    actions_succeeded = models.PositiveIntegerField(default=0)
    # Seconds from start to first response, one entry per responded action (exact medians
    # over any period; ~670 actions a month nationally keeps this small).
    first_response_seconds = models.JSONField(default=list)
    # {"found": n, ...}
    outcomes = models.JSONField(default=dict)
    recipients = models.PositiveIntegerField(default=0)
    responses = models.PositiveIntegerField(default=0)
    # Message costs of the day (deliveries handed to a provider that day, of actions counted
    # as above): {"sms": euro, ...} and {"sms": deliveries, ...}. Empty without dispatch.
    costs_by_channel = models.JSONField(default=dict)
    deliveries_by_channel = models.JSONField(default=dict)
    # Burgernetmail sent by this organisation (municipality or basic team) that day, with what
    # is known of it now (replies and bounces keep coming in for a while, see ADR 0072):
    mailings_sent = models.PositiveIntegerField(default=0)
    mailings_by_kind = models.JSONField(default=dict)  # {"inquiry": n, ...}
    mail_recipients = models.PositiveIntegerField(default=0)
    mail_delivered = models.PositiveIntegerField(default=0)  # handed over, no bounce
    mail_bounced = models.PositiveIntegerField(default=0)  # refused, or a bounce report
    # Mailings with a reply button and their recipients: the denominators of the reply rates.
    mailings_reply_enabled = models.PositiveIntegerField(default=0)
    mail_recipients_reply_enabled = models.PositiveIntegerField(default=0)
    mail_replies = models.PositiveIntegerField(default=0)
    mailings_replied = models.PositiveIntegerField(default=0)  # with at least one reply
    # Municipality rows: participants with a place there who unsubscribed that day.
    mail_unsubscribes = models.PositiveIntegerField(default=0)
    # {"<h3 r7 cell as hex>": participants} inside the municipality (latest days only).
    cells_r7 = models.JSONField(default=dict)
    rebuilt_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "day"], name="dashboard_daily_unique")
        ]
        indexes = [models.Index(fields=["day", "organisation"])]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.day}"

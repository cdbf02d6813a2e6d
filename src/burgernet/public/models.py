"""App subscriptions: anonymous push subscribers and the coarse cells they want alerts for.

Privacy by design: no account, no name, no precise position and no history. A subscription
keeps only the push endpoint and keys, the resolution-6 H3 cells (~36 km², about a district)
of the places it watches (overwritten on every update), languages and quiet hours. It expires
30 days after the app last refreshed it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppSubscription(models.Model):
    endpoint = models.URLField(_("push endpoint"), max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    languages = models.JSONField(_("languages"), default=list)
    # Do-not-disturb for non-urgent messages, local (Europe/Amsterdam) wall-clock times.
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    created_at = models.DateTimeField()
    refreshed_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("app subscription")

    def __str__(self) -> str:
        return f"app subscription {self.pk}"


class AppSubscriptionCell(models.Model):
    """One coarse (H3 resolution 6) cell a subscription watches; the index push looks up."""

    subscription = models.ForeignKey(
        AppSubscription, on_delete=models.CASCADE, related_name="cells"
    )
    cell = models.BigIntegerField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "cell"], name="public_subcell_unique")
        ]

    def __str__(self) -> str:
        return f"{self.cell:x}"

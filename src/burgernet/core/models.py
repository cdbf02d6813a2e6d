"""Shared models: the access log of personal data views."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessLogEntry(models.Model):
    """One view of a participant's personal data by a staff member (AVG accountability).

    `participant_id` is deliberately not a foreign key: the log must outlive an erased
    participant, and it holds no personal data itself.
    """

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    participant_id = models.BigIntegerField(db_index=True)
    at = models.DateTimeField(db_index=True)
    why = models.CharField(_("reason"), max_length=200)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("access log entry")

    def __str__(self) -> str:
        return (
            f"{self.staff_id} viewed participant {self.participant_id} at {self.at:%Y-%m-%d %H:%M}"
        )

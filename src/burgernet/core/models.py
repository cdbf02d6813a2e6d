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


class ScheduledRun(models.Model):
    """One slot of a periodic job that a scheduler claimed (and enqueued the task for).

    Unique per (job, slot): two scheduler processes can never both enqueue the same slot.
    """

    job = models.CharField(max_length=100)
    slot = models.DateTimeField()
    claimed_at = models.DateTimeField()
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="core_scheduledrun_once_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.job} at {self.slot:%Y-%m-%d %H:%M}"

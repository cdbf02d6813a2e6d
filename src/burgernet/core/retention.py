"""Retention of the staff access log (who viewed which participant's data, when and why)."""

from __future__ import annotations

import datetime as dt

import structlog
from django.conf import settings

from burgernet.core import clock
from burgernet.core.db import delete_in_batches
from burgernet.core.models import AccessLogEntry

log = structlog.get_logger(__name__)


def access_log_purge_expired(*, older_than_days: int | None = None) -> int:
    """Delete entries older than `older_than_days` (ACCESS_LOG_RETENTION_DAYS), a few thousand
    per transaction. Idempotent; returns how many were deleted."""
    days = settings.ACCESS_LOG_RETENTION_DAYS if older_than_days is None else older_than_days
    if days < 0:
        raise ValueError("older_than_days must be 0 or more")
    expired = AccessLogEntry.objects.filter(at__lt=clock.now() - dt.timedelta(days=days))
    deleted = delete_in_batches(expired)
    log.info("access_log_purged_expired", count=deleted, older_than_days=days)
    return deleted

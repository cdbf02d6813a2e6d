"""Database helpers shared by commands and retention jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet


def describe_database() -> str:
    """The configured database without its password, for messages."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite file {db['NAME']}"
    user = f"{db.get('USER')}@" if db.get("USER") else ""
    engine = db["ENGINE"].rsplit(".", 1)[-1]
    return f"{engine}://{user}{db.get('HOST')}:{db.get('PORT') or ''}/{db['NAME']}"


def require_database() -> None:
    """Fail with one clear line when the database cannot be reached."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3") and str(db["NAME"]) != ":memory:":
        # A fresh checkout has no var/ yet; SQLite creates the file but not its directory.
        Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    try:
        connection.ensure_connection()
    except OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CommandError(f"cannot reach the database {describe_database()}: {reason}") from None


def describe_redis(url: str) -> str:
    """A Redis URL without its password, for messages."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"


def require_redis() -> None:
    """Fail with one clear line when the RQ backend's Redis cannot be reached."""
    import redis

    url = settings.REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except (redis.RedisError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CommandError(
            f"cannot reach Redis {describe_redis(url)} (REDIS_URL): {reason}"
        ) from None


def delete_in_batches(queryset: QuerySet[Any], *, batch: int = 5_000) -> int:
    """Delete what `queryset` selects, `batch` rows per transaction (oldest ids first), so a
    retention job never holds a long lock over a busy table. Returns how many were deleted."""
    deleted = 0
    while ids := list(queryset.order_by("id").values_list("id", flat=True)[:batch]):
        with transaction.atomic():
            deleted += queryset.model.objects.filter(id__in=ids).delete()[0]
    return deleted

"""Database helpers shared by commands."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError
from django.db import OperationalError, connection


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
    try:
        connection.ensure_connection()
    except OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CommandError(f"cannot reach the database {describe_database()}: {reason}") from None

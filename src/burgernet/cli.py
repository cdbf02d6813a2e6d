"""The `burgernet` console command: Django's manage.py with our own commands on top.

    burgernet serve       migrate, load demo data on first run (demo mode), start web + workers
    burgernet worker      run a task worker (database or RQ backend, from TASKS_BACKEND)
    burgernet demo        build demo data (`--participants N` scales it)
    burgernet <django management command> ...

Configuration errors and an unreachable database end the command with one clear line.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "burgernet.settings")
    from django.core.exceptions import ImproperlyConfigured

    from burgernet.core.config import ConfigError

    try:
        import django

        django.setup()
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except (ImproperlyConfigured, ConfigError) as exc:
        sys.stderr.write(f"burgernet: configuration error: {exc}\n")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        from django.db import OperationalError

        if isinstance(exc, OperationalError):
            from burgernet.core.db import describe_database

            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            sys.stderr.write(
                f"burgernet: cannot use the database {describe_database()}: {reason}\n"
            )
            sys.exit(2)
        raise


if __name__ == "__main__":
    main()

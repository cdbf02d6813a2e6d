"""Burgernet settings: one module, configured from the environment.

The embedded default (no environment at all, `DEMO_MODE=1` as `make run` sets it) runs on a
SQLite file under `var/`, the database task backend and the mock providers. At scale the same
module reads `DATABASE_URL`, `TASKS_BACKEND=rq`, `REDIS_URL` and provider credentials; see
docs/configuration.md for every variable.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from burgernet.core.config import config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(config("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = config("DEBUG", False)
# Demo mode: the embedded single-machine run with demo data and demo logins. It relaxes what
# only a demo may relax (a generated secret, printed demo logins); never enable it in production.
DEMO_MODE = config("DEMO_MODE", False)
TESTING = config("BURGERNET_TESTING", False)

_INSECURE_SECRET = "insecure-demo-secret-do-not-use-in-production"  # noqa: S105
SECRET_KEY = config("SECRET_KEY", _INSECURE_SECRET)
if SECRET_KEY == _INSECURE_SECRET and not (DEBUG or DEMO_MODE or TESTING):
    raise ImproperlyConfigured(
        "SECRET_KEY is not set: refusing to start in production mode with the default secret "
        "(set SECRET_KEY, or DEMO_MODE=1 for the embedded demo)"
    )
# Key for the keyed hash (HMAC-SHA256) of phone numbers; rotating it needs a re-hash.
PHONE_HASH_KEY = config("PHONE_HASH_KEY", f"phone-hash:{SECRET_KEY}")

ALLOWED_HOSTS = config("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = config("CSRF_TRUSTED_ORIGINS", list[str]())
SITE_URL = config("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "burgernet.core",
    "burgernet.accounts",
    "burgernet.geo",
    "burgernet.participants",
    "burgernet.dispatch",
    "burgernet.actions",
    "burgernet.mailings",
    "burgernet.public",
    "burgernet.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "burgernet.core.middleware.DutchFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "burgernet.accounts.middleware.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "burgernet.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "burgernet.urls"
WSGI_APPLICATION = "burgernet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "burgernet.core.context_processors.site",
                "burgernet.accounts.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = config("DATABASE_URL", f"sqlite:///{VAR_DIR / 'burgernet.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except ValueError as exc:
    # Name the variable and the scheme, never the whole URL (it may carry a password).
    scheme = DATABASE_URL.split("://", 1)[0] if "://" in DATABASE_URL else "(none)"
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a usable database URL (scheme {scheme!r}): use "
        "postgres://user:password@host:port/name or sqlite:////absolute/path"
    ) from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web process read while the worker writes; IMMEDIATE avoids the
        # "database is locked" upgrade deadlock between two writers.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not config(
    "DATABASE_JIT", False
):
    # JIT compiles statements whose *estimated* cost is high. Ours are interactive and short,
    # and the reach selector's range scans are overestimated ~100x: compiling took 30-440 ms
    # for 5-50 ms of work (ADR 0023). DATABASE_JIT=1 leaves the server's setting alone.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
if TEST_DATABASE_NAME := config("TEST_DATABASE_NAME", ""):
    # Lets parallel test runs on one PostgreSQL server keep out of each other's way.
    DATABASES["default"]["TEST"] = {"NAME": TEST_DATABASE_NAME}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background tasks (Django Tasks API) ----------------------------------------------------
# Queues: "urgent" carries time-critical actions, "default" the rest, "bulk" mailings and
# newsletters. Workers serve urgent first (see burgernet.cli worker).
TASK_QUEUES = ["urgent", "default", "bulk"]
TASKS_BACKEND = config("TASKS_BACKEND", "db")
REDIS_URL = config("REDIS_URL", "redis://127.0.0.1:6379/0")
if TASKS_BACKEND == "db":
    # django-tasks-db's backend plus a NOTIFY per task, so workers wake at once (PostgreSQL).
    TASKS = {
        "default": {"BACKEND": "burgernet.core.taskwake.DatabaseBackend", "QUEUES": TASK_QUEUES}
    }
elif TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
    RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600} for name in TASK_QUEUES}
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured(f"TASKS_BACKEND={TASKS_BACKEND!r}: use db, rq or immediate")

# --- Auth and sessions ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.StaffUser"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Staff sessions end after 8 hours (a control-room shift) or 30 minutes without activity.
SESSION_COOKIE_AGE = config("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_IDLE_TIMEOUT = config("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = config("SECURE_COOKIES", not (DEBUG or DEMO_MODE or TESTING))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
# Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto (see docs/deploy.md).
if config("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
LOGIN_MAX_FAILURES = config("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_SECONDS = config("LOGIN_LOCKOUT_SECONDS", 15 * 60)
OTP_TOTP_ISSUER = "Burgernet"

# --- Internationalisation: Dutch first, English available ---------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
# Translations live in each app's own locale/ directory (found through INSTALLED_APPS).
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

# --- Static files: served by the app itself (WhiteNoise), never from a CDN --------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG or DEMO_MODE or TESTING

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_HOST = config("EMAIL_HOST", "")
EMAIL_PORT = config("EMAIL_PORT", 25)
EMAIL_HOST_USER = config("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = config("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = config("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = config("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = config("DEFAULT_FROM_EMAIL", "Burgernet <noreply@burgernet.invalid>")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    # Embedded run without SMTP: every mail is written to var/mail/ so it can be read.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- Burgernetmail (docs/mailings.md) -------------------------------------------------------
# HMAC key of the bounce webhook (empty: webhook off); mailto address in List-Unsubscribe.
MAILINGS_BOUNCE_SECRET = config("MAILINGS_BOUNCE_SECRET", "")
MAILINGS_UNSUBSCRIBE_ADDRESS = config("MAILINGS_UNSUBSCRIBE_ADDRESS", "")
# Replies to mailings (with their photos) are deleted this many days after they came in.
MAILINGS_REPLY_RETENTION_DAYS = config("MAILINGS_REPLY_RETENTION_DAYS", 365)
if MAILINGS_REPLY_RETENTION_DAYS < 1:
    raise ImproperlyConfigured(
        f"MAILINGS_REPLY_RETENTION_DAYS={MAILINGS_REPLY_RETENTION_DAYS}: give at least 1 (days)"
    )

# --- Burgernet ------------------------------------------------------------------------------
# The free number participants call back on, in messages and on the public site.
CALLBACK_NUMBER = config("CALLBACK_NUMBER", "0800-0011")
# Days after closing that an action's dossier keeps its personal parts (ADR 0084); then
# `purge_dossiers` leaves an anonymous shell. Keeping them forever is not an option.
DOSSIER_RETENTION_DAYS = config("DOSSIER_RETENTION_DAYS", 365)
if DOSSIER_RETENTION_DAYS < 1:
    raise ImproperlyConfigured(
        f"DOSSIER_RETENTION_DAYS={DOSSIER_RETENTION_DAYS}: use a number of days of at least 1 "
        "(dossiers are never kept forever; the default is 365)"
    )
GEOCODER = config("GEOCODER", "offline")  # offline | pdok
# Web Push (VAPID) for the app; generate a pair with `burgernet vapid_keys`.
VAPID_PUBLIC_KEY = config("VAPID_PUBLIC_KEY", "")
VAPID_PRIVATE_KEY = config("VAPID_PRIVATE_KEY", "")
VAPID_SUBJECT = config("VAPID_SUBJECT", "mailto:beheer@burgernet.invalid")
PDOK_LOCATIESERVER_URL = config(
    "PDOK_LOCATIESERVER_URL", "https://api.pdok.nl/bzk/locatieserver/search/v3_1"
)
# Maps: municipality outlines served by the app are the offline base layer; a tile layer is
# added only when MAP_TILE_URL is set (e.g. "/tiles/{z}/{x}/{y}.png" on the same origin, as the
# Content-Security-Policy allows images from 'self' only). See docs/geo.md.
MAP_TILE_URL = config("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = config("MAP_TILE_ATTRIBUTION", "")

# --- Dispatch: outbox, provider accounts, webhooks (docs/dispatch.md) -----------------------
# JSON list of provider accounts; empty in demo mode means the mock provider on loopback.
PROVIDER_ACCOUNTS = config("PROVIDER_ACCOUNTS", "")
MOCK_PROVIDER_PORT = config("MOCK_PROVIDER_PORT", 8025)
MOCK_PROVIDER_URL = config("MOCK_PROVIDER_URL", f"http://127.0.0.1:{MOCK_PROVIDER_PORT}")
DISPATCH_WEBHOOK_BASE_URL = config("DISPATCH_WEBHOOK_BASE_URL", SITE_URL)
# Callers not routed to a dispatch centre reach this number; alert calls show VOICE_CALLER_ID.
DISPATCH_NATIONAL_NUMBER = config("DISPATCH_NATIONAL_NUMBER", "+31880000000")
VOICE_CALLER_ID = config("VOICE_CALLER_ID", "+31880000011")
DISPATCH_LEASE_SECONDS = config("DISPATCH_LEASE_SECONDS", 60.0)
DISPATCH_MAX_ATTEMPTS = config("DISPATCH_MAX_ATTEMPTS", 10)
DISPATCH_RETRY_BASE_SECONDS = config("DISPATCH_RETRY_BASE_SECONDS", 2.0)
DISPATCH_RETRY_MAX_SECONDS = config("DISPATCH_RETRY_MAX_SECONDS", 300.0)
DISPATCH_CIRCUIT_FAILURES = config("DISPATCH_CIRCUIT_FAILURES", 3)
DISPATCH_CIRCUIT_COOLDOWN_SECONDS = config("DISPATCH_CIRCUIT_COOLDOWN_SECONDS", 10.0)
DISPATCH_DRAIN_WAIT_SECONDS = config("DISPATCH_DRAIN_WAIT_SECONDS", 5.0)
DISPATCH_DRAIN_TASKS = config("DISPATCH_DRAIN_TASKS", 2)  # workers woken per message and channel
# Broadcast (Apprise URLs) and signed partner webhooks (JSON / CAP): JSON lists, secrets from
# the environment via url_env / secret_env; empty in demo mode means peers on the mock provider.
BROADCAST_TARGETS = config("BROADCAST_TARGETS", "")
PARTNER_WEBHOOKS = config("PARTNER_WEBHOOKS", "")
# Days a settled delivery keeps its address (phone number, e-mail) before the retention job
# blanks it (ADR 0038); the figures (channel, state, cost, timestamps) stay.
DELIVERY_RETENTION_DAYS = config("DELIVERY_RETENTION_DAYS", 90)
# Days an inbound SMS reply or call record (caller's keyed hash, text) is kept for de-duplication
# and routing checks; the response it became lives on in the dossier under its own retention.
INBOUND_RETENTION_DAYS = config("INBOUND_RETENTION_DAYS", 90)
if INBOUND_RETENTION_DAYS < 1:
    raise ImproperlyConfigured(
        f"INBOUND_RETENTION_DAYS={INBOUND_RETENTION_DAYS}: give at least 1 (days)"
    )
# Days the staff access log (who viewed which participant's data, when and why) is kept: long
# enough to answer a participant's or the privacy officer's question about past access.
ACCESS_LOG_RETENTION_DAYS = config("ACCESS_LOG_RETENTION_DAYS", 730)
if ACCESS_LOG_RETENTION_DAYS < 180:
    raise ImproperlyConfigured(
        f"ACCESS_LOG_RETENTION_DAYS={ACCESS_LOG_RETENTION_DAYS}: keep the access log at least "
        "180 days (it is the record of who looked at personal data)"
    )
# Child processes of `burgernet serve`: the dispatch sweeper, and the mock provider in demo mode.
SERVE_EXTRA_PROCESSES = ["burgernet.dispatch.processes.serve_processes"]
# Called by `burgernet worker` before it serves its first task (one-off start-up costs).
WORKER_WARM_UP = ["burgernet.dispatch.processes.worker_warm_up"]

# --- Periodic jobs (`burgernet scheduler`, started by serve; ADR 0073) ----------------------
# (name, cron schedule in TIME_ZONE, dotted path of a django-tasks task[, keyword arguments]).
# The scheduler enqueues; the workers run. A task that cannot be imported is skipped with a
# warning, so a job may name a task of an app that is not installed (yet).
SCHEDULED_JOBS: list[tuple[str, str, str] | tuple[str, str, str, dict[str, object]]] = [
    ("dashboard-today", "*/15 * * * *", "burgernet.dashboard.tasks.aggregates_rebuild_day"),
    (
        "dashboard-yesterday",
        "15 0 * * *",
        "burgernet.dashboard.tasks.aggregates_rebuild_day",
        {"days_ago": 1},
    ),
    ("dashboard-mail-figures", "30 0 * * *", "burgernet.dashboard.tasks.mail_figures_refresh"),
    (
        "participants-purge-unconfirmed",
        "30 3 * * *",
        "burgernet.participants.tasks.purge_unconfirmed",
    ),
    (
        "public-purge-app-subscriptions",
        "35 3 * * *",
        "burgernet.public.tasks.purge_app_subscriptions",
    ),
    (
        "dispatch-delivery-retention",
        "40 3 * * *",
        "burgernet.dispatch.tasks.blank_expired_deliveries",
    ),
    (
        "actions-purge-expired-dossiers",
        "45 3 * * *",
        "burgernet.actions.tasks.purge_expired_dossiers",
    ),
    (
        "mailings-purge-expired-replies",
        "50 3 * * *",
        "burgernet.mailings.tasks.purge_expired_replies",
    ),
    ("dispatch-inbound-retention", "55 3 * * *", "burgernet.dispatch.tasks.purge_expired_inbound"),
    ("core-access-log-retention", "0 4 * * *", "burgernet.core.tasks.purge_expired_access_log"),
]
# Names of jobs to leave out here (e.g. when another system runs them), comma-separated.
SCHEDULER_DISABLED_JOBS = config("SCHEDULER_DISABLED_JOBS", list[str]())
SCHEDULER_INTERVAL_SECONDS = config("SCHEDULER_INTERVAL_SECONDS", 20.0)

# --- Logging: structured, with context --------------------------------------------------------
LOG_LEVEL = config("LOG_LEVEL", "INFO")
LOG_JSON = config("LOG_JSON", not (DEBUG or DEMO_MODE))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {"()": "burgernet.core.logging.formatter", "json": LOG_JSON},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Front-end packages installed by the build (`npm ci`, see Makefile) and served as static files
# under /static/vendor/. Missing node_modules is reported by `burgernet check`.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/utrecht", NODE_MODULES / "@utrecht/component-library-css/dist"),
    ("vendor/utrecht-tokens", NODE_MODULES / "@utrecht/design-tokens/dist"),
    ("vendor/leaflet", NODE_MODULES / "leaflet/dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org/dist"),
    ("vendor/chartjs", NODE_MODULES / "chart.js/dist"),
]

# --- Dashboard --------------------------------------------------------------------------------
# A municipality's yearly contribution to Burgernet, in euro per inhabitant (shown on the
# dashboard; 0 leaves the figure out).
CONTRIBUTION_PER_INHABITANT_EUR = config("CONTRIBUTION_PER_INHABITANT_EUR", 0.0)

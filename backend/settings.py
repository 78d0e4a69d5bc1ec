"""Django settings, configured from the environment (twelve-factor style).

Everything a deployment changes comes from environment variables; the defaults give a
working demo on SQLite.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    # Shared plumbing: strict JSON input for every serializer (backend/common/strict.py).
    "backend.common",
    "backend.scheduling",
    "backend.plans",
    "backend.interop",
    "backend.console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication and messages: they log out and say why.
    "backend.scheduling.auth.middleware.IdleSessionMiddleware",
    "backend.scheduling.auth.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a lockout into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"

TOPIC_TEMPLATE_DIRS = sorted((BASE_DIR / "backend").glob("*/*/templates"))
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Each topic package keeps its own templates (e.g. scheduling/day/templates/); the
        # app-directories loader sees only an app's top-level templates/ folder.
        "DIRS": [BASE_DIR / "backend" / "templates", *TOPIC_TEMPLATE_DIRS],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite is the embedded default. Writers take the lock at BEGIN (IMMEDIATE) so that the
# re-check inside a booking transaction cannot race another writer; WAL lets readers go on.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'kap.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        # How long a write waits for another process's write to finish ("database is
        # locked") before the request answers 503 with Retry-After.
        "timeout": float(os.environ.get("SQLITE_TIMEOUT_SECONDS", "30")),
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=268435456;"
        ),
    }
    # A file (not :memory:) so that tests with real threads and processes share one
    # database; one per test run, so that parallel runs never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"kap-test-{os.getpid()}.sqlite3")
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The few statements compiled once per process (common.db: a search's and a booking's
    # board query, the row locks, a feed poll's lookups) run as prepared statements, planned
    # once per connection; every other query binds on the client as Django's do, which
    # never prepares. Off (0) behind a pooler in transaction mode, which cannot keep a
    # statement prepared on one server connection for the next transaction.
    if os.environ.get("DATABASE_PREPARED_STATEMENTS", "1") != "0":
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# --- Account security ------------------------------------------------------------------
# The lockout check comes first: a locked-out client is refused before any password check.
AUTHENTICATION_BACKENDS = [
    "backend.scheduling.auth.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout (django-axes, backend/scheduling/auth/lockout.py): LOGIN_FAILURE_LIMIT failed
# logins (console, admin or token endpoint; wrong one-time codes included) by one username
# from one address lock that pair out for LOGIN_LOCKOUT_MINUTES after the last attempt.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every start
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "backend.scheduling.auth.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "backend.scheduling.auth.lockout.client_ip"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp", "otp_token"]
# How many reverse proxies stand in front of the app (each appends to X-Forwarded-For);
# 0 trusts no header and takes the connection's own address.
REVERSE_PROXY_COUNT = env_int("REVERSE_PROXY_COUNT", 0)

# Second factor (django-otp, backend/scheduling/auth/policy.py): an authenticator app's
# codes (TOTP). The issuer names the account in the app.
OTP_TOTP_ISSUER = "KAP scheduler"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
SECOND_FACTOR_SETUP_URL = "console:two-factor"

# A logged-in session ends after this many minutes without activity; each request the
# user makes starts the wait again (backend/scheduling/auth/middleware.py).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)

# Content-Security-Policy (django-csp): nothing inline, nothing from elsewhere. The console
# keeps its script and styles in static files. An exception is scoped to its view with its
# reason (the API docs, backend/urls.py); the feed subscribe page sets a stricter policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # data: for the console's empty favicon and the images of the API docs.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Time -----------------------------------------------------------------------------
# Stored in UTC; each clinic carries its own IANA zone, used for every local computation.
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Like templates, a topic package keeps its own static files (e.g. scheduling/day/static/).
STATICFILES_DIRS = sorted((BASE_DIR / "backend").glob("*/*/static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Development serves static files straight from the apps (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Email (reminders) ------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "clinic@localhost")
# Text messages (django-sms backends, the same shape as Django's email backends): the
# console by default; "sms.backends.filebased.SmsBackend" with SMS_FILE_PATH writes files,
# "sms.backends.twilio.SmsBackend" or "sms.backends.messagebird.SmsBackend" send for real.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "sms.backends.console.SmsBackend")
SMS_FILE_PATH = os.environ.get("SMS_FILE_PATH", "")
DEFAULT_FROM_SMS = os.environ.get("DEFAULT_FROM_SMS", "")
# Where patients reach the service, e.g. https://clinic.example.org: links in reminder
# emails and calendar feeds. Feeds fall back to the request's own origin when it is empty.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
FEED_BASE_URL = os.environ.get("FEED_BASE_URL", "").rstrip("/")
# Calendar event UIDs are appointment-<id>@<this>: set it once per install and never change
# it, or subscribers' calendars fill with duplicates.
FEED_UID_DOMAIN = os.environ.get("FEED_UID_DOMAIN", "") or "kap-scheduler.invalid"
# How often subscribed calendars should poll a feed (REFRESH-INTERVAL, X-PUBLISHED-TTL).
FEED_REFRESH_MINUTES = int(os.environ.get("FEED_REFRESH_MINUTES", "60"))
# Requests allowed per feed token: (requests, seconds).
FEED_RATE_LIMIT = (
    int(os.environ.get("FEED_RATE_LIMIT_REQUESTS", "60")),
    int(os.environ.get("FEED_RATE_LIMIT_SECONDS", "600")),
)

# --- Background work (tasks) and webhooks -----------------------------------------------
# Django's tasks API (the django-tasks backport) with the database queue: `python manage.py
# tasks_worker` runs the queued tasks and enqueues the periodic ones below, once per slot
# however many workers run (docs/deployment.md). `make run` starts one beside the server.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TASK_SCHEDULE = {
    # Retries, expired leases and any event whose immediate wake-up was lost.
    "webhooks": {
        "task": "backend.interop.webhooks.tasks.webhooks_pump",
        "every": int(os.environ.get("WEBHOOK_SWEEP_SECONDS", "15")),
    },
    # Reminder emails (`manage.py send_reminders` remains for cron, as a fallback).
    "reminders": {
        "task": "backend.scheduling.day.reminders.reminders_task",
        "every": int(os.environ.get("REMINDERS_EVERY_SECONDS", "600")),
    },
    "prune": {"task": "backend.interop.worker.tasks.tasks_prune", "every": 3600},
    # SQLite's planner statistics (a no-op on PostgreSQL, whose autovacuum analyzes).
    "statistics": {"task": "backend.interop.worker.tasks.statistics_refresh", "every": 3600},
    # Waitlist offers: lapse due ones, offer freed starts (also woken by cancellations).
    "waitlist": {
        "task": "backend.interop.worker.waitlist.waitlist_offers",
        "every": int(os.environ.get("WAITLIST_EVERY_SECONDS", "60")),
    },
}
TASK_RESULTS_KEEP_DAYS = int(os.environ.get("TASK_RESULTS_KEEP_DAYS", "7"))
# Webhook URLs: https to public addresses only, unless these allow http and loopback
# (development) or private-network targets (an on-premises receiver).
WEBHOOK_ALLOW_INSECURE = env_bool("WEBHOOK_ALLOW_INSECURE", default=DEBUG)
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", default=False)
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
# Retries: exponential backoff with jitter from WEBHOOK_RETRY_BASE_SECONDS, at most
# WEBHOOK_RETRY_CAP_SECONDS apart, for WEBHOOK_RETRY_HOURS.
WEBHOOK_RETRY_HOURS = float(os.environ.get("WEBHOOK_RETRY_HOURS", "24"))
WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "10"))
WEBHOOK_RETRY_CAP_SECONDS = float(os.environ.get("WEBHOOK_RETRY_CAP_SECONDS", "7200"))
# An endpoint failing this many attempts in a row, for this long, is disabled and the
# clinic's managers get an email.
WEBHOOK_DISABLE_AFTER_FAILURES = int(os.environ.get("WEBHOOK_DISABLE_AFTER_FAILURES", "10"))
WEBHOOK_DISABLE_AFTER_HOURS = float(os.environ.get("WEBHOOK_DISABLE_AFTER_HOURS", "24"))

# --- API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes unauthenticated requests a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token authentication, reading the user's roles in the same query.
        "backend.scheduling.auth.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["backend.common.permissions.IsClinicStaff"],
    "DEFAULT_PAGINATION_CLASS": "backend.common.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "backend.common.filters.StrictFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "backend.common.schema.ErrorDocumentingSchema",
    "EXCEPTION_HANDLER": "backend.common.errors.api_exception_handler",
    # JSON objects in (forms and multipart answer 415); OPTIONS never fails.
    "DEFAULT_PARSER_CLASSES": ["backend.common.parsers.JSONObjectParser"],
    "DEFAULT_METADATA_CLASS": "backend.common.metadata.ApiMetadata",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "KAP clinic scheduling API",
    "DESCRIPTION": (
        "Scheduling and treatment plans for ketamine-assisted psychotherapy, IV ketamine "
        "and esketamine clinics: resources, appointments with monitored recovery, "
        "treatment-plan expansion, calendar feeds and utilization reports."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RoomKindEnum": "backend.scheduling.resources.choices.RoomKind",
        "SeatKindEnum": "backend.scheduling.resources.choices.SeatKind",
        "HoldKindEnum": "backend.scheduling.booking.models.HoldKind",
        "StaffRoleEnum": "backend.scheduling.resources.choices.StaffRole",
        "AppointmentStatusEnum": "backend.scheduling.booking.models.AppointmentStatus",
        "ScreeningStatusEnum": "backend.scheduling.resources.choices.ScreeningStatus",
        "RecoveryLocationEnum": "backend.scheduling.resources.choices.RecoveryLocation",
        "WebhookEventTypeEnum": "backend.scheduling.outbox.models.EventType",
        "AbsenceKindEnum": "backend.scheduling.resources.choices.AbsenceKind",
    },
}

# --- Cache (feed rate limits) ----------------------------------------------------------
# Per-process memory by default; several app servers should share one cache so that a
# feed token's rate limit counts across them (REDIS_URL needs the "redis" package).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }

# --- Logging --------------------------------------------------------------------------
# Calendar feed tokens are credentials in URL paths: the redaction filter rewrites
# /feeds/<token> on the loggers that log paths (so every handler sees the redacted record)
# and on every handler. Django's own defaults for "django" and "django.server" are
# restated here so that none of their handlers bypasses the filter.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_feed_tokens": {"()": "backend.common.log_redaction.FeedTokenRedactionFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_feed_tokens"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_feed_tokens"],
        },
        "mail_admins": {
            "level": "ERROR",
            "class": "django.utils.log.AdminEmailHandler",
            "filters": ["require_debug_false", "redact_feed_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        "django.request": {"filters": ["redact_feed_tokens"]},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["redact_feed_tokens"],
        },
        "django.db.backends": {"level": "WARNING"},
        # One line per task run at INFO; failures are logged (with the traceback) at ERROR.
        "django_tasks": {"level": os.environ.get("TASKS_LOG_LEVEL", "WARNING")},
    },
}

# --- HTTPS ----------------------------------------------------------------------------
# Plain HTTP is redirected to HTTPS when DEBUG is off. HSTS tells browsers to use HTTPS
# only, for SECURE_HSTS_SECONDS: off (0) until set, since browsers remember it; the README's
# production settings turn it on for a year, with subdomains and preload.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

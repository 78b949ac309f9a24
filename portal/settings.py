"""Settings for the portal, read from the environment (see README.md for the list).

The defaults run the portal with no services: SQLite in ``var/`` and Kombu's filesystem
transport as the Celery broker. Production sets ``DATABASE_URL`` and ``REDIS_URL``.
"""

import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
import pyrage
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    require_strong_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))

# "production" switches on HTTPS-only cookies, HSTS, the proxy's headers and the
# compressed static files; anything but the two names below is refused.
PORTAL_ENV = env_choice("PORTAL_ENV", ("development", "production"), "development")
PRODUCTION = PORTAL_ENV == "production"

DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured(
        "DEBUG must be off when PORTAL_ENV=production: it shows secrets in error pages."
    )


def _asks_for_help_only(argv: list[str]) -> bool:
    """``manage.py``, ``manage.py help ...`` or ``manage.py <command> --help``:
    argparse prints the text and exits before the command runs."""
    if not argv or Path(argv[0]).name not in {"manage.py", "django-admin"}:
        return False
    args = argv[1 : argv.index("--")] if "--" in argv else argv[1:]
    return not args or args[0] == "help" or "-h" in args or "--help" in args


# Help is read before the environment is set up, and signs nothing: it needs no key.
# Every run that does something still does.
HELP_ONLY = _asks_for_help_only(sys.argv)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and not HELP_ONLY:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. "
            "Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "insecure-key-for-local-development-only"  # noqa: S105
if PRODUCTION and not HELP_ONLY:
    require_strong_secret("SECRET_KEY", SECRET_KEY)

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "core",
    # Accounts keep the label "portal" they were made under: AUTH_USER_MODEL,
    # tables and migrations stay portal.*, so deployed databases need no change.
    "accounts",
    "recommendations",
    "reporting",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",  # /sitemap.xml (reporting.sitemaps): its template
    "guardian",
    "rest_framework",
    # API tokens: hashed, expiring, several per user (portal.ApiToken). DRF's
    # authtoken app is gone; portal migration 0007 drops its table.
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "auditlog",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Public pages from the cache, for visitors without a session, before anything
    # heavier: after the HTTPS redirect and HSTS, which apply to them too.
    "core.page_cache.PageCacheMiddleware",
    # Static files before anything that reads the session or the database.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.AdminCSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Answers to signed-in people: Cache-Control private, no-store.
    "accounts.middleware.PrivateResponseMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Under /api/ only: ?lang= wins over Accept-Language.
    "core.api.ApiLanguageMiddleware",
    # Pages show times in the portal's zone; the API keeps UTC.
    "core.middleware.PortalTimeZoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # An address with a NUL character: a 400, not a server error from the database.
    "core.middleware.NullCharacterMiddleware",
    # A form too large to read gets a page that says so, not a bare 400.
    "core.middleware.RequestTooLargeMiddleware",
    # Idle sessions end; two-factor sign-in is set up where the policy requires it.
    "accounts.middleware.SessionSecurityMiddleware",
    # Who did it and from where, for the audit trail.
    "accounts.middleware.AuditMiddleware",
    # The request id and the user id on every log line; the id echoed in the answer.
    "core.request_context.RequestContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a lockout into the lockout page or JSON; the
    # portal's own does the same for an address that failed too often.
    "accounts.middleware.AddressLimitMiddleware",
    "axes.middleware.AxesMiddleware",
]

# No inline script or style anywhere: every page works under this policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]

# Database: SQLite in var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'portal.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the Celery worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # SQLite makes the file but not its folder, which a fresh clone lacks (var/).
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses an address with too many failed sign-ins (any usernames), then
    # a locked-out username and address, before any password check.
    "accounts.lockout.AddressLimitBackend",
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: the public holds no object permissions

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Each person lands on their start page: what their roles have to do next.
LOGIN_REDIRECT_URL = "recommendations:start"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 14)

# --- Security ---------------------------------------------------------------------
# HTTPS: the TLS proxy (Caddy in docker-compose.yml) says the scheme in
# X-Forwarded-Proto and overwrites whatever the client sent there.
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # The load balancer probes these over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # __Host- cookies: HTTPS only, this host only, the whole site.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
# The interactive API docs get the CSRF token from the page, never from the cookie.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A refused form says why in the reader's language (Django's page is technical).
CSRF_FAILURE_VIEW = "core.site_views.csrf_failure"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Features no page of the portal uses, refused to every page and to what it embeds.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    name: []
    for name in (
        "accelerometer",
        "autoplay",
        "bluetooth",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "interest-cohort",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
# How many proxies stand between the client and the portal: the client's address is
# the one the outermost of them saw (X-Forwarded-For), never what the client claims.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 1 if PRODUCTION else 0)

# Sessions: at most SESSION_MAX_HOURS long, and ended after a while without a request
# (shorter for the Secretariat, who can change everyone's data).
SESSION_COOKIE_AGE = env_int("SESSION_MAX_HOURS", 12) * 60 * 60
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_MINUTES", 120) * 60
SESSION_IDLE_SECONDS_SECRETARIAT = env_int("SESSION_IDLE_MINUTES_SECRETARIAT", 30) * 60

# Sign-in lockout (django-axes), on the web login and the API token endpoint alike:
# after SIGNIN_FAILURE_LIMIT failures for one username from one address, that pair
# waits SIGNIN_LOCKOUT_MINUTES. The same username from another address is not locked
# out, so one attacker cannot lock out a ministry behind a shared address.
AXES_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGNIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.clients.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.security_views.lockout_response"
# Sign-ins are recorded in the portal's own audit trail (SecurityEvent).
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# Two-factor sign-in (django-otp): an authenticator app (TOTP) and recovery codes.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "OAS TIP portal")
# Wrong codes also slow the device itself: 1, 2, 4, 8... seconds between tries.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Between the password and the code: how long the password step stays good.
TWO_FACTOR_PENDING_SECONDS = 5 * 60
TWO_FACTOR_RECOVERY_CODES = 10

# Audit trail (django-auditlog): what is tracked is listed in accounts/audit.py.
AUDITLOG_DISABLE_ON_RAW_SAVE = True

# The four official languages of the OAS; the language is in every URL.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("fr", _("French")),
    ("pt", _("Portuguese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
# Deadlines are set in the Secretariat's time zone, in Washington.
PORTAL_TIME_ZONE = env_str("PORTAL_TIME_ZONE", "America/New_York")

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production serves collected files (the image runs collectstatic) under hashed,
    # compressed names, cached for ever; elsewhere files come straight from the apps.
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production WhiteNoise serves from the apps' folders, no collectstatic needed.
WHITENOISE_USE_FINDERS = not PRODUCTION
# Uploaded evidence lives outside the static root and is never served directly.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Never served as files: evidence goes through a view that checks permissions.
MEDIA_URL = "/not-served/"
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)
EVIDENCE_MAX_FILES = env_int("EVIDENCE_MAX_FILES", 20)
# Uploads above this go to a temporary file rather than memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Email: console by default, SMTP when EMAIL_HOST is set.
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "OAS trafficking in persons portal <noreply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
else:
    EMAIL_BACKEND = env_str(
        "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
    )

# Celery: Redis when REDIS_URL (or CELERY_BROKER_URL) is set, else Kombu's filesystem
# transport, which needs no service.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
CELERY_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        # Its exchange tables, else written to the working directory.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        # With one task in hand the worker polls for the next after this pause
        # (Kombu's default is a second): a notification should not wait in line.
        "polling_interval": 0.1,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Above the longest report, so a slow run is not delivered twice.
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 60 * 60 * 2),
        # Queueing with the broker down fails fast instead of hanging a request.
        "socket_connect_timeout": 3,
        "socket_timeout": 10,
        "max_retries": 1,
    }
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Unit tests run tasks in-process; integration tests use a real worker.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True

CACHES: dict[str, dict[str, Any]] = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
        if REDIS_URL
        # Shared by the web server and the worker, so invalidation reaches both.
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            # Above its default of 300: the public pages of two publication versions,
            # four languages each, must fit without culling the version itself.
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    )
}

# After a publication, the most read public pages are rendered in the background
# (core.tasks.warm_public_pages) before readers are shown the new version; off, the
# new version is current at once and pages render as they are asked for.
PUBLICATION_WARM = env_bool("PUBLICATION_WARM", True)
PUBLICATION_WARM_PAGES = "reporting.warm.most_read_pages"
# A rebuild not finished after this long (no worker running?) is given up: the next
# reader makes the new version current, and pages render as they are asked for.
PUBLICATION_WARM_TIMEOUT = env_int("PUBLICATION_WARM_TIMEOUT_SECONDS", 600)
# How long a web process trusts the publication version it read (core.page_cache):
# a cached page costs one cache read instead of two; other processes' publications
# reach readers that much later.
PAGE_CACHE_VERSION_SECONDS = env_int("PAGE_CACHE_VERSION_MS", 1000) / 1000
if PAGE_CACHE_VERSION_SECONDS < 0:
    raise ImproperlyConfigured("PAGE_CACHE_VERSION_MS must not be negative.")
# The most recently served public pages each web process keeps in its own memory
# (0: none), so that a page read again costs no round trip to the cache.
PAGE_CACHE_LOCAL_BYTES = env_int("PAGE_CACHE_LOCAL_MB", 32) * 1024 * 1024
if PAGE_CACHE_LOCAL_BYTES < 0:
    raise ImproperlyConfigured("PAGE_CACHE_LOCAL_MB must not be negative.")

# Logs: one JSON object a line in production (LOG_FORMAT=json), for the log store;
# plain text elsewhere. Every line carries the request id and user id, or the Celery
# task id and name; secrets and what people wrote are blanked (core/logging.py).
LOG_FORMAT = env_choice(
    "LOG_FORMAT", ("json", "text"), "json" if PRODUCTION else "text"
)
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "core.logging.ContextFilter"},
        "redact": {"()": "core.logging.RedactFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level"},
            "timestamp": "time",  # ISO 8601, UTC
        },
        "text": {"format": "%(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Error reporting, opt-in: Sentry, a self-hosted Sentry or GlitchTip, by its DSN.
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    from core import error_reporting

    SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", PORTAL_ENV).strip()
    if not re.fullmatch(r"[^/\r\n]{1,64}", SENTRY_ENVIRONMENT):
        raise ImproperlyConfigured(
            f"SENTRY_ENVIRONMENT={SENTRY_ENVIRONMENT!r} is not an environment name "
            "(1 to 64 characters, no slash)."
        )
    _traces = env_str("SENTRY_TRACES_SAMPLE_RATE", "0").strip()
    try:
        SENTRY_TRACES_SAMPLE_RATE = float(_traces)
    except ValueError:
        SENTRY_TRACES_SAMPLE_RATE = -1.0
    if not 0 <= SENTRY_TRACES_SAMPLE_RATE <= 1:
        raise ImproperlyConfigured(
            f"SENTRY_TRACES_SAMPLE_RATE={_traces!r} is not a number from 0 to 1."
        )
    try:
        error_reporting.init(
            dsn=SENTRY_DSN,
            environment=SENTRY_ENVIRONMENT,
            traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
            release=env_str("SENTRY_RELEASE"),
        )
    except Exception as error:  # the SDK's BadDsn, or whatever a future one raises
        raise ImproperlyConfigured(f"SENTRY_DSN is not usable: {error}") from error

DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo-password-change-me")

# The licence of the open data, which the Secretariat may change.
OPEN_DATA_LICENCE = env_str("OPEN_DATA_LICENCE", "CC BY 4.0")
OPEN_DATA_LICENCE_URL = env_str(
    "OPEN_DATA_LICENCE_URL", "https://creativecommons.org/licenses/by/4.0/"
)

# REST API
# Throttle rates are "N/second|minute|hour|day", or "off" (the fuzzing run turns them
# off); "auth" slows password guessing on the token endpoint, "reports" bounds the
# PDF runs one user asks for.


def _api_rate(name: str, default: str) -> str | None:
    raw = env_str(name, default).strip().lower()
    if raw in {"", "0", "off", "none"}:
        return None
    number, _slash, period = raw.partition("/")
    if not number.isdigit() or period not in {"second", "minute", "hour", "day"}:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate such as 60/minute, nor off."
        )
    return raw


API_THROTTLE_RATES = {
    "anon": _api_rate("API_THROTTLE_ANON", "120/minute"),
    "user": _api_rate("API_THROTTLE_USER", "1200/minute"),
    "auth": _api_rate("API_THROTTLE_AUTH", "10/minute"),
    "reports": _api_rate("API_THROTTLE_REPORTS", "30/hour"),
}
# The web's limits, with the same rates (see core/limits.py): failed sign-ins from
# one address whatever the usernames (password spraying; beside django-axes's lockout
# of one username from one address), and password resets asked from one address and
# for one email address. Report runs asked on the web count against
# API_THROTTLE_REPORTS, like those asked through the API.
PORTAL_LIMITS = {
    "signin-address": _api_rate("SIGNIN_ADDRESS_LIMIT", "30/hour"),
    "password-reset-address": _api_rate("PASSWORD_RESET_ADDRESS_LIMIT", "10/hour"),
    "password-reset-account": _api_rate("PASSWORD_RESET_ACCOUNT_LIMIT", "3/hour"),
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that a request without credentials gets 401, not 403.
        "accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "core.api.Ordering",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["core.api.AnonThrottle", "core.api.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": API_THROTTLE_RATES,
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_SCHEMA_CLASS": "core.api_schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "URL_FORMAT_OVERRIDE": None,
}

# API tokens (django-rest-knox, with the portal's own model): only a hash of each is
# kept, each ends after API_TOKEN_DAYS whether used or not, and a user holds several,
# one per system or script, listed and revoked on the account's security page.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 30)
if not 1 <= API_TOKEN_DAYS <= 365:
    raise ImproperlyConfigured(
        f"API_TOKEN_DAYS={API_TOKEN_DAYS} is not a number of days from 1 to 365."
    )
# Unexpired tokens one user may hold; asking for one more is refused.
API_TOKENS_PER_USER = 100
KNOX_TOKEN_MODEL = "portal.ApiToken"  # noqa: S105 - a model, not a secret
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_TTL": timedelta(days=API_TOKEN_DAYS),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",  # Authorization: Token <token>, as before
    "USER_SERIALIZER": None,
}
# knox's own table (knox.AuthToken, swapped for portal.ApiToken) would be created
# and stay empty: its migrations are off.
MIGRATION_MODULES = {"knox": None}
SPECTACULAR_SETTINGS = {
    "TITLE": "OAS trafficking in persons portal API",
    "DESCRIPTION": (
        "Progress of the OAS member states on the recommendations on trafficking in "
        "persons. See the README's API section for authentication, concurrency "
        "(the `version` field) and errors."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "DEFAULT_GENERATOR_CLASS": "core.api_schema.SchemaGenerator",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.document_common_errors",
        "core.api_schema.document_retry_after",
    ],
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "recommendations.models.Status",
        "ReviewStateEnum": "recommendations.models.ReviewState",
        "VisibilityEnum": "recommendations.models.Visibility",
        # A narrative's, a report's and a translated text's language: one set.
        "LanguageEnum": LANGUAGES,
    },
}

# Notifications and reminders
# Celery beat: every periodic task of the portal.
CELERY_BEAT_SCHEDULE = {
    # Each reminder is claimed in the database, so an extra run sends nothing twice.
    "deadline-reminders": {
        "task": "portal.send_deadline_reminders",
        "schedule": 60 * 60,
    },
    "notifications-sweep": {
        "task": "portal.sweep_notifications",
        "schedule": 60 * 60,
    },
    # Report runs whose worker died, found within a minute (reporting.runs).
    "reports-sweep-lost-runs": {
        "task": "reporting.tasks.sweep_report_runs",
        "schedule": 60.0,
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Backups (recommendations/backup.py): daily at BACKUP_HOUR (UTC, or "off") into
# BACKUP_DIR, keeping the BACKUP_KEEP newest; encrypted to the age public keys in
# BACKUP_AGE_RECIPIENTS when given (the private key stays off the server), and copied
# to S3-compatible storage when BACKUP_S3_BUCKET is set.
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(VAR_DIR / "backups")))
BACKUP_KEEP = env_int("BACKUP_KEEP", 14)
if BACKUP_KEEP < 1:
    raise ImproperlyConfigured(f"BACKUP_KEEP={BACKUP_KEEP} must keep at least 1.")
_backup_hour = env_str("BACKUP_HOUR", "3").strip().lower()
if _backup_hour != "off":
    if not (_backup_hour.isdigit() and 0 <= int(_backup_hour) <= 23):
        raise ImproperlyConfigured(
            f"BACKUP_HOUR={_backup_hour!r} is not an hour from 0 to 23 (UTC), nor off."
        )
    CELERY_BEAT_SCHEDULE["daily-backup"] = {
        "task": "portal.backup_daily",
        "schedule": crontab(hour=int(_backup_hour), minute=0),
    }
BACKUP_AGE_RECIPIENTS = env_list("BACKUP_AGE_RECIPIENTS")
for _recipient in BACKUP_AGE_RECIPIENTS:
    if _recipient.upper().startswith("AGE-SECRET-KEY-"):
        raise ImproperlyConfigured(
            "BACKUP_AGE_RECIPIENTS holds a private key: give the public key (age1...) "
            "and keep the private key off the server."
        )
    try:
        pyrage.x25519.Recipient.from_str(_recipient)
    except pyrage.RecipientError:
        raise ImproperlyConfigured(
            f"BACKUP_AGE_RECIPIENTS: {_recipient!r} is not an age public key (age1...)."
        ) from None
BACKUP_S3_BUCKET = env_str("BACKUP_S3_BUCKET")
if BACKUP_S3_BUCKET:
    # The copy off the server: AWS S3, MinIO, Ceph, Backblaze B2 and the like.
    STORAGES["backups"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BACKUP_S3_BUCKET,
            "location": env_str("BACKUP_S3_PREFIX", "backups").strip("/"),
            "endpoint_url": env_str("BACKUP_S3_ENDPOINT_URL") or None,
            "region_name": env_str("BACKUP_S3_REGION") or None,
            # Without these, boto3's own chain (instance role, ~/.aws) applies.
            "access_key": env_str("BACKUP_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("BACKUP_S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "file_overwrite": False,
        },
    }
# Days before each state's deadline (its extension included) when reminders go out.
REMINDER_DAYS_BEFORE = (14, 3)
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 5)
QUESTIONNAIRE_MAX_BYTES = env_int("QUESTIONNAIRE_MAX_BYTES", 2 * 1024 * 1024)

# Reports
# The report task goes to a queue of its own (bin/run's worker consumes it), so that a
# dedicated worker can take the long, memory-hungry WeasyPrint jobs.
REPORTS_QUEUE = env_str("REPORTS_QUEUE", "reports")
REPORT_MAX_ATTEMPTS = env_int("REPORT_MAX_ATTEMPTS", 3)
# A running report beats every few seconds; one silent for REPORT_STALE_SECONDS has
# lost its worker and is requeued (or failed once its attempts are used up).
REPORT_HEARTBEAT_SECONDS = env_int("REPORT_HEARTBEAT_SECONDS", 2)
REPORT_STALE_SECONDS = env_int("REPORT_STALE_SECONDS", 60)
# Below CELERY_VISIBILITY_TIMEOUT, so Redis never redelivers a report still running.
REPORT_MAX_SECONDS = env_int("REPORT_MAX_SECONDS", 60 * 60)
REPORT_QUEUED_EXPIRY_SECONDS = env_int("REPORT_QUEUED_EXPIRY_SECONDS", 6 * 60 * 60)
# Hemispheric drafts rendered in sections on every worker (reporting.parallel); a
# Celery chord, so only with a result backend.
REPORT_PARALLEL_DRAFTS = env_bool("REPORT_PARALLEL_DRAFTS", bool(CELERY_RESULT_BACKEND))
# WeasyPrint keeps the whole document in memory: a child that grew past this (KiB)
# is replaced after its task.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int(
    "CELERY_WORKER_MAX_MEMORY_PER_CHILD", 800 * 1024
)
# WeasyPrint logs every page it lays out; the report's progress bar listens instead.
LOGGING["loggers"]["weasyprint.progress"] = {"level": "WARNING"}

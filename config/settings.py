"""Settings, read from environment variables (see README, "Configuration").

Development: `make install` writes a git-ignored `.env` in the checkout, once, with DEBUG=1 and a generated
SECRET_KEY; it is read below when present, so every `manage.py` command works as the README writes it. Environment
variables always win over it. Production sets real environment variables and has no `.env` (or sets ENV_FILE to an
empty value); it runs with DEBUG=0 and then requires SECRET_KEY and ALLOWED_HOSTS; HTTPS settings are on unless HTTPS=0.
"""
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent


def _read_env_file(path):
    """KEY=VALUE lines (blank lines and # comments skipped) as defaults: a variable already set is never replaced."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            os.environ.setdefault(key.strip(), value.strip())


if os.environ.get("ENV_FILE", str(BASE_DIR / ".env")):
    _read_env_file(os.environ.get("ENV_FILE", str(BASE_DIR / ".env")))

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "djmoney",
    "django_countries",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "csp",
    # The project's apps, in dependency order: each may import only from those above it.
    "core",
    "audit",
    "notifications",
    "lists",
    "accounts",
    "grants",
    "clarifications",
    "applications",
    "disbursements",
    "reports",
    "results",
    "agenda",
    "conversations",
    "opendata",
    "inbox",
    "api",
    "demo",
]

MIDDLEWARE = [
    "core.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Every response but static files carries the policy, error pages of the middleware below included.
    "csp.middleware.CSPMiddleware",
    # Pages are compressed (static files are pre-compressed by WhiteNoise); Django's GZipMiddleware pads each
    # response at random against BREACH, and CSRF tokens are masked per request.
    "django.middleware.gzip.GZipMiddleware",
    # Before anything reads the session, the user or a form: a NUL in the request is a 400, not a database error.
    "core.middleware.MalformedInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Reads who is signed in before and after everything below: Permissions-Policy, Cache-Control, Clear-Site-Data.
    "core.headers.SecurityHeadersMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): signed in with a two-factor code
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.signin.middleware.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "audit.middleware.AuditContextMiddleware",
    # Last: it turns a sign-in refused during a pause into the "sign-in is paused" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "notifications.context_processors.notifications",
            ],
        },
    },
]

# Database: DATABASE_URL, a SQLite file by default.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses any sign-in while the account or the address is paused (see AXES_* below).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous visitors have no object permissions.
GUARDIAN_RENDER_403 = False
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Sign-in throttling (django-axes; failures are counted in the database, so every app node sees them): after
# SIGNIN_FAILURE_LIMIT failed sign-ins for an account, or from an address, sign-in is paused for
# SIGNIN_LOCKOUT_MINUTES. Attempts refused during a pause do not extend it. The page, the audit events and the
# unlocking (`manage.py unlock_signin`, the user admin) are in accounts/signin/.
AXES_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGNIN_LOCKOUT_MINUTES", 15))
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_TIME < timedelta(minutes=1):
    raise ImproperlyConfigured("SIGNIN_FAILURE_LIMIT and SIGNIN_LOCKOUT_MINUTES must be at least 1.")
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own: per account and per address
AXES_USERNAME_FORM_FIELD = "username"  # the sign-in form's field, which holds the e-mail address
AXES_USERNAME_CALLABLE = "accounts.signin.throttle.attempt_email"
AXES_CLIENT_IP_CALLABLE = "audit.middleware.client_ip"  # the address the audit trail records
AXES_LOCKOUT_CALLABLE = "accounts.signin.throttle.signin_paused"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ADMIN = False  # unlocking goes through accounts.signin.services, which audits it

# Two-factor sign-in (django-otp, time-based codes from an authenticator app), set up on /account/two-factor/.
# Optional for staff roles; with TWO_FACTOR_REQUIRED=1, finance officers and administrators must set it up before
# they can use any page.
TWO_FACTOR_REQUIRED_ROLES = ["finance_officer", "administrator"] if env_bool("TWO_FACTOR_REQUIRED", False) else []
OTP_TOTP_ISSUER = "CSO Grants"

# Internationalisation: the six languages the UI ships in; Arabic is right-to-left.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("ru", _("Russian")),
    ("pt", _("Portuguese")),
    ("ar", _("Arabic")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our own date formats for English, Russian and Arabic (see config/formats/); the others are Django's.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Money: the envelope and everything drawn from it is in euros.
CURRENCIES = ("EUR",)
DEFAULT_CURRENCY = "EUR"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploads live outside the static tree and are only ever served through views that check permissions.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"  # never routed: no URL serves MEDIA_ROOT directly
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# E-mail: printed to the console in development, SMTP otherwise.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CSO Grants <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where people reach the site: links in e-mails are this address plus a path.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# HTTPS: on by default in production; HTTPS=0 turns it off (e.g. behind a plain-HTTP test proxy).
HTTPS = env_bool("HTTPS", default=not DEBUG)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of the app append to X-Forwarded-For (audit.middleware.client_ip).
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 1)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts, styles, fonts, images and requests from this site only; no inline
# script or style on any page, no plugins, never framed. CSP_REPORT_ONLY=1
# sends it as Content-Security-Policy-Report-Only, to try a change on real traffic before enforcing it.
# Permissions-Policy, Cache-Control and Clear-Site-Data come from core.headers.
_CSP = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP
else:
    CONTENT_SECURITY_POLICY = _CSP

# Logs go to standard output, one JSON object a line in production (LOG_FORMAT=json, the default when DEBUG is
# off), each with the id of the request being served (`core.logs`; also sent back as the X-Request-ID header).
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "core.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Several app nodes share three services besides the database (docs/DEPLOY.md). Without them, the default, one
# process does everything: a local-memory cache, jobs run at once, files on the local disk.
REDIS_URL = env_str("REDIS_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "cso"}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# Sessions stay in the database: one fewer thing to lose when Redis restarts, and a signed-in CSO is never signed
# out by a cache eviction on deadline day.

# The job runner (config/celery.py): Celery with a Redis broker; without a broker, jobs run eagerly.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL) or "memory://"
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# A job is acknowledged when it has finished, so a worker killed mid-job leaves it for another.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {"task": "core.tasks.sweep_outbox", "schedule": 60.0},
    # Each morning (CELERY_TIMEZONE), the daily digest of notifications (`send_digests` does the same by hand).
    "send-digests": {"task": "notifications.tasks.send_digests", "schedule": crontab(hour=6, minute=0)},
}

# Object storage for uploads and generated files: any S3-compatible service when STORAGE_BUCKET is set. Files are
# private (no public ACL) and reach people only through views that check permissions and stream them.
STORAGE_BUCKET = env_str("STORAGE_BUCKET", "")
if STORAGE_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "region_name": env_str("S3_REGION") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_expire": 60,
        },
    }

# REST API (api/): sessions for the browser, personal bearer tokens for machine clients; every endpoint decides
# access with the same functions as the pages.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Bearer first: DRF's 401 challenge (WWW-Authenticate) comes from the first class; it passes on requests
        # without a bearer header, so browser sessions work as before.
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON in, JSON out: one request format to document, validate and keep idempotent (form posts are the pages').
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],  # DRF's, refusing huge or deeply nested bodies
    # JSON to browsers too: DRF's browsable pages style themselves inline, which the Content-Security-Policy refuses;
    # the reference for people is the page at /api/docs/.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    # Rate limits (api/throttling.py), counted in the default cache: per user, per address without credentials, and
    # failed bearer tokens per address (also checked before a token is looked up). Over a limit: 429 and Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.UserRateThrottle", "api.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env_rate("API_RATE_USER", "120/min"),
        "anon": env_rate("API_RATE_ANON", "60/min"),
        "failed_token": env_rate("API_RATE_FAILED_TOKEN", "20/min"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CSO Grants API",
    "DESCRIPTION": "Calls, organisations, applications, reviews, grants, tranches, payments, reports and the envelope.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

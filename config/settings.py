"""Radar settings: every deployment-specific value comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "radar-insecure-development-key-only-used-with-debug-on"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "guardian",
    "axes",
    "django_filters",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "schools",
    "outreach",
    "api",
]

MIDDLEWARE = [
    "config.request_log.RequestIdMiddleware",
    "config.security.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "outreach.middleware.RequestOriginMiddleware",
    "axes.middleware.AxesMiddleware",
    "api.middleware.MalformedRequestMiddleware",
    "api.middleware.ApiErrorMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "outreach.navigation.nav_items",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# A database that is down or silent must give an answer within seconds, never a hung worker (README, "Failing
# cleanly"): libpq gives up connecting after DATABASE_CONNECT_TIMEOUT, drops a connection whose sent data stays
# unacknowledged for DATABASE_TCP_USER_TIMEOUT_MS or whose keepalives go unanswered, and the server cancels any
# statement running longer than DATABASE_STATEMENT_TIMEOUT_MS. A reused connection is checked before each
# request (CONN_HEALTH_CHECKS) within DATABASE_HEALTH_CHECK_TIMEOUT, so Radar serves again once the database is
# back, with no restart.
DATABASE_CONNECT_TIMEOUT = int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "3"))
DATABASE_STATEMENT_TIMEOUT_MS = int(os.environ.get("DATABASE_STATEMENT_TIMEOUT_MS", "30000"))
DATABASE_TCP_USER_TIMEOUT_MS = int(os.environ.get("DATABASE_TCP_USER_TIMEOUT_MS", "5000"))
DATABASE_KEEPALIVES_IDLE = int(os.environ.get("DATABASE_KEEPALIVES_IDLE", "10"))
DATABASE_HEALTH_CHECK_TIMEOUT = float(os.environ.get("DATABASE_HEALTH_CHECK_TIMEOUT", "1.5"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": DATABASE_CONNECT_TIMEOUT,
        "keepalives": 1,
        "keepalives_idle": DATABASE_KEEPALIVES_IDLE,
        "keepalives_interval": 2,
        "keepalives_count": 2,
        "tcp_user_timeout": DATABASE_TCP_USER_TIMEOUT_MS,
        "options": f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS}",
        **DATABASES["default"].get("OPTIONS", {}),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent readers and one writer without "database is locked" under runserver.
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
# Each language named in itself, as a switcher must ("English" for whoever cannot read "Anglais").
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "radar@localhost")

# Shared by every app server (throttling, lockouts): app servers keep no state of their own.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "radar_cache",
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.SaneJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.StrictContentNegotiation",
    "DEFAULT_THROTTLE_RATES": {
        "login": os.environ.get("RADAR_LOGIN_THROTTLE", "20/min"),
        "user": os.environ.get("RADAR_USER_THROTTLE", "2000/hour"),
    },
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=int(os.environ.get("RADAR_TOKEN_TTL_HOURS", "10"))),
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_LIMIT_PER_USER": None,
}

RADAR_API_DOCS_REQUIRE_LOGIN = env_bool("RADAR_API_DOCS_REQUIRE_LOGIN", not DEBUG)

SPECTACULAR_SETTINGS = {
    "TITLE": "Radar API",
    "DESCRIPTION": "Flag pupils who have disappeared from school and follow their case (SPEC §5).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The schema maps every endpoint and field: readable by signed-in users only, unless a setting opens it.
    "SERVE_PERMISSIONS": [
        "rest_framework.permissions.IsAuthenticated"
        if RADAR_API_DOCS_REQUIRE_LOGIN
        else "rest_framework.permissions.AllowAny"
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ContactKindEnum": "outreach.models.ContactKind",
        "ContactResultEnum": "outreach.models.ContactResult",
        "SupportKindEnum": "outreach.models.SupportKind",
        "ReasonEnum": "outreach.models.Reason",
        "OutcomeEnum": "outreach.models.Outcome",
    },
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# django-guardian: no anonymous user row; every grant goes to the direct foreign-key tables.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

AXES_FAILURE_LIMIT = 10
# SPEC: an *account* is locked after 10 failures. Locking by address would lock a whole collège
# behind one NAT address; address-level flooding is the login throttle's job.
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # A load balancer's health check speaks plain HTTP to the app server.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Radar's own settings (SPEC §3 and §7), in days unless stated otherwise.
RADAR_DEADLINES = {
    "triage": int(os.environ.get("RADAR_DEADLINE_TRIAGE_DAYS", "2")),
    "acceptance": int(os.environ.get("RADAR_DEADLINE_ACCEPTANCE_DAYS", "2")),
    "first_contact": int(os.environ.get("RADAR_DEADLINE_FIRST_CONTACT_DAYS", "7")),
    "no_contact": int(os.environ.get("RADAR_DEADLINE_NO_CONTACT_DAYS", "14")),
    "family_notice": int(os.environ.get("RADAR_DEADLINE_FAMILY_NOTICE_DAYS", "30")),
}
RADAR_CONTACT_CORRECTION_HOURS = int(os.environ.get("RADAR_CONTACT_CORRECTION_HOURS", "24"))
# Follow-up thinning out (the Check & Connect norm): fewer than this many contacts in this many days on an
# accepted case puts it in the centre's "À faire".
RADAR_THINNING_CONTACTS = int(os.environ.get("RADAR_THINNING_CONTACTS", "2"))
RADAR_THINNING_DAYS = int(os.environ.get("RADAR_THINNING_DAYS", "30"))
# How long a school's default case list keeps a closed case, marked "retour à confirmer" until it is.
RADAR_RECENTLY_CLOSED_DAYS = int(os.environ.get("RADAR_RECENTLY_CLOSED_DAYS", "30"))
RADAR_ACCESS_LOG_RETENTION_MONTHS = int(os.environ.get("RADAR_ACCESS_LOG_RETENTION_MONTHS", "12"))
RADAR_CASE_RETENTION_MONTHS = int(os.environ.get("RADAR_CASE_RETENTION_MONTHS", "24"))
# Who runs this Radar, for the legal notices and the privacy page (the partnership's lead body, its data
# protection officer, its host).
RADAR_PUBLISHER = os.environ.get("RADAR_PUBLISHER", "Radar (démonstration)" if DEBUG else "")
RADAR_PUBLISHER_ADDRESS = os.environ.get("RADAR_PUBLISHER_ADDRESS", "")
RADAR_PUBLISHER_CONTACT = os.environ.get("RADAR_PUBLISHER_CONTACT", "contact@example.org" if DEBUG else "")
RADAR_DPO_CONTACT = os.environ.get("RADAR_DPO_CONTACT", "dpo@example.org" if DEBUG else "")
RADAR_HOST = os.environ.get("RADAR_HOST", "")
# Where to report a vulnerability (RFC 9116 `Contact`: a mailto: or https: URI); /.well-known/security.txt is a
# 404 while it is empty.
RADAR_SECURITY_CONTACT = os.environ.get("RADAR_SECURITY_CONTACT", "mailto:security@example.org" if DEBUG else "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.request_log.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "()": "config.request_log.NoPersonalDataFormatter",
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes names the username, address and browser of every login: lockouts are read in the admin instead.
    "loggers": {"axes": {"level": "ERROR"}},
}

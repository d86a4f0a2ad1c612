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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
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
    "outreach.middleware.SessionLimitsMiddleware",
    "outreach.middleware.MfaGateMiddleware",
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
                "outreach.views.security.session_timer",
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

# Argon2id first: a password hashed by an older hasher is hashed again with Argon2id at its next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# CNIL recommendation 2022-100: 12 characters of four kinds (or 14 of three), no common password.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "outreach.passwords.CnilPasswordValidator"},
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

# Shared by every app server: app servers keep no state of their own. The API throttles count every request, so
# they live in Redis (no database query per request); without REDIS_URL (`make run`), in each process's memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "radar_cache",
    },
    "throttle": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "throttle"}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
    ),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.TokenAuthentication",
        "api.authentication.IntegrationTokenAuthentication",
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
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.UserThrottle"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=int(os.environ.get("RADAR_TOKEN_TTL_HOURS", "10"))),
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_LIMIT_PER_USER": None,
    # A token expires TOKEN_TTL after login: refreshing it on use would write on every request (api/auth.py).
    "AUTO_REFRESH": False,
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
        "DeviceKindEnum": "outreach.models.DeviceKind",
        "DeviceStateEnum": "outreach.models.DeviceState",
        "PresenceEnum": "outreach.models.Presence",
        # What a contact may still tick: device kinds became loans (issue 12).
        "SupportKindOfferedEnum": "outreach.models.SUPPORT_KINDS_OFFERED",
    },
}

# Emails, digests and CSV imports are tasks: with DEBUG they run at once (`make run` needs no worker); in
# production they wait in the database for `manage.py db_worker`.
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TASKS_BACKEND",
            "django_tasks.backends.immediate.ImmediateBackend" if DEBUG else "django_tasks_db.DatabaseBackend",
        )
    }
}

# django-guardian: no anonymous user row; every grant goes to the direct foreign-key tables.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

# Failed logins (outreach/lockout.py): an account is locked for one address after AXES_FAILURE_LIMIT failures,
# for RADAR_LOCKOUT_MINUTES after the last one, so a stranger elsewhere cannot lock a colleague out; an address is
# locked whatever the account after RADAR_ADDRESS_FAILURE_LIMIT failures in an hour (a collège behind one NAT).
AXES_FAILURE_LIMIT = int(os.environ.get("RADAR_LOGIN_FAILURE_LIMIT", "10"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("RADAR_LOCKOUT_MINUTES", "15")))
# A failure while locked out does not push the end of the lock back, so the time the page gives is the real one.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_HANDLER = "outreach.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "outreach.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "outreach.views.security.locked_out"
RADAR_ADDRESS_FAILURE_LIMIT = int(os.environ.get("RADAR_ADDRESS_FAILURE_LIMIT", "100"))
RADAR_ADDRESS_FAILURE_WINDOW = timedelta(hours=1)
# Addresses or networks of the reverse proxies whose X-Forwarded-For is believed (comma-separated); none by default.
RADAR_TRUSTED_PROXIES = env_list("RADAR_TRUSTED_PROXIES", "")

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

# Second factor (outreach/mfa.py): mandatory, when on, for every account that can read a pupil's identity.
# Off by default with DEBUG, so the demo accounts log in with their password alone.
RADAR_REQUIRE_MFA = env_bool("RADAR_REQUIRE_MFA", not DEBUG)
OTP_TOTP_ISSUER = "Radar"
# The longest life an integration token may be given (outreach/integrations.py).
RADAR_INTEGRATION_TOKEN_MAX_DAYS = int(os.environ.get("RADAR_INTEGRATION_TOKEN_MAX_DAYS", "365"))

# Web sessions (outreach/sessions.py): 30 minutes without a request, 12 hours after the login at most.
RADAR_SESSION_IDLE_MINUTES = int(os.environ.get("RADAR_SESSION_IDLE_MINUTES", "30"))
RADAR_SESSION_MAX_HOURS = int(os.environ.get("RADAR_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = RADAR_SESSION_MAX_HOURS * 3600
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
# How long the dashboard's figures are kept before they are computed again (0: computed on every visit).
RADAR_DASHBOARD_CACHE_SECONDS = int(os.environ.get("RADAR_DASHBOARD_CACHE_SECONDS", "300"))
RADAR_ACCESS_LOG_RETENTION_MONTHS = int(os.environ.get("RADAR_ACCESS_LOG_RETENTION_MONTHS", "12"))
RADAR_CASE_RETENTION_MONTHS = int(os.environ.get("RADAR_CASE_RETENTION_MONTHS", "24"))
# A CSV import's rows and per-row report (they hold the file's names and guardians) are deleted after this.
RADAR_IMPORT_RETENTION_DAYS = int(os.environ.get("RADAR_IMPORT_RETENTION_DAYS", "30"))
# Unusual access alerts (manage.py check_access, daily; CNIL 2021-122). An account's day is unusual when it reads
# more than FACTOR times its median day (over the HISTORY_DAYS before) and more than FLOOR pupils; a reveal is
# unusual outside the working hours ("8-19": from 8:00 to 19:00, Paris time) or days (ISO, "1-6": Monday to
# Saturday); a read of a case closed more than RADAR_RECENTLY_CLOSED_DAYS before is unusual.
RADAR_ALERT_VOLUME_FACTOR = float(os.environ.get("RADAR_ALERT_VOLUME_FACTOR", "3"))
RADAR_ALERT_VOLUME_FLOOR = int(os.environ.get("RADAR_ALERT_VOLUME_FLOOR", "30"))
RADAR_ALERT_HISTORY_DAYS = int(os.environ.get("RADAR_ALERT_HISTORY_DAYS", "28"))
RADAR_WORKING_HOURS = os.environ.get("RADAR_WORKING_HOURS", "8-19")
RADAR_WORKING_DAYS = os.environ.get("RADAR_WORKING_DAYS", "1-6")
# Who runs this Radar, for the legal notices and the privacy page (the partnership's lead body, its data
# protection officer, its host).
RADAR_PUBLISHER = os.environ.get("RADAR_PUBLISHER", "Radar (démonstration)" if DEBUG else "")
RADAR_PUBLISHER_ADDRESS = os.environ.get("RADAR_PUBLISHER_ADDRESS", "")
RADAR_PUBLISHER_CONTACT = os.environ.get("RADAR_PUBLISHER_CONTACT", "contact@example.org" if DEBUG else "")
RADAR_DPO_CONTACT = os.environ.get("RADAR_DPO_CONTACT", "dpo@example.org" if DEBUG else "")
RADAR_HOST = os.environ.get("RADAR_HOST", "")
# The address of this Radar as its users reach it: the links of emails (which hold a link, never personal data).
RADAR_BASE_URL = os.environ.get("RADAR_BASE_URL", "http://127.0.0.1:8000" if DEBUG else "")

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

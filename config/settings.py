"""Debrief settings, read from the environment (see README, "Configuration")."""

import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.environment import env, env_bool, env_list, env_phrases, read_local_env

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules

if not (BASE_DIR / "templates").is_dir():
    # `pip install .` copies the code but not templates/ and static/: Debrief runs from its
    # checkout (README, "Production"), and imported from anywhere else every page would 500.
    raise ImproperlyConfigured(
        f"Debrief runs from its checkout, but this copy ({BASE_DIR}) has no templates/. "
        "Start it from the directory that holds manage.py."
    )

read_local_env(BASE_DIR / ".env", testing=TESTING)

DEBUG = env_bool("DEBUG")

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string, or set DEBUG=true for "
            "local development (`make run` or `make test` writes both to .env)."
        )
    SECRET_KEY = "insecure-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS is not set. Set it to the host names this site is served on, "
            "separated by commas (for example: debrief.example.com)."
        )
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]

SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Hosts whose links an outside version of a postmortem removes, besides SITE_URL's and private
# addresses: the wiki, the dashboards, the chat ("wiki.corp.example,grafana.corp.example";
# a host covers its subdomains).
INTERNAL_HOSTS = env_list("INTERNAL_HOSTS", [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "taggit",
    "csp",
    "axes",
    "simple_history",
    "ninja",
    "accounts",
    "teams",
    "postmortems",
    "actions",
    "services",
    "reviews",
    "reporting",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.sessions.SessionRefreshMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that it sees the outcome of every login attempt.
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reviews.context_processors.reviews_waiting",
            ],
            "builtins": ["postmortems.templatetags.debrief"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'debrief.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and beat read while one of them writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # Short queries only: JIT compiling a misestimated plan cost more than running it. Added
    # to the URL's own `options` (README, "Production": the worker's synchronous_commit).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"-c jit=off {options.get('options', '')}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Passwords, refused in SSO-only mode except for the break-glass admin.
    "accounts.backends.PasswordBackend",
    # Sign-in with the identity provider; it answers only at the provider's callback.
    "accounts.oidc.SsoBackend",
]
if TESTING:
    # The suite creates hundreds of users; a slow hash would dominate its run time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "postmortems:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Serve static files straight from the source folders when there is no collectstatic.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
FORMS_URLFIELD_ASSUME_HTTPS = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
TAGGIT_CASE_INSENSITIVE = True

# Security. Behind a proxy that terminates TLS, X-Forwarded-Proto says the request was https.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
PRODUCTION = not (DEBUG or TESTING)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PRODUCTION
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000" if PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(12 * 60 * 60)))
# The 12 hours count from the last request, not the login: config/sessions.py.
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The admin and Bootstrap set some style attributes; scripts stay strictly external.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https:", "http:"],  # data: for Bootstrap's icons
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = int(env("PROXY_COUNT", "0")) or None

# Single sign-on with OpenID Connect (README, "Single sign-on"): on when a client id and the
# issuer (or the endpoints) are set. mozilla-django-oidc reads the OIDC_RP_/OIDC_OP_ names.
OIDC_ISSUER = env("OIDC_ISSUER").rstrip("/")
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", "single sign-on")
OIDC_RP_CLIENT_ID = env("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env("OIDC_CLIENT_SECRET")
OIDC_RP_SIGN_ALGO = env("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env("OIDC_SCOPES", "openid email profile")
# Explicit endpoints win over the ones the issuer's discovery document names.
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env("OIDC_USERINFO_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_JWKS_ENDPOINT")
OIDC_OP_END_SESSION_ENDPOINT = env("OIDC_END_SESSION_ENDPOINT")
OIDC_GROUPS_CLAIM = env("OIDC_GROUPS_CLAIM", "groups")
OIDC_ADMIN_GROUPS = env_list("OIDC_ADMIN_GROUPS", [])
OIDC_STAFF_GROUPS = env_list("OIDC_STAFF_GROUPS", [])
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint that ends the provider's session at logout
OIDC_TIMEOUT = int(env("OIDC_TIMEOUT", "10"))
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_callback"
OIDC_OP_LOGOUT_URL_METHOD = "accounts.oidc.logout_url"
LOGIN_REDIRECT_URL_FAILURE = "login"
SSO_ONLY = env_bool("SSO_ONLY")
SSO_BREAK_GLASS_USERNAME = env("SSO_BREAK_GLASS_USERNAME")
if SSO_ONLY and not (OIDC_RP_CLIENT_ID and SSO_BREAK_GLASS_USERNAME):
    raise ImproperlyConfigured(
        "SSO_ONLY needs single sign-on configured (OIDC_CLIENT_ID, OIDC_ISSUER) and "
        "SSO_BREAK_GLASS_USERNAME, the one admin who may still sign in with a password."
    )


def origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/')[0]}" if rest else ""


# Logging out posts a form that redirects to the provider's end-session endpoint, which the
# form-action directive must allow.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += sorted(
    {origin(url) for url in (OIDC_ISSUER, OIDC_OP_END_SESSION_ENDPOINT) if url}
)

# The audit log (README, "Audit log"): events older than this are purged daily.
AUDIT_RETENTION_DAYS = int(env("AUDIT_RETENTION_DAYS", "365"))

# Computed metrics. Their keys are made from the data they show, so a change is seen on the
# next request and nothing needs purging. With Redis, every web process shares one copy;
# without it, each keeps its own in memory.
if env("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("REDIS_URL"),
            "KEY_PREFIX": "debrief",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "debrief",
            "OPTIONS": {"MAX_ENTRIES": int(env("CACHE_MAX_ENTRIES", "1000"))},
        }
    }

# Requests larger than this are refused with a clear message instead of being parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    # One line per message; django.core.mail.backends.console.EmailBackend prints it whole.
    "config.console_email.OneLineEmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Debrief <debrief@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULE: dict = {
    # Hourly: each person's digest goes out in the first sweep at or after their local hour.
    # A run that waited in the queue for most of an hour is dropped; the next one covers it.
    "send-overdue-reminders": {
        "task": "actions.tasks.send_overdue_reminders",
        "schedule": crontab(minute=0),
        "options": {"expires": 50 * 60},
    },
    "purge-audit-events": {
        "task": "accounts.tasks.purge_audit_events",
        "schedule": crontab(hour=3, minute=30),
        "options": {"expires": 12 * 60 * 60},
    },
    # Linked tracker issues whose webhook was missed: their state is fetched and applied.
    "reconcile-trackers": {
        "task": "actions.tasks.reconcile_trackers",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    # Outbound webhooks whose next attempt is due (see WEBHOOK_RETRY_DELAYS).
    "retry-webhooks": {
        "task": "webhooks.tasks.retry_webhooks",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}

# Outbound webhooks (see README, "Webhooks"): seconds to wait for an answer, and the delays
# between attempts: 1 min, 5 min, 30 min, 2 h, 6 h, 15 h, 7 attempts within 23 h 36 min.
WEBHOOK_TIMEOUT = float(env("WEBHOOK_TIMEOUT", "10"))
WEBHOOK_RETRY_DELAYS = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=15),
]

# Reminders (see README, "Reminders").
REMINDER_DEFAULT_HOUR = 9
REMINDER_DUE_SOON_DAYS = int(env("REMINDER_DUE_SOON_DAYS", "2"))
REMINDER_ESCALATE_AFTER_DAYS = int(env("REMINDER_ESCALATE_AFTER_DAYS", "7"))
# Review deadlines of drafts, from `resolved_at`: calendar days or business days (Mon–Fri).
REVIEW_DEADLINE_DAYS = {1: 3}
REVIEW_DEADLINE_BUSINESS_DAYS = {2: 5}
# A running sweep writes a heartbeat this often; a later sweep takes over the claims of one
# silent for longer than the timeout (a killed worker).
REMINDER_HEARTBEAT = timedelta(seconds=float(env("REMINDER_HEARTBEAT_SECONDS", "30")))
REMINDER_HEARTBEAT_TIMEOUT = timedelta(
    seconds=float(env("REMINDER_HEARTBEAT_TIMEOUT_SECONDS", "120"))
)
# A sweep stops starting new sends after this long (below CELERY_TASK_SOFT_TIME_LIMIT); the
# rest are marked failed and go out on the next run.
REMINDER_SEND_BUDGET = timedelta(seconds=int(env("REMINDER_SEND_BUDGET_SECONDS", "200")))
REMINDER_MAX_ATTEMPTS = int(env("REMINDER_MAX_ATTEMPTS", "6"))
# After this many failed SMTP connections in a row, a sweep gives up on the rest until next run.
REMINDER_SMTP_CONNECT_FAILURES = 3
REMINDER_WEBHOOK_TIMEOUT = float(env("REMINDER_WEBHOOK_TIMEOUT", "5"))
# Webhooks that resolve to private, loopback or link-local addresses are refused in production.
REMINDER_WEBHOOK_ALLOW_PRIVATE = env_bool("REMINDER_WEBHOOK_ALLOW_PRIVATE", DEBUG)
# Everything Debrief posts (config/delivery.py) may reach internal addresses and plain http
# with this on; REMINDER_WEBHOOK_ALLOW_PRIVATE, its first name, still counts.
OUTBOUND_ALLOW_PRIVATE = env_bool("OUTBOUND_ALLOW_PRIVATE", DEBUG)

# Trackers (see README, "Trackers"): the keys that encrypt their credentials (Fernet keys,
# comma-separated, newest first), how long to wait for a tracker, and how much of its answer
# to read. Tracker base URLs are typed by admins, yet internal addresses are still only
# reached with OUTBOUND_ALLOW_PRIVATE on.
DEBRIEF_FIELD_KEYS = env("DEBRIEF_FIELD_KEYS", "")
TRACKER_TIMEOUT = float(env("TRACKER_TIMEOUT", "10"))
TRACKER_MAX_ANSWER_BYTES = 2 * 1024 * 1024
# /healthz says "degraded" when no sweep finished for this long.
REMINDER_SWEEP_MAX_AGE = timedelta(hours=2)

# How many reviewers must approve before a postmortem can be published.
POSTMORTEM_APPROVALS_REQUIRED = int(env("POSTMORTEM_APPROVALS_REQUIRED", "1"))
# Reviewers of a published postmortem hear of a change this long after the last save, once.
REVIEW_CHANGE_NOTICE_DELAY_SECONDS = int(env("REVIEW_CHANGE_NOTICE_DELAY_SECONDS", "600"))
# Review requests waiting longer than this appear in the reviewer's daily digest.
REVIEW_WAITING_DIGEST_DAYS = int(env("REVIEW_WAITING_DIGEST_DAYS", "3"))
# Done prevent and detect items still unverified this long after done appear in the digest of
# their postmortem's owner.
VERIFY_REMINDER_AFTER_DAYS = int(env("VERIFY_REMINDER_AFTER_DAYS", "30"))


# The team's own words that propose a timeline kind when a chat log is imported; they win over
# the built-in ones (README, "Paste a chat log"). `manage.py check` refuses unknown kinds.
CHAT_IMPORT_PHRASES = env_phrases("CHAT_IMPORT_PHRASES")
# An imported chat log posts a kind for each of its up to 2,000 messages (chatlog.MAX_LINES).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2100

# Default due dates of new action items, by priority.
# Requests per personal access token, in a fixed window: "600/min", "10000/hour".
API_RATE_LIMIT = env("API_RATE_LIMIT", "600/min")

ACTION_ITEM_DUE_DAYS = {"P1": 28, "P2": 56, "P3": 90}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

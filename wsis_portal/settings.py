"""Settings for the WSIS+20 reporting portal.

One file, driven by the environment (see ``.env.example`` for every variable).
The defaults are the *embedded* local setup: SQLite under ``var/``, e-mail to the
console, Celery tasks run inline. Production sets ``DEBUG=false`` and real URLs.
"""

import logging
import time
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
# Local state of the embedded setup: SQLite file, uploaded and generated files, mail.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

# --- Core -------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
# Keys that were ever written in this repository's examples, and the shapes of other placeholders:
# a deployment that kept one would sign sessions and invitations with a public key.
_PLACEHOLDER_KEYS = {
    _DEV_SECRET_KEY,
    "change-me-in-the-env-file-to-a-long-random-string-0123456789",
}
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (
    SECRET_KEY in _PLACEHOLDER_KEYS
    or SECRET_KEY.lower().startswith(("change-me", "changeme", "django-insecure", "secret", "..."))
    or len(SECRET_KEY) < 40
    or len(set(SECRET_KEY)) < 10
):
    raise ImproperlyConfigured(
        "SECRET_KEY is a placeholder or too short. Generate one with: "
        'python -c "import secrets; print(secrets.token_urlsafe(50))"'
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Public base URL used in e-mails (links to the portal and to the admin).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "wsis_portal.admin_site.PortalAdminConfig",  # django.contrib.admin with the portal's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",  # /sitemap.xml of the public pages (reports/public/sitemaps.py)
    "crispy_forms",
    "crispy_bootstrap5",
    "allauth",
    "allauth.account",
    "allauth.mfa",  # TOTP, recovery codes and security keys; required for staff (wsis_portal/mfa.py)
    "auditlog",  # model history of entities, members and invitations (reports/audit.py)
    "django_countries",  # only for its translated country names (Country.display_name)
    "rest_framework",  # the read-only open-data API under /api/v1/ (reports/api/)
    "drf_spectacular",  # its OpenAPI 3 document, /api/v1/openapi.json
    "django_filters",  # the API's filters
    "action_lines",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After LocaleMiddleware: its 400 page speaks the request's language, not the previous one's.
    "wsis_portal.middleware.RefuseNulBytesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute session limits (wsis_portal/sessions.py); no-store and Permissions-Policy.
    "wsis_portal.sessions.SessionLimitsMiddleware",
    "wsis_portal.middleware.PrivatePagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Staff reach the admin only with a second factor (after allauth's middleware: wsis_portal/mfa.py).
    "wsis_portal.mfa.StaffSecondFactorMiddleware",
]

# Content-Security-Policy (django-csp): scripts, styles, fonts and images from the portal itself
# only; no inline script anywhere (data goes through json_script, behaviour through static/js).
# Inline style *attributes* are allowed: progress bars set their width, charts their colours —
# they cannot run code. No framing, no plugins, forms post only to the portal.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

ROOT_URLCONF = "wsis_portal.urls"
WSGI_APPLICATION = "wsis_portal.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------

(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)  # also keeps WhiteNoise quiet in development
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the development server and the local worker share the file;
    # transactions that take the write lock when they begin (IMMEDIATE) wait for each other instead
    # of failing with "database is locked" when a reading transaction would later write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache every process shares: it counts login failures and the abuse limits (wsis_portal/limits.py),
# so with several processes it must not be each process's memory. CACHE_URL (Redis) when set; else,
# with DEBUG off, the database (its table made by `manage.py createcachetable`, run wherever `migrate`
# runs); process memory only for development (DEBUG on, one process).
CACHES = {
    "default": env.cache_url("CACHE_URL", default="locmemcache://" if DEBUG else "dbcache://portal_cache")
}
if CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache":
    # The cache only speeds things up (and counts login attempts): when its Redis is down, pages
    # keep answering as if every key were missing, after at most a second's wait, and the outage
    # is logged (django-redis' IGNORE_EXCEPTIONS; wsis_portal/cache.py says why `add` differs).
    CACHES["default"]["BACKEND"] = "wsis_portal.cache.FailOpenRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1}
    )
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# --- Auth ---------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
# After logging in: the person's report, or "register your entity" when they have none yet.
LOGIN_REDIRECT_URL = "reports:start"
# Confirming the address in the browser that signed up logs the person in (allauth only does
# this for the sign-up in progress in that session).
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""  # the portal's e-mail subjects name the portal themselves
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Second factor (django-allauth's MFA): an authenticator app (TOTP) and recovery codes. Staff must
# have one before any admin page, and their session must have been authenticated with it
# (wsis_portal/mfa.py). A code is accepted one 30-second step early or late (a phone's clock, the
# time to type it); each code works once.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "WSIS+20 reporting portal"
MFA_TOTP_TOLERANCE = 1
# Failed logins (wsis_portal/limits.py counts them by account, never by the Host header): per account
# and client address tightly, per account from anywhere loosely — so one address cannot lock the
# owner out, who logs in from another — and per client address over all accounts.
ACCOUNT_ADAPTER = "wsis_portal.limits.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_FAILED_LIMIT", default="5/5m/key"),  # one account from one address
    "login_failed_account": env.str("LOGIN_FAILED_ACCOUNT_LIMIT", default="20/15m/key"),  # from anywhere
    "login_failed_address": env.str("LOGIN_FAILED_ADDRESS_LIMIT", default="20/m/ip"),  # all accounts
}

# --- Internationalisation -----------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("ar", _("Arabic")),
    ("zh-hans", _("Chinese")),
    ("ru", _("Russian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates in the UN's English style; the other languages keep Django's formats (wsis_portal/formats/).
FORMAT_MODULE_PATH = ["wsis_portal.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Zurich")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Submission PDFs, compilations and bulk data files go through Django's storage: the local disk
# (MEDIA_ROOT) by default; an S3-compatible bucket (MinIO, Ceph RGW, AWS S3) when
# AWS_STORAGE_BUCKET_NAME is set, so that web and workers on several hosts share nothing but
# PostgreSQL, Redis and the bucket (docs/decisions/0011-object-storage-and-queues.md). The bucket
# stays private: downloads are streamed by the portal after its permission check.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None  # None: AWS itself
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None  # None: the host's IAM role
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
AWS_DEFAULT_ACL = None  # the bucket's own policy (private)
AWS_QUERYSTRING_AUTH = True
AWS_S3_FILE_OVERWRITE = False  # a second file under a taken name gets a new name, as on disk
# Path-style URLs (endpoint/bucket/key) for MinIO and other self-hosted servers.
AWS_S3_ADDRESSING_STYLE = env.str(
    "AWS_S3_ADDRESSING_STYLE", default="path" if AWS_S3_ENDPOINT_URL else "auto"
)
# A compilation copies its sources from the bucket into a temporary folder, at most this much.
COMPILE_SPOOL_MAX_MB = env.int("COMPILE_SPOOL_MAX_MB", default=4096)
STORAGES = {
    "default": {
        "BACKEND": (
            "storages.backends.s3.S3Storage"
            if AWS_STORAGE_BUCKET_NAME
            else "django.core.files.storage.FileSystemStorage"
        )
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# The workspace saves a section by itself this many seconds after a change (and when a field is left).
REPORT_AUTOSAVE_SECONDS = env.int("REPORT_AUTOSAVE_SECONDS", default=30)
# Every long answer may hold up to this many characters.
REPORT_TEXT_MAX_LENGTH = env.int("REPORT_TEXT_MAX_LENGTH", default=20_000)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail -------------------------------------------------------------------------

_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH") or str(VAR_DIR / "mail")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="WSIS reporting portal <no-reply@wsis.example.org>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where submitted reports are delivered; a reporting cycle may name its own address.
SECRETARIAT_EMAIL = env.str("SECRETARIAT_EMAIL", default="wsis-info@itu.int")

# --- Celery -------------------------------------------------------------------------

# Background work always goes through a broker to a worker, as in production. The embedded default
# uses kombu's filesystem transport: messages are files under VAR_DIR/broker, no server to run, and
# `make run` starts a worker (with beat) beside the web server. CELERY_TASK_ALWAYS_EAGER=true runs
# tasks inline in the calling process instead (the unit tests do).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost/")
_FILESYSTEM_BROKER = CELERY_BROKER_URL.startswith("filesystem://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = False
# Task results are not read by the portal (delivery rows carry the state); the broker test reads one.
CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND", default=None if _FILESYSTEM_BROKER else CELERY_BROKER_URL
)
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
# WeasyPrint does not hand memory back: recycle worker processes.
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=100)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=600_000)  # KiB
# A broker outage must not hang a web request: fail fast, the sweeper catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
# A worker's pool process killed mid-task (out of memory, a crash) has its task put back on its
# queue at once (acks_late with reject_on_worker_lost, on every task that does real work), and
# another process runs it within seconds. A task whose whole worker vanished stays with Redis until
# the visibility timeout, and the sweepers hand its row over again after the task's hard time
# limit plus DELIVERY_SWEEP_AFTER (minutes for PDFs and e-mails). The visibility timeout is set with
# the time limits: above the longest hard limit (the compilation's, 3300 s in
# reports/compilation/build.py) so that a task still running is never handed to a second worker,
# and above DELIVERY_RETRY_MAX_DELAY (a retry waits in its worker, unacknowledged). Checked below
# and in tests/integration/test_worker_lost.py.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, int | str | bool] = {
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    "max_retries": 1,
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
}
if _FILESYSTEM_BROKER:
    _BROKER_DIR = VAR_DIR / "broker"
    (_BROKER_DIR / "messages").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "messages"),
        "data_folder_out": str(_BROKER_DIR / "messages"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE

# --- Background jobs: report PDFs, e-mails (reports/delivery/) and compilations ---------------------
# A failed PDF or e-mail is retried after DELIVERY_RETRY_DELAY seconds, doubled each attempt up to
# DELIVERY_RETRY_MAX_DELAY (keep it below the broker's visibility timeout), DELIVERY_MAX_ATTEMPTS in
# all; then the row is marked failed for staff to see. An SMTP 5xx answer fails it at once.
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=8)
DELIVERY_RETRY_DELAY = env.float("DELIVERY_RETRY_DELAY", default=30.0)
DELIVERY_RETRY_MAX_DELAY = env.float("DELIVERY_RETRY_MAX_DELAY", default=1800.0)
# The sweeper hands over again rows still queued this many seconds after they were due (broker
# outage, lost message) and rows running longer than CELERY_TASK_TIME_LIMIT plus this (dead worker).
# Compilations (reports/compilation/build.py) follow the same delays and sweep, with their task's own
# time limit and at most three attempts.
DELIVERY_SWEEP_AFTER = env.int("DELIVERY_SWEEP_AFTER", default=120)
_LONGEST_WAIT = max(CELERY_TASK_TIME_LIMIT, DELIVERY_RETRY_MAX_DELAY)
if not _FILESYSTEM_BROKER and _LONGEST_WAIT >= CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must exceed CELERY_TASK_TIME_LIMIT and DELIVERY_RETRY_MAX_DELAY: "
        "otherwise a running or waiting task is handed to a second worker."
    )
CELERY_BEAT_SCHEDULE = {
    "deliveries-sweep": {
        "task": "reports.deliveries_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},  # a sweep that could not run in its minute is dropped, not stacked
    },
    # The same for compilations (reports/compilation/build.py), with their own time limit.
    "compilations-sweep": {
        "task": "reports.compilations_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Housekeeping (reports/housekeeping.py): expired sessions hourly, the retention rules below daily.
    "sessions-clear": {
        "task": "reports.sessions_clear",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "retention-apply": {
        "task": "reports.retention_apply",
        "schedule": 86400.0,
        "options": {"expires": 82800},
    },
    # Deadline reminders at each cycle's reminder days (reports/deadlines.py): hourly, each one once.
    "reminders-send": {
        "task": "reports.reminders_send",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    # Open-data archives (reports/opendata.py) whose published data changed and were not rebuilt yet.
    "opendata-refresh": {
        "task": "reports.opendata_refresh",
        "schedule": 300.0,
        "options": {"expires": 280},
    },
}

# --- Retention -------------------------------------------------------------------------
# Applied daily by Celery beat (reports/housekeeping.py; why: docs/decisions/0008-*.md).
# Security events and django-auditlog's model history are deleted RETENTION_AUDIT_DAYS after they
# happened. RETENTION_CONTACT_YEARS after a reporting cycle's deadline, the follow-up contact person
# of its reports (name, position, e-mail, phone, address) is cleared in the reports, the submitted
# snapshots and their PDFs. Expired sessions (and the text kept in them) are deleted hourly.
RETENTION_AUDIT_DAYS = env.int("RETENTION_AUDIT_DAYS", default=400)
RETENTION_CONTACT_YEARS = env.int("RETENTION_CONTACT_YEARS", default=3)

# --- Security -------------------------------------------------------------------------

BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
# The client's address (login limits, abuse limits, the security log): the proxies in front append
# to X-Forwarded-For; the address TRUSTED_PROXY_COUNT entries from its end is the client's. With no
# proxy (0) the header is ignored: anyone can send one. TRUSTED_PROXY_ADDRESSES, when set, lists
# the proxies' own addresses (or networks): a request from elsewhere — straight to gunicorn — has
# its X-Forwarded-For ignored too.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if BEHIND_PROXY else 0)
TRUSTED_PROXY_ADDRESSES = env.list("TRUSTED_PROXY_ADDRESSES", default=[])
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Sessions ---------------------------------------------------------------------------
# A logged-in session ends after SESSION_IDLE_MINUTES without a request (autosave counts) and
# SESSION_MAX_HOURS after logging in, whatever the activity (wsis_portal/sessions.py); text posted
# after that is kept for the person (reports/web/stash.py). The cookie outlives both by a day, so
# the middleware, not the cookie's expiry, ends the session and knows whose it was.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=60)
SESSION_MAX_HOURS = env.int("SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = (SESSION_MAX_HOURS + 24) * 3600
# Secure cookies (production) carry the __Host- prefix: the browser accepts them only from HTTPS,
# for this host alone (no Domain), for every path — a neighbouring subdomain cannot plant one.
SESSION_COOKIE_NAME = "__Host-sessionid" if SESSION_COOKIE_SECURE else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if CSRF_COOKIE_SECURE else "csrftoken"

# --- Abuse limits -------------------------------------------------------------------------
# What one person (or one entity) may do in a while, in django-allauth's syntax: "amount/period/per",
# period in s, m, h or d; per "user" (the person logged in) or "key" (here: the entity). Counted in
# the shared cache (wsis_portal/limits.py); over a limit the answer is a 429 page (or JSON) saying so.
PORTAL_RATE_LIMITS = {
    # Invitation e-mails: per entity and per inviting person.
    "invitation": env.str("INVITATION_LIMIT", default="20/h/key,30/h/user"),
    # Entities registered by one person.
    "entity_create": env.str("ENTITY_CREATE_LIMIT", default="5/d/user"),
    # PDF downloads (a submission's, a compilation's) by one person.
    "download": env.str("DOWNLOAD_LIMIT", default="20/m/user,300/h/user"),
    # Compilations requested by one member of the secretariat.
    "compilation": env.str("COMPILATION_LIMIT", default="20/h/user"),
    # Public PDFs laid out on their first download (anyone, per client address); a stored one is
    # served without counting.
    "public_pdf": env.str("PUBLIC_PDF_LIMIT", default="10/m/ip,100/h/ip"),
}

# --- Open data: the read-only API (/api/v1/) and the bulk downloads (/data/) -----------------------
# Django REST framework, for anyone and without login: no authentication (a session cookie is not
# read, so nothing depends on who asks), GET only, pages of API_PAGE_SIZE (``?page_size=`` up to
# API_MAX_PAGE_SIZE), and at most API_RATE_LIMIT requests per client address (proxy-aware, counted
# in the shared cache), then 429 with Retry-After. Why this stack: docs/decisions/0012-open-data-api.md.
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=50)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=200)
# How long an API answer is kept in the cache (a publication changes its key anyway).
API_CACHE_SECONDS = env.int("API_CACHE_SECONDS", default=600)
# How long the published data's state (Last-Modified, ETags) is kept; publishing resets it at once.
API_STATE_SECONDS = env.int("API_STATE_SECONDS", default=30)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_PAGINATION_CLASS": "reports.api.limits.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["reports.api.limits.ClientAddressThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env.str("API_RATE_LIMIT", default="120/min")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "WSIS+20 reporting portal — open data API",
    "DESCRIPTION": (
        "The published stakeholder reports on the implementation of the WSIS outcomes, their "
        "entities, the WSIS Action Lines and the reporting cycles. Read-only, no key needed. "
        "Licence: Creative Commons Attribution 4.0 (CC BY 4.0). Bulk downloads per cycle: /data/."
    ),
    "VERSION": "1",
    "LICENSE": {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": False,
}

# --- Logging ------------------------------------------------------------------------
# One line per record on the console, times in UTC. LOG_FORMAT=json (the default when DEBUG is off)
# writes each line as a JSON object (python-json-logger): "timestamp" in ISO 8601 with "+00:00", and
# the security audit log's fields (logger "wsis_portal.security": event, actor_id, actor_email,
# client_ip, object, path, detail) as keys of their own. LOG_FORMAT=plain (the default with DEBUG on) reads
# "2026-12-03T11:20:05.123Z INFO name: message".
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured("LOG_FORMAT must be json or plain.")


class _UTCFormatter(logging.Formatter):
    def converter(self, seconds: float | None) -> time.struct_time:
        return time.gmtime(seconds)  # asctime in UTC rather than the server's local time


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": _UTCFormatter,
            "format": "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s: %(message)s",
            "datefmt": "%Y-%m-%dT%H:%M:%S",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(levelname)s %(name)s %(message)s",
            "timestamp": True,
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "weasyprint.progress": {"level": "WARNING"},  # one INFO line per page and pass otherwise
        "fontTools": {"level": "WARNING"},  # font subsetting chatter while embedding fonts
        "pikepdf": {"level": "WARNING"},  # announces its logger bridge on import
        "mail.log": {"level": "WARNING"},  # aiosmtpd (the test SMTP server) logs every command
    },
}
# The worker logs through the same handler and formats instead of Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Security audit log: model history (django-auditlog) -------------------------------------------
# Which fields of which rows are kept in django-auditlog's LogEntry, with the actor and client address
# (reports.audit.AuditlogMiddleware). Reports are not registered: their review moves are StatusChange
# rows and "review" security events, and their text never enters the audit log. No model here holds a
# password, token or report text; the timestamps every save changes are left out.
_AUDIT_NOISE = ["created_at", "updated_at"]
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {"model": "reports.Entity", "exclude_fields": _AUDIT_NOISE},
    {"model": "reports.Membership", "exclude_fields": _AUDIT_NOISE},
    {"model": "reports.Invitation", "exclude_fields": _AUDIT_NOISE},
)
# Foreign keys show the row's name ("Ministry of ICT"), not only its id.
AUDITLOG_USE_FK_STRING_REPRESENTATION = True
MIDDLEWARE.append("reports.audit.AuditlogMiddleware")  # after authentication: it reads request.user

"""Settings shared by every environment; each value that differs comes from the environment.

`dev`, `test` and `prod` only choose defaults: production has none for the values that must be
set (see prod.py), so a missing one stops the process at start with ImproperlyConfigured.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file in the project folder is read when present (never committed; see .env.example).
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Our apps come first so that their management commands (`import`, `export`) and
    # templates override the third-party ones of the same name.
    "portal.accounts",
    "portal",
    "common",
    "enterprises",
    "loans",
    "portal.statistics",
    "incubators",
    "subsidies",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "import_export",
    "simple_history",
    "portal.axes_app.AxesConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.accounts.middleware.BureauSessionIdleMiddleware",
    "portal.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes must come last: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "portal.context_processors.work_queue",
                "portal.context_processors.navigation",
                "portal.context_processors.site_registration",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)


def without_jit(database: dict) -> dict:
    """PostgreSQL's JIT compiles a plan whose estimated cost passes jit_above_cost: the work
    queue's conditions (hundreds of expressions) cost 5–60 s to compile at municipal scale
    while the query itself runs in milliseconds. The portal's queries are short: no JIT."""
    if database.get("ENGINE", "").endswith("postgresql"):
        database.setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    return database


without_jit(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Every role lands on its work queue (an enterprise still waiting for approval is sent on
# to its pending page from there).
LOGIN_REDIRECT_URL = "queue"
LOGOUT_REDIRECT_URL = "home"

# Login lockout: 5 failures for one username from one address lock that pair for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0)

# Bureau (is_staff) sessions end after this many seconds without a request; the expiry is
# pushed forward at most once per BUREAU_SESSION_REFRESH_SECONDS (one session write).
BUREAU_SESSION_IDLE_SECONDS = env.int("BUREAU_SESSION_IDLE_SECONDS", default=30 * 60)
BUREAU_SESSION_REFRESH_SECONDS = env.int("BUREAU_SESSION_REFRESH_SECONDS", default=60)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]

# The footer's registration numbers (blank: not shown): the ICP filing, e.g. "渝ICP备12345678号",
# and the government website code (政府网站标识码), e.g. "5001120001".
SITE_ICP_NUMBER = env.str("SITE_ICP_NUMBER", default="")
SITE_GOVERNMENT_CODE = env.str("SITE_GOVERNMENT_CODE", default="")
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "portal" / "static"]
STORAGES = {
    "default": {
        # Uploads are private: stored outside the static files and served only through
        # permission-checked views (portal.uploads); MEDIA_URL is deliberately unset.
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "media")},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# `manage.py backup` (make backup) writes its dated folders here.
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "backups")
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Email: EMAIL_URL such as smtp+tls://user:password@smtp.example.com:587 or consolemail://
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="科技局服务平台 <noreply@kjj.example.cn>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Seconds any one SMTP socket operation may wait: a server that accepts the connection and
# never answers fails the attempt (retried later) instead of holding a worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
# Who gets mail_admins alerts (such as report emails stuck half-way): comma-separated addresses.
ADMINS = [(address, address) for address in env.list("ADMINS", default=[])]
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# Celery: without a broker, tasks run in-process (dev); production requires Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or None
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=15 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=20 * 60)
# Redis holds a delivered task "unacked" until the worker acknowledges it (after it ran:
# acks_late). A killed worker's tasks go back to the queue CELERY_VISIBILITY_TIMEOUT seconds
# after delivery; a surviving worker looks every CELERY_UNACKED_RESTORE_INTERVAL seconds.
# A task still running past the timeout is delivered a second time, which is why every task
# claims its row first and is safe to run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=5 * 60),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
    # A request that queues a task never hangs on a broker that stopped answering.
    "socket_timeout": 5,
    "socket_connect_timeout": 5,
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = False

# Every email goes through common.outbox. A failed attempt is tried again after
# OUTBOX_RETRY_BACKOFF seconds, doubled at each attempt up to OUTBOX_RETRY_BACKOFF_MAX (the
# cool-down), until OUTBOX_MAX_ATTEMPTS (defaults: about two days); then a person decides.
# The sweep (every OUTBOX_SWEEP_SECONDS) queues due messages again, re-queues a pending one
# whose task was lost after OUTBOX_LOST_AFTER, takes back a claim older than
# OUTBOX_CLAIM_TIMEOUT (its worker died: resent, or "may have been sent" once SMTP had
# started) and alerts the admins once about a message still unsent OUTBOX_ALERT_AFTER after
# it was written. A send task gets OUTBOX_SEND_SOFT_TIME_LIMIT seconds (then it releases its
# claim) and is killed at OUTBOX_SEND_TIME_LIMIT.
OUTBOX_RETRY_BACKOFF = env.int("OUTBOX_RETRY_BACKOFF", default=60)
OUTBOX_RETRY_BACKOFF_MAX = env.int("OUTBOX_RETRY_BACKOFF_MAX", default=60 * 60)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=48)
OUTBOX_SWEEP_SECONDS = env.float("OUTBOX_SWEEP_SECONDS", default=60.0)
OUTBOX_SWEEP_BATCH = env.int("OUTBOX_SWEEP_BATCH", default=500)
OUTBOX_LOST_AFTER = env.int("OUTBOX_LOST_AFTER", default=15 * 60)
OUTBOX_CLAIM_TIMEOUT = env.int("OUTBOX_CLAIM_TIMEOUT", default=5 * 60)
OUTBOX_ALERT_AFTER = env.int("OUTBOX_ALERT_AFTER", default=60 * 60)
OUTBOX_SEND_SOFT_TIME_LIMIT = env.int("OUTBOX_SEND_SOFT_TIME_LIMIT", default=4 * EMAIL_TIMEOUT)
OUTBOX_SEND_TIME_LIMIT = env.int("OUTBOX_SEND_TIME_LIMIT", default=OUTBOX_SEND_SOFT_TIME_LIMIT + 30)
if not OUTBOX_SEND_SOFT_TIME_LIMIT < OUTBOX_SEND_TIME_LIMIT < OUTBOX_CLAIM_TIMEOUT:
    # A live worker's claim must never look abandoned, or its email could leave twice.
    raise ImproperlyConfigured(
        "Set OUTBOX_SEND_SOFT_TIME_LIMIT < OUTBOX_SEND_TIME_LIMIT < OUTBOX_CLAIM_TIMEOUT."
    )

# A high-tech certificate's holder and the registry staff are emailed this many days before
# it expires, once per step; a certificate first seen inside a later step (a list imported
# late) gets only that step's reminder.
HIGH_TECH_EXPIRY_REMINDER_DAYS = (90, 30)

# Deadlines count working days on the official calendar (common.calendar): a service request
# is due on the 15th working day after the day of registration; a public notice (公示) lasts
# at least 5 working days counting its first day.
SERVICE_REQUEST_DUE_WORKING_DAYS = env.int("SERVICE_REQUEST_DUE_WORKING_DAYS", default=15)
# How many working days after its resolution the enterprise may still reopen a request.
SERVICE_REQUEST_REOPEN_WORKING_DAYS = env.int("SERVICE_REQUEST_REOPEN_WORKING_DAYS", default=10)
NOTICE_MIN_WORKING_DAYS = env.int("NOTICE_MIN_WORKING_DAYS", default=5)
# Objections filed on /notices/ from one address: at most this many per window.
OBJECTION_RATE_LIMIT = env.int("OBJECTION_RATE_LIMIT", default=5)
OBJECTION_RATE_WINDOW_SECONDS = env.int("OBJECTION_RATE_WINDOW_SECONDS", default=3600)

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# How long the work queue's count in the navigation is kept per person (common/queue.py).
QUEUE_COUNT_CACHE_SECONDS = 30

# Content-Security-Policy: everything from our own origin, nothing from a CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

# django-import-export: our resources do their own all-or-nothing transaction.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# Files above this many rows are imported by a Celery task with progress shown in admin.
IMPORT_BACKGROUND_ROWS = env.int("IMPORT_BACKGROUND_ROWS", default=2000)
# Bounds on an uploaded or imported list, so that a hostile file is refused before it is read.
# Measured on the 100,000-row enterprise list (bench/import_enterprises.py): xlsx 7.5 MB,
# csv 15 MB; its largest xlsx part inflates to 72 MB at a ratio of 9.6. An xlsx part larger
# than 1 MB may inflate at most IMPORT_XLSX_MAX_RATIO times, and all parts together at most
# IMPORT_XLSX_MAX_UNPACKED_BYTES; a zip bomb is refused at the size of the file itself.
IMPORT_MAX_FILE_BYTES = env.int("IMPORT_MAX_FILE_BYTES", default=40 * 1024 * 1024)
IMPORT_XLSX_MAX_UNPACKED_BYTES = env.int(
    "IMPORT_XLSX_MAX_UNPACKED_BYTES", default=200 * 1024 * 1024
)
IMPORT_XLSX_MAX_RATIO = env.int("IMPORT_XLSX_MAX_RATIO", default=100)
# A background import's worker writes a heartbeat every IMPORT_JOB_HEARTBEAT_SECONDS; a job
# still "running" with no heartbeat for IMPORT_JOB_STALE_SECONDS lost its worker and is
# marked failed by the sweep that runs every minute (portal/celery.py).
IMPORT_JOB_HEARTBEAT_SECONDS = env.int("IMPORT_JOB_HEARTBEAT_SECONDS", default=30)
IMPORT_JOB_STALE_SECONDS = env.int("IMPORT_JOB_STALE_SECONDS", default=3 * 60)

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        # Error reports to ADMINS are written to the outbox and sent by the worker: a request
        # never waits on the mail server (Django's own handler sends inside the request).
        "mail_admins": {
            "class": "common.error_reports.OutboxAdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Replaces Django's default handlers of this logger (among them its synchronous
        # AdminEmailHandler); records still reach the console through the root logger.
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
    },
}

"""Settings for Handbook Review: one module, every deployment value read from the environment.

Defaults are for a developer's laptop (SQLite file in the project folder, console e-mail) but stay
safe: DEBUG is off unless asked for, and with DEBUG off cookies are secure and HTTPS is enforced.
"""

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

# Lets the typed generics (ModelForm[User], ModelAdmin[Chapter]) work at run time.
django_stubs_ext.monkeypatch()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

# Without SECRET_KEY in the environment the app still starts (tests, a laptop), but with a key
# marked insecure: `check --deploy` reports it, so no production server runs with it unnoticed.
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-handbook-review-local-only"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "simple_history",
    "markdownx",
    "django_htmx",
    "django_tasks_db",
    # Logins (see "Logins" below): lockout, second factor, password-reset throttling.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_ratelimit",
    # Operations: backup/restore commands (django-dbbackup), the shared cache's table, /healthz.
    # A ground floor: knows no domain.
    "dbbackup",
    "handbook_review.ops",
    "handbook_review.people",
    "chapters",
    "comments",
    "handbook_review.notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Permissions-Policy on every response (PERMISSIONS_POLICY below).
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A logged-in person's stored language wins over the cookie and Accept-Language.
    "handbook_review.languages.UserLanguageMiddleware",
    # Cache-Control: no-store on every response to a logged-in user.
    "handbook_review.ops.middleware.PrivatePagesMiddleware",
    # request.user.is_verified(): whether this session has passed its second factor.
    "django_otp.middleware.OTPMiddleware",
    # Nothing is public: every view needs a login unless it is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # The audit log learns who acts, from which address, through which browser.
    "handbook_review.people.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Logins: an idle session ends; a session that owes a second factor reaches only the login,
    # second-factor and logout pages (and the public ones) until it is given.
    "handbook_review.people.sessions.IdleTimeoutMiddleware",
    "handbook_review.people.twofactor.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Turns a locked-out login attempt into the login page with the lockout message (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "handbook_review.urls"
WSGI_APPLICATION = "handbook_review.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "handbook_review.notifications.context.unread",
            ],
            # `moment` and `day`: dates as the reader's language writes them.
            "builtins": ["handbook_review.dates"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes a writing transaction take the lock at BEGIN, so two writers queue up
    # instead of one failing half-way with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "people.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Caches .
# "default": derived data only (rendered chapter versions, thread cards), keyed so that a stale
# entry is never read; per-process memory is fine, Redis shares it between workers.
# "shared": state that a later request or another process must see (rate-limit counters, import
# previews between upload and confirm): Redis when REDIS_URL is set, else the database (table
# ops_shared_cache, made by `migrate`), never per-process memory.
# Both use one Redis database (keys apart by prefix); clear() on either empties it.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        },
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "shared",
        },
    }
else:
    CACHES = {
        # Thread cards are cached one by one: the default of 300 entries would cull them.
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        },
        # Django's DatabaseCache with an atomic incr() (see handbook_review/ops/cache.py).
        "shared": {
            "BACKEND": "handbook_review.ops.cache.SharedDatabaseCache",
            "LOCATION": "ops_shared_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        },
    }
# --- end caches

# Internationalisation: the interface in English and the region's languages (locale/, compiled
# in Python by `manage.py catalogs compile`; see handbook_review/languages.py). A user's stored
# choice wins, then the language cookie, then the browser's Accept-Language, then English.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("sq", "Shqip"),
    ("bs", "Bosanski"),
    ("hr", "Hrvatski"),
    ("mk", "Македонски"),
    ("cnr", "Crnogorski"),
    ("sr", "Српски"),
    ("sr-latn", "Srpski (latinica)"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Montenegrin is not among Django's languages: its own strings come from Serbian (Latin), which the
# compiled Montenegrin catalogue carries beneath ours (README, "Languages").
LANG_INFO["cnr"] = {
    "bidi": False,
    "code": "cnr",
    "name": "Montenegrin",
    "name_local": "Crnogorski",
}
# Our own date formats where Django's are missing or US-style (en, sq) and for Montenegrin.
FORMAT_MODULE_PATH = ["handbook_review.formats"]
LANGUAGE_COOKIE_NAME = "hr_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Belgrade")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Uploaded images are served by a login-protected view, never by the web server directly.
MEDIA_URL = "/media/"
# Uploads and exports: local files by default; object storage by naming another backend, e.g.
# FILE_STORAGE_BACKEND=storages.backends.s3.S3Storage FILE_STORAGE_OPTIONS='{"bucket_name": ...}'
# (with django-storages installed). Files are only ever served through login-checked views.
STORAGES = {
    "default": {
        # Local files are written under a temporary name and moved into place when complete.
        "BACKEND": (
            os.environ.get("FILE_STORAGE_BACKEND")
            or "handbook_review.storage.AtomicFileSystemStorage"
        ),
        "OPTIONS": json.loads(os.environ.get("FILE_STORAGE_OPTIONS", "{}")),
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env_bool("STATIC_MANIFEST", True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
    # Backups : `manage.py backup` writes here, readable by the owner only.
    "dbbackup": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(Path(os.environ.get("BACKUP_DIR") or BASE_DIR / "var" / "backups")),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
}

# --- Backup and restore : django-dbbackup, wrapped by `manage.py backup` / `restore`.
# SQLite is restored through SQLite's backup API (handbook_review/ops/backups.py); PostgreSQL
# with pg_dump --format=custom / pg_restore (dbbackup's default). Failures exit non-zero for
# cron or systemd to report; dbbackup's own e-mail to ADMINS is off.
DBBACKUP_CONNECTOR_MAPPING = {
    "django.db.backends.sqlite3": "handbook_review.ops.backups.SqliteOnlineConnector"
}
DBBACKUP_SEND_EMAIL = False
# --- end backup and restore

# Background tasks (Django 6.1 django.tasks): a database queue that `manage.py db_worker` drains.
# TASKS_IMMEDIATE=1 runs each task at once in the request instead (tests, a laptop demo).
TASKS: dict[str, dict[str, Any]]
if env_bool("TASKS_IMMEDIATE", False):
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Jobs that cannot get stuck (chapters.jobs): a running export or import refreshes its heartbeat
# every EXPORT_HEARTBEAT_INTERVAL seconds; one whose worker is gone, or whose heartbeat is older
# than EXPORT_HEARTBEAT_TIMEOUT, is marked failed by `manage.py sweep_jobs` (and when its page is
# viewed). An export is tried at most EXPORT_MAX_ATTEMPTS times in EXPORT_ATTEMPT_WINDOW seconds.
EXPORT_HEARTBEAT_INTERVAL = float(os.environ.get("EXPORT_HEARTBEAT_INTERVAL", "10"))
EXPORT_HEARTBEAT_TIMEOUT = float(os.environ.get("EXPORT_HEARTBEAT_TIMEOUT", "120"))
EXPORT_MAX_ATTEMPTS = int(os.environ.get("EXPORT_MAX_ATTEMPTS", "3"))
EXPORT_ATTEMPT_WINDOW = int(os.environ.get("EXPORT_ATTEMPT_WINDOW", "3600"))
# Reading a Word document: pandoc runs as a child process with these limits.
IMPORT_PANDOC_TIMEOUT = float(os.environ.get("IMPORT_PANDOC_TIMEOUT", "60"))
IMPORT_PANDOC_MEMORY_MB = int(os.environ.get("IMPORT_PANDOC_MEMORY_MB", "1536"))

# E-mail (Django 6.1 mailers): console by default; SMTP when EMAIL_HOST is set.
if os.environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": int(os.environ.get("EMAIL_PORT", "587")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Handbook Review <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security. With DEBUG off everything is on unless the environment says otherwise (a plain-HTTP
# test server behind nothing, for instance).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Health : load balancers probe /healthz over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Permissions-Policy : the app uses none of these browser features; an injected
# script or a framed page gets none of them either. (Nothing copies to the clipboard.)
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "ambient-light-sensor",
        "autoplay",
        "bluetooth",
        "browsing-topics",
        "camera",
        "clipboard-read",
        "clipboard-write",
        "display-capture",
        "encrypted-media",
        "gamepad",
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
        "screen-wake-lock",
        "serial",
        "usb",
        "window-management",
        "xr-spatial-tracking",
    )
}
# --- Logins: lockout, second factor, sessions, password-reset throttling -------------------------
# (handbook_review/people/throttling.py, twofactor.py, sessions.py; README "Logins")

# Axes first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "handbook_review.people.backends.EmailBackend",
]
# After AXES_FAILURE_LIMIT failed logins for one e-mail address, or from one client address,
# further attempts (even with the right password) are refused for AXES_COOLOFF_MINUTES; an
# administrator unlocks earlier in the admin (Axes > Access attempts) or with
# `manage.py axes_reset_username EMAIL` / `axes_reset_ip IP`.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
# Each entry is counted on its own: the account, and the client address.
AXES_LOCKOUT_PARAMETERS = env_list("AXES_LOCKOUT_PARAMETERS", "username,ip_address")
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "handbook_review.people.throttling.login_username"
AXES_CLIENT_IP_CALLABLE = "handbook_review.people.throttling.client_ip"
AXES_LOCKOUT_CALLABLE = "handbook_review.people.throttling.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
# Behind a TLS-terminating proxy the client's address is the last one the proxy appended to
# X-Forwarded-For; otherwise REMOTE_ADDR (a client could write any X-Forwarded-For it likes).
CLIENT_IP_FROM_X_FORWARDED_FOR = env_bool("BEHIND_PROXY", False)

# Second factor (django-otp: TOTP apps, plus one-time recovery codes). REQUIRE_2FA makes it
# compulsory for editors and administrators; it is on unless DEBUG is (the demo offers it without
# requiring it). Whoever has enrolled is always asked for a code, whatever REQUIRE_2FA says.
REQUIRE_2FA = env_bool("REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Handbook Review")
# Wrong codes: waits of 1, 2, 4, 8 ... seconds (times this factor) before the next try.
OTP_TOTP_THROTTLE_FACTOR = int(os.environ.get("OTP_THROTTLE_FACTOR", "1"))
OTP_STATIC_THROTTLE_FACTOR = OTP_TOTP_THROTTLE_FACTOR
RECOVERY_CODES = 10

# Sessions: at most SESSION_COOKIE_AGE long (12 hours), and ended after SESSION_IDLE_TIMEOUT
# minutes without a request. A password change ends the user's other sessions (Django's session
# hash); "log out everywhere" bumps User.session_epoch, which the hash also covers.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(60 * 60 * 12)))
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", "30"))

# An invitation or password-reset link works this many seconds (three days), once.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(60 * 60 * 24 * 3)))
# Password-reset requests: per e-mail address and per client address (django-ratelimit).
PASSWORD_RESET_RATE = os.environ.get("PASSWORD_RESET_RATE", "3/h")
PASSWORD_RESET_IP_RATE = os.environ.get("PASSWORD_RESET_IP_RATE", "10/h")
# The counters are shared by every worker: the "shared" cache (Redis with REDIS_URL, else the
# database table that migrate creates).
RATELIMIT_USE_CACHE = os.environ.get("RATELIMIT_CACHE", "shared")
RATELIMIT_IP_META_KEY = "handbook_review.people.throttling.client_ip_for_ratelimit"
SILENCED_SYSTEM_CHECKS = [
    # django-ratelimit knows only django-redis by name; Django's own RedisCache increments
    # atomically (INCRBY) too.
    "django_ratelimit.W001",
]

# --- end of Logins

# Markdown editor: the preview goes through the same sanitising renderer as the chapter page.
MARKDOWNX_MARKDOWNIFY_FUNCTION = "chapters.rendering.markdownify"
MARKDOWNX_URLS_PATH = "/markdownx/markdownify/"
MARKDOWNX_UPLOAD_URLS_PATH = "/markdownx/upload/"
MARKDOWNX_MEDIA_PATH = "images/"
MARKDOWNX_UPLOAD_MAX_SIZE = 5 * 1024 * 1024
MARKDOWNX_IMAGE_MAX_SIZE = {"size": (2000, 2000), "quality": 90}
DATA_UPLOAD_MAX_MEMORY_SIZE = 3 * 1024 * 1024

# Domain limits.
CHAPTER_BODY_MAX_BYTES = 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

"""One settings module, driven by environment variables (JICENG_*)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = Path(os.environ.get("JICENG_HOME", Path.cwd()))
VAR_DIR = Path(os.environ.get("JICENG_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


DEBUG = env_bool("JICENG_DEBUG")
# Demo mode: demo passwords and var/demo-accounts.json exist only when this is on.
DEMO_MODE = env_bool("JICENG_DEMO")
# "county" runs a county platform, "hub" the provincial collaboration platform.
PLATFORM_ROLE = os.environ.get("JICENG_PLATFORM_ROLE", "county")
# This platform's system code in the federation (county platforms: their GB/T 2260 code), and the
# reference department system's automatic answer to assignments ("", "return" or "resolve"; demo and tests).
PLATFORM_CODE = os.environ.get("JICENG_PLATFORM_CODE", "")
# This platform's name on its own pages (default: a county platform's county, e.g. 青溪县).
PLATFORM_NAME = os.environ.get("JICENG_PLATFORM_NAME", "").strip()
FEDERATION_AUTO_ANSWER = os.environ.get("JICENG_FEDERATION_AUTO_ANSWER", "")
# Message signatures: "hmac-sha256", or "hmac-sm3" where OpenSSL provides SM3 (receivers accept both).
FEDERATION_SIGNATURE = os.environ.get("JICENG_FEDERATION_SIGNATURE", "hmac-sha256")

SECRET_KEY = os.environ.get("JICENG_SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or DEMO_MODE or os.environ.get("PYTEST_VERSION")):
        raise RuntimeError("JICENG_SECRET_KEY must be set outside demo and debug mode")
    SECRET_KEY = "insecure-demo-key-do-not-use-in-production-" + "x" * 16

# Key for personal data at rest (base64 of 32 random bytes). Required in production.
DATA_KEY = os.environ.get("JICENG_DATA_KEY", "")
# Keys being rotated out (comma-separated): still decrypt, never encrypt. See core/crypto.py.
DATA_KEY_PREVIOUS = [k for k in os.environ.get("JICENG_DATA_KEY_PREVIOUS", "").split(",") if k]
if not DATA_KEY and not (DEBUG or DEMO_MODE or os.environ.get("PYTEST_VERSION")):
    raise RuntimeError("JICENG_DATA_KEY must be set outside demo and debug mode")

ALLOWED_HOSTS = [
    h for h in os.environ.get("JICENG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("JICENG_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "jiceng.core",
    "jiceng.org",
    "jiceng.accounts",
    "jiceng.audit",
    "jiceng.events",
    "jiceng.notifications",
    "jiceng.registry",
    "jiceng.analytics",
    "jiceng.gis",
    "jiceng.federation",
    "jiceng.worktools",
    "jiceng.portal",
    "jiceng.applications",
    "jiceng.iot",
    "jiceng.web",
    "jiceng.demo",
]

MIDDLEWARE = [
    "jiceng.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jiceng.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "jiceng.core.middleware.CSPMiddleware",
    "jiceng.web.middleware.DomainErrorMiddleware",
    "jiceng.core.middleware.AccessLogMiddleware",
]

ROOT_URLCONF = "jiceng.urls"
WSGI_APPLICATION = "jiceng.wsgi.application"

# Live messages (Django Channels, see worktools/live.py). Production: a Redis channel layer
# (JICENG_CHANNELS_REDIS_URL, else a redis:// Celery broker) and the sockets served by `jiceng live` in
# its own ASGI process. Embedded mode (no Redis): the in-process layer, and `jiceng serve` serves pages
# and sockets from one ASGI process. JICENG_LIVE_URL: where browsers open the socket when it is not
# this site's /ws/ (e.g. ws://127.0.0.1:8001 without a reverse proxy).
ASGI_APPLICATION = "jiceng.asgi.application"
_BROKER = os.environ.get("JICENG_CELERY_BROKER_URL", "").strip()
CHANNELS_REDIS_URL = os.environ.get("JICENG_CHANNELS_REDIS_URL", "").strip() or (
    _BROKER if _BROKER.startswith(("redis://", "rediss://", "unix://")) else ""
)
CHANNEL_LAYERS = {
    "default": (
        {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [CHANNELS_REDIS_URL], "prefix": "jiceng-live"},
        }
        if CHANNELS_REDIS_URL
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    )
}
# Live delivery needs Redis, or embedded mode where one process serves everything; otherwise polling only.
LIVE_ENABLED = bool(CHANNELS_REDIS_URL) or not _BROKER
LIVE_URL = os.environ.get("JICENG_LIVE_URL", "").strip().rstrip("/")
LIVE_ORIGINS = [f"{u.scheme}://{u.netloc}" for u in [urlsplit(LIVE_URL)] if u.scheme in ("ws", "wss")]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "jiceng.web.context_processors.navigation",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("JICENG_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'jiceng.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("JICENG_DB_CONN_MAX_AGE", 60))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # Under ASGI (`jiceng serve`) a kept connection would leak with each request's context, so none is
    # kept by default; a WSGI server on SQLite (the federation cluster's nodes) may keep them: opening one
    # parses the whole schema, ~5 ms of CPU.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("JICENG_DB_CONN_MAX_AGE", 0)
    # A file, not shared-cache memory, so concurrency tests see real SQLite locking.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "jiceng.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "jiceng.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "jiceng.accounts.passwords.NoUsernameValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Security baseline (等保 2.0 level 3): lockout and idle timeout.
LOGIN_MAX_FAILURES = env_int("JICENG_LOGIN_MAX_FAILURES", 5)
LOGIN_LOCK_MINUTES = env_int("JICENG_LOGIN_LOCK_MINUTES", 15)
SESSION_IDLE_MINUTES = env_int("JICENG_SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# Sliding expiry: every request renews the session, so SESSION_COOKIE_AGE is the idle timeout.
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("JICENG_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env_int("JICENG_HSTS_SECONDS", 0)
API_TOKEN_TOUCH_SECONDS = 60
# How long a server process trusts a checked token before reading it again (revocation, role changes).
API_TOKEN_CACHE_SECONDS = env_int("JICENG_API_TOKEN_CACHE_SECONDS", 10)
# Behind a reverse proxy that sets X-Forwarded-For and X-Forwarded-Proto (deploy/nginx/jiceng.conf), trust
# them: the client IP in audit records, and HTTPS at the proxy (CSRF's origin check, secure redirects).
TRUST_PROXY_HEADERS = env_bool("JICENG_TRUST_PROXY_HEADERS")
if TRUST_PROXY_HEADERS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Base map of the map pages: raster tiles ({z}/{x}/{y} URL templates, several comma-separated for
# subdomains), e.g. 天地图 (WGS-84/CGCS2000; needs its tk key in the URL) or 高德 (GCJ-02). Unset: no base
# map, only the platform's own layers on a plain background. With a GCJ-02 source our WGS-84 geometry is
# shifted to GCJ-02 for display.
MAP_TILES = [u.strip() for u in os.environ.get("JICENG_MAP_TILES", "").split(",") if u.strip()]
MAP_TILES_CRS = os.environ.get("JICENG_MAP_TILES_CRS", "wgs84").strip().lower()
if MAP_TILES_CRS not in ("wgs84", "cgcs2000", "gcj02"):
    raise RuntimeError("JICENG_MAP_TILES_CRS must be wgs84, cgcs2000 or gcj02")
MAP_TILES_ATTRIBUTION = os.environ.get("JICENG_MAP_TILES_ATTRIBUTION", "")
# The tile server's origins are allowed in the Content-Security-Policy (MapLibre fetches tiles).
MAP_TILE_ORIGINS = sorted(
    {f"{u.scheme}://{u.netloc}" for u in map(urlsplit, MAP_TILES) if u.scheme in ("http", "https")}
)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *MAP_TILE_ORIGINS],
        "font-src": ["'self'"],
        "connect-src": ["'self'", *MAP_TILE_ORIGINS, *LIVE_ORIGINS],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Bodies above this are refused with 413 before any parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("JICENG_MAX_BODY_BYTES", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("JICENG_STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at every start when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

LOG_FORMAT = os.environ.get("JICENG_LOG_FORMAT", "text")  # "text" or "json" (JSON lines)
LOG_LEVEL = os.environ.get("JICENG_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "jiceng.core.logging.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["asctime", "levelname", "name", "message", "request_id"],
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # One line per task run drowns everything else (tasks run in process in embedded mode).
        "celery.app.trace": {"level": "WARNING"},
    },
}

JICENG_HOLIDAY_DIR = os.environ.get("JICENG_HOLIDAY_DIR", "")

# Event attachments: size limits per kind, and the pixel cap against decompression bombs.
JICENG_MAX_PHOTO_MB = env_int("JICENG_MAX_PHOTO_MB", 10)
JICENG_MAX_VOICE_MB = env_int("JICENG_MAX_VOICE_MB", 10)
JICENG_MAX_VIDEO_MB = env_int("JICENG_MAX_VIDEO_MB", 50)
JICENG_MAX_FILE_MB = env_int("JICENG_MAX_FILE_MB", 20)
JICENG_MAX_PHOTO_PIXELS = env_int("JICENG_MAX_PHOTO_PIXELS", 50_000_000)
NINJA_PAGINATION_MAX_LIMIT = 1000
NINJA_PAGINATION_PER_PAGE = 50

# SMS: a dotted path to a class with send(phone, text) -> (ok, reply); the default only logs.
SMS_SENDER = os.environ.get("JICENG_SMS_SENDER", "jiceng.notifications.sms.LoggingSmsSender")
# The address residents reach the platform at (e.g. https://jiceng.example.gov.cn), for links sent by SMS
# (the 好差评 rating link). Unset: no such SMS.
PUBLIC_URL = os.environ.get("JICENG_PUBLIC_URL", "").strip().rstrip("/")

# Background work (Celery): embedded by default, a broker from JICENG_CELERY_BROKER_URL.
from jiceng.celery_settings import *  # noqa: E402, F403

"""Newsroom settings: one module, configured from the environment.

Development defaults are safe to run locally (SQLite, DEBUG off unless asked for);
production fails loudly when a secret is missing.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_rate(name: str, default: str) -> str | None:
    """A request rate like `30/minute` (DRF's syntax: per second, minute, hour or day); `off` or `0` for none."""
    value = os.environ.get(name, default).strip().lower()
    if value in {"off", "0", "none"}:
        return None
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name} must look like 30/minute (or be off), not {value!r}.")
    return value


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    # Development only: a fixed key would let anyone forge sessions on a forgotten dev server.
    SECRET_KEY = "dev-insecure-" + os.urandom(24).hex()

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "newsroom.apps.AdminConfig",  # django.contrib.admin with the editors' desk as its front page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django.contrib.syndication",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "django_tasks_db",
    "axes",
    "providers",
    "articles",
]

MIDDLEWARE = [
    "newsroom.request_log.RequestLogMiddleware",  # first: it times and logs every response, refusals included
    # Anonymous hits of the public page cache, with the headers of the middleware below (newsroom/page_hits.py).
    "newsroom.page_hits.PublicPageHitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "newsroom.hygiene.RequestHygieneMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "newsroom.throttling.RateLimitMiddleware",
    # Late, so that it sees a view's exception first: a lost database connection becomes the 503 page.
    "newsroom.errors.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

AUTHENTICATION_BACKENDS = [
    # django-axes refuses a locked-out login before the password is hashed (no CPU spent on a brute force).
    "newsroom.auth.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "newsroom.urls"

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
                "django.template.context_processors.csp",
            ],
        },
    },
]

WSGI_APPLICATION = "newsroom.wsgi.application"

DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A dead or unreachable server fails a connection attempt after this long (libpq's minimum is 2 s).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", 2))
    )
    if env_bool("DATABASE_POOL", True):
        # psycopg 3's pool keeps connections warm across requests; it replaces CONN_MAX_AGE. Each connection is
        # checked before a request gets it (CONN_HEALTH_CHECKS: one round trip), so a connection left over from
        # before a PostgreSQL restart is replaced instead of failing the request; newsroom/db_pool.py keeps
        # the pool's reconnection attempts frequent during an outage. A request waits at most `timeout` seconds
        # for a connection before it gets the 503 page (much less once the database is known to be away).
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": int(os.environ.get("DATABASE_POOL_MIN_SIZE", 1)),
            "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", 4)),
            "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", 1)),
        }
        from newsroom.db_pool import retry_connections_every

        retry_connections_every(float(os.environ.get("DATABASE_RECONNECT_INTERVAL", 0.25)))
# The river's queries are prepared statements of each PostgreSQL connection (articles/compiled.py); 0 for a
# transaction-pooling proxy such as PgBouncer, which cannot keep a session's statements.
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
# /healthz answers 503 after this many seconds without a database connection.
HEALTHZ_DATABASE_TIMEOUT = float(os.environ.get("HEALTHZ_DATABASE_TIMEOUT", 0.5))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date and time format in the admin ("24 Nov 2026, 14:02"): newsroom/formats/en/formats.py.
FORMAT_MODULE_PATH = ["newsroom.formats"]

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers and feed readers ask for at the site's root (favicon.ico, apple-touch-icon.png), served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "webroot"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Outside debug: hashed, compressed names served by WhiteNoise (needs `collectstatic`, as `make test` runs).
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    # django-storages reads the other AWS_* variables (endpoint, region, keys) from the environment.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "default_acl": None,
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", False),
            "file_overwrite": False,
        },
    }

# The public page cache and its version must be shared by every worker on every machine (articles/cache.py):
# Redis when CACHE_URL/REDIS_URL is set; otherwise, in production, the database (nothing more to run; its
# tables are created by `migrate`); local memory only in development (DJANGO_DEBUG=1), where one process serves.
CACHE_URL = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL")
# Local memory is private to one process: articles.cache keeps public entries for seconds only there.
LOCAL_MEMORY_CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "public": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "public",
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
}
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("CACHE_URL/REDIS_URL must be a redis://, rediss:// or unix:// URL.")
    # Short socket timeouts and no retries: a dead Redis must cost a request milliseconds (newsroom/cache_backends.py
    # then leaves it alone for `retry_interval` seconds and the site serves from the database).
    _redis_options = {
        "socket_connect_timeout": float(os.environ.get("CACHE_CONNECT_TIMEOUT", 0.25)),
        "socket_timeout": float(os.environ.get("CACHE_SOCKET_TIMEOUT", 0.5)),
        "retry_interval": float(os.environ.get("CACHE_RETRY_INTERVAL", 1)),
    }
    CACHES = {
        "default": {
            "BACKEND": "newsroom.cache_backends.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": _redis_options,
        },
        "public": {
            "BACKEND": "newsroom.cache_backends.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "p",
            "OPTIONS": _redis_options,
        },
    }
elif DEBUG:
    CACHES = LOCAL_MEMORY_CACHES
else:
    CACHES = {
        "default": {"BACKEND": "newsroom.cache_backends.AtomicDatabaseCache", "LOCATION": "newsroom_cache"},
        # Page entries always carry their own timeout (articles/cache.py); the version key must not expire.
        "public": {
            "BACKEND": "newsroom.cache_backends.AtomicDatabaseCache",
            "LOCATION": "newsroom_public_cache",
            "TIMEOUT": None,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        },
    }
# "public" holds rendered public pages, feeds and API responses, and values every page needs such as the topic index
# (articles/cache.py). PUBLIC_PAGE_CACHE=0 renders every response (what a page-cache miss costs in production, where
# the values stay cached); PUBLIC_CACHE=0 turns the whole public cache off, values included (benchmarks, debugging).
PUBLIC_PAGE_CACHE = env_bool("PUBLIC_PAGE_CACHE", True)
if not env_bool("PUBLIC_CACHE", True):
    CACHES["public"] = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
# Rendered river entries each process keeps, keyed by the values they show (articles/templatetags/river.py: about
# 2 KB each); 0 renders every entry.
RIVER_ENTRY_MEMO = int(os.environ.get("RIVER_ENTRY_MEMO", 2000))

IMAGE_FETCH_ALLOWED_HOSTS = env_list("IMAGE_FETCH_ALLOWED_HOSTS")
# Image pipeline (articles/images/): limits for fetching untrusted remote images, and the sizes made from them.
IMAGE_FETCH_MAX_BYTES = int(os.environ.get("IMAGE_FETCH_MAX_BYTES", 10 * 1024 * 1024))
IMAGE_FETCH_CONNECT_TIMEOUT = float(os.environ.get("IMAGE_FETCH_CONNECT_TIMEOUT", 5))
IMAGE_FETCH_READ_TIMEOUT = float(os.environ.get("IMAGE_FETCH_READ_TIMEOUT", 10))
IMAGE_FETCH_TOTAL_TIMEOUT = float(os.environ.get("IMAGE_FETCH_TOTAL_TIMEOUT", 30))
IMAGE_FETCH_WORKERS = int(os.environ.get("IMAGE_FETCH_WORKERS", 8))
IMAGE_FETCH_MAX_ATTEMPTS = int(os.environ.get("IMAGE_FETCH_MAX_ATTEMPTS", 6))
IMAGE_MAX_PIXELS = int(os.environ.get("IMAGE_MAX_PIXELS", 40_000_000))
IMAGE_RENDITION_WIDTHS = {"thumb": 400, "card": 1200}

# Background work (image fetching) on Django's tasks framework, stored in the database;
# `python manage.py db_worker` runs it.
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Read-only public data: no sessions or CSRF to consult, and responses do not depend on who asks.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    # Requests per client (newsroom.throttling counts them in the shared `default` cache for every request, cached
    # responses included): the API, the public search, and admin login attempts (each costs a password hash).
    "DEFAULT_THROTTLE_RATES": {
        "api": env_rate("RATE_LIMIT_API", "120/minute"),
        "search": env_rate("RATE_LIMIT_SEARCH", "30/minute"),
        "login": env_rate("RATE_LIMIT_LOGIN", "20/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Newsroom API",
    "DESCRIPTION": "Published stories, topics and providers. Read-only; public data only.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Security: strict by default; DJANGO_DEBUG=1 relaxes only what plain-HTTP local work needs.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    # Remote images stay allowed until they are cached locally (the image pipeline); never scripts.
    "img-src": [CSP.SELF, "https:", "http:", "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers poll app servers over plain HTTP: a redirect would read as "unhealthy".
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("DJANGO_HSTS_SECONDS", 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
BEHIND_TLS_PROXY = env_bool("DJANGO_BEHIND_TLS_PROXY")
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Reverse proxies in front of the app that append the address they saw to X-Forwarded-For (newsroom.clients).
# Without any, that header is the client's own word and is ignored: rate limits and lock-outs use REMOTE_ADDR.
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", 1 if BEHIND_TLS_PROXY else 0))

# Admin logins (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username from one client address,
# that pair is refused for LOGIN_LOCKOUT_MINUTES (in the database: every worker sees it, restarts keep it).
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", 30)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # a stranger cannot lock an editor out from elsewhere
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "newsroom.clients.client_bucket"
AXES_LOCKOUT_CALLABLE = "newsroom.errors.login_locked_out"

# Logs: one line per record on stderr, logfmt (key=value) or JSON lines, both parsed by log tools; one line per
# request (newsroom.request_log) and per import run, never a cookie, password, session or `secured` value.
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "logfmt").strip().lower()
if LOG_FORMAT not in {"logfmt", "json"}:
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT must be logfmt or json, not {LOG_FORMAT!r}.")
REQUEST_LOG = env_bool("DJANGO_REQUEST_LOG", True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {
            "()": "newsroom.logformat.JsonFormatter" if LOG_FORMAT == "json" else "newsroom.logformat.LogfmtFormatter"
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "line"},
        "discard": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    "loggers": {
        # Django's default configuration gives "django" a console handler of its own (in debug), so each of its
        # warnings printed twice: once there, once at the root. Everything now goes through the root only.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # runserver's request lines and django.request's "Not Found: /…" warnings repeat newsroom.requests'
        # line; server errors (with their traceback) still come through.
        "django.server": {"handlers": ["discard"], "propagate": False},
        "django.request": {"level": "ERROR"},
        "newsroom.requests": {"level": "INFO"},
        "articles.imports": {"level": "INFO"},
    },
}

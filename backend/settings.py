"""Django settings for the widget builder.

Everything a deployment changes comes from the environment through the typed
helpers in ``backend.env``. Defaults are the embedded ones: SQLite for the app
database, a DuckDB file for the demo warehouse, Dramatiq's in-process stub
broker, and the offline model when no LLM credentials are configured.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

from backend.env import env_bool, env_int, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("BUILDER_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Return SECRET_KEY from the environment, or one kept in var/ across restarts."""
    configured = env_str("SECRET_KEY")
    if configured:
        return configured
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [h for h in env_str("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env_str("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served as our own static files (no CDN)
    "csp",
    "django_dramatiq",
    "backend.jobs",
    "backend.accounts",
    "axes",
    "backend.llm",
    "sql_gen",
    "widgets",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which reads a form body, and before any view parses one.
    "backend.middleware.RequestBodyGuard",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers a locked-out login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"

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
                "backend.llm.context_processors.builder_mode",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'app.sqlite3'}"),
        # Workers run one step after another on long-lived threads: reusing their connections saves a
        # connection set-up per step (health checks drop a connection the server closed).
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; the timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # A file, not memory, for the test database: the browser tests' server and worker threads
    # each open their own connection, which an in-memory database cannot serve reliably.
    # Named per process so that two test runs in one checkout do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-app-{os.getpid()}.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Named per process too: two runs against one server (a helper's tests beside CI's) would otherwise
    # create and drop the same test database under each other.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("CACHE_URL")}
        if env_str("CACHE_URL").startswith("redis")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# django-axes first: it refuses a locked-out login before any password is checked (app login and admin).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# --- Login throttling (django-axes): lock a username from one IP address after AXES_FAILURE_LIMIT failures,
# for AXES_COOLOFF_MINUTES. Username and IP together: a NAT'd office is not locked out by one person, nor is a
# user locked out by someone guessing from elsewhere.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "backend.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "backend.accounts.lockout.lockout_response"  # 429 with Retry-After
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Single files of npm packages, found by backend.staticfiles.VendorFileFinder (left out while absent, so
# Django starts before `make setup`): ECharts' ES-module build for the dashboard's charts (one file of its
# 46 MB dist/; static/widgets/charts.js imports it by a relative path), and the custom-widget Worker's
# QuickJS, which `make setup` builds from the pinned packages (widgets/tsx/vendor-quickjs.mjs).
VENDOR_STATIC_FILES = {
    "vendor/echarts/echarts.esm.min.js": BASE_DIR / "node_modules/echarts/dist/echarts.esm.min.js",
    "vendor/quickjs/quickjs.js": BASE_DIR / "node_modules/.cache/widget-builder/quickjs.js",
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "backend.staticfiles.VendorFileFinder",
]
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve straight from static/ too, so a missed collectstatic is not a broken page

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the dashboard's script reads it to send X-CSRFToken
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Pages load only our own static files: no inline script, no third-party origin, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        # A custom-widget boundary: the dashboard frames only our sandbox page, and a sandboxed
        # component that navigates its frame elsewhere is refused (stated here rather than left to
        # default-src, so that loosening default-src cannot open it).
        "frame-src": ["'self'"],
    }
}

REST_FRAMEWORK = {
    # The token first: a call without credentials gets 401 with WWW-Authenticate (the session alone says 403).
    "DEFAULT_AUTHENTICATION_CLASSES": ["backend.accounts.authentication.ApiTokenAuthentication",
                                       "rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "backend.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only: depth-limited, and refusing text the database cannot store (backend.parsers).
    "DEFAULT_PARSER_CLASSES": ["backend.parsers.GuardedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Widget Builder API",
    "DESCRIPTION": "Dashboards, widget requests and widgets. Authenticate with a personal token from /profile/ "
                   "(`Authorization: Bearer <token>`) or the browser session. Every error is "
                   "`{code, message, extra}`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
}
# --- The API's limits on a request body (backend.middleware.RequestBodyGuard, backend.parsers).
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 256 * 1024)
API_MAX_JSON_DEPTH = env_int("API_MAX_JSON_DEPTH", 32)
CSRF_FAILURE_VIEW = "backend.error_views.csrf_failure"
# --- Per-user throttles (backend.throttles): "N/sec|min|hour|day" per scope; off, or a group exempt.
API_THROTTLE_ENABLED = env_bool("API_THROTTLE_ENABLED", True)
API_THROTTLE_EXEMPT_GROUP = env_str("API_THROTTLE_EXEMPT_GROUP", "api-unthrottled")
API_THROTTLE_RATES = {"generation": env_str("API_GENERATION_RATE", "20/min"),
                      "refresh": env_str("API_REFRESH_RATE", "30/min")}
# How many proxies in front of the app append to X-Forwarded-For (0: none; REMOTE_ADDR is the client).
# Read by backend.client_ip for login lockouts and anonymous throttles.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- Dramatiq: Redis or RabbitMQ when BROKER_URL names one, else the in-process stub broker.
BROKER_URL = env_str("BROKER_URL")
if BROKER_URL.startswith(("redis://", "rediss://")):
    # Dramatiq's Redis broker, its consumers woken by a publish on each enqueue (backend/jobs/broker.py).
    _broker_class, _broker_options = "backend.jobs.broker.WakingRedisBroker", {"url": BROKER_URL}
elif BROKER_URL.startswith(("amqp://", "amqps://")):
    _broker_class, _broker_options = "dramatiq.brokers.rabbitmq.RabbitmqBroker", {"url": BROKER_URL}
elif BROKER_URL:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"BROKER_URL={BROKER_URL!r} must start with redis:// or amqp://")
else:
    _broker_class, _broker_options = "dramatiq.brokers.stub.StubBroker", {}
DRAMATIQ_BROKER = {
    "BROKER": _broker_class,
    "OPTIONS": _broker_options,
    "MIDDLEWARE": [
        "dramatiq.middleware.AgeLimit",
        "dramatiq.middleware.TimeLimit",
        "dramatiq.middleware.Callbacks",
        "dramatiq.middleware.Retries",
        "dramatiq.middleware.CurrentMessage",
        "django_dramatiq.middleware.DbConnectionsMiddleware",
        "backend.jobs.middleware.Maintenance",
    ],
}
if BROKER_URL.startswith("redis"):
    # An unreachable broker must fail fast: a request's message then waits in the outbox instead.
    DRAMATIQ_BROKER["OPTIONS"].update(socket_connect_timeout=2, socket_timeout=5)
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]
DRAMATIQ_EMBEDDED = not BROKER_URL
# How long an idle worker waits between polls of a queue (Dramatiq's default is 1 s). On Redis a message's
# publish wakes it at once (backend/jobs/broker.py), so this bounds only how late a delayed message (a
# retry's backoff) is taken up, a message sent without a publish, and how long a worker takes to stop.
DRAMATIQ_WORKER_TIMEOUT_MS = env_int("DRAMATIQ_WORKER_TIMEOUT_MS", 100)
DRAMATIQ_WORKER_THREADS = env_int("DRAMATIQ_WORKER_THREADS", 4)

# --- Pipeline steps as jobs (widgets.services.steps, .recovery): leases, retries, recovery.
STEP_LEASE_S = env_int("STEP_LEASE_S", 30)  # a running step's heartbeat extends it every third of this
STEP_MAX_ATTEMPTS = env_int("STEP_MAX_ATTEMPTS", 3)  # workers a step may wear out before its request fails
STEP_RETRY_BACKOFF_S = env_int("STEP_RETRY_BACKOFF_S", 2)  # first wait after a transient failure, doubling
STEP_REQUEUE_AFTER_S = env_int("STEP_REQUEUE_AFTER_S", 60)  # a queued step's message is resent after this
JOBS_MAINTENANCE = ["backend.jobs.outbox.outbox_relay", "widgets.services.recovery.steps_recover"]
JOBS_MAINTENANCE_INTERVAL_S = float(env_int("JOBS_MAINTENANCE_INTERVAL_MS", 1000)) / 1000

# --- Custom widgets: the Node.js that runs the TypeScript checker (widgets/tsx/check.mjs).
NODE_BINARY = env_str("NODE_BINARY", "node")

# --- The demo warehouse (DuckDB), kept apart from the app database.
WAREHOUSE_PATH = Path(env_str("WAREHOUSE_PATH", str(VAR_DIR / "warehouse.duckdb")))

# --- The query box (sql_gen/box): warehouse statements run in this many worker processes, each
# stopped past this much resident memory (DuckDB gets three quarters of it). A statement's time
# and CPU limits are its data source's statement_timeout_s.
QUERY_BOX_WORKERS = env_int("QUERY_BOX_WORKERS", 2)
QUERY_BOX_MEMORY_MB = env_int("QUERY_BOX_MEMORY_MB", 1024)
if QUERY_BOX_WORKERS < 1 or QUERY_BOX_MEMORY_MB < 256:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("QUERY_BOX_WORKERS must be at least 1 and QUERY_BOX_MEMORY_MB at least 256")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes logs every login at INFO; lockouts are WARNING.
    "loggers": {"axes": {"level": env_str("AXES_LOG_LEVEL", "WARNING")}},
}

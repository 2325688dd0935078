"""Settings for agentsite, read from the environment.

Every knob has a safe default for local use (SQLite, in-memory channel layer, the
bundled offline model), so `make run` needs nothing set. Production sets the
variables listed in the README; with DEBUG off the app refuses to start without a
SECRET_KEY rather than run with a guessable one.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no variable; anything but a recognised word is a configuration error."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false)")


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated variable into a list, ignoring blanks."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "agents.apps.AgentsConfig",
    "conversations.apps.ConversationsConfig",
]

MIDDLEWARE = [
    "agentsite.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "agentsite.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "agentsite.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "agentsite.wsgi.application"
ASGI_APPLICATION = "agentsite.asgi.application"


SQLITE_OPTIONS = {
    "timeout": 30,
    "transaction_mode": "IMMEDIATE",
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
    ),
}


def database_from_env() -> dict:
    """Build the default database from DATABASE_URL (unset: a SQLite file here).

    SQLite is tuned for concurrent use: WAL lets readers run beside the writer, the
    busy timeout waits for the lock instead of failing, and IMMEDIATE transactions
    take the write lock up front so two writers never deadlock on an upgrade.
    PostgreSQL connections come from Django's pool (psycopg_pool): under ASGI
    every request and stream has its own connection context, and persistent
    connections (`CONN_MAX_AGE`) left one open per stream until the server's
    limit was reached and the site went down. The pool bounds them and takes
    each back when its request, stream step or engine call is done.
    """
    url = (
        os.environ.get("DATABASE_URL", "")
        or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
    )
    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.postgresql":
        config["OPTIONS"] = {
            "pool": {
                "min_size": 1,
                "max_size": int(os.environ.get("DATABASE_POOL_SIZE", "16")),
                # A request that finds every connection busy waits this long,
                # then fails with a clear error instead of queuing for ever.
                "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
            },
            **config.get("OPTIONS", {}),
        }
    else:
        config["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
        config["CONN_HEALTH_CHECKS"] = True
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
        # Tests use a file, not :memory:, so server processes they start share it;
        # one per test process, so two suites running at once do not collide.
        test_name = f"test-db-{os.getpid()}.sqlite3"
        config["TEST"] = {"NAME": str(Path(config["NAME"]).with_name(test_name))}
    return config


DATABASES = {"default": database_from_env()}
# Threads (each with its own connection) that run the engine's database work:
# few, because each contends for the GIL with the event loop (see storage.py);
# one on SQLite, which lets one writer in at a time anyway.
DATABASE_THREADS = int(
    os.environ.get(
        "DATABASE_THREADS",
        "1" if DATABASES["default"]["ENGINE"].endswith("sqlite3") else "2",
    )
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
# Which channels-redis layer: "pubsub" (one PUBLISH per message) or "core" (per-
# channel lists with a capacity). See docs/benchmarks.md for why pubsub is default.
REDIS_LAYER = os.environ.get("REDIS_LAYER", "pubsub")
if REDIS_URL and REDIS_LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
elif REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                # Bounded on purpose: a slow or dead subscriber may lose live news,
                # never memory; consumers refill any seq gap from the database.
                "capacity": int(os.environ.get("CHANNEL_CAPACITY", "1000")),
                "expiry": 30,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": int(os.environ.get("CHANNEL_CAPACITY", "1000"))},
        }
    }

# Messages one user may send per period, over every way in together.
MESSAGE_RATE = os.environ.get("MESSAGE_RATE", "30/min")
# Failed sign-ins allowed per period, per username and per client address.
SIGN_IN_FAILURE_RATE = os.environ.get("SIGN_IN_FAILURE_RATE", "10/min")

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "sign-in"
LOGIN_REDIRECT_URL = "chat"
LOGOUT_REDIRECT_URL = "sign-in"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles"
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
# In debug, WhiteNoise serves straight from the app folders, so no collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    # Token first: an anonymous caller then gets 401 with `WWW-Authenticate: Token`
    # (with session auth first DRF answers 403, offering no challenge).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PARSER_CLASSES": ["conversations.api.parsers.JSONBodyParser"],
    "EXCEPTION_HANDLER": "conversations.api.errors.api_exception_handler",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # `?format=` is the export endpoint's own parameter, not content negotiation.
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "agentsite API",
    "DESCRIPTION": "Sessions, transcripts and runs of streaming AI agents.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # POST /chat and the SSE stream are not DRF views; this adds them, and the
    # WebSocket to the description.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "conversations.api.schema.add_streaming_endpoints",
    ],
}

# Whether anyone may create an account at /accounts/signup/ (staff can always add
# users in the admin).
SIGNUP_OPEN = env_bool("SIGNUP_OPEN", True)

# Agents: the LLM backend. Unset LLM_BASE_URL means the bundled offline model.
LLM_BASE_URL = os.environ.get("LLM_BASE_URL", "")
LLM_API_KEY = os.environ.get("LLM_API_KEY", "")
LLM_MODEL = os.environ.get("LLM_MODEL", "")
# The most one model turn may write (sent as max_tokens): a budget admits a
# call only when its input and this bound fit in what is left.
LLM_MAX_OUTPUT_TOKENS = int(os.environ.get("LLM_MAX_OUTPUT_TOKENS", "4096"))
AGENT_STEP_DELAY = float(os.environ.get("AGENT_STEP_DELAY", "0") or 0)
# The offline model's pace: a pause before each step's reasoning and the words it
# streams per second, as a real model would. 0 is full speed, the default for
# tests and benchmarks; `make run` sets a pace people can watch.
OFFLINE_THINK_SECONDS = float(os.environ.get("OFFLINE_THINK_SECONDS", "0") or 0)
OFFLINE_WORDS_PER_SECOND = float(os.environ.get("OFFLINE_WORDS_PER_SECOND", "0") or 0)
# Dotted paths of callables `register(registry)` that add Python agent classes
# to the registry beside the definitions in agents/definitions/.
AGENT_PLUGINS = env_list("AGENT_PLUGINS", [])
# The currency of the price table (ModelPrice) and of every cost reported.
USAGE_CURRENCY = os.environ.get("USAGE_CURRENCY", "USD")
# Folders of agent definitions: the bundled ones, then AGENT_DEFINITIONS
# (comma-separated), which lets a deployment add agents without changing code.
AGENT_DEFINITION_DIRS = [
    BASE_DIR / "agents" / "definitions",
    *map(Path, env_list("AGENT_DEFINITIONS", [])),
]

# Production hardening: on whenever DEBUG is off, each overridable for a TLS
# terminator that already redirects.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = int(
    os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Runs: heartbeat period, when a silent run counts as dead, how often to look for
# dead runs, and the longest a run may take.
RUN_HEARTBEAT_SECONDS = float(os.environ.get("RUN_HEARTBEAT_SECONDS", "2"))
RUN_STALE_SECONDS = float(os.environ.get("RUN_STALE_SECONDS", "15"))
RUN_SWEEP_SECONDS = float(os.environ.get("RUN_SWEEP_SECONDS", "10"))
RUN_TIME_LIMIT_SECONDS = float(os.environ.get("RUN_TIME_LIMIT_SECONDS", "300"))
# How many runs one server process works on at once; more wait their turn.
RUN_CONCURRENCY = int(os.environ.get("RUN_CONCURRENCY", "32"))
SSE_HEARTBEAT_SECONDS = float(os.environ.get("SSE_HEARTBEAT_SECONDS", "15"))
# A client that leaves this much unread on its connection makes the server wait
# before sending more; one that stays behind for SLOW_CLIENT_SECONDS is dropped
# (WebSocket close 1013) and resumes from its last seq when it reconnects.
CLIENT_BUFFER_BYTES = int(os.environ.get("CLIENT_BUFFER_BYTES", str(1024 * 1024)))
SLOW_CLIENT_SECONDS = float(os.environ.get("SLOW_CLIENT_SECONDS", "10"))

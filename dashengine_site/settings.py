"""Dash Engine settings: one module, every value from the environment.

Every variable is documented in `.env.example`. Defaults are safe for a
developer's machine; production must set `DJANGO_SECRET_KEY` and turn debug off.
"""

import ipaddress
import os
import re
from datetime import timedelta
from pathlib import Path

import csp.constants as csp
import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from dashengine_site import redis_breaker

BASE_DIR = Path(__file__).resolve().parent.parent


def read_env_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines of a git-ignored `.env` (`cp .env.example .env` gives a
    development setup), for these settings only. Never put into `os.environ`: the
    hosted apps see the environment the portal was started with, as when run alone
    (Dash's own docs examples pick Celery on `"REDIS_URL" in os.environ`, even empty).
    An empty value means unset, so it is left out."""
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name and not name.startswith("#") and value.strip():
            values[name.strip()] = value.strip()
    return values


env_file = read_env_file(Path(os.environ.get("DJANGO_ENV_FILE", BASE_DIR / ".env")))


def env_value(name: str) -> str | None:
    """A variable of the real environment, which always wins, else of `.env`."""
    return os.environ[name] if name in os.environ else env_file.get(name)


def env_str(name: str, default: str = "") -> str:
    # An empty variable counts as unset, as in `.env.example`.
    return env_value(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    value = env_value(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env_value(name)
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = env_value(name)
    return float(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it in the environment "
            "(or set DJANGO_DEBUG=1 on a development machine)."
        )
    # Development only: never used while debug is off.
    SECRET_KEY = "dev-only-insecure-secret-key-change-me-0123456789abcdefghijklmnop"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# The dashboard modules read their bundled data without Django settings: the app
# hands them this folder (`dashkit.spec.use_data_dir`), the environment untouched.
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "dashboards" / "data")))

INSTALLED_APPS = [
    "daphne",
    # Django's admin with the portal's site: its models first, internals for superusers only.
    "dashboards.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    # Before django_plotly_dash: its AppConfig module undoes that package's
    # process-wide patches of dash (dashboards.hosting.compat).
    "dashboards",
    "django_plotly_dash.apps.DjangoPlotlyDashConfig",
    "accounts",
    "axes",
]

MIDDLEWARE = [
    # Counts and times every request, refused ones too (dashengine_site.metrics).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "dashengine_site.middleware.MalformedRequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Single sign-on: a session from the identity provider is renewed there with
    # prompt=none once its ID token's time is up, and ends when the provider refuses
    # (accounts/oidc.py). Does nothing without OIDC_* settings or for password logins.
    "accounts.oidc.SessionRefresh",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last: labels each request with the view it resolved to.
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "dashengine_site.urls"
# Threads per web worker that run HTTP requests (asgi.py).
WEB_THREADS = env_int("WEB_THREADS", 4)
# Seconds a request has the worker to itself before the next ones run alongside it
# (asgi.InTurn); 0: requests never wait for each other.
REQUEST_TURN_SECONDS = env_float("REQUEST_TURN_SECONDS", 0.1)
WSGI_APPLICATION = "dashengine_site.wsgi.application"
ASGI_APPLICATION = "dashengine_site.asgi.application"

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
                # Decisions on a user's access requests, and the number waiting for staff.
                "dashboards.context_processors.access_requests",
                # How many reports were shared with the user since they last looked.
                "dashboards.context_processors.shared_reports",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
SQLITE_DIR = BASE_DIR / "var"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{SQLITE_DIR / 'dashengine.sqlite3'}"),
        # HTTP requests run in a fixed pool of threads (see asgi.py), each of
        # which keeps its connection open this many seconds.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        # A kept connection is checked before a request uses it: after a database
        # restart or failover the first requests get a new one, not an error.
        conn_health_checks=True,
    )
}
# No request waits long for a database that is down, frozen or cut off: it gets
# a 503 page instead (dashengine_site.views.server_error).
DATABASE_TIMEOUT = env_float("DATABASE_TIMEOUT", 5.0)  # seconds a statement may run; 0: no limit
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "dashengine_site.postgresql"
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 2),
        # Ended by the server when it runs...
        "options": f"-c statement_timeout={int(DATABASE_TIMEOUT * 1000)}",
        # ...and given up by this side a second later when it does not.
        "deadline": DATABASE_TIMEOUT + 1 if DATABASE_TIMEOUT else None,
        **DATABASES["default"].get("OPTIONS", {}),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    SQLITE_DIR.mkdir(exist_ok=True)
    # A team on one machine: readers never wait for a writer (WAL), a write takes
    # its lock when its transaction starts (no "database is locked" half-way), and
    # a writer waits its turn for up to 20 s.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file too: an in-memory database locks per table and would not
    # show how the real one behaves under concurrent writes.
    DATABASES["default"]["TEST"] = {"NAME": str(SQLITE_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions and channel layer ----------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis: one connection pool per process (Django builds a backend
            # per request context under ASGI), and a Redis that is down or slow
            # means a cache miss, not a failed request: one wait of REDIS_TIMEOUT,
            # then Redis is skipped for a few seconds (dashengine_site.redis_breaker,
            # which also logs each outage once). django-prometheus's subclass also
            # counts gets, hits, misses and failures.
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "dashengine"),
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": env_float("REDIS_TIMEOUT", 0.25),
                "SOCKET_TIMEOUT": env_float("REDIS_TIMEOUT", 0.25),
                "CONNECTION_POOL_KWARGS": {"connection_class": redis_breaker.connection_class(REDIS_URL)},
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis's, with connections that survive a Redis restart. The live
            # feed does without it when Redis fails (dashboards/live_layer.py).
            "BACKEND": "dashboards.live_layer.RedisChannelLayer",
            # It waits for a message in 1 s blocking reads: a socket timeout longer
            # than the read (an idle feed is not a stalled Redis), short enough that a
            # frozen Redis is noticed within 3 s.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 3, "socket_connect_timeout": 3}]},
        }
    }
else:
    # Without Redis, a file cache: unlike a per-process memory cache it is
    # shared by every worker and by management commands on this machine, so a
    # revoked grant and a permalink's parameters reach them all.
    CACHES = {
        "default": {
            # Django's, counting gets, hits and misses (dashengine_site.metrics).
            "BACKEND": "dashengine_site.metrics.FileBasedCache",
            "LOCATION": env_str("CACHE_DIR", str(BASE_DIR / "var" / "cache")),
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# --- Background callbacks (Dash's `background=True`) ---------------------------
# With REDIS_URL, jobs run on the `worker:` processes (Celery, dashboards/jobs.py);
# without it, as child processes of the web worker, their results in this folder.
BACKGROUND_DIR = Path(env_str("BACKGROUND_DIR", str(BASE_DIR / "var" / "background")))
# Seconds a job may run: at the soft limit it is told (an error in the job), at the hard
# limit its worker process is killed.
JOB_SOFT_TIME_LIMIT = env_int("JOB_SOFT_TIME_LIMIT", 300)
JOB_TIME_LIMIT = env_int("JOB_TIME_LIMIT", 330)
# Jobs one worker process runs at once (its pool's processes).
JOB_CONCURRENCY = env_int("JOB_CONCURRENCY", 2)

# Sessions live in the database and are read from it on each request: a logout is in
# force at the next request on every instance, whatever Redis does, and a Redis
# restart or outage logs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
# How long an answer of a memoised data function is kept (dashkit.memo, dashboards/memo.py); 0: never kept.
MEMO_SECONDS = env_int("MEMO_SECONDS", 60 * 60)
# Larger answers are given but not kept.
MEMO_MAX_BYTES = env_int("MEMO_MAX_BYTES", 8 * 2**20)
# Without Redis, what each process keeps of them at most.
MEMO_LOCAL_MAX_BYTES = env_int("MEMO_LOCAL_MAX_BYTES", 256 * 2**20)

# --- Accounts -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "gallery"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    # Refuses logins of a locked-out (username, address) pair before checking passwords.
    "axes.backends.AxesStandaloneBackend",
    # The signed-in user is read from the database on each request: a deactivation,
    # even by `QuerySet.update`, holds at the next request whatever the cache does.
    "django.contrib.auth.backends.ModelBackend",
    # Single sign-on (OpenID Connect): authenticates only the user of a sign-in that came
    # back from the identity provider; nobody while OIDC_* is unset.
    "accounts.oidc.ProviderBackend",
]
# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failures for one
# username from one address, that pair waits LOGIN_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Single sign-on (OpenID Connect, mozilla-django-oidc; accounts/oidc.py) -----
# On when OIDC_RP_CLIENT_ID and OIDC_DISCOVERY_URL (or the OIDC_OP_* endpoints) are set;
# with none of these, nothing of it runs. The provider is never contacted at start-up:
# its discovery document is read at the first sign-in and kept for an hour.
OIDC_DISCOVERY_URL = env_str("OIDC_DISCOVERY_URL")
# Endpoints named one by one win over the discovery document's (without one: all but the
# logout endpoint, and the issuer).
OIDC_OP_ISSUER = env_str("OIDC_OP_ISSUER")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT")
OIDC_OP_LOGOUT_ENDPOINT = env_str("OIDC_OP_LOGOUT_ENDPOINT")
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET")
# The button says "Sign in with <this>".
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "single sign-on")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
# The claim that lists the user's groups at the provider, mapped to portal groups in the
# admin (accounts.ProviderGroupMapping).
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
# E-mail domains allowed in (empty: any address the provider vouches for).
OIDC_ALLOWED_DOMAINS = env_list("OIDC_ALLOWED_DOMAINS")
# Seconds a sign-in holds before the next page load renews it at the provider (prompt=none);
# a session the provider will not renew ends there. OIDC_SESSION_REFRESH=0 turns that off.
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = env_int("OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS", 15 * 60)
OIDC_SESSION_REFRESH = env_bool("OIDC_SESSION_REFRESH", True)
# A dashboard's frame and Dash routes are never sent to the provider (fetches would fail).
OIDC_EXEMPT_URL_PATTERNS = [re.compile(r"^/django_plotly_dash/")]
OIDC_RP_SIGN_ALGO = "RS256"  # ID tokens signed with the provider's key, checked against its JWKS
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # sent back as id_token_hint when signing out
OIDC_TIMEOUT = env_float("OIDC_TIMEOUT", 5.0)  # seconds per call to the provider
OIDC_CLOCK_SKEW_SECONDS = 60  # leeway on the ID token's times

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # Every component package's bundles (Dash's own, plotly.js, third-party
    # libraries) under a versioned path.
    "dashboards.hosting.bundles.DashBundleFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the finders unless `collectstatic` was run (production).
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", not STATIC_ROOT.exists())
WHITENOISE_AUTOREFRESH = DEBUG
# Component bundles live under a path that names their package's version.
WHITENOISE_IMMUTABLE_FILE_TEST = r"/dash-bundles/"
# WhiteNoise answers `Access-Control-Allow-Origin: *` by default: any site could read
# our static files with a script. Nothing of ours needs it (fonts and bundles are
# loaded from this very site).
WHITENOISE_ALLOW_ALL_ORIGINS = False


def _static_file_headers(headers, path, url):
    # Django's SecurityMiddleware adds this to its own answers; static files bypass it.
    headers["X-Content-Type-Options"] = "nosniff"


WHITENOISE_ADD_HEADERS_FUNCTION = _static_file_headers

# --- django-plotly-dash -------------------------------------------------------
PLOTLY_DASH = {
    # Never load React, the renderer or components from a CDN.
    "serve_locally": True,
    # The unauthenticated HTTP "poke" endpoint is not wanted.
    "http_poke_enabled": False,
    # Permalink parameters (`initial/<cache_id>/`) are kept in the cache.
    "cache_arguments": True,
}

# --- Content Security Policy (django-csp) -------------------------------------
# Scripts from this site only; a hosted Dash page adds the hashes of its own
# inline scripts (dashboards.hosting.views). Styles may be inline: Dash components
# and plotly.js style elements inline throughout.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:", "blob:"],
        "font-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        "worker-src": [csp.SELF, "blob:"],
        "frame-ancestors": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
    }
}

# --- Security -----------------------------------------------------------------
# Only the Dash app page may be framed (by the portal itself): see
# dashboards.hosting.views.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
# `check --deploy` is clean by default; the header only allows a submission to the preload list.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", not DEBUG)

# --- Metrics (dashengine_site.metrics) ----------------------------------------
# /metrics answers a scraper that sends `Authorization: Bearer <METRICS_TOKEN>` or
# comes from one of METRICS_ALLOWED_ADDRESSES (addresses or networks); with
# neither set, nobody.
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_ADDRESSES = env_list("METRICS_ALLOWED_ADDRESSES")
for _network in METRICS_ALLOWED_ADDRESSES:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_ADDRESSES: {_network!r} is not an IP address or network."
        ) from None
# A scraper on the internal network talks plain HTTP to the web process itself;
# redirected to HTTPS it would fail. A redirect would not protect the token either:
# it is sent with the first request. A load balancer's health checks talk plain
# HTTP to the instance too (asgi.py answers them before Django; runserver does not).
SECURE_REDIRECT_EXEMPT = [r"^metrics$", r"^(livez|readyz|healthz)$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes logs every successful login at INFO.
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- E-mail -------------------------------------------------------------------
# Access requests: admins are told of new ones, requesters of the decision. With
# EMAIL_HOST empty (the default) nothing is sent; the site tells them in its pages.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_SSL:
    EMAIL_USE_TLS = False  # one or the other: implicit TLS on connect, or STARTTLS
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 10.0)  # seconds: a slow server never holds a page long
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Dash Engine <dashengine@localhost>")
# Without an e-mail server, mail is printed (a developer's `make run` shows scheduled
# reports there); in production a schedule's deliveries are then skipped, with the reason.
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)

# --- Scheduled reports (dashboards/deliveries.py) ----------------------------------
# The site's address as recipients reach it: links in e-mails (the report, unsubscribe).
SITE_URL = env_str("SITE_URL", "http://localhost:8000")
# A report's CSV is zipped above this size, and left out (the e-mail links to the
# download) when even zipped it is above the mail-size limit.
REPORT_MAIL_ZIP_BYTES = env_int("REPORT_MAIL_ZIP_BYTES", 1_000_000)
REPORT_MAIL_MAX_BYTES = env_int("REPORT_MAIL_MAX_BYTES", 10_000_000)
# Seconds between the runs Celery beat asks for (the Procfile's `beat:`): how late a due
# report may go out at most, besides the time to send it.
REPORTS_CHECK_SECONDS = env_float("REPORTS_CHECK_SECONDS", 60.0)

# Password of the demo users (`manage.py seed_demo`); empty: generated and printed once.
DEMO_PASSWORD = env_str("DEMO_PASSWORD")

# --- Dashboards ---------------------------------------------------------------
# Packages whose modules each declare one dashboard.
DASHBOARD_PACKAGES = env_list("DASHBOARD_PACKAGES", "dashboards.catalogue")

# Exchange Rates reads a Frankfurter-style API (e.g. https://api.frankfurter.app).
# Empty: the offline snapshot in DATA_DIR, so development needs no network.
EXCHANGE_RATES_URL = env_str("EXCHANGE_RATES_URL")
EXCHANGE_RATES_TIMEOUT = env_float("EXCHANGE_RATES_TIMEOUT", 3.0)  # seconds per attempt
EXCHANGE_RATES_RETRIES = env_int("EXCHANGE_RATES_RETRIES", 2)  # attempts after the first
EXCHANGE_RATES_BACKOFF = env_float("EXCHANGE_RATES_BACKOFF", 0.5)  # seconds before the first retry, doubling
EXCHANGE_RATES_TTL = env_float("EXCHANGE_RATES_TTL", 3600.0)  # seconds an answer is fresh

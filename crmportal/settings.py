"""Django settings for CRM Portal. Every value comes from the environment (README lists them)."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from crmportal.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_json_object,
    env_list,
    env_str,
)
from crmportal.live.layers import embedded_layer, redis_layer
from crmportal.proxies import parse_networks

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    # A development key, generated once and kept next to the project (git-ignored).
    key_file = BASE_DIR / ".secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # Django's form templates, for FORM_RENDERER below
    "channels",
    "django_htmx",
    "template_partials",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "crmportal.staff",
    "crmportal.audit",
    "crmportal.live",
    "crmportal.clients",
    "crmportal.groups",
    "crmportal.accounts",
    "crmportal.dashboard",
    "crmportal.money",
    "crmportal.trading",
]

MIDDLEWARE = [
    "crmportal.proxies.TrustedProxyMiddleware",  # first: everything after sees the real client
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "crmportal.requestid.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "crmportal.staff.twofactor_middleware.SecondFactorMiddleware",
    "crmportal.staff.middleware.StaffTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "crmportal.staff.middleware.IdleTimeoutMiddleware",  # needs messages and request.htmx
    "crmportal.errors.OMTraderErrorMiddleware",
]

ROOT_URLCONF = "crmportal.urls"
ASGI_APPLICATION = "crmportal.asgi.application"

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
                "crmportal.navigation.navigation",
            ],
            "builtins": ["template_partials.templatetags.partials", "crmportal.formatting"],
        },
    },
]

# Form widgets render through TEMPLATES, so templates/django/forms/ can replace a widget's
# template (the select, with its options written inline).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions serialize writers up front, so the audit chain never forks.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    # Connections are kept (conn_max_age above) as with PostgreSQL: a new SQLite connection
    # per request cost 12% of the client list's CPU (bench/pages.py --throughput).

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {"default": redis_layer(REDIS_URL)}
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CHANNEL_LAYERS = {"default": embedded_layer()}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600, minimum=300)
# Signed out after this long without a request (crmportal/staff/sessions.py).
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60, minimum=60)
# Sign-in lockout (crmportal/staff/lockout.py): failures per name, per address, for how long.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60, minimum=60)
# `manage.py demostaff` (published passwords) runs only when the demo is asked for (make run).
DEMO_STAFF = env_bool("DEMO_STAFF", False)
# Forwarded headers count only from these proxies (crmportal/proxies.py drops them otherwise,
# which is what makes trusting X-Forwarded-Proto here safe).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
parse_networks(TRUSTED_PROXIES)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp) on every response: scripts and styles from our own
# static files only (no inline code, no eval), sockets and fetches to this host only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)


# Two-factor sign-in and step-up (crmportal/staff/twofactor.py, stepup.py).
def _otp_required_roles(raw: str) -> str:
    from crmportal.staff.roles import ROLE_SLUGS

    value = raw.strip().lower()
    slugs = [item.strip() for item in value.split(",") if item.strip()]
    if value in ("all", "none") or (slugs and all(slug in ROLE_SLUGS for slug in slugs)):
        return value
    raise ImproperlyConfigured(
        f"OTP_REQUIRED_ROLES must be all, none or a comma list of {', '.join(ROLE_SLUGS)}, "
        f"not {raw!r}"
    )


OTP_REQUIRED_ROLES = _otp_required_roles(env_str("OTP_REQUIRED_ROLES", "all"))
OTP_TOTP_ISSUER = "CRM Portal"
STEP_UP_SECONDS = env_int("STEP_UP_SECONDS", 300, minimum=30)

# OMTrader Manager API (the service layer in crmportal/omtrader reads these).
OMTRADER_URL = env_str("OMTRADER_URL", "http://127.0.0.1:8100").rstrip("/")
OMTRADER_WS_URL = env_str(
    "OMTRADER_WS_URL", OMTRADER_URL.replace("https://", "wss://").replace("http://", "ws://")
).rstrip("/")
OMTRADER_USERNAME = env_str("OMTRADER_USERNAME", "crm-api" if DEBUG else "")
OMTRADER_PASSWORD = env_str("OMTRADER_PASSWORD", "crm-api-secret" if DEBUG else "")
if not DEBUG and not (OMTRADER_USERNAME and OMTRADER_PASSWORD):
    raise ImproperlyConfigured("OMTRADER_USERNAME and OMTRADER_PASSWORD must be set")
OMTRADER_CONNECT_TIMEOUT = env_float("OMTRADER_CONNECT_TIMEOUT", 3.0)
OMTRADER_READ_TIMEOUT = env_float("OMTRADER_READ_TIMEOUT", 10.0)
OMTRADER_POOL_SIZE = env_int("OMTRADER_POOL_SIZE", 32, minimum=1)
OMTRADER_CACHE_TTL = env_int("OMTRADER_CACHE_TTL", 300, minimum=0)
# Seconds the group tree may show account figures read earlier (0 = read them on every load).
GROUP_FIGURES_MAX_AGE = env_int("GROUP_FIGURES_MAX_AGE", 10, minimum=0)
OMTRADER_RETRIES = env_int("OMTRADER_RETRIES", 4, minimum=0)
OMTRADER_RETRY_BACKOFF = env_float("OMTRADER_RETRY_BACKOFF", 0.1)
OMTRADER_CONCURRENCY = env_int("OMTRADER_CONCURRENCY", OMTRADER_POOL_SIZE, minimum=1)
# Endpoint path overrides once the real Swagger is checked, e.g. {"deals": "/api/v1/trader/deals"}.
OMTRADER_PATHS = env_json_object("OMTRADER_PATHS")

LIVE_SOURCE = env_choice("LIVE_SOURCE", "ws", ("ws", "poll"))
LIVE_POLL_INTERVAL = env_float("LIVE_POLL_INTERVAL", 2.0, minimum=0.2)
# Where the one relay runs: a task inside daphne (embedded) or `manage.py relay` (external,
# needs the Redis channel layer). With REDIS_URL the deployment is the scale-out shape.
LIVE_RELAY = env_choice("LIVE_RELAY", "external" if REDIS_URL else "embedded",
                        ("embedded", "external"))
LIVE_HEARTBEAT = env_float("LIVE_HEARTBEAT", 30.0, minimum=1.0)
LIVE_ROW_RATE = env_float("LIVE_ROW_RATE", 4.0, minimum=0.5)
LIVE_RELAY_LOCK_TTL = env_float("LIVE_RELAY_LOCK_TTL", 4.0, minimum=2.0)
# Each socket re-checks its member (active, permission, scope, session) this often, and at once
# when the member changes; a member may hold this many sockets at a time (all processes).
LIVE_RECHECK_SECONDS = env_float("LIVE_RECHECK_SECONDS", 30.0, minimum=1.0)
LIVE_MAX_SOCKETS_PER_MEMBER = env_int("LIVE_MAX_SOCKETS_PER_MEMBER", 10, minimum=1)
# daphne processes `manage.py serve` starts (0: one per core with LIVE_RELAY=external, else 1).
PORTAL_PROCESSES = env_int("PORTAL_PROCESSES", 0, minimum=0)

# Clients and KYC (crmportal/clients).
CLIENT_INDEX_MAX_AGE = env_int("CLIENT_INDEX_MAX_AGE", 5, minimum=0)
KYC_SLA_HOURS = env_int("KYC_SLA_HOURS", 48, minimum=1)
KYC_REKYC_DAYS = env_int("KYC_REKYC_DAYS", 30, minimum=1)
KYC_STATUS_CODES = env_choice("KYC_STATUS_CODES", "enum", ("enum", "prose"))
KYC_APPROVER_ID = env_int("KYC_APPROVER_ID", 0, minimum=0)


def _reasons(items: list[str]) -> list[tuple[str, str]]:
    pairs = [item.partition(":") for item in items]
    if not pairs or any(not (code.strip() and sep and label.strip()) for code, sep, label in pairs):
        raise ImproperlyConfigured("KYC_REJECTION_REASONS must be code:Label,code:Label,...")
    return [(code.strip(), label.strip()) for code, _, label in pairs]


KYC_REJECTION_REASONS = _reasons(env_list(
    "KYC_REJECTION_REASONS",
    "document_expired:Document expired,document_unreadable:Document unreadable,"
    "name_mismatch:Name does not match the document,address_unverified:Address not verified,"
    "sanctions_match:Sanctions or PEP match,other:Other (explain in the note)",
))
# The dashboard (crmportal/dashboard).
DASHBOARD_LARGE_DEAL_LOTS = env_float("DASHBOARD_LARGE_DEAL_LOTS", 5.0)  # "last large deals"
DASHBOARD_PL_SAMPLE_SECONDS = env_float("DASHBOARD_PL_SAMPLE_SECONDS", 60.0, minimum=1.0)
DASHBOARD_PL_RETENTION_DAYS = env_int("DASHBOARD_PL_RETENTION_DAYS", 14, minimum=1)
# The supervisor panels' REST read of the market: fresh for MAX_AGE s, then used while a new
# one is read in the background up to STALE_MAX s (crmportal/dashboard/market.py).
DASHBOARD_MARKET_MAX_AGE = env_float("DASHBOARD_MARKET_MAX_AGE", 5.0)
DASHBOARD_MARKET_STALE_MAX = env_float("DASHBOARD_MARKET_STALE_MAX", 120.0)

# Trading accounts (crmportal/accounts): how often the account list asks OMTrader what changed.
ACCOUNT_INDEX_MAX_AGE = env_int("ACCOUNT_INDEX_MAX_AGE", 5, minimum=0)

# Money operations (crmportal/money, docs/money.md).


def _thresholds(raw: str) -> dict[str, str]:
    """"10000" (every currency) or "USD=10000,EUR=9000,*=10000": amount per currency."""
    pairs = [item.strip().partition("=") for item in raw.split(",") if item.strip()]
    table = {(code.strip().upper() if sep else "*"): (value if sep else code).strip()
             for code, sep, value in pairs}
    if not table or not all(v.replace(".", "", 1).isdigit() for v in table.values()):
        raise ImproperlyConfigured("MONEY_APPROVAL_THRESHOLD must be 10000 or USD=10000,*=10000")
    return table


MONEY_APPROVAL_THRESHOLD = _thresholds(env_str("MONEY_APPROVAL_THRESHOLD", "10000"))
MONEY_REQUEST_HOURS = env_int("MONEY_REQUEST_HOURS", 24, minimum=1)
MONEY_SETTLE_SECONDS = env_float("MONEY_SETTLE_SECONDS", 60.0, minimum=0.0)
MONEY_RECONCILE_EVERY = env_float("MONEY_RECONCILE_EVERY", 5.0, minimum=1.0)
MONEY_KYC_REQUIRED = env_list("MONEY_KYC_REQUIRED", "deposit,withdrawal")
SYNC_CLIENTS_AT = env_str("SYNC_CLIENTS_AT", "02:30")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

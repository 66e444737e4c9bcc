"""Django settings for the council workspace, read from the environment.

``booth-council workspace`` sets ``BOOTH_WORKSPACE_STORE``, ``BOOTH_WORKSPACE_KEYS`` and
``BOOTH_WORKSPACE_SECRET`` (kept in the store folder) before Django starts. The database
is SQLite in ``<store>/workspace/`` unless ``DATABASE_URL`` names another (PostgreSQL).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

HERE = Path(__file__).resolve().parent


def _path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


WORKSPACE_STORE = _path("BOOTH_WORKSPACE_STORE")
WORKSPACE_KEYS = _path("BOOTH_WORKSPACE_KEYS")
WORKSPACE_PACK = _path("BOOTH_WORKSPACE_PACK")
# Escrow mirrors: folders holding copies of blobs (e.g. an offline disk) that withdrawal
# and retention also clear, separated by os.pathsep.
WORKSPACE_ESCROW = [Path(p) for p in os.environ.get("BOOTH_WORKSPACE_ESCROW", "").split(
    os.pathsep) if p]
DATA_DIR = (WORKSPACE_STORE / "workspace" if WORKSPACE_STORE
            else Path(tempfile.gettempdir()) / "booth-workspace-unconfigured")

# No default secret anywhere: the command keeps one in the store; a bare import (tests)
# gets a fresh one per process.
SECRET_KEY = os.environ.get("BOOTH_WORKSPACE_SECRET") or secrets.token_urlsafe(50)
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get(
    "BOOTH_WORKSPACE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "council.workspace.apps.WorkspaceConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "council.workspace.roles.SignInRequiredMiddleware",
    # Last, so a locked-out sign-in answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "council.workspace.site"
ASGI_APPLICATION = "council.workspace.asgi.application"

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
                "council.workspace.roles.navigation",
            ],
        },
    },
]

_sqlite = f"sqlite:///{DATA_DIR / 'workspace.sqlite3'}"
DATABASES = {"default": dj_database_url.config(default=_sqlite, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username/address before the password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CSRF_FAILURE_VIEW = "council.workspace.views.auth.csrf_failure"
LOGIN_URL = "workspace:sign-in"
LOGIN_REDIRECT_URL = "workspace:home"

# Login throttling: five failures for one name from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("BOOTH_WORKSPACE_LOGIN_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "workspace/locked.html"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "Council workspace"
OTP_TOTP_THROTTLE_FACTOR = 1

# Cookies: HttpOnly, SameSite, and Secure when the workspace serves TLS.
TLS = os.environ.get("BOOTH_WORKSPACE_TLS") == "1"
SESSION_COOKIE_SECURE = TLS
CSRF_COOKIE_SECURE = TLS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_NAME = "workspace_session"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if TLS:
    SECURE_HSTS_SECONDS = 31536000

# Hostile input: small forms only (the workspace takes no uploads).
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024

# A content security policy with no inline script and nothing from outside.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "media-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

STATIC_URL = "/static/"
STATICFILES_DIRS = [HERE / "static", HERE / "frontend" / "dist"]
STATIC_ROOT = None
# The built assets are served straight from their folders (no collectstatic step).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"one_line_4xx": {"()": "council.workspace.logs.OneLineFor4xx"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                            "filters": ["one_line_4xx"]}},
    "loggers": {
        "django.request": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "django.security": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "council.workspace": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "axes": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}

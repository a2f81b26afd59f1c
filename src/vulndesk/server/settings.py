"""Django settings, read from ``VULNDESK_*`` environment variables.

- ``VULNDESK_HOME``: where vulndesk keeps its files (default ``~/.local/share/vulndesk``).
- ``VULNDESK_DATABASE_URL``: ``sqlite:////abs/path.sqlite3`` or ``postgres://user@host:port/name``;
  default a SQLite file ``$VULNDESK_HOME/vulndesk.sqlite3`` (zero set-up).
- ``VULNDESK_SECRET_KEY``: required when ``VULNDESK_DEBUG`` is off and the web server runs; a key
  is generated into ``$VULNDESK_HOME/secret_key`` otherwise.
- ``VULNDESK_DEBUG``: ``1`` for development.
- ``VULNDESK_ALLOWED_HOSTS``: comma separated (default ``localhost,127.0.0.1,[::1]``).
- ``VULNDESK_SERVE_STATIC``: ``0`` when a front server serves ``collectstatic``'s output; by
  default the app serves its own few static files (CSS, htmx), with or without DEBUG.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from vulndesk.server import config

HOME = config.home()
DEBUG = config.debug()


def _secret_key() -> str:
    key = os.environ.get("VULNDESK_SECRET_KEY")
    if key:
        return key
    path = HOME / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        HOME.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("VULNDESK_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]


def database_config(url: str) -> dict[str, object]:
    """Return the Django DATABASES entry for a database URL."""
    db: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=0))
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web process read while a worker imports; IMMEDIATE avoids the
        # "database is locked" upgrade deadlock between two writers.
        db["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
                " PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
        name = str(db["NAME"])
        if name != ":memory:":
            Path(name).parent.mkdir(parents=True, exist_ok=True)
    return db


DATABASES = {"default": database_config(config.database_url())}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = config.INSTALLED_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "vulndesk.server.urls"
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
            ]
        },
    }
]
WSGI_APPLICATION = "vulndesk.server.wsgi.application"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
# A self-hosted install has no front server by default: the app serves its own static files
# (a stylesheet and htmx, ~60 kB), found in the apps' static folders (urls.py).
SERVE_STATIC = os.environ.get("VULNDESK_SERVE_STATIC", "1") not in {"0", "false", "no"}

# Argon2id for passwords (OWASP's first choice); the others only to read older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"
# The largest SBOM the web interface accepts for a scan; larger uploads stop as soon as they
# pass it (web.uploads), before they are spooled to disk whole.
SBOM_UPLOAD_MAX_BYTES = 50 * 1024 * 1024

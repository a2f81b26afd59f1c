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
- ``VULNDESK_SMTP_URL``: where notification e-mail goes: ``smtp://user:pass@host:port`` (plain,
  port 25 by default), ``smtp+starttls://...`` (STARTTLS, port 587) or ``smtps://...`` (TLS from
  the start, port 465); user name and password are percent-encoded. Unset: no e-mail is sent.
- ``VULNDESK_MAIL_FROM``: the sender of notification e-mail (default ``vulndesk@localhost``).
- ``VULNDESK_CSAF_PUBLISHER_NAMESPACE``: the ``publisher.namespace`` of exported CSAF VEX
  documents, the organisation's web address (default ``https://vulndesk.invalid``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

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
    # Connections are kept for a minute (checked before reuse): opening one per request cost
    # ~10 ms of a findings page on PostgreSQL.
    db: dict[str, object] = dict(
        dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    )
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
    "vulndesk.server.accounts.middleware.UserLanguageMiddleware",
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

# ModelBackend behind a lock after repeated failed logins (accounts.lockout)
AUTHENTICATION_BACKENDS = ["vulndesk.server.accounts.lockout.LockoutBackend"]

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

# E-mail (notifications): the default mailer sends over SMTP as VULNDESK_SMTP_URL says; without
# it, to nowhere (and the notifier sends no e-mail at all).
# scheme -> (default port, STARTTLS, TLS from the start)
_SMTP_SCHEMES = {
    "smtp": (25, False, False),
    "smtp+starttls": (587, True, False),
    "smtps": (465, False, True),
    "smtp+ssl": (465, False, True),
}


def mailer_config(url: str) -> dict[str, object]:
    """Return the MAILERS entry of an SMTP URL (``smtp://user:pass@host:port``...)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    if scheme not in _SMTP_SCHEMES or not parts.hostname or port == -1:
        # the password is left out of the message: only what follows "@" is shown
        raise ImproperlyConfigured(
            f"VULNDESK_SMTP_URL {url.rsplit('@', 1)[-1]!r}: expected smtp://, smtp+starttls:// "
            "or smtps:// followed by [user:password@]host[:port]"
        )
    default_port, starttls, ssl = _SMTP_SCHEMES[scheme]
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": parts.hostname,
            "port": port or default_port,
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_tls": starttls,
            "use_ssl": ssl,
            "timeout": 10,
        },
    }


_SMTP_URL = os.environ.get("VULNDESK_SMTP_URL", "").strip()
# whether notification e-mail goes out (notifications.services reads it)
EMAIL_ENABLED = bool(_SMTP_URL)
MAILERS = {
    "default": mailer_config(_SMTP_URL)
    if _SMTP_URL
    else {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}
}
DEFAULT_FROM_EMAIL = SERVER_EMAIL = (
    os.environ.get("VULNDESK_MAIL_FROM", "").strip() or "vulndesk@localhost"
)

# CSAF VEX exports (triage.vex_documents): the publisher is the product's organisation, under
# this namespace (CSAF 2.0 section 3.2.1.8.3: the publisher's own URL)
CSAF_PUBLISHER_NAMESPACE = (
    os.environ.get("VULNDESK_CSAF_PUBLISHER_NAMESPACE", "").strip() or "https://vulndesk.invalid"
)

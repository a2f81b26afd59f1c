"""Configuration read from ``VULNDESK_*`` environment variables, without importing Django.

``settings.py`` builds Django's settings from these; the command line's fast paths (``scan``)
use them directly, because setting Django up costs ~150 ms of a 250 ms scan budget
(docs/architecture.md, "The scan fast path").
"""

from __future__ import annotations

import os
from pathlib import Path

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "vulndesk.server.audit",
    "vulndesk.server.accounts",
    "vulndesk.server.advisories",
    "vulndesk.server.inventory",
    "vulndesk.server.findings",
    "vulndesk.server.jobs",
    "vulndesk.server.notifications",
    "vulndesk.server.feeds",
    "vulndesk.server.triage",
    "vulndesk.server.disclosure",
    "vulndesk.server.provider",
    "vulndesk.server.compliance",
    "vulndesk.server.web",
]


def home() -> Path:
    """Return where vulndesk keeps its files: ``$VULNDESK_HOME`` or ``~/.local/share/vulndesk``."""
    return Path(
        os.environ.get("VULNDESK_HOME") or Path.home() / ".local/share/vulndesk"
    ).expanduser()


def database_url() -> str:
    """Return ``$VULNDESK_DATABASE_URL``, or the URL of the default SQLite file under home()."""
    url = os.environ.get("VULNDESK_DATABASE_URL", "").strip()
    return url or f"sqlite:///{home() / 'vulndesk.sqlite3'}"


def debug() -> bool:
    """Return whether ``VULNDESK_DEBUG`` asks for development mode."""
    return os.environ.get("VULNDESK_DEBUG", "") in {"1", "true", "yes"}

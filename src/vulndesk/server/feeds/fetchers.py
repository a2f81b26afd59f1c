"""Building a source's online fetcher: its URLs (settings, or a mirror's base URL), its polite
HTTP client, and where downloads go.

``base_url`` (``vulndesk feeds sync --base-url``, tests, mirrors) replaces the scheme, host and
port of every URL the source uses and keeps the path: with ``http://127.0.0.1:8080`` NVD is asked
at ``http://127.0.0.1:8080/rest/json/cves/2.0``. A mirror with a path prefix works the same way
(``http://mirror/nvd`` + ``/rest/json/cves/2.0``). A source's ``settings["url"]`` replaces its
main URL as a whole.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vulndesk.core.errors import InputError
from vulndesk.core.feeds.cisa_kev import KEV_URL, KevFetcher
from vulndesk.core.feeds.csaf_provider import SyncOptions
from vulndesk.core.feeds.cvelist import (
    CVELIST_DELTA_LOG_URL,
    CVELIST_RECORD_URL_PREFIX,
    CveListFetcher,
)
from vulndesk.core.feeds.euvd_api import EUVD_API_URL, EuvdFetcher
from vulndesk.core.feeds.fetching import FeedFetcher
from vulndesk.core.feeds.first_epss import EPSS_CSV_URL, EpssDailyFetcher
from vulndesk.core.feeds.http import PoliteClient, RateLimit
from vulndesk.core.feeds.myjvn_api import MYJVN_URL, MyJvnFetcher
from vulndesk.core.feeds.nvd_api import NVD_CVE_API_URL, NvdCveFetcher, nvd_client
from vulndesk.core.feeds.osv_bulk import OSV_BASE_URL, OsvEcosystemFetcher
from vulndesk.server.feeds.catalog import NVD_API_KEY_ENV, SourceKind

#: sources that publish no rate limit get this one: a few requests a second at most
UNPUBLISHED_RATE_LIMIT = RateLimit(5, 1.0)

#: the CVE List's daily release asset; ``{date}`` is the UTC day (YYYY-MM-DD)
CVELIST_RELEASE_URL = (
    "https://github.com/CVEProject/cvelistV5/releases/download/"
    "cve_{date}_0000Z/{date}_all_CVEs_at_midnight.zip.zip"
)


def rebase(url: str, base_url: str | None) -> str:
    """Return ``url`` with its scheme, host and port replaced by ``base_url`` (path kept)."""
    if not base_url:
        return url
    parts = urlsplit(url)
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    return base_url.rstrip("/") + rest


def origin(url: str) -> str:
    """Return the scheme and host (with port) of ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def api_key(settings: Mapping[str, Any]) -> str | None:
    """Return the NVD API key from the environment variable the settings name (never stored)."""
    name = str(settings.get("api_key_env") or NVD_API_KEY_ENV)
    return os.environ.get(name) or None


def client_for(kind: SourceKind, settings: Mapping[str, Any]) -> PoliteClient:
    """Return a new HTTP client paced for a ``kind`` source (NVD: its published limits)."""
    if kind is SourceKind.NVD:
        return nvd_client(api_key=api_key(settings))
    return PoliteClient(rate_limit=UNPUBLISHED_RATE_LIMIT)


def fetcher_for(
    kind: SourceKind,
    settings: Mapping[str, Any],
    *,
    client: PoliteClient,
    base_url: str | None,
    work_dir: Path,
    now: datetime,
) -> FeedFetcher:
    """Return the fetcher of a ``kind`` source (not CSAF, which syncs by documents)."""
    url = settings.get("url")
    main = str(url) if url else None
    if kind is SourceKind.NVD:
        return NvdCveFetcher(client, url=main or rebase(NVD_CVE_API_URL, base_url))
    if kind is SourceKind.KEV:
        return KevFetcher(client, url=main or rebase(KEV_URL, base_url))
    if kind is SourceKind.EPSS:
        return EpssDailyFetcher(
            client, dest_dir=work_dir, url=main or rebase(EPSS_CSV_URL, base_url)
        )
    if kind is SourceKind.EUVD:
        return EuvdFetcher(client, url=main or rebase(EUVD_API_URL, base_url))
    if kind is SourceKind.JVN:
        # MyJVN asks for pauses between calls (feeds.md); "pause" in seconds, 1 by default.
        # "details": "csaf" stores each listed record's CSAF detail (MyJVN API 4.0, feed=oka)
        pause = max(0.0, float(settings.get("pause", 1.0)))
        details = settings.get("details") or "none"
        if details not in ("none", "csaf"):
            raise InputError(
                f"details must be 'none' (the overview entries) or 'csaf' (each record's CSAF "
                f"detail), not {details!r}",
                source="jvn",
            )
        return MyJvnFetcher(
            client, url=main or rebase(MYJVN_URL, base_url), pause=pause, details=details
        )
    if kind is SourceKind.OSV:
        ecosystem = str(settings.get("ecosystem") or "")
        return OsvEcosystemFetcher(
            client,
            ecosystem,
            dest_dir=work_dir,
            base_url=main or rebase(OSV_BASE_URL, base_url),
        )
    if kind is SourceKind.CVELIST:
        release = str(settings.get("release_zip_url") or CVELIST_RELEASE_URL)
        return CveListFetcher(
            client,
            dest_dir=work_dir,
            release_zip_url=rebase(release.format(date=now.date().isoformat()), base_url),
            delta_log_url=main or rebase(CVELIST_DELTA_LOG_URL, base_url),
            record_url_prefix=rebase(CVELIST_RECORD_URL_PREFIX, base_url),
        )
    raise InputError(f"{kind} sources have no batch fetcher", source=str(kind))


def csaf_start(settings: Mapping[str, Any], base_url: str | None, name: str) -> str:
    """Return where a CSAF provider's sync starts: its metadata, feed or directory URL."""
    url = settings.get("url")
    if not url:
        raise InputError(
            "this CSAF provider has no URL: enable it with --url (its provider-metadata.json, "
            "ROLIE feed or directory URL)",
            source=name,
        )
    return rebase(str(url), base_url)


def csaf_options(settings: Mapping[str, Any], base_url: str | None) -> SyncOptions:
    """Return the CSAF sync options of a provider's settings: trusted key files, the signature
    policy, and (with ``base_url``) the provider's URLs rewritten to the mirror."""
    rewrite: list[tuple[str, str]] = [
        (str(a), str(b)) for a, b in settings.get("base_url_rewrite") or []
    ]
    url = settings.get("url")
    if base_url and url:
        rewrite.append((origin(str(url)), base_url.rstrip("/")))
    return SyncOptions(
        signature_policy=settings.get("signature_policy") or "verify-if-present",
        trusted_keys=tuple(Path(p) for p in settings.get("trusted_keys") or ()),
        require_hash=bool(settings.get("require_hash", False)),
        base_url_rewrite=tuple(rewrite),
    )

"""The CSAF provider sync's HTTP: GET with size limits, bounded retries (Retry-After honoured)
and redirects followed on the same host only, unless the options allow another.

Kept apart from :mod:`vulndesk.core.feeds.http`'s ``PoliteClient`` because a CSAF provider's
documents must not be taken from another host without saying so (the sync notes every redirect
it followed); moving onto ``PoliteClient`` once it can refuse cross-host redirects is planned.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin, urlsplit

import httpx

from vulndesk.core.errors import VulndeskError

__all__ = ["CsafProviderError", "SignaturePolicy", "SyncOptions"]

_MiB = 1 << 20

SignaturePolicy = Literal["require", "verify-if-present", "skip"]


class CsafProviderError(VulndeskError):
    """The provider could not be read: discovery, a listing or a download failed.

    ``url`` names what was being fetched; the message says what went wrong there.
    """

    def __init__(self, message: str, *, url: str | None = None) -> None:
        self.url = url
        self.message = message
        super().__init__(f"{url}: {message}" if url else message)


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """How a sync talks to the provider and what it accepts.

    ``base_url_rewrite`` pairs ``(prefix, replacement)``: a URL starting with ``prefix`` is
    fetched from ``replacement`` + the rest. ``max_retry_after`` bounds one wait asked by a 429 or
    503; a longer request fails the fetch rather than stalling the sync.
    """

    signature_policy: SignaturePolicy = "verify-if-present"
    trusted_keys: tuple[Path, ...] = ()
    require_hash: bool = False
    distribution: Literal["auto", "directory", "rolie"] = "auto"
    base_url_rewrite: tuple[tuple[str, str], ...] = ()
    max_document_size: int = 32 * _MiB
    max_listing_size: int = 64 * _MiB
    timeout: float = 30.0
    max_retries: int = 3
    max_retry_after: float = 60.0
    max_redirects: int = 5
    follow_cross_host_redirects: bool = False
    gpg_timeout: float = 30.0
    user_agent: str = "vulndesk-csaf-sync (+https://github.com/vulndesk)"


@dataclass(slots=True)
class _Fetched:
    url: str
    data: bytes
    notes: list[str] = field(default_factory=list)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _Http:
    """GET with limits, bounded retries and same-host redirects."""

    def __init__(self, options: SyncOptions, client: httpx.Client | None) -> None:
        self.options = options
        # a feed fetched to tell what the start URL is, kept for listing it right after
        self.prefetched: dict[str, _Fetched] = {}
        self.own_client = client is None
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(options.timeout),
            follow_redirects=False,
            headers={"User-Agent": options.user_agent},
        )

    def close(self) -> None:
        if self.own_client:
            self.client.close()

    def rewrite(self, url: str) -> str:
        for prefix, replacement in self.options.base_url_rewrite:
            if url.startswith(prefix):
                return replacement + url[len(prefix) :]
        return url

    def get(self, url: str, *, limit: int) -> _Fetched:
        """Return the body at ``url``; raise CsafProviderError for anything but a 200."""
        fetched = self._get(url, limit=limit, missing_ok=False)
        assert fetched is not None
        return fetched

    def get_optional(self, url: str, *, limit: int) -> _Fetched | None:
        """Return the body at ``url``, or None when the server answers 404 or 410."""
        return self._get(url, limit=limit, missing_ok=True)

    def _get(self, url: str, *, limit: int, missing_ok: bool) -> _Fetched | None:
        notes: list[str] = []
        current = url
        redirects = retries = 0
        while True:
            try:
                with self.client.stream("GET", current) as response:
                    status = response.status_code
                    if status in (301, 302, 303, 307, 308) and "location" in response.headers:
                        target = urljoin(current, response.headers["location"])
                        redirects += 1
                        if redirects > self.options.max_redirects:
                            raise CsafProviderError(
                                f"more than {self.options.max_redirects} redirects", url=url
                            )
                        if _origin(target) != _origin(current):
                            if not self.options.follow_cross_host_redirects:
                                raise CsafProviderError(
                                    f"redirects to {target}, on another host: not followed "
                                    "(follow_cross_host_redirects allows it)",
                                    url=current,
                                )
                            notes.append(f"redirected from {current} to {target}")
                        current = target
                        continue
                    if status in (429, 503) and retries < self.options.max_retries:
                        wait = _retry_after(response.headers.get("retry-after"))
                        wait = float(2**retries) if wait is None else wait
                        if wait > self.options.max_retry_after:
                            raise CsafProviderError(
                                f"HTTP {status} asks to retry after {wait:.0f} s, more than the "
                                f"{self.options.max_retry_after:.0f} s limit",
                                url=current,
                            )
                        retries += 1
                        time.sleep(wait)
                        continue
                    if status in (404, 410) and missing_ok:
                        return None
                    if status != 200:
                        raise CsafProviderError(f"HTTP {status}", url=current)
                    return _Fetched(current, self._body(response, current, limit), notes)
            except httpx.TimeoutException as e:
                raise CsafProviderError(
                    f"timed out after {self.options.timeout:g} s ({type(e).__name__})",
                    url=current,
                ) from e
            except httpx.HTTPError as e:
                raise CsafProviderError(f"{type(e).__name__}: {e}", url=current) from e

    def _body(self, response: httpx.Response, url: str, limit: int) -> bytes:
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise CsafProviderError(
                f"declares {declared} bytes, more than the {limit} byte limit", url=url
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise CsafProviderError(f"is larger than the {limit} byte limit", url=url)
            chunks.append(chunk)
        data = b"".join(chunks)
        # httpx normally raises for a short body itself; a decoded (gzip) body may differ legally
        short = declared is not None and declared.isdigit() and len(data) != int(declared)
        if short and "content-encoding" not in response.headers:
            raise CsafProviderError(f"truncated body: {len(data)} of {declared} bytes", url=url)
        return data

"""Synchronising with a CSAF provider over HTTP: discovery, listing, download and verification.

The flow follows CSAF 2.0 §7 (reference/feeds.md, "CSAF providers"):

1. **Discovery** (:func:`discover_provider`). ``start`` is a provider-metadata URL, a ROLIE feed
   URL, a directory distribution URL (ending in ``/``), or a domain. For a domain (or a bare
   origin such as ``http://127.0.0.1:8080``) the order of §7.3.1 is tried:
   ``/.well-known/csaf/provider-metadata.json``, then the ``CSAF:`` lines of
   ``/.well-known/security.txt``, then ``https://csaf.data.security.<domain>/`` (DNS path, domains
   only).
2. **Listing.** A directory distribution is listed by ``index.txt`` (every document) on a first run
   and by ``changes.csv`` (``path,timestamp``, newest first) afterwards; ROLIE feeds by their
   entries (``link`` rel ``self``/``hash``/``signature``, ``updated``). ``distribution`` in
   :class:`SyncOptions` picks one kind when a provider offers both (``auto``: the directory).
3. **Download and verification** of each document: the hash file (``.sha512``, else ``.sha256``)
   must match; the OpenPGP signature (``.asc``) is checked with ``gpgv`` against a keyring built
   from :attr:`SyncOptions.trusted_keys` in a private temporary GNUPGHOME, per the signature
   policy:

   - ``require``: a document needs a good signature by a trusted key, else it is refused;
   - ``verify-if-present`` (default): a bad signature refuses the document; a missing one, or one
     by a key outside the trust list, is accepted and reported as ``missing``/``unverified``;
   - ``skip``: signatures are not fetched.

   The keys a provider lists in ``public_openpgp_keys`` are *not* trusted automatically: they come
   over the same channel as the documents, so trusting them would add nothing a hash does not;
   configure the key files you checked out of band. A document whose hash or signature fails, or
   that is not a CSAF document, is refused: reported with the reason, its bytes not handed on.

Nothing is stored here: :class:`CsafProviderSync` yields one :class:`DocumentResult` per document
and the caller (the server) stores the accepted ones. **Resuming**: the sync keeps a
:class:`SyncCursor` (the newest listing timestamp fully handled, and the documents handled at or
after it); reading :attr:`CsafProviderSync.cursor` after any number of results gives a cursor from
which a new run continues without fetching those documents again. A document that failed for a
transport reason (timeout, 5xx, truncated body) is not counted as handled, so the next run retries
it; a refused one is (fetching the same tampered bytes again would not help; a corrected document
gets a new timestamp).

HTTP goes through :class:`~vulndesk.core.feeds.http.PoliteClient` (:func:`csaf_client` builds it
from the options): bounded sizes, timeouts, bounded retries of transient failures (429 and 5xx,
with ``Retry-After`` honoured up to :attr:`SyncOptions.max_retry_after`; timeouts, connection
errors and truncated bodies), and redirects followed only within the origin (scheme, host and
port) of the URL that answered, unless :attr:`SyncOptions.follow_cross_host_redirects` says
otherwise, in which case the result notes each one that left its origin. Same-origin is the rule
this sync has always kept (CSAF 2.0 section 7.1.6 asks providers not to redirect at all; where a
redirect is inevitable, one within the origin cannot hand the documents to another party).
``base_url_rewrite`` maps URL prefixes the provider writes (``https://www.cisa.gov/...``) to where
the files really are (a mirror, or a test server on loopback).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, Unpack
from urllib.parse import urljoin, urlsplit

import orjson

from vulndesk.core.advisories.csaf import csaf_document_id
from vulndesk.core.advisories.osv import format_timestamp, parse_timestamp
from vulndesk.core.errors import AdvisoryError, VulndeskError
from vulndesk.core.feeds.http import (
    ClientOptions,
    FeedError,
    FeedStatusError,
    PoliteClient,
    RateLimit,
    RetryPolicy,
    origin,
)
from vulndesk.core.feeds.openpgp import OpenPgpError, SignatureOutcome, TrustedKeyring

__all__ = [
    "CsafProviderError",
    "CsafProviderSync",
    "DocumentResult",
    "ProviderMetadata",
    "SignaturePolicy",
    "SyncCursor",
    "SyncOptions",
    "SyncSummary",
    "csaf_client",
    "discover_provider",
    "sync_csaf_provider",
]

_MiB = 1 << 20
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

SignaturePolicy = Literal["require", "verify-if-present", "skip"]
HashOutcome = Literal["verified", "mismatch", "missing", "skipped"]
DocumentStatus = Literal["accepted", "rejected", "failed"]


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
    fetched from ``replacement`` + the rest. ``max_retries`` counts the tries after the first for
    a transient failure; ``max_retry_after`` bounds one wait a 429 or 5xx asks for (a longer one
    fails the fetch rather than stalling the sync). ``follow_cross_host_redirects`` lets redirects
    leave the origin (another scheme, host or port: "host" in the name is the whole origin), each
    noted on the document. ``rate_limit`` paces every request, redirect hops included (none by
    default: a provider's static files are cheap to serve, and CSAF states no limit).
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
    rate_limit: RateLimit | None = None
    gpg_timeout: float = 30.0
    user_agent: str = "vulndesk-csaf-sync (+https://github.com/vulndesk)"


def csaf_client(options: SyncOptions, **overrides: Unpack[ClientOptions]) -> PoliteClient:
    """Return the HTTP client a sync with ``options`` uses (see the module docstring);
    ``overrides`` replace what the options say (a test's clock)."""
    settings: ClientOptions = {
        "timeout": options.timeout,
        "max_bytes": options.max_listing_size,
        "retry": RetryPolicy(
            attempts=options.max_retries + 1, retry_after_max=options.max_retry_after
        ),
        "redirects": "follow" if options.follow_cross_host_redirects else "same-origin",
        "max_redirects": options.max_redirects,
    }
    settings.update(overrides)
    return PoliteClient(
        rate_limit=options.rate_limit, headers={"User-Agent": options.user_agent}, **settings
    )


@dataclass(slots=True)
class _Fetched:
    """A body and where it came from: ``url`` after redirects, ``notes`` on those that left
    their origin."""

    url: str
    data: bytes
    notes: list[str] = field(default_factory=list)


class _Http:
    """The sync's GETs: a PoliteClient's answers as _Fetched, its errors as CsafProviderError,
    and the provider's URLs rewritten (``base_url_rewrite``)."""

    def __init__(self, options: SyncOptions, client: PoliteClient | None) -> None:
        self.options = options
        # a feed fetched to tell what the start URL is, kept for listing it right after
        self.prefetched: dict[str, _Fetched] = {}
        self.own_client = client is None
        self.client = client or csaf_client(options)

    def close(self) -> None:
        if self.own_client:
            self.client.close()

    def rewrite(self, url: str) -> str:
        for prefix, replacement in self.options.base_url_rewrite:
            if url.startswith(prefix):
                return replacement + url[len(prefix) :]
        return url

    def get(self, url: str, *, limit: int) -> _Fetched:
        """Return the body at ``url``; raise CsafProviderError when there is none to read."""
        fetched = self._get(url, limit=limit, missing_ok=False)
        assert fetched is not None
        return fetched

    def get_optional(self, url: str, *, limit: int) -> _Fetched | None:
        """Return the body at ``url``, or None when the server answers 404 or 410."""
        return self._get(url, limit=limit, missing_ok=True)

    def _get(self, url: str, *, limit: int, missing_ok: bool) -> _Fetched | None:
        try:
            response = self.client.get(url, max_bytes=limit)
        except FeedStatusError as e:
            if missing_ok and e.status in (404, 410):
                return None
            raise CsafProviderError(e.message, url=e.url) from e
        except FeedError as e:
            raise CsafProviderError(e.message, url=e.url) from e
        hops = (response.url, *response.redirects)
        notes = [
            f"redirected from {here} to {there}"
            for here, there in pairwise(hops)
            if origin(here) != origin(there)
        ]
        return _Fetched(response.final_url, response.content, notes)


@dataclass(frozen=True, slots=True)
class SyncCursor:
    """Where a sync stopped: every listed document older than ``since`` was handled, and so was
    each document in ``done`` (``"<path>@<timestamp>"``; the timestamp is empty for listings
    without one). ``None`` for ``since`` means a first, full run.
    """

    since: datetime | None = None
    done: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        """Return the cursor as a JSON-able object (the inverse of :meth:`from_json`)."""
        return {
            "since": None if self.since is None else format_timestamp(self.since),
            "done": sorted(self.done),
        }

    @classmethod
    def from_json(cls, obj: object) -> SyncCursor:
        """Return the cursor :meth:`to_json` wrote; raise CsafProviderError for anything else."""
        if not isinstance(obj, dict):
            raise CsafProviderError("a sync cursor must be a JSON object with since and done")
        since, done = obj.get("since"), obj.get("done", [])
        if not isinstance(done, list) or not all(isinstance(d, str) for d in done):
            raise CsafProviderError("sync cursor: done must be a list of strings")
        try:
            when = None if since is None else parse_timestamp(str(since))
        except ValueError as e:
            raise CsafProviderError(f"sync cursor: since {since!r} is not a timestamp") from e
        return cls(when, frozenset(done))


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    """What a provider publishes about itself (provider-metadata.json), or what a sync started
    from when it was given a feed or directory directly (then ``url`` is that and the rest empty).
    """

    url: str
    publisher: str | None = None
    role: str | None = None
    canonical_url: str | None = None
    last_updated: str | None = None
    directory_urls: tuple[str, ...] = ()
    rolie_feeds: tuple[str, ...] = ()
    public_key_fingerprints: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentResult:
    """One document of the provider and what became of it.

    ``status``: ``accepted`` (``data`` holds the verified bytes), ``rejected`` (verification or
    content failed: ``reason`` says why, ``data`` is None) or ``failed`` (it could not be
    fetched; the next run retries it). ``path`` is the document's path in the distribution
    (``2022/icsa-22-356-03.json``) or, for a ROLIE entry outside the feed's folder, its URL as
    the feed writes it.
    """

    path: str
    url: str
    updated: datetime | None
    status: DocumentStatus
    data: bytes | None = None
    document_id: str | None = None
    hash: HashOutcome = "skipped"
    hash_algorithm: str | None = None
    signature: SignatureOutcome = "skipped"
    signer: str | None = None
    reason: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SyncSummary:
    """What a whole :func:`sync_csaf_provider` run did, and the cursor to continue from."""

    cursor: SyncCursor
    accepted: int = 0
    rejected: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class _Ref:
    """A document a listing names."""

    path: str
    url: str
    updated: datetime | None
    hash_urls: tuple[str, ...] = ()
    signature_url: str | None = None

    @property
    def key(self) -> str:
        return f"{self.path}@{'' if self.updated is None else format_timestamp(self.updated)}"


# --- discovery and listings -----------------------------------------------------------------------


def _json(fetched: _Fetched, what: str) -> dict[str, Any]:
    try:
        obj = orjson.loads(fetched.data)
    except orjson.JSONDecodeError as e:
        raise CsafProviderError(f"{what} is not valid JSON: {e}", url=fetched.url) from e
    if not isinstance(obj, dict):
        raise CsafProviderError(f"{what} is not a JSON object", url=fetched.url)
    return obj


def _metadata(obj: dict[str, Any], url: str) -> ProviderMetadata:
    directories: list[str] = []
    feeds: list[str] = []
    distributions = obj.get("distributions") or []
    if not isinstance(distributions, list):
        raise CsafProviderError("$.distributions: expected an array", url=url)
    for i, item in enumerate(distributions):
        if not isinstance(item, dict):
            raise CsafProviderError(f"$.distributions[{i}]: expected an object", url=url)
        if isinstance(item.get("directory_url"), str):
            directories.append(urljoin(url, item["directory_url"]))
        rolie = item.get("rolie")
        if isinstance(rolie, dict):
            for j, feed in enumerate(rolie.get("feeds") or []):
                if not isinstance(feed, dict) or not isinstance(feed.get("url"), str):
                    raise CsafProviderError(
                        f"$.distributions[{i}].rolie.feeds[{j}].url: expected a string", url=url
                    )
                feeds.append(urljoin(url, feed["url"]))
    publisher = obj.get("publisher")
    keys = obj.get("public_openpgp_keys") or []
    return ProviderMetadata(
        url=url,
        publisher=publisher.get("name") if isinstance(publisher, dict) else None,
        role=obj.get("role") if isinstance(obj.get("role"), str) else None,
        canonical_url=obj.get("canonical_url"),
        last_updated=obj.get("last_updated"),
        directory_urls=tuple(directories),
        rolie_feeds=tuple(feeds),
        public_key_fingerprints=tuple(
            str(k["fingerprint"]) for k in keys if isinstance(k, dict) and "fingerprint" in k
        ),
    )


def _discover(http: _Http, start: str) -> ProviderMetadata:
    start = start.strip()
    if "://" not in start:
        origins, domain = [f"https://{start.strip('/')}"], start.strip("/")
    else:
        parts = urlsplit(start)
        if parts.path not in ("", "/"):
            return _from_url(http, start)
        origins, domain = [f"{parts.scheme}://{parts.netloc}"], None
    tried: list[str] = []
    for base in origins:
        fetched = _try(http, f"{base}/.well-known/csaf/provider-metadata.json", tried)
        if fetched is not None:
            return _metadata(_json(fetched, "provider metadata"), fetched.url)
        fetched = _try(http, f"{base}/.well-known/security.txt", tried)
        if fetched is not None:
            for line in fetched.data.decode("utf-8", "replace").splitlines():
                name, _, value = line.partition(":")
                if name.strip().lower() == "csaf" and value.strip():
                    found = _try(http, value.strip(), tried)
                    if found is not None:
                        return _metadata(_json(found, "provider metadata"), found.url)
    if domain is not None:
        fetched = _try(http, f"https://csaf.data.security.{domain}/", tried)
        if fetched is not None:
            return _metadata(_json(fetched, "provider metadata"), fetched.url)
    raise CsafProviderError(
        "no CSAF provider found; tried " + ", ".join(tried), url=start if domain is None else None
    )


def _try(http: _Http, url: str, tried: list[str]) -> _Fetched | None:
    """Return the body at ``url``, or None after noting in ``tried`` that (and why) it failed."""
    try:
        fetched = http.get_optional(http.rewrite(url), limit=http.options.max_listing_size)
    except CsafProviderError as e:
        tried.append(f"{url} ({e.message})")
        return None
    if fetched is None:
        tried.append(url)
    return fetched


def _from_url(http: _Http, url: str) -> ProviderMetadata:
    if url.endswith("/"):
        return ProviderMetadata(url=url, directory_urls=(url,))
    fetched = http.get(http.rewrite(url), limit=http.options.max_listing_size)
    obj = _json(fetched, "provider metadata or ROLIE feed")
    if "feed" in obj:
        http.prefetched[url] = fetched
        return ProviderMetadata(url=url, rolie_feeds=(url,))
    if "distributions" in obj or "canonical_url" in obj:
        return _metadata(obj, fetched.url)
    raise CsafProviderError(
        "neither a provider-metadata.json (distributions) nor a ROLIE feed (feed)", url=url
    )


def discover_provider(
    start: str, *, options: SyncOptions | None = None, client: PoliteClient | None = None
) -> ProviderMetadata:
    """Return the provider metadata ``start`` leads to (see the module docstring for its forms).

    ``client`` replaces the one :func:`csaf_client` would build (it is not closed). Raise
    CsafProviderError naming every URL tried when none answers.
    """
    http = _Http(options or SyncOptions(), client)
    try:
        return _discover(http, start)
    finally:
        http.close()


_UNSAFE_PATH = re.compile(r"(^/|^\\|\\|://|(^|/)\.\.(/|$))")


def _safe_path(path: str, where: str) -> str:
    path = path.strip()
    if not path or _UNSAFE_PATH.search(path) or not path.endswith(".json"):
        raise CsafProviderError(f"unsafe or unexpected document path {path!r}", url=where)
    return path


def _changes(fetched: _Fetched) -> list[tuple[str, datetime]]:
    out: list[tuple[str, datetime]] = []
    text = fetched.data.decode("utf-8", "replace")
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 2:
            raise CsafProviderError(
                f'line {line_no}: expected "path","timestamp", got {len(row)} fields',
                url=fetched.url,
            )
        try:
            when = parse_timestamp(row[1].strip())
        except ValueError as e:
            raise CsafProviderError(
                f"line {line_no}: {row[1]!r} is not an RFC 3339 timestamp", url=fetched.url
            ) from e
        out.append((_safe_path(row[0], f"{fetched.url}:{line_no}"), when))
    return out


def _directory_refs(http: _Http, base: str, since: datetime | None) -> list[_Ref]:
    base = base if base.endswith("/") else base + "/"
    fetch_base = http.rewrite(base)
    limit = http.options.max_listing_size
    changes = http.get_optional(fetch_base + "changes.csv", limit=limit)
    stamps: dict[str, datetime] = {}
    if changes is not None:
        for path, when in _changes(changes):
            if path not in stamps or when > stamps[path]:
                stamps[path] = when
    paths: list[str]
    if since is not None and changes is not None:
        paths = list(stamps)  # incremental: changes.csv says what changed
    else:
        index = http.get_optional(fetch_base + "index.txt", limit=limit)
        if index is None and changes is None:
            raise CsafProviderError("has neither index.txt nor changes.csv", url=base)
        if index is None:
            paths = list(stamps)
        else:
            lines = index.data.decode("utf-8", "replace").splitlines()
            paths = [
                _safe_path(line, f"{index.url}:{n}")
                for n, line in enumerate(lines, start=1)
                if line.strip()
            ]
    refs = []
    for path in dict.fromkeys(paths):
        url = fetch_base + path
        refs.append(
            _Ref(path, url, stamps.get(path), (url + ".sha512", url + ".sha256"), url + ".asc")
        )
    return refs


def _rolie_refs(http: _Http, feed_url: str) -> list[_Ref]:
    fetched = http.prefetched.pop(feed_url, None) or http.get(
        http.rewrite(feed_url), limit=http.options.max_listing_size
    )
    feed = _json(fetched, "ROLIE feed").get("feed")
    if not isinstance(feed, dict):
        raise CsafProviderError("$.feed: expected an object", url=fetched.url)
    entries = feed.get("entry") or []
    if not isinstance(entries, list):
        raise CsafProviderError("$.feed.entry: expected an array", url=fetched.url)
    folder = fetched.url.rsplit("/", 1)[0] + "/"
    refs: list[_Ref] = []
    for i, entry in enumerate(entries):
        where = f"{fetched.url}: $.feed.entry[{i}]"
        if not isinstance(entry, dict):
            raise CsafProviderError(f"{where}: expected an object")
        links: dict[str, list[str]] = {}
        for link in entry.get("link") or []:
            if isinstance(link, dict) and isinstance(link.get("href"), str):
                links.setdefault(str(link.get("rel", "")), []).append(
                    urljoin(feed_url, link["href"])
                )
        content = entry.get("content")
        self_links = links.get("self") or (
            [urljoin(feed_url, content["src"])]
            if isinstance(content, dict) and isinstance(content.get("src"), str)
            else []
        )
        if not self_links:
            raise CsafProviderError(f"{where}: no link rel=self to the document")
        href = http.rewrite(self_links[0])
        path = href[len(folder) :] if href.startswith(folder) else self_links[0]
        if href.startswith(folder):
            _safe_path(path, where)
        updated: datetime | None = None
        if isinstance(entry.get("updated"), str):
            try:
                updated = parse_timestamp(entry["updated"])
            except ValueError as e:
                raise CsafProviderError(f"{where}.updated: not an RFC 3339 timestamp") from e
        hashes = sorted(
            links.get("hash", []),
            key=lambda u: (not u.endswith(".sha512"), not u.endswith(".sha256")),
        )
        signatures = links.get("signature", [])
        refs.append(
            _Ref(
                path,
                href,
                updated,
                tuple(http.rewrite(u) for u in hashes),
                http.rewrite(signatures[0]) if signatures else None,
            )
        )
    return refs


# --- the sync -------------------------------------------------------------------------------------


def _expected_filename(document_id: str) -> str:
    # CSAF §5.1: lower case, every run of characters outside [+\-a-z0-9] becomes "_"
    return re.sub(r"[^+\-a-z0-9]+", "_", document_id.lower()) + ".json"


class CsafProviderSync:
    """One sync run: iterate it for a :class:`DocumentResult` per document to handle.

    Documents are handled oldest first. :attr:`cursor` is valid at any point of the iteration
    (also after an exception or a ``break``) and continues from there. Use it as a context
    manager, or exhaust or close the iterator, so that its HTTP client and temporary GNUPGHOME
    go away. ``client`` replaces the one :func:`csaf_client` builds from the options (tests, a
    proxy); the sync does not close it.
    """

    def __init__(
        self,
        start: str,
        *,
        options: SyncOptions | None = None,
        cursor: SyncCursor | None = None,
        client: PoliteClient | None = None,
    ) -> None:
        self.start = start
        self.options = options or SyncOptions()
        self._http = _Http(self.options, client)
        self._start_cursor = cursor or SyncCursor()
        self._done: set[str] = set(self._start_cursor.done)
        self._complete = False
        self._next_since: datetime | None = self._start_cursor.since
        self._keyring: TrustedKeyring | None = None
        self.metadata: ProviderMetadata | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the HTTP client and the temporary keyring."""
        self._http.close()
        if self._keyring is not None:
            self._keyring.close()
            self._keyring = None

    @property
    def cursor(self) -> SyncCursor:
        """Return the cursor from which a new run continues after what was handled so far."""
        if not self._complete:
            return SyncCursor(self._start_cursor.since, frozenset(self._done))
        since = self._next_since
        done = frozenset(
            key
            for key in self._done
            if since is None
            or not key.rsplit("@", 1)[1]
            or parse_timestamp(key.rsplit("@", 1)[1]) >= since
        )
        return SyncCursor(since, done)

    def _refs(self) -> list[_Ref]:
        metadata = self.metadata = _discover(self._http, self.start)
        kind = self.options.distribution
        use_directory = kind == "directory" or (kind == "auto" and metadata.directory_urls)
        if use_directory and not metadata.directory_urls:
            raise CsafProviderError("the provider has no directory distribution", url=metadata.url)
        if not use_directory and not metadata.rolie_feeds:
            raise CsafProviderError("the provider lists no distribution", url=metadata.url)
        refs: list[_Ref] = []
        since = self._start_cursor.since
        if use_directory:
            for base in metadata.directory_urls:
                refs += _directory_refs(self._http, base, since)
        else:
            for feed in metadata.rolie_feeds:
                refs += _rolie_refs(self._http, feed)
        return refs

    def __iter__(self) -> Iterator[DocumentResult]:
        try:
            refs = self._refs()
            since = self._start_cursor.since
            pending = [
                ref
                for ref in refs
                if (since is None or ref.updated is None or ref.updated >= since)
                and ref.key not in self._done
            ]
            # oldest first; undated (index.txt without changes.csv) after the dated ones
            pending.sort(key=lambda r: (r.updated is None, r.updated or _EPOCH, r.path))
            failed: list[datetime | None] = []
            if self.options.signature_policy != "skip":
                try:
                    self._keyring = TrustedKeyring(
                        self.options.trusted_keys, self.options.gpg_timeout
                    )
                except OpenPgpError as e:
                    raise CsafProviderError(str(e)) from e
            for ref in pending:
                result = self._handle(ref)
                yield result
                # counted as handled once the consumer comes back for the next one, so a
                # document whose storing failed is fetched again (at least once, never lost)
                if result.status == "failed":
                    failed.append(ref.updated)
                else:
                    self._done.add(ref.key)
            stamps = [r.updated for r in refs if r.updated is not None]
            dated_failures = [f for f in failed if f is not None]
            if dated_failures:
                self._next_since = min(dated_failures)
                if since is not None and since < self._next_since:
                    self._next_since = since
            elif stamps and None not in failed:
                self._next_since = max(stamps)
            self._complete = True
        finally:
            self.close()

    def _handle(self, ref: _Ref) -> DocumentResult:
        options = self.options
        base = DocumentResult(ref.path, ref.url, ref.updated, "failed")
        try:
            fetched = self._http.get(ref.url, limit=options.max_document_size)
            hash_outcome, algorithm, hash_reason = self._check_hash(ref, fetched.data)
            signature: SignatureOutcome = "skipped"
            signer: str | None = None
            sig_reason = ""
            if options.signature_policy != "skip" and hash_outcome != "mismatch":
                signature, signer, sig_reason = self._check_signature(ref, fetched.data)
        except CsafProviderError as e:
            return replace(base, reason=str(e))
        checked = replace(
            base,
            status="rejected",
            hash=hash_outcome,
            hash_algorithm=algorithm,
            signature=signature,
            signer=signer,
            notes=tuple(fetched.notes),
        )
        if hash_outcome == "mismatch" or (hash_outcome == "missing" and options.require_hash):
            return replace(checked, reason=hash_reason)
        if signature == "bad" or (
            options.signature_policy == "require" and signature != "verified"
        ):
            return replace(checked, reason=f"signature {signature}: {sig_reason}")
        try:
            document_id = csaf_document_id(orjson.loads(fetched.data))
        except (orjson.JSONDecodeError, AdvisoryError) as e:
            return replace(checked, reason=f"not a CSAF document: {e}")
        notes = checked.notes
        expected = _expected_filename(document_id)
        if ref.url.rsplit("/", 1)[-1] != expected:
            notes += (f"file name should be {expected} for id {document_id} (CSAF 5.1)",)
        return replace(
            checked, status="accepted", data=fetched.data, document_id=document_id, notes=notes
        )

    def _check_hash(self, ref: _Ref, data: bytes) -> tuple[HashOutcome, str | None, str]:
        for url in ref.hash_urls:
            algorithm = "sha256" if url.endswith(".sha256") else "sha512"
            fetched = self._http.get_optional(url, limit=64 * 1024)
            if fetched is None:
                continue
            words = fetched.data.decode("ascii", "replace").split()
            expected = words[0].lower() if words else ""
            actual = hashlib.new(algorithm, data).hexdigest()
            if expected == actual:
                return "verified", algorithm, ""
            return (
                "mismatch",
                algorithm,
                f"{algorithm.upper()} mismatch: {fetched.url} says {expected[:16]}..., "
                f"the document hashes to {actual[:16]}...",
            )
        return "missing", None, "no hash file (.sha512 or .sha256) but the options require one"

    def _check_signature(self, ref: _Ref, data: bytes) -> tuple[SignatureOutcome, str | None, str]:
        if ref.signature_url is None:
            return "missing", None, "the listing links no signature"
        fetched = self._http.get_optional(ref.signature_url, limit=1 * _MiB)
        if fetched is None:
            return "missing", None, f"no signature at {ref.signature_url}"
        assert self._keyring is not None
        try:
            return self._keyring.verify(data, fetched.data)
        except OpenPgpError as e:
            raise CsafProviderError(str(e)) from e


def sync_csaf_provider(
    start: str,
    on_document: Callable[[DocumentResult], None],
    *,
    options: SyncOptions | None = None,
    cursor: SyncCursor | None = None,
    client: PoliteClient | None = None,
) -> SyncSummary:
    """Run a whole sync, calling ``on_document`` with each result; return the counts and cursor.

    An exception from ``on_document`` or the listing propagates. To keep the progress of a run
    that may be interrupted, iterate a :class:`CsafProviderSync` and read its ``cursor``.
    """
    counts = {"accepted": 0, "rejected": 0, "failed": 0}
    with CsafProviderSync(start, options=options, cursor=cursor, client=client) as sync:
        for result in sync:
            on_document(result)
            counts[result.status] += 1
        return SyncSummary(sync.cursor, counts["accepted"], counts["rejected"], counts["failed"])

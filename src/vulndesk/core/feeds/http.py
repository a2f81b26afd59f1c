"""Polite HTTP for the feed fetchers: paced, retried, bounded and honest about failures.

:class:`PoliteClient` wraps one :class:`httpx.Client` and adds what every feed needs:

- a sliding-window rate limit (:class:`RateLimit`): no window of ``per_seconds`` ever holds more
  than ``requests`` request starts, retries included, so a published limit such as NVD's
  "5 requests in a rolling 30 s window" is never exceeded;
- retries of transient failures (HTTP 429, 500, 502, 503, 504, connection errors, timeouts and
  bodies cut short) with exponential backoff and jitter, honouring ``Retry-After`` (seconds or an
  HTTP date) up to a bound: a server that asks for a longer pause is obeyed by giving up;
- a per-request timeout, a maximum body size enforced while streaming (after gzip decoding, so a
  small compressed body cannot expand without limit), and downloads streamed to a file that only
  appears, atomically, once complete;
- conditional GET (``If-None-Match`` / ``If-Modified-Since``), where 304 is an answer, not an error;
- redirects followed one hop at a time (each hop paced like a request, its body never read, at
  most ``max_redirects``), and with ``redirects="same-origin"`` refused when a hop leaves the
  origin it came from (see below);
- ``User-Agent: vulndesk/<version>`` and optional extra headers (NVD's ``apiKey``).

**Origins.** Two URLs have the same origin when scheme, host and port are equal (RFC 6454; the
default port counts as written out, so ``https://a.example`` and ``https://a.example:443`` are
one origin). Anything else is another origin: ``http`` to ``https`` on one host, another port,
and another name for the same machine (``127.0.0.1`` and ``localhost``), since the client cannot
know two names serve the same documents. The CSAF provider sync uses this rule: a provider's
documents come from where its metadata says, not from wherever a redirect points (CSAF 2.0
section 7.1.6 says redirects SHOULD NOT be used at all; the same-origin exception is vulndesk's).
It is stricter than "same domain" on purpose: equal names are all a client can compare without
trusting DNS or guessing where a registrable domain ends.

Time comes from an injectable :class:`Clock`, so tests check pacing without waiting.
Every error is a :class:`FeedError` whose message names the URL (and the status when there is one).
"""

from __future__ import annotations

import email.utils
import hashlib
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol, TypedDict, TypeVar

import httpx

from vulndesk import __version__
from vulndesk.core.errors import VulndeskError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "USER_AGENT",
    "ClientOptions",
    "Clock",
    "FeedApiError",
    "FeedCursorError",
    "FeedError",
    "FeedFormatError",
    "FeedRedirectRefused",
    "FeedResponse",
    "FeedStatusError",
    "FeedStream",
    "FeedTimeout",
    "FeedTooLarge",
    "FeedTruncated",
    "FeedUnavailable",
    "PoliteClient",
    "RateLimit",
    "RedirectPolicy",
    "RetryPolicy",
    "SlidingWindowLimiter",
    "SystemClock",
    "origin",
    "parse_retry_after",
]

USER_AGENT = f"vulndesk/{__version__}"
DEFAULT_MAX_BYTES = 64 << 20
_CHUNK = 64 << 10

Params = Mapping[str, str | int]
#: ``follow``: every redirect (up to ``max_redirects``); ``same-origin``: only within the origin
RedirectPolicy = Literal["follow", "same-origin"]
_T = TypeVar("_T")


# --- errors -------------------------------------------------------------------------------------


class FeedError(VulndeskError):
    """A feed could not be fetched; ``url`` and ``status`` say where and what the server said."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None):
        self.message = message
        self.url = url
        self.status = status
        super().__init__(f"GET {url}: {message}" if url else message)


class FeedStatusError(FeedError):
    """The server answered with a status that retrying cannot fix (404, 401, 400...)."""


class FeedUnavailable(FeedError):
    """A transient failure (429/5xx, connection error...) outlasted the retry budget."""

    def __init__(
        self, message: str, *, url: str, status: int | None = None, attempts: int = 1
    ) -> None:
        self.attempts = attempts
        super().__init__(message, url=url, status=status)


class FeedRedirectRefused(FeedStatusError):
    """A redirect to another origin, refused because the client follows same-origin ones only.

    ``url`` is the URL that answered with the redirect, ``target`` where it pointed.
    """

    def __init__(self, message: str, *, url: str, status: int, target: str) -> None:
        self.target = target
        super().__init__(message, url=url, status=status)


class FeedTimeout(FeedUnavailable):
    """The server did not answer within the client's timeout, on every attempt."""


class FeedTruncated(FeedUnavailable):
    """The body ended before the promised length (Content-Length or chunked framing)."""


class FeedTooLarge(FeedError):
    """The body is larger than the client accepts; it was refused, not stored."""


class FeedFormatError(FeedError):
    """The body is not what the source's format promises (paging fields, gzip framing...)."""


class FeedApiError(FeedError):
    """The source answered 200 but reported an error in the body (MyJVN ``retCd="1"``)."""


class FeedCursorError(FeedError):
    """A stored cursor does not have the shape its fetcher writes."""


# --- time and pacing ----------------------------------------------------------------------------


class Clock(Protocol):
    """Where a client gets time from: monotonic for pacing, wall-clock UTC for dates."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        """Return :func:`time.monotonic`."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Sleep for ``seconds`` (nothing when it is not positive)."""
        if seconds > 0:
            time.sleep(seconds)

    def now(self) -> datetime:
        """Return the current time in UTC."""
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``requests`` request starts in any window of ``per_seconds``."""

    requests: int
    per_seconds: float

    def __post_init__(self) -> None:
        if self.requests < 1 or self.per_seconds <= 0:
            raise ValueError(f"invalid rate limit {self.requests}/{self.per_seconds} s")


class SlidingWindowLimiter:
    """Pace calls to :meth:`acquire` so that no sliding window exceeds a :class:`RateLimit`.

    It keeps the start times of the last ``requests`` calls; a new call waits until the oldest of
    them is ``per_seconds`` old. Invariant: for the start times t0 <= t1 <= ... of all calls,
    ``t[i + requests] - t[i] >= per_seconds``.
    """

    def __init__(self, limit: RateLimit, clock: Clock) -> None:
        self.limit = limit
        self._clock = clock
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait until one more request fits in the window, record its start; return the wait."""
        waited = 0.0
        with self._lock:
            while True:
                now = self._clock.monotonic()
                while self._starts and now - self._starts[0] >= self.limit.per_seconds:
                    self._starts.popleft()
                if len(self._starts) < self.limit.requests:
                    self._starts.append(now)
                    return waited
                wait = self._starts[0] + self.limit.per_seconds - now
                if wait <= 0:  # rounding: the oldest start is due, whatever the subtraction says
                    self._starts.popleft()
                    continue
                self._clock.sleep(wait)
                waited += wait


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry a transient failure.

    ``attempts`` counts the first try. The n-th retry waits ``backoff_base * 2 ** (n - 1)``
    seconds (at most ``backoff_max``) scaled by a random factor in [0.5, 1] so that clients do
    not retry in lockstep, unless the server sent ``Retry-After``: then exactly that, provided it
    is at most ``retry_after_max``; a longer requested pause makes the client give up instead of
    retrying early. 500 is retried because NVD answers it under load (and recovers).
    """

    attempts: int = 4
    backoff_base: float = 2.0
    backoff_max: float = 60.0
    retry_after_max: float = 300.0
    statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 500, 502, 503, 504}))

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"retry attempts must be at least 1, not {self.attempts}")

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Return the pause before the ``retry``-th retry (1-based) when the server named none."""
        delay = min(self.backoff_max, self.backoff_base * 2.0 ** (retry - 1))
        return delay * rng.uniform(0.5, 1.0)


def parse_retry_after(value: str, now: datetime) -> float | None:
    """Return the seconds a ``Retry-After`` value asks for (delay or HTTP date), None if invalid.

    RFC 9110 section 10.2.3: either a non-negative number of seconds or an HTTP date; a date in
    the past means "now" (0).
    """
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


# --- responses ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedResponse:
    """What a GET returned: the body in memory (``get``) or in a file (``download``).

    A 304 answer to a conditional request has ``status`` 304, no content and no path. ``url`` is
    the URL asked for; ``redirects`` the URLs it was redirected to, in order (the answer came
    from the last one).
    """

    url: str
    status: int
    headers: httpx.Headers
    content: bytes = b""
    path: Path | None = None
    size: int = 0
    sha256: str = ""
    redirects: tuple[str, ...] = ()

    @property
    def final_url(self) -> str:
        """Return the URL the answer came from: the last redirect's target, else ``url``."""
        return self.redirects[-1] if self.redirects else self.url

    @property
    def not_modified(self) -> bool:
        """Return whether the server answered 304 Not Modified."""
        return self.status == 304

    @property
    def etag(self) -> str | None:
        """Return the ``ETag`` header, if any."""
        return _header(self.headers, "etag")

    @property
    def last_modified(self) -> str | None:
        """Return the ``Last-Modified`` header, if any."""
        return _header(self.headers, "last-modified")


def _header(headers: httpx.Headers, name: str) -> str | None:
    value = headers.get(name)
    return str(value) if value is not None else None


class FeedStream:
    """An open response body, read chunk by chunk or line by line within the size limit.

    Errors while reading (body cut short, timeout, over the size limit) raise :class:`FeedError`
    subclasses naming the URL; they are not retried, because the caller has consumed part of it.
    """

    def __init__(
        self,
        response: httpx.Response,
        *,
        url: str,
        max_bytes: int,
        redirects: tuple[str, ...] = (),
    ) -> None:
        self.response = response
        self.url = url
        self.max_bytes = max_bytes
        self.redirects = redirects
        self.bytes_read = 0

    @property
    def headers(self) -> httpx.Headers:
        """Return the response headers."""
        return self.response.headers

    def iter_bytes(self) -> Iterator[bytes]:
        """Yield the decoded body in chunks, refusing to go past ``max_bytes``."""
        try:
            for chunk in _limited_chunks(self.response, self.url, self.max_bytes):
                self.bytes_read += len(chunk)
                yield chunk
        except httpx.DecodingError as e:
            raise FeedFormatError(f"body could not be decoded: {e}", url=self.url) from e
        except httpx.TimeoutException as e:
            raise FeedTimeout(f"timed out reading the body: {e}", url=self.url) from e
        except httpx.TransportError as e:
            raise FeedTruncated(f"body truncated: {e}", url=self.url) from e

    def iter_lines(self) -> Iterator[str]:
        """Yield the body's lines as UTF-8 text, without line endings."""
        pending = b""
        for chunk in self.iter_bytes():
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield self._decode(line)
        if pending:
            yield self._decode(pending)

    def _decode(self, line: bytes) -> str:
        try:
            return line.rstrip(b"\r").decode("utf-8")
        except UnicodeDecodeError as e:
            raise FeedFormatError(f"line is not UTF-8: {e}", url=self.url) from e


def _limited_chunks(response: httpx.Response, url: str, max_bytes: int) -> Iterator[bytes]:
    # Content-Length counts encoded bytes; with no Content-Encoding it is the final size, and a
    # body announced as too large is refused before a byte of it is read.
    declared = response.headers.get("content-length", "")
    encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
    if declared.isdigit() and not encoded and int(declared) > max_bytes:
        raise FeedTooLarge(
            f"body of {int(declared)} bytes is over the {max_bytes}-byte limit",
            url=url,
            status=response.status_code,
        )
    total = 0
    for chunk in response.iter_bytes(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise FeedTooLarge(
                f"body is over the {max_bytes}-byte limit", url=url, status=response.status_code
            )
        yield chunk


# --- the client ---------------------------------------------------------------------------------


class ClientOptions(TypedDict, total=False):
    """The :class:`PoliteClient` settings that feed-specific client factories pass through."""

    timeout: float
    max_bytes: int
    retry: RetryPolicy
    clock: Clock
    rng: random.Random
    transport: httpx.BaseTransport
    trust_env: bool
    redirects: RedirectPolicy
    max_redirects: int


@dataclass(slots=True)
class _Failure:
    kind: Literal["status", "timeout", "truncated", "connection"]
    detail: str
    status: int | None = None
    retry_after: float | None = None


class PoliteClient:
    """An HTTP client that paces, retries and bounds every GET (see the module docstring).

    Use it as a context manager, or call :meth:`close`. It is meant for one feed at a time: the
    rate limit belongs to the client, so give each source its own client. ``redirects`` says
    which redirects it follows (``follow``: all; ``same-origin``: those that stay on the origin
    of the URL that answered, others raise :class:`FeedRedirectRefused`), ``max_redirects`` how
    many in a row.
    """

    def __init__(
        self,
        *,
        rate_limit: RateLimit | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
        trust_env: bool = True,
        redirects: RedirectPolicy = "follow",
        max_redirects: int = 20,
    ) -> None:
        if redirects not in ("follow", "same-origin"):
            raise ValueError(f"redirects must be 'follow' or 'same-origin', not {redirects!r}")
        if max_redirects < 0:
            raise ValueError(f"max_redirects must not be negative, not {max_redirects}")
        self.clock: Clock = clock or SystemClock()
        self.redirects: RedirectPolicy = redirects
        self.max_redirects = max_redirects
        self.rate_limit = rate_limit
        self.retry = retry or RetryPolicy()
        self.max_bytes = max_bytes
        self.timeout = timeout
        self._limiter = SlidingWindowLimiter(rate_limit, self.clock) if rate_limit else None
        self._rng = rng or random.Random()
        self._http = httpx.Client(
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            timeout=httpx.Timeout(timeout),
            # redirects are followed by _send, hop by hop, so that each is checked and paced
            follow_redirects=False,
            transport=transport,
            trust_env=trust_env,
        )

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying connections."""
        self._http.close()

    def get(
        self,
        url: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FeedResponse:
        """Return the response to a GET, its body read into memory (at most ``max_bytes``).

        With ``etag`` or ``last_modified`` the request is conditional and a 304 answer is returned
        as such. Transient failures, including a body cut short, are retried.
        """
        limit = self.max_bytes if max_bytes is None else max_bytes

        def read(response: httpx.Response, shown: str, redirects: tuple[str, ...]) -> FeedResponse:
            stream = FeedStream(response, url=shown, max_bytes=limit)
            content = b"".join(stream.iter_bytes())
            return FeedResponse(
                url=shown,
                status=response.status_code,
                headers=response.headers,
                content=content,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                redirects=redirects,
            )

        return self._request(url, params, _conditional(headers, etag, last_modified), read)

    def download(
        self,
        url: str,
        dest: Path,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FeedResponse:
        """Stream a GET's body into ``dest`` and return the response with path, size and SHA-256.

        The body goes to ``<dest>.part`` first and replaces ``dest`` only when complete, so an
        interrupted or refused download never leaves a partial file under the final name.
        Conditional requests work as in :meth:`get`; a 304 leaves ``dest`` untouched.
        """
        limit = self.max_bytes if max_bytes is None else max_bytes
        part = dest.with_name(dest.name + ".part")

        def save(response: httpx.Response, shown: str, redirects: tuple[str, ...]) -> FeedResponse:
            if response.status_code == 304:
                return FeedResponse(
                    url=shown, status=304, headers=response.headers, redirects=redirects
                )
            digest = hashlib.sha256()
            size = 0
            stream = FeedStream(response, url=shown, max_bytes=limit)
            try:
                with part.open("wb") as out:
                    for chunk in stream.iter_bytes():
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                part.replace(dest)
            finally:
                part.unlink(missing_ok=True)
            return FeedResponse(
                url=shown,
                status=response.status_code,
                headers=response.headers,
                path=dest,
                size=size,
                sha256=digest.hexdigest(),
                redirects=redirects,
            )

        dest.parent.mkdir(parents=True, exist_ok=True)
        return self._request(url, params, _conditional(headers, etag, last_modified), save)

    @contextmanager
    def stream(
        self,
        url: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> Iterator[FeedStream]:
        """Yield the open body of a GET, for reading only its head (``modified_id.csv``).

        Failures before the body starts are retried; failures while reading it are raised.
        """
        limit = self.max_bytes if max_bytes is None else max_bytes
        opened: list[httpx.Response] = []

        def keep(response: httpx.Response, shown: str, redirects: tuple[str, ...]) -> FeedStream:
            opened.append(response)
            return FeedStream(response, url=shown, max_bytes=limit, redirects=redirects)

        body = self._request(url, params, dict(headers or {}), keep, close=False)
        try:
            yield body
        finally:
            for response in opened:
                response.close()

    def _request(
        self,
        url: str,
        params: Params | None,
        headers: Mapping[str, str],
        consume: Callable[[httpx.Response, str, tuple[str, ...]], _T],
        *,
        close: bool = True,
    ) -> _T:
        """Return ``consume(response, url, redirects)`` for the first good answer, retrying
        transient ones."""
        try:
            request = self._http.build_request("GET", url, params=params, headers=headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as e:
            raise FeedError(f"invalid URL: {e}", url=url) from e
        shown = str(request.url)
        conditional = "if-none-match" in request.headers or "if-modified-since" in request.headers
        attempt = 0
        while True:
            attempt += 1
            if self._limiter is not None:
                self._limiter.acquire()
            failure = self._attempt(request, shown, conditional, consume, close)
            if not isinstance(failure, _Failure):
                return failure
            self._pause_before_retry(failure, shown, attempt)

    def _attempt(
        self,
        request: httpx.Request,
        shown: str,
        conditional: bool,
        consume: Callable[[httpx.Response, str, tuple[str, ...]], _T],
        close: bool,
    ) -> _T | _Failure:
        """Return what ``consume`` made of one try's response, or the transient failure."""
        response: httpx.Response | None = None
        try:
            response, redirects = self._send(request, shown)
            status = response.status_code
            if status in self.retry.statuses:
                after = response.headers.get("retry-after")
                return _Failure(
                    "status",
                    f"HTTP {status}",
                    status=status,
                    retry_after=parse_retry_after(after, self.clock.now()) if after else None,
                )
            if not (200 <= status < 300 or (status == 304 and conditional)):
                raise FeedStatusError(f"HTTP {status}", url=shown, status=status)
            result = consume(response, shown, redirects)
        except FeedTimeout as e:
            return _Failure("timeout", e.message)
        except FeedTruncated as e:
            return _Failure("truncated", e.message)
        except httpx.TimeoutException as e:
            return _Failure("timeout", f"timed out after {self.timeout:g} s ({type(e).__name__})")
        except httpx.UnsupportedProtocol as e:
            raise FeedError(f"unsupported URL: {e}", url=shown) from e
        except httpx.TransportError as e:
            return _Failure("connection", f"connection failed: {str(e) or type(e).__name__}")
        finally:
            if response is not None and (close or not _is_success(response)):
                response.close()
        return result

    def _send(self, request: httpx.Request, shown: str) -> tuple[httpx.Response, tuple[str, ...]]:
        """Return the response to ``request`` after following its redirects, and their targets.

        Each hop is a request of its own for the rate limit; a redirect's body is never read.
        Raise FeedRedirectRefused for a hop to another origin under ``same-origin``, and
        FeedStatusError past ``max_redirects`` hops.
        """
        response = self._http.send(request, stream=True)
        targets: list[str] = []
        try:
            while response.next_request is not None:
                target = response.next_request
                status = response.status_code
                if len(targets) >= self.max_redirects:
                    raise FeedStatusError(
                        f"more than {self.max_redirects} redirects", url=shown, status=status
                    )
                here, there = origin(response.url), origin(target.url)
                if self.redirects == "same-origin" and here != there:
                    raise FeedRedirectRefused(
                        f"HTTP {status} redirects from {here} to {there}, another origin: "
                        "not followed (this client follows same-origin redirects only)",
                        url=str(response.url),
                        status=status,
                        target=str(target.url),
                    )
                response.close()
                targets.append(str(target.url))
                if self._limiter is not None:
                    self._limiter.acquire()
                response = self._http.send(target, stream=True)
        except BaseException:
            response.close()
            raise
        return response, tuple(targets)

    def _pause_before_retry(self, failure: _Failure, url: str, attempt: int) -> None:
        """Sleep before the next try, or raise when the retry budget or patience is spent."""
        if attempt >= self.retry.attempts:
            raise _exhausted(failure, url, attempt)
        if failure.retry_after is not None:
            if failure.retry_after > self.retry.retry_after_max:
                raise FeedUnavailable(
                    f"{failure.detail}: the server asks to retry after {failure.retry_after:g} s,"
                    f" longer than the {self.retry.retry_after_max:g} s this client waits",
                    url=url,
                    status=failure.status,
                    attempts=attempt,
                )
            self.clock.sleep(failure.retry_after)
        else:
            self.clock.sleep(self.retry.backoff(attempt, self._rng))


def origin(url: str | httpx.URL) -> str:
    """Return the origin of ``url``: ``scheme://host[:port]``, the port only when not the
    scheme's default (the module docstring says why origins, not hosts, are compared)."""
    parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"


def _is_success(response: httpx.Response) -> bool:
    return 200 <= response.status_code < 300 or response.status_code == 304


def _conditional(
    headers: Mapping[str, str] | None, etag: str | None, last_modified: str | None
) -> dict[str, str]:
    merged = dict(headers or {})
    if etag:
        merged["If-None-Match"] = etag
    if last_modified:
        merged["If-Modified-Since"] = last_modified
    return merged


def _exhausted(failure: _Failure, url: str, attempts: int) -> FeedUnavailable:
    message = f"{failure.detail} (gave up after {attempts} attempts)"
    if failure.kind == "timeout":
        return FeedTimeout(message, url=url, attempts=attempts)
    if failure.kind == "truncated":
        return FeedTruncated(message, url=url, attempts=attempts)
    return FeedUnavailable(message, url=url, status=failure.status, attempts=attempts)

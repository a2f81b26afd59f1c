"""A client of the CVE Services API: reserve CVE ids, publish, update and reject records, quota.

CVE Services (``https://cveawg.mitre.org/api/``; the test instance, with ``CVE-1900-`` style
practice ids, at ``https://cveawg-test.mitre.org/api/``) authenticates every request with three
headers: ``CVE-API-ORG`` (the CNA's short name), ``CVE-API-USER`` and ``CVE-API-KEY``. The
endpoints this client uses (reference/disclosure.md, "CVE records and CVE Services"):

- ``POST cve-id?amount=N&cve_year=YYYY&short_name=ORG[&batch_type=sequential]``: reserve ids
  (``batch_type`` is required when more than one is asked for);
- ``GET cve-id/{id}``: an id's state (RESERVED, PUBLISHED, REJECTED) and owner;
- ``POST cve/{id}/cna`` ``{"cnaContainer": {...}}``: publish; ``PUT cve/{id}/cna``: update;
- ``POST cve/{id}/reject`` ``{"cnaContainer": {"rejectedReasons": [...]}}``: reject a reserved id;
  ``PUT cve/{id}/reject``: reject a published record;
- ``GET cve/{id}``: the record; ``GET org/{short_name}/id_quota``: the id quota.

Why not :class:`~vulndesk.core.feeds.http.PoliteClient`: it is built for GETs of feeds (bodies
streamed to files, redirects, conditional requests) and sends nothing else. This client reuses
its Retry-After parsing, retry policy and injectable clock, and keeps the rest thin:

- a 429 or 503 is retried after ``Retry-After`` (seconds or an HTTP date; backoff with jitter
  when absent), up to ``RetryPolicy.attempts`` tries; a longer requested pause than
  ``retry_after_max`` gives up rather than retry early. The service refused those requests, so
  repeating even a POST cannot reserve or publish twice;
- a connection that could not be made is retried for every method; a connection lost after the
  request went out is retried only for GET and PUT (idempotent): a lost ``POST cve-id`` may have
  reserved ids, so it is reported instead of repeated;
- any other 4xx/5xx raises :class:`CveServicesError` naming the operation, the HTTP status and
  the service's JSON ``error`` code and ``message`` (and the first schema ``details`` of a 400).

The API key is a secret: it is sent in the header only, never put in a message, a log line or a
repr (the credentials' repr hides it, and a message that would echo it has it masked).

``publish`` and ``update`` lint the container first (:mod:`vulndesk.core.cve.lint`) and refuse
to send one with errors (:class:`CveRecordInvalid`), unless called with ``lint=False``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal
from urllib.parse import quote

import httpx
import orjson

from vulndesk.core.cve.lint import Finding, errors, lint_cna_container
from vulndesk.core.cve.record import (
    CVE_ID_PATTERN,
    CnaRecord,
    CveRecordError,
    Provider,
    Text,
    cna_container,
    parse_timestamp,
)
from vulndesk.core.errors import InputError, VulndeskError
from vulndesk.core.feeds.http import USER_AGENT, Clock, RetryPolicy, SystemClock, parse_retry_after

__all__ = [
    "PRODUCTION_URL",
    "TEST_URL",
    "CveIdInfo",
    "CveRecordInvalid",
    "CveServicesAuthError",
    "CveServicesClient",
    "CveServicesCredentials",
    "CveServicesError",
    "CveServicesUnavailable",
    "IdQuota",
    "RecordResult",
]

PRODUCTION_URL: Final = "https://cveawg.mitre.org/api/"
TEST_URL: Final = "https://cveawg-test.mitre.org/api/"
#: CVE Services asks to slow down with 429 and is briefly unavailable with 503
DEFAULT_RETRY: Final = RetryPolicy(
    attempts=4, backoff_base=2.0, retry_after_max=120.0, statuses=frozenset({429, 503})
)
_MASK: Final = "********"

log = logging.getLogger(__name__)
Method = Literal["GET", "POST", "PUT"]


# --- errors -------------------------------------------------------------------------------------


class CveServicesError(VulndeskError):
    """CVE Services refused or failed an operation; ``status``, ``error`` and ``service_message``
    are what it answered (None when no answer came)."""

    def __init__(
        self,
        operation: str,
        message: str,
        *,
        status: int | None = None,
        error: str | None = None,
    ) -> None:
        self.operation = operation
        self.status = status
        self.error = error
        self.service_message = message
        answer = f"HTTP {status}" if status is not None else ""
        if error:
            answer = f"{answer} {error}".strip()
        super().__init__(f"CVE Services {operation}: {answer + ': ' if answer else ''}{message}")


class CveServicesAuthError(CveServicesError):
    """The service did not accept the credentials (HTTP 401), or they lack a right (403)."""


class CveServicesUnavailable(CveServicesError):
    """The service could not be reached, or kept answering 429/503 past the retry budget."""


class CveRecordInvalid(VulndeskError):
    """A container was not sent because the linter found errors in it (``findings``)."""

    def __init__(self, cve_id: str, operation: str, findings: Sequence[Finding]) -> None:
        self.cve_id = cve_id
        self.findings = tuple(findings)
        blocking = errors(findings)
        shown = "; ".join(f"{f.path}: {f.message}" for f in blocking[:5])
        more = f" (and {len(blocking) - 5} more)" if len(blocking) > 5 else ""
        super().__init__(
            f"{operation} {cve_id}: not sent, the record has {len(blocking)} lint error(s): "
            f"{shown}{more}"
        )


# --- values -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CveServicesCredentials:
    """Who calls: the CNA's short name (``CVE-API-ORG``), the user and the API key (secret,
    left out of the repr)."""

    org: str
    user: str
    api_key: str = field(repr=False)

    def headers(self) -> dict[str, str]:
        """Return the three authentication headers."""
        return {"CVE-API-ORG": self.org, "CVE-API-USER": self.user, "CVE-API-KEY": self.api_key}


@dataclass(frozen=True, slots=True)
class CveIdInfo:
    """A CVE id as CVE Services knows it: state (RESERVED, PUBLISHED, REJECTED) and owner."""

    cve_id: str
    state: str
    owning_cna: str | None = None
    year: int | None = None
    requested_by: str | None = None
    reserved: datetime | None = None


@dataclass(frozen=True, slots=True)
class IdQuota:
    """The organisation's id quota: how many ids it may hold reserved, holds, and has left."""

    id_quota: int
    total_reserved: int
    available: int


@dataclass(frozen=True, slots=True)
class RecordResult:
    """What a publish, update or reject answered: the service's message and the record."""

    message: str
    record: dict[str, Any]


# --- the client ---------------------------------------------------------------------------------


class CveServicesClient:
    """A CVE Services API client (module docstring). Use it as a context manager, or
    :meth:`close` it."""

    def __init__(
        self,
        credentials: CveServicesCredentials,
        *,
        base_url: str = PRODUCTION_URL,
        timeout: float = 30.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.credentials = credentials
        self.base_url = base_url.rstrip("/") + "/"
        self.retry = retry
        self.clock: Clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,  # a redirect must not carry the key to another host
            transport=transport,
        )

    def __enter__(self) -> CveServicesClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying connections."""
        self._http.close()

    # --- operations ---

    def reserve(self, amount: int = 1, *, year: int, sequential: bool = True) -> list[CveIdInfo]:
        """Reserve ``amount`` CVE ids of ``year`` for the caller's organisation; return them.

        ``sequential`` asks for consecutive numbers (``batch_type=sequential``), otherwise
        ``nonsequential``; the parameter is only sent for more than one id, as the service wants.
        """
        if amount < 1:
            raise InputError(f"reserve: amount must be 1 or more, not {amount}")
        params: dict[str, str | int] = {
            "amount": amount,
            "cve_year": year,
            "short_name": self.credentials.org,
        }
        if amount > 1:
            params["batch_type"] = "sequential" if sequential else "nonsequential"
        answer = self._call("reserve ids", "POST", "cve-id", params=params)
        ids = answer.get("cve_ids")
        if not isinstance(ids, list):
            raise CveServicesError("reserve ids", "the answer has no cve_ids list")
        return [_id_info("reserve ids", item) for item in ids]

    def cve_id(self, cve_id: str) -> CveIdInfo:
        """Return what the service knows about ``cve_id`` (its state and owner)."""
        operation = f"get id {_checked(cve_id)}"
        return _id_info(operation, self._call(operation, "GET", f"cve-id/{cve_id}"))

    def record(self, cve_id: str) -> dict[str, Any]:
        """Return the published (or rejected) CVE record of ``cve_id`` as JSON."""
        operation = f"get record {_checked(cve_id)}"
        return self._call(operation, "GET", f"cve/{cve_id}")

    def publish(
        self, cve_id: str, container: Mapping[str, Any], *, lint: bool = True
    ) -> RecordResult:
        """Publish the CNA ``container`` for the reserved ``cve_id``; return the new record.

        With ``lint`` (the default) a container with lint errors is not sent: CveRecordInvalid.
        """
        return self._send_container("publish", "POST", cve_id, container, lint=lint)

    def update(
        self, cve_id: str, container: Mapping[str, Any], *, lint: bool = True
    ) -> RecordResult:
        """Replace the CNA container of the published ``cve_id``; return the updated record."""
        return self._send_container("update", "PUT", cve_id, container, lint=lint)

    def publish_record(
        self, record: CnaRecord, *, provider: Provider, lint: bool = True
    ) -> RecordResult:
        """Build ``record``'s CNA container and publish it (see :meth:`publish`)."""
        return self.publish(record.cve_id, cna_container(record, provider=provider), lint=lint)

    def update_record(
        self, record: CnaRecord, *, provider: Provider, lint: bool = True
    ) -> RecordResult:
        """Build ``record``'s CNA container and send it as an update (see :meth:`update`)."""
        return self.update(record.cve_id, cna_container(record, provider=provider), lint=lint)

    def reject(
        self, cve_id: str, reasons: Sequence[Text], *, replaced_by: Sequence[str] = ()
    ) -> RecordResult:
        """Reject the reserved, unpublished ``cve_id`` (the CNA rules ask to reject ids that
        will not be used); return the REJECTED record."""
        return self._reject("POST", cve_id, reasons, replaced_by)

    def reject_record(
        self, cve_id: str, reasons: Sequence[Text], *, replaced_by: Sequence[str] = ()
    ) -> RecordResult:
        """Reject the already published record of ``cve_id``; return the REJECTED record."""
        return self._reject("PUT", cve_id, reasons, replaced_by)

    def quota(self) -> IdQuota:
        """Return the organisation's id quota."""
        org = quote(self.credentials.org, safe="")
        answer = self._call("quota", "GET", f"org/{org}/id_quota")
        numbers = []
        for key in ("id_quota", "total_reserved", "available"):
            value = answer.get(key)
            if isinstance(value, bool) or not isinstance(value, int):
                raise CveServicesError("quota", f"the answer's {key} is not a number: {value!r}")
            numbers.append(value)
        return IdQuota(*numbers)

    # --- plumbing ---

    def _send_container(
        self,
        operation: str,
        method: Method,
        cve_id: str,
        container: Mapping[str, Any],
        *,
        lint: bool,
    ) -> RecordResult:
        operation = f"{operation} {_checked(cve_id)}"
        if lint:
            findings = lint_cna_container(container, path="$.cnaContainer", cve_id=cve_id)
            if errors(findings):
                raise CveRecordInvalid(cve_id, operation, findings)
        answer = self._call(
            operation, method, f"cve/{cve_id}/cna", body={"cnaContainer": dict(container)}
        )
        return _result(operation, answer)

    def _reject(
        self, method: Method, cve_id: str, reasons: Sequence[Text], replaced_by: Sequence[str]
    ) -> RecordResult:
        operation = f"reject {_checked(cve_id)}"
        if not any(r.lang == "en" or r.lang.startswith(("en-", "en_")) for r in reasons):
            raise InputError(f"{operation}: give a reason in English (lang 'en')")
        container: dict[str, Any] = {
            "rejectedReasons": [{"lang": r.lang, "value": r.value} for r in reasons]
        }
        if replaced_by:
            container["replacedBy"] = [_checked(other) for other in replaced_by]
        answer = self._call(
            operation, method, f"cve/{cve_id}/reject", body={"cnaContainer": container}
        )
        return _result(operation, answer)

    def _call(
        self,
        operation: str,
        method: Method,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Return the JSON object a request answered, retrying as the module docstring says."""
        headers = self.credentials.headers()
        content = None
        if body is not None:
            content = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.request(
                    method, path, params=params, headers=headers, content=content
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as e:
                # nothing reached the service: safe to retry whatever the method
                self._pause(operation, attempt, None, f"cannot connect: {e}", None, e)
                continue
            except httpx.TransportError as e:
                if method == "POST":
                    raise CveServicesUnavailable(
                        operation,
                        f"{type(e).__name__} after the request was sent: it may have been "
                        "carried out; check before repeating it",
                    ) from e
                self._pause(operation, attempt, None, f"{type(e).__name__}: {e}", None, e)
                continue
            log.debug("CVE Services %s: %s %s -> %s", operation, method, path, response.status_code)
            if response.status_code in self.retry.statuses:
                after = response.headers.get("retry-after")
                wait = parse_retry_after(after, self.clock.now()) if after else None
                self._pause(operation, attempt, response.status_code, "busy", wait, None)
                continue
            return self._answer(operation, response)

    def _pause(
        self,
        operation: str,
        attempt: int,
        status: int | None,
        detail: str,
        retry_after: float | None,
        cause: BaseException | None,
    ) -> None:
        """Sleep before the next try, or raise CveServicesUnavailable when out of patience."""
        if attempt >= self.retry.attempts:
            raise CveServicesUnavailable(
                operation, f"{detail} (gave up after {attempt} attempts)", status=status
            ) from cause
        if retry_after is not None and retry_after > self.retry.retry_after_max:
            raise CveServicesUnavailable(
                operation,
                f"the service asks to retry after {retry_after:g} s, longer than the "
                f"{self.retry.retry_after_max:g} s this client waits",
                status=status,
            ) from cause
        wait = retry_after if retry_after is not None else self.retry.backoff(attempt, self._rng)
        log.info("CVE Services %s: %s, retrying in %.1f s", operation, detail, wait)
        self.clock.sleep(wait)

    def _answer(self, operation: str, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        try:
            answer: object = orjson.loads(response.content) if response.content else {}
        except orjson.JSONDecodeError:
            answer = None
        if 200 <= status < 300:
            if not isinstance(answer, dict):
                raise CveServicesError(operation, "the answer is not a JSON object", status=status)
            return answer
        error, message = self._error(answer, response)
        kind = CveServicesAuthError if status in (401, 403) else CveServicesError
        if status >= 500:
            kind = CveServicesUnavailable
        raise kind(operation, message, status=status, error=error)

    def _error(self, answer: object, response: httpx.Response) -> tuple[str | None, str]:
        """Return the service's error code and message, the API key masked out of both."""
        if isinstance(answer, dict):
            error = answer.get("error")
            message = str(answer.get("message") or "no message")
            details = answer.get("details")
            if isinstance(details, list) and details:
                shown = "; ".join(_detail(d) for d in details[:3])
                more = f" (and {len(details) - 3} more)" if len(details) > 3 else ""
                message = f"{message}: {shown}{more}"
            code = str(error) if error is not None else None
        else:
            code = None
            text = response.text.strip()
            message = text[:200] + ("..." if len(text) > 200 else "") or "no message"
        return self._masked(code), self._masked(message) or "no message"

    def _masked(self, text: str | None) -> str | None:
        key = self.credentials.api_key
        return text.replace(key, _MASK) if text and key else text


def _checked(cve_id: str) -> str:
    """Return ``cve_id`` when well formed; it goes into URL paths, so nothing else may."""
    if not CVE_ID_PATTERN.match(cve_id):
        raise InputError(f"malformed CVE id {cve_id!r}: expected CVE-YYYY-NNNN")
    return cve_id


def _detail(detail: object) -> str:
    if isinstance(detail, dict):
        where = detail.get("instancePath") or detail.get("path") or ""
        what = detail.get("message") or detail.get("msg") or ""
        return f"{where} {what}".strip() or orjson.dumps(detail).decode()[:120]
    return str(detail)[:120]


def _id_info(operation: str, item: object) -> CveIdInfo:
    if not isinstance(item, dict) or not isinstance(item.get("cve_id"), str):
        raise CveServicesError(operation, f"the answer is not a CVE id entry: {item!r:.120}")
    year = item.get("cve_year")
    requested = item.get("requested_by")
    reserved = item.get("reserved")
    try:
        when = parse_timestamp(reserved) if isinstance(reserved, str) else None
    except CveRecordError:
        when = None  # a date in another shape is no reason to lose the id just reserved
    return CveIdInfo(
        cve_id=item["cve_id"],
        state=str(item.get("state", "")),
        owning_cna=item.get("owning_cna") if isinstance(item.get("owning_cna"), str) else None,
        year=int(year) if isinstance(year, int | str) and str(year).isdigit() else None,
        requested_by=requested.get("user") if isinstance(requested, dict) else None,
        reserved=when,
    )


def _result(operation: str, answer: Mapping[str, Any]) -> RecordResult:
    record = answer.get("created", answer.get("updated"))
    if not isinstance(record, dict):
        raise CveServicesError(operation, "the answer carries no record (created/updated)")
    return RecordResult(str(answer.get("message", "")), record)

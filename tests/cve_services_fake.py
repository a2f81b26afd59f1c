"""A fake CVE Services on 127.0.0.1: the endpoints a CNA uses, with state, over real HTTP.

``CveServicesFake()`` serves ``<url>`` = ``http://127.0.0.1:<port>/api/`` with:

- authentication by ``CVE-API-ORG``/``CVE-API-USER``/``CVE-API-KEY``; anything wrong answers 401
  ``{"error": "UNAUTHORIZED", "message": "Unauthorized"}``;
- ``POST cve-id?amount&cve_year&short_name[&batch_type]``: ids per year in sequence
  (``CVE-1900-0001``, ``CVE-1900-0002``...), state RESERVED, within the org's quota (the quota
  counts ids still RESERVED, so publishing or rejecting frees a slot); ``batch_type`` required
  for more than one; reserving for another org is 403;
- ``GET cve-id/{id}``, ``GET cve/{id}``, ``GET org/{short_name}/id_quota``;
- ``POST cve/{id}/cna`` (RESERVED -> PUBLISHED), ``PUT cve/{id}/cna`` (update a PUBLISHED record,
  serial + 1), ``POST cve/{id}/reject`` (RESERVED -> REJECTED), ``PUT cve/{id}/reject``
  (PUBLISHED -> REJECTED). An id nobody reserved is 404 ``CVE_ID_NOT_FOUND``, one another org
  owns is 403 ``NOT_OWNER_OF_CVE_ID``, a transition the state does not allow 403
  ``CVE_RECORD_EXISTS`` or 404 ``CVE_RECORD_DNE``, a container missing a required property 400
  ``BAD_INPUT`` with ``details``.

``script(method, path, Reply(...))`` queues one-off answers (a 429 with ``Retry-After``...) that
come before the real handling; ``requests`` lists ``(method, path, headers)`` of every request.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from feeds_http import LoopbackServer

ORG = "vulndesk-test"
ORG_UUID = "5f4d2c1e-8a7b-4c3d-9e2f-1a0b9c8d7e6f"
USER = "psirt@example.com"
API_KEY = "k3y-0f-the-test-cna-7f1c2e9a"
OTHER_ORG = "other-cna"
OTHER_ORG_UUID = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"
OTHER_USER = "someone@other.example"
OTHER_KEY = "other-secret-key-99"

_REQUIRED_CNA = ("providerMetadata", "descriptions", "affected", "references")


@dataclass
class Reply:
    """One scripted answer: a status, a JSON body (or raw bytes) and headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeOrg:
    short_name: str
    uuid: str
    quota: int
    users: dict[str, str]


@dataclass
class FakeId:
    cve_id: str
    year: int
    owner: str
    user: str
    state: str
    reserved: str
    record: dict[str, Any] | None = None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(status: int, error: str, message: str, **extra: Any) -> Reply:
    return Reply(status, {"error": error, "message": message, **extra})


class CveServicesFake(LoopbackServer):
    """A threaded fake CVE Services on an ephemeral loopback port (module docstring)."""

    def __init__(self, *, quota: int = 10) -> None:
        self.orgs = {
            ORG: FakeOrg(ORG, ORG_UUID, quota, {USER: API_KEY}),
            OTHER_ORG: FakeOrg(OTHER_ORG, OTHER_ORG_UUID, quota, {OTHER_USER: OTHER_KEY}),
        }
        self.ids: dict[str, FakeId] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._next: dict[int, int] = {}
        self._scripted: dict[tuple[str, str], deque[Reply]] = {}
        self._lock = threading.Lock()
        super().__init__(self._handler_class())
        self.url = f"{self.base}/api/"

    def script(self, method: str, path: str, *replies: Reply) -> None:
        """Queue one-off ``replies`` for the next ``method`` requests of ``path`` (``/api/...``)."""
        with self._lock:
            self._scripted.setdefault((method, path), deque()).extend(replies)

    def count(self, method: str, path: str) -> int:
        """Return how many ``method`` requests asked for ``path``."""
        with self._lock:
            return sum(1 for m, p, _ in self.requests if m == method and p == path)

    # --- request handling ---

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(target)
        path = unquote(parts.path)
        with self._lock:
            self.requests.append((method, path, headers))
            queue = self._scripted.get((method, path))
            if queue:
                return queue.popleft()
            org = self._authenticated(headers)
            if org is None:
                return _error(401, "UNAUTHORIZED", "Unauthorized")
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            try:
                payload = json.loads(body) if body else None
            except ValueError:
                return _error(400, "BAD_JSON", "The request body is not JSON")
            return self._route(method, path.removeprefix("/api/"), query, org, headers, payload)

    def _authenticated(self, headers: dict[str, str]) -> FakeOrg | None:
        org = self.orgs.get(headers.get("cve-api-org", ""))
        if org is None:
            return None
        key = org.users.get(headers.get("cve-api-user", ""))
        return org if key is not None and key == headers.get("cve-api-key") else None

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        org: FakeOrg,
        headers: dict[str, str],
        payload: Any,
    ) -> Reply:
        user = headers["cve-api-user"]
        if method == "POST" and path == "cve-id":
            return self._reserve(query, org, user)
        if match := re.fullmatch(r"org/([^/]+)/id_quota", path):
            if method != "GET":
                return _error(405, "METHOD_NOT_ALLOWED", "Method not allowed")
            if match.group(1) != org.short_name:
                return _error(403, "NOT_SAME_ORG_OR_SECRETARIAT", "This information is restricted")
            return Reply(200, self._quota(org))
        if match := re.fullmatch(r"cve-id/(CVE-\d{4}-\d{4,19})", path):
            entry = self.ids.get(match.group(1))
            if method != "GET" or entry is None:
                return _error(404, "CVE_ID_NOT_FOUND", "The cve id does not exist")
            return Reply(200, self._id_json(entry))
        if match := re.fullmatch(r"cve/(CVE-\d{4}-\d{4,19})(/cna|/reject)?", path):
            cve_id, action = match.group(1), match.group(2)
            entry = self.ids.get(cve_id)
            if action is None and method == "GET":
                if entry is None or entry.record is None:
                    return _error(404, "CVE_RECORD_DNE", "The cve record does not exist")
                return Reply(200, entry.record)
            if entry is None:
                return _error(404, "CVE_ID_NOT_FOUND", f"{cve_id} does not exist")
            if entry.owner != org.short_name:
                return _error(403, "NOT_OWNER_OF_CVE_ID", f"{org.short_name} does not own {cve_id}")
            container = payload.get("cnaContainer") if isinstance(payload, dict) else None
            if not isinstance(container, dict):
                return _error(
                    400,
                    "BAD_INPUT",
                    "Parameters were invalid",
                    details=[
                        {
                            "instancePath": "",
                            "message": "must have required property 'cnaContainer'",
                        }
                    ],
                )
            if action == "/cna":
                return self._publish(method, entry, org, container)
            if action == "/reject":
                return self._reject(method, entry, org, container)
        return _error(404, "NOT_FOUND", f"no route for {method} /api/{path}")

    def _reserve(self, query: dict[str, str], org: FakeOrg, user: str) -> Reply:
        if query.get("short_name") != org.short_name:
            return _error(403, "ORG_CANNOT_RESERVE_FOR_OTHER", "You can only reserve for your org")
        try:
            amount, year = int(query["amount"]), int(query["cve_year"])
        except (KeyError, ValueError):
            return _error(400, "BAD_INPUT", "amount and cve_year must be numbers")
        if amount < 1:
            return _error(400, "INVALID_AMOUNT", "amount must be positive")
        if amount > 1 and query.get("batch_type") not in ("sequential", "nonsequential"):
            return _error(400, "NO_BATCH_TYPE", "batch_type is required when amount > 1")
        if amount > self._quota(org)["available"]:
            return _error(403, "EXCEEDED_ID_QUOTA", "The amount exceeds the org's quota")
        reserved = []
        for _ in range(amount):
            number = self._next.get(year, 0) + 1
            self._next[year] = number
            cve_id = f"CVE-{year}-{number:04d}"
            entry = FakeId(cve_id, year, org.short_name, user, "RESERVED", _now())
            self.ids[cve_id] = entry
            reserved.append(self._id_json(entry))
        return Reply(
            200, {"cve_ids": reserved, "meta": {"remaining_quota": self._quota(org)["available"]}}
        )

    def _publish(
        self, method: str, entry: FakeId, org: FakeOrg, container: dict[str, Any]
    ) -> Reply:
        missing = [key for key in _REQUIRED_CNA if key not in container]
        if missing:
            details = [
                {"instancePath": "/cnaContainer", "message": f"must have required property '{k}'"}
                for k in missing
            ]
            return _error(400, "BAD_INPUT", "Parameters were invalid", details=details)
        if method == "POST" and entry.state != "RESERVED":
            return _error(403, "CVE_RECORD_EXISTS", f"{entry.cve_id} already has a record")
        if method == "PUT" and entry.state != "PUBLISHED":
            return _error(404, "CVE_RECORD_DNE", f"{entry.cve_id} has no published record")
        now = _now()
        old = (entry.record or {}).get("cveMetadata", {})
        cna = {**container, "providerMetadata": self._provider(org, now)}
        entry.state = "PUBLISHED"
        entry.record = self._record(
            entry,
            org,
            cna,
            {
                "serial": old.get("serial", 0) + 1,
                "dateReserved": entry.reserved,
                "datePublished": old.get("datePublished", now),
                "dateUpdated": now,
            },
        )
        if method == "POST":
            message = f"{entry.cve_id} record was successfully created."
            return Reply(200, {"message": message, "created": entry.record})
        message = f"{entry.cve_id} record was successfully updated."
        return Reply(200, {"message": message, "updated": entry.record})

    def _reject(self, method: str, entry: FakeId, org: FakeOrg, container: dict[str, Any]) -> Reply:
        if not container.get("rejectedReasons"):
            return _error(
                400,
                "BAD_INPUT",
                "Parameters were invalid",
                details=[{"instancePath": "/cnaContainer", "message": "must have rejectedReasons"}],
            )
        expected = "RESERVED" if method == "POST" else "PUBLISHED"
        if entry.state != expected:
            return _error(403, "CVE_RECORD_EXISTS", f"{entry.cve_id} is {entry.state}")
        now = _now()
        cna = {**container, "providerMetadata": self._provider(org, now)}
        old = (entry.record or {}).get("cveMetadata", {})
        entry.state = "REJECTED"
        entry.record = self._record(
            entry,
            org,
            cna,
            {
                "serial": old.get("serial", 0) + 1,
                "dateReserved": entry.reserved,
                "dateRejected": now,
                "dateUpdated": now,
            },
        )
        key = "created" if method == "POST" else "updated"
        return Reply(200, {"message": f"{entry.cve_id} record was rejected.", key: entry.record})

    # --- JSON the service answers ---

    def _quota(self, org: FakeOrg) -> dict[str, int]:
        held = sum(
            1 for e in self.ids.values() if e.owner == org.short_name and e.state == "RESERVED"
        )
        return {"id_quota": org.quota, "total_reserved": held, "available": org.quota - held}

    def _id_json(self, entry: FakeId) -> dict[str, Any]:
        return {
            "cve_id": entry.cve_id,
            "cve_year": str(entry.year),
            "state": entry.state,
            "owning_cna": entry.owner,
            "requested_by": {"cna": entry.owner, "user": entry.user},
            "reserved": entry.reserved,
            "time": {"created": entry.reserved, "modified": entry.reserved},
        }

    @staticmethod
    def _provider(org: FakeOrg, now: str) -> dict[str, str]:
        return {"orgId": org.uuid, "shortName": org.short_name, "dateUpdated": now}

    @staticmethod
    def _record(
        entry: FakeId, org: FakeOrg, cna: dict[str, Any], dates: dict[str, Any]
    ) -> dict[str, Any]:
        metadata = {
            "cveId": entry.cve_id,
            "assignerOrgId": org.uuid,
            "assignerShortName": org.short_name,
            "state": entry.state,
            **dates,
        }
        return {
            "dataType": "CVE_RECORD",
            "dataVersion": "5.1",
            "cveMetadata": metadata,
            "containers": {"cna": cna},
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = fake.handle(method, self.path, headers, body)
                if isinstance(reply.body, bytes):
                    data = reply.body
                else:
                    data = json.dumps(reply.body).encode() if reply.body is not None else b""
                self.send_response(reply.status)
                if not isinstance(reply.body, bytes):
                    self.send_header("Content-Type", "application/json")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_PUT(self) -> None:
                self._serve("PUT")

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

        return Handler

"""Property-based requests against every disclosure operation of the published OpenAPI schema,
as tests/server/api/test_schemathesis.py does for the rest: whatever Schemathesis generates,
the API never answers 5xx. Path parameters are also drawn from stored rows of a case the
caller coordinates, so that cases get past the lookups into the services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from server.disclosure.disclosure_world import CaseWorld, release_with
from vulndesk.server.accounts.tokens import api_token_create
from vulndesk.server.api import api
from vulndesk.server.disclosure import services
from vulndesk.server.disclosure.attachments import Upload
from vulndesk.server.wsgi import application

pytestmark = pytest.mark.django_db

OPERATIONS = [
    (method.upper(), path)
    for path, methods in api.get_openapi_schema(path_prefix="/api/v1/")["paths"].items()
    for method in methods
    if path.startswith(("/api/v1/reports", "/api/v1/cases", "/api/v1/invitations"))
]
EXAMPLES = 10


@pytest.fixture
def api_headers(case_world: CaseWorld) -> dict[str, str]:
    _, raw = api_token_create(user=case_world.world.cora, name="schemathesis")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def existing(case_world: CaseWorld) -> dict[str, Any]:
    w = case_world
    message = services.case_message_post(
        actor=w.acme, body="details", attachments=[Upload("poc.txt", b"curl http://x")]
    )
    vulnerability = services.case_vulnerability_add(
        actor=w.coordinator, title="x", component_purl="pkg:pypi/requests"
    )
    status = services.vendor_status_set(actor=w.acme, vulnerability=vulnerability, status="fixed")
    release = release_with(w.world, "1.0", {"requests": "2.28.1"})
    return {
        "case_id": w.case.pk,
        "tracking_id": w.report.tracking_id,
        "participant_id": w.acme.pk,
        "attachment_id": message.attachments.get().pk,
        "status_id": status.pk,
        "vulnerability_id": vulnerability.pk,
        "release_id": release.pk,
    }


@pytest.fixture
def api_schema(api_headers: dict[str, str]) -> Iterator[Any]:
    """The schema as the app serves it, the requests kept in the test's transaction (see
    tests/server/api/test_schemathesis.py)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/v1/openapi.json", application, headers=api_headers
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_every_disclosure_route_is_fuzzed() -> None:
    assert len(OPERATIONS) == 39


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_disclosure_operation_answers_a_server_error(
    method: str,
    path: str,
    api_schema: Any,
    api_headers: dict[str, str],
    existing: dict[str, Any],
) -> None:
    operation = api_schema[path][method]
    names = [p["name"] for p in operation.definition.raw.get("parameters", []) if p["in"] == "path"]
    hitting = {name: existing[name] for name in names}
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=hitting),
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=api_headers, checks=[schemathesis.checks.not_a_server_error])

    run()

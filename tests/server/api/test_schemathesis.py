"""Property-based requests against every operation of the published OpenAPI schema: whatever
Schemathesis generates, fitting the schema or not, the API never answers 5xx.

The schema is read from the app itself (WSGI, no server) with an API token, since it needs a
user like every route; the requests go to the same app, inside the test's transaction. Runs stay
short and repeatable: a few examples per operation, derandomized.

(``schemathesis.pytest.from_fixture`` would do the loading, but it breaks on pytest 9, which
dropped the private ``Node._nodeid`` it writes; so each operation is a parametrized test that
draws its cases with ``as_strategy``.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import Permission
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from server.provider.provider_world import advisory
from support import ROOT
from vulndesk.server.accounts.services import organisation_default
from vulndesk.server.accounts.tokens import api_token_create
from vulndesk.server.api import api
from vulndesk.server.compliance.nis2 import nis2_record_create
from vulndesk.server.compliance.services import cra_event_open
from vulndesk.server.findings.models import Finding
from vulndesk.server.inventory.services import sbom_upload
from vulndesk.server.jobs.models import Job
from vulndesk.server.provider.services import csaf_publish
from vulndesk.server.wsgi import application

pytestmark = pytest.mark.django_db

#: routes fuzzed by their own app's test, as a participant of a case (a non-participant only ever
#: gets the 404 of a case that does not exist): tests/server/disclosure/test_fuzz.py
FUZZED_ELSEWHERE = ("/api/v1/reports", "/api/v1/cases", "/api/v1/invitations")
# What the schema lists, read without a request (and so without a database) to name the tests.
OPERATIONS = [
    (method.upper(), path)
    for path, methods in api.get_openapi_schema(path_prefix="/api/v1/")["paths"].items()
    for method in methods
    if not path.startswith(FUZZED_ELSEWHERE)
]
EXAMPLES = 15
SHOP_WEB = ROOT / "src/vulndesk/demo/data/sboms/shop-web.cdx.json"


@pytest.fixture
def api_headers(world: Any) -> dict[str, str]:
    """The header of an API token of alice, who owns the shop (so writes reach the services)."""
    _, raw = api_token_create(user=world.alice, name="schemathesis")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def existing(
    world: Any, demo_advisories: None, make_finding: Callable[..., Finding]
) -> dict[str, Any]:
    """The ids of a row of each kind that alice may see, for path parameters that hit."""
    document = sbom_upload(
        release=world.release,
        file_name="shop.json",
        content=SHOP_WEB.read_bytes(),
        acting_user=world.alice,
    )
    token, _ = api_token_create(user=world.alice, name="to revoke")
    finding = make_finding(world.release, "pyyaml")
    # a CSAF document alice's organisation published, which she may manage
    world.alice.user_permissions.add(Permission.objects.get(codename="publish_csaf"))
    published = csaf_publish(
        document=advisory("VD-FUZZ-0001"), organisation=organisation_default(), acting_user=None
    )
    # a CRA event and a significant NIS2 incident of the shop, with their reports
    event = cra_event_open(
        product=world.shop,
        regime="cra_incident",
        title="fuzzed incident",
        trigger="assertion",
        evidence_text="seen",
    )
    record = nis2_record_create(
        organisation=world.shop.organisation,
        product=world.shop,
        entity_type="important",
        sector="manufacturing",
        title="fuzzed",
        assessment={"impact_availability": "high"},
        acting_user=None,
    )
    return {
        "event_id": event.pk,
        "record_id": record.pk,
        "kind": "early_warning",  # a report of an event or record
        "product_id": world.shop.pk,
        "release_id": world.release.pk,
        "team_id": world.others.pk,
        "sbom_id": document.pk,
        "job_id": Job.objects.get().pk,
        "finding_id": finding.pk,
        "component_id": finding.component_id,
        "token_id": token.pk,
        "advisory_id": "PYSEC-2023-74",
        "document_id": published.document.pk,
        "point": "exploitation",  # an SSVC point (DELETE .../ssvc-overrides/{point})
    }


@pytest.fixture
def api_schema(api_headers: dict[str, str]) -> Iterator[Any]:
    """Yield the schema as the app serves it, with the requests kept in the test's transaction.

    Django closes the database connection when a request ends, unless the test client made the
    request; Schemathesis calls the WSGI app directly, so that is switched off meanwhile, as the
    test client does.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/v1/openapi.json", application, headers=api_headers
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_every_route_is_exercised() -> None:
    assert len(OPERATIONS) == 68  # every route is fuzzed: a new one must be counted here


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_operation_answers_a_server_error(
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
        # ids of stored rows, so that the cases get past the lookups to the services
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

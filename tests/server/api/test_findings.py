"""The findings list: every filter and sort order, pages without a count unless asked, one
finding, and the counts per severity. Findings are stored straight through the ORM."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from vulndesk.server.findings.models import Finding, FindingStatus
from vulndesk.server.findings.selectors import FINDING_SORTS
from vulndesk.server.inventory.services import product_create, release_create

pytestmark = pytest.mark.django_db

Clients = Callable[[Any], Client]


@pytest.fixture
def findings(world: Any, make_finding: Callable[..., Finding]) -> dict[str, Finding]:
    """Six findings of shop 1.8.0 and 1.9.0 (one resolved), and one of another product."""
    newer = release_create(product=world.shop, version="1.9.0", acting_user=world.alice)
    other = product_create(name="other", acting_user=world.root, team=world.others)
    other_release = release_create(product=other, version="1", acting_user=world.root)
    return {
        "log4j": make_finding(
            world.release, "log4j-core", vulnerability_id="CVE-2021-44228", severity="critical",
            kev=True, epss=0.97, cvss_score=10.0, aliases=["GHSA-jfh8-c2jp-5v3q"],
            component_version="2.14.1",
        ),
        "jinja": make_finding(
            world.release, "jinja2", vulnerability_id="CVE-2024-22195", severity="medium",
            epss=0.01, cvss_score=5.4,
        ),
        "yaml": make_finding(
            newer, "pyyaml", vulnerability_id="CVE-2020-14343", severity="high", epss=0.2,
            cvss_score=9.8,
        ),
        "low": make_finding(newer, "idna", vulnerability_id="CVE-2024-3651", severity="low"),
        "unrated": make_finding(newer, "left-pad", vulnerability_id="GHSA-xxxx-0000-0001",
                                severity="unknown"),
        "resolved": make_finding(
            world.release, "requests", vulnerability_id="CVE-2023-32681", severity="medium",
            status=FindingStatus.RESOLVED, resolved_at=timezone.now(),
        ),
        "hidden": make_finding(other_release, "openssl", vulnerability_id="CVE-2022-3602",
                               severity="critical"),
    }  # fmt: skip


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [f["vulnerability_id"] for f in response.json()["items"]]


def test_the_default_list_is_active_most_severe_first(
    as_user: Clients, world: Any, findings: dict[str, Finding]
) -> None:
    body = as_user(world.victor).get("/api/v1/findings").json()
    assert [f["vulnerability_id"] for f in body["items"]] == [
        "CVE-2021-44228", "CVE-2020-14343", "CVE-2024-22195", "CVE-2024-3651",
        "GHSA-xxxx-0000-0001",
    ]  # fmt: skip
    assert body["limit"] == 50 and body["offset"] == 0
    assert body["next_offset"] is None and body["count"] is None
    first = body["items"][0]
    assert first["component_name"] == "log4j-core" and first["component_version"] == "2.14.1"
    assert first["kev"] is True and first["epss"] == 0.97 and first["cvss_score"] == 10.0
    assert first["aliases"] == ["GHSA-jfh8-c2jp-5v3q"]
    assert (first["product_id"], first["product_name"]) == (world.shop.pk, "shop")
    assert (first["release_id"], first["release_version"]) == (world.release.pk, "1.8.0")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("severity=critical", ["CVE-2021-44228"]),
        ("severity=critical&severity=low", ["CVE-2021-44228", "CVE-2024-3651"]),
        ("kev=true", ["CVE-2021-44228"]),
        ("kev=false&severity=high", ["CVE-2020-14343"]),
        ("epss_min=0.1", ["CVE-2021-44228", "CVE-2020-14343"]),
        ("status=resolved", ["CVE-2023-32681"]),
        ("status=all&severity=medium", ["CVE-2024-22195", "CVE-2023-32681"]),
        ("package=jinja2", ["CVE-2024-22195"]),
        ("q=CVE-2020", ["CVE-2020-14343"]),
        ("q=log4j", ["CVE-2021-44228"]),
        ("q=GHSA-jfh8", ["CVE-2021-44228"]),
    ],
)
def test_filters(
    as_user: Clients, world: Any, findings: dict[str, Finding], query: str, expected: list[str]
) -> None:
    found = ids(as_user(world.victor).get(f"/api/v1/findings?{query}&sort=-severity"))
    assert sorted(found) == sorted(expected)


def test_the_overdue_filter(as_user: Clients, world: Any, findings: dict[str, Finding]) -> None:
    now = timezone.now()
    Finding.objects.filter(pk=findings["jinja"].pk).update(due_at=now - timedelta(hours=1))
    Finding.objects.filter(pk=findings["yaml"].pk).update(due_at=now + timedelta(days=3))
    victor = as_user(world.victor)
    assert ids(victor.get("/api/v1/findings?overdue=true")) == ["CVE-2024-22195"]
    on_time = ids(victor.get("/api/v1/findings?overdue=false"))
    assert "CVE-2020-14343" in on_time and "CVE-2024-22195" not in on_time
    assert victor.get("/api/v1/findings?overdue=later").status_code == 422


def test_product_and_release_filters(
    as_user: Clients, world: Any, findings: dict[str, Finding]
) -> None:
    victor = as_user(world.victor)
    release = f"/api/v1/findings?release_id={world.release.pk}&sort=vulnerability"
    assert ids(victor.get(release)) == ["CVE-2021-44228", "CVE-2024-22195"]
    product = f"/api/v1/findings?product_id={world.shop.pk}"
    assert len(ids(victor.get(product))) == 5
    # the other product is not the viewer's: 404, not an empty list
    other = findings["hidden"]
    assert victor.get(f"/api/v1/findings?product_id={other.product_id}").status_code == 404
    assert victor.get(f"/api/v1/findings?release_id={other.release_id}").status_code == 404
    assert victor.get("/api/v1/findings?product_id=999999").status_code == 404


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-severity", ["log4j", "yaml", "jinja", "low", "unrated"]),
        ("severity", ["unrated", "low", "jinja", "yaml", "log4j"]),
        ("-first_seen", ["log4j", "jinja", "yaml", "low", "unrated"]),
        ("first_seen", ["unrated", "low", "yaml", "jinja", "log4j"]),
        ("-epss", ["log4j", "yaml", "jinja", "unrated", "low"]),
        ("-cvss", ["log4j", "yaml", "jinja", "unrated", "low"]),
        ("component", ["low", "jinja", "unrated", "log4j", "yaml"]),
        ("vulnerability", ["yaml", "log4j", "jinja", "low", "unrated"]),
    ],
)
def test_sort_orders(
    as_user: Clients, world: Any, findings: dict[str, Finding], sort: str, expected: list[str]
) -> None:
    found = ids(as_user(world.victor).get(f"/api/v1/findings?sort={sort}"))
    assert found == [findings[name].vulnerability_id for name in expected]


def test_every_sort_order_is_offered_and_no_other(world: Any, as_user: Clients) -> None:
    schema = as_user(world.victor).get("/api/v1/openapi.json").json()
    params = schema["paths"]["/api/v1/findings"]["get"]["parameters"]
    sort = next(p for p in params if p["name"] == "sort")
    assert set(sort["schema"]["enum"]) == set(FINDING_SORTS)
    assert as_user(world.victor).get("/api/v1/findings?sort=id").status_code == 422


@pytest.mark.parametrize(
    "query", ["severity=severe", "epss_min=2", "epss_min=nan", "status=open", "product_id=0"]
)
def test_bad_filters_are_422(as_user: Clients, world: Any, query: str) -> None:
    assert as_user(world.victor).get(f"/api/v1/findings?{query}").status_code == 422


def test_pages_fetch_one_row_more_and_count_only_when_asked(
    as_user: Clients, world: Any, findings: dict[str, Finding]
) -> None:
    victor = as_user(world.victor)
    with CaptureQueriesContext(connection) as queries:
        first = victor.get("/api/v1/findings?limit=2").json()
    assert len(first["items"]) == 2 and first["next_offset"] == 2 and first["count"] is None
    # no count of findings (the visible products are counted: a few rows)
    assert not any(
        "COUNT(" in q["sql"].upper() and "findings_finding" in q["sql"]
        for q in queries.captured_queries
    )
    second = victor.get("/api/v1/findings?limit=2&offset=2&count=true").json()
    assert second["next_offset"] == 4 and second["count"] == 5
    last = victor.get("/api/v1/findings?limit=2&offset=4").json()
    assert len(last["items"]) == 1 and last["next_offset"] is None
    seen = [f["id"] for page in (first, second, last) for f in page["items"]]
    assert len(set(seen)) == 5


def test_a_page_is_a_fixed_number_of_queries(
    as_user: Clients, world: Any, make_finding: Callable[..., Finding]
) -> None:
    for n in range(30):
        make_finding(world.release, f"lib{n}")
    victor = as_user(world.victor)
    victor.get("/api/v1/findings?limit=1")  # the token's first use is written once
    with CaptureQueriesContext(connection) as small:
        victor.get("/api/v1/findings?limit=2")
    with CaptureQueriesContext(connection) as large:
        victor.get("/api/v1/findings?limit=30")
    # the token and its user, how many products he is granted and how many exist, the page
    assert len(small.captured_queries) == len(large.captured_queries) == 3
    # a release's page: who sees what is read once for the check of the release and the list
    with CaptureQueriesContext(connection) as scoped:
        victor.get(f"/api/v1/findings?limit=30&release_id={world.release.pk}")
    assert len(scoped.captured_queries) == 4
    # once some product is hidden from him, the ids he may see are read too
    product_create(name="hidden", acting_user=world.alice, team=world.others)
    with CaptureQueriesContext(connection) as partial:
        victor.get("/api/v1/findings?limit=30")
    assert len(partial.captured_queries) == 4


def test_one_finding(as_user: Clients, world: Any, findings: dict[str, Finding]) -> None:
    log4j = findings["log4j"]
    body = as_user(world.victor).get(f"/api/v1/findings/{log4j.pk}").json()
    assert body["vulnerability_id"] == "CVE-2021-44228"
    assert body["component_id"] == log4j.component_id
    assert body["product_name"] == "shop" and body["release_version"] == "1.8.0"
    assert "cvss_vector" in body and "affected_range" in body and "advisory_ids" in body
    assert as_user(world.victor).get("/api/v1/findings/999999").status_code == 404


def test_counts_per_severity(as_user: Clients, world: Any, findings: dict[str, Finding]) -> None:
    victor = as_user(world.victor)
    summary = victor.get("/api/v1/findings/summary").json()
    assert summary["counts"] == {
        "critical": 1, "high": 1, "medium": 1, "low": 1, "none": 0, "unknown": 1,
    }  # fmt: skip
    assert summary["total"] == 5
    # the superuser sees the other product's critical finding too
    assert as_user(world.root).get("/api/v1/findings/summary").json()["counts"]["critical"] == 2
    of_release = victor.get(f"/api/v1/findings/summary?release_id={world.release.pk}").json()
    assert of_release["total"] == 2
    hidden = findings["hidden"].product_id
    assert victor.get(f"/api/v1/findings/summary?product_id={hidden}").status_code == 404


def test_first_seen_is_a_time_with_its_zone(
    as_user: Clients, world: Any, findings: dict[str, Finding]
) -> None:
    item = as_user(world.victor).get("/api/v1/findings?limit=1").json()["items"][0]
    seen = timezone.datetime.fromisoformat(item["first_seen"])
    assert seen.utcoffset() == timedelta(0)


def test_the_list_body_conforms_to_its_schema(
    as_user: Clients, world: Any, make_finding: Callable[..., Finding]
) -> None:
    # the list is encoded without validation (findings.api): the schema still describes it
    from vulndesk.server.api_pagination import Page
    from vulndesk.server.findings.api import FindingOut

    make_finding(world.release, "lib")
    body = as_user(world.root).get("/api/v1/findings").json()
    page = Page[FindingOut].model_validate(body)
    assert page.items and page.items[0].component_name == "lib"
    assert set(body["items"][0]) == set(FindingOut.model_fields)

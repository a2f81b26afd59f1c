"""EUVD: single items, search pages and the list endpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from support import FIXTURES
from vulndesk.core.advisories.euvd import (
    parse_euvd,
    parse_euvd_item,
    parse_euvd_timestamp,
    read_euvd,
)
from vulndesk.core.advisories.model import (
    Advisory,
    ExploitEvidence,
    ProductStatement,
    Reference,
    Severity,
    VersionEntry,
)
from vulndesk.core.advisories.sources import RecordProblem
from vulndesk.core.errors import AdvisoryError

SEARCH = FIXTURES / "feeds" / "euvd" / "search.json"


@pytest.fixture(scope="module")
def page() -> list[Advisory | RecordProblem]:
    return read_euvd(SEARCH, display="search.json")


def test_search_page_item(page: list[Advisory | RecordProblem]) -> None:
    advisory = page[0]
    assert isinstance(advisory, Advisory)
    assert (advisory.id, advisory.source) == ("EUVD-2025-4893", "euvd")
    assert advisory.aliases == ("CVE-2025-0101", "GHSA-abcd-efgh-ijkl")
    assert advisory.references == (
        Reference("WEB", "https://example.com/security/ESA-2025-02"),
        Reference("WEB", "https://nvd.nist.gov/vuln/detail/CVE-2025-0101"),
    )
    assert advisory.published == datetime(2025, 2, 11, 19, 55, 32, tzinfo=UTC)
    # a narrow no-break space before PM, as newer Java writes it
    assert advisory.modified == datetime(2025, 2, 12, 15, 7, 27, tzinfo=UTC)
    assert advisory.severity == (
        Severity("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "Example"),
    )
    assert advisory.database_specific == {"baseScore": 9.8, "epss": 0.91, "assigner": "Example"}
    assert advisory.exploitation == (
        ExploitEvidence(kind="euvd", source="ENISA EUVD", date=datetime(2025, 2, 14, tzinfo=UTC)),
    )
    assert advisory.products == (
        ProductStatement(
            vendor="Example",  # the item's only vendor
            product="Integration Server",
            versions=(VersionEntry("<11.2", "affected", version_type="euvd-text"),),
            product_id="8a9b0c1d-2e3f-4a5b-8c7d-9e0f1a2b3c4d",
        ),
        ProductStatement(
            vendor="Example Edge GmbH",
            product="Integration Server Edge",
            versions=(VersionEntry("1.0 <1.4", "affected", version_type="euvd-text"),),
            product_id="9b0c1d2e-3f4a-4b6c-9d8e-0f1a2b3c4d5e",
        ),
    )


def test_iso_dates_v4_and_string_epss(page: list[Advisory | RecordProblem]) -> None:
    advisory = page[1]
    assert isinstance(advisory, Advisory)
    assert advisory.severity[0].type == "CVSS_V4"
    assert advisory.database_specific == {"baseScore": 6.1, "epss": 0.0004, "assigner": "mitre"}
    assert advisory.exploitation == ()
    assert advisory.products == ()


def test_bad_item_is_a_problem_with_its_path(page: list[Advisory | RecordProblem]) -> None:
    assert page[2] == RecordProblem(
        "search.json:$.items[2]", "$.items[2].aliases: expected a newline-separated string, got 42"
    )


def test_list_endpoint_and_single_item() -> None:
    items = orjson.loads(SEARCH.read_bytes())["items"][:2]
    listed = parse_euvd(items, source="exploited", exploited=True)
    assert all(isinstance(a, Advisory) and a.exploitation for a in listed)
    single = parse_euvd(items[1], source="enisaid")
    assert [a.id for a in single if isinstance(a, Advisory)] == ["EUVD-2025-5000"]


@pytest.mark.parametrize(
    ("item", "path"),
    [
        ({"id": "CVE-2025-1"}, "$.id"),
        ({"id": "EUVD-2025-1"}, "$.dateUpdated"),
        ({"id": "EUVD-2025-1", "dateUpdated": "yesterday"}, "$.dateUpdated"),
        ({"id": "EUVD-2025-1", "dateUpdated": "2025-01-01", "epss": "high"}, "$.epss"),
        ({"id": "EUVD-2025-1", "dateUpdated": "2025-01-01", "exploited": "yes"}, "$.exploited"),
        (
            {"id": "EUVD-2025-1", "dateUpdated": "2025-01-01", "enisaIdProduct": [{"product": 1}]},
            "$.enisaIdProduct[0].product",
        ),
        (
            {"id": "EUVD-2025-1", "dateUpdated": "2025-01-01", "enisaIdVendor": {}},
            "$.enisaIdVendor",
        ),
        (
            {
                "id": "EUVD-2025-1",
                "dateUpdated": "2025-01-01",
                "baseScoreVersion": "9",
                "baseScoreVector": "AV:N",
            },
            "$.baseScoreVersion",
        ),
    ],
)
def test_other_shapes_are_refused_with_a_json_path(item: dict[str, object], path: str) -> None:
    with pytest.raises(AdvisoryError) as caught:
        parse_euvd_item(item, source="x")
    assert caught.value.location == path


def test_not_an_euvd_answer(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryError, match="expected an EUVD item"):
        parse_euvd("nope", source="x")
    with pytest.raises(AdvisoryError, match="items"):
        parse_euvd({"items": {}, "total": 0}, source="x")
    path = tmp_path / "bad.json"
    path.write_bytes(b"{")
    with pytest.raises(AdvisoryError, match="not valid JSON"):
        read_euvd(path)


def test_timestamp_forms() -> None:
    assert parse_euvd_timestamp("Apr 15, 2025, 8:30:58 PM") == datetime(
        2025, 4, 15, 20, 30, 58, tzinfo=UTC
    )
    with pytest.raises(ValueError):
        parse_euvd_timestamp("15/04/2025")

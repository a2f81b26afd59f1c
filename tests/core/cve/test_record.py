"""The CVE JSON 5.1 builder and reader: what is written, and that it reads back the same."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest

from core.cve.cve_examples import PROVIDER, good_record
from support import FIXTURES
from vulndesk.core.cve.reader import read_cna_container, read_cve_record
from vulndesk.core.cve.record import (
    CnaRecord,
    CveRecordError,
    CvssMetric,
    CvssVectorError,
    Text,
    cna_container,
    cve_record,
    cvss_scores,
    format_timestamp,
    parse_timestamp,
    rejected_cve_record,
)
from vulndesk.core.errors import InputError

CVE5_FIXTURES = sorted((FIXTURES / "feeds/cve5").rglob("CVE-*.json"))
RESERVED = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
PUBLISHED = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)


def test_the_record_has_the_cve_json_5_1_envelope() -> None:
    record = cve_record(
        good_record(), provider=PROVIDER, date_reserved=RESERVED, date_published=PUBLISHED
    )
    assert record["dataType"] == "CVE_RECORD"
    assert record["dataVersion"] == "5.1"
    assert record["cveMetadata"] == {
        "cveId": "CVE-1900-0001",
        "assignerOrgId": PROVIDER.org_id,
        "assignerShortName": "vulndesk-test",
        "state": "PUBLISHED",
        "dateReserved": "2025-01-02T03:04:05.678Z",
        "datePublished": "2025-01-15T10:00:00.000Z",
    }
    assert list(record["containers"]) == ["cna"]


def test_the_cna_container_says_what_the_record_holds() -> None:
    cna = cna_container(good_record(), provider=PROVIDER)
    assert cna["providerMetadata"] == {"orgId": PROVIDER.org_id, "shortName": "vulndesk-test"}
    assert cna["datePublic"] == "2025-01-15T09:00:00.000Z"
    assert [d["lang"] for d in cna["descriptions"]] == ["en", "ja"]
    assert cna["affected"][0]["versions"][0] == {
        "version": "2.0",
        "status": "affected",
        "versionType": "semver",
        "lessThan": "2.4.1",
    }
    assert cna["affected"][1]["collectionURL"] == "https://pypi.org"
    assert cna["affected"][1]["versions"][0]["changes"][0] == {"at": "1.5", "status": "unaffected"}
    assert cna["problemTypes"] == [
        {
            "descriptions": [
                {
                    "lang": "en",
                    "description": "CWE-22 Improper Limitation of a Pathname to a Restricted "
                    "Directory ('Path Traversal')",
                    "cweId": "CWE-22",
                    "type": "CWE",
                }
            ]
        }
    ]
    assert cna["metrics"][0] == {
        "format": "CVSS",
        "scenarios": [{"lang": "en", "value": "GENERAL"}],
        "cvssV3_1": {
            "version": "3.1",
            "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
            "baseScore": 7.5,
            "baseSeverity": "HIGH",
        },
    }
    assert cna["metrics"][1]["cvssV4_0"]["baseScore"] == 8.7
    assert cna["references"][0] == {
        "url": "https://example.com/security/EXA-2025-01",
        "name": "EXA-2025-01",
        "tags": ["vendor-advisory"],
    }
    assert cna["credits"] == [
        {"lang": "en", "value": "Jane Doe (Example Research)", "type": "finder"},
        {"lang": "en", "value": "Example PSIRT", "type": "coordinator"},
    ]
    assert cna["source"] == {"discovery": "EXTERNAL"}
    assert cna["solutions"] == [{"lang": "en", "value": "Upgrade to 2.4.1 or later."}]


def test_empty_optional_lists_are_left_out_and_required_ones_kept() -> None:
    bare = CnaRecord("CVE-1900-0002", None, (Text("x"),), ())
    cna = cna_container(bare, provider=PROVIDER)
    assert set(cna) == {"providerMetadata", "descriptions", "affected", "references"}
    assert cna["affected"] == [] and cna["references"] == []


def test_a_full_record_round_trips_through_the_reader() -> None:
    record = good_record()
    document = cve_record(
        record,
        provider=PROVIDER,
        date_reserved=RESERVED,
        date_published=PUBLISHED,
        date_updated=PUBLISHED,
    )
    read = read_cve_record(orjson.loads(orjson.dumps(document)))
    assert read.cna == record
    assert read.provider == PROVIDER
    assert read.metadata.state == "PUBLISHED"
    assert read.metadata.date_reserved == RESERVED
    assert read.metadata.date_published == PUBLISHED
    assert (
        cve_record(
            read.cna,
            provider=read.provider,
            date_reserved=read.metadata.date_reserved,
            date_published=read.metadata.date_published,
            date_updated=read.metadata.date_updated,
        )
        == document
    )


def test_a_bare_container_round_trips() -> None:
    record = dataclasses.replace(good_record(), discovery=None, date_public=None, tags=())
    container = cna_container(record, provider=PROVIDER)
    assert read_cna_container(container, cve_id=record.cve_id) == record


def test_a_rejected_record_reads_back_its_reasons() -> None:
    document = rejected_cve_record(
        "CVE-1900-0003",
        [Text("This candidate was withdrawn by its CNA: a duplicate of CVE-1900-0001.")],
        provider=PROVIDER,
        replaced_by=["CVE-1900-0001"],
        date_rejected=PUBLISHED,
    )
    assert document["cveMetadata"]["state"] == "REJECTED"
    assert document["cveMetadata"]["dateRejected"] == "2025-01-15T10:00:00.000Z"
    read = read_cve_record(document)
    assert read.cna is None
    assert read.rejected_reasons[0].value.startswith("This candidate was withdrawn")
    assert read.replaced_by == ("CVE-1900-0001",)


@pytest.mark.parametrize("path", CVE5_FIXTURES, ids=lambda p: p.name)
def test_every_cve5_fixture_reads(path: Path) -> None:
    record = read_cve_record(orjson.loads(path.read_bytes()), source=str(path))
    assert record.metadata.cve_id == path.stem


def test_the_published_fixture_reads_its_details() -> None:
    path = FIXTURES / "feeds/cve5/cvelist/cves/2024/1xxx/CVE-2024-1234.json"
    record = read_cve_record(orjson.loads(path.read_bytes()))
    cna = record.cna
    assert cna is not None
    assert cna.description is not None and cna.description.startswith("An OS command injection")
    assert [d.lang for d in cna.descriptions] == ["en", "ja"]
    assert cna.affected[0].versions[0].changes[1].at == "3.2.0"
    assert cna.affected[1].package_name == "example-gateway-client"
    assert cna.problem_types[0].cwe_id == "CWE-78"
    assert [(m.version, m.base_score) for m in cna.metrics] == [("3.1", 8.8), ("4.0", 8.7)]
    assert cna.references[1].tags == ("release-notes", "patch")
    assert record.provider.short_name == "example"


def test_an_older_record_gets_its_cwe_from_the_text() -> None:
    container = cna_container(good_record(), provider=PROVIDER)
    del container["problemTypes"][0]["descriptions"][0]["cweId"]
    assert read_cna_container(container, cve_id="CVE-1900-0001").problem_types[0].cwe_id == "CWE-22"


@pytest.mark.parametrize(
    ("mutate", "location"),
    [
        (lambda d: d["containers"]["cna"].update(affected={}), "$.containers.cna.affected"),
        (
            lambda d: d["containers"]["cna"]["affected"][0]["versions"][0].update(status="bad"),
            "$.containers.cna.affected[0].versions[0].status",
        ),
        (lambda d: d["cveMetadata"].update(state="RESERVED"), "$.cveMetadata.state"),
        (lambda d: d["cveMetadata"].pop("cveId"), "$.cveMetadata.cveId"),
        (
            lambda d: d["containers"]["cna"].update(datePublic="yesterday"),
            "$.containers.cna.datePublic",
        ),
        (
            lambda d: d["containers"]["cna"]["metrics"][0]["cvssV3_1"].update(baseScore="7.5"),
            "$.containers.cna.metrics[0].cvssV3_1.baseScore",
        ),
    ],
    ids=["affected-not-array", "bad-status", "unknown-state", "no-id", "bad-date", "score-text"],
)
def test_the_reader_names_the_json_path_of_a_bad_value(mutate, location: str) -> None:  # type: ignore[no-untyped-def]
    document = cve_record(good_record(), provider=PROVIDER)
    mutate(document)
    with pytest.raises(CveRecordError) as caught:
        read_cve_record(document, source="bad.json")
    assert isinstance(caught.value, InputError)
    assert caught.value.location == location
    assert str(caught.value).startswith(f"bad.json:{location}: ")


def test_cvss_vectors_are_scored_by_the_cvss_library() -> None:
    assert cvss_scores("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == ("3.1", 9.8, "CRITICAL")
    assert cvss_scores("CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N") == ("3.0", 1.8, "LOW")
    metric = CvssMetric.from_vector(
        " CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N"
    )
    assert (metric.vector[:9], metric.base_score, metric.base_severity) == (
        "CVSS:4.0/",
        0.0,
        "NONE",
    )


@pytest.mark.parametrize(
    "vector",
    ["CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:4.0/AV:N", "AV:N/AC:L/Au:N/C:P/I:P/A:P"],
)
def test_a_bad_vector_is_refused_naming_it(vector: str) -> None:
    with pytest.raises(CvssVectorError, match="invalid CVSS vector"):
        CvssMetric.from_vector(vector)


def test_timestamps_are_utc_with_milliseconds() -> None:
    tokyo = timezone(timedelta(hours=9))
    assert (
        format_timestamp(datetime(2025, 1, 15, 18, 0, tzinfo=tokyo)) == "2025-01-15T09:00:00.000Z"
    )
    assert format_timestamp(datetime(2025, 1, 15, 9, 0)) == "2025-01-15T09:00:00.000Z"
    assert format_timestamp(datetime(2025, 1, 15, 9, 0, 0, 123456, tzinfo=UTC)).endswith(".123456Z")
    assert parse_timestamp("2025-01-15T09:00:00") == datetime(2025, 1, 15, 9, 0, tzinfo=UTC)
    assert parse_timestamp("2025-01-15T18:00:00+09:00") == datetime(2025, 1, 15, 9, 0, tzinfo=UTC)

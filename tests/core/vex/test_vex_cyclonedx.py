"""The CycloneDX VEX codec: embedded VEX resolved against the BOM, native words kept exactly."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from support import FIXTURES
from vulndesk.core.vex import (
    VexDocument,
    VexError,
    VexProduct,
    VexStatement,
    VexStatus,
    VexVersion,
    cyclonedx_vex_document,
    parse_cyclonedx_vex,
    read_vex,
    read_vex_file,
)
from vulndesk.core.vex.cyclonedx import CDX_JUSTIFICATIONS, CDX_STATES, bom_link, parse_bom_link

EMBEDDED = FIXTURES / "vex" / "cyclonedx-embedded.json"
SERIAL = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"


def again(written: dict[str, Any]) -> VexDocument:
    return read_vex(orjson.dumps(written), "written.json")


def test_embedded_vex_resolves_refs_to_the_bom_components() -> None:
    doc = read_vex_file(EMBEDDED)
    assert (doc.id, doc.version, doc.author) == (SERIAL, 3, "Example Product Security")
    assert doc.timestamp == datetime(2024, 2, 1, 12, 0, tzinfo=UTC)
    # one statement links to version 1 of this BOM: another BOM, the only one linked
    assert doc.bom_link == "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1"
    by_id = {s.vulnerability: s for s in doc.statements}
    # CVE-2020-36518 has no analysis: a disclosure, not a VEX statement
    assert list(by_id) == ["CVE-2022-42889", "CVE-2021-44228", "CVE-2020-25649", "CVE-2021-45046"]

    text4shell = by_id["CVE-2022-42889"]
    assert text4shell.products == (
        VexProduct(
            "commons-text",
            purl="pkg:maven/org.apache.commons/commons-text@1.9",
            cpe="cpe:2.3:a:apache:commons_text:1.9:*:*:*:*:*:*:*",
            name="commons-text",
            version="1.9",
        ),
    )
    assert text4shell.aliases == ("GHSA-599f-7c49-w659",)
    assert text4shell.action_statement == "Upgrade commons-text to 1.10.0."
    assert text4shell.timestamp == datetime(2024, 2, 1, 11, 0, tzinfo=UTC)  # lastUpdated

    log4shell = by_id["CVE-2021-44228"]
    nested, other_version = log4shell.products
    # a BOM-Link to this very BOM (serial and version) resolves like a bom-ref, nested or not
    assert nested.purl == "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    assert (nested.name, nested.version) == ("log4j-core", "2.14.1")
    # a link to another version of the BOM does not
    assert (other_version.purl, other_version.name) == (None, "")
    assert other_version.versions == (VexVersion(version="2.14.0", status="unaffected"),)
    assert log4shell.status is VexStatus.NOT_AFFECTED
    assert log4shell.justification == "inline_mitigations_already_exist"
    assert log4shell.native_state == "false_positive protected_at_runtime"

    jackson = by_id["CVE-2020-25649"]
    assert (jackson.status, jackson.native_state) == (VexStatus.FIXED, "resolved_with_pedigree")
    # the component has no purl, but its bom-ref is one
    assert jackson.products[0].purl == jackson.products[0].ref

    app = by_id["CVE-2021-45046"].products[0]
    assert app.purl == "pkg:maven/com.example/example-app@1.2.0"  # metadata.component
    assert app.versions == (VexVersion(range="vers:maven/>=1.0.0|<1.3.0", status="unaffected"),)


def test_embedded_round_trip_is_exact() -> None:
    doc = read_vex_file(EMBEDDED)
    written = cyclonedx_vex_document(doc)
    assert (written["specVersion"], written["serialNumber"], written["version"]) == (
        "1.6",
        SERIAL,
        3,
    )
    assert again(written) == doc
    log4shell = written["vulnerabilities"][1]["analysis"]
    assert (log4shell["state"], log4shell["justification"]) == (
        "false_positive",
        "protected_at_runtime",
    )


_COMBINATIONS = list(itertools.product(CDX_STATES, [None, *CDX_JUSTIFICATIONS]))


@pytest.mark.parametrize(
    ("state", "justification"), _COMBINATIONS, ids=[f"{s}-{j}" for s, j in _COMBINATIONS]
)
def test_every_state_and_justification_comes_back_as_written(
    state: str, justification: str | None
) -> None:
    analysis = {"state": state} | ({"justification": justification} if justification else {})
    doc = parse_cyclonedx_vex(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.4",
            "version": 1,
            "vulnerabilities": [
                {"id": "CVE-2024-1", "analysis": analysis, "affects": [{"ref": "p"}]}
            ],
        },
        source="combination.json",
    )
    (s,) = doc.statements
    assert s.status is CDX_STATES[state]
    assert s.justification == (CDX_JUSTIFICATIONS[justification] if justification else None)
    written = cyclonedx_vex_document(doc)
    assert written["vulnerabilities"][0]["analysis"] == analysis


def test_a_stale_native_word_is_not_written() -> None:
    (s,) = read_vex_file(EMBEDDED).statements[1:2]
    # the status was edited after reading: false_positive no longer describes it
    edited = replace(s, status=VexStatus.AFFECTED, justification=None)
    written = cyclonedx_vex_document(VexDocument("cyclonedx", SERIAL, statements=(edited,)))
    assert written["vulnerabilities"][0]["analysis"]["state"] == "exploitable"
    assert "justification" not in written["vulnerabilities"][0]["analysis"]


def test_from_openvex_the_impact_statement_leads_the_detail() -> None:
    s = VexStatement(
        "CVE-2024-1",
        VexStatus.NOT_AFFECTED,
        (VexProduct("pkg:npm/a@1.0.0", purl="pkg:npm/a@1.0.0"),),
        justification="vulnerable_code_cannot_be_controlled_by_adversary",
        impact_statement="Input is never attacker-controlled.",
        detail="Reviewed by the platform team.",
        timestamp=datetime(2024, 6, 1, tzinfo=UTC),
    )
    written = cyclonedx_vex_document(
        VexDocument("openvex", "https://example.com/vex/1", statements=(s,))
    )
    # not a UUID: the VEX gets a serial number of its own, derived from the id
    assert written["serialNumber"].startswith("urn:uuid:")
    assert "components" not in written  # a purl ref says all there is to say
    assert written["vulnerabilities"][0] == {
        "id": "CVE-2024-1",
        "analysis": {
            "state": "not_affected",
            "justification": "requires_configuration",
            "detail": "Input is never attacker-controlled.\n\nReviewed by the platform team.",
            "lastUpdated": "2024-06-01T00:00:00Z",
        },
        "affects": [{"ref": "pkg:npm/a@1.0.0"}],
    }


def test_bom_links_are_built_and_parsed() -> None:
    link = bom_link("urn:uuid:3E671687-395B-41F5-A30F-A58921A69B79", 2, "a#b c")
    assert link == "urn:cdx:3E671687-395B-41F5-A30F-A58921A69B79/2#a%23b%20c"
    assert parse_bom_link(link) == ("3e671687-395b-41f5-a30f-a58921a69b79", 2, "a#b c")
    assert parse_bom_link("urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1") == (
        "3e671687-395b-41f5-a30f-a58921a69b79",
        1,
        None,
    )
    assert parse_bom_link("pkg:npm/a@1") is None
    assert parse_bom_link("urn:cdx:not-a-uuid/1#x") is None


def _bom(**vulnerability: Any) -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "vulnerabilities": [
            {"id": "CVE-2024-1", "analysis": {"state": "in_triage"}, **vulnerability}
        ],
    }


@pytest.mark.parametrize(
    ("vulnerability", "location", "message"),
    [
        (
            {"analysis": {"state": "maybe"}},
            "$.vulnerabilities[0].analysis.state",
            "expected one of not_affected, false_positive",
        ),
        (
            {"analysis": {"state": "not_affected", "justification": "because"}},
            "$.vulnerabilities[0].analysis.justification",
            "got 'because'",
        ),
        (
            {"analysis": {"state": "exploitable", "response": ["pray"]}},
            "$.vulnerabilities[0].analysis.response[0]",
            "expected one of can_not_fix",
        ),
        (
            {"affects": [{"versions": []}]},
            "$.vulnerabilities[0].affects[0]",
            "missing required field 'ref'",
        ),
        (
            {"affects": [{"ref": "a", "versions": [{"version": "1", "range": "vers:npm/<2"}]}]},
            "$.vulnerabilities[0].affects[0].versions[0]",
            "exactly one of 'version' and 'range'",
        ),
        (
            {"affects": [{"ref": "a", "versions": [{"version": "1", "status": "broken"}]}]},
            "$.vulnerabilities[0].affects[0].versions[0].status",
            "expected one of affected, unaffected, unknown",
        ),
        ({"id": 44228}, "$.vulnerabilities[0].id", "expected a non-empty string, got 44228"),
        (
            {"analysis": "in_triage"},
            "$.vulnerabilities[0].analysis",
            "expected an object, got 'in_triage'",
        ),
    ],
    ids=[
        "state",
        "justification",
        "response",
        "no-ref",
        "version-and-range",
        "version-status",
        "id",
        "analysis-string",
    ],
)
def test_bad_vulnerabilities_are_refused_with_the_json_path(
    vulnerability: dict[str, Any], location: str, message: str
) -> None:
    with pytest.raises(VexError) as caught:
        parse_cyclonedx_vex(_bom(**vulnerability), source="bad.cdx.json")
    assert (caught.value.source, caught.value.location) == ("bad.cdx.json", location)
    assert message in caught.value.message


def test_a_bom_of_another_format_or_bad_version_is_refused() -> None:
    with pytest.raises(VexError, match=r"\$\.bomFormat: expected 'CycloneDX', got 'SPDX'"):
        parse_cyclonedx_vex({"bomFormat": "SPDX"}, source="x")
    with pytest.raises(VexError, match=r"\$\.version: expected a BOM version"):
        parse_cyclonedx_vex({"bomFormat": "CycloneDX", "version": "1"}, source="x")

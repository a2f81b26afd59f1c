"""The OpenVEX codec, on hand-written fixtures (no OpenVEX document is in the shared data)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from support import FIXTURES
from vulndesk.core.errors import AdvisoryError, VulndeskError
from vulndesk.core.vex import (
    VexDocument,
    VexError,
    VexProduct,
    VexStatement,
    VexStatus,
    VexVersion,
    csaf_vex_document,
    cyclonedx_vex_document,
    openvex_document,
    parse_openvex,
    read_vex,
    read_vex_file,
)

EXAMPLE = FIXTURES / "vex" / "openvex-example.json"
LEGACY = FIXTURES / "vex" / "openvex-v0.0.1.json"


def again(written: dict[str, Any]) -> VexDocument:
    return read_vex(orjson.dumps(written), "written.json")


def test_reads_the_document_and_its_statements() -> None:
    doc = read_vex_file(EXAMPLE)
    assert (doc.format, doc.id, doc.version) == (
        "openvex",
        "https://vex.example.com/public/vex-2024-0001",
        2,
    )
    assert doc.author == "Example Product Security <psirt@example.com>"
    # nanoseconds: kept to the microsecond, with the offset
    assert doc.timestamp == datetime(
        2024, 5, 14, 9, 30, 0, 123456, tzinfo=timezone(timedelta(hours=2))
    )
    log4shell, text4shell, rapid_reset, xz, curl = doc.statements
    assert log4shell.aliases == ("GHSA-jfh8-c2jp-5v3q",)
    assert log4shell.justification == "vulnerable_code_not_in_execute_path"
    assert log4shell.impact_statement.startswith("The JNDI lookup class is never loaded")
    assert log4shell.timestamp == datetime(2024, 5, 14, 9, 30, tzinfo=UTC)
    (image,) = log4shell.products
    assert image.purl == image.ref and image.ref.startswith("pkg:oci/example-app@sha256%3A")
    assert image.subcomponents == (
        VexProduct(
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        ),
    )
    assert (text4shell.vulnerability, text4shell.aliases) == (
        "GHSA-599f-7c49-w659",
        ("CVE-2022-42889",),
    )
    assert text4shell.status is VexStatus.AFFECTED
    assert text4shell.action_statement.startswith("Upgrade example-app to 1.2.1")
    assert text4shell.detail.startswith("StringSubstitutor")  # status_notes
    # a CPE @id with a purl among its identifiers
    assert rapid_reset.products == (
        VexProduct(
            "cpe:2.3:a:example:gateway:3.1.0:*:*:*:*:*:*:*",
            purl="pkg:generic/example/gateway@3.1.0",
            cpe="cpe:2.3:a:example:gateway:3.1.0:*:*:*:*:*:*:*",
        ),
    )
    assert xz.status is VexStatus.UNDER_INVESTIGATION
    assert xz.timestamp is None  # the document's timestamp is not copied down
    assert (curl.justification, curl.impact_statement) == (
        None,
        "Built without SOCKS5 proxy support.",
    )


def test_reads_the_v0_0_1_shapes() -> None:
    doc = read_vex_file(LEGACY)
    assert doc.version == 1  # "1", a string, in v0.0.x
    (s,) = doc.statements
    assert s.vulnerability == "CVE-2023-12345"
    openssl = VexProduct("pkg:apk/wolfi/openssl@3.0.7-r0", purl="pkg:apk/wolfi/openssl@3.0.7-r0")
    # statement-level subcomponents belong to every product
    assert [(p.ref, p.subcomponents) for p in s.products] == [
        ("pkg:apk/wolfi/git@2.39.0-r1?arch=armv7", (openssl,)),
        ("pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64", (openssl,)),
    ]


@pytest.mark.parametrize("path", [EXAMPLE, LEGACY], ids=lambda p: p.name)
def test_openvex_round_trip_is_exact(path: Any) -> None:
    doc = read_vex_file(path)
    back = again(openvex_document(doc))
    assert back == doc


def _projection(doc: VexDocument) -> list[tuple[object, ...]]:
    """What every format keeps: the vulnerability, its status and justification, the products
    by package identity."""
    return [
        (
            s.vulnerability,
            s.aliases,
            s.status,
            s.justification,
            tuple(p.purl or p.ref for p in s.products),
        )
        for s in doc.statements
    ]


def test_openvex_through_cyclonedx_keeps_status_justification_and_products() -> None:
    doc = read_vex_file(EXAMPLE)
    through = again(cyclonedx_vex_document(doc))
    back = again(openvex_document(through))
    assert _projection(back) == _projection(doc)
    # the CPE survives as the declared component's cpe
    assert back.statements[2].products[0].cpe == "cpe:2.3:a:example:gateway:3.1.0:*:*:*:*:*:*:*"
    # what CycloneDX cannot carry: subcomponents; the impact statement moves into the detail
    assert back.statements[0].products[0].subcomponents == ()
    assert back.statements[0].detail == doc.statements[0].impact_statement


def test_openvex_through_csaf_keeps_status_justification_products_and_subcomponents() -> None:
    doc = read_vex_file(EXAMPLE)
    back = again(openvex_document(again(csaf_vex_document(doc))))
    assert _projection(back) == _projection(doc)
    for before, after in zip(doc.statements, back.statements, strict=True):
        assert [[c.purl for c in p.subcomponents] for p in after.products] == [
            [c.purl for c in p.subcomponents] for p in before.products
        ]
        assert after.impact_statement == before.impact_statement
        assert after.action_statement == before.action_statement
        # CSAF dates flags, threats and remediations; a bare "fixed" has none to carry its time
        carried = before.justification or before.impact_statement or before.action_statement
        assert after.timestamp == (before.timestamp if carried else None)


# --- writing from other formats -------------------------------------------------------------------

_T = datetime(2024, 6, 1, tzinfo=UTC)


def _written(*statements: VexStatement, fmt: str = "cyclonedx") -> dict[str, Any]:
    return openvex_document(VexDocument(fmt, "", "", _T, 1, statements))


def test_required_reasons_and_actions_are_filled_from_what_there_is() -> None:
    product = VexProduct("product-ABC")
    out = _written(
        VexStatement("CVE-1", VexStatus.NOT_AFFECTED, (product,), detail="Code removed."),
        VexStatement("CVE-2", VexStatus.NOT_AFFECTED, (product,)),
        VexStatement("CVE-3", VexStatus.AFFECTED, (product,), responses=("will_not_fix", "update")),
        VexStatement("CVE-4", VexStatus.AFFECTED, (product,), detail="Upgrade to 2.0."),
    )
    one, two, three, four = out["statements"]
    assert one["impact_statement"] == "Code removed." and "status_notes" not in one
    assert two["impact_statement"].startswith("No justification or impact statement was given")
    assert three["action_statement"] == "Vendor response: will not fix, update"
    assert four["action_statement"] == "Upgrade to 2.0." and "status_notes" not in four

    # no id in the source (a CycloneDX BOM without serialNumber): one from the content, the same
    # every time
    assert out["@id"].startswith("urn:uuid:")
    assert (
        _written(VexStatement("CVE-2", VexStatus.NOT_AFFECTED, (product,)))["@id"]
        == (_written(VexStatement("CVE-2", VexStatus.NOT_AFFECTED, (product,)))["@id"])
    )


def test_products_are_named_by_purl_unless_the_document_was_openvex() -> None:
    product = VexProduct(
        "CSAFPID-0001", purl="pkg:npm/left-pad@1.3.0", name="left-pad", version="1.3.0"
    )
    s = VexStatement("CVE-1", VexStatus.FIXED, (product,))
    assert _written(s, fmt="csaf")["statements"][0]["products"] == [
        {"@id": "pkg:npm/left-pad@1.3.0"}
    ]
    assert _written(s, fmt="openvex")["statements"][0]["products"] == [
        {"@id": "CSAFPID-0001", "identifiers": {"purl": "pkg:npm/left-pad@1.3.0"}}
    ]


def test_exact_versions_become_purls_and_ranges_are_refused() -> None:
    exact = VexProduct(
        "lib", purl="pkg:pypi/lib", versions=(VexVersion(version="1.0"), VexVersion(version="1.1"))
    )
    out = _written(VexStatement("CVE-1", VexStatus.FIXED, (exact,)))
    assert out["statements"][0]["products"] == [
        {"@id": "pkg:pypi/lib@1.0"},
        {"@id": "pkg:pypi/lib@1.1"},
    ]
    every = VexProduct("lib", purl="pkg:pypi/lib", versions=(VexVersion(range="vers:all/*"),))
    out = _written(VexStatement("CVE-1", VexStatus.FIXED, (every,)))
    assert out["statements"][0]["products"] == [{"@id": "pkg:pypi/lib"}]
    ranged = VexProduct("lib", purl="pkg:pypi/lib", versions=(VexVersion(range="vers:pypi/<2"),))
    with pytest.raises(
        VexError, match=r"statement 0 \(CVE-1\): product 'lib' is limited to version 'vers:pypi/<2'"
    ):
        _written(VexStatement("CVE-1", VexStatus.FIXED, (ranged,)))


# --- bad input ------------------------------------------------------------------------------------


def _doc(**statement: Any) -> dict[str, Any]:
    base = {
        "vulnerability": {"name": "CVE-2024-1"},
        "products": [{"@id": "pkg:npm/a@1"}],
        "status": "fixed",
    }
    return {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/1",
        "author": "a",
        "timestamp": "2024-01-01T00:00:00Z",
        "version": 1,
        "statements": [base, {**base, **statement}],
    }


@pytest.mark.parametrize(
    ("statement", "location", "message"),
    [
        (
            {"status": "maybe"},
            "$.statements[1].status",
            "expected one of not_affected, affected, fixed, under_investigation, got 'maybe'",
        ),
        ({"status": None}, "$.statements[1].status", "expected one of not_affected"),
        (
            {"justification": "code_not_reachable"},
            "$.statements[1].justification",
            "got 'code_not_reachable'",
        ),
        (
            {"vulnerability": {"aliases": ["x"]}},
            "$.statements[1].vulnerability",
            "missing required field 'name'",
        ),
        (
            {"vulnerability": 7},
            "$.statements[1].vulnerability",
            "expected a vulnerability object {name, aliases} or an id, got 7",
        ),
        (
            {"products": [{"hashes": {}}]},
            "$.statements[1].products[0]",
            "a product needs an '@id' or identifiers",
        ),
        ({"products": {"@id": "x"}}, "$.statements[1].products", "expected an array, got object"),
        ({"timestamp": "yesterday"}, "$.statements[1].timestamp", "expected an RFC 3339 timestamp"),
    ],
    ids=[
        "unknown-status",
        "null-status",
        "cyclonedx-justification",
        "no-name",
        "number",
        "no-id",
        "products-object",
        "timestamp",
    ],
)
def test_bad_statements_are_refused_with_the_json_path(
    statement: dict[str, Any], location: str, message: str
) -> None:
    with pytest.raises(VexError) as caught:
        parse_openvex(_doc(**statement), source="bad.openvex.json")
    error = caught.value
    assert isinstance(error, VulndeskError) and not isinstance(error, AdvisoryError)
    assert (error.source, error.location) == ("bad.openvex.json", location)
    assert message in error.message
    assert str(error).startswith(f"bad.openvex.json:{location}: ")


def test_missing_status_and_bad_version_are_refused() -> None:
    doc = _doc()
    del doc["statements"][1]["status"]
    with pytest.raises(VexError, match="missing required field 'status'"):
        parse_openvex(doc, source="x")
    doc = _doc()
    doc["version"] = 0
    with pytest.raises(VexError, match=r"\$\.version: expected a version number"):
        parse_openvex(doc, source="x")


def test_a_statement_model_refuses_foreign_words() -> None:
    with pytest.raises(ValueError, match="unknown justification 'code_not_present'"):
        VexStatement("CVE-1", VexStatus.NOT_AFFECTED, (), justification="code_not_present")
    with pytest.raises(ValueError, match="unknown response 'pray'"):
        VexStatement("CVE-1", VexStatus.AFFECTED, (), responses=("pray",))
    # a status given as its word becomes the enum member
    assert VexStatement("CVE-1", "fixed", ()).status is VexStatus.FIXED  # type: ignore[arg-type]

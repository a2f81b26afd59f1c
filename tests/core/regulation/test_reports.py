"""CRA and NIS2 report contents: what each kind requires, and the JSON round trip."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from vulndesk.core.errors import InputError
from vulndesk.core.regulation.clocks import Regime, ReportKind
from vulndesk.core.regulation.reports import (
    CiaImpact,
    CraReportContent,
    EntityType,
    Exploitation,
    Impact,
    Manufacturer,
    Measures,
    Nis2Entity,
    Nis2ReportContent,
    ProductDetails,
    Severity,
    Tlp,
    VulnerabilityNature,
    missing_fields,
    report_from_json,
    report_json,
    required_fields,
)

AWARE = datetime(2026, 11, 20, 15, 30, 5, tzinfo=UTC)
JST = timezone(timedelta(hours=9))

CRA_FINAL = CraReportContent(
    regime=Regime.CRA_VULNERABILITY,
    kind=ReportKind.FINAL,
    manufacturer=Manufacturer(
        name="株式会社サンプル製作所",
        address="東京都千代田区1-1",
        contact="psirt@example.co.jp",
        eu_representative="Sample Europe GmbH, Berlin",
    ),
    product=ProductDetails(
        name="ルーター RX-100",
        type="router firmware",
        versions_affected=("1.0.0", "1.0.1"),
        purls=("pkg:generic/sample/rx-100@1.0.1",),
        cpes=("cpe:2.3:o:sample:rx-100_firmware:1.0.1:*:*:*:*:*:*:*",),
    ),
    vulnerability_ids=("CVE-2026-12345", "EUVD-2026-0001"),
    nature=VulnerabilityNature(cwe_ids=("CWE-78",), description="OS コマンドインジェクション"),
    severity=Severity(cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", cvss_score=9.8),
    exploitation=Exploitation(
        evidence="Attack traffic seen by our honeypots",
        source="own telemetry",
        since=datetime(2026, 11, 19, 22, 0, tzinfo=UTC),
        exploit_nature="unauthenticated HTTP request to /cgi-bin/ping",
        malicious_actor="",
    ),
    measures=Measures(
        available="firmware 1.0.2", taken="update published", for_users="install 1.0.2"
    ),
    member_states=("DE", "FR", "EL"),
    sensitive=True,
    tlp=Tlp.AMBER,
    root_cause="unescaped host name passed to a shell",
    security_update="firmware 1.0.2 released 2026-11-25",
    aware_at=AWARE,
    due_at=datetime(2026, 12, 9, 9, 0, tzinfo=UTC),
    submitted_at=datetime(2026, 12, 1, 8, 15, tzinfo=UTC),
)

NIS2_FINAL = Nis2ReportContent(
    kind=ReportKind.FINAL,
    entity=Nis2Entity(name="Stadtwerke Beispiel", type=EntityType.ESSENTIAL, sector="energy"),
    incident_description="Ransomware on the billing systems",
    detected_at=datetime(2026, 11, 20, 14, 0, tzinfo=UTC),
    impact=CiaImpact(confidentiality=Impact.MEDIUM, integrity=Impact.LOW, availability=Impact.HIGH),
    exploitation="suspected criminal act: phishing then lateral movement",
    cross_border_impact="none known",
    societal_impact="billing delayed for 40,000 households",
    significant=True,
    risk_assessment="significant: service outage over 24 h",
    measures="systems isolated, restored from backups",
    root_cause="phishing mail opened by an administrator",
    threat_type="ransomware",
    tlp=Tlp.GREEN,
    aware_at=AWARE,
    due_at=datetime(2026, 12, 22, 10, 0, tzinfo=UTC),
)


def test_complete_reports_miss_nothing() -> None:
    assert missing_fields(CRA_FINAL) == []
    assert missing_fields(NIS2_FINAL) == []


@pytest.mark.parametrize(
    ("regime", "kind", "expected"),
    [
        (
            Regime.CRA_VULNERABILITY,
            ReportKind.EARLY_WARNING,
            [
                "manufacturer.name",
                "product.name",
                "exploitation.evidence",
                "member_states",
                "aware_at",
            ],
        ),
        (
            Regime.CRA_VULNERABILITY,
            ReportKind.NOTIFICATION,
            [
                "manufacturer.name",
                "product.name",
                "product.versions_affected",
                "nature.description",
                "severity.cvss_vector",
                "exploitation.evidence",
                "measures.taken",
                "measures.for_users",
                "member_states",
                "aware_at",
            ],
        ),
        (
            Regime.CRA_VULNERABILITY,
            ReportKind.FINAL,
            [
                "manufacturer.name",
                "product.name",
                "product.versions_affected",
                "nature.description",
                "severity.cvss_vector",
                "exploitation.evidence",
                "measures.taken",
                "measures.for_users",
                "member_states",
                "root_cause",
                "security_update",
                "aware_at",
            ],
        ),
        (
            # an incident has no CVSS vector and its final report no security update
            Regime.CRA_INCIDENT,
            ReportKind.FINAL,
            [
                "manufacturer.name",
                "product.name",
                "product.versions_affected",
                "nature.description",
                "exploitation.evidence",
                "measures.taken",
                "measures.for_users",
                "member_states",
                "root_cause",
                "aware_at",
            ],
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_each_cra_kind_requires_more_than_the_one_before(
    regime: Regime, kind: ReportKind, expected: list[str]
) -> None:
    assert missing_fields(CraReportContent(regime=regime, kind=kind)) == expected


@pytest.mark.parametrize(
    ("kind", "added"),
    [
        (ReportKind.EARLY_WARNING, []),
        (
            ReportKind.NOTIFICATION,
            [
                "impact.confidentiality",
                "impact.integrity",
                "impact.availability",
                "risk_assessment",
            ],
        ),
        (
            ReportKind.FINAL,
            [
                "impact.confidentiality",
                "impact.integrity",
                "impact.availability",
                "risk_assessment",
                "measures",
                "root_cause",
                "threat_type",
            ],
        ),
    ],
)
def test_each_nis2_kind_requires_more_than_the_one_before(
    kind: ReportKind, added: list[str]
) -> None:
    early = [
        "entity.name",
        "entity.type",
        "entity.sector",
        "incident_description",
        "detected_at",
        "exploitation",
        "cross_border_impact",
        "significant",
        "aware_at",
    ]
    order = list(report_json(NIS2_FINAL))
    expected = sorted(early + added, key=lambda path: order.index(path.split(".")[0]))
    assert missing_fields(Nis2ReportContent(kind=kind)) == expected


def test_required_fields_do_not_depend_on_what_is_filled_in() -> None:
    empty = CraReportContent(regime=Regime.CRA_VULNERABILITY, kind=ReportKind.FINAL)
    assert required_fields(CRA_FINAL) == required_fields(empty) == missing_fields(empty)
    assert "member_states" not in required_fields(replace(empty, member_states_unknown=True))


def test_member_states_may_be_declared_unknown_in_an_early_warning() -> None:
    early = CraReportContent(
        regime=Regime.CRA_VULNERABILITY,
        kind=ReportKind.EARLY_WARNING,
        manufacturer=Manufacturer(name="ACME"),
        product=ProductDetails(name="Widget"),
        exploitation=Exploitation(evidence="CISA KEV entry"),
        aware_at=AWARE,
    )
    assert missing_fields(early) == ["member_states"]
    assert missing_fields(replace(early, member_states_unknown=True)) == []
    assert missing_fields(replace(early, member_states=("AT",))) == []


def test_blank_text_and_blank_items_count_as_missing() -> None:
    draft = replace(
        CRA_FINAL,
        root_cause="  \n ",
        product=replace(CRA_FINAL.product, versions_affected=("", " ")),
    )
    assert missing_fields(draft) == ["product.versions_affected", "root_cause"]
    assert missing_fields(replace(NIS2_FINAL, significant=False)) == []  # an answer, not a gap


def test_json_is_stable_and_in_utc() -> None:
    data = report_json(CRA_FINAL)
    assert list(data)[:3] == ["schema", "regime", "kind"]
    assert data["schema"] == "vulndesk-cra-report/1"
    assert data["kind"] == "final"
    assert data["aware_at"] == "2026-11-20T15:30:05Z"
    assert data["product"] == {
        "name": "ルーター RX-100",
        "type": "router firmware",
        "versions_affected": ["1.0.0", "1.0.1"],
        "purls": ["pkg:generic/sample/rx-100@1.0.1"],
        "cpes": ["cpe:2.3:o:sample:rx-100_firmware:1.0.1:*:*:*:*:*:*:*"],
    }
    assert data["tlp"] == "TLP:AMBER"
    in_tokyo = replace(CRA_FINAL, aware_at=datetime(2026, 11, 21, 0, 30, 5, 250, tzinfo=JST))
    assert report_json(in_tokyo)["aware_at"] == "2026-11-20T15:30:05.000250Z"
    nis2 = report_json(NIS2_FINAL)
    assert nis2["schema"] == "vulndesk-nis2-report/1"
    assert nis2["impact"] == {
        "confidentiality": "medium",
        "integrity": "low",
        "availability": "high",
    }


@pytest.mark.parametrize(
    "content",
    [
        CRA_FINAL,
        NIS2_FINAL,
        CraReportContent(regime=Regime.CRA_INCIDENT, kind=ReportKind.EARLY_WARNING),
        Nis2ReportContent(kind=ReportKind.NOTIFICATION),
    ],
    ids=["cra", "nis2", "empty-cra", "empty-nis2"],
)
def test_json_round_trip_through_text(content: CraReportContent | Nis2ReportContent) -> None:
    text = json.dumps(report_json(content), ensure_ascii=False)
    assert report_from_json(json.loads(text)) == content


def test_absent_fields_take_their_empty_defaults() -> None:
    content = report_from_json(
        {"schema": "vulndesk-cra-report/1", "regime": "cra_incident", "kind": "notification"}
    )
    assert content == CraReportContent(regime=Regime.CRA_INCIDENT, kind=ReportKind.NOTIFICATION)


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for name in parents:
            data = data[name]
        data[last] = value

    return change


def _delete(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: data.pop(key)


BAD_CRA_JSON = [
    (_set("schema", "enisa/1"), "schema", "unknown report schema"),
    (_delete("kind"), "kind", "absent"),
    (_delete("regime"), "regime", "absent"),
    (_set("regime", "nis2_incident"), "regime", "is not a regime of vulndesk-cra-report/1"),
    (_set("kind", "interim"), "kind", "'interim' is not one of"),
    (_set("product.versions_affected", ["1.0", 3]), "product.versions_affected[1]", "string"),
    (_set("product.nmae", "typo"), "product.nmae", "unknown field"),
    (_set("product", ["x"]), "product", "expected an object, got array"),
    (_set("aware_at", "2026-11-20T15:30:05"), "aware_at", "no timezone"),
    (_set("aware_at", "yesterday"), "aware_at", "not an ISO 8601 time"),
    (_set("exploitation.since", 1732111805), "exploitation.since", "got number"),
    (_set("member_states", ["DE", "GR"]), "member_states[1]", "Greece is EL"),
    (_set("severity.cvss_score", 11), "severity.cvss_score", "outside 0-10"),
    (_set("severity.cvss_score", "9.8"), "severity.cvss_score", "expected a number"),
    (_set("sensitive", "yes"), "sensitive", "true or false"),
    (_set("tlp", "TLP:WHITE"), "tlp", "'TLP:WHITE' is not one of"),
]


@pytest.mark.parametrize(
    ("change", "location", "message"),
    BAD_CRA_JSON,
    ids=[f"{location}-{message}" for _, location, message in BAD_CRA_JSON],
)
def test_bad_cra_json_names_its_path(
    change: Callable[[dict[str, Any]], None], location: str, message: str
) -> None:
    data = json.loads(json.dumps(report_json(CRA_FINAL)))
    change(data)
    with pytest.raises(InputError) as raised:
        report_from_json(data, source="report.json")
    assert raised.value.location == location
    assert message in raised.value.message
    assert str(raised.value).startswith(f"report.json:{location}: ")


def test_bad_nis2_json_names_its_path() -> None:
    data = json.loads(json.dumps(report_json(NIS2_FINAL)))
    data["impact"]["integrity"] = "severe"
    with pytest.raises(InputError, match=r"impact\.integrity: 'severe' is not one of"):
        report_from_json(data)
    data["impact"]["integrity"] = None  # not assessed yet is allowed
    assert report_from_json(data).impact.integrity is None  # type: ignore[union-attr]


def test_not_an_object() -> None:
    with pytest.raises(InputError, match="must be a JSON object, not array"):
        report_from_json([])


def test_a_naive_time_cannot_be_written() -> None:
    with pytest.raises(InputError) as raised:
        report_json(replace(CRA_FINAL, aware_at=datetime(2026, 11, 20, 15, 30)))
    assert raised.value.location == "aware_at"


def test_a_cra_report_is_not_about_a_nis2_incident() -> None:
    with pytest.raises(ValueError, match="cannot be about"):
        CraReportContent(regime=Regime.NIS2_INCIDENT, kind=ReportKind.FINAL)


def test_nis2_json_golden() -> None:
    early = Nis2ReportContent(
        kind=ReportKind.EARLY_WARNING,
        entity=Nis2Entity(name="Stadtwerke Beispiel", type=EntityType.IMPORTANT),
        detected_at=datetime(2026, 11, 20, 23, 0, tzinfo=JST),
        significant=True,
    )
    assert json.dumps(report_json(early), ensure_ascii=False, indent=1) == (
        """{
 "schema": "vulndesk-nis2-report/1",
 "regime": "nis2_incident",
 "kind": "early_warning",
 "entity": {
  "name": "Stadtwerke Beispiel",
  "type": "important",
  "sector": ""
 },
 "incident_description": "",
 "detected_at": "2026-11-20T14:00:00Z",
 "impact": {
  "confidentiality": null,
  "integrity": null,
  "availability": null
 },
 "exploitation": "",
 "cross_border_impact": "",
 "societal_impact": "",
 "significant": true,
 "risk_assessment": "",
 "measures": "",
 "root_cause": "",
 "threat_type": "",
 "tlp": null,
 "aware_at": null,
 "due_at": null,
 "submitted_at": null
}"""
    )


def test_a_nis2_report_is_about_a_nis2_incident() -> None:
    data = report_json(NIS2_FINAL)
    data["regime"] = "cra_incident"
    with pytest.raises(InputError, match="is not a regime of vulndesk-nis2-report/1") as raised:
        report_from_json(data)
    assert raised.value.location == "regime"

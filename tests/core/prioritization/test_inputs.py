"""SSVC decision points from evidence: provenance, CVSS proxies, overrides and the explanation."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from vulndesk.core.advisories.model import ExploitEvidence
from vulndesk.core.prioritization.inputs import (
    SOURCES,
    Assessment,
    AssetContext,
    Evidence,
    Override,
    PointValue,
    assess,
    automatable_of,
    decision_points,
    exploitation_of,
    technical_impact_of,
)
from vulndesk.core.prioritization.ssvc import POINTS, TABLES, SsvcError

DAY = datetime(2024, 3, 1, tzinfo=UTC)

KEV = ExploitEvidence(
    kind="kev",
    source="CISA KEV",
    date=DAY,
    detail="Example Router Command Injection",
    due_date=datetime(2024, 3, 22, tzinfo=UTC),
    ransomware=True,
)
EUVD = ExploitEvidence(kind="euvd", source="ENISA EUVD", date=DAY)
PERSON = ExploitEvidence(kind="person", source="alice", detail="seen in our honeypot")
EXPLOIT_REF = ExploitEvidence(
    kind="reference", source="nvd", detail="https://www.exploit-db.com/exploits/51234"
)


def threat(details: str, source: str = "Example Vendor PSIRT") -> ExploitEvidence:
    return ExploitEvidence(kind="csaf-threat", source=source, date=DAY, detail=details)


V31_AUTOMATABLE_TOTAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
V31_USER_PARTIAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:L/A:N"
V30_AUTOMATABLE = "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:L/A:N"
V2_AUTOMATABLE_TOTAL = "AV:N/AC:L/Au:N/C:C/I:C/A:C"
V2_AUTH_PARTIAL = "AV:N/AC:L/Au:S/C:P/I:P/A:P"
V4_AUTOMATABLE_TOTAL = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
V4_ATTACK_REQUIREMENTS = "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:N/SC:N/SI:N/SA:N"


# --- exploitation -------------------------------------------------------------------------------


def test_no_evidence_is_none_by_default_and_says_so() -> None:
    value = exploitation_of(Evidence())
    assert (value.value, value.source) == ("none", "default")
    assert "no evidence of exploitation" in value.detail


def test_epss_is_shown_but_never_sets_exploitation() -> None:
    value = exploitation_of(Evidence(epss=0.97, epss_percentile=0.999))
    assert (value.value, value.source) == ("none", "default")
    assert "EPSS 0.9700" in value.detail
    assert "a hint, not evidence" in value.detail


def test_kev_is_active_and_names_the_entry() -> None:
    value = exploitation_of(Evidence(exploitation=(KEV,)))
    assert (value.value, value.source) == ("active", "kev")
    assert "Example Router Command Injection" in value.detail
    assert "2024-03-01" in value.detail
    assert "ransomware" in value.detail


def test_kev_stated_by_another_source_says_who() -> None:
    evidence = ExploitEvidence(kind="kev", source="CISA-ADP", date=DAY)
    value = exploitation_of(Evidence(exploitation=(evidence,)))
    assert (value.value, value.source) == ("active", "kev")
    assert "per CISA-ADP" in value.detail


@pytest.mark.parametrize(
    ("item", "source"),
    [
        (EUVD, "euvd"),
        (PERSON, "person"),
        (ExploitEvidence(kind="ssvc", source="CISA-ADP", date=DAY), "vulnrichment"),
    ],
)
def test_other_statements_of_exploitation_are_active(item: ExploitEvidence, source: str) -> None:
    value = exploitation_of(Evidence(exploitation=(item,)))
    assert (value.value, value.source) == ("active", source)


def test_person_detail_names_the_person_and_why() -> None:
    value = exploitation_of(Evidence(exploitation=(PERSON,)))
    assert "alice" in value.detail
    assert "honeypot" in value.detail


def test_exploit_reference_is_public_poc() -> None:
    value = exploitation_of(Evidence(exploitation=(EXPLOIT_REF,)))
    assert (value.value, value.source) == ("public poc", "reference")
    assert "exploit-db.com/exploits/51234" in value.detail


MS_INDEX = "Latest Software Release:"


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        ("Reliable exploits integrated in Metasploit.", "public poc"),  # cisa-ot shared data
        ("A proof of concept has been published.", "public poc"),
        ("Exploit Code Maturity: Proof-of-Concept", "public poc"),
        ("Exploitation: poc", "public poc"),
        ("Exploit code is publicly available", "public poc"),
        ("This vulnerability is actively exploited.", "active"),
        ("Exploited in the wild in limited, targeted attacks.", "active"),
        ("Exploitation: active", "active"),
        # Microsoft's CSAF: disclosure, exploitation and its "exploitability index"
        (f"Publicly Disclosed:No;Exploited:Yes;{MS_INDEX}Exploitation Detected", "active"),
        (f"Publicly Disclosed:Yes;Exploited:No;{MS_INDEX}Exploitation Less Likely", "public poc"),
        (f"Publicly Disclosed:No;Exploited:No;{MS_INDEX}Exploitation More Likely", "none"),
        ("No known public exploits specifically target this vulnerability.", "none"),
        ("Vendor is not aware of any exploitation.", "none"),
        ("Exploit status: unproven", "none"),
        ("Not exploited in the wild, but a proof of concept exists.", "public poc"),
        ("An attacker could exploit this remotely; exploit code is available.", "public poc"),
    ],
)
def test_csaf_exploit_status_threats_are_read(details: str, expected: str) -> None:
    value = exploitation_of(Evidence(exploitation=(threat(details),)))
    assert (value.value, value.source) == (expected, "csaf")
    assert details in value.detail
    assert "Example Vendor PSIRT" in value.detail


def test_a_poc_threat_is_not_active() -> None:
    value = exploitation_of(Evidence(exploitation=(threat("PoC exploit published on GitHub"),)))
    assert value.value == "public poc"


def test_an_unreadable_threat_counts_as_public_poc_and_says_so() -> None:
    value = exploitation_of(Evidence(exploitation=(threat("Exploit maturity: High"),)))
    assert (value.value, value.source) == ("public poc", "csaf")
    assert "not understood" in value.detail


def test_an_empty_threat_says_nothing() -> None:
    value = exploitation_of(Evidence(exploitation=(threat("  "),)))
    assert (value.value, value.source) == ("none", "default")


@pytest.mark.parametrize(
    ("raw", "expected"), [("none", "none"), ("poc", "public poc"), ("Active", "active")]
)
def test_vulnrichment_exploitation(raw: str, expected: str) -> None:
    value = exploitation_of(Evidence(vulnrichment={"exploitation": raw}))
    assert (value.value, value.source) == (expected, "vulnrichment")


def test_vulnrichment_under_cisas_own_option_names() -> None:
    evidence = Evidence(
        vulnrichment={"Exploitation": "poc", "Automatable": "yes", "Technical Impact": "total"}
    )
    assert exploitation_of(evidence).value == "public poc"
    assert automatable_of(evidence).value == "yes"
    assert technical_impact_of(evidence).value == "total"


def test_unreadable_vulnrichment_falls_back_and_says_so() -> None:
    value = exploitation_of(Evidence(vulnrichment={"exploitation": "maybe"}))
    assert (value.value, value.source) == ("none", "default")
    assert "'maybe' not understood" in value.detail


@pytest.mark.parametrize(
    "items",
    [(EXPLOIT_REF, threat("Metasploit module available"), KEV), (KEV, EXPLOIT_REF)],
)
def test_strongest_statement_wins_whatever_the_order(items: tuple[ExploitEvidence, ...]) -> None:
    value = exploitation_of(Evidence(exploitation=items, vulnrichment={"exploitation": "poc"}))
    assert (value.value, value.source) == ("active", "kev")
    assert "also" in value.detail
    assert "reference (public poc)" in value.detail


def test_among_equal_statements_kev_is_named_before_a_person() -> None:
    value = exploitation_of(Evidence(exploitation=(PERSON, EUVD, KEV)))
    assert value.source == "kev"
    assert "euvd (active)" in value.detail
    assert "person (active)" in value.detail


def test_a_denial_does_not_cancel_a_kev_listing() -> None:
    evidence = Evidence(exploitation=(threat("No known exploitation."), KEV))
    assert exploitation_of(evidence).value == "active"


# --- automatable and technical impact from CVSS -------------------------------------------------


@pytest.mark.parametrize(
    ("vector", "automatable", "technical_impact"),
    [
        (V31_AUTOMATABLE_TOTAL, "yes", "total"),
        (V31_USER_PARTIAL, "no", "partial"),
        (V30_AUTOMATABLE, "yes", "partial"),
        ("CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "no", "total"),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", "no", "total"),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:H", "no", "partial"),
        (V2_AUTOMATABLE_TOTAL, "yes", "total"),
        (V2_AUTH_PARTIAL, "no", "partial"),
        ("(AV:N/AC:L/Au:N/C:C/I:P/A:N)", "yes", "partial"),
        ("CVSS:2.0/AV:A/AC:L/Au:N/C:C/I:C/A:C", "no", "total"),
        (V4_AUTOMATABLE_TOTAL, "yes", "total"),
        (V4_ATTACK_REQUIREMENTS, "no", "partial"),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "no", "total"),
        # v4's supplemental Automatable metric is SSVC's own point: it is taken as stated
        ("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/AU:Y", "yes", "total"),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:H/SC:N/SI:N/SA:N/AU:N", "no", "partial"),
    ],
)
def test_cvss_vectors(vector: str, automatable: str, technical_impact: str) -> None:
    evidence = Evidence(cvss_vectors=(("nvd", vector),))
    auto = automatable_of(evidence)
    impact = technical_impact_of(evidence)
    assert (auto.value, auto.source) == (automatable, "cvss")
    assert (impact.value, impact.source) == (technical_impact, "cvss")
    assert "from nvd" in auto.detail
    assert vector.strip() in impact.detail


def test_detail_says_which_metric_made_it_not_automatable() -> None:
    value = automatable_of(Evidence(cvss_vectors=(("ghsa", V31_USER_PARTIAL),)))
    assert value.detail == (
        f"{V31_USER_PARTIAL} from ghsa: UI:R (automatable needs AV:N/AC:L/PR:N/UI:N)"
    )


def test_v3_and_v4_vectors_are_preferred_over_v2_whatever_the_order() -> None:
    evidence = Evidence(cvss_vectors=(("nvd", V2_AUTOMATABLE_TOTAL), ("ghsa", V31_USER_PARTIAL)))
    assert automatable_of(evidence).value == "no"
    assert technical_impact_of(evidence).value == "partial"
    assert "from ghsa" in automatable_of(evidence).detail


def test_the_callers_order_decides_among_current_vectors() -> None:
    first_v4 = Evidence(
        cvss_vectors=(("cna", V4_ATTACK_REQUIREMENTS), ("nvd", V31_AUTOMATABLE_TOTAL))
    )
    first_v3 = Evidence(
        cvss_vectors=(("nvd", V31_AUTOMATABLE_TOTAL), ("cna", V4_ATTACK_REQUIREMENTS))
    )
    assert automatable_of(first_v4).value == "no"
    assert automatable_of(first_v3).value == "yes"


def test_v2_is_used_when_it_is_the_only_readable_vector() -> None:
    evidence = Evidence(
        cvss_vectors=(("nvd", "CVSS:3.1/AV:N/AC:L/PR:N"), ("nvd", V2_AUTOMATABLE_TOTAL))
    )
    assert automatable_of(evidence).value == "yes"
    assert "from nvd" in automatable_of(evidence).detail


@pytest.mark.parametrize(
    "vector",
    [
        "",
        "garbage",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",  # A missing
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L",  # AV twice
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",  # X is not a base value
        "CVSS:9.9/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    ],
)
def test_unreadable_vectors_are_skipped_and_named(vector: str) -> None:
    evidence = Evidence(cvss_vectors=(("vendor", vector),))
    auto = automatable_of(evidence)
    impact = technical_impact_of(evidence)
    assert (auto.value, auto.source) == ("no", "default")
    assert (impact.value, impact.source) == ("partial", "default")
    assert f"{vector!r} from vendor could not be read" in auto.detail


def test_no_vector_is_a_default() -> None:
    auto = automatable_of(Evidence())
    impact = technical_impact_of(Evidence())
    assert (auto.value, auto.source) == ("no", "default")
    assert (impact.value, impact.source) == ("partial", "default")
    assert "no CVSS vector" in auto.detail


def test_vulnrichment_beats_the_cvss_proxy() -> None:
    evidence = Evidence(
        cvss_vectors=(("nvd", V31_AUTOMATABLE_TOTAL),),
        vulnrichment={"automatable": "no", "technical_impact": "partial"},
    )
    auto = automatable_of(evidence)
    impact = technical_impact_of(evidence)
    assert (auto.value, auto.source) == ("no", "vulnrichment")
    assert (impact.value, impact.source) == ("partial", "vulnrichment")


def test_vulnrichment_only_for_the_points_it_gives() -> None:
    evidence = Evidence(
        cvss_vectors=(("nvd", V31_AUTOMATABLE_TOTAL),), vulnrichment={"exploitation": "none"}
    )
    assert automatable_of(evidence).source == "cvss"
    assert technical_impact_of(evidence).source == "cvss"


# --- the asset and derived points ---------------------------------------------------------------


def test_asset_context_defaults_and_validation() -> None:
    asset = AssetContext()
    assert (asset.system_exposure, asset.mission_impact, asset.perspective) == (
        "controlled",
        "mef support crippled",
        "deployer",
    )
    assert AssetContext(system_exposure="Open").system_exposure == "open"
    with pytest.raises(SsvcError, match="'internet' is not a value of 'system_exposure'"):
        AssetContext(system_exposure="internet")
    with pytest.raises(SsvcError, match="perspective 'coordinator'"):
        AssetContext(perspective="coordinator")


def test_decision_points_sources() -> None:
    points = decision_points(
        Evidence(exploitation=(KEV,), cvss_vectors=(("nvd", V31_AUTOMATABLE_TOTAL),)),
        AssetContext(
            system_exposure="open", safety_impact="critical", value_density="concentrated"
        ),
    )
    assert {k: (v.value, v.source) for k, v in points.items()} == {
        "exploitation": ("active", "kev"),
        "system_exposure": ("open", "asset"),
        "automatable": ("yes", "cvss"),
        "technical_impact": ("total", "cvss"),
        "safety_impact": ("critical", "asset"),
        "mission_impact": ("mef support crippled", "asset"),
        "value_density": ("concentrated", "asset"),
        "in_kev": ("yes", "kev"),
        "human_impact": ("high", "derived"),
        "utility": ("super effective", "derived"),
        "public_safety_impact": ("significant", "derived"),
        "mission_well_being": ("high", "derived"),
        "publicly_exposed": ("yes", "derived"),
    }
    assert all(v.point == k for k, v in points.items())
    assert all(v.source in SOURCES and v.detail for v in points.values())
    assert points["human_impact"].detail.startswith("Human Impact 1.0.0 row 9:")


def test_not_in_kev_without_kev_evidence() -> None:
    points = decision_points(Evidence(exploitation=(EUVD,)), AssetContext())
    assert (points["in_kev"].value, points["in_kev"].source) == ("no", "default")
    assert (points["publicly_exposed"].value, points["exploitation"].value) == ("no", "active")


MISSION_WELL_BEING = {
    # (mission impact, safety impact): the CISA mission and well-being impact
    ("degraded", "negligible"): "low",
    ("degraded", "marginal"): "medium",
    ("degraded", "critical"): "high",
    ("degraded", "catastrophic"): "high",
    ("mef support crippled", "negligible"): "medium",
    ("mef support crippled", "marginal"): "medium",
    ("mef support crippled", "critical"): "high",
    ("mef support crippled", "catastrophic"): "high",
    ("mef failure", "negligible"): "high",
    ("mef failure", "marginal"): "high",
    ("mission failure", "negligible"): "high",
    ("mission failure", "catastrophic"): "high",
}


@pytest.mark.parametrize(("impacts", "expected"), list(MISSION_WELL_BEING.items()))
def test_mission_well_being_is_derived(impacts: tuple[str, str], expected: str) -> None:
    mission, safety = impacts
    points = decision_points(Evidence(), AssetContext(mission_impact=mission, safety_impact=safety))
    value = points["mission_well_being"]
    assert (value.value, value.source) == (expected, "derived")
    assert mission in value.detail
    assert safety in value.detail


# --- assessments --------------------------------------------------------------------------------

RCE = Evidence(
    exploitation=(KEV,),
    cvss_vectors=(("nvd", V31_AUTOMATABLE_TOTAL),),
    epss=0.9432,
    epss_percentile=0.9991,
)


def test_deployer_assessment() -> None:
    asset = AssetContext(
        system_exposure="open", mission_impact="mef failure", safety_impact="critical"
    )
    result = assess(RCE, asset)
    assert (result.table, result.outcome, result.row) == ("deployer", "immediate", 70)
    assert [p.point for p in result.points] == [
        "exploitation",
        "system_exposure",
        "automatable",
        "human_impact",
        "safety_impact",
        "mission_impact",
    ]
    assert [(d.table, d.row, d.outcome) for d in result.decisions] == [
        ("human_impact", 10, "high"),
        ("deployer", 70, "immediate"),
    ]


def test_perspective_chooses_the_table() -> None:
    result = assess(RCE, AssetContext(perspective="supplier", safety_impact="marginal"))
    assert (result.table, result.outcome, result.row) == ("supplier", "immediate", 31)
    assert [p.point for p in result.points] == [
        "exploitation",
        "utility",
        "automatable",
        "value_density",
        "technical_impact",
        "public_safety_impact",
        "safety_impact",
    ]
    assert [d.table for d in result.decisions] == ["utility", "public_safety_impact", "supplier"]


def test_table_argument_beats_the_perspective() -> None:
    result = assess(Evidence(), AssetContext(perspective="supplier"), table="deployer")
    assert (result.table, result.outcome, result.row) == ("deployer", "defer", 8)


def test_cisa_coordinator_assessment() -> None:
    evidence = Evidence(
        exploitation=(threat("Metasploit module released"),),
        cvss_vectors=(("nvd", V31_AUTOMATABLE_TOTAL),),
    )
    result = assess(evidence, AssetContext(mission_impact="degraded"), table="cisa_coordinator")
    assert (result.outcome, result.row) == ("track", 21)
    assert [p.point for p in result.points] == [
        "exploitation",
        "automatable",
        "technical_impact",
        "mission_well_being",
        "mission_impact",
        "safety_impact",
    ]
    assert [d.table for d in result.decisions] == ["cisa_coordinator"]


def test_cisa_bod_assessment() -> None:
    evidence = Evidence(exploitation=(KEV,), cvss_vectors=(("nvd", V31_USER_PARTIAL),))
    result = assess(evidence, AssetContext(system_exposure="open"), table="cisa_bod_26_04")
    assert (result.outcome, result.row) == ("14 days", 5)
    assert [p.point for p in result.points] == [
        "in_kev",
        "publicly_exposed",
        "system_exposure",
        "automatable",
        "technical_impact",
    ]


@pytest.mark.parametrize("table", ["coordinator_triage", "human_impact", "nope"])
def test_assess_refuses_tables_it_cannot_fill(table: str) -> None:
    with pytest.raises(SsvcError, match=f"cannot assess table '{table}'"):
        assess(Evidence(), AssetContext(), table=table)


# --- overrides ----------------------------------------------------------------------------------

BY_BOB = Override(
    value="none",
    reason="vendor confirmed the KEV entry is for another product",
    author="bob",
    at=datetime(2024, 3, 5, 9, 30, tzinfo=UTC),
)


def test_override_replaces_the_value_and_keeps_the_automatic_one() -> None:
    asset = AssetContext(system_exposure="open", mission_impact="mef failure")
    result = assess(RCE, asset, overrides={"exploitation": BY_BOB})
    assert (result.outcome, result.row) == ("scheduled", 21)
    point = result.points[0]
    assert (point.point, point.value, point.source) == ("exploitation", "none", "override")
    assert point.override == BY_BOB
    assert point.automatic is not None
    assert (point.automatic.value, point.automatic.source) == ("active", "kev")
    assert "bob" in point.detail
    assert "another product" in point.detail


def test_overridden_base_points_flow_into_derived_points() -> None:
    override = Override(value="Catastrophic", reason="drives a furnace", author="carol")
    points = decision_points(Evidence(), AssetContext(), {"safety_impact": override})
    assert points["safety_impact"].value == "catastrophic"
    assert (points["human_impact"].value, points["human_impact"].source) == ("very high", "derived")
    assert points["public_safety_impact"].value == "significant"


def test_overriding_a_derived_point_skips_its_table() -> None:
    override = Override(value="very high", reason="hospital network", author="dave")
    result = assess(Evidence(), AssetContext(), overrides={"human_impact": override})
    assert (result.outcome, result.row) == ("scheduled", 11)
    assert [d.table for d in result.decisions] == ["deployer"]
    assert [p.point for p in result.points] == [
        "exploitation",
        "system_exposure",
        "automatable",
        "human_impact",
    ]
    human = result.points[-1]
    assert (human.value, human.source) == ("very high", "override")
    assert human.automatic is not None
    assert (human.automatic.value, human.automatic.source) == ("low", "derived")


def test_override_of_a_point_vulndesk_does_not_fill_is_recorded() -> None:
    override = Override(value="credible", reason="reproduced", author="erin")
    points = decision_points(Evidence(), AssetContext(), {"report_credibility": override})
    value = points["report_credibility"]
    assert (value.value, value.source, value.automatic) == ("credible", "override", None)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"exploitation": Override("exploited", "x", "bob")}, "'exploited' is not a value"),
        ({"severity": Override("high", "x", "bob")}, "cannot override 'severity'"),
        ({"priority": Override("immediate", "x", "bob")}, "cannot override 'priority'"),
        ({"cisa_level": Override("act", "x", "bob")}, "cannot override 'cisa_level'"),
        ({"automatable": Override("yes", "  ", "bob")}, "needs a reason"),
        ({"automatable": Override("yes", "because", "")}, "needs an author"),
    ],
)
def test_bad_overrides_are_refused(overrides: dict[str, Override], message: str) -> None:
    with pytest.raises(SsvcError, match=message):
        assess(Evidence(), AssetContext(), overrides=overrides)


# --- the explanation as JSON --------------------------------------------------------------------


def test_assessment_json() -> None:
    asset = AssetContext(system_exposure="open", mission_impact="mef failure")
    result = assess(RCE, asset, overrides={"automatable": Override("no", "needs a VPN", "bob")})
    data = json.loads(json.dumps(result.as_json()))  # plain JSON types only
    assert list(data) == [
        "table",
        "table_name",
        "outcome_point",
        "outcome",
        "row",
        "points",
        "decisions",
        "epss",
    ]
    assert data["table_name"] == "Deployer Patch Application Priority 1.0.0"
    assert (data["outcome"], data["row"]) == ("out-of-cycle", 65)
    assert data["epss"] == {"probability": 0.9432, "percentile": 0.9991}
    assert [p["point"] for p in data["points"]] == [p.point for p in result.points]
    automatable = data["points"][2]
    assert automatable == {
        "point": "automatable",
        "name": "Automatable v2.0.0",
        "value": "no",
        "source": "override",
        "detail": "set by bob: needs a VPN",
        "override": {"value": "no", "reason": "needs a VPN", "author": "bob", "at": None},
        "automatic": {
            "point": "automatable",
            "name": "Automatable v2.0.0",
            "value": "yes",
            "source": "cvss",
            "detail": f"{V31_AUTOMATABLE_TOTAL} from nvd: AV:N/AC:L/PR:N/UI:N",
            "override": None,
            "automatic": None,
        },
    }
    assert data["decisions"][-1] == {
        "table": "deployer",
        "table_name": "Deployer Patch Application Priority 1.0.0",
        "row": 65,
        "inputs": {
            "exploitation": "active",
            "system_exposure": "open",
            "automatable": "no",
            "human_impact": "medium",
        },
        "outcome_point": "priority",
        "outcome": "out-of-cycle",
    }


def test_override_time_is_iso_8601_in_json() -> None:
    result = assess(RCE, AssetContext(), overrides={"exploitation": BY_BOB})
    data = result.as_json()
    assert data["points"][0]["override"]["at"] == "2024-03-05T09:30:00+00:00"
    assert "2024-03-05" in data["points"][0]["detail"]


def test_assessment_without_epss_shows_null() -> None:
    assert assess(Evidence(), AssetContext()).as_json()["epss"] is None


def test_every_input_of_every_decision_is_among_the_points() -> None:
    for table in ("deployer", "supplier", "cisa_coordinator", "cisa_bod_26_04"):
        result = assess(RCE, AssetContext(), table=table)
        shown = {p.point: p.value for p in result.points}
        for decision in result.decisions:
            for point, value in decision.inputs:
                assert shown[point] == value, (table, point)
        assert isinstance(result, Assessment)
        assert result.decisions[-1].table == table
        assert result.outcome in POINTS[TABLES[table].outcome]


def test_point_value_json_names_the_point() -> None:
    value = PointValue("value_density", "diffuse", "asset", "value density set on the product")
    assert value.as_json()["name"] == "Value Density v1.0.0"

"""CPE matching: NIST IR 7696 relations, the generic version ordering, NVD configurations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vulndesk.core.advisories.model import CpeConfiguration, CpeMatchCriterion, CpeNode
from vulndesk.core.ids.cpe import ANY, NA, AttributeValue
from vulndesk.core.matching.cpe_match import (
    Relation,
    compare_attribute,
    compare_names,
    compare_versions,
    cpe_disjoint,
    cpe_equal,
    cpe_subset,
    cpe_superset,
    evaluate_configurations,
    match_criterion,
    parse_generic_version,
)

SUPERSET, SUBSET, EQUAL = Relation.SUPERSET, Relation.SUBSET, Relation.EQUAL
DISJOINT, UNDEFINED = Relation.DISJOINT, Relation.UNDEFINED

# --- IR 7696 Table 6-2: every row; "i"/"k" are wildcard-free values, "m + wild cards" patterns


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        pytest.param(ANY, ANY, EQUAL, id="1 ANY vs ANY"),
        pytest.param(ANY, NA, SUPERSET, id="2 ANY vs NA"),
        pytest.param(ANY, "foo", SUPERSET, id="3 ANY vs i"),
        pytest.param(ANY, "foo*", UNDEFINED, id="4 ANY vs m+wild"),
        pytest.param(NA, ANY, SUBSET, id="5 NA vs ANY"),
        pytest.param(NA, NA, EQUAL, id="6 NA vs NA"),
        pytest.param(NA, "foo", DISJOINT, id="7 NA vs i"),
        pytest.param(NA, "foo*", UNDEFINED, id="8 NA vs m+wild"),
        pytest.param("foo", ANY, SUBSET, id="9 i vs ANY"),
        pytest.param("foo", NA, DISJOINT, id="10 i vs NA"),
        pytest.param("foo", "bar", DISJOINT, id="11 i vs k"),
        pytest.param("foo", "foo*", UNDEFINED, id="12 i vs m+wild"),
        pytest.param("foo", "foo", EQUAL, id="13 i vs i"),
        pytest.param("foo*", ANY, SUBSET, id="14 m+wild vs ANY"),
        pytest.param("foo*", NA, DISJOINT, id="15 m+wild vs NA"),
        pytest.param("foo*", "foobar", SUPERSET, id="16 m+wild vs m2 matching"),
        pytest.param("foo*", "barfoo", DISJOINT, id="17 m+wild vs m2 not matching"),
        pytest.param("foo*", "foo*", UNDEFINED, id="18 m+wild vs m+wild"),
    ],
)
def test_ir7696_table_6_2(
    source: AttributeValue, target: AttributeValue, expected: Relation
) -> None:
    assert compare_attribute(source, target) is expected


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        pytest.param("Foo", "fOO", EQUAL, id="case-insensitive"),
        pytest.param("foo*", "foo", SUPERSET, id="star matches nothing"),
        pytest.param("*bar", "foobar", SUPERSET, id="leading star"),
        pytest.param("*oob*", "foobar", SUPERSET, id="stars at both ends"),
        pytest.param("foo?", "foob", SUPERSET, id="question mark one char"),
        pytest.param("foo?", "foobar", DISJOINT, id="question mark not three chars"),
        pytest.param("foo??", "foob", SUPERSET, id="two question marks up to two chars"),
        pytest.param("?oo", "foo", SUPERSET, id="leading question mark"),
        pytest.param("??", "ab", SUPERSET, id="only question marks"),
        pytest.param("??", "abc", DISJOINT, id="only question marks too long"),
        pytest.param("8\\.*", "8\\.0\\.6001", SUPERSET, id="quoted dot then star"),
        pytest.param("1\\.*", "10", DISJOINT, id="quoted dot is literal"),
        pytest.param("a\\*", "a\\*", EQUAL, id="quoted star is a literal"),
        pytest.param("a\\*", "ab", DISJOINT, id="quoted star is no wildcard"),
        pytest.param("foo", "foo\\?", DISJOINT, id="quoted question mark in target is literal"),
        pytest.param("foo?", "foo\\?", SUPERSET, id="wildcard matches a quoted character"),
    ],
)
def test_attribute_wildcards_and_quoting(source: str, target: str, expected: Relation) -> None:
    assert compare_attribute(source, target) is expected


def test_spec_example_specific_name_is_subset_of_the_any_name() -> None:
    # IR 7696 name comparison example (also the NIST reference implementation's test)
    source = "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:sp2:*:*:*:*"
    target = "cpe:2.3:a:microsoft:internet_explorer:*:*:*:*:*:*:*:*"
    assert not cpe_disjoint(source, target)
    assert not cpe_equal(source, target)
    assert cpe_subset(source, target)
    assert not cpe_superset(source, target)
    assert cpe_superset(target, source)


def test_spec_example_formatted_string_against_uri_is_disjoint() -> None:
    source = "cpe:2.3:a:adobe:*:9.*:*:PalmOS:*:*:*:*:*"
    target = "cpe:/a::Reader:9.3.2:-:-"
    assert compare_names(source, target) == (
        EQUAL,
        SUBSET,
        SUPERSET,
        SUPERSET,
        SUPERSET,
        DISJOINT,
        EQUAL,
        EQUAL,
        EQUAL,
        EQUAL,
        EQUAL,
    )
    assert cpe_disjoint(source, target)
    assert not (cpe_equal(source, target) or cpe_subset(source, target))
    assert not cpe_superset(source, target)


def test_equal_names() -> None:
    name = "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*"
    assert cpe_equal(name, "cpe:/a:apache:log4j:2.14.1")
    assert cpe_subset(name, name) and cpe_superset(name, name)


# --- the generic version ordering


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param("2.14.1", "2.15.0", -1, id="numeric segments"),
        pytest.param("2.15.0", "10.0", -1, id="10 after 2"),
        pytest.param("V2.10", "2.9", 1, id="v prefix and 10 after 9"),
        pytest.param("v2.9", "2.9", 0, id="v prefix dropped"),
        pytest.param("1.0", "1.0.0", 0, id="trailing zeros"),
        pytest.param("05.00", "5", 0, id="leading zeros firmware"),
        pytest.param("57", "58", -1, id="single number firmware"),
        pytest.param("1.0.3a", "1.0.3", 1, id="letter suffix after release"),
        pytest.param("1.0.3a", "1.0.4", -1, id="letter suffix before next"),
        pytest.param("1.0.3a", "1.0.3b", -1, id="letter suffixes lexically"),
        pytest.param("1.0.2k", "1.0.2l", -1, id="openssl letters"),
        pytest.param("1.0-rc1", "1.0", -1, id="release candidate before release"),
        pytest.param("1.0-beta2", "1.0-rc1", -1, id="beta before rc"),
        pytest.param("1.0-rc1", "1-rc1", 0, id="zeros dropped before pre-release"),
        pytest.param("1.0-rc1", "1.0.1", -1, id="pre-release before next number"),
        pytest.param("1.0_2", "1.0.2", 0, id="separators are equal"),
        pytest.param("1.0.3a", "1.0.3.1", None, id="suffix against number undetermined"),
        pytest.param("R2", "2", None, id="word against number undetermined"),
        pytest.param("2:1.0", "1.0", None, id="unknown characters undetermined"),
        pytest.param("", "1", None, id="empty undetermined"),
        pytest.param("*", "1", None, id="star undetermined"),
    ],
)
def test_generic_version_order(a: str, b: str, expected: int | None) -> None:
    assert compare_versions(a, b) == expected
    assert compare_versions(b, a) == (None if expected is None else -expected)


_numbers = st.lists(st.integers(0, 12).map(str), min_size=1, max_size=4)
_separators = st.sampled_from([".", "-", "_"])
_pre = st.sampled_from(["", "-rc1", "-beta", "alpha2", "-dev", "-preview1", "rc2"])


@st.composite
def _plain_versions(draw: st.DrawFn) -> str:
    """Versions of numbers and pre-release words: the generic ordering is total on them."""
    numbers = draw(_numbers)
    separator = draw(_separators)
    prefix = draw(st.sampled_from(["", "v", "0"]))
    return prefix + separator.join(numbers) + draw(_pre)


@st.composite
def _any_versions(draw: st.DrawFn) -> str:
    """Versions that also carry letter suffixes, where some pairs are undetermined."""
    base = draw(_plain_versions())
    return base + draw(st.sampled_from(["", "a", "b", "k", ".1", "a.2", "-p1"]))


@given(_plain_versions(), _plain_versions(), _plain_versions())
def test_generic_order_is_a_total_order_consistent_with_equality(a: str, b: str, c: str) -> None:
    ab, bc, ac = compare_versions(a, b), compare_versions(b, c), compare_versions(a, c)
    assert ab is not None and bc is not None and ac is not None  # total
    assert compare_versions(a, a) == 0
    assert compare_versions(b, a) == -ab  # antisymmetric
    assert (ab == 0) == (parse_generic_version(a).items == parse_generic_version(b).items)
    if ab <= 0 and bc <= 0:  # transitive
        assert ac <= 0
        assert ac == (0 if ab == bc == 0 else -1)


@given(_any_versions(), _any_versions(), _any_versions())
def test_generic_order_stays_transitive_where_determined(a: str, b: str, c: str) -> None:
    ab, bc, ac = compare_versions(a, b), compare_versions(b, c), compare_versions(a, c)
    back = compare_versions(b, a)
    assert (ab is None) == (back is None) and (ab is None or back == -ab)
    if ab is not None and bc is not None and ab <= 0 and bc <= 0:
        assert ac is not None and ac <= 0


# --- NVD configurations

LOG4J = "cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*"


def config(*nodes: CpeNode, operator: str = "OR", negate: bool = False) -> CpeConfiguration:
    return CpeConfiguration(nodes=nodes, operator=operator, negate=negate)


def node(*criteria: CpeMatchCriterion, operator: str = "OR", negate: bool = False) -> CpeNode:
    return CpeNode(operator=operator, negate=negate, cpe_match=criteria)


def log4j(version: str) -> str:
    return f"cpe:2.3:a:apache:log4j:{version}:*:*:*:*:*:*:*"


LOG4SHELL = config(
    node(
        CpeMatchCriterion(
            LOG4J,
            version_start_including="2.0.1",
            version_end_excluding="2.15.0",
            match_criteria_id="03FA5E81-F9C0-403E-8A1E-2A3E7EF7A2D3",
        )
    )
)


@pytest.mark.parametrize(
    ("version", "status"),
    [
        pytest.param("2.14.1", "affected", id="inside"),
        pytest.param("2.0.1", "affected", id="at start including"),
        pytest.param("2.0.0", "not_affected", id="below start"),
        pytest.param("2.15.0", "not_affected", id="at end excluding"),
        pytest.param("2.15", "not_affected", id="at end excluding written shorter"),
        pytest.param("10.0", "not_affected", id="far above"),
        pytest.param("*", "unknown", id="version ANY against bounds"),
        pytest.param("-", "unknown", id="version NA against bounds"),
        pytest.param("2.14.*", "unknown", id="version pattern against bounds"),
        pytest.param("2.14.1a.1", "affected", id="suffix inside by numbers first"),
    ],
)
def test_simple_or_configuration(version: str, status: str) -> None:
    result = evaluate_configurations([LOG4SHELL], [log4j(version)])
    assert result.status == status, result


def test_a_finding_carries_the_criteria_bounds_and_medium_confidence() -> None:
    result = evaluate_configurations([LOG4SHELL], [log4j("2.14.1")])
    assert result.affected
    assert result.confidence == "medium"
    assert result.platform_verified
    (matched,) = result.matched
    assert matched.criteria == LOG4J
    assert matched.bounds == ">=2.0.1, <2.15.0"
    assert matched.cpe == log4j("2.14.1")
    assert matched.match_criteria_id == "03FA5E81-F9C0-403E-8A1E-2A3E7EF7A2D3"
    assert "2.0.1" in result.reason


@pytest.mark.parametrize(
    ("bound", "version", "status"),
    [
        pytest.param("version_start_including", "1.5", "affected", id="start including at bound"),
        pytest.param("version_start_excluding", "1.5", "not_affected", id="start excl at bound"),
        pytest.param("version_start_excluding", "1.5.1", "affected", id="start excl above"),
        pytest.param("version_end_including", "1.5", "affected", id="end including at bound"),
        pytest.param("version_end_including", "1.5.0.1", "not_affected", id="end incl above"),
        pytest.param("version_end_excluding", "1.5", "not_affected", id="end excluding at bound"),
        pytest.param("version_end_excluding", "1.4.99", "affected", id="end excluding below"),
    ],
)
def test_each_bound_at_its_exact_value(bound: str, version: str, status: str) -> None:
    criterion = CpeMatchCriterion(LOG4J, **{bound: "1.5"})  # type: ignore[arg-type]
    result = evaluate_configurations([config(node(criterion))], [log4j(version)])
    assert result.status == status


@pytest.mark.parametrize(
    ("criteria", "component", "status"),
    [
        pytest.param(LOG4J, log4j("*"), "affected", id="unbounded ANY matches version ANY"),
        pytest.param(log4j("2.14.1"), log4j("2.14.1"), "affected", id="exact version"),
        pytest.param(log4j("2.14.1"), log4j("2.14.2"), "not_affected", id="other exact version"),
        pytest.param(log4j("2.14.1"), log4j("*"), "unknown", id="exact criterion version ANY"),
        pytest.param(log4j("2.14.1"), log4j("-"), "not_affected", id="exact criterion NA"),
        pytest.param(log4j("-"), log4j("-"), "affected", id="NA criterion NA component"),
        pytest.param(log4j("2.*"), log4j("2.14.1"), "affected", id="criterion version pattern"),
        pytest.param(
            "cpe:2.3:a:apache:log4j:2.0:beta9:*:*:*:*:*:*",
            log4j("2.0"),
            "unknown",
            id="criterion update against update ANY",
        ),
    ],
)
def test_any_na_and_exact_versions(criteria: str, component: str, status: str) -> None:
    result = evaluate_configurations([config(node(CpeMatchCriterion(criteria)))], [component])
    assert result.status == status, result


APP = "cpe:2.3:a:example:agent:*:*:*:*:*:*:*:*"
WINDOWS = "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*"
LINUX = "cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*"
AGENT_ON_WINDOWS = config(
    node(CpeMatchCriterion(APP, version_end_excluding="3.0")),
    node(CpeMatchCriterion(WINDOWS, vulnerable=False)),
    operator="AND",
)
AGENT = "cpe:2.3:a:example:agent:2.1:*:*:*:*:*:*:*"


@pytest.mark.parametrize(
    ("platforms", "status", "verified", "confidence"),
    [
        pytest.param([WINDOWS], "affected", True, "medium", id="on windows"),
        pytest.param([LINUX], "not_affected", True, "medium", id="on linux"),
        pytest.param([LINUX, WINDOWS], "affected", True, "medium", id="on either"),
        pytest.param([], "affected", False, "low", id="no platform given"),
    ],
)
def test_and_configuration_with_a_platform(
    platforms: list[str], status: str, verified: bool, confidence: str
) -> None:
    result = evaluate_configurations([AGENT_ON_WINDOWS], [AGENT], platforms)
    assert result.status == status
    if result.affected:
        assert (result.platform_verified, result.confidence) == (verified, confidence)
        assert ("platform unverified" in result.reason) is not verified


def test_platform_given_with_unknown_version_is_undetermined() -> None:
    windows_any = "cpe:2.3:o:microsoft:windows:*:*:*:*:*:*:*:*"
    result = evaluate_configurations([AGENT_ON_WINDOWS], [AGENT], [windows_any])
    assert result.status == "unknown"
    assert any(p.startswith(f"platform {WINDOWS}") for p in result.problems), result.problems


def test_hardware_condition_met_by_the_component_own_cpe() -> None:
    firmware = "cpe:2.3:o:siemens:simatic_s7-1200_firmware:*:*:*:*:*:*:*:*"
    hardware = "cpe:2.3:h:siemens:simatic_s7-1200:-:*:*:*:*:*:*:*"
    configuration = config(
        node(CpeMatchCriterion(firmware, version_end_excluding="4.5")),
        node(CpeMatchCriterion(hardware, vulnerable=False)),
        operator="AND",
    )
    device = ["cpe:2.3:o:siemens:simatic_s7-1200_firmware:4.4:*:*:*:*:*:*:*", hardware]
    result = evaluate_configurations([configuration], device)
    assert result.affected and result.platform_verified
    assert [m.criteria for m in result.matched] == [firmware]


@pytest.mark.parametrize(
    ("version", "status"),
    [
        pytest.param("1.4", "affected", id="not the excluded version"),
        pytest.param("1.5", "not_affected", id="the excluded version"),
    ],
)
def test_negated_node_excludes(version: str, status: str) -> None:
    configuration = config(
        node(CpeMatchCriterion(APP)),
        node(CpeMatchCriterion("cpe:2.3:a:example:agent:1.5:*:*:*:*:*:*:*"), negate=True),
        operator="AND",
    )
    component = f"cpe:2.3:a:example:agent:{version}:*:*:*:*:*:*:*"
    assert evaluate_configurations([configuration], [component]).status == status


def test_a_negated_node_alone_never_makes_a_finding() -> None:
    other = "cpe:2.3:a:example:other:*:*:*:*:*:*:*:*"
    configuration = config(node(CpeMatchCriterion(other), negate=True))
    assert evaluate_configurations([configuration], [AGENT]).status == "not_affected"


def test_negated_configuration() -> None:
    configuration = config(node(CpeMatchCriterion(APP)), negate=True)
    assert evaluate_configurations([configuration], [AGENT]).status == "not_affected"


@pytest.mark.parametrize(
    "configuration",
    [
        pytest.param(config(node(CpeMatchCriterion(APP, vulnerable=False))), id="or node"),
        pytest.param(
            config(
                node(CpeMatchCriterion(APP, vulnerable=False)),
                node(CpeMatchCriterion(WINDOWS, vulnerable=False)),
                operator="AND",
            ),
            id="and configuration",
        ),
    ],
)
def test_platform_only_criteria_never_match(configuration: CpeConfiguration) -> None:
    for platforms in ([], [WINDOWS]):
        result = evaluate_configurations([configuration], [AGENT], platforms)
        assert result.status == "not_affected"


def test_a_vulnerable_criterion_met_only_by_a_platform_cpe_is_no_finding() -> None:
    result = evaluate_configurations([LOG4SHELL], [AGENT], [log4j("2.14.1")])
    assert result.status == "not_affected"


MYSQL = config(
    node(
        CpeMatchCriterion("cpe:2.3:a:oracle:mysql:*:*:*:*:*:*:*:*", version_end_including="8.0.30")
    )
)


@pytest.mark.parametrize(
    ("configuration", "component"),
    [
        pytest.param(MYSQL, "cpe:2.3:a:*:mysql:1.5.0:*:*:*:*:*:*:*", id="component vendor ANY"),
        pytest.param(MYSQL, "cpe:2.3:a:-:mysql:1.5.0:*:*:*:*:*:*:*", id="component vendor NA"),
        pytest.param(MYSQL, "cpe:2.3:a:go-sql-driver:mysql:1.5.0:*:*:*:*:*:*:*", id="other vendor"),
        pytest.param(MYSQL, "cpe:2.3:a:oracle:*:1.5.0:*:*:*:*:*:*:*", id="component product ANY"),
        pytest.param(
            config(node(CpeMatchCriterion("cpe:2.3:a:*:mysql:*:*:*:*:*:*:*:*"))),
            "cpe:2.3:a:go-sql-driver:mysql:1.5.0:*:*:*:*:*:*:*",
            id="criterion vendor ANY",
        ),
    ],
)
def test_dependency_track_3063_name_collisions_do_not_match(
    configuration: CpeConfiguration, component: str
) -> None:
    result = evaluate_configurations([configuration], [component])
    assert result.status == "not_affected"


def test_vendor_any_component_says_why() -> None:
    result = evaluate_configurations([MYSQL], ["cpe:2.3:a:*:mysql:1.5.0:*:*:*:*:*:*:*"])
    assert "vendor" in result.reason and any("vendor is ANY" in p for p in result.problems)


def test_a_criterion_may_narrow_the_target_platform() -> None:
    criterion = CpeMatchCriterion("cpe:2.3:a:jenkins:git:*:*:*:*:*:jenkins:*:*")
    found = match_criterion(criterion, "cpe:2.3:a:jenkins:git:4.0:*:*:*:*:*:*:*")
    assert found.outcome == "match"


def test_uncomparable_bound_is_undetermined_never_a_match() -> None:
    criterion = CpeMatchCriterion(APP, version_end_excluding="1.0.3.1")
    result = evaluate_configurations(
        [config(node(criterion))], ["cpe:2.3:a:example:agent:1.0.3a:*:*:*:*:*:*:*"]
    )
    assert result.status == "unknown"
    assert any("cannot be ordered" in p for p in result.problems)


def test_any_configuration_is_enough() -> None:
    other = config(node(CpeMatchCriterion("cpe:2.3:a:example:other:*:*:*:*:*:*:*:*")))
    result = evaluate_configurations([other, LOG4SHELL], [AGENT, log4j("2.14.1")])
    assert result.affected and len(result.matched) == 1


def test_bad_cpes_are_reported_not_raised() -> None:
    bad = config(node(CpeMatchCriterion("cpe:2.3:a:broken")))
    result = evaluate_configurations([bad], ["not a cpe", AGENT])
    assert result.status == "unknown"
    assert any("not a cpe" in p for p in result.problems)

"""Maven ComparableVersion ordering: Maven's own test vectors, univers, and the total order."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from univers.maven import Version as UniversMavenVersion

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.maven import MAVEN

# maven-artifact ComparableVersionTest: VERSIONS_QUALIFIER and VERSIONS_NUMBER, each in order.
VERSIONS_QUALIFIER = [
    "1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11",
    "1-rc", "1-cr2", "1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc", "1-def",
    "1-pom-1", "1-1-snapshot", "1-1", "1-2", "1-123",
]  # fmt: skip
VERSIONS_NUMBER = [
    "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
    "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11",
    "11.a", "11b", "11c", "11m",
]  # fmt: skip


@pytest.mark.parametrize(
    "ordered", [VERSIONS_QUALIFIER, VERSIONS_NUMBER], ids=["qualifiers", "numbers"]
)
def test_upstream_orders(ordered: list[str]) -> None:
    keys = [MAVEN.key(v) for v in ordered]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


# ComparableVersionTest.testVersionsEqual, and the MNG issues named in the ids.
EQUAL = [
    ("1", "1.0"), ("1", "1.0.0"), ("1.0", "1.0.0"), ("1", "1-0"), ("1", "1.0-0"),
    ("1.0", "1.0-0"), ("1a", "1-a"), ("1a", "1.0-a"), ("1a", "1.0.0-a"), ("1.0a", "1-a"),
    ("1.0.0a", "1-a"), ("1x", "1-x"), ("1x", "1.0-x"), ("1x", "1.0.0-x"), ("1.0x", "1-x"),
    ("1.0.0x", "1-x"), ("1cr", "1rc"), ("1a1", "1-alpha-1"), ("1b2", "1-beta-2"),
    ("1m3", "1-milestone-3"), ("1X", "1x"), ("1A", "1a"), ("1ga", "1"), ("1release", "1"),
    ("1final", "1"), ("1GA", "1"), ("1RELEASE", "1"), ("1CR", "1RC"),
    ("2-abc", "2.0.abc"), ("2-abc", "2.0.0.abc"), ("2.0.RC", "2.0.0.RC"),
    ("1.0.0.RELEASE", "1"), ("2.0.0.Final", "2"), ("5.3.0.M1", "5.3-milestone-1"),
]  # fmt: skip


@pytest.mark.parametrize(("a", "b"), EQUAL, ids=[f"{a}=={b}" for a, b in EQUAL])
def test_equal(a: str, b: str) -> None:
    assert MAVEN.compare(a, b) == 0
    assert MAVEN.key(a) == MAVEN.key(b)


LESS = [
    ("6.1.0rc3", "6.1.0"),
    ("6.1.0rc3", "6.1H.5-beta"),
    ("6.1.0", "6.1H.5-beta"),
    ("1-0.alpha", "1"),
    ("1-0.beta", "1"),
    ("1-0.alpha", "1-0.beta"),
    ("1.0.0.abc1", "1.0.0-abc2"),
    ("1.0.0.RC1", "1.0.0-RC2"),
    ("1.0.0.a1", "1.0.0-a2"),
    ("1.0-SNAPSHOT", "1.0"),
    ("1.0", "1.0-sp1"),
    ("1.0-sp1", "1.0-redhat-1"),
    ("1.0.0.20190126230843", "1.0.1"),
    ("1.0.9999999999", "1.0.10000000000"),
    ("2.9", "2.10"),
]
LESS_IDS = [
    "MNG-5568-rc-before-release",
    "MNG-5568-rc-before-odd",
    "MNG-5568-release-before-odd",
    "MNG-6964-alpha-list",
    "MNG-6964-beta-list",
    "MNG-6964-alpha-before-beta",
    "MNG-7644-dot-qualifier",
    "MNG-7644-dot-rc",
    "MNG-7644-dot-a",
    "snapshot-before-release",
    "sp-after-release",
    "unknown-after-sp",
    "big-number",
    "biginteger",
    "numeric-not-lexical",
]


@pytest.mark.parametrize(("a", "b"), LESS, ids=LESS_IDS)
def test_less(a: str, b: str) -> None:
    assert MAVEN.compare(a, b) == -1
    assert MAVEN.compare(b, a) == 1


def test_intransitive_maven_case_is_made_total() -> None:
    # ComparableVersion: 1-alpha < 1 < 1.sp.1 but 1.sp.1 < 1-alpha (a qualifier item directly
    # in a list sorts below any list item). The key keeps the two comparisons against "1".
    assert MAVEN.compare("1-alpha", "1") == -1
    assert MAVEN.compare("1", "1.sp.1") == -1
    assert MAVEN.compare("1-alpha", "1.sp.1") == -1


@pytest.mark.parametrize(
    "version",
    ["", " 1.0", "1.0 beta", "1.0/2", "${project.version}:x", "1.0?"],
    ids=["empty", "leading-space", "inner-space", "slash", "colon", "question-mark"],
)
def test_invalid(version: str) -> None:
    with pytest.raises(InvalidVersion, match="maven"):
        MAVEN.key(version)


_number = st.sampled_from(["0", "1", "2", "10", "01"])
_QUALIFIERS = ["alpha", "beta", "milestone", "rc", "cr", "snapshot", "SNAPSHOT", "ga", "final",
               "Final", "sp", "a", "b", "m", "foo", "redhat", "RC"]  # fmt: skip
_qualifier = st.sampled_from(_QUALIFIERS)
_numbers = st.lists(_number, min_size=1, max_size=4).map(".".join)
# "release" is left out: univers does not know it as an alias of "" (see DISAGREEMENTS)
maven_dash_qualified = st.builds(
    lambda numbers, tail: numbers + tail,
    _numbers,
    st.one_of(
        st.just(""),
        st.builds(
            lambda q, n, more: f"-{q}{n}{more}",
            _qualifier,
            st.sampled_from(["", "1", "2", "10"]),
            st.sampled_from(["", "-1", "-2", "-SNAPSHOT"]),
        ),
        st.sampled_from(["-1", "-2", "-10"]),
    ),
)
maven_any = st.lists(
    st.one_of(_number, _qualifier, st.just("release")), min_size=1, max_size=5
).flatmap(
    lambda items: st.lists(
        st.sampled_from([".", "-", ""]), min_size=len(items), max_size=len(items)
    ).map(lambda seps: items[0] + "".join(s + i for s, i in zip(seps[1:], items[1:], strict=True)))
)


@settings(max_examples=300, deadline=None)
@given(maven_dash_qualified, maven_dash_qualified, maven_dash_qualified)
def test_total_order_and_agrees_with_univers(assert_total_order, a: str, b: str, c: str) -> None:
    assert_total_order(MAVEN, a, b, c)
    ua, ub = UniversMavenVersion(a), UniversMavenVersion(b)
    assert MAVEN.compare(a, b) == (ua > ub) - (ua < ub)


@settings(max_examples=300, deadline=None)
@given(maven_any, maven_any, maven_any)
def test_total_order_on_any_shape(assert_total_order, a: str, b: str, c: str) -> None:
    assert_total_order(MAVEN, a, b, c)


# univers.maven is a port of an older ComparableVersion (before MNG-6964 and MNG-7644, without
# the "release" alias); we follow Maven 3.9. (a, b, ours, univers', why)
DISAGREEMENTS = [
    ("1.0.0.RELEASE", "1.0.0", 0, 1, "'release' is an alias of the release qualifier"),
    ("2.0.foo", "2-foo", 0, 1, "MNG-7644: '.X' is treated as '-X' for any qualifier X"),
    ("1.snapshot", "1-alpha1", 1, -1, "MNG-7644: '1.snapshot' is '1-snapshot'"),
    ("1.0.0.RC1", "1.0.0-RC2", -1, 1, "MNG-7644: 1.0.0.X1 < 1.0.0-X2"),
    ("1-0.alpha", "1", -1, 0, "MNG-6964: a list compares all its items against null"),
]


@pytest.mark.parametrize(
    ("a", "b", "ours", "theirs"),
    [d[:4] for d in DISAGREEMENTS],
    ids=[d[4] for d in DISAGREEMENTS],
)
def test_known_disagreements_with_univers(a: str, b: str, ours: int, theirs: int) -> None:
    ua, ub = UniversMavenVersion(a), UniversMavenVersion(b)
    assert MAVEN.compare(a, b) == ours
    assert (ua > ub) - (ua < ub) == theirs

"""RubyGems ``Gem::Version`` ordering, checked against rubygems' test vectors and univers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from univers.gem import GemVersion

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.rubygems import RUBYGEMS

# rubygems test/rubygems/test_gem_version.rb test_spaceship / test_semver, and prereleases
COMPARE = [
    ("1.0", "1.0.0", 0),
    ("1.0", "1.0.a", 1),
    ("1.8.2", "0.0.0", 1),
    ("1.8.2", "1.8.2.a", 1),
    ("1.8.2.b", "1.8.2.a", 1),
    ("1.8.2.a", "1.8.2", -1),
    ("1.8.2.a10", "1.8.2.a9", 1),
    ("", "0", 0),
    ("0.beta.1", "0.0.beta.1", 0),
    ("0.0.beta", "0.0.beta.1", -1),
    ("0.0.beta", "0.beta.1", -1),
    ("5.a", "5.0.0.rc2", -1),
    ("5.x", "5.0.0.rc2", 1),
    ("1.0.0-alpha", "1.0.0-alpha.1", -1),
    ("1.0.0-alpha.1", "1.0.0-beta.2", -1),
    ("1.0.0-beta.2", "1.0.0-beta.11", -1),
    ("1.0.0-beta.11", "1.0.0-rc.1", -1),
    ("1.0.0-rc1", "1.0.0", -1),
    ("1.0.0-1", "1", -1),
    ("1.0-1", "1.0.pre.1", 0),
    ("1.0.B", "1.0.a", -1),
    ("1.a.0.b", "1.a", -1),
]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [c for c in COMPARE if c[0]],
    ids=[f"{a}<=>{b}" for a, b, _ in COMPARE if a],
)
def test_compare(a: str, b: str, expected: int) -> None:
    assert RUBYGEMS.compare(a, b) == expected


@pytest.mark.parametrize(
    "version",
    [
        "",
        "   ",
        "junk",
        "1.0\n2.0",
        "1..2",
        "1.2\\ 3.4",
        "2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.",
    ],
    ids=[
        "empty-is-rejected",
        "blank",
        "junk",
        "newline",
        "double-dot",
        "backslash",
        "trailing-dot",
    ],
)
def test_invalid(version: str) -> None:
    with pytest.raises(InvalidVersion, match="gem"):
        RUBYGEMS.key(version)


gem_versions = st.builds(
    lambda release, pre, dash: release + pre + dash,
    st.lists(st.sampled_from(["0", "1", "2", "10"]), min_size=1, max_size=4).map(".".join),
    st.lists(st.sampled_from(["a", "b", "rc", "pre", "beta", "0", "1", "2", "B"]), max_size=3).map(
        lambda segs: "".join("." + s for s in segs)
    ),
    st.sampled_from(["", "", "-1", "-beta", "-rc.2"]),
)


@settings(max_examples=300, deadline=None)
@given(gem_versions, gem_versions, gem_versions)
def test_total_order_and_agrees_with_univers(assert_total_order, a: str, b: str, c: str) -> None:
    assert_total_order(RUBYGEMS, a, b, c)
    ga, gb = GemVersion(a), GemVersion(b)
    assert RUBYGEMS.compare(a, b) == (ga > gb) - (ga < gb)

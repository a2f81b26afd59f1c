"""Go module versions and Go toolchain tags."""

from __future__ import annotations

import pytest
import semver
from hypothesis import given, settings
from hypothesis import strategies as st

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.golang import GOLANG

# The three pseudo-version forms of https://go.dev/ref/mod#pseudo-versions, around their bases.
ORDERED = [
    "v0.0.0-20160722212129-ac0cc4484ad4",
    "v0.0.0-20190802080134-634605d06e73",
    "v0.1.0",
    "v1.2.3-pre",
    "v1.2.3-pre.0.20200101000000-abcdefabcdef",
    "v1.2.3",
    "v1.2.4-0.20200101000000-abcdefabcdef",
    "v1.2.4",
    "v2.0.0-rc.1+incompatible",
    "v2.0.0+incompatible",
    "v2.0.2-0.20190802080134-634605d06e73+incompatible",
    "v2.0.2",
]


def test_pseudo_versions_order_as_prereleases() -> None:
    keys = [GOLANG.key(v) for v in ORDERED]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("v1.2.3", "1.2.3", 0),
        ("0.0.0-20160722212129-ac0cc4484ad4", "v0.0.0-20160722212129-ac0cc4484ad4", 0),
        ("v4.2.0+incompatible", "v4.2.0", 0),
        ("v1", "v1.0.0", 0),
        ("v1.2", "v1.2.0", 0),
        ("go1.21.3", "1.21.3", 0),
        ("go1.21", "1.21.0", 0),
        ("go1", "1.0.0", 0),
        ("go1.21rc2", "1.21.0-rc.2", 0),
        ("1.21rc2", "go1.21rc2", 0),
        ("go1.21rc1", "go1.21.0", -1),
        ("go1.21rc1", "go1.21rc2", -1),
        ("go1.21beta1", "go1.21rc1", -1),
        ("go1.9.2rc2", "go1.9.2", -1),
        ("go1.20.14", "go1.21rc1", -1),
        ("go1.21.10", "go1.21.9", 1),
    ],
    ids=[
        "v-prefix-optional",
        "pseudo-version-v-optional",
        "incompatible-is-build-metadata",
        "shorthand-major",
        "shorthand-minor",
        "toolchain-patch",
        "toolchain-bare-is-dot-zero",
        "go1",
        "toolchain-rc-as-semver",
        "toolchain-go-prefix-optional",
        "rc-before-release",
        "rc-numbers",
        "beta-before-rc",
        "point-release-rc",
        "older-minor",
        "patch-numeric",
    ],
)
def test_compare(a: str, b: str, expected: int) -> None:
    assert GOLANG.compare(a, b) == expected


@pytest.mark.parametrize(
    "version",
    ["", "v1.02.3", "v1.2.3-01", "v1-pre", "v1.2-pre", "1.2.3.4", "V1.2.3", "go1.21.3rc1x", "vgo1"],
    ids=[
        "empty",
        "leading-zero",
        "leading-zero-prerelease",
        "shorthand-with-prerelease",
        "shorthand-minor-with-prerelease",
        "four-numbers",
        "capital-v",
        "garbage-after-tag",
        "v-and-go",
    ],
)
def test_invalid(version: str) -> None:
    with pytest.raises(InvalidVersion, match="golang"):
        GOLANG.key(version)


_n = st.integers(0, 3).map(str)
_timestamp = st.sampled_from(["20160722212129", "20190802080134", "20200101000000"])
_hash = st.sampled_from(["ac0cc4484ad4", "634605d06e73", "abcdefabcdef"])
go_module_versions = st.one_of(
    st.builds(lambda a, b, c: f"{a}.{b}.{c}", _n, _n, _n),
    st.builds(
        lambda a, b, c, pre: f"{a}.{b}.{c}-{pre}",
        _n,
        _n,
        _n,
        st.sampled_from(["rc.1", "pre", "beta.2"]),
    ),
    st.builds(lambda a, b, c, t, h: f"{a}.{b}.{c}-0.{t}-{h}", _n, _n, _n, _timestamp, _hash),
    st.builds(lambda t, h: f"0.0.0-{t}-{h}", _timestamp, _hash),
    st.builds(lambda a, b, c, t, h: f"{a}.{b}.{c}-pre.0.{t}-{h}", _n, _n, _n, _timestamp, _hash),
).flatmap(
    lambda v: st.tuples(st.sampled_from(["", "v"]), st.sampled_from(["", "+incompatible"])).map(
        lambda extra: extra[0] + v + extra[1]
    )
)


@settings(max_examples=300, deadline=None)
@given(go_module_versions, go_module_versions, go_module_versions)
def test_total_order_and_agrees_with_semver_library(
    assert_total_order, a: str, b: str, c: str
) -> None:
    assert_total_order(GOLANG, a, b, c)
    reference = semver.Version.parse(a.removeprefix("v")).compare(b.removeprefix("v"))
    assert GOLANG.compare(a, b) == reference


toolchain = st.builds(
    lambda minor, patch, pre: f"go1.{minor}" + patch + pre,
    st.integers(18, 22),
    st.sampled_from(["", ".0", ".1", ".10"]),
    st.sampled_from(["", "rc1", "rc2", "beta1"]),
)


@settings(max_examples=200, deadline=None)
@given(toolchain, toolchain, toolchain)
def test_total_order_toolchain(assert_total_order, a: str, b: str, c: str) -> None:
    assert_total_order(GOLANG, a, b, c)

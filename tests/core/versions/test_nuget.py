"""NuGet ordering (NuGet.Versioning VersionComparer), checked against univers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from univers.nuget import Version as UniversNugetVersion

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.nuget import NUGET

ORDERED = [
    "1.0.0-alpha",
    "1.0.0-Alpha.1",
    "1.0.0-alpha.2",
    "1.0.0-alpha.10",
    "1.0.0-alpha.beta",
    "1.0.0-beta01",
    "1.0.0-BETA02",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.0.1",
    "1.0.0.10",
    "1.0.1-beta",
    "1.0.1",
    "1.1",
    "2.0.0.0",
]


def test_order() -> None:
    keys = [NUGET.key(v) for v in ORDERED]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1.0", "1.0.0.0", 0),
        ("1", "1.0.0", 0),
        ("1.01.1", "1.1.1", 0),
        ("1.0.0-BETA", "1.0.0-beta", 0),
        ("1.0.0+metadata", "1.0.0", 0),
        ("1.0.0-rc.1+build.5", "1.0.0-RC.1", 0),
        ("1.0.0.0-beta", "1.0.0-beta", 0),
        (" 1.0.0 ", "1.0.0", 0),
        ("1.0.0-2", "1.0.0-10", -1),
        ("1.0.0-99", "1.0.0-a", -1),
        ("1.0.0-2147483648", "1.0.0-3", 1),
        ("1.0.0.1-beta", "1.0.0.1", -1),
        ("1.0.0.1-beta", "1.0.0", 1),
    ],
    ids=[
        "two-parts-is-four",
        "one-part",
        "leading-zeros",
        "label-case-insensitive",
        "metadata-ignored",
        "metadata-ignored-prerelease",
        "explicit-zero-revision",
        "whitespace-trimmed",
        "numeric-labels-numerically",
        "numeric-label-before-alpha",
        "beyond-int32-is-not-numeric",
        "revision-prerelease-before-release",
        "revision-beats-lower-release",
    ],
)
def test_compare(a: str, b: str, expected: int) -> None:
    assert NUGET.compare(a, b) == expected


@pytest.mark.parametrize(
    "version",
    ["", "1.0.0.0.0", "v1.0.0", "1.0.0-", "1.0.0-beta..1", "1.0.0+", "1.0.0-beta_1",
     "2147483648.0"],
    ids=["empty", "five-parts", "v-prefix", "empty-label", "empty-identifier", "empty-metadata",
         "underscore", "beyond-int32"],
)  # fmt: skip
def test_invalid(version: str) -> None:
    with pytest.raises(InvalidVersion, match="nuget"):
        NUGET.key(version)


_n = st.sampled_from(["0", "1", "2", "10"])
nuget_versions = st.builds(
    lambda numbers, label, meta: numbers + label + meta,
    st.lists(_n, min_size=3, max_size=4).map(".".join),
    st.one_of(
        st.just(""),
        st.lists(
            st.sampled_from(["alpha", "Alpha", "BETA", "beta", "rc", "1", "2", "10", "beta01"]),
            min_size=1,
            max_size=3,
        ).map(lambda ids: "-" + ".".join(ids)),
    ),
    st.sampled_from(["", "+sha.1234", "+Build"]),
)


@settings(max_examples=300, deadline=None)
@given(nuget_versions, nuget_versions, nuget_versions)
def test_total_order_and_agrees_with_univers(assert_total_order, a: str, b: str, c: str) -> None:
    assert_total_order(NUGET, a, b, c)
    ua, ub = UniversNugetVersion.from_string(a), UniversNugetVersion.from_string(b)
    assert NUGET.compare(a, b) == (ua > ub) - (ua < ub)

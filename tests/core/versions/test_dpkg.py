"""Debian dpkg ordering, checked against python-debian's ``debian_support.Version``."""

from __future__ import annotations

import pytest
from debian.debian_support import Version as DebianVersion
from hypothesis import given, settings
from hypothesis import strategies as st

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.dpkg import DPKG

# Debian Policy §5.6.12 and dpkg's t/version.t style cases, in order
ORDERED = [
    "1.0~~",
    "1.0~~a",
    "1.0~",
    "1.0~rc1",
    "1.0",
    "1.0-0.1",
    "1.0-1~bpo1",
    "1.0-1",
    "1.0-1+b1",
    "1.0-1.1",
    "1.0a",
    "1.0+dfsg",
    "1.0.1",
    "1.2",
    "1.10",
    "1:0.1",
    "2:0.0.1",
]


def test_order() -> None:
    keys = [DPKG.key(v) for v in ORDERED]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1.0", "1.0-0", 0),
        ("0:1.0", "1.0", 0),
        ("1.01", "1.1", 0),
        ("1.0-1", "1.0-01", 0),
        ("1.0", "1.0.0", -1),
        ("1.0~rc1", "1.0", -1),
        ("1.0a", "1.0+", -1),
        ("1.0", "1.0a", -1),
        ("1:1.0", "2.0", 1),
        ("2.30-1ubuntu1", "2.30-1ubuntu1.1", -1),
        ("1.2.3-4-5", "1.2.3-4", 1),
        ("1:2:3-1", "1:2:3-0", 1),
    ],
    ids=[
        "no-revision-is-zero",
        "explicit-zero-epoch",
        "numeric-leading-zero",
        "revision-leading-zero",
        "trailing-zero-significant",
        "tilde-before-end",
        "letters-before-symbols",
        "end-before-letter",
        "epoch-wins",
        "ubuntu-revision",
        "hyphen-in-upstream",
        "colon-in-upstream-with-epoch",
    ],
)
def test_compare(a: str, b: str, expected: int) -> None:
    assert DPKG.compare(a, b) == expected


@pytest.mark.parametrize(
    "version",
    ["", "a1.0", "1.0-", "1.0_1", "1.0-1_2", ":1.0", "a:1.0", "1.0:2", "1.0 1"],
    ids=[
        "empty",
        "starts-with-letter",
        "empty-revision",
        "underscore",
        "underscore-revision",
        "empty-epoch",
        "letter-epoch",
        "colon-without-epoch",
        "space",
    ],
)
def test_invalid(version: str) -> None:
    with pytest.raises(InvalidVersion, match="deb"):
        DPKG.key(version)


_upstream = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(["0", "1", "2", "10", "01"]),
    st.text(".+~ab0129Z", max_size=7),
)
_revision = st.text(".+~ab019", min_size=1, max_size=5)
deb_versions = st.builds(
    lambda epoch, upstream, revision: epoch + upstream + revision,
    st.sampled_from(["", "", "0:", "1:"]),
    _upstream,
    st.one_of(st.just(""), _revision.map(lambda r: "-" + r)),
)


@settings(max_examples=300, deadline=None)
@given(deb_versions, deb_versions, deb_versions)
def test_total_order_and_agrees_with_python_debian(
    assert_total_order, a: str, b: str, c: str
) -> None:
    assert_total_order(DPKG, a, b, c)
    da, db = DebianVersion(a), DebianVersion(b)
    assert DPKG.compare(a, b) == (da > db) - (da < db)

"""SemVer 2.0.0 ordering, checked against semver.org's examples and the ``semver`` library."""

from __future__ import annotations

import pytest
import semver
from hypothesis import given, settings
from hypothesis import strategies as st

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.semver import SEMVER

# semver.org §11.4 example, in order
SPEC_ORDER = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "2.0.0",
    "2.1.0",
    "2.1.1",
]


def test_spec_precedence_example() -> None:
    keys = [SEMVER.key(v) for v in SPEC_ORDER]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1.0.0+build.1", "1.0.0+build.2", 0),
        ("1.0.0-rc.1+build.1", "1.0.0-rc.1", 0),
        ("v1.2.3", "1.2.3", 0),
        ("1.2", "1.2.0", 0),
        ("1", "1.0.0", 0),
        ("1.02.003", "1.2.3", 0),
        ("1.0.0-01", "1.0.0-1", 0),
        ("1.0.0-1", "1.0.0-a", -1),
        ("1.0.0-2", "1.0.0-10", -1),
        ("1.0.0-a10", "1.0.0-a2", -1),
        ("1.0.0-Z", "1.0.0-a", -1),
        ("1.0.0-alpha-1", "1.0.0-alpha.1", 1),
        ("1.9.0", "1.10.0", -1),
        ("1.2-beta", "1.2.0-beta", 0),
        ("2.0.0+incompatible", "2.0.0", 0),
    ],
    ids=[
        "build-ignored",
        "build-ignored-on-prerelease",
        "leading-v",
        "padded-patch",
        "padded-minor-patch",
        "leading-zeros",
        "leading-zero-prerelease",
        "numeric-before-alnum",
        "numeric-identifiers-numerically",
        "alnum-identifiers-lexically",
        "ascii-uppercase-first",
        "hyphen-inside-identifier",
        "minor-numeric",
        "short-with-prerelease",
        "plus-incompatible-is-build",
    ],
)
def test_compare(a: str, b: str, expected: int) -> None:
    assert SEMVER.compare(a, b) == expected


@pytest.mark.parametrize(
    "version",
    ["", "v", "1.2.3.4", "1.2.3-", "1.2.3-a..b", "1.2.3+", "1.2.3_beta", " 1.2.3", "V1.2.3", "x"],
    ids=[
        "empty",
        "only-v",
        "four-numbers",
        "empty-prerelease",
        "empty-identifier",
        "empty-build",
        "underscore",
        "whitespace",
        "capital-v",
        "letters",
    ],
)
def test_invalid(version: str) -> None:
    with pytest.raises(InvalidVersion, match="semver"):
        SEMVER.key(version)


_numbers = st.integers(0, 12)
_identifiers = st.one_of(
    st.integers(0, 30).map(str),
    st.text("abcABZz-0123456789", min_size=1, max_size=5).filter(lambda s: not s.isdigit()),
)
strict_semver = st.builds(
    lambda core, pre, build: (
        "{}.{}.{}".format(*core)
        + (f"-{'.'.join(pre)}" if pre else "")
        + (f"+{'.'.join(build)}" if build else "")
    ),
    st.tuples(_numbers, _numbers, _numbers),
    st.lists(_identifiers, max_size=3),
    st.lists(st.text("abc01", min_size=1, max_size=3), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(strict_semver, strict_semver, strict_semver)
def test_total_order_and_agrees_with_semver_library(
    assert_total_order, a: str, b: str, c: str
) -> None:
    assert_total_order(SEMVER, a, b, c)
    assert SEMVER.compare(a, b) == semver.Version.parse(a).compare(semver.Version.parse(b))


lenient_semver = st.builds(
    lambda v, parts, pre: v + ".".join(parts) + (f"-{pre}" if pre else ""),
    st.sampled_from(["", "v"]),
    st.lists(st.sampled_from(["0", "1", "01", "2", "10"]), min_size=1, max_size=3),
    st.sampled_from(["", "rc.1", "rc.01", "beta", "0"]),
)


@settings(max_examples=200, deadline=None)
@given(lenient_semver, lenient_semver, lenient_semver)
def test_total_order_lenient(assert_total_order, a: str, b: str, c: str) -> None:
    assert_total_order(SEMVER, a, b, c)

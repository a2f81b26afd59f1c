"""Packagist (Composer) ordering: composer/semver's normalisation and PHP version_compare."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from univers.versions import ComposerVersion

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.composer import COMPOSER, normalize

# composer/semver tests/VersionParserTest.php successfulNormalizedVersions (input, normalised)
NORMALIZED = {
    "none": ("1.0.0", "1.0.0.0"),
    "none/2": ("1.2.3.4", "1.2.3.4"),
    "parses state": ("1.0.0RC1dev", "1.0.0.0-RC1-dev"),
    "CI parsing": ("1.0.0-rC15-dev", "1.0.0.0-RC15-dev"),
    "delimiters": ("1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"),
    "RC uppercase": ("1.0.0-rc1", "1.0.0.0-RC1"),
    "patch replace": ("1.0.0.pl3-dev", "1.0.0.0-patch3-dev"),
    "forces w.x.y.z": ("1.0-dev", "1.0.0.0-dev"),
    "forces w.x.y.z/2": ("0", "0.0.0.0"),
    "parses long": ("10.4.13-beta", "10.4.13.0-beta"),
    "parses long/2": ("10.4.13beta2", "10.4.13.0-beta2"),
    "parses long/semver": ("10.4.13-beta.2", "10.4.13.0-beta2"),
    "expand shorthand": ("10.4.13-b", "10.4.13.0-beta"),
    "expand shorthand/2": ("10.4.13-b5", "10.4.13.0-beta5"),
    "strips leading v": ("v1.0.0", "1.0.0.0"),
    "parses dates y-m as classical": ("2010.01", "2010.01.0.0"),
    "parses dates w/ . as classical": ("2010.01.02", "2010.01.02.0"),
    "parses dates y.m.Y as classical": ("2010.1.555", "2010.1.555.0"),
    "parses dates y.m.Y/2 as classical": ("2010.10.200", "2010.10.200.0"),
    "strips v/datetime": ("v20100102", "20100102"),
    "parses dates w/ -": ("2010-01-02", "2010.01.02"),
    "parses numbers": ("2010-01-02.5", "2010.01.02.5"),
    "parses datetime": ("20100102-203040", "20100102.203040"),
    "parses dt+number": ("20100102203040-10", "20100102203040.10"),
    "parses dt+patch": ("20100102-203040-p1", "20100102.203040-patch1"),
    "parses dt Ym": ("201903.0", "201903.0"),
    "parses dt Ym+patch": ("201903.0-p2", "201903.0-patch2"),
    "parses branches": ("1.x-dev", "1.9999999.9999999.9999999-dev"),
    "semver metadata": ("1.0.0+foo", "1.0.0.0"),
    "semver metadata/2": ("1.0.0-alpha.3.1+foo", "1.0.0.0-alpha3.1"),
    "metadata w/ alias": ("1.0.0+foo as 2.0", "1.0.0.0"),
    "keep zero-padding": ("00.01.03.04", "00.01.03.04"),
    "keep zero-padding/4": ("0700", "0700.0.0.0"),
    "keep zero-padding/5": ("041.x-dev", "041.9999999.9999999.9999999-dev"),
    "space padding": (" 1.0.0", "1.0.0.0"),
    "space padding/2": ("1.0.0 ", "1.0.0.0"),
    "stability flag": ("1.0.0@beta", "1.0.0.0"),
}


@pytest.mark.parametrize(("version", "expected"), NORMALIZED.values(), ids=NORMALIZED.keys())
def test_normalize_upstream_cases(version: str, expected: str) -> None:
    assert normalize(version) == expected


ORDERED = [
    "1.0.0-dev",
    "1.0.0-alpha1",
    "1.0.0-a2",
    "1.0.0-alpha10",
    "1.0.0-beta1-dev",
    "1.0.0-beta1",
    "1.0.0-RC1",
    "1.0.0-rc2",
    "1.0.0",
    "1.0.0-patch1",
    "1.0.0-pl2",
    "1.0.0.1",
    "1.0.1",
    "1.0.x-dev",
    "1.1.0",
    "1.x-dev",
    "2.0.0",
]


def test_order() -> None:
    keys = [COMPOSER.key(v) for v in ORDERED]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("v1.0", "1.0.0.0", 0),
        ("1.0.0-stable", "1.0.0", 0),
        ("1.0.0-b1", "1.0.0-beta1", 0),
        ("1.0.0-p1", "1.0.0-patch1", 0),
        ("1.0.0+build", "1.0.0", 0),
        ("1.0.0-beta.2", "1.0.0-beta2", 0),
        ("2010-01-02", "2010.01.02", -1),
    ],
    ids=[
        "v-prefix",
        "stable",
        "b-is-beta",
        "p-is-patch",
        "build-metadata",
        "dotted-number",
        "date-has-3-parts-classical-4",
    ],
)
def test_compare(a: str, b: str, expected: int) -> None:
    assert COMPOSER.compare(a, b) == expected


@pytest.mark.parametrize(
    ("version", "reason"),
    [
        ("dev-master", "dev- branch"),
        ("dev-feature/foo", "dev- branch"),
        ("master", "dev- branch"),
        ("", "not a Composer version"),
        ("1.0.0-foo", "not a Composer version"),
        ("1.0.0.0.0", "not a Composer version"),
        ("feature-dev", "not a Composer version"),
    ],
    ids=["dev-master", "dev-branch", "bare-master", "empty", "unknown-modifier", "five-parts",
         "named-dev"],
)  # fmt: skip
def test_invalid(version: str, reason: str) -> None:
    with pytest.raises(InvalidVersion, match=reason):
        COMPOSER.key(version)


composer_versions = st.builds(
    lambda v, numbers, modifier, dev: v + numbers + modifier + dev,
    st.sampled_from(["", "v"]),
    st.lists(st.sampled_from(["0", "1", "2", "10"]), min_size=1, max_size=4).map(".".join),
    st.sampled_from(
        [
            "",
            "",
            "-alpha1",
            "-a2",
            "-beta",
            "-beta.2",
            "-b3",
            "-RC1",
            "-rc2",
            "-patch1",
            "-pl2",
            "-p3",
        ]
    ),
    st.sampled_from(["", "", "-dev"]),
)


@settings(max_examples=300, deadline=None)
@given(composer_versions, composer_versions, composer_versions)
def test_total_order(assert_total_order, a: str, b: str, c: str) -> None:
    assert_total_order(COMPOSER, a, b, c)


plain_three_part = st.builds(
    lambda a, b, c: f"{a}.{b}.{c}", *[st.sampled_from(["0", "1", "2", "10"])] * 3
)


@settings(max_examples=200, deadline=None)
@given(plain_three_part, plain_three_part)
def test_agrees_with_univers_on_plain_versions(a: str, b: str) -> None:
    ua, ub = ComposerVersion(a), ComposerVersion(b)
    assert COMPOSER.compare(a, b) == (ua > ub) - (ua < ub)


# univers.versions.ComposerVersion is SemVer with the "v" stripped; Composer is not SemVer.
DISAGREEMENTS = [
    ("1.0.0-RC1", "1.0.0-beta1", 1, -1, "Composer orders stabilities, SemVer orders ASCII"),
    ("1.0.0-patch1", "1.0.0", 1, -1, "patch releases come after the release in Composer"),
    ("1.0.0-alpha10", "1.0.0-alpha2", 1, -1, "the stability number is compared numerically"),
]


@pytest.mark.parametrize(
    ("a", "b", "ours", "theirs"),
    [d[:4] for d in DISAGREEMENTS],
    ids=[d[4] for d in DISAGREEMENTS],
)
def test_known_disagreements_with_univers(a: str, b: str, ours: int, theirs: int) -> None:
    ua, ub = ComposerVersion(a), ComposerVersion(b)
    assert COMPOSER.compare(a, b) == ours
    assert (ua > ub) - (ua < ub) == theirs

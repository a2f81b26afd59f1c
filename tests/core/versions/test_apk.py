"""Alpine apk-tools 2 ordering."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from univers.versions import AlpineLinuxVersion

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.apk import APK

ORDERED = [
    "1.2_alpha",
    "1.2_alpha1",
    "1.2_beta2",
    "1.2_pre1",
    "1.2_rc1",
    "1.2_rc1-r1",
    "1.2",
    "1.2-r1",
    "1.2-r10",
    "1.2_cvs",
    "1.2_svn",
    "1.2_git20230101",
    "1.2_hg1",
    "1.2_p1",
    "1.2_p1-r1",
    "1.2_p2",
    "1.2a",
    "1.2b_rc1",
    "1.2b",
    "1.2.0",
    "1.2.1",
    "1.10",
]


def test_order() -> None:
    keys = [APK.key(v) for v in ORDERED]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


# apk-tools test/version.data style cases: (a, b, expected)
@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1.0", "1", 1),
        ("1.05", "1.5", -1),
        ("1.00", "1.0", -1),
        ("1.010", "1.01", 1),
        ("1.0.1", "1.01", 1),
        ("2.4a-r2", "2.4a-r10", -1),
        ("1.2.3_rc1-r0", "1.2.3-r0", -1),
        ("1.2_p1", "1.2-r5", 1),
        ("1.2_rc1_p1", "1.2_rc1", 1),
        ("1.2_rc1_p1", "1.2_rc2", -1),
        ("0.9.12-r0", "0.9.12", 1),
        ("1.2-r0", "1.2", 1),
        ("3.0.10-r0", "3.0.9-r5", 1),
    ],
    ids=[
        "trailing-zero-significant",
        "leading-zero-after-dot",
        "more-leading-zeros-older",
        "leading-zero-then-digits",
        "zero-component-then-dot",
        "revision-numeric",
        "rc-before-release",
        "post-suffix-after-revision",
        "suffix-chain",
        "suffix-chain-vs-next-rc",
        "revision-zero-after-none",
        "r0-after-none",
        "numeric-not-lexical",
    ],
)
def test_compare(a: str, b: str, expected: int) -> None:
    assert APK.compare(a, b) == expected


@pytest.mark.parametrize(
    "version",
    ["", "a", "1..2", "1.", "1-r", "1.2A", "1.2ab", "1.2a.3", "1_foo", "1_rc1.2", "1-r1-r2",
     "v1.2"],
    ids=["empty", "letter-only", "empty-component", "trailing-dot", "empty-revision", "uppercase",
         "two-letters", "dot-after-letter", "unknown-suffix", "dot-after-suffix", "two-revisions",
         "v-prefix"],
)  # fmt: skip
def test_invalid(version: str) -> None:
    with pytest.raises(InvalidVersion, match="apk"):
        APK.key(version)


_num = st.sampled_from(["0", "1", "2", "10", "05", "00"])
apk_versions = st.builds(
    lambda numbers, letter, suffixes, revision: numbers + letter + suffixes + revision,
    st.lists(_num, min_size=1, max_size=3).map(".".join),
    st.sampled_from(["", "", "a", "b", "z"]),
    st.lists(
        st.builds(
            lambda s, n: f"_{s}{n}",
            st.sampled_from(["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"]),
            st.sampled_from(["", "1", "2", "20230101"]),
        ),
        max_size=2,
    ).map("".join),
    st.sampled_from(["", "-r0", "-r1", "-r10"]),
)


@settings(max_examples=300, deadline=None)
@given(apk_versions, apk_versions, apk_versions)
def test_total_order(assert_total_order, a: str, b: str, c: str) -> None:
    assert_total_order(APK, a, b, c)


# univers orders Alpine versions with Gentoo's vercmp, which matches apk-tools 2 on versions
# without leading zeros, without the _cvs/_svn/_git/_hg suffixes that Gentoo lacks and without
# -r0 (which Gentoo equates with no revision).
gentoo_compatible = st.builds(
    lambda numbers, letter, suffix, revision: numbers + letter + suffix + revision,
    st.lists(st.sampled_from(["0", "1", "2", "10"]), min_size=1, max_size=3).map(".".join),
    st.sampled_from(["", "", "a", "b"]),
    st.sampled_from(["", "", "_alpha", "_beta1", "_pre2", "_rc1", "_rc10", "_p", "_p1"]),
    st.sampled_from(["", "-r1", "-r2", "-r10"]),
)


@settings(max_examples=300, deadline=None)
@given(gentoo_compatible, gentoo_compatible)
def test_agrees_with_univers_where_gentoo_is_apk(a: str, b: str) -> None:
    ua, ub = AlpineLinuxVersion(a), AlpineLinuxVersion(b)
    assert APK.compare(a, b) == (ua > ub) - (ua < ub)


DISAGREEMENTS = [
    ("1.2_git1", "1.2", 1, "Gentoo has no _git suffix; apk-tools orders it after the release"),
    ("1.05", "1.010", -1, "apk-tools 2 reads .05 as (-1 zero, 5); Gentoo compares '05' as text"),
    ("1.2", "1.2-r0", -1, "apk-tools compares the -r token; Gentoo equates -r0 with none"),
]


@pytest.mark.parametrize(
    ("a", "b", "ours"), [d[:3] for d in DISAGREEMENTS], ids=[d[3] for d in DISAGREEMENTS]
)
def test_known_disagreements_with_univers(a: str, b: str, ours: int) -> None:
    assert APK.compare(a, b) == ours
    try:
        ua, ub = AlpineLinuxVersion(a), AlpineLinuxVersion(b)
    except ValueError:  # univers rejects the version outright (InvalidVersion)
        return
    assert (ua > ub) - (ua < ub) != ours

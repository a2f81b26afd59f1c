"""RPM rpmvercmp ordering, checked against the ``rpm_vercmp`` library."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rpm_vercmp import vercmp

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.rpm import RPM

# rpm tests/rpmvercmp.at (version part only), as (a, b, rpmvercmp(a, b))
RPMVERCMP_AT = [
    ("1.0", "1.0", 0), ("1.0", "2.0", -1), ("2.0", "1.0", 1), ("2.0.1", "2.0.1", 0),
    ("2.0", "2.0.1", -1), ("2.0.1", "2.0", 1), ("2.0.1a", "2.0.1a", 0), ("2.0.1a", "2.0.1", 1),
    ("2.0.1", "2.0.1a", -1), ("5.5p1", "5.5p1", 0), ("5.5p1", "5.5p2", -1), ("5.5p2", "5.5p1", 1),
    ("5.5p10", "5.5p10", 0), ("5.5p1", "5.5p10", -1), ("5.5p10", "5.5p1", 1),
    ("10xyz", "10.1xyz", -1), ("10.1xyz", "10xyz", 1), ("xyz10", "xyz10", 0),
    ("xyz10", "xyz10.1", -1), ("xyz10.1", "xyz10", 1), ("xyz.4", "xyz.4", 0), ("xyz.4", "8", -1),
    ("8", "xyz.4", 1), ("xyz.4", "2", -1), ("2", "xyz.4", 1), ("5.5p2", "5.6p1", -1),
    ("5.6p1", "5.5p2", 1), ("5.6p1", "6.5p1", -1), ("6.5p1", "5.6p1", 1), ("6.0.rc1", "6.0", 1),
    ("6.0", "6.0.rc1", -1), ("10b2", "10a1", 1), ("10a2", "10b2", -1), ("1.0aa", "1.0aa", 0),
    ("1.0a", "1.0aa", -1), ("1.0aa", "1.0a", 1), ("10.0001", "10.0001", 0),
    ("10.0001", "10.1", 0), ("10.1", "10.0001", 0), ("10.0001", "10.0039", -1),
    ("10.0039", "10.0001", 1), ("4.999.9", "5.0", -1), ("5.0", "4.999.9", 1),
    ("20101121", "20101121", 0), ("20101121", "20101122", -1), ("20101122", "20101121", 1),
    ("2_0", "2_0", 0), ("2.0", "2_0", 0), ("2_0", "2.0", 0), ("a", "a", 0), ("a+", "a+", 0),
    ("a+", "a_", 0), ("a_", "a+", 0), ("+a", "+a", 0), ("+a", "_a", 0), ("_a", "+a", 0),
    ("+_", "+_", 0), ("_+", "+_", 0), ("_+", "_+", 0), ("+", "_", 0), ("_", "+", 0),
    ("1.0~rc1", "1.0~rc1", 0), ("1.0~rc1", "1.0", -1), ("1.0", "1.0~rc1", 1),
    ("1.0~rc1", "1.0~rc2", -1), ("1.0~rc2", "1.0~rc1", 1), ("1.0~rc1~git123", "1.0~rc1~git123", 0),
    ("1.0~rc1~git123", "1.0~rc1", -1), ("1.0~rc1", "1.0~rc1~git123", 1), ("1.0^", "1.0^", 0),
    ("1.0^", "1.0", 1), ("1.0", "1.0^", -1), ("1.0^git1", "1.0^git1", 0), ("1.0^git1", "1.0", 1),
    ("1.0", "1.0^git1", -1), ("1.0^git1", "1.0^git2", -1), ("1.0^git2", "1.0^git1", 1),
    ("1.0^git1", "1.01", -1), ("1.01", "1.0^git1", 1), ("1.0^20160101", "1.0^20160101", 0),
    ("1.0^20160101", "1.0.1", -1), ("1.0.1", "1.0^20160101", 1),
    ("1.0^20160101^git1", "1.0^20160101^git1", 0), ("1.0^20160102", "1.0^20160101^git1", 1),
    ("1.0^20160101^git1", "1.0^20160102", -1), ("1.0~rc1^git1", "1.0~rc1^git1", 0),
    ("1.0~rc1^git1", "1.0~rc1", 1), ("1.0~rc1", "1.0~rc1^git1", -1),
    ("1.0^git1~pre", "1.0^git1~pre", 0),
    ("1.0^git1", "1.0^git1~pre", 1), ("1.0^git1~pre", "1.0^git1", -1),
]  # fmt: skip


@pytest.mark.parametrize(
    ("a", "b", "expected"), RPMVERCMP_AT, ids=[f"{a} vs {b}" for a, b, _ in RPMVERCMP_AT]
)
def test_rpmvercmp_upstream_cases(a: str, b: str, expected: int) -> None:
    # as versions without a release; the same strings as releases give the same answer
    assert RPM.compare(a, b) == expected
    assert RPM.compare(f"1-{a}", f"1-{b}") == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("0:1.0-1", "1.0-1", 0),
        ("1:1.0-1", "2.0-1", 1),
        ("1.0", "1.0-1", -1),
        ("2.0.7.1-6.module_el8.3.0+2041+d1f204ad", "2.0.7.1-6.module_el8.3.0+2041+d1f204ad", 0),
        ("2.0.7.1-6.module_el8.3.0+2041+d1f204ad", "2.0.7.1-6.module_el8.4.0+2041+d1f204ad", -1),
        ("3:1.2-3.el8", "1.2-4.el8", 1),
        ("1.2-3.el8", "1.2-3.el8_10", -1),
        ("4.18.0-513.el8", "4.18.0-553.el8_10", -1),
    ],
    ids=[
        "missing-epoch-is-zero",
        "epoch-wins",
        "missing-release-before-any",
        "almalinux-module-equal",
        "almalinux-module-stream",
        "almalinux-epoch",
        "el8-point-release",
        "kernel",
    ],
)
def test_compare_evr(a: str, b: str, expected: int) -> None:
    assert RPM.compare(a, b) == expected


@pytest.mark.parametrize(
    "version",
    ["", "1.0-", "-1", "1.0-1-2", "1:2:3", "a:1.0", "1.0 1", "1.0/2"],
    ids=["empty", "empty-release", "empty-version", "two-hyphens", "two-colons", "letter-epoch",
         "space", "slash"],
)  # fmt: skip
def test_invalid(version: str) -> None:
    with pytest.raises(InvalidVersion, match="rpm"):
        RPM.key(version)


# rpm_vercmp predates the caret (rpm >= 4.15), so "^" stays out of the compared strategy.
_part = st.text("0129abzA._+~", min_size=1, max_size=8).filter(
    lambda s: any(c.isalnum() for c in s)
)
rpm_versions = st.builds(
    lambda epoch, version, release: epoch + version + release,
    st.sampled_from(["", "", "0:", "1:"]),
    _part,
    st.one_of(st.just(""), _part.map(lambda r: "-" + r)),
)


def _reference(a: str, b: str) -> int:
    # rpmverCmp: epoch numerically (missing 0), then rpmvercmp on version, then on release
    def split(v: str) -> tuple[int, str, str]:
        epoch, _, rest = v.rpartition(":")
        version, _, release = rest.partition("-")
        return int(epoch or 0), version, release

    ea, va, ra = split(a)
    eb, vb, rb = split(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return vercmp(va, vb) or vercmp(ra, rb)


@settings(max_examples=300, deadline=None)
@given(rpm_versions, rpm_versions, rpm_versions)
def test_total_order_and_agrees_with_rpm_vercmp(assert_total_order, a: str, b: str, c: str) -> None:
    assert_total_order(RPM, a, b, c)
    assert RPM.compare(a, b) == _reference(a, b)


_caret_part = st.text("019a.~^", min_size=1, max_size=8).filter(
    lambda s: any(c.isalnum() for c in s)
)


@settings(max_examples=300, deadline=None)
@given(_caret_part, _caret_part, _caret_part)
def test_total_order_with_caret(assert_total_order, a: str, b: str, c: str) -> None:
    assert_total_order(RPM, a, b, c)

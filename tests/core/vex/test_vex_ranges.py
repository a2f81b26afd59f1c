"""Version ranges kept as a VEX statement's scope (core.vex.ranges): what is kept, in which form,
and what is refused with which reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vulndesk.core.errors import InputError
from vulndesk.core.ids.purl import parse_purl
from vulndesk.core.versions.registry import scheme_by_name
from vulndesk.core.vex.apply import range_covers, status_agrees
from vulndesk.core.vex.model import VexStatus, VexVersion
from vulndesk.core.vex.ranges import VexRangeError, is_vers_range, vex_range


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("vers:pypi/>=1.0|<2.0", "vers:pypi/>=1.0|<2.0"),
        ("  vers:PyPI/ >= 1.0 | < 2.0 ", "vers:pypi/>=1.0|<2.0"),
        ("vers:pypi/=1.0|=1.1", "vers:pypi/1.0|1.1"),
        ("vers:semver/<1.5.0|>=7.0.0", "vers:semver/<1.5.0|>=7.0.0"),
        ("vers:generic/>=2.9|<=4.1", "vers:generic/>=2.9|<=4.1"),
        ("vers:npm/*", "vers:npm/*"),
        ("vers:all/*", "vers:all/*"),
        # as CISA's CSAF advisories write it: range_covers reads "all" with bounds as generic
        ("vers:all/<V4.4", "vers:generic/<V4.4"),
        ("vers:all/>=2.3<V3.0", "vers:generic/>=2.3|<V3.0"),
    ],
    ids=[
        "canonical",
        "spaces and case",
        "equality",
        "two intervals",
        "generic",
        "npm every",
        "all every",
        "all as generic",
        "juxtaposed",
    ],
)
def test_a_range_is_kept_in_canonical_form(text: str, kept: str) -> None:
    assert vex_range(text) == kept
    assert vex_range(kept) == kept  # canonical is a fixed point


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("<= 1.14.0", "vers:generic/<=1.14.0"),
        (">= V6.2 < V7.1", "vers:generic/>=V6.2|<V7.1"),
        ("All versions < V17 Update 5", "vers:generic/<V17 Update 5"),
        ("All versions", "vers:generic/*"),
    ],
)
def test_csaf_range_words_are_read_from_documents_only(text: str, kept: str) -> None:
    assert vex_range(text, documents=True) == kept
    for version in ("1.0", "V6.5", "V17"):
        assert range_covers(kept, version) == range_covers(text, version)
    with pytest.raises(VexRangeError, match="expected vers:<scheme>/<constraints>"):
        vex_range(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("vers:pypi/>=x", "range 'vers:pypi/>=x' cannot be read: 'x' is not a version"),
        ("vers:pypi/", "range 'vers:pypi/' cannot be read: it has an empty constraint"),
        ("vers:pypi/>=1.0||<2.0", "it has an empty constraint"),
        ("vers:pypi/>=1.0|<", "constraint '<' names no version"),
        ("pypi >= 1.0", "expected vers:<scheme>/<constraints>, such as vers:pypi/>=1.0|<2.0"),
        ("vers:cargo/>=1.0.0", "cannot be evaluated: vulndesk does not order versions of the"),
        ("vers:intdot/<4.1", "the vers scheme 'intdot'"),
        ("vers:pypi/>1.0", "cannot be evaluated: the comparator '>' is not supported"),
        ("vers:pypi/>=1.0|!=1.5|<2.0", "the comparator '!=' is not supported"),
        ("vers:semver/<7.0.0|>=1.5.0", "'1.5.0' does not come after '7.0.0'"),
        ("vers:pypi/1.0|1.0", "ascending version order without repeats"),
        ("vers:generic/>=r1|<2", "versions 'r1' and '2' cannot be ordered as generic versions"),
        ("vers:pypi/<" + "1" * 1000, "at most 1000 can be kept"),
    ],
    ids=[
        "not a version",
        "no constraints",
        "empty constraint",
        "no version",
        "not vers",
        "cargo",
        "intdot",
        "exclusive bound",
        "hole",
        "unsorted",
        "repeated",
        "unorderable",
        "too long",
    ],
)
def test_a_range_that_cannot_be_kept_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(VexRangeError) as raised:
        vex_range(text, documents=not text.startswith("pypi"))
    assert reason in str(raised.value)
    assert isinstance(raised.value, InputError)


def test_a_range_must_order_versions_as_the_package_does() -> None:
    pypi = parse_purl("pkg:pypi/foo")
    assert vex_range("vers:pypi/>=1.0|<2.0", purl=pypi) == "vers:pypi/>=1.0|<2.0"
    assert vex_range("vers:generic/>=1.0|<2.0", purl=pypi) == "vers:generic/>=1.0|<2.0"
    # an ecosystem vulndesk has no scheme for says nothing against the range
    assert vex_range("vers:semver/>=1.0.0", purl=parse_purl("pkg:cargo/foo")) == (
        "vers:semver/>=1.0.0"
    )
    assert vex_range("vers:semver/>=1.0.0", purl=parse_purl("pkg:npm/foo")) == (
        "vers:semver/>=1.0.0"
    )  # npm versions are semver
    with pytest.raises(
        VexRangeError,
        match=r"orders versions as npm, but pkg:pypi/foo is a pypi package: write vers:pypi/",
    ):
        vex_range("vers:npm/>=1.0.0|<2.0.0", purl=pypi)


def test_is_vers_range() -> None:
    assert is_vers_range("vers:pypi/>=1.0")
    assert is_vers_range("VERS:pypi/>=1.0")
    assert not is_vers_range("1.0")
    assert not is_vers_range("*")


def test_status_agrees() -> None:
    assert status_agrees(VexVersion(range="vers:pypi/<2"), VexStatus.AFFECTED)
    assert status_agrees(VexVersion(range="vers:pypi/<2", status="unaffected"), VexStatus.FIXED)
    assert not status_agrees(
        VexVersion(range="vers:pypi/<2", status="affected"), VexStatus.NOT_AFFECTED
    )


_PARTS = st.lists(st.integers(0, 30), min_size=1, max_size=3).map(
    lambda items: ".".join(map(str, items))
)


@given(low=_PARTS, high=_PARTS, version=_PARTS)
def test_a_kept_interval_covers_what_its_bounds_say(low: str, high: str, version: str) -> None:
    """The kept form decides exactly as the bounds read in the PyPI order would."""
    order = scheme_by_name("pypi").compare
    if order(low, high) >= 0:
        with pytest.raises(VexRangeError, match="ascending version order"):
            vex_range(f"vers:pypi/>={low}|<{high}")
        return
    kept = vex_range(f"vers:pypi/ >= {low} | < {high}")
    assert range_covers(kept, version) is (order(low, version) <= 0 < order(high, version))

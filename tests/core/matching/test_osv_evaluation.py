"""One version against one affected[] entry: every rule of OSV schema §Evaluation."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from support import FIXTURES
from vulndesk.core.advisories.model import Affected, Event, Range
from vulndesk.core.advisories.osv import parse_osv
from vulndesk.core.errors import VulndeskError
from vulndesk.core.matching.evaluation import OsvRangeEvaluator, evaluate
from vulndesk.core.versions.base import VersionScheme
from vulndesk.core.versions.registry import scheme_for_ecosystem

OSV = FIXTURES / "osv" / "records"


def affected(name: str, index: int = 0) -> Affected:
    data: Any = orjson.loads((OSV / name).read_bytes())
    return parse_osv(data, source=name).affected[index]


def status(entry: Affected, version: str) -> str:
    return evaluate(entry, version).status


@pytest.mark.parametrize(
    ("version", "expected", "matched"),
    [
        ("0.9", "not_affected", None),
        ("1.0.0", "affected", ">=1.0.0, <1.4.2"),
        ("1.4.1", "affected", ">=1.0.0, <1.4.2"),
        ("1.4.2", "not_affected", None),
        ("1.9", "not_affected", None),
        ("2.0", "affected", ">=2.0, <2.3.1"),
        ("2.3.1", "not_affected", None),
        ("2.3.1.post1", "not_affected", None),
    ],
)
def test_unsorted_events_are_sorted_before_the_walk(
    version: str, expected: str, matched: str | None
) -> None:
    result = evaluate(affected("unsorted-events.json"), version)
    assert (result.status, result.matched) == (expected, matched)


def test_fixed_versions_are_the_fixes_above_the_version_in_order() -> None:
    result = evaluate(affected("unsorted-events.json"), "1.2")
    assert result.fixed_versions == ("1.4.2", "2.3.1")
    assert evaluate(affected("unsorted-events.json"), "2.1").fixed_versions == ("2.3.1",)


@pytest.mark.parametrize(
    ("version", "expected", "matched"),
    [
        ("0.0.1", "affected", "<1.0.2"),
        ("1.0.2", "not_affected", None),
        ("2.9.9", "not_affected", None),
        ("3.0.0", "affected", ">=3.0.0, <3.2.5"),
        ("3.2.5", "not_affected", None),
        ("4.0.0-alpha", "not_affected", None),
        ("4.0.0-beta.1", "affected", ">=4.0.0-beta.1, <4.0.0"),
        ("4.0.0-rc.1", "affected", ">=4.0.0-beta.1, <4.0.0"),
        ("4.0.0", "not_affected", None),
        ("9.0.0", "affected", ">=9.0.0"),
        ("12.0.0", "affected", ">=9.0.0"),
    ],
)
def test_several_intervals_in_one_range_and_a_never_fixed_range(
    version: str, expected: str, matched: str | None
) -> None:
    result = evaluate(affected("multiple-intervals.json"), version)
    assert (result.status, result.matched) == (expected, matched)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.1.9", "not_affected"),
        ("1.2.0", "affected"),
        ("v2.1.214", "affected"),  # Go versions carry a "v"; the Go scheme reads both spellings
        ("2.1.214", "affected"),
        ("2.1.215", "not_affected"),
    ],
)
def test_last_affected_is_inclusive(version: str, expected: str) -> None:
    result = evaluate(affected("last-affected.json"), version)
    assert result.status == expected
    if expected == "affected":
        assert result.matched == ">=1.2.0, <=2.1.214"
        assert result.fixed_versions == ()


@pytest.mark.parametrize(
    ("version", "expected", "matched"),
    [
        ("1.4.9", "affected", ">=1.0.0, <1.5.0 (limit)"),
        ("1.5.0", "not_affected", None),  # osv-scanner ignores limit and says affected
        ("2.0.0", "not_affected", None),
        ("3.9.0", "affected", ">=3.0.0, <4.0.0"),  # limit "*" is infinity: no bound
        ("4.0.0", "not_affected", None),
        ("5.0.5", "affected", ">=5.0.0, <6.0.0, <5.1.0 (limit)"),
        ("5.5.0", "affected", ">=5.0.0, <6.0.0, <6.1.0 (limit)"),  # below one of two limits
        ("6.0.0", "not_affected", None),
    ],
)
def test_limit_bounds_the_range(version: str, expected: str, matched: str | None) -> None:
    result = evaluate(affected("limit.json"), version)
    assert (result.status, result.matched) == (expected, matched)


def test_git_range_relies_on_versions_list() -> None:
    entry = affected("git-with-versions.json")
    assert evaluate(entry, "1.0").matched == "listed in versions"
    assert status(entry, "1.0.0") == "affected"  # PEP 440: 1.0.0 is 1.0
    assert status(entry, "1.2") == "not_affected"
    assert evaluate(entry, "1.2").problems == ()


def test_git_range_first_does_not_hide_the_ecosystem_range() -> None:
    # osv-scanner stops at the first GIT range and misses this (a false negative)
    entry = affected("git-then-ecosystem.json")
    result = evaluate(entry, "2.0.0")
    assert (result.status, result.matched, result.fixed_versions) == (
        "affected",
        "<2.0.1",
        ("2.0.1",),
    )
    assert status(entry, "2.0.1") == "not_affected"


def test_git_range_without_versions_cannot_decide_alone() -> None:
    entry = Affected(
        "PyPI",
        "x",
        "x",
        ranges=(Range("GIT", (Event("introduced", "0"), Event("fixed", "c" * 40)), "https://x"),),
    )
    result = evaluate(entry, "1.0")
    assert result.status == "unknown"
    assert "GIT range #1" in result.problems[0]


def test_invalid_bound_makes_only_that_range_not_evaluable() -> None:
    entry = affected("invalid-bound.json")
    # versions list still counts
    listed = evaluate(entry, "0.5")
    assert (listed.status, listed.matched) == ("affected", "listed in versions")
    assert listed.problems == (
        "ECOSYSTEM range #1: fixed '1.0-not a version' is not a valid pypi version",
    )
    # the other range still counts
    assert evaluate(entry, "3.0.5").matched == ">=3.0, <3.1"
    # nothing else says affected: unknown, with the reason, never a crash
    unknown = evaluate(entry, "0.7")
    assert unknown.status == "unknown"
    assert "fixed '1.0-not a version'" in unknown.problems[0]


def test_version_invalid_in_the_scheme_is_unknown() -> None:
    result = evaluate(affected("unsorted-events.json"), "not-a-version!")
    assert result.status == "unknown"
    assert result.problems == ("ECOSYSTEM range #1: 'not-a-version!' is not a valid pypi version",)


def test_range_without_introduced_is_not_evaluable() -> None:
    entry = Affected("PyPI", "x", "x", ranges=(Range("ECOSYSTEM", (Event("fixed", "1.0"),)),))
    result = evaluate(entry, "0.5")
    assert result.status == "unknown"
    assert "no introduced event" in result.problems[0]


def test_unknown_range_type_and_unsupported_ecosystem() -> None:
    entry = Affected("PyPI", "x", "x", ranges=(Range("WEIRD", (Event("introduced", "0"),)),))
    assert "unknown range type 'WEIRD'" in evaluate(entry, "1.0").problems[0]
    hackage = Affected(
        "Hackage", "x", "x", ranges=(Range("ECOSYSTEM", (Event("introduced", "0"),)),)
    )
    result = evaluate(hackage, "1.0")
    assert result.status == "unknown"
    assert "Hackage" in result.problems[0]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2.4.48", "not_affected"),
        ("2.4.49", "affected"),
        ("2.4.50", "affected"),
        ("2.4.51", "not_affected"),
    ],
)
def test_touching_intervals_fixed_then_introduced_at_one_version(
    version: str, expected: str
) -> None:
    # equal versions keep file order: "fixed 2.4.50" then "introduced 2.4.50" leaves 2.4.50
    # affected, which it is (CVE-2021-42013 affects Apache httpd 2.4.49 and 2.4.50)
    assert status(affected("touching-intervals.json"), version) == expected


def test_equal_versions_keep_file_order() -> None:
    # introduced then fixed at the same version: an empty interval, in the timeline's order
    entry = Affected(
        "PyPI",
        "x",
        "x",
        ranges=(
            Range(
                "ECOSYSTEM",
                (Event("introduced", "1.0"), Event("fixed", "1.0"), Event("introduced", "2")),
            ),
        ),
    )
    assert status(entry, "1.0") == "not_affected"
    assert status(entry, "2.0") == "affected"


def test_ranges_only_mode_ignores_versions_and_git() -> None:
    entry = affected("git-with-versions.json")
    assert evaluate(entry, "1.0", use_versions=False).status == "not_affected"
    assert evaluate(entry, "1.0", use_versions=False).problems == ()


class CountingSchemes:
    """A SchemeResolver that counts how often ranges are prepared."""

    def __init__(self) -> None:
        self.calls = 0

    def for_ecosystem(self, ecosystem: str) -> VersionScheme:
        return scheme_for_ecosystem(ecosystem)

    def for_range_type(self, range_type: str, ecosystem: str) -> VersionScheme:
        self.calls += 1
        if range_type != "ECOSYSTEM":
            raise VulndeskError("only ECOSYSTEM here")
        return scheme_for_ecosystem(ecosystem)


def test_prepared_ranges_are_cached_per_affected() -> None:
    schemes = CountingSchemes()
    evaluator = OsvRangeEvaluator(schemes)
    entry = affected("unsorted-events.json")
    for version in ("1.0", "1.5", "2.1", "3"):
        evaluator.evaluate(entry, version)
    assert schemes.calls == 1
    twin = affected("unsorted-events.json")  # equal, but another object: prepared separately
    evaluator.evaluate(twin, "1.0")
    assert schemes.calls == 2


# --- property: the walk over shuffled events equals the interval reading ---------------------

_bounds = st.lists(st.integers(min_value=1, max_value=40), min_size=2, max_size=8, unique=True)


@given(_bounds, st.booleans(), st.randoms(), st.integers(min_value=0, max_value=45))
def test_walk_equals_intervals_whatever_the_event_order(
    bounds: list[int], from_zero: bool, random: Any, probe: int
) -> None:
    # sorted distinct bounds b0 < b1 < ... paired as [b0, b1), [b2, b3), ... (schema §Evaluation
    # "Multiple range example"); the file order of the events must not matter
    bounds.sort()
    pairs = list(zip(bounds[::2], bounds[1::2], strict=False))
    events = [Event("introduced", "0")] if from_zero else []
    if from_zero:
        pairs[0] = (0, pairs[0][1])
    for low, high in pairs:
        if low:
            events.append(Event("introduced", f"1.{low}.0"))
        events.append(Event("fixed", f"1.{high}.0"))
    random.shuffle(events)
    entry = Affected("crates.io", "x", "x", ranges=(Range("SEMVER", tuple(events)),))
    expected = any(low <= probe < high for low, high in pairs)
    result = evaluate(entry, f"1.{probe}.0")
    assert result.affected == expected
    if expected:
        low, high = next((lo, hi) for lo, hi in pairs if lo <= probe < hi)
        lower = f">=1.{low}.0, " if low else ""
        assert result.matched == f"{lower}<1.{high}.0"
        assert result.fixed_versions == tuple(f"1.{h}.0" for _, h in pairs if h > probe)

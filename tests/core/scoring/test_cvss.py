"""Severity ratings: CVSS v2/v3/v4 vectors, words as a fallback, the highest of a group."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vulndesk.core.advisories.model import Advisory, Affected, Severity
from vulndesk.core.scoring.cvss import (
    SeverityRating,
    UnknownRating,
    advisory_ratings,
    highest_rating,
    parse_rating,
    rate_severity,
    rate_word,
    rating_at_least,
)

V3_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8
V3_HIGH = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"  # 8.8
V3_NONE = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"  # 0.0
V2_HIGH = "AV:N/AC:L/Au:N/C:C/I:C/A:C"  # 10.0
V4_MEDIUM = "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N"  # 5.1


@pytest.mark.parametrize(
    ("kind", "score", "expected"),
    [
        ("CVSS_V3", V3_CRITICAL, ("CRITICAL", 9.8, "CVSS_V3")),
        ("CVSS_V3", V3_HIGH, ("HIGH", 8.8, "CVSS_V3")),
        ("CVSS_V3", V3_NONE, ("NONE", 0.0, "CVSS_V3")),
        ("CVSS_V2", V2_HIGH, ("HIGH", 10.0, "CVSS_V2")),  # v2 has no CRITICAL
        ("CVSS_V2", "(AV:L/AC:H/Au:S/C:N/I:P/A:N)", ("LOW", 1.0, "CVSS_V2")),
        ("CVSS_V4", V4_MEDIUM, ("MEDIUM", 5.1, "CVSS_V4")),
        ("CVSS_V3", V4_MEDIUM, ("MEDIUM", 5.1, "CVSS_V4")),  # the vector's prefix wins
        ("CVSS_V3", "7.5", ("HIGH", 7.5, "CVSS_V3")),  # a bare score, no vector
    ],
)
def test_rate_vectors(kind: str, score: str, expected: tuple[str, float, str]) -> None:
    rated = rate_severity(Severity(kind, score), source="X-1")
    assert rated is not None
    assert (rated.rating, rated.score, rated.type) == expected
    assert rated.source == "X-1"


@pytest.mark.parametrize(
    ("kind", "score"),
    [
        ("CVSS_V3", "CVSS:3.1/AV:X"),
        ("CVSS_V3", "garbage"),
        ("CVSS_V3", "11.0"),
        ("CVSS_V2", "AV:Q/AC:L"),
        ("SOMETHING", "CVSS:9.9/whatever"),
        ("Ubuntu", "untriaged"),
    ],
)
def test_unreadable_entries_give_no_rating(kind: str, score: str) -> None:
    assert rate_severity(Severity(kind, score), source="X-1") is None


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Critical", "CRITICAL"),
        ("HIGH", "HIGH"),
        ("Important", "HIGH"),
        ("MODERATE", "MEDIUM"),
        ("medium", "MEDIUM"),
        ("negligible", "LOW"),
        ("None", "NONE"),
        ("Unknown", None),
        (3, None),
    ],
)
def test_rate_words(word: object, expected: str | None) -> None:
    rated = rate_word(word, source="X-1")
    assert (rated.rating if rated else None) == expected


def r(rating: str, score: float | None, kind: str, source: str = "A-1") -> SeverityRating:
    return SeverityRating(rating, score, "v" if score is not None else None, kind, source)  # type: ignore[arg-type]


def test_highest_prefers_current_cvss_over_v2_over_words() -> None:
    v2 = r("HIGH", 10.0, "CVSS_V2")
    v3 = r("MEDIUM", 5.0, "CVSS_V3")
    word = r("CRITICAL", None, "database_specific")
    assert highest_rating([v2, v3, word]) == v3
    assert highest_rating([v2, word]) == v2
    assert highest_rating([word, r("LOW", None, "Ubuntu")]) == word
    assert highest_rating([]) is None


def test_highest_among_v3_and_v4_is_the_highest_score() -> None:
    v3 = r("HIGH", 8.8, "CVSS_V3")
    v4 = r("MEDIUM", 6.9, "CVSS_V4")
    assert highest_rating([v4, v3]) == v3
    v4_equal = r("HIGH", 8.8, "CVSS_V4")
    assert highest_rating([v3, v4_equal]) == v4_equal


def test_highest_ties_do_not_depend_on_order() -> None:
    a = r("HIGH", 8.8, "CVSS_V3", "GHSA-b")
    b = r("HIGH", 8.8, "CVSS_V3", "CVE-2020-1")
    assert highest_rating([a, b]) == highest_rating([b, a]) == b


def test_advisory_ratings_collects_every_level() -> None:
    advisory = Advisory(
        id="BIT-x-2024-1",
        modified=datetime(2024, 1, 1, tzinfo=UTC),
        database_specific={"severity": "High"},
        affected=(
            Affected(
                "Bitnami",
                "x",
                "x",
                severity=(Severity("CVSS_V3", V3_CRITICAL),),
                database_specific={"severity": "Low"},
            ),
        ),
    )
    ratings = advisory_ratings(advisory)
    assert sorted(x.rating for x in ratings) == ["CRITICAL", "HIGH", "LOW"]
    assert highest_rating(ratings) == SeverityRating(
        "CRITICAL", 9.8, V3_CRITICAL, "CVSS_V3", "BIT-x-2024-1"
    )
    assert [x.rating for x in advisory_ratings(advisory, [])] == ["HIGH"]


def test_rating_order_for_fail_on() -> None:
    assert rating_at_least("CRITICAL", "high")
    assert rating_at_least("HIGH", "HIGH")
    assert not rating_at_least("MEDIUM", "HIGH")
    assert rating_at_least("NONE", "NONE")
    assert not rating_at_least(None, "LOW")
    assert parse_rating(" medium ") == "MEDIUM"
    with pytest.raises(UnknownRating, match="expected one of CRITICAL, HIGH"):
        parse_rating("severe")

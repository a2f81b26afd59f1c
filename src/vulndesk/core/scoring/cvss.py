"""Severity ratings from what advisories state: CVSS vectors first, severity words as a fallback.

Each OSV ``severity`` entry (record level or ``affected[]`` level) becomes a
:class:`SeverityRating`; a finding shows the highest of the ratings of every record in its alias
group (:func:`highest_rating`). The rules, and why:

- A CVSS vector is scored with the ``cvss`` library (base score). ``CVSS_V3`` and ``CVSS_V4``
  vectors rate by the CVSS v3/v4 qualitative scale (NONE 0.0, LOW 0.1-3.9, MEDIUM 4.0-6.9, HIGH
  7.0-8.9, CRITICAL 9.0-10.0); ``CVSS_V2`` by NVD's v2 scale (LOW 0.0-3.9, MEDIUM 4.0-6.9, HIGH
  7.0-10.0: v2 has no CRITICAL). The vector's own prefix (``CVSS:4.0/``) wins over a mislabelled
  ``type``. A bare number instead of a vector is rated on the same scale, with no vector.
- The highest rating prefers, in this order: any v3/v4 rating over any v2 rating over any word.
  v2 systematically differs from v3 (no CRITICAL, other weights), so when a current vector exists
  a v2 score is outdated information, not a second opinion; among v3 and v4 the higher base
  score wins (sources disagree; we show the worst case), v4 over v3 on equal scores.
- Words are a fallback when a record has no vector: the ``Ubuntu`` severity type (Ubuntu
  priorities: negligible, low, medium, high, critical; ``untriaged`` means none yet) and
  ``database_specific.severity`` (GHSA ``MODERATE``, Bitnami ``Medium``, Red Hat ``Important``).
  ``negligible`` rates LOW; ``unknown``/``untriaged`` give no rating at all.
- An entry that cannot be read (malformed vector, unknown type) gives no rating; it never makes
  up a score.

Ratings order NONE < LOW < MEDIUM < HIGH < CRITICAL for ``--fail-on`` (:func:`rating_at_least`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Literal

from cvss import CVSS2, CVSS3, CVSS4, CVSSError

from vulndesk.core.advisories.model import Advisory, Affected, Severity
from vulndesk.core.errors import VulndeskError
from vulndesk.core.ids.aliases import id_sort_key

__all__ = [
    "RATINGS",
    "Rating",
    "SeverityRating",
    "UnknownRating",
    "advisory_ratings",
    "highest_rating",
    "parse_rating",
    "rate_severity",
    "rate_word",
    "rating_at_least",
]

Rating = Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE"]

#: every rating, lowest first
RATINGS: Final[tuple[Rating, ...]] = ("NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL")
_RANK: Final[dict[str, int]] = {r: i for i, r in enumerate(RATINGS)}

_WORDS: Final[dict[str, Rating]] = {
    "critical": "CRITICAL",
    "high": "HIGH",
    "important": "HIGH",  # Red Hat
    "medium": "MEDIUM",
    "moderate": "MEDIUM",  # GHSA, Red Hat
    "low": "LOW",
    "negligible": "LOW",  # Ubuntu: "technically a security problem, but only theoretical"
    "none": "NONE",
}

# preference tiers for highest_rating (see module docstring)
_TIER: Final[dict[str, int]] = {"CVSS_V4": 2, "CVSS_V3": 2, "CVSS_V2": 1}


class UnknownRating(VulndeskError):
    """A severity threshold is not one of CRITICAL, HIGH, MEDIUM, LOW, NONE."""


@dataclass(frozen=True, slots=True)
class SeverityRating:
    """A qualitative rating and where it came from.

    ``type`` is ``CVSS_V2`` | ``CVSS_V3`` | ``CVSS_V4`` for vectors (``score`` the base score,
    ``vector`` as written), ``Ubuntu`` or ``database_specific`` for words (``score`` and ``vector``
    None). ``source`` is the id of the advisory that stated it.
    """

    rating: Rating
    score: float | None
    vector: str | None
    type: str
    source: str


def parse_rating(word: str) -> Rating:
    """Return the rating ``word`` names, case-insensitively; raise UnknownRating otherwise."""
    upper = word.strip().upper()
    if upper in _RANK:
        return upper  # type: ignore[return-value]  # checked against RATINGS just above
    raise UnknownRating(
        f"unknown severity {word!r}: expected one of {', '.join(reversed(RATINGS))}"
    )


def rating_at_least(rating: str | None, threshold: str) -> bool:
    """Return whether ``rating`` is at or above ``threshold`` (e.g. ``--fail-on HIGH``).

    A missing rating (None: no severity known) is never at least anything; callers that want to
    fail on unknown severities check for None themselves.
    """
    limit = _RANK[parse_rating(threshold)]
    if rating is None:
        return False
    return _RANK[parse_rating(rating)] >= limit


def _v3_scale(score: float) -> Rating:
    # CVSS v3.1 specification §5 (and v4.0 §2.3): qualitative severity rating scale
    if score == 0.0:
        return "NONE"
    if score < 4.0:
        return "LOW"
    if score < 7.0:
        return "MEDIUM"
    if score < 9.0:
        return "HIGH"
    return "CRITICAL"


def _v2_scale(score: float) -> Rating:
    # NVD's CVSS v2 ratings: Low 0.0-3.9, Medium 4.0-6.9, High 7.0-10.0
    if score < 4.0:
        return "LOW"
    if score < 7.0:
        return "MEDIUM"
    return "HIGH"


@lru_cache(maxsize=8192)
def _rate_vector(kind: str, text: str) -> tuple[Rating, float, str | None, str] | None:
    """Return (rating, score, vector, type) of one CVSS entry, or None when it cannot be read."""
    vector = text.strip()
    if vector.startswith("CVSS:4"):
        kind = "CVSS_V4"
    elif vector.startswith("CVSS:3"):
        kind = "CVSS_V3"
    elif vector.startswith("CVSS:2.0/"):
        kind, vector = "CVSS_V2", vector[len("CVSS:2.0/") :]
    if kind not in _TIER:
        return None
    try:
        number = float(vector)
    except ValueError:
        number = None
    if number is not None:
        if not 0.0 <= number <= 10.0:
            return None
        scale = _v2_scale if kind == "CVSS_V2" else _v3_scale
        return scale(number), number, None, kind
    try:
        parsed: Any
        if kind == "CVSS_V4":
            parsed = CVSS4(vector)
        elif kind == "CVSS_V3":
            parsed = CVSS3(vector)
        else:
            parsed = CVSS2(vector.strip("()"))
        score = float(parsed.base_score)
    except (CVSSError, ValueError, KeyError, IndexError, TypeError, ArithmeticError):
        # the cvss library signals malformed vectors with CVSSError, a few edge cases otherwise
        return None
    scale = _v2_scale if kind == "CVSS_V2" else _v3_scale
    return scale(score), score, text.strip(), kind


def rate_word(
    word: object, *, source: str, type: str = "database_specific"
) -> SeverityRating | None:
    """Return the rating a severity word states (``HIGH``, ``Moderate``...), else None."""
    if not isinstance(word, str):
        return None
    rating = _WORDS.get(word.strip().lower())
    if rating is None:
        return None
    return SeverityRating(rating, None, None, type, source)


def rate_severity(severity: Severity, *, source: str) -> SeverityRating | None:
    """Return the rating of one OSV severity entry, or None when it cannot be read."""
    if severity.type == "Ubuntu":
        return rate_word(severity.score, source=source, type="Ubuntu")
    rated = _rate_vector(severity.type, severity.score)
    if rated is None:
        return None
    rating, score, vector, kind = rated
    return SeverityRating(rating, score, vector, kind, source)


def _database_word(database_specific: object, source: str) -> SeverityRating | None:
    if isinstance(database_specific, dict):
        return rate_word(database_specific.get("severity"), source=source)
    return None


def advisory_ratings(
    advisory: Advisory, affected: Iterable[Affected] | None = None
) -> list[SeverityRating]:
    """Return every rating ``advisory`` states for the given ``affected`` entries.

    That is: the record-level ``severity`` entries, those of each entry in ``affected`` (all of
    the record's entries when None), and the ``database_specific.severity`` words of both.
    """
    source = advisory.id
    entries = advisory.affected if affected is None else affected
    out = _stated(advisory.severity, advisory.database_specific, source)
    for entry in entries:
        out.extend(_stated(entry.severity, entry.database_specific, source))
    return out


def _stated(
    severities: Iterable[Severity], database_specific: object, source: str
) -> list[SeverityRating]:
    """Return the ratings of one level (record or affected entry): its vectors, then its word."""
    out = [r for s in severities if (r := rate_severity(s, source=source)) is not None]
    word = _database_word(database_specific, source)
    if word is not None:
        out.append(word)
    return out


def _order(r: SeverityRating) -> tuple[int, float, int, int, Any, str]:
    # ascending sort key: the best rating sorts first
    version = {"CVSS_V4": 2, "CVSS_V3": 1}.get(r.type, 0)
    score = r.score if r.score is not None else -1.0
    return (
        -_TIER.get(r.type, 0),
        -score,
        -_RANK[r.rating],
        -version,
        id_sort_key(r.source),
        r.vector or "",
    )


def highest_rating(ratings: Iterable[SeverityRating]) -> SeverityRating | None:
    """Return the rating to show for a set of ratings (see the module docstring), or None.

    Among v3/v4 vectors the highest base score wins, then v4 over v3; v2 only counts when there
    is no v3/v4 vector, words only when there is no vector at all. Remaining ties go to the
    smallest source id and vector, so the result does not depend on input order.
    """
    return min(ratings, key=_order, default=None)

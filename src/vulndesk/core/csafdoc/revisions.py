"""Mandatory tests on the document version and its revision history: 6.1.14 to 6.1.22, 6.1.30.

A ``version_t`` is either integer versioning (``1``, ``2``...) or semantic versioning 2.0.0
(``1.0.0-rc.1+build``); the standard ranks semantic versions by semver precedence (build
metadata ignored) and reads "major version" as the integer itself in integer versioning.
Revision items are ordered by ``date``; items with the same date are ordered by their number, so
that a tie in dates never fails an ordering test by the accident of how it was written.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vulndesk.core.csafdoc.access import child, indexed, obj, parse_date_time, text
from vulndesk.core.csafdoc.registry import Finding, mandatory
from vulndesk.core.csafdoc.schema import VERSION_PATTERN

_TRACKING = "$.document.tracking"


@dataclass(frozen=True, slots=True)
class DocumentVersion:
    """A parsed ``version_t``."""

    text: str
    integer: bool
    major: int
    minor: int = 0
    patch: int = 0
    prerelease: tuple[str, ...] = ()
    build: str = ""

    @property
    def precedence(self) -> tuple[Any, ...]:
        """Return a sort key following semver precedence (build metadata ignored)."""
        if self.integer:
            return (self.major,)
        if not self.prerelease:
            return (self.major, self.minor, self.patch, 1, ())
        ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0, ids)

    def without(self, *, prerelease: bool) -> str:
        """Return the version without build metadata, and without the pre-release part too if
        ``prerelease`` (6.1.16 compares versions so)."""
        if self.integer:
            return self.text
        core = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease and not prerelease:
            core += "-" + ".".join(self.prerelease)
        return core


def parse_version(value: Any) -> DocumentVersion | None:
    """Return the parsed ``version_t`` ``value``, or None if it is not one."""
    if not isinstance(value, str) or not VERSION_PATTERN.fullmatch(value):
        return None
    if value.isdigit():
        return DocumentVersion(value, integer=True, major=int(value))
    rest, _, build = value.partition("+")
    core, _, prerelease = rest.partition("-")
    major, minor, patch = (int(p) for p in core.split("."))
    return DocumentVersion(
        value,
        integer=False,
        major=major,
        minor=minor,
        patch=patch,
        prerelease=tuple(prerelease.split(".")) if prerelease else (),
        build=build,
    )


@dataclass(frozen=True, slots=True)
class _Revision:
    path: str
    date: datetime
    number: DocumentVersion


def _tracking(doc: dict[str, Any]) -> dict[str, Any]:
    return obj(obj(doc.get("document")).get("tracking"))


def _history(doc: dict[str, Any]) -> list[_Revision]:
    """Return the revision items with a valid date and number, sorted by date (then number)."""
    items = []
    history = _tracking(doc).get("revision_history")
    for path, item in indexed(history, child(_TRACKING, "revision_history")):
        date, number = parse_date_time(item.get("date")), parse_version(item.get("number"))
        if date is not None and number is not None:
            items.append(_Revision(path, date, number))
    return sorted(items, key=lambda r: (r.date, r.number.precedence))


def _mixed(doc: dict[str, Any]) -> bool:
    """Return whether integer and semantic versioning are mixed (6.1.30 reports that; the
    tests that compare versions skip such a document rather than compare apples and pears)."""
    return len({v.integer for _, v in _all_versions(doc)}) > 1


def _all_versions(doc: dict[str, Any]) -> Iterator[tuple[str, DocumentVersion]]:
    tracking = _tracking(doc)
    history = tracking.get("revision_history")
    for path, item in indexed(history, child(_TRACKING, "revision_history")):
        if (number := parse_version(item.get("number"))) is not None:
            yield child(path, "number"), number
    if (version := parse_version(tracking.get("version"))) is not None:
        yield child(_TRACKING, "version"), version


def _status(doc: dict[str, Any]) -> str | None:
    return text(_tracking(doc).get("status"))


@mandatory("6.1.14", "Sorted Revision History")
def sorted_revision_history(doc: dict[str, Any]) -> Iterator[Finding]:
    """Revision numbers ascend as the revision dates do."""
    if _mixed(doc):
        return
    history = _history(doc)
    for earlier, later in itertools.pairwise(history):
        if earlier.number.precedence > later.number.precedence:
            yield (
                child(later.path, "number"),
                (
                    f"revision {later.number.text} is dated {later.date.isoformat()}, after "
                    f"revision {earlier.number.text} ({earlier.path}): numbers must ascend "
                    "with dates"
                ),
            )


@mandatory("6.1.16", "Latest Document Version")
def latest_document_version(doc: dict[str, Any]) -> Iterator[Finding]:
    """The document version is the number of the latest revision (build metadata ignored, and
    the pre-release part too for a draft)."""
    version = parse_version(_tracking(doc).get("version"))
    history = _history(doc)
    if version is None or not history or _mixed(doc):
        return
    draft = _status(doc) == "draft"
    latest = history[-1].number
    if version.without(prerelease=draft) != latest.without(prerelease=draft):
        yield (
            child(_TRACKING, "version"),
            (
                f"the document version is {version.text}, but the latest revision "
                f"({history[-1].path}) is {latest.text}"
            ),
        )


@mandatory("6.1.17", "Document Status Draft")
def document_status_draft(doc: dict[str, Any]) -> Iterator[Finding]:
    """A version 0, 0.y.z or with a pre-release part is a draft."""
    version = parse_version(_tracking(doc).get("version"))
    status = _status(doc)
    if version is None or status is None or status == "draft":
        return
    if version.major == 0 or version.prerelease:
        yield (
            child(_TRACKING, "status"),
            (
                f"the document version {version.text} is a pre-release, so the status must be "
                f"'draft', not {status!r}"
            ),
        )


@mandatory("6.1.18", "Released Revision History")
def released_revision_history(doc: dict[str, Any]) -> Iterator[Finding]:
    """A final or interim document has no revision numbered 0 or 0.y.z."""
    status = _status(doc)
    if status not in ("final", "interim"):
        return
    for path, version in _all_versions(doc):
        if path.endswith(".number") and version.major == 0:
            yield (
                path,
                f"revision {version.text} is a draft number in a document that is {status!r}",
            )


@mandatory("6.1.19", "Revision History Entries for Pre-release Versions")
def prerelease_revision(doc: dict[str, Any]) -> Iterator[Finding]:
    """No revision number has a pre-release part."""
    for path, version in _all_versions(doc):
        if path.endswith(".number") and version.prerelease:
            yield path, f"revision {version.text} is a pre-release version"


@mandatory("6.1.20", "Non-draft Document Version")
def non_draft_document_version(doc: dict[str, Any]) -> Iterator[Finding]:
    """A final or interim document's version has no pre-release part."""
    version = parse_version(_tracking(doc).get("version"))
    status = _status(doc)
    if version is not None and version.prerelease and status in ("final", "interim"):
        yield (
            child(_TRACKING, "version"),
            (
                f"the document is {status!r} but its version {version.text} has the pre-release "
                f"part -{'.'.join(version.prerelease)}"
            ),
        )


@mandatory("6.1.21", "Missing Item in Revision History")
def missing_revision(doc: dict[str, Any]) -> Iterator[Finding]:
    """The revision history starts at (major) version 0 or 1 and skips no (major) version."""
    history = _history(doc)
    if not history:
        return
    first = history[0]
    if first.number.major not in (0, 1):
        yield (
            child(first.path, "number"),
            (
                f"the first revision is {first.number.text}: expected version 0 or 1 "
                "(major version 0 or 1 in semantic versioning)"
            ),
        )
    majors = {r.number.major for r in history}
    missing = [m for m in range(min(majors), max(majors)) if m not in majors]
    if missing:
        yield (
            child(_TRACKING, "revision_history"),
            (
                f"the revision history has no item for (major) version "
                f"{', '.join(str(m) for m in missing)}"
            ),
        )


@mandatory("6.1.22", "Multiple Definition in Revision History")
def multiple_revision_definition(doc: dict[str, Any]) -> Iterator[Finding]:
    """No two revisions have the same number."""
    first: dict[tuple[Any, ...], str] = {}
    for path, version in _all_versions(doc):
        if not path.endswith(".number"):
            continue
        key = (version.integer, version.precedence)
        if key in first:
            yield path, f"revision {version.text} is already in the history at {first[key]}"
        else:
            first[key] = path


@mandatory("6.1.30", "Mixed Integer and Semantic Versioning")
def mixed_versioning(doc: dict[str, Any]) -> Iterator[Finding]:
    """All versions of the document use integer versioning, or all semantic versioning."""
    versions = list(_all_versions(doc))
    if not versions:
        return
    reference_path, reference = versions[0]
    scheme = "integer" if reference.integer else "semantic"
    for path, version in versions[1:]:
        if version.integer != reference.integer:
            yield (
                path,
                (
                    f"{version.text} does not use {scheme} versioning as {reference.text} at "
                    f"{reference_path} does"
                ),
            )

"""Remediation advice: the smallest upgrade of a component that clears all of its findings.

:func:`smallest_upgrade` answers, for one package version and the advisories that name the
package, "which version do I upgrade to?". It never writes a range evaluator of its own: every
"is version V affected by this record" question goes to
:class:`~vulndesk.core.matching.evaluation.OsvRangeEvaluator`, and versions are ordered by the
ecosystem's scheme from :mod:`vulndesk.core.versions.registry`.

Algorithm:

1. The advisories that count are those not withdrawn (nor rejected) with an ``affected[]`` entry
   for the package: same lookup key as the matcher uses (:func:`~.advisories.osv.lookup_name`,
   :func:`~.matching.identity.index_ecosystem`; an unscoped ``AlmaLinux`` entry also covers
   ``AlmaLinux:8``). Entries of one id are pooled.
2. The *findings* are those of them that some entry says affect ``current`` (status
   ``affected``). The others are not findings and never appear in ``clears``; an ``unknown``
   status is not a finding either (as in the matcher).
3. Candidates are the versions the entries name: ``fixed`` and ``introduced`` events of SEMVER and
   ECOSYSTEM ranges and the ``versions`` lists, valid in the ecosystem's ordering and strictly
   greater than ``current``, ascending, one per distinct version. ``last_affected`` events are
   skipped (the version after them is not known), and so are ``limit`` events and GIT ranges
   (commits are not versions).
4. A candidate *clears* a finding when every entry of the finding says ``not_affected`` for it
   (``unknown`` does not clear), and *introduces* an advisory that is not a finding but affects it.
5. The target is the smallest candidate that clears every finding and introduces nothing. When
   there is none, it is the candidate that clears the most findings, then introduces the fewest,
   then is smallest; the findings it does not clear are ``remaining`` and the reason says so,
   as it says when a smaller fix was passed over because other advisories affect it (Django
   1.11.29 -> 2.2.28, not 2.2.24, which eight advisories of the 2.2 line affect). When no
   candidate clears any finding (no fix published), the target is None. Advisories that the
   target affects but ``current`` does not are listed in ``introduces`` (an addition to the
   contract; empty whenever a target without them exists).

``crosses_major`` compares :func:`major_of` of ``current`` and of the target; it is False when
either has no known major. For Go the target keeps the ``v`` prefix of ``current``
(``v0.17.0`` -> ``v0.31.0``), since OSV writes Go versions without it and go.mod with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from vulndesk.core.advisories.model import Advisory, Affected
from vulndesk.core.advisories.osv import lookup_name
from vulndesk.core.errors import VulndeskError
from vulndesk.core.matching.evaluation import (
    OsvRangeEvaluator,
    default_evaluator,
    unsupported_reason,
)
from vulndesk.core.matching.identity import index_ecosystem
from vulndesk.core.versions.base import VersionScheme
from vulndesk.core.versions.registry import base_ecosystem, scheme_for_ecosystem

__all__ = ["Upgrade", "major_of", "smallest_upgrade"]

_VERSION_RANGES: Final = frozenset({"SEMVER", "ECOSYSTEM"})
_CANDIDATE_EVENTS: Final = frozenset({"introduced", "fixed"})

# Schemes whose major is not read off the sort key: (optional epoch) then the first number of
# the version as written, which each pattern finds after what may precede it in that scheme.
_LEADING_NUMBER: Final[dict[str, re.Pattern[str]]] = {
    "maven": re.compile(r"([0-9]+)"),  # first numeric segment (ComparableVersion item)
    "gem": re.compile(r"\s*([0-9]+)"),
    "composer": re.compile(r"\s*[vV]?([0-9]+)"),
    "apk": re.compile(r"([0-9]+)"),
    "deb": re.compile(r"\s*(?:([0-9]+):)?([0-9]+)"),  # epoch:upstream-revision
    "rpm": re.compile(r"\s*(?:([0-9]+):)?([0-9]+)"),  # epoch:version-release
}


@dataclass(frozen=True, slots=True)
class Upgrade:
    """The advice for one component: which version to upgrade to, and what that clears.

    ``target`` is the smallest version above ``current`` (the ecosystem's ordering) that no given
    advisory affects, or None when none is known; ``clears`` the advisory ids the target clears,
    ``remaining`` the findings it does not clear, ``introduces`` advisories that do not affect
    ``current`` but do affect the target (only when no better target is known); all sorted.
    ``reason`` is one sentence saying why.
    """

    ecosystem: str
    name: str
    current: str
    target: str | None
    crosses_major: bool
    clears: tuple[str, ...]
    remaining: tuple[str, ...]
    reason: str
    introduces: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """Return the advice as a JSON-ready dict (tuples become lists)."""
        return {
            "ecosystem": self.ecosystem,
            "name": self.name,
            "current": self.current,
            "target": self.target,
            "crosses_major": self.crosses_major,
            "clears": list(self.clears),
            "remaining": list(self.remaining),
            "introduces": list(self.introduces),
            "reason": self.reason,
        }


def major_of(ecosystem: str, version: str) -> str | None:
    """Return the major version of ``version`` in ``ecosystem``'s scheme, or None if unknown.

    SemVer-like schemes (npm, crates.io, Go, NuGet...): the major number (Go ``v0`` is a major
    of its own, ``0``; a ``/vN`` module path is another module). PEP 440: ``release[0]``, written
    ``N!M`` under a non-zero epoch. Maven, RubyGems, Composer, apk: the first number;
    dpkg and rpm: the first number of the upstream version, written ``E:M`` under a non-zero
    epoch. None when the ecosystem has no known ordering or the version is not valid in it.
    """
    try:
        scheme = scheme_for_ecosystem(ecosystem)
        key = scheme.cached_key(version)
    except VulndeskError:
        return None
    if scheme.name in ("semver", "golang", "nuget"):
        return str(key[0])  # keys start with the major number (semver.py, nuget.py)
    if scheme.name == "pypi":
        epoch, release = key[0], key[1]  # (epoch, release, ...) per pypi.py
        return f"{epoch}!{release[0]}" if epoch else str(release[0])
    pattern = _LEADING_NUMBER.get(scheme.name)
    match = pattern.match(version) if pattern is not None else None
    if match is None:
        return None
    *epoch_group, number = match.groups()
    major = str(int(number))
    epoch = int(epoch_group[0]) if epoch_group and epoch_group[0] else 0
    return f"{epoch}:{major}" if epoch else major


@dataclass(slots=True)
class _Record:
    id: str
    entries: list[Affected]


def smallest_upgrade(
    ecosystem: str,
    name: str,
    current: str,
    advisories: Sequence[Advisory],
    *,
    evaluator: OsvRangeEvaluator | None = None,
) -> Upgrade:
    """Return the smallest upgrade of ``name`` from ``current`` that clears its findings.

    ``advisories`` may include records about other packages and records that do not affect
    ``current``; see the module docstring for what counts and how the target is chosen.
    """
    evaluator = evaluator if evaluator is not None else default_evaluator()
    records = _records_for(ecosystem, name, advisories)
    findings: list[_Record] = []
    others: list[_Record] = []
    for record in records:
        hit = any(evaluator.evaluate(e, current).affected for e in record.entries)
        (findings if hit else others).append(record)

    def advice(
        target: str | None,
        reason: str,
        clears: Iterable[str] = (),
        remaining: Iterable[str] = (),
        introduces: Iterable[str] = (),
    ) -> Upgrade:
        crosses = False
        if target is not None:
            before, after = major_of(ecosystem, current), major_of(ecosystem, target)
            crosses = before is not None and after is not None and before != after
        return Upgrade(
            ecosystem,
            name,
            current,
            target,
            crosses,
            tuple(sorted(clears)),
            tuple(sorted(remaining)),
            reason,
            tuple(sorted(introduces)),
        )

    if not findings:
        return advice(None, f"{current} is not affected by any of the given advisories")
    finding_ids = [f.id for f in findings]
    try:
        scheme = scheme_for_ecosystem(ecosystem)
        current_key = scheme.cached_key(current)
    except VulndeskError as e:
        return advice(
            None,
            f"no upgrade can be ordered after {current}: {unsupported_reason(e)}",
            remaining=finding_ids,
        )

    best: tuple[int, int] | None = None  # (-cleared, introduced): smaller is better
    chosen: tuple[str, set[str], set[str]] | None = None
    cleared_by_some: set[str] = set()
    # the first candidate clearing N findings, and how many others affect it: to say why a
    # smaller fix was passed over
    first_clearing: dict[int, tuple[str, int]] = {}
    for candidate in _candidates(scheme, current_key, records):
        cleared = {
            f.id
            for f in findings
            if all(evaluator.evaluate(e, candidate).status == "not_affected" for e in f.entries)
        }
        cleared_by_some |= cleared
        if not cleared:
            continue
        introduced = {
            o.id
            for o in others
            if any(evaluator.evaluate(e, candidate).affected for e in o.entries)
        }
        first_clearing.setdefault(len(cleared), (candidate, len(introduced)))
        score = (-len(cleared), len(introduced))
        if best is None or score < best:  # strictly better only: candidates ascend
            best, chosen = score, (candidate, cleared, introduced)
            if len(cleared) == len(findings) and not introduced:
                break

    if chosen is None:
        return advice(
            None, f"no fixed version is known for {_ids(finding_ids)}", remaining=finding_ids
        )
    candidate, cleared, introduced = chosen
    target = _spelled_like(ecosystem, current, candidate)
    remaining = [i for i in finding_ids if i not in cleared]
    reason = f"{target} is the smallest version fixed for {_count(cleared, len(findings))}"
    passed_over, affected_by = first_clearing[len(cleared)]
    if passed_over != candidate:
        spelled = _spelled_like(ecosystem, current, passed_over)
        which = "no other given advisory affects" if not introduced else "fewer advisories affect"
        more = "1 more advisory" if affected_by == 1 else f"{affected_by} more advisories"
        reason += f" that {which} ({spelled} is fixed too, but is affected by {more})"
    if remaining:
        unfixed = [i for i in remaining if i not in cleared_by_some]
        apart = [i for i in remaining if i in cleared_by_some]
        if unfixed:
            reason += f"; no fixed version is known for {_ids(unfixed)}"
        if apart:
            reason += f"; no single known version also clears {_ids(apart)}"
    if introduced:
        reason += f"; it is affected by {_ids(introduced)}, which {current} is not"
    return advice(target, reason, cleared, remaining, introduced)


def _records_for(ecosystem: str, name: str, advisories: Sequence[Advisory]) -> list[_Record]:
    """Return the live advisories with entries for the package, entries pooled per id."""
    wanted_name = lookup_name(ecosystem, name)
    wanted_ecosystems = {index_ecosystem(ecosystem), base_ecosystem(ecosystem)}
    by_id: dict[str, _Record] = {}
    for advisory in advisories:
        if advisory.withdrawn is not None or advisory.rejected:
            continue
        entries = [
            a
            for a in advisory.affected
            if a.lookup_name == wanted_name and index_ecosystem(a.ecosystem) in wanted_ecosystems
        ]
        if entries:
            by_id.setdefault(advisory.id, _Record(advisory.id, [])).entries.extend(entries)
    return list(by_id.values())


def _candidates(scheme: VersionScheme, current_key: Any, records: list[_Record]) -> list[str]:
    """Return the distinct versions the records name above ``current_key``, ascending."""
    named: dict[str, None] = {}
    for record in records:
        for entry in record.entries:
            for r in entry.ranges:
                if r.type in _VERSION_RANGES:
                    named.update(
                        (e.version, None)
                        for e in r.events
                        if e.kind in _CANDIDATE_EVENTS and e.version != "0"
                    )
            named.update((v, None) for v in entry.versions)
    keyed: list[tuple[Any, str]] = []
    for version in named:
        try:
            key = scheme.cached_key(version)
        except VulndeskError:
            continue  # not a version of this ecosystem (a range of another scheme, a typo)
        if key > current_key:
            keyed.append((key, version))
    keyed.sort(key=lambda item: item[0])
    distinct: list[str] = []
    last: Any = None
    for key, version in keyed:
        if not distinct or key != last:  # 1.0 and 1.0.0 are one PEP 440 version
            distinct.append(version)
        last = key
    return distinct


def _spelled_like(ecosystem: str, current: str, version: str) -> str:
    """Return ``version`` with ``current``'s Go ``v`` prefix (OSV Go records write none)."""
    if base_ecosystem(ecosystem) == "Go" and current[:1] == "v" and version[:1].isdigit():
        return f"v{version}"
    return version


def _ids(ids: Iterable[str]) -> str:
    return ", ".join(sorted(ids))


def _count(cleared: set[str], total: int) -> str:
    if total == 1:
        return next(iter(cleared))
    if len(cleared) == total:
        return "both advisories" if total == 2 else f"all {total} advisories"
    return f"{len(cleared)} of {total} advisories"

"""Matching components against advisories: one finding per (component, vulnerability).

The server (or the CLI) calls :func:`match_components` with the components of an SBOM and a way to
fetch candidate advisories:

- ``advisories_for(keys)`` receives every :class:`~vulndesk.core.matching.identity.LookupKey` of
  every component at once and returns the advisories filed under one of them
  (:func:`~vulndesk.core.matching.identity.advisory_lookup_keys`: OSV ``affected[]`` entries,
  NVD CPE criteria, product statements). One call per match run, so a database answers it with
  one query. :class:`AdvisoryIndex` is the in-memory version (CLI, tests).
- ``aliases`` resolves vulnerability ids to alias groups across all sources (``group_of(id)``,
  ``members(key)``; :class:`~vulndesk.core.ids.aliases.AliasGroups` fits). It is joined with the
  candidate advisories' own ``aliases``; when omitted, those alone form the groups.
- ``group_records(ids)`` (optional) returns the records of any source for the ids of the matched
  groups, so a finding's severity is the highest across its whole alias group. One call.

Three evaluators decide whether a record affects a component:

- OSV ``affected[]`` entries, by :class:`~.evaluation.OsvRangeEvaluator` -> confidence ``high``;
- NVD ``cpe_configurations``, by :func:`~.cpe_match.evaluate_configurations` with the component's
  CPEs -> ``medium``; no platform CPEs are known here, so a configuration with a platform
  condition ("running on" hardware) matches with the condition assumed, ``low`` confidence and
  "platform unverified" in the range;
- product statements (CVE 5, CSAF, JVN, EUVD), by :func:`~.products.match_product` -> the
  confidence of the identifier that tied them: ``high`` for a purl or hash, ``medium`` for a CPE
  or a model number with its vendor, ``low`` for vendor and product names. Among the statements
  naming the component, those tied by the strongest identifier that gives a verdict
  (affected or unaffected) decide, and any of them saying affected makes the record match: a
  CSAF document's "fixed" statement for the component's exact version thus outweighs a
  name-only one, and a product family's affected range is not cancelled by the statement about
  another version's fix, which does not cover this one.

The last two run only for records that have configurations or statements, so the OSV path costs
what it did. Withdrawn and rejected advisories never match. Records of one alias group that match
the same component (say ``PYSEC-x`` and ``GHSA-y`` both aliasing ``CVE-z``, or NVD's ``CVE-z`` and
a CSAF ``ICSA-...:CVE-z`` aliasing it) become ONE finding: ranges and fixed versions merged, the
highest severity of all of them, the highest confidence among the records that matched. An
``unknown`` outcome (a range, criterion or version entry that cannot be decided) is never a
finding; when nothing of the group matched it is reported as :class:`Undetermined`. Findings are
ordered by severity (highest first), then component (name, version, purl, ref), then
vulnerability id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cmp_to_key
from typing import Any, Final, Protocol

from vulndesk.core.advisories.model import Advisory, Affected, ProductStatement
from vulndesk.core.errors import InvalidVersion, VulndeskError
from vulndesk.core.ids.aliases import AliasGroups, id_sort_key
from vulndesk.core.ids.purl import parse_purl
from vulndesk.core.matching.cpe_match import (
    Confidence,
    compare_versions,
    evaluate_configurations,
    format_bounds,
)
from vulndesk.core.matching.evaluation import Evaluation, OsvRangeEvaluator, default_evaluator
from vulndesk.core.matching.identity import (
    ComponentQuery,
    LookupKey,
    NotEvaluated,
    advisory_lookup_keys,
    affected_lookup_key,
    component_query,
)
from vulndesk.core.matching.products import (
    ProductMatch,
    ProductQuery,
    match_product,
    product_query,
)
from vulndesk.core.sbom.model import Component
from vulndesk.core.scoring.cvss import RATINGS, SeverityRating, advisory_ratings, highest_rating
from vulndesk.core.versions.base import VersionScheme

__all__ = [
    "CONFIDENCES",
    "AdvisoriesFor",
    "AdvisoryIndex",
    "AliasResolver",
    "Finding",
    "GroupRecords",
    "MatchReport",
    "Undetermined",
    "component_sort_key",
    "match_components",
]

AdvisoriesFor = Callable[[frozenset[LookupKey]], Iterable[Advisory]]
GroupRecords = Callable[[frozenset[str]], Iterable[Advisory]]


class AliasResolver(Protocol):
    """Resolves ids to alias groups (AliasGroups implements it)."""

    def group_of(self, identifier: str) -> str:
        """Return the canonical key of ``identifier``'s group (the id itself when unknown)."""
        ...

    def members(self, key: str) -> frozenset[str]:
        """Return every id in ``key``'s group."""
        ...


@dataclass(frozen=True, slots=True)
class Finding:
    """One vulnerability (alias group) affecting one component.

    ``vulnerability_id`` is the group's key (its smallest CVE id, else its smallest id);
    ``aliases`` every id of the group, natural order; ``advisory_ids`` the records that matched;
    ``affected_range`` what matched, readably (several records' distinct ranges joined by
    ``"; "``): an OSV range, an NVD criterion with its bounds, or a product statement's rule;
    ``fixed_versions`` the upgrade targets above the component's version, in version order.
    ``confidence`` is how sure the identification is (module docstring): ``high`` (purl, OSV,
    hash), ``medium`` (CPE), ``low`` (vendor/product names, or an unverified platform); the
    highest among the group's records that matched.
    """

    component: Component
    vulnerability_id: str
    aliases: tuple[str, ...]
    advisory_ids: tuple[str, ...]
    summary: str | None
    severity: SeverityRating | None
    affected_range: str
    fixed_versions: tuple[str, ...]
    confidence: Confidence = "high"


@dataclass(frozen=True, slots=True)
class Undetermined:
    """A vulnerability that may or may not affect a component: some range could not be evaluated.

    Nothing matched, but a range that might have was not evaluable (invalid bound, unknown range
    type, GIT range without a versions list...); ``reason`` lists why.
    """

    component: Component
    vulnerability_id: str
    advisory_ids: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class MatchReport:
    """The result of matching a set of components."""

    components: int
    findings: tuple[Finding, ...]
    not_evaluated: tuple[NotEvaluated, ...]
    undetermined: tuple[Undetermined, ...] = ()

    @property
    def evaluated(self) -> int:
        """Return the number of components that were evaluated."""
        return self.components - len(self.not_evaluated)


class AdvisoryIndex:
    """Advisories in memory, filed by lookup key (``advisories_for`` fits match_components)."""

    def __init__(self, advisories: Iterable[Advisory] = ()) -> None:
        self._by_key: dict[LookupKey, list[Advisory]] = defaultdict(list)
        self._all: list[Advisory] = []
        self._by_id: dict[str, list[Advisory]] = defaultdict(list)
        for advisory in advisories:
            self.add(advisory)

    def add(self, advisory: Advisory) -> None:
        """File ``advisory`` under each of its keys (:func:`advisory_lookup_keys`)."""
        self._all.append(advisory)
        self._by_id[advisory.id].append(advisory)
        for key in advisory_lookup_keys(advisory):
            self._by_key[key].append(advisory)

    def __len__(self) -> int:
        return len(self._all)

    def advisories(self) -> Sequence[Advisory]:
        """Return every advisory added, in order."""
        return self._all

    def advisories_for(self, keys: frozenset[LookupKey]) -> list[Advisory]:
        """Return each advisory filed under any of ``keys``, once."""
        out: list[Advisory] = []
        seen: set[int] = set()
        for key in keys:
            for advisory in self._by_key.get(key, ()):
                if id(advisory) not in seen:
                    seen.add(id(advisory))
                    out.append(advisory)
        return out

    def advisories_by_id(self, ids: frozenset[str]) -> list[Advisory]:
        """Return each advisory whose id is in ``ids`` (fits ``group_records``)."""
        return [a for i in sorted(ids) for a in self._by_id.get(i, ())]

    def alias_groups(self) -> AliasGroups:
        """Return the alias groups of every advisory added."""
        return AliasGroups.from_pairs((a.id, a.aliases) for a in self._all)


def component_sort_key(component: Component) -> tuple[str, str, str, str]:
    """Return the order components are reported in: name, version, purl, ref."""
    return (component.name, component.version or "", component.purl or "", component.ref)


CONFIDENCES: Final[tuple[Confidence, ...]] = ("low", "medium", "high")
_CONFIDENCE_RANK: Final[dict[str, int]] = {c: i for i, c in enumerate(CONFIDENCES)}


@dataclass(frozen=True, slots=True)
class _ProductHit:
    """A record whose CPE configurations or product statements affect a component."""

    advisory: Advisory
    confidence: Confidence
    ranges: tuple[str, ...]
    fixed_versions: tuple[str, ...] = ()


@dataclass(slots=True)
class _GroupMatch:
    """Everything one alias group said about one component."""

    hits: list[tuple[Advisory, Affected, Evaluation]] = field(default_factory=list)
    problems: list[tuple[Advisory, tuple[str, ...]]] = field(default_factory=list)
    product_hits: list[_ProductHit] = field(default_factory=list)


def match_components(
    components: Iterable[Component],
    advisories_for: AdvisoriesFor,
    *,
    aliases: AliasResolver | None = None,
    group_records: GroupRecords | None = None,
    evaluator: OsvRangeEvaluator | None = None,
) -> MatchReport:
    """Return the findings for ``components``: one per (component, alias group) that affects it.

    ``advisories_for`` is called once with the lookup keys of all components (see the module
    docstring); ``aliases`` defaults to the groups formed by the returned advisories' own aliases.
    ``group_records``, when given, is called once with every id of every matched group and
    returns the records it has for them (any source: NVD, GHSA...), so that a finding's severity
    is the highest across its whole alias group, not only across the records that matched the
    package (Go's database has no CVSS; the GHSA or NVD record of the same CVE does).
    ``evaluator`` defaults to the shared one backed by the version registry.
    """
    evaluator = evaluator if evaluator is not None else default_evaluator()
    components = list(components)
    queries: list[ComponentQuery] = []
    not_evaluated: list[NotEvaluated] = []
    for component in components:
        query = component_query(component, evaluator.schemes)
        if isinstance(query, NotEvaluated):
            not_evaluated.append(query)
        else:
            queries.append(query)

    keys = frozenset(c.key for q in queries for c in q.candidates)
    by_key: dict[LookupKey, list[tuple[Advisory, Affected]]] = defaultdict(list)
    # records with CPE configurations or product statements, by the keys they are filed under
    products_by_key: dict[LookupKey, list[Advisory]] = defaultdict(list)
    advisories: list[Advisory] = []
    seen: set[int] = set()
    if keys:
        for advisory in advisories_for(keys):
            if id(advisory) in seen:
                continue
            seen.add(id(advisory))
            if advisory.withdrawn is not None or advisory.rejected:
                continue  # schema §withdrawn: kept, never matched (nor trusted for grouping)
            advisories.append(advisory)
            for affected in advisory.affected:
                key = affected_lookup_key(affected)
                if key in keys:
                    by_key[key].append((advisory, affected))
            if advisory.cpe_configurations or advisory.products:
                for key in advisory_lookup_keys(advisory):
                    if key in keys:
                        products_by_key[key].append(advisory)
    resolver = _local_groups(advisories, aliases)

    hits: list[tuple[ComponentQuery, str, _GroupMatch]] = []
    undetermined: list[Undetermined] = []
    for query in queries:
        groups: dict[str, _GroupMatch] = defaultdict(_GroupMatch)
        for candidate in query.candidates:
            for advisory, affected in by_key.get(candidate.key, ()):
                result = evaluator.evaluate(affected, candidate.version)
                if result.status == "affected":
                    groups[resolver.group_of(advisory.id)].hits.append((advisory, affected, result))
                elif result.status == "unknown":
                    groups[resolver.group_of(advisory.id)].problems.append(
                        (advisory, result.problems)
                    )
        if products_by_key:
            _match_products(query, products_by_key, groups, resolver)
        for group_key, match in groups.items():
            if match.hits or match.product_hits:
                hits.append((query, group_key, match))
            else:
                ids = sorted({a.id for a, _ in match.problems}, key=id_sort_key)
                reasons = sorted({p for _, r in match.problems for p in r})
                undetermined.append(
                    Undetermined(query.component, group_key, tuple(ids), "; ".join(reasons))
                )

    matched = {key for _, key, _ in hits}
    group_ratings = _group_ratings(matched, resolver, group_records)
    # Sorted once per group, not per finding: one vulnerability often affects many components.
    group_aliases = {key: tuple(sorted(resolver.members(key), key=id_sort_key)) for key in matched}
    findings = [
        _finding(query, key, match, group_aliases[key], evaluator, group_ratings.get(key, ()))
        for query, key, match in hits
    ]
    findings.sort(key=_finding_order)
    undetermined.sort(
        key=lambda u: (component_sort_key(u.component), id_sort_key(u.vulnerability_id))
    )
    not_evaluated.sort(key=lambda n: (component_sort_key(n.component), n.reason))
    return MatchReport(len(components), tuple(findings), tuple(not_evaluated), tuple(undetermined))


def _match_products(
    query: ComponentQuery,
    products_by_key: dict[LookupKey, list[Advisory]],
    groups: dict[str, _GroupMatch],
    resolver: AliasGroups,
) -> None:
    """Evaluate the CPE configurations and product statements of the records filed under the
    component's keys, adding hits and problems to ``groups`` (module docstring)."""
    candidates: dict[int, Advisory] = {}
    for candidate in query.candidates:
        for advisory in products_by_key.get(candidate.key, ()):
            candidates.setdefault(id(advisory), advisory)
    if not candidates:
        return
    component = query.component
    product = _product_query(query)
    for advisory in candidates.values():
        hit, problems = _evaluate_record(advisory, component.cpes, product)
        if hit is not None:
            groups[resolver.group_of(advisory.id)].product_hits.append(hit)
        elif problems:
            groups[resolver.group_of(advisory.id)].problems.append((advisory, problems))


def _product_query(query: ComponentQuery) -> ProductQuery:
    """Return the product query of a component; its version is the purl's when it has no other."""
    component = query.component
    vendors = (component.group,) if component.group else ()
    found = product_query(component, vendors=vendors)
    if found.version is None and component.purl:
        try:
            version = parse_purl(component.purl).version
        except VulndeskError:
            version = None
        if version:
            found = replace(found, version=version)
    return found


def _evaluate_record(
    advisory: Advisory, cpes: tuple[str, ...], product: ProductQuery
) -> tuple[_ProductHit | None, tuple[str, ...]]:
    """Return a record's hit on a component by CPE configurations or product statements, or
    the problems that kept it undecided (both empty: it does not affect the component)."""
    confidences: list[Confidence] = []
    ranges: list[str] = []
    fixed: list[str] = []
    problems: list[str] = []
    if advisory.cpe_configurations and cpes:
        result = evaluate_configurations(advisory.cpe_configurations, cpes)
        if result.affected:
            confidences.append(result.confidence)
            shown = "" if result.platform_verified else " (platform unverified)"
            ranges.extend(f"{m.criteria} {m.bounds}".rstrip() + shown for m in result.matched)
            fixed.extend(
                _criteria_fixed(advisory, {(m.criteria, m.bounds) for m in result.matched})
            )
        elif result.status == "unknown":
            problems.extend(result.problems or (result.reason,))
    if advisory.products:
        matches = [
            (statement, found)
            for statement in advisory.products
            if (found := match_product(product, statement)) is not None
        ]
        decided = _product_verdict(matches)
        if decided is not None and decided[0].status == "affected":
            confidences.append(decided[0].confidence)
            for statement, found in matches:
                if found in decided:
                    ranges.append(f"{statement.product} {found.rule} ({_where(advisory, found)})")
            fixed.extend(_statement_fixed(matches, product.version))
        elif decided is None:
            problems.extend(
                _unknown_reason(advisory, statement, found, product.version)
                for statement, found in matches
                if found.status == "unknown"
            )
    if not confidences:
        return None, tuple(problems)
    best = max(confidences, key=_CONFIDENCE_RANK.__getitem__)
    hit = _ProductHit(advisory, best, tuple(dict.fromkeys(ranges)), tuple(dict.fromkeys(fixed)))
    return hit, ()


def _where(advisory: Advisory, found: ProductMatch) -> str:
    """Return the source and product id of a statement: ``CSAF CSAFPID-0001``."""
    label = advisory.source.upper()
    return f"{label} {found.product_id}" if found.product_id else label


def _unknown_reason(
    advisory: Advisory, statement: ProductStatement, found: ProductMatch, version: str | None
) -> str:
    """Return why a statement naming the component leaves its status unknown."""
    named = f"{statement.product} ({_where(advisory, found)})"
    if found.problems:
        return f"{named} {found.rule}: {'; '.join(found.problems)}"
    if found.rule == "defaultStatus":
        return f"{named}: no entry covers version {version!r} and the default status is unknown"
    return f"{named} {found.rule}: the status is unknown"


def _product_verdict(
    matches: Sequence[tuple[ProductStatement, ProductMatch]],
) -> tuple[ProductMatch, ...] | None:
    """Return the statements that decide a record's verdict, or None when none can decide.

    The strongest identifier that gives a verdict decides (module docstring): among the matches
    of the highest confidence with an affected or unaffected status, the affected ones if any,
    else the unaffected ones.
    """
    for confidence in reversed(CONFIDENCES):
        tier = [m for _, m in matches if m.confidence == confidence]
        affected = tuple(m for m in tier if m.status == "affected")
        if affected:
            return affected
        unaffected = tuple(m for m in tier if m.status == "unaffected")
        if unaffected:
            return unaffected
    return None


def _criteria_fixed(advisory: Advisory, matched: set[tuple[str, str]]) -> list[str]:
    """Return the ``versionEndExcluding`` bounds of the criteria that matched (the NVD's fix)."""
    return [
        criterion.version_end_excluding
        for configuration in advisory.cpe_configurations
        for node in configuration.nodes
        for criterion in node.cpe_match
        if criterion.version_end_excluding
        and (criterion.criteria, format_bounds(criterion)) in matched
    ]


def _statement_fixed(
    matches: Sequence[tuple[ProductStatement, ProductMatch]], version: str | None
) -> list[str]:
    """Return the versions above ``version`` that the statements naming it say are unaffected
    (a CSAF ``fixed`` product version, a CVE 5 ``unaffected`` entry or change)."""
    if not version:
        return []
    found: list[str] = []
    for statement, _ in matches:
        for entry in statement.versions:
            if entry.status.strip().lower() == "unaffected":
                found.append(entry.version.strip())
            found.extend(at for at, status in entry.changes if status.lower() == "unaffected")
    return [v for v in found if compare_versions(v, version) == 1]


def _group_ratings(
    keys: set[str], resolver: AliasGroups, group_records: GroupRecords | None
) -> dict[str, list[SeverityRating]]:
    """Return, per group key, the ratings of every (not withdrawn) record of the group."""
    if group_records is None or not keys:
        return {}
    wanted = frozenset(i for key in keys for i in resolver.members(key))
    out: dict[str, list[SeverityRating]] = defaultdict(list)
    seen: set[int] = set()
    for advisory in group_records(wanted):
        if id(advisory) in seen or advisory.id not in wanted:
            continue
        seen.add(id(advisory))
        if advisory.withdrawn is not None or advisory.rejected:
            continue
        out[resolver.group_of(advisory.id)].extend(advisory_ratings(advisory))
    return out


def _local_groups(advisories: Iterable[Advisory], aliases: AliasResolver | None) -> AliasGroups:
    """Return the alias groups of the candidate advisories.

    They join what ``aliases`` knows (the whole group of each advisory) with the advisories' own
    ``aliases``, so two records that alias each other land in one finding even when ``aliases``
    has not seen one of them yet. Keys follow AliasGroups' rule (smallest CVE, else smallest id).
    """
    groups = AliasGroups()
    # Each known group is merged once, not once per advisory naming one of its ids: candidates of
    # one vulnerability share a group, and copying it for each of them cost 11 ms instead of 5 on
    # the 300-component benchmark. Union-find gives the same groups in any order.
    merged: set[str] = set()
    for advisory in advisories:
        if not advisory.id.strip():
            continue  # AliasGroups.add ignores a blank id, and its aliases with it
        groups.add(advisory.id, advisory.aliases)
        if aliases is None:
            continue
        for known in (advisory.id, *advisory.aliases):
            key = aliases.group_of(known)
            if key not in merged:
                merged.add(key)
                groups.add(key, aliases.members(key))  # members(key) includes ``known``
    return groups


_RATING_RANK = {r: i for i, r in enumerate(RATINGS)}


def _finding_order(f: Finding) -> tuple[int, tuple[str, str, str, str], Any]:
    rank = _RATING_RANK[f.severity.rating] if f.severity is not None else -1
    return -rank, component_sort_key(f.component), id_sort_key(f.vulnerability_id)


def _finding(
    query: ComponentQuery,
    group_key: str,
    match: _GroupMatch,
    aliases: tuple[str, ...],
    evaluator: OsvRangeEvaluator,
    group_ratings: Iterable[SeverityRating],
) -> Finding:
    hits = sorted(match.hits, key=lambda h: (h[0].id != group_key, id_sort_key(h[0].id)))
    ranges = [e.matched for _, _, e in hits if e.matched]
    fixed_versions = {v for _, _, e in hits for v in e.fixed_versions}
    records = [a for a, _, _ in hits]
    confidence: Confidence = "high"
    product_hits = match.product_hits
    if product_hits:  # the OSV-only path stays as lean as it was (the benchmark's)
        product_hits = sorted(
            product_hits, key=lambda h: (h.advisory.id != group_key, id_sort_key(h.advisory.id))
        )
        records = sorted(
            [*records, *(h.advisory for h in product_hits)],
            key=lambda a: (a.id != group_key, id_sort_key(a.id)),
        )
        ranges.extend(r for h in product_hits for r in h.ranges)
        fixed_versions.update(v for h in product_hits for v in h.fixed_versions)
        if not hits:
            confidence = max((h.confidence for h in product_hits), key=_CONFIDENCE_RANK.__getitem__)
    advisory_ids = tuple(dict.fromkeys(a.id for a in records))
    if hits:
        fixed = _sorted_versions(fixed_versions, _scheme(evaluator, hits[0][1].ecosystem))
    else:
        fixed = tuple(sorted(fixed_versions, key=cmp_to_key(_generic_order)))
    ratings: list[SeverityRating] = list(group_ratings)
    by_advisory: dict[int, list[Affected]] = defaultdict(list)
    for advisory, affected, _ in hits:
        by_advisory[id(advisory)].append(affected)
    for advisory, _, _ in hits:
        entries = by_advisory.pop(id(advisory), None)
        if entries is not None:
            ratings.extend(advisory_ratings(advisory, entries))
    for hit in product_hits:
        ratings.extend(advisory_ratings(hit.advisory, ()))
    return Finding(
        component=query.component,
        vulnerability_id=group_key,
        aliases=aliases,
        advisory_ids=advisory_ids,
        summary=_summary(records),
        severity=highest_rating(ratings),
        affected_range="; ".join(dict.fromkeys(ranges)),
        fixed_versions=fixed,
        confidence=confidence,
    )


def _generic_order(a: str, b: str) -> int:
    """Order two versions generically (:func:`~.cpe_match.compare_versions`), else as text."""
    order = compare_versions(a, b)
    if order is None or order == 0:
        return (a > b) - (a < b)
    return order


def _scheme(evaluator: OsvRangeEvaluator, ecosystem: str) -> VersionScheme | None:
    try:
        return evaluator.schemes.for_ecosystem(ecosystem)
    except VulndeskError:
        return None


def _sorted_versions(versions: set[str], scheme: VersionScheme | None) -> tuple[str, ...]:
    """Return ``versions`` in the scheme's order (unparsable ones last, by string)."""
    valid: list[tuple[Any, str]] = []
    other: list[str] = []
    for v in versions:
        if scheme is None:
            other.append(v)
            continue
        try:
            valid.append((scheme.cached_key(v), v))
        except InvalidVersion:
            other.append(v)
    valid.sort()
    return tuple(v for _, v in valid) + tuple(sorted(other))


#: whose summary a finding shows, first to last: the package ecosystem's own advisory (OSV,
#: GHSA), the CNA's CVE record, NVD, the vendor's CSAF, JVN, EUVD (docs/architecture.md)
SUMMARY_ORDER: Final = ("osv", "ghsa", "cve5", "nvd", "csaf", "jvn", "euvd")


def _summary(advisories: Iterable[Advisory]) -> str | None:
    """Return the first summary of ``advisories`` in :data:`SUMMARY_ORDER` of their sources
    (records of one source in the order given), else the first line of the first details.

    A summary that only repeats an id of its record (CISA's CSAF titles are often the CVE id)
    says nothing and is skipped.
    """
    rank = {source: n for n, source in enumerate(SUMMARY_ORDER)}
    ordered = sorted(advisories, key=lambda a: rank.get(a.source, len(rank)))
    for advisory in ordered:
        text = (advisory.summary or "").strip()
        if text and text != advisory.id and text not in advisory.aliases:
            return text
    for advisory in ordered:
        if advisory.details:
            for line in advisory.details.splitlines():
                if line.strip():
                    text = line.strip()
                    return text if len(text) <= 200 else text[:199] + "…"
    return None

"""CPE matching for components without a package URL: NIST IR 7696 and NVD configurations.

Firmware, appliances, ICS products and OS-level software rarely carry a purl; the NVD names them
by CPE. CPE matching is also the main source of false positives in every scanner (a Go SQL driver
matched ~200 unrelated CVEs in Dependency-Track #3063), so this module is strict and says how sure
it is: a CPE finding is ``medium`` confidence at best, and carries the criteria that fired.

**IR 7696 name matching** (:func:`compare_attribute`, :func:`compare_names`, ``cpe_*``): the
attribute comparison of IR 7696 section 6.1 (Table 6-2) and its ``compare``/``compareStrings``
pseudocode. Values are compared case-insensitively in WFN form, so ``1\\.0`` is the literal
``1.0``. Wildcards are honoured only in the *source* (in NVD terms the criterion): ``*`` at an end
matches any run of characters, a run of n ``?`` at an end matches up to n characters (what the
pseudocode and the NIST reference implementation do). A *target* with an unquoted wildcard gives
UNDEFINED, as the spec says.

**Generic version ordering** (:func:`compare_versions`) for NVD bounds and CVE 5 ``custom``
versions. A version is read, after lower-casing and dropping one leading ``v`` before a digit,
as a list of items split at ``.``, ``-``, ``_``, ``+``, ``~`` and spaces and between digits and
letters (``1.0.3a`` is ``1 0 3 a``):

- a run of digits is a NUMBER, compared numerically (``05`` is ``5``, ``10`` > ``9``);
- ``dev``/``snapshot`` < ``alpha`` < ``beta`` < ``milestone`` < ``pre``/``preview`` < ``rc``/``cr``
  are PRE-release words; any other run of letters is a SUFFIX, compared lexically;
- trailing zero NUMBERs of each run of numbers are dropped (``1.0`` is ``1``, ``05.00`` is ``5``,
  ``1.0-rc1`` is ``1-rc1``);
- two versions compare item by item, the shorter padded with END, with PRE < END < SUFFIX and
  END < NUMBER (``1.0-rc1`` < ``1.0`` < ``1.0.3`` < ``1.0.3a`` < ``1.0.4``).

A SUFFIX against a NUMBER at the first difference (``1.0.3a`` against ``1.0.3.1``, ``R2`` against
``2``) has no meaning we could defend: the comparison is *undetermined* (None), as is any string
with characters other than letters, digits and those separators (``2:1.0``, ``1.0(3)``). No other
pair is undetermined, and the determined pairs form a partial order whose incomparable pairs sit
side by side (nothing lies between a SUFFIX and a NUMBER), so it stays transitive; equality means
equal item lists. Undetermined never becomes a match.

**NVD configurations** (:func:`evaluate_configurations`): criteria, nodes and configurations are
evaluated in three-valued logic (match, no match, undetermined); a node's ``negate`` and a
configuration's ``negate`` invert. The rules for one criterion against one CPE
(:func:`match_criterion`):

- the names must not be DISJOINT (IR 7696) and no attribute may be UNDEFINED;
- version bounds (``versionStart*``/``versionEnd*``) are applied whenever given (NVD gives them
  only with version ANY); a CPE whose version is ANY, NA or a pattern cannot be placed against a
  bound, nor one the generic ordering cannot compare: undetermined;
- a criterion naming a specific version or update against a CPE whose version or update is ANY
  (relation SUBSET: "some version of it") is undetermined, never a match;
- vendor and product: both the criterion and the CPE must name them (not ANY or NA; the CPE
  without wildcards), and each relation must be EQUAL, or SUPERSET through a wildcard pattern in
  the criterion. This forbids every SUBSET/SUPERSET mix of vendor and product, in particular the
  "SUBSET vendor, SUPERSET product" match (``cpe:2.3:a:*:mysql`` against Oracle's MySQL, or a
  criterion ``a:*:mysql`` against a driver), which is how name collisions become findings;
- part, edition, language, sw_edition, target_sw, target_hw and other may be SUBSET: a component
  that does not say its target platform is matched by a criterion that names one.

A configuration makes a finding only when it evaluates to a match *and* a criterion with
``vulnerable: true`` matched one of the component's own CPEs in a non-negated position. So a
``vulnerable: false`` criterion never makes a finding, and a configuration whose only matches are
platform criteria (or a negation) never matches. Criteria are tried against the component's CPEs
and the platform CPEs the caller gives (firmware components often carry their hardware's CPE too).

Platforms ("running on"): a ``vulnerable: false`` criterion is a platform condition. When the
caller gives platform CPEs, they decide it. When the caller gives none, the condition is neither
dropped nor claimed: it is *assumed to hold* and the finding says ``platform_verified=False`` with
``low`` confidence. Dropping it would hide e.g. every Windows-only finding from an SBOM that does
not list the OS; claiming it would hide that nobody checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Final, Literal

from vulndesk.core.advisories.model import CpeConfiguration, CpeMatchCriterion, CpeNode
from vulndesk.core.errors import IdentifierError, InvalidVersion
from vulndesk.core.ids.cpe import ANY, ATTRIBUTES, AttributeValue, Cpe, parse_cpe, wfn_unquote
from vulndesk.core.matching.evaluation import Status

__all__ = [
    "Confidence",
    "CpeMatchResult",
    "CriterionMatch",
    "GenericVersion",
    "MatchedCriterion",
    "Outcome",
    "Relation",
    "compare_attribute",
    "compare_names",
    "compare_versions",
    "cpe_disjoint",
    "cpe_equal",
    "cpe_subset",
    "cpe_superset",
    "evaluate_configurations",
    "format_bounds",
    "has_wildcards",
    "match_criterion",
    "parse_generic_version",
    "vendor_product_problem",
]

Confidence = Literal["high", "medium", "low"]


class Relation(Enum):
    """How a source attribute value relates to a target value (IR 7696 Table 6-1).

    SUPERSET: the source's set of values contains the target's; SUBSET the reverse. UNDEFINED is
    the spec's answer whenever the target holds a wildcard.
    """

    SUPERSET = "SUPERSET"
    SUBSET = "SUBSET"
    EQUAL = "EQUAL"
    DISJOINT = "DISJOINT"
    UNDEFINED = "UNDEFINED"

    def __repr__(self) -> str:
        return self.value


# --- IR 7696 attribute and name comparison ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A WFN value string split into its wildcards and its literal characters.

    ``lead``/``trail``: -1 for ``*``, else the number of ``?`` (0: none). ``body``: the literal
    characters, unquoted.
    """

    lead: int
    body: tuple[str, ...]
    trail: int

    @property
    def wild(self) -> bool:
        return self.lead != 0 or self.trail != 0


@lru_cache(maxsize=65_536)
def _pattern(value: str) -> _Pattern:
    """Return the pattern of a (lower-cased) WFN value string that :class:`Cpe` validated."""
    index, end = 0, len(value)
    lead = 0
    if value.startswith("*"):
        lead, index = -1, 1
    else:
        while index < end and value[index] == "?":
            lead += 1
            index += 1
    body: list[str] = []
    trail = 0
    while index < end:
        char = value[index]
        if char == "\\":
            body.append(value[index + 1])
            index += 2
        elif char == "*":
            trail = -1
            index += 1
        elif char == "?":
            trail += 1
            index += 1
        else:
            body.append(char)
            index += 1
    return _Pattern(lead, tuple(body), trail)


def has_wildcards(value: AttributeValue) -> bool:
    """Return whether a WFN value string holds an unquoted ``*`` or ``?`` (ANY/NA do not)."""
    return isinstance(value, str) and _pattern(value.lower()).wild


def compare_attribute(source: AttributeValue, target: AttributeValue) -> Relation:
    """Return the IR 7696 relation of a source attribute value to a target value.

    Values are WFN values (:class:`~vulndesk.core.ids.cpe.LogicalValue` or WFN-quoted strings).
    The order of the tests is the spec's ``compare`` pseudocode: a wildcard in the target is
    UNDEFINED; equal values are EQUAL; source ANY is SUPERSET; target ANY is SUBSET; NA against
    anything else is DISJOINT; two strings compare by pattern (SUPERSET or DISJOINT).
    """
    src = _pattern(source.lower()) if isinstance(source, str) else source
    tgt = _pattern(target.lower()) if isinstance(target, str) else target
    if isinstance(tgt, _Pattern) and tgt.wild:
        return Relation.UNDEFINED
    if src == tgt:
        return Relation.EQUAL
    if src is ANY:
        return Relation.SUPERSET
    if tgt is ANY:
        return Relation.SUBSET
    if not isinstance(src, _Pattern) or not isinstance(tgt, _Pattern):
        return Relation.DISJOINT  # NA against a different value
    if src.wild and _pattern_matches(src, tgt.body):
        return Relation.SUPERSET
    return Relation.DISJOINT


def _pattern_matches(pattern: _Pattern, text: tuple[str, ...]) -> bool:
    """Return whether ``text`` is ``pattern``'s body with allowed characters before and after."""
    size = len(pattern.body)
    for start in range(len(text) - size + 1):
        if text[start : start + size] != pattern.body:
            continue
        after = len(text) - start - size
        if (pattern.lead == -1 or start <= pattern.lead) and (
            pattern.trail == -1 or after <= pattern.trail
        ):
            return True
    return False


def _as_cpe(name: Cpe | str) -> Cpe:
    return name if isinstance(name, Cpe) else _parse_cached(name)


@lru_cache(maxsize=65_536)
def _parse_cached(text: str) -> Cpe:
    return parse_cpe(text)


def compare_names(source: Cpe | str, target: Cpe | str) -> tuple[Relation, ...]:
    """Return the 11 attribute relations of source to target, in ``ATTRIBUTES`` order.

    Strings are parsed as CPE 2.3 formatted strings or 2.2 URIs (IdentifierError if invalid).
    """
    src, tgt = _as_cpe(source), _as_cpe(target)
    return tuple(compare_attribute(s, t) for s, t in zip(src.values(), tgt.values(), strict=True))


def cpe_disjoint(source: Cpe | str, target: Cpe | str) -> bool:
    """Return whether the names are disjoint: some attribute relation is DISJOINT."""
    return Relation.DISJOINT in compare_names(source, target)


def cpe_equal(source: Cpe | str, target: Cpe | str) -> bool:
    """Return whether the names are equal: every attribute relation is EQUAL."""
    return all(r is Relation.EQUAL for r in compare_names(source, target))


def cpe_subset(source: Cpe | str, target: Cpe | str) -> bool:
    """Return whether source is a subset of target: every relation is SUBSET or EQUAL."""
    return all(r in (Relation.SUBSET, Relation.EQUAL) for r in compare_names(source, target))


def cpe_superset(source: Cpe | str, target: Cpe | str) -> bool:
    """Return whether source is a superset of target: every relation is SUPERSET or EQUAL."""
    return all(r in (Relation.SUPERSET, Relation.EQUAL) for r in compare_names(source, target))


# --- generic version ordering ----------------------------------------------------------------

_PRE_RELEASE: Final = {
    "dev": 0,
    "snapshot": 0,
    "alpha": 1,
    "beta": 2,
    "milestone": 3,
    "pre": 4,
    "preview": 4,
    "rc": 5,
    "cr": 5,
}
_VERSION_CHARS: Final = re.compile(r"[0-9a-z][0-9a-z._+~ -]*")
_VERSION_TOKEN: Final = re.compile(r"[0-9]+|[a-z]+|[._+~ -]+")
# item kinds, in their order; SUFFIX and NUMBER are not comparable with each other
_PRE, _END, _SUFFIX, _NUMBER = 0, 1, 2, 3

_Item = tuple[int, int | str]
_END_ITEM: Final[_Item] = (_END, 0)


@dataclass(frozen=True, slots=True)
class GenericVersion:
    """A version read by the generic ordering (module docstring): its text and its items."""

    text: str
    items: tuple[_Item, ...]


@lru_cache(maxsize=65_536)
def parse_generic_version(text: str) -> GenericVersion:
    """Return the generic reading of ``text``; raise InvalidVersion when it has none."""
    lowered = text.strip().lower()
    if lowered[:1] == "v" and lowered[1:2].isdigit():
        lowered = lowered[1:]
    if not lowered or not _VERSION_CHARS.fullmatch(lowered):
        raise InvalidVersion(
            "generic",
            text,
            "expected letters and digits separated by '.', '-', '_', '+', '~' or spaces",
        )
    items: list[_Item] = []
    for token in _VERSION_TOKEN.findall(lowered):
        if token.isdigit():
            items.append((_NUMBER, int(token)))
        elif token.isalpha():
            if items and items[-1][0] == _NUMBER:
                _drop_trailing_zeros(items)
            rank = _PRE_RELEASE.get(token)
            items.append((_SUFFIX, token) if rank is None else (_PRE, rank))
    _drop_trailing_zeros(items)
    return GenericVersion(text, tuple(items))


def _drop_trailing_zeros(items: list[_Item]) -> None:
    """Drop zero NUMBERs ending the last run of numbers, keeping the run's first one."""
    while len(items) >= 2 and items[-1] == (_NUMBER, 0) and items[-2][0] == _NUMBER:
        items.pop()


def compare_versions(a: str, b: str) -> int | None:
    """Return -1, 0 or 1 as ``a`` sorts before, equal to or after ``b`` in the generic ordering.

    Return None when the ordering cannot say (a string it cannot read, or a SUFFIX against a
    NUMBER at the first difference): the caller must then not claim a match.
    """
    try:
        left, right = parse_generic_version(a).items, parse_generic_version(b).items
    except InvalidVersion:
        return None
    for index in range(max(len(left), len(right))):
        x = left[index] if index < len(left) else _END_ITEM
        y = right[index] if index < len(right) else _END_ITEM
        if x == y:
            continue
        if x[0] != y[0]:
            if {x[0], y[0]} == {_SUFFIX, _NUMBER}:
                return None
            return -1 if x[0] < y[0] else 1
        return _compare_values(x[1], y[1])
    return 0


def _compare_values(x: int | str, y: int | str) -> int:
    """Return -1 or 1 for two different values of items of the same kind (same Python type)."""
    if isinstance(x, int) and isinstance(y, int):
        return -1 if x < y else 1
    return -1 if str(x) < str(y) else 1


# --- one criterion against one CPE -----------------------------------------------------------

Outcome = Literal["match", "no_match", "unknown"]

# attribute positions in Cpe.values()
_PART, _VENDOR, _PRODUCT, _VERSION, _UPDATE = 0, 1, 2, 3, 4
# a criterion naming one of these more narrowly than the CPE is undetermined, not a match
_MUST_NOT_NARROW: Final = frozenset({_PART, _VERSION, _UPDATE})


@dataclass(frozen=True, slots=True)
class CriterionMatch:
    """One criterion against one or more CPEs: the outcome, why, and the CPE that matched."""

    outcome: Outcome
    reason: str
    cpe: str | None = None


def format_bounds(criterion: CpeMatchCriterion) -> str:
    """Return the criterion's version bounds readably (``>=2.0.0, <2.15.0``); "" when none."""
    parts = [
        f"{op}{bound}"
        for op, bound in (
            (">=", criterion.version_start_including),
            (">", criterion.version_start_excluding),
            ("<=", criterion.version_end_including),
            ("<", criterion.version_end_excluding),
        )
        if bound
    ]
    return ", ".join(parts)


def vendor_product_problem(cpe: Cpe) -> str | None:
    """Return why ``cpe`` cannot be matched by vendor and product, or None when it can.

    A CPE can be matched only when it names both, without wildcards: ``cpe:2.3:a:*:mysql``
    (vendor ANY) names every product called mysql, which is how name collisions become findings.
    """
    for label, value in (("vendor", cpe.vendor), ("product", cpe.product)):
        if not isinstance(value, str):
            return f"{label} is {value.value}"
        if has_wildcards(value):
            return f"{label} {wfn_unquote(value)!r} is a pattern"
    return None


def match_criterion(criterion: CpeMatchCriterion, cpe: Cpe | str) -> CriterionMatch:
    """Return whether one NVD criterion matches one CPE, by the rules of the module docstring.

    ``criterion.vulnerable`` is not looked at here: the configuration decides what a match of a
    platform criterion means.
    """
    try:
        source = _parse_cached(criterion.criteria)
    except IdentifierError as e:
        return CriterionMatch("unknown", f"criterion {criterion.criteria!r} is not a CPE: {e}")
    try:
        target = _as_cpe(cpe)
    except IdentifierError as e:
        return CriterionMatch("unknown", f"CPE {cpe!r} cannot be read: {e}")
    shown = target.to_formatted_string()
    relations = compare_names(source, target)
    disjoint = [ATTRIBUTES[i] for i, r in enumerate(relations) if r is Relation.DISJOINT]
    if disjoint:
        return CriterionMatch("no_match", f"{', '.join(disjoint)} differ")
    problem = vendor_product_problem(target)
    if problem:
        return CriterionMatch("no_match", f"{shown}: {problem}; CPE matching needs both")
    if not isinstance(source.vendor, str) or not isinstance(source.product, str):
        return CriterionMatch("no_match", "the criterion does not name both vendor and product")
    for index in (_VENDOR, _PRODUCT):
        # EQUAL, or SUPERSET through the criterion's own pattern (never ANY: checked above).
        # SUBSET cannot occur once the CPE names both; it is refused all the same.
        if relations[index] not in (Relation.EQUAL, Relation.SUPERSET):
            return CriterionMatch(
                "no_match", f"{ATTRIBUTES[index]} relation is {relations[index].value}"
            )
    for index, relation in enumerate(relations):
        if relation is Relation.UNDEFINED:
            return CriterionMatch(
                "unknown", f"{ATTRIBUTES[index]} of {shown} is a pattern (IR 7696: undefined)"
            )
        if relation is Relation.SUBSET and index in _MUST_NOT_NARROW:
            return CriterionMatch(
                "unknown",
                f"the criterion names {ATTRIBUTES[index]}"
                f" {wfn_unquote(source.values()[index])!r}, {shown} does not say which it is",
            )
    bounds = format_bounds(criterion)
    if bounds:
        outcome, reason = _within_bounds(criterion, target.version)
        if outcome != "match":
            return CriterionMatch(outcome, f"{shown}: {reason}")
    return CriterionMatch("match", f"{shown} matches {criterion.criteria} {bounds}".rstrip(), shown)


def _within_bounds(criterion: CpeMatchCriterion, version: AttributeValue) -> tuple[Outcome, str]:
    if not isinstance(version, str):
        return "unknown", f"version {version.value} cannot be placed against version bounds"
    if has_wildcards(version):
        return "unknown", f"version pattern {wfn_unquote(version)!r} has no place in bounds"
    plain = wfn_unquote(version)
    checks = (
        (criterion.version_start_including, (0, 1), ">="),
        (criterion.version_start_excluding, (1,), ">"),
        (criterion.version_end_including, (-1, 0), "<="),
        (criterion.version_end_excluding, (-1,), "<"),
    )
    for bound, allowed, op in checks:
        if not bound:
            continue
        order = compare_versions(plain, bound)
        if order is None:
            return "unknown", f"version {plain!r} cannot be ordered against bound {bound!r}"
        if order not in allowed:
            return "no_match", f"version {plain!r} is not {op}{bound}"
    return "match", ""


# --- configurations ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatchedCriterion:
    """A criterion that matched: its CPE name, bounds, and the component CPE it matched."""

    criteria: str
    bounds: str
    cpe: str
    vulnerable: bool = True
    match_criteria_id: str | None = None


@dataclass(frozen=True, slots=True)
class CpeMatchResult:
    """Whether a record's NVD configurations affect a component, and why.

    ``matched`` are the vulnerable criteria that matched the component's CPEs (in affected
    configurations). ``platform_verified`` is False when a platform condition was assumed
    because no platform CPEs were given; ``confidence`` is then ``low``, else ``medium`` (CPE
    matches are never ``high``). ``problems`` say what could not be decided.
    """

    status: Status
    reason: str
    matched: tuple[MatchedCriterion, ...] = ()
    platform_verified: bool = True
    confidence: Confidence = "medium"
    problems: tuple[str, ...] = ()

    @property
    def affected(self) -> bool:
        """Return whether the component is affected."""
        return self.status == "affected"


# Kleene three-valued logic: True, False, None (undetermined)
_Tri = bool | None


@dataclass(frozen=True, slots=True)
class _CriterionState:
    """A criterion's outcome against the component's CPEs and against the platform CPEs."""

    criterion: CpeMatchCriterion
    component: CriterionMatch
    platform: CriterionMatch


def _best(criterion: CpeMatchCriterion, cpes: Sequence[Cpe]) -> CriterionMatch:
    """Return the criterion against several CPEs: a match if any, else unknown if any."""
    if not cpes:
        return CriterionMatch("no_match", "no CPEs")
    results = [match_criterion(criterion, cpe) for cpe in cpes]
    for outcome in ("match", "unknown"):
        found = next((r for r in results if r.outcome == outcome), None)
        if found is not None:
            return found
    return results[0]


class _ConfigurationEvaluator:
    """Evaluates one configuration, with or without assuming unverifiable platform conditions."""

    def __init__(
        self,
        configuration: CpeConfiguration,
        components: Sequence[Cpe],
        platforms: Sequence[Cpe],
    ) -> None:
        self.configuration = configuration
        self.platforms_given = bool(platforms)
        self.states: dict[int, _CriterionState] = {}
        for node in configuration.nodes:
            for criterion in node.cpe_match:
                self.states[id(criterion)] = _CriterionState(
                    criterion, _best(criterion, components), _best(criterion, platforms)
                )
        self.assumed = False

    def value(self, *, assume_platforms: bool) -> _Tri:
        """Return the configuration's value; assumptions made are recorded in ``assumed``."""
        self.assumed = False
        nodes = [self._node(node, assume_platforms) for node in self.configuration.nodes]
        value = _combine(self.configuration.operator, nodes)
        return _negate(value) if self.configuration.negate else value

    def _node(self, node: CpeNode, assume_platforms: bool) -> _Tri:
        negated = node.negate != self.configuration.negate
        values = [
            self._criterion(self.states[id(c)], negated, assume_platforms) for c in node.cpe_match
        ]
        value = _combine(node.operator, values)
        return _negate(value) if node.negate else value

    def _criterion(self, state: _CriterionState, negated: bool, assume_platforms: bool) -> _Tri:
        outcomes = (state.component.outcome, state.platform.outcome)
        if "match" in outcomes:
            return True
        if not state.criterion.vulnerable and not self.platforms_given:
            # No platform was given: the condition is assumed to hold (flagged), which for a
            # criterion inside a negated node means it does not match.
            self.assumed = True
            return (not negated) if assume_platforms else negated
        return None if "unknown" in outcomes else False

    def evidence(self) -> tuple[list[MatchedCriterion], list[str]]:
        """Return the vulnerable criteria that matched the component in a positive position,
        and the reasons of those that could not be decided there."""
        matched: list[MatchedCriterion] = []
        undecided: list[str] = []
        for node in self.configuration.nodes:
            if node.negate != self.configuration.negate:
                continue
            for criterion in node.cpe_match:
                if not criterion.vulnerable:
                    continue
                result = self.states[id(criterion)].component
                if result.outcome == "match" and result.cpe is not None:
                    matched.append(
                        MatchedCriterion(
                            criteria=criterion.criteria,
                            bounds=format_bounds(criterion),
                            cpe=result.cpe,
                            match_criteria_id=criterion.match_criteria_id,
                        )
                    )
                elif result.outcome == "unknown":
                    undecided.append(f"{criterion.criteria}: {result.reason}")
        return matched, undecided

    def platform_problems(self) -> list[str]:
        """Return why platform criteria could not be decided against the platform CPEs."""
        return [
            f"platform {state.criterion.criteria}: {state.platform.reason}"
            for state in self.states.values()
            if not state.criterion.vulnerable and state.platform.outcome == "unknown"
        ] or ["a platform condition could not be decided"]


def _combine(operator: str, values: Sequence[_Tri]) -> _Tri:
    """Return the Kleene AND or OR of ``values`` (an empty node is False: it names nothing)."""
    if not values:
        return False
    if operator.upper() == "AND":
        if False in values:
            return False
        return None if None in values else True
    if True in values:
        return True
    return None if None in values else False


def _negate(value: _Tri) -> _Tri:
    return None if value is None else not value


def _read_cpes(cpes: Iterable[Cpe | str], label: str, problems: list[str]) -> list[Cpe]:
    read: list[Cpe] = []
    for cpe in cpes:
        try:
            read.append(_as_cpe(cpe))
        except IdentifierError as e:
            problems.append(f"{label} CPE {cpe!r} skipped: {e}")
    return read


def evaluate_configurations(
    configurations: Iterable[CpeConfiguration],
    component_cpes: Iterable[Cpe | str],
    platform_cpes: Iterable[Cpe | str] = (),
) -> CpeMatchResult:
    """Return whether NVD ``configurations`` affect a component with ``component_cpes``.

    ``platform_cpes`` name what the component runs on (OS, hardware); leave them empty when
    unknown, and platform conditions are assumed and flagged (module docstring). Configurations
    are alternatives: the component is affected when one of them says so.
    """
    problems: list[str] = []
    components = _read_cpes(component_cpes, "component", problems)
    platforms = _read_cpes(platform_cpes, "platform", problems)
    usable = []
    for cpe in components:
        problem = vendor_product_problem(cpe)
        if problem:
            problems.append(f"component CPE {cpe} not used: {problem}; CPE matching needs both")
        else:
            usable.append(cpe)
    if not usable:
        reason = "no component CPE names a vendor and a product"
        return CpeMatchResult("not_affected", reason, problems=tuple(problems))

    matched: list[MatchedCriterion] = []
    verified = False
    undecided: list[str] = []
    for configuration in configurations:
        evaluator = _ConfigurationEvaluator(configuration, usable, platforms)
        value = evaluator.value(assume_platforms=True)
        assumed = evaluator.assumed
        evidence, unknown = evaluator.evidence()
        if value is True and evidence:
            matched.extend(m for m in evidence if m not in matched)
            verified = verified or not assumed or evaluator.value(assume_platforms=False) is True
        elif value is None and (evidence or unknown):
            undecided.extend(unknown or evaluator.platform_problems())
    if matched:
        shown = "; ".join(f"{m.criteria} {m.bounds}".rstrip() + f" on {m.cpe}" for m in matched)
        if verified:
            reason = f"matched {shown}"
        else:
            reason = f"matched {shown}; platform unverified: no platform CPEs were given"
        return CpeMatchResult(
            "affected",
            reason,
            tuple(matched),
            platform_verified=verified,
            confidence="medium" if verified else "low",
            problems=tuple(problems),
        )
    if undecided:
        return CpeMatchResult(
            "unknown",
            "a configuration could not be decided",
            problems=(*problems, *undecided),
        )
    reason = "no configuration has a vulnerable criterion matching the component's CPEs"
    return CpeMatchResult("not_affected", reason, problems=tuple(problems))

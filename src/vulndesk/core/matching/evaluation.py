"""Whether one version of a package is affected by one OSV ``affected[]`` entry.

This is the OSV schema's evaluation algorithm (schema §Evaluation, reference/osv.md), exactly:

- V is affected when it is listed in ``versions`` or when any range says so;
- a range's events are sorted by version, ``introduced: "0"`` before everything; events with equal
  versions keep their file order (the schema does not order them; file order is the record's own
  timeline). Walking them, ``introduced: X`` with V >= X makes V vulnerable, ``fixed: X`` with
  V >= X not vulnerable, ``last_affected: X`` with V > X not vulnerable; the last applicable event
  decides, so a range may hold several introduced/fixed intervals;
- ``limit`` events bound a range from above: V must be below at least one of them (schema
  ``BeforeLimits``; ``limit: "*"`` is infinity). osv-scanner ignores ``limit``; we do not.
- ``SEMVER`` ranges use the SemVer scheme, ``ECOSYSTEM`` ranges the ecosystem's own ordering
  (both from :mod:`vulndesk.core.versions.registry`). ``GIT`` ranges name commits and need the
  commit graph: they are represented by the ``versions`` list (schema §affected[].versions), or,
  when the entry has none, by its SEMVER/ECOSYSTEM ranges (the convention of PyPA and osv.dev:
  those ranges are the GIT range translated to versions). They never stop the evaluation of the
  other ranges (osv-scanner skips every range after the first GIT range; we do not).

Where the algorithm cannot answer, the result says so instead of guessing. These make a range "not
evaluable": a bound that is not a valid version of the range's scheme, an unknown range type or an
ecosystem without a known ordering, no ``introduced`` event (the schema requires one), a GIT range
with neither a ``versions`` list nor a version range beside it, and a version V that is not valid
in the range's scheme. The ``versions`` list and the other ranges still count. The result is
``affected`` when anything says so, else ``unknown`` when some range could not be evaluated, else
``not_affected``.

``versions`` entries match V by string equality, or by equality in the ecosystem's ordering when
both parse (PEP 440 ``1.0`` is ``1.0.0``), which the schema's ``v == version`` means for
ecosystems whose versions have several spellings.

Prepared (sorted, parsed) ranges are cached per ``Affected`` object, since matching evaluates the
same entries again and again.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Final, Literal, Protocol

from vulndesk.core.advisories.model import Affected, Range
from vulndesk.core.errors import InvalidVersion, VulndeskError
from vulndesk.core.versions.base import VersionScheme
from vulndesk.core.versions.registry import scheme_for_ecosystem, scheme_for_range_type

__all__ = [
    "Evaluation",
    "OsvRangeEvaluator",
    "RegistrySchemes",
    "SchemeResolver",
    "Status",
    "default_evaluator",
    "evaluate",
    "unsupported_reason",
]

Status = Literal["affected", "not_affected", "unknown"]

_EVALUABLE_TYPES: Final = frozenset({"SEMVER", "ECOSYSTEM"})
_CACHE_SIZE: Final = 65_536


class SchemeResolver(Protocol):
    """Finds the version scheme of an ecosystem or a range (the registry's interface).

    Both methods raise a :class:`~vulndesk.core.errors.VulndeskError` (the registry's
    ``UnsupportedEcosystem``, with a ``reason``) when there is no known ordering.
    """

    def for_ecosystem(self, ecosystem: str) -> VersionScheme:
        """Return the scheme ordering ``ecosystem``'s versions."""
        ...

    def for_range_type(self, range_type: str, ecosystem: str) -> VersionScheme:
        """Return the scheme of a ``range_type`` (SEMVER, ECOSYSTEM) range in ``ecosystem``."""
        ...


class RegistrySchemes:
    """The default SchemeResolver: :mod:`vulndesk.core.versions.registry`."""

    def for_ecosystem(self, ecosystem: str) -> VersionScheme:
        """Return ``registry.scheme_for_ecosystem(ecosystem)``."""
        return scheme_for_ecosystem(ecosystem)

    def for_range_type(self, range_type: str, ecosystem: str) -> VersionScheme:
        """Return ``registry.scheme_for_range_type(range_type, ecosystem)``."""
        return scheme_for_range_type(range_type, ecosystem)


def unsupported_reason(error: VulndeskError) -> str:
    """Return the human reason carried by an UnsupportedEcosystem-like error."""
    reason = getattr(error, "reason", None)
    return reason if isinstance(reason, str) and reason else str(error)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The answer for one version against one ``affected[]`` entry.

    ``matched`` says what matched, readably (``>=1.0.0, <1.4.2``, ``<=2.1.214``, ``listed in
    versions``); ``fixed_versions`` lists the ``fixed`` events above the version (upgrade targets),
    in version order; ``problems`` says why some ranges could not be evaluated. Problems are kept
    whatever the status, but only make the status ``unknown`` when nothing says "affected".
    """

    status: Status
    matched: str | None = None
    fixed_versions: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def affected(self) -> bool:
        """Return whether the version is affected."""
        return self.status == "affected"


# A walk step: (kind, sort key or None for introduced "0", version as written)
_Step = tuple[str, Any, str]
_step_key = itemgetter(1)


# Not frozen, though never changed: a scan builds thousands, and a frozen dataclass's __init__
# costs five times a plain one's.
@dataclass(slots=True)
class _PreparedRange:
    label: str  # "ECOSYSTEM range #2", used in problems
    type: str
    scheme: VersionScheme | None
    problem: str | None  # set when the range can never be evaluated
    walk: tuple[_Step, ...] = ()
    limits: tuple[tuple[Any, str], ...] | None = None  # None: no limit (or "*")
    fixed: tuple[tuple[Any, str], ...] = ()  # (key, version) of fixed events, sorted


@dataclass(slots=True)
class _PreparedAffected:
    affected: Affected  # keeps the object alive, so its id() is not reused while cached
    ranges: tuple[_PreparedRange, ...]
    ecosystem_scheme: VersionScheme | None
    version_ranges: bool  # has a SEMVER or ECOSYSTEM range
    # computed on first use: most evaluations are decided by a range and never read the list
    versions: frozenset[str] | None = None
    version_keys: frozenset[Any] | None = None


class OsvRangeEvaluator:
    """Evaluates versions against ``affected[]`` entries, caching each entry's prepared ranges.

    One evaluator is meant to live long (the module-level :func:`evaluate` uses a shared one); the
    cache holds at most 65,536 entries and is dropped as a whole when full.
    """

    def __init__(self, schemes: SchemeResolver | None = None) -> None:
        self.schemes: SchemeResolver = schemes if schemes is not None else RegistrySchemes()
        self._cache: dict[int, _PreparedAffected] = {}

    # --- preparation --------------------------------------------------------------------------

    def _prepared(self, affected: Affected) -> _PreparedAffected:
        found = self._cache.get(id(affected))
        if found is not None and found.affected is affected:
            return found
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()
        prepared = self._prepare(affected)
        self._cache[id(affected)] = prepared
        return prepared

    def _prepare(self, affected: Affected) -> _PreparedAffected:
        try:
            ecosystem_scheme: VersionScheme | None = self.schemes.for_ecosystem(affected.ecosystem)
        except VulndeskError:
            ecosystem_scheme = None
        ranges = tuple(
            self._prepare_range(affected, number, r)
            for number, r in enumerate(affected.ranges, start=1)
        )
        return _PreparedAffected(
            affected,
            ranges,
            ecosystem_scheme,
            any(r.type in _EVALUABLE_TYPES for r in affected.ranges),
        )

    def _prepare_range(self, affected: Affected, number: int, r: Range) -> _PreparedRange:
        label = f"{r.type} range #{number}"
        if r.type == "GIT":
            return _PreparedRange(label, r.type, None, None)
        if r.type not in _EVALUABLE_TYPES:
            return _PreparedRange(label, r.type, None, f"{label}: unknown range type {r.type!r}")
        try:
            scheme = self.schemes.for_range_type(r.type, affected.ecosystem)
        except VulndeskError as e:
            return _PreparedRange(label, r.type, None, f"{label}: {unsupported_reason(e)}")
        zero: list[_Step] = []  # introduced "0" steps, in file order
        walk: list[_Step] = []  # every other introduced, fixed and last_affected step
        limits: list[tuple[Any, str]] = []
        unlimited = False
        introduced = False
        for event in r.events:
            kind, written = event.kind, event.version
            if kind == "introduced" and written == "0":
                # schema §events special values: "0" sorts before any other version
                zero.append(("introduced", None, "0"))
                introduced = True
                continue
            if kind == "limit" and written == "*":
                unlimited = True  # schema: "*" represents infinity
                continue
            try:
                key = scheme.cached_key(written)
            except InvalidVersion:
                return _PreparedRange(
                    label,
                    r.type,
                    scheme,
                    f"{label}: {kind} {written!r} is not a valid {scheme.name} version",
                )
            if kind == "limit":
                limits.append((key, written))
            else:
                walk.append((kind, key, written))
                introduced = introduced or kind == "introduced"
        if not introduced:
            return _PreparedRange(
                label, r.type, scheme, f"{label}: no introduced event (the schema requires one)"
            )
        # sort() is stable: equal versions keep their file order; "0" steps go first
        walk.sort(key=_step_key)
        return _PreparedRange(
            label,
            r.type,
            scheme,
            None,
            (*zero, *walk),
            None if unlimited or not limits else tuple(limits),
            tuple((key, written) for kind, key, written in walk if kind == "fixed"),
        )

    # --- evaluation ---------------------------------------------------------------------------

    def evaluate(
        self, affected: Affected, version: str, *, use_versions: bool = True
    ) -> Evaluation:
        """Return whether ``version`` is affected by ``affected`` (see the module docstring).

        With ``use_versions=False`` only the ranges count (GIT ranges then cannot say anything and
        are skipped): that is how ranges are cross-checked against a record's own versions list.
        """
        prepared = self._prepared(affected)
        problems: list[str] = []
        matched: str | None = None
        fixed: list[tuple[Any, str]] = []
        has_versions = bool(affected.versions)
        for pr in prepared.ranges:
            if pr.type == "GIT":
                if use_versions and not has_versions and not prepared.version_ranges:
                    problems.append(
                        f"{pr.label}: GIT ranges need the commit graph and the record lists no "
                        "versions"
                    )
                continue
            if pr.problem is not None:
                problems.append(pr.problem)
                continue
            assert pr.scheme is not None
            try:
                key = pr.scheme.cached_key(version)
            except InvalidVersion:
                problems.append(f"{pr.label}: {version!r} is not a valid {pr.scheme.name} version")
                continue
            described = _in_range(pr, key)
            if described is not None and matched is None:
                matched = described
            fixed.extend((k, v) for k, v in pr.fixed if k > key)
        if matched is None and use_versions and has_versions and self._listed(prepared, version):
            matched = "listed in versions"
        if matched is not None:
            return Evaluation("affected", matched, _in_order(fixed), tuple(problems))
        return Evaluation("unknown" if problems else "not_affected", None, (), tuple(problems))

    def _listed(self, prepared: _PreparedAffected, version: str) -> bool:
        if prepared.versions is None:
            prepared.versions = frozenset(prepared.affected.versions)
        if version in prepared.versions:
            return True
        scheme = prepared.ecosystem_scheme
        if scheme is None:
            return False
        try:
            key = scheme.cached_key(version)
        except InvalidVersion:
            return False
        if prepared.version_keys is None:
            prepared.version_keys = frozenset(_valid_keys(scheme, prepared.versions))
        try:
            return key in prepared.version_keys
        except TypeError:  # an unhashable key: a scheme may use lists; string equality then
            return False


def _in_order(fixed: list[tuple[Any, str]]) -> tuple[str, ...]:
    """Return the distinct versions of (key, version) pairs in key order (file order if mixed)."""
    try:
        ordered = sorted(fixed, key=lambda item: item[0])
    except TypeError:  # keys of two schemes (a SEMVER and an ECOSYSTEM range) do not compare
        ordered = fixed
    return tuple(dict.fromkeys(v for _, v in ordered))


def _valid_keys(scheme: VersionScheme, versions: frozenset[str]) -> list[Any]:
    keys: list[Any] = []
    for v in versions:
        try:
            key = scheme.cached_key(v)
            hash(key)
        except (InvalidVersion, TypeError):
            continue
        keys.append(key)
    return keys


def _in_range(pr: _PreparedRange, key: Any) -> str | None:
    """Return the readable interval of ``pr`` containing ``key``, or None (schema §Evaluation)."""
    if pr.limits is not None and not any(key < limit for limit, _ in pr.limits):
        return None  # BeforeLimits: below at least one limit
    vulnerable = False
    start = -1
    for i, (kind, bound, _) in enumerate(pr.walk):
        if kind == "introduced":
            if bound is None or key >= bound:
                vulnerable, start = True, i
        elif kind == "fixed":
            if key >= bound:
                vulnerable = False
        elif kind == "last_affected" and key > bound:
            vulnerable = False
    if not vulnerable:
        return None
    parts: list[str] = []
    low = pr.walk[start]
    if low[1] is not None:
        parts.append(f">={low[2]}")
    for kind, _, written in pr.walk[start + 1 :]:
        if kind == "fixed":
            parts.append(f"<{written}")
            break
        if kind == "last_affected":
            parts.append(f"<={written}")
            break
    if pr.limits is not None:
        below = min((limit for limit in pr.limits if key < limit[0]), key=lambda item: item[0])
        parts.append(f"<{below[1]} (limit)")
    return ", ".join(parts) if parts else ">=0"


_DEFAULT: OsvRangeEvaluator | None = None


def default_evaluator() -> OsvRangeEvaluator:
    """Return the shared evaluator that uses the version registry."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = OsvRangeEvaluator()
    return _DEFAULT


def evaluate(affected: Affected, version: str, *, use_versions: bool = True) -> Evaluation:
    """Return whether ``version`` is affected by ``affected``, with the shared evaluator.

    See :meth:`OsvRangeEvaluator.evaluate`.
    """
    return default_evaluator().evaluate(affected, version, use_versions=use_versions)

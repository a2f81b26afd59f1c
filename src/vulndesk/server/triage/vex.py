"""VEX triage: recording statements about findings, and applying them to every finding they cover.

A statement's **scope** is (product, vulnerability alias group, component, versions): the
component is its package purl without version (``ComponentIdentity.package``), else its name; the
versions are one exact component version, ``*`` for every version, or a version range written as
a ``vers:`` string (``vers:pypi/>=1.0|<2.0``, checked by
:func:`~vulndesk.core.vex.ranges.vex_range`). A range covers a version when
:func:`~vulndesk.core.vex.apply.range_covers` says it does; when it cannot decide (versions it
cannot order) the statement does not apply: never widened by guesswork. So a range statement
covers releases that do not exist yet: "not affected for foo >=1.0,<2.0" holds for the next
release shipping foo 1.5, and not for one shipping foo 2.1. A statement also keeps the finding's
``affected_range`` at the time it was made: it applies only while the vulnerability's affected
range is that one (an imported statement, made without knowing our range, keeps ``""``: any
range). So a statement made on release 1 covers release 2 when it ships the same component at a
covered version, and a corrected advisory that changes the range revives the finding, to be
judged again.

Statements are never edited: recording one for a scope that already has an active statement
supersedes it (``superseded_at``), so the scope's statements are its history, and each write has
its audit row. A range is a scope of its own: it supersedes only the active statement of the same
range; where scopes overlap, the newest applicable statement wins. :func:`vex_apply` is the hook
matching runs for every chunk it writes (``triage.hooks``): it sets ``Finding.vex_statement`` and
``analysis_state`` from the newest applicable active statement, or clears them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, Final

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from vulndesk.core.errors import IdentifierError, InputError
from vulndesk.core.ids.purl import PackageURL, parse_purl
from vulndesk.core.vex.apply import range_covers
from vulndesk.core.vex.model import RESPONSES
from vulndesk.core.vex.ranges import EVERY_VERSION, VexRangeError, is_vers_range, vex_range
from vulndesk.server.audit.services import audit_record
from vulndesk.server.findings.models import Finding
from vulndesk.server.inventory.models import Product
from vulndesk.server.triage.models import ANY_VERSION, Justification, VexState, VexStatement

__all__ = [
    "ORIGINS",
    "StatementText",
    "VexScope",
    "component_key",
    "scope_range",
    "statement_applies",
    "version_covered",
    "vex_apply",
    "vex_statement_record",
    "vex_statements_record",
]

#: where a statement was made (``VexStatement.origin``)
ORIGINS: Final = ("web", "api", "cli", "import")
_IN: Final = 900  # values per SQL IN list


class VexScope(StrEnum):
    """Which versions of the finding's component a statement recorded on it covers."""

    VERSION = "version"  # the finding's component version only
    ANY_VERSION = "any_version"  # every version of the component
    RANGE = "range"  # the versions of a vers: range, which must contain the finding's version


@dataclass(frozen=True, slots=True)
class StatementText:
    """What a statement says: state, why, what is done about it, in words."""

    state: str
    justification: str = ""
    responses: tuple[str, ...] = ()
    detail: str = ""
    impact_statement: str = ""
    action_statement: str = ""

    def checked(self) -> StatementText:
        """Return the text with surrounding white space removed; raise InputError saying what is
        wrong when the combination is not a statement OpenVEX, CycloneDX and CSAF can carry."""
        text = StatementText(
            state=self.state,
            justification=self.justification or "",
            responses=tuple(dict.fromkeys(self.responses)),
            detail=self.detail.strip(),
            impact_statement=self.impact_statement.strip(),
            action_statement=self.action_statement.strip(),
        )
        if text.state not in VexState.values:
            raise InputError(
                f"unknown state {text.state!r} (expected one of {', '.join(VexState.values)})"
            )
        if text.justification and text.justification not in Justification.values:
            raise InputError(
                f"unknown justification {text.justification!r} "
                f"(expected one of {', '.join(Justification.values)})"
            )
        unknown = [r for r in text.responses if r not in RESPONSES]
        if unknown:
            raise InputError(
                f"unknown response {unknown[0]!r} (expected one of {', '.join(RESPONSES)})"
            )
        not_affected = text.state == VexState.NOT_AFFECTED
        if not_affected and not (text.justification or text.impact_statement):
            raise InputError(
                "a not_affected statement needs a justification or an impact statement "
                "saying why the component is not affected"
            )
        if text.justification and not not_affected:
            raise InputError(
                f"a justification says why a component is not affected; this statement is "
                f"{text.state}"
            )
        if text.impact_statement and not not_affected:
            raise InputError(
                f"an impact statement says why a component is not affected; this statement is "
                f"{text.state}"
            )
        if text.action_statement and text.state != VexState.AFFECTED:
            raise InputError(
                f"an action statement says what to do about an affected component; this "
                f"statement is {text.state}"
            )
        return text


def component_key(package: str, name: str) -> str:
    """Return the component key of a statement scope: the package purl without version, else
    the component name."""
    return package or name


def scope_range(text: str, *, key: str, documents: bool = False) -> str:
    """Return the ``component_version`` that keeps the range ``text`` as the scope of a
    statement about component ``key``: the canonical vers range, or ``*`` for a range of every
    version. Raise VexRangeError saying what is wrong with the range
    (:func:`~vulndesk.core.vex.ranges.vex_range`; ``documents`` accepts CSAF's range words)."""
    purl: PackageURL | None = None
    if key.startswith("pkg:"):
        try:
            purl = parse_purl(key)
        except IdentifierError:
            purl = None
    kept = vex_range(text, documents=documents, purl=purl)
    return ANY_VERSION if kept.endswith("/" + EVERY_VERSION) else kept


@lru_cache(maxsize=8192)
def _range_covers(text: str, version: str) -> bool | None:
    # pure, and asked again for every finding of a stated component: a few ranges times a few
    # versions, however many findings
    return range_covers(text, version)


def version_covered(stated: str, version: str) -> bool:
    """Return whether a statement scope's ``stated`` versions (one version, ``*`` or a vers
    range) cover component ``version``; a range that cannot decide covers nothing."""
    if stated == ANY_VERSION:
        return True
    if is_vers_range(stated):
        return bool(version) and _range_covers(stated, version) is True
    return stated == version


# --- recording ------------------------------------------------------------------------------------


def vex_statement_record(
    *,
    finding: Finding,
    text: StatementText,
    scope: VexScope = VexScope.VERSION,
    version_range: str = "",
    acting_user: Any,
    origin: str = "web",
    actor_label: str = "",
) -> VexStatement:
    """Record a statement for ``finding``'s scope (superseding the active one), apply it to
    the product's findings of that vulnerability, and return it.

    Raise InputError when ``text`` is not a valid statement (:meth:`StatementText.checked`), or
    (VexRangeError) when ``scope`` is a range and ``version_range`` is not one that can be kept
    or does not contain the finding's version.
    """
    return vex_statements_record(
        findings=[finding],
        text=text,
        scope=scope,
        version_range=version_range,
        acting_user=acting_user,
        origin=origin,
        actor_label=actor_label,
    )[0]


@transaction.atomic
def vex_statements_record(
    *,
    findings: Sequence[Finding],
    text: StatementText,
    scope: VexScope = VexScope.VERSION,
    version_range: str = "",
    acting_user: Any,
    origin: str = "web",
    actor_label: str = "",
) -> list[VexStatement]:
    """Record one statement per distinct scope of ``findings`` (bulk triage), apply them, and
    return them in the order of ``findings``' first appearance.

    Several findings of one scope (the same component version in several releases, or versions
    of one range) get one statement. With ``scope`` RANGE, ``version_range`` is the ``vers:``
    range; it must contain every finding's component version (a range that leaves out the
    finding it is recorded on is almost certainly a mistake), else VexRangeError says which.
    The caller has checked the editor role on every finding's product. All or nothing: one
    transaction.
    """
    text = text.checked()
    if origin not in ORIGINS:
        raise ValueError(f"unknown origin {origin!r}")
    version_range = version_range.strip()
    if scope == VexScope.RANGE and not version_range:
        raise VexRangeError(
            "a statement about a version range needs the range, such as vers:pypi/>=1.0|<2.0"
        )
    if scope != VexScope.RANGE and version_range:
        raise VexRangeError(
            f"a version range ({version_range!r}) is only for a statement about a version "
            "range: choose that scope, or leave the range empty"
        )
    packages = _packages_of(findings)
    now = timezone.now()
    label = actor_label or actor_name(acting_user)
    recorded: dict[tuple[int, str, str, str], VexStatement] = {}
    for product_id in sorted({f.product_id for f in findings}):
        # one writer per product at a time: two statements for one scope must not both stay
        # active (SQLite's IMMEDIATE transactions queue writers anyway)
        list(Product.objects.select_for_update().filter(pk=product_id).values_list("pk"))
    for finding in findings:
        key = component_key(packages.get(finding.identity_id, ""), finding.component_name)
        if scope == VexScope.RANGE:
            version = _checked_range(version_range, key, finding)
        elif scope == VexScope.VERSION:
            version = finding.component_version or ANY_VERSION
        else:
            version = ANY_VERSION
        scope_key = (finding.product_id, finding.vulnerability_id, key, version)
        if scope_key in recorded:
            continue
        recorded[scope_key] = vex_statement_write(
            finding=finding,
            key=key,
            version=version,
            affected_range=finding.affected_range,
            text=text,
            author=acting_user,
            author_label=label,
            origin=origin,
            document_id="",
            now=now,
            audit_data={
                "finding": finding.pk,
                "release": finding.release_id,
                "release_version": _release_version(finding),
            },
            actor_label=actor_label,
        )
    by_product: dict[int, set[str]] = {}
    for product_id, vulnerability_id, _, _ in recorded:
        by_product.setdefault(product_id, set()).add(vulnerability_id)
    findings_retriage(by_product)
    return list(recorded.values())


def _checked_range(text: str, key: str, finding: Finding) -> str:
    """Return the scope version of range ``text`` recorded on ``finding``; raise VexRangeError
    when it cannot be kept or does not contain the finding's version."""
    version = scope_range(text, key=key)
    if version == ANY_VERSION:
        return version
    shown = f"{finding.component_name} {finding.component_version}".strip()
    if not finding.component_version:
        raise VexRangeError(
            f"range {text!r} cannot be checked against finding {finding.pk}: its component "
            f"{shown} has no version; choose every version instead"
        )
    covers = _range_covers(version, finding.component_version)
    if covers is None:
        raise VexRangeError(
            f"range {text!r} cannot decide whether it contains {shown} (finding {finding.pk}): "
            "the versions cannot be ordered"
        )
    if not covers:
        raise VexRangeError(
            f"range {text!r} does not contain {shown}, the version of finding {finding.pk}; a "
            "statement recorded on a finding must cover its version"
        )
    return version


def findings_retriage(vulnerabilities: dict[int, set[str]]) -> None:
    """Run the triage hook on the findings of each product's given vulnerabilities."""
    from vulndesk.server.triage.hooks import findings_triage

    for product_id, ids in vulnerabilities.items():
        ordered = sorted(ids)
        for start in range(0, len(ordered), _IN):
            findings_triage(
                Finding.objects.filter(
                    product_id=product_id, vulnerability_id__in=ordered[start : start + _IN]
                )
            )


def vex_statement_write(
    *,
    finding: Finding | None = None,
    product_id: int | None = None,
    vulnerability_id: str = "",
    aliases: Iterable[str] = (),
    key: str,
    component_name: str = "",
    version: str,
    affected_range: str,
    text: StatementText,
    author: Any,
    author_label: str,
    origin: str,
    document_id: str,
    now: datetime,
    audit_data: dict[str, Any],
    actor_label: str = "",
) -> VexStatement:
    """Write one statement (superseding the active one of its scope) and its audit row; the
    recording and import services of this package call it inside their transaction and run the
    triage hook afterwards."""
    if finding is not None:
        product_id = finding.product_id
        vulnerability_id = finding.vulnerability_id
        aliases = finding.aliases
        component_name = finding.component_name
    assert product_id is not None
    active = VexStatement.objects.filter(
        product_id=product_id,
        vulnerability_id=vulnerability_id,
        component_key=key,
        component_version=version,
        superseded_at__isnull=True,
    )
    superseded = list(active.values_list("pk", flat=True))
    if superseded:
        active.update(superseded_at=now)
    statement = VexStatement.objects.create(
        product_id=product_id,
        vulnerability_id=vulnerability_id,
        aliases=sorted(set(aliases) - {vulnerability_id}),
        component_key=key[:1000],
        component_name=component_name[:500],
        component_version=version[:1000],
        affected_range=affected_range,
        state=text.state,
        justification=text.justification,
        impact_statement=text.impact_statement,
        action_statement=text.action_statement,
        responses=list(text.responses),
        detail=text.detail,
        author=author if getattr(author, "is_authenticated", False) else None,
        author_label=author_label[:255],
        origin=origin,
        document_id=document_id[:500],
        created_at=now,
    )
    audit_record(
        action="vex.record",
        object_type="vex_statement",
        object_id=str(statement.pk),
        data={
            "product": product_id,
            "vulnerability": vulnerability_id,
            "component": key,
            "version": version,
            "affected_range": affected_range,
            "state": text.state,
            "justification": text.justification,
            "origin": origin,
            "supersedes": superseded,
            **audit_data,
        },
        acting_user=author,
        actor_label=actor_label,
    )
    return statement


def actor_name(user: Any) -> str:
    """Return who ``user`` is in words: the user name, or ``cli`` without a user."""
    if user is not None and getattr(user, "is_authenticated", False):
        return str(user.get_username())
    return "cli"


def _release_version(finding: Finding) -> str:
    release = getattr(finding, "release", None)
    return release.version if release is not None else ""


def _packages_of(findings: Iterable[Finding]) -> dict[int, str]:
    """Return the package (purl without version) of each finding's identity ("" without)."""
    from vulndesk.server.inventory.models import ComponentIdentity

    ids = sorted({f.identity_id for f in findings})
    out: dict[int, str] = {}
    for start in range(0, len(ids), _IN):
        out.update(
            ComponentIdentity.objects.filter(id__in=ids[start : start + _IN]).values_list(
                "id", "package"
            )
        )
    return out


# --- applying -------------------------------------------------------------------------------------


def statement_applies(
    statement: VexStatement,
    *,
    ids: Iterable[str],
    version: str,
    affected_range: str,
) -> bool:
    """Return whether ``statement`` (of the finding's product and component) applies to a
    finding with alias group ``ids``, component ``version`` and ``affected_range``: its version,
    ``*``, or a range that contains ``version`` (:func:`version_covered`)."""
    stated = {statement.vulnerability_id, *statement.aliases}
    return (
        not stated.isdisjoint(ids)
        and statement.affected_range in ("", affected_range)
        and version_covered(statement.component_version, version)
    )


def statement_is_stale(
    statement: VexStatement, *, ids: Iterable[str], version: str, affected_range: str
) -> bool:
    """Return whether ``statement`` would apply but for the affected range, which changed since
    it was made: the finding is revived."""
    return statement.affected_range not in ("", affected_range) and statement_applies(
        statement, ids=ids, version=version, affected_range=statement.affected_range
    )


def vex_apply(findings: QuerySet[Finding]) -> int:
    """Set ``vex_statement`` and ``analysis_state`` of ``findings``; return how many changed.

    Set-based: the active statements of the findings' products are read in one query (when
    there are none, one UPDATE clears what statements had set before, if anything); the findings
    of the stated components are read in one query per 900 component keys and matched in Python
    (the newest applicable statement wins); rows are written only where they change, one UPDATE
    per statement. Nothing per finding that no statement touches.
    """
    stale = Q(vex_statement__isnull=False) | ~Q(analysis_state="")
    statements = list(
        VexStatement.objects.filter(
            superseded_at__isnull=True,
            product_id__in=findings.order_by().values("product_id"),
        ).order_by("-created_at", "-id")
    )
    if not statements:
        return findings.filter(stale).update(vex_statement=None, analysis_state="")

    by_scope: dict[tuple[int, str], list[VexStatement]] = {}
    for statement in statements:  # newest first
        by_scope.setdefault((statement.product_id, statement.component_key), []).append(statement)
    keys = sorted({key for _, key in by_scope})
    products = sorted({product for product, _ in by_scope})
    wanted: dict[int, VexStatement] = {}
    current: dict[int, tuple[int | None, str]] = {}
    columns = (
        "id", "product_id", "vulnerability_id", "aliases", "affected_range",
        "component_version", "component_name", "identity__package", "vex_statement_id",
        "analysis_state",
    )  # fmt: skip
    for start in range(0, len(keys), _IN):
        chunk = keys[start : start + _IN]
        rows = (
            findings.order_by()
            .filter(product_id__in=products)
            .filter(
                Q(identity__package__in=chunk) | Q(identity__package="", component_name__in=chunk)
            )
            .values_list(*columns)
        )
        for (
            finding_id, product_id, vulnerability_id, aliases, affected_range, version, name,
            package, statement_id, state,
        ) in rows:  # fmt: skip
            current[finding_id] = (statement_id, state)
            ids = {vulnerability_id, *aliases}
            for statement in by_scope.get((product_id, component_key(package or "", name)), ()):
                if statement_applies(
                    statement, ids=ids, version=version, affected_range=affected_range
                ):
                    wanted[finding_id] = statement
                    break
    # findings a statement set before that no statement covers now
    for finding_id, statement_id, state in (
        findings.order_by().filter(stale).values_list("id", "vex_statement_id", "analysis_state")
    ):
        current[finding_id] = (statement_id, state)

    changed = 0
    by_statement: dict[VexStatement | None, list[int]] = {}
    for finding_id, (statement_id, state) in current.items():
        statement = wanted.get(finding_id)
        target = (statement.pk, statement.state) if statement is not None else (None, "")
        if (statement_id, state) != target:
            by_statement.setdefault(statement, []).append(finding_id)
    for statement, ids in by_statement.items():
        for start in range(0, len(ids), _IN):
            changed += Finding.objects.filter(id__in=ids[start : start + _IN]).update(
                vex_statement=statement, analysis_state=statement.state if statement else ""
            )
    return changed

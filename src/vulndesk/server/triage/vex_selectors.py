"""Reading VEX statements: what applies to a finding and its history, a product's statements."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.findings.models import Finding
from vulndesk.server.triage.models import ANY_VERSION, VexStatement
from vulndesk.server.triage.vex import component_key, statement_is_stale, version_covered


@dataclass(frozen=True, slots=True)
class StatedOn:
    """The finding a statement was recorded on: its release (id and version)."""

    release_id: int
    release_version: str


@dataclass(slots=True)
class FindingVex:
    """What the finding page and ``GET /findings/{id}/vex`` show about a finding's VEX state.

    ``applied`` is the statement that applies now, ``stated_on`` the release it was recorded on
    when that is another release of the product (None for imports and for this release);
    ``revived_from`` an active statement of the scope that no longer applies because the
    vulnerability's affected range changed since it was made; ``history`` the scope's other
    statements, superseded ones included, newest first.
    """

    applied: VexStatement | None
    stated_on: StatedOn | None = None
    revived_from: VexStatement | None = None
    history: list[VexStatement] = field(default_factory=list)
    key: str = ""


def finding_vex(*, finding: Finding) -> FindingVex:
    """Return the VEX state of ``finding`` (see :class:`FindingVex`)."""
    key = component_key(
        finding.identity.package if finding.identity_id else "", finding.component_name
    )
    ids = {finding.vulnerability_id, *finding.aliases}
    # the statements about this version: its own, every version's, and the ranges holding it
    scope = [
        s
        for s in VexStatement.objects.filter(
            Q(component_version__in=[finding.component_version, ANY_VERSION])
            | Q(component_version__startswith="vers:"),
            product_id=finding.product_id,
            component_key=key,
        )
        .select_related("author")
        .order_by("-created_at", "-id")
        if not ids.isdisjoint({s.vulnerability_id, *s.aliases})
        and version_covered(s.component_version, finding.component_version)
    ]
    applied = next((s for s in scope if s.pk == finding.vex_statement_id), None)
    revived = None
    if applied is None:
        revived = next(
            (
                s
                for s in scope
                if s.superseded_at is None
                and statement_is_stale(
                    s,
                    ids=ids,
                    version=finding.component_version,
                    affected_range=finding.affected_range,
                )
            ),
            None,
        )
    stated_on = None
    if applied is not None:
        origin = statement_origins([applied.pk]).get(applied.pk)
        if origin is not None and origin.release_id != finding.release_id:
            stated_on = origin
    history = [s for s in scope if s is not applied]
    return FindingVex(applied, stated_on, revived, history, key)


def statement_origins(statement_ids: Iterable[int]) -> dict[int, StatedOn]:
    """Return the release each statement was recorded on, for those recorded on a finding (the
    audit row of ``vex.record`` names it; imported statements have none)."""
    wanted = [str(i) for i in statement_ids]
    if not wanted:
        return {}
    rows = AuditEvent.objects.filter(
        action="vex.record", object_type="vex_statement", object_id__in=wanted
    ).values_list("object_id", "data")
    out: dict[int, StatedOn] = {}
    for object_id, data in rows:
        release = data.get("release") if isinstance(data, dict) else None
        if isinstance(release, int):
            out[int(object_id)] = StatedOn(release, str(data.get("release_version") or ""))
    return out


def product_statements(*, product_id: int, active: bool = True) -> QuerySet[VexStatement]:
    """Return a product's statements (only the active ones unless ``active`` is False), by
    vulnerability, component and version."""
    statements = VexStatement.objects.filter(product_id=product_id)
    if active:
        statements = statements.filter(superseded_at__isnull=True)
    return statements.order_by("vulnerability_id", "component_key", "component_version", "-id")


def statement_json(statement: VexStatement) -> dict[str, Any]:
    """Return a statement as the API shows it (``VexStatementOut``)."""
    return {
        "id": statement.pk,
        "product_id": statement.product_id,
        "vulnerability_id": statement.vulnerability_id,
        "aliases": list(statement.aliases),
        "component_key": statement.component_key,
        "component_name": statement.component_name,
        "component_version": statement.component_version,
        "affected_range": statement.affected_range,
        "state": statement.state,
        "justification": statement.justification or None,
        "impact_statement": statement.impact_statement,
        "action_statement": statement.action_statement,
        "responses": list(statement.responses),
        "detail": statement.detail,
        "author": statement.author_label,
        "origin": statement.origin,
        "document_id": statement.document_id,
        "created_at": statement.created_at,
        "superseded_at": statement.superseded_at,
    }

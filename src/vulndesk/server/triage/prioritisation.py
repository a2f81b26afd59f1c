"""SSVC priorities of findings, recomputed in a few set-based statements.

A finding's priority is the SSVC outcome (defer, scheduled, out-of-cycle, immediate) of its
product's table (deployer or supplier, ``Product.perspective``) for the vulnerability's points
and the product's asset context; ``due_at`` is ``first_seen`` (to the second) plus the
organisation's SLA days for that priority (``SlaPolicy``, else ``DEFAULT_SLA_DAYS``; none for
``defer``). A finding stated ``not_affected`` or ``fixed`` by VEX has no priority and no due date.

:func:`priorities_refresh` works in three steps, whatever the number of findings:

1. **Per alias group**, in Python: the evidence (``triage.evidence``) gives Exploitation,
   Automatable and Technical Impact (``core.prioritization``). There are as many groups as
   distinct vulnerabilities (a few thousand for a million findings), and the three points have
   12 combinations.
2. **Per (product context, points)**: the outcome of each combination for each distinct asset
   context (exposure, mission and safety impact, value density, perspective, organisation) is
   asked of ``core.prioritization.assess`` itself, with evidence stating exactly those points,
   so this path cannot disagree with the explanation a person reads.
3. **One UPDATE** joins the findings to both small tables (temporary tables: the points per
   group, the outcome and SLA days per context and combination) and writes the points,
   priority, rank and due date of every row whose values differ, and only those. A daily EPSS
   import, which changes no point, therefore reads the findings once and writes nothing.

Findings of a (product, vulnerability) that a person overrode a point of (``SsvcOverride``) are
left out of that statement and computed one pair at a time with the overrides; their point
columns hold the values that decided (the override's where there is one).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import QuerySet

from vulndesk.core.prioritization import (
    AssetContext,
    Evidence,
    Override,
    SsvcError,
    assess,
    automatable_of,
    decision_points,
    exploitation_of,
    technical_impact_of,
)
from vulndesk.server.findings.models import Finding
from vulndesk.server.inventory.models import Product
from vulndesk.server.triage.evidence import CONTEXT_FIELDS, asset_context, group_evidence
from vulndesk.server.triage.models import DEFAULT_SLA_DAYS, PRIORITY_RANK, SlaPolicy, SsvcOverride

__all__ = [
    "PRIORITY_COLUMNS",
    "VEX_SETTLED",
    "Points",
    "active_overrides",
    "evidence_reused",
    "outcome_of",
    "points_of",
    "priorities_refresh",
    "priority_columns",
    "sla_days",
]

#: VEX states under which a finding needs no fix, hence no priority and no due date
VEX_SETTLED = ("not_affected", "fixed")

_IN = 900

#: (exploitation, automatable, technical_impact) in SSVC's spelling
Points = tuple[str, str, str]


def points_of(evidence: Evidence) -> Points:
    """Return the vulnerability's SSVC points read from ``evidence``."""
    return (
        exploitation_of(evidence).value,
        automatable_of(evidence).value,
        technical_impact_of(evidence).value,
    )


@lru_cache(maxsize=4096)  # the tables never change; a context and points are a few strings
def outcome_of(asset: AssetContext, points: Points) -> str:
    """Return the priority ``asset``'s table gives for ``points``: what :func:`assess` decides
    for evidence that states exactly these points (CISA Vulnrichment's form)."""
    exploitation, automatable, technical_impact = points
    stated = Evidence(
        vulnrichment={
            "exploitation": exploitation,
            "automatable": automatable,
            "technical_impact": technical_impact,
        }
    )
    return assess(stated, asset).outcome


_reused: ContextVar[dict[str, Evidence] | None] = ContextVar("vulndesk_evidence", default=None)


@contextmanager
def evidence_reused() -> Iterator[None]:
    """Within the block, read each alias group's evidence once (:func:`priority_columns` and
    :func:`priorities_refresh` of one match chunk read the same groups: matching wraps each
    chunk's transaction in this). Only for a block whose stored advisories, KEV entries and
    EPSS scores do not change meanwhile."""
    token = _reused.set({})
    try:
        yield
    finally:
        _reused.reset(token)


def _evidence(keys: Sequence[str]) -> dict[str, Evidence]:
    cache = _reused.get()
    if cache is None:
        return group_evidence(keys)
    missing = [key for key in keys if key not in cache]
    if missing:
        cache.update(group_evidence(missing))
    return {key: cache[key] for key in keys}


def sla_days(organisation_ids: Iterable[int]) -> dict[int, dict[str, int | None]]:
    """Return each organisation's days to fix per priority (its policy, else the defaults)."""
    days = {org: dict(DEFAULT_SLA_DAYS) for org in organisation_ids}
    for policy in SlaPolicy.objects.filter(organisation_id__in=list(days)):
        days[policy.organisation_id][policy.priority] = policy.days
    return days


def active_overrides(product_id: int, vulnerability_id: str) -> dict[str, Override]:
    """Return the overrides in force for one vulnerability of one product, point -> Override."""
    rows = SsvcOverride.objects.filter(
        product_id=product_id, vulnerability_id=vulnerability_id, superseded_at__isnull=True
    ).order_by("created_at", "id")
    return {o.point: Override(o.value, o.reason, o.author_label, o.created_at) for o in rows}


# --- the refresh ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    organisation_id: int
    exposure: str
    mission_impact: str
    safety_impact: str
    value_density: str
    perspective: str

    def asset(self) -> AssetContext:
        return asset_context({f: getattr(self, f) for f in CONTEXT_FIELDS})


def priorities_refresh(findings: QuerySet[Finding]) -> int:
    """Recompute the SSVC points, priority and due date of ``findings``; return how many changed.

    Set-based (see the module docstring): a per-group computation in Python, then one UPDATE
    over the findings that writes only rows whose values differ, plus one for the findings
    whose (product, vulnerability) has overrides. Runs in the caller's transaction if any.
    """
    keys = sorted(findings.order_by().values_list("vulnerability_id", flat=True).distinct())
    if not keys:
        return 0
    evidence = _evidence(keys)
    points = {key: points_of(evidence[key]) for key in keys}
    combinations = sorted(set(points.values()))
    contexts = [
        _Context(*row)
        for row in Product.objects.order_by()
        .values_list("organisation_id", *CONTEXT_FIELDS)
        .distinct()
    ]
    days = sla_days({c.organisation_id for c in contexts})
    outcomes = []
    for context in contexts:
        asset = context.asset()
        for combination in combinations:
            priority = outcome_of(asset, combination)
            outcomes.append(
                (
                    context.organisation_id, context.exposure, context.mission_impact,
                    context.safety_impact, context.value_density, context.perspective,
                    *combination, priority, PRIORITY_RANK[priority],
                    days[context.organisation_id][priority],
                )
            )  # fmt: skip
    try:
        scope, scope_params = _scope(findings)
    except EmptyResultSet:
        return 0
    overridden = _overridden_pairs(keys)
    with transaction.atomic(), connection.cursor() as cursor:
        _temp_tables(cursor)
        _fill(cursor, "vd_ssvc_points", [(key, *p) for key, p in points.items()])
        _fill(cursor, "vd_ssvc_outcomes", outcomes)
        cursor.execute(_group_update(scope, exclude_overridden=bool(overridden)), scope_params)
        changed = max(cursor.rowcount, 0)
        if overridden:
            pairs = _pair_rows(overridden, evidence)
            _fill(cursor, "vd_ssvc_pairs", pairs)
            cursor.execute(_pair_update(scope), scope_params)
            changed += max(cursor.rowcount, 0)
    # exploitation may have become active: CRA events of EU-market products (one query)
    from vulndesk.server.compliance.detection import cra_events_detect

    cra_events_detect(findings)
    return changed


def _overridden_pairs(keys: Sequence[str]) -> dict[tuple[int, str], dict[str, Override]]:
    """Return the overrides in force for the groups ``keys``, per (product id, group)."""
    pairs: dict[tuple[int, str], dict[str, Override]] = {}
    for chunk in itertools.batched(keys, _IN):
        rows = SsvcOverride.objects.filter(
            vulnerability_id__in=chunk, superseded_at__isnull=True
        ).order_by("created_at", "id")
        for o in rows:
            pairs.setdefault((o.product_id, o.vulnerability_id), {})[o.point] = Override(
                o.value, o.reason, o.author_label, o.created_at
            )
    return pairs


def _overridden(
    evidence: Evidence, asset: AssetContext, overrides: Mapping[str, Override]
) -> tuple[str, str, str, str]:
    """Return (exploitation, automatable, technical_impact, priority) under ``overrides``."""
    try:
        values = decision_points(evidence, asset, overrides)
        priority = assess(evidence, asset, overrides=overrides).outcome
    except SsvcError:
        # an override stored before a rule changed no longer applies: the automatic values
        values = decision_points(evidence, asset)
        priority = assess(evidence, asset).outcome
    return (
        values["exploitation"].value,
        values["automatable"].value,
        values["technical_impact"].value,
        priority,
    )


def _pair_rows(
    overridden: Mapping[tuple[int, str], dict[str, Override]], evidence: Mapping[str, Evidence]
) -> list[tuple[Any, ...]]:
    """Return a row per overridden (product, group): its points and outcome under the overrides."""
    products = Product.objects.in_bulk({product_id for product_id, _ in overridden})
    days = sla_days({p.organisation_id for p in products.values()})
    rows = []
    for (product_id, key), overrides in overridden.items():
        product = products.get(product_id)
        if product is None or key not in evidence:
            continue
        *values, priority = _overridden(evidence[key], asset_context(product), overrides)
        rows.append(
            (
                product_id, key, *values, priority, PRIORITY_RANK[priority],
                days[product.organisation_id][priority],
            )
        )  # fmt: skip
    return rows


#: the Finding columns prioritisation writes, in the order :func:`priority_columns` gives them
PRIORITY_COLUMNS = (
    "exploitation", "automatable", "technical_impact", "priority", "priority_rank", "due_at",
)  # fmt: skip


def priority_columns(
    pairs: Iterable[tuple[int, str]], first_seen: datetime
) -> dict[tuple[int, str], tuple[Any, ...]]:
    """Return the PRIORITY_COLUMNS values of new findings, per (product id, group key), first
    seen at ``first_seen``: what :func:`priorities_refresh` would write, before any VEX
    statement applies (the refresh that follows corrects the few that one does).

    Matching inserts new findings with these, so a new row is written once: inserting it bare
    and updating it after cost as much again as the insert (a million new findings).
    """
    wanted = set(pairs)
    keys = sorted({key for _, key in wanted})
    evidence = _evidence(keys)
    points = {key: points_of(evidence[key]) for key in keys}
    products = Product.objects.in_bulk({product_id for product_id, _ in wanted})
    days = sla_days({p.organisation_id for p in products.values()})
    overridden = _overridden_pairs(keys)
    start = first_seen.replace(microsecond=0)  # due dates are to the second (see _new_values)
    outcomes: dict[tuple[Any, ...], str] = {}
    out: dict[tuple[int, str], tuple[Any, ...]] = {}
    for product_id, key in wanted:
        product = products[product_id]
        overrides = overridden.get((product_id, key))
        if overrides:
            *values, priority = _overridden(evidence[key], asset_context(product), overrides)
        else:
            values = list(points[key])
            context = (*(getattr(product, f) for f in CONTEXT_FIELDS), *values)
            if context not in outcomes:
                outcomes[context] = outcome_of(asset_context(product), points[key])
            priority = outcomes[context]
        sla = days[product.organisation_id][priority]
        due = start + timedelta(days=sla) if sla is not None else None
        out[(product_id, key)] = (*values, priority, PRIORITY_RANK[priority], due)
    return out


def _scope(findings: QuerySet[Finding]) -> tuple[str, list[Any]]:
    """Return the SQL condition (``AND ...``) that limits an UPDATE of the findings table to
    ``findings``, and its parameters: the queryset's own WHERE when it reads the findings table
    alone, else ``id IN (its ids)``. Raise EmptyResultSet when it selects nothing."""
    query = findings.query
    if not query.where:
        return "", []
    table = connection.ops.quote_name(Finding._meta.db_table)
    if len(query.alias_map) <= 1 and not query.is_sliced and not query.annotations:
        sql, params = query.get_compiler(connection=connection).compile(query.where)
        return f" AND ({sql})", list(params)
    sql, params = findings.order_by().values("id").query.sql_with_params()
    return f" AND {table}.id IN ({sql})", list(params)


# --- SQL ------------------------------------------------------------------------------------------

_POINT_COLUMNS = ("exploitation", "automatable", "technical_impact")
_CONTEXT_COLUMNS = ("organisation_id", *CONTEXT_FIELDS)
_OUTCOME_COLUMNS = ("priority", "priority_rank", "days")

_TEMP_TABLES = {
    "vd_ssvc_points": (
        "vulnerability_id varchar(255) PRIMARY KEY, exploitation varchar(10), "
        "automatable varchar(3), technical_impact varchar(7)"
    ),
    "vd_ssvc_outcomes": (
        "organisation_id integer, exposure varchar(16), mission_impact varchar(24), "
        "safety_impact varchar(16), value_density varchar(16), perspective varchar(16), "
        "exploitation varchar(10), automatable varchar(3), technical_impact varchar(7), "
        "priority varchar(12), priority_rank integer, days integer, PRIMARY KEY "
        "(organisation_id, exposure, mission_impact, safety_impact, value_density, "
        "perspective, exploitation, automatable, technical_impact)"
    ),
    "vd_ssvc_pairs": (
        "product_id integer, vulnerability_id varchar(255), exploitation varchar(10), "
        "automatable varchar(3), technical_impact varchar(7), priority varchar(12), "
        "priority_rank integer, days integer, PRIMARY KEY (product_id, vulnerability_id)"
    ),
}


def _temp_tables(cursor: Any) -> None:
    """Create (once per connection) and empty the refresh's temporary tables."""
    keep = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
    for name, columns in _TEMP_TABLES.items():
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({columns}){keep}")
        cursor.execute(f"DELETE FROM {name}")


def _fill(cursor: Any, table: str, rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        # no statistics on a temporary table otherwise: the planner would guess its size
        cursor.execute(f"ANALYZE {table}")
        return
    marks = ", ".join(["%s"] * len(rows[0]))
    for batch in itertools.batched(rows, 2000):
        cursor.executemany(f"INSERT INTO {table} VALUES ({marks})", batch)


def _new_values(finding: str, points: str, outcome: str) -> dict[str, str]:
    """Return each written column's new value as SQL, from the aliases of the findings table,
    of the table holding the points, and of the one holding the outcome and SLA days."""
    settled = f"{finding}.analysis_state IN ({', '.join(repr(s) for s in VEX_SETTLED)})"
    if connection.vendor == "postgresql":
        due = f"date_trunc('second', {finding}.first_seen) + {outcome}.days * INTERVAL '1 day'"
    else:  # datetime() writes the text Django reads back, to the second
        due = f"datetime({finding}.first_seen, '+' || {outcome}.days || ' days')"
    return {
        **{c: f"{points}.{c}" for c in _POINT_COLUMNS},
        "priority": f"CASE WHEN {settled} THEN '' ELSE {outcome}.priority END",
        "priority_rank": f"CASE WHEN {settled} THEN 0 ELSE {outcome}.priority_rank END",
        "due_at": f"CASE WHEN {settled} OR {outcome}.days IS NULL THEN NULL ELSE {due} END",
    }


def _update(sources: str, joins: list[str], values: dict[str, str], scope: str) -> str:
    table = connection.ops.quote_name(Finding._meta.db_table)
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    assignments = ", ".join(f"{column} = {sql}" for column, sql in values.items())
    changed = " OR ".join(f"{table}.{column} {differs} {sql}" for column, sql in values.items())
    where = " AND ".join(joins)
    return f"UPDATE {table} SET {assignments} FROM {sources} WHERE {where}{scope} AND ({changed})"


def _group_update(scope: str, *, exclude_overridden: bool) -> str:
    """Return the UPDATE that writes every finding from its group's points and its product's
    outcome (the findings of overridden pairs excepted when there are any)."""
    table = connection.ops.quote_name(Finding._meta.db_table)
    products = connection.ops.quote_name(Product._meta.db_table)
    joins = [
        f"k.vulnerability_id = {table}.vulnerability_id",
        f"p.id = {table}.product_id",
        *(f"o.{c} = p.{c}" for c in _CONTEXT_COLUMNS),
        *(f"o.{c} = k.{c}" for c in _POINT_COLUMNS),
    ]
    if exclude_overridden:
        overrides = connection.ops.quote_name(SsvcOverride._meta.db_table)
        joins.append(
            f"NOT EXISTS (SELECT 1 FROM {overrides} s WHERE s.product_id = {table}.product_id "
            f"AND s.vulnerability_id = {table}.vulnerability_id AND s.superseded_at IS NULL)"
        )
    sources = f"vd_ssvc_points k, {products} p, vd_ssvc_outcomes o"
    return _update(sources, joins, _new_values(table, "k", "o"), scope)


def _pair_update(scope: str) -> str:
    """Return the UPDATE that writes the findings of overridden (product, group) pairs."""
    table = connection.ops.quote_name(Finding._meta.db_table)
    joins = [
        f"q.product_id = {table}.product_id",
        f"q.vulnerability_id = {table}.vulnerability_id",
    ]
    return _update("vd_ssvc_pairs q", joins, _new_values(table, "q", "q"), scope)

"""A remediation plan written out: JSON (the API's form), CSV, Markdown and ticket JSON.

Pure functions of a :class:`~vulndesk.server.triage.remediation.RemediationPlan`: no database,
no request, no translation. The texts are English and stable whatever the interface language,
because programs, issue trackers and code review read them.

- **CSV**: one row per item; the header names are the columns' contract. As the findings export
  (``web.exports``), it starts with a UTF-8 byte order mark (Excel otherwise reads it in the
  system's code page) and a cell a spreadsheet would take for a formula is prefixed with ``'``
  (OWASP, "CSV Injection").
- **Markdown**: a GitHub-flavoured table ready for a ticket or a pull-request comment, followed
  by notes for the items whose upgrade does not fix everything. Text from SBOMs and advisories
  is escaped, so a ``|`` in a name cannot break the table and a ``<script>`` stays text.
- **Tickets**: one object per item still to work on (open or in progress: a fixed, accepted or
  not affected item needs no ticket) with a title such as ``Upgrade jinja2 2.10 -> 2.11.3 in
  shop 1.8.0 (clears 2 vulnerabilities)``, a Markdown body, labels, the due date (the earliest
  SLA due date of its findings, ``YYYY-MM-DD`` in UTC), the priority, the vulnerability ids and
  the component's purl; ``external_id`` is stable across exports, for a tracker to deduplicate.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from vulndesk.server.csv_cells import csv_cell

if TYPE_CHECKING:
    from vulndesk.server.triage.remediation import PlanItem, RemediationPlan

__all__ = [
    "CSV_HEADER",
    "item_json",
    "plan_csv",
    "plan_json",
    "plan_markdown",
    "plan_tickets",
    "ticket_title",
]

CSV_HEADER: Final = (
    "component_id",
    "component",
    "version",
    "purl",
    "direct",
    "ecosystem",
    "target_version",
    "crosses_major",
    "vulnerabilities",
    "vulnerability_count",
    "cleared_count",
    "severity",
    "priority",
    "due_date",
    "overdue",
    "status",
    "note",
    "upgrade_reason",
)

_MARKDOWN_COLUMNS: Final = (
    "Component", "Upgrade", "Major", "Vulnerabilities", "Severity", "Priority", "Due", "Status",
)  # fmt: skip

#: statuses that still need work, and so a ticket
_TICKET_STATUSES: Final = frozenset({"open", "in_progress"})
#: what an empty Markdown cell shows
_NONE: Final = "\u2014"
# CommonMark lets a backslash escape any ASCII punctuation; these are the characters that could
# start markup inside a table cell (emphasis, code, links, HTML, entities, strike-through; | ends
# the cell in GitHub's tables). Line-start markup (#, +, 1.) cannot occur inside a cell.
_MARKDOWN_SPECIAL: Final = re.compile(r"([\\`*_\[\]<>&|~])")


# -- JSON -----------------------------------------------------------------------------------------


def plan_json(plan: RemediationPlan) -> dict[str, Any]:
    """Return the plan as a JSON-ready dict (times in ISO 8601): what the API answers."""
    return {
        "product_id": plan.product_id,
        "product": plan.product,
        "release_id": plan.release_id,
        "release": plan.release,
        "generated_at": plan.generated_at.isoformat(),
        "counts": plan.counts,
        "items": [item_json(item) for item in plan.items],
    }


def item_json(item: PlanItem) -> dict[str, Any]:
    """Return one plan item as :func:`plan_json` writes it."""
    upgrade = item.upgrade
    return {
        "component_id": item.component_id,
        "name": item.name,
        "version": item.version,
        "purl": item.purl,
        "direct": item.direct,
        "ecosystem": upgrade.ecosystem if upgrade is not None else None,
        "target_version": item.target,
        "crosses_major": item.crosses_major,
        "upgrade_reason": item.reason,
        "clears": list(upgrade.clears) if upgrade is not None else [],
        "remaining": list(upgrade.remaining) if upgrade is not None else [],
        "introduces": list(upgrade.introduces) if upgrade is not None else [],
        "severity": item.severity,
        "priority": item.priority,
        "due_at": _iso(item.due_at),
        "overdue": item.overdue,
        "status": item.status,
        "allowed_next": item.allowed_next,
        "note": item.note,
        "updated_by": item.updated_by or None,
        "updated_at": _iso(item.updated_at),
        "findings": [
            {
                "finding_id": f.id,
                "vulnerability_id": f.vulnerability_id,
                "aliases": list(f.aliases),
                "severity": f.severity,
                "priority": f.priority,
                "due_at": _iso(f.due_at),
                "kev": f.kev,
                "cleared": f.cleared,
            }
            for f in item.findings
        ],
    }


# -- CSV ------------------------------------------------------------------------------------------


def plan_csv(plan: RemediationPlan) -> str:
    """Return the plan as CSV text: byte order mark, header, one row per item."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for item in plan.items:
        writer.writerow(
            csv_cell(value)
            for value in (
                item.component_id,
                item.name,
                item.version,
                item.purl,
                item.direct,
                item.upgrade.ecosystem if item.upgrade is not None else "",
                item.target,
                item.crosses_major,
                " ".join(f.vulnerability_id for f in item.findings),
                len(item.findings),
                item.cleared,
                item.severity,
                item.priority,
                _date(item.due_at),
                item.overdue,
                item.status,
                item.note,
                item.reason,
            )
        )
    return "\ufeff" + out.getvalue()


# -- Markdown -------------------------------------------------------------------------------------


def plan_markdown(plan: RemediationPlan) -> str:
    """Return the plan as Markdown: a heading, a summary line, a table, notes."""
    lines = [f"## Remediation plan: {_md(plan.product)} {_md(plan.release)}", ""]
    if not plan.items:
        lines.append("No vulnerable component to fix.")
        return "\n".join(lines) + "\n"
    components = _plural(len(plan.items), "vulnerable component", "vulnerable components")
    vulnerabilities = _plural(plan.vulnerabilities, "vulnerability", "vulnerabilities")
    summary = f"{components}, {vulnerabilities}"
    if plan.overdue:
        summary += f", {plan.overdue} overdue"
    lines += [f"{summary} (as of {plan.generated_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC).", ""]
    lines += _table(list(_MARKDOWN_COLUMNS), [_markdown_row(item) for item in plan.items])
    notes = [
        item for item in plan.items if item.target is None or item.cleared < len(item.findings)
    ]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [
            f"- **{_md(item.name)} {_md(item.version)}**: {_md(item.reason)}" for item in notes
        ]
    return "\n".join(lines) + "\n"


def _markdown_row(item: PlanItem) -> list[str]:
    if item.target is not None:
        target = f"**{_md(item.target)}**"
    else:
        target = "no fix known" if item.upgrade is not None else "no upgrade computable"
    due = _date(item.due_at) or _NONE
    if item.overdue:
        due = f"**{due} (overdue)**"
    return [
        f"{_md(item.name)} {_md(item.version)}",
        f"{_md(item.version)} → {target}",
        ("yes" if item.crosses_major else "no") if item.target is not None else _NONE,
        f"{len(item.findings)}: " + ", ".join(_md(f.vulnerability_id) for f in item.findings),
        item.severity,
        item.priority or _NONE,
        due,
        item.status.replace("_", " "),
    ]


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    return [line(header), line(["---"] * len(header)), *(line(row) for row in rows)]


def _md(text: str) -> str:
    """Return ``text`` as literal Markdown inline text, on one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


# -- tickets --------------------------------------------------------------------------------------


def plan_tickets(plan: RemediationPlan) -> list[dict[str, Any]]:
    """Return one ticket per item still to work on (open or in progress), most urgent first."""
    return [_ticket(plan, item) for item in plan.items if item.status in _TICKET_STATUSES]


def ticket_title(plan: RemediationPlan, item: PlanItem) -> str:
    """Return a ticket's title: ``Upgrade jinja2 2.10 -> 2.11.3 in shop 1.8.0 (clears 2
    vulnerabilities)``; ``clears 1 of 2`` when the upgrade leaves some, and ``Fix ...`` with
    the reason's gist when no upgrade is known."""
    where = f"{plan.product} {plan.release}"
    total = len(item.findings)
    if item.target is not None:
        count = _plural(total, "vulnerability", "vulnerabilities")
        if item.cleared < total:
            count = f"{item.cleared} of {count}"
        return f"Upgrade {item.name} {item.version} -> {item.target} in {where} (clears {count})"
    why = "no fixed version known" if item.upgrade is not None else "no upgrade computable"
    count = _plural(total, "vulnerability", "vulnerabilities")
    return f"Fix {item.name} {item.version} in {where} ({count}; {why})"


def _ticket(plan: RemediationPlan, item: PlanItem) -> dict[str, Any]:
    labels = ["security", "vulndesk", f"severity:{item.severity}"]
    if item.priority:
        labels.append(f"priority:{item.priority}")
    if item.crosses_major:
        labels.append("major-upgrade")
    if item.target is None:
        labels.append("no-fix-known")
    if item.overdue:
        labels.append("overdue")
    return {
        "external_id": f"vulndesk:release:{plan.release_id}:component:{item.component_id}",
        "title": ticket_title(plan, item),
        "body": _ticket_body(plan, item),
        "labels": labels,
        "due_date": _date(item.due_at) or None,
        "priority": item.priority or None,
        "severity": item.severity,
        "status": item.status,
        "vulnerabilities": [f.vulnerability_id for f in item.findings],
        "component": {"name": item.name, "version": item.version, "purl": item.purl or None},
        "target_version": item.target,
        "crosses_major": item.crosses_major,
    }


def _ticket_body(plan: RemediationPlan, item: PlanItem) -> str:
    count = _plural(len(item.findings), "vulnerability", "vulnerabilities")
    purl = f" (`{item.purl}`)" if item.purl and "`" not in item.purl else ""
    lines = [
        f"**{_md(item.name)} {_md(item.version)}**{purl} in **{_md(plan.product)} "
        f"{_md(plan.release)}** is affected by {count}.",
        "",
    ]
    if item.target is not None:
        lines.append(f"Upgrade to **{_md(item.target)}**: {_md(item.reason)}.")
        if item.crosses_major:
            lines.append(
                "This upgrade crosses a major version: check the release notes for breaking "
                "changes."
            )
    elif item.upgrade is not None:
        lines.append(f"No upgrade fixes this yet: {_md(item.reason)}.")
    else:
        lines.append(f"No upgrade can be computed: {_md(item.reason)}.")
    lines.append("")
    lines += _table(
        ["Vulnerability", "Severity", "Priority", "Due", "Fixed by the upgrade", "Summary"],
        (
            [
                _md(f.vulnerability_id) + (" (KEV)" if f.kev else ""),
                f.severity,
                f.priority or _NONE,
                _date(f.due_at) or _NONE,
                "yes" if f.cleared else "no",
                _md(_shortened(f.summary, 120)) or _NONE,
            ]
            for f in item.findings
        ),
    )
    lines.append("")
    if item.due_at is not None:
        lines.append(f"Due {_date(item.due_at)} (the earliest SLA due date of these findings).")
    status = f"Status in vulndesk: {item.status.replace('_', ' ')}"
    lines.append(status + (f". Note: {_md(item.note)}" if item.note else "."))
    return "\n".join(lines)


# -- shared ---------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _date(value: datetime | None) -> str:
    """Return the UTC date of ``value`` as ``YYYY-MM-DD``, or ""."""
    return value.astimezone(UTC).date().isoformat() if value is not None else ""


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _shortened(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

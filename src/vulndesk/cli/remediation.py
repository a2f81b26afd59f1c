"""``vulndesk remediation``: a release's remediation plan, and moving an item's status along.

``plan RELEASE_ID`` prints, for each vulnerable component, the smallest upgrade that clears its
findings (as a table, or as CSV, Markdown, the API's JSON or ticket JSON); ``set RELEASE_ID
COMPONENT_ID STATUS`` changes one item's status by the transition table. The command line acts
on the local database as the administrator does (no user: the audit row says ``cli``).

Django is imported inside :func:`run` only, so ``vulndesk --help`` stays fast.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
from typing import TYPE_CHECKING, Any

from vulndesk.core.errors import InputError

if TYPE_CHECKING:
    from vulndesk.server.triage.remediation import RemediationPlan

EXIT_OK = 0
# triage.models.RemediationStatus's values, written out: the parser is built without Django
_STATUSES = ("open", "in_progress", "fixed", "accepted_risk", "not_affected")
_FORMATS = ("text", "csv", "markdown", "json", "tickets")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``remediation`` command to ``commands``."""
    remediation = commands.add_parser(
        "remediation",
        help="a release's remediation plan: what to upgrade, to which version, by when",
        description="For each vulnerable component of a release, the smallest upgrade that "
        "clears all of its findings, whether it crosses a major version, its due date and its "
        "remediation status (open, in_progress, fixed, accepted_risk, not_affected).",
    )
    actions = remediation.add_subparsers(
        dest="remediation_command", metavar="ACTION", required=True
    )
    plan = actions.add_parser(
        "plan",
        help="print a release's remediation plan, most urgent first",
        description="Print the plan: a table (text), CSV, Markdown (a table for a ticket or "
        "pull-request comment), json (the API's form) or tickets (JSON, one ticket per item "
        "still open or in progress).",
    )
    plan.add_argument("release_id", type=_db_id, metavar="RELEASE_ID")
    plan.add_argument("--format", "-f", choices=_FORMATS, default="text")
    change = actions.add_parser(
        "set",
        help="move a component's remediation to another status",
        description="Allowed: open -> in_progress, fixed, accepted_risk or not_affected; "
        "in_progress -> those or open; fixed, accepted_risk and not_affected -> open.",
    )
    change.add_argument("release_id", type=_db_id, metavar="RELEASE_ID")
    change.add_argument("component_id", type=_db_id, metavar="COMPONENT_ID")
    change.add_argument("status", choices=_STATUSES, metavar="STATUS", help=", ".join(_STATUSES))
    change.add_argument("--note", help="a note to keep with the item (replaces the one before)")


def _db_id(value: str) -> int:
    """Return ``value`` as the id of a stored row (what a 64-bit primary key can hold)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value}: not a number") from None
    if not 1 <= number <= 2**63 - 1:
        raise argparse.ArgumentTypeError(f"{value}: not an id (1 or more)")
    return number


def run(args: argparse.Namespace) -> int:
    """Run the ``remediation`` command; return the exit code."""
    from vulndesk.cli.database import open_database

    open_database()
    if args.remediation_command == "plan":
        return _plan(args)
    return _set(args)


def _release(release_id: int) -> Any:
    from vulndesk.server.inventory.models import Release

    release = Release.objects.filter(id=release_id).select_related("product").first()
    if release is None:
        raise InputError(f"no release with id {release_id}")
    return release


def _plan(args: argparse.Namespace) -> int:
    import orjson

    from vulndesk.server.triage.remediation import remediation_plan
    from vulndesk.server.triage.remediation_export import (
        plan_csv,
        plan_json,
        plan_markdown,
        plan_tickets,
    )

    plan = remediation_plan(release=_release(args.release_id))
    if args.format == "text":
        text = render_plan(plan)
    elif args.format == "csv":
        text = plan_csv(plan).removeprefix("\ufeff")  # the mark is for spreadsheets, not pipes
    elif args.format == "markdown":
        text = plan_markdown(plan)
    else:
        document = plan_json(plan) if args.format == "json" else plan_tickets(plan)
        text = orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
    sys.stdout.write(text)
    return EXIT_OK


def _set(args: argparse.Namespace) -> int:
    from vulndesk.server.inventory.models import Component
    from vulndesk.server.triage.remediation import remediation_transition

    release = _release(args.release_id)
    component = Component.objects.filter(id=args.component_id, release=release).first()
    if component is None:
        raise InputError(
            f"no component with id {args.component_id} in release {release.pk} "
            f"({release.product.name} {release.version})"
        )
    item = remediation_transition(
        release=release,
        component=component,
        status=args.status,
        note=args.note,
        acting_user=None,
        actor_label="cli",
    )
    note = f" ({item.note})" if item.note else ""
    print(
        f"{component.name} {component.version} in {release.product.name} {release.version}: "
        f"{item.status}{note}"
    )
    return EXIT_OK


def render_plan(plan: RemediationPlan) -> str:
    """Return the plan as a text table, with each item's reason under it when the upgrade does
    not fix everything."""
    from rich.console import Console
    from rich.table import Table

    out = io.StringIO()
    width = max(100, shutil.get_terminal_size(fallback=(160, 24)).columns)
    console = Console(file=out, width=width, force_terminal=False, color_system=None)
    where = f"{plan.product} {plan.release} (release {plan.release_id})"
    if not plan.items:
        console.print(f"{where}: no vulnerable component to fix", highlight=False)
        return out.getvalue()
    overdue = f", {plan.overdue} overdue" if plan.overdue else ""
    console.print(
        f"{where}: {len(plan.items)} vulnerable components, {plan.vulnerabilities} "
        f"vulnerabilities{overdue}",
        highlight=False,
    )
    table = Table(show_lines=False, expand=False)
    table.add_column("id", no_wrap=True, justify="right")
    table.add_column("component", overflow="fold", min_width=16)
    table.add_column("upgrade", no_wrap=True)
    table.add_column("major", no_wrap=True)
    table.add_column("vulns", no_wrap=True, justify="right")
    table.add_column("severity", no_wrap=True)
    table.add_column("priority", no_wrap=True)
    table.add_column("due", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for item in plan.items:
        target = item.target or ("no fix known" if item.upgrade is not None else "-")
        vulns = str(len(item.findings))
        if item.target and item.cleared < len(item.findings):
            vulns = f"{item.cleared}/{vulns}"
        due = item.due_at.date().isoformat() if item.due_at else "-"
        table.add_row(
            str(item.component_id),
            f"{item.name} {item.version}",
            f"{item.version} -> {target}",
            "yes" if item.crosses_major else "",
            vulns,
            item.severity,
            item.priority or "-",
            due + (" overdue" if item.overdue else ""),
            item.status,
        )
    console.print(table)
    notes = [i for i in plan.items if i.target is None or i.cleared < len(i.findings)]
    for item in notes:
        console.print(f"  {item.name} {item.version}: {item.reason}", highlight=False)
    return out.getvalue()

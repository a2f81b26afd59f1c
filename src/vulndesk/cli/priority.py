"""``vulndesk priority``: why a finding has its priority, recomputing priorities, SLA days.

Django is imported inside :func:`run` only. The command runs with the database's full rights,
as the other administrative commands do (``feeds``, ``createuser``); its changes are audited
as ``cli``.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from vulndesk.cli.main import EXIT_INPUT, EXIT_OK

_PRIORITIES = ("immediate", "out-of-cycle", "scheduled", "defer")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``priority`` command to ``commands``."""
    priority = commands.add_parser(
        "priority", help="SSVC priorities: explain one, recompute them, set SLA days"
    ).add_subparsers(dest="priority_command", metavar="ACTION", required=True)

    explain = priority.add_parser(
        "explain",
        help="show why a finding has its priority: every input, its source, the table row",
        description="Print the SSVC assessment of a stored finding: each decision point with "
        "its value, source and detail, the rows of CERT/CC's tables that fired, the evidence "
        "(CVSS vectors with their raters, exploitation statements, KEV, EPSS), overrides, the "
        "product's context and the SLA behind the due date.",
    )
    explain.add_argument("finding_id", type=int, metavar="FINDING_ID")
    explain.add_argument("--format", "-f", choices=["text", "json"], default="text")

    refresh = priority.add_parser(
        "refresh",
        help="recompute the priorities and due dates of every finding (or one product's)",
        description="Recompute SSVC points, priorities and due dates from the stored evidence "
        "and the products' contexts; only rows whose values change are written.",
    )
    refresh.add_argument("--product", type=int, metavar="ID", help="only this product")

    sla = priority.add_parser(
        "sla",
        help="show or set the days to fix per priority",
        description="Print the days from first seen allowed per priority for each "
        "organisation; --set changes them (an empty number means no due date) and recomputes "
        "the due dates.",
    )
    sla.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PRIORITY=DAYS",
        help=f"one of {', '.join(_PRIORITIES)}; DAYS empty for none (repeatable)",
    )
    sla.add_argument(
        "--organisation", metavar="SLUG", help="the organisation (default: the default one)"
    )


def run(args: argparse.Namespace) -> int:
    """Run the ``priority`` command; return the exit code."""
    changes: dict[str, int | None] = {}
    if args.priority_command == "sla":
        for item in args.set:
            parsed = _sla_item(item)
            if parsed is None:
                return EXIT_INPUT
            changes[parsed[0]] = parsed[1]
    from vulndesk.cli.database import open_database

    open_database()
    if args.priority_command == "explain":
        return _explain(args)
    if args.priority_command == "refresh":
        return _refresh(args)
    return _sla(args, changes)


def _sla_item(item: str) -> tuple[str, int | None] | None:
    priority, sep, days = item.partition("=")
    priority = priority.strip().lower()
    if not sep or priority not in _PRIORITIES:
        print(
            f"vulndesk: error: --set {item!r}: expected PRIORITY=DAYS with PRIORITY one of "
            f"{', '.join(_PRIORITIES)}",
            file=sys.stderr,
        )
        return None
    if not days.strip():
        return priority, None
    try:
        return priority, int(days)
    except ValueError:
        print(f"vulndesk: error: --set {item!r}: DAYS must be a whole number", file=sys.stderr)
        return None


def _explain(args: argparse.Namespace) -> int:
    import orjson

    from vulndesk.server.findings.models import Finding
    from vulndesk.server.triage.explanation import finding_explanation

    finding = (
        Finding.objects.select_related("product__organisation").filter(pk=args.finding_id).first()
    )
    if finding is None:
        print(f"vulndesk: error: no finding with id {args.finding_id}", file=sys.stderr)
        return EXIT_INPUT
    explanation = finding_explanation(finding)
    if args.format == "json":
        sys.stdout.write(orjson.dumps(explanation, option=orjson.OPT_INDENT_2).decode() + "\n")
        return EXIT_OK
    _print_explanation(finding, explanation)
    return EXIT_OK


def _print_explanation(finding: Any, e: dict[str, Any]) -> None:
    out = sys.stdout.write
    a = e["assessment"]
    priority = e["priority"] or ("none (VEX: " + e["analysis_state"] + ")" if e["vex_settled"]
                                 else "not assessed")  # fmt: skip
    due = e["due_at"] or "none"
    overdue = " (overdue)" if e["overdue"] else ""
    out(f"{e['vulnerability_id']} in {finding.component_name} {finding.component_version}, "
        f"{e['product']['name']} (finding {e['finding_id']})\n")  # fmt: skip
    out(f"priority: {priority}; due: {due}{overdue}\n")
    if e["priority_computed"] != e["priority"] and not e["vex_settled"]:
        out(f"  (the inputs now give {e['priority_computed']}; a refresh will store it)\n")
    if e["problem"]:
        out(f"  {e['problem']}\n")
    out(f"\n{a['table_name']}: {a['outcome']} (row {a['row']})\n")
    width = max(len(p["name"]) for p in a["points"])
    for p in a["points"]:
        auto = f" (automatic: {p['automatic']['value']})" if p["automatic"] else ""
        out(f"  {p['name']:<{width}}  {p['value']}{auto}  [{p['source']}] {p['detail']}\n")
    out("\ntable rows that fired:\n")
    for d in a["decisions"]:
        inputs = ", ".join(f"{k}={v}" for k, v in d["inputs"].items())
        out(f"  {d['table_name']} row {d['row']}: {inputs} -> {d['outcome']}\n")
    ev = e["evidence"]
    out("\nevidence:\n")
    for v in ev["cvss"]:
        out(f"  CVSS {v['vector']} ({v['source']})\n")
    for x in ev["exploitation"]:
        out(f"  exploitation [{x['kind']}] {x['source']} {x['detail']}".rstrip() + "\n")
    for k in ev["kev"]:
        ransom = ", known ransomware use" if k["ransomware_known"] else ""
        out(f"  KEV {k['cve_id']} added {k['date_added']}, due {k['due_date']}{ransom}\n")
    for s in ev["epss"]:
        out(f"  EPSS {s['cve_id']} {s['epss']:.4f} (percentile {s['percentile']:.4f}, "
            f"{s['score_date']})\n")  # fmt: skip
    if ev["epss_jump"]:
        j = ev["epss_jump"]
        out(f"  news: EPSS of {j['cve_id']} rose from {j['from']:.4f} ({j['from_date']}) to "
            f"{j['to']:.4f} ({j['to_date']})\n")  # fmt: skip
    for o in e["overrides"]:
        out(f"\noverride: {o['point']} = {o['value']} by {o['author']} at {o['at']}: "
            f"{o['reason']}\n")  # fmt: skip
    asset = e["asset"]
    out(f"\nproduct context: {asset['perspective']}; exposure {asset['system_exposure']}, "
        f"mission impact {asset['mission_impact']}, safety impact {asset['safety_impact']}, "
        f"value density {asset['value_density']}\n")  # fmt: skip
    sla = e["sla"]
    days = f"{sla['days']} days" if sla["days"] is not None else "no due date"
    out(f"SLA ({sla['organisation']}): {days} from first seen {sla['first_seen']}\n")


def _refresh(args: argparse.Namespace) -> int:
    from vulndesk.server.findings.models import Finding
    from vulndesk.server.inventory.models import Product
    from vulndesk.server.triage.prioritisation import priorities_refresh

    findings = Finding.objects.all()
    if args.product is not None:
        if not Product.objects.filter(pk=args.product).exists():
            print(f"vulndesk: error: no product with id {args.product}", file=sys.stderr)
            return EXIT_INPUT
        findings = findings.filter(product_id=args.product)
    started = time.perf_counter()
    changed = priorities_refresh(findings)
    print(f"{changed} findings changed in {time.perf_counter() - started:.1f} s")
    return EXIT_OK


def _sla(args: argparse.Namespace, changes: dict[str, int | None]) -> int:
    from vulndesk.core.errors import InputError
    from vulndesk.server.accounts.models import Organisation
    from vulndesk.server.accounts.services import organisation_default
    from vulndesk.server.triage.explanation import sla_policies
    from vulndesk.server.triage.overrides import sla_policy_set

    if args.organisation:
        organisation = Organisation.objects.filter(slug=args.organisation).first()
        if organisation is None:
            print(f"vulndesk: error: no organisation {args.organisation!r}", file=sys.stderr)
            return EXIT_INPUT
        shown = Organisation.objects.filter(pk=organisation.pk)
    else:
        organisation = organisation_default() if changes else None
        shown = Organisation.objects.all()
    if changes:
        from django.db import transaction

        assert organisation is not None
        try:
            with transaction.atomic():
                for priority, days in changes.items():
                    sla_policy_set(
                        organisation=organisation,
                        priority=priority,
                        days=days,
                        acting_user=None,
                        actor_label="cli",
                    )
        except InputError as e:
            print(f"vulndesk: error: {e}", file=sys.stderr)
            return EXIT_INPUT
    for row in sla_policies(shown):
        print(row["organisation"])
        for p in row["policies"]:
            days = "no due date" if p["days"] is None else f"{p['days']} days"
            print(f"  {p['priority']:<13} {days}{' (default)' if p['default'] else ''}")
    return EXIT_OK

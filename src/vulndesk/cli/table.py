"""The human-readable scan report: a findings table, then what was not evaluated and why."""

from __future__ import annotations

import io
import shutil
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

_STYLE = {
    "CRITICAL": "bold white on red",
    "HIGH": "bold red",
    "MEDIUM": "yellow",
    "LOW": "cyan",
    "NONE": "dim",
}
_ORDER = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE", "UNKNOWN"]


def render_report(
    report: dict[str, Any],
    *,
    source: str,
    warnings: tuple[str, ...] = (),
    direct: frozenset[str] = frozenset(),
    reachable: frozenset[str] = frozenset(),
) -> str:
    """Return the report contract (``report_to_json``) rendered as text tables.

    ``direct`` and ``reachable`` are the bom-refs of the subject's direct and of all its
    dependencies; a finding's component says which it is (what a fix has to upgrade), or nothing
    when the SBOM has no dependency graph.
    """
    out = io.StringIO()
    width = max(100, shutil.get_terminal_size(fallback=(160, 24)).columns)
    console = Console(file=out, width=width, force_terminal=False, color_system=None)
    summary = report["summary"]
    counts = ", ".join(
        f"{summary['by_severity'][r]} {r.lower()}" for r in _ORDER if summary["by_severity"].get(r)
    )
    console.print(
        f"{source}: {summary['components']} components, {summary['evaluated']} evaluated, "
        f"{summary['findings']} findings ({summary['vulnerabilities']} vulnerabilities)"
        + (f": {counts}" if counts else "")
    )
    for warning in warnings:
        console.print(f"warning: {warning}")
    if report["findings"]:
        table = Table(show_lines=False, expand=False)
        # ids, names and versions stay whole on one line; only the free text wraps
        table.add_column("severity", no_wrap=True)
        table.add_column("vulnerability", no_wrap=True)
        table.add_column("component", overflow="fold", min_width=20)
        table.add_column("affected", overflow="fold", min_width=12)
        table.add_column("fixed in", overflow="fold", min_width=8)
        table.add_column("summary", overflow="fold", ratio=1, min_width=20)
        for finding in report["findings"]:
            vuln = finding["vulnerability"]
            severity = vuln["severity"]
            rating = severity["rating"] if severity else "UNKNOWN"
            score = (
                f" {severity['score']:.1f}" if severity and severity["score"] is not None else ""
            )
            others = [a for a in vuln["aliases"] if a != vuln["id"]]
            component = finding["component"]
            ref = component["bom_ref"]
            relation = (
                "\n(direct)" if ref in direct else "\n(transitive)" if ref in reachable else ""
            )
            analysis = finding.get("analysis")
            stated = f"\n(VEX: {_stated(analysis)})" if analysis else ""
            table.add_row(
                Text(rating + score, style=_STYLE.get(rating, "")),
                "\n".join([vuln["id"], *others]),
                f"{component['name']} {component['version'] or ''}".strip() + relation,
                finding["affected_range"] + stated,
                ", ".join(finding["fixed_versions"]) or "no fix",
                (vuln["summary"] or "")[:80],
            )
        console.print(table)
    else:
        console.print("no findings")
    if report.get("suppressed"):
        console.print(f"\nsuppressed by VEX ({len(report['suppressed'])}):")
        for item in report["suppressed"]:
            c = item["component"]
            console.print(
                f"  {c['name']} {c['version'] or ''} / {item['vulnerability']['id']}: "
                + _stated(item["analysis"]),
                highlight=False,
            )
    if report["not_evaluated"]:
        console.print(f"\nnot evaluated ({len(report['not_evaluated'])}):")
        for item in report["not_evaluated"]:
            c = item["component"]
            console.print(f"  {c['name']} {c['version'] or ''}: {item['reason']}", highlight=False)
    if report.get("undetermined"):
        console.print(f"\nundetermined ({len(report['undetermined'])}):")
        for item in report["undetermined"]:
            c = item["component"]
            console.print(
                f"  {c['name']} {c['version'] or ''} / {item['vulnerability']['id']}: "
                f"{item['reason']}",
                highlight=False,
            )
    return out.getvalue()


def _stated(analysis: dict[str, Any]) -> str:
    """Return a VEX analysis in words: the state, why, who said it and where."""
    state = analysis["state"].replace("_", " ")
    why = analysis["justification"] or analysis["impact_statement"] or ""
    text = f"{state} ({why.replace('_', ' ')})" if why else state
    who = analysis["author"] or "unknown author"
    return f"{text}, said by {who} in {analysis['source']}"

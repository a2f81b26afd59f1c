"""``vulndesk scan``: match an SBOM against the stored advisories and report the findings."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from vulndesk.cli.main import EXIT_GATE, EXIT_OK
from vulndesk.core.matching.engine import MatchReport
from vulndesk.core.sbom.reader import read_sbom_file


def run(args: argparse.Namespace) -> int:
    """Scan one SBOM; return 1 when ``--fail-on`` trips, else 0 (2 on bad input, via main)."""
    sbom = read_sbom_file(Path(args.sbom))
    report = _scan(sbom)

    from vulndesk.core.matching.report import report_to_json

    document = report_to_json(report, confidence=True)
    if args.format == "json":
        import orjson

        text = orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
    else:
        from vulndesk.cli.table import render_report

        text = render_report(
            _with_confidence_shown(document),
            source=args.sbom,
            warnings=sbom.warnings,
            direct=sbom.direct_refs(),
            reachable=sbom.transitive_refs(),
        )
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if args.fail_on:
        from vulndesk.core.scoring.cvss import rating_at_least

        tripped = [
            f
            for f in report.findings
            if f.severity is not None and rating_at_least(f.severity.rating, args.fail_on)
        ]
        if tripped:
            print(
                f"vulndesk: {len(tripped)} finding(s) rated {args.fail_on.upper()} or higher",
                file=sys.stderr,
            )
            return EXIT_GATE
    return EXIT_OK


def _with_confidence_shown(document: dict[str, Any]) -> dict[str, Any]:
    """Return the report with each finding's confidence below its affected range, unless high.

    Most findings (purl/OSV matches) are ``high``; only a CPE (``medium``) or vendor/product name
    (``low``) match says so, on its own line of the "affected" cell, the way the component cell
    says "(direct)". The JSON report keeps ``affected_range`` and ``confidence`` apart.
    """
    findings = []
    for finding in document["findings"]:
        confidence = finding.get("confidence", "high")
        if confidence != "high":
            shown = f"{finding['affected_range']}\n({confidence} confidence)".lstrip("\n")
            finding = {**finding, "affected_range": shown}
        findings.append(finding)
    return {**document, "findings": findings}


def _scan(sbom: Any) -> MatchReport:
    """Open the database without Django (see docs/architecture.md) and match."""
    from vulndesk.server.bootstrap import schema_is_current
    from vulndesk.server.config import database_url
    from vulndesk.server.findings.scanning import scan_sbom
    from vulndesk.server.rawdb import connect

    if not schema_is_current():
        from vulndesk.cli.database import open_database

        open_database()
    db = connect(database_url())
    try:
        return scan_sbom(sbom=sbom, db=db)
    finally:
        db.close()

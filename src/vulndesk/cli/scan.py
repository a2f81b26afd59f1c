"""``vulndesk scan``: match an SBOM against the stored advisories and report the findings.

With ``--vex FILE`` the statements of VEX documents are applied (``core.vex.apply``): a finding
stated ``not_affected`` or ``fixed`` moves from ``findings`` to ``suppressed`` and no longer
counts for ``--fail-on``; every finding of the JSON report then carries its ``analysis`` (None
when no statement speaks for it), and the summary says how many were suppressed. Without
``--vex`` the report is exactly as before.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vulndesk.cli.main import EXIT_GATE, EXIT_OK
from vulndesk.core.matching.engine import MatchReport
from vulndesk.core.sbom.reader import read_sbom_file

if TYPE_CHECKING:
    from vulndesk.core.vex.apply import VexAnalysis
    from vulndesk.core.vex.model import VexDocument


def run(args: argparse.Namespace) -> int:
    """Scan one SBOM; return 1 when ``--fail-on`` trips, else 0 (2 on bad input, via main)."""
    sbom = read_sbom_file(Path(args.sbom))
    # VEX files are read before the scan, so that a bad one stops it at once
    vex = _read_vex(args.vex or ())
    report = _scan(sbom)

    from vulndesk.core.matching.report import report_to_json

    if vex:
        report, document = _with_vex(report, vex, sbom.subject)
    else:
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


def _read_vex(paths: Sequence[str]) -> list[tuple[str, VexDocument]]:
    """Return the VEX documents of ``paths`` with their names (VexError for a bad one)."""
    if not paths:
        return []
    from vulndesk.core.vex.reader import read_vex_file

    return [(path, read_vex_file(Path(path))) for path in paths]


def _with_vex(
    report: MatchReport, vex: list[tuple[str, VexDocument]], subject: Any
) -> tuple[MatchReport, dict[str, Any]]:
    """Return the report without the findings VEX suppresses, and its JSON document with each
    finding's analysis and the suppressed findings (module docstring)."""
    from dataclasses import replace

    from vulndesk.core.matching.report import finding_to_json, report_to_json
    from vulndesk.core.vex.apply import analyse_findings

    analyses = analyse_findings(report.findings, vex, subject=subject)
    kept = [(f, a) for f, a in zip(report.findings, analyses, strict=True) if not _suppressed(a)]
    gone = [(f, a) for f, a in zip(report.findings, analyses, strict=True) if _suppressed(a)]
    shown = replace(report, findings=tuple(f for f, _ in kept))
    document = report_to_json(shown, confidence=True)
    for entry, (_, analysis) in zip(document["findings"], kept, strict=True):
        entry["analysis"] = analysis.as_json() if analysis is not None else None
    document["suppressed"] = [
        {**finding_to_json(f, confidence=True), "analysis": a.as_json()}
        for f, a in gone
        if a is not None
    ]
    document["summary"]["suppressed"] = len(gone)
    return shown, document


def _suppressed(analysis: VexAnalysis | None) -> bool:
    return analysis is not None and analysis.suppresses


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

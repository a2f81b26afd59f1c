"""Findings as CSV, streamed row by row so an export of a large portfolio never sits in memory.

Headers are English and stable whatever the interface language: the file is read by programs
and spreadsheets. A cell that a spreadsheet would take for a formula (it starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with ``'`` (OWASP, "CSV Injection").
The text starts with a UTF-8 byte order mark: without it Excel reads a CSV file in the
system's legacy code page (Shift_JIS on Japanese Windows) and garbles every non-ASCII name.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from vulndesk.server.csv_cells import csv_cell
from vulndesk.server.findings.models import Finding

HEADER = (
    "finding_id",
    "product",
    "release",
    "component",
    "version",
    "purl",
    "vulnerability",
    "aliases",
    "severity",
    "cvss_score",
    "cvss_vector",
    "kev",
    "epss",
    "status",
    "affected_range",
    "fixed_versions",
    "first_seen",
    "last_seen",
    "resolved_at",
    "summary",
)


def finding_row(finding: Finding) -> list[str]:
    """Return the CSV cells of one finding (its product and release loaded with it)."""
    return [
        csv_cell(v)
        for v in (
            finding.pk,
            finding.product.name,
            finding.release.version,
            finding.component_name,
            finding.component_version,
            finding.purl,
            finding.vulnerability_id,
            " ".join(a for a in finding.aliases if a != finding.vulnerability_id),
            finding.severity,
            finding.cvss_score,
            finding.cvss_vector,
            finding.kev,
            finding.epss,
            finding.status,
            finding.affected_range,
            " ".join(finding.fixed_versions),
            finding.first_seen.isoformat(),
            finding.last_seen.isoformat(),
            finding.resolved_at.isoformat() if finding.resolved_at else None,
            finding.summary,
        )
    ]


class _Echo:
    """A file-like object whose ``write`` returns what it is given (csv.writer into a stream)."""

    def write(self, value: str) -> str:
        return value


def finding_csv_lines(findings: Iterable[Finding]) -> Iterator[str]:
    """Yield the CSV text of ``findings``, byte order mark and header first, a line at a time."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(HEADER)
    for finding in findings:
        yield writer.writerow(finding_row(finding))

"""A good CNA record to start tests from (each test breaks one thing in it)."""

from __future__ import annotations

from datetime import UTC, datetime

from cve_services_fake import ORG, ORG_UUID
from vulndesk.core.cve.record import (
    AffectedProduct,
    AffectedVersion,
    CnaRecord,
    Credit,
    CvssMetric,
    ProblemType,
    Provider,
    Reference,
    Text,
    VersionChange,
)

PROVIDER = Provider(org_id=ORG_UUID, short_name=ORG)
DESCRIPTION = (
    "A path traversal in the file download endpoint of Example Web Console 2.0 before 2.4.1 "
    "lets an unauthenticated remote attacker read arbitrary files on the server."
)


def good_record(cve_id: str = "CVE-1900-0001") -> CnaRecord:
    """Return a record that passes every lint rule, using most of the model."""
    return CnaRecord(
        cve_id=cve_id,
        title="Path traversal in Example Web Console file download",
        descriptions=(
            Text(DESCRIPTION),
            Text("Example Web Console 2.4.1 より前のバージョンにパストラバーサルの脆弱性。", "ja"),
        ),
        affected=(
            AffectedProduct(
                vendor="Example Corp",
                product="Example Web Console",
                versions=(
                    AffectedVersion("2.0", "affected", "semver", less_than="2.4.1"),
                    AffectedVersion("1.9.3", "unaffected"),
                ),
                default_status="unaffected",
                cpes=("cpe:2.3:a:example:web_console:*:*:*:*:*:*:*:*",),
                platforms=("Linux", "Windows"),
                modules=("download",),
                repo="https://github.com/example/console",
            ),
            AffectedProduct(
                collection_url="https://pypi.org",
                package_name="example-console",
                versions=(
                    AffectedVersion(
                        "0",
                        "affected",
                        "python",
                        less_than_or_equal="2.4.0",
                        changes=(
                            VersionChange("1.5", "unaffected"),
                            VersionChange("2.0", "affected"),
                        ),
                    ),
                ),
                default_status="unaffected",
            ),
        ),
        problem_types=(
            ProblemType(
                "CWE-22 Improper Limitation of a Pathname to a Restricted Directory "
                "('Path Traversal')",
                "CWE-22",
            ),
        ),
        metrics=(
            CvssMetric.from_vector(
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", scenarios=(Text("GENERAL"),)
            ),
            CvssMetric.from_vector(
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N"
            ),
        ),
        references=(
            Reference(
                "https://example.com/security/EXA-2025-01", "EXA-2025-01", ("vendor-advisory",)
            ),
            Reference("https://github.com/example/console/commit/0a1b2c3", tags=("patch",)),
        ),
        credits=(
            Credit("Jane Doe (Example Research)", "finder"),
            Credit("Example PSIRT", "coordinator"),
        ),
        date_public=datetime(2025, 1, 15, 9, 0, tzinfo=UTC),
        discovery="EXTERNAL",
        solutions=(Text("Upgrade to 2.4.1 or later."),),
        workarounds=(Text("Block /download at the reverse proxy."),),
        tags=("x_vulndesk-generated",),
    )

"""scan_sbom on a real database: the stored records must match exactly like the full records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from support import FIXTURES
from vulndesk.core.advisories.osv import parse_osv
from vulndesk.core.matching import AdvisoryIndex, match_components, report_to_json
from vulndesk.core.sbom.model import Component, Sbom
from vulndesk.server.advisories.selectors import django_raw_database
from vulndesk.server.advisories.services import feeds_import
from vulndesk.server.findings.scanning import scan_sbom

pytestmark = pytest.mark.django_db

MERGE = FIXTURES / "osv" / "merge"


def demo_web(ident: str, fixed: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "modified": "2024-05-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "demo-web"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
        **extra,
    }


def test_scanning_the_store_reports_what_the_full_records_report(tmp_path: Path) -> None:
    records = {p.name: orjson.loads(p.read_bytes()) for p in sorted(MERGE.glob("*.json"))}
    # No summary: a finding shows the first line of the details, which the stored subset keeps.
    records["PYSEC-2099-50.json"] = demo_web(
        "PYSEC-2099-50",
        "9.0",
        details="\n  Heap overflow in demo-web's parser.  \n\nMore text.",
        references=[{"type": "WEB", "url": "https://example.com/50"}],
    )
    # Withdrawn: stored, never matched.
    records["PYSEC-2099-51.json"] = demo_web(
        "PYSEC-2099-51", "9.0", summary="gone", withdrawn="2024-06-01T00:00:00Z"
    )
    folder = tmp_path / "osv"
    folder.mkdir()
    for name, record in records.items():
        (folder / name).write_bytes(orjson.dumps(record))
    feeds_import(paths=[folder])

    components = (
        Component(ref="web-240", name="demo-web", version="2.4.0", purl="pkg:pypi/demo-web@2.4.0"),
        Component(ref="web-31", name="demo-web", version="3.1", purl="pkg:pypi/demo-web@3.1"),
        Component(
            ref="mod", name="mod", version="v1.0.0", purl="pkg:golang/example.com/mod@v1.0.0"
        ),
        Component(ref="firmware", name="router-firmware", version="1.0"),
    )
    stored = scan_sbom(sbom=Sbom("CycloneDX", "1.5", "json", components), db=django_raw_database())

    index = AdvisoryIndex(parse_osv(r, source=n) for n, r in records.items())
    full = match_components(
        components,
        index.advisories_for,
        aliases=index.alias_groups(),
        group_records=index.advisories_by_id,
    )
    assert orjson.dumps(report_to_json(stored)) == orjson.dumps(report_to_json(full))
    summaries = {f.vulnerability_id: f.summary for f in stored.findings}
    assert summaries["PYSEC-2099-50"] == "Heap overflow in demo-web's parser."
    assert "PYSEC-2099-51" not in summaries

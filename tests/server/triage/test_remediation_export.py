"""The remediation plan's exports, byte for byte: CSV, Markdown, ticket JSON and the API's JSON of
one hand-made plan (no database). To accept a deliberate change, run once with
``VULNDESK_UPDATE_GOLDEN=1`` and read the diff of ``tests/fixtures/remediation/plan.golden.*``.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime

import orjson
import pytest

from support import FIXTURES
from vulndesk.core.remediation import Upgrade
from vulndesk.server.triage.remediation import PlanFinding, PlanItem, RemediationPlan
from vulndesk.server.triage.remediation_export import (
    CSV_HEADER,
    plan_csv,
    plan_json,
    plan_markdown,
    plan_tickets,
    ticket_title,
)

GOLDEN = FIXTURES / "remediation"
NOW = datetime(2099, 3, 10, 9, 30, tzinfo=UTC)


def finding(
    n: int, vulnerability_id: str, severity: str, cleared: bool, **extra: object
) -> PlanFinding:
    fields: dict[str, object] = {
        "id": n,
        "vulnerability_id": vulnerability_id,
        "aliases": (vulnerability_id,),
        "advisory_ids": (f"PYSEC-{vulnerability_id}",),
        "severity": severity,
        "priority": "immediate",
        "due_at": datetime(2099, 3, 12, 9, 30, tzinfo=UTC),
        "kev": False,
        "summary": "",
        "cleared": cleared,
    }
    fields.update(extra)
    return PlanFinding(**fields)  # type: ignore[arg-type]


def item(component_id: int, name: str, version: str, **extra: object) -> PlanItem:
    fields: dict[str, object] = {
        "component_id": component_id,
        "name": name,
        "version": version,
        "purl": f"pkg:pypi/{name}@{version}",
        "direct": True,
        "findings": (),
        "upgrade": None,
        "reason": "",
        "status": "open",
        "note": "",
        "updated_by": "",
        "updated_at": None,
        "severity": "unknown",
        "priority": "",
        "due_at": None,
        "overdue": False,
    }
    fields.update(extra)
    return PlanItem(**fields)  # type: ignore[arg-type]


def upgrade(name: str, current: str, target: str | None, **extra: object) -> Upgrade:
    fields: dict[str, object] = {
        "ecosystem": "PyPI",
        "name": name,
        "current": current,
        "target": target,
        "crosses_major": False,
        "clears": (),
        "remaining": (),
        "reason": "",
    }
    fields.update(extra)
    return Upgrade(**fields)  # type: ignore[arg-type]


def sample_plan() -> RemediationPlan:
    urllib3 = item(
        2, "urllib3", "1.26.5",
        direct=False,
        findings=(
            finding(21, "CVE-2099-0201", "critical", True, kev=True,
                    summary="urllib3 leaks the Cookie header on cross-origin redirects"),
            finding(22, "CVE-2099-0202", "high", True),
        ),
        upgrade=upgrade("urllib3", "1.26.5", "2.2.2", crosses_major=True,
                        clears=("PYSEC-2099-201", "PYSEC-2099-202")),
        reason="2.2.2 is the smallest version fixed for both advisories",
        severity="critical", priority="immediate",
        due_at=datetime(2099, 3, 12, 9, 30, tzinfo=UTC),
        status="in_progress", note="=HYPERLINK(\"x\") waits for the 2.x port",
        updated_by="edith", updated_at=datetime(2099, 3, 9, 8, 0, tzinfo=UTC),
    )  # fmt: skip
    jinja2 = item(
        1, "jinja2", "2.10",
        findings=(
            finding(11, "CVE-2099-0101", "high", True, priority="scheduled",
                    due_at=datetime(2099, 3, 7, tzinfo=UTC)),
            finding(12, "CVE-2099-0102", "medium", False, priority="scheduled", due_at=None,
                    summary="ReDoS in jinja2's | urlize <filter>"),
        ),
        upgrade=upgrade("jinja2", "2.10", "2.10.1", clears=("PYSEC-2099-101",),
                        remaining=("PYSEC-2099-102",)),
        reason="2.10.1 is the smallest version fixed for 1 of 2 advisories; no fixed version "
        "is known for PYSEC-2099-102",
        severity="high", priority="scheduled", due_at=datetime(2099, 3, 7, tzinfo=UTC),
        overdue=True,
    )  # fmt: skip
    requests = item(
        3, "requests", "2.25.0",
        findings=(finding(31, "CVE-2099-0301", "low", False, priority="", due_at=None),),
        upgrade=upgrade("requests", "2.25.0", None, remaining=("PYSEC-2099-301",)),
        reason="no fixed version is known for PYSEC-2099-301",
        severity="low",
    )  # fmt: skip
    firmware = item(
        6, "router|firmware", "1.0",
        purl="",
        findings=(finding(61, "CVE-2099-0901", "high", False, priority="", due_at=None),),
        reason="no package URL: an upgrade is computed only for a package named by a package URL",
        severity="high",
    )  # fmt: skip
    settled = item(
        4, "pyyaml", "5.3",
        findings=(finding(41, "CVE-2099-0401", "medium", True, priority="", due_at=None),),
        upgrade=upgrade("pyyaml", "5.3", "5.4", clears=("PYSEC-2099-401",)),
        reason="5.4 is the smallest version fixed for PYSEC-2099-401",
        severity="medium", status="accepted_risk", note="only loads our own files",
    )  # fmt: skip
    return RemediationPlan(
        product_id=7,
        product="shop",
        release_id=9,
        release="1.8.0",
        generated_at=NOW,
        items=(urllib3, jinja2, requests, firmware, settled),
        can_change=False,
    )


def json_text(document: object) -> str:
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("VULNDESK_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8", newline="")
    assert path.exists(), f"{path.name} is missing: run with VULNDESK_UPDATE_GOLDEN=1"
    assert path.read_text(encoding="utf-8", newline="") == text


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("plan.golden.csv", plan_csv),
        ("plan.golden.md", plan_markdown),
        ("plan.golden.tickets.json", lambda p: json_text(plan_tickets(p))),
        ("plan.golden.json", lambda p: json_text(plan_json(p))),
    ],
    ids=["csv", "markdown", "tickets", "json"],
)  # fmt: skip
def test_export_matches_the_golden_file(name: str, render: object) -> None:
    golden(name, render(sample_plan()))  # type: ignore[operator]


def test_csv_rows_hold_each_item_and_defuse_formulas() -> None:
    text = plan_csv(sample_plan())
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert tuple(rows[0]) == CSV_HEADER
    assert [r["component"] for r in rows] == [
        "urllib3", "jinja2", "requests", "router|firmware", "pyyaml",
    ]  # fmt: skip
    urllib3 = rows[0]
    assert urllib3["target_version"] == "2.2.2"
    assert urllib3["crosses_major"] == "true"
    assert urllib3["vulnerabilities"] == "CVE-2099-0201 CVE-2099-0202"
    assert urllib3["due_date"] == "2099-03-12"
    assert urllib3["note"] == '\'=HYPERLINK("x") waits for the 2.x port'  # not a formula
    assert rows[1]["overdue"] == "true"
    assert rows[1]["cleared_count"] == "1"
    assert rows[2]["target_version"] == ""


def test_markdown_table_survives_pipes_and_html_in_names() -> None:
    text = plan_markdown(sample_plan())
    table = [line for line in text.splitlines() if line.startswith("| ")]
    # header, separator and five rows, each with the header's eight cells
    assert len(table) == 2 + 5
    for line in table:
        assert len(line.replace("\\|", "").split(" | ")) == 8, line
    assert "router\\|firmware 1.0" in text
    assert "| urllib3 1.26.5 | 1.26.5 → **2.2.2** | yes |" in text
    assert "**2099-03-07 (overdue)**" in text
    assert (
        "5 vulnerable components, 7 vulnerabilities, 1 overdue (as of 2099-03-10 09:30 UTC)."
        in text
    )


def test_tickets_only_for_items_still_to_work_on() -> None:
    plan = sample_plan()
    tickets = plan_tickets(plan)
    assert [t["title"] for t in tickets] == [
        "Upgrade urllib3 1.26.5 -> 2.2.2 in shop 1.8.0 (clears 2 vulnerabilities)",
        "Upgrade jinja2 2.10 -> 2.10.1 in shop 1.8.0 (clears 1 of 2 vulnerabilities)",
        "Fix requests 2.25.0 in shop 1.8.0 (1 vulnerability; no fixed version known)",
        "Fix router|firmware 1.0 in shop 1.8.0 (1 vulnerability; no upgrade computable)",
    ]  # the accepted risk needs no ticket
    first = tickets[0]
    assert first["labels"] == [
        "security", "vulndesk", "severity:critical", "priority:immediate", "major-upgrade",
    ]  # fmt: skip
    assert first["due_date"] == "2099-03-12"
    assert first["priority"] == "immediate"
    assert first["vulnerabilities"] == ["CVE-2099-0201", "CVE-2099-0202"]
    assert first["component"]["purl"] == "pkg:pypi/urllib3@1.26.5"
    assert first["external_id"] == "vulndesk:release:9:component:2"
    assert "| CVE-2099-0201 (KEV) | critical | immediate | 2099-03-12 | yes |" in first["body"]
    assert "crosses a major version" in first["body"]
    assert "overdue" in tickets[1]["labels"]
    assert "ReDoS in jinja2's \\| urlize \\<filter\\>" in tickets[1]["body"]
    assert ticket_title(plan, plan.items[4]).startswith("Upgrade pyyaml 5.3 -> 5.4 ")

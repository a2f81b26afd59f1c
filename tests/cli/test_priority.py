"""``vulndesk priority``: explaining a demo finding's priority as text and JSON, recomputing
priorities, and the SLA days, through the real command on a fresh database."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

Cli = Any  # conftest.Cli: runs the real command on the test's database


@pytest.fixture
def demo(cli: Cli) -> Cli:
    result = cli("demo", "--no-serve")
    assert result.returncode == 0, result.stderr
    return cli


def test_explain_a_finding(demo: Cli) -> None:
    result = demo("priority", "explain", "1", "--format", "json")
    assert result.returncode == 0, result.stderr
    explanation = orjson.loads(result.stdout)
    assert explanation["finding_id"] == 1
    assessment = explanation["assessment"]
    assert assessment["table"] == "deployer"
    # the stored priority is what matching computed, and what the inputs give now
    assert explanation["priority"] == assessment["outcome"] == explanation["priority_computed"]
    assert explanation["priority"] in {"immediate", "out-of-cycle", "scheduled", "defer"}
    points = {p["point"]: p for p in assessment["points"]}
    assert {"exploitation", "system_exposure", "automatable", "human_impact"} <= set(points)
    assert all(p["source"] and p["detail"] for p in points.values())
    assert assessment["decisions"][-1]["row"] == assessment["row"]
    assert explanation["evidence"]["cvss"], "the demo records carry CVSS vectors"

    text = demo("priority", "explain", "1")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[1].startswith(f"priority: {explanation['priority']}; due: ")
    assert f"Deployer Patch Application Priority 1.0.0: {assessment['outcome']}" in text.stdout
    assert "table rows that fired:" in text.stdout and "  CVSS " in text.stdout

    missing = demo("priority", "explain", "99999")
    assert missing.returncode == 2 and "no finding with id 99999" in missing.stderr


def test_refresh_and_sla(demo: Cli) -> None:
    result = demo("priority", "refresh")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("0 findings changed")  # matching prioritised them already

    result = demo("priority", "sla", "--set", "defer=180", "--set", "scheduled=")
    assert result.returncode == 0, result.stderr
    assert "  defer         180 days\n" in result.stdout
    assert "  scheduled     no due date\n" in result.stdout
    assert "  immediate     2 days (default)\n" in result.stdout

    bad = demo("priority", "sla", "--set", "soon=3")
    assert bad.returncode == 2 and "PRIORITY=DAYS" in bad.stderr

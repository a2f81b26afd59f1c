"""``vulndesk remediation``: the plan of a demo release in each format, and status changes by the
transition table, through the real command on a fresh database."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
import pytest

Cli = Any  # conftest.Cli: runs the real command on the test's database

# The demo's first release (Web shop 2.3.0, id 1 in a fresh database) has four findings, one
# per component, each fixed by one upgrade.
RELEASE = "1"


@pytest.fixture
def demo(cli: Cli) -> Cli:
    result = cli("demo", "--no-serve")
    assert result.returncode == 0, result.stderr
    return cli


def plan_json(cli: Cli) -> dict[str, object]:
    result = cli("remediation", "plan", RELEASE, "--format", "json")
    assert result.returncode == 0, result.stderr
    document = orjson.loads(result.stdout)
    assert isinstance(document, dict)
    return document


def test_the_plan_as_a_table_and_in_the_export_formats(demo: Cli) -> None:
    result = demo("remediation", "plan", RELEASE)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Web shop 2.3.0 (release 1): 4 vulnerable components, 4 vulnerabilities"
    table = "\n".join(lines[1:])
    for row in [
        ("pyyaml 5.3.1", "5.3.1 -> 5.4", "critical"),
        ("jinja2 3.1.2", "3.1.2 -> 3.1.3", "medium"),
        ("requests 2.28.1", "2.28.1 -> 2.31.0", "medium"),
        ("urllib3 1.26.12", "1.26.12 -> 1.26.17", "medium"),
    ]:
        line = next(line for line in table.splitlines() if row[0] in line)
        assert all(cell in line for cell in row), line
        assert line.rstrip(" │|").endswith("open")
    # the critical one first
    assert table.index("pyyaml") < table.index("jinja2")

    plan = plan_json(demo)
    assert (plan["product"], plan["release"]) == ("Web shop", "2.3.0")
    items = plan["items"]
    assert isinstance(items, list)
    assert (items[0]["name"], items[0]["target_version"]) == ("pyyaml", "5.4")

    result = demo("remediation", "plan", RELEASE, "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {(r["component"], r["target_version"]) for r in rows} == {
        ("pyyaml", "5.4"), ("jinja2", "3.1.3"), ("requests", "2.31.0"), ("urllib3", "1.26.17"),
    }  # fmt: skip

    result = demo("remediation", "plan", RELEASE, "-f", "markdown")
    assert result.stdout.startswith("## Remediation plan: Web shop 2.3.0\n")
    assert "| pyyaml 5.3.1 | 5.3.1 → **5.4** | no | 1: CVE-2020-14343 | critical |" in (
        result.stdout
    )

    result = demo("remediation", "plan", RELEASE, "-f", "tickets")
    tickets = orjson.loads(result.stdout)
    assert tickets[0]["title"] == (
        "Upgrade pyyaml 5.3.1 -> 5.4 in Web shop 2.3.0 (clears 1 vulnerability)"
    )
    assert tickets[0]["component"]["purl"] == "pkg:pypi/pyyaml@5.3.1"


def test_set_moves_an_item_along_the_transition_table_and_errors_say_why(demo: Cli) -> None:
    items = plan_json(demo)["items"]
    assert isinstance(items, list)
    pyyaml = str(next(i["component_id"] for i in items if i["name"] == "pyyaml"))

    result = demo("remediation", "set", RELEASE, pyyaml, "in_progress", "--note", "PR #7")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "pyyaml 5.3.1 in Web shop 2.3.0: in_progress (PR #7)\n"
    result = demo("remediation", "set", RELEASE, pyyaml, "fixed")
    assert result.stdout == "pyyaml 5.3.1 in Web shop 2.3.0: fixed (PR #7)\n"

    result = demo("remediation", "set", RELEASE, pyyaml, "accepted_risk")
    assert result.returncode == 2
    assert result.stderr == (
        "vulndesk: error: pyyaml 5.3.1 in Web shop 2.3.0 is 'fixed' and cannot become "
        "'accepted_risk': from 'fixed' it may become 'open'\n"
    )
    items = plan_json(demo)["items"]
    assert isinstance(items, list)
    item = next(i for i in items if i["name"] == "pyyaml")
    assert (item["status"], item["note"]) == ("fixed", "PR #7")
    assert "fixed" in demo("remediation", "plan", RELEASE).stdout

    result = demo("remediation", "plan", "99")
    assert (result.returncode, result.stderr) == (2, "vulndesk: error: no release with id 99\n")
    result = demo("remediation", "set", RELEASE, "99999", "fixed")
    assert result.returncode == 2
    assert "no component with id 99999 in release 1 (Web shop 2.3.0)" in result.stderr
    result = demo("remediation", "set", RELEASE, "1", "done")
    assert result.returncode == 2  # argparse: not one of the statuses
    assert "invalid choice: 'done'" in result.stderr

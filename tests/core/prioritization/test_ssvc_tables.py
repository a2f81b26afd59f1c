"""The SSVC tables as encoded: every row of CERT/CC's CSVs, then the tables' own invariants."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from support import SHARED_DATA
from vulndesk.core.errors import VulndeskError
from vulndesk.core.prioritization.ssvc import (
    POINT_NAMES,
    POINTS,
    TABLES,
    Decision,
    DecisionTable,
    SsvcError,
    canonical_value,
    get_table,
)

SSVC_CSV = SHARED_DATA / "ssvc"

# CSV file -> the table key that encodes it (a new CSV upstream must be added here on purpose)
CSV_TABLES = {
    "deployer_patch_application_priority_1_0_0.csv": "deployer",
    "supplier_patch_development_priority_1_0_0.csv": "supplier",
    "coordinator_triage_1_0_0.csv": "coordinator_triage",
    "coordinator_publish_decision_table_1_0_0.csv": "coordinator_publish",
    "cisa_coordinator_2_0_3.csv": "cisa_coordinator",
    "cisa_bod_26_04_1_0_0.csv": "cisa_bod_26_04",
    "human_impact_1_0_0.csv": "human_impact",
    "utility_1_0_0.csv": "utility",
    "public_safety_impact_1_0_0.csv": "public_safety_impact",
}

_ABSENT = "../shared/data/ssvc is absent (the shared real-data folder is not here)"


def _csv_cases() -> list[Any]:
    if not SSVC_CSV.is_dir():
        return [pytest.param(None, id="ssvc-csv", marks=pytest.mark.skip(reason=_ABSENT))]
    return [pytest.param(SSVC_CSV / name, id=key) for name, key in CSV_TABLES.items()]


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    assert header[0] == "row", f"{path.name}: first column is {header[0]!r}, not 'row'"
    return header, rows


@pytest.mark.shared
def test_every_csv_table_is_encoded() -> None:
    if not SSVC_CSV.is_dir():
        pytest.skip(_ABSENT)
    assert sorted(p.name for p in SSVC_CSV.glob("*.csv")) == sorted(CSV_TABLES)
    assert sorted(CSV_TABLES.values()) == sorted(TABLES)


@pytest.mark.shared
@pytest.mark.parametrize("path", _csv_cases())
def test_table_reproduces_every_csv_row(path: Path) -> None:
    table = TABLES[CSV_TABLES[path.name]]
    header, rows = _read(path)
    # columns: the table's inputs in order, then its outcome, named as the CSV names them
    assert header[1:] == [POINT_NAMES[p] for p in (*table.inputs, table.outcome)]
    expected = [(int(r[0]), tuple(r[1:-1]), r[-1]) for r in rows]
    assert [r for r, _, _ in expected] == list(range(len(rows)))
    assert list(table.rows()) == expected

    wrong = []
    for row, values, outcome in expected:
        decision = table.evaluate(dict(zip(table.inputs, values, strict=True)))
        want = Decision(table.key, outcome, row, tuple(zip(table.inputs, values, strict=True)))
        if decision != want:
            wrong.append((want, decision))
    assert wrong == []


@pytest.mark.shared
@pytest.mark.parametrize("path", _csv_cases())
def test_points_list_each_csv_columns_values_lowest_first(path: Path) -> None:
    # in both row orders a value first appears after every lower value of its point
    table = TABLES[CSV_TABLES[path.name]]
    _, rows = _read(path)
    for i, point in enumerate(table.inputs, start=1):
        seen = list(dict.fromkeys(r[i] for r in rows))
        assert seen == list(POINTS[point]), point
    outcomes = {r[-1] for r in rows}
    assert outcomes <= set(table.outcomes)
    assert table.outcomes == POINTS[table.outcome]


# --- without the CSVs ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(TABLES))
def test_table_is_monotone_in_every_input(key: str) -> None:
    # SSVC's tables never lower the outcome when one input rises: this holds only if POINTS and
    # the outcome lists are really lowest first, and the mapping has no transposed digits
    table = TABLES[key]
    rank = {values: table.outcomes.index(outcome) for _, values, outcome in table.rows()}
    assert len(rank) == len(list(itertools.product(*(POINTS[p] for p in table.inputs))))
    drops = []
    for values, outcome in rank.items():
        for i, point in enumerate(table.inputs):
            position = POINTS[point].index(values[i])
            if position + 1 < len(POINTS[point]):
                higher = (*values[:i], POINTS[point][position + 1], *values[i + 1 :])
                if rank[higher] < outcome:
                    drops.append((values, point))
    assert drops == []


@pytest.mark.parametrize("key", list(TABLES))
def test_lowest_inputs_are_row_zero_and_highest_the_last_row(key: str) -> None:
    table = TABLES[key]
    rows = list(table.rows())
    assert rows[0][1] == tuple(POINTS[p][0] for p in table.inputs)
    assert rows[-1][1] == tuple(POINTS[p][-1] for p in table.inputs)
    assert [r[0] for r in rows] == list(range(len(rows)))


# rows copied by hand from the CSVs, so the encoding is checked even where ../shared is absent
KNOWN_ROWS = [
    ("deployer", ("active", "open", "yes", "very high"), 71, "immediate"),
    ("deployer", ("none", "open", "yes", "very high"), 23, "out-of-cycle"),
    ("deployer", ("public poc", "small", "no", "low"), 24, "defer"),
    ("supplier", ("public poc", "laborious", "total", "significant"), 15, "immediate"),
    ("cisa_coordinator", ("none", "no", "total", "high"), 5, "track*"),
    ("cisa_coordinator", ("active", "yes", "partial", "high"), 32, "act"),
    (
        "coordinator_triage",
        ("yes", "no", "not credible", "multiple", "active", "super effective", "significant"),
        119,
        "coordinate",
    ),
    (
        "coordinator_triage",
        ("no", "yes", "credible", "one", "unresponsive", "laborious", "minimal"),
        72,
        "track",
    ),
    ("coordinator_publish", ("uncooperative/unresponsive", "active", "limited"), 17, "publish"),
    ("coordinator_publish", ("cooperative", "public poc", "ampliative"), 13, "do not publish"),
    ("cisa_bod_26_04", ("yes", "yes", "no", "total"), 12, "3 days & forensic investigation"),
    ("cisa_bod_26_04", ("no", "yes", "no", "partial"), 2, "60 days"),
    ("human_impact", ("critical", "mef support crippled"), 9, "high"),
    ("utility", ("yes", "diffuse"), 2, "efficient"),
    ("public_safety_impact", ("marginal",), 1, "significant"),
]


@pytest.mark.parametrize(("key", "values", "row", "outcome"), KNOWN_ROWS)
def test_known_rows(key: str, values: tuple[str, ...], row: int, outcome: str) -> None:
    table = TABLES[key]
    decision = table.evaluate(dict(zip(table.inputs, values, strict=True)))
    assert (decision.row, decision.outcome) == (row, outcome)
    assert (row, values, outcome) in list(table.rows())


def test_table_names_and_outcome_points() -> None:
    assert TABLES["deployer"].name == "Deployer Patch Application Priority 1.0.0"
    assert {k: t.outcome for k, t in TABLES.items()} == {
        "deployer": "priority",
        "supplier": "priority",
        "coordinator_triage": "triage",
        "coordinator_publish": "publish",
        "cisa_coordinator": "cisa_level",
        "cisa_bod_26_04": "bod_timeline",
        "human_impact": "human_impact",
        "utility": "utility",
        "public_safety_impact": "public_safety_impact",
    }
    assert POINTS["cisa_level"] == ("track", "track*", "attend", "act")
    assert set(POINT_NAMES) == set(POINTS)


# --- evaluation errors and conveniences ---------------------------------------------------------

DEPLOYER_VALUES = {
    "exploitation": "public poc",
    "system_exposure": "open",
    "automatable": "yes",
    "human_impact": "high",
}


def test_evaluate_ignores_extra_points_and_keeps_column_order() -> None:
    values = {"mission_impact": "degraded", **dict(reversed(list(DEPLOYER_VALUES.items())))}
    decision = TABLES["deployer"].evaluate(values)
    assert decision == Decision(
        "deployer",
        "out-of-cycle",
        46,
        (
            ("exploitation", "public poc"),
            ("system_exposure", "open"),
            ("automatable", "yes"),
            ("human_impact", "high"),
        ),
    )


def test_evaluate_accepts_other_case_and_spacing() -> None:
    values = {**DEPLOYER_VALUES, "exploitation": " Public  PoC ", "human_impact": "HIGH"}
    decision = TABLES["deployer"].evaluate(values)
    assert decision.row == 46
    assert dict(decision.inputs)["exploitation"] == "public poc"


def test_evaluate_names_the_missing_point_and_its_values() -> None:
    values = {k: v for k, v in DEPLOYER_VALUES.items() if k != "automatable"}
    with pytest.raises(SsvcError) as e:
        TABLES["deployer"].evaluate(values)
    message = str(e.value)
    assert "'automatable'" in message
    assert "one of no, yes" in message
    assert "Deployer Patch Application Priority 1.0.0" in message
    assert isinstance(e.value, VulndeskError)


def test_evaluate_names_the_bad_value_and_the_allowed_ones() -> None:
    with pytest.raises(SsvcError) as e:
        TABLES["deployer"].evaluate({**DEPLOYER_VALUES, "human_impact": "extreme"})
    message = str(e.value)
    assert "'extreme'" in message
    assert "'human_impact'" in message
    assert "low, medium, high, very high" in message


def test_evaluate_rejects_a_value_of_another_point() -> None:
    # "high" is a human impact, not a system exposure
    with pytest.raises(SsvcError, match="'high' is not a value of 'system_exposure'"):
        TABLES["deployer"].evaluate({**DEPLOYER_VALUES, "system_exposure": "high"})


def test_canonical_value() -> None:
    assert canonical_value("supplier_involvement", "Fix Ready") == "fix ready"
    with pytest.raises(SsvcError, match="unknown SSVC decision point 'severity'"):
        canonical_value("severity", "high")


def test_get_table() -> None:
    assert get_table("supplier") is TABLES["supplier"]
    with pytest.raises(SsvcError, match=r"unknown SSVC decision table 'ciso'.*deployer"):
        get_table("ciso")


def test_decision_as_json() -> None:
    decision = TABLES["cisa_bod_26_04"].evaluate(
        {
            "in_kev": "yes",
            "publicly_exposed": "yes",
            "automatable": "no",
            "technical_impact": "total",
        }
    )
    data = decision.as_json()
    assert data == {
        "table": "cisa_bod_26_04",
        "table_name": "CISA BOD 26-04 Remediation Timelines 1.0.0",
        "row": 12,
        "inputs": {
            "in_kev": "yes",
            "publicly_exposed": "yes",
            "automatable": "no",
            "technical_impact": "total",
        },
        "outcome_point": "bod_timeline",
        "outcome": "3 days & forensic investigation",
    }
    assert json.loads(json.dumps(data)) == data


def test_a_table_with_a_missing_combination_cannot_be_built() -> None:
    with pytest.raises(SsvcError, match="3 outcomes for 4 combinations"):
        DecisionTable("u", "U", ("automatable", "value_density"), "utility", "01 1")


def test_a_table_with_an_outcome_code_beyond_its_outcomes_cannot_be_built() -> None:
    with pytest.raises(SsvcError, match="outcome codes"):
        DecisionTable("u", "U", ("automatable", "value_density"), "utility", "01 13")


def test_mapping_labels_are_ignored() -> None:
    table = DecisionTable(
        "u", "U", ("automatable", "value_density"), "utility", "01  # no\n12  # yes 3"
    )
    assert [o for _, _, o in table.rows()] == [
        "laborious",
        "efficient",
        "efficient",
        "super effective",
    ]

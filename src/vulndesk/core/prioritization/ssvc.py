"""SSVC decision tables (CERT/CC Stakeholder-Specific Vulnerability Categorization), encoded here.

The tables are CERT/CC's (SEI, Carnegie Mellon University; published under an MIT (SEI)-style
licence with the SSVC project). We do not ship or read their CSV files: each table is written
below as its outcome per combination of input values, and a test reproduces every row of every
CSV against it (tests/core/prioritization/test_ssvc_tables.py), so a transcription error fails CI.

How a table is written, and why:

- :data:`POINTS` lists each decision point's values **lowest first**, spelled exactly as in the
  CSVs (lower case). SSVC orders every point, and every table is monotone in each input (a higher
  input never lowers the outcome); keeping the order lets the code and the tests rely on that.
- A table's ``mapping`` has one digit per combination of input values, in *product order*: the
  first input varies slowest, the last fastest, each in :data:`POINTS` order. The digit is the
  outcome's position in the outcome point's values (``0`` = lowest). Whitespace and ``# ...``
  labels are only layout: a line per combination of the leading inputs, labelled with their
  values, keeps each table readable and reviewable against the CSV.
- The CSVs number their rows in one of two orders, and a :class:`Decision` must cite the row the
  way the CSV does (``row`` column). Most are in product order. ``coordinator_triage``,
  ``coordinator_publish`` and ``cisa_bod_26_04`` are in *rank* order: sorted by the sum of the
  inputs' value positions (so the lowest combination is row 0 and the highest the last row), ties
  broken by comparing the positions from the last input to the first. That is how SSVC's tooling
  emitted those files; the row test proves it for every row.
- A point keeps one key and one value list everywhere. The CSV headers agree on every shared
  point (Exploitation v1.1.0, Automatable v2.0.0, Technical Impact v1.0.0, Utility v1.0.1, Safety
  Impact v2.0.1, Public Safety Impact v2.0.1, Human Impact v2.0.2), so no point needed a second
  key. :data:`POINT_NAMES` keeps each header as written, for explanations.
- The derived tables (``human_impact``, ``utility``, ``public_safety_impact``) have a decision
  point as their outcome: their result is an input of the deployer and supplier tables.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal

from vulndesk.core.errors import VulndeskError

__all__ = [
    "POINTS",
    "POINT_NAMES",
    "TABLES",
    "Decision",
    "DecisionTable",
    "SsvcError",
    "canonical_value",
    "get_table",
]


class SsvcError(VulndeskError):
    """A decision point, value or table is not one SSVC (as encoded here) knows."""


_YES_NO: Final = ("no", "yes")

#: decision point key -> allowed values, lowest first, spelled as in the CERT/CC CSVs
POINTS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "exploitation": ("none", "public poc", "active"),
        "system_exposure": ("small", "controlled", "open"),
        "automatable": _YES_NO,
        "human_impact": ("low", "medium", "high", "very high"),
        "safety_impact": ("negligible", "marginal", "critical", "catastrophic"),
        "mission_impact": ("degraded", "mef support crippled", "mef failure", "mission failure"),
        "value_density": ("diffuse", "concentrated"),
        "utility": ("laborious", "efficient", "super effective"),
        "technical_impact": ("partial", "total"),
        "public_safety_impact": ("minimal", "significant"),
        "mission_well_being": ("low", "medium", "high"),
        "in_kev": _YES_NO,
        "publicly_exposed": _YES_NO,
        # SSVC orders Report Public yes < no: a report already public leaves less to coordinate
        "report_public": ("yes", "no"),
        "supplier_contacted": _YES_NO,
        "report_credibility": ("not credible", "credible"),
        "supplier_cardinality": ("one", "multiple"),
        "supplier_engagement": ("active", "unresponsive"),
        "supplier_involvement": ("fix ready", "cooperative", "uncooperative/unresponsive"),
        "public_value_added": ("limited", "ampliative", "precedence"),
        # outcome points of the main tables
        "priority": ("defer", "scheduled", "out-of-cycle", "immediate"),
        "cisa_level": ("track", "track*", "attend", "act"),
        "triage": ("decline", "track", "coordinate"),
        "publish": ("do not publish", "publish"),
        "bod_timeline": (
            "fix on system upgrade",
            "60 days",
            "14 days",
            "3 days",
            "3 days & forensic investigation",
        ),
    }
)

#: decision point key -> its name and version as the CSV headers write it
POINT_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "exploitation": "Exploitation v1.1.0",
        "system_exposure": "System Exposure v1.0.1",
        "automatable": "Automatable v2.0.0",
        "human_impact": "Human Impact v2.0.2",
        "safety_impact": "Safety Impact v2.0.1",
        "mission_impact": "Mission Impact v2.0.0",
        "value_density": "Value Density v1.0.0",
        "utility": "Utility v1.0.1",
        "technical_impact": "Technical Impact v1.0.0",
        "public_safety_impact": "Public Safety Impact v2.0.1",
        "mission_well_being": "Mission and Well-Being Impact v1.0.0",
        "in_kev": "In KEV v1.0.0 (cisa)",
        "publicly_exposed": "Publicly Exposed v1.0.0 (cisa)",
        "report_public": "Report Public v1.0.0",
        "supplier_contacted": "Supplier Contacted v1.0.0",
        "report_credibility": "Report Credibility v1.0.0",
        "supplier_cardinality": "Supplier Cardinality v1.0.0",
        "supplier_engagement": "Supplier Engagement v1.0.0",
        "supplier_involvement": "Supplier Involvement v1.0.0",
        "public_value_added": "Public Value Added v1.0.0",
        "priority": "Defer, Scheduled, Out-of-Cycle, Immediate v1.0.0",
        "cisa_level": "CISA Levels v1.1.0 (cisa)",
        "triage": "Decline, Track, Coordinate v1.0.1",
        "publish": "Publish, Do Not Publish v1.0.0",
        "bod_timeline": "CISA BOD 26-04 Remediation Timelines v1.0.0 (cisa)",
    }
)


def canonical_value(point: str, value: str) -> str:
    """Return ``value`` as :data:`POINTS` spells it for ``point``; raise SsvcError otherwise.

    Case and runs of whitespace do not matter (``Public PoC`` is ``public poc``): people type
    overrides, and upstream data capitalises freely. Anything else must match a value exactly.
    """
    allowed = POINTS.get(point)
    if allowed is None:
        raise SsvcError(f"unknown SSVC decision point {point!r} (known: {', '.join(POINTS)})")
    if isinstance(value, str):
        wanted = " ".join(value.split()).lower()
        if wanted in allowed:
            return wanted
    raise SsvcError(
        f"{value!r} is not a value of {point!r} ({POINT_NAMES[point]}): one of {', '.join(allowed)}"
    )


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome a table gave for one set of inputs, and the CSV row that says so."""

    table: str
    outcome: str
    row: int
    inputs: tuple[tuple[str, str], ...]

    def as_json(self) -> dict[str, Any]:
        """Return the decision as a JSON object: table (key and name), row, inputs, outcome."""
        table = TABLES.get(self.table)
        return {
            "table": self.table,
            "table_name": table.name if table is not None else self.table,
            "row": self.row,
            "inputs": dict(self.inputs),
            "outcome_point": table.outcome if table is not None else None,
            "outcome": self.outcome,
        }


def _rank_key(combination: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    return sum(combination), combination[::-1]


@dataclass(frozen=True, slots=True)
class DecisionTable:
    """One SSVC decision table: its input points, its outcome point and one outcome per input.

    ``mapping`` and ``order`` are described in the module docstring. ``outcomes`` are the outcome
    point's values, lowest first. Construction checks the mapping against :data:`POINTS`, so a
    table with a missing or extra combination cannot exist.
    """

    key: str
    name: str
    inputs: tuple[str, ...]
    outcome: str
    mapping: str = field(repr=False)
    order: Literal["product", "rank"] = "product"
    outcomes: tuple[str, ...] = field(init=False)
    _codes: str = field(init=False, repr=False, compare=False)
    # CSV row -> product index, and product index -> CSV row
    _by_row: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _row_of: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for point in (*self.inputs, self.outcome):
            if point not in POINTS:
                raise SsvcError(f"table {self.key!r} uses unknown decision point {point!r}")
        outcomes = POINTS[self.outcome]
        # layout and the ``# ...`` labels of each line are for readers only
        codes = "".join(
            "".join(line.partition("#")[0].split()) for line in self.mapping.splitlines()
        )
        sizes = [len(POINTS[p]) for p in self.inputs]
        if len(codes) != math.prod(sizes):
            raise SsvcError(
                f"table {self.key!r} has {len(codes)} outcomes for {math.prod(sizes)} combinations"
            )
        bad = sorted({c for c in codes if not c.isdigit() or int(c) >= len(outcomes)})
        if bad:
            raise SsvcError(f"table {self.key!r} has outcome codes {bad} beyond {outcomes}")
        combinations = list(itertools.product(*(range(n) for n in sizes)))
        if self.order == "product":
            by_row = list(range(len(combinations)))
        else:
            index = {c: i for i, c in enumerate(combinations)}
            by_row = [index[c] for c in sorted(combinations, key=_rank_key)]
        row_of = [0] * len(by_row)
        for row, i in enumerate(by_row):
            row_of[i] = row
        object.__setattr__(self, "outcomes", outcomes)
        object.__setattr__(self, "_codes", codes)
        object.__setattr__(self, "_by_row", tuple(by_row))
        object.__setattr__(self, "_row_of", tuple(row_of))

    def _combination(self, index: int) -> tuple[str, ...]:
        values: list[str] = []
        for point in reversed(self.inputs):
            index, position = divmod(index, len(POINTS[point]))
            values.append(POINTS[point][position])
        return tuple(reversed(values))

    def evaluate(self, values: Mapping[str, str]) -> Decision:
        """Return the Decision for ``values`` (point key -> value; extra keys are ignored).

        Raise SsvcError naming the first input that is missing or not an allowed value, with the
        allowed values.
        """
        index = 0
        chosen: list[tuple[str, str]] = []
        for point in self.inputs:
            allowed = POINTS[point]
            if point not in values:
                raise SsvcError(
                    f"{self.name}: no value for decision point {point!r} "
                    f"({POINT_NAMES[point]}): one of {', '.join(allowed)}"
                )
            try:
                value = canonical_value(point, values[point])
            except SsvcError as e:
                raise SsvcError(f"{self.name}: {e}") from e
            index = index * len(allowed) + allowed.index(value)
            chosen.append((point, value))
        outcome = self.outcomes[int(self._codes[index])]
        return Decision(self.key, outcome, self._row_of[index], tuple(chosen))

    def rows(self) -> Iterator[tuple[int, tuple[str, ...], str]]:
        """Yield (row, input values, outcome) for every row, in the CSV's row order."""
        for row, index in enumerate(self._by_row):
            yield row, self._combination(index), self.outcomes[int(self._codes[index])]


# --- the tables --------------------------------------------------------------------------------
# Transcribed from CERT/CC SSVC (https://github.com/CERTCC/SSVC, MIT (SEI)-style licence,
# Copyright Carnegie Mellon University). Digits are outcome positions, lowest first.

_TABLES: Final = (
    DecisionTable(
        key="deployer",
        name="Deployer Patch Application Priority 1.0.0",
        inputs=("exploitation", "system_exposure", "automatable", "human_impact"),
        outcome="priority",
        # 0 defer, 1 scheduled, 2 out-of-cycle, 3 immediate
        # a line per (exploitation, system exposure): automatable no | yes, each over human
        # impact low, medium, high, very high
        mapping="""
            0011 0111  # none, small
            0111 1111  # none, controlled
            0111 1112  # none, open
            0111 1111  # public poc, small
            0111 1112  # public poc, controlled
            1112 1122  # public poc, open
            1122 1222  # active, small
            1122 2222  # active, controlled
            1223 2233  # active, open
        """,
    ),
    DecisionTable(
        key="supplier",
        name="Supplier Patch Development Priority 1.0.0",
        inputs=("exploitation", "utility", "technical_impact", "public_safety_impact"),
        outcome="priority",
        # 0 defer, 1 scheduled, 2 out-of-cycle, 3 immediate
        # a line per (exploitation, utility): technical impact partial | total, each over public
        # safety impact minimal, significant
        mapping="""
            01 12  # none, laborious
            12 12  # none, efficient
            12 22  # none, super effective
            12 13  # public poc, laborious
            13 23  # public poc, efficient
            23 23  # public poc, super effective
            23 23  # active, laborious
            23 23  # active, efficient
            33 33  # active, super effective
        """,
    ),
    DecisionTable(
        key="coordinator_triage",
        name="Coordinator Triage 1.0.0",
        inputs=(
            "report_public",
            "supplier_contacted",
            "report_credibility",
            "supplier_cardinality",
            "supplier_engagement",
            "utility",
            "public_safety_impact",
        ),
        outcome="triage",
        order="rank",
        # 0 decline, 1 track, 2 coordinate
        # a line per (report public, supplier contacted, report credibility, supplier
        # cardinality, supplier engagement): utility laborious | efficient | super effective,
        # each over public safety impact minimal, significant
        mapping="""
            00 00 00  # yes, no, not credible, one, active
            00 00 00  # yes, no, not credible, one, unresponsive
            00 00 02  # yes, no, not credible, multiple, active
            00 00 02  # yes, no, not credible, multiple, unresponsive
            00 00 00  # yes, no, credible, one, active
            00 00 00  # yes, no, credible, one, unresponsive
            00 00 02  # yes, no, credible, multiple, active
            00 00 02  # yes, no, credible, multiple, unresponsive
            00 00 00  # yes, yes, not credible, one, active
            00 00 00  # yes, yes, not credible, one, unresponsive
            00 00 02  # yes, yes, not credible, multiple, active
            00 00 02  # yes, yes, not credible, multiple, unresponsive
            00 00 00  # yes, yes, credible, one, active
            00 00 00  # yes, yes, credible, one, unresponsive
            00 00 02  # yes, yes, credible, multiple, active
            00 00 02  # yes, yes, credible, multiple, unresponsive
            00 00 00  # no, no, not credible, one, active
            00 00 00  # no, no, not credible, one, unresponsive
            00 00 02  # no, no, not credible, multiple, active
            00 00 02  # no, no, not credible, multiple, unresponsive
            00 00 00  # no, no, credible, one, active
            00 00 00  # no, no, credible, one, unresponsive
            00 00 02  # no, no, credible, multiple, active
            00 00 02  # no, no, credible, multiple, unresponsive
            00 01 01  # no, yes, not credible, one, active
            00 01 01  # no, yes, not credible, one, unresponsive
            01 01 12  # no, yes, not credible, multiple, active
            01 01 12  # no, yes, not credible, multiple, unresponsive
            00 01 01  # no, yes, credible, one, active
            12 22 22  # no, yes, credible, one, unresponsive
            01 01 22  # no, yes, credible, multiple, active
            22 22 22  # no, yes, credible, multiple, unresponsive
        """,
    ),
    DecisionTable(
        key="coordinator_publish",
        name="Coordinator Publish Decision Table 1.0.0",
        inputs=("supplier_involvement", "exploitation", "public_value_added"),
        outcome="publish",
        order="rank",
        # 0 do not publish, 1 publish
        # a line per supplier involvement: exploitation none | public poc | active, each over
        # public value added limited, ampliative, precedence
        mapping="""
            001 001 011  # fix ready
            001 001 011  # cooperative
            001 011 111  # uncooperative/unresponsive
        """,
    ),
    DecisionTable(
        key="cisa_coordinator",
        name="CISA Coordinator 2.0.3",
        inputs=("exploitation", "automatable", "technical_impact", "mission_well_being"),
        outcome="cisa_level",
        # 0 track, 1 track*, 2 attend, 3 act
        # a line per (exploitation, automatable): technical impact partial | total, each over
        # mission and well-being impact low, medium, high
        mapping="""
            000 001  # none, no
            002 002  # none, yes
            001 012  # public poc, no
            002 012  # public poc, yes
            002 023  # active, no
            223 233  # active, yes
        """,
    ),
    DecisionTable(
        key="cisa_bod_26_04",
        name="CISA BOD 26-04 Remediation Timelines 1.0.0",
        inputs=("in_kev", "publicly_exposed", "automatable", "technical_impact"),
        outcome="bod_timeline",
        order="rank",
        # 0 fix on system upgrade, 1 60 days, 2 14 days, 3 3 days,
        # 4 3 days & forensic investigation
        # a line per (in KEV, publicly exposed): automatable no | yes, each over technical
        # impact partial, total
        mapping="""
            00 11  # no, no
            12 23  # no, yes
            22 24  # yes, no
            24 34  # yes, yes
        """,
    ),
    DecisionTable(
        key="human_impact",
        name="Human Impact 1.0.0",
        inputs=("safety_impact", "mission_impact"),
        outcome="human_impact",
        # 0 low, 1 medium, 2 high, 3 very high
        # a line per safety impact, over mission impact degraded, mef support crippled,
        # mef failure, mission failure
        mapping="""
            0013  # negligible
            0013  # marginal
            1223  # critical
            3333  # catastrophic
        """,
    ),
    DecisionTable(
        key="utility",
        name="Utility 1.0.0",
        inputs=("automatable", "value_density"),
        outcome="utility",
        # 0 laborious, 1 efficient, 2 super effective
        # automatable no | yes, each over value density diffuse, concentrated
        mapping="01 12",
    ),
    DecisionTable(
        key="public_safety_impact",
        name="Public Safety Impact 1.0.0",
        inputs=("safety_impact",),
        outcome="public_safety_impact",
        # 0 minimal, 1 significant; over safety impact negligible, marginal, critical,
        # catastrophic
        mapping="0111",
    ),
)

#: table key -> table
TABLES: Final[Mapping[str, DecisionTable]] = MappingProxyType({t.key: t for t in _TABLES})


def get_table(key: str) -> DecisionTable:
    """Return the table ``key`` names; raise SsvcError naming the known tables otherwise."""
    table = TABLES.get(key)
    if table is None:
        raise SsvcError(f"unknown SSVC decision table {key!r} (known: {', '.join(TABLES)})")
    return table

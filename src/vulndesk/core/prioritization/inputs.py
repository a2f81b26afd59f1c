"""SSVC decision points filled from evidence, each with its provenance, overridable by a person.

A priority is only as good as its inputs, and a person must be able to see and correct each one.
So every decision point becomes a :class:`PointValue`: the value, the kind of source it came from
and a sentence saying which statement or setting gave it. :func:`assess` evaluates a table and
returns an :class:`Assessment` whose :meth:`~Assessment.as_json` fits on one screen: every input,
its source, and the row of every table that fired.

Where each point comes from, and why:

- **Exploitation** (:func:`exploitation_of`): ``active`` when CISA KEV lists the vulnerability,
  ENISA's EUVD flags it exploited, a person records that it is exploited, CISA Vulnrichment says
  ``active``, or a CSAF ``exploit_status`` threat reports exploitation; ``public poc`` when an
  exploit reference exists, a CSAF threat reports only an exploit or proof of concept (Metasploit,
  exploit code, "Publicly Disclosed: Yes"), or Vulnrichment says ``poc``; otherwise ``none``. The
  strongest statement wins, because one credible report of attacks is enough (SSVC: "evidence of
  active exploitation"); the detail names it and counts the rest. EPSS is shown in the detail but
  never sets the value: a probability of exploitation is a forecast, not evidence.
- **CSAF threats** are free text, so they are read clause by clause (split at ``.``, ``,``,
  ``;`` and "but"): a clause with a negation ("no known exploit", "not aware", "unproven") says
  ``none``; otherwise words of attack ("exploited in the wild", "actively exploited",
  "Exploited: Yes") say ``active``, and words of an exploit ("proof of concept", "PoC",
  "Metasploit", "exploit code is available") say ``public poc``. The highest clause wins. A
  non-empty status none of whose clauses we can read counts as ``public poc`` and says so: a
  vendor that records an exploit status which is not a denial knows of at least a way to exploit
  it, and under-rating it would be the costlier mistake; a person can override it.
- **Automatable** (:func:`automatable_of`) and **Technical Impact** (:func:`technical_impact_of`):
  CISA Vulnrichment's value when the CVE record has one (an analyst's judgement beats a proxy);
  otherwise from the first readable CVSS vector, v3.x and v4.0 preferred over v2.0 whatever the
  order given (v2 has no user-interaction metric and rates impacts differently). A vulnerability
  is automatable when it is reachable over the network, with low complexity, no privileges and no
  user interaction (v4: also no attack requirements; v2: ``AV:N/AC:L/Au:N``): then a script can
  find and exploit targets at scale, which is SSVC's "steps 1-4 of the kill chain". A v4 vector
  that states the supplemental ``AU`` (Automatable) metric is taken at its word, since CVSS 4.0
  borrowed that metric from SSVC. Technical impact is ``total`` when confidentiality and integrity
  impacts are both high (v4 ``VC:H/VI:H``, v2 ``C:C/I:C``): reading and changing everything is
  SSVC's "total control of the software's behaviour or total disclosure"; anything less, or
  availability alone, is ``partial``. With no evidence at all the values are ``no`` and
  ``partial`` (source ``default``): SSVC's lower values, flagged so a person can correct them.
- **System Exposure, Mission Impact, Safety Impact, Value Density** come from the asset
  (:class:`AssetContext`), set by the product's owner: only they know whether it faces the
  internet or runs a plant.
- **Derived points** come from CERT/CC's own tables: Human Impact (safety x mission impact),
  Utility (automatable x value density) and Public Safety Impact (safety impact). For the CISA
  coordinator table, **Mission and Well-Being Impact** has no CSV and is derived here: mission
  prevalence from mission impact (degraded -> minimal, mef support crippled -> support, mef
  failure or mission failure -> essential), public well-being from safety impact (negligible ->
  minimal, marginal -> material, critical or catastrophic -> irreversible), then ``high`` if
  essential or irreversible, ``medium`` if support or material, else ``low`` (CISA's Mission and
  Well-Being table). For CISA BOD 26-04, **In KEV** is ``yes`` when KEV evidence exists, and
  **Publicly Exposed** is ``yes`` when the system exposure is ``open`` (reachable from the
  internet; ``controlled`` still needs a foothold first).
- **Overrides**: a person may replace any point's value with a reason; the override is shown
  with the automatic value it replaced. Overriding a derived point skips its sub-table, whose
  inputs then no longer matter.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Final

from cvss import CVSS2, CVSS3, CVSS4, CVSSError

from vulndesk.core.advisories.model import ExploitEvidence
from vulndesk.core.prioritization.ssvc import (
    POINT_NAMES,
    POINTS,
    TABLES,
    Decision,
    SsvcError,
    canonical_value,
)

__all__ = [
    "ASSESSED_TABLES",
    "SOURCES",
    "Assessment",
    "AssetContext",
    "Evidence",
    "Override",
    "PointValue",
    "assess",
    "automatable_of",
    "decision_points",
    "exploitation_of",
    "technical_impact_of",
]

#: every ``PointValue.source``
SOURCES: Final = (
    "kev",
    "euvd",
    "csaf",
    "reference",
    "person",
    "vulnrichment",
    "cvss",
    "asset",
    "derived",
    "default",
    "override",
)

#: the tables :func:`assess` evaluates (the coordinator tables need a report's facts, not ours)
ASSESSED_TABLES: Final = ("deployer", "supplier", "cisa_coordinator", "cisa_bod_26_04")

_PERSPECTIVES: Final = ("deployer", "supplier")

# outcomes that no table takes as input (priority, triage...) are results, not decision points:
# a person changes them by overriding the inputs, so the explanation stays true
_OUTCOME_POINTS: Final = frozenset(t.outcome for t in TABLES.values()) - frozenset(
    p for t in TABLES.values() for p in t.inputs
)

# derived point -> the points it is derived from (its table's inputs, or the rule's), in the
# order they are computed: a derived point never depends on a later one
_DERIVED: Final[Mapping[str, tuple[str, ...]]] = {
    "human_impact": TABLES["human_impact"].inputs,
    "utility": TABLES["utility"].inputs,
    "public_safety_impact": TABLES["public_safety_impact"].inputs,
    "mission_well_being": ("mission_impact", "safety_impact"),
    "publicly_exposed": ("system_exposure",),
}


# --- values --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssetContext:
    """What the product's owner says about where and how it runs (set in the inventory).

    Values are checked against :data:`~vulndesk.core.prioritization.ssvc.POINTS` and stored as
    spelled there; a wrong value raises SsvcError. ``perspective`` says which table sets the
    product's priority: ``deployer`` (it is run here) or ``supplier`` (it is made here).
    """

    system_exposure: str = "controlled"
    mission_impact: str = "mef support crippled"
    safety_impact: str = "negligible"
    value_density: str = "diffuse"
    perspective: str = "deployer"

    def __post_init__(self) -> None:
        for point in ("system_exposure", "mission_impact", "safety_impact", "value_density"):
            object.__setattr__(self, point, canonical_value(point, getattr(self, point)))
        if self.perspective not in _PERSPECTIVES:
            raise SsvcError(
                f"unknown perspective {self.perspective!r}: one of {', '.join(_PERSPECTIVES)}"
            )


@dataclass(frozen=True, slots=True)
class Evidence:
    """What is known about a vulnerability (its alias group) that SSVC's points are read from.

    ``cvss_vectors`` are (source, vector) pairs, the caller's preferred source first.
    ``vulnrichment`` holds CISA Vulnrichment's SSVC points from the CVE record's ADP container:
    ``exploitation`` (none | poc | active), ``automatable`` (yes | no), ``technical_impact``
    (partial | total); CISA's own option names ("Technical Impact") are accepted too. EPSS is
    shown as a hint and never sets a value.
    """

    exploitation: tuple[ExploitEvidence, ...] = ()
    cvss_vectors: tuple[tuple[str, str], ...] = ()
    vulnrichment: Mapping[str, str] = field(default_factory=dict)
    epss: float | None = None
    epss_percentile: float | None = None


@dataclass(frozen=True, slots=True)
class Override:
    """A person's value for one decision point, with why, who and when."""

    value: str
    reason: str
    author: str
    at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        """Return the override as a JSON object (``at`` in ISO 8601, or null)."""
        return {
            "value": self.value,
            "reason": self.reason,
            "author": self.author,
            "at": self.at.isoformat() if self.at is not None else None,
        }


@dataclass(frozen=True, slots=True)
class PointValue:
    """A decision point's value, the kind of source it came from and what exactly said so.

    ``source`` is one of :data:`SOURCES` (or, for exploitation, the kind of an ExploitEvidence
    this module does not know yet, taken as a statement of exploitation). An overridden point
    has source ``override``, the ``override`` itself, and the ``automatic`` value it replaced
    (None for a point vulndesk does not fill, such as the coordinator tables' inputs).
    """

    point: str
    value: str
    source: str
    detail: str
    override: Override | None = None
    automatic: PointValue | None = None

    def as_json(self) -> dict[str, Any]:
        """Return the value as a JSON object: point (key and name), value, source, detail."""
        return {
            "point": self.point,
            "name": POINT_NAMES.get(self.point, self.point),
            "value": self.value,
            "source": self.source,
            "detail": self.detail,
            "override": self.override.as_json() if self.override is not None else None,
            "automatic": self.automatic.as_json() if self.automatic is not None else None,
        }


@dataclass(frozen=True, slots=True)
class Assessment:
    """The outcome of one SSVC table for one finding, with everything that led to it.

    ``points`` are the inputs of every table used, each derived point followed by its own inputs
    (unless overridden); ``decisions`` are the derived tables' decisions first, the main table's
    last.
    """

    table: str
    outcome: str
    row: int
    points: tuple[PointValue, ...]
    decisions: tuple[Decision, ...]
    epss: float | None = None
    epss_percentile: float | None = None

    def as_json(self) -> dict[str, Any]:
        """Return the whole explanation as one JSON object."""
        main = TABLES[self.table]
        return {
            "table": self.table,
            "table_name": main.name,
            "outcome_point": main.outcome,
            "outcome": self.outcome,
            "row": self.row,
            "points": [p.as_json() for p in self.points],
            "decisions": [d.as_json() for d in self.decisions],
            "epss": (
                None
                if self.epss is None and self.epss_percentile is None
                else {"probability": self.epss, "percentile": self.epss_percentile}
            ),
        }


# --- exploitation -------------------------------------------------------------------------------

_NONE, _POC, _ACTIVE = 0, 1, 2
_LEVELS: Final = POINTS["exploitation"]  # none, public poc, active

# which statement to name when several say the same level: the most authoritative first
_STRENGTH: Final = {"kev": 0, "euvd": 1, "csaf": 2, "vulnrichment": 3, "person": 4, "reference": 5}

_CLAUSES: Final = re.compile(r"[;,\n]|\.(?:\s|$)|\b(?:but|however|although|whereas)\b")
_NEGATION: Final = re.compile(r"\b(?:no|not|none|never|nor|without|unproven|unknown)\b|n't\b")
_ATTACK: Final = re.compile(
    r"\bin[- ]the[- ]wild\b"
    r"|\bactive(?:ly)?\b.*\bexploit"
    r"|\bexploit\w*\s*(?:status)?\s*:?\s*(?:is\s+)?active\b"
    r"|\b(?:is|are|being|been|was|were)\s+(?:actively\s+)?exploited\b"
    r"|\bknown(?:\s+to\s+be)?\s+exploited\b"
    r"|\bexploited\s*:\s*yes\b"
    r"|\bexploitation\s+(?:has\s+been\s+|was\s+)?(?:detected|observed|reported|confirmed)\b"
    r"|\b(?:targeted|limited|ongoing|active)\s+attacks?\b"
)
_EXPLOIT: Final = re.compile(
    r"\bproof[- ]of[- ]concept\b"
    r"|\bpoc\b"
    r"|\bmetasploit\b"
    r"|\bexploit-?db\b"
    r"|\bexploit\s+code\b"
    r"|\b(?:public|functional|working|reliable|weaponi[sz]ed)\s+exploits?\b"
    r"|\bexploits?\b.*\b(?:available|public|published|exists?|released|integrated)\b"
    r"|\bpublicly\s+disclosed\s*:\s*yes\b"
)


def _csaf_level(text: str) -> tuple[int, str]:
    """Return (level, how it was read) for a CSAF exploit_status threat's ``details``."""
    levels: list[int] = []
    for clause in _CLAUSES.split(text.lower()):
        if not clause.strip():
            continue
        if _NEGATION.search(clause):
            levels.append(_NONE)
        elif _ATTACK.search(clause):
            levels.append(_ACTIVE)
        elif _EXPLOIT.search(clause):
            levels.append(_POC)
    if levels:
        return max(levels), "read as " + _LEVELS[max(levels)]
    return _POC, "not understood, counted as public poc"


def _day(when: datetime | None) -> str:
    return when.date().isoformat() if when is not None else ""


def _statement(item: ExploitEvidence) -> tuple[int, str, str] | None:
    """Return (level, source, detail) that one ExploitEvidence states, or None if nothing."""
    since = f" since {_day(item.date)}" if item.date is not None else ""
    extra = f": {item.detail}" if item.detail else ""
    if item.kind == "kev":
        who = "" if item.source == "CISA KEV" else f" (per {item.source})"
        due = f", due {_day(item.due_date)}" if item.due_date is not None else ""
        ransom = ", known ransomware use" if item.ransomware else ""
        name = f" ({item.detail})" if item.detail else ""
        return _ACTIVE, "kev", f"in CISA KEV{who}{name}{since}{due}{ransom}"
    if item.kind == "euvd":
        return _ACTIVE, "euvd", f"exploited according to {item.source or 'ENISA EUVD'}{since}"
    if item.kind == "person":
        return _ACTIVE, "person", f"exploited according to {item.source or 'a person'}{extra}"
    if item.kind == "ssvc":
        # the CVE 5 codec's kind for an ADP SSVC "Exploitation: active" (CISA Vulnrichment)
        return _ACTIVE, "vulnrichment", f"SSVC Exploitation active per {item.source}{since}"
    if item.kind == "reference":
        where = item.detail or item.source
        return _POC, "reference", f"exploit reference {where}"
    if item.kind == "csaf-threat":
        if not item.detail.strip():
            return None  # an empty status says nothing either way
        level, reading = _csaf_level(item.detail)
        return level, "csaf", f"CSAF exploit status from {item.source}: {item.detail!r} ({reading})"
    # ExploitEvidence is by definition a statement that the vulnerability is exploited; a kind
    # added after this module is taken at that word, under its own name
    return _ACTIVE, item.kind, f"exploited according to {item.source}{extra}"


# Vulnrichment's spellings -> ours (CISA writes "poc" for SSVC's "public poc")
_VULNRICHMENT: Final[Mapping[str, Mapping[str, str]]] = {
    "exploitation": {"none": "none", "poc": "public poc", "public poc": "public poc"}
    | {"active": "active"},
    "automatable": {"no": "no", "yes": "yes"},
    "technical_impact": {"partial": "partial", "total": "total"},
}


def _vulnrichment(evidence: Evidence, point: str) -> tuple[str | None, str]:
    """Return (value, raw) of one Vulnrichment point: value None when absent or unreadable."""
    for key, raw in evidence.vulnrichment.items():
        if "_".join(key.lower().split()) == point and isinstance(raw, str):
            return _VULNRICHMENT[point].get(" ".join(raw.lower().split())), raw
    return None, ""


def exploitation_of(evidence: Evidence) -> PointValue:
    """Return the Exploitation point the evidence supports, naming the strongest statement.

    See the module docstring for the rules; with no statement at all it is ``none`` (source
    ``default``). EPSS, when known, is added to the detail as a hint.
    """
    found: list[tuple[int, str, str]] = []
    for item in evidence.exploitation:
        stated = _statement(item)
        if stated is not None:
            found.append(stated)
    value, raw = _vulnrichment(evidence, "exploitation")
    if value is not None:
        found.append((_LEVELS.index(value), "vulnrichment", f"CISA Vulnrichment SSVC {raw!r}"))
    hint = _epss_hint(evidence)
    if not found:
        unread = f"; Vulnrichment value {raw!r} not understood" if raw else ""
        return PointValue(
            "exploitation",
            "none",
            "default",
            f"no evidence of exploitation (no KEV, EUVD, CSAF threat, exploit reference or "
            f"Vulnrichment statement){unread}{hint}",
        )
    chosen = min(found, key=lambda f: (-f[0], _STRENGTH.get(f[1], len(_STRENGTH))))
    level, source, detail = chosen
    found.remove(chosen)
    if found:
        counts = Counter(f"{f[1]} ({_LEVELS[f[0]]})" for f in found)
        detail += "; also " + ", ".join(
            f"{n} x {what}" if n > 1 else what for what, n in sorted(counts.items())
        )
    return PointValue("exploitation", _LEVELS[level], source, detail + hint)


def _epss_hint(evidence: Evidence) -> str:
    if evidence.epss is None and evidence.epss_percentile is None:
        return ""
    parts = []
    if evidence.epss is not None:
        parts.append(f"EPSS {evidence.epss:.4f}")
    if evidence.epss_percentile is not None:
        parts.append(f"percentile {evidence.epss_percentile:.4f}")
    return f"; {', '.join(parts)} (a hint, not evidence)"


# --- CVSS vectors -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Vector:
    source: str
    text: str
    version: str  # 2.0, 3.0, 3.1, 4.0
    metrics: Mapping[str, str]

    def shown(self) -> str:
        return f"{self.text} from {self.source}"


@lru_cache(maxsize=4096)
def _parse_vector(text: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """Return (version, base metrics) of a CVSS vector, or None when it is not a valid one.

    The ``cvss`` library validates (every mandatory metric once, known values); v2 vectors may
    come wrapped in parentheses (NVD's old feeds) or with a ``CVSS:2.0/`` prefix.
    """
    vector = text.strip()
    try:
        parsed: Any
        if vector.startswith("CVSS:4.0/"):
            version, parsed = "4.0", CVSS4(vector)
        elif vector.startswith(("CVSS:3.0/", "CVSS:3.1/")):
            version, parsed = vector[5:8], CVSS3(vector)
        else:
            version, parsed = "2.0", CVSS2(vector.removeprefix("CVSS:2.0/").strip("()"))
        metrics = dict(parsed.metrics)
    except (CVSSError, ValueError, KeyError, IndexError, TypeError, ArithmeticError):
        # the cvss library signals malformed vectors with CVSSError, a few edge cases otherwise
        return None
    return version, tuple(sorted(metrics.items()))


def _vectors(evidence: Evidence) -> tuple[list[_Vector], list[str]]:
    """Return (readable vectors, v3/v4 first then v2, each in given order; unreadable ones)."""
    current: list[_Vector] = []
    old: list[_Vector] = []
    unread: list[str] = []
    for source, text in evidence.cvss_vectors:
        parsed = _parse_vector(text)
        if parsed is None:
            unread.append(f"{text!r} from {source}")
            continue
        version, metrics = parsed
        vector = _Vector(source, text.strip(), version, dict(metrics))
        (old if version == "2.0" else current).append(vector)
    return current + old, unread


def _no_vector(point: str, value: str, unread: list[str]) -> PointValue:
    why = "no CVSS vector"
    if unread:
        why = f"no readable CVSS vector ({', '.join(unread)} could not be read)"
    return PointValue(point, value, "default", f"{why} and no Vulnrichment value")


def automatable_of(evidence: Evidence) -> PointValue:
    """Return the Automatable point: Vulnrichment's, else the CVSS proxy, else ``no``.

    The rules and why are in the module docstring.
    """
    value, raw = _vulnrichment(evidence, "automatable")
    if value is not None:
        return PointValue("automatable", value, "vulnrichment", f"CISA Vulnrichment SSVC {raw!r}")
    vectors, unread = _vectors(evidence)
    if not vectors:
        return _no_vector("automatable", "no", unread)
    vector = vectors[0]
    m = vector.metrics
    if vector.version == "4.0" and m.get("AU") in ("Y", "N"):
        answer = "yes" if m["AU"] == "Y" else "no"
        return PointValue(
            "automatable", answer, "cvss", f"{vector.shown()}: supplemental AU:{m['AU']}"
        )
    if vector.version == "2.0":
        wanted = {"AV": "N", "AC": "L", "Au": "N"}
    elif vector.version == "4.0":
        wanted = {"AV": "N", "AC": "L", "AT": "N", "PR": "N", "UI": "N"}
    else:
        wanted = {"AV": "N", "AC": "L", "PR": "N", "UI": "N"}
    needed = "/".join(f"{k}:{v}" for k, v in wanted.items())
    failing = [f"{k}:{m.get(k)}" for k, v in wanted.items() if m.get(k) != v]
    if failing:
        why = f"{vector.shown()}: {', '.join(failing)} (automatable needs {needed})"
        return PointValue("automatable", "no", "cvss", why)
    return PointValue("automatable", "yes", "cvss", f"{vector.shown()}: {needed}")


def technical_impact_of(evidence: Evidence) -> PointValue:
    """Return the Technical Impact point: Vulnrichment's, else the CVSS proxy, else ``partial``.

    The rules and why are in the module docstring.
    """
    value, raw = _vulnrichment(evidence, "technical_impact")
    if value is not None:
        return PointValue(
            "technical_impact", value, "vulnrichment", f"CISA Vulnrichment SSVC {raw!r}"
        )
    vectors, unread = _vectors(evidence)
    if not vectors:
        return _no_vector("technical_impact", "partial", unread)
    vector = vectors[0]
    m = vector.metrics
    if vector.version == "2.0":
        keys, high = ("C", "I"), "C"
    elif vector.version == "4.0":
        keys, high = ("VC", "VI"), "H"
    else:
        keys, high = ("C", "I"), "H"
    shown = "/".join(f"{k}:{m.get(k)}" for k in keys)
    total = all(m.get(k) == high for k in keys)
    return PointValue(
        "technical_impact", "total" if total else "partial", "cvss", f"{vector.shown()}: {shown}"
    )


# --- all points ---------------------------------------------------------------------------------

_PREVALENCE: Final = {
    "degraded": "minimal",
    "mef support crippled": "support",
    "mef failure": "essential",
    "mission failure": "essential",
}
_WELL_BEING: Final = {
    "negligible": "minimal",
    "marginal": "material",
    "critical": "irreversible",
    "catastrophic": "irreversible",
}


def _mission_well_being(mission_impact: str, safety_impact: str) -> PointValue:
    prevalence = _PREVALENCE[mission_impact]
    well_being = _WELL_BEING[safety_impact]
    if prevalence == "essential" or well_being == "irreversible":
        value = "high"
    elif prevalence == "support" or well_being == "material":
        value = "medium"
    else:
        value = "low"
    return PointValue(
        "mission_well_being",
        value,
        "derived",
        f"mission prevalence {prevalence} (mission impact {mission_impact}), public well-being "
        f"{well_being} (safety impact {safety_impact})",
    )


def _from_kev(evidence: Evidence) -> PointValue:
    for item in evidence.exploitation:
        if item.kind == "kev":
            stated = _statement(item)
            assert stated is not None  # kev always states something
            return PointValue("in_kev", "yes", "kev", stated[2])
    return PointValue("in_kev", "no", "default", "no KEV entry among the evidence")


def _derive(point: str, values: Mapping[str, str]) -> tuple[PointValue, Decision | None]:
    """Return a derived point's value from its inputs' values, and its table's decision."""
    if point == "mission_well_being":
        return _mission_well_being(values["mission_impact"], values["safety_impact"]), None
    if point == "publicly_exposed":
        exposure = values["system_exposure"]
        exposed = "yes" if exposure == "open" else "no"
        return PointValue(point, exposed, "derived", f"system exposure {exposure}"), None
    decision = TABLES[point].evaluate(values)
    shown = ", ".join(f"{p.replace('_', ' ')} {v}" for p, v in decision.inputs)
    detail = f"{TABLES[point].name} row {decision.row}: {shown}"
    return PointValue(point, decision.outcome, "derived", detail), decision


def _asset_point(asset: AssetContext, point: str) -> PointValue:
    value = getattr(asset, point)
    return PointValue(point, value, "asset", f"{point.replace('_', ' ')} set on the product")


def _overridden(point: str, override: Override, automatic: PointValue | None) -> PointValue:
    if not override.reason.strip():
        raise SsvcError(f"override of {point!r} needs a reason")
    if not override.author.strip():
        raise SsvcError(f"override of {point!r} needs an author")
    value = canonical_value(point, override.value)
    when = f" on {_day(override.at)}" if override.at is not None else ""
    return PointValue(
        point,
        value,
        "override",
        f"set by {override.author}{when}: {override.reason}",
        override=override,
        automatic=automatic,
    )


@dataclass(frozen=True, slots=True)
class _Resolved:
    points: dict[str, PointValue]
    decisions: dict[str, Decision]  # derived point -> its sub-table's decision, if it ran


def _resolve(
    evidence: Evidence, asset: AssetContext, overrides: Mapping[str, Override] | None
) -> _Resolved:
    overrides = overrides or {}
    for point in overrides:
        if point not in POINTS or point in _OUTCOME_POINTS:
            settable = sorted(p for p in POINTS if p not in _OUTCOME_POINTS)
            raise SsvcError(
                f"cannot override {point!r}: not a decision point (one of {', '.join(settable)})"
            )
    automatic: dict[str, PointValue] = {
        "exploitation": exploitation_of(evidence),
        "system_exposure": _asset_point(asset, "system_exposure"),
        "automatable": automatable_of(evidence),
        "technical_impact": technical_impact_of(evidence),
        "safety_impact": _asset_point(asset, "safety_impact"),
        "mission_impact": _asset_point(asset, "mission_impact"),
        "value_density": _asset_point(asset, "value_density"),
        "in_kev": _from_kev(evidence),
    }
    points: dict[str, PointValue] = {}
    for point, value in automatic.items():
        override = overrides.get(point)
        points[point] = value if override is None else _overridden(point, override, value)
    decisions: dict[str, Decision] = {}
    for point, inputs in _DERIVED.items():
        derived, decision = _derive(point, {p: points[p].value for p in inputs})
        override = overrides.get(point)
        if override is not None:
            points[point] = _overridden(point, override, derived)
            continue  # its sub-table did not decide anything
        points[point] = derived
        if decision is not None:
            decisions[point] = decision
    for point, override in overrides.items():
        if point not in points:  # e.g. a coordinator's input: recorded, nothing to replace
            points[point] = _overridden(point, override, None)
    return _Resolved(points, decisions)


def decision_points(
    evidence: Evidence, asset: AssetContext, overrides: Mapping[str, Override] | None = None
) -> dict[str, PointValue]:
    """Return every decision point vulndesk fills (point key -> value with provenance).

    That is the points read from evidence and the asset, the derived ones (human impact,
    utility, public safety impact, mission and well-being impact) computed from them after any
    override, and any other overridden point. Raise SsvcError for an override of an unknown or
    outcome point, with a value that point does not have, or without a reason or author.
    """
    return _resolve(evidence, asset, overrides).points


def _explained(point: str, resolved: _Resolved, into: dict[str, PointValue]) -> None:
    """Add ``point`` to ``into``, then (unless overridden) the points it was derived from."""
    value = resolved.points[point]
    into.setdefault(point, value)
    if point in _DERIVED and value.source != "override":
        for source in _DERIVED[point]:
            _explained(source, resolved, into)


def assess(
    evidence: Evidence,
    asset: AssetContext,
    *,
    table: str | None = None,
    overrides: Mapping[str, Override] | None = None,
) -> Assessment:
    """Return the Assessment of ``table`` (default: the asset's perspective) for one finding.

    ``table`` is one of :data:`ASSESSED_TABLES`. Raise SsvcError for another table or a bad
    override (see :func:`decision_points`).
    """
    key = table if table is not None else asset.perspective
    if key not in ASSESSED_TABLES:
        raise SsvcError(f"cannot assess table {key!r}: one of {', '.join(ASSESSED_TABLES)}")
    resolved = _resolve(evidence, asset, overrides)
    main = TABLES[key]
    shown: dict[str, PointValue] = {}
    for point in main.inputs:
        _explained(point, resolved, shown)
    decision = main.evaluate({p: v.value for p, v in resolved.points.items()})
    derived = _derived_decisions(main.inputs, resolved)
    return Assessment(
        table=key,
        outcome=decision.outcome,
        row=decision.row,
        points=tuple(shown.values()),
        decisions=(*derived, decision),
        epss=evidence.epss,
        epss_percentile=evidence.epss_percentile,
    )


def _derived_decisions(inputs: Iterable[str], resolved: _Resolved) -> list[Decision]:
    return [resolved.decisions[p] for p in inputs if p in resolved.decisions]

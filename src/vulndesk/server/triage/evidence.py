"""What is known about alias groups and products, read for SSVC (``core.prioritization``).

A finding's vulnerability is its alias group (``Finding.vulnerability_id`` is the group's key,
``Advisory.group_key`` of every record of the group). :func:`group_evidence` gathers, per group:

- **Exploitation**: CISA KEV entries of the group's CVE ids (``KevEntry``: date added, due date,
  known ransomware use), the exploitation statements the records carry (NVD's ``cisaExploitAdd``,
  CVE 5 ADP KEV and SSVC entries, CSAF exploit-status threats, EUVD's exploited flag), and
  exploit references: a reference of type ``EVIDENCE`` or ``EXPLOIT`` (CVE 5 and NVD ``exploit``
  tags become ``EVIDENCE``, ``core.advisories.cve5.reference_type``) or a link to Exploit-DB.
- **CVSS vectors** of every record, record-level and per affected package, each with its rater
  (``Severity.source``: NVD Primary, the CNA, an ADP; an OSV record rates itself and is named by
  its id), highest base score first: the first is the rating the finding displays (the worst
  case, ``core.scoring.cvss.highest_rating``), so Automatable and Technical Impact are read from
  the vector the user sees, and the others stay listed.
- **CISA Vulnrichment**'s SSVC points from CVE 5 records (``database_specific["ssvc"]``).
- **EPSS** (with ``with_epss``): the highest score among the group's CVEs, with its percentile.

Records are read as the few JSON fields this needs (``severity``, ``affected[].severity``,
``references``, ``exploitation``, ``database_specific.ssvc``), from the original text for OSV
(whose ``match`` subset drops references) and from the stored form for the other formats
(``core.advisories.stored``, whose keys are the model's fields). Both were validated at import;
decoding whole records (ranges, CPE configurations) for a few fields would cost most of a refresh.
Withdrawn and rejected records say nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlsplit

import orjson
from django.db.models import Case, F, Q, TextField, When

from vulndesk.core.advisories.model import ExploitEvidence, Severity
from vulndesk.core.prioritization import AssetContext, Evidence
from vulndesk.core.scoring.cvss import rate_severity
from vulndesk.server.advisories.models import Advisory, EpssScore, KevEntry
from vulndesk.server.inventory.models import Product

__all__ = ["GroupFacts", "asset_context", "group_evidence", "group_facts"]

_IN = 900  # values per SQL IN list (SQLite's default limit is far above; PostgreSQL has none)
_EXPLOIT_TYPES = frozenset({"EVIDENCE", "EXPLOIT"})
_EXPLOIT_HOSTS = frozenset({"exploit-db.com", "www.exploit-db.com"})


@dataclass(slots=True)
class GroupFacts:
    """What the stores say about one alias group: its CVE ids, the records read, and the
    evidence SSVC reads (:class:`~vulndesk.core.prioritization.Evidence`), plus the KEV entries
    and EPSS scores behind it, for the explanation."""

    key: str
    cves: set[str] = field(default_factory=set)
    records: list[str] = field(default_factory=list)
    exploitation: list[ExploitEvidence] = field(default_factory=list)
    # (score for ordering, rater, vector)
    vectors: list[tuple[float, str, str]] = field(default_factory=list)
    vulnrichment: dict[str, str] = field(default_factory=dict)
    vulnrichment_source: str = ""
    kev: list[KevEntry] = field(default_factory=list)
    epss: list[EpssScore] = field(default_factory=list)

    def evidence(self) -> Evidence:
        """Return the core Evidence of the group (EPSS: the highest score, if read)."""
        vectors = sorted(self.vectors, key=lambda v: (-v[0], v[1], v[2]))
        best = max(self.epss, key=lambda s: (s.epss, s.cve_id), default=None)
        return Evidence(
            exploitation=tuple(self.exploitation),
            cvss_vectors=tuple(dict.fromkeys((rater, vector) for _, rater, vector in vectors)),
            vulnrichment=dict(self.vulnrichment),
            epss=best.epss if best is not None else None,
            epss_percentile=best.percentile if best is not None else None,
        )


def group_evidence(keys: Iterable[str], *, with_epss: bool = False) -> dict[str, Evidence]:
    """Return the Evidence of each alias group in ``keys`` (a group nothing is stored about
    gets an empty one)."""
    return {key: facts.evidence() for key, facts in group_facts(keys, with_epss=with_epss).items()}


def group_facts(keys: Iterable[str], *, with_epss: bool = False) -> dict[str, GroupFacts]:
    """Return what is stored about each alias group in ``keys`` (see the module docstring)."""
    facts = {key: GroupFacts(key) for key in sorted(set(keys))}
    for key, group in facts.items():
        if key.startswith("CVE-"):
            group.cves.add(key)
    text = Case(When(format="osv", then=F("raw")), default=F("match"), output_field=TextField())
    read: set[str] = set()  # a record found by its id in one chunk and its group in another
    for chunk in itertools.batched(facts, _IN):
        rows = (
            Advisory.objects.filter(Q(group_key__in=chunk) | Q(record_id__in=chunk))
            .filter(withdrawn__isnull=True, rejected=False)
            .values_list("id", "record_id", "group_key", "aliases", "format", text)
        )
        for storage_key, record_id, group_key, aliases, format, body in rows.iterator(500):
            if storage_key in read:
                continue
            read.add(storage_key)
            key = group_key if group_key in facts else record_id
            _read_record(facts[key], storage_key, record_id, aliases, format, body)
    by_cve: dict[str, list[GroupFacts]] = {}
    for group in facts.values():
        for cve in group.cves:
            by_cve.setdefault(cve, []).append(group)
    for chunk in itertools.batched(sorted(by_cve), _IN):
        for entry in KevEntry.objects.filter(cve_id__in=chunk).order_by("cve_id"):
            for group in by_cve[entry.cve_id]:
                group.kev.append(entry)
                group.exploitation.insert(0, _kev_evidence(entry))
        if with_epss:
            for score in EpssScore.objects.filter(cve_id__in=chunk).order_by("cve_id"):
                for group in by_cve[score.cve_id]:
                    group.epss.append(score)
    return facts


def _kev_evidence(entry: KevEntry) -> ExploitEvidence:
    return ExploitEvidence(
        kind="kev",
        source="CISA KEV",
        date=_midnight(entry.date_added),
        detail=entry.name or entry.cve_id,
        due_date=_midnight(entry.due_date),
        ransomware=entry.ransomware_known,
    )


def _midnight(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), tzinfo=UTC) if day is not None else None


def _read_record(
    group: GroupFacts,
    storage_key: str,
    record_id: str,
    aliases: list[str],
    format: str,
    body: str,
) -> None:
    """Add what one stored record says to ``group``."""
    shown = record_id or storage_key
    group.records.append(storage_key)
    for name in (record_id, *aliases):
        if name.startswith("CVE-"):
            group.cves.add(name)
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError:
        return  # text the importer accepted; a codec change may break an old row, not a refresh
    if not isinstance(obj, dict):
        return
    record_label = shown if format == "osv" else f"{shown} ({format})"
    levels = [obj, *(a for a in obj.get("affected") or () if isinstance(a, dict))]
    for level in levels:
        for item in level.get("severity") or ():
            _read_severity(group, item, record_label)
    seen_urls: set[str] = set()
    for item in obj.get("references") or ():
        if not isinstance(item, dict):
            continue
        url = item.get("url")
        if not isinstance(url, str) or url in seen_urls:
            continue
        if item.get("type") in _EXPLOIT_TYPES or urlsplit(url).hostname in _EXPLOIT_HOSTS:
            seen_urls.add(url)
            group.exploitation.append(
                ExploitEvidence(kind="reference", source=record_label, detail=url)
            )
    for item in obj.get("exploitation") or ():
        evidence = _stored_exploitation(item)
        if evidence is not None:
            group.exploitation.append(evidence)
    specific = obj.get("database_specific")
    if isinstance(specific, dict):
        _read_vulnrichment(group, specific.get("ssvc"), record_id)


def _read_severity(group: GroupFacts, item: object, record_label: str) -> None:
    if not isinstance(item, dict):
        return
    kind, score, rater = item.get("type"), item.get("score"), item.get("source")
    if not isinstance(kind, str) or not isinstance(score, str):
        return
    rating = rate_severity(Severity(kind, score), source=record_label)
    if rating is None or rating.vector is None or rating.score is None:
        return  # a word or a bare number is no vector to read points from
    who = f"{rater} in {record_label}" if isinstance(rater, str) and rater else record_label
    group.vectors.append((rating.score, who, rating.vector))


def _stored_exploitation(item: object) -> ExploitEvidence | None:
    if not isinstance(item, dict) or not isinstance(item.get("kind"), str):
        return None
    return ExploitEvidence(
        kind=item["kind"],
        source=str(item.get("source") or ""),
        date=_timestamp(item.get("date")),
        detail=str(item.get("detail") or ""),
        due_date=_timestamp(item.get("due_date")),
        ransomware=item.get("ransomware") if isinstance(item.get("ransomware"), bool) else None,
    )


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _read_vulnrichment(group: GroupFacts, entries: object, record_id: str) -> None:
    """Take CISA's SSVC points (its ADP container: Vulnrichment) from a CVE 5 record's list,
    the latest assessment first; the group key's own CVE wins over another CVE of the group."""
    if not isinstance(entries, list):
        return
    cisa = [
        e
        for e in entries
        if isinstance(e, dict)
        and "cisa" in str(e.get("source") or "").lower()
        and isinstance(e.get("options"), dict)
    ]
    if not cisa:
        return
    latest = max(cisa, key=lambda e: str(e.get("timestamp") or ""))
    if group.vulnrichment and record_id != group.key:
        return
    group.vulnrichment = {k: v for k, v in latest["options"].items() if isinstance(v, str)}
    group.vulnrichment_source = f"{latest.get('source')} in the CVE record {record_id}"


# --- the asset ------------------------------------------------------------------------------------

#: the Product columns that make its SSVC context
CONTEXT_FIELDS = (
    "exposure", "mission_impact", "safety_impact", "value_density", "perspective",
)  # fmt: skip


def asset_context(product: Product | Mapping[str, Any]) -> AssetContext:
    """Return the SSVC asset context of a product (or of a row of its CONTEXT_FIELDS).

    The database spells mission impacts with underscores (``mef_support_crippled``); SSVC
    with spaces.
    """
    values = (
        {f: product[f] for f in CONTEXT_FIELDS}
        if isinstance(product, Mapping)
        else {f: getattr(product, f) for f in CONTEXT_FIELDS}
    )
    return AssetContext(
        system_exposure=values["exposure"],
        mission_impact=values["mission_impact"].replace("_", " "),
        safety_impact=values["safety_impact"],
        value_density=values["value_density"],
        perspective=values["perspective"],
    )

"""The contents of CRA and NIS2 reports: what each report says, what it still lacks, and its JSON.

A report is a structured draft, pre-filled from the finding, product, SBOM and case, edited by a
person, then exported (JSON here, PDF in ``pdf``) for submission. The fields follow the facts in
reference/disclosure.md:

- CRA (Regulation (EU) 2024/2847) Article 14: an early warning (the product, whether the
  vulnerability is actively exploited, and where known the member states where the product is
  made available), a notification (+ the nature of the vulnerability or incident, its severity,
  the corrective or mitigating measures taken and those users can take, how sensitive the
  information is) and a final report (+ the root cause and the security update's details).
- NIS2 (Directive (EU) 2022/2555) Article 23: an early warning (whether the significant incident
  is suspected of being caused by unlawful or malicious acts, a possible cross-border impact), an
  incident notification (+ an initial assessment: severity and impact on confidentiality,
  integrity and availability) and a final report (+ the type of threat, the root cause, the
  mitigation measures applied and ongoing).

Every field has an empty default so that a draft can be built piece by piece; ``missing_fields``
lists what a kind of report still needs. ENISA's Single Reporting Platform publishes no schema in
our references, so ``report_json`` is our own format (``vulndesk-cra-report/1``,
``vulndesk-nis2-report/1``): a faithful structured rendering of the Article 14 / Article 23
contents, not an ENISA format.
"""

from __future__ import annotations

import enum
import functools
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, assert_never

from vulndesk.core.errors import InputError
from vulndesk.core.jsontypes import json_type
from vulndesk.core.regulation.clocks import Regime, ReportKind

__all__ = [
    "CRA_SCHEMA",
    "EU_MEMBER_STATES",
    "NIS2_SCHEMA",
    "CiaImpact",
    "CraReportContent",
    "EntityType",
    "Exploitation",
    "Impact",
    "Manufacturer",
    "Measures",
    "Nis2Entity",
    "Nis2ReportContent",
    "ProductDetails",
    "ReportContent",
    "Severity",
    "Tlp",
    "VulnerabilityNature",
    "iso_utc",
    "missing_fields",
    "report_from_json",
    "report_json",
    "required_fields",
]

CRA_SCHEMA: Final = "vulndesk-cra-report/1"
NIS2_SCHEMA: Final = "vulndesk-nis2-report/1"

# The EU's own two-letter codes (Interinstitutional Style Guide): Greece is EL, not ISO's GR.
EU_MEMBER_STATES: Final = frozenset(
    (
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    )
)


class Tlp(StrEnum):
    """Traffic Light Protocol 2.0 label: how far the recipients may share the report."""

    CLEAR = "TLP:CLEAR"
    GREEN = "TLP:GREEN"
    AMBER = "TLP:AMBER"
    AMBER_STRICT = "TLP:AMBER+STRICT"
    RED = "TLP:RED"


class Impact(StrEnum):
    """Impact of an incident on one of confidentiality, integrity or availability."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class EntityType(StrEnum):
    """NIS2 Article 3: essential or important entity."""

    ESSENTIAL = "essential"
    IMPORTANT = "important"


# --- CRA -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Manufacturer:
    """Who reports: the manufacturer, and its authorised representative in the EU if any."""

    name: str = ""
    address: str = ""
    contact: str = ""  # e-mail, telephone or web form of the product security contact
    eu_representative: str = ""  # optional (Article 18)


@dataclass(frozen=True, slots=True)
class ProductDetails:
    """The product with digital elements the report is about."""

    name: str = ""
    type: str = ""  # e.g. "router firmware", "desktop application"
    versions_affected: tuple[str, ...] = ()
    purls: tuple[str, ...] = ()
    cpes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VulnerabilityNature:
    """The general nature of the vulnerability (or of the incident)."""

    cwe_ids: tuple[str, ...] = ()  # "CWE-79"
    description: str = ""


@dataclass(frozen=True, slots=True)
class Severity:
    """The severity as a CVSS vector and its base score (0.0-10.0)."""

    cvss_vector: str = ""
    cvss_score: float | None = None


@dataclass(frozen=True, slots=True)
class Exploitation:
    """The reliable evidence that a malicious actor exploited the vulnerability, and what is known
    about the exploit and the actor (both optional: "where available")."""

    evidence: str = ""
    source: str = ""  # where the evidence came from (own telemetry, CSIRT, customer, ...)
    since: datetime | None = None  # first known exploitation
    exploit_nature: str = ""
    malicious_actor: str = ""


@dataclass(frozen=True, slots=True)
class Measures:
    """Corrective or mitigating measures: available, taken by the manufacturer, and those users
    can take."""

    available: str = ""
    taken: str = ""
    for_users: str = ""


@dataclass(frozen=True, slots=True)
class CraReportContent:
    """One CRA Article 14 report: an early warning, a notification or a final report about an
    actively exploited vulnerability (``Regime.CRA_VULNERABILITY``) or a severe incident
    (``Regime.CRA_INCIDENT``).

    ``member_states`` are EU codes (``EU_MEMBER_STATES``); when they are not known, say so with
    ``member_states_unknown`` so that the early warning is complete without them. ``sensitive``
    is the manufacturer's view that the information is sensitive; ``tlp`` how it may be shared.
    Times are timezone-aware; ``due_at`` comes from ``clocks.deadlines``.
    """

    regime: Regime
    kind: ReportKind
    manufacturer: Manufacturer = Manufacturer()
    product: ProductDetails = ProductDetails()
    vulnerability_ids: tuple[str, ...] = ()  # CVE and EUVD ids
    nature: VulnerabilityNature = VulnerabilityNature()
    severity: Severity = Severity()
    exploitation: Exploitation = Exploitation()
    measures: Measures = Measures()
    member_states: tuple[str, ...] = ()
    member_states_unknown: bool = False
    sensitive: bool = False
    tlp: Tlp | None = None
    root_cause: str = ""  # final report
    security_update: str = ""  # final report: the update or other corrective measure
    aware_at: datetime | None = None
    due_at: datetime | None = None
    submitted_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.regime not in (Regime.CRA_VULNERABILITY, Regime.CRA_INCIDENT):
            raise ValueError(f"a CRA report cannot be about {self.regime!r}")


# --- NIS2 ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Nis2Entity:
    """The essential or important entity that reports."""

    name: str = ""
    type: EntityType | None = None
    sector: str = ""  # NIS2 Annex I or II sector, e.g. "energy", "digital infrastructure"


@dataclass(frozen=True, slots=True)
class CiaImpact:
    """Impact on the service's confidentiality, integrity and availability (None: not yet
    assessed)."""

    confidentiality: Impact | None = None
    integrity: Impact | None = None
    availability: Impact | None = None


@dataclass(frozen=True, slots=True)
class Nis2ReportContent:
    """One NIS2 Article 23 report about a significant incident. ``significant`` is the entity's
    risk judgement (None: not yet made), argued in ``risk_assessment``; ``exploitation`` says
    whether unlawful or malicious acts are suspected and how."""

    kind: ReportKind
    entity: Nis2Entity = Nis2Entity()
    incident_description: str = ""
    detected_at: datetime | None = None
    impact: CiaImpact = CiaImpact()
    exploitation: str = ""
    cross_border_impact: str = ""
    societal_impact: str = ""
    significant: bool | None = None
    risk_assessment: str = ""
    measures: str = ""  # mitigation measures applied and ongoing
    root_cause: str = ""  # final report
    threat_type: str = ""  # final report
    tlp: Tlp | None = None
    aware_at: datetime | None = None
    due_at: datetime | None = None
    submitted_at: datetime | None = None

    @property
    def regime(self) -> Regime:
        """Always ``Regime.NIS2_INCIDENT`` (so both contents can be handled alike)."""
        return Regime.NIS2_INCIDENT


type ReportContent = CraReportContent | Nis2ReportContent

# --- what each kind needs --------------------------------------------------------------------

# Paths, in JSON order, that must not be empty before a report of that kind is submitted. Each
# kind adds to the one before (Article 14(2), 14(4) and 23(4) list what each report contains).
_CRA_EARLY: Final = ("manufacturer.name", "product.name", "exploitation.evidence", "aware_at")
_CRA_NOTIFICATION: Final = (
    "product.versions_affected",
    "nature.description",
    "measures.taken",
    "measures.for_users",
)
_CRA_VULNERABILITY_NOTIFICATION: Final = ("severity.cvss_vector",)
_CRA_FINAL: Final = ("root_cause",)
_CRA_VULNERABILITY_FINAL: Final = ("security_update",)

_NIS2_EARLY: Final = (
    "entity.name",
    "entity.type",
    "entity.sector",
    "incident_description",
    "detected_at",
    "exploitation",
    "cross_border_impact",
    "significant",
    "aware_at",
)
_NIS2_NOTIFICATION: Final = (
    "impact.confidentiality",
    "impact.integrity",
    "impact.availability",
    "risk_assessment",
)
_NIS2_FINAL: Final = ("measures", "root_cause", "threat_type")


def required_fields(content: ReportContent) -> list[str]:
    """Return the JSON paths of the fields ``content``'s regime and kind of report requires, in
    the order ``report_json`` writes them (for a form to mark them; ``missing_fields`` says which
    are still empty)."""
    kind = content.kind
    later = kind in (ReportKind.NOTIFICATION, ReportKind.FINAL)
    final = kind == ReportKind.FINAL
    paths: list[str] = []
    if isinstance(content, CraReportContent):
        vulnerability = content.regime == Regime.CRA_VULNERABILITY
        paths += _CRA_EARLY
        if later:
            paths += _CRA_NOTIFICATION
            paths += _CRA_VULNERABILITY_NOTIFICATION if vulnerability else ()
        if final:
            paths += _CRA_FINAL
            paths += _CRA_VULNERABILITY_FINAL if vulnerability else ()
        if not content.member_states_unknown:
            paths.append("member_states")
    else:
        paths += _NIS2_EARLY
        paths += _NIS2_NOTIFICATION if later else ()
        paths += _NIS2_FINAL if final else ()
    cls: type = type(content)
    order = {path: index for index, path in enumerate(_all_paths(cls))}
    return sorted(paths, key=order.__getitem__)


def missing_fields(content: ReportContent) -> list[str]:
    """Return the JSON paths of the fields ``content``'s kind of report requires that are still
    empty (blank text, no items, no time), in the order ``report_json`` writes them; an empty
    list means the report can be submitted.

    A CRA report needs ``member_states`` unless ``member_states_unknown`` says they are not
    known ("where available"). A NIS2 final report needs both the threat type and the root cause.
    """
    return [path for path in required_fields(content) if _is_empty(_value_at(content, path))]


def _value_at(content: object, path: str) -> object:
    value = content
    for name in path.split("."):
        value = getattr(value, name)
    return value


def _is_empty(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, tuple):
        return all(_is_empty(item) for item in value)
    return value is None


@functools.cache
def _all_paths(cls: type) -> tuple[str, ...]:
    paths: list[str] = []
    for name, hint in _hints(cls).items():
        if isinstance(hint, type) and is_dataclass(hint):
            paths += (f"{name}.{inner}" for inner in _all_paths(hint))
        else:
            paths.append(name)
    return tuple(paths)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """The dataclass fields of ``cls`` and their (evaluated) types, in declaration order."""
    hints = typing.get_type_hints(cls)
    return {field.name: hints[field.name] for field in fields(cls)}


# --- JSON ----------------------------------------------------------------------------------


def iso_utc(moment: datetime) -> str:
    """Return ``moment`` as ISO 8601 in UTC with a ``Z`` (microseconds only when not zero);
    raise ValueError for a naive datetime, whose instant is unknown."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} is naive: give it a timezone")
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds") + "Z"


def report_json(content: ReportContent) -> dict[str, object]:
    """Return ``content`` as a JSON-ready dict: ``schema`` first (``vulndesk-cra-report/1`` or
    ``vulndesk-nis2-report/1``), then every field in declaration order (empty ones too, so the
    shape never changes), times as ISO 8601 UTC, enums by value, tuples as lists.

    This is our own format: a faithful structured rendering of the CRA Article 14 (NIS2 Article
    23) contents, not an ENISA format; ENISA's Single Reporting Platform publishes no schema in
    our references. Raises InputError naming the path of a naive datetime.
    """
    encoded = _encode(content, "")
    assert isinstance(encoded, dict)
    if isinstance(content, CraReportContent):
        return {"schema": CRA_SCHEMA, **encoded}
    return {"schema": NIS2_SCHEMA, "regime": content.regime.value, **encoded}


def _encode(value: object, path: str) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        try:
            return iso_utc(value)
        except ValueError as e:
            raise InputError(str(e), location=path) from e
    if isinstance(value, tuple):
        return [_encode(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _encode(getattr(value, field.name), _join(path, field.name))
            for field in fields(value)
        }
    return value  # str, bool, float, None


def report_from_json(data: object, *, source: str | None = None) -> ReportContent:
    """Return the report content a ``report_json`` dict describes (``source``, e.g. a file name,
    goes into errors). Absent fields take their empty defaults; ``schema``, ``regime`` and
    ``kind`` are required. Raises InputError naming the JSON path of an unknown
    field, a value of the wrong type, a time without a timezone, an unknown member state or a
    CVSS score outside 0-10."""
    if not isinstance(data, Mapping):
        raise InputError(f"a report must be a JSON object, not {json_type(data)}", source=source)
    schema = data.get("schema")
    cls: type[CraReportContent | Nis2ReportContent]
    if schema == CRA_SCHEMA:
        cls = CraReportContent
    elif schema == NIS2_SCHEMA:
        cls = Nis2ReportContent
    else:
        raise InputError(
            f"unknown report schema {schema!r}: expected {CRA_SCHEMA!r} or {NIS2_SCHEMA!r}",
            source=source,
            location="schema",
        )
    body = {key: value for key, value in data.items() if key != "schema"}
    for key in ("regime", "kind"):
        if key not in body:
            raise InputError("required field is absent", source=source, location=key)
    regimes = (
        (Regime.CRA_VULNERABILITY.value, Regime.CRA_INCIDENT.value)
        if cls is CraReportContent
        else (Regime.NIS2_INCIDENT.value,)
    )
    if body["regime"] not in regimes:
        raise InputError(
            f"{body['regime']!r} is not a regime of {schema}: expected one of {regimes}",
            source=source,
            location="regime",
        )
    if cls is Nis2ReportContent:
        del body["regime"]  # not a field: a NIS2 report is always about a NIS2 incident
    try:
        content = _decode_object(cls, body, "")
        assert isinstance(content, CraReportContent | Nis2ReportContent)
        _check(content)
    except _DecodeError as e:
        raise InputError(e.message, source=source, location=e.path) from e.__cause__
    return content


class _DecodeError(Exception):
    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _decode_object(cls: type, data: object, path: str) -> object:
    if not isinstance(data, Mapping):
        raise _DecodeError(f"expected an object, got {json_type(data)}", path)
    hints = _hints(cls)
    for key in data:
        if key not in hints:
            raise _DecodeError("unknown field", _join(path, str(key)))
    values = {
        name: _decode(hint, data[name], _join(path, name))
        for name, hint in hints.items()
        if name in data
    }
    return cls(**values)


def _decode(hint: Any, value: object, path: str) -> object:
    if typing.get_origin(hint) is types.UnionType:
        if value is None:
            return None
        (hint,) = (arg for arg in typing.get_args(hint) if arg is not type(None))
    if typing.get_origin(hint) is tuple:
        (item_hint, _ellipsis) = typing.get_args(hint)
        if not isinstance(value, list):
            raise _DecodeError(f"expected an array, got {json_type(value)}", path)
        return tuple(_decode(item_hint, item, f"{path}[{i}]") for i, item in enumerate(value))
    if hint is str:
        if not isinstance(value, str):
            raise _DecodeError(f"expected a string, got {json_type(value)}", path)
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise _DecodeError(f"expected true or false, got {json_type(value)}", path)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _DecodeError(f"expected a number, got {json_type(value)}", path)
        return float(value)
    if hint is datetime:
        return _decode_datetime(value, path)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except (ValueError, TypeError) as e:
            allowed = ", ".join(repr(member.value) for member in hint)
            raise _DecodeError(f"{value!r} is not one of {allowed}", path) from e
    if isinstance(hint, type) and is_dataclass(hint):
        return _decode_object(hint, value, path)
    raise AssertionError(f"no JSON decoder for {hint!r} at {path}")


def _decode_datetime(value: object, path: str) -> datetime:
    if not isinstance(value, str):
        raise _DecodeError(f"expected an ISO 8601 time, got {json_type(value)}", path)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as e:
        raise _DecodeError(f"{value!r} is not an ISO 8601 time", path) from e
    if moment.tzinfo is None:
        raise _DecodeError(f"{value!r} has no timezone (write Z for UTC)", path)
    return moment.astimezone(UTC)


def _check(content: ReportContent) -> None:
    """Check the values whose type alone does not make them valid."""
    match content:
        case CraReportContent():
            for index, code in enumerate(content.member_states):
                if code not in EU_MEMBER_STATES:
                    hint = " (Greece is EL)" if code == "GR" else ""
                    raise _DecodeError(
                        f"{code!r} is not an EU member state code{hint}",
                        f"member_states[{index}]",
                    )
            score = content.severity.cvss_score
            if score is not None and not (math.isfinite(score) and 0.0 <= score <= 10.0):
                raise _DecodeError(f"CVSS score {score} is outside 0-10", "severity.cvss_score")
        case Nis2ReportContent():
            pass
        case _:
            assert_never(content)

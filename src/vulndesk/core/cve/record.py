"""What a CNA publishes about a vulnerability, as frozen dataclasses, and CVE JSON 5.1 both ways.

:class:`CnaRecord` holds what the CNA states (the ``containers.cna`` of a CVE record): id, title,
descriptions (English first, other languages as well), affected products and versions, problem
types (CWE), CVSS metrics, references, credits, the public date and how it was discovered.
The builder writes it out:

- :func:`cna_container` as the CNA container, which is also what CVE Services takes as
  ``cnaContainer`` when publishing;
- :func:`cve_record` as a full CVE JSON 5.1 record (``dataType: CVE_RECORD``, ``cveMetadata``
  with state PUBLISHED), and :func:`rejected_cve_record` for a REJECTED one.

:mod:`vulndesk.core.cve.reader` turns a published record back into these dataclasses. Whether a
record is *good* is the linter's question (:mod:`vulndesk.core.cve.lint`): the builder writes
what it is given, placeholders included.

Timestamps are timezone-aware datetimes; naive ones are taken as UTC (the schema's rule for a
timestamp without an offset) and written as ``YYYY-MM-DDTHH:MM:SS.mmmZ``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, get_args

from cvss import CVSS3, CVSS4, CVSSError

from vulndesk.core.errors import InputError, VulndeskError

__all__ = [
    "CNA_RECORD_DATA_VERSION",
    "CREDIT_TYPES",
    "CVE_ID_PATTERN",
    "CVSS_KEYS",
    "DISCOVERIES",
    "VERSION_STATUSES",
    "AffectedProduct",
    "AffectedVersion",
    "CnaRecord",
    "Credit",
    "CreditType",
    "CveMetadata",
    "CveRecord",
    "CveRecordError",
    "CveState",
    "CvssMetric",
    "CvssVectorError",
    "CvssVersion",
    "Discovery",
    "ProblemType",
    "Provider",
    "Reference",
    "Text",
    "VersionChange",
    "VersionStatus",
    "cna_container",
    "cve_record",
    "cvss_scores",
    "format_timestamp",
    "parse_timestamp",
    "rejected_container",
    "rejected_cve_record",
]

#: the ``dataVersion`` the builder writes
CNA_RECORD_DATA_VERSION: Final = "5.1"
#: ``CVE-YYYY-NNNN``, four to nineteen digits (the schema's ``cveId``)
CVE_ID_PATTERN: Final = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,19}$")

VersionStatus = Literal["affected", "unaffected", "unknown"]
VERSION_STATUSES: Final[tuple[VersionStatus, ...]] = get_args(VersionStatus)
#: the schema's credit types (``credits[].type``; ``finder`` when absent)
CreditType = Literal[
    "finder",
    "reporter",
    "analyst",
    "coordinator",
    "remediation developer",
    "remediation reviewer",
    "remediation verifier",
    "tool",
    "sponsor",
    "other",
]
CREDIT_TYPES: Final[tuple[CreditType, ...]] = get_args(CreditType)
CveState = Literal["PUBLISHED", "REJECTED"]
#: ``source.discovery`` as CNAs write it (Vulnogram's values): who found the vulnerability
Discovery = Literal["INTERNAL", "EXTERNAL", "USER", "UNKNOWN"]
DISCOVERIES: Final[tuple[Discovery, ...]] = get_args(Discovery)
CvssVersion = Literal["3.0", "3.1", "4.0"]
#: the key in ``metrics[]`` for each CVSS version the model holds
CVSS_KEYS: Final[dict[CvssVersion, str]] = {
    "3.0": "cvssV3_0",
    "3.1": "cvssV3_1",
    "4.0": "cvssV4_0",
}


class CveRecordError(InputError):
    """A CVE record (or CNA container) could not be read; the location is its JSON path."""


class CvssVectorError(VulndeskError):
    """A CVSS vector is not one the ``cvss`` library can score (v3.0, v3.1 or v4.0)."""


# --- the model ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """A text in one language (BCP 47 code, ``en`` by default)."""

    value: str
    lang: str = "en"


@dataclass(frozen=True, slots=True)
class Provider:
    """The organisation that provides a container: its CVE Services UUID and short name."""

    org_id: str
    short_name: str | None = None


@dataclass(frozen=True, slots=True)
class VersionChange:
    """Within a range, the status from version ``at`` on."""

    at: str
    status: VersionStatus


@dataclass(frozen=True, slots=True)
class AffectedVersion:
    """One version, or the range ``version <= v < less_than`` (or ``<= less_than_or_equal``).

    A range needs ``version_type`` (the ordering: semver, python, maven, rpm, git, custom...);
    ``changes`` refine the status inside it.
    """

    version: str
    status: VersionStatus = "affected"
    version_type: str | None = None
    less_than: str | None = None
    less_than_or_equal: str | None = None
    changes: tuple[VersionChange, ...] = ()


@dataclass(frozen=True, slots=True)
class AffectedProduct:
    """A product (vendor and product) or package (collection URL and package name) and its
    versions; ``default_status`` is the status of every version not listed."""

    vendor: str | None = None
    product: str | None = None
    versions: tuple[AffectedVersion, ...] = ()
    default_status: VersionStatus | None = None
    cpes: tuple[str, ...] = ()
    collection_url: str | None = None
    package_name: str | None = None
    repo: str | None = None
    platforms: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    program_files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProblemType:
    """A weakness: a CWE (``CWE-79``) with its name, or free text when no CWE fits."""

    description: str
    cwe_id: str | None = None
    lang: str = "en"


@dataclass(frozen=True, slots=True)
class CvssMetric:
    """A CVSS base vector with its score and severity (as computed, or as read)."""

    version: CvssVersion
    vector: str
    base_score: float
    base_severity: str
    scenarios: tuple[Text, ...] = ()

    @classmethod
    def from_vector(cls, vector: str, *, scenarios: Sequence[Text] = ()) -> CvssMetric:
        """Return the metric of a CVSS v3.0/v3.1/v4.0 vector, its base score and severity
        computed by the ``cvss`` library; raise CvssVectorError for any other vector."""
        version, score, severity = cvss_scores(vector)
        return cls(version, vector.strip(), score, severity, tuple(scenarios))


@dataclass(frozen=True, slots=True)
class Reference:
    """A public URL about the vulnerability, with the schema's tags (``vendor-advisory``...)."""

    url: str
    name: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Credit:
    """A credit: who (``value``) did what (``type``: finder, reporter, coordinator...)."""

    value: str
    type: CreditType = "finder"
    lang: str = "en"
    user: str | None = None


@dataclass(frozen=True, slots=True)
class CnaRecord:
    """What a CNA states about one CVE id: the content of its ``containers.cna``."""

    cve_id: str
    title: str | None
    descriptions: tuple[Text, ...]
    affected: tuple[AffectedProduct, ...]
    problem_types: tuple[ProblemType, ...] = ()
    metrics: tuple[CvssMetric, ...] = ()
    references: tuple[Reference, ...] = ()
    credits: tuple[Credit, ...] = ()
    date_public: datetime | None = None
    discovery: Discovery | None = None
    solutions: tuple[Text, ...] = ()
    workarounds: tuple[Text, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def description(self) -> str | None:
        """Return the first English description, if any."""
        return next((d.value for d in self.descriptions if _is_english(d.lang)), None)


@dataclass(frozen=True, slots=True)
class CveMetadata:
    """A record's ``cveMetadata``: id, state, assigner and dates (set by CVE Services)."""

    cve_id: str
    state: CveState
    assigner_org_id: str
    assigner_short_name: str | None = None
    date_reserved: datetime | None = None
    date_published: datetime | None = None
    date_updated: datetime | None = None
    date_rejected: datetime | None = None


@dataclass(frozen=True, slots=True)
class CveRecord:
    """A whole CVE record as read: metadata, the CNA's provider and statement (``cna``, None
    when rejected) or the reasons it was rejected."""

    metadata: CveMetadata
    provider: Provider
    cna: CnaRecord | None
    rejected_reasons: tuple[Text, ...] = ()
    replaced_by: tuple[str, ...] = ()
    data_version: str = CNA_RECORD_DATA_VERSION


def _is_english(lang: str) -> bool:
    return lang == "en" or lang.lower().startswith(("en-", "en_"))


def cvss_scores(vector: str) -> tuple[CvssVersion, float, str]:
    """Return (version, base score, severity in capitals) of a CVSS v3.0/v3.1/v4.0 vector.

    Raise CvssVectorError when the vector is of another version or cannot be scored.
    """
    text = vector.strip()
    version: CvssVersion
    try:
        if text.startswith("CVSS:4.0/"):
            v4 = CVSS4(text)
            return "4.0", float(v4.base_score), str(v4.severity).upper()
        if text.startswith(("CVSS:3.1/", "CVSS:3.0/")):
            version = "3.1" if text.startswith("CVSS:3.1/") else "3.0"
            v3 = CVSS3(text)
            return version, float(v3.scores()[0]), str(v3.severities()[0]).upper()
    except (CVSSError, ValueError, KeyError, IndexError, TypeError, ArithmeticError) as e:
        # the cvss library signals malformed vectors with CVSSError, a few edge cases otherwise
        raise CvssVectorError(f"invalid CVSS vector {text!r}: {e}") from e
    raise CvssVectorError(
        f"invalid CVSS vector {text!r}: expected one starting CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/"
    )


# --- timestamps ---------------------------------------------------------------------------------


def format_timestamp(moment: datetime) -> str:
    """Return ``moment`` in UTC as the schema's timestamp (milliseconds, or microseconds when
    it has them, and ``Z``)."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    spec = "milliseconds" if utc.microsecond % 1000 == 0 else "microseconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def parse_timestamp(text: str, *, source: str = "", path: str = "") -> datetime:
    """Return a schema timestamp (``2024-03-01T10:00:00.000Z``, offset optional: UTC when
    absent) or a bare date as an aware datetime; raise CveRecordError naming ``path``."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CveRecordError(
            f"expected a timestamp (YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM]), got {text!r}",
            source=source or None,
            location=path or None,
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# --- the builder --------------------------------------------------------------------------------


def _texts(texts: Sequence[Text]) -> list[dict[str, Any]]:
    return [{"lang": t.lang, "value": t.value} for t in texts]


def _provider(provider: Provider, date_updated: datetime | None) -> dict[str, Any]:
    out: dict[str, Any] = {"orgId": provider.org_id}
    if provider.short_name:
        out["shortName"] = provider.short_name
    if date_updated is not None:
        out["dateUpdated"] = format_timestamp(date_updated)
    return out


def _version(entry: AffectedVersion) -> dict[str, Any]:
    out: dict[str, Any] = {"version": entry.version, "status": entry.status}
    if entry.version_type is not None:
        out["versionType"] = entry.version_type
    if entry.less_than is not None:
        out["lessThan"] = entry.less_than
    if entry.less_than_or_equal is not None:
        out["lessThanOrEqual"] = entry.less_than_or_equal
    if entry.changes:
        out["changes"] = [{"at": c.at, "status": c.status} for c in entry.changes]
    return out


def _product(product: AffectedProduct) -> dict[str, Any]:
    out: dict[str, Any] = {}
    optional: tuple[tuple[str, str | None], ...] = (
        ("vendor", product.vendor),
        ("product", product.product),
        ("collectionURL", product.collection_url),
        ("packageName", product.package_name),
        ("repo", product.repo),
    )
    out.update((key, value) for key, value in optional if value is not None)
    lists = (
        ("cpes", product.cpes),
        ("platforms", product.platforms),
        ("modules", product.modules),
        ("programFiles", product.program_files),
    )
    out.update((key, list(values)) for key, values in lists if values)
    if product.versions:
        out["versions"] = [_version(v) for v in product.versions]
    if product.default_status is not None:
        out["defaultStatus"] = product.default_status
    return out


def _problem_type(problem: ProblemType) -> dict[str, Any]:
    entry: dict[str, Any] = {"lang": problem.lang, "description": problem.description}
    if problem.cwe_id is not None:
        entry["cweId"] = problem.cwe_id
        entry["type"] = "CWE"
    else:
        entry["type"] = "text"
    return {"descriptions": [entry]}


def _metric(metric: CvssMetric) -> dict[str, Any]:
    out: dict[str, Any] = {"format": "CVSS"}
    if metric.scenarios:
        out["scenarios"] = _texts(metric.scenarios)
    out[CVSS_KEYS[metric.version]] = {
        "version": metric.version,
        "vectorString": metric.vector,
        "baseScore": metric.base_score,
        "baseSeverity": metric.base_severity,
    }
    return out


def _reference(reference: Reference) -> dict[str, Any]:
    out: dict[str, Any] = {"url": reference.url}
    if reference.name is not None:
        out["name"] = reference.name
    if reference.tags:
        out["tags"] = list(reference.tags)
    return out


def _credit(credit: Credit) -> dict[str, Any]:
    out: dict[str, Any] = {"lang": credit.lang, "value": credit.value, "type": credit.type}
    if credit.user is not None:
        out["user"] = credit.user
    return out


def cna_container(
    record: CnaRecord, *, provider: Provider, date_updated: datetime | None = None
) -> dict[str, Any]:
    """Return the CNA container (``containers.cna``) of ``record``, as CVE Services takes it.

    Empty optional lists are left out (the schema wants at least one item where a list is
    given); required ones (``descriptions``, ``affected``, ``references``) are always written,
    so that a record missing them fails the linter instead of vanishing from the output.
    """
    out: dict[str, Any] = {"providerMetadata": _provider(provider, date_updated)}
    if record.title is not None:
        out["title"] = record.title
    if record.date_public is not None:
        out["datePublic"] = format_timestamp(record.date_public)
    out["descriptions"] = _texts(record.descriptions)
    out["affected"] = [_product(p) for p in record.affected]
    if record.problem_types:
        out["problemTypes"] = [_problem_type(p) for p in record.problem_types]
    if record.metrics:
        out["metrics"] = [_metric(m) for m in record.metrics]
    if record.solutions:
        out["solutions"] = _texts(record.solutions)
    if record.workarounds:
        out["workarounds"] = _texts(record.workarounds)
    out["references"] = [_reference(r) for r in record.references]
    if record.credits:
        out["credits"] = [_credit(c) for c in record.credits]
    if record.discovery is not None:
        out["source"] = {"discovery": record.discovery}
    if record.tags:
        out["tags"] = list(record.tags)
    return out


def rejected_container(
    reasons: Sequence[Text], *, provider: Provider, replaced_by: Sequence[str] = ()
) -> dict[str, Any]:
    """Return the CNA container of a rejected id: ``rejectedReasons`` and ``replacedBy``."""
    out: dict[str, Any] = {"providerMetadata": _provider(provider, None)}
    out["rejectedReasons"] = _texts(reasons)
    if replaced_by:
        out["replacedBy"] = list(replaced_by)
    return out


def _envelope(metadata: dict[str, Any], cna: dict[str, Any]) -> dict[str, Any]:
    return {
        "dataType": "CVE_RECORD",
        "dataVersion": CNA_RECORD_DATA_VERSION,
        "cveMetadata": metadata,
        "containers": {"cna": cna},
    }


def _metadata(
    cve_id: str, state: CveState, provider: Provider, dates: Mapping[str, datetime | None]
) -> dict[str, Any]:
    out: dict[str, Any] = {"cveId": cve_id, "assignerOrgId": provider.org_id}
    if provider.short_name:
        out["assignerShortName"] = provider.short_name
    out["state"] = state
    out.update((key, format_timestamp(when)) for key, when in dates.items() if when is not None)
    return out


def cve_record(
    record: CnaRecord,
    *,
    provider: Provider,
    date_reserved: datetime | None = None,
    date_published: datetime | None = None,
    date_updated: datetime | None = None,
) -> dict[str, Any]:
    """Return the full CVE JSON 5.1 record of ``record`` in state PUBLISHED.

    The dates are CVE Services' to set; give them to render a record as the CVE List shows it.
    """
    dates = {
        "dateReserved": date_reserved,
        "datePublished": date_published,
        "dateUpdated": date_updated,
    }
    metadata = _metadata(record.cve_id, "PUBLISHED", provider, dates)
    cna = cna_container(record, provider=provider, date_updated=date_updated)
    return _envelope(metadata, cna)


def rejected_cve_record(
    cve_id: str,
    reasons: Sequence[Text],
    *,
    provider: Provider,
    replaced_by: Sequence[str] = (),
    date_reserved: datetime | None = None,
    date_rejected: datetime | None = None,
    date_updated: datetime | None = None,
) -> dict[str, Any]:
    """Return the full CVE JSON 5.1 record of a rejected id (state REJECTED)."""
    dates = {
        "dateReserved": date_reserved,
        "dateRejected": date_rejected,
        "dateUpdated": date_updated,
    }
    metadata = _metadata(cve_id, "REJECTED", provider, dates)
    return _envelope(
        metadata, rejected_container(reasons, provider=provider, replaced_by=replaced_by)
    )

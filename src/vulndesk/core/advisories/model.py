"""The advisory model: what vulndesk knows about one published vulnerability record.

It follows the OSV schema closely (reference/osv.md), because OSV is the richest common format and
every other feed (NVD, CVE 5, CSAF, JVN...) can be expressed in it. Codecs live next to this module,
one per external format.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

EventKind = Literal["introduced", "fixed", "last_affected", "limit"]
RangeType = Literal["SEMVER", "ECOSYSTEM", "GIT"]


@dataclass(frozen=True, slots=True)
class Event:
    """One OSV range event: exactly one of introduced, fixed, last_affected, limit."""

    kind: EventKind
    version: str


@dataclass(frozen=True, slots=True)
class Range:
    """One OSV ``affected[].ranges[]`` entry.

    Events are kept in file order (they may be unsorted).
    """

    type: str  # "SEMVER" | "ECOSYSTEM" | "GIT" (kept as written when unknown)
    events: tuple[Event, ...]
    repo: str | None = None


@dataclass(frozen=True, slots=True)
class Severity:
    """A severity as the record states it.

    ``type`` is CVSS_V2 | CVSS_V3 | CVSS_V4 | Ubuntu...; ``score`` the vector (or priority word).
    ``source`` names who rated it when the record says (NVD's ``nvd@nist.gov``, a CNA's short
    name, an ADP such as ``CISA-ADP``); None when the record itself is the rater.
    """

    type: str
    score: str
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Reference:
    """A link with its OSV type (ADVISORY, FIX, WEB...)."""

    type: str
    url: str


@dataclass(frozen=True, slots=True)
class Affected:
    """One ``affected[]`` entry: a package in an ecosystem and the versions of it that are affected.

    ``name`` is as written in the record; ``lookup_name`` is the key used to find it (normalised per
    ecosystem, e.g. PEP 503 for PyPI).
    """

    ecosystem: str
    name: str
    lookup_name: str
    purl: str | None = None
    ranges: tuple[Range, ...] = ()
    versions: tuple[str, ...] = ()
    severity: tuple[Severity, ...] = ()
    ecosystem_specific: Any = None
    database_specific: Any = None


@dataclass(frozen=True, slots=True)
class CpeMatchCriterion:
    """One NVD ``cpeMatch`` entry: a CPE 2.3 name (wildcards allowed) and optional version bounds.

    ``vulnerable`` False marks a platform condition ("running on"), never a finding by itself.
    """

    criteria: str
    vulnerable: bool = True
    version_start_including: str | None = None
    version_start_excluding: str | None = None
    version_end_including: str | None = None
    version_end_excluding: str | None = None
    match_criteria_id: str | None = None


@dataclass(frozen=True, slots=True)
class CpeNode:
    """One NVD configuration node: criteria joined by ``operator`` (OR | AND), maybe negated."""

    operator: str = "OR"
    negate: bool = False
    cpe_match: tuple[CpeMatchCriterion, ...] = ()


@dataclass(frozen=True, slots=True)
class CpeConfiguration:
    """One NVD ``configurations[]`` entry: nodes joined by ``operator`` (OR when absent).

    An AND configuration reads "a vulnerable application node running on a platform node".
    """

    nodes: tuple[CpeNode, ...]
    operator: str = "OR"
    negate: bool = False


@dataclass(frozen=True, slots=True)
class VersionEntry:
    """One CVE 5 ``versions[]`` entry (CSAF ``product_version``/``product_version_range`` become
    these too): ``version`` alone names one version; with ``less_than`` or
    ``less_than_or_equal`` it opens a range starting at ``version`` (``"0"`` or ``"*"``: from
    the start). ``changes`` are ``(at, status)`` pairs in order, per CVE 5.
    """

    version: str
    status: str  # affected | unaffected | unknown
    version_type: str | None = None
    less_than: str | None = None
    less_than_or_equal: str | None = None
    changes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ProductStatement:
    """Which versions of a product named by vendor and product name (not by a package URL) a
    record says are affected: CVE 5 ``affected[]`` entries, CSAF product tree leaves, JVN and
    EUVD vendor/product lists.

    ``vendor``/``product`` are as written; matching normalises them. ``cpes`` are CPE 2.3 names
    the record gives for the product, ``model_numbers``/``skus`` and ``hashes`` (``algorithm:hex``)
    identify hardware and files (CSAF ``product_identification_helper``). ``default_status``
    covers versions no entry names (CVE 5 ``defaultStatus``; ``unknown`` when absent).
    ``product_id`` keeps the source's own id for the product (a CSAF ``product_id``), so a
    finding can say which statement fired.
    """

    vendor: str
    product: str
    versions: tuple[VersionEntry, ...] = ()
    default_status: str = "unknown"
    cpes: tuple[str, ...] = ()
    purls: tuple[str, ...] = ()
    model_numbers: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    hashes: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    product_id: str | None = None


@dataclass(frozen=True, slots=True)
class LocalizedText:
    """A title or description in one language (BCP 47 tag: ``en``, ``ja``...)."""

    lang: str
    text: str


@dataclass(frozen=True, slots=True)
class ExploitEvidence:
    """A source's statement that a vulnerability is exploited, with when and how it said so.

    ``kind`` is ``kev`` (CISA KEV), ``euvd`` (EUVD exploited flag), ``csaf-threat`` (a CSAF
    ``threats[]`` entry of category exploit_status), ``reference`` (an exploit reference) or
    ``person`` (an assertion recorded by a user).
    """

    kind: str
    source: str
    date: datetime | None = None
    detail: str = ""
    due_date: datetime | None = None
    ransomware: bool | None = None


@dataclass(frozen=True, slots=True)
class Advisory:
    """One vulnerability record from one source (an OSV record, an NVD CVE, a CSAF document...)."""

    id: str
    modified: datetime
    published: datetime | None = None
    withdrawn: datetime | None = None
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    summary: str | None = None
    details: str | None = None
    severity: tuple[Severity, ...] = ()
    affected: tuple[Affected, ...] = ()
    references: tuple[Reference, ...] = ()
    database_specific: Any = None
    schema_version: str | None = None
    # Which source gave this record: osv | nvd | cve5 | jvn | euvd | csaf | ghsa. Records of
    # several sources may share an id (NVD's and the CVE List's CVE-2024-1 are two records).
    source: str = "osv"
    cpe_configurations: tuple[CpeConfiguration, ...] = ()
    products: tuple[ProductStatement, ...] = ()
    cwes: tuple[str, ...] = ()
    titles: tuple[LocalizedText, ...] = ()
    descriptions: tuple[LocalizedText, ...] = ()
    exploitation: tuple[ExploitEvidence, ...] = ()
    # rejected (CVE 5 REJECTED, NVD "Rejected") is kept apart from withdrawn (OSV): both hide
    # the record from matching and both stay visible as such
    rejected: bool = False

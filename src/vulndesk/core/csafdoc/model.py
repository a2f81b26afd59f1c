"""The plain input of the CSAF generator (:mod:`.generator`): what a disclosure case knows.

Frozen dataclasses with only what a ``csaf_security_advisory`` or ``csaf_vex`` document needs;
the generator turns them into CSAF's JSON (branches, product groups are not needed: every
product is one vendor > product name > version branch and is referred to by its own id).
Dates are aware datetimes; the generator writes them in UTC. Product ids are the caller's own
tokens (``CSAFPID-0001``, a database key...), used as given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

DocumentCategory = Literal["csaf_security_advisory", "csaf_vex"]
DocumentStatus = Literal["draft", "interim", "final"]
TlpLabel = Literal["WHITE", "GREEN", "AMBER", "RED"]
PublisherCategory = Literal["coordinator", "discoverer", "other", "translator", "user", "vendor"]
NoteCategory = Literal[
    "description", "details", "faq", "general", "legal_disclaimer", "other", "summary"
]
RemediationCategory = Literal[
    "mitigation", "no_fix_planned", "none_available", "vendor_fix", "workaround"
]
ThreatCategory = Literal["exploit_status", "impact", "target_set"]
#: the VEX justifications of CSAF 2.0 (section 3.2.3.5)
FlagLabel = Literal[
    "component_not_present",
    "inline_mitigations_already_exist",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_not_present",
]


@dataclass(frozen=True, slots=True)
class Publisher:
    """Who publishes: ``namespace`` is a URL the publisher controls (its web site)."""

    name: str
    namespace: str
    category: PublisherCategory = "vendor"
    contact_details: str | None = None


@dataclass(frozen=True, slots=True)
class Revision:
    """One released version of the document; ``number`` is ``1``, ``2``... (or ``1.0.0``)."""

    date: datetime
    number: str
    summary: str


@dataclass(frozen=True, slots=True)
class Tracking:
    """The document's identity and history. ``revisions`` run oldest first; the document
    version, initial and current release dates are taken from them."""

    id: str
    status: DocumentStatus
    revisions: tuple[Revision, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Note:
    """A text: the summary, details, a legal disclaimer..."""

    category: NoteCategory
    text: str
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Reference:
    """A link; ``self`` for the canonical URL of this document or vulnerability."""

    url: str
    summary: str
    category: Literal["external", "self"] = "external"


@dataclass(frozen=True, slots=True)
class Product:
    """One version of one product: the branch vendor > name > version in the product tree.

    ``version_range``: ``version`` is a range (``vers:semver/<2.0.1``, ``< 4.2``) rather than
    one version, written as a ``product_version_range`` branch (test 6.1.31). ``purl`` and
    ``cpe`` identify it in SBOMs and asset databases (build them with
    :func:`vulndesk.core.ids.purl.build_purl` and :class:`vulndesk.core.ids.cpe.Cpe`).
    """

    product_id: str
    vendor: str
    name: str
    version: str
    version_range: bool = False
    purl: str | None = None
    cpe: str | None = None


@dataclass(frozen=True, slots=True)
class ProductStatus:
    """Product ids by their status for one vulnerability. A VEX document needs at least one of
    fixed, known_affected, known_not_affected, under_investigation."""

    known_affected: tuple[str, ...] = ()
    known_not_affected: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    under_investigation: tuple[str, ...] = ()
    first_affected: tuple[str, ...] = ()
    last_affected: tuple[str, ...] = ()
    first_fixed: tuple[str, ...] = ()
    recommended: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Score:
    """A CVSS v3.0 or v3.1 vector for some products; the scores are computed from it."""

    vector: str
    product_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Remediation:
    """What to do about the vulnerability in some products (a VEX action statement)."""

    category: RemediationCategory
    details: str
    product_ids: tuple[str, ...]
    url: str | None = None
    date: datetime | None = None


@dataclass(frozen=True, slots=True)
class Threat:
    """Exploit status, impact (a VEX impact statement) or target set, for some products."""

    category: ThreatCategory
    details: str
    product_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Flag:
    """A VEX justification: why some products are known_not_affected."""

    label: FlagLabel
    product_ids: tuple[str, ...]
    date: datetime | None = None


@dataclass(frozen=True, slots=True)
class Cwe:
    """The weakness, with its name exactly as in the CWE list (``CWE-79``, its full name)."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class VulnerabilityId:
    """A non-CVE id of the vulnerability: the case number in a tracker, a GHSA id..."""

    system_name: str
    text: str


@dataclass(frozen=True, slots=True)
class Vulnerability:
    """One vulnerability and its status in the products of the document."""

    product_status: ProductStatus
    notes: tuple[Note, ...]
    cve: str | None = None
    ids: tuple[VulnerabilityId, ...] = ()
    title: str | None = None
    cwe: Cwe | None = None
    discovery_date: datetime | None = None
    release_date: datetime | None = None
    scores: tuple[Score, ...] = ()
    remediations: tuple[Remediation, ...] = ()
    threats: tuple[Threat, ...] = ()
    flags: tuple[Flag, ...] = ()
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True, slots=True)
class Advisory:
    """A whole CSAF document to generate."""

    category: DocumentCategory
    title: str
    publisher: Publisher
    tracking: Tracking
    products: tuple[Product, ...]
    vulnerabilities: tuple[Vulnerability, ...]
    notes: tuple[Note, ...] = ()
    references: tuple[Reference, ...] = ()
    tlp: TlpLabel = "WHITE"
    lang: str = "en"

"""The VEX model: statements saying whether products are affected by a vulnerability, and why.

A statement is about (vulnerability, products, status), made by someone, at a time
(reference/vex.md). The model follows OpenVEX, the smallest of the three formats: its status and
justification words are vulndesk's canonical ones. Codecs live next to this module, one per
format (:mod:`.openvex`, :mod:`.cyclonedx`, :mod:`.csaf`), each with a reader and a writer;
:mod:`.reader` tells the format from the content.

Where a format says more than the canonical words can, the statement keeps the format's own word
in ``native_state`` (CycloneDX ``false_positive`` or ``protected_at_runtime``, CSAF
``first_fixed``), so that writing the statement back to the format it came from is exact. A
writer uses a native word only when it still agrees with the canonical fields (the word maps to
the statement's status or justification); one left behind by an edit of the status is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from vulndesk.core.errors import AdvisoryError, InputError

__all__ = [
    "JUSTIFICATIONS",
    "RESPONSES",
    "VERSION_STATUSES",
    "VexDocument",
    "VexError",
    "VexProduct",
    "VexStatement",
    "VexStatus",
    "VexVersion",
    "vex_error",
]


class VexError(InputError):
    """A VEX document could not be read, or a VEX model cannot be written in a format.

    ``source`` names the file and ``location`` the JSON path of the offending value.
    """


def vex_error(e: AdvisoryError) -> VexError:
    """Return the VexError carrying the message, source and location of ``e``.

    The VEX codecs reuse the advisory codecs' JSON field readers (and the CSAF product tree
    reader), which raise AdvisoryError; each public entry point re-raises it as a VexError.
    """
    return VexError(e.message, source=e.source, location=e.location)


class VexStatus(StrEnum):
    """Whether the products are affected (OpenVEX status words; vex.md's first table)."""

    NOT_AFFECTED = "not_affected"
    AFFECTED = "affected"
    FIXED = "fixed"
    UNDER_INVESTIGATION = "under_investigation"


#: Why a product is not affected: the OpenVEX justifications, which are also the CSAF VEX flag
#: labels. CycloneDX's nine justifications map onto these (vex.md's second table).
JUSTIFICATIONS: Final[tuple[str, ...]] = (
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
)

#: What the supplier does about it: CycloneDX ``analysis.response`` values.
RESPONSES: Final[tuple[str, ...]] = (
    "can_not_fix",
    "will_not_fix",
    "update",
    "rollback",
    "workaround_available",
)

#: CycloneDX ``affects[].versions[].status`` values.
VERSION_STATUSES: Final[tuple[str, ...]] = ("affected", "unaffected", "unknown")


@dataclass(frozen=True, slots=True)
class VexVersion:
    """One version, or one range of versions, that a statement about a product is limited to.

    CycloneDX ``affects[].versions[]`` (``version`` or a ``vers:`` ``range``, with an optional
    per-version ``status``) and a CSAF ``product_version_range`` (``range``). A product without
    any is meant as a whole (its ``ref`` usually names one version already).
    """

    version: str = ""
    range: str = ""
    status: str = ""  # CycloneDX: affected | unaffected | unknown; "" when not said


@dataclass(frozen=True, slots=True)
class VexProduct:
    """A product (or component) a statement is about.

    ``ref`` names it as the document does: a purl, a CycloneDX bom-ref or BOM-Link, a CPE or a
    CSAF product_id. ``purl``/``cpe`` are filled in when known (the ref itself, a CSAF product's
    identification helper, the BOM component a bom-ref resolves to). ``subcomponents`` are the
    components inside the product where the vulnerability lives (OpenVEX; the component of a CSAF
    relationship). ``versions`` limits the statement to some versions (:class:`VexVersion`).
    """

    ref: str
    purl: str | None = None
    cpe: str | None = None
    name: str = ""
    version: str = ""
    subcomponents: tuple[VexProduct, ...] = ()
    versions: tuple[VexVersion, ...] = ()


@dataclass(frozen=True, slots=True)
class VexStatement:
    """That ``vulnerability`` has ``status`` in ``products``, with the reason and what to do.

    ``justification`` is an OpenVEX justification (:data:`JUSTIFICATIONS`), mapped from the
    CycloneDX justification or CSAF flag. ``impact_statement`` says in words why the products are
    not affected, ``action_statement`` what to do when they are, ``responses`` are CycloneDX
    responses (:data:`RESPONSES`), ``detail`` is CycloneDX ``analysis.detail`` or OpenVEX
    ``status_notes``. ``native_state`` holds the format's own words when they said more than the
    canonical fields (module docstring), separated by spaces when there are two (a CycloneDX
    ``false_positive`` with a ``requires_environment`` justification).
    """

    vulnerability: str
    status: VexStatus
    products: tuple[VexProduct, ...]
    aliases: tuple[str, ...] = ()
    justification: str | None = None
    impact_statement: str = ""
    action_statement: str = ""
    responses: tuple[str, ...] = ()
    detail: str = ""
    timestamp: datetime | None = None
    native_state: str = ""

    def __post_init__(self) -> None:
        # a status given as its word ("affected") becomes the enum member, so writers can
        # compare with `is`; words outside the vocabularies are programming errors
        object.__setattr__(self, "status", VexStatus(self.status))
        if self.justification is not None and self.justification not in JUSTIFICATIONS:
            raise ValueError(
                f"unknown justification {self.justification!r} (expected one of "
                + ", ".join(JUSTIFICATIONS)
                + ")"
            )
        unknown = [r for r in self.responses if r not in RESPONSES]
        if unknown:
            raise ValueError(
                f"unknown response {unknown[0]!r} (expected one of " + ", ".join(RESPONSES) + ")"
            )


@dataclass(frozen=True, slots=True)
class VexDocument:
    """A set of statements as one document carried them.

    ``format`` is ``openvex``, ``cyclonedx`` or ``csaf``; ``id`` the OpenVEX ``@id``, CycloneDX
    ``serialNumber`` ("" when the BOM has none) or CSAF tracking id. ``bom_link`` is, for a
    standalone CycloneDX VEX whose statements all refer to one BOM, that BOM
    (``urn:cdx:<serial>/<version>``).
    """

    format: str
    id: str
    author: str = ""
    timestamp: datetime | None = None
    version: int = 1
    statements: tuple[VexStatement, ...] = ()
    bom_link: str = ""

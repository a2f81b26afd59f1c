"""VEX documents in and out of a product: import statements from OpenVEX, CycloneDX and CSAF VEX,
and export the product's (or one release's) statements in any of the three.

**Import** (:func:`vex_import`) reads the document first (a bad file raises VexError and stores
nothing), then stores its statements in one transaction. Each product a statement names becomes
statement scopes of the importing product (``triage.vex`` module docstring):

- by purl: the package (purl without version) is the component; a version in the purl, else the
  product's ``version``, makes it that exact version; ``versions`` entries give their exact
  versions, and a range (CycloneDX ``vers:`` range, CSAF ``product_version_range``) is stored
  once, as a range scope (``triage.vex``): it covers the versions of today's releases and of
  releases yet to come alike. A range is kept in canonical ``vers:`` form; CSAF's range words
  become ``vers:generic`` (:func:`~vulndesk.core.vex.ranges.vex_range`, which also says which
  ranges are refused: unreadable ones, schemes vulndesk does not order, unsorted constraints);
  with none of these, any version;
- without purl: by CPE (a component of the product with that CPE), else by name;
- a CycloneDX BOM-Link into one of the product's own SBOMs is resolved through that SBOM: to the
  component it names, or to the SBOM's subject;
- the product as a whole (the SBOM subject a BOM-Link names, or a product named like the
  importing product) covers its ``subcomponents``, or when it lists none, every component of the
  covered releases that has the vulnerability: one scope per component and version.

Whatever cannot be stored is listed in the outcome with the reason (a range that cannot be read
or evaluated, a version or range whose own status contradicts the statement, a BOM the product
does not have, a statement without products, one that is not a valid statement); nothing is
dropped silently. Stored statements that match no finding yet are listed too: they apply when
the component appears (a range stored before any release has a version in it, too). An imported
statement keeps ``affected_range`` empty (its author did not see our range), and
``author_label`` is the document's author.

**Export** (:func:`vex_export`) writes the active statements of a product, or those applied to a
release's active findings (optionally with every unstated active finding as
``under_investigation``). A product's range statement is written as its range: CycloneDX
``affects[].versions[].range``, a CSAF ``product_version_range`` branch. OpenVEX has no version
ranges, so there it becomes one product per version of the component found in the product's
releases that the range covers (the purl with that version); a range that covers none of them is
left out of an OpenVEX document, since it says nothing about any version the product ships (the
CycloneDX and CSAF documents carry it). A release's statements are written per component of the
release, whatever their scope. A release's CycloneDX VEX refers to the release's CycloneDX SBOM by
BOM-Link when that SBOM has a serial number; CSAF names the organisation as publisher, under
``settings.CSAF_PUBLISHER_NAMESPACE``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from vulndesk.core.errors import IdentifierError, InputError
from vulndesk.core.ids.purl import PackageURL, parse_purl, purl_without_version
from vulndesk.core.sbom.model import Component as SbomComponent
from vulndesk.core.sbom.reader import read_sbom
from vulndesk.core.vex.apply import status_agrees, version_in_scope
from vulndesk.core.vex.csaf import csaf_vex_document
from vulndesk.core.vex.cyclonedx import cyclonedx_vex_document, parse_bom_link
from vulndesk.core.vex.model import VexDocument, VexError, VexProduct, VexStatus, VexVersion
from vulndesk.core.vex.model import VexStatement as CoreStatement
from vulndesk.core.vex.openvex import openvex_document
from vulndesk.core.vex.ranges import VexRangeError, is_vers_range
from vulndesk.core.vex.reader import read_vex
from vulndesk.server.audit.services import audit_record
from vulndesk.server.findings.models import Finding, FindingStatus
from vulndesk.server.inventory.models import (
    Component,
    Product,
    Release,
    SbomDocument,
    SbomStatus,
)
from vulndesk.server.triage.models import ANY_VERSION, VexState, VexStatement
from vulndesk.server.triage.vex import (
    StatementText,
    actor_name,
    component_key,
    findings_retriage,
    scope_range,
    version_covered,
    vex_statement_write,
)

__all__ = [
    "EXPORT_FORMATS",
    "NotStored",
    "VexExport",
    "VexImportOutcome",
    "vex_export",
    "vex_import",
]

#: export format -> (media type, file name suffix)
EXPORT_FORMATS: Final = {
    "openvex": ("application/json", "openvex.json"),
    "cyclonedx": ("application/vnd.cyclonedx+json", "cdx.json"),
    "csaf": ("application/json", "csaf.json"),
}
_XML_BOM_VERSION: Final = re.compile(rb"<bom\b[^>]*?\sversion=[\"']([0-9]+)[\"']")
_EPOCH: Final = datetime.min.replace(tzinfo=UTC)


# --- import ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NotStored:
    """A statement (or a part of it) that could not be stored, and why."""

    vulnerability: str
    product: str  # the VEX product as the document names it
    reason: str


@dataclass(slots=True)
class VexImportOutcome:
    """What a VEX import stored: each statement with how many findings it applies to now, and
    what could not be stored, with the reason."""

    name: str
    format: str
    document_id: str
    author: str
    read: int  # statements in the document
    recorded: list[tuple[VexStatement, int]] = field(default_factory=list)
    not_stored: list[NotStored] = field(default_factory=list)

    @property
    def matched(self) -> list[tuple[VexStatement, int]]:
        """Return the stored statements that apply to at least one finding."""
        return [(s, n) for s, n in self.recorded if n]

    @property
    def unmatched(self) -> list[VexStatement]:
        """Return the stored statements that apply to no finding yet."""
        return [s for s, n in self.recorded if not n]


@dataclass(frozen=True, slots=True)
class _Scope:
    key: str
    name: str
    version: str


@dataclass(frozen=True, slots=True)
class _Bom:
    release_id: int
    refs: dict[str, SbomComponent]
    subject: SbomComponent | None


class _ProductIndex:
    """What mapping VEX products onto one product's components needs, read once per import."""

    def __init__(self, product: Product) -> None:
        self.product = product
        self.releases = list(Release.objects.filter(product=product).values_list("id", "version"))
        self._boms: dict[tuple[str, int], _Bom] | None = None

    def named_by_cpe(self, cpe: str) -> tuple[str, str] | None:
        """Return (key, name) of a component of the product with this CPE."""
        row = (
            Component.objects.filter(release__product=self.product, identity__cpe=cpe)
            .values_list("identity__package", "name")
            .first()
        )
        return (component_key(row[0], row[1]), row[1]) if row else None

    def bom(self, serial: str, version: int) -> _Bom | None:
        """Return the product's SBOM with this serial number and version, read once."""
        if self._boms is None:
            self._boms = {}
            documents = SbomDocument.objects.filter(
                release__product=self.product, format__startswith="CycloneDX"
            ).only("id", "release_id", "content", "file_name")
            for document in documents.iterator(chunk_size=10):
                content = bytes(document.content)
                try:
                    sbom = read_sbom(content, source=document.file_name)
                except InputError:
                    continue
                if not sbom.serial_number:
                    continue
                key = (sbom.serial_number.removeprefix("urn:uuid:").lower(), bom_version(content))
                self._boms.setdefault(
                    key,
                    _Bom(document.release_id, {c.ref: c for c in sbom.components}, sbom.subject),
                )
        return self._boms.get((serial, version))


def bom_version(content: bytes) -> int:
    """Return the CycloneDX ``version`` of an SBOM (1 when it says none or is not readable)."""
    stripped = content.lstrip()
    if stripped.startswith(b"<"):
        m = _XML_BOM_VERSION.search(stripped[:4096])
        return int(m.group(1)) if m else 1
    try:
        version = orjson.loads(content).get("version", 1)
    except (orjson.JSONDecodeError, AttributeError):
        return 1
    return version if type(version) is int and version >= 1 else 1


def vex_import(
    *,
    data: bytes,
    name: str,
    product: Product,
    acting_user: Any,
    origin: str = "import",
    actor_label: str = "",
) -> VexImportOutcome:
    """Store the statements of the VEX document ``data`` (file name ``name``) for ``product``
    and return what was stored and what was not (module docstring).

    Raise VexError (an InputError) when ``data`` is not a readable VEX document, or holds no
    statement; nothing is stored then, nor when anything else fails (one transaction).
    """
    doc = read_vex(data, name)
    if not doc.statements:
        raise VexError(
            f"the {doc.format} document holds no VEX statements (a CycloneDX BOM needs "
            "vulnerabilities with an analysis state); nothing to import",
            source=name,
        )
    with transaction.atomic():
        return _import(doc, name, product, acting_user, origin, actor_label)


def _import(
    doc: VexDocument,
    name: str,
    product: Product,
    acting_user: Any,
    origin: str,
    actor_label: str,
) -> VexImportOutcome:
    list(Product.objects.select_for_update().filter(pk=product.pk).values_list("pk"))
    outcome = VexImportOutcome(name, doc.format, doc.id, doc.author, len(doc.statements))
    index = _ProductIndex(product)
    # the later statement of one scope wins: statements in time order, document order for ties
    ordered = sorted(
        enumerate(doc.statements),
        key=lambda item: (item[1].timestamp or doc.timestamp or _EPOCH, item[0]),
    )
    planned: dict[
        tuple[str, str, str], tuple[CoreStatement, StatementText, _Scope, str, list[str]]
    ] = {}
    for _, statement in ordered:
        ids = _ids(statement)
        if not ids:
            outcome.not_stored.append(NotStored("", "", "the statement names no vulnerability"))
            continue
        try:
            text = _text(statement).checked()
        except InputError as exc:
            outcome.not_stored.append(NotStored(statement.vulnerability, "", str(exc)))
            continue
        if not statement.products:
            outcome.not_stored.append(
                NotStored(
                    statement.vulnerability,
                    "",
                    "the statement names no product (a statement about any product cannot be "
                    "given a component of this one)",
                )
            )
            continue
        key_id = _group_key(ids, product)
        for vex_product in statement.products:
            scopes, problems = _scopes(vex_product, statement.status, ids, index)
            shown = vex_product.purl or vex_product.ref
            outcome.not_stored.extend(
                NotStored(statement.vulnerability, shown, p) for p in problems
            )
            for scope in scopes:
                scope_key = (key_id, scope.key, scope.version)
                if scope_key in planned:
                    outcome.not_stored.append(
                        NotStored(
                            planned[scope_key][0].vulnerability,
                            shown,
                            f"a later statement of the document about {scope.key} "
                            f"{scope.version} replaces this one",
                        )
                    )
                planned[scope_key] = (statement, text, scope, key_id, ids)

    now = timezone.now()
    author_label = doc.author or f"{name} (imported by {actor_name(acting_user)})"
    recorded: list[VexStatement] = []
    for statement, text, scope, key_id, ids in planned.values():
        recorded.append(
            vex_statement_write(
                product_id=product.pk,
                vulnerability_id=key_id,
                aliases=ids,
                key=scope.key,
                component_name=scope.name,
                version=scope.version,
                affected_range="",
                text=text,
                author=acting_user,
                author_label=author_label,
                origin=origin,
                document_id=doc.id or name,
                now=now,
                audit_data={
                    "document": doc.id,
                    "file": name,
                    "stated_at": statement.timestamp.isoformat() if statement.timestamp else None,
                },
                actor_label=actor_label,
            )
        )
    if recorded:
        findings_retriage({product.pk: {s.vulnerability_id for s in recorded}})
    counts = dict(
        Finding.objects.filter(vex_statement_id__in=[s.pk for s in recorded])
        .values_list("vex_statement_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    outcome.recorded = [(s, counts.get(s.pk, 0)) for s in recorded]
    audit_record(
        action="vex.import",
        object_type="product",
        object_id=str(product.pk),
        data={
            "file": name,
            "format": doc.format,
            "document": doc.id,
            "author": doc.author,
            "statements": len(doc.statements),
            "recorded": [s.pk for s in recorded],
            "not_stored": len(outcome.not_stored),
        },
        acting_user=acting_user,
        actor_label=actor_label,
    )
    return outcome


def _ids(statement: CoreStatement) -> list[str]:
    return list(
        dict.fromkeys(i.strip() for i in (statement.vulnerability, *statement.aliases) if i.strip())
    )


def _text(statement: CoreStatement) -> StatementText:
    """Return what ``statement`` says in the stored shape: words the state does not take (a
    CycloneDX recommendation on a not-affected vulnerability) go to the detail, and a
    not-affected statement without justification or impact statement has its detail as the
    impact statement, as OpenVEX asks."""
    state = statement.status.value
    detail = [statement.detail] if statement.detail else []
    impact, action = statement.impact_statement, statement.action_statement
    justification = statement.justification or ""
    if state != VexState.NOT_AFFECTED:
        detail += [impact] if impact else []
        impact, justification = "", ""
    if state != VexState.AFFECTED and action:
        detail.append(action)
        action = ""
    if state == VexState.NOT_AFFECTED and not justification and not impact and detail:
        impact = detail.pop(0)
    return StatementText(
        state=state,
        justification=justification,
        responses=statement.responses,
        detail="\n\n".join(detail),
        impact_statement=impact,
        action_statement=action,
    )


def _group_key(ids: Sequence[str], product: Product) -> str:
    """Return the alias group key findings use for the vulnerability ``ids`` name: a finding's
    of this product, else a stored advisory's group, else the first id."""
    found = (
        Finding.objects.filter(product=product, vulnerability_id__in=ids)
        .values_list("vulnerability_id", flat=True)
        .first()
    )
    if found:
        return found
    from vulndesk.server.advisories.models import Advisory

    group = Advisory.objects.filter(record_id__in=ids).values_list("group_key", flat=True).first()
    return group or ids[0]


def _scopes(
    vex_product: VexProduct, status: VexStatus, ids: Sequence[str], index: _ProductIndex
) -> tuple[list[_Scope], list[str]]:
    """Return the scopes of the importing product that ``vex_product`` names, and what of it
    cannot be stored (module docstring)."""
    resolved = vex_product
    releases: list[int] | None = None  # the product as a whole, in these releases
    link = parse_bom_link(vex_product.ref)
    if link is not None and not (vex_product.purl or vex_product.name or vex_product.cpe):
        serial, version, ref = link
        bom = index.bom(serial, version)
        if bom is None:
            return [], [
                f"the BOM-Link names BOM urn:uuid:{serial} version {version}, which is not an "
                f"SBOM of {index.product.name}"
            ]
        if ref is None or (bom.subject is not None and ref == bom.subject.ref):
            releases = [bom.release_id]
        elif ref in bom.refs:
            component = bom.refs[ref]
            resolved = VexProduct(
                ref=vex_product.ref,
                purl=component.purl,
                cpe=component.cpes[0] if component.cpes else None,
                name=component.name,
                version=component.version or "",
                subcomponents=vex_product.subcomponents,
                versions=vex_product.versions,
            )
        else:
            return [], [f"the BOM-Link names bom-ref {ref!r}, which that SBOM does not have"]
    elif not resolved.purl and resolved.name.casefold() == index.product.name.casefold():
        releases = _covered_releases(resolved, status, index)
    if releases is not None:
        return _whole_product(resolved, status, ids, releases, index)
    return _component_scopes(resolved, status, index)


def _covered_releases(product: VexProduct, status: VexStatus, index: _ProductIndex) -> list[int]:
    if product.version:
        return [i for i, v in index.releases if v == product.version]
    if product.versions:
        return [
            i
            for i, v in index.releases
            if any(version_in_scope(spec, status, v) for spec in product.versions)
        ]
    return [i for i, _ in index.releases]


def _whole_product(
    product: VexProduct,
    status: VexStatus,
    ids: Sequence[str],
    releases: list[int],
    index: _ProductIndex,
) -> tuple[list[_Scope], list[str]]:
    """Scopes of a statement about the importing product as a whole (module docstring)."""
    if product.subcomponents:
        scopes: list[_Scope] = []
        problems: list[str] = []
        for sub in product.subcomponents:
            found, missing = _component_scopes(sub, status, index)
            scopes += found
            problems += missing
        return scopes, problems
    wanted = set(ids)
    scopes = []
    rows = Finding.objects.filter(product=index.product, release_id__in=releases).values_list(
        "vulnerability_id", "aliases", "identity__package", "component_name", "component_version"
    )
    for vulnerability_id, aliases, package, name, version in rows:
        if wanted.isdisjoint({vulnerability_id, *aliases}):
            continue
        scope = _Scope(component_key(package or "", name), name, version or ANY_VERSION)
        if scope not in scopes:
            scopes.append(scope)
    if not scopes:
        return [], [
            f"the statement is about {index.product.name} as a whole, and no component of "
            f"{_releases_text(releases, index)} has this vulnerability; a statement is stored "
            "per component, so there is nothing to store"
        ]
    return scopes, []


def _releases_text(releases: list[int], index: _ProductIndex) -> str:
    names = [v for i, v in index.releases if i in releases]
    if not names:
        return "any release (none matches the versions stated)"
    return "release " + ", ".join(names)


def _component_scopes(
    product: VexProduct, status: VexStatus, index: _ProductIndex
) -> tuple[list[_Scope], list[str]]:
    """Scopes of a statement about one component (module docstring)."""
    version = product.version
    purl: PackageURL | None = None
    if product.purl:
        try:
            purl = parse_purl(product.purl)
        except IdentifierError as exc:
            return [], [f"the product's purl cannot be read: {exc}"]
    if purl is not None:
        key, name = purl_without_version(purl), purl.name
        version = purl.version or version
    elif product.cpe and (named := index.named_by_cpe(product.cpe)) is not None:
        key, name = named
    elif product.name:
        key, name = product.name, product.name
    else:
        return [], [
            "the product has no purl, CPE of a component of this product, or name to tell "
            "which component it is"
        ]
    if version:
        return [_Scope(key, name, version)], []
    if not product.versions:
        return [_Scope(key, name, ANY_VERSION)], []
    scopes: list[_Scope] = []
    problems: list[str] = []
    for spec in product.versions:
        if not status_agrees(spec, status):
            listed = f"version {spec.version}" if spec.version else f"range {spec.range}"
            problems.append(
                f"{listed} is listed as {spec.status}, which contradicts a {status.value} "
                "statement: not stored for it"
            )
        elif spec.version:
            scopes.append(_Scope(key, name, spec.version))
        else:
            try:
                scopes.append(_Scope(key, name, scope_range(spec.range, key=key, documents=True)))
            except VexRangeError as exc:
                problems.append(f"{exc}: not stored")
    return list(dict.fromkeys(scopes)), problems


# --- export ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VexExport:
    """An exported VEX document."""

    content: bytes
    media_type: str
    file_name: str


def vex_export(
    *,
    product: Product,
    format: str,
    release: Release | None = None,
    include_unstated: bool = False,
) -> VexExport:
    """Return the active statements of ``product`` (or those applied to ``release``'s active
    findings, plus, with ``include_unstated``, its unstated active findings as under
    investigation) as a VEX document in ``format`` (:data:`EXPORT_FORMATS`).

    Raise VexError when the format cannot say what the statements say (CSAF needs at least one
    statement).
    """
    if format not in EXPORT_FORMATS:
        raise InputError(
            f"unknown VEX format {format!r} (expected one of {', '.join(EXPORT_FORMATS)})"
        )
    if release is not None and release.product_id != product.pk:
        raise InputError(f"release {release.pk} is not a release of {product.name}")
    statements = (
        _release_statements(release, format, include_unstated)
        if release is not None
        else _product_statements(product, format)
    )
    stamps = [s.timestamp for s in statements if s.timestamp is not None]
    latest = max(stamps) if stamps else timezone.now().replace(microsecond=0)
    # the same statements give the same document id
    seed = f"vulndesk|{product.pk}|{release.pk if release else ''}|{statements!r}"
    doc = VexDocument(
        # own refs for the formats whose product refs are ours to choose (codec docstrings)
        format=format if format in ("openvex", "cyclonedx") else "vulndesk",
        id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}",
        author=product.organisation.name,
        timestamp=latest,
        statements=tuple(statements),
    )
    if format == "openvex":
        body = openvex_document(doc)
    elif format == "cyclonedx":
        serial, version = _bom_of(release) if release is not None else (None, 1)
        body = cyclonedx_vex_document(doc, bom_serial=serial, bom_version=version)
    else:
        body = csaf_vex_document(
            doc,
            publisher_name=product.organisation.name,
            publisher_namespace=settings.CSAF_PUBLISHER_NAMESPACE,
        )
    media_type, suffix = EXPORT_FORMATS[format]
    slug = product.name if release is None else f"{product.name}-{release.version}"
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", slug).strip("-") or "product"
    return VexExport(
        orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n", media_type, f"{safe}.vex.{suffix}"
    )


def _bom_of(release: Release) -> tuple[str | None, int]:
    """Return the serial number and version of the release's current CycloneDX SBOM, if any."""
    document = (
        SbomDocument.objects.filter(release=release, status=SbomStatus.ANALYSED)
        .order_by("-uploaded_at", "-id")
        .first()
    )
    if document is None or not document.format.startswith("CycloneDX"):
        return None, 1
    content = bytes(document.content)
    try:
        sbom = read_sbom(content, source=document.file_name)
    except InputError:
        return None, 1
    if not sbom.serial_number or not sbom.serial_number.startswith("urn:uuid:"):
        return None, 1
    return sbom.serial_number, bom_version(content)


def _core_statement(statement: VexStatement, products: Iterable[VexProduct]) -> CoreStatement:
    return CoreStatement(
        vulnerability=statement.vulnerability_id,
        status=VexStatus(statement.state),
        products=tuple(products),
        aliases=tuple(a for a in statement.aliases if a != statement.vulnerability_id),
        justification=statement.justification or None,
        impact_statement=statement.impact_statement,
        action_statement=statement.action_statement,
        responses=tuple(statement.responses),
        detail=statement.detail,
        timestamp=statement.created_at,
    )


def _scope_product(key: str, version: str) -> VexProduct:
    """Return the VEX product of a statement scope: the purl (with the version unless any, or
    without version and limited to the range of a range scope)."""
    ranged = is_vers_range(version)
    versions = (VexVersion(range=version),) if ranged else ()
    if key.startswith("pkg:"):
        try:
            purl = parse_purl(key)
        except IdentifierError:
            purl = None
        if purl is not None:
            if version != ANY_VERSION and not ranged:
                purl = purl._replace(version=version)
            text = purl.to_string()
            return VexProduct(ref=text, purl=text, name=purl.name, versions=versions)
    if version == ANY_VERSION or ranged:
        return VexProduct(ref=key, name=key, versions=versions)
    return VexProduct(ref=f"{key}@{version}", name=key, version=version)


def _product_statements(product: Product, format: str) -> list[CoreStatement]:
    rows = VexStatement.objects.filter(product=product, superseded_at__isnull=True).order_by(
        "created_at", "id"
    )
    out = []
    shipped = _ShippedVersions(product)
    for s in rows:
        if format == "openvex" and is_vers_range(s.component_version):
            # OpenVEX has no ranges: the versions shipped that the range covers (module docstring)
            covered = [
                v for v in shipped.of(s.component_key) if version_covered(s.component_version, v)
            ]
            if covered:
                out.append(
                    _core_statement(s, [_scope_product(s.component_key, v) for v in covered])
                )
            continue
        out.append(_core_statement(s, [_scope_product(s.component_key, s.component_version)]))
    return out


class _ShippedVersions:
    """The versions of each component found in a product's releases, read once per component."""

    def __init__(self, product: Product) -> None:
        self.product = product
        self._versions: dict[str, list[str]] = {}

    def of(self, key: str) -> list[str]:
        """Return the versions of component ``key`` in the product's releases, in order."""
        if key not in self._versions:
            rows = Component.objects.filter(release__product=self.product, active=True).filter(
                Q(identity__package=key) | Q(identity__package="", name=key)
            )
            self._versions[key] = sorted(set(rows.values_list("version", flat=True)) - {""})
        return self._versions[key]


def _release_product(format: str, bom_ref: str, purl: str, name: str, version: str) -> VexProduct:
    if format == "cyclonedx":
        # the component's bom-ref: a BOM-Link into the release's SBOM names it
        return VexProduct(ref=bom_ref, purl=purl or None, name=name, version=version)
    ref = purl or (f"{name}@{version}" if version else name)
    return VexProduct(ref=ref, purl=purl or None, name=name, version=version)


def _release_statements(
    release: Release, format: str, include_unstated: bool
) -> list[CoreStatement]:
    rows = (
        Finding.objects.filter(release=release, status=FindingStatus.ACTIVE)
        .order_by("vulnerability_id", "component_name", "id")
        .values_list(
            "vex_statement_id",
            "vulnerability_id",
            "aliases",
            "component__ref",
            "purl",
            "component_name",
            "component_version",
        )
    )
    stated: dict[int, list[VexProduct]] = {}
    unstated: dict[str, tuple[list[str], list[VexProduct]]] = {}
    for statement_id, vulnerability_id, aliases, ref, purl, name, version in rows:
        product = _release_product(format, ref, purl, name, version)
        if statement_id is not None:
            products = stated.setdefault(statement_id, [])
        elif include_unstated:
            products = unstated.setdefault(vulnerability_id, (aliases, []))[1]
        else:
            continue
        if product not in products:
            products.append(product)
    statements = VexStatement.objects.filter(id__in=list(stated)).order_by("created_at", "id")
    out = [_core_statement(s, stated[s.pk]) for s in statements]
    for vulnerability_id, (aliases, products) in unstated.items():
        out.append(
            CoreStatement(
                vulnerability=vulnerability_id,
                status=VexStatus.UNDER_INVESTIGATION,
                products=tuple(products),
                aliases=tuple(a for a in aliases if a != vulnerability_id),
            )
        )
    return out

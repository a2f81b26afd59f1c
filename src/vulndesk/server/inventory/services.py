"""Writing the inventory: products, grants, releases, SBOM uploads and their analysis.

Every function is a service in the styleguide's sense: keyword-only, one transaction, one audit
row per state change. Uploading an SBOM reads it at once (a bad file is refused with the reader's
message and nothing is stored), keeps it verbatim, and enqueues its analysis; the analysis
(:func:`sbom_analyse`, run by a worker) stores the components and matches them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vulndesk.core.errors import InputError
from vulndesk.core.sbom.model import Component as SbomComponent
from vulndesk.core.sbom.model import Sbom
from vulndesk.core.sbom.reader import read_sbom
from vulndesk.server.accounts.models import Organisation, Team
from vulndesk.server.accounts.services import organisation_default
from vulndesk.server.audit.services import audit_record
from vulndesk.server.inventory.identities import identities_for
from vulndesk.server.inventory.models import (
    Component,
    Product,
    ProductGrant,
    Release,
    Role,
    SbomDocument,
    SbomStatus,
    Tag,
)

PRODUCT_FIELDS = (
    "name", "description", "exposure", "mission_impact", "safety_impact", "value_density",
    "perspective", "eu_market",
)  # fmt: skip
#: the fields prioritisation reads (triage.prioritisation): changing one recomputes priorities
_ASSET_CONTEXT = ("exposure", "mission_impact", "safety_impact", "value_density", "perspective")


class AlreadyExists(InputError):
    """A product name or release version is taken already (the API answers 409)."""


class SbomTooLarge(InputError):
    """An uploaded SBOM is larger than ``settings.SBOM_UPLOAD_MAX_BYTES``."""


@transaction.atomic
def product_create(
    *,
    name: str,
    acting_user: Any,
    team: Team | None = None,
    organisation: Organisation | None = None,
    parent: Product | None = None,
    owner: Any = None,
    tags: Iterable[str] = (),
    **context: Any,
) -> Product:
    """Create a product and return it; ``team`` (if given) becomes its owner team.

    ``context`` takes the fields of PRODUCT_FIELDS other than name (description, exposure...).
    """
    unknown = set(context) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {', '.join(sorted(unknown))}")
    organisation = organisation or (team.organisation if team else organisation_default())
    _check_name_free(organisation, name)
    product = Product.objects.create(
        organisation=organisation, name=name, parent=parent, owner=owner, **context
    )
    _set_tags(product, tags)
    if team is not None:
        ProductGrant.objects.create(product=product, team=team, role=Role.OWNER)
    audit_record(
        action="product.create",
        object_type="product",
        object_id=str(product.pk),
        data={"name": name, "team": team.name if team else None, "tags": sorted(tags)},
        acting_user=acting_user,
    )
    return product


@transaction.atomic
def product_update(
    *,
    product: Product,
    acting_user: Any,
    tags: Iterable[str] | None = None,
    parent: Product | type[Ellipsis] | None = ...,  # type: ignore[valid-type]
    owner: Any = ...,
    **changes: Any,
) -> Product:
    """Change a product's fields (PRODUCT_FIELDS), tags, parent or owner; return it."""
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {', '.join(sorted(unknown))}")
    if "name" in changes and changes["name"] != product.name:
        _check_name_free(product.organisation, changes["name"])
    before = {f: getattr(product, f) for f in changes}
    for f, value in changes.items():
        setattr(product, f, value)
    if parent is not ...:
        if parent is not None and _is_descendant(parent, product):
            raise InputError(f"{parent.name} is part of {product.name}: it cannot be its parent")
        product.parent = parent  # type: ignore[assignment]
        changes["parent"] = parent.pk if parent is not None else None
    if owner is not ...:
        product.owner = owner
        changes["owner"] = owner.get_username() if owner is not None else None
    product.save()
    if any(before[f] != changes[f] for f in _ASSET_CONTEXT if f in changes):
        # the SSVC outcome of every finding depends on the asset context
        from vulndesk.server.findings.models import Finding
        from vulndesk.server.triage.prioritisation import priorities_refresh

        priorities_refresh(Finding.objects.filter(product=product))
    if tags is not None:
        _set_tags(product, tags)
        changes["tags"] = sorted(tags)
    audit_record(
        action="product.update",
        object_type="product",
        object_id=str(product.pk),
        data={
            "changes": {k: str(v) for k, v in changes.items()},
            "before": {k: str(v) for k, v in before.items()},
        },
        acting_user=acting_user,
    )
    return product


def _check_name_free(organisation: Organisation, name: str) -> None:
    if Product.objects.filter(organisation=organisation, name=name).exists():
        raise AlreadyExists(f"{organisation.name} already has a product named {name!r}")


def _is_descendant(candidate: Product, product: Product) -> bool:
    """Return whether ``candidate`` is ``product`` or below it in the hierarchy."""
    node: Product | None = candidate
    seen: set[int] = set()
    while node is not None and node.pk not in seen:
        if node.pk == product.pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


def _set_tags(product: Product, names: Iterable[str]) -> None:
    tags = []
    for name in sorted({n.strip() for n in names if n.strip()}):
        tag, _ = Tag.objects.get_or_create(organisation=product.organisation, name=name)
        tags.append(tag)
    product.tags.set(tags)


@transaction.atomic
def product_delete(*, product: Product, acting_user: Any) -> None:
    """Delete a product with its releases, SBOMs, components and findings."""
    audit_record(
        action="product.delete",
        object_type="product",
        object_id=str(product.pk),
        data={"name": product.name},
        acting_user=acting_user,
    )
    product.delete()


@transaction.atomic
def product_grant(*, product: Product, team: Team, role: Role | None, acting_user: Any) -> None:
    """Give ``team`` ``role`` on ``product``; ``None`` takes its access away.

    The last owner grant cannot be taken away or lowered (a superuser could still manage the
    product, but its team would be locked out of managing it).
    """
    owners = ProductGrant.objects.filter(product=product, role=Role.OWNER)
    if role != Role.OWNER and list(owners.values_list("team_id", flat=True)) == [team.pk]:
        raise InputError(f"{team.name} is the last owner of {product.name}: grant another first")
    if role is None:
        ProductGrant.objects.filter(product=product, team=team).delete()
    else:
        ProductGrant.objects.update_or_create(product=product, team=team, defaults={"role": role})
    audit_record(
        action="product.grant",
        object_type="product",
        object_id=str(product.pk),
        data={"team": team.name, "role": role.value if role else None},
        acting_user=acting_user,
    )


@transaction.atomic
def release_create(
    *,
    product: Product,
    version: str,
    acting_user: Any,
    description: str = "",
    released_at: date | None = None,
) -> Release:
    """Create a release (version) of ``product`` and return it."""
    version = version.strip()
    if not version:
        raise InputError("a release needs a version")
    if Release.objects.filter(product=product, version=version).exists():
        raise AlreadyExists(f"{product.name} already has a release {version!r}")
    release = Release.objects.create(
        product=product, version=version, description=description, released_at=released_at
    )
    audit_record(
        action="release.create",
        object_type="release",
        object_id=str(release.pk),
        data={"product": product.name, "version": version},
        acting_user=acting_user,
    )
    return release


@transaction.atomic
def release_create_with_sbom(
    *,
    product: Product,
    version: str,
    file_name: str,
    content: bytes,
    acting_user: Any,
    description: str = "",
    released_at: date | None = None,
) -> tuple[Release, SbomDocument]:
    """Create a release of ``product`` with its first SBOM and return both, or store neither.

    A taken version raises AlreadyExists before the SBOM is read; an SBOM that cannot be read
    raises InputError (as :func:`sbom_upload`) and the release is not created either.
    """
    release = release_create(
        product=product,
        version=version,
        description=description,
        released_at=released_at,
        acting_user=acting_user,
    )
    document = sbom_upload(
        release=release, file_name=file_name, content=content, acting_user=acting_user
    )
    return release, document


@transaction.atomic
def release_delete(*, release: Release, acting_user: Any) -> None:
    """Delete a release with its SBOMs, components and findings."""
    audit_record(
        action="release.delete",
        object_type="release",
        object_id=str(release.pk),
        data={"product": release.product.name, "version": release.version},
        acting_user=acting_user,
    )
    release.delete()


def sbom_check(*, content: bytes, file_name: str) -> Sbom:
    """Return the SBOM ``content`` holds; raise InputError (SbomError) saying what is wrong."""
    limit = settings.SBOM_UPLOAD_MAX_BYTES
    if len(content) > limit:
        raise SbomTooLarge(
            f"{file_name}: {len(content):,} bytes is more than the {limit:,} an SBOM may have"
        )
    return read_sbom(content, source=file_name)


@transaction.atomic
def sbom_upload(
    *, release: Release, file_name: str, content: bytes, acting_user: Any
) -> SbomDocument:
    """Store an SBOM for ``release`` verbatim and enqueue its analysis; return the stored SBOM.

    The SBOM is read first: one that cannot be read raises InputError and nothing is stored.
    """
    sbom = sbom_check(content=content, file_name=file_name)
    document = SbomDocument.objects.create(
        release=release,
        file_name=file_name[:255],
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        format=f"{sbom.format} {sbom.encoding}",
        spec_version=sbom.spec_version,
        uploaded_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
        component_count=len(sbom.components),
    )
    audit_record(
        action="sbom.upload",
        object_type="sbom",
        object_id=str(document.pk),
        data={
            "release": release.pk,
            "file_name": document.file_name,
            "sha256": document.sha256,
            "size": document.size,
        },
        acting_user=acting_user,
    )
    from vulndesk.server.inventory.tasks import analyse_sbom
    from vulndesk.server.jobs.models import JobKind
    from vulndesk.server.jobs.services import job_enqueue

    document.analysis_job = job_enqueue(
        task=analyse_sbom,
        kind=JobKind.SBOM_ANALYSIS,
        label=f"{release} ← {document.file_name}",
        product=release.product,
        acting_user=acting_user,
        sbom_id=document.pk,
    )
    document.save(update_fields=["analysis_job"])
    return document


@dataclass(frozen=True, slots=True)
class AnalysisOutcome:
    """What analysing one SBOM did."""

    sbom_id: int
    components: int
    new_findings: int
    resolved_findings: int
    error: str = ""


def sbom_analyse(*, sbom_id: int, job_id: int | None = None) -> AnalysisOutcome:
    """Read a stored SBOM, make its components the release's current ones, and match them.

    A release keeps one row per component identity across SBOM versions, so a finding that was
    there before the new SBOM keeps its first-seen time; components the new SBOM no longer lists
    become inactive and their findings resolved. An SBOM that cannot be read is marked failed
    with the reader's message (it was read at upload, so this only happens after an upgrade
    changed a reader).
    """
    from vulndesk.server.findings.services import findings_match

    document = SbomDocument.objects.select_related("release").get(pk=sbom_id)
    try:
        sbom = read_sbom(bytes(document.content), source=document.file_name)
    except InputError as exc:
        with transaction.atomic():
            SbomDocument.objects.filter(pk=sbom_id).update(status=SbomStatus.FAILED, error=str(exc))
            audit_record(
                action="sbom.analysis_failed",
                object_type="sbom",
                object_id=str(sbom_id),
                data={"error": str(exc)},
                actor_label="worker",
            )
        return AnalysisOutcome(sbom_id, 0, 0, 0, error=str(exc))

    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=document.release_id)
        identity_ids = _components_replace(release, document, sbom)
        run = findings_match(identity_ids=identity_ids, release_id=release.pk, job_id=job_id)
        SbomDocument.objects.filter(release=release, status=SbomStatus.ANALYSED).exclude(
            pk=sbom_id
        ).update(status=SbomStatus.SUPERSEDED)
        SbomDocument.objects.filter(pk=sbom_id).update(
            status=SbomStatus.ANALYSED, error="", component_count=len(sbom.components)
        )
        now = timezone.now()
        Release.objects.filter(pk=release.pk).update(
            component_count=len(set(identity_ids)), analysed_at=now
        )
        audit_record(
            action="sbom.analyse",
            object_type="sbom",
            object_id=str(sbom_id),
            data={
                "release": release.pk,
                "components": len(sbom.components),
                "new_findings": len(run.new_finding_ids),
                "resolved_findings": run.resolved,
            },
            actor_label="worker",
        )
    return AnalysisOutcome(sbom_id, len(sbom.components), len(run.new_finding_ids), run.resolved)


def _components_replace(release: Release, document: SbomDocument, sbom: Sbom) -> list[int]:
    """Make the components of ``sbom`` the active ones of ``release``; return their identity ids.

    Components no longer listed are deactivated and their active findings resolved.
    """
    from vulndesk.server.findings.services import findings_resolve_for_components

    direct = sbom.direct_refs()
    by_identity: dict[int, tuple[SbomComponent, bool]] = {}
    identities = identities_for(sbom.components)
    for component, identity_id in zip(sbom.components, identities, strict=True):
        earlier = by_identity.get(identity_id)
        is_direct = component.ref in direct or (earlier is not None and earlier[1])
        # the first listing names it; a later one only adds "direct"
        by_identity[identity_id] = ((earlier or (component, False))[0], is_direct)

    existing = dict(Component.objects.filter(release=release).values_list("identity_id", "id"))
    gone = [cid for iid, cid in existing.items() if iid not in by_identity]
    if gone:
        Component.objects.filter(id__in=gone).update(active=False)
        findings_resolve_for_components(component_ids=gone)
    kept = [
        Component(
            id=existing[iid],
            release=release,
            sbom=document,
            identity_id=iid,
            **_component_fields(component, is_direct),
        )
        for iid, (component, is_direct) in by_identity.items()
        if iid in existing
    ]
    if kept:
        Component.objects.bulk_update(
            kept,
            ["sbom", "ref", "name", "version", "purl", "direct", "licenses", "active"],
            batch_size=500,
        )
    Component.objects.bulk_create(
        [
            Component(
                release=release,
                sbom=document,
                identity_id=iid,
                **_component_fields(component, is_direct),
            )
            for iid, (component, is_direct) in by_identity.items()
            if iid not in existing
        ],
        batch_size=1000,
    )
    return sorted(by_identity)


def _component_fields(component: SbomComponent, direct: bool) -> dict[str, Any]:
    return {
        "ref": component.ref[:1000],
        "name": component.name[:500],
        "version": (component.version or "")[:200],
        "purl": (component.purl or "")[:1000],
        "direct": direct,
        "licenses": list(component.licenses),
        "active": True,
    }

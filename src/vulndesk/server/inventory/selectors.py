"""Reading the inventory: products, releases, SBOMs and "where is this component used?"

Every function takes the requesting ``user`` and returns only what they may see, filtered in SQL
(accounts.permissions); a missing or hidden object is None, which callers answer with 404.
"""

from __future__ import annotations

from types import EllipsisType
from typing import Any

from django.db.models import Count, Q, QuerySet

from vulndesk.server.accounts.permissions import restrict_to_visible, visible_products
from vulndesk.server.findings.models import FindingStatus
from vulndesk.server.inventory.models import (
    Component,
    ComponentIdentity,
    Product,
    Release,
    SbomDocument,
)


def product_list(*, user: Any, q: str = "", tag: str = "") -> QuerySet[Product]:
    """Return the products ``user`` may see, by name, with ``release_count`` and
    ``active_findings`` annotated; ``q`` matches a name substring, ``tag`` a tag name."""
    products = visible_products(user)
    if q:
        products = products.filter(name__icontains=q.strip())
    if tag:
        products = products.filter(tags__name=tag)
    return (
        products.annotate(
            release_count=Count("releases", distinct=True),
            active_findings=Count(
                "findings", filter=Q(findings__status=FindingStatus.ACTIVE), distinct=True
            ),
        )
        .prefetch_related("tags")
        .order_by("name", "id")
    )


def product_get(*, user: Any, product_id: int) -> Product | None:
    """Return the product if ``user`` may see it."""
    return visible_products(user).filter(id=product_id).select_related("parent", "owner").first()


def release_list(*, user: Any, product_id: int | None = None) -> QuerySet[Release]:
    """Return the releases ``user`` may see (of one product when given), newest first, with
    ``active_findings`` annotated."""
    releases = restrict_to_visible(Release.objects.all(), user)
    if product_id is not None:
        releases = releases.filter(product_id=product_id)
    return (
        releases.annotate(
            active_findings=Count("findings", filter=Q(findings__status=FindingStatus.ACTIVE))
        )
        .select_related("product")
        .order_by("-created_at", "-id")
    )


def release_get(
    *, user: Any, release_id: int, visible: list[int] | EllipsisType | None = ...
) -> Release | None:
    """Return the release if ``user`` may see its product (``visible``: as
    :func:`~vulndesk.server.accounts.permissions.restrict_to_visible`)."""
    releases = restrict_to_visible(Release.objects.filter(id=release_id), user, visible=visible)
    return releases.select_related("product").first()


def release_components(*, release: Release, q: str = "") -> QuerySet[Component]:
    """Return the active components of ``release`` by name (``q``: name substring)."""
    components = Component.objects.filter(release=release, active=True)
    if q:
        components = components.filter(name__icontains=q.strip())
    return components.select_related("identity").order_by("name", "version", "id")


def sbom_list(*, release: Release) -> QuerySet[SbomDocument]:
    """Return the SBOMs uploaded for ``release``, newest first, without their content."""
    return (
        SbomDocument.objects.filter(release=release)
        .defer("content")
        .order_by("-uploaded_at", "-id")
    )


def sbom_get(*, user: Any, sbom_id: int) -> SbomDocument | None:
    """Return the SBOM (with content) if ``user`` may see its release's product."""
    documents = restrict_to_visible(
        SbomDocument.objects.filter(id=sbom_id), user, field="release__product_id"
    )
    return documents.select_related("release", "release__product").first()


def component_search(*, user: Any, name: str, version: str = "") -> QuerySet[Component]:
    """Return where a component is used: active components named ``name`` (case-insensitive,
    exact, or the package part of a purl such as ``pkg:maven/org.apache.logging.log4j/log4j-core``)
    in releases ``user`` may see, ``version`` a prefix of their version ("2.14" finds 2.14.1)."""
    # Through the identities (one per distinct purl@version, far fewer rows than components),
    # then the components by their indexed identity: no scan of every component row.
    name = name.strip()
    if name.startswith("pkg:"):
        identities = ComponentIdentity.objects.filter(package=name)
    else:
        identities = ComponentIdentity.objects.filter(name__iexact=name)
    if version:
        identities = identities.filter(version__startswith=version.strip())
    components = Component.objects.filter(identity__in=identities, active=True)
    components = restrict_to_visible(components, user, field="release__product_id")
    return components.select_related("release", "release__product", "identity").order_by(
        "release__product__name", "release__version", "id"
    )

"""Who may see and change which product: roles come from the teams a user is in.

A user outside every team granted on a product must not learn it exists: pages, API routes,
search results and exports answer 404 for it (:func:`product_for`), and every list is filtered in
SQL by :func:`visible_product_ids`. A user who may see a product but lacks the role for a change
gets 403. Superusers hold the owner role on everything.
"""

from __future__ import annotations

from types import EllipsisType
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from vulndesk.server.accounts.models import Team
from vulndesk.server.inventory.models import ROLE_RANK, Product, ProductGrant, Role


def visible_product_ids(user: Any) -> list[int] | None:
    """Return the ids of the products ``user`` may see, or None when that is all of them
    (superusers, and users whose teams are granted every product).

    A list of ids rather than a subquery: PostgreSQL estimates a join through grants, teams and
    members at a few dozen products whatever the truth, and then sorts every finding of them
    instead of walking the findings index in list order (7.8 ms instead of 0.4 ms for the default
    findings list, 195 ms instead of 0.4 ms for critical only, measured on the bench portfolio:
    bench/README.md).

    Every API request asks this, so the usual answers cost one small query: how many products
    the user's teams are granted and how many exist. Only a user who sees some but not all
    products pays for a second query that reads the list. Nothing is cached between requests,
    so a revoked grant takes effect on the next one.
    """
    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return None
    granted, products = _grant_counts(user.pk)
    if granted == 0:
        return []
    if granted == products:
        return None
    grants = ProductGrant.objects.filter(team__members=user)
    return sorted(set(grants.values_list("product_id", flat=True)))


def _grant_counts(user_id: int) -> tuple[int, int]:
    """Return how many distinct products ``user_id``'s teams are granted, and how many exist:
    one statement, written out because the ORM cannot put a scalar subquery beside an
    aggregate."""
    members = Team.members.through._meta.db_table
    sql = (
        f"SELECT COUNT(DISTINCT g.product_id), (SELECT COUNT(*) FROM {Product._meta.db_table}) "
        f"FROM {ProductGrant._meta.db_table} g JOIN {members} m ON m.team_id = g.team_id "
        "WHERE m.user_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        granted, products = cursor.fetchone()
    return int(granted), int(products)


def visible_products(user: Any) -> QuerySet[Product]:
    """Return the products ``user`` may see."""
    ids = visible_product_ids(user)
    products = Product.objects.all()
    return products if ids is None else products.filter(id__in=ids)


def restrict_to_visible(
    queryset: QuerySet[Any],
    user: Any,
    field: str = "product_id",
    *,
    visible: list[int] | EllipsisType | None = ...,
) -> QuerySet[Any]:
    """Return ``queryset`` limited to rows whose ``field`` names a product ``user`` may see.

    ``visible`` is :func:`visible_product_ids` of ``user`` when the caller has it already (one
    request asking twice need not read it twice); left out, it is read here.
    """
    ids = visible_product_ids(user) if visible is ... else visible
    return queryset if ids is None else queryset.filter(**{f"{field}__in": ids})


def product_role(user: Any, product: Product) -> Role | None:
    """Return ``user``'s highest role on ``product``, or None when they may not see it."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.OWNER
    roles = ProductGrant.objects.filter(product=product, team__members=user).values_list(
        "role", flat=True
    )
    best = max(roles, key=lambda r: ROLE_RANK[Role(r)], default=None)
    return Role(best) if best is not None else None


def has_role(user: Any, product: Product, role: Role) -> bool:
    """Return whether ``user`` holds ``role`` (or a higher one) on ``product``."""
    held = product_role(user, product)
    return held is not None and ROLE_RANK[held] >= ROLE_RANK[role]


def product_for(user: Any, product_id: int, role: Role = Role.VIEWER) -> Product:
    """Return the product for a request: 404 when ``user`` may not see it (or it does not exist),
    403 when they may see it but lack ``role``."""
    product = Product.objects.filter(id=product_id).first()
    if product is None:
        raise Http404("no such product")
    held = product_role(user, product)
    if held is None:
        raise Http404("no such product")
    if ROLE_RANK[held] < ROLE_RANK[role]:
        raise PermissionDenied(f"this needs the {role.label} role on {product.name}")
    return product

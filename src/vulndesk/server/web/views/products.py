"""Product pages: the list, creating and editing a product, granting teams a role on it, and
adding a release (optionally with its first SBOM).

A product the user may not see is a 404 everywhere (``accounts.permissions.product_for``); one they
may see but not change is a 403.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vulndesk.core.errors import InputError
from vulndesk.server.accounts.permissions import product_for
from vulndesk.server.inventory.models import Role
from vulndesk.server.inventory.selectors import product_list as select_products
from vulndesk.server.inventory.services import (
    AlreadyExists,
    release_create_with_sbom,
)
from vulndesk.server.inventory.services import (
    product_create as create_product,
)
from vulndesk.server.inventory.services import (
    product_grant as grant_product,
)
from vulndesk.server.inventory.services import (
    product_update as update_product,
)
from vulndesk.server.inventory.services import release_create as create_release
from vulndesk.server.web import selectors
from vulndesk.server.web.collation import sorted_by_name
from vulndesk.server.web.forms.products import GrantForm, ProductForm, ProductListForm, ReleaseForm
from vulndesk.server.web.forms.sboms import SbomFileForm
from vulndesk.server.web.htmx import vary_on_htmx, wants_fragment
from vulndesk.server.web.uploads import UploadSizeLimit, upload_limited

CONTEXT_FIELDS = (
    "description", "exposure", "mission_impact", "safety_impact", "value_density", "perspective",
    "eu_market",
)  # fmt: skip


@login_required
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    """List the products the user may see, filtered by a name search and a tag."""
    form = ProductListForm(request.GET)
    valid = form.is_valid()
    q = form.cleaned_data.get("q", "") if valid else ""
    tag = form.cleaned_data.get("tag", "") if valid else ""
    products = sorted_by_name(select_products(user=request.user, q=q, tag=tag), lambda p: p.name)
    context: dict[str, Any] = {"form": form, "products": products, "q": q, "tag": tag}
    if wants_fragment(request):
        return vary_on_htmx(render(request, "web/products/list.html#results", context))
    context["tags"] = selectors.tag_choices(user=request.user)
    context["can_create"] = bool(selectors.team_choices(user=request.user))
    return vary_on_htmx(render(request, "web/products/list.html", context))


def _name_taken(form: ProductForm) -> None:
    form.add_error("name", _("A product with this name already exists."))


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    """Create a product owned by one of the user's teams (any team, for superusers)."""
    teams = selectors.team_choices(user=request.user)
    if not teams:
        raise PermissionDenied("creating a product needs a team to own it")
    parents = selectors.parent_choices(user=request.user)
    form = ProductForm(request.POST or None, parents=parents, teams=teams)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parent = product_for(request.user, data["parent"]) if data["parent"] else None
        try:
            product = create_product(
                name=data["name"],
                team=data["team"],
                parent=parent,
                owner=request.user,
                tags=data["tags"],
                acting_user=request.user,
                **{f: data[f] for f in CONTEXT_FIELDS},
            )
        except (InputError, IntegrityError):  # the name is taken (checked, and a race)
            _name_taken(form)
        else:
            messages.success(request, _("Product %(name)s created.") % {"name": product.name})
            return redirect("web:product-detail", product_id=product.pk)
    return render(
        request, "web/products/form.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_GET
def product_detail(request: HttpRequest, product_id: int) -> HttpResponse:
    """Show a product: its asset context, releases, findings by severity, sub-products, grants."""
    page = selectors.product_page(user=request.user, product_id=product_id)
    if page is None:
        raise Http404("no such product")
    context: dict[str, Any] = {
        "page": page,
        "product": page.product,
        "can_edit": page.role in (Role.EDITOR, Role.OWNER),
        "can_grant": page.role == Role.OWNER,
        "max_bytes": settings.SBOM_UPLOAD_MAX_BYTES,
    }
    if context["can_edit"]:
        context["release_form"] = ReleaseForm()
        context["sbom_form"] = SbomFileForm(max_bytes=settings.SBOM_UPLOAD_MAX_BYTES)
    if context["can_grant"]:
        context["grant_form"] = GrantForm(teams=selectors.grantable_teams(product=page.product))
    return render(request, "web/products/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, product_id: int) -> HttpResponse:
    """Change a product's name, description, asset context, tags, parent and owner (editors)."""
    product = product_for(request.user, product_id, Role.EDITOR)
    tags = sorted(product.tags.values_list("name", flat=True))
    initial = {
        **model_to_dict(product, fields=["name", *CONTEXT_FIELDS]),
        "tags": ", ".join(tags),
        "parent": product.parent_id,
        "owner": product.owner_id,
    }
    form = ProductForm(
        request.POST or None,
        initial=initial,
        parents=selectors.parent_choices(user=request.user, product=product),
        owners=selectors.owner_choices(product=product),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # only what changed, so the audit row says what was done
        changes: dict[str, Any] = {
            f: data[f] for f in ("name", *CONTEXT_FIELDS) if data[f] != initial[f]
        }
        if data["tags"] != tags:
            changes["tags"] = data["tags"]
        if data["parent"] != product.parent_id:
            changes["parent"] = (
                product_for(request.user, data["parent"]) if data["parent"] else None
            )
        if data["owner"] != product.owner_id:
            owner = data["owner"]
            changes["owner"] = get_user_model().objects.get(pk=owner) if owner else None
        try:
            if changes:
                update_product(product=product, acting_user=request.user, **changes)
        except IntegrityError:
            _name_taken(form)
        except InputError:  # a name another product has, or a parent inside the product
            if "name" in changes and selectors.product_name_taken(
                product=product, name=changes["name"]
            ):
                _name_taken(form)
            else:
                form.add_error(
                    "parent",
                    _("%(parent)s is part of this product: it cannot be its parent.")
                    % {"parent": changes["parent"].name},
                )
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:product-detail", product_id=product.pk)
    return render(
        request,
        "web/products/form.html",
        {"form": form, "product": product},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def product_grant(request: HttpRequest, product_id: int) -> HttpResponse:
    """Give a team a role on the product, or take its access away (owners)."""
    product = product_for(request.user, product_id, Role.OWNER)
    form = GrantForm(request.POST, teams=selectors.grantable_teams(product=product))
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    else:
        team, role = form.cleaned_data["team"], form.cleaned_data["role"]
        try:
            grant_product(product=product, team=team, role=role, acting_user=request.user)
        except InputError:  # the service keeps the last owner team
            messages.error(
                request,
                _("%(team)s is the last owner team: make another team an owner first.")
                % {"team": team.name},
            )
        else:
            messages.success(request, _("Access of %(team)s updated.") % {"team": team.name})
    return redirect(reverse("web:product-detail", args=[product.pk]) + "#access")


@login_required
@require_http_methods(["POST"])
@upload_limited
def release_create(request: HttpRequest, product_id: int, limit: UploadSizeLimit) -> HttpResponse:
    """Add a release to the product (editors); with an SBOM file, upload it too and show its
    analysis. An unreadable SBOM stores nothing, the release included."""
    product = product_for(request.user, product_id, Role.EDITOR)
    max_bytes = settings.SBOM_UPLOAD_MAX_BYTES
    form = ReleaseForm(request.POST)
    with_sbom = "sbom" in request.FILES or limit.exceeded
    sbom_form = SbomFileForm(
        request.POST, request.FILES, max_bytes=max_bytes, stopped=limit.exceeded
    )
    if form.is_valid() and (not with_sbom or sbom_form.is_valid()):
        data = form.cleaned_data
        fields = {
            "product": product,
            "version": data["version"],
            "description": data["description"],
            "released_at": data["released_at"],
            "acting_user": request.user,
        }
        try:
            if with_sbom:
                file_name, content = sbom_form.content()
                release, _document = release_create_with_sbom(
                    **fields, file_name=file_name, content=content
                )
            else:
                release = create_release(**fields)
        except AlreadyExists:
            form.add_error("version", _("This product already has a release of this version."))
        except InputError as exc:
            sbom_form.refuse(exc)
        else:
            messages.success(
                request, _("Release %(version)s created.") % {"version": release.version}
            )
            url = reverse("web:release-detail", args=[release.pk])
            return redirect(url + ("#analysis" if with_sbom else ""))
    page = selectors.product_page(user=request.user, product_id=product.pk)
    status = 413 if sbom_form.has_error("sbom", "too_large") else 400
    context = {
        "page": page,
        "product": product,
        "can_edit": True,
        "can_grant": page is not None and page.role == Role.OWNER,
        "release_form": form,
        "sbom_form": sbom_form if with_sbom else SbomFileForm(max_bytes=max_bytes),
        "max_bytes": max_bytes,
        "release_form_open": True,
    }
    if context["can_grant"]:
        context["grant_form"] = GrantForm(teams=selectors.grantable_teams(product=product))
    return render(request, "web/products/detail.html", context, status=status)

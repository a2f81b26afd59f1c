"""Web pages of VEX triage: the finding page's VEX section and its form, bulk triage from the
findings list, and a product's VEX import and export.

Every write needs the editor role on the product (a product the user may not see is a 404); the
views validate, call one service of ``triage.vex`` / ``triage.vex_documents`` and render.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from vulndesk.core.errors import InputError
from vulndesk.core.vex.ranges import VexRangeError
from vulndesk.server.accounts.permissions import has_role, product_for
from vulndesk.server.advisories.selectors import advisory_get
from vulndesk.server.findings.models import Finding
from vulndesk.server.findings.selectors import finding_get
from vulndesk.server.inventory.models import Release, Role
from vulndesk.server.triage.vex import StatementText, VexScope, vex_statements_record
from vulndesk.server.triage.vex_documents import vex_export, vex_import
from vulndesk.server.triage.vex_selectors import finding_vex
from vulndesk.server.web.forms.vex import (
    RESPONSE_LABELS,
    VexBulkScopeForm,
    VexExportForm,
    VexImportForm,
    VexStatementForm,
)
from vulndesk.server.web.uploads import UploadSizeLimit, upload_limited
from vulndesk.server.web.views import triage_priority


def finding_context(
    request: HttpRequest, finding: Finding, form: VexStatementForm | None = None
) -> dict[str, Any]:
    """Return what the finding page's VEX section shows (web/triage/_vex.html): the statement
    that applies, the scope's history, and the form to record one (editors)."""
    can_edit = has_role(request.user, finding.product, Role.EDITOR)
    state = finding_vex(finding=finding)
    responses = state.applied.responses if state.applied is not None else []
    return {
        "vex": state,
        "vex_responses": [RESPONSE_LABELS.get(r, r) for r in responses],
        "vex_form": (form or VexStatementForm()) if can_edit else None,
    }


@login_required
@require_POST
def finding_vex_record(request: HttpRequest, finding_id: int) -> HttpResponse:
    """Record a VEX statement for a finding's scope (editor role), then show the finding."""
    finding = finding_get(user=request.user, finding_id=finding_id)
    if finding is None:
        raise Http404("no such finding")
    product_for(request.user, finding.product_id, Role.EDITOR)
    form = VexStatementForm(request.POST)
    if form.is_valid():
        try:
            vex_statements_record(
                findings=[finding],
                text=form.text(),
                scope=VexScope(form.cleaned_data["scope"]),
                version_range=form.cleaned_data.get("version_range") or "",
                acting_user=request.user,
                origin="web",
            )
        except VexRangeError as exc:
            form.add_error("version_range", str(exc))
        except InputError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("VEX statement recorded."))
            return redirect(reverse("web:finding-detail", args=[finding.pk]) + "#vex")
    # the finding page again, with the form and its errors (findings.finding_detail's context)
    context: dict[str, Any] = {
        "finding": finding,
        "advisories": [
            (advisory_id, advisory_get(advisory_id=advisory_id) is not None)
            for advisory_id in finding.advisory_ids
        ],
    }
    context.update(triage_priority.finding_context(request, finding))
    context.update(finding_context(request, finding, form))
    return render(request, "web/findings/detail.html", context, status=400)


def bulk_record(
    request: HttpRequest, findings: list[Finding], data: dict[str, Any], back: str
) -> HttpResponse:
    """Record one VEX statement for the scopes of the selected findings the user may edit
    (the findings list's bulk action), and say what was left out.

    Which versions it covers comes with the request (``vex_scope``: this version, every
    version, or the range ``vex_version_range``, which must hold every selected finding's
    version; :class:`VexBulkScopeForm`, rendered by web/triage/_vex_bulk_scope.html)."""
    scope_form = VexBulkScopeForm(request.POST)
    if not scope_form.is_valid():
        messages.error(
            request, " ".join(e for errors in scope_form.errors.values() for e in errors)
        )
        return redirect(back)
    allowed = {
        product
        for product in {f.product for f in findings}
        if has_role(request.user, product, Role.EDITOR)
    }
    chosen = [f for f in findings if f.product in allowed]
    refused = Counter(f.product_id for f in findings if f.product not in allowed)
    if chosen:
        text = StatementText(
            state=data["vex_state"],
            justification=data.get("vex_justification") or "",
            detail=data.get("vex_detail") or "",
        )
        try:
            statements = vex_statements_record(
                findings=chosen,
                text=text,
                scope=scope_form.scope(),
                version_range=scope_form.cleaned_data.get("vex_version_range") or "",
                acting_user=request.user,
                origin="web",
            )
        except InputError as exc:
            messages.error(request, str(exc))
            return redirect(back)
        messages.success(
            request,
            ngettext(
                "%(count)s VEX statement recorded for %(findings)s selected findings.",
                "%(count)s VEX statements recorded for %(findings)s selected findings.",
                len(statements),
            )
            % {"count": len(statements), "findings": len(chosen)},
        )
    if refused:
        messages.error(
            request,
            ngettext(
                "%(count)s finding was left out: VEX statements need the editor role.",
                "%(count)s findings were left out: VEX statements need the editor role.",
                refused.total(),
            )
            % {"count": refused.total()},
        )
    return redirect(back)


@login_required
@require_POST
@upload_limited
def product_vex_import(
    request: HttpRequest, product_id: int, limit: UploadSizeLimit
) -> HttpResponse:
    """Import a VEX document into a product (editor role) and show what was stored, which
    findings it applies to, and what could not be stored and why."""
    product = product_for(request.user, product_id, Role.EDITOR)
    form = VexImportForm(request.POST, request.FILES)
    context: dict[str, Any] = {"product": product, "form": form}
    if limit.exceeded:
        form.add_error("document", _("The file is larger than the upload limit."))
    elif form.is_valid():
        upload = form.cleaned_data["document"]
        try:
            context["outcome"] = vex_import(
                data=upload.read(),
                name=upload.name or "vex.json",
                product=product,
                acting_user=request.user,
            )
        except InputError as exc:
            form.add_error("document", str(exc))
    status = 200 if "outcome" in context else 400
    return render(request, "web/triage/vex_import.html", context, status=status)


@login_required
@require_GET
def product_vex_export(request: HttpRequest, product_id: int) -> HttpResponse:
    """Download a product's (or a release's) VEX statements as OpenVEX, CycloneDX or CSAF."""
    product = product_for(request.user, product_id)
    releases = list(Release.objects.filter(product=product).order_by("-created_at", "-id"))
    form = VexExportForm(request.GET, releases=[(r.pk, r.version) for r in releases])
    back = reverse("web:product-detail", args=[product.pk])
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    release_id = form.cleaned_data.get("release")
    release = next((r for r in releases if r.pk == release_id), None)
    try:
        exported = vex_export(
            product=product,
            release=release,
            format=form.cleaned_data["format"],
            include_unstated=bool(form.cleaned_data.get("unstated")),
        )
    except InputError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    response = HttpResponse(exported.content, content_type=exported.media_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=exported.file_name
    )
    return response


# included by web/urls.py (namespace ``web``)
urlpatterns = [
    path("findings/<int:finding_id>/vex/", finding_vex_record, name="finding-vex"),
    path("products/<int:product_id>/vex/import/", product_vex_import, name="product-vex-import"),
    path("products/<int:product_id>/vex/export/", product_vex_export, name="product-vex-export"),
]

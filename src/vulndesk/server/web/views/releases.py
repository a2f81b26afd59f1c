"""Release pages: the SBOMs with their analysis, the components with a search, the findings; the
SBOM upload and download.

An upload is read at once by the upload service (an unreadable file is refused with the
reader's message, and nothing is stored); its analysis runs as a job, which the page follows.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vulndesk.core.errors import InputError
from vulndesk.server.accounts.permissions import has_role
from vulndesk.server.inventory.models import Role
from vulndesk.server.inventory.selectors import release_components, release_get, sbom_get
from vulndesk.server.inventory.services import sbom_upload as upload_sbom
from vulndesk.server.web import selectors
from vulndesk.server.web.forms.findings import ComponentSearchForm
from vulndesk.server.web.forms.sboms import SbomFileForm
from vulndesk.server.web.htmx import vary_on_htmx, wants_fragment
from vulndesk.server.web.paging import offset_page
from vulndesk.server.web.uploads import UploadSizeLimit, upload_limited

COMPONENTS_PER_PAGE = 50

# What a browser is told an SBOM is, by the format the reader recognised (``SbomDocument.format``
# is "<format> <encoding>"); anything else downloads as bytes.
_MEDIA_TYPES = {
    "CycloneDX json": "application/vnd.cyclonedx+json",
    "CycloneDX xml": "application/vnd.cyclonedx+xml",
    "SPDX json": "application/spdx+json",
    "SPDX tag-value": "text/spdx",
    "SPDX json-ld": "application/spdx+json",
}


def _components(request: HttpRequest, release: Any) -> dict[str, Any]:
    form = ComponentSearchForm(request.GET)
    valid = form.is_valid()
    q = (form.cleaned_data.get("name") or "").strip() if valid else ""
    offset = (form.cleaned_data.get("offset") or 0) if valid else 0
    components = release_components(release=release, q=q)
    return {
        "component_query": q,
        "components": offset_page(components, offset=offset, limit=COMPONENTS_PER_PAGE),
    }


def _release_context(request: HttpRequest, page: selectors.ReleasePage) -> dict[str, Any]:
    return {
        "page": page,
        "release": page.release,
        "product": page.release.product,
        "can_upload": page.role in (Role.EDITOR, Role.OWNER),
        "max_bytes": settings.SBOM_UPLOAD_MAX_BYTES,
        **_components(request, page.release),
    }


@login_required
@require_GET
def release_detail(request: HttpRequest, release_id: int) -> HttpResponse:
    """Show a release: its SBOMs and their analysis, findings, and components (searchable).

    An htmx request from the component search gets only the component list.
    """
    if wants_fragment(request) and request.headers.get("HX-Target") == "component-results":
        release = release_get(user=request.user, release_id=release_id)
        if release is None:
            raise Http404("no such release")
        context = {"release": release, **_components(request, release)}
        return vary_on_htmx(render(request, "web/releases/detail.html#components", context))
    page = selectors.release_page(user=request.user, release_id=release_id)
    if page is None:
        raise Http404("no such release")
    context = _release_context(request, page)
    if context["can_upload"]:
        context["sbom_form"] = SbomFileForm(max_bytes=settings.SBOM_UPLOAD_MAX_BYTES)
    return vary_on_htmx(render(request, "web/releases/detail.html", context))


@login_required
@require_POST
@upload_limited
def sbom_upload(request: HttpRequest, release_id: int, limit: UploadSizeLimit) -> HttpResponse:
    """Store an uploaded SBOM for the release and start its analysis (editors), then show the
    release page following the analysis. A file that cannot be read is refused, stored nowhere,
    and the reader's message is shown."""
    release = release_get(user=request.user, release_id=release_id)
    if release is None:
        raise Http404("no such release")
    if not has_role(request.user, release.product, Role.EDITOR):
        raise PermissionDenied("uploading an SBOM needs the editor role")
    max_bytes = settings.SBOM_UPLOAD_MAX_BYTES
    form = SbomFileForm(request.POST, request.FILES, max_bytes=max_bytes, stopped=limit.exceeded)
    if form.is_valid():
        file_name, content = form.content()
        try:
            upload_sbom(
                release=release, file_name=file_name, content=content, acting_user=request.user
            )
        except InputError as exc:
            form.refuse(exc)
        else:
            messages.success(
                request, _("%(file)s uploaded; its analysis has started.") % {"file": file_name}
            )
            return redirect(reverse("web:release-detail", args=[release.pk]) + "#analysis")
    page = selectors.release_page(user=request.user, release_id=release.pk)
    assert page is not None
    context = {**_release_context(request, page), "sbom_form": form}
    status = 413 if form.has_error("sbom", "too_large") else 400
    return render(request, "web/releases/detail.html", context, status=status)


@login_required
@require_GET
def sbom_download(request: HttpRequest, sbom_id: int) -> HttpResponse:
    """Return an uploaded SBOM byte for byte, as a download under its file name."""
    document = sbom_get(user=request.user, sbom_id=sbom_id)
    if document is None:
        raise Http404("no such SBOM")
    response = HttpResponse(
        bytes(document.content),
        content_type=_MEDIA_TYPES.get(document.format, "application/octet-stream"),
    )
    # attachment: never rendered by the browser, whatever the file holds
    # (RFC 6266, with RFC 5987's UTF-8 form for a name that is not plain ASCII)
    response.headers["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=document.file_name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

"""Pages of the CSAF provider: the public ones (the CSAF directory and ROLIE feeds under
``/.well-known/csaf/``, ``/.well-known/security.txt``, the disclosure policy and the advisory
pages under ``/security/``) and the management page (published documents, the publish form and
the provider settings).

The public URLs serve the site provider (``provider.selectors.site_provider``). What a
requester gets is what ``documents_readable`` lets them read: TLP:CLEAR and TLP:WHITE for
anyone, the other labels for members of the organisation only, and a 404 (never a 403) for
everything else, so a listing or an error never reveals that a restricted document exists.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, re_path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from vulndesk.core.errors import InputError
from vulndesk.server.accounts.models import Organisation
from vulndesk.server.provider import distribution
from vulndesk.server.provider.advisory_page import advisory_view
from vulndesk.server.provider.forms import ProviderSettingsForm, PublishForm
from vulndesk.server.provider.models import ProviderSettings, TlpLabel
from vulndesk.server.provider.selectors import (
    document_at,
    document_by_tracking_id,
    documents_managed,
    documents_readable,
    is_member,
    label_of_folder,
    publishing_organisation,
    site_provider,
)
from vulndesk.server.provider.services import (
    csaf_publish,
    csaf_withdraw,
    provider_settings_defaults,
    provider_settings_update,
    security_txt_expires,
)

LANGUAGES = ("ja", "en")
#: the language links of the public pages, each name in its own language
LANG_CHOICES = [("ja", "日本語"), ("en", "English")]


def _provider() -> ProviderSettings:
    settings = site_provider()
    if settings is None:
        raise Http404("this site publishes no CSAF provider")
    return settings


def _base(request: HttpRequest, settings: ProviderSettings) -> str:
    return settings.public_base_url.rstrip("/") or f"{request.scheme}://{request.get_host()}"


def _plain(
    content: str | bytes, content_type: str, *, public: bool = True, status: int = 200
) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type, status=status)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # restricted answers must not sit in a shared cache
    response.headers["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    return response


def _json(data: Any, *, public: bool) -> HttpResponse:
    body = orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"
    return _plain(body, "application/json", public=public)


# --- /.well-known/csaf/ ------------------------------------------------------------------------


@require_safe
def provider_metadata(request: HttpRequest) -> HttpResponse:
    """Return provider-metadata.json, listing the distributions the requester may read."""
    settings = _provider()
    documents = list(documents_readable(request.user, settings.organisation))
    metadata = distribution.provider_metadata(settings, _base(request, settings), documents)
    public = not is_member(request.user, settings.organisation)
    return _json(metadata, public=public)


@require_safe
def public_key(request: HttpRequest, fingerprint: str) -> HttpResponse:
    """Return the armoured public key that signs the documents."""
    settings = _provider()
    if not settings.signing_fingerprint or fingerprint.upper() != settings.signing_fingerprint:
        raise Http404("no such key")
    return _plain(settings.public_key, "application/pgp-keys")


def _folder(request: HttpRequest, folder: str) -> tuple[ProviderSettings, str]:
    settings = _provider()
    label = label_of_folder(request.user, settings.organisation, folder)
    if label is None:
        raise Http404("no such directory")
    return settings, label


@require_safe
def directory_index(request: HttpRequest, folder: str) -> HttpResponse:
    """Return index.txt of a TLP directory."""
    settings, label = _folder(request, folder)
    documents = documents_readable(request.user, settings.organisation, label=label)
    body = distribution.index_txt(documents)
    return _plain(body, "text/plain; charset=utf-8", public=label in distribution_public())


@require_safe
def directory_changes(request: HttpRequest, folder: str) -> HttpResponse:
    """Return changes.csv of a TLP directory, newest first."""
    settings, label = _folder(request, folder)
    documents = documents_readable(request.user, settings.organisation, label=label)
    body = distribution.changes_csv(documents)
    return _plain(body, "text/csv; charset=utf-8", public=label in distribution_public())


@require_safe
def rolie_feed(request: HttpRequest, folder: str, feed_folder: str) -> HttpResponse:
    """Return the ROLIE feed of a TLP directory."""
    if folder != feed_folder:
        raise Http404("no such feed")
    settings, label = _folder(request, folder)
    documents = list(documents_readable(request.user, settings.organisation, label=label))
    feed = distribution.rolie_feed(settings, _base(request, settings), label, documents)
    return _json(feed, public=label in distribution_public())


def distribution_public() -> frozenset[str]:
    """Return the labels whose answers shared caches may keep."""
    return frozenset({TlpLabel.CLEAR, TlpLabel.WHITE})


@require_safe
def directory_file(
    request: HttpRequest, folder: str, year: str, filename: str, suffix: str
) -> HttpResponse:
    """Return a document, or its ``.sha256``, ``.sha512`` or ``.asc`` file."""
    settings = _provider()
    document = document_at(request.user, settings.organisation, folder, int(year), filename)
    if document is None:
        raise Http404("no such document")
    public = document.is_public
    if suffix == "":
        return _plain(bytes(document.content), "application/json", public=public)
    if suffix in (".sha256", ".sha512"):
        body = distribution.hash_file(document, suffix[1:])
        return _plain(body, "text/plain; charset=utf-8", public=public)
    if not document.signature:
        raise Http404("the document is not signed")
    return _plain(document.signature, "application/pgp-signature", public=public)


# --- security.txt, policy, advisories -----------------------------------------------------------


@require_safe
def security_txt(request: HttpRequest) -> HttpResponse:
    """Return /.well-known/security.txt (RFC 9116)."""
    settings = _provider()
    base = _base(request, settings)
    policy_url = base + reverse("web:security-policy")
    body = distribution.security_txt(
        settings, base, security_txt_expires(settings, timezone.now()), policy_url
    )
    return _plain(body, "text/plain; charset=utf-8")


def _language(request: HttpRequest) -> str:
    """Return the page language: ``?lang=`` when it names ja or en, else the active one."""
    asked = request.GET.get("lang", "")
    if asked in LANGUAGES:
        return asked
    active = (translation.get_language() or "en").split("-")[0]
    return active if active in LANGUAGES else "en"


@require_safe
def security_policy(request: HttpRequest) -> HttpResponse:
    """Show the vulnerability disclosure policy in Japanese or English."""
    settings = _provider()
    language = _language(request)
    with translation.override(language):
        context = {
            "provider": settings,
            "language": language,
            "lang_choices": LANG_CHOICES,
            "policy": settings.policy_ja if language == "ja" else settings.policy_en,
            "security_txt": "/.well-known/security.txt",
        }
        return render(request, "web/provider/policy.html", context)


@require_safe
def advisory_list(request: HttpRequest) -> HttpResponse:
    """List the published advisories the reader may see, newest first."""
    settings = _provider()
    language = _language(request)
    documents = documents_readable(request.user, settings.organisation)
    with translation.override(language):
        context = {
            "provider": settings,
            "documents": documents,
            "language": language,
            "lang_choices": LANG_CHOICES,
        }
        return render(request, "web/provider/advisory_list.html", context)


@require_safe
def advisory_detail(request: HttpRequest, tracking_id: str) -> HttpResponse:
    """Show one published advisory as a page, rendered from its CSAF JSON."""
    settings = _provider()
    document = document_by_tracking_id(request.user, settings.organisation, tracking_id)
    if document is None:
        raise Http404("no such advisory")
    language = _language(request)
    base = _base(request, settings)
    with translation.override(language):
        context = {
            "provider": settings,
            "document": document,
            "advisory": advisory_view(document),
            "csaf_url": distribution.document_url(base, document),
            "language": language,
            "lang_choices": LANG_CHOICES,
        }
        return render(request, "web/provider/advisory.html", context)


# --- management -----------------------------------------------------------------------------------


def _managed_organisation(request: HttpRequest) -> Organisation:
    """Return the organisation the caller publishes for (selectors.publishing_organisation);
    403 when there is none."""
    organisation = publishing_organisation(request.user)
    if organisation is None:
        raise PermissionDenied(
            "publishing CSAF documents needs the provider.publish_csaf permission"
        )
    return organisation


@login_required
@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    """List the published documents, with the publish form."""
    organisation = _managed_organisation(request)
    settings = ProviderSettings.objects.filter(organisation=organisation).first()
    context = {
        "organisation": organisation,
        "settings": settings,
        "documents": documents_managed(request.user).filter(organisation=organisation),
        "form": PublishForm(),
    }
    return render(request, "web/provider/manage.html", context)


@login_required
@require_POST
def publish(request: HttpRequest) -> HttpResponse:
    """Publish an uploaded CSAF document, then show the list."""
    organisation = _managed_organisation(request)
    form = PublishForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("web:provider-manage")
    try:
        result = csaf_publish(
            document=form.cleaned_data["document"],
            organisation=organisation,
            tlp=form.cleaned_data["tlp"] or None,
            acting_user=request.user,  # type: ignore[arg-type]
        )
    except InputError as e:
        messages.error(request, _("Not published: %(error)s") % {"error": e.message})
        return redirect("web:provider-manage")
    document = result.document
    messages.success(
        request,
        (
            _("Published %(id)s version %(version)s (TLP:%(tlp)s).")
            if not result.replaced
            else _("Replaced %(id)s with version %(version)s (TLP:%(tlp)s).")
        )
        % {"id": document.tracking_id, "version": document.version, "tlp": document.tlp},
    )
    if not result.signed:
        messages.warning(
            request, _("Published unsigned: %(reason)s.") % {"reason": result.signing_note}
        )
    return redirect("web:provider-manage")


@login_required
@require_POST
def withdraw(request: HttpRequest, document_id: int) -> HttpResponse:
    """Withdraw a published document (it disappears from every public URL)."""
    document = get_object_or_404(documents_managed(request.user), pk=document_id)
    try:
        csaf_withdraw(
            document=document,
            reason=request.POST.get("reason", ""),
            acting_user=request.user,  # type: ignore[arg-type]
        )
    except InputError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Withdrew %(id)s.") % {"id": document.tracking_id})
    return redirect("web:provider-manage")


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """Show and save the provider settings (superusers)."""
    if not request.user.is_superuser:
        raise PermissionDenied("only superusers change the provider settings")
    organisation = _managed_organisation(request)
    instance = ProviderSettings.objects.filter(organisation=organisation).first()
    instance = instance or provider_settings_defaults(organisation)
    form = ProviderSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            result = provider_settings_update(
                organisation=organisation,
                changes=form.changes(),
                acting_user=request.user,  # type: ignore[arg-type]
            )
        except InputError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("Provider settings saved."))
            if result.signing_note:
                messages.warning(request, result.signing_note)
            return redirect("web:provider-settings")
    context = {"organisation": organisation, "form": form, "settings": instance}
    return render(request, "web/provider/settings.html", context)


# included by web/urls.py (namespace ``web``)
urlpatterns: list[URLPattern] = [
    path(".well-known/csaf/provider-metadata.json", provider_metadata, name="csaf-metadata"),
    re_path(
        r"^\.well-known/csaf/openpgp/(?P<fingerprint>[0-9A-Fa-f]{16,64})\.asc$",
        public_key,
        name="csaf-public-key",
    ),
    re_path(
        r"^\.well-known/csaf/(?P<folder>[a-z-]+)/index\.txt$", directory_index, name="csaf-index"
    ),
    re_path(
        r"^\.well-known/csaf/(?P<folder>[a-z-]+)/changes\.csv$",
        directory_changes,
        name="csaf-changes",
    ),
    re_path(
        r"^\.well-known/csaf/(?P<folder>[a-z-]+)/csaf-feed-tlp-(?P<feed_folder>[a-z-]+)\.json$",
        rolie_feed,
        name="csaf-feed",
    ),
    re_path(
        r"^\.well-known/csaf/(?P<folder>[a-z-]+)/(?P<year>[0-9]{4})/"
        r"(?P<filename>[+\-a-z0-9_]+\.json)(?P<suffix>|\.sha256|\.sha512|\.asc)$",
        directory_file,
        name="csaf-file",
    ),
    path(".well-known/security.txt", security_txt, name="security-txt"),
    path("security/policy/", security_policy, name="security-policy"),
    path("security/advisories/", advisory_list, name="security-advisory-list"),
    path("security/advisories/<path:tracking_id>/", advisory_detail, name="security-advisory"),
    path("provider/", manage, name="provider-manage"),
    path("provider/publish/", publish, name="provider-publish"),
    path("provider/documents/<int:document_id>/withdraw/", withdraw, name="provider-withdraw"),
    path("provider/settings/", settings_page, name="provider-settings"),
]

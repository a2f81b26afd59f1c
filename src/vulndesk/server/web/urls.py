"""Routes of the web interface (namespace ``web``); every page but the login requires one."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

from vulndesk.server.web.views import (
    account,
    advisories,
    components,
    dashboard,
    feeds,
    findings,
    jobs,
    products,
    releases,
)

app_name = "web"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("products/", products.product_list, name="product-list"),
    path("products/new/", products.product_create, name="product-create"),
    path("products/<int:product_id>/", products.product_detail, name="product-detail"),
    path("products/<int:product_id>/edit/", products.product_edit, name="product-edit"),
    path("products/<int:product_id>/access/", products.product_grant, name="product-grant"),
    path("products/<int:product_id>/releases/", products.release_create, name="release-create"),
    path("releases/<int:release_id>/", releases.release_detail, name="release-detail"),
    path("releases/<int:release_id>/sboms/", releases.sbom_upload, name="sbom-upload"),
    path("sboms/<int:sbom_id>/download/", releases.sbom_download, name="sbom-download"),
    path("components/", components.component_search_page, name="component-search"),
    path("findings/", findings.finding_list_page, name="finding-list"),
    path("findings/export.csv", findings.finding_export, name="finding-export"),
    path("findings/selected/", findings.finding_bulk, name="finding-bulk"),
    path("findings/<int:finding_id>/", findings.finding_detail, name="finding-detail"),
    path("jobs/", jobs.job_list, name="job-list"),
    path("jobs/<int:job_id>/", jobs.job_detail, name="job-detail"),
    path("account/", account.account, name="account"),
    path("account/language/", account.account_language, name="account-language"),
    path("account/tokens/", account.token_create, name="token-create"),
    path("account/tokens/<int:token_id>/revoke/", account.token_revoke, name="token-revoke"),
    path("advisories/", advisories.advisory_list, name="advisory-list"),
    # ``path``, not ``str``: OSV does not forbid a slash in an id, and no id may break a link.
    path("advisories/<path:advisory_id>", advisories.advisory_detail, name="advisory-detail"),
    path("scan/", advisories.scan, name="scan"),
    path("feeds/", feeds.feed_list, name="feed-list"),
    # CSAF provider names hold a colon, never a slash (catalog.spec_for)
    path("feeds/<str:name>/sync/", feeds.feed_sync_now, name="feed-sync"),
    # -- prioritisation (triage_priority) --
    path("", include("vulndesk.server.web.views.triage_priority")),
    # -- VEX (triage_vex) --
    path("", include("vulndesk.server.web.views.triage_vex")),
    # -- remediation (triage_remediation) --
    # (its routes are in the view module, so that this line is the only one it adds here)
    path("", include("vulndesk.server.web.views.triage_remediation")),
    # -- disclosure: reports, cases, security.txt (disclosure) --
    path("", include("vulndesk.server.web.views.disclosure")),
    # -- CSAF provider, security.txt, disclosure policy (provider) --
    path("", include("vulndesk.server.web.views.provider")),
    path("", include("vulndesk.server.web.views.compliance")),  # EU CRA and NIS2 reporting
]

"""Routes of the web interface (namespace ``web``); every page but the login requires one."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from vulndesk.server.web import views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("advisories/", views.advisory_list, name="advisory-list"),
    # ``path``, not ``str``: OSV does not forbid a slash in an id, and no id may break a link.
    path("advisories/<path:advisory_id>", views.advisory_detail, name="advisory-detail"),
    path("scan/", views.scan, name="scan"),
]

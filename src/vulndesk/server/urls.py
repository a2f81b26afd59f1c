"""URL routes: the web interface, language switching, the REST API under /api/v1 (Ninja), and
Django's admin under /admin/ (for superusers; once ``django.contrib.admin`` is installed)."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles.views import serve as serve_static
from django.urls import URLPattern, URLResolver, include, path, re_path

from vulndesk.server.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("vulndesk.server.web.urls")),
]

if apps.is_installed("django.contrib.admin"):
    from django.contrib import admin

    urlpatterns.insert(0, path("admin/", admin.site.urls))

if settings.SERVE_STATIC:
    # Found through the staticfiles finders (app static folders), so no collectstatic step is
    # needed; ``insecure`` because Django refuses this view without DEBUG unless told.
    urlpatterns.append(
        re_path(r"^static/(?P<path>.*)$", serve_static, {"insecure": True}, name="static")
    )

"""URL routes: the REST API under /api/v1 (Django Ninja)."""

from __future__ import annotations

from django.urls import path

from vulndesk.server.api import api

urlpatterns = [path("api/v1/", api.urls)]

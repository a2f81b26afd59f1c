"""Web pages of disclosure: the public report form, the reporter's view, cases (being written)."""

from __future__ import annotations

from django.urls import URLPattern

# included by web/urls.py (namespace ``web``)
urlpatterns: list[URLPattern] = []

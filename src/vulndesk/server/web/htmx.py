"""How a view tells an htmx request for a fragment from a request for the whole page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers


def wants_fragment(request: HttpRequest) -> bool:
    """Return whether ``request`` is an htmx request that should get only a fragment.

    A history restore after a cache miss asks for the whole page again (htmx docs, "History").
    """
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    """Return ``response`` marked as varying with ``HX-Request`` (fragment or page, one URL)."""
    patch_vary_headers(response, ["HX-Request"])
    return response

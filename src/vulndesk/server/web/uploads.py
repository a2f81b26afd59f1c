"""Stopping an upload as soon as it passes a size limit, instead of spooling it to disk whole."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect


class UploadSizeLimit(FileUploadHandler):
    """An upload handler that stops the upload when one file passes ``limit`` bytes.

    Put first in ``request.upload_handlers`` (before the request body is read); it passes every
    chunk on to the next handler unchanged. When it stops an upload the remaining body is read and
    discarded, the file is left out of ``request.FILES``, and ``exceeded`` is True.
    """

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False
        self._received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        """Start counting a new file."""
        super().new_file(*args, **kwargs)
        self._received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        """Return the chunk for the next handler; stop the upload past the limit."""
        self._received += len(raw_data)
        if self._received > self.limit:
            self.exceeded = True
            # connection_reset=False: Django reads the rest of the body and discards it, so the
            # client still gets our answer instead of a reset connection.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        """Leave building the file to the handlers after this one."""
        return None


def upload_limited(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate a view that takes an SBOM upload: stop the upload past the size limit.

    The limit must be in place before the request body is read, and CsrfViewMiddleware reads it;
    so the view is exempt from the middleware and checked by ``csrf_protect`` after the handler
    is installed, as Django's docs ("Modifying upload handlers on the fly") prescribe. The view
    gets the handler as ``limit`` (``limit.exceeded``: the file was cut off).
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limit = UploadSizeLimit(request, settings.SBOM_UPLOAD_MAX_BYTES)
        if request.method == "POST":
            request.upload_handlers.insert(0, limit)
        return protected(request, *args, limit=limit, **kwargs)

    return wrapper

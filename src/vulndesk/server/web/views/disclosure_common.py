"""What the disclosure pages share: turning uploaded files into the services' ``Upload``, the
headers of pages that carry a secret, and the labels of states in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.utils.translation import gettext as _

from vulndesk.core.errors import InputError
from vulndesk.server.disclosure.attachments import MAX_ATTACHMENT_BYTES, Upload


def uploads_of(files: Iterable[UploadedFile]) -> list[Upload]:
    """Return the uploaded files as the services take them (they check type and size).

    A file past the size limit is refused here, before it is read into memory: Django has
    spooled it to disk, and reading it whole only to refuse it would let one request fill the
    memory.
    """
    uploads = []
    for file in files:
        name = file.name or ""
        if (file.size or 0) > MAX_ATTACHMENT_BYTES:
            raise InputError(
                _("Attachment %(name)s is %(size)d bytes, more than the limit of 10 MiB.")
                % {"name": name, "size": file.size}
            )
        uploads.append(
            Upload(file_name=name, content=file.read(), declared_type=file.content_type or "")
        )
    return uploads


def no_store(response: HttpResponse) -> HttpResponse:
    """Return ``response`` marked to be kept in no cache (it shows a secret once, or a page
    reached through one)."""
    response["Cache-Control"] = "no-store"
    return response


def no_referrer(response: HttpResponse) -> HttpResponse:
    """Return ``response`` (a page whose address carries a secret) kept in no cache and sending
    no ``Referer`` at all, to other sites or ours.

    A browser then sends ``Origin: null`` with the page's forms, which Django's CSRF check
    refuses (and over HTTPS, without an Origin, it wants a Referer): a form on such a page
    posts to a view that is authenticated by the secret itself, not by a cookie, and exempt
    from the CSRF check (``disclosure_public``).
    """
    response["Referrer-Policy"] = "no-referrer"
    return no_store(response)


def origin_only_referrer(response: HttpResponse) -> HttpResponse:
    """Return ``response`` (a page whose address carries a secret and whose forms rely on a
    login cookie) kept in no cache and sending only the site's origin as ``Referer``: never the
    path, and still an ``Origin`` header for Django's CSRF check."""
    response["Referrer-Policy"] = "strict-origin"
    return no_store(response)

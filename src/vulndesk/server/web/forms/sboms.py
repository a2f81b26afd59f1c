"""Forms for SBOM files: one to scan (read, nothing stored) and one to upload (stored)."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from vulndesk.core.errors import InputError
from vulndesk.core.sbom.model import Sbom
from vulndesk.core.sbom.reader import read_sbom


class SbomFileForm(forms.Form):
    """An SBOM file to store; ``cleaned_data["sbom"]`` is the upload, not yet read.

    Reading it is the upload service's job (``inventory.services.sbom_upload``), which refuses an
    unreadable file with the reader's message; ``stopped`` says that ``uploads.UploadSizeLimit``
    cut the upload off at the size limit, so no file arrived.
    """

    sbom = forms.FileField(
        label=_("SBOM file"),
        help_text=_(
            "CycloneDX 1.0-1.7 (JSON or XML), SPDX 2.2/2.3 (JSON or tag-value) or SPDX 3.0 "
            "(JSON-LD). The format is recognised from the content."
        ),
    )

    def __init__(
        self, *args: object, max_bytes: int, stopped: bool = False, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.max_bytes = max_bytes
        self.stopped = stopped
        self.sbom_error: InputError | None = None
        if stopped:
            self.fields["sbom"].required = False  # clean_sbom says why there is no file

    def clean_sbom(self) -> UploadedFile:
        """Return the upload; refuse one over the size limit."""
        upload: UploadedFile | None = self.cleaned_data.get("sbom")
        if self.stopped or upload is None or (upload.size or 0) > self.max_bytes:
            # (None only when stopped: otherwise the required field has refused it already)
            raise forms.ValidationError(
                _("The file is larger than %(limit)s."),
                code="too_large",
                params={"limit": filesizeformat(self.max_bytes)},
            )
        return upload

    def content(self) -> tuple[str, bytes]:
        """Return the valid upload's file name and bytes."""
        upload: UploadedFile = self.cleaned_data["sbom"]
        return upload.name or "upload", upload.read(self.max_bytes + 1)

    def refuse(self, error: InputError) -> None:
        """Record that the service could not read the file: ``error`` says where and why."""
        self.sbom_error = error
        self.add_error("sbom", _("This file could not be read as an SBOM."))


class SbomUploadForm(SbomFileForm):
    """An SBOM file to scan; ``cleaned_data["sbom"]`` is the parsed :class:`Sbom`.

    When the file is not a readable SBOM, ``sbom_error`` holds the reader's error (its message and
    the location inside the file) for the page to show.
    """

    def clean_sbom(self) -> Sbom:  # type: ignore[override]
        """Return the parsed SBOM; refuse a file over the size limit or one that does not read."""
        upload = super().clean_sbom()
        data = upload.read(self.max_bytes + 1)
        try:
            return read_sbom(data, source=upload.name or "upload")
        except InputError as exc:
            self.sbom_error = exc
            raise forms.ValidationError(
                _("This file could not be read as an SBOM."), code="unreadable"
            ) from exc

"""The root of every error vulndesk raises on purpose.

Each message names the offending value and where it was (file, line or JSON path), so that a user
can find and fix the input without reading our code.
"""

from __future__ import annotations


class VulndeskError(Exception):
    """Base of all vulndesk errors."""


class InputError(VulndeskError):
    """A document a user gave us is malformed, unsafe or unsupported.

    ``source`` is the file (or other origin) and ``location`` the line, JSON path or XML path
    inside it.
    """

    def __init__(self, message: str, *, source: str | None = None, location: str | None = None):
        self.message = message
        self.source = source
        self.location = location
        where = ":".join(part for part in (source, location) if part)
        super().__init__(f"{where}: {message}" if where else message)


class SbomError(InputError):
    """An SBOM could not be read."""


class AdvisoryError(InputError):
    """An advisory record could not be read."""


class IdentifierError(VulndeskError):
    """A PURL, CPE or other identifier is malformed."""


class InvalidVersion(VulndeskError):
    """A version string is not valid in the scheme it was given to."""

    def __init__(self, scheme: str, version: str, reason: str = ""):
        self.scheme = scheme
        self.version = version
        super().__init__(
            f"invalid {scheme} version {version!r}" + (f": {reason}" if reason else "")
        )

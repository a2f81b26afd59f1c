"""NuGet ordering: ``NuGet.Versioning.NuGetVersion`` with ``VersionComparer.Default``.

- Parsing follows ``NuGetVersion.TryParse``: surrounding whitespace is ignored; one to four
  dot-separated numbers (each an Int32, leading zeros allowed: ``1.01`` == ``1.1``), missing ones
  are 0 (``1.0`` == ``1.0.0.0``); then an optional ``-`` release label of dot-separated
  ``[0-9A-Za-z-]`` identifiers and optional ``+`` metadata, which is ignored for ordering.
- ``VersionComparer.Compare``: major, minor, patch, revision numerically; a version with a
  release label sorts before the same version without one; labels compare identifier by
  identifier (``CompareRelease``): two identifiers that parse as Int32 numerically, a numeric one
  before a non-numeric one, otherwise ``StringComparer.OrdinalIgnoreCase`` (identifiers are ASCII,
  so that is comparing their upper-case forms); a label that is a prefix of the other sorts first.

Key layout: ``(major, minor, patch, revision, 1)`` for a release,
``(major, minor, patch, revision, 0, kind, value, ...)`` with kind 0 for a numeric identifier
(value an int) and kind 1 otherwise (value the upper-cased identifier).
"""

from __future__ import annotations

import re

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.base import VersionScheme

__all__ = ["NUGET", "NugetScheme"]

NugetKey = tuple[int | str, ...]

_VERSION_RE = re.compile(
    r"""
    \s*
    (?P<numbers>[0-9]+(?:\.[0-9]+){0,3})
    (?:-(?P<label>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?
    (?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?
    \s*
    """,
    re.VERBOSE | re.ASCII,
)
_INT32_MAX = 2**31 - 1
# Int32.TryParse(NumberStyles.Integer) on an identifier made of [0-9A-Za-z-]: optional "-" sign.
_INT32_RE = re.compile(r"-?[0-9]+", re.ASCII)


class NugetScheme(VersionScheme):
    """Orders NuGet versions exactly as ``VersionComparer.Default`` does."""

    name = "nuget"

    def key(self, version: str) -> NugetKey:
        """Return the key of ``version`` (see the module docstring)."""
        match = _VERSION_RE.fullmatch(version)
        if match is None:
            raise InvalidVersion(self.name, version, "not a NuGet version")
        numbers = [int(n) for n in match.group("numbers").split(".")]
        if any(n > _INT32_MAX for n in numbers):
            raise InvalidVersion(self.name, version, "version number larger than Int32")
        numbers += [0] * (4 - len(numbers))
        label = match.group("label")
        if label is None:
            return (*numbers, 1)
        parts: list[int | str] = [*numbers, 0]
        for identifier in label.split("."):
            if _INT32_RE.fullmatch(identifier) and -_INT32_MAX - 1 <= int(identifier) <= _INT32_MAX:
                parts += (0, int(identifier))
            else:
                parts += (1, identifier.upper())
        return tuple(parts)


NUGET = NugetScheme()

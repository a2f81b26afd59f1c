"""SemVer 2.0.0 ordering, lenient the way osv.dev's ``semver_index.coerce`` is.

Used for OSV ``SEMVER`` ranges and for the ecosystems whose versions are SemVer-like (npm,
crates.io, Hex, Pub, Bitnami, SwiftURL).

Precedence follows https://semver.org/#spec-item-11: major, minor and patch numerically; a
pre-release sorts before its release; pre-release identifiers compare one by one, numeric ones
numerically and before alphanumeric ones, alphanumeric ones in ASCII order; a shorter identifier
list sorts first when it is a prefix of the longer. Build metadata (``+...``) is ignored.

Leniency (osv.dev ``semver_index.coerce``, node-semver ``loose``): a leading ``v`` is accepted,
missing minor/patch are padded with 0 (``1.2`` == ``1.2.0``), leading zeros are tolerated and
read as decimal numbers (``1.02.0`` == ``1.2.0``, pre-release ``01`` == ``1``). Anything else
outside the SemVer grammar (empty identifiers, ``_``, spaces, a fourth number) is invalid.

Key layout, shared with :mod:`vulndesk.core.versions.golang`: a flat tuple
``(major, minor, patch, 1)`` for a release and ``(major, minor, patch, 0, kind, value, ...)`` for a
pre-release, one ``kind, value`` pair per identifier with kind 0 for numeric (value an int) and
kind 1 for alphanumeric (value a str). Pairs stay aligned, so an int is only ever compared with an
int and a str with a str.
"""

from __future__ import annotations

import re

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.base import VersionScheme

__all__ = ["SEMVER", "SemverScheme", "prerelease_key"]

SemverKey = tuple[int | str, ...]

# semver.org §2, §9, §10 with the leniencies described in the module docstring.
_SEMVER_RE = re.compile(
    r"""
    v?
    (?P<major>[0-9]+)
    (?:\.(?P<minor>[0-9]+))?
    (?:\.(?P<patch>[0-9]+))?
    (?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?
    (?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?
    """,
    re.VERBOSE | re.ASCII,
)


def prerelease_key(prerelease: str) -> SemverKey:
    """Return the flat key suffix of a dot-separated pre-release (semver.org §11.4)."""
    parts: list[int | str] = [0]
    for identifier in prerelease.split("."):
        if identifier.isdigit():
            parts += (0, int(identifier))
        else:
            parts += (1, identifier)
    return tuple(parts)


class SemverScheme(VersionScheme):
    """Orders SemVer 2.0.0 versions (lenient: ``v`` prefix, short forms, leading zeros)."""

    name = "semver"

    def key(self, version: str) -> SemverKey:
        """Return ``(major, minor, patch, 1)`` or ``(major, minor, patch, 0, *pre-release)``."""
        match = _SEMVER_RE.fullmatch(version)
        if match is None:
            raise InvalidVersion(self.name, version, "not MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]")
        major, minor, patch, pre = match.group("major", "minor", "patch", "pre")
        core = (int(major), int(minor or 0), int(patch or 0))
        if pre is None:
            return (*core, 1)
        return core + prerelease_key(pre)


SEMVER = SemverScheme()

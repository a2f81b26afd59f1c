"""Go module version ordering (golang.org/x/mod/semver), plus Go toolchain tags.

Module versions are SemVer 2.0.0 with Go's own rules (golang.org/x/mod/semver):

- the ``v`` prefix is optional here: OSV Go records write ``1.2.3`` and
  ``0.0.0-20160722212129-ac0cc4484ad4``, SBOMs and ``go.mod`` write ``v1.2.3``;
- ``v1`` and ``v1.2`` are shorthands for ``v1.0.0`` and ``v1.2.0`` (only without a pre-release or
  build suffix, as in x/mod/semver);
- numbers never have leading zeros (x/mod/semver rejects ``v1.02.0``);
- pseudo-versions (``vX.Y.Z-yyyymmddhhmmss-abcdefabcdef``, ``vX.Y.Z-pre.0.yyyymmddhhmmss-...``,
  ``vX.Y.(Z+1)-0.yyyymmddhhmmss-...``) are ordinary SemVer pre-releases and are ordered as such,
  which is exactly what the go command does;
- ``+incompatible`` is build metadata and is ignored for ordering.

The ``stdlib`` and ``toolchain`` modules are versioned by Go release tags (``go1.21.3``,
``go1.21rc2``, ``go1.9.2rc2``, ``go1``). They are mapped to SemVer the way golang/vulndb does when
it writes OSV records (``GoTagToSemver`` in golang.org/x/vuln), so an SBOM's ``go1.21rc2`` lands in
the same key space as an OSV bound ``1.21.0-rc.2``:

- ``go1.21.3`` -> ``1.21.3``; ``go1.21`` -> ``1.21.0``; ``go1`` -> ``1.0.0``;
- ``go1.21rc2`` -> ``1.21.0-rc.2``, ``go1.21beta1`` -> ``1.21.0-beta.1``.

Hence ``1.21rc1 < 1.21.0 == 1.21``. This deliberately differs from the go command's own
``go/version`` ordering, where since Go 1.21 the bare ``1.21`` names the *language* version and
sorts before ``1.21rc1``: vulnerability ranges are written in SemVer, and before Go 1.21 ``go1.20``
*was* the ``.0`` release, so the vulndb mapping is the one that matches advisories. The ``go``
prefix is optional (``1.21rc2`` is accepted too).

Keys have the layout documented in :mod:`vulndesk.core.versions.semver`.
"""

from __future__ import annotations

import re

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.base import VersionScheme
from vulndesk.core.versions.semver import SemverKey, prerelease_key

__all__ = ["GOLANG", "GolangScheme"]

# golang.org/x/mod/semver: numbers without leading zeros; pre-release identifiers are
# [0-9A-Za-z-]+ and numeric ones have no leading zeros either; build identifiers are free.
_NUM = r"(?:0|[1-9][0-9]*)"
_PRE_IDENT = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_MODULE_RE = re.compile(
    rf"""
    v?
    (?P<major>{_NUM})
    (?:
        \.(?P<minor>{_NUM})
        (?:
            \.(?P<patch>{_NUM})
            (?:-(?P<pre>{_PRE_IDENT}(?:\.{_PRE_IDENT})*))?
            (?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?
        )?
    )?
    """,
    re.VERBOSE | re.ASCII,
)

# golang.org/x/vuln internal/semver tagRegexp: go1.19.2, go1.20rc1, go1.21beta1 (``go`` optional).
_TOOLCHAIN_RE = re.compile(
    rf"(?:go)?(?P<major>{_NUM})\.(?P<minor>{_NUM})(?:\.(?P<patch>{_NUM}))?"
    r"(?:(?P<kind>beta|rc|-pre)(?P<number>[0-9]+))?",
    re.ASCII,
)


class GolangScheme(VersionScheme):
    """Orders Go module versions and Go toolchain tags (see the module docstring)."""

    name = "golang"

    def key(self, version: str) -> SemverKey:
        """Return the SemVer key of a Go module version or Go release tag."""
        match = _MODULE_RE.fullmatch(version)
        if match is not None:
            major, minor, patch, pre = match.group("major", "minor", "patch", "pre")
            core = (int(major), int(minor or 0), int(patch or 0))
            return (*core, 1) if pre is None else core + prerelease_key(pre)
        if version == "go1":
            return (1, 0, 0, 1)
        match = _TOOLCHAIN_RE.fullmatch(version)
        if match is None:
            raise InvalidVersion(
                self.name, version, "not a Go module version (v1.2.3) nor a Go release (go1.21.3)"
            )
        major, minor, patch, kind, number = match.group("major", "minor", "patch", "kind", "number")
        core = (int(major), int(minor), int(patch or 0))
        if kind is None:
            return (*core, 1)
        # GoTagToSemver: go1.21rc2 -> v1.21.0-rc.2; go1.0-pre1 would give -pre.1.
        return (*core, 0, 1, kind.lstrip("-"), 0, int(number))


GOLANG = GolangScheme()

"""Which version scheme orders the versions of an OSV ecosystem or range.

``ECOSYSTEMS`` lists every OSV ecosystem we know of (https://ossf.github.io/osv-schema/,
"Defined ecosystems"), spelled exactly as OSV writes it. Ecosystems whose ordering we do not
implement are listed with ``None`` and the reason, so that asking for them fails loudly instead
of falling back on a guess; unknown names fail the same way.

An ecosystem may carry a release after a ``:`` (``Debian:12``, ``AlmaLinux:8``,
``Alpine:v3.20``, ``Ubuntu:Pro:18.04:LTS``, ``Red Hat:enterprise_linux:9::appstream``); only the
part before the first ``:`` chooses the scheme.
"""

from __future__ import annotations

from vulndesk.core.errors import VulndeskError
from vulndesk.core.versions.apk import APK
from vulndesk.core.versions.base import VersionScheme
from vulndesk.core.versions.composer import COMPOSER
from vulndesk.core.versions.dpkg import DPKG
from vulndesk.core.versions.golang import GOLANG
from vulndesk.core.versions.maven import MAVEN
from vulndesk.core.versions.nuget import NUGET
from vulndesk.core.versions.pypi import PYPI
from vulndesk.core.versions.rpm import RPM
from vulndesk.core.versions.rubygems import RUBYGEMS
from vulndesk.core.versions.semver import SEMVER

__all__ = [
    "ECOSYSTEMS",
    "SCHEMES",
    "UnknownVersionScheme",
    "UnsupportedEcosystem",
    "UnsupportedRangeType",
    "base_ecosystem",
    "scheme_by_name",
    "scheme_for_ecosystem",
    "scheme_for_range_type",
]


class UnsupportedEcosystem(VulndeskError):
    """Versions of this ecosystem cannot be ordered here; ``reason`` says why, for a report."""

    def __init__(self, ecosystem: str, reason: str):
        self.ecosystem = ecosystem
        self.reason = reason
        super().__init__(reason)


class UnsupportedRangeType(UnsupportedEcosystem):
    """An OSV range of this type cannot be evaluated by comparing versions (GIT, unknown types)."""

    def __init__(self, range_type: str, ecosystem: str, reason: str):
        self.range_type = range_type
        super().__init__(ecosystem, reason)


class UnknownVersionScheme(VulndeskError):
    """No version scheme has this name."""


#: every scheme by its ``name`` (the PURL type where there is one, as VERS uses them)
SCHEMES: dict[str, VersionScheme] = {
    scheme.name: scheme
    for scheme in (APK, COMPOSER, DPKG, GOLANG, MAVEN, NUGET, PYPI, RPM, RUBYGEMS, SEMVER)
}

#: OSV ecosystem (base name) -> its scheme, or (a str) the reason there is none
ECOSYSTEMS: dict[str, VersionScheme | str] = {
    # language ecosystems
    "PyPI": PYPI,
    "npm": SEMVER,
    "Go": GOLANG,
    "crates.io": SEMVER,
    "Maven": MAVEN,
    "RubyGems": RUBYGEMS,
    "NuGet": NUGET,
    "Packagist": COMPOSER,
    "Hex": SEMVER,
    "Pub": SEMVER,
    "Bitnami": SEMVER,
    "SwiftURL": SEMVER,
    # Linux distributions
    "Debian": DPKG,
    "Ubuntu": DPKG,
    "AlmaLinux": RPM,
    "Rocky Linux": RPM,
    "Red Hat": RPM,
    "openSUSE": RPM,
    "SUSE": RPM,
    "Mageia": RPM,
    "openEuler": RPM,
    "Photon OS": RPM,
    "Azure Linux": RPM,
    "Alpine": APK,
    "Wolfi": APK,
    "Chainguard": APK,
    "Alpaquita": APK,
    "BellSoft Hardened Containers": APK,
    "MinimOS": APK,
    # known, not ordered here (the value says why): asking for them raises, never guesses
    "Android": "its advisories name security patch levels and platform releases",
    "Bioconductor": "R package_version ordering is not implemented",
    "CRAN": "R package_version ordering is not implemented",
    "ConanCenter": "Conan's version model is not implemented",
    "Echo": "Echo's version ordering is not implemented",
    "GHC": "GHC release ordering is not implemented",
    "GIT": "its versions are commits, which only the repository's commit graph orders",
    "GitHub Actions": "actions are referenced by free-form tags and commits",
    "GSD": "GSD records carry no package versions of their own",
    "Hackage": "Haskell PVP ordering is not implemented",
    "Julia": "Julia VersionNumber ordering (which orders build metadata) is not implemented",
    "Kubernetes": "Kubernetes version ordering is not implemented",
    "Linux": "kernel records are evaluated on GIT ranges (commits), not versions",
    "OSS-Fuzz": "its records are evaluated on GIT ranges (commits), not versions",
    "UVI": "UVI records carry no package versions of their own",
    "VSCode": "VS Code extension version ordering is not implemented",
}


def base_ecosystem(ecosystem: str) -> str:
    """Return ``ecosystem`` without its release suffix (``Debian:12`` -> ``Debian``)."""
    return ecosystem.partition(":")[0]


def scheme_for_ecosystem(ecosystem: str) -> VersionScheme:
    """Return the scheme ordering ``ecosystem``'s versions; raise UnsupportedEcosystem if none."""
    base = base_ecosystem(ecosystem)
    entry = ECOSYSTEMS.get(base)
    if isinstance(entry, VersionScheme):
        return entry
    if entry is not None:
        raise UnsupportedEcosystem(
            ecosystem, f"no version ordering implemented for ecosystem {base!r}: {entry}"
        )
    hint = next((name for name in ECOSYSTEMS if name.casefold() == base.casefold()), None)
    raise UnsupportedEcosystem(
        ecosystem,
        f"unknown ecosystem {base!r}" + (f" (OSV spells it {hint!r})" if hint else ""),
    )


def scheme_for_range_type(range_type: str, ecosystem: str) -> VersionScheme:
    """Return the scheme that orders the events of an OSV range of ``range_type``.

    ``SEMVER`` ranges use SemVer, except in the ``Go`` ecosystem, whose SEMVER ranges are
    ordered by the Go scheme: it orders those SemVer strings identically and also reads the
    ``v1.2.3`` and ``go1.21.3`` spellings that SBOMs use for the versions matched against them.
    ``ECOSYSTEM`` ranges use the ecosystem's scheme. ``GIT`` ranges (and unknown types) raise
    UnsupportedRangeType.
    """
    if range_type == "SEMVER":
        return GOLANG if base_ecosystem(ecosystem) == "Go" else SEMVER
    if range_type == "ECOSYSTEM":
        return scheme_for_ecosystem(ecosystem)
    if range_type == "GIT":
        reason = (
            "GIT ranges name commits, which can only be ordered with the repository's commit "
            "graph: match the record's versions[] instead"
        )
    else:
        reason = f"unknown OSV range type {range_type!r} (expected SEMVER, ECOSYSTEM or GIT)"
    raise UnsupportedRangeType(range_type, ecosystem, reason)


def scheme_by_name(name: str) -> VersionScheme:
    """Return the scheme called ``name`` (``pypi``, ``semver``, ``deb``, ...)."""
    try:
        return SCHEMES[name]
    except KeyError:
        known = ", ".join(sorted(SCHEMES))
        raise UnknownVersionScheme(f"no version scheme named {name!r} (known: {known})") from None

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

from importlib import import_module
from typing import Final

from vulndesk.core.errors import VulndeskError
from vulndesk.core.versions.base import VersionScheme

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


# Scheme name -> (its module in this package, the scheme object's name there). A module is
# imported the first time its scheme is asked for: importing all ten costs ~5 ms of a scan's
# start-up, and a scan usually needs one or two.
_SCHEME_MODULES: Final[dict[str, tuple[str, str]]] = {
    "apk": ("apk", "APK"),
    "composer": ("composer", "COMPOSER"),
    "deb": ("dpkg", "DPKG"),
    "golang": ("golang", "GOLANG"),
    "maven": ("maven", "MAVEN"),
    "nuget": ("nuget", "NUGET"),
    "pypi": ("pypi", "PYPI"),
    "rpm": ("rpm", "RPM"),
    "gem": ("rubygems", "RUBYGEMS"),
    "semver": ("semver", "SEMVER"),
}
_loaded: dict[str, VersionScheme] = {}

# OSV ecosystem (base name) -> the name of the scheme ordering its versions
_ORDERED: Final[dict[str, str]] = {
    # language ecosystems
    "PyPI": "pypi",
    "npm": "semver",
    "Go": "golang",
    "crates.io": "semver",
    "Maven": "maven",
    "RubyGems": "gem",
    "NuGet": "nuget",
    "Packagist": "composer",
    "Hex": "semver",
    "Pub": "semver",
    "Bitnami": "semver",
    "SwiftURL": "semver",
    # Linux distributions
    "Debian": "deb",
    "Ubuntu": "deb",
    "AlmaLinux": "rpm",
    "Rocky Linux": "rpm",
    "Red Hat": "rpm",
    "openSUSE": "rpm",
    "SUSE": "rpm",
    "Mageia": "rpm",
    "openEuler": "rpm",
    "Photon OS": "rpm",
    "Azure Linux": "rpm",
    "Alpine": "apk",
    "Wolfi": "apk",
    "Chainguard": "apk",
    "Alpaquita": "apk",
    "BellSoft Hardened Containers": "apk",
    "MinimOS": "apk",
}

# OSV ecosystems we know but do not order, and why: asking for them raises, never guesses
_UNORDERED: Final[dict[str, str]] = {
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

#: every scheme by its ``name`` (the PURL type where there is one, as VERS uses them)
SCHEMES: dict[str, VersionScheme]  # built when first read, by __getattr__

#: OSV ecosystem (base name) -> its scheme, or (a str) the reason there is none
ECOSYSTEMS: dict[str, VersionScheme | str]  # built when first read, by __getattr__


def __getattr__(name: str) -> object:
    """Build ``SCHEMES`` and ``ECOSYSTEMS`` when first read (PEP 562): both import every scheme."""
    value: object
    if name == "SCHEMES":
        value = {scheme: _scheme(scheme) for scheme in _SCHEME_MODULES}
    elif name == "ECOSYSTEMS":
        value = {**{eco: _scheme(scheme) for eco, scheme in _ORDERED.items()}, **_UNORDERED}
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def _scheme(name: str) -> VersionScheme:
    """Return the scheme called ``name`` (a key of ``_SCHEME_MODULES``), importing it once."""
    scheme = _loaded.get(name)
    if scheme is None:
        module, attribute = _SCHEME_MODULES[name]
        scheme = getattr(import_module(f"{__package__}.{module}"), attribute)
        if not isinstance(scheme, VersionScheme) or scheme.name != name:
            raise TypeError(f"{module}.{attribute} is not the {name!r} scheme: {scheme!r}")
        _loaded[name] = scheme
    return scheme


def base_ecosystem(ecosystem: str) -> str:
    """Return ``ecosystem`` without its release suffix (``Debian:12`` -> ``Debian``)."""
    return ecosystem.partition(":")[0]


def scheme_for_ecosystem(ecosystem: str) -> VersionScheme:
    """Return the scheme ordering ``ecosystem``'s versions; raise UnsupportedEcosystem if none."""
    base = base_ecosystem(ecosystem)
    scheme = _ORDERED.get(base)
    if scheme is not None:
        return _scheme(scheme)
    reason = _UNORDERED.get(base)
    if reason is not None:
        raise UnsupportedEcosystem(
            ecosystem, f"no version ordering implemented for ecosystem {base!r}: {reason}"
        )
    known = (*_ORDERED, *_UNORDERED)
    hint = next((name for name in known if name.casefold() == base.casefold()), None)
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
        return _scheme("golang" if base_ecosystem(ecosystem) == "Go" else "semver")
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
    if name not in _SCHEME_MODULES:
        known = ", ".join(sorted(_SCHEME_MODULES))
        raise UnknownVersionScheme(f"no version scheme named {name!r} (known: {known})")
    return _scheme(name)

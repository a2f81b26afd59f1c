"""The feed sources vulndesk knows: their names, kinds, default intervals and settings.

A source's name says what it is: ``nvd``, ``cvelist``, ``kev``, ``epss``, ``euvd``, ``jvn``,
``osv-<Ecosystem>`` (one OSV bulk-export ecosystem; its GitHub advisories come with it, so there
is no separate ``ghsa-`` source that would fetch the same records twice) and
``csaf:<provider>`` (one CSAF provider, whose metadata URL is in the source's settings).

Every known source exists (disabled) once :func:`~vulndesk.server.feeds.services.
feed_sources_ensure` has run: an air-gapped site never reaches for the internet until someone
enables a source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from vulndesk.core.errors import InputError


class SourceKind(StrEnum):
    """What fetcher and codec a source uses."""

    OSV = "osv"
    NVD = "nvd"
    CVELIST = "cvelist"
    KEV = "kev"
    EPSS = "epss"
    EUVD = "euvd"
    JVN = "jvn"
    CSAF = "csaf"


#: how often a scheduled sync runs, per kind (the published update rhythm of each source)
DEFAULT_INTERVALS: dict[SourceKind, timedelta] = {
    SourceKind.OSV: timedelta(hours=1),
    SourceKind.NVD: timedelta(hours=2),
    SourceKind.CVELIST: timedelta(hours=1),
    SourceKind.KEV: timedelta(hours=6),
    SourceKind.EPSS: timedelta(hours=24),
    SourceKind.EUVD: timedelta(hours=6),
    SourceKind.JVN: timedelta(hours=24),
    SourceKind.CSAF: timedelta(hours=24),
}

#: the advisory format (``Advisory.format``) each kind stores; KEV and EPSS store none
ADVISORY_FORMAT: dict[SourceKind, str | None] = {
    SourceKind.OSV: "osv",
    SourceKind.NVD: "nvd",
    SourceKind.CVELIST: "cve5",
    SourceKind.KEV: None,
    SourceKind.EPSS: None,
    SourceKind.EUVD: "euvd",
    SourceKind.JVN: "jvn",
    SourceKind.CSAF: "csaf",
}

#: OSV ecosystems offered by default (the bulk export has more: ``osv-<Ecosystem>`` adds one)
DEFAULT_OSV_ECOSYSTEMS = (
    "PyPI", "npm", "Go", "Maven", "crates.io", "RubyGems", "NuGet", "Packagist", "Hex", "Pub",
    "Debian", "Ubuntu", "Alpine", "AlmaLinux", "Rocky Linux",
)  # fmt: skip

#: the environment variable an NVD source reads its API key from unless its settings name another
NVD_API_KEY_ENV = "VULNDESK_NVD_API_KEY"

_CSAF_NAME = re.compile(r"csaf:[a-z0-9][a-z0-9._-]{0,60}")
_ECOSYSTEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .:_+-]{0,80}")


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A source's name and kind, and the settings it starts with."""

    name: str
    kind: SourceKind
    settings: dict[str, object]

    @property
    def interval(self) -> timedelta:
        """Return the default time between scheduled syncs of this source."""
        return DEFAULT_INTERVALS[self.kind]


def default_specs() -> list[SourceSpec]:
    """Return the sources every installation has (disabled until enabled), in display order."""
    specs = [
        SourceSpec("nvd", SourceKind.NVD, {"api_key_env": NVD_API_KEY_ENV}),
        SourceSpec("cvelist", SourceKind.CVELIST, {}),
        SourceSpec("kev", SourceKind.KEV, {}),
        SourceSpec("epss", SourceKind.EPSS, {}),
        SourceSpec("euvd", SourceKind.EUVD, {}),
        SourceSpec("jvn", SourceKind.JVN, {}),
    ]
    specs += [spec_for(f"osv-{ecosystem}") for ecosystem in DEFAULT_OSV_ECOSYSTEMS]
    return specs


def spec_for(name: str) -> SourceSpec:
    """Return the spec of the source called ``name``; raise InputError for a name that is none.

    ``osv-<Ecosystem>`` and ``csaf:<provider>`` make new sources of those kinds; a CSAF
    provider still needs its URL (``settings["url"]``) before it can sync.
    """
    for kind in (SourceKind.NVD, SourceKind.CVELIST, SourceKind.KEV, SourceKind.EPSS,
                 SourceKind.EUVD, SourceKind.JVN):  # fmt: skip
        if name == kind.value:
            return SourceSpec(
                name, kind, {"api_key_env": NVD_API_KEY_ENV} if kind is SourceKind.NVD else {}
            )
    if name.startswith("osv-"):
        ecosystem = name.removeprefix("osv-")
        if not _ECOSYSTEM.fullmatch(ecosystem) or ".." in ecosystem:
            raise InputError(f"not an OSV ecosystem name: {ecosystem!r}", source=name)
        return SourceSpec(name, SourceKind.OSV, {"ecosystem": ecosystem})
    if _CSAF_NAME.fullmatch(name):
        return SourceSpec(name, SourceKind.CSAF, {"signature_policy": "verify-if-present"})
    raise InputError(
        "unknown feed source: use nvd, cvelist, kev, epss, euvd, jvn, osv-<Ecosystem> "
        "(osv-PyPI) or csaf:<provider> (csaf:cisa)",
        source=name,
    )

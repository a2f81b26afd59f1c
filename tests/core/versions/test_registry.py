"""The OSV ecosystem -> version scheme registry."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vulndesk.core.versions import (
    UnknownVersionScheme,
    UnsupportedEcosystem,
    UnsupportedRangeType,
    scheme_by_name,
    scheme_for_ecosystem,
    scheme_for_range_type,
)
from vulndesk.core.versions.registry import ECOSYSTEMS, SCHEMES, base_ecosystem

SUPPORTED = {
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
    "Debian:12": "deb",
    "Ubuntu:22.04:LTS": "deb",
    "Ubuntu:Pro:18.04:LTS": "deb",
    "AlmaLinux:8": "rpm",
    "Rocky Linux:9": "rpm",
    "Red Hat:enterprise_linux:9::appstream": "rpm",
    "openSUSE:Tumbleweed": "rpm",
    "SUSE:Linux Enterprise Server 15 SP5": "rpm",
    "Mageia:9": "rpm",
    "openEuler:22.03-LTS": "rpm",
    "Alpine:v3.20": "apk",
    "Wolfi": "apk",
    "Chainguard": "apk",
}


@pytest.mark.parametrize(("ecosystem", "scheme"), SUPPORTED.items(), ids=SUPPORTED.keys())
def test_scheme_for_ecosystem(ecosystem: str, scheme: str) -> None:
    assert scheme_for_ecosystem(ecosystem).name == scheme
    assert scheme_for_range_type("ECOSYSTEM", ecosystem).name == scheme


def test_base_ecosystem_strips_release() -> None:
    assert base_ecosystem("Red Hat:enterprise_linux:9::appstream") == "Red Hat"
    assert base_ecosystem("PyPI") == "PyPI"


UNSUPPORTED = ["CRAN", "GitHub Actions", "Hackage", "ConanCenter", "Linux", "OSS-Fuzz", "GIT",
               "Android", "Bioconductor"]  # fmt: skip


@pytest.mark.parametrize("ecosystem", UNSUPPORTED)
def test_known_unsupported_ecosystems_raise_with_reason(ecosystem: str) -> None:
    assert isinstance(ECOSYSTEMS[ecosystem], str)
    with pytest.raises(UnsupportedEcosystem) as caught:
        scheme_for_ecosystem(ecosystem)
    assert caught.value.ecosystem == ecosystem
    assert caught.value.reason.startswith(
        f"no version ordering implemented for ecosystem {ecosystem!r}: "
    )


@pytest.mark.parametrize(
    ("ecosystem", "reason"),
    [
        ("Nonesuch", "unknown ecosystem 'Nonesuch'"),
        ("pypi", "unknown ecosystem 'pypi' (OSV spells it 'PyPI')"),
        ("", "unknown ecosystem ''"),
    ],
    ids=["unknown", "wrong-case-hint", "empty"],
)
def test_unknown_ecosystems_raise(ecosystem: str, reason: str) -> None:
    with pytest.raises(UnsupportedEcosystem) as caught:
        scheme_for_ecosystem(ecosystem)
    assert caught.value.reason == reason


def test_semver_ranges() -> None:
    assert scheme_for_range_type("SEMVER", "npm").name == "semver"
    assert scheme_for_range_type("SEMVER", "Bitnami").name == "semver"
    # Go's SEMVER ranges also have to read SBOM spellings (v1.2.3, go1.21.3)
    go = scheme_for_range_type("SEMVER", "Go")
    assert go.name == "golang"
    assert go.compare("v1.2.3", "1.2.3") == 0
    # SEMVER ranges do not need an ecosystem we can order
    assert scheme_for_range_type("SEMVER", "CRAN").name == "semver"


@pytest.mark.parametrize(
    ("range_type", "reason"),
    [("GIT", "commit graph"), ("RANGE", "unknown OSV range type 'RANGE'")],
    ids=["git", "unknown"],
)
def test_unorderable_range_types(range_type: str, reason: str) -> None:
    with pytest.raises(UnsupportedRangeType, match=reason) as caught:
        scheme_for_range_type(range_type, "PyPI")
    assert isinstance(caught.value, UnsupportedEcosystem)
    assert caught.value.range_type == range_type


def test_scheme_by_name() -> None:
    for name, scheme in SCHEMES.items():
        assert scheme_by_name(name) is scheme
    with pytest.raises(UnknownVersionScheme, match="'nope'"):
        scheme_by_name("nope")


def test_schemes_are_imported_when_first_asked_for() -> None:
    # a scan needs one or two of the ten schemes; importing the registry loads none of them
    code = (
        "import sys\n"
        "from vulndesk.core.versions import scheme_for_ecosystem\n"
        "loaded = lambda: sorted(m.rsplit('.', 1)[1] for m in sys.modules\n"
        "    if m.startswith('vulndesk.core.versions.') and m.rsplit('.', 1)[1] not in\n"
        "    ('base', 'registry'))\n"
        "print(loaded())\n"
        "scheme_for_ecosystem('PyPI:ignored')\n"
        "print(loaded())\n"
        "from vulndesk.core.versions.registry import SCHEMES\n"
        "print(len(SCHEMES), len(loaded()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == ["[]", "['pypi']", "10 10"]


def test_ecosystems_table_lists_every_scheme_and_reason() -> None:
    assert ECOSYSTEMS["PyPI"] is scheme_for_ecosystem("PyPI")
    assert ECOSYSTEMS["Debian"] is SCHEMES["deb"]
    ordered = [e for e, v in ECOSYSTEMS.items() if not isinstance(v, str)]
    unordered = [e for e, v in ECOSYSTEMS.items() if isinstance(v, str)]
    assert (len(ordered), len(unordered)) == (29, 16)
    assert ordered[:3] == ["PyPI", "npm", "Go"] and unordered[0] == "Android"

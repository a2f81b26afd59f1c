"""Every version in the real OSV exports parses in the scheme the registry gives it."""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from packaging.version import InvalidVersion as PackagingInvalidVersion
from packaging.version import Version

from vulndesk.core.versions import scheme_for_ecosystem, scheme_for_range_type

SHARED_OSV = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "osv"

pytestmark = pytest.mark.shared


def _unparsed(ecosystem: str) -> tuple[int, Counter[tuple[str, str, str]]]:
    """Return how many versions were checked and the (where, version, scheme) that did not parse."""
    path = SHARED_OSV / ecosystem / "all.zip"
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared real-data folder is not here)")
    checked = 0
    failures: Counter[tuple[str, str, str]] = Counter()
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            record = json.loads(archive.read(name))
            for i, affected in enumerate(record.get("affected", [])):
                package_ecosystem = affected["package"]["ecosystem"]
                for range_ in affected.get("ranges", []):
                    if range_["type"] == "GIT":
                        continue  # commits, not versions
                    scheme = scheme_for_range_type(range_["type"], package_ecosystem)
                    for event in range_["events"]:
                        for kind, version in event.items():
                            if kind == "introduced" and version == "0":
                                continue  # the special zero
                            checked += 1
                            if not scheme.is_valid(version):
                                failures[
                                    (f"{name} affected[{i}] {kind}", version, scheme.name)
                                ] += 1
                scheme = scheme_for_ecosystem(package_ecosystem)
                for version in affected.get("versions") or []:
                    checked += 1
                    if not scheme.is_valid(version):
                        failures[(f"{name} affected[{i}] versions", version, scheme.name)] += 1
    return checked, failures


@pytest.mark.parametrize("ecosystem", ["Go", "AlmaLinux"])
def test_every_version_parses(ecosystem: str) -> None:
    checked, failures = _unparsed(ecosystem)
    assert checked > 1000
    assert not failures, sorted(failures)


def test_bitnami_only_the_nightly_bound_is_not_semver() -> None:
    checked, failures = _unparsed("Bitnami")
    assert checked > 1000
    # BIT-* record with introduced "nightly.2026-03-10.0": not a version, so not orderable
    assert {version for _, version, _ in failures} <= {"nightly.2026-03-10.0"}, sorted(failures)


# Non-PEP 440 strings seen in the PyPI snapshot (2024-10): legacy versions in versions[] that pip
# can no longer install, and two range bounds ("0.2.0-n653", "2019-09-12").
PYPI_KNOWN_LEGACY = {
    "-class.-jw.util.version.Version-", "0.1-bulbasaur", "0.1-charmander", "0.2.0-n653",
    "0.3.1-p1", "0.3.2d", "0.3.2d.dev", "0.3.2e.dev", "0.3.2f", "0.3.2f.dev", "0.3.2g.dev",
    "0.4.0-p1", "0.7.0d", "0.7.1.fix1", "0.7.4.svn.r2010", "0.9-doduo", "0.9-eevee",
    "0.9-fearow", "0.9-gyarados", "0.9-horsea", "0.9-ivysaur", "2.0.1rc2-git", "2019-09-12",
    "3.0.0b3-", "a3",
}  # fmt: skip


def test_pypi_only_legacy_versions_do_not_parse() -> None:
    checked, failures = _unparsed("PyPI")
    assert checked > 10_000
    unparsed = {version for _, version, _ in failures}
    # every string we reject, packaging rejects too
    for version in unparsed:
        with pytest.raises(PackagingInvalidVersion):
            Version(version)
    assert sum(failures.values()) <= 60, sorted(failures)
    assert unparsed <= PYPI_KNOWN_LEGACY, sorted(unparsed - PYPI_KNOWN_LEGACY)

"""Real data: the range evaluation agrees with every record's own versions list (PyPI zip).

The core lives in bench/crosscheck_osv.py (which also prints the table for any OSV source); this
test runs it on the shared PyPI zip and pins every disagreement to its explanation.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest
from packaging.version import InvalidVersion, Version

from support import ROOT, shared_data
from vulndesk.core.advisories.model import Advisory
from vulndesk.core.advisories.sources import read_osv


def crosscheck_module() -> ModuleType:
    path = ROOT / "bench" / "crosscheck_osv.py"
    spec = importlib.util.spec_from_file_location("crosscheck_osv", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("crosscheck_osv", module)
    spec.loader.exec_module(module)
    return module


# The ranges and the versions list of these records contradict each other; the ranges are
# evaluated exactly as schema §Evaluation says, so the data, not the evaluator, is at fault:
# - PYSEC-2021-114 (wagtail) has overlapping intervals, introduced 2.11 / fixed 2.11.7 and
#   introduced 0 / fixed 2.11.6: sorted, "fixed 2.11.6" comes after "introduced 2.11" and ends
#   the interval, so 2.11.6 is not affected by the ranges although the list names it.
# - PYSEC-2023-61 (django) starts its intervals at "3.2" and "4.2" but lists their alphas, betas
#   and release candidates, which PEP 440 sorts before the final release.
OUTSIDE = {
    ("PYSEC-2021-114", "2.11.6"),
    ("PYSEC-2023-61", "3.2a1"),
    ("PYSEC-2023-61", "3.2b1"),
    ("PYSEC-2023-61", "3.2rc1"),
    ("PYSEC-2023-61", "4.2a1"),
    ("PYSEC-2023-61", "4.2b1"),
    ("PYSEC-2023-61", "4.2rc1"),
}


@pytest.mark.shared
def test_pypi_ranges_cover_every_listed_version() -> None:
    path = shared_data("osv/PyPI/all.zip")
    advisories = [a for a in read_osv(path) if isinstance(a, Advisory)]
    result = crosscheck_module().crosscheck(advisories)

    assert result.records["PyPI"] == 1949  # every record with versions and an ECOSYSTEM range
    assert result.versions["PyPI"] == 90182

    outside = {(d.advisory_id, d.version) for d in result.disagreements if d.kind == "outside"}
    assert outside == OUTSIDE
    assert [d for d in result.disagreements if d.kind == "unknown"] == []

    # the rest are versions PEP 440 cannot read ("0.1-bulbasaur", "0.7.1.fix1"): the ranges
    # cannot place them, and say so instead of guessing
    unparsable = [d for d in result.disagreements if d.kind == "unparsable"]
    assert len(unparsable) == 55
    for d in unparsable:
        with pytest.raises(InvalidVersion):
            Version(d.version)
    assert len(result.disagreements) == 62


def test_explanations_hold() -> None:
    assert Version("3.2rc1") < Version("3.2")  # pre-releases sort before the release


@pytest.mark.shared
@pytest.mark.parametrize("name", ["Go", "AlmaLinux", "PyPI", "Bitnami"])
def test_every_range_agrees_with_its_own_bounds(name: str) -> None:
    # introduced X must be affected and fixed Y not, by the range alone; this covers the
    # ecosystems whose records have no versions list (Go, AlmaLinux, Bitnami)
    path = shared_data(f"osv/{name}/all.zip")
    advisories = [a for a in read_osv(path) if isinstance(a, Advisory)]
    by_id = {a.id: a for a in advisories}
    result = crosscheck_module().bounds_check(advisories)
    assert result.checked[name] > 5000
    for d in result.contradictions:
        events = {
            (e.kind, e.version)
            for entry in by_id[d.advisory_id].affected
            for r in entry.ranges
            for e in r.events
        }
        if d.kind == "unknown":
            # a bound the scheme cannot read (PyPI "2019-09-12", Bitnami "nightly.2026-03-10.0")
            assert "is not a valid" in d.detail, d
        else:
            # touching or empty intervals: the same version is both introduced and fixed
            assert {("introduced", d.version), ("fixed", d.version)} <= events, d
    expected = {"Go": 0, "AlmaLinux": 0, "PyPI": 2, "Bitnami": 231}
    assert len(result.contradictions) == expected[name]

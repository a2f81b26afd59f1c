"""Cross-check vulndesk's range evaluation against the records' own ``versions`` lists.

An OSV record that has both ``ranges`` and ``versions`` states the same thing twice: every listed
version must lie in one of the ranges. This script evaluates each listed version with the ranges
alone (``evaluate(..., use_versions=False)``: the list is not consulted, GIT ranges cannot say
anything) and reports every version the ranges do not call affected. Only ``affected[]`` entries
that have a SEMVER or ECOSYSTEM range and a non-empty ``versions`` list count.

A disagreement is one of:

- ``unparsable``: the listed version is not valid in the ecosystem's ordering (legacy PyPI versions
  such as ``0.1-bulbasaur`` that PEP 440 cannot read), so the ranges cannot place it: ``unknown``;
- ``outside``: the version parses and the ranges say "not affected": the record contradicts itself
  (e.g. overlapping ranges whose ``fixed`` events cancel each other, or an ``introduced: 3.2``
  whose pre-releases ``3.2a1`` are listed although PEP 440 sorts them before ``3.2``);
- ``unknown``: some other range problem (an invalid bound) left the answer open.

    bench/crosscheck_osv.py                  # the four zips in ../shared/data/osv
    bench/crosscheck_osv.py path/to/all.zip  # any OSV source (zip, directory, file)
    bench/crosscheck_osv.py -v               # also list every disagreement
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from vulndesk.core.advisories.model import Advisory  # noqa: E402
from vulndesk.core.advisories.sources import read_osv  # noqa: E402
from vulndesk.core.matching.evaluation import OsvRangeEvaluator  # noqa: E402

SHARED_OSV = ROOT.parent / "shared" / "data" / "osv"
ZIPS = ("PyPI", "Go", "AlmaLinux", "Bitnami")
_VERSION_RANGES = frozenset({"SEMVER", "ECOSYSTEM"})


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A listed version the ranges do not call affected."""

    advisory_id: str
    ecosystem: str
    package: str
    version: str
    kind: str  # "unparsable" | "outside" | "unknown"
    detail: str


@dataclass(slots=True)
class CrosscheckResult:
    """Counts per ecosystem (the part before ``:``) and every disagreement."""

    records: Counter[str] = field(default_factory=Counter)
    entries: Counter[str] = field(default_factory=Counter)
    versions: Counter[str] = field(default_factory=Counter)
    disagreements: list[Disagreement] = field(default_factory=list)
    skipped_entries: Counter[str] = field(default_factory=Counter)  # versions but no version range


def crosscheck(
    advisories: Iterable[Advisory], evaluator: OsvRangeEvaluator | None = None
) -> CrosscheckResult:
    """Return how many listed versions the ranges alone call affected, and which they do not."""
    evaluator = evaluator if evaluator is not None else OsvRangeEvaluator()
    result = CrosscheckResult()
    for advisory in advisories:
        counted: set[str] = set()
        for affected in advisory.affected:
            if not affected.versions:
                continue
            family = affected.ecosystem.partition(":")[0]
            if not any(r.type in _VERSION_RANGES for r in affected.ranges):
                result.skipped_entries[family] += 1
                continue
            counted.add(family)
            result.entries[family] += 1
            for version in affected.versions:
                result.versions[family] += 1
                answer = evaluator.evaluate(affected, version, use_versions=False)
                if answer.status == "affected":
                    continue
                if answer.status == "not_affected":
                    kind, detail = "outside", "the ranges say not affected"
                elif any(f"{version!r} is not a valid" in p for p in answer.problems):
                    kind, detail = "unparsable", "; ".join(answer.problems)
                else:
                    kind, detail = "unknown", "; ".join(answer.problems)
                result.disagreements.append(
                    Disagreement(
                        advisory.id, affected.ecosystem, affected.name, version, kind, detail
                    )
                )
        for family in counted:
            result.records[family] += 1
    return result


@dataclass(slots=True)
class BoundsResult:
    """Per ecosystem: bounds checked, and the bounds whose evaluation contradicts their kind."""

    checked: Counter[str] = field(default_factory=Counter)
    contradictions: list[Disagreement] = field(default_factory=list)


def bounds_check(
    advisories: Iterable[Advisory], evaluator: OsvRangeEvaluator | None = None
) -> BoundsResult:
    """Return each range's own bounds evaluated against that range alone.

    An ``introduced: X`` (X not "0") should make X affected and a ``fixed: Y`` should make Y not
    affected. This needs no versions list, so it also covers ecosystems whose records have none
    (Go, AlmaLinux, Bitnami). Exceptions are legitimate when intervals touch or overlap: a range
    ``introduced 2.4.49, fixed 2.4.50, introduced 2.4.50, fixed 2.4.51`` makes 2.4.50 affected
    (it is: CVE-2021-42013), and a bound invalid in the scheme makes the range unknown.
    """
    evaluator = evaluator if evaluator is not None else OsvRangeEvaluator()
    result = BoundsResult()
    for advisory in advisories:
        for affected in advisory.affected:
            family = affected.ecosystem.partition(":")[0]
            for r in affected.ranges:
                if r.type not in _VERSION_RANGES:
                    continue
                alone = replace(affected, ranges=(r,), versions=())
                for event in r.events:
                    if event.kind == "introduced" and event.version != "0":
                        expected = "affected"
                    elif event.kind == "fixed":
                        expected = "not_affected"
                    else:
                        continue
                    result.checked[family] += 1
                    answer = evaluator.evaluate(alone, event.version, use_versions=False)
                    if answer.status != expected:
                        detail = (
                            "; ".join(answer.problems) or f"{event.kind} bound is {answer.status}"
                        )
                        result.contradictions.append(
                            Disagreement(
                                advisory.id,
                                affected.ecosystem,
                                affected.name,
                                event.version,
                                answer.status,
                                detail,
                            )
                        )
    return result


def _families(advisories: Iterable[Advisory]) -> set[str]:
    return {a.ecosystem.partition(":")[0] for adv in advisories for a in adv.affected}


def load(path: Path) -> tuple[list[Advisory], int]:
    """Return the advisories at ``path`` and how many records could not be read."""
    advisories: list[Advisory] = []
    problems = 0
    for item in read_osv(path):
        if isinstance(item, Advisory):
            advisories.append(item)
        else:
            problems += 1
    return advisories, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("sources", nargs="*", type=Path, help="OSV zips, directories or files")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every disagreement")
    args = parser.parse_args(argv)
    sources = args.sources or [SHARED_OSV / name / "all.zip" for name in ZIPS]
    missing = [s for s in sources if not s.exists()]
    if missing:
        print(f"missing: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2

    started = time.perf_counter()
    advisories: list[Advisory] = []
    unreadable = 0
    for source in sources:
        loaded, problems = load(source)
        advisories.extend(loaded)
        unreadable += problems
    loaded_at = time.perf_counter()
    result = crosscheck(advisories)
    bounds = bounds_check(advisories)
    checked_at = time.perf_counter()

    families = sorted(_families(advisories) - {""})
    by_kind: dict[str, Counter[str]] = {}
    for d in result.disagreements:
        by_kind.setdefault(d.ecosystem.partition(":")[0], Counter())[d.kind] += 1
    header = (
        f"{'ecosystem':<12} {'records':>8} {'entries':>8} {'versions':>9} "
        f"{'disagree':>9} {'unparsable':>11} {'outside':>8} {'unknown':>8} {'GIT-only':>9}"
    )
    print(header)
    print("-" * len(header))
    for family in families:
        kinds = by_kind.get(family, Counter())
        print(
            f"{family:<12} {result.records[family]:>8} {result.entries[family]:>8} "
            f"{result.versions[family]:>9} {sum(kinds.values()):>9} {kinds['unparsable']:>11} "
            f"{kinds['outside']:>8} {kinds['unknown']:>8} {result.skipped_entries[family]:>9}"
        )
    total = len(result.disagreements)
    print("-" * len(header))
    print(
        f"{'total':<12} {sum(result.records.values()):>8} {sum(result.entries.values()):>8} "
        f"{sum(result.versions.values()):>9} {total:>9}"
    )
    print(
        f"\n{len(advisories)} records read ({unreadable} unreadable) in "
        f"{loaded_at - started:.2f} s; cross-check in {checked_at - loaded_at:.2f} s"
    )
    print("\nbounds self-check (introduced X must be affected, fixed Y not, range alone):")
    bounds_by: dict[str, Counter[str]] = {}
    for d in bounds.contradictions:
        bounds_by.setdefault(d.ecosystem.partition(":")[0], Counter())[d.kind] += 1
    for family in families:
        kinds = bounds_by.get(family, Counter())
        print(
            f"  {family:<12} {bounds.checked[family]:>7} bounds, "
            f"{sum(kinds.values()):>4} contradictions {dict(kinds) if kinds else ''}"
        )
    if args.verbose:
        for d in bounds.contradictions:
            print(f"    {d.advisory_id:<28} {d.package:<20} {d.version:<16} {d.detail}")
    outside = [d for d in result.disagreements if d.kind != "unparsable"]
    shown = result.disagreements if args.verbose else outside
    if shown:
        print(
            "\ndisagreements" + ("" if args.verbose else " (other than unparsable versions)") + ":"
        )
        for d in shown:
            print(f"  {d.advisory_id:<20} {d.package:<24} {d.version:<16} {d.kind:<10} {d.detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The portfolio benchmark's input: real PyPI versions from the OSV zip (the pool), and the
seeded plan of products, releases and components drawn from it (bench/portfolio.py)."""

from __future__ import annotations

import random
import re
import zipfile
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import orjson

# --------------------------------------------------------------------------------------------
# The pool: real PyPI package versions from the OSV zip


@dataclass
class Package:
    """A PyPI package of the zip: versions its records list as affected, and clean ones."""

    name: str  # as the advisories spell it
    vulnerable: list[str]
    hits: list[int]  # records listing each vulnerable version: about the findings it gets
    clean: list[str]  # ``fixed`` versions that no record lists as affected
    weight: float = 1.0  # popularity (Zipf by a seeded random rank)


def pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _version_key(version: str) -> object:
    """Return a key under which PEP 440-equal spellings ("1.0" and "1.0.0") compare equal."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version)
    except InvalidVersion:
        return version


def read_pool(path: Path) -> list[Package]:
    """Return every PyPI package of the OSV zip at ``path`` with its vulnerable and clean versions.

    A version is vulnerable when a (not withdrawn) record lists it in ``versions``; the number of
    records listing it approximates the findings a component at that version gets. Clean versions
    are ``fixed`` events that no record lists (and that no listed version equals under PEP 440).
    """
    from vulndesk.core.errors import VulndeskError
    from vulndesk.core.ids.purl import normalize_purl

    hits: dict[str, Counter[str]] = defaultdict(Counter)
    fixed: dict[str, set[str]] = defaultdict(set)
    spelled: dict[str, str] = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.filename.endswith(".json"):
                continue
            record = orjson.loads(archive.read(info))
            if record.get("withdrawn"):
                continue
            listed: dict[str, set[str]] = defaultdict(set)
            for affected in record.get("affected", []):
                package = affected.get("package") or {}
                if package.get("ecosystem") != "PyPI" or not package.get("name"):
                    continue
                key = pep503(package["name"])
                spelled.setdefault(key, package["name"])
                listed[key].update(affected.get("versions") or [])
                for rng in affected.get("ranges") or []:
                    if rng.get("type") != "ECOSYSTEM":  # GIT ranges name commits
                        continue
                    fixed[key].update(e["fixed"] for e in rng.get("events", []) if "fixed" in e)
            for key, versions in listed.items():
                hits[key].update(versions)

    def usable(name: str, version: str) -> bool:
        try:
            normalize_purl(f"pkg:pypi/{name}@{version}")
        except VulndeskError:
            return False
        return True

    pool = []
    for key in sorted(spelled):
        name = spelled[key]
        vulnerable = sorted(v for v in hits[key] if usable(name, v))
        listed_keys = {_version_key(v) for v in hits[key]}
        clean = sorted(
            v
            for v in fixed[key]
            if v not in hits[key] and _version_key(v) not in listed_keys and usable(name, v)
        )
        if vulnerable or clean:
            pool.append(Package(name, vulnerable, [hits[key][v] for v in vulnerable], clean))
    return pool


def count_findings(pool: list[Package]) -> int:
    """Set each package's vulnerable versions and their finding counts from the real matcher
    (the stored advisories), and its clean versions to those without findings; return how
    many versions were evaluated. The zip's ``versions`` lists only approximate this (ranges,
    alias groups), and the findings the portfolio gets should be what the plan aims for."""
    from vulndesk.core.sbom.model import Component as SbomComponent
    from vulndesk.server.advisories.selectors import django_raw_database

    try:
        from vulndesk.server.findings.scanning import match_stored
    except ImportError:  # before the scan moved out of findings.selectors
        from vulndesk.server.findings.selectors import match_stored  # type: ignore[attr-defined]

    components = [
        SbomComponent(ref=f"{j} {v}", name=p.name, version=v, purl=purl_of(p.name, v))
        for j, p in enumerate(pool)
        for v in (*p.vulnerable, *p.clean)
    ]
    found: Counter[str] = Counter()
    db = django_raw_database()
    for start in range(0, len(components), 2000):
        report = match_stored(components=components[start : start + 2000], db=db)
        found.update(f.component.ref for f in report.findings)
    for j, package in enumerate(pool):
        versions = [*package.vulnerable, *package.clean]
        package.vulnerable = [v for v in versions if found[f"{j} {v}"]]
        package.hits = [found[f"{j} {v}"] for v in package.vulnerable]
        package.clean = [v for v in versions if not found[f"{j} {v}"]]
    return len(components)


# --------------------------------------------------------------------------------------------
# The plan: which identities each release has


@dataclass
class Probe:
    """A package version placed in exactly ``len(releases)`` releases, for target (b)."""

    package: Package
    version: str
    releases: set[int]
    advisory_id: str


@dataclass
class Plan:
    """Each release's identities (indexes into ``identities``) and the probes for target (b)."""

    identities: list[tuple[Package, str]]
    releases: list[array[int]]
    probes: list[Probe]
    vulnerable_share: float
    expected_findings: int

    def purl(self, index: int) -> str:
        package, version = self.identities[index]
        return purl_of(package.name, version)


def purl_of(name: str, version: str) -> str:
    """Return the canonical purl of a PyPI package version."""
    from vulndesk.core.ids.purl import normalize_purl

    return normalize_purl(f"pkg:pypi/{name}@{version}")


def _age_factor(release: int, per_product: int) -> float:
    """Older releases carry more vulnerable versions: 1.6 for the oldest down to 0.4 (mean 1)."""
    if per_product <= 1:
        return 1.0
    age = (per_product - 1 - release % per_product) / (per_product - 1)
    return 0.4 + 1.2 * age


class _Drawer:
    """Draws one release's package versions: packages in a weighted random order without
    replacement (Efraimidis-Spirakis), each at a vulnerable version with a probability, else at
    a clean one; a package with no version of the kind drawn is passed over."""

    def __init__(self, pool: list[Package], components: int, per_product: int) -> None:
        self.pool = pool
        self.components = components
        self.per_product = per_product
        self.inverse = [1.0 / p.weight for p in pool]

    def draw(
        self, rng: random.Random, release: int, share: float
    ) -> tuple[list[int], list[str], int]:
        """Return (package indexes, versions, expected findings) of release ``release``."""
        keys = [rng.random() ** w for w in self.inverse]
        order = sorted(range(len(self.pool)), key=keys.__getitem__, reverse=True)
        p_vulnerable = min(1.0, share * _age_factor(release, self.per_product))
        chosen: list[int] = []
        versions: list[str] = []
        expected = 0
        for j in order:
            package = self.pool[j]
            if rng.random() < p_vulnerable:
                if not package.vulnerable:
                    continue
                k = rng.randrange(len(package.vulnerable))
                versions.append(package.vulnerable[k])
                expected += package.hits[k]
            elif package.clean:
                versions.append(package.clean[rng.randrange(len(package.clean))])
            else:
                continue
            chosen.append(j)
            if len(chosen) == self.components:
                break
        return chosen, versions, expected


def make_plan(
    pool: list[Package],
    *,
    releases: int,
    per_product: int,
    components: int,
    findings_per_release: float,
    probes: int,
    probe_releases: int,
    zipf: float,
    seed: int,
) -> Plan:
    """Return the portfolio: popularity, probes, the calibrated vulnerable share, every release."""
    rng = random.Random(seed)
    ranks = list(range(len(pool)))
    rng.shuffle(ranks)
    for package, rank in zip(pool, ranks, strict=True):
        package.weight = 1.0 / (rank + 1) ** zipf

    # Probes: the most popular packages with a clean version to spare (a new advisory usually
    # names a widely used package); their version is then drawn by no other release.
    probe_list: list[Probe] = []
    by_popularity = sorted(pool, key=lambda p: -p.weight)
    for package in by_popularity:
        if len(probe_list) == probes:
            break
        # a version the matcher can evaluate (PEP 440): "0.7.1.fix1" would never match
        valid = [v for v in package.clean if not isinstance(_version_key(v), str)]
        if len(package.clean) < 2 or not valid:
            continue
        version = valid[rng.randrange(len(valid))]
        same = _version_key(version)
        clean = [v for v in package.clean if _version_key(v) != same]
        if not clean:
            continue
        keep = [i for i, v in enumerate(package.vulnerable) if _version_key(v) != same]
        package.clean = clean
        package.vulnerable = [package.vulnerable[i] for i in keep]
        package.hits = [package.hits[i] for i in keep]
        chosen = set(rng.sample(range(releases), probe_releases))
        probe_list.append(Probe(package, version, chosen, f"BENCH-PROBE-{len(probe_list):02d}"))
    if len(probe_list) < probes:
        raise SystemExit(f"bench: only {len(probe_list)} packages can serve as probes")

    drawer = _Drawer(pool, components, per_product)
    share = _calibrate(drawer, findings_per_release, seed)

    index: dict[tuple[int, str], int] = {}
    identities: list[tuple[Package, str]] = []
    package_index = {id(p): j for j, p in enumerate(pool)}
    plan_rows: list[array[int]] = []
    expected_total = 0
    for release in range(releases):
        chosen, versions, expected = drawer.draw(rng, release, share)
        expected_total += expected
        for probe in probe_list:
            if release not in probe.releases:
                continue
            j = package_index[id(probe.package)]
            if j in chosen:
                versions[chosen.index(j)] = probe.version
            else:  # replace the least popular package drawn that is not a probe's
                protected = {package_index[id(p.package)] for p in probe_list}
                k = max(i for i, c in enumerate(chosen) if c not in protected)
                chosen[k], versions[k] = j, probe.version
        row = array("i")
        for j, version in zip(chosen, versions, strict=True):
            key = (j, version)
            if key not in index:
                index[key] = len(identities)
                identities.append((pool[j], version))
            row.append(index[key])
        plan_rows.append(row)
    return Plan(identities, plan_rows, probe_list, share, expected_total)


def _calibrate(drawer: _Drawer, findings_per_release: float, seed: int) -> float:
    """Return the vulnerable share that gives about ``findings_per_release`` (bisection on a
    sample of releases; the expectation counts the records listing each drawn version)."""

    def mean_findings(share: float) -> float:
        rng = random.Random(seed + 1)
        sample = 300
        return sum(drawer.draw(rng, r, share)[2] for r in range(sample)) / sample

    low, high = 0.0, 1.0
    if mean_findings(high) < findings_per_release:
        return high
    for _ in range(18):
        middle = (low + high) / 2
        if mean_findings(middle) < findings_per_release:
            low = middle
        else:
            high = middle
    return (low + high) / 2


@dataclass
class Loaded:
    """What was written, and how long each step took."""

    products: int = 0
    releases: int = 0
    components: int = 0
    identities: int = 0
    release_ids: list[int] = field(default_factory=list)
    product_ids: list[int] = field(default_factory=list)
    identity_ids: list[int] = field(default_factory=list)  # by plan index
    seconds: dict[str, float] = field(default_factory=dict)

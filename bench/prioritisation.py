"""vulndesk prioritisation benchmark: SSVC priorities of a 1M-finding portfolio on PostgreSQL,
recomputed after an EPSS daily update.

Target: "Prioritisation of a 1M-finding portfolio on PostgreSQL recomputes after an EPSS daily
update in <= 60 s". The portfolio is the portfolio benchmark's (bench/portfolio.py: 1,000
products x 10 releases x 300 components of real PyPI versions, the 1,974 real PyPI advisories,
~1M findings after a full re-match, which prioritises every finding as it writes it), with the
products' asset contexts drawn at random (exposure, mission and safety impact, value density,
deployer or supplier), and CISA's real KEV catalogue imported.

Then an EPSS file of ``--epss-rows`` CVEs (the portfolio's CVEs plus filler, FIRST's format)
is imported once to seed the scores, and each measured "day" imports a new file through
``epss_import``. How many scores move from one day to the next decides the cost, since every
alias group of a moved CVE gets its score rewritten (``GroupEpss``; until 2026-11-22 every
finding's own copy, ``Finding.epss``), and we have no real consecutive files to count it on: so
it is measured for several shares (``--moving``, default 10%, 30% and 100% of the scores; a
moved score changes by up to +-30%, every percentile moves). Each day is run two ways:

- vulndesk: the real path: scores, history, the groups' scores and, for every alias group
  whose CVE score changed, ``priorities_refresh`` (which writes nothing, since EPSS sets no SSVC
  point, but reads every finding of those groups to prove it).
- baseline (same run, alternating days): the same import with the priority refresh switched
  off, i.e. what the EPSS import cost before prioritisation existed.

Each run is on a new day's file, and the findings and scores tables are vacuumed between days
(autovacuum's work between two daily imports, not timed). The table prints medians, the ratio,
the refresh's own time, and a plain UPDATE of one column of every finding: the least that
keeping a copy of the score on each finding would cost (what the import did before GroupEpss).

    bench/run --prioritisation                   # full scale (~15 minutes to build)
    bench/run --prioritisation --releases 500    # a quick run (~2 minutes)
    bench/run --prioritisation --keep            # keep the database; --reuse measures it again

It needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and ../shared/data (the OSV PyPI
zip and the KEV catalogue). The database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from portfolio_common import POSTGRES, PYPI_ZIP, PYTHON, ROOT, SHARED, log, verdict
from portfolio_processes import database_create, database_drop

KEV_JSON = SHARED / "kev/known_exploited_vulnerabilities.json"
TARGET_S = 60.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Return the command line's options."""
    parser = argparse.ArgumentParser(
        prog="bench/run --prioritisation", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--releases", type=int, default=10_000, help="releases (default 10,000)")
    parser.add_argument("--per-product", type=int, default=10, help="releases per product")
    parser.add_argument("--components", type=int, default=300, help="components per release")
    parser.add_argument("--findings-per-release", type=float, default=100.0)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--epss-rows", type=int, default=300_000, help="CVEs in the EPSS file")
    parser.add_argument("--repeat", type=int, default=2, help="days measured per variant")
    parser.add_argument(
        "--moving",
        type=lambda v: [float(x) for x in v.split(",")],
        default=[0.1, 0.3, 1.0],
        help="shares of the scores that move from one day to the next (default 0.1,0.3,1.0)",
    )
    parser.add_argument("--database", default="vulndesk_bench_prioritisation")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a database kept by an earlier --keep run"
    )
    return parser.parse_args(argv)


# --------------------------------------------------------------------------------------------
# Building


def build(args: argparse.Namespace, notes: list[str]) -> dict[str, float]:
    """Import the advisories, load the portfolio, re-match it (which prioritises), vary the
    products' contexts and import KEV; return the timed steps."""
    from django.db import connection

    from portfolio import load_portfolio
    from portfolio_plan import count_findings, make_plan, read_pool
    from vulndesk.core.scoring.kev import read_kev
    from vulndesk.server.advisories.services import feeds_import, kev_import
    from vulndesk.server.findings.services import findings_rematch_all
    from vulndesk.server.inventory.models import Product

    timings: dict[str, float] = {}
    begun = time.perf_counter()
    imported = feeds_import(paths=[PYPI_ZIP], actor_label="bench").created
    timings["advisories (feeds_import)"] = time.perf_counter() - begun
    pool = read_pool(PYPI_ZIP)
    count_findings(pool)
    plan = make_plan(
        pool,
        releases=args.releases,
        per_product=args.per_product,
        components=args.components,
        findings_per_release=args.findings_per_release,
        probes=1,
        probe_releases=1,
        zipf=1.0,
        seed=args.seed,
    )
    loaded = load_portfolio(plan, per_product=args.per_product, seed=args.seed)
    log(f"{imported} advisories; {loaded.components:,} components loaded")
    # asset contexts: a realistic spread, so the outcome table has many contexts
    rng = random.Random(args.seed + 11)
    contexts = {
        "mission_impact": ["degraded", "mef_support_crippled", "mef_failure", "mission_failure"],
        "safety_impact": ["negligible", "negligible", "marginal", "critical", "catastrophic"],
        "value_density": ["diffuse", "diffuse", "concentrated"],
        "perspective": ["deployer", "deployer", "deployer", "supplier"],
    }
    for product_id in loaded.product_ids:
        Product.objects.filter(pk=product_id).update(
            **{field: rng.choice(values) for field, values in contexts.items()}
        )
    begun = time.perf_counter()
    run = findings_rematch_all()
    timings["full re-match from nothing, priorities included"] = time.perf_counter() - begun
    log(f"re-match: {timings['full re-match from nothing, priorities included']:.1f} s, "
        f"{run.as_dict()}")  # fmt: skip
    # the real catalogue names few PyPI CVEs: 2% of the portfolio's CVEs are added to it, so
    # that "active" exploitation, and the priorities it raises, exist at scale
    real = read_kev(KEV_JSON)
    listed = {e.cve_id for e in real.entries}
    cves = portfolio_cves()
    extra = [c for c in random.Random(args.seed + 7).sample(cves, len(cves) // 50)
             if c not in listed]  # fmt: skip
    template = real.entries[0]
    catalog = replace(
        real,
        entries=(
            *real.entries,
            *(replace(template, cve_id=c, name=f"bench entry {c}") for c in extra),
        ),
    )
    begun = time.perf_counter()
    outcome = kev_import(catalog=catalog, actor_label="bench")
    step = "KEV import (real catalogue + 2% of the CVEs), priorities included"
    timings[step] = time.perf_counter() - begun
    notes.append(
        f"KEV: {len(real.entries)} real entries + {len(extra)} of the portfolio's CVEs; "
        f"{outcome.findings_updated:,} findings flagged"
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return timings


# --------------------------------------------------------------------------------------------
# The EPSS files


def portfolio_cves() -> list[str]:
    """Return every CVE id the portfolio's findings name (their alias groups' CVEs)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT jsonb_array_elements_text(aliases) FROM findings_finding "
            "UNION SELECT DISTINCT vulnerability_id FROM findings_finding"
        )
        return sorted({row[0] for row in cursor.fetchall() if row[0].startswith("CVE-")})


def epss_cves(portfolio: list[str], rows: int, seed: int) -> list[str]:
    """Return ``rows`` CVE ids: the portfolio's, then filler that no finding names."""
    known = set(portfolio)
    out = list(portfolio)
    rng = random.Random(seed)
    while len(out) < rows:
        cve = f"CVE-{rng.randint(1999, 2025)}-{rng.randint(1, 99_999):05d}"
        if cve not in known:
            known.add(cve)
            out.append(cve)
    return out


def write_epss(path: Path, cves: list[str], day: date, scores: list[float]) -> None:
    """Write an EPSS daily file (gzip CSV with FIRST's comment line)."""
    ranked = sorted(scores)
    lines = [
        f"#model_version:v2025.03.14,score_date:{day.isoformat()}T12:55:00Z",
        "cve,epss,percentile",
    ]
    # percentile: the share of scores at or below (a binary search per CVE is plenty here)
    import bisect

    total = len(ranked)
    for cve, score in zip(cves, scores, strict=True):
        percentile = bisect.bisect_right(ranked, score) / total
        lines.append(f"{cve},{score:.5f},{percentile:.5f}")
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), compresslevel=1))


def next_scores(scores: list[float], share: float, rng: random.Random) -> list[float]:
    """Return the next day's scores: a ``share`` of them moves by up to +-30% (a few jump by
    0.2, shown as news); the rest keep their score (their percentile still moves)."""
    out = []
    for score in scores:
        if rng.random() >= share:
            out.append(score)
            continue
        moved = score * rng.uniform(0.7, 1.3)
        if rng.random() < 0.001:
            moved += 0.2
        out.append(min(1.0, max(0.00001, round(moved, 5))))
    return out


# --------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Scenario:
    """The runs of one share of moving scores."""

    share: float
    real: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    refresh: list[float] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)  # alias groups whose score was rewritten


def measure(args: argparse.Namespace, folder: Path) -> list[Scenario]:
    """Seed the scores, then for each share of moving scores import one day per run,
    alternating the baseline and the real path; return the runs."""
    from vulndesk.server.advisories.services import epss_import
    from vulndesk.server.findings import services as findings_services

    cves = epss_cves(portfolio_cves(), args.epss_rows, args.seed)
    log(f"EPSS file: {len(cves):,} CVEs")
    rng = random.Random(args.seed + 5)
    scores = [round(min(1.0, rng.betavariate(0.3, 8.0) + 0.00001), 5) for _ in cves]
    day = date(2026, 11, 1)
    path = folder / "epss-seed.csv.gz"
    write_epss(path, cves, day, scores)
    begun = time.perf_counter()
    seeded = epss_import(path=path, actor_label="bench")
    log(f"EPSS seed import: {time.perf_counter() - begun:.1f} s, {seeded.groups_updated} "
        "groups updated")  # fmt: skip
    vacuum()

    real_refresh = findings_services.priorities_refresh
    spent: list[float] = []

    def timed_refresh(findings: Any) -> int:
        begun = time.perf_counter()
        try:
            return real_refresh(findings)
        finally:
            spent[-1] += time.perf_counter() - begun

    def no_refresh(findings: Any) -> int:
        return 0

    scenarios = [Scenario(share) for share in args.moving]
    for scenario in scenarios:
        for run in range(args.repeat * 2):
            with_refresh = run % 2 == 1  # the baseline first: both see a warm cache after
            day += timedelta(days=1)
            scores = next_scores(scores, scenario.share, rng)
            path = folder / f"epss-{day.isoformat()}.csv.gz"
            write_epss(path, cves, day, scores)
            spent.append(0.0)
            findings_services.priorities_refresh = timed_refresh if with_refresh else no_refresh
            try:
                begun = time.perf_counter()
                outcome = epss_import(path=path, actor_label="bench")
                seconds = time.perf_counter() - begun
            finally:
                findings_services.priorities_refresh = real_refresh
            vacuum()  # autovacuum's work between two daily imports, not timed
            if with_refresh:
                scenario.real.append(seconds)
                scenario.refresh.append(spent[-1])
            else:
                scenario.baseline.append(seconds)
            scenario.groups.append(outcome.groups_updated)
            log(
                f"EPSS {day}, {scenario.share:.0%} moving, "
                f"{'with' if with_refresh else 'without'} priorities: {seconds:.1f} s; "
                f"{outcome.updated:,} scores changed, {outcome.groups_updated:,} groups' "
                f"scores, {len(outcome.jumps)} jumps"
                + (f"; refresh {spent[-1]:.1f} s" if with_refresh else "")
            )
            path.unlink()
    return scenarios


def measure_plain_update() -> float:
    """Time a plain UPDATE of one float column of every finding: the least that a copy of the
    score on each finding costs when every score moves (what ``Finding.epss`` cost)."""
    from django.db import connection

    with connection.cursor() as cursor:
        begun = time.perf_counter()
        # an indexed float column, as ``epss`` was (finding_epss): no HOT update, every index
        # entry rewritten
        cursor.execute("UPDATE findings_finding SET cvss_score = cvss_score")
        rows = cursor.rowcount
        seconds = time.perf_counter() - begun
    vacuum()
    log(f"plain UPDATE of one column of every finding ({rows:,} rows): {seconds:.1f} s")
    return seconds


def vacuum() -> None:
    """Vacuum the tables a daily import rewrites, as autovacuum does between two days."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("findings_finding", "advisories_epssscore"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def counts() -> dict[str, Any]:
    """Return the findings per priority and how many are overdue."""
    from django.db.models import Count
    from django.utils import timezone

    from vulndesk.server.findings.models import Finding

    by_priority = dict(Finding.objects.values_list("priority").annotate(n=Count("id")).order_by())
    overdue = Finding.objects.filter(status="active", due_at__lt=timezone.now()).count()
    return {"findings": sum(by_priority.values()), "priorities": by_priority, "overdue": overdue}


def measure_full_refresh() -> float:
    """Time a refresh of every finding with nothing to change (the ``priority refresh`` CLI)."""
    from vulndesk.server.findings.models import Finding
    from vulndesk.server.triage.prioritisation import priorities_refresh

    begun = time.perf_counter()
    changed = priorities_refresh(Finding.objects.all())
    seconds = time.perf_counter() - begun
    log(f"full refresh, nothing changed: {seconds:.1f} s ({changed} changed)")
    return seconds


def print_report(rows: list[tuple[str, ...]], title: str) -> None:
    """Print the result table."""
    header = ("measure", "baseline (same run)", "vulndesk", "ratio", "target", "")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(title)
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


def _interrupted(number: int, frame: object) -> None:
    raise SystemExit(f"interrupted by signal {number}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the prioritisation benchmark; return the exit code (0 even when the target is
    missed)."""
    args = parse_args(argv)
    for needed in (PYPI_ZIP, KEV_JSON):
        if not needed.exists():
            print(f"bench: {needed} is absent; the benchmark needs the shared data",
                  file=sys.stderr)  # fmt: skip
            return 2
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, _interrupted)
    load_before = os.getloadavg()
    folder = Path(tempfile.mkdtemp(prefix="vulndesk-prioritisation-"))
    url = f"{POSTGRES}/{args.database}" if args.reuse else database_create(args.database)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VULNDESK_")}
    env.update(
        VULNDESK_DATABASE_URL=url,
        VULNDESK_HOME=str(folder / "home"),
        VULNDESK_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SETTINGS_MODULE="vulndesk.server.settings",
    )
    os.environ.update(env)
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    try:
        from vulndesk.server.bootstrap import ensure_schema, setup

        setup()
        ensure_schema()
        timings = {} if args.reuse else build(args, notes)
        before = counts()
        log(f"portfolio: {before}")
        full = measure_full_refresh()
        scenarios = measure(args, folder)
        plain = measure_plain_update()
        after = counts()
        for sc in scenarios:
            med, base = statistics.median(sc.real), statistics.median(sc.baseline)
            rows.append((
                f"EPSS day, {sc.share:.0%} of {args.epss_rows:,} scores move "
                f"(~{statistics.median(sc.groups):,.0f} groups' scores)",
                f"{base:.1f} s (import, no refresh)",
                f"{med:.1f} s (max {max(sc.real):.1f}), "
                f"refresh {statistics.median(sc.refresh):.1f} s",
                f"{med / base:.2f}x",
                f"<= {TARGET_S:.0f} s",
                verdict(max(sc.real) <= TARGET_S),
            ))  # fmt: skip
            notes.append(
                f"{sc.share:.0%} moving: vulndesk {', '.join(f'{t:.1f}' for t in sc.real)} s; "
                f"baseline {', '.join(f'{t:.1f}' for t in sc.baseline)} s; refresh "
                f"{', '.join(f'{t:.1f}' for t in sc.refresh)} s"
            )
        rows.append((
            "plain UPDATE of one column of every finding (SQL only)", "", f"{plain:.1f} s",
            "", "", "",
        ))  # fmt: skip
        rows.append((
            f"refresh of all {before['findings']:,} findings, nothing changed",
            "", f"{full:.1f} s", "", "", "",
        ))  # fmt: skip
        for step, seconds in timings.items():
            rows.append((f"build: {step}", "", f"{seconds:.1f} s", "", "", ""))
        notes.append(f"findings per priority: {after['priorities']}; overdue: {after['overdue']}")
        if after["priorities"] != before["priorities"]:
            notes.append(f"priorities moved during the EPSS days (they should not): {before}")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            database_drop(args.database)
        else:
            notes.append(f"database kept: {url}")
        shutil.rmtree(folder, ignore_errors=True)
    print()
    print_report(
        rows,
        f"vulndesk prioritisation benchmark (PostgreSQL, {os.cpu_count()} cores; seed "
        f"{args.seed}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
    )
    load_after = os.getloadavg()
    notes.append(
        f"load average (1, 5, 15 min) at start {load_before[0]:.1f}, {load_before[1]:.1f}, "
        f"{load_before[2]:.1f}; at end {load_after[0]:.1f}, {load_after[1]:.1f}, "
        f"{load_after[2]:.1f}"
    )
    for note in notes:
        print(f"  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

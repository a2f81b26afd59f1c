"""Benchmark: importing a large NVD file (issue #4) on PostgreSQL.

Generates NVD CVE API 2.0 responses (pages of 2,000 records, as the API returns them, one page
per line) with realistic records — descriptions, CVSS v3.1 and v2 metrics from two sources,
weaknesses, configurations of one to three nodes with version-bounded CPE criteria, references —
and times ``feeds_import(paths=[file], format="nvd")`` into a fresh database
``vulndesk_bench_feeds``, against a baseline measured in the same run: reading and parsing the
same file with ``read_nvd`` without storing anything (the least any importer must do).

Each measurement runs in a child process, so the generator's memory is not counted: peak RSS
is the child's own ``ru_maxrss``. 25,000 and 250,000 records show whether memory stays flat.

Then, in the same child, a second import of a small batch into the table the first one filled
(1,000 records: 500 newer versions of stored ones and 500 new), as a daily feed update is: what
it costs in all and in its alias regrouping, against the same baselines (``read_nvd`` of the
batch, and ``services._regroup_all``, the full regrouping every import ran before it became
incremental, over the same table).

Targets: >= 3,000 records/s, peak RSS <= 400 MB.

    bench/run --feeds                 # 25,000 and 250,000 records
    bench/feeds_import.py --sizes 25000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "vulndesk_bench_feeds"
PAGE = 2000
UPDATE = 1000  # records of the second import
TARGET_RATE = 3000.0
TARGET_RSS_MB = 400.0

_VENDORS = [f"vendor{i}" for i in range(400)]
_WORDS = ["remote", "attacker", "buffer", "overflow", "crafted", "request", "allows", "code"]
_CWES = ["CWE-79", "CWE-787", "CWE-20", "CWE-125", "CWE-78", "CWE-89", "CWE-416", "CWE-22"]
_V31 = [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CRITICAL"),
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 6.5, "MEDIUM"),
    ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "HIGH"),
]


def _timestamp(rng: random.Random, year: int) -> str:
    day = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return f"{day}T{rng.randint(0, 23):02d}:15:08.853"


def nvd_record(index: int, rng: random.Random, modified_year: int = 2025) -> dict[str, Any]:
    """Return one realistic ``vulnerabilities[]`` element (last modified in ``modified_year``)."""
    year = 2000 + index % 25
    cve_id = f"CVE-{year}-{10000 + index}"
    vendor = rng.choice(_VENDORS)
    nodes = []
    for n in range(rng.randint(1, 3)):
        matches = []
        for m in range(rng.randint(1, 5)):
            product = f"product{(index + n * 7 + m) % 5000}"
            criterion: dict[str, Any] = {
                "vulnerable": True,
                "criteria": f"cpe:2.3:a:{vendor}:{product}:*:*:*:*:*:*:*:*",
                "matchCriteriaId": f"{rng.getrandbits(128):032X}",
            }
            if rng.random() < 0.7:
                criterion["versionStartIncluding"] = f"{rng.randint(0, 3)}.{rng.randint(0, 9)}"
                criterion["versionEndExcluding"] = f"{rng.randint(4, 9)}.{rng.randint(0, 9)}.1"
            matches.append(criterion)
        nodes.append({"operator": "OR", "negate": False, "cpeMatch": matches})
    vector, score, severity = rng.choice(_V31)
    return {
        "cve": {
            "id": cve_id,
            "sourceIdentifier": f"psirt@{vendor}.example",
            "published": _timestamp(rng, year),
            "lastModified": _timestamp(rng, modified_year),
            "vulnStatus": "Analyzed",
            "cveTags": [],
            "descriptions": [
                {"lang": "en", "value": " ".join(rng.choices(_WORDS, k=40)) + "."},
                {"lang": "es", "value": " ".join(rng.choices(_WORDS, k=30)) + "."},
            ],
            "metrics": {
                "cvssMetricV31": [
                    {
                        "source": source,
                        "type": kind,
                        "cvssData": {
                            "version": "3.1",
                            "vectorString": vector,
                            "baseScore": score,
                            "baseSeverity": severity,
                        },
                        "exploitabilityScore": 3.9,
                        "impactScore": 5.9,
                    }
                    for source, kind in (
                        ("nvd@nist.gov", "Primary"),
                        (f"psirt@{vendor}.example", "Secondary"),
                    )
                ],
                "cvssMetricV2": [
                    {
                        "source": "nvd@nist.gov",
                        "type": "Primary",
                        "cvssData": {
                            "version": "2.0",
                            "vectorString": "AV:N/AC:L/Au:N/C:P/I:P/A:P",
                            "baseScore": 7.5,
                        },
                        "baseSeverity": "HIGH",
                    }
                ],
            },
            "weaknesses": [
                {
                    "source": "nvd@nist.gov",
                    "type": "Primary",
                    "description": [{"lang": "en", "value": rng.choice(_CWES)}],
                }
            ],
            "configurations": [{"nodes": nodes}],
            "references": [
                {
                    "url": f"https://{vendor}.example/advisories/{cve_id}/{r}",
                    "source": "nvd@nist.gov",
                    "tags": ["Vendor Advisory"],
                }
                for r in range(rng.randint(2, 6))
            ],
        }
    }


def generate(
    path: Path, records: int, seed: int = 4, first: int = 0, modified_year: int = 2025
) -> int:
    """Write ``records`` NVD records (from the ``first``-th) to ``path`` as API pages of 2,000,
    one per line."""
    rng = random.Random(seed)
    with path.open("wb") as out:
        for start in range(0, records, PAGE):
            count = min(PAGE, records - start)
            page = {
                "resultsPerPage": count,
                "startIndex": start,
                "totalResults": records,
                "format": "NVD_CVE",
                "version": "2.0",
                "timestamp": "2025-06-01T00:00:00.000",
                "vulnerabilities": [
                    nvd_record(first + start + i, rng, modified_year) for i in range(count)
                ],
            }
            out.write(orjson.dumps(page))
            out.write(b"\n")
    return path.stat().st_size


def generate_update(path: Path, size: int) -> None:
    """Write the second import's batch: newer versions of the last ``UPDATE // 2`` records of a
    ``size``-record file and ``UPDATE // 2`` new ones."""
    generate(path, UPDATE, seed=5, first=size - UPDATE // 2, modified_year=2026)


# --- child processes ---------------------------------------------------------------------------


def child(mode: str, file: Path, update: Path) -> None:
    """Run one measurement in this process and print it as JSON."""
    begun = time.perf_counter()
    if mode == "parse":
        from vulndesk.core.advisories.nvd import read_nvd

        records = sum(1 for _ in read_nvd(file))
        seconds = time.perf_counter() - begun
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        begun = time.perf_counter()
        sum(1 for _ in read_nvd(update))
        extra: dict[str, Any] = {"update_seconds": time.perf_counter() - begun}
    else:
        from vulndesk.server.bootstrap import ensure_schema, setup

        setup()
        ensure_schema()
        from vulndesk.server.advisories import services

        begun = time.perf_counter()  # the import alone, not Django's start and the migration
        outcome = services.feeds_import(paths=[file], format="nvd", actor_label="bench")
        seconds = time.perf_counter() - begun
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        records = outcome.read
        extra = {"created": outcome.created, "problems": len(outcome.problems)}
        extra.update(_second_import(services, update))
    print(json.dumps({"records": records, "seconds": seconds, "rss_mb": rss, **extra}))


def _second_import(services: Any, update: Path) -> dict[str, Any]:
    """Import the small batch into the filled table; time it, its regrouping, and a full one."""
    from django.db import transaction

    spent = [0.0]
    incremental = services._regroup_components

    def timed(*args: Any, **kwargs: Any) -> Any:
        begun = time.perf_counter()
        try:
            return incremental(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - begun

    services._regroup_components = timed
    begun = time.perf_counter()
    outcome = services.feeds_import(paths=[update], format="nvd", actor_label="bench")
    seconds = time.perf_counter() - begun
    services._regroup_components = incremental
    assert (outcome.created, outcome.updated) == (UPDATE // 2, UPDATE // 2), outcome
    begun = time.perf_counter()
    with transaction.atomic():
        changed = services._regroup_all()
    assert changed == [], changed  # the incremental regrouping left nothing to do
    return {
        "update_seconds": seconds,
        "update_regroup_seconds": spent[0],
        "full_regroup_seconds": time.perf_counter() - begun,
    }


def database(action: str) -> str:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        if action == "create":
            c.execute(f'CREATE DATABASE "{DATABASE}"')
    return f"{POSTGRES}/{DATABASE}"


def measure(mode: str, file: Path, update: Path, home: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VULNDESK_")}
    env.update(
        VULNDESK_HOME=str(home),
        VULNDESK_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SETTINGS_MODULE="vulndesk.server.settings",
        PYTHONPATH=str(ROOT / "src"),
    )
    if mode == "import":
        env["VULNDESK_DATABASE_URL"] = database("create")
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", mode, str(file), str(update)],
            env=env,
            capture_output=True,
            check=False,
        )
    finally:
        if mode == "import":
            database("drop")
    if done.returncode != 0:
        raise SystemExit(f"{mode} of {file} failed:\n{done.stderr.decode()[-3000:]}")
    return dict(json.loads(done.stdout.decode().strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[25_000, 250_000])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # MODE FILE UPDATE
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return 0
    rows = []
    updates = []
    ok = True
    with tempfile.TemporaryDirectory(prefix="vulndesk-feeds-bench-") as folder:
        for size in args.sizes:
            file = Path(folder) / f"nvd-{size}.jsonl"
            begun = time.perf_counter()
            written = generate(file, size)
            print(
                f"generated {size:,} records ({written / 2**20:,.0f} MiB) in "
                f"{time.perf_counter() - begun:.1f} s",
                flush=True,
            )
            update = Path(folder) / f"nvd-{size}-update.jsonl"
            generate_update(update, size)
            home = Path(folder) / "home"
            home.mkdir(exist_ok=True)
            base = measure("parse", file, update, home)
            print(f"  baseline read_nvd: {base['seconds']:.1f} s", flush=True)
            run = measure("import", file, update, home)
            print(f"  feeds_import: {run['seconds']:.1f} s", flush=True)
            assert run["created"] == size, run
            rate = size / run["seconds"]
            ok &= rate >= TARGET_RATE and run["rss_mb"] <= TARGET_RSS_MB
            rows.append(
                (
                    f"{size:,}",
                    f"{written / 2**20:,.0f}",
                    f"{size / base['seconds']:,.0f}",
                    f"{base['rss_mb']:,.0f}",
                    f"{rate:,.0f}",
                    f"{run['rss_mb']:,.0f}",
                    f"{run['seconds'] / base['seconds']:.1f}x",
                )
            )
            updates.append(
                (
                    f"{size:,}",
                    f"{UPDATE:,}",
                    f"{base['update_seconds'] * 1000:,.0f}",
                    f"{run['update_seconds'] * 1000:,.0f}",
                    f"{run['update_regroup_seconds'] * 1000:,.1f}",
                    f"{run['full_regroup_seconds'] * 1000:,.0f}",
                )
            )
            file.unlink()
            update.unlink()
    header = (
        "records",
        "MiB",
        "parse rec/s",
        "parse RSS MB",
        "import rec/s",
        "import RSS MB",
        "import/parse",
    )
    print()
    print("NVD import on PostgreSQL (baseline: read_nvd without storing, same file, same run)")
    _table(header, rows)
    print(
        f"targets: >= {TARGET_RATE:,.0f} records/s, <= {TARGET_RSS_MB:.0f} MB peak RSS: "
        + ("met" if ok else "NOT met")
    )
    print()
    print(
        "A second import into the filled table, in ms (baselines: read_nvd of the batch, and "
        "the full regrouping of the table every import ran before)"
    )
    _table(
        ("stored", "batch", "parse", "import", "its regroup", "full regroup"),
        updates,
    )
    return 0 if ok else 1


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main())

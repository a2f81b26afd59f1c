"""Benchmark: importing a large NVD file (issue #4) on PostgreSQL.

Generates NVD CVE API 2.0 responses (pages of 2,000 records, as the API returns them, one page
per line) with realistic records — descriptions, CVSS v3.1 and v2 metrics from two sources,
weaknesses, configurations of one to three nodes with version-bounded CPE criteria, references —
and times ``feeds_import(paths=[file], format="nvd")`` into a fresh database
``vulndesk_bench_feeds``, against a baseline measured in the same run: reading and parsing the
same file with ``read_nvd`` without storing anything (the least any importer must do).

Each measurement runs in a child process, so the generator's memory is not counted: peak RSS
is the child's own ``ru_maxrss``. 25,000 and 250,000 records show whether memory stays flat.

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


def nvd_record(index: int, rng: random.Random) -> dict[str, Any]:
    """Return one realistic ``vulnerabilities[]`` element."""
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
            "lastModified": _timestamp(rng, 2025),
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


def generate(path: Path, records: int, seed: int = 4) -> int:
    """Write ``records`` NVD records to ``path`` as API pages of 2,000, one per line."""
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
                "vulnerabilities": [nvd_record(start + i, rng) for i in range(count)],
            }
            out.write(orjson.dumps(page))
            out.write(b"\n")
    return path.stat().st_size


# --- child processes ---------------------------------------------------------------------------


def child(mode: str, file: Path) -> None:
    """Run one measurement in this process and print it as JSON."""
    begun = time.perf_counter()
    if mode == "parse":
        from vulndesk.core.advisories.nvd import read_nvd

        records = sum(1 for _ in read_nvd(file))
        extra: dict[str, Any] = {}
    else:
        from vulndesk.server.bootstrap import ensure_schema, setup

        setup()
        ensure_schema()
        from vulndesk.server.advisories.services import feeds_import

        begun = time.perf_counter()  # the import alone, not Django's start and the migration
        outcome = feeds_import(paths=[file], format="nvd", actor_label="bench")
        records = outcome.read
        extra = {"created": outcome.created, "problems": len(outcome.problems)}
    seconds = time.perf_counter() - begun
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"records": records, "seconds": seconds, "rss_mb": rss, **extra}))


def database(action: str) -> str:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        if action == "create":
            c.execute(f'CREATE DATABASE "{DATABASE}"')
    return f"{POSTGRES}/{DATABASE}"


def measure(mode: str, file: Path, home: Path) -> dict[str, Any]:
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
            [sys.executable, __file__, "--child", mode, str(file)],
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
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    rows = []
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
            home = Path(folder) / "home"
            home.mkdir(exist_ok=True)
            base = measure("parse", file, home)
            print(f"  baseline read_nvd: {base['seconds']:.1f} s", flush=True)
            run = measure("import", file, home)
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
            file.unlink()
    header = (
        "records",
        "MiB",
        "parse rec/s",
        "parse RSS MB",
        "import rec/s",
        "import RSS MB",
        "import/parse",
    )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print()
    print("NVD import on PostgreSQL (baseline: read_nvd without storing, same file, same run)")
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    print(
        f"targets: >= {TARGET_RATE:,.0f} records/s, <= {TARGET_RSS_MB:.0f} MB peak RSS: "
        + ("met" if ok else "NOT met")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

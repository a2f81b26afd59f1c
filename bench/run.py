"""vulndesk benchmarks: OSV import throughput and whole-process scan time and memory.

Every number is a median over repeated runs, printed next to a baseline measured in the same run
on the same machine, so that the ratio means something when the machine is busy or different:

- import: baseline = reading every record of the zip and parsing its JSON with orjson (the least
  any importer must do); vulndesk = the whole ``vulndesk feeds import`` process into a fresh
  database, including start-up, validation, storage, indexing and alias grouping.
- scan: baseline = a Python process that only starts and reads the SBOM with orjson; vulndesk =
  the whole ``vulndesk scan --format json`` process on a warm database holding all four zips.

Targets (issue #2, 2-core machine): import >= 5,000 records/s; 300-component scan <= 0.25 s
whole-process with <= 150 MB peak RSS.

    bench/run                  # SQLite (the default database)
    bench/run --postgres       # the same on PostgreSQL at 127.0.0.1:5432
    bench/run --portfolio ...  # issue #3 at portfolio scale on PostgreSQL (bench/portfolio.py)
    bench/run --feeds          # issue #4: NVD import, 25,000 and 250,000 records (feeds_import.py)
    bench/run --prioritisation # SSVC priorities of 1M findings after an EPSS update
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
ZIPS = ["PyPI", "Go", "AlmaLinux", "Bitnami"]
SBOMS = {
    "proton-bridge (Go)": SHARED / "sbom/cyclonedx/proton-bridge__proton-bridge-v1.8.0.bom.json",
    "juice-shop (npm)": SHARED / "sbom/cyclonedx/juice-shop__v11.1.2__bom.json",
}


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    returncode: int
    stdout: bytes


def run_measured(args: list[str], env: dict[str, str]) -> Run:
    """Run a process; return wall time and its own peak RSS (wait4, not other children's)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        data = out.read()
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, data)


def make_env(database_url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VULNDESK_")}
    env.update(VULNDESK_DATABASE_URL=database_url, VULNDESK_HOME=str(home))
    return env


def vulndesk(*args: str) -> list[str]:
    return [sys.executable, "-m", "vulndesk", *args]


def new_database(postgres: bool, home: Path, label: str) -> str:
    if not postgres:
        return f"sqlite:///{home / f'{label}.sqlite3'}"
    import psycopg

    name = f"vulndesk_bench_{label}_{secrets.token_hex(4)}".lower()
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def drop_databases(urls: list[str]) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        for url in urls:
            c.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


BASELINE_READ = """
import sys, zipfile, orjson
n = 0
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        if info.filename.endswith(".json"):
            orjson.loads(z.read(info)); n += 1
print(n)
"""

BASELINE_SBOM = "import sys, orjson; orjson.loads(open(sys.argv[1], 'rb').read())"


def generate_pypi_sbom(path: Path, count: int = 300) -> None:
    """Write a CycloneDX 1.5 SBOM of ``count`` real PyPI packages at versions their advisories
    list, so that the scan has real work (many candidates and findings)."""
    packages: dict[str, str] = {}
    with zipfile.ZipFile(SHARED / "osv/PyPI/all.zip") as z:
        for name in sorted(z.namelist()):
            record = orjson.loads(z.read(name))
            for affected in record.get("affected", []):
                pkg = affected["package"]["name"].lower()
                versions = affected.get("versions") or []
                if pkg not in packages and versions:
                    packages[pkg] = versions[len(versions) // 2]
            if len(packages) >= count:
                break
    components = [
        {
            "type": "library",
            "bom-ref": f"pkg:pypi/{n}@{v}",
            "name": n,
            "version": v,
            "purl": f"pkg:pypi/{n}@{v}",
        }
        for n, v in list(packages.items())[:count]
    ]
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {"component": {"type": "application", "bom-ref": "app", "name": "bench-app"}},
        "components": components,
        "dependencies": [{"ref": "app", "dependsOn": [c["bom-ref"] for c in components]}],
    }
    path.write_bytes(orjson.dumps(bom))


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    if "--feeds" in sys.argv[1:]:
        # issue #4: a 250,000-record NVD import on PostgreSQL (bench/feeds_import.py --help)
        import feeds_import

        return feeds_import.main([a for a in sys.argv[1:] if a != "--feeds"])
    if "--prioritisation" in sys.argv[1:]:
        # SSVC priorities of the 1M-finding portfolio after an EPSS daily update (its options:
        # bench/prioritisation.py --help)
        import prioritisation

        return prioritisation.main([a for a in sys.argv[1:] if a != "--prioritisation"])
    if "--portfolio" in sys.argv[1:]:
        # its own options (--releases, --duration...): see bench/portfolio.py --help
        import portfolio

        return portfolio.main([a for a in sys.argv[1:] if a != "--portfolio"])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", action="store_true", help="benchmark on PostgreSQL")
    parser.add_argument("--repeat", type=int, default=7, help="runs per scan measurement")
    parser.add_argument("--import-repeat", type=int, default=3, help="runs per import")
    args = parser.parse_args()
    if not SHARED.exists():
        print(
            f"bench: {SHARED} is absent; the benchmarks need the shared real data", file=sys.stderr
        )
        return 2
    # With PYTHONDONTWRITEBYTECODE set, every process would recompile our sources: compile once.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    created: list[str] = []
    with tempfile.TemporaryDirectory(prefix="vulndesk-bench-") as tmp:
        home = Path(tmp)
        rows: list[tuple[str, ...]] = []
        print(
            f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; "
            f"medians of {args.import_repeat} imports / {args.repeat} scans\n"
        )

        # --- import throughput, one fresh database per run
        total_records = 0
        total_import = total_base = 0.0
        for eco in ZIPS:
            path = SHARED / f"osv/{eco}/all.zip"
            base = [
                run_measured([sys.executable, "-c", BASELINE_READ, str(path)], os.environ.copy())
                for _ in range(args.import_repeat)
            ]
            records = int(base[0].stdout.strip())
            times = []
            for i in range(args.import_repeat):
                url = new_database(args.postgres, home, f"imp_{eco}_{i}")
                created.append(url)
                # migrate first so that the import time is the import, not the schema creation
                env = make_env(url, home)
                subprocess.run(vulndesk("migrate"), env=env, check=True, capture_output=True)
                r = run_measured(vulndesk("feeds", "import", "--quiet", str(path)), env)
                if r.returncode != 0:
                    print(
                        f"bench: import of {eco} failed with exit {r.returncode}", file=sys.stderr
                    )
                    return 1
                times.append(r.seconds)
            t, b = median(times), median([x.seconds for x in base])
            total_records += records
            total_import += t
            total_base += b
            rows.append(
                (
                    f"import {eco}/all.zip",
                    f"{records}",
                    f"{b:.3f} s",
                    f"{t:.3f} s",
                    f"{t / b:.1f}x",
                    f"{records / t:,.0f} rec/s",
                )
            )
        rows.append(
            (
                "import, sum of the four runs",
                f"{total_records}",
                f"{total_base:.3f} s",
                f"{total_import:.3f} s",
                f"{total_import / total_base:.1f}x",
                f"{total_records / total_import:,.0f} rec/s",
            )
        )
        # the four zips in one command, as a user imports them
        zips = [str(SHARED / f"osv/{e}/all.zip") for e in ZIPS]
        times = []
        for i in range(args.import_repeat):
            url = new_database(args.postgres, home, f"imp_all_{i}")
            created.append(url)
            env = make_env(url, home)
            subprocess.run(vulndesk("migrate"), env=env, check=True, capture_output=True)
            times.append(run_measured(vulndesk("feeds", "import", "--quiet", *zips), env).seconds)
        t = median(times)
        rows.append(
            (
                "import, four zips in one command",
                f"{total_records}",
                f"{total_base:.3f} s",
                f"{t:.3f} s",
                f"{t / total_base:.1f}x",
                f"{total_records / t:,.0f} rec/s (target >= 5,000)",
            )
        )

        # --- scans on a warm database holding all four zips
        url = new_database(args.postgres, home, "scan")
        created.append(url)
        env = make_env(url, home)
        subprocess.run(
            vulndesk(
                "feeds", "import", "--quiet", *(str(SHARED / f"osv/{e}/all.zip") for e in ZIPS)
            ),
            env=env,
            check=True,
            capture_output=True,
        )
        pypi_sbom = home / "pypi-300.cdx.json"
        generate_pypi_sbom(pypi_sbom)
        sboms = dict(SBOMS)
        sboms["generated PyPI (300)"] = pypi_sbom
        for label, sbom in sboms.items():
            subprocess.run(
                vulndesk("scan", str(sbom), "--format", "json"), env=env, capture_output=True
            )  # warm the OS cache and the database
            base = [
                run_measured([sys.executable, "-c", BASELINE_SBOM, str(sbom)], env)
                for _ in range(args.repeat)
            ]
            runs = [
                run_measured(vulndesk("scan", str(sbom), "--format", "json"), env)
                for _ in range(args.repeat)
            ]
            if runs[0].returncode not in (0, 1):
                print(
                    f"bench: scan of {label} failed with exit {runs[0].returncode}", file=sys.stderr
                )
                return 1
            report = orjson.loads(runs[0].stdout)
            s = report["summary"]
            t, b = median([r.seconds for r in runs]), median([r.seconds for r in base])
            rss = max(r.max_rss_mb for r in runs)
            target = "  (target <= 0.25 s, <= 150 MB)" if "300" in label else ""
            rows.append(
                (
                    f"scan {label}",
                    f"{s['components']} comp / {s['findings']} findings",
                    f"{b:.3f} s",
                    f"{t:.3f} s",
                    f"{t / b:.1f}x",
                    f"peak {rss:.0f} MB{target}",
                )
            )
        if args.postgres:
            drop_databases(created)

    header = ("benchmark", "size", "baseline", "vulndesk", "ratio", "rate / memory")
    print_table(header, rows)
    print("\naccuracy: every record's own versions list against its ranges (crosscheck_osv.py)")
    sys.stdout.flush()
    subprocess.run([sys.executable, str(ROOT / "bench/crosscheck_osv.py")], check=False)
    return 0


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Print rows as aligned columns under ``header``."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main())

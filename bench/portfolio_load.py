"""Target (a) of the portfolio benchmark: the findings list under load from wrk, next to a
baseline route on the same server (bench/portfolio.py)."""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import orjson

from portfolio_common import POSTGRES, PYTHON, TARGET_LIST_P95_MS, log, verdict
from portfolio_plan import Loaded, Plan
from portfolio_processes import Started, free_port, help_text, start

# --------------------------------------------------------------------------------------------
# (a) the findings list under load


@dataclass
class Load:
    """One wrk run against one path."""

    label: str
    path: str
    requests: int
    seconds: float
    p50: float  # milliseconds
    p90: float
    p95: float
    p99: float
    max: float
    errors: int
    status: int  # the status of a single request before the run

    @property
    def rate(self) -> float:
        """Return requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


WRK_SCRIPT = """
local headers = {}
%(headers)s
local path = "%(path)s"
local max_requests = %(max_requests)d
local sent = 0
local received = 0
request = function()
  sent = sent + 1
  return wrk.format("GET", path, headers)
end
response = function(status, hdrs, body)
  received = received + 1
  if received >= max_requests then wrk.thread:stop() end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCHJSON {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"p50\\": %%d, \\"p90\\": %%d, " ..
    "\\"p95\\": %%d, \\"p99\\": %%d, \\"max\\": %%d, \\"errors\\": %%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _lua_string(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def http_get(url: str, headers: dict[str, str], timeout: float = 30.0) -> tuple[int, bytes]:
    """Return the status and body of one GET (only ever to 127.0.0.1)."""
    assert url.startswith("http://127.0.0.1:"), url
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def run_wrk(
    label: str,
    base: str,
    path: str,
    headers: dict[str, str],
    *,
    connections: int,
    seconds: int,
    max_requests: int,
    folder: Path,
) -> Load:
    """Load ``base + path`` with wrk: ``connections`` connections for at most ``seconds`` s and
    at most ``max_requests`` responses per wrk thread."""
    assert base.startswith("http://127.0.0.1:"), base
    status, _ = http_get(base + path, headers)
    script = folder / "load.lua"
    script.write_text(
        WRK_SCRIPT
        % {
            "headers": "\n".join(
                f'headers["{_lua_string(k)}"] = "{_lua_string(v)}"' for k, v in headers.items()
            ),
            "path": _lua_string(path),
            "max_requests": max_requests,
        }
    )
    script.chmod(0o600)
    done = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
         "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )  # fmt: skip
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCHJSON ")), None)
    if line is None:
        raise SystemExit(f"bench: wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = orjson.loads(line.split(" ", 1)[1])
    return Load(
        label,
        path,
        data["requests"],
        data["duration_us"] / 1e6,
        data["p50"] / 1000,
        data["p90"] / 1000,
        data["p95"] / 1000,
        data["p99"] / 1000,
        data["max"] / 1000,
        data["errors"],
        status,
    )


@dataclass
class Viewer:
    """The bench's API user: a viewer on every product, and how its requests authenticate."""

    headers: dict[str, str]
    auth: str  # "token" or "session"


def viewer_create(product_ids: list[int]) -> Viewer:
    """Create a non-superuser in a team granted viewer on every product; return its credentials
    (an API token when ``accounts.tokens.api_token_create`` exists, else a session cookie)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    from vulndesk.server.accounts.services import organisation_default, team_create
    from vulndesk.server.bulk import insert_rows
    from vulndesk.server.inventory.models import ProductGrant, Role

    user = User.objects.create_user("bench-viewer", email="viewer@example.invalid")
    team = team_create(organisation=organisation_default(), name="bench viewers", members=[user])
    insert_rows(
        ProductGrant,
        ("product_id", "team_id", "role"),
        ((p, team.pk, Role.VIEWER.value) for p in product_ids),
    )
    try:
        from vulndesk.server.accounts.tokens import api_token_create  # type: ignore[import-not-found]
    except ImportError:
        api_token_create = None
    if api_token_create is not None:
        _, raw = api_token_create(user=user, name="bench")
        return Viewer({"Authorization": f"Bearer {raw}"}, "token")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return Viewer({"Cookie": f"sessionid={session.session_key}"}, "session")


def server_start(env: dict[str, str], port: int, workers: int | None, folder: Path) -> Started:
    """Start the web server: ``vulndesk serve`` (with its own default processes and threads
    unless ``workers`` is given) when it exists, else gunicorn."""
    text = help_text("serve", env=env)
    if "--workers" in text:
        args = [PYTHON, "-m", "vulndesk", "serve", "--host", "127.0.0.1", "--port", str(port)]
        if workers is not None:
            args += ["--workers", str(workers)]
        if "--no-worker" in text:
            args.append("--no-worker")
    else:
        gunicorn = str(Path(PYTHON).parent / "gunicorn")
        args = [gunicorn, "vulndesk.server.wsgi:application", "-k", "gthread", "--threads",
                "4", "-w", str(workers or 3), "-b", f"127.0.0.1:{port}"]  # fmt: skip
    server = start("server", args, env, folder)
    server.command = " ".join(Path(a).name if a in (PYTHON, args[0]) else a for a in args)
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        if server.proc.poll() is not None:
            raise SystemExit(f"bench: the web server exited:\n{server.tail()}")
        with contextlib.suppress(OSError):
            status, _ = http_get(f"http://127.0.0.1:{port}/api/v1/advisories/x", {}, 2)
            if status in (401, 403, 404):
                return server
        time.sleep(0.2)
    server.stop()
    raise SystemExit(f"bench: the web server did not answer within 60 s:\n{server.tail()}")


def explain_paths(paths: list[str], headers: dict[str, str]) -> list[tuple[str, float, str]]:
    """Return, for each path, the request's slowest SQL statement's execution time (EXPLAIN
    ANALYZE) and plan, running the request in this process through Django's test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    client = Client(HTTP_HOST="127.0.0.1", **extra)
    results = []
    for path in paths:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            results.append((path, 0.0, f"status {response.status_code}"))
            continue
        worst = (0.0, "")
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                plan = "\n".join(r[0] for r in cursor.fetchall())
            match = re.search(r"Execution Time: ([\d.]+) ms", plan)
            ms = float(match.group(1)) if match else 0.0
            if ms >= worst[0]:
                worst = (ms, f"{sql}\n{plan}")
        results.append((path, worst[0], worst[1]))
    return results


def connection_cost(samples: int = 50) -> float:
    """Return the median time to open a PostgreSQL connection and run one query (ms): what each
    request pays with ``CONN_MAX_AGE = 0``."""
    import psycopg

    times = []
    for _ in range(samples):
        started = time.perf_counter()
        with psycopg.connect(f"{POSTGRES}/postgres") as c:
            c.execute("SELECT 1").fetchone()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure_load(
    args: argparse.Namespace,
    env: dict[str, str],
    loaded: Loaded,
    plan: Plan,
    folder: Path,
    started: list[Started],
    notes: list[str],
) -> list[tuple[str, ...]]:
    """Target (a): load the findings list and its baseline; return the table rows."""
    from django.db import connection

    viewer = viewer_create(loaded.product_ids)
    port = free_port()
    server = server_start(env, port, args.web_workers, folder)
    started.append(server)
    banner = next((line for line in server.tail(200).splitlines() if "web processes" in line), "")
    notes.append(f"(a) server: {server.command}" + (f" ({banner.strip()})" if banner else ""))
    notes.append(f"(a) auth: {viewer.auth}; wrk -t 2 -c {args.connections}, loopback")
    base = f"http://127.0.0.1:{port}"

    with connection.cursor() as cursor:
        # a product and a release with many findings, an advisory id for the baseline
        cursor.execute(
            "SELECT product_id, release_id FROM findings_finding WHERE status = 'active' "
            "GROUP BY product_id, release_id ORDER BY count(*) DESC LIMIT 1"
        )
        product_id, release_id = cursor.fetchone() or (loaded.product_ids[0], loaded.release_ids[0])
        cursor.execute("SELECT id FROM advisories_advisory ORDER BY id LIMIT 1")
        advisory_id = cursor.fetchone()[0]
    package = plan.probes[-1].package.name
    bound = 200_000  # responses per wrk thread: a bound on the loop besides its duration
    short = max(5, args.duration // 2)

    baseline_path = f"/api/v1/advisories/{advisory_id}"
    if http_get(base + baseline_path, viewer.headers)[0] != 200 and viewer.auth == "token":
        notes.append("(a) the advisory route refused the token; baseline uses a session")
    variants = [
        ("findings, default list", "/api/v1/findings?limit=50", args.duration),
        ("findings, severity=critical", "/api/v1/findings?limit=50&severity=critical", short),
        ("findings, product_id", f"/api/v1/findings?limit=50&product_id={product_id}", short),
        ("findings, release_id", f"/api/v1/findings?limit=50&release_id={release_id}", short),
        ("findings, package", f"/api/v1/findings?limit=50&package={package}", short),
        ("findings, offset 5000", "/api/v1/findings?limit=50&offset=5000", short),
    ]
    status, _ = http_get(base + variants[0][1], viewer.headers)
    if status != 200:
        notes.append(
            f"(a) GET /api/v1/findings answered {status}: the findings route (or the token) does "
            "not exist yet; only the baseline was loaded"
        )
        variants = []

    def load(label: str, path: str, seconds: int) -> Load:
        # a 3 s warm-up run, not counted
        run_wrk(label, base, path, viewer.headers, connections=args.connections, seconds=3,
                max_requests=bound, folder=folder)  # fmt: skip
        result = run_wrk(label, base, path, viewer.headers, connections=args.connections,
                         seconds=seconds, max_requests=bound, folder=folder)  # fmt: skip
        log(
            f"{label}: {result.rate:.0f} req/s, p50 {result.p50:.1f} ms, p95 {result.p95:.1f} ms,"
            f" p99 {result.p99:.1f} ms, errors {result.errors}, status {result.status}"
        )
        return result

    baseline = load("baseline: advisory detail", baseline_path, max(10, short))
    rows = [(
        "(a) baseline: GET /advisories/<id>",
        f"{args.connections} connections, {baseline.seconds:.0f} s, {baseline.requests:,} req",
        "",
        f"p50 {baseline.p50:.1f} / p95 {baseline.p95:.1f} / p99 {baseline.p99:.1f} ms, "
        f"{baseline.rate:.0f} req/s",
        "1.0x",
        "",
        "" if baseline.errors == 0 and baseline.status == 200 else f"{baseline.errors} errors",
    )]  # fmt: skip
    loads = [load(label, path, seconds) for label, path, seconds in variants]
    for result in loads:
        ok = result.p95 <= TARGET_LIST_P95_MS and result.errors == 0 and result.status == 200
        informative = "offset" in result.path  # a deep page: not what the target names
        rows.append((
            f"(a) {result.label}",
            f"{result.requests:,} req in {result.seconds:.0f} s"
            + (f", {result.errors} errors" if result.errors else ""),
            f"p95 {baseline.p95:.1f} ms",
            f"p50 {result.p50:.1f} / p95 {result.p95:.1f} / p99 {result.p99:.1f} ms, "
            f"{result.rate:.0f} req/s",
            f"p95 {result.p95 / baseline.p95:.1f}x",
            "(informative)" if informative else f"p95 <= {TARGET_LIST_P95_MS:.0f} ms",
            ("ok" if ok else "slow") if informative else verdict(ok),
        ))  # fmt: skip
    server.stop()
    started.remove(server)

    notes.append(
        f"(a) opening a PostgreSQL connection (web processes keep theirs for 60 s): "
        f"{connection_cost():.1f} ms median"
    )
    if loads:
        for path, ms, plan_text in explain_paths([r.path for r in loads], viewer.headers):
            notes.append(f"(a) slowest SQL of {path}: {ms:.1f} ms (EXPLAIN ANALYZE, in-process)")
            if args.explain:
                notes.append(plan_text)
    return rows

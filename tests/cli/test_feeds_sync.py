"""``vulndesk feeds sync|status|enable|disable|export-bundle|import-bundle`` in a subprocess,
against a loopback HTTP server and fresh databases of the backend under test."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.feeds.loopback import RecordedRequest, RecordedServer, Scripted
from support import FIXTURES, ROOT

ONLINE = FIXTURES / "feeds" / "online"
NVD_API = "/rest/json/cves/2.0"
PAGES = {
    "0": (ONLINE / "nvd-cves-startIndex-0.json").read_bytes(),
    "2": (ONLINE / "nvd-cves-startIndex-2.json").read_bytes(),
}


@pytest.fixture
def server() -> Iterator[RecordedServer]:
    with RecordedServer() as recorded:
        yield recorded


Cli = Any  # tests/conftest.py's runner (a fixture's value; conftest is not importable)


def status(cli: Cli) -> dict[str, dict]:  # type: ignore[type-arg]
    result = cli("feeds", "status", "--format", "json")
    assert result.returncode == 0, result.stderr
    return {s["name"]: s for s in json.loads(result.stdout)}


def test_sync_fails_on_page_two_then_resumes(cli: Cli, server: RecordedServer) -> None:
    broken = {"on": True}

    def answer(request: RecordedRequest) -> Scripted:
        index = request.param("startIndex") or "0"
        if broken["on"] and index == "2":
            return Scripted(404, b"gone")
        return Scripted(200, PAGES[index])

    server.route(NVD_API, answer)
    failed = cli("feeds", "sync", "nvd", "--base-url", server.url, "--quiet")
    assert failed.returncode == 2
    assert "nvd" in failed.stderr and "404" in failed.stderr
    nvd = status(cli)["nvd"]
    assert nvd["records"] == 2 and nvd["cursor"]["start_index"] == 2
    assert "404" in nvd["last_error"] and nvd["last_success_at"] is None

    broken["on"] = False
    done = cli("feeds", "sync", "nvd", "--base-url", server.url)
    assert done.returncode == 0, done.stderr
    assert "1 new" in done.stdout
    nvd = status(cli)["nvd"]
    assert nvd["records"] == 3 and nvd["last_error"] == "" and nvd["age_seconds"] is not None
    table = cli("feeds", "status")
    assert "nvd" in table.stdout and "ago" in table.stdout


def test_several_sources_sync_at_once(cli: Cli, server: RecordedServer) -> None:
    kev_path = "/sites/default/files/feeds/known_exploited_vulnerabilities.json"
    # each answer takes a second: one after the other they would take four
    server.route(
        NVD_API,
        lambda request: Scripted(200, PAGES[request.param("startIndex") or "0"], delay=1.0),
    )
    server.route(kev_path, lambda request: Scripted(200, (ONLINE / "kev.json").read_bytes(),
                                                     delay=1.0))  # fmt: skip
    done = cli("feeds", "sync", "nvd", "kev", "--jobs", "2", "--base-url", server.url, "-q")
    assert done.returncode == 0, done.stderr
    nvd, kev = server.requests_to(NVD_API), server.requests_to(kev_path)
    assert len(nvd) == 2 and len(kev) == 1
    # the KEV request went out while NVD's pages were still being fetched
    assert nvd[0].time < kev[0].time + 0.5 and kev[0].time < nvd[-1].time
    synced = status(cli)
    assert synced["nvd"]["records"] == 3 and synced["kev"]["last_success_at"] is not None


def test_sources_start_disabled_and_enable_disable(cli: Cli) -> None:
    assert not any(s["enabled"] for s in status(cli).values())
    enabled = cli("feeds", "enable", "kev", "--interval", "120")
    assert enabled.returncode == 0 and "enabled" in enabled.stdout
    kev = status(cli)["kev"]
    assert kev["enabled"] and kev["interval_seconds"] == 7200 and kev["next_run_at"]
    assert cli("feeds", "disable", "kev").returncode == 0
    assert not status(cli)["kev"]["enabled"]
    bad = cli("feeds", "enable", "nope")
    assert bad.returncode == 2 and "unknown feed source" in bad.stderr
    no_url = cli("feeds", "enable", "csaf:acme")
    assert no_url.returncode == 2 and "URL" in no_url.stderr


def test_jvn_details_setting_makes_the_sync_fetch_csaf_details(
    cli: Cli, server: RecordedServer
) -> None:
    # one record in the list, so that the sync makes 4 calls 1 s apart (MyJVN's pause)
    page = (ONLINE / "jvnrss-ja-startItem-1.xml").read_text(encoding="utf-8")
    second = page.index(
        '  <item rdf:about="https://jvndb.jvn.jp/ja/contents/2026/JVNDB-2026-012346'
    )
    page = page[:second] + page[page.index("</item>", second) + len("</item>\n") :]
    page = page.replace('totalRes="3" totalResRet="2"', 'totalRes="1" totalResRet="1"')

    def answer(request: RecordedRequest) -> Scripted:
        if request.param("feed") == "oka":
            lang = request.param("lang") or "ja"
            detail = (ONLINE / f"myjvn-csaf-JVNDB-2026-012345-{lang}.json").read_bytes()
            return Scripted(200, detail, {"Content-Type": "application/json"})
        return Scripted(200, page.encode())

    server.route("/myjvn", answer)
    refused = cli("feeds", "enable", "jvn", "--jvn-details", "stix")
    assert refused.returncode == 2 and "invalid choice" in refused.stderr
    assert cli("feeds", "enable", "jvn", "--jvn-details", "csaf").returncode == 0
    done = cli("feeds", "sync", "jvn", "--base-url", server.url, "--quiet")
    assert done.returncode == 0, done.stderr
    assert [(r.param("feed"), r.param("lang")) for r in server.requests] == [
        ("hnd", "ja"),
        ("oka", "ja"),
        ("hnd", "en"),
        ("oka", "en"),
    ]
    assert status(cli)["jvn"]["records"] == 2  # the record in Japanese and in English


@pytest.fixture
def other_cli(cli: Cli, tmp_path: Path) -> Iterator[Cli]:
    """A second ``vulndesk`` on another fresh database (the air-gapped side)."""
    base = os.environ.get("VULNDESK_DATABASE_URL", "")
    home = tmp_path / "other-home"
    home.mkdir()
    runner = type(cli)
    if not base.startswith(("postgres://", "postgresql://")):
        yield runner(f"sqlite:///{tmp_path / 'other.sqlite3'}", home)
        return
    import psycopg

    admin = base.rsplit("/", 1)[0] + "/postgres"
    name = f"vulndesk_cli_{secrets.token_hex(6)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield runner(base.rsplit("/", 1)[0] + "/" + name, home)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_bundle_carries_everything_to_another_database(
    cli: Cli, other_cli: Cli, tmp_path: Path
) -> None:
    assert cli("feeds", "import", ROOT / "src/vulndesk/demo/data/osv").returncode == 0
    imported = cli("feeds", "import", FIXTURES / "feeds/nvd/page.json", "--format", "nvd")
    assert imported.returncode == 0, imported.stderr
    kev = cli("feeds", "import", ONLINE / "kev.json")
    assert kev.returncode == 0, kev.stderr
    bundle = tmp_path / "feeds.tar"
    exported = cli("feeds", "export-bundle", bundle)
    assert exported.returncode == 0, exported.stderr
    merged = other_cli("feeds", "import-bundle", bundle)
    assert merged.returncode == 0, merged.stderr
    counts = {n: s["records"] for n, s in status(cli).items()}
    assert counts["nvd"] > 0 and counts["kev"] == 2 and counts["osv-PyPI"] > 0
    assert {n: s["records"] for n, s in status(other_cli).items()} == counts

    bundle.write_bytes(bundle.read_bytes().replace(b"requests", b"requestz", 1))
    refused = other_cli("feeds", "import-bundle", bundle)
    assert refused.returncode == 2 and "SHA-256" in refused.stderr

"""CVE List V5 fetcher against a loopback server: the release zip and the delta log."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.feeds.loopback import FakeClock, RecordedRequest, RecordedServer, Scripted
from support import FIXTURES
from vulndesk.core.feeds.cvelist import CveListFetcher
from vulndesk.core.feeds.http import FeedFormatError, PoliteClient

ONLINE = FIXTURES / "feeds" / "online"
RAW = b"https://raw.githubusercontent.com/CVEProject/cvelistV5/main/"
RECORD = (ONLINE / "cve5-CVE-2026-10001.json").read_bytes()
LOG = "/CVEProject/cvelistV5/main/cves/deltaLog.json"
ZIP = (
    "/CVEProject/cvelistV5/releases/download/cve_2026-11-20_0000Z/"
    "2026-11-20_all_CVEs_at_midnight.zip.zip"
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[RecordedServer]:
    with RecordedServer(clock=clock.monotonic) as recorded:
        prefix = f"{recorded.url}/CVEProject/cvelistV5/main/".encode()
        log = (ONLINE / "cvelist-deltaLog.json").read_bytes().replace(RAW, prefix)
        recorded.route(LOG, lambda request: Scripted(body=log))
        for cve in ("9xxx/CVE-2026-09990", *(f"10xxx/CVE-2026-1000{n}" for n in (1, 2, 3))):
            recorded.route(f"/CVEProject/cvelistV5/main/cves/2026/{cve}.json", record)
        yield recorded


def record(request: RecordedRequest) -> Scripted:
    cve_id = request.path.rsplit("/", 1)[-1].removesuffix(".json")
    return Scripted(body=RECORD.replace(b"CVE-2026-10001", cve_id.encode()))


def fetcher(server: RecordedServer, clock: FakeClock, tmp_path: Path) -> CveListFetcher:
    return CveListFetcher(
        PoliteClient(clock=clock, rng=random.Random(2)),
        dest_dir=tmp_path,
        release_zip_url=f"{server.url}{ZIP}",
        delta_log_url=f"{server.url}{LOG}",
        record_url_prefix=f"{server.url}/CVEProject/cvelistV5/",
    )


def record_paths(server: RecordedServer) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in server.requests if "/cves/2026/" in r.path]


def test_deltas_after_the_cursor_are_fetched_once_each_oldest_first(
    server: RecordedServer, clock: FakeClock, tmp_path: Path
) -> None:
    batches = list(
        fetcher(server, clock, tmp_path).fetch({"fetch_time": "2026-11-20T09:07:05.118Z"})
    )
    # CVE-2026-10001 changed in both deltas: fetched once, at the later one
    assert [[d.name for d in b.documents] for b in batches] == [
        ["CVE-2026-10002"],
        ["CVE-2026-10003", "CVE-2026-10001"],
    ]
    assert [b.cursor for b in batches] == [
        {"fetch_time": "2026-11-20T10:07:12.977Z"},
        {"fetch_time": "2026-11-20T11:07:31.402Z"},
    ]
    assert record_paths(server) == [
        "CVE-2026-10002.json",
        "CVE-2026-10003.json",
        "CVE-2026-10001.json",
    ]
    assert b'"cveId": "CVE-2026-10003"' in batches[1].documents[0].content
    assert not any(r.path == ZIP for r in server.requests)


def test_with_no_cursor_the_release_zip_comes_first_then_deltas_since_midnight(
    server: RecordedServer, clock: FakeClock, tmp_path: Path
) -> None:
    server.script(ZIP, Scripted(body=b"PK\x05\x06" + bytes(18)))
    batches = list(fetcher(server, clock, tmp_path).fetch(None))
    (release,) = batches[0].files
    assert release.path == tmp_path / "2026-11-20_all_CVEs_at_midnight.zip.zip"
    assert batches[0].cursor == {"fetch_time": "2026-11-20T00:00:00+00:00"}
    assert [b.cursor["fetch_time"] for b in batches[1:]] == [
        "2026-11-20T09:07:05.118Z",
        "2026-11-20T10:07:12.977Z",
        "2026-11-20T11:07:31.402Z",
    ]
    assert sorted(record_paths(server)) == [
        "CVE-2026-09990.json",
        "CVE-2026-10001.json",
        "CVE-2026-10002.json",
        "CVE-2026-10003.json",
    ]


def test_a_cursor_older_than_the_delta_log_falls_back_to_the_release_zip(
    server: RecordedServer, clock: FakeClock, tmp_path: Path
) -> None:
    server.script(ZIP, Scripted(body=b"PK\x05\x06" + bytes(18)))
    batches = list(fetcher(server, clock, tmp_path).fetch({"fetch_time": "2026-10-01T00:00:00Z"}))
    assert batches[0].files and batches[0].files[0].name.endswith("_at_midnight.zip.zip")


def test_record_links_outside_the_prefix_are_refused(
    server: RecordedServer, clock: FakeClock, tmp_path: Path
) -> None:
    evil = (
        b'[{"fetchTime": "2026-11-20T12:00:00Z", "updated": [], "new": [{"cveId": "CVE-2026-1",'
        b' "githubLink": "http://169.254.169.254/latest"}]}]'
    )
    server.route(LOG, lambda request: Scripted(body=evil))
    with pytest.raises(FeedFormatError, match=r"\$\[0\].new\[0\].cveId is not a CVE id"):
        list(fetcher(server, clock, tmp_path).fetch({"fetch_time": "2026-11-20T11:00:00Z"}))
    evil = evil.replace(b"CVE-2026-1", b"CVE-2026-1234")
    server.route(LOG, lambda request: Scripted(body=evil))
    with pytest.raises(FeedFormatError, match=r"githubLink 'http://169.254.169.254/latest' is not"):
        list(fetcher(server, clock, tmp_path).fetch({"fetch_time": "2026-11-20T11:00:00Z"}))
    assert record_paths(server) == []

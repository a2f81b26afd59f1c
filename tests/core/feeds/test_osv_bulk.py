"""OSV bulk-export fetcher against a loopback server: the zip once, then modified_id.csv."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.feeds.loopback import FakeClock, RecordedRequest, RecordedServer, Scripted
from support import FIXTURES
from vulndesk.core.feeds.http import FeedFormatError, PoliteClient
from vulndesk.core.feeds.osv_bulk import OsvEcosystemFetcher, github_advisories_fetcher

CSV = (FIXTURES / "feeds" / "online" / "osv-PyPI-modified_id.csv").read_bytes()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[RecordedServer]:
    with RecordedServer(clock=clock.monotonic) as recorded:
        recorded.route("/PyPI/modified_id.csv", lambda request: Scripted(body=CSV, chunked=True))
        yield recorded


def fetcher(
    server: RecordedServer, clock: FakeClock, tmp_path: Path, **options: int
) -> OsvEcosystemFetcher:
    client = PoliteClient(
        clock=clock, rng=random.Random(5), max_bytes=options.pop("max_bytes", 1 << 20)
    )
    return OsvEcosystemFetcher(client, "PyPI", dest_dir=tmp_path, base_url=server.url, **options)


def record(request: RecordedRequest) -> Scripted:
    osv_id = request.path.rsplit("/", 1)[-1].removesuffix(".json")
    return Scripted(body=b'{"id": "%s", "modified": "2026-11-20T00:00:00Z"}' % osv_id.encode())


def route_records(server: RecordedServer, *ids: str) -> None:
    for osv_id in ids:
        server.route(f"/PyPI/{osv_id}.json", record)


def test_incremental_sync_fetches_only_records_newer_than_the_cursor_oldest_first(
    server: RecordedServer, clock: FakeClock, tmp_path: Path
) -> None:
    route_records(server, "PYSEC-2026-31", "GHSA-8q4x-2jwv-5r7c", "GHSA-3mf2-9hwp-qq4v")
    batches = list(
        fetcher(server, clock, tmp_path, batch_size=1).fetch({"modified": "2026-11-18T06:40:00Z"})
    )
    assert [r.path for r in server.requests] == [
        "/PyPI/modified_id.csv",
        "/PyPI/GHSA-3mf2-9hwp-qq4v.json",
        "/PyPI/GHSA-8q4x-2jwv-5r7c.json",
        "/PyPI/PYSEC-2026-31.json",
    ]
    assert [d.name for b in batches for d in b.documents] == [
        "GHSA-3mf2-9hwp-qq4v",
        "GHSA-8q4x-2jwv-5r7c",
        "PYSEC-2026-31",
    ]
    assert batches[0].documents[0].content.startswith(b'{"id": "GHSA-3mf2-9hwp-qq4v"')
    # two records share 17:03:10: the cursor passes that time only once both are fetched
    assert [b.cursor for b in batches] == [
        {"modified": "2026-11-18T06:40:00Z"},
        {"modified": "2026-11-19T17:03:10Z"},
        {"modified": "2026-11-20T09:12:44Z"},
    ]
    assert [(b.done, b.total) for b in batches] == [(1, 3), (2, 3), (3, 3)]


def test_incremental_sync_stops_reading_the_csv_at_the_cursor(
    server: RecordedServer, clock: FakeClock, tmp_path: Path
) -> None:
    # a CSV far over the size limit: reading it to the end would be refused
    old_rows = b"".join(b"2020-01-01T00:00:00Z,PYSEC-2020-%d\n" % n for n in range(200_000))
    server.route(
        "/PyPI/modified_id.csv", lambda request: Scripted(body=CSV + old_rows, chunked=True)
    )
    route_records(server, "PYSEC-2026-31")
    batches = list(
        fetcher(server, clock, tmp_path, max_bytes=256 << 10).fetch(
            {"modified": "2026-11-19T17:03:10Z"}
        )
    )
    assert len(CSV + old_rows) > 5 << 20
    assert [d.name for b in batches for d in b.documents] == ["PYSEC-2026-31"]
    assert batches[-1].cursor == {"modified": "2026-11-20T09:12:44Z"}


def test_nothing_newer_than_the_cursor_yields_nothing(
    server: RecordedServer, clock: FakeClock, tmp_path: Path
) -> None:
    assert list(fetcher(server, clock, tmp_path).fetch({"modified": "2026-11-20T09:12:44Z"})) == []
    assert [r.path for r in server.requests] == ["/PyPI/modified_id.csv"]


def test_with_no_cursor_the_zip_is_downloaded_and_the_newest_time_kept(
    server: RecordedServer, clock: FakeClock, tmp_path: Path
) -> None:
    archive = b"PK\x05\x06" + bytes(18)  # an empty zip
    server.script("/PyPI/all.zip", Scripted(body=archive, chunked=True))
    (batch,) = fetcher(server, clock, tmp_path).fetch(None)
    (zip_file,) = batch.files
    assert zip_file.path == tmp_path / "PyPI-all.zip"
    assert zip_file.path.read_bytes() == archive
    assert zip_file.sha256 == hashlib.sha256(archive).hexdigest()
    assert batch.cursor == {"modified": "2026-11-20T09:12:44Z"}
    assert [r.path for r in server.requests] == ["/PyPI/modified_id.csv", "/PyPI/all.zip"]


def test_an_unsafe_id_in_the_csv_is_refused(
    server: RecordedServer, clock: FakeClock, tmp_path: Path
) -> None:
    server.route(
        "/PyPI/modified_id.csv",
        lambda request: Scripted(body=b"2026-11-21T00:00:00Z,../../secrets\n" + CSV),
    )
    with pytest.raises(FeedFormatError, match=re.escape("unsafe OSV id '../../secrets'")):
        list(fetcher(server, clock, tmp_path).fetch({"modified": "2026-11-20T09:12:44Z"}))


def test_a_malformed_csv_row_names_the_line(
    server: RecordedServer, clock: FakeClock, tmp_path: Path
) -> None:
    server.route("/PyPI/modified_id.csv", lambda request: Scripted(body=b"yesterday,PYSEC-1\n"))
    with pytest.raises(FeedFormatError, match=r"modified_id.csv: line 1: not a timestamp"):
        list(fetcher(server, clock, tmp_path).fetch({"modified": "2026-11-20T09:12:44Z"}))


def test_github_advisories_come_through_the_osv_export(tmp_path: Path) -> None:
    with PoliteClient() as client:
        github = github_advisories_fetcher(client, "npm", dest_dir=tmp_path)
    assert isinstance(github, OsvEcosystemFetcher)
    assert github.zip_url == "https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip"

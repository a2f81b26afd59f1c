"""FIRST EPSS fetchers against a loopback server: the daily file and the API in batches."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.feeds.loopback import FakeClock, RecordedRequest, RecordedServer, Scripted
from vulndesk.core.errors import IdentifierError
from vulndesk.core.feeds.first_epss import EpssApiFetcher, EpssDailyFetcher
from vulndesk.core.feeds.http import PoliteClient

ETAG = '"epss-2026-11-20"'


@pytest.fixture
def server() -> Iterator[RecordedServer]:
    with RecordedServer() as recorded:
        yield recorded


def scores_csv_gz() -> bytes:
    rows = [
        "#model_version:v2025.03.14,score_date:2026-11-20T12:55:00Z",
        "cve,epss,percentile",
        *(f"CVE-2026-{n:05d},0.{n:05d},0.{n % 1000:03d}" for n in range(1, 3001)),
    ]
    return gzip.compress(("\n".join(rows) + "\n").encode())


def test_the_daily_file_is_downloaded_then_304_when_unchanged(
    server: RecordedServer, tmp_path: Path
) -> None:
    payload = scores_csv_gz()

    def conditional(request: RecordedRequest) -> Scripted:
        if request.headers.get("if-none-match") == ETAG:
            return Scripted(304)
        return Scripted(body=payload, headers={"ETag": ETAG, "Content-Type": "application/gzip"})

    server.route("/epss_scores-current.csv.gz", conditional)
    with PoliteClient(clock=FakeClock()) as client:
        epss = EpssDailyFetcher(
            client, dest_dir=tmp_path, url=f"{server.url}/epss_scores-current.csv.gz"
        )
        (first,) = epss.fetch(None)
        (second,) = epss.fetch(first.cursor)
    (scores,) = first.files
    assert scores.path == tmp_path / "epss_scores-current.csv.gz"
    assert gzip.decompress(scores.path.read_bytes()).startswith(b"#model_version:v2025.03.14")
    assert scores.path.read_bytes() == payload  # kept compressed, as served
    assert first.cursor["etag"] == ETAG
    assert second.files == () and second.cursor == first.cursor
    assert server.requests[1].headers["if-none-match"] == ETAG


def test_the_api_is_asked_in_groups_of_at_most_100(server: RecordedServer) -> None:
    server.route("/data/v1/epss", lambda request: Scripted(body=b'{"status": "OK", "data": []}'))
    ids = [f"CVE-2026-{n:05d}" for n in range(250)]
    with PoliteClient(clock=FakeClock()) as client:
        api = EpssApiFetcher(client, url=f"{server.url}/data/v1/epss")
        answers = list(api.fetch_scores([*ids, ids[0]]))
    sent = [(r.param("cve") or "").split(",") for r in server.requests]
    assert [len(group) for group in sent] == [100, 100, 50]
    assert [cve for group in sent for cve in group] == ids
    assert answers[0].name == "epss CVE-2026-00000..CVE-2026-00099"


def test_api_groups_also_fit_the_url_length() -> None:
    with PoliteClient() as client:
        api = EpssApiFetcher(client, max_query_chars=60)
        groups = list(api.groups([f"CVE-2026-{n:05d}" for n in range(10)]))
    assert all(len(",".join(group)) <= 60 for group in groups)
    assert [len(group) for group in groups] == [4, 4, 2]


def test_api_refuses_what_is_not_a_cve_id() -> None:
    with PoliteClient() as client, pytest.raises(IdentifierError, match="'CVE-2026-1,x'"):
        list(EpssApiFetcher(client).groups(["CVE-2026-1,x"]))

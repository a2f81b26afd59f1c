"""feed_sync against loopback HTTP servers: records stored, cursors saved, a failed page keeps
what came before it, and the next run resumes there."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import orjson
import pytest

from core.feeds.loopback import RecordedRequest, RecordedServer, Scripted
from support import FIXTURES, ROOT, SHARED_DATA
from vulndesk.core.feeds.http import RetryPolicy
from vulndesk.core.feeds.nvd_api import nvd_client
from vulndesk.server.advisories.models import Advisory, EpssScore, KevEntry
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.feeds.models import FeedSnapshot, FeedSource
from vulndesk.server.feeds.services import (
    FeedSourceBusy,
    FeedSyncError,
    feed_source_configure,
    feed_sync,
)

pytestmark = pytest.mark.django_db

ONLINE = FIXTURES / "feeds" / "online"
NVD_API = "/rest/json/cves/2.0"
NVD_PAGES = {
    "0": (ONLINE / "nvd-cves-startIndex-0.json").read_bytes(),
    "2": (ONLINE / "nvd-cves-startIndex-2.json").read_bytes(),
}
DEMO_OSV = ROOT / "src/vulndesk/demo/data/osv"


def no_retries():  # type: ignore[no-untyped-def]
    """An NVD client that gives up at the first failure (no backoff waits in tests)."""
    return nvd_client(retry=RetryPolicy(attempts=1))


def nvd_route(server: RecordedServer, *, fail_second: bool = False) -> None:
    def answer(request: RecordedRequest) -> Scripted:
        index = request.param("startIndex") or "0"
        if fail_second and index == "2":
            return Scripted(500, b"busy")
        return Scripted(200, NVD_PAGES[index], {"Content-Type": "application/json"})

    server.route(NVD_API, answer)


def test_nvd_sync_stores_every_page_and_the_final_cursor(server: RecordedServer) -> None:
    nvd_route(server)
    outcome = feed_sync(source="nvd", base_url=server.url, client=no_retries())
    assert outcome.batches == 2
    assert outcome.counts.created == 3
    assert set(Advisory.objects.filter(format="nvd").values_list("record_id", flat=True)) == {
        "CVE-2026-10001",
        "CVE-2026-10002",
        "CVE-2026-10003",
    }
    source = FeedSource.objects.get(name="nvd")
    assert set(source.cursor) == {"synced_until"}
    assert source.last_success_at is not None and source.last_error == ""
    assert source.running_since is None
    assert source.last_counts["created"] == 3
    actions = list(
        AuditEvent.objects.filter(object_id="nvd").values_list("action", flat=True).order_by("id")
    )
    assert actions == ["feeds.sync.start", "feeds.sync.batch", "feeds.sync.batch", "feeds.sync"]


def test_nvd_failure_on_page_two_keeps_page_one_and_the_next_run_resumes(
    server: RecordedServer,
) -> None:
    nvd_route(server, fail_second=True)
    with pytest.raises(FeedSyncError, match="500") as failure:
        feed_sync(source="nvd", base_url=server.url, client=no_retries())
    assert failure.value.outcome.counts.created == 2
    source = FeedSource.objects.get(name="nvd")
    assert source.cursor is not None and source.cursor["start_index"] == 2
    assert "500" in source.last_error and source.last_success_at is None
    assert source.running_since is None  # the claim is released
    assert Advisory.objects.filter(format="nvd").count() == 2

    server.requests.clear()
    nvd_route(server)
    outcome = feed_sync(source="nvd", base_url=server.url, client=no_retries())
    # the full sync goes on at page two; the window since it began follows (same records)
    full = [r for r in server.requests_to(NVD_API) if r.param("lastModStartDate") is None]
    assert [r.param("startIndex") for r in full] == ["2"]
    assert outcome.counts.created == 1
    assert Advisory.objects.filter(format="nvd").count() == 3
    source.refresh_from_db()
    assert source.last_error == "" and source.last_success_at is not None
    assert "synced_until" in source.cursor and "start_index" not in source.cursor


def test_should_stop_ends_after_the_batch_with_its_cursor(server: RecordedServer) -> None:
    nvd_route(server)
    outcome = feed_sync(
        source="nvd", base_url=server.url, client=no_retries(), should_stop=lambda: True
    )
    assert outcome.stopped and outcome.batches == 1
    assert FeedSource.objects.get(name="nvd").cursor["start_index"] == 2


def test_a_claimed_source_is_not_synced_twice(server: RecordedServer) -> None:
    from django.utils import timezone

    FeedSource.objects.filter(name="nvd").update(running_since=timezone.now(), running_by="x")
    with pytest.raises(FeedSourceBusy):
        feed_sync(source="nvd", base_url=server.url, client=no_retries())
    assert server.requests == []


def test_kev_sync_stores_the_catalogue_then_asks_conditionally(server: RecordedServer) -> None:
    body = (ONLINE / "kev.json").read_bytes()
    path = "/sites/default/files/feeds/known_exploited_vulnerabilities.json"
    server.script(path, Scripted(200, body, {"ETag": '"v1"'}), Scripted(304))
    feed_sync(source="kev", base_url=server.url)
    assert KevEntry.objects.count() == 2
    assert FeedSnapshot.objects.get(kind="kev").records == 2
    assert FeedSource.objects.get(name="kev").cursor["etag"] == '"v1"'
    feed_sync(source="kev", base_url=server.url)
    assert server.requests_to(path)[-1].headers["if-none-match"] == '"v1"'
    assert KevEntry.objects.count() == 2


def test_epss_sync_stores_the_scores(server: RecordedServer) -> None:
    import gzip

    data = (FIXTURES / "feeds/epss/scores.csv").read_bytes()
    server.script("/epss_scores-current.csv.gz", Scripted(200, gzip.compress(data)))
    feed_sync(source="epss", base_url=server.url)
    assert EpssScore.objects.count() > 0
    assert FeedSnapshot.objects.get(kind="epss").records == EpssScore.objects.count()


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in sorted(folder.glob("*.json")):
            archive.write(file, file.name)
    return buffer.getvalue()


def test_osv_sync_takes_the_zip_then_changed_records(server: RecordedServer) -> None:
    record = orjson.loads((DEMO_OSV / "PYSEC-2023-74.json").read_bytes())
    record["modified"] = "2026-11-21T00:00:00Z"
    server.script(
        "/PyPI/modified_id.csv",
        Scripted(200, b"2026-11-20T09:12:44Z,PYSEC-2023-74\n"),
        Scripted(200, b"2026-11-21T00:00:00Z,PYSEC-2023-74\n2026-11-20T09:12:44Z,PYSEC-2023-74\n"),
    )
    server.script("/PyPI/all.zip", Scripted(200, _zip(DEMO_OSV)))
    first = feed_sync(source="osv-PyPI", base_url=server.url)
    assert first.counts.created == 8
    assert FeedSource.objects.get(name="osv-PyPI").cursor == {"modified": "2026-11-20T09:12:44Z"}

    server.script("/PyPI/PYSEC-2023-74.json", Scripted(200, orjson.dumps(record)))
    second = feed_sync(source="osv-PyPI", base_url=server.url)
    assert second.counts.updated == 1
    assert len(server.requests_to("/PyPI/all.zip")) == 1
    assert FeedSource.objects.get(name="osv-PyPI").cursor == {"modified": "2026-11-21T00:00:00Z"}


CISA_OT = SHARED_DATA / "csaf/cisa-ot"


@pytest.mark.skipif(not CISA_OT.is_dir(), reason="../shared/data/csaf/cisa-ot is absent")
def test_csaf_provider_sync_stores_documents_and_resumes(tmp_path: Path) -> None:
    from feeds_http import FeedServer

    # a small provider: three documents of CISA's real directory, with their hashes
    provider = tmp_path / "ot"
    lines = (CISA_OT / "changes.csv").read_text().splitlines()
    chosen = [line for line in lines if line.split(",")[0].strip('"').startswith("2022/")][:3]
    for line in chosen:
        name = line.split(",")[0].strip('"')
        for suffix in ("", ".sha256", ".sha512"):
            src = CISA_OT / (name + suffix)
            if src.exists():
                (provider / name).parent.mkdir(parents=True, exist_ok=True)
                (provider / (name + suffix)).write_bytes(src.read_bytes())
    (provider / "changes.csv").write_text("\n".join(chosen) + "\n")
    (provider / "index.txt").write_text(
        "\n".join(line.split(",")[0].strip('"') for line in chosen) + "\n"
    )
    feed_source_configure(
        name="csaf:cisa",
        enabled=True,
        settings={"url": "https://www.cisa.gov/ot/", "signature_policy": "skip"},
    )
    with FeedServer(provider, mount="/ot/") as http:
        outcome = feed_sync(source="csaf:cisa", base_url=http.url)
        assert outcome.counts.created > 0
        stored = Advisory.objects.filter(format="csaf").count()
        assert stored == outcome.counts.created
        source = FeedSource.objects.get(name="csaf:cisa")
        assert source.cursor is not None and source.cursor["since"] is not None
        again = feed_sync(source="csaf:cisa", base_url=http.url)
        assert again.counts.created == 0 and again.counts.read == 0


def test_euvd_sync_pages_through_the_search_and_stores_each_record(
    server: RecordedServer,
) -> None:
    pages = {p: (ONLINE / f"euvd-search-page-{p}.json").read_bytes() for p in ("0", "1")}
    server.route("/api/search", lambda request: Scripted(body=pages[request.param("page") or ""]))
    outcome = feed_sync(source="euvd", base_url=server.url)
    assert outcome.batches == 2
    stored = set(Advisory.objects.filter(format="euvd").values_list("record_id", flat=True))
    assert len(stored) == outcome.counts.created >= 2
    assert all(record_id.startswith("EUVD-") for record_id in stored)
    assert set(FeedSource.objects.get(name="euvd").cursor) == {"synced_until"}


def test_jvn_sync_stores_the_records_of_both_languages(server: RecordedServer) -> None:
    pages = {p: (ONLINE / f"jvnrss-ja-startItem-{p}.xml").read_bytes() for p in ("1", "3")}
    server.route("/myjvn", lambda request: Scripted(body=pages[request.param("startItem") or ""]))
    feed_source_configure(name="jvn", settings={"pause": 0})
    outcome = feed_sync(source="jvn", base_url=server.url)
    assert {r.param("lang") for r in server.requests} == {"ja", "en"}
    assert outcome.counts.created >= 2
    keys = set(Advisory.objects.filter(format="jvn").values_list("id", flat=True))
    assert keys and all(key.startswith("jvn:JVNDB-") and "@" in key for key in keys)
    assert set(FeedSource.objects.get(name="jvn").cursor) == {"synced_until"}


def test_jvn_sync_with_csaf_details_stores_each_records_detail_in_both_languages(
    server: RecordedServer,
) -> None:
    pages = {p: (ONLINE / f"jvnrss-ja-startItem-{p}.xml").read_bytes() for p in ("1", "3")}

    def answer(request: RecordedRequest) -> Scripted:
        if request.param("feed") == "oka":  # the detail, as the record the request names
            lang, vuln_id = request.param("lang") or "ja", request.param("vulnId") or ""
            body = (ONLINE / f"myjvn-csaf-JVNDB-2026-012345-{lang}.json").read_bytes()
            body = body.replace(b"JVNDB-2026-012345", vuln_id.encode())
            return Scripted(body=body, headers={"Content-Type": "application/json"})
        return Scripted(body=pages[request.param("startItem") or ""])

    server.route("/myjvn", answer)
    feed_source_configure(name="jvn", settings={"pause": 0, "details": "csaf"})
    outcome = feed_sync(source="jvn", base_url=server.url)
    stored = {a.id: a for a in Advisory.objects.filter(format="jvn")}
    assert set(stored) == {
        f"jvn:JVNDB-2026-01234{n}@{lang}" for n in (5, 6, 7) for lang in ("ja", "en")
    }
    assert outcome.counts.created == 6 and outcome.counts.problems == []
    ja, en = stored["jvn:JVNDB-2026-012345@ja"], stored["jvn:JVNDB-2026-012345@en"]
    assert (ja.record_id, ja.aliases) == ("JVNDB-2026-012345", ["CVE-2026-10001"])
    assert ja.summary == "Example Server におけるパストラバーサルの脆弱性"
    assert en.summary == "Path traversal vulnerability in Example Server"
    assert orjson.loads(en.raw)["document"]["lang"] == "en"  # the detail as served
    assert set(FeedSource.objects.get(name="jvn").cursor) == {"synced_until"}


def test_jvn_sync_refuses_an_unknown_details_setting(server: RecordedServer) -> None:
    feed_source_configure(name="jvn", settings={"pause": 0, "details": "stix"})
    with pytest.raises(FeedSyncError, match=r"details must be 'none'.*not 'stix'"):
        feed_sync(source="jvn", base_url=server.url)
    assert server.requests == []


def _release_zip(checkout: Path) -> bytes:
    """Return a CVE List daily release asset: a zip holding ``cves.zip`` of the checkout."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        for path in sorted(checkout.rglob("CVE-*.json")):
            archive.write(path, str(path.relative_to(checkout)))
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as archive:
        archive.writestr("cves.zip", inner.getvalue())
    return outer.getvalue()


def test_cvelist_sync_takes_the_release_zip_then_the_deltas(server: RecordedServer) -> None:
    from django.utils import timezone

    today = timezone.now().date().isoformat()
    release = (
        f"/CVEProject/cvelistV5/releases/download/cve_{today}_0000Z/"
        f"{today}_all_CVEs_at_midnight.zip.zip"
    )
    server.route(
        release, lambda request: Scripted(body=_release_zip(FIXTURES / "feeds/cve5/cvelist"))
    )
    raw = b"https://raw.githubusercontent.com/CVEProject/cvelistV5/main/"
    log = (
        (ONLINE / "cvelist-deltaLog.json")
        .read_bytes()
        .replace(raw, f"{server.url}/CVEProject/cvelistV5/main/".encode())
    )
    server.route(
        "/CVEProject/cvelistV5/main/cves/deltaLog.json", lambda request: Scripted(body=log)
    )
    record = (ONLINE / "cve5-CVE-2026-10001.json").read_bytes()

    def delta(request: RecordedRequest) -> Scripted:
        cve_id = request.path.rsplit("/", 1)[-1].removesuffix(".json")
        return Scripted(body=record.replace(b"CVE-2026-10001", cve_id.encode()))

    for cve in ("9xxx/CVE-2026-09990", *(f"10xxx/CVE-2026-1000{n}" for n in (1, 2, 3))):
        server.route(f"/CVEProject/cvelistV5/main/cves/2026/{cve}.json", delta)
    outcome = feed_sync(source="cvelist", base_url=server.url)
    stored = set(Advisory.objects.filter(format="cve5").values_list("record_id", flat=True))
    # the release's two records, then whatever the delta log lists since its midnight
    assert {"CVE-2023-44487", "CVE-2024-1234"} <= stored
    assert outcome.counts.created == len(stored)
    assert set(FeedSource.objects.get(name="cvelist").cursor) == {"fetch_time"}

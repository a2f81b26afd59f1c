"""The CVE Services client against a fake CVE Services over real HTTP on loopback."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator

import pytest

from core.cve.cve_examples import PROVIDER, good_record
from core.feeds.loopback import FakeClock, closed_port
from cve_services_fake import (
    API_KEY,
    ORG,
    OTHER_KEY,
    OTHER_ORG,
    OTHER_USER,
    USER,
    CveServicesFake,
    Reply,
)
from vulndesk.core.cve.reader import read_cve_record
from vulndesk.core.cve.record import AffectedProduct, Text, cna_container
from vulndesk.core.cve.services import (
    PRODUCTION_URL,
    TEST_URL,
    CveRecordInvalid,
    CveServicesAuthError,
    CveServicesClient,
    CveServicesCredentials,
    CveServicesError,
    CveServicesUnavailable,
    IdQuota,
)
from vulndesk.core.errors import InputError
from vulndesk.core.feeds.http import RetryPolicy

CREDENTIALS = CveServicesCredentials(org=ORG, user=USER, api_key=API_KEY)
REASON = Text("This candidate is unused: the issue it was reserved for is not a vulnerability.")


@pytest.fixture
def fake() -> Iterator[CveServicesFake]:
    with CveServicesFake(quota=10) as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(fake: CveServicesFake, clock: FakeClock) -> Iterator[CveServicesClient]:
    with CveServicesClient(CREDENTIALS, base_url=fake.url, clock=clock, timeout=5) as c:
        yield c


def test_reserve_publish_update_reject_and_quota(
    fake: CveServicesFake, client: CveServicesClient
) -> None:
    first, second = client.reserve(2, year=1900)
    assert (first.cve_id, second.cve_id) == ("CVE-1900-0001", "CVE-1900-0002")
    assert (first.state, first.owning_cna, first.year, first.requested_by) == (
        "RESERVED",
        ORG,
        1900,
        USER,
    )
    assert first.reserved is not None
    assert client.quota() == IdQuota(id_quota=10, total_reserved=2, available=8)

    record = good_record(first.cve_id)
    published = client.publish_record(record, provider=PROVIDER)
    assert "successfully created" in published.message
    read = read_cve_record(published.record)
    assert read.metadata.state == "PUBLISHED"
    assert read.cna == record  # the service kept every field the builder wrote
    assert client.cve_id(first.cve_id).state == "PUBLISHED"

    retitled = dataclasses.replace(record, title="Path traversal in Example Web Console 2.x")
    updated = client.update_record(retitled, provider=PROVIDER)
    assert updated.record["cveMetadata"]["serial"] == 2
    assert client.record(first.cve_id)["containers"]["cna"]["title"] == retitled.title

    rejected = client.reject(second.cve_id, [REASON])
    assert rejected.record["cveMetadata"]["state"] == "REJECTED"
    assert read_cve_record(rejected.record).rejected_reasons == (REASON,)
    assert client.cve_id(second.cve_id).state == "REJECTED"
    assert client.quota() == IdQuota(id_quota=10, total_reserved=0, available=10)

    withdrawn = client.reject_record(first.cve_id, [REASON], replaced_by=["CVE-1900-0002"])
    assert withdrawn.record["cveMetadata"]["state"] == "REJECTED"
    assert client.cve_id(first.cve_id).state == "REJECTED"


def test_every_request_carries_the_three_headers(
    fake: CveServicesFake, client: CveServicesClient
) -> None:
    client.quota()
    _, path, headers = fake.requests[-1]
    assert path == f"/api/org/{ORG}/id_quota"
    assert (headers["cve-api-org"], headers["cve-api-user"], headers["cve-api-key"]) == (
        ORG,
        USER,
        API_KEY,
    )


def test_reserving_several_asks_for_a_batch_type(
    fake: CveServicesFake, client: CveServicesClient
) -> None:
    assert [i.cve_id for i in client.reserve(3, year=2026, sequential=False)] == [
        "CVE-2026-0001",
        "CVE-2026-0002",
        "CVE-2026-0003",
    ]
    assert [i.cve_id for i in client.reserve(year=2026)] == ["CVE-2026-0004"]
    with pytest.raises(CveServicesAuthError, match="HTTP 403 EXCEEDED_ID_QUOTA"):
        client.reserve(7, year=2026)


def test_a_record_with_lint_errors_is_not_sent(
    fake: CveServicesFake, client: CveServicesClient
) -> None:
    (reserved,) = client.reserve(year=1900)
    bad = dataclasses.replace(
        good_record(reserved.cve_id),
        affected=(AffectedProduct(vendor="n/a", product="n/a", default_status="affected"),),
    )
    with pytest.raises(CveRecordInvalid) as caught:
        client.publish_record(bad, provider=PROVIDER)
    assert "2 lint error(s)" in str(caught.value)
    assert "$.cnaContainer.affected[0].vendor" in str(caught.value)
    assert {f.rule for f in caught.value.findings} == {"placeholder"}
    assert fake.count("POST", f"/api/cve/{reserved.cve_id}/cna") == 0
    # lint=False is the caller's explicit choice: the service gets the record as it is
    result = client.publish_record(bad, provider=PROVIDER, lint=False)
    assert result.record["containers"]["cna"]["affected"][0]["vendor"] == "n/a"


def test_the_services_validation_details_are_shown(client: CveServicesClient) -> None:
    (reserved,) = client.reserve(year=1900)
    container = cna_container(good_record(reserved.cve_id), provider=PROVIDER)
    del container["affected"]
    with pytest.raises(CveServicesError) as caught:
        client.publish(reserved.cve_id, container, lint=False)
    assert caught.value.status == 400
    assert caught.value.error == "BAD_INPUT"
    assert str(caught.value) == (
        f"CVE Services publish {reserved.cve_id}: HTTP 400 BAD_INPUT: Parameters were invalid: "
        "/cnaContainer must have required property 'affected'"
    )


def test_publishing_an_id_nobody_reserved_is_refused(client: CveServicesClient) -> None:
    with pytest.raises(CveServicesError) as caught:
        client.publish_record(good_record("CVE-1900-0042"), provider=PROVIDER)
    assert (caught.value.operation, caught.value.status, caught.value.error) == (
        "publish CVE-1900-0042",
        404,
        "CVE_ID_NOT_FOUND",
    )


def test_publishing_another_orgs_id_is_refused(fake: CveServicesFake, clock: FakeClock) -> None:
    other = CveServicesCredentials(org=OTHER_ORG, user=OTHER_USER, api_key=OTHER_KEY)
    with CveServicesClient(other, base_url=fake.url, clock=clock) as theirs:
        (their_id,) = theirs.reserve(year=1900)
    with CveServicesClient(CREDENTIALS, base_url=fake.url, clock=clock) as ours:
        with pytest.raises(CveServicesAuthError) as caught:
            ours.publish_record(good_record(their_id.cve_id), provider=PROVIDER)
        assert (caught.value.status, caught.value.error) == (403, "NOT_OWNER_OF_CVE_ID")
        with pytest.raises(CveServicesAuthError, match="NOT_OWNER_OF_CVE_ID"):
            ours.reject(their_id.cve_id, [REASON])
    assert fake.ids[their_id.cve_id].state == "RESERVED"


def test_publishing_twice_and_updating_a_reserved_id_are_refused(client: CveServicesClient) -> None:
    first, second = client.reserve(2, year=1900)
    client.publish_record(good_record(first.cve_id), provider=PROVIDER)
    with pytest.raises(CveServicesError, match="HTTP 403 CVE_RECORD_EXISTS"):
        client.publish_record(good_record(first.cve_id), provider=PROVIDER)
    with pytest.raises(CveServicesError, match="HTTP 404 CVE_RECORD_DNE"):
        client.update_record(good_record(second.cve_id), provider=PROVIDER)


def test_a_wrong_key_is_401_and_never_shown(
    fake: CveServicesFake, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "wrong-but-still-secret-5e1f"
    wrong = CveServicesCredentials(org=ORG, user=USER, api_key=secret)
    caplog.set_level(logging.DEBUG)
    client = CveServicesClient(wrong, base_url=fake.url, clock=clock)
    with client, pytest.raises(CveServicesAuthError) as caught:
        client.reserve(year=1900)
    assert str(caught.value) == "CVE Services reserve ids: HTTP 401 UNAUTHORIZED: Unauthorized"
    assert caught.value.status == 401
    assert fake.requests[-1][2]["cve-api-key"] == secret  # it was sent...
    for text in (str(caught.value), repr(caught.value), repr(wrong), repr(client.credentials)):
        assert secret not in text  # ...and shown nowhere
    assert caplog.records and secret not in caplog.text


def test_a_key_the_service_echoes_is_masked(
    fake: CveServicesFake, client: CveServicesClient
) -> None:
    fake.script(
        "POST",
        "/api/cve-id",
        Reply(400, {"error": f"BAD_KEY_{API_KEY}", "message": f"key {API_KEY} is malformed"}),
    )
    with pytest.raises(CveServicesError) as caught:
        client.reserve(year=1900)
    assert API_KEY not in str(caught.value)
    assert "key ******** is malformed" in str(caught.value)


def test_a_429_is_retried_after_the_pause_it_asks_for(fake: CveServicesFake) -> None:
    fake.script(
        "POST",
        "/api/cve-id",
        Reply(429, {"error": "TOO_MANY_REQUESTS", "message": "slow down"}, {"Retry-After": "1"}),
    )
    with CveServicesClient(CREDENTIALS, base_url=fake.url) as client:  # the real clock
        started = time.monotonic()
        (reserved,) = client.reserve(year=1900)
        waited = time.monotonic() - started
    assert reserved.cve_id == "CVE-1900-0001"  # one id: the refused try reserved nothing
    assert fake.count("POST", "/api/cve-id") == 2
    assert waited >= 1.0


def test_a_503_is_retried_then_given_up_on(
    fake: CveServicesFake, client: CveServicesClient, clock: FakeClock
) -> None:
    busy = Reply(503, b"<html>maintenance</html>", {"Retry-After": "7"})
    fake.script("GET", f"/api/org/{ORG}/id_quota", busy, busy, busy, busy)
    with pytest.raises(CveServicesUnavailable) as caught:
        client.quota()
    assert clock.sleeps == [7.0, 7.0, 7.0]
    assert caught.value.status == 503
    assert "gave up after 4 attempts" in str(caught.value)


def test_a_pause_longer_than_the_client_waits_gives_up_at_once(
    fake: CveServicesFake, client: CveServicesClient, clock: FakeClock
) -> None:
    fake.script("GET", f"/api/org/{ORG}/id_quota", Reply(429, None, {"Retry-After": "3600"}))
    with pytest.raises(CveServicesUnavailable, match="retry after 3600 s"):
        client.quota()
    assert clock.sleeps == []


def test_a_server_error_names_the_operation(
    fake: CveServicesFake, client: CveServicesClient
) -> None:
    fake.script("GET", "/api/cve-id/CVE-1900-0001", Reply(500, {"message": "boom"}))
    with pytest.raises(CveServicesUnavailable, match=r"get id CVE-1900-0001: HTTP 500: boom"):
        client.cve_id("CVE-1900-0001")


def test_no_server_is_unavailable_after_retries(clock: FakeClock) -> None:
    url = f"http://127.0.0.1:{closed_port()}/api/"
    retry = RetryPolicy(attempts=2, backoff_base=0.5, statuses=frozenset({429, 503}))
    client = CveServicesClient(CREDENTIALS, base_url=url, clock=clock, retry=retry)
    with client, pytest.raises(CveServicesUnavailable, match="cannot connect") as caught:
        client.quota()
    assert len(clock.sleeps) == 1
    assert API_KEY not in str(caught.value)


def test_a_malformed_id_is_refused_before_any_request(
    fake: CveServicesFake, client: CveServicesClient
) -> None:
    for bad in ("CVE-1900-1", "../org/x", "CVE-1900-0001/reject"):
        with pytest.raises(InputError, match="malformed CVE id"):
            client.cve_id(bad)
    with pytest.raises(InputError, match="in English"):
        client.reject("CVE-1900-0001", [Text("未使用", "ja")])
    assert fake.requests == []


def test_the_base_urls() -> None:
    assert PRODUCTION_URL == "https://cveawg.mitre.org/api/"
    assert TEST_URL == "https://cveawg-test.mitre.org/api/"
    with CveServicesClient(CREDENTIALS, base_url="https://cveawg-test.mitre.org/api") as client:
        assert client.base_url == TEST_URL

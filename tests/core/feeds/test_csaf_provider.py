"""CSAF provider sync against a real HTTP server on loopback serving CISA's real provider folder.

About the real signatures: every cisa-ot document comes with a ``.asc``, but CISA's public key is
not in ../shared/data, so none of them can be verified here. Under ``verify-if-present`` they are
accepted as ``unverified`` (and gpgv names the signing key id); under ``require`` they are refused.
Good and bad signatures are tested with a key made for the test.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from core.feeds.loopback import FakeClock
from feeds_http import FeedServer, Reply
from support import shared_data
from vulndesk.core.feeds.csaf_provider import (
    CsafProviderError,
    CsafProviderSync,
    DocumentResult,
    SyncCursor,
    SyncOptions,
    csaf_client,
    discover_provider,
    sync_csaf_provider,
)
from vulndesk.core.feeds.http import PoliteClient

pytestmark = pytest.mark.shared

CISA_PUBLIC = "https://raw.githubusercontent.com/cisagov/CSAF/develop/csaf_files/OT/white/"
SOME = ["2022/icsa-22-356-03.json", "2022/icsa-22-172-01.json", "2022/icsa-22-069-04.json"]


@pytest.fixture(scope="module")
def cisa_ot() -> Path:
    return shared_data("csaf/cisa-ot")


@pytest.fixture(scope="module")
def cisa_server(cisa_ot: Path) -> Iterator[FeedServer]:
    with FeedServer(cisa_ot, mount="/ot/") as server:
        yield server


def run(start: str, **options: object) -> tuple[list[DocumentResult], CsafProviderSync]:
    cursor = options.pop("cursor", None)
    client = options.pop("client", None)
    assert cursor is None or isinstance(cursor, SyncCursor)
    assert client is None or isinstance(client, PoliteClient)
    sync = CsafProviderSync(start, options=SyncOptions(**options), cursor=cursor, client=client)  # type: ignore[arg-type]
    with sync:
        return list(sync), sync


def fake_time_client(options: SyncOptions) -> PoliteClient:
    """The client a sync with ``options`` builds, but waiting in fake time (no real backoff)."""
    return csaf_client(options, clock=FakeClock())


def copy_provider(source: Path, target: Path, paths: list[str]) -> Path:
    """Copy some documents (with .sha512 and .asc) and matching index.txt/changes.csv."""
    for path in paths:
        for suffix in ("", ".sha512", ".asc"):
            (target / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / (path + suffix), target / (path + suffix))
    (target / "index.txt").write_text("".join(f"{p}\n" for p in paths))
    lines = (source / "changes.csv").read_text().splitlines()
    kept = [line for line in lines if line.split(",")[0].strip('"') in paths]
    (target / "changes.csv").write_text("\n".join(kept) + "\n")
    return target


def by_path(results: list[DocumentResult]) -> dict[str, DocumentResult]:
    return {r.path: r for r in results}


# --- directory distribution -----------------------------------------------------------------------


def test_full_then_incremental_sync_of_every_cisa_document(
    cisa_server: FeedServer, cisa_ot: Path
) -> None:
    start = cisa_server.url + "/ot/"
    began = time.monotonic()
    results, sync = run(start)
    assert time.monotonic() - began < 15
    assert len(results) == 385
    assert {r.status for r in results} == {"accepted"}
    assert {(r.hash, r.hash_algorithm) for r in results} == {("verified", "sha512")}
    # CISA's key is not configured (nor in the data): present, but unverified
    assert {r.signature for r in results} == {"unverified"}
    first = by_path(results)["2022/icsa-22-356-03.json"]
    assert first.document_id == "ICSA-22-356-03"
    assert first.data == (cisa_ot / "2022/icsa-22-356-03.json").read_bytes()
    assert first.notes == ()
    cursor = sync.cursor
    assert cursor.since is not None and cursor.since.isoformat() == "2024-09-05T06:00:00+00:00"
    assert cursor == SyncCursor.from_json(orjson.loads(orjson.dumps(cursor.to_json())))

    # a second run reads changes.csv and fetches nothing
    before = len(cisa_server.requests)
    again, sync2 = run(start, cursor=cursor)
    assert again == []
    assert cisa_server.requests[before:] == ["/ot/changes.csv"]
    assert sync2.cursor == cursor

    # one newer entry in changes.csv: just that document
    changes = (cisa_ot / "changes.csv").read_bytes()
    newer = b'"2022/icsa-22-069-04.json","2024-10-01T12:00:00Z"\n'
    cisa_server.put("/ot/changes.csv", newer + changes)
    try:
        third, sync3 = run(start, cursor=cursor)
    finally:
        cisa_server.put("/ot/changes.csv", changes)
    assert [(r.path, r.status) for r in third] == [("2022/icsa-22-069-04.json", "accepted")]
    assert sync3.cursor.since is not None and sync3.cursor.since.month == 10


def test_rolie_feed_with_base_url_rewrite(cisa_server: FeedServer) -> None:
    results, sync = run(
        cisa_server.url + "/ot/cisa-csaf-ot-feed-tlp-white.json",
        base_url_rewrite=((CISA_PUBLIC, cisa_server.url + "/ot/"),),
        signature_policy="skip",
    )
    assert len(results) == 385
    assert {(r.status, r.hash, r.signature) for r in results} == {
        ("accepted", "verified", "skipped")
    }
    melsec = by_path(results)["2022/icsa-22-356-03.json"]
    assert melsec.url == cisa_server.url + "/ot/2022/icsa-22-356-03.json"
    assert melsec.updated is not None and melsec.updated.year == 2024
    assert sync.metadata is not None and sync.metadata.rolie_feeds


def test_discovery_by_well_known_and_security_txt(tmp_path: Path, cisa_ot: Path) -> None:
    copy_provider(cisa_ot, tmp_path / "white", SOME)
    metadata = {
        "canonical_url": "https://csaf.example.invalid/.well-known/csaf/provider-metadata.json",
        "distributions": [{"directory_url": "https://csaf.example.invalid/white/"}],
        "last_updated": "2024-10-24T00:00:00Z",
        "metadata_version": "2.0",
        "publisher": {"category": "coordinator", "name": "Example", "namespace": "https://x"},
        "role": "csaf_trusted_provider",
        "public_openpgp_keys": [{"fingerprint": "ABCD", "url": "https://x/key.asc"}],
    }
    (tmp_path / ".well-known/csaf").mkdir(parents=True)
    (tmp_path / ".well-known/csaf/provider-metadata.json").write_bytes(orjson.dumps(metadata))
    with FeedServer(tmp_path) as server:
        rewrite = (("https://csaf.example.invalid/", server.url + "/"),)
        found = discover_provider(server.url, options=SyncOptions(base_url_rewrite=rewrite))
        assert found.directory_urls == ("https://csaf.example.invalid/white/",)
        assert (found.role, found.public_key_fingerprints) == ("csaf_trusted_provider", ("ABCD",))
        results, _ = run(server.url, base_url_rewrite=rewrite)
        assert sorted(r.path for r in results) == sorted(SOME)

        # no well-known file: the CSAF line of security.txt leads to the metadata
        server.put("/.well-known/csaf/provider-metadata.json", b"", status=404)
        server.put("/meta.json", orjson.dumps(metadata))
        server.put(
            "/.well-known/security.txt",
            b"Contact: mailto:psirt@example.invalid\nCSAF: https://csaf.example.invalid/meta.json\n",
        )
        found = discover_provider(server.url, options=SyncOptions(base_url_rewrite=rewrite))
        assert found.url == server.url + "/meta.json"

        server.put("/.well-known/security.txt", b"", status=404)
        with pytest.raises(CsafProviderError, match="no CSAF provider found; tried"):
            discover_provider(server.url)


# --- refusing documents ---------------------------------------------------------------------------


def test_tampered_document_is_rejected_with_the_reason(tmp_path: Path, cisa_ot: Path) -> None:
    copy_provider(cisa_ot, tmp_path, SOME)
    target = tmp_path / SOME[1]
    data = bytearray(target.read_bytes())
    data[100] ^= 0x01
    target.write_bytes(bytes(data))
    with FeedServer(tmp_path, mount="/p/") as server:
        results, sync = run(server.url + "/p/")
    outcome = by_path(results)
    assert [outcome[p].status for p in SOME] == ["accepted", "rejected", "accepted"]
    rejected = outcome[SOME[1]]
    assert rejected.data is None and rejected.hash == "mismatch"
    assert rejected.reason.startswith("SHA512 mismatch: ")
    assert SOME[1] + ".sha512" in rejected.reason
    assert len(sync.cursor.done) >= 1  # refused counts as handled: not fetched again


def test_missing_hash_is_reported_and_can_be_required(tmp_path: Path, cisa_ot: Path) -> None:
    copy_provider(cisa_ot, tmp_path, SOME[:1])
    (tmp_path / (SOME[0] + ".sha512")).unlink()
    (tmp_path / (SOME[0] + ".sha256")).write_text(
        hashlib.sha256((tmp_path / SOME[0]).read_bytes()).hexdigest() + "  x.json\n"
    )
    with FeedServer(tmp_path, mount="/p/") as server:
        (result,), _ = run(server.url + "/p/")
        assert (result.status, result.hash, result.hash_algorithm) == (
            "accepted",
            "verified",
            "sha256",
        )
        (tmp_path / (SOME[0] + ".sha256")).unlink()
        (result,), _ = run(server.url + "/p/")
        assert (result.status, result.hash) == ("accepted", "missing")
        (result,), _ = run(server.url + "/p/", require_hash=True)
        assert result.status == "rejected" and "no hash file" in result.reason


# --- OpenPGP --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    home: Path
    public_key: Path

    def gpg(self, *args: str) -> None:
        subprocess.run(
            ["gpg", "--homedir", str(self.home), "--batch", "--yes", *args],
            check=True,
            capture_output=True,
            timeout=30,
            env={**os.environ, "GNUPGHOME": str(self.home)},
        )

    def sign(self, path: Path) -> None:
        self.gpg(
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--armor",
            "--detach-sign",
            "--output",
            str(path) + ".asc",
            str(path),
        )


def make_signer(root: Path, name: str) -> Iterator[Signer]:
    if shutil.which("gpg") is None or shutil.which("gpgv") is None:
        pytest.skip("gpg and gpgv are needed for the OpenPGP tests")
    home = root / name
    home.mkdir(mode=0o700)
    signer = Signer(home, root / f"{name}.pub.asc")
    signer.gpg("--passphrase", "", "--quick-gen-key", f"{name} <t@example.invalid>", "ed25519")
    signer.gpg("--armor", "--output", str(signer.public_key), "--export")
    try:
        yield signer
    finally:
        subprocess.run(
            ["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, timeout=10
        )


@pytest.fixture(scope="module")
def trusted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Signer]:
    yield from make_signer(tmp_path_factory.mktemp("gpg"), "trusted")


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Signer]:
    yield from make_signer(tmp_path_factory.mktemp("gpg"), "stranger")


def rehash(path: Path) -> None:
    digest = hashlib.sha512(path.read_bytes()).hexdigest()
    Path(str(path) + ".sha512").write_text(f"{digest}  {path.name}\n")


def test_signatures_good_untrusted_and_tampered(
    tmp_path: Path, cisa_ot: Path, trusted: Signer, stranger: Signer
) -> None:
    root = copy_provider(cisa_ot, tmp_path / "p", SOME)
    good, untrusted, tampered = (root / p for p in SOME)
    trusted.sign(good)
    stranger.sign(untrusted)
    trusted.sign(tampered)
    altered = tampered.read_bytes().replace(b'"final"', b'"draft"', 1)
    assert altered != tampered.read_bytes()
    tampered.write_bytes(altered)
    rehash(tampered)  # the hash matches: only the signature can tell
    keys = (trusted.public_key,)
    with FeedServer(root, mount="/p/") as server:
        required = by_path(
            run(server.url + "/p/", signature_policy="require", trusted_keys=keys)[0]
        )
        lenient = by_path(run(server.url + "/p/", trusted_keys=keys)[0])
    assert (required[SOME[0]].status, required[SOME[0]].signature) == ("accepted", "verified")
    assert required[SOME[0]].signer is not None and len(required[SOME[0]].signer or "") == 40
    assert (required[SOME[1]].status, required[SOME[1]].signature) == ("rejected", "unverified")
    assert "not in the trust list" in required[SOME[1]].reason
    assert (required[SOME[2]].status, required[SOME[2]].signature) == ("rejected", "bad")
    assert "BAD signature" in required[SOME[2]].reason
    # verify-if-present: an unknown signer is only reported, a bad signature still refuses
    assert [lenient[p].status for p in SOME] == ["accepted", "accepted", "rejected"]
    assert lenient[SOME[1]].signature == "unverified"


def test_real_cisa_signatures_cannot_be_verified_without_cisas_key(
    tmp_path: Path, cisa_ot: Path, trusted: Signer
) -> None:
    root = copy_provider(cisa_ot, tmp_path, SOME[:1])
    keys = (trusted.public_key,)
    with FeedServer(root, mount="/p/") as server:
        (lenient,), _ = run(server.url + "/p/", trusted_keys=keys)
        (required,), _ = run(server.url + "/p/", trusted_keys=keys, signature_policy="require")
        (root / (SOME[0] + ".asc")).unlink()
        (missing,), _ = run(server.url + "/p/", signature_policy="require")
    assert (lenient.status, lenient.signature) == ("accepted", "unverified")
    assert lenient.signer  # gpgv names CISA's key id
    assert (required.status, required.signature) == ("rejected", "unverified")
    assert (missing.status, missing.signature) == ("rejected", "missing")


# --- HTTP behaviour -------------------------------------------------------------------------------


def test_retry_after_then_success(tmp_path: Path, cisa_ot: Path) -> None:
    root = copy_provider(cisa_ot, tmp_path, SOME[:1])
    with FeedServer(root, mount="/p/") as server:
        server.script("/p/" + SOME[0], Reply(429, headers={"Retry-After": "1"}))
        began = time.monotonic()
        (result,), _ = run(server.url + "/p/", signature_policy="skip")
        assert time.monotonic() - began >= 1.0
        assert result.status == "accepted"
        assert server.count(SOME[0]) == 2

        server.script("/p/" + SOME[0], Reply(503, headers={"Retry-After": "3600"}))
        (result,), _ = run(server.url + "/p/", signature_policy="skip", max_retry_after=5)
        assert result.status == "failed" and "3600 s" in result.reason


def test_a_truncated_body_is_retried_within_the_run(tmp_path: Path, cisa_ot: Path) -> None:
    root = copy_provider(cisa_ot, tmp_path, SOME[:1])
    options = SyncOptions(signature_policy="skip")
    with FeedServer(root, mount="/p/") as server:
        server.script("/p/" + SOME[0], Reply(200, b'{"document": {', declared_length=5000))
        with CsafProviderSync(
            server.url + "/p/", options=options, client=fake_time_client(options)
        ) as sync:
            (result,) = list(sync)
        assert result.status == "accepted"
        assert server.count(SOME[0]) == 2


def test_truncated_body_names_the_url_and_is_retried_next_run(
    tmp_path: Path, cisa_ot: Path
) -> None:
    root = copy_provider(cisa_ot, tmp_path, SOME[:2])
    with FeedServer(root, mount="/p/") as server:
        server.script("/p/" + SOME[0], Reply(200, b'{"document": {', declared_length=5000))
        # no retries within the run: the document fails, and the next run fetches it again
        results, sync = run(server.url + "/p/", signature_policy="skip", max_retries=0)
        failed = by_path(results)[SOME[0]]
        assert failed.status == "failed" and failed.data is None
        assert failed.reason.startswith(f"{server.url}/p/{SOME[0]}: body truncated")
        again, _ = run(server.url + "/p/", signature_policy="skip", cursor=sync.cursor)
        assert [(r.path, r.status) for r in again] == [(SOME[0], "accepted")]


def test_timeout_names_the_url(tmp_path: Path, cisa_ot: Path) -> None:
    root = copy_provider(cisa_ot, tmp_path, SOME[:1])
    with FeedServer(root, mount="/p/") as server:
        server.script("/p/" + SOME[0], Reply(200, b"{}", delay=1.0))
        (result,), _ = run(server.url + "/p/", signature_policy="skip", timeout=0.3, max_retries=0)
    assert result.status == "failed"
    assert result.reason.startswith(f"{server.url}/p/{SOME[0]}: timed out after 0.3 s")


def test_redirect_to_another_host_is_not_followed_silently(tmp_path: Path, cisa_ot: Path) -> None:
    root = copy_provider(cisa_ot, tmp_path, SOME[:1])
    with FeedServer(root, mount="/p/") as server:
        elsewhere = server.url.replace("127.0.0.1", "localhost") + "/p/" + SOME[0]
        server.script("/p/" + SOME[0], Reply(302, headers={"Location": elsewhere}))
        (refused,), _ = run(server.url + "/p/", signature_policy="skip")
        server.script("/p/" + SOME[0], Reply(302, headers={"Location": elsewhere}))
        (followed,), _ = run(
            server.url + "/p/", signature_policy="skip", follow_cross_host_redirects=True
        )
        server.script("/p/" + SOME[0], Reply(302, headers={"Location": "/p/" + SOME[0]}))
        (same_host,), _ = run(server.url + "/p/", signature_policy="skip")
    assert refused.status == "failed"
    assert refused.reason == (
        f"{server.url}/p/{SOME[0]}: HTTP 302 redirects from {server.url} to "
        f"{server.url.replace('127.0.0.1', 'localhost')}, another origin: not followed (this "
        "client follows same-origin redirects only)"
    )
    assert followed.status == "accepted"
    assert followed.notes == (f"redirected from {server.url}/p/{SOME[0]} to {elsewhere}",)
    assert (same_host.status, same_host.notes) == ("accepted", ())


def test_metadata_redirected_to_another_port_is_refused_and_the_discovery_says_why(
    tmp_path: Path,
) -> None:
    metadata = {
        "canonical_url": "https://csaf.example.invalid/.well-known/csaf/provider-metadata.json",
        "distributions": [{"directory_url": "https://csaf.example.invalid/white/"}],
        "metadata_version": "2.0",
        "role": "csaf_provider",
    }
    (tmp_path / "meta.json").write_bytes(orjson.dumps(metadata))
    well_known = "/.well-known/csaf/provider-metadata.json"
    with FeedServer(tmp_path) as mirror, FeedServer() as provider:
        provider.put(well_known, b"", status=301, Location=f"{mirror.url}/meta.json")
        with pytest.raises(CsafProviderError) as refused:
            discover_provider(provider.url)
        assert (
            f"tried {provider.url}{well_known} (HTTP 301 redirects from {provider.url} to "
            f"{mirror.url}, another origin: not followed"
        ) in str(refused.value)
        assert mirror.requests == []
        allowed = SyncOptions(follow_cross_host_redirects=True)
        assert discover_provider(provider.url, options=allowed).url == f"{mirror.url}/meta.json"
        # within the provider's origin a redirect is followed without a word
        provider.put(well_known, b"", status=302, Location="/meta.json")
        provider.put("/meta.json", orjson.dumps(metadata))
        assert discover_provider(provider.url).url == f"{provider.url}/meta.json"


def test_oversized_document_and_bad_content(tmp_path: Path, cisa_ot: Path) -> None:
    root = copy_provider(cisa_ot, tmp_path, SOME[:2])
    (root / SOME[1]).write_bytes(b"[1, 2]")
    rehash(root / SOME[1])
    with FeedServer(root, mount="/p/") as server:
        results = by_path(run(server.url + "/p/", signature_policy="skip")[0])
        small = by_path(run(server.url + "/p/", signature_policy="skip", max_document_size=100)[0])
    assert results[SOME[1]].status == "rejected"
    assert results[SOME[1]].reason.startswith("not a CSAF document")
    assert small[SOME[0]].status == "failed"
    assert "over the 100-byte limit" in small[SOME[0]].reason


def test_interrupted_run_resumes_where_it_stopped(tmp_path: Path, cisa_ot: Path) -> None:
    root = copy_provider(cisa_ot, tmp_path, SOME)
    with FeedServer(root, mount="/p/") as server:
        sync = CsafProviderSync(server.url + "/p/", options=SyncOptions(signature_policy="skip"))
        seen = []
        for result in sync:
            seen.append(result.path)
            if len(seen) == 2:
                break  # e.g. the process was stopped while storing the second document
        cursor = sync.cursor
        sync.close()
        # the first is done; the second was handed out but never confirmed: fetched again
        assert len(cursor.done) == 1
        rest, _ = run(server.url + "/p/", signature_policy="skip", cursor=cursor)
        assert sorted(r.path for r in rest) == sorted(set(SOME) - {seen[0]})
        summary = sync_csaf_provider(
            server.url + "/p/", lambda r: None, options=SyncOptions(signature_policy="skip")
        )
        assert (summary.accepted, summary.rejected, summary.failed) == (3, 0, 0)

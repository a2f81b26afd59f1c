"""Round trip: the site, served by Django's live server on loopback, read by our own CSAF
provider sync (vulndesk.core.feeds.csaf_provider) from its provider-metadata.json. It finds the
TLP:WHITE documents through the directory and through the ROLIE feed, verifies their hashes
(and, with a throwaway gpg key, their signatures) and never sees the TLP:AMBER one."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from server.provider.provider_world import World, advisory, build
from vulndesk.core.feeds.csaf_provider import (
    DocumentResult,
    SyncOptions,
    discover_provider,
    sync_csaf_provider,
)
from vulndesk.server.provider.models import PublishedDocument
from vulndesk.server.provider.services import csaf_publish

PUBLIC = {"EX-2024-001", "EX-2025-001"}


def publish_all(world: World) -> None:
    for tracking_id, tlp, year in [
        ("EX-2024-001", "WHITE", 2024),
        ("EX-2025-001", "WHITE", 2025),
        ("EX-2025-002", "AMBER", 2025),
    ]:
        csaf_publish(
            document=advisory(tracking_id, tlp=tlp, year=year),
            organisation=world.organisation,
            acting_user=world.alice,
        )


def sync(start: str, **options: Any) -> list[DocumentResult]:
    results: list[DocumentResult] = []
    summary = sync_csaf_provider(start, results.append, options=SyncOptions(**options))
    assert summary.rejected == 0 and summary.failed == 0, [r.reason for r in results]
    return results


@pytest.fixture
def site(transactional_db: None, live_server: Any) -> str:
    url = str(live_server.url)
    publish_all(build(base_url=url))
    return url


@pytest.mark.parametrize("distribution", ["directory", "rolie"])
def test_the_sync_reads_the_public_documents_and_not_the_amber_one(
    site: str, distribution: str
) -> None:
    metadata_url = f"{site}/.well-known/csaf/provider-metadata.json"
    results = sync(metadata_url, distribution=distribution, require_hash=True)
    assert {r.document_id for r in results} == PUBLIC
    for result in results:
        assert result.status == "accepted"
        assert (result.hash, result.hash_algorithm) == ("verified", "sha512")
        assert result.signature == "missing"
        assert not result.notes  # file names as CSAF 5.1 says
        stored = PublishedDocument.objects.get(tracking_id=result.document_id)
        assert result.data == bytes(stored.content)
    assert {r.path for r in results} == {"2024/ex-2024-001.json", "2025/ex-2025-001.json"}


def test_discovery_from_the_bare_origin_and_security_txt(site: str) -> None:
    metadata = discover_provider(site)
    assert metadata.publisher == "Example PSIRT"
    assert metadata.role == "csaf_provider"
    assert metadata.directory_urls == (f"{site}/.well-known/csaf/white/",)
    assert metadata.rolie_feeds == (f"{site}/.well-known/csaf/white/csaf-feed-tlp-white.json",)
    # security.txt's CSAF line leads to the same metadata
    text = httpx.get(f"{site}/.well-known/security.txt").text
    assert f"CSAF: {site}/.well-known/csaf/provider-metadata.json" in text.splitlines()
    amber = httpx.get(f"{site}/.well-known/csaf/amber/2025/ex-2025-002.json")
    assert amber.status_code == 404 and b"EX-2025-002" not in amber.content


@pytest.fixture
def signer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from core.feeds.test_csaf_provider import make_signer

    keys = make_signer(tmp_path, "psirt")  # skips when gpg or gpgv is not installed
    signer = next(keys)
    monkeypatch.setenv("GNUPGHOME", str(signer.home))  # gpg signs from the user's keyring
    try:
        yield signer
    finally:
        keys.close()


def test_signed_documents_verify_against_the_published_key(
    transactional_db: None, live_server: Any, signer: Any, tmp_path: Path
) -> None:
    site = str(live_server.url)
    world = build(base_url=site, signing_key="psirt")
    assert len(world.settings.signing_fingerprint) == 40
    publish_all(world)
    assert all(
        d.signature.startswith("-----BEGIN PGP SIGNATURE") for d in PublishedDocument.objects.all()
    )
    metadata = httpx.get(f"{site}/.well-known/csaf/provider-metadata.json").json()
    assert metadata["role"] == "csaf_trusted_provider"
    (key,) = metadata["public_openpgp_keys"]
    assert key["fingerprint"] == world.settings.signing_fingerprint
    published_key = httpx.get(key["url"])
    assert published_key.status_code == 200
    assert published_key.text.startswith("-----BEGIN PGP PUBLIC KEY BLOCK")
    # the client trusts the key it was given out of band: here, the file the signer exported
    key_file = tmp_path / "published.asc"
    key_file.write_bytes(published_key.content)
    for trusted in (signer.public_key, key_file):
        results = sync(
            f"{site}/.well-known/csaf/provider-metadata.json",
            signature_policy="require",
            trusted_keys=(trusted,),
        )
        assert {r.document_id for r in results} == PUBLIC
        assert {(r.signature, r.signer) for r in results} == {
            ("verified", world.settings.signing_fingerprint)
        }
    # a tampered signature is refused
    document = PublishedDocument.objects.get(tracking_id="EX-2025-001")
    altered = orjson.loads(bytes(document.content))
    altered["document"]["title"] = "Altered"
    content = orjson.dumps(altered, option=orjson.OPT_INDENT_2) + b"\n"
    document.content = content
    document.sha256 = hashlib.sha256(content).hexdigest()
    document.sha512 = hashlib.sha512(content).hexdigest()
    document.save()
    results: list[DocumentResult] = []
    sync_csaf_provider(
        f"{site}/.well-known/csaf/provider-metadata.json",
        results.append,
        options=SyncOptions(signature_policy="require", trusted_keys=(signer.public_key,)),
    )
    refused = {r.document_id or r.path: r for r in results if r.status == "rejected"}
    assert list(refused) == ["2025/ex-2025-001.json"]
    assert refused["2025/ex-2025-001.json"].signature == "bad"

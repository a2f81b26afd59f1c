"""The public URLs: /.well-known/csaf/ (metadata, directories, feeds), security.txt, the policy
and the advisory pages. TLP:CLEAR/WHITE for anyone; other labels for members of the
organisation only, a 404 for everyone else and never a trace in a public listing."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from server.provider.provider_world import World, advisory, build
from vulndesk.server.provider.models import ProviderSettings, PublishedDocument
from vulndesk.server.provider.services import (
    csaf_publish,
    csaf_withdraw,
    provider_settings_update,
)

pytestmark = pytest.mark.django_db

CSAF = "/.well-known/csaf"


@pytest.fixture
def world() -> World:
    world = build(base_url="https://psirt.example.com")
    for tracking_id, tlp, year in [
        ("EX-2024-001", "WHITE", 2024),
        ("EX-2025-001", "WHITE", 2025),
        ("EX-2025-002", "AMBER", 2025),
        ("EX-2025-003", "RED", 2025),
        ("EX-2025-004", "GREEN", 2025),
    ]:
        csaf_publish(
            document=advisory(tracking_id, tlp=tlp, year=year),
            organisation=world.organisation,
            acting_user=world.alice,
        )
    return world


def client_of(user: Any | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_provider_metadata_lists_only_what_the_requester_may_read(world: World) -> None:
    response = Client().get(f"{CSAF}/provider-metadata.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    metadata = response.json()
    base = "https://psirt.example.com/.well-known/csaf"
    assert metadata["canonical_url"] == f"{base}/provider-metadata.json"
    assert metadata["metadata_version"] == "2.0"
    assert metadata["role"] == "csaf_provider"  # no signing key
    assert metadata["list_on_CSAF_aggregators"] is True
    assert metadata["mirror_on_CSAF_aggregators"] is True
    assert metadata["publisher"] == {
        "category": "vendor",
        "name": "Example PSIRT",
        "namespace": "https://psirt.example.com",
    }
    assert "public_openpgp_keys" not in metadata
    assert metadata["distributions"] == [
        {"directory_url": f"{base}/white/"},
        {
            "rolie": {
                "feeds": [
                    {
                        "summary": "Example PSIRT: TLP:WHITE CSAF documents",
                        "tlp_label": "WHITE",
                        "url": f"{base}/white/csaf-feed-tlp-white.json",
                    }
                ]
            }
        },
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", metadata["last_updated"])
    member = client_of(world.bob).get(f"{CSAF}/provider-metadata.json").json()
    assert [d["directory_url"].rsplit("/", 2)[1] for d in member["distributions"][::2]] == [
        "white", "green", "amber", "red",
    ]  # fmt: skip
    assert "no-store" in client_of(world.bob).get(f"{CSAF}/provider-metadata.json")["Cache-Control"]


def test_the_white_directory_serves_documents_hashes_index_and_changes(world: World) -> None:
    client = Client()
    index = client.get(f"{CSAF}/white/index.txt")
    assert index.status_code == 200 and index["Content-Type"] == "text/plain; charset=utf-8"
    assert index.content.decode().splitlines() == ["2025/ex-2025-001.json", "2024/ex-2024-001.json"]
    changes = client.get(f"{CSAF}/white/changes.csv").content.decode()
    assert changes.splitlines() == [
        '"2025/ex-2025-001.json","2025-03-01T09:00:00Z"',
        '"2024/ex-2024-001.json","2024-03-01T09:00:00Z"',
    ]
    assert [row[0] for row in csv.reader(io.StringIO(changes))] == [
        "2025/ex-2025-001.json",
        "2024/ex-2024-001.json",
    ]
    stored = PublishedDocument.objects.get(tracking_id="EX-2025-001")
    document = client.get(f"{CSAF}/white/2025/ex-2025-001.json")
    assert document.status_code == 200 and document["Content-Type"] == "application/json"
    assert document.content == bytes(stored.content)
    sha256 = client.get(f"{CSAF}/white/2025/ex-2025-001.json.sha256").content.decode()
    assert sha256 == f"{stored.sha256}  ex-2025-001.json\n"
    sha512 = client.get(f"{CSAF}/white/2025/ex-2025-001.json.sha512").content.decode()
    assert sha512.split()[0] == stored.sha512
    # unsigned: no .asc; the wrong year or folder is no document
    assert client.get(f"{CSAF}/white/2025/ex-2025-001.json.asc").status_code == 404
    assert client.get(f"{CSAF}/white/2024/ex-2025-001.json").status_code == 404
    assert client.get(f"{CSAF}/green/2025/ex-2025-001.json").status_code == 404


def test_the_rolie_feed(world: World) -> None:
    feed = Client().get(f"{CSAF}/white/csaf-feed-tlp-white.json").json()["feed"]
    assert feed["id"] == "example-csaf-feed-tlp-white"
    assert [e["id"] for e in feed["entry"]] == ["EX-2025-001", "EX-2024-001"]
    entry = feed["entry"][0]
    url = "https://psirt.example.com/.well-known/csaf/white/2025/ex-2025-001.json"
    assert entry["content"] == {"type": "application/json", "src": url}
    assert {"rel": "self", "href": url} in entry["link"]
    assert {"rel": "hash", "href": url + ".sha512"} in entry["link"]
    assert entry["format"]["version"] == "2.0"
    assert Client().get(f"{CSAF}/white/csaf-feed-tlp-amber.json").status_code == 404


RESTRICTED = [
    f"{CSAF}/amber/2025/ex-2025-002.json",
    f"{CSAF}/amber/2025/ex-2025-002.json.sha256",
    f"{CSAF}/amber/2025/ex-2025-002.json.sha512",
    f"{CSAF}/amber/index.txt",
    f"{CSAF}/amber/changes.csv",
    f"{CSAF}/amber/csaf-feed-tlp-amber.json",
    f"{CSAF}/red/2025/ex-2025-003.json",
    f"{CSAF}/red/index.txt",
    f"{CSAF}/green/2025/ex-2025-004.json",
    "/security/advisories/EX-2025-002/",
    "/security/advisories/EX-2025-003/",
]


@pytest.mark.parametrize("who", ["anonymous", "mallory"])
def test_restricted_labels_are_404_to_outsiders(world: World, who: str) -> None:
    client = client_of(None if who == "anonymous" else world.mallory)
    for url in RESTRICTED:
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"EX-2025-00" not in response.content, url
    public = b"".join(
        client.get(url).content
        for url in (
            f"{CSAF}/provider-metadata.json",
            f"{CSAF}/white/index.txt",
            f"{CSAF}/white/changes.csv",
            f"{CSAF}/white/csaf-feed-tlp-white.json",
            "/security/advisories/",
        )
    )
    for restricted in (b"ex-2025-002", b"EX-2025-002", b"ex-2025-003", b"ex-2025-004", b"amber"):
        assert restricted not in public


def test_members_read_restricted_labels(world: World) -> None:
    client = client_of(world.bob)
    for url in RESTRICTED:
        assert client.get(url).status_code == 200, url
    assert client.get(f"{CSAF}/amber/index.txt").content == b"2025/ex-2025-002.json\n"
    white = client.get(f"{CSAF}/white/index.txt").content
    assert b"ex-2025-002" not in white  # each label only in its own directory
    document = client.get(f"{CSAF}/amber/2025/ex-2025-002.json")
    assert document["Cache-Control"] == "private, no-store"
    page = client.get("/security/advisories/EX-2025-002/").content.decode()
    assert "TLP:AMBER" in page


def test_withdrawn_documents_vanish(world: World) -> None:
    document = PublishedDocument.objects.get(tracking_id="EX-2025-001")
    csaf_withdraw(document=document, reason="mistake", acting_user=world.alice)
    client = Client()
    assert client.get(f"{CSAF}/white/2025/ex-2025-001.json").status_code == 404
    assert b"ex-2025-001" not in client.get(f"{CSAF}/white/index.txt").content
    assert client.get("/security/advisories/EX-2025-001/").status_code == 404


def test_security_txt(world: World) -> None:
    response = Client().get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    base = "https://psirt.example.com"
    assert [line for line in lines if line.startswith("Contact:")] == [
        "Contact: mailto:psirt@example.com",
        "Contact: https://example.com/report",
    ]
    expires = [line for line in lines if line.startswith("Expires:")]
    assert len(expires) == 1
    when = timezone.datetime.fromisoformat(expires[0].removeprefix("Expires: "))
    assert timedelta(days=179) < when - timezone.now() <= timedelta(days=180)
    assert f"CSAF: {base}/.well-known/csaf/provider-metadata.json" in lines
    assert f"Canonical: {base}/.well-known/security.txt" in lines
    assert f"Policy: {base}/security/policy/" in lines
    assert "Encryption: https://example.com/pgp-key.txt" in lines
    assert "Acknowledgments: https://example.com/thanks" in lines
    assert "Preferred-Languages: ja, en" in lines
    assert [line.split(":", 1)[0] for line in lines].count("CSAF") == 1
    # a set expiry is used as it is
    fixed = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    provider_settings_update(
        organisation=world.organisation, changes={"expires": fixed}, acting_user=world.root
    )
    text = Client().get("/.well-known/security.txt").content.decode()
    assert f"Expires: {fixed.strftime('%Y-%m-%dT%H:%M:%SZ')}" in text.splitlines()


def test_the_policy_page_in_japanese_and_english(world: World) -> None:
    client = Client()
    english = client.get("/security/policy/?lang=en").content.decode()
    assert '<html lang="en">' in english
    assert "Safe harbour" in english and "within 90 days" in english.replace("\n", " ")
    japanese = client.get("/security/policy/?lang=ja").content.decode()
    assert '<html lang="ja">' in japanese
    assert "セーフハーバー" in japanese and "90 日以内" in japanese
    # without ?lang=, the reader's language (here the browser's)
    browser = client.get("/security/policy/", headers={"Accept-Language": "ja"})
    assert "セーフハーバー" in browser.content.decode()
    assert "Safe harbour" in client.get("/security/policy/").content.decode()


def test_the_advisory_page(world: World) -> None:
    page = Client().get("/security/advisories/EX-2025-001/?lang=en")
    assert page.status_code == 200
    html = page.content.decode()
    for expected in (
        "EX-2025-001",
        "Example Router: command injection in the web interface",
        "CVE-2025-0001",
        "Affected products",
        "Example Router 1.0",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "9.8",
        "Update to 1.1.",
        "Remote code execution as root.",
        "Revision history",
        "/.well-known/csaf/white/2025/ex-2025-001.json",
    ):
        assert expected in html, expected
    listing = Client().get("/security/advisories/").content.decode()
    assert "EX-2025-001" in listing and "EX-2024-001" in listing
    assert (
        '<html lang="ja">'
        in Client().get("/security/advisories/EX-2025-001/?lang=ja").content.decode()
    )


def test_nothing_is_served_without_a_site_provider(world: World) -> None:
    ProviderSettings.objects.update(site_provider=False)
    for url in (
        f"{CSAF}/provider-metadata.json",
        f"{CSAF}/white/index.txt",
        f"{CSAF}/white/2025/ex-2025-001.json",
        "/.well-known/security.txt",
        "/security/policy/",
    ):
        assert Client().get(url).status_code == 404, url


def test_head_requests_and_links_only_to_web_urls(world: World) -> None:
    head = Client().head(f"{CSAF}/white/2025/ex-2025-001.json")
    assert head.status_code == 200 and head.content == b""
    document = advisory("EX-2025-009", year=2025)
    document["document"]["references"].append(
        {"category": "external", "summary": "click me", "url": "javascript:alert(1)"}
    )
    csaf_publish(document=document, organisation=world.organisation, acting_user=world.alice)
    html = Client().get("/security/advisories/EX-2025-009/").content.decode()
    assert "javascript:" not in html

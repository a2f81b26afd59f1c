"""Scanning an uploaded SBOM: the findings, the components not evaluated, clear errors for bad
files, the size limit, CSRF, and that nothing is stored."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.test import Client
from django.test.utils import override_settings

from support import ROOT
from vulndesk.core.matching.report import report_to_json
from vulndesk.core.sbom.reader import read_sbom_file
from vulndesk.server.advisories.models import Advisory, FeedImport
from vulndesk.server.advisories.selectors import django_raw_database
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.findings.scanning import scan_sbom

pytestmark = pytest.mark.django_db

SBOMS = ROOT / "src/vulndesk/demo/data/sboms"
SHOP_WEB = SBOMS / "shop-web.cdx.json"
API_GATEWAY = SBOMS / "api-gateway.spdx.json"


def upload(name: str, data: bytes) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def text(content: bytes) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", content.decode())))


def test_the_demo_sbom_gives_the_demo_findings(user_client: Client, demo_advisories: None) -> None:
    with SHOP_WEB.open("rb") as file:
        response = user_client.post("/scan/", {"sbom": file})
    assert response.status_code == 200
    report = response.context["report"]
    found = [
        (f["vulnerability"]["id"], f["component"]["name"], f["vulnerability"]["severity"]["rating"])
        for f in report["findings"]
    ]
    assert found == [
        ("CVE-2020-14343", "pyyaml", "CRITICAL"),
        ("CVE-2024-22195", "jinja2", "MEDIUM"),
        ("CVE-2023-32681", "requests", "MEDIUM"),
        ("CVE-2023-43804", "urllib3", "MEDIUM"),
    ]
    # the page is the same report as `vulndesk scan --format json`
    expected = scan_sbom(sbom=read_sbom_file(SHOP_WEB), db=django_raw_database())
    assert report == report_to_json(expected)

    page = text(response.content)
    assert "Results for shop-web.cdx.json" in page
    assert "12 Components 11 Evaluated 1 Not evaluated 4 Findings 4 Vulnerabilities" in page
    assert re.search(
        r"Medium 6\.1 CVE-2023-32681 GHSA-j8r2-6x86-q33q, PYSEC-2023-74 requests 2\.28\.1 "
        r"pkg:pypi/requests@2\.28\.1 >=2\.3\.0, <2\.31\.0 2\.31\.0",
        page,
    )
    assert "Critical 9.8 CVE-2020-14343" in page
    assert "1.26.17, 2.0.6" in page  # urllib3's fixed versions
    # the component without a purl is listed with its reason, not guessed at
    (skipped,) = report["not_evaluated"]
    assert skipped["component"]["name"] == "billing-core"
    assert f"Component Reason billing-core 4.2.0 {skipped['reason']}" in page
    # the vulnerability links to the advisories that name it
    assert 'href="/advisories/?q=CVE-2023-32681"' in response.content.decode()


def test_an_spdx_sbom_scans_too(user_client: Client, demo_advisories: None) -> None:
    with API_GATEWAY.open("rb") as file:
        response = user_client.post("/scan/", {"sbom": file})
    assert response.status_code == 200
    names = sorted(f["component"]["name"] for f in response.context["report"]["findings"])
    assert names == ["github.com/gin-gonic/gin", "golang.org/x/net"]
    assert "SPDX 2.3 (json)" in text(response.content)


def test_a_clean_sbom_says_so(user_client: Client) -> None:
    with SHOP_WEB.open("rb") as file:
        response = user_client.post("/scan/", {"sbom": file})  # no advisories stored
    assert response.status_code == 200
    assert "No known vulnerability affects the evaluated components." in text(response.content)


def test_a_malformed_file_shows_where_and_why(user_client: Client) -> None:
    data = b'{\n  "bomFormat": "CycloneDX",\n  "components": [\n'
    response = user_client.post("/scan/", {"sbom": upload("broken.cdx.json", data)})
    assert response.status_code == 400
    page = text(response.content)
    assert "This file could not be read as an SBOM." in page
    assert "File broken.cdx.json" in page
    assert "Where line 4 column 1" in page
    assert "Problem malformed JSON" in page
    assert "report" not in response.context or response.context["report"] is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "The submitted file is empty."),
        (b"   \n", "the input is empty"),
        (b'{"id": "GHSA-x", "modified": "2024-01-01T00:00:00Z", "affected": []}', "OSV"),
        (b"PK\x03\x04zipped", "ZIP archive"),
    ],
    ids=["empty", "blank", "an-osv-record", "a-zip"],
)
def test_a_file_that_is_no_sbom_is_refused_with_the_reason(
    user_client: Client, data: bytes, expected: str
) -> None:
    response = user_client.post("/scan/", {"sbom": upload("input.json", data)})
    assert response.status_code == 400
    assert expected in text(response.content)


def test_no_file_is_refused(user_client: Client) -> None:
    response = user_client.post("/scan/", {})
    assert response.status_code == 400
    assert "This field is required." in text(response.content)


@override_settings(SBOM_UPLOAD_MAX_BYTES=1000)
def test_a_file_over_the_limit_is_stopped(user_client: Client) -> None:
    response = user_client.post("/scan/", {"sbom": upload("big.json", b" " * 5000 + b"{}")})
    assert response.status_code == 413
    assert "The file is larger than 1000\xa0bytes." in html.unescape(response.content.decode())


def test_upload_without_csrf_token_is_refused(demo_advisories: None, analyst: object) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)  # type: ignore[arg-type]
    with SHOP_WEB.open("rb") as file:
        refused = client.post("/scan/", {"sbom": file})
    assert refused.status_code == 403
    # the same upload with the form's token goes through
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get("/scan/").content.decode()
    )
    assert token is not None
    with SHOP_WEB.open("rb") as file:
        accepted = client.post("/scan/", {"csrfmiddlewaretoken": token.group(1), "sbom": file})
    assert accepted.status_code == 200
    assert len(accepted.context["report"]["findings"]) == 4


@override_settings(SBOM_UPLOAD_MAX_BYTES=1000)
def test_the_size_limit_keeps_the_csrf_check(analyst: object) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)  # type: ignore[arg-type]
    big = upload("big.json", b" " * 5000)
    assert client.post("/scan/", {"sbom": big}).status_code == 403
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get("/scan/").content.decode()
    )
    assert token is not None
    big.seek(0)
    response = client.post("/scan/", {"csrfmiddlewaretoken": token.group(1), "sbom": big})
    assert response.status_code == 413


@pytest.mark.parametrize("url", ["/login/", "/logout/", "/i18n/setlang/"])
def test_other_posts_without_csrf_token_are_refused(analyst: object, url: str) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)  # type: ignore[arg-type]
    assert client.post(url, {"language": "ja", "username": "analyst"}).status_code == 403


def test_a_scan_stores_nothing(user_client: Client, demo_advisories: None) -> None:
    before = (Advisory.objects.count(), FeedImport.objects.count(), AuditEvent.objects.count())
    with SHOP_WEB.open("rb") as file:
        assert user_client.post("/scan/", {"sbom": file}).status_code == 200
    after = (Advisory.objects.count(), FeedImport.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_the_scan_page_only_takes_get_and_post(user_client: Client) -> None:
    assert user_client.put("/scan/").status_code == 405

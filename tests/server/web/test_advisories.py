"""The dashboard, the advisory list with its htmx live search, and the advisory page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client

from vulndesk.server.advisories.services import feeds_import
from vulndesk.server.web.views.advisories import ADVISORIES_PER_PAGE

pytestmark = pytest.mark.django_db


def text(html: bytes) -> str:
    """Return the visible text of a page, whitespace collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", html.decode())
    return re.sub(r"\s+", " ", without_tags)


def listed_ids(html: bytes) -> list[str]:
    return re.findall(r'<td class="id"><a href="/advisories/([^"]+)"', html.decode())


def osv(ident: str, **fields: object) -> dict[str, object]:
    return {"id": ident, "modified": "2024-01-01T00:00:00Z", **fields}


def test_dashboard_counts_and_imports(user_client: Client, demo_advisories: None) -> None:
    page = text(user_client.get("/").content)
    # 8 records; GHSA-j8r2 and PYSEC-2023-74 are one vulnerability, so 7 groups; 1 withdrawn
    assert re.search(
        r"8 Advisories 7 Vulnerabilities \(alias groups\) 1 Withdrawn 2 Ecosystems", page
    )
    assert "PyPI 6" in page and "Go 2" in page
    assert "src/vulndesk/demo/data/osv 8 0 0 0" in page


def test_dashboard_shows_the_records_an_import_skipped(user_client: Client, tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    folder.mkdir()
    (folder / "good.json").write_text(json.dumps(osv("GOOD-1")))
    (folder / "bad.json").write_text('{"id": "BAD-1", "modified": "yesterday"}')
    feeds_import(paths=[folder])
    page = text(user_client.get("/").content)
    assert "1 record was skipped" in page
    assert "bad.json" in page and "yesterday" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("GO-2023", ["GO-2023-1571"]),  # by id
        ("GHSA-j8r2", ["GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"]),  # by id, and by alias
        ("cve-2023-32681", ["GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"]),  # by alias, any case
        ("requests", ["DEMO-2024-0001", "GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"]),  # by package
        ("golang.org/x/net", ["GO-2023-1571"]),
        ("no-such-thing", []),
    ],
)
def test_search_by_id_alias_or_package(
    user_client: Client, demo_advisories: None, query: str, expected: list[str]
) -> None:
    response = user_client.get("/advisories/", {"q": query})
    assert response.status_code == 200
    assert sorted(listed_ids(response.content)) == expected


def test_live_search_returns_only_the_results_fragment(
    user_client: Client, demo_advisories: None
) -> None:
    response = user_client.get("/advisories/", {"q": "pyyaml"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    html = response.content.decode()
    assert "<html" not in html and 'id="id_q"' not in html
    assert listed_ids(response.content) == ["GHSA-8q59-q68h-6hv4"]
    assert "1 advisory" in text(response.content)
    # a history restore after a cache miss needs the whole page
    whole = user_client.get(
        "/advisories/",
        {"q": "pyyaml"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in whole.content.decode()


def test_the_search_form_drives_htmx(user_client: Client, demo_advisories: None) -> None:
    html = user_client.get("/advisories/").content.decode()
    search = re.search(r'<input type="search"[^>]*>', html, re.S)
    assert search is not None
    assert 'hx-get="/advisories/"' in search.group(0)
    assert 'hx-target="#advisory-results"' in search.group(0)
    assert 'id="advisory-results"' in html


def test_ecosystem_filter(user_client: Client, demo_advisories: None) -> None:
    response = user_client.get("/advisories/", {"ecosystem": "Go"})
    assert sorted(listed_ids(response.content)) == ["GHSA-h395-qcrw-5vmq", "GO-2023-1571"]
    both = user_client.get("/advisories/", {"ecosystem": "Go", "q": "net"})
    assert listed_ids(both.content) == ["GO-2023-1571"]
    assert '<option value="Go" selected>Go (2)</option>' in both.content.decode()


def test_an_overlong_search_is_refused(user_client: Client, demo_advisories: None) -> None:
    response = user_client.get("/advisories/", {"q": "x" * 201})
    assert response.status_code == 400
    assert listed_ids(response.content) == []


def test_the_list_is_paginated_and_keeps_the_filters(user_client: Client, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(ADVISORIES_PER_PAGE + 5):
        record = osv(
            f"MANY-{n:03}",
            affected=[{"package": {"ecosystem": "PyPI", "name": "manypkg"}, "versions": ["1.0"]}],
        )
        (folder / f"{n}.json").write_text(json.dumps(record))
    feeds_import(paths=[folder])
    first = user_client.get("/advisories/", {"q": "manypkg"})
    assert len(listed_ids(first.content)) == ADVISORIES_PER_PAGE
    assert "55 advisories · page 1 of 2" in text(first.content)
    assert 'href="/advisories/?q=manypkg&amp;page=2"' in first.content.decode()
    second = user_client.get("/advisories/", {"q": "manypkg", "page": "2"})
    assert len(listed_ids(second.content)) == 5
    assert not set(listed_ids(first.content)) & set(listed_ids(second.content))


def test_advisory_page_shows_everything_a_record_says(
    user_client: Client, demo_advisories: None
) -> None:
    response = user_client.get("/advisories/GHSA-j8r2-6x86-q33q")
    html = response.content.decode()
    page = text(response.content)
    assert "Unintended leak of Proxy-Authorization header in requests" in page
    assert "Requests 2.3.0 to 2.30.0 leak" in page  # details
    assert "Medium 6.1" in page  # rated by vulndesk.core.scoring.cvss
    assert "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N" in page
    assert "&gt;=2.3.0, &lt;2.31.0" in html  # the range, readably
    assert "pkg:pypi/requests" in page
    # aliases: the stored one is a link, the CVE (no record of its own) is not
    assert '<a href="/advisories/PYSEC-2023-74">PYSEC-2023-74</a>' in html
    assert '<a href="/advisories/CVE-2023-32681">' not in html
    # the alias group: the other stored record of CVE-2023-32681
    assert "one vulnerability: <b>CVE-2023-32681</b>" in html
    assert re.search(
        r'class="plain group">\s*<li><a class="id" href="/advisories/PYSEC-2023-74"', html
    )
    assert '<a href="https://nvd.nist.gov/vuln/detail/CVE-2023-32681" rel="noopener' in html
    # the original record, collapsed
    assert '<details class="raw">' in html
    assert "&quot;id&quot;: &quot;GHSA-j8r2-6x86-q33q&quot;" in html


def test_a_withdrawn_advisory_says_so(user_client: Client, demo_advisories: None) -> None:
    page = text(user_client.get("/advisories/DEMO-2024-0001").content)
    assert "This advisory was withdrawn on 2024-06-11 00:00 (UTC)" in page
    assert "never produces a finding" in page
    assert "all versions" in page  # introduced 0 and no fix
    listed = user_client.get("/advisories/", {"q": "DEMO"}).content.decode()
    assert '<tr class="withdrawn">' in listed


def test_a_record_without_severity_says_so(user_client: Client, demo_advisories: None) -> None:
    page = text(user_client.get("/advisories/GO-2023-1571").content)
    assert "The record states no severity." in page
    assert "&lt;0.7.0" in user_client.get("/advisories/GO-2023-1571").content.decode()


def test_links_from_a_record_are_only_http(user_client: Client, tmp_path: Path) -> None:
    path = tmp_path / "evil.json"
    path.write_text(
        json.dumps(
            osv(
                "EVIL-1",
                summary="<script>alert(1)</script>",
                references=[
                    {"type": "WEB", "url": "javascript:alert(1)"},
                    {"type": "WEB", "url": "https://example.org/fix"},
                ],
            )
        )
    )
    feeds_import(paths=[path])
    html = user_client.get("/advisories/EVIL-1").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    assert "<code>javascript:alert(1)</code>" in html
    assert '<a href="https://example.org/fix"' in html


def test_an_id_with_a_slash_and_a_colon_links_and_opens(
    user_client: Client, tmp_path: Path
) -> None:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(osv("RHSA-2024:0001/x", summary="odd id")))
    feeds_import(paths=[path])
    listed = user_client.get("/advisories/", {"q": "RHSA"})
    (ident,) = listed_ids(listed.content)
    response = user_client.get(f"/advisories/{ident}")
    assert response.status_code == 200
    assert "odd id" in text(response.content)


def test_a_record_without_summary_is_listed_with_its_details_first_line(
    user_client: Client, demo_advisories: None
) -> None:
    page = text(user_client.get("/advisories/", {"q": "PYSEC-2023-74"}).content)
    assert "PYSEC-2023-74 CVE-2023-32681, GHSA-j8r2-6x86-q33q Requests is a HTTP library." in page


def test_a_rejected_record_is_shown_as_such(user_client: Client, tmp_path: Path) -> None:
    fixtures = Path(__file__).parents[2] / "fixtures" / "feeds"
    feeds_import(paths=[fixtures / "nvd/page.json"], format="nvd")
    page = text(user_client.get("/advisories/nvd:CVE-2024-0002").content)
    assert "rejected" in page and "rejected by its source" in page
    assert "Rejected" not in text(user_client.get("/advisories/nvd:CVE-2024-0001").content)
    listing = user_client.get("/advisories/?q=CVE-2024-000").content.decode()
    assert listing.count(">rejected</span>") == 1

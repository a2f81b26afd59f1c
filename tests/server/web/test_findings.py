"""The findings list (filters, sort, pages without COUNT, htmx fragments), a finding's page, the
CSV export, and the actions on selected findings."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from vulndesk.server.findings.models import Finding, GroupEpss
from vulndesk.server.inventory.models import Role
from vulndesk.server.inventory.services import product_grant
from vulndesk.server.jobs.models import Job, JobKind

pytestmark = pytest.mark.django_db

Portfolio = Any  # conftest.Portfolio


def text(content: bytes) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", content.decode())))


def listed(response: Any) -> list[str]:
    return re.findall(
        r'<td class="id"><a href="/findings/\d+/">([^<]+)</a>', response.content.decode()
    )


def csv_rows(response: Any) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


SHOP = ["CVE-2020-14343", "CVE-2024-22195", "CVE-2023-43804", "CVE-2023-32681"]


def test_the_list_is_most_severe_first(user_client: Client, portfolio: Portfolio) -> None:
    response = user_client.get("/findings/")
    assert response.status_code == 200
    assert listed(response)[0] == "CVE-2020-14343"
    assert sorted(listed(response)) == sorted(SHOP)
    page = text(response.content)
    assert "Critical 9.8" in page and "pyyaml 5.3.1" in page and "shop 1.8.0" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"severity": ["critical"]}, ["CVE-2020-14343"]),
        ({"severity": ["critical", "medium"]}, SHOP),
        ({"severity": ["high"]}, []),
        ({"package": "jinja2"}, ["CVE-2024-22195"]),
        ({"q": "cve-2023-3"}, ["CVE-2023-32681"]),
        ({"q": "GHSA-j8r2"}, ["CVE-2023-32681"]),  # an alias
        ({"q": "url"}, ["CVE-2023-43804"]),  # a component name prefix
        ({"kev": "yes"}, ["CVE-2023-32681"]),
        ({"kev": "no", "severity": ["critical"]}, ["CVE-2020-14343"]),
        ({"epss": "50"}, ["CVE-2023-43804"]),
        ({"status": "resolved"}, []),
    ],
)
def test_filters(
    user_client: Client, portfolio: Portfolio, query: dict[str, Any], expected: list[str]
) -> None:
    Finding.objects.filter(vulnerability_id="CVE-2023-32681").update(kev=True)
    for key in set(Finding.objects.values_list("vulnerability_id", flat=True)):
        score = 0.62 if key == "CVE-2023-43804" else 0.1
        GroupEpss.objects.create(vulnerability_id=key, epss=score)
    assert sorted(listed(user_client.get("/findings/", query))) == sorted(expected)


def test_the_product_filter_offers_visible_products_only(
    user_client: Client, portfolio: Portfolio
) -> None:
    page = user_client.get("/findings/").content.decode()
    assert f'<option value="{portfolio.product.pk}">shop</option>' in page
    assert "secret" not in page
    hidden = user_client.get("/findings/", {"product": portfolio.secret_product.pk})
    assert hidden.status_code == 400 and listed(hidden) == []


def test_sorting_and_bad_input(user_client: Client, portfolio: Portfolio) -> None:
    by_component = listed(user_client.get("/findings/", {"sort": "component"}))
    assert by_component == ["CVE-2024-22195", "CVE-2020-14343", "CVE-2023-32681", "CVE-2023-43804"]
    assert user_client.get("/findings/", {"sort": "drop table"}).status_code == 400
    assert user_client.get("/findings/", {"epss": "300"}).status_code == 400


def test_pages_go_by_offset_without_counting(
    user_client: Client, portfolio: Portfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("vulndesk.server.web.views.findings.FINDINGS_PER_PAGE", 3)
    with CaptureQueriesContext(connection) as queries:
        first = user_client.get("/findings/")
    assert not [
        q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "findings_finding" in q["sql"]
    ]
    assert len(listed(first)) == 3
    assert "Rows 1\u20133" in text(first.content) and "?offset=3" in first.content.decode()
    second = user_client.get("/findings/", {"offset": "3"})
    assert listed(second) == ["CVE-2023-32681"] or len(listed(second)) == 1
    assert "Next" not in text(second.content) and "Previous" in text(second.content)
    assert set(listed(first) + listed(second)) == set(SHOP)


def test_htmx_gets_the_results_fragment(user_client: Client, portfolio: Portfolio) -> None:
    response = user_client.get(
        "/findings/", {"severity": "critical"}, headers={"HX-Request": "true"}
    )
    assert b"<html" not in response.content and b'id="finding-filters"' not in response.content
    assert listed(response) == ["CVE-2020-14343"]
    assert "HX-Request" in response["Vary"]


def test_the_csv_export_has_the_filtered_list(user_client: Client, portfolio: Portfolio) -> None:
    Finding.objects.filter(vulnerability_id="CVE-2024-22195").update(summary="=HYPERLINK(1)")
    response = user_client.get(
        "/findings/export.csv", {"severity": ["medium"], "sort": "component"}
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="vulndesk-findings-')
    rows = csv_rows(response)
    assert [r["vulnerability"] for r in rows] == [
        "CVE-2024-22195",
        "CVE-2023-32681",
        "CVE-2023-43804",
    ]
    jinja = rows[0]
    assert (jinja["product"], jinja["release"], jinja["component"]) == ("shop", "1.8.0", "jinja2")
    assert jinja["summary"] == "'=HYPERLINK(1)"  # not a formula in a spreadsheet
    assert rows[1]["aliases"] == "GHSA-j8r2-6x86-q33q PYSEC-2023-74"


def test_exporting_selected_findings(user_client: Client, portfolio: Portfolio) -> None:
    ids = list(
        Finding.objects.filter(product=portfolio.product, severity="medium").values_list(
            "id", flat=True
        )
    )
    response = user_client.post("/findings/selected/", {"action": "export", "ids": ids[:2]})
    assert sorted(r["finding_id"] for r in csv_rows(response)) == sorted(str(i) for i in ids[:2])
    nothing = user_client.post("/findings/selected/", {"action": "export"})
    assert nothing.status_code == 302
    assert "Select at least one finding." in text(user_client.get(nothing["Location"]).content)


def test_re_matching_selected_findings_starts_a_job(
    user_client: Client, portfolio: Portfolio
) -> None:
    ids = list(Finding.objects.filter(product=portfolio.product).values_list("id", flat=True))
    response = user_client.post("/findings/selected/", {"action": "rematch", "ids": ids})
    assert response.status_code == 302 and response["Location"] == "/jobs/"
    job = Job.objects.get(kind=JobKind.REMATCH)
    assert job.product == portfolio.product and job.created_by.get_username() == "analyst"
    assert "Re-matching started for 1 product." in text(user_client.get("/jobs/").content)


def test_re_matching_needs_the_editor_role(user_client: Client, portfolio: Portfolio) -> None:
    product_grant(
        product=portfolio.product, team=portfolio.team, role=Role.VIEWER, acting_user=None
    )
    ids = list(Finding.objects.filter(product=portfolio.product).values_list("id", flat=True))
    response = user_client.post("/findings/selected/", {"action": "rematch", "ids": ids})
    assert not Job.objects.filter(kind=JobKind.REMATCH).exists()
    page = text(user_client.get(response["Location"]).content)
    assert "4 findings were left out: re-matching needs the editor role." in page


def test_bulk_actions_need_csrf(portfolio: Portfolio, analyst: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)
    ids = list(Finding.objects.values_list("id", flat=True))
    assert client.post("/findings/selected/", {"action": "export", "ids": ids}).status_code == 403


def test_the_finding_page(user_client: Client, portfolio: Portfolio) -> None:
    finding = Finding.objects.get(vulnerability_id="CVE-2023-32681", product=portfolio.product)
    page = user_client.get(f"/findings/{finding.pk}/")
    content = text(page.content)
    assert "CVE-2023-32681" in content and "Medium 6.1" in content
    assert "requests 2.28.1" in content and "pkg:pypi/requests@2.28.1" in content
    assert ">=2.3.0, <2.31.0" in content and "2.31.0" in content
    assert 'href="/advisories/GHSA-j8r2-6x86-q33q"' in page.content.decode()
    assert "direct" in content and "open" in content
    assert user_client.get("/findings/999999/").status_code == 404


def test_a_match_that_is_not_by_package_url_says_how_sure_it_is(
    user_client: Client, portfolio: Portfolio
) -> None:
    from vulndesk.server.findings.models import Finding

    Finding.objects.filter(vulnerability_id="CVE-2024-22195").update(confidence="low")
    page = text(user_client.get("/findings/").content)
    assert page.count("confidence") == 1 and "low confidence" in page
    finding = Finding.objects.get(vulnerability_id="CVE-2024-22195")
    detail = text(user_client.get(f"/findings/{finding.pk}/").content)
    assert "Match confidence" in detail and "check that this is the same product" in detail
    user_client.post("/account/language/", {"language": "ja"})
    japanese = text(user_client.get(f"/findings/{finding.pk}/", HTTP_ACCEPT_LANGUAGE="ja").content)
    assert "一致の確からしさ" in japanese

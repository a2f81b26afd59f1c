"""The remediation plan page of a release: the table, the status form (editors, with CSRF), the
exports, and who may see and change what."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest
from django.test import Client

from server.triage.remediation_world import World, build
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.triage.models import RemediationItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build()


def logged_in(user: Any, **options: Any) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def page_url(world: World) -> str:
    return f"/releases/{world.release.pk}/remediation/"


def status_url(world: World, name: str) -> str:
    return f"{page_url(world)}{world.components[name].pk}/"


def visible(content: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", content.decode()))


def rows(content: bytes) -> list[str]:
    """Return the text of each row of the plan's table."""
    body = content.decode().split('<table class="grid remediation">', 1)[1].split("</table>")[0]
    return [visible(b"<tr " + row.encode()).strip() for row in body.split("<tr ")[1:]]


def test_the_plan_page_shows_each_component_most_urgent_first(world: World) -> None:
    response = logged_in(world.edith).get(page_url(world))
    assert response.status_code == 200
    shown = rows(response.content)
    assert [row.split()[0] for row in shown] == ["urllib3", "jinja2", "router-firmware", "requests"]
    urllib3, jinja2, firmware, requests = shown
    assert "1.26.5 → 2.2.2" in urllib3
    assert "major upgrade" in urllib3
    assert "CVE-2099-0201" in urllib3 and "CVE-2099-0202" in urllib3
    assert "immediate" in urllib3
    assert "2.10 → 2.11.3" in jinja2 and "major upgrade" not in jinja2
    assert "overdue" in jinja2 and "overdue" not in urllib3
    assert "no upgrade computable" in firmware
    assert "no fixed version known" in requests
    page = visible(response.content)
    assert "4 vulnerable components" in page
    content = response.content.decode()
    assert 'class="overdue"' in content  # the jinja2 row is highlighted
    for export in ("csv", "md", "json"):
        assert f'href="{page_url(world)}export.{export}"' in content
    # an editor gets a form per item: the current status, then the allowed next ones
    assert content.count('class="status-form"') == 4
    assert content.count("csrfmiddlewaretoken") >= 4
    form = content.split(f'action="{status_url(world, "jinja2")}"', 1)[1].split("</form>")[0]
    assert re.findall(r'<option value="(\w+)"', form) == [
        "open", "in_progress", "fixed", "accepted_risk", "not_affected",
    ]  # fmt: skip
    assert "open (unchanged)" in form


def test_the_release_page_links_to_the_plan(world: World) -> None:
    response = logged_in(world.victor).get(f"/releases/{world.release.pk}/")
    assert f'href="{page_url(world)}"' in response.content.decode()


def test_an_editor_changes_a_status(world: World) -> None:
    client = logged_in(world.edith, enforce_csrf_checks=True)
    page = client.get(page_url(world))
    token = page.cookies["csrftoken"].value
    response = client.post(
        status_url(world, "jinja2"),
        {"status": "in_progress", "note": "PR #12", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{page_url(world)}#c{world.components['jinja2'].pk}"
    item = RemediationItem.objects.get()
    assert (item.status, item.note, item.updated_by) == ("in_progress", "PR #12", world.edith)
    assert AuditEvent.objects.filter(action="remediation.transition", actor=world.edith).exists()

    after = client.get(response["Location"].split("#")[0])
    page_text = visible(after.content)
    assert "Saved: jinja2 2.10, in progress." in page_text
    jinja2 = rows(after.content)[1]
    assert "in progress" in jinja2 and "PR #12" in jinja2 and "edith" in jinja2
    form = after.content.decode().split(f'action="{status_url(world, "jinja2")}"')[1]
    options = re.findall(r'<option value="(\w+)"', form.split("</form>")[0])
    assert options == ["in_progress", "open", "fixed", "accepted_risk", "not_affected"]


def test_a_status_the_table_does_not_allow_is_refused_with_a_message(world: World) -> None:
    client = logged_in(world.edith)
    client.post(status_url(world, "urllib3"), {"status": "fixed"})
    # a page older than that change still offers "in progress"
    response = client.post(status_url(world, "urllib3"), {"status": "in_progress"}, follow=True)
    assert response.status_code == 200
    assert "urllib3 1.26.5 is fixed now and cannot become in progress; it may become: open." in (
        visible(response.content)
    )
    assert RemediationItem.objects.get().status == "fixed"
    response = client.post(status_url(world, "urllib3"), {"status": "done"}, follow=True)
    assert "Select a valid choice" in visible(response.content)
    assert RemediationItem.objects.get().status == "fixed"


def test_a_viewer_sees_the_plan_but_no_form_and_may_not_post(world: World) -> None:
    client = logged_in(world.victor)
    response = client.get(page_url(world))
    assert response.status_code == 200
    assert 'class="status-form"' not in response.content.decode()
    assert client.post(status_url(world, "jinja2"), {"status": "fixed"}).status_code == 403
    assert not RemediationItem.objects.exists()


def test_changes_need_the_csrf_token(world: World) -> None:
    client = logged_in(world.edith, enforce_csrf_checks=True)
    assert client.post(status_url(world, "jinja2"), {"status": "fixed"}).status_code == 403
    assert not RemediationItem.objects.exists()


def test_an_outsider_gets_404_everywhere(world: World) -> None:
    client = logged_in(world.oscar)
    assert client.get(page_url(world)).status_code == 404
    assert client.get(f"{page_url(world)}export.csv").status_code == 404
    assert client.post(status_url(world, "jinja2"), {"status": "fixed"}).status_code == 404
    assert client.get("/releases/999999/remediation/").status_code == 404
    # anonymous: to the login page
    response = Client().get(page_url(world))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_component_of_another_release_is_404(world: World) -> None:
    client = logged_in(world.alice)
    url = f"{page_url(world)}999999/"
    assert client.post(url, {"status": "fixed"}).status_code == 404


def test_the_exports_download(world: World) -> None:
    client = logged_in(world.victor)
    response = client.get(f"{page_url(world)}export.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="shop-1.8.0-remediation.csv"'
    lines = response.content.decode().removeprefix("\ufeff").splitlines()
    assert lines[0].startswith("component_id,component,version,purl,")
    assert lines[1].split(",")[1:3] == ["urllib3", "1.26.5"]

    response = client.get(f"{page_url(world)}export.md")
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert "| urllib3 1.26.5 | 1.26.5 → **2.2.2** | yes |" in response.content.decode()

    response = client.get(f"{page_url(world)}export.json")
    assert response["Content-Type"] == "application/json"
    tickets = orjson.loads(response.content)
    assert tickets[1]["title"] == (
        "Upgrade jinja2 2.10 -> 2.11.3 in shop 1.8.0 (clears 2 vulnerabilities)"
    )
    assert client.get(f"{page_url(world)}export.xml").status_code == 404

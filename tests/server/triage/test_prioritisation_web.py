"""The web interface of prioritisation: the finding page's priority section and its override
form (who may), the SLA page, and the findings list's priority column, filter and sort."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from server.triage.prioritisation_world import KEV, NONE, POC, World, reload, world
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.findings.models import Finding
from vulndesk.server.inventory.models import Product
from vulndesk.server.triage.models import SlaPolicy, SsvcOverride
from vulndesk.server.triage.prioritisation import priorities_refresh

pytestmark = pytest.mark.django_db
__all__ = ["world"]


def logged_in(user: Any, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


@pytest.fixture
def prioritised(world: World) -> World:
    Product.objects.filter(pk=world.plant.pk).update(exposure="open")
    priorities_refresh(Finding.objects.all())
    return world


def section(html: str) -> str:
    match = re.search(r'<section class="panel priority" id="priority">(.*?)</section>', html, re.S)
    assert match, "no priority section"
    return match.group(1)


def test_the_finding_page_explains_the_priority(prioritised: World) -> None:
    finding = prioritised.findings[KEV]
    response = logged_in(prioritised.victor).get(f"/findings/{finding.pk}/")
    assert response.status_code == 200
    html = section(response.content.decode())
    assert '<span class="prio prio-out-of-cycle">out-of-cycle</span>' in html
    assert "due 1/24/2026" in html or "due 2026" in html or "due 01/24/2026" in html
    assert "overdue" in html  # January 2026 is past
    # every input with its value and source, and the row of the deployer table that fired
    assert re.search(r"Exploitation</th>\s*<td[^>]*><b>active</b>", html)
    assert "CISA KEV" in html and "CVSS vector" in html and "product setting" in html
    assert "Deployer patch application priority, row" in html
    assert "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" in html
    assert "known ransomware use" in html
    assert "Override an input" not in html  # a viewer may not


def test_an_editor_overrides_a_point_with_a_reason(prioritised: World) -> None:
    finding = prioritised.findings[NONE]
    editor = logged_in(prioritised.edith, csrf=True)
    page = editor.get(f"/findings/{finding.pk}/").content.decode()
    assert "Override an input" in section(page)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    url = f"/findings/{finding.pk}/priority/override/"
    form = {"choice": "exploitation=active", "reason": "seen in our honeypot"}
    assert editor.post(url, form).status_code == 403  # no CSRF token
    response = editor.post(url, {**form, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"] == f"/findings/{finding.pk}/#priority"
    assert reload(finding).priority == "scheduled"  # active, open, not automatable
    html = section(editor.get(f"/findings/{finding.pk}/").content.decode())
    assert "seen in our honeypot" in html and "(automatic: none)" in html
    assert "Back to automatic" in html
    # an empty reason is refused with the form shown again
    bad = editor.post(
        url, {"choice": "automatable=yes", "reason": "", "csrfmiddlewaretoken": token}
    )
    assert bad.status_code == 400 and "This field is required." in bad.content.decode()
    assert SsvcOverride.objects.filter(superseded_at__isnull=True).count() == 1
    # back to automatic
    response = editor.post(
        f"/findings/{finding.pk}/priority/clear/",
        {"point": "exploitation", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert reload(finding).priority == "defer"
    assert AuditEvent.objects.filter(action__startswith="ssvc_override.").count() == 2


def test_viewers_and_outsiders_cannot_override(prioritised: World) -> None:
    finding = prioritised.findings[NONE]
    url = f"/findings/{finding.pk}/priority/override/"
    form = {"choice": "exploitation=active", "reason": "x"}
    assert logged_in(prioritised.victor).post(url, form).status_code == 403
    assert logged_in(prioritised.oscar).post(url, form).status_code == 404
    assert Client().post(url, form).status_code == 302  # to the login page
    assert not SsvcOverride.objects.exists()
    assert logged_in(prioritised.oscar).get(f"/findings/{finding.pk}/").status_code == 404


def test_a_vex_settled_finding_needs_no_fix(prioritised: World) -> None:
    finding = prioritised.findings[POC]
    Finding.objects.filter(pk=finding.pk).update(analysis_state="not_affected")
    priorities_refresh(Finding.objects.filter(pk=finding.pk))
    html = section(logged_in(prioritised.victor).get(f"/findings/{finding.pk}/").content.decode())
    assert "none needed" in html and "due " not in html


def test_the_sla_page_shows_days_and_lets_superusers_change_them(prioritised: World) -> None:
    page = logged_in(prioritised.victor).get("/account/sla/")
    assert page.status_code == 200
    assert "Only a superuser may change response times." in page.content.decode()
    assert logged_in(prioritised.victor).post("/account/sla/", {}).status_code == 403
    root = logged_in(prioritised.root)
    organisation = prioritised.plant.organisation_id
    days = {"immediate": "1", "out-of-cycle": "3", "scheduled": "30", "defer": ""}
    response = root.post("/account/sla/", {"organisation": organisation, **days})
    assert response.status_code == 302
    assert dict(SlaPolicy.objects.values_list("priority", "days")) == {
        "immediate": 1, "out-of-cycle": 3, "scheduled": 30, "defer": None,
    }  # fmt: skip
    kev = reload(prioritised.findings[KEV])
    assert kev.due_at == kev.first_seen.replace(microsecond=0) + timedelta(days=3)
    bad = root.post("/account/sla/", {"organisation": organisation, "immediate": "-4"})
    assert bad.status_code == 400
    account = logged_in(prioritised.victor).get("/account/").content.decode()
    assert 'href="/account/sla/"' in account


def test_the_findings_list_has_priority_and_due_date(prioritised: World) -> None:
    Finding.objects.filter(pk=prioritised.findings[NONE].pk).update(
        due_at=timezone.now() + timedelta(days=3)
    )
    viewer = logged_in(prioritised.victor)
    html = viewer.get("/findings/?sort=priority").content.decode()
    order = [m for m in re.findall(r"CVE-2024-000\d", html)]
    assert order.index(KEV) < order.index(POC) < order.index(NONE)
    assert '<span class="prio prio-out-of-cycle">out-of-cycle</span>' in html
    assert 'class="nowrap prio-overdue"' in html  # the KEV finding's due date has passed
    only = viewer.get("/findings/?priority=scheduled").content.decode()
    assert POC in only and KEV not in only.split("finding-results")[1]
    stated = viewer.get("/findings/?analysis_state=none").content.decode()
    assert KEV in stated
    assert viewer.get("/findings/?priority=urgent").status_code == 400

"""The dashboard (risk now and over time, top findings, feed freshness, recent jobs) and the jobs
pages, whose job state an htmx poll follows until the job ends."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from vulndesk.server.advisories.models import FeedImport
from vulndesk.server.findings.models import Finding, PortfolioSnapshot
from vulndesk.server.jobs.models import Job
from vulndesk.server.triage.models import Priority

pytestmark = pytest.mark.django_db

Portfolio = Any  # conftest.Portfolio


def text(content: bytes) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", content.decode())))


def shop_job(portfolio: Portfolio) -> Job:
    job = Job.objects.get(product=portfolio.product)
    return job


def set_task(job: Job, **fields: Any) -> None:
    DBTaskResult.objects.filter(id=job.task_id).update(**fields)


def test_the_dashboard_shows_risk_of_visible_products(
    user_client: Client, portfolio: Portfolio
) -> None:
    page = text(user_client.get("/").content)
    assert "4 Open findings 1 Critical 0 High 3 Medium 0 Low" in page
    assert "CVE-2020-14343" in page and "shop 1.8.0" in page
    assert "golang" not in page  # the secret product's findings
    assert "Risk over time" in page and "<svg" in user_client.get("/").content.decode()
    assert "Open findings of the products you may see" in page


def test_the_dashboard_counts_open_findings_by_priority_and_past_due_date(
    user_client: Client, portfolio: Portfolio
) -> None:
    shop = Finding.objects.filter(product=portfolio.product, status="active")
    late = shop.order_by("id").first()
    assert late is not None
    Finding.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(days=1))
    Finding.objects.filter(product=portfolio.secret_product).update(
        due_at=timezone.now() - timedelta(days=1)
    )
    page = text(user_client.get("/").content)
    for priority, label in Priority.choices:
        count = shop.filter(priority=priority).count()
        assert f"{count} {label}" in page, (priority, page)
    assert "1 Past due date" in page  # the secret product's late findings are not counted
    # the tile links to the list of exactly those
    content = user_client.get("/").content.decode()
    assert 'href="/findings/?overdue=yes&amp;sort=priority"' in content
    listed = re.findall(
        r'<td class="id"><a href="/findings/(\d+)/">',
        user_client.get("/findings/", {"overdue": "yes"}).content.decode(),
    )
    assert listed == [str(late.pk)]
    on_time = user_client.get("/findings/", {"overdue": "no"}).content.decode()
    assert f'href="/findings/{late.pk}/"' not in on_time and '<td class="id">' in on_time


def test_superusers_see_the_portfolio_snapshots(client: Client, portfolio: Portfolio) -> None:
    admin = get_user_model().objects.create_superuser("root")
    client.force_login(admin)
    now = timezone.now()
    for days, critical in [(3, 1), (2, 5), (1, 2)]:
        PortfolioSnapshot.objects.create(
            taken_at=now - timedelta(days=days), counts={"critical": critical, "high": 7}
        )
    content = client.get("/").content.decode()
    assert "Open findings of the whole portfolio" in text(client.get("/").content)
    assert content.count('class="line line-') == 4
    assert re.search(r'<text class="axis"[^>]*>10</text>', content)  # 7 -> scale to 10


def test_feed_freshness_warns_after_two_days(user_client: Client, portfolio: Portfolio) -> None:
    assert "more than two days old" not in text(user_client.get("/").content)
    FeedImport.objects.update(
        started_at=timezone.now() - timedelta(days=3),
        finished_at=timezone.now() - timedelta(days=3),
    )
    page = text(user_client.get("/").content)
    assert "3 days ago" in page and "more than two days old" in page


def test_a_waiting_job_polls_and_says_when_no_worker_takes_it(
    user_client: Client, portfolio: Portfolio
) -> None:
    job = shop_job(portfolio)
    fragment = user_client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"})
    content = fragment.content.decode()
    assert "<html" not in content and 'hx-trigger="every 1s"' in content
    assert "waiting" in text(fragment.content) and "HX-Trigger" not in fragment
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert "Is “vulndesk worker” running?" in text(user_client.get(f"/jobs/{job.pk}/").content)


def test_a_running_job_shows_its_progress(user_client: Client, portfolio: Portfolio) -> None:
    job = shop_job(portfolio)
    set_task(job, status="RUNNING", started_at=timezone.now())
    Job.objects.filter(pk=job.pk).update(progress_done=1500, progress_total=4000)
    fragment = user_client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"})
    assert 'aria-valuenow="37"' in fragment.content.decode()
    assert "running" in text(fragment.content) and "1,500 of 4,000" in text(fragment.content)


def test_a_finished_job_stops_polling_and_announces_it(
    user_client: Client, portfolio: Portfolio
) -> None:
    job = shop_job(portfolio)
    set_task(job, status="SUCCESSFUL", finished_at=timezone.now())
    fragment = user_client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"})
    assert "hx-trigger" not in fragment.content.decode()
    assert fragment["HX-Trigger"] == "vulndesk-job-finished"
    assert "done" in text(fragment.content)


def test_a_failed_job_shows_its_error(user_client: Client, portfolio: Portfolio) -> None:
    job = shop_job(portfolio)
    traceback = (
        'Traceback (most recent call last):\n  File "x.py", line 1\n'
        "RuntimeError: shop.json:$.components[3]: a component needs a name\n"
    )
    set_task(
        job, status="FAILED", exception_class_path="builtins.RuntimeError", traceback=traceback
    )
    page = text(user_client.get(f"/jobs/{job.pk}/").content)
    assert "The job failed: shop.json:$.components[3]: a component needs a name" in page
    assert "Traceback" not in page  # for superusers only
    listing = text(user_client.get("/jobs/").content)
    assert "failed" in listing and "a component needs a name" in listing


def test_the_job_list_polls_while_a_job_is_unfinished(
    user_client: Client, portfolio: Portfolio
) -> None:
    content = user_client.get("/jobs/").content.decode()
    assert 'hx-trigger="every 2s"' in content and "SBOM analysis" in content
    assert "secret" not in content
    Job.objects.update()  # nothing else changes
    for job in Job.objects.all():
        set_task(job, status="SUCCESSFUL")
    assert 'hx-trigger="every 2s"' not in user_client.get("/jobs/").content.decode()

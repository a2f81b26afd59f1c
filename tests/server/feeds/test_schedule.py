"""The scheduler queues a sync for each enabled source that is due, and never a second one while
one is queued or running; "sync now" reuses a queued job too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from vulndesk.server.feeds.models import FeedSource
from vulndesk.server.feeds.services import (
    feed_source_configure,
    feed_sync_enqueue,
    feeds_schedule,
)
from vulndesk.server.jobs.models import JobKind

pytestmark = pytest.mark.django_db


def test_only_enabled_due_sources_are_queued_and_never_twice() -> None:
    now = timezone.now()
    assert feeds_schedule(now=now) == []  # everything starts disabled
    feed_source_configure(name="kev", enabled=True)
    feed_source_configure(name="epss", enabled=True)
    FeedSource.objects.filter(name="epss").update(last_attempt_at=now - timedelta(hours=1))
    jobs = feeds_schedule(now=now)
    assert [job.label for job in jobs] == ["kev"]  # epss ran an hour ago; its interval is 24 h
    assert jobs[0].kind == JobKind.FEED_SYNC
    assert FeedSource.objects.get(name="kev").pending_job_id == jobs[0].pk
    assert feeds_schedule(now=now) == []  # queued already
    later = feeds_schedule(now=now + timedelta(days=2))
    assert [job.label for job in later] == ["epss"]  # kev is still queued: not again
    assert feed_sync_enqueue(name="kev").pk == jobs[0].pk


def test_a_finished_sync_lets_the_source_be_queued_again_when_due(run_jobs, server) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    feed_source_configure(name="kev", enabled=True, settings={"url": f"{server.url}/missing"})
    [job] = feeds_schedule(now=now)
    run_jobs()  # the sync fails (404): the job ends
    source = FeedSource.objects.get(name="kev")
    assert source.pending_job_id is None and source.last_error
    assert source.last_attempt_at is not None
    assert feeds_schedule(now=source.last_attempt_at + timedelta(hours=1)) == []
    [again] = feeds_schedule(now=source.last_attempt_at + timedelta(hours=6, seconds=1))
    assert again.pk != job.pk


def test_disabled_sources_are_never_queued() -> None:
    feed_source_configure(name="kev", enabled=True)
    feed_source_configure(name="kev", enabled=False)
    assert feeds_schedule(now=timezone.now() + timedelta(days=30)) == []

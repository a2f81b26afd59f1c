"""Writing feed state: sources enabled or disabled, online syncs, and scheduled sync jobs.

**A sync** (:func:`feed_sync`) claims its source (one sync per source at a time, across every
process: a conditional UPDATE that only one claimant wins), then stores the fetcher's batches one
by one: each batch's records go through the advisories import services and the batch's cursor is
saved in the *same* transaction, so an interrupted sync (an error, Ctrl-C, a killed worker) keeps
every batch stored so far and the next run continues from the last saved cursor. An error is
kept in ``last_error`` and raised as :class:`FeedSyncError`; what was stored stays stored.

**Scheduling** (:func:`feeds_schedule`, run by every worker's heartbeat): each enabled source
whose last attempt is older than its interval, and which has no queued or running sync, gets a
``sync_feed`` job. The source rows are locked ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite
serialises writers), so two workers scheduling at once queue one job, not two.
"""

from __future__ import annotations

import secrets
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vulndesk.core.advisories.sources import RawDocument
from vulndesk.core.errors import InputError, VulndeskError
from vulndesk.core.feeds.csaf_provider import CsafProviderSync, SyncCursor
from vulndesk.core.feeds.http import PoliteClient
from vulndesk.server.audit.services import audit_record
from vulndesk.server.config import home
from vulndesk.server.feeds import fetchers
from vulndesk.server.feeds.catalog import SourceKind, default_specs, spec_for
from vulndesk.server.feeds.models import FeedSource
from vulndesk.server.feeds.storing import StoreCounts, store_batch, store_csaf
from vulndesk.server.jobs.models import Job, JobKind
from vulndesk.server.jobs.services import job_enqueue

#: a claim whose holder has not stored a batch for this long is taken to be abandoned
CLAIM_STALE = timedelta(minutes=30)
#: accepted CSAF documents stored (and the cursor saved) together
CSAF_BATCH = 25

#: ``progress(done, total, message)``: ``total`` is None when the source announces none
SyncProgress = Callable[[int, int | None, str], None]


class FeedSyncError(VulndeskError):
    """A sync failed; what it stored before the failure stays stored (``outcome`` says what)."""

    def __init__(self, message: str, *, outcome: FeedSyncOutcome) -> None:
        self.outcome = outcome
        super().__init__(message)


class FeedSourceBusy(VulndeskError):
    """Another process is syncing this source right now."""


@dataclass(slots=True)
class FeedSyncOutcome:
    """What one :func:`feed_sync` run did."""

    source: str
    batches: int = 0
    counts: StoreCounts = field(default_factory=StoreCounts)
    cursor: dict[str, Any] | None = None
    stopped: bool = False
    error: str = ""


# --- sources -------------------------------------------------------------------------------------


def feed_sources_ensure() -> list[FeedSource]:
    """Create the default sources that do not exist yet (disabled); return every source.

    Idempotent and safe to run concurrently (a source created meanwhile is kept as it is).
    """
    existing = set(FeedSource.objects.values_list("name", flat=True))
    for spec in default_specs():
        if spec.name not in existing:
            FeedSource.objects.get_or_create(
                name=spec.name,
                defaults={
                    "kind": spec.kind.value,
                    "settings": spec.settings,
                    "interval": spec.interval,
                },
            )
    return list(FeedSource.objects.order_by("name"))


def feed_source_get(*, name: str) -> FeedSource:
    """Return the source called ``name``, creating a known one on first use (disabled).

    Raise InputError for a name that is no source (catalog.spec_for says which are).
    """
    found = FeedSource.objects.filter(name=name).first()
    if found is not None:
        return found
    spec = spec_for(name)
    source, _ = FeedSource.objects.get_or_create(
        name=name,
        defaults={"kind": spec.kind.value, "settings": spec.settings, "interval": spec.interval},
    )
    return source


@transaction.atomic
def feed_source_configure(
    *,
    name: str,
    enabled: bool | None = None,
    settings: dict[str, Any] | None = None,
    interval: timedelta | None = None,
    acting_user: Any = None,
    actor_label: str = "cli",
) -> FeedSource:
    """Enable or disable a source, change its settings (merged) or interval; return it.

    Settings must not hold secrets: an API key is named by its environment variable
    (``api_key_env``), never written here; a value under a key that looks like one is refused.
    """
    source = feed_source_get(name=name)
    source = FeedSource.objects.select_for_update().get(pk=source.pk)
    changes: dict[str, Any] = {}
    if settings:
        secret = [k for k in settings if k.lower() in {"api_key", "apikey", "token", "password"}]
        if secret:
            raise InputError(
                f"settings must not hold secrets ({', '.join(secret)}): name the environment "
                "variable that holds it with api_key_env",
                source=name,
            )
        source.settings = {**source.settings, **settings}
        changes["settings"] = settings
    if enabled is not None and enabled != source.enabled:
        source.enabled = enabled
        changes["enabled"] = enabled
    if interval is not None and interval != source.interval:
        if interval < timedelta(minutes=5):
            raise InputError(f"interval {interval} is under the 5-minute minimum", source=name)
        source.interval = interval
        changes["interval_seconds"] = int(interval.total_seconds())
    if changes:
        if source.kind == SourceKind.CSAF and source.enabled and not source.settings.get("url"):
            raise InputError("a CSAF provider needs its URL (--url) to be enabled", source=name)
        source.save()
        audit_record(
            action="feeds.source.configure",
            object_type="feed_source",
            object_id=source.name,
            data={k: v for k, v in changes.items()},
            acting_user=acting_user,
            actor_label=actor_label,
        )
    return source


# --- claiming ------------------------------------------------------------------------------------


def _claim(source: FeedSource, owner: str, now: datetime) -> bool:
    """Return whether this process claimed ``source`` (a conditional UPDATE: one winner)."""
    claimed = (
        FeedSource.objects.filter(pk=source.pk)
        .filter(Q(running_since__isnull=True) | Q(running_since__lt=now - CLAIM_STALE))
        .update(running_since=now, running_by=owner, last_attempt_at=now)
    )
    return claimed == 1


def _release(source: FeedSource, owner: str) -> None:
    FeedSource.objects.filter(pk=source.pk, running_by=owner).update(
        running_since=None, running_by=""
    )


# --- syncing -------------------------------------------------------------------------------------


def feed_sync(
    *,
    source: FeedSource | str,
    acting_user: Any = None,
    actor_label: str = "sync",
    progress: SyncProgress | None = None,
    client: PoliteClient | None = None,
    base_url: str | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> FeedSyncOutcome:
    """Sync one source from its stored cursor; return what was stored.

    Each fetched batch is stored with its cursor in one transaction (see the module docstring).
    ``should_stop`` is asked after every stored batch: True ends the run there, cursor saved
    (``outcome.stopped``). ``client`` replaces the source's paced HTTP client (tests, proxies);
    ``base_url`` points every URL of the source at a mirror (fetchers.rebase). Raise
    FeedSourceBusy when another sync of the source runs, FeedSyncError when the sync fails.
    """
    if isinstance(source, str):
        source = feed_source_get(name=source)
    owner = secrets.token_hex(8)
    now = timezone.now()
    if not _claim(source, owner, now):
        raise FeedSourceBusy(f"{source.name} is being synced by {source.running_by or 'another'}")
    source.refresh_from_db()
    outcome = FeedSyncOutcome(source=source.name, cursor=source.cursor)
    work_dir = home() / "feeds" / "downloads" / f"{source.pk}-{owner}"
    work_dir.mkdir(parents=True, exist_ok=True)
    own_client = client is None
    kind = SourceKind(source.kind)
    if client is None and kind is not SourceKind.CSAF:
        client = fetchers.client_for(kind, source.settings)
    try:
        with transaction.atomic():
            audit_record(
                action="feeds.sync.start",
                object_type="feed_source",
                object_id=source.name,
                data={"cursor": source.cursor, "base_url": base_url},
                acting_user=acting_user,
                actor_label=actor_label,
            )
        if kind is SourceKind.CSAF:
            runs = _csaf_batches(source, base_url)
        else:
            assert client is not None
            fetcher = fetchers.fetcher_for(
                kind,
                source.settings,
                client=client,
                base_url=base_url,
                work_dir=work_dir,
                now=client.clock.now(),
            )
            runs = _fetched_batches(kind, fetcher.fetch(source.cursor or None), work_dir)
        for store, cursor, done, total, label in runs:
            with transaction.atomic():
                counts = store(acting_user, actor_label)
                FeedSource.objects.filter(pk=source.pk).update(
                    cursor=cursor, running_since=timezone.now()
                )
                audit_record(
                    action="feeds.sync.batch",
                    object_type="feed_source",
                    object_id=source.name,
                    data={"batch": label, "cursor": cursor, **counts.as_dict()},
                    acting_user=acting_user,
                    actor_label=actor_label,
                )
            outcome.batches += 1
            outcome.counts.merge(counts)
            outcome.cursor = cursor
            if progress is not None:
                progress(done, total, label)
            if should_stop is not None and should_stop():
                outcome.stopped = True
                break
    except Exception as e:
        outcome.error = str(e) or type(e).__name__
        _finish(source, outcome, acting_user, actor_label)
        if isinstance(e, VulndeskError):
            raise FeedSyncError(f"{source.name}: {outcome.error}", outcome=outcome) from e
        raise
    finally:
        _release(source, owner)
        if own_client and client is not None:
            client.close()
        shutil.rmtree(work_dir, ignore_errors=True)
    _finish(source, outcome, acting_user, actor_label)
    return outcome


#: one step of a sync: (store(acting_user, actor_label) -> counts, cursor, done, total, label)
_Step = tuple[Callable[[Any, str], StoreCounts], Any, int, int | None, str]


def _fetched_batches(kind: SourceKind, batches: Iterator[Any], work_dir: Path) -> Iterator[_Step]:
    for batch in batches:
        names = [d.name for d in batch.documents] + [f.name for f in batch.files]
        label = names[0] if len(names) == 1 else f"{len(names)} documents" if names else "-"

        def store(user: Any, actor: str, batch: Any = batch) -> StoreCounts:
            return store_batch(kind, batch, acting_user=user, actor_label=actor, work_dir=work_dir)

        yield store, dict(batch.cursor), batch.done, batch.total, label
        for file in batch.files:  # stored: the download is not needed any more
            file.path.unlink(missing_ok=True)


def _csaf_batches(source: FeedSource, base_url: str | None) -> Iterator[_Step]:
    """Yield the CSAF provider's accepted documents in groups; refused ones become problems.

    Documents that could not be fetched (a transport failure) are retried by the next run; when
    any remain, the run ends with an error naming the first, after the rest is stored.
    """
    start = fetchers.csaf_start(source.settings, base_url, source.name)
    cursor = SyncCursor.from_json(source.cursor) if source.cursor else None
    options = fetchers.csaf_options(source.settings, base_url)
    refused: list[str] = []
    failed: list[str] = []
    done = 0
    with CsafProviderSync(start, options=options, cursor=cursor) as sync:
        pending: list[RawDocument] = []
        urls: list[str] = []

        def step() -> _Step:
            documents, sources, problems = list(pending), list(urls), list(refused)
            pending.clear()
            urls.clear()
            refused.clear()

            def store(user: Any, actor: str) -> StoreCounts:
                counts = store_csaf(documents, sources=sources, acting_user=user, actor_label=actor)
                counts.problems += problems
                return counts

            return store, sync.cursor.to_json(), done, None, f"{len(documents)} CSAF documents"

        for result in sync:
            done += 1
            if result.status == "accepted" and result.data is not None:
                pending.append(RawDocument(result.path, result.data))
                urls.append(result.url)
            elif result.status == "rejected":
                refused.append(f"{result.path}: {result.reason}")
            else:
                failed.append(f"{result.path}: {result.reason}")
            if len(pending) >= CSAF_BATCH:
                yield step()
        # the iteration is complete: the cursor now moves past every listed document
        yield step()
    if failed:
        raise FeedSyncPartial(
            f"{len(failed)} CSAF document(s) could not be fetched and will be retried: {failed[0]}"
        )


class FeedSyncPartial(VulndeskError):
    """Some documents could not be fetched; the rest were stored."""


def _finish(
    source: FeedSource, outcome: FeedSyncOutcome, acting_user: Any, actor_label: str
) -> None:
    """Record the end of a sync run on its source, with an audit row."""
    now = timezone.now()
    changes: dict[str, Any] = {
        "last_counts": outcome.counts.as_dict(),
        "records_stored": source.records_stored + outcome.counts.created + outcome.counts.updated,
    }
    if outcome.error:
        changes |= {"last_error": outcome.error[:5000], "last_error_at": now}
    elif not outcome.stopped:
        changes |= {"last_success_at": now, "last_error": ""}
    with transaction.atomic():
        FeedSource.objects.filter(pk=source.pk).update(**changes)
        audit_record(
            action="feeds.sync.fail" if outcome.error else "feeds.sync",
            object_type="feed_source",
            object_id=source.name,
            data={
                "batches": outcome.batches,
                "stopped": outcome.stopped,
                "error": outcome.error,
                **outcome.counts.as_dict(),
            },
            acting_user=acting_user,
            actor_label=actor_label,
        )


@contextmanager
def stop_on_interrupt() -> Iterator[Callable[[], bool]]:
    """Yield a ``should_stop`` for :func:`feed_sync` that turns true at the first Ctrl-C.

    The first SIGINT only asks the sync to stop after the batch at hand (its cursor is then
    saved); a second one interrupts at once, as usual.
    """
    asked: list[bool] = []

    def handler(signum: int, frame: object) -> None:
        if asked:
            raise KeyboardInterrupt
        asked.append(True)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: bool(asked)
    finally:
        signal.signal(signal.SIGINT, previous)


# --- background syncs ----------------------------------------------------------------------------


def _pending(source: FeedSource) -> bool:
    """Return whether ``source`` has a sync job still queued or running."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if source.pending_job_id is None:
        return False
    task_id = Job.objects.filter(pk=source.pending_job_id).values_list("task_id", flat=True).first()
    if task_id is None:
        return False
    return DBTaskResult.objects.filter(
        pk=task_id, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).exists()


def feed_source_due(source: FeedSource, now: datetime) -> bool:
    """Return whether an enabled ``source``'s next scheduled sync is due at ``now``."""
    if not source.enabled:
        return False
    if source.running_since is not None and source.running_since >= now - CLAIM_STALE:
        return False
    return source.last_attempt_at is None or source.last_attempt_at + source.interval <= now


def _enqueue(source: FeedSource, acting_user: Any, actor_label: str, reason: str) -> Job:
    from vulndesk.server.feeds.tasks import sync_feed

    job = job_enqueue(
        task=sync_feed,
        kind=JobKind.FEED_SYNC,
        label=f"{source.name}",
        acting_user=acting_user,
        source_name=source.name,
    )
    FeedSource.objects.filter(pk=source.pk).update(pending_job=job)
    audit_record(
        action="feeds.sync.enqueue",
        object_type="feed_source",
        object_id=source.name,
        data={"job_id": job.pk, "reason": reason},
        acting_user=acting_user,
        actor_label=actor_label,
    )
    return job


@transaction.atomic
def feed_sync_enqueue(*, name: str, acting_user: Any = None, actor_label: str = "web") -> Job:
    """Queue a sync of source ``name`` now ("sync now"); return its job.

    When a sync of it is already queued or running, return that job instead of a second one.
    """
    source = feed_source_get(name=name)
    source = FeedSource.objects.select_for_update().get(pk=source.pk)
    if _pending(source):
        job = Job.objects.get(pk=source.pending_job_id)
        return job
    return _enqueue(source, acting_user, actor_label, "asked")


def feeds_schedule(*, now: datetime | None = None) -> list[Job]:
    """Queue a sync job for every enabled source that is due and has none; return the jobs."""
    now = now or timezone.now()
    jobs: list[Job] = []
    with transaction.atomic():
        sources = list(
            FeedSource.objects.select_for_update(skip_locked=True)
            .filter(enabled=True)
            .order_by("name")
        )
        for source in sources:
            if feed_source_due(source, now) and not _pending(source):
                jobs.append(_enqueue(source, None, "scheduler", "due"))
    return jobs

"""Reading what the pages show when it spans apps: the dashboard, jobs with their task states, a
product's and a release's page, and the choices forms offer.

Each function takes the requesting ``user`` and returns only what they may see: the permission
filter runs in SQL (``accounts.permissions``), and a hidden object is None, which views answer
with 404. The apps' own selectors do the counting and listing; this module puts a page together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.tasks import TaskResultStatus
from django.utils import timezone

from vulndesk.server.accounts.models import Team
from vulndesk.server.accounts.permissions import (
    product_role,
    restrict_to_visible,
    visible_product_ids,
    visible_products,
)
from vulndesk.server.advisories.models import FeedImport
from vulndesk.server.advisories.selectors import AdvisoryOverview, advisory_overview
from vulndesk.server.findings.models import Finding
from vulndesk.server.findings.selectors import (
    FindingFilters,
    finding_list,
    finding_priority_counts,
    finding_severity_counts,
    snapshots,
)
from vulndesk.server.inventory.models import (
    Product,
    ProductGrant,
    Release,
    Role,
    SbomDocument,
    Tag,
)
from vulndesk.server.inventory.selectors import product_get, release_get, release_list, sbom_list
from vulndesk.server.jobs.models import Job
from vulndesk.server.jobs.selectors import jobs_visible, jobs_with_state
from vulndesk.server.web.collation import sorted_by_name
from vulndesk.server.web.paging import OffsetPage, offset_page

#: a feed import older than this is stale: advisories published since are missing
FEED_STALE_AFTER = timedelta(days=2)
#: a job still waiting after this long suggests that no worker is running
JOB_WAITING_TOO_LONG = timedelta(minutes=1)
#: the severities the risk chart draws, most severe first
CHART_SEVERITIES = ("critical", "high", "medium", "low")
#: how far back the risk chart reaches
HISTORY_DAYS = 30


@dataclass(frozen=True, slots=True)
class JobState:
    """A job with the state of its task (``DBTaskResult``): what the jobs pages show."""

    job: Job
    status: str  # a TaskResultStatus value; "" when the task row is gone
    started_at: datetime | None
    finished_at: datetime | None
    error: str  # the exception's message when the task failed
    traceback: str

    @property
    def finished(self) -> bool:
        """Return whether the task has ended, well or not (or is gone: nothing more will come)."""
        return self.status not in {TaskResultStatus.READY, TaskResultStatus.RUNNING}

    @property
    def percent(self) -> int | None:
        """Return how far the job has got in percent, None when it does not know its total."""
        if self.status == TaskResultStatus.SUCCESSFUL:
            return 100
        job = self.job
        if not job.progress_total:
            return None
        return min(100, int(100 * job.progress_done / job.progress_total))

    @property
    def waiting_too_long(self) -> bool:
        """Return whether the job has waited for a worker longer than it should."""
        return (
            self.status == TaskResultStatus.READY
            and timezone.now() - self.job.created_at > JOB_WAITING_TOO_LONG
        )


def _error_message(exception_path: str, traceback: str) -> str:
    """Return the message of the exception a failed task raised (its traceback's last line,
    without the exception's class: the SBOM reader's message reads as it was written)."""
    lines = [line for line in traceback.strip().splitlines() if line.strip()]
    if not lines:
        return exception_path
    last = lines[-1].strip()
    for prefix in (f"{exception_path}: ", f"{exception_path.rsplit('.', 1)[-1]}: "):
        if exception_path and last.startswith(prefix):
            return last[len(prefix) :]
    return last


def job_state(job: Job) -> JobState:
    """Return the state of a job annotated by ``jobs.selectors.jobs_with_state``."""
    status = getattr(job, "task_status", None) or ""
    failed = status == TaskResultStatus.FAILED
    traceback = getattr(job, "task_traceback", "") or ""
    return JobState(
        job=job,
        status=status,
        started_at=getattr(job, "task_started_at", None),
        finished_at=getattr(job, "task_finished_at", None),
        error=_error_message(getattr(job, "task_exception", "") or "", traceback) if failed else "",
        traceback=traceback if failed else "",
    )


def job_page(*, user: Any, offset: int, limit: int) -> OffsetPage:
    """Return a page of the jobs ``user`` may see, newest first, as :class:`JobState` items."""
    page = offset_page(jobs_visible(user=user), offset=offset, limit=limit)
    return OffsetPage([job_state(j) for j in page.items], page.offset, page.limit, page.has_next)


def job_get(*, user: Any, job_id: int) -> JobState | None:
    """Return one job with its state if ``user`` may see it."""
    job = jobs_visible(user=user).filter(id=job_id).first()
    return job_state(job) if job is not None else None


def sbom_jobs(*, sbom_ids: Sequence[int]) -> dict[int, JobState]:
    """Return the analysis job of each SBOM that has one, by SBOM id."""
    if not sbom_ids:
        return {}
    job_ids = dict(
        SbomDocument.objects.filter(id__in=list(sbom_ids), analysis_job__isnull=False).values_list(
            "analysis_job_id", "id"
        )
    )
    jobs = jobs_with_state(Job.objects.filter(id__in=list(job_ids)))
    return {job_ids[job.pk]: job_state(job) for job in jobs}


@dataclass(frozen=True, slots=True)
class FeedFreshness:
    """When advisories were last imported, and whether that is too long ago."""

    last_import: FeedImport | None
    at: datetime | None
    age: timedelta | None
    stale: bool


def feed_freshness(*, now: datetime | None = None) -> FeedFreshness:
    """Return when the newest feed import finished (started, if it has no end time)."""
    now = now or timezone.now()
    last = FeedImport.objects.order_by("-started_at", "-id").first()
    if last is None:
        return FeedFreshness(None, None, None, stale=True)
    at = last.finished_at or last.started_at
    age = max(now - at, timedelta(0))
    return FeedFreshness(last, at, age, stale=age > FEED_STALE_AFTER)


#: one point of the risk chart: a moment and the active findings per severity then
HistoryPoint = tuple[datetime, dict[str, int]]


def risk_history(*, user: Any, now: datetime | None = None) -> tuple[list[HistoryPoint], bool]:
    """Return active findings per severity over the last HISTORY_DAYS, oldest first, and
    whether the points cover the whole portfolio.

    A user who sees everything gets the portfolio snapshots (a handful of rows however large the
    portfolio). Snapshots count every product, so anyone else gets the history recomputed from
    the findings they may see: a finding counts from ``first_seen`` until ``resolved_at``. (One
    that was resolved and came back counts from its first sighting.)
    """
    now = now or timezone.now()
    since = now - timedelta(days=HISTORY_DAYS)
    if visible_product_ids(user) is None:
        points = [
            (s.taken_at, {k: int(v) for k, v in s.counts.items()})
            for s in snapshots(limit=500)
            if s.taken_at >= since
        ]
        return points, True
    moments = [since + timedelta(days=day) for day in range(HISTORY_DAYS)] + [now]
    aggregates = {}
    for i, moment in enumerate(moments):
        alive = Q(first_seen__lte=moment) & (
            Q(resolved_at__isnull=True) | Q(resolved_at__gt=moment)
        )
        for severity in CHART_SEVERITIES:
            aggregates[f"p{i}_{severity}"] = Count("id", filter=alive & Q(severity=severity))
    findings = restrict_to_visible(
        Finding.objects.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=since)), user
    )
    counts = findings.aggregate(**aggregates)
    points = [
        (moment, {s: counts[f"p{i}_{s}"] or 0 for s in CHART_SEVERITIES})
        for i, moment in enumerate(moments)
    ]
    return points, False


@dataclass(frozen=True, slots=True)
class Dashboard:
    """What the dashboard shows."""

    severity_counts: dict[str, int]
    active_total: int
    # active findings per SSVC priority ("none": not assessed) and "overdue": past due
    priority_counts: dict[str, int]
    history: list[HistoryPoint]
    history_is_portfolio: bool
    top_findings: list[Finding]
    freshness: FeedFreshness
    jobs: list[JobState]
    overview: AdvisoryOverview


def dashboard_get(*, user: Any, top: int = 10, jobs: int = 6) -> Dashboard:
    """Return the dashboard of ``user``: their risk now and over time, the most severe newest
    findings, how fresh the advisories are, and recent jobs."""
    counts = finding_severity_counts(user=user)
    history, whole = risk_history(user=user)
    return Dashboard(
        severity_counts=counts,
        active_total=sum(counts.values()),
        priority_counts=finding_priority_counts(user=user),
        history=history,
        history_is_portfolio=whole,
        top_findings=list(finding_list(user=user, filters=FindingFilters())[:top]),
        freshness=feed_freshness(),
        jobs=[job_state(job) for job in jobs_visible(user=user)[:jobs]],
        overview=advisory_overview(imports=5),
    )


@dataclass(frozen=True, slots=True)
class ProductPage:
    """A product with everything its page shows."""

    product: Product
    role: Role
    parent: Product | None  # None also when the user may not see the parent
    children: list[Product]
    releases: list[Release]
    grants: list[ProductGrant]
    severity_counts: dict[str, int]

    @property
    def active_total(self) -> int:
        """Return the product's active findings."""
        return sum(self.severity_counts.values())


def product_page(*, user: Any, product_id: int) -> ProductPage | None:
    """Return the page of a product ``user`` may see, else None."""
    product = product_get(user=user, product_id=product_id)
    if product is None:
        return None
    role = product_role(user, product)
    assert role is not None  # product_get found it, so the user holds a role
    visible = visible_products(user)
    parent = visible.filter(id=product.parent_id).first() if product.parent_id else None
    return ProductPage(
        product=product,
        role=role,
        parent=parent,
        children=sorted_by_name(visible.filter(parent=product), lambda p: p.name),
        releases=list(release_list(user=user, product_id=product.pk)),
        grants=sorted_by_name(
            ProductGrant.objects.filter(product=product).select_related("team"),
            lambda g: g.team.name,
        ),
        severity_counts=finding_severity_counts(user=user, product_id=product.pk),
    )


@dataclass(frozen=True, slots=True)
class SbomRow:
    """An uploaded SBOM and its analysis job (None for SBOMs stored without one)."""

    sbom: SbomDocument
    job: JobState | None


@dataclass(frozen=True, slots=True)
class ReleasePage:
    """A release with everything its page shows but the components (a list of their own)."""

    release: Release
    role: Role
    sboms: list[SbomRow]
    severity_counts: dict[str, int]
    findings: list[Finding]
    more_findings: bool

    @property
    def active_total(self) -> int:
        """Return the release's active findings."""
        return sum(self.severity_counts.values())

    @property
    def analysing(self) -> bool:
        """Return whether an SBOM of the release is still waiting for or in analysis."""
        return any(row.job is not None and not row.job.finished for row in self.sboms)


def release_page(*, user: Any, release_id: int, findings: int = 20) -> ReleasePage | None:
    """Return the page of a release ``user`` may see, else None."""
    release = release_get(user=user, release_id=release_id)
    if release is None:
        return None
    role = product_role(user, release.product)
    assert role is not None
    documents = list(sbom_list(release=release).select_related("uploaded_by"))
    jobs = sbom_jobs(sbom_ids=[d.pk for d in documents])
    listed = list(
        finding_list(user=user, filters=FindingFilters(release_id=release.pk))[: findings + 1]
    )
    return ReleasePage(
        release=release,
        role=role,
        sboms=[SbomRow(d, jobs.get(d.pk)) for d in documents],
        severity_counts=finding_severity_counts(user=user, release_id=release.pk),
        findings=listed[:findings],
        more_findings=len(listed) > findings,
    )


def findings_selected(*, user: Any, ids: Sequence[int]) -> QuerySet[Finding]:
    """Return the findings among ``ids`` that ``user`` may see (any status), most severe first."""
    findings = restrict_to_visible(Finding.objects.filter(id__in=list(ids)), user)
    return findings.select_related("product", "release").order_by("-severity_rank", "-id")


def product_choices(*, user: Any) -> list[tuple[int, str]]:
    """Return (id, name) of the products ``user`` may see, by name."""
    return sorted_by_name(visible_products(user).values_list("id", "name"), lambda p: p[1])


def tag_choices(*, user: Any) -> list[str]:
    """Return the names of the tags on products ``user`` may see, by name."""
    tags = Tag.objects.filter(products__in=visible_products(user)).values_list("name", flat=True)
    return sorted_by_name(set(tags))


def team_choices(*, user: Any) -> list[Team]:
    """Return the teams ``user`` may make a product's owners: their own (any, for superusers)."""
    teams = Team.objects.select_related("organisation")
    if not user.is_superuser:
        teams = teams.filter(members=user)
    return sorted_by_name(teams, lambda t: f"{t.organisation.name} / {t.name}")


def grantable_teams(*, product: Product) -> list[Team]:
    """Return the teams of the product's organisation, by name (who may be granted a role)."""
    return sorted_by_name(Team.objects.filter(organisation=product.organisation), lambda t: t.name)


def parent_choices(*, user: Any, product: Product | None = None) -> list[tuple[int, str]]:
    """Return (id, name) of the products ``user`` may see that could contain ``product``."""
    choices = product_choices(user=user)
    return [c for c in choices if product is None or c[0] != product.pk]


def product_name_taken(*, product: Product, name: str) -> bool:
    """Return whether another product of ``product``'s organisation is called ``name``."""
    others = Product.objects.filter(organisation=product.organisation, name=name)
    return others.exclude(pk=product.pk).exists()


def owner_choices(*, product: Product) -> list[Any]:
    """Return the people who may answer for ``product``: members of the teams granted on it."""
    users = get_user_model().objects.filter(is_active=True)
    people = users.filter(
        Q(vulndesk_teams__grants__product=product) | Q(pk=product.owner_id)
    ).distinct()
    return sorted_by_name(people, lambda u: u.get_username())

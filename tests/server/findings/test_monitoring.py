"""Continuous monitoring on a real database: SBOM analysis, re-matching after feed imports,
findings appearing, staying, resolving and coming back, and the jobs that do it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django_tasks_db.models import DBTaskResult

from vulndesk.core.errors import InputError
from vulndesk.server.advisories.services import feeds_import
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.findings.models import Finding, FindingStatus
from vulndesk.server.findings.services import (
    LAST_SEEN_RESOLUTION,
    findings_match,
    findings_rematch_all,
    snapshot_take,
)
from vulndesk.server.inventory.models import (
    Component,
    ComponentIdentity,
    IdentityLookup,
    Release,
    SbomDocument,
    SbomStatus,
)
from vulndesk.server.inventory.services import (
    product_create,
    release_create,
    sbom_upload,
)
from vulndesk.server.jobs.models import Job

pytestmark = pytest.mark.django_db


def advisory(
    ident: str,
    package: str,
    fixed: str,
    *,
    modified: str = "2024-01-01T00:00:00Z",
    aliases: list[str] | None = None,
    severity: str | None = None,
    withdrawn: str | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": ident,
        "modified": modified,
        "aliases": aliases or [],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": package},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }
    if severity:
        doc["severity"] = [{"type": "CVSS_V3", "score": severity}]
    if withdrawn:
        doc["withdrawn"] = withdrawn
    return doc


def sbom(*packages: tuple[str, str]) -> bytes:
    """Return a CycloneDX 1.5 JSON SBOM listing PyPI ``(name, version)`` packages."""
    return json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "version": 1,
            "components": [
                {
                    "type": "library",
                    "name": n,
                    "version": v,
                    "purl": f"pkg:pypi/{n}@{v}",
                    "bom-ref": f"{n}@{v}",
                }
                for n, v in packages
            ],
        }
    ).encode()


@pytest.fixture
def admin(db: None) -> Any:
    return get_user_model().objects.create_superuser("admin", password="x-long-password-1")


@pytest.fixture
def import_osv(tmp_path: Path) -> Callable[..., Any]:
    def run(*docs: dict[str, Any]) -> Any:
        folder = tmp_path / f"osv{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        for doc in docs:
            (folder / f"{doc['id']}.json").write_text(json.dumps(doc))
        return feeds_import(paths=[folder], actor_label="test")

    return run


CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def make_release(admin: Any, product: str, version: str, content: bytes) -> Release:
    p = product_create(name=product, acting_user=admin)
    release = release_create(product=p, version=version, acting_user=admin)
    sbom_upload(release=release, file_name="app.cdx.json", content=content, acting_user=admin)
    return release


def active(release: Release) -> dict[str, str]:
    return dict(
        Finding.objects.filter(release=release, status=FindingStatus.ACTIVE).values_list(
            "vulnerability_id", "component_name"
        )
    )


def test_upload_queues_a_job_whose_analysis_stores_components_and_findings(
    admin: Any, import_osv: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    import_osv(advisory("PYSEC-1", "requests", "2.31.0", severity=CRITICAL, aliases=["CVE-1"]))
    release = make_release(admin, "Shop", "1.0", sbom(("requests", "2.28.1"), ("idna", "3.4")))
    document = SbomDocument.objects.get(release=release)
    assert document.status == SbomStatus.PENDING
    assert bytes(document.content) == sbom(("requests", "2.28.1"), ("idna", "3.4"))
    job = Job.objects.get()
    assert job.product_id == release.product_id
    assert document.analysis_job_id == job.pk

    assert run_jobs() == 1
    document.refresh_from_db()
    assert document.status == SbomStatus.ANALYSED
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"
    assert Component.objects.filter(release=release, active=True).count() == 2
    finding = Finding.objects.get(release=release)
    assert (finding.vulnerability_id, finding.severity, finding.fixed_versions) == (
        "CVE-1",
        "critical",
        ["2.31.0"],
    )
    assert finding.first_seen == finding.last_seen
    assert finding.notified_at is None  # waiting for the notifier
    assert AuditEvent.objects.filter(action="sbom.analyse", object_id=str(document.pk)).exists()


def test_bad_sbom_is_refused_with_the_readers_message_and_nothing_is_stored(admin: Any) -> None:
    product = product_create(name="Shop", acting_user=admin)
    release = release_create(product=product, version="1.0", acting_user=admin)
    audit_before = AuditEvent.objects.count()
    with pytest.raises(InputError, match=r"broken\.json"):
        sbom_upload(
            release=release,
            file_name="broken.json",
            content=b'{"bomFormat": "Cyclo',
            acting_user=admin,
        )
    assert not SbomDocument.objects.exists()
    assert not Job.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_a_new_advisory_reaches_every_release_using_the_package_and_no_other(
    admin: Any, import_osv: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    one = make_release(admin, "Shop", "1.0", sbom(("jinja2", "3.1.2"), ("idna", "3.4")))
    two = make_release(admin, "Blog", "2.0", sbom(("jinja2", "3.1.2")))
    other = make_release(admin, "Api", "3.0", sbom(("jinja2", "3.1.4"), ("idna", "3.4")))
    run_jobs()
    # one identity shared by both releases, filed under its lookup key
    identity = ComponentIdentity.objects.get(key="pkg:pypi/jinja2@3.1.2")
    assert identity.components.count() == 2
    assert IdentityLookup.objects.filter(
        identity=identity, ecosystem="PyPI", name="jinja2"
    ).exists()

    outcome = import_osv(advisory("GHSA-new", "jinja2", "3.1.3"))
    assert ("PyPI", "jinja2") in outcome.touched
    job = Job.objects.get(kind="rematch")
    assert run_jobs() == 1
    assert DBTaskResult.objects.get(id=job.task_id).return_value["new"] == 2
    assert active(one) == {"GHSA-new": "jinja2"}
    assert active(two) == {"GHSA-new": "jinja2"}
    assert active(other) == {}

    # an import that touches no package in use enqueues nothing
    import_osv(advisory("GHSA-elsewhere", "flask", "9.0"))
    assert Job.objects.filter(kind="rematch").count() == 1


def test_findings_resolve_when_no_longer_matched_and_come_back(
    admin: Any, import_osv: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    import_osv(advisory("GHSA-a", "urllib3", "1.26.17"))
    release = make_release(admin, "Shop", "1.0", sbom(("urllib3", "1.26.12")))
    run_jobs()
    finding = Finding.objects.get()
    first_seen = finding.first_seen
    Finding.objects.update(notified_at=first_seen)  # as if notified

    # the advisory is corrected: the version is no longer affected
    import_osv(advisory("GHSA-a", "urllib3", "1.26.0", modified="2024-02-01T00:00:00Z"))
    run_jobs()
    finding.refresh_from_db()
    assert (finding.status, finding.resolved_at is not None) == ("resolved", True)

    # corrected back: the same row is active again, first seen unchanged, to be notified again
    import_osv(advisory("GHSA-a", "urllib3", "1.26.17", modified="2024-03-01T00:00:00Z"))
    run_jobs()
    finding.refresh_from_db()
    assert (finding.status, finding.resolved_at, finding.first_seen) == ("active", None, first_seen)
    assert finding.notified_at is None
    assert Finding.objects.count() == 1

    # withdrawn: resolved
    import_osv(
        advisory(
            "GHSA-a",
            "urllib3",
            "1.26.17",
            modified="2024-04-01T00:00:00Z",
            withdrawn="2024-04-01T00:00:00Z",
        )
    )
    run_jobs()
    finding.refresh_from_db()
    assert finding.status == "resolved"
    assert release.findings.count() == 1  # history kept


def test_a_new_sbom_keeps_first_seen_and_resolves_what_it_dropped(
    admin: Any, import_osv: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    import_osv(
        advisory("GHSA-r", "requests", "2.31.0", severity=CRITICAL),
        advisory("GHSA-y", "pyyaml", "5.4"),
    )
    release = make_release(admin, "Shop", "1.0", sbom(("requests", "2.28.1"), ("pyyaml", "5.3.1")))
    run_jobs()
    before = dict(Finding.objects.values_list("vulnerability_id", "first_seen"))

    # the next SBOM of the same release upgraded pyyaml away
    sbom_upload(
        release=release,
        file_name="v2.cdx.json",
        content=sbom(("requests", "2.28.1"), ("pyyaml", "6.0.1")),
        acting_user=admin,
    )
    run_jobs()
    assert active(release) == {"GHSA-r": "requests"}
    kept = Finding.objects.get(vulnerability_id="GHSA-r")
    assert kept.first_seen == before["GHSA-r"]
    # last seen moves on to the hour: a run an hour and more later moves it
    assert kept.last_seen == kept.first_seen
    later = kept.first_seen + LAST_SEEN_RESOLUTION + timedelta(minutes=1)
    findings_match(identity_ids=[kept.identity_id], now=later)
    kept.refresh_from_db()
    assert (kept.first_seen, kept.last_seen) == (before["GHSA-r"], later)
    dropped = Finding.objects.get(vulnerability_id="GHSA-y")
    assert dropped.status == "resolved"
    assert not dropped.component.active
    statuses = list(SbomDocument.objects.order_by("id").values_list("status", flat=True))
    assert statuses == ["superseded", "analysed"]
    release.refresh_from_db()
    assert release.component_count == 2  # the current SBOM's; the dropped one is kept inactive


def test_full_rematch_changes_nothing_when_nothing_changed_and_fixes_drift(
    admin: Any, import_osv: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    import_osv(advisory("GHSA-r", "requests", "2.31.0"))
    make_release(admin, "Shop", "1.0", sbom(("requests", "2.28.1")))
    run_jobs()
    assert findings_rematch_all().as_dict() == {
        "identities": 1,
        "new": 0,
        "reopened": 0,
        "changed": 0,
        "resolved": 0,
    }
    # content drift (a row edited behind matching's back) is rewritten
    Finding.objects.update(fixed_versions=["9"], digest="stale")
    assert findings_rematch_all().changed == 1
    assert Finding.objects.get().fixed_versions == ["2.31.0"]


def test_snapshot_counts_active_findings_per_severity(
    admin: Any, import_osv: Callable[..., Any], run_jobs: Callable[[], int]
) -> None:
    import_osv(advisory("GHSA-r", "requests", "2.31.0", severity=CRITICAL))
    make_release(admin, "Shop", "1.0", sbom(("requests", "2.28.1")))
    run_jobs()
    snapshot = snapshot_take()
    assert snapshot.counts == {"critical": 1}
    assert snapshot.releases_affected == 1
    # one snapshot per hour: taking another in the same hour updates it
    assert snapshot_take().pk == snapshot.pk

"""Findings from every source and their exploitation data: a CPE-identified component found by
an NVD import (medium confidence), KEV setting and clearing ``Finding.kev``, EPSS scores,
history and jumps — on a real database, through the re-match job."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from vulndesk.core.errors import InputError
from vulndesk.core.scoring.kev import read_kev
from vulndesk.server.advisories.models import EpssHistory, EpssScore, FeedImport, KevEntry
from vulndesk.server.advisories.services import epss_import, feeds_import, kev_import
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.findings.models import Finding, GroupEpss
from vulndesk.server.inventory.models import Release
from vulndesk.server.inventory.services import product_create, release_create, sbom_upload

pytestmark = pytest.mark.django_db

KEV_FILE = Path("/work/shared/data/kev/known_exploited_vulnerabilities.json")


@pytest.fixture
def admin(db: None) -> Any:
    return get_user_model().objects.create_superuser("admin", password="x-long-password-1")


def release_with(admin: Any, components: list[dict[str, Any]]) -> Release:
    content = json.dumps(
        {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": components}
    ).encode()
    product = product_create(name="Plant", acting_user=admin)
    release = release_create(product=product, version="1.0", acting_user=admin)
    sbom_upload(release=release, file_name="plant.cdx.json", content=content, acting_user=admin)
    return release


def pypi(name: str, version: str) -> dict[str, Any]:
    return {
        "type": "library",
        "name": name,
        "version": version,
        "purl": f"pkg:pypi/{name}@{version}",
        "bom-ref": name,
    }


def osv_file(tmp_path: Path, ident: str, package: str, aliases: list[str]) -> Path:
    folder = tmp_path / f"osv-{ident}"
    folder.mkdir()
    (folder / f"{ident}.json").write_text(
        json.dumps(
            {
                "id": ident,
                "modified": "2024-01-01T00:00:00Z",
                "aliases": aliases,
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": package},
                        "ranges": [
                            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9"}]}
                        ],
                    }
                ],
            }
        )
    )
    return folder


def nvd_file(tmp_path: Path, cve_id: str) -> Path:
    page = {
        "resultsPerPage": 1,
        "startIndex": 0,
        "totalResults": 1,
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": "2024-05-02T09:12:44.123",
        "vulnerabilities": [
            {
                "cve": {
                    "id": cve_id,
                    "published": "2024-01-10T15:15:08.853",
                    "lastModified": "2024-04-01T12:00:00.000",
                    "vulnStatus": "Analyzed",
                    "descriptions": [{"lang": "en", "value": "Router Manager overflow."}],
                    "configurations": [
                        {
                            "nodes": [
                                {
                                    "operator": "OR",
                                    "negate": False,
                                    "cpeMatch": [
                                        {
                                            "vulnerable": True,
                                            "criteria": "cpe:2.3:a:example:router_manager:"
                                            "*:*:*:*:*:*:*:*",
                                            "versionEndExcluding": "2.4.1",
                                        }
                                    ],
                                }
                            ]
                        }
                    ],
                }
            }
        ],
    }
    path = tmp_path / "nvd.json"
    path.write_text(json.dumps(page))
    return path


def epss_file(tmp_path: Path, name: str, day: str, scores: dict[str, float]) -> Path:
    lines = [f"#model_version:v2025.03.14,score_date:{day}T12:55:00Z", "cve,epss,percentile"]
    lines += [f"{cve},{epss:.5f},0.50000" for cve, epss in scores.items()]
    path = tmp_path / name
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return path


def test_a_cpe_identified_component_gets_a_medium_confidence_finding_from_nvd(
    admin: Any, tmp_path: Path, run_jobs: Callable[[], int]
) -> None:
    release = release_with(
        admin,
        [
            {
                "type": "application",
                "name": "router_manager",
                "version": "2.2.0",
                "cpe": "cpe:2.3:a:example:router_manager:2.2.0:*:*:*:*:*:*:*",
                "bom-ref": "rm",
            }
        ],
    )
    run_jobs()
    assert not Finding.objects.exists()

    outcome = feeds_import(paths=[nvd_file(tmp_path, "CVE-2024-5555")])
    assert ("cpe", "example:router_manager") in outcome.touched
    assert outcome.rematch_job_id is not None
    assert run_jobs() == 1
    finding = Finding.objects.get(release=release)
    assert (finding.vulnerability_id, finding.confidence) == ("CVE-2024-5555", "medium")
    assert finding.advisory_ids == ["CVE-2024-5555"]


@pytest.mark.skipif(not KEV_FILE.is_file(), reason=f"no KEV catalog at {KEV_FILE}")
def test_kev_import_sets_finding_kev_and_a_removed_entry_clears_it(
    admin: Any, tmp_path: Path, run_jobs: Callable[[], int]
) -> None:
    catalog = read_kev(KEV_FILE)
    listed = catalog.entries[0].cve_id
    feeds_import(paths=[osv_file(tmp_path, "GHSA-kev", "requests", [listed])])
    release = release_with(admin, [pypi("requests", "2.0")])
    run_jobs()
    finding = Finding.objects.get(release=release)
    assert (finding.vulnerability_id, finding.kev) == (listed, False)

    outcome = kev_import(path=KEV_FILE)
    assert len(outcome.added) == len(catalog.entries) == KevEntry.objects.count()
    assert outcome.removed == [] and outcome.findings_updated == 1
    finding.refresh_from_db()
    assert finding.kev is True
    assert FeedImport.objects.get(format="kev").created == len(catalog.entries)
    assert AuditEvent.objects.filter(action="feeds.kev_import").count() == 1

    # the same catalog again: nothing changes
    again = kev_import(path=KEV_FILE)
    assert (again.added, again.removed, again.unchanged) == ([], [], len(catalog.entries))

    # CISA drops the entry: it is removed, said so, and the finding loses its flag
    smaller = replace(catalog, entries=catalog.entries[1:], version="2099.01.01")
    dropped = kev_import(catalog=smaller)
    assert dropped.removed == [listed]
    assert not KevEntry.objects.filter(cve_id=listed).exists()
    assert set(KevEntry.objects.values_list("catalog_version", flat=True)) == {"2099.01.01"}
    finding.refresh_from_db()
    assert finding.kev is False
    assert FeedImport.objects.filter(format="kev").first().removed == 1  # type: ignore[union-attr]


def test_new_findings_get_kev_and_epss_when_matching_writes_them(
    admin: Any, tmp_path: Path, run_jobs: Callable[[], int]
) -> None:
    kev = tmp_path / "kev.csv"
    kev.write_text(
        "cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,"
        "requiredAction,dueDate,knownRansomwareCampaignUse,notes,cwes\n"
        "CVE-2024-2002,Example,Lib,Lib RCE,2024-02-01,RCE.,Patch.,2024-02-22,Known,,CWE-94\n"
    )
    kev_import(path=kev)
    epss_import(
        path=epss_file(
            tmp_path, "e.csv.gz", "2026-11-20", {"CVE-2024-2001": 0.2, "CVE-2024-2002": 0.6}
        )
    )
    # one vulnerability known by two CVE ids: its key is the smaller, its scores any of them
    feeds_import(paths=[osv_file(tmp_path, "GHSA-two", "idna", ["CVE-2024-2001", "CVE-2024-2002"])])
    release = release_with(admin, [pypi("idna", "1.0")])
    run_jobs()
    finding = Finding.objects.get(release=release)
    assert (finding.vulnerability_id, finding.kev, finding.epss) == ("CVE-2024-2001", True, 0.6)


def test_epss_import_sets_scores_history_on_moves_and_lists_jumps(
    admin: Any, tmp_path: Path, run_jobs: Callable[[], int]
) -> None:
    feeds_import(paths=[osv_file(tmp_path, "GHSA-one", "idna", ["CVE-2024-3001"])])
    feeds_import(
        paths=[osv_file(tmp_path, "GHSA-two", "jinja2", ["CVE-2024-3002", "CVE-2024-3003"])]
    )
    release = release_with(admin, [pypi("idna", "1.0"), pypi("jinja2", "1.0")])
    run_jobs()
    assert set(Finding.objects.values_list("vulnerability_id", "group_epss__epss")) == {
        ("CVE-2024-3001", None),
        ("CVE-2024-3002", None),
    }

    first = epss_import(
        path=epss_file(
            tmp_path,
            "day1.csv.gz",
            "2026-11-20",
            {
                "CVE-2024-3001": 0.10,
                "CVE-2024-3002": 0.01,
                "CVE-2024-3003": 0.30,
                "CVE-2024-9999": 0.5,
            },
        )
    )
    assert (first.created, first.updated, first.history_rows, first.jumps) == (4, 0, 4, [])
    assert first.model_version == "v2025.03.14" and str(first.score_date) == "2026-11-20"
    epss = dict(
        Finding.objects.filter(release=release).values_list("vulnerability_id", "group_epss__epss")
    )
    # the two-CVE group gets the higher score of its CVEs
    assert epss == {"CVE-2024-3001": 0.1, "CVE-2024-3002": 0.3}

    second = epss_import(
        path=epss_file(
            tmp_path,
            "day2.csv.gz",
            "2026-11-21",
            # 3001: +0.005 (below both thresholds); 3002: 0.01 -> 0.013 (+30%); 3003: jumps
            {
                "CVE-2024-3001": 0.105,
                "CVE-2024-3002": 0.013,
                "CVE-2024-3003": 0.45,
                "CVE-2024-9999": 0.5,
            },
        )
    )
    assert (second.created, second.updated, second.unchanged) == (0, 4, 0)  # dates moved
    assert [(j.cve_id, j.previous, j.epss) for j in second.jumps] == [("CVE-2024-3003", 0.3, 0.45)]
    assert second.history_rows == 2
    history = sorted(EpssHistory.objects.values_list("cve_id", "score_date", "epss"))
    assert [(c, str(d), e) for c, d, e in history if str(d) == "2026-11-21"] == [
        ("CVE-2024-3002", "2026-11-21", 0.013),
        ("CVE-2024-3003", "2026-11-21", 0.45),
    ]
    epss = dict(
        Finding.objects.filter(release=release).values_list("vulnerability_id", "group_epss__epss")
    )
    assert epss == {"CVE-2024-3001": 0.105, "CVE-2024-3002": 0.45}

    # small steps add up: measured from the last recorded score (0.10), not yesterday's
    third = epss_import(
        path=epss_file(tmp_path, "day3.csv.gz", "2026-11-22", {"CVE-2024-3001": 0.111})
    )
    assert third.history_rows == 1
    assert EpssScore.objects.get(cve_id="CVE-2024-3001").recorded_epss == 0.111
    assert FeedImport.objects.filter(format="epss").count() == 3
    assert AuditEvent.objects.filter(action="feeds.epss_import").count() == 3


def test_a_truncated_epss_file_stores_nothing(tmp_path: Path) -> None:
    good = epss_file(
        tmp_path, "e.csv.gz", "2026-11-20", {f"CVE-2024-{4000 + i}": 0.1 for i in range(20000)}
    )
    cut = tmp_path / "cut.csv.gz"
    data = good.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut\.csv\.gz"):
        epss_import(path=cut)
    assert not EpssScore.objects.exists()
    assert not EpssHistory.objects.exists()
    assert not FeedImport.objects.exists()


def test_a_bad_epss_row_is_reported_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text(
        "#model_version:v2025.03.14,score_date:2026-11-20T12:55:00Z\ncve,epss,percentile\n"
        "CVE-2024-1000,0.5,0.9\nCVE-2024-1001,7,0.9\n"
    )
    outcome = feeds_import(paths=[path])  # told apart by its first line
    (epss,) = outcome.epss
    assert (epss.read, epss.created) == (2, 1)
    assert epss.problems[0].location == f"{path}:4"


def test_an_ics_sbom_uploaded_to_a_release_gets_csaf_findings_by_cpe_and_by_name(
    admin: Any, run_jobs: Callable[[], int]
) -> None:
    """The server's path (identities, then re-match) reads what the scan reads: a component
    named only by supplier and product finds CISA's CSAF advisory for it, at low confidence."""
    from support import FIXTURES, shared_data

    cisa = shared_data("csaf/cisa-ot")
    sbom = FIXTURES / "sbom/ics-products.cdx.json"
    product = product_create(name="Substation", acting_user=admin)
    release = release_create(product=product, version="2026.1", acting_user=admin)
    sbom_upload(release=release, file_name=sbom.name, content=sbom.read_bytes(), acting_user=admin)
    run_jobs()
    feeds_import(paths=[cisa], format="csaf")
    run_jobs()
    found = {
        (f.component_name, f.vulnerability_id): f.confidence
        for f in Finding.objects.filter(release=release, status="active")
    }
    igss = "IGSS Data Server (IGSSdataServer.exe)"
    assert found[(igss, "CVE-2022-24310")] == "low"  # supplier and product names alone
    assert found[("SICAM A8000 CP-8031", "CVE-2022-27480")] == "low"  # CSAF names it by name
    # the look-alike product of another vendor gets nothing
    lookalike = Finding.objects.filter(
        release=release, component__identity__supplier__startswith="Acme"
    )
    assert not lookalike.exists()


def test_an_epss_day_rewrites_the_groups_scores_not_the_findings(
    admin: Any, tmp_path: Path, run_jobs: Callable[[], int]
) -> None:
    feeds_import(paths=[osv_file(tmp_path, "GHSA-one", "idna", ["CVE-2024-3001"])])
    release_with(admin, [pypi("idna", "1.0"), pypi("idna", "2.0") | {"bom-ref": "idna-2"}])
    run_jobs()
    epss_import(path=epss_file(tmp_path, "d1.csv.gz", "2026-11-20", {"CVE-2024-3001": 0.1}))
    finding_updates: list[tuple[str, int]] = []

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith("UPDATE") and "findings_finding" in sql:
            finding_updates.append((sql, context["cursor"].rowcount))
        return result

    with connection.execute_wrapper(watch):
        day = epss_import(
            path=epss_file(tmp_path, "d2.csv.gz", "2026-11-21", {"CVE-2024-3001": 0.2})
        )
    # one group changed; the priority refresh looked at its findings and wrote none of them
    assert day.groups_updated == 1
    assert [rows for _, rows in finding_updates if rows] == []
    assert sorted(Finding.objects.values_list("group_epss__epss", flat=True)) == [0.2, 0.2]
    assert GroupEpss.objects.get().epss == 0.2


@pytest.mark.django_db(transaction=True)
def test_0004_moves_the_findings_scores_to_their_groups_and_back(
    admin: Any, tmp_path: Path, run_jobs: Callable[[], int]
) -> None:
    feeds_import(paths=[osv_file(tmp_path, "GHSA-one", "idna", ["CVE-2024-3001"])])
    feeds_import(paths=[osv_file(tmp_path, "GHSA-two", "jinja2", ["CVE-2024-3002"])])
    release_with(admin, [pypi("idna", "1.0"), pypi("jinja2", "1.0"), pypi("jinja2", "2.0")])
    run_jobs()
    epss_import(path=epss_file(tmp_path, "d1.csv.gz", "2026-11-20", {"CVE-2024-3001": 0.1}))
    table = connection.ops.quote_name(Finding._meta.db_table)
    before, after = ("findings", "0003_triage_fields"), ("findings", "0004_group_epss")

    executor = MigrationExecutor(connection)
    executor.migrate([before])  # back: each finding holds its group's score again
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT vulnerability_id, epss FROM {table} ORDER BY vulnerability_id")
        assert cursor.fetchall() == [
            ("CVE-2024-3001", 0.1),
            ("CVE-2024-3002", None),
            ("CVE-2024-3002", None),
        ]
        # copies of one group that disagree (a half-finished old import): the highest is kept
        cursor.execute(f"UPDATE {table} SET epss = 0.3 WHERE id = (SELECT MIN(id) FROM {table} "
                       "WHERE vulnerability_id = 'CVE-2024-3002')")  # fmt: skip
        cursor.execute(f"UPDATE {table} SET epss = 0.2 WHERE id = (SELECT MAX(id) FROM {table} "
                       "WHERE vulnerability_id = 'CVE-2024-3002')")  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate([after])
    assert sorted(GroupEpss.objects.values_list("vulnerability_id", "epss")) == [
        ("CVE-2024-3001", 0.1),
        ("CVE-2024-3002", 0.3),
    ]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

"""Importing every advisory source into one table: NVD, CVE 5, CSAF, JVN and EUVD next to OSV,
rows keyed per source, alias groups across sources, and the same guarantees as OSV imports."""

from __future__ import annotations

import copy
import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from vulndesk.core.advisories.cve5 import read_cve5
from vulndesk.core.advisories.nvd import read_nvd
from vulndesk.core.advisories.sources import RecordProblem
from vulndesk.core.errors import AdvisoryError, InputError
from vulndesk.server.advisories.candidates import fetch_candidates, fetch_records
from vulndesk.server.advisories.models import Advisory, AffectedPackage, FeedImport
from vulndesk.server.advisories.selectors import advisory_detail, django_raw_database
from vulndesk.server.advisories.services import detect_format, feeds_import, records_import
from vulndesk.server.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

FEEDS = Path(__file__).parents[2] / "fixtures" / "feeds"
CSAF_DIR = Path("/work/shared/data/csaf/cisa-ot")
CSAF_DOC = CSAF_DIR / "2022" / "icsa-22-006-01.json"


def nvd_page(*cves: dict[str, Any]) -> dict[str, Any]:
    return {
        "resultsPerPage": len(cves),
        "startIndex": 0,
        "totalResults": len(cves),
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": "2024-05-02T09:12:44.123",
        "vulnerabilities": [{"cve": c} for c in cves],
    }


def nvd_cve(
    cve_id: str, *, modified: str = "2024-04-01T12:00:00.000", status: str = "Analyzed"
) -> dict[str, Any]:
    return {
        "id": cve_id,
        "sourceIdentifier": "psirt@example.com",
        "published": "2024-01-10T15:15:08.853",
        "lastModified": modified,
        "vulnStatus": status,
        "descriptions": [{"lang": "en", "value": f"{cve_id} in Router Manager."}],
        "metrics": {
            "cvssMetricV31": [
                {
                    "source": "nvd@nist.gov",
                    "type": "Primary",
                    "cvssData": {
                        "version": "3.1",
                        "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                        "baseScore": 9.8,
                        "baseSeverity": "CRITICAL",
                    },
                }
            ]
        },
        "configurations": [
            {
                "nodes": [
                    {
                        "operator": "OR",
                        "negate": False,
                        "cpeMatch": [
                            {
                                "vulnerable": True,
                                "criteria": "cpe:2.3:a:example:router_manager:*:*:*:*:*:*:*:*",
                                "versionEndExcluding": "2.4.1",
                                "matchCriteriaId": "0F1A2B3C-4D5E-4F60-8A9B-0C1D2E3F4A5B",
                            }
                        ],
                    }
                ]
            }
        ],
        "references": [],
    }


def write_json(path: Path, obj: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))
    return path


def cve5_record(cve_id: str, *, updated: str = "2024-05-02T13:45:10.123Z") -> dict[str, Any]:
    base = json.loads(
        (FEEDS / "cve5/cvelist/cves/2024/1xxx/CVE-2024-1234.json").read_text(encoding="utf-8")
    )
    record = copy.deepcopy(base)
    record["cveMetadata"]["cveId"] = cve_id
    record["cveMetadata"]["dateUpdated"] = updated
    return record


def rows() -> dict[str, tuple[str, str, str, bool]]:
    return {
        a.id: (a.record_id, a.format, a.group_key, a.rejected)
        for a in Advisory.objects.order_by("id")
    }


def test_detect_format_tells_every_feed_from_its_first_bytes(tmp_path: Path) -> None:
    assert detect_format(FEEDS / "nvd/page.json") == "nvd"
    assert detect_format(FEEDS / "cve5/cvelist") == "cve5"
    assert detect_format(FEEDS / "cve5/cvelist/cves/2024/1xxx/CVE-2024-1234.json") == "cve5"
    assert detect_format(FEEDS / "jvn/detail.xml") == "jvn"
    assert detect_format(FEEDS / "jvn/overview_en.rdf") == "jvn"
    assert detect_format(FEEDS / "euvd/search.json") == "euvd"
    assert detect_format(FEEDS / "kev/catalog.json") == "kev"
    assert detect_format(FEEDS / "kev/catalog.csv") == "kev"
    assert detect_format(FEEDS / "epss/scores.csv") == "epss"
    gz = tmp_path / "nvd.json.gz"
    gz.write_bytes(gzip.compress((FEEDS / "nvd/page.json").read_bytes()))
    assert detect_format(gz) == "nvd"
    epss_gz = tmp_path / "epss.csv.gz"
    epss_gz.write_bytes(gzip.compress((FEEDS / "epss/scores.csv").read_bytes()))
    assert detect_format(epss_gz) == "epss"
    osv = write_json(tmp_path / "osv" / "PYSEC-1.json", {"id": "PYSEC-1", "modified": "2024"})
    assert detect_format(osv) == "osv"
    assert detect_format(osv.parent) == "osv"
    if CSAF_DIR.is_dir():
        assert detect_format(CSAF_DOC) == "csaf"
        assert detect_format(CSAF_DIR) == "csaf"
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(InputError, match=r"notes\.txt.*cannot tell the format"):
        detect_format(other)


def test_records_of_every_source_share_one_table_keyed_per_source(tmp_path: Path) -> None:
    nvd = write_json(
        tmp_path / "nvd.json",
        nvd_page(nvd_cve("CVE-2024-1234"), nvd_cve("CVE-2024-0002", status="Rejected")),
    )
    outcome = feeds_import(paths=[nvd, FEEDS / "cve5/cvelist", FEEDS / "euvd/search.json"])
    assert (outcome.created, outcome.skipped) == (2 + 2 + 2, 1)  # one bad EUVD item
    assert outcome.problems[0].location.endswith("search.json:$.items[2]")
    stored = rows()
    # NVD's and the CVE List's CVE-2024-1234 are two records of one vulnerability
    assert stored["nvd:CVE-2024-1234"] == ("CVE-2024-1234", "nvd", "CVE-2024-1234", False)
    assert stored["cve5:CVE-2024-1234"] == ("CVE-2024-1234", "cve5", "CVE-2024-1234", False)
    # rejected records stay visible as such
    assert stored["nvd:CVE-2024-0002"][3] is True
    assert stored["cve5:CVE-2023-44487"][3] is True
    # EUVD records join the group of the CVE they alias
    assert stored["euvd:EUVD-2025-4893"][2] == "CVE-2025-0101"
    assert FeedImport.objects.get().format == "nvd+cve5+euvd"
    assert AuditEvent.objects.filter(action="feeds.import").count() == 1
    # the index holds the CPE key of the NVD configuration
    assert AffectedPackage.objects.filter(
        advisory_id="nvd:CVE-2024-1234", ecosystem="cpe", name="example:router_manager"
    ).exists()

    # the original text is kept; match is the stored form the scan reads back
    nvd_row = Advisory.objects.get(id="nvd:CVE-2024-1234")
    assert json.loads(nvd_row.raw)["cve"]["id"] == "CVE-2024-1234"
    assert json.loads(nvd_row.match)["_stored"] == 1
    detail = advisory_detail(advisory_id="nvd:CVE-2024-1234")
    assert detail is not None and detail.record is not None
    assert detail.record.source == "nvd"
    assert detail.stored_ids == {"nvd:CVE-2024-1234", "cve5:CVE-2024-1234"}

    # a scan reads every source's record of an id, and never a rejected one
    db = django_raw_database()
    found = fetch_records(db, ["CVE-2024-1234", "CVE-2024-0002", "CVE-2023-44487"])
    assert sorted((a.source, a.id) for a in found) == [
        ("cve5", "CVE-2024-1234"),
        ("nvd", "CVE-2024-1234"),
    ]
    records, groups = fetch_candidates(db, [("cpe", "example:router_manager")])
    assert [(a.source, a.id) for a in records] == [("nvd", "CVE-2024-1234")]
    assert groups.members("CVE-2024-1234") == {"CVE-2024-1234"}

    # the same files again change nothing; a newer record replaces only its own source's row
    again = feeds_import(paths=[nvd, FEEDS / "cve5/cvelist", FEEDS / "euvd/search.json"])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    write_json(
        tmp_path / "nvd.json",
        nvd_page(nvd_cve("CVE-2024-1234", modified="2024-06-01T00:00:00.000")),
    )
    newer = feeds_import(paths=[nvd], format="nvd")
    assert (newer.created, newer.updated, newer.unchanged) == (0, 1, 0)
    assert Advisory.objects.get(id="nvd:CVE-2024-1234").modified.month == 6
    assert Advisory.objects.get(id="cve5:CVE-2024-1234").modified.month == 5


@pytest.mark.skipif(not CSAF_DOC.is_file(), reason=f"no CSAF provider directory at {CSAF_DIR}")
def test_one_alias_group_across_nvd_cve5_csaf(tmp_path: Path) -> None:
    csaf_doc = json.loads(CSAF_DOC.read_text(encoding="utf-8"))
    cve_id = csaf_doc["vulnerabilities"][0]["cve"]
    tracking = csaf_doc["document"]["tracking"]["id"]
    shutil.copy(CSAF_DOC, tmp_path / "advisory.json")
    nvd = write_json(tmp_path / "nvd" / "page.json", nvd_page(nvd_cve(cve_id)))
    cve5 = write_json(tmp_path / "cve5" / f"{cve_id}.json", cve5_record(cve_id))

    outcome = feeds_import(paths=[nvd, cve5, tmp_path / "advisory.json"])
    assert outcome.problems == []
    keys = {
        f"nvd:{cve_id}",
        f"cve5:{cve_id}",
        *(f"csaf:{tracking}:{v['cve']}" for v in csaf_doc["vulnerabilities"]),
    }
    assert set(rows()) == keys
    group = dict(Advisory.objects.values_list("id", "group_key"))
    assert group[f"nvd:{cve_id}"] == group[f"cve5:{cve_id}"] == cve_id
    assert group[f"csaf:{tracking}:{cve_id}"] == cve_id
    csaf_row = Advisory.objects.get(id=f"csaf:{tracking}:{cve_id}")
    assert (csaf_row.record_id, csaf_row.format) == (f"{tracking}:{cve_id}", "csaf")
    # a scan's alias group holds the record ids of every source
    _, groups = fetch_candidates(
        django_raw_database(),
        AffectedPackage.objects.filter(advisory_id=csaf_row.id).values_list("ecosystem", "name"),
    )
    assert {cve_id, f"{tracking}:{cve_id}"} <= groups.members(cve_id)


@pytest.mark.skipif(not CSAF_DIR.is_dir(), reason=f"no CSAF provider directory at {CSAF_DIR}")
def test_a_csaf_provider_directory_imports_with_its_own_files_noted(tmp_path: Path) -> None:
    outcome = feeds_import(paths=[CSAF_DIR], format="csaf")
    assert outcome.created > 1000 and outcome.problems == []
    assert any("not a CSAF document" in n.message for n in outcome.notes)
    assert Advisory.objects.filter(format="csaf").count() == outcome.created


def test_jvn_languages_are_kept_each_with_its_document_and_a_bad_item_is_skipped() -> None:
    outcome = feeds_import(paths=[FEEDS / "jvn"], format="jvn")
    assert outcome.created == 2
    assert [p.location for p in outcome.problems] == [
        f"{FEEDS / 'jvn/overview_ja.rdf'}:/rdf:RDF/item[2]"
    ]
    rows = {row.id: row for row in Advisory.objects.all()}
    assert set(rows) == {"jvn:JVNDB-2024-000123@ja", "jvn:JVNDB-2024-000123@en"}
    for lang, row in (("ja", rows["jvn:JVNDB-2024-000123@ja"]),
                      ("en", rows["jvn:JVNDB-2024-000123@en"])):  # fmt: skip
        # one vulnerability: the same published id and alias group, each with its own text
        assert (row.record_id, row.group_key) == ("JVNDB-2024-000123", "CVE-2024-20001")
        assert {t["lang"] for t in json.loads(row.match)["titles"]} == {lang}
    assert rows["jvn:JVNDB-2024-000123@ja"].raw != rows["jvn:JVNDB-2024-000123@en"].raw
    # importing again changes nothing
    again = feeds_import(paths=[FEEDS / "jvn"], format="jvn")
    assert (again.created, again.unchanged) == (0, 3)  # the two pages and the detail record


def test_a_jvn_csaf_file_in_each_language_is_kept_offline(tmp_path: Path) -> None:
    for lang in ("ja", "en"):
        shutil.copy(FEEDS / f"online/myjvn-csaf-JVNDB-2026-012345-{lang}.json", tmp_path)
    outcome = feeds_import(paths=[tmp_path])
    assert outcome.created == 2 and outcome.problems == []
    rows = {row.id: row for row in Advisory.objects.all()}
    assert set(rows) == {"csaf:JVNDB-2026-012345@ja", "csaf:JVNDB-2026-012345@en"}
    for lang, row in rows.items():
        assert row.record_id == "JVNDB-2026-012345"
        assert {t["lang"] for t in json.loads(row.match)["titles"]} == {lang[-2:]}
    assert len({row.group_key for row in rows.values()}) == 1


def test_a_truncated_nvd_file_stores_nothing(tmp_path: Path) -> None:
    text = json.dumps(nvd_page(*(nvd_cve(f"CVE-2024-{1000 + i}") for i in range(50))))
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) * 2 // 3])
    with pytest.raises(AdvisoryError, match=r"cut\.json"):
        feeds_import(paths=[cut], format="nvd")
    assert not Advisory.objects.exists()
    assert not AffectedPackage.objects.exists()
    assert not FeedImport.objects.exists()


def test_a_bad_record_in_an_nvd_file_is_reported_and_skipped(tmp_path: Path) -> None:
    bad = nvd_cve("CVE-2024-2")
    bad["lastModified"] = "yesterday"
    page = write_json(tmp_path / "p.json", nvd_page(nvd_cve("CVE-2024-1"), bad))
    outcome = feeds_import(paths=[page])
    assert outcome.created == 1
    assert outcome.problems[0].location == f"{page}:vulnerabilities[1]"
    assert FeedImport.objects.get().problems[0]["location"] == f"{page}:vulnerabilities[1]"


def test_a_bad_single_cve5_file_stores_nothing(tmp_path: Path) -> None:
    record = cve5_record("CVE-2024-7007")
    del record["cveMetadata"]["cveId"]
    path = write_json(tmp_path / "CVE-2024-7007.json", record)
    good = write_json(tmp_path / "ok" / "CVE-2024-8008.json", cve5_record("CVE-2024-8008"))
    with pytest.raises(AdvisoryError, match=r"CVE-2024-7007\.json"):
        feeds_import(paths=[good, path], format="cve5")
    assert not Advisory.objects.exists()


def test_records_import_stores_what_the_sync_fetched() -> None:
    items: list[Any] = [
        (advisory, json.dumps({"fetched": advisory.id}), f"https://example.test/{advisory.id}")
        for advisory in read_nvd(FEEDS / "nvd/page.json")
        if not isinstance(advisory, RecordProblem)
    ]
    items.append(RecordProblem("https://example.test/bad", "not valid JSON"))
    outcome = records_import(
        items=items, format="nvd", sources=["https://services.nvd.nist.gov/rest/json/cves/2.0"]
    )
    assert (outcome.read, outcome.created, outcome.skipped) == (4, 3, 1)
    row = Advisory.objects.get(id="nvd:CVE-2024-0001")
    assert row.source == "https://example.test/CVE-2024-0001"
    assert json.loads(row.raw) == {"fetched": "CVE-2024-0001"}
    feed_import = FeedImport.objects.get()
    assert (feed_import.format, feed_import.sources) == (
        "nvd",
        ["https://services.nvd.nist.gov/rest/json/cves/2.0"],
    )
    assert AuditEvent.objects.get(action="feeds.import").actor_label == "sync"

    cve5_items = [
        (a, "{}", "cvelist")
        for a in read_cve5(FEEDS / "cve5/cvelist")
        if not isinstance(a, RecordProblem)
    ]
    again = records_import(items=cve5_items, format="cve5", sources=["cvelist"])
    assert again.created == 2
    assert Advisory.objects.filter(record_id="CVE-2024-1234").count() == 1  # NVD has no 1234


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown feed format 'rss'"):
        feeds_import(paths=[FEEDS / "nvd/page.json"], format="rss")
    with pytest.raises(InputError, match="unknown advisory format 'kev'"):
        records_import(items=[], format="kev", sources=[])

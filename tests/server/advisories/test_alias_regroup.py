"""Alias groups kept whole incrementally: after every import, each stored record's group key is
the one ``AliasGroups`` gives over every stored record from scratch, and the alias index holds
exactly the names of the stored records, whatever merged, split or chained, in any format."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as live_apps
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vulndesk.core.advisories.osv import parse_osv
from vulndesk.core.ids.aliases import AliasGroups
from vulndesk.server.advisories import services
from vulndesk.server.advisories.models import Advisory, AdvisoryAlias, FeedImport
from vulndesk.server.advisories.services import (
    ImportOutcome,
    advisory_groups_rebuild,
    feeds_import,
    records_import,
)

FEEDS = Path(__file__).parents[2] / "fixtures" / "feeds"


def osv(
    ident: str, aliases: list[str] | tuple[str, ...] = (), *, modified: int = 1
) -> dict[str, Any]:
    """Return an OSV record of ``ident`` on a package of its own, modified on day ``modified``."""
    return {
        "id": ident,
        "modified": f"2024-01-{modified:02d}T00:00:00Z",
        "aliases": list(aliases),
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": f"pkg-{ident.lower()}"},
                "versions": ["1.0"],
            }
        ],
    }


def import_files(folder: Path, documents: dict[str, object]) -> ImportOutcome:
    """Write ``documents`` (file name -> JSON) into a new ``folder`` and import them."""
    folder.mkdir(parents=True)
    for name, document in documents.items():
        (folder / name).write_text(json.dumps(document))
    return feeds_import(paths=[folder / name for name in documents])


def import_osv(records: list[dict[str, Any]]) -> ImportOutcome:
    """Import OSV records as the sync hands them over (no files)."""
    items = [(parse_osv(r, source=r["id"]), json.dumps(r), r["id"]) for r in records]
    return records_import(items=items, format="osv", sources=["test"])


def from_scratch() -> dict[str, str]:
    """Check the stored keys and the index against the whole table; return id -> group key."""
    rows = list(Advisory.objects.values_list("id", "record_id", "aliases", "group_key"))
    groups = AliasGroups.from_pairs((record_id, aliases) for _, record_id, aliases, _ in rows)
    stored = {key: group_key for key, _, _, group_key in rows}
    assert stored == {key: groups.group_of(record_id) for key, record_id, _, _ in rows}
    assert set(AdvisoryAlias.objects.values_list("advisory_id", "name")) == {
        (key, name)
        for key, record_id, aliases, _ in rows
        if record_id.strip()
        for name in (record_id, *aliases)
        if name.strip()
    }
    return stored


@pytest.fixture
def touched(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[tuple[str, str]]]:
    """Collect every package key an import passes on to the re-match."""
    keys: set[tuple[str, str]] = set()
    touch = services._touch

    def spy(outcome: ImportOutcome, found: set[tuple[str, str]]) -> None:
        keys.update(found)
        touch(outcome, found)

    monkeypatch.setattr(services, "_touch", spy)
    yield keys


@pytest.mark.django_db
def test_merge_then_split_rewrites_the_records_the_import_did_not_write(
    touched: set[tuple[str, str]],
) -> None:
    import_osv([osv("PYSEC-2024-1", ["GHSA-aaaa"]), osv("GHSA-bbbb", ["CVE-2024-0002"])])
    assert from_scratch() == {"PYSEC-2024-1": "GHSA-aaaa", "GHSA-bbbb": "CVE-2024-0002"}

    # a record naming both joins the groups: the stored records move to the CVE's group
    touched.clear()
    import_osv([osv("BRIDGE-1", ["GHSA-aaaa", "GHSA-bbbb"])])
    assert set(from_scratch().values()) == {"CVE-2024-0002"}
    assert ("PyPI", "pkg-pysec-2024-1") in touched  # its findings take the new key

    # a newer version drops GHSA-aaaa: PYSEC-2024-1, not written, leaves the group again
    touched.clear()
    outcome = import_osv([osv("BRIDGE-1", ["GHSA-bbbb"], modified=2)])
    assert outcome.updated == 1
    assert from_scratch() == {
        "PYSEC-2024-1": "GHSA-aaaa",
        "GHSA-bbbb": "CVE-2024-0002",
        "BRIDGE-1": "CVE-2024-0002",
    }
    assert ("PyPI", "pkg-pysec-2024-1") in touched


@pytest.mark.django_db
def test_a_newer_record_that_drops_every_alias_leaves_the_others_whole() -> None:
    import_osv([osv("A-1", ["CVE-2024-7"]), osv("B-1", ["A-1"]), osv("C-1", ["B-1"])])
    assert set(from_scratch().values()) == {"CVE-2024-7"}
    import_osv([osv("A-1", modified=2)])  # B-1 and C-1 still name each other and A-1
    assert from_scratch() == {"A-1": "A-1", "B-1": "A-1", "C-1": "A-1"}
    import_osv([osv("B-1", modified=2)])  # the chain breaks in the middle
    assert from_scratch() == {"A-1": "A-1", "B-1": "B-1", "C-1": "B-1"}


@pytest.mark.django_db
def test_chain_merges_across_imports() -> None:
    import_osv([osv("A-1", ["B-1"])])
    import_osv([osv("X-9", ["B-1", "C-1"])])
    import_osv([osv("C-1", ["D-1"])])
    assert set(from_scratch().values()) == {"A-1"}
    import_osv([osv("Z-1", ["D-1", "CVE-2024-3"])])
    assert set(from_scratch().values()) == {"CVE-2024-3"}


@pytest.mark.django_db
@pytest.mark.parametrize("order", [1, -1], ids=["forwards", "backwards"])
def test_chain_merges_across_write_batches(monkeypatch: pytest.MonkeyPatch, order: int) -> None:
    monkeypatch.setattr(services, "_BATCH", 2)
    # R-i names LINK-i and LINK-i+1: one chain over four batches, joined to a CVE at one end
    chain = [osv(f"R-{i}", [f"LINK-{i}", f"LINK-{i + 1}"]) for i in range(7)]
    chain.append(osv("R-7", ["LINK-7", "CVE-2024-5"]))
    outcome = import_osv(chain[::order])
    assert outcome.created == 8
    assert set(from_scratch().values()) == {"CVE-2024-5"}
    # a newer R-3 without its links splits the chain in three
    import_osv([osv("R-3", modified=2)])
    keys = from_scratch()
    assert {keys[f"R-{i}"] for i in range(3)} == {"LINK-0"}
    assert keys["R-3"] == "R-3"
    assert {keys[f"R-{i}"] for i in range(4, 8)} == {"CVE-2024-5"}


def nvd_page(*cve_ids: str) -> dict[str, Any]:
    return {
        "resultsPerPage": len(cve_ids),
        "startIndex": 0,
        "totalResults": len(cve_ids),
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": "2024-05-02T09:12:44.123",
        "vulnerabilities": [
            {
                "cve": {
                    "id": cve_id,
                    "sourceIdentifier": "psirt@example.com",
                    "published": "2024-01-10T15:15:08.853",
                    "lastModified": "2024-04-01T12:00:00.000",
                    "vulnStatus": "Analyzed",
                    "descriptions": [{"lang": "en", "value": f"{cve_id} in a router."}],
                    "references": [],
                }
            }
            for cve_id in cve_ids
        ],
    }


def csaf(cve: str, ids: list[str], *, day: int) -> dict[str, Any]:
    """Return a CSAF advisory about ``cve`` whose ``ids`` name it too, released on May ``day``."""
    released = f"2024-05-{day:02d}T12:00:00Z"
    return {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "publisher": {
                "category": "vendor",
                "name": "Acme Corp",
                "namespace": "https://acme.example",
            },
            "title": "Acme Agent: buffer overflow",
            "tracking": {
                "current_release_date": released,
                "id": "ACME-SA-2024-001",
                "initial_release_date": "2024-05-01T12:00:00Z",
                "revision_history": [{"date": released, "number": str(day), "summary": "."}],
                "status": "final",
                "version": str(day),
            },
        },
        "vulnerabilities": [
            {"cve": cve, "ids": [{"system_name": "GitHub", "text": i} for i in ids]}
        ],
    }


@pytest.mark.django_db
def test_records_of_every_format_regroup_together(tmp_path: Path) -> None:
    import_files(tmp_path / "nvd", {"page.json": nvd_page("CVE-2024-1234", "CVE-2024-5555")})
    feeds_import(paths=[FEEDS / "cve5/cvelist", FEEDS / "euvd/search.json"])
    import_osv([osv("GHSA-cccc", ["PYSEC-2024-9"]), osv("PYSEC-2024-9")])
    before = from_scratch()
    assert before["nvd:CVE-2024-1234"] == before["cve5:CVE-2024-1234"] == "CVE-2024-1234"
    assert before["GHSA-cccc"] == before["PYSEC-2024-9"] == "GHSA-cccc"

    # the vendor's CSAF advisory names the CVE and the GHSA: NVD's record, the OSV records and
    # the CSAF record are one vulnerability
    import_files(tmp_path / "csaf1", {"acme.json": csaf("CVE-2024-5555", ["GHSA-cccc"], day=1)})
    keys = from_scratch()
    assert keys["csaf:ACME-SA-2024-001:CVE-2024-5555"] == "CVE-2024-5555"
    assert keys["nvd:CVE-2024-5555"] == keys["GHSA-cccc"] == keys["PYSEC-2024-9"]
    assert keys["nvd:CVE-2024-5555"] == "CVE-2024-5555"
    assert keys["cve5:CVE-2024-1234"] == "CVE-2024-1234"  # untouched

    # its next revision drops the GHSA: the OSV records go back to their own group
    import_files(tmp_path / "csaf2", {"acme.json": csaf("CVE-2024-5555", [], day=2)})
    keys = from_scratch()
    assert keys["GHSA-cccc"] == keys["PYSEC-2024-9"] == "GHSA-cccc"
    assert keys["nvd:CVE-2024-5555"] == "CVE-2024-5555"
    assert advisory_groups_rebuild() == []


@pytest.mark.django_db
def test_the_index_holds_every_name_of_every_stored_record() -> None:
    import_osv([osv("PYSEC-1", ["GHSA-1", "CVE-2024-1", " ", "GHSA-1"]), osv("GHSA-2")])
    assert sorted(AdvisoryAlias.objects.values_list("advisory_id", "name")) == [
        ("GHSA-2", "GHSA-2"),
        ("PYSEC-1", "CVE-2024-1"),
        ("PYSEC-1", "GHSA-1"),
        ("PYSEC-1", "PYSEC-1"),
    ]
    # a newer version replaces its names; an older one changes nothing
    import_osv([osv("PYSEC-1", ["GHSA-2"], modified=3)])
    import_osv([osv("PYSEC-1", ["GHSA-9"], modified=2)])
    assert sorted(AdvisoryAlias.objects.values_list("advisory_id", "name")) == [
        ("GHSA-2", "GHSA-2"),
        ("PYSEC-1", "GHSA-2"),
        ("PYSEC-1", "PYSEC-1"),
    ]
    from_scratch()


@pytest.mark.django_db
def test_the_rebuild_repairs_a_stale_index_and_stale_keys() -> None:
    import_osv([osv("PYSEC-1", ["GHSA-1"]), osv("GHSA-1", ["CVE-2024-1"]), osv("X-1")])
    AdvisoryAlias.objects.filter(advisory_id="GHSA-1").delete()
    AdvisoryAlias.objects.create(advisory_id="X-1", name="stale")
    Advisory.objects.filter(id="PYSEC-1").update(group_key="wrong")
    with transaction.atomic():
        assert advisory_groups_rebuild() == ["PYSEC-1"]
    assert from_scratch()["PYSEC-1"] == "CVE-2024-1"
    assert advisory_groups_rebuild() == []


# Record ids and the names their aliases are drawn from: few, so that imports keep merging and
# splitting the same groups; one blank alias, which AliasGroups ignores.
_RECORDS = ["PYSEC-1", "PYSEC-2", "GHSA-a", "GHSA-b", "X-10", "X-9"]
_NAMES = [*_RECORDS, "CVE-2024-2", "CVE-2024-10", "OTHER-1", " "]
_IMPORTS = st.lists(
    st.lists(
        st.tuples(st.sampled_from(_RECORDS), st.lists(st.sampled_from(_NAMES), max_size=3)),
        min_size=1,
        max_size=6,
    ),
    min_size=1,
    max_size=5,
)


@pytest.mark.django_db
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(imports=_IMPORTS, batch=st.sampled_from([1, 2, 2000]))
def test_incremental_regroup_equals_regrouping_everything(
    monkeypatch: pytest.MonkeyPatch, imports: list[list[tuple[str, list[str]]]], batch: int
) -> None:
    Advisory.objects.all().delete()
    FeedImport.objects.all().delete()
    monkeypatch.setattr(services, "_BATCH", batch)
    for day, records in enumerate(imports, start=1):
        import_osv([osv(ident, aliases, modified=day) for ident, aliases in records])
        from_scratch()
    with transaction.atomic():
        assert advisory_groups_rebuild() == []


@pytest.mark.django_db(transaction=True)
def test_0005_fills_the_index_of_the_records_already_stored() -> None:
    before, after = ("advisories", "0004_sources_kev_epss"), ("advisories", "0005_advisory_alias")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps.get_model("advisories", "Advisory")
    now = timezone.now()
    old.objects.bulk_create(
        old(
            id=key,
            record_id=record_id,
            source="t",
            modified=now,
            aliases=aliases,
            group_key="",
            raw="{}",
            imported_at=now,
        )
        for key, record_id, aliases in [
            ("PYSEC-1", "PYSEC-1", ["GHSA-1", "CVE-2024-1"]),
            ("nvd:CVE-2024-1", "CVE-2024-1", []),
            ("blank", " ", ["NOT-INDEXED"]),  # AliasGroups ignores a blank id and its aliases
            *((f"R-{n:04d}", f"R-{n:04d}", [f"CVE-2024-{n}", ""]) for n in range(2100)),
        ]
    )

    executor = MigrationExecutor(connection)
    executor.migrate([after])
    names = set(AdvisoryAlias.objects.values_list("advisory_id", "name"))
    assert len(names) == 3 + 1 + 2 * 2100  # more than one chunk of records
    assert {("PYSEC-1", "GHSA-1"), ("PYSEC-1", "CVE-2024-1"), ("PYSEC-1", "PYSEC-1")} <= names
    assert ("nvd:CVE-2024-1", "CVE-2024-1") in names
    assert ("R-2099", "CVE-2024-2099") in names
    assert not {name for key, name in names if key == "blank"}
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_0005_fill_is_what_an_import_writes() -> None:
    import_osv([osv("PYSEC-1", ["GHSA-1", " "]), osv("GHSA-1", ["CVE-2024-1"])])
    written = set(AdvisoryAlias.objects.values_list("advisory_id", "name"))
    AdvisoryAlias.objects.all().delete()
    migration = importlib.import_module("vulndesk.server.advisories.migrations.0005_advisory_alias")
    migration.fill(live_apps, None)
    assert set(AdvisoryAlias.objects.values_list("advisory_id", "name")) == written

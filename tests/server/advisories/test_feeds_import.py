"""feeds_import on a real database: idempotence, replacement, withdrawn records, alias groups,
bad records and all-or-nothing single files."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from vulndesk.core.errors import AdvisoryError
from vulndesk.server.advisories.models import Advisory, AffectedPackage, FeedImport
from vulndesk.server.advisories.selectors import advisory_candidates
from vulndesk.server.advisories.services import feeds_import
from vulndesk.server.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def record(
    ident: str,
    *,
    modified: str = "2024-01-01T00:00:00Z",
    aliases: list[str] | None = None,
    package: str = "example",
    ecosystem: str = "PyPI",
    fixed: str = "2.0",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": ident,
        "modified": modified,
        "aliases": aliases or [],
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": package},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
        **extra,
    }


def write_zip(path: Path, records: dict[str, Any]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in records.items():
            z.writestr(name, content if isinstance(content, str) else json.dumps(content))
    return path


def test_import_is_idempotent_and_replaces_only_newer(tmp_path: Path) -> None:
    first = write_zip(tmp_path / "a.zip", {"A-1.json": record("A-1"), "A-2.json": record("A-2")})
    outcome = feeds_import(paths=[first])
    assert (outcome.created, outcome.updated, outcome.unchanged) == (2, 0, 0)

    again = feeds_import(paths=[first])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Advisory.objects.count() == 2
    assert AffectedPackage.objects.count() == 2

    newer = write_zip(
        tmp_path / "b.zip",
        {
            "A-1.json": record("A-1", modified="2024-02-01T00:00:00Z", package="other"),
            "A-2.json": record("A-2", modified="2023-01-01T00:00:00Z", package="older"),
        },
    )
    outcome = feeds_import(paths=[newer])
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 1)
    names = dict(AffectedPackage.objects.values_list("advisory_id", "name"))
    assert names == {"A-1": "other", "A-2": "example"}  # older A-2 did not replace the stored one
    assert FeedImport.objects.count() == 3
    assert AuditEvent.objects.filter(action="feeds.import").count() == 3


def test_pypi_names_are_stored_under_their_normalised_lookup_name(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(record("A-1", package="Foo_Bar.baz")))
    feeds_import(paths=[path])
    assert list(AffectedPackage.objects.values_list("ecosystem", "name")) == [
        ("PyPI", "foo-bar-baz")
    ]


def test_withdrawn_records_are_kept_but_never_candidates(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "w.zip",
        {
            "W-1.json": record("W-1", withdrawn="2024-03-01T00:00:00Z"),
            "L-1.json": record("L-1"),
        },
    )
    feeds_import(paths=[path])
    assert Advisory.objects.get(id="W-1").withdrawn is not None
    records, _ = advisory_candidates(keys=[("PyPI", "example")])
    assert [r.id for r in records] == ["L-1"]


def test_alias_groups_join_across_imports_and_sources(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps(record("PYSEC-2024-1", aliases=["GHSA-aaaa-bbbb-cccc"])))
    feeds_import(paths=[one])
    assert Advisory.objects.get(id="PYSEC-2024-1").group_key == "GHSA-aaaa-bbbb-cccc"

    # A later source links the GHSA to a CVE: both stored records move into the CVE's group.
    two = tmp_path / "two.json"
    two.write_text(json.dumps(record("GHSA-aaaa-bbbb-cccc", aliases=["CVE-2024-0001"])))
    feeds_import(paths=[two])
    keys = dict(Advisory.objects.values_list("id", "group_key"))
    assert keys == {"PYSEC-2024-1": "CVE-2024-0001", "GHSA-aaaa-bbbb-cccc": "CVE-2024-0001"}

    _, groups = advisory_candidates(keys=[("PyPI", "example")])
    assert groups.members("CVE-2024-0001") == {
        "CVE-2024-0001",
        "GHSA-aaaa-bbbb-cccc",
        "PYSEC-2024-1",
    }


def test_a_bad_record_in_a_zip_is_reported_and_skipped(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "mixed.zip",
        {
            "GOOD-1.json": record("GOOD-1"),
            "BAD-1.json": {"id": "BAD-1", "modified": "yesterday"},
            "BAD-2.json": "{not json",
            "GOOD-2.json": record("GOOD-2"),
        },
    )
    outcome = feeds_import(paths=[path])
    assert outcome.created == 2
    assert outcome.skipped == 2
    locations = sorted(p.location for p in outcome.problems)
    assert locations == ["mixed.zip!BAD-1.json", "mixed.zip!BAD-2.json"] or all(
        "BAD-" in loc for loc in locations
    )
    assert any("modified" in p.message for p in outcome.problems)
    stored = FeedImport.objects.get()
    assert stored.skipped == 2 and len(stored.problems) == 2


def test_a_bad_single_file_stores_nothing(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(record("GOOD-1")))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"id": "BAD-1", "modified": "2024-01-01T00:00:00Z", "affected": 3}))
    with pytest.raises(AdvisoryError) as caught:
        feeds_import(paths=[good, bad])
    assert "bad.json" in str(caught.value)
    assert "affected" in str(caught.value)
    assert Advisory.objects.count() == 0
    assert FeedImport.objects.count() == 0


def test_a_zip_bomb_is_refused_before_anything_is_stored(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("GOOD-1.json", json.dumps(record("GOOD-1")))
        z.writestr("BOMB.json", b"0" * (300 * 1024 * 1024))
    with pytest.raises(AdvisoryError) as caught:
        feeds_import(paths=[bomb])
    assert "bomb.zip" in str(caught.value)
    assert Advisory.objects.count() == 0


def test_not_an_advisory_source_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(io.BytesIO(b"hello").getvalue())
    with pytest.raises(AdvisoryError) as caught:
        feeds_import(paths=[path])
    assert "notes.txt" in str(caught.value)


def test_a_source_larger_than_one_write_batch_keeps_the_newest_duplicate(tmp_path: Path) -> None:
    # 2,600 records cross the 2,000-record write batch; X-1 appears first and again, newer, last.
    records: dict[str, Any] = {"a/X-1.json": record("X-1", package="first")}
    for n in range(2600):
        records[f"b/R-{n}.json"] = record(f"R-{n}", aliases=[f"CVE-2024-{n % 50 + 1000}"])
    records["c/X-1.json"] = record("X-1", modified="2025-01-01T00:00:00Z", package="second")
    outcome = feeds_import(paths=[write_zip(tmp_path / "big.zip", records)])
    assert outcome.read == 2602
    assert (outcome.created, outcome.updated, outcome.unchanged) == (2601, 1, 0)
    assert list(
        AffectedPackage.objects.filter(advisory_id="X-1").values_list("name", flat=True)
    ) == ["second"]
    # every record names one of 50 CVEs: 50 groups, keyed by the CVE
    assert Advisory.objects.values("group_key").distinct().count() == 51
    assert Advisory.objects.get(id="R-0").group_key == "CVE-2024-1000"

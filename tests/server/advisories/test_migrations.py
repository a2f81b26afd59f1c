"""Data migrations: records stored before ``Advisory.match`` existed get it filled from ``raw``."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)


def test_0003_fills_match_from_raw() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("advisories", "0002_advisory_match")])
    old = executor.loader.project_state([("advisories", "0002_advisory_match")]).apps
    raw = {
        "id": "PYSEC-1",
        "modified": "2024-01-01T00:00:00Z",
        "details": "\n  First line of the details.\nMore.",
        "references": [{"type": "WEB", "url": "https://example.com"}],
        "affected": [{"package": {"ecosystem": "PyPI", "name": "x"}, "versions": ["1.0"]}],
    }
    old.get_model("advisories", "Advisory").objects.create(
        id="PYSEC-1",
        source="t",
        modified=timezone.now(),
        group_key="PYSEC-1",
        raw=json.dumps(raw),
        imported_at=timezone.now(),
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    from vulndesk.server.advisories.models import Advisory

    match = json.loads(Advisory.objects.get(id="PYSEC-1").match)
    assert match["affected"] == raw["affected"]
    assert "references" not in match
    # no summary: the first line of the details stands in for it
    assert match["details"] == "First line of the details."

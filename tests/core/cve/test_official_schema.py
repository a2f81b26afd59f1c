"""The records and containers the builder writes, checked against the CVE Record Format 5.1
JSON schemas that cvelib bundles (the official ones; kept in that package, not copied here), as
our own shape checks (core.cve.schema) are written from the same facts."""

from __future__ import annotations

from typing import Any

import pytest
from cvelib.cve_api import CveRecord
from cvelib.cve_api import CveRecordValidationError as SchemaError

from core.cve.cve_examples import PROVIDER, good_record
from vulndesk.core.cve.lint import lint_document
from vulndesk.core.cve.record import Text, cna_container, cve_record, rejected_container


def valid(document: dict[str, Any], schema: Any) -> list[str]:
    try:
        CveRecord.validate(document, schema_path=schema)
    except SchemaError as exc:
        return [str(e.message) for e in exc.errors]
    return []


def test_a_built_record_and_its_container_pass_the_official_schemas() -> None:
    record = cve_record(good_record(), provider=PROVIDER)
    assert valid(record, CveRecord.Schemas.V5_SCHEMA) == []
    container = cna_container(good_record(), provider=PROVIDER)
    assert valid(container, CveRecord.Schemas.CNA_PUBLISHED) == []
    assert [f for f in lint_document(record) if f.severity == "error"] == []


def test_a_rejected_container_passes_its_schema() -> None:
    rejected = rejected_container([Text("Duplicate of CVE-1900-0002.")], provider=PROVIDER)
    assert valid(rejected, CveRecord.Schemas.CNA_REJECTED) == []


def test_the_official_schema_can_fail() -> None:
    container = cna_container(good_record(), provider=PROVIDER)
    del container["affected"]
    assert valid(container, CveRecord.Schemas.CNA_PUBLISHED) != []
    with pytest.raises(AssertionError):
        assert [f for f in lint_document(container) if f.severity == "error"] == []

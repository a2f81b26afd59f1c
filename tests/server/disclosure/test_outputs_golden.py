"""What leaves a case, byte for byte: the CVE record's CNA container and the CSAF advisory
(both profiles) of one prepared case. Dates, database keys, the case identifier and the
generator's version are replaced by placeholders first. To accept a deliberate change, run once
with ``VULNDESK_UPDATE_GOLDEN=1`` and read the diff of ``tests/server/disclosure/golden/``."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from server.disclosure.disclosure_world import CaseWorld
from server.disclosure.test_csaf import prepared
from vulndesk.server.disclosure import csaf, cve

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden"
_DATE = re.compile(r'"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"')


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("VULNDESK_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8", newline="")
    assert path.exists(), f"{path.name} is missing: run with VULNDESK_UPDATE_GOLDEN=1"
    assert path.read_text(encoding="utf-8", newline="") == text


def normalised(document: Any, w: CaseWorld) -> str:
    text = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    text = _DATE.sub('"<date>"', text)
    text = text.replace(w.case.identifier, "VDC-YYYY-NNNN")
    text = re.sub(r'"version": "[^"]+"(\n\s*\}\n\s*\},\n\s*"id")', r'"version": "<v>"\1', text)
    ids: dict[str, str] = {}
    text = re.sub(
        r"CSAFPID-[VR][0-9-]+",
        lambda m: ids.setdefault(m.group(0), f"CSAFPID-{len(ids) + 1}"),
        text,
    )
    text = re.sub(r"VDC-YYYY-NNNN-\d+", "VDC-YYYY-NNNN-<vulnerability>", text)
    return text + "\n"


def test_the_cve_container_matches_the_golden_file(
    case_world: CaseWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VULNDESK_CVE_ORG_ID", raising=False)  # the placeholder provider
    vulnerability = prepared(case_world)
    golden("cve_container.json", normalised(cve.case_cve_container(vulnerability), case_world))


@pytest.mark.parametrize("profile", ["csaf_security_advisory", "csaf_vex"])
def test_the_csaf_advisory_matches_the_golden_file(case_world: CaseWorld, profile: Any) -> None:
    prepared(case_world)
    document = csaf.case_csaf_document(case_world.case, profile)
    golden(f"{profile}.json", normalised(document, case_world))

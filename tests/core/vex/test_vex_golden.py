"""Golden files: what each writer makes of each hand-written fixture, byte for byte.

A change to a writer's output shows up here as a diff to review. To accept one, run the tests
with ``VULNDESK_UPDATE_GOLDEN=1`` and read the diff of ``tests/fixtures/vex/*.golden.json``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from support import FIXTURES
from vulndesk.core.vex import (
    VexDocument,
    csaf_vex_document,
    cyclonedx_vex_document,
    openvex_document,
    read_vex_file,
)

VEX = FIXTURES / "vex"
_BOM = "urn:uuid:5f0f0da9-c03d-47d8-b38d-009e6df67094"

WRITERS: dict[str, Callable[[VexDocument], dict[str, Any]]] = {
    "openvex": openvex_document,
    "cdx": cyclonedx_vex_document,
    "cdx-bom-link": lambda doc: cyclonedx_vex_document(doc, bom_serial=_BOM, bom_version=2),
    "csaf": lambda doc: csaf_vex_document(
        doc,
        publisher_name="Example PSIRT",
        publisher_namespace="https://psirt.example.com",
    ),
}
CASES = [
    ("openvex-example", "openvex"),
    ("openvex-example", "cdx"),
    ("openvex-example", "cdx-bom-link"),
    ("openvex-example", "csaf"),
    ("cyclonedx-embedded", "cdx"),
    ("cyclonedx-embedded", "csaf"),
    ("csaf-relationships", "csaf"),
    ("csaf-relationships", "cdx"),
    ("csaf-relationships", "openvex"),
]


@pytest.mark.parametrize(("fixture", "writer"), CASES, ids=[f"{f}.{w}" for f, w in CASES])
def test_writer_output_matches_the_golden_file(fixture: str, writer: str) -> None:
    doc = read_vex_file(VEX / f"{fixture}.json")
    written = orjson.dumps(WRITERS[writer](doc), option=orjson.OPT_INDENT_2) + b"\n"
    golden = VEX / f"{fixture}.{writer}.golden.json"
    if os.environ.get("VULNDESK_UPDATE_GOLDEN") == "1":
        golden.write_bytes(written)
    assert golden.exists(), f"{golden.name} is missing: run with VULNDESK_UPDATE_GOLDEN=1"
    assert written.decode() == golden.read_text()

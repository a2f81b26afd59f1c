"""``vulndesk csaf validate``: the real command in a subprocess, without Django."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from support import SHARED_DATA
from vulndesk.cli.csaf import MAX_BYTES
from vulndesk.core.csafdoc import build_csaf_document
from vulndesk.core.csafdoc.model import (
    Advisory,
    Flag,
    Note,
    Product,
    ProductStatus,
    Publisher,
    Revision,
    Tracking,
    Vulnerability,
)


def vex() -> dict[str, Any]:
    return build_csaf_document(
        Advisory(
            category="csaf_vex",
            title="Example Router and CVE-2024-0003",
            publisher=Publisher("Example PSIRT", "https://psirt.example.com"),
            tracking=Tracking(
                "EX-VEX-1", "final", (Revision(datetime(2024, 1, 1, tzinfo=UTC), "1", "Initial."),)
            ),
            products=(Product("R1", "Example", "Router", "1.0"),),
            vulnerabilities=(
                Vulnerability(
                    cve="CVE-2024-0003",
                    notes=(Note("description", "A flaw in libfoo."),),
                    product_status=ProductStatus(known_not_affected=("R1",)),
                    flags=(Flag("component_not_present", ("R1",)),),
                ),
            ),
        )
    )


def write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc))
    return path


def csaf(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vulndesk", "csaf", "validate", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def valid(tmp_path: Path) -> Path:
    return write(tmp_path / "valid.json", vex())


@pytest.fixture
def invalid(tmp_path: Path) -> Path:
    doc = vex()
    doc["vulnerabilities"][0]["product_status"]["known_not_affected"].append("R9")
    doc["document"]["tracking"]["status"] = "released"
    return write(tmp_path / "invalid.json", doc)


def test_a_valid_document(valid: Path) -> None:
    result = csaf(valid)
    assert result.returncode == 0, result.stderr
    assert f"{valid}: valid (" in result.stdout
    assert result.stdout.splitlines()[-1] == (
        "1 file(s): 1 valid, 0 invalid (0 failure(s)), 0 unreadable"
    )


def test_an_invalid_document_lists_test_ids_and_paths(valid: Path, invalid: Path) -> None:
    result = csaf(valid, invalid)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert (
        f"{invalid}: schema $.document.tracking.status: expected one of 'draft', 'final', "
        "'interim', got 'released'"
    ) in lines
    assert (
        f"{invalid}: 6.1.1 $.vulnerabilities[0].product_status.known_not_affected[1]: "
        "product id 'R9' is not defined in the product tree"
    ) in lines
    assert any(line.startswith(f"{invalid}: 6.1.27.9 ") for line in lines)
    assert lines[-1] == "2 file(s): 1 valid, 1 invalid (3 failure(s)), 0 unreadable"


def test_json_output(valid: Path, invalid: Path) -> None:
    result = csaf("--format", "json", valid, invalid)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    first, second = report["files"]
    assert (first["file"], first["valid"], first["failures"]) == (str(valid), True, [])
    assert "6.1.27.9" in first["tests_run"]
    assert [(f["test_id"], f["path"]) for f in second["failures"]] == [
        ("schema", "$.document.tracking.status"),
        ("6.1.1", "$.vulnerabilities[0].product_status.known_not_affected[1]"),
        ("6.1.27.9", "$.vulnerabilities[0].product_status.known_not_affected[1]"),
    ]
    assert report["summary"] == {
        "files": 2,
        "valid": 1,
        "invalid": 1,
        "failures": 3,
        "unreadable": 0,
    }


def test_unreadable_files_exit_2_and_are_named(tmp_path: Path, valid: Path) -> None:
    missing = tmp_path / "missing.json"
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "document": {,}\n}')
    result = csaf(valid, missing, broken, tmp_path)
    assert result.returncode == 2
    assert f"{missing}: error: cannot read: No such file or directory" in result.stderr
    assert f"{broken}: error: not valid JSON at line 2, column 16: " in result.stderr
    assert f"{tmp_path}: error: cannot read: Is a directory" in result.stderr
    assert f"{valid}: valid" in result.stdout
    assert result.stdout.splitlines()[-1].endswith("3 unreadable")


def test_unreadable_in_json_output(tmp_path: Path) -> None:
    result = csaf("-f", "json", tmp_path / "nope.json")
    assert result.returncode == 2
    [entry] = json.loads(result.stdout)["files"]
    assert entry["error"].startswith("cannot read")


def test_a_huge_file_is_refused_unread(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: no disk used
    result = csaf(huge)
    assert result.returncode == 2
    assert f"{huge}: error: larger than 50 MB, not read" in result.stderr


def test_deeply_nested_json_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    result = csaf(deep)
    assert result.returncode == 2, result.stderr
    assert f"{deep}: error: not valid JSON" in result.stderr
    assert "nested deeper than 1024 levels" in result.stderr
    assert "Traceback" not in result.stderr


def test_deep_but_parseable_nesting_is_validated(tmp_path: Path) -> None:
    doc = vex()
    nested: Any = "x"
    for _ in range(400):  # 800 levels: deep, yet under orjson's limit of 1024
        nested = {"branches": [nested]}
    doc["document"]["x_extension"] = nested  # unknown properties are allowed, not walked
    doc["product_tree"]["branches"] = [json.loads(json.dumps(nested))] * 2
    result = csaf(write(tmp_path / "deep.json", doc))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("top", [[], "csaf", 42, None])
def test_a_top_level_that_is_not_an_object(tmp_path: Path, top: Any) -> None:
    result = csaf(write(tmp_path / "top.json", top))
    assert result.returncode == 1
    assert f"{tmp_path / 'top.json'}: schema $: expected an object" in result.stdout


def test_the_command_does_not_import_django(valid: Path) -> None:
    code = (
        "import sys\n"
        "from vulndesk.cli.main import main\n"
        f"rc = main(['csaf', 'validate', {str(valid)!r}])\n"
        "print(rc, sorted(m for m in sys.modules if m.split('.')[0] == 'django'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.splitlines()[-1] == "0 []"


@pytest.mark.shared
def test_real_advisories() -> None:
    examples = SHARED_DATA / "csaf" / "oasis-examples" / "csaf"
    if not examples.exists():
        pytest.skip("/work/shared absent: ../shared/data/csaf is not here")
    result = csaf(*sorted(examples.rglob("*.json")))
    assert result.returncode == 0, result.stdout
    assert " 0 invalid " in result.stdout.splitlines()[-1]

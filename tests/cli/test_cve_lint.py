"""``vulndesk cve lint``: the real command in a subprocess (no database needed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from core.cve.cve_examples import PROVIDER, good_record
from support import FIXTURES
from vulndesk.core.cve.record import cna_container, cve_record

PUBLISHED_FIXTURE = FIXTURES / "feeds/cve5/cvelist/cves/2024/1xxx/CVE-2024-1234.json"


def vulndesk(*args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VULNDESK_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "-m", "vulndesk", *map(str, args)],
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        timeout=60,
        check=False,
    )


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def bad_record() -> dict[str, Any]:
    document = cve_record(good_record(), provider=PROVIDER)
    cna = document["containers"]["cna"]
    cna["affected"][0]["vendor"] = "n/a"
    cna["descriptions"][0]["value"] += " Thanks to Jane Doe."
    del cna["title"]
    return document


def test_a_clean_record_exits_0(tmp_path: Path) -> None:
    path = write(tmp_path / "CVE-1900-0001.json", cve_record(good_record(), provider=PROVIDER))
    result = vulndesk("cve", "lint", path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"{path}: clean\n"


def test_warnings_only_exit_0(tmp_path: Path) -> None:
    result = vulndesk("cve", "lint", PUBLISHED_FIXTURE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{PUBLISHED_FIXTURE}: 1 warning",
        "  warning $.containers.cna.affected[0].versions[0].versionType: versionType 'custom' "
        "leaves the ordering unknown: name the scheme [version-type-custom]",
    ]


def test_errors_exit_1_and_are_listed(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.json", bad_record())
    result = vulndesk("cve", "lint", path)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{path}: 2 errors, 1 warning"
    assert lines[1:] == [
        "  error $.containers.cna.affected[0].vendor: placeholder value 'n/a': say what it is "
        "[placeholder]",
        "  error $.containers.cna.descriptions[0].value: credits in the description ('Thanks "
        "to'): move them to credits [description-credit]",
        "  warning $.containers.cna.title: no title: add a short summary such as 'SQL injection "
        "in X' [title]",
    ]


def test_json_output(tmp_path: Path) -> None:
    good = write(tmp_path / "good.json", cve_record(good_record(), provider=PROVIDER))
    bad = write(tmp_path / "bad.json", bad_record())
    result = vulndesk("cve", "lint", "--format", "json", good, bad)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["files"][0] == {"file": str(good), "errors": 0, "warnings": 0, "findings": []}
    assert report["files"][1]["errors"] == 2
    assert report["files"][1]["findings"][0] == {
        "severity": "error",
        "path": "$.containers.cna.affected[0].vendor",
        "message": "placeholder value 'n/a': say what it is",
        "rule": "placeholder",
    }


def test_a_bare_container_and_standard_input(tmp_path: Path) -> None:
    container = cna_container(good_record(), provider=PROVIDER)
    assert vulndesk("cve", "lint", write(tmp_path / "cna.json", container)).returncode == 0
    container["affected"][0]["product"] = "N/A"
    result = vulndesk("cve", "lint", "-", stdin=json.dumps({"cnaContainer": container}))
    assert result.returncode == 1
    assert "error $.cnaContainer.affected[0].product: placeholder value 'N/A'" in result.stdout


def test_bad_json_exits_2_naming_file_line_and_column(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "dataType": "CVE_RECORD",\n  "dataVersion": 5.1.0\n}\n')
    clean = write(tmp_path / "clean.json", cve_record(good_record(), provider=PROVIDER))
    result = vulndesk("cve", "lint", broken, clean)
    assert result.returncode == 2
    assert result.stderr.startswith(f"vulndesk: error: {broken}:3:")
    assert "not JSON" in result.stderr
    assert result.stdout == f"{clean}: clean\n"  # the other files are still checked


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    bad = write(tmp_path / "bad.json", bad_record())
    result = vulndesk("cve", "lint", "--format", "json", bad, missing)
    assert result.returncode == 2  # unreadable wins over lint errors
    assert f"vulndesk: error: {missing}: cannot read: No such file or directory" in result.stderr
    assert json.loads(result.stdout)["files"][1] == {
        "file": str(missing),
        "error": f"{missing}: cannot read: No such file or directory",
    }


def test_linting_does_not_import_django(tmp_path: Path) -> None:
    path = write(tmp_path / "good.json", cve_record(good_record(), provider=PROVIDER))
    code = (
        "import sys\n"
        "from vulndesk.cli.main import main\n"
        f"code = main(['cve', 'lint', {str(path)!r}])\n"
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & {'django', 'ninja'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.splitlines()[-1] == "0 []"

"""NVD CVE API 2.0: one record into the model, and files of many read as a stream."""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from support import FIXTURES
from vulndesk.core.advisories.model import (
    Advisory,
    CpeConfiguration,
    CpeMatchCriterion,
    CpeNode,
    ExploitEvidence,
    LocalizedText,
    Reference,
    Severity,
)
from vulndesk.core.advisories.nvd import (
    iter_json_array_items,
    iter_nvd_records,
    parse_nvd_cve,
    read_nvd,
)
from vulndesk.core.advisories.sources import RecordProblem
from vulndesk.core.errors import AdvisoryError

PAGE = FIXTURES / "feeds" / "nvd" / "page.json"


def read_all(path: Path, display: str | None = None) -> tuple[list[Advisory], list[RecordProblem]]:
    items = list(read_nvd(path, display=display))
    return (
        [i for i in items if isinstance(i, Advisory)],
        [i for i in items if isinstance(i, RecordProblem)],
    )


def record(ident: str, **extra: object) -> dict[str, object]:
    return {"cve": {"id": ident, "lastModified": "2024-01-01T00:00:00.000", **extra}}


def page(*records: object) -> bytes:
    return orjson.dumps({"resultsPerPage": len(records), "vulnerabilities": list(records)})


@pytest.fixture(scope="module")
def fixture_records() -> dict[str, Advisory]:
    advisories, problems = read_all(PAGE, display="page.json")
    assert problems == []
    return {a.id: a for a in advisories}


def test_record_fields(fixture_records: dict[str, Advisory]) -> None:
    advisory = fixture_records["CVE-2024-0001"]
    assert advisory.source == "nvd"
    assert advisory.aliases == ()
    assert advisory.published == datetime(2024, 1, 10, 15, 15, 8, 853000, tzinfo=UTC)
    assert advisory.modified == datetime(2024, 4, 1, 12, 0, tzinfo=UTC)
    assert advisory.details is not None and advisory.details.startswith("A path traversal")
    assert '"..\\\\" sequences' in advisory.details
    assert [d.lang for d in advisory.descriptions] == ["en", "es"]
    assert advisory.descriptions[1] == LocalizedText(
        "es", "Un salto de directorio en Example Router Manager anterior a 2.4.1."
    )
    assert advisory.cwes == ("CWE-22", "CWE-23")  # NVD-CWE-Other is a placeholder, not a CWE
    assert advisory.database_specific == {
        "vulnStatus": "Analyzed",
        "sourceIdentifier": "psirt@example.com",
    }
    assert not advisory.rejected


def test_primary_and_secondary_metrics_keep_their_source(
    fixture_records: dict[str, Advisory],
) -> None:
    assert fixture_records["CVE-2024-0001"].severity == (
        Severity("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "nvd@nist.gov"),
        Severity("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", "psirt@example.com"),
        Severity("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:N/A:N", "nvd@nist.gov"),
    )
    assert fixture_records["CVE-2024-0003"].severity[0].type == "CVSS_V4"


def test_and_configuration_with_platform_and_negated_node(
    fixture_records: dict[str, Advisory],
) -> None:
    application, negated = fixture_records["CVE-2024-0001"].cpe_configurations
    assert application == CpeConfiguration(
        operator="AND",
        nodes=(
            CpeNode(
                "OR",
                False,
                (
                    CpeMatchCriterion(
                        "cpe:2.3:a:example:router_manager:*:*:*:*:*:*:*:*",
                        vulnerable=True,
                        version_start_including="2.0",
                        version_end_excluding="2.4.1",
                        match_criteria_id="0F1A2B3C-4D5E-4F60-8A9B-0C1D2E3F4A5B",
                    ),
                ),
            ),
            CpeNode(
                "OR",
                False,
                (
                    CpeMatchCriterion(
                        "cpe:2.3:o:example:example_os:-:*:*:*:*:*:*:*",
                        vulnerable=False,
                        match_criteria_id="1A2B3C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D",
                    ),
                ),
            ),
        ),
    )
    assert negated.operator == "OR"  # absent means OR
    assert negated.nodes[0].negate is True
    assert negated.nodes[0].operator == "AND"


def test_references_and_kev(fixture_records: dict[str, Advisory]) -> None:
    advisory = fixture_records["CVE-2024-0001"]
    assert advisory.references == (
        Reference("FIX", "https://example.com/security/EX-2024-01"),
        Reference("EVIDENCE", "https://github.com/attacker/poc-2024-0001"),
        Reference("WEB", "https://example.com/blog/router"),
    )
    assert advisory.exploitation == (
        ExploitEvidence(
            kind="kev",
            source="nvd",
            date=datetime(2024, 3, 15, tzinfo=UTC),
            detail="Example Router Manager Path Traversal Vulnerability",
            due_date=datetime(2024, 4, 5, tzinfo=UTC),
        ),
    )
    assert fixture_records["CVE-2024-0003"].exploitation == ()


def test_rejected(fixture_records: dict[str, Advisory]) -> None:
    advisory = fixture_records["CVE-2024-0002"]
    assert advisory.rejected
    assert advisory.withdrawn is None
    assert fixture_records["CVE-2024-0003"].cwes == ()  # only NVD-CWE-noinfo


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"lastModified": 5}, "$.lastModified"),
        ({"lastModified": None}, "$"),
        ({"descriptions": [{"lang": "en", "value": 3}]}, "$.descriptions[0].value"),
        (
            {"metrics": {"cvssMetricV31": [{"source": "x", "cvssData": {"vectorString": 7}}]}},
            "$.metrics.cvssMetricV31[0].cvssData.vectorString",
        ),
        ({"metrics": {"cvssMetricV31": {}}}, "$.metrics.cvssMetricV31"),
        (
            {"configurations": [{"nodes": [{"operator": "XOR", "cpeMatch": []}]}]},
            "$.configurations[0].nodes[0].operator",
        ),
        (
            {"configurations": [{"nodes": [{"cpeMatch": [{"criteria": "cpe:/a:x:y"}]}]}]},
            "$.configurations[0].nodes[0].cpeMatch[0].criteria",
        ),
        (
            {
                "configurations": [
                    {
                        "nodes": [
                            {
                                "cpeMatch": [
                                    {
                                        "criteria": "cpe:2.3:a:x:y:*:*:*:*:*:*:*:*",
                                        "vulnerable": "yes",
                                    }
                                ]
                            }
                        ]
                    }
                ]
            },
            "$.configurations[0].nodes[0].cpeMatch[0].vulnerable",
        ),
        ({"weaknesses": [{"description": [{"lang": "en", "value": "XSS"}]}]}, "$.weaknesses[0]"),
        ({"references": [{"url": "https://x", "tags": [1]}]}, "$.references[0].tags[0]"),
        ({"cisaExploitAdd": "soon"}, "$.cisaExploitAdd"),
    ],
)
def test_wrong_types_name_the_json_path(change: dict[str, object], path: str) -> None:
    obj = {"id": "CVE-2024-1", "lastModified": "2024-01-01T00:00:00", **change}
    with pytest.raises(AdvisoryError) as caught:
        parse_nvd_cve(obj, source="x.json")
    assert caught.value.source == "x.json"
    assert caught.value.location is not None and caught.value.location.startswith(path)


# --- streaming ------------------------------------------------------------------------------------


def test_bad_record_is_reported_with_file_index_and_path(tmp_path: Path) -> None:
    path = tmp_path / "nvd.json"
    bad_metric = {"cvssMetricV31": [{"cvssData": {"vectorString": None}}]}
    path.write_bytes(
        page(
            record("CVE-2024-1"),
            record("CVE-2024-2", metrics=bad_metric),
            {"nope": 1},
            record("CVE-2024-4"),
        )
    )
    advisories, problems = read_all(path, display="nvd.json")
    assert [a.id for a in advisories] == ["CVE-2024-1", "CVE-2024-4"]
    assert [p.location for p in problems] == [
        "nvd.json:vulnerabilities[1]",
        "nvd.json:vulnerabilities[2]",
    ]
    assert "$.cve.metrics.cvssMetricV31[0].cvssData" in problems[0].message
    assert "'cve'" in problems[1].message


def test_invalid_json_inside_one_element_is_a_record_problem(tmp_path: Path) -> None:
    path = tmp_path / "nvd.json"
    good = orjson.dumps(record("CVE-2024-1"))
    path.write_bytes(b'{"vulnerabilities": [' + good + b', {"cve": {"id": tru}}, ' + good + b"]}")
    advisories, problems = read_all(path, display="nvd.json")
    assert len(advisories) == 2
    assert problems[0].location == "nvd.json:vulnerabilities[1]"
    assert "not valid JSON" in problems[0].message


def test_truncated_file_names_file_and_offset(tmp_path: Path) -> None:
    data = page(*(record(f"CVE-2024-{i}") for i in range(1, 6)))
    cut = data.index(b"CVE-2024-4") + 3
    path = tmp_path / "cut.json"
    path.write_bytes(data[:cut])
    seen: list[str] = []
    with pytest.raises(AdvisoryError) as caught:
        for item in read_nvd(path, display="cut.json"):
            assert isinstance(item, Advisory)
            seen.append(item.id)
    assert seen == ["CVE-2024-1", "CVE-2024-2", "CVE-2024-3"]
    assert caught.value.source == "cut.json"
    assert caught.value.location == f"byte {cut}"
    assert "truncated" in str(caught.value) and f"byte {cut}" in str(caught.value)


@pytest.mark.parametrize(
    "data",
    [
        b'{"vulnerabilities": [{"cve": {}}',
        b'{"vulnerabilities": [',
        b'{"vulnerabilities": [{"a": "x',
    ],
)
def test_truncations_anywhere_raise(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "t.json"
    path.write_bytes(data)
    with pytest.raises(AdvisoryError, match="truncated"):
        list(iter_nvd_records(path))


def test_garbage_between_elements_names_the_offset(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_bytes(b'{"vulnerabilities": [{"cve": {}} x {"cve": {}}]}')
    with pytest.raises(AdvisoryError) as caught:
        list(iter_nvd_records(path))
    assert caught.value.location == "byte 33"


def test_page_without_vulnerabilities_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(b'{"format": "NVD_CVE", "results": []}')
    with pytest.raises(AdvisoryError, match="no 'vulnerabilities' array"):
        list(iter_nvd_records(path))


def test_other_page_fields_are_skipped_whatever_their_shape() -> None:
    data = (
        b' {"a": {"vulnerabilities": [1]}, "b": [1, {"c": "]}"}], "s": "x\\"y", "n": -1.5e3,'
        b' "t": true, "z": null, "vulnerabilities": [ {"k": "v"} , [1] ,"s", 7 ], "after": 1 } '
    )
    items = list(iter_json_array_items([data], key="vulnerabilities", source="mem"))
    assert [i.data for i in items] == [b'{"k": "v"}', b"[1]", b'"s"', b"7"]
    assert items[0].offset == data.index(b'{"k"')


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 4096])
def test_any_chunking_gives_the_same_elements(size: int) -> None:
    data = PAGE.read_bytes()
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    whole = list(iter_json_array_items([data], key="vulnerabilities", source="x"))
    split = list(iter_json_array_items(chunks, key="vulnerabilities", source="x"))
    assert split == whole
    assert [orjson.loads(i.data)["cve"]["id"] for i in whole] == [
        "CVE-2024-0001",
        "CVE-2024-0002",
        "CVE-2024-0003",
    ]


def test_deeply_nested_elements_fall_back_to_counting_brackets() -> None:
    deep = b"[" * 40 + b'"}"' + b"]" * 40
    data = b'{"vulnerabilities": [' + deep + b", " + deep + b"]}"
    items = list(iter_json_array_items([data], key="vulnerabilities", source="x"))
    assert [i.data for i in items] == [deep, deep]


def test_many_pages_json_lines_and_array(tmp_path: Path) -> None:
    lines = tmp_path / "pages.jsonl"
    lines.write_bytes(page(record("CVE-2024-1")) + b"\n" + page(record("CVE-2024-2")) + b"\n")
    advisories, _ = read_all(lines, display="pages.jsonl")
    assert [a.id for a in advisories] == ["CVE-2024-1", "CVE-2024-2"]
    array = tmp_path / "pages.json"
    array.write_bytes(b"[" + page(record("CVE-2024-1")) + b"," + page({"bad": 1}) + b"]")
    advisories, problems = read_all(array, display="pages.json")
    assert [a.id for a in advisories] == ["CVE-2024-1"]
    assert problems[0].location == "pages.json[1]:vulnerabilities[0]"


def test_gzip_and_zip(tmp_path: Path) -> None:
    data = PAGE.read_bytes()
    gz = tmp_path / "nvdcve-2.0-2024.json.gz"
    gz.write_bytes(gzip.compress(data))
    assert [a.id for a in read_all(gz)[0]] == ["CVE-2024-0001", "CVE-2024-0002", "CVE-2024-0003"]
    archive = tmp_path / "nvdcve-2.0-2024.json.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("nvdcve-2.0-2024.json", data)
        z.writestr("README.txt", "not a feed")
    advisories, problems = read_all(archive, display="feed.zip")
    assert len(advisories) == 3
    assert problems == [
        RecordProblem("feed.zip!README.txt", "ignored: not a .json entry", "ignored")
    ]


def test_truncated_gzip_names_the_file(tmp_path: Path) -> None:
    gz = tmp_path / "cut.json.gz"
    gz.write_bytes(gzip.compress(PAGE.read_bytes())[:-200])
    with pytest.raises(AdvisoryError) as caught:
        list(read_nvd(gz, display="cut.json.gz"))
    assert caught.value.source == "cut.json.gz"
    assert caught.value.location is not None and caught.value.location.startswith("byte ")


# --- memory and speed -----------------------------------------------------------------------------


def _big_record(i: int) -> bytes:
    cve = orjson.loads(PAGE.read_bytes())["vulnerabilities"][0]
    cve["cve"]["id"] = f"CVE-2024-{i:05d}"
    return orjson.dumps(cve)


def _write_records(path: Path, count: int) -> None:
    template = _big_record(0)
    with path.open("wb") as f:
        f.write(b'{"resultsPerPage": 2000, "format": "NVD_CVE", "vulnerabilities": [')
        for i in range(count):
            if i:
                f.write(b",\n")
            f.write(template.replace(b"CVE-2024-00000", f"CVE-2024-{i:05d}".encode()))
        f.write(b"]}")


def _peak_while_reading(path: Path) -> tuple[int, int, float]:
    tracemalloc.start()
    try:
        started = time.perf_counter()
        count = sum(1 for item in read_nvd(path) if isinstance(item, Advisory))
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak, elapsed


def test_streaming_memory_stays_flat(tmp_path: Path) -> None:
    small, large = tmp_path / "5k.json", tmp_path / "20k.json"
    _write_records(small, 5_000)
    _write_records(large, 20_000)
    count_small, peak_small, _ = _peak_while_reading(small)
    count_large, peak_large, _ = _peak_while_reading(large)
    assert (count_small, count_large) == (5_000, 20_000)
    assert large.stat().st_size > 40 << 20  # the file is far larger than the bound below
    assert peak_large < 8 << 20, peak_large
    # four times the records, not four times the memory
    assert peak_large < peak_small * 1.5 + (1 << 20), (peak_small, peak_large)

"""FIRST EPSS: the daily CSV (plain and gzip, streamed) and the API answer."""

from __future__ import annotations

import gzip
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from support import FIXTURES
from vulndesk.core.advisories.sources import RecordProblem
from vulndesk.core.errors import InputError
from vulndesk.core.scoring.epss import (
    EpssScore,
    open_epss_csv,
    parse_epss_api,
    parse_epss_csv,
)

SCORES = FIXTURES / "feeds" / "epss" / "scores.csv"
DAY = date(2026, 11, 20)


def test_daily_file_header_rows_and_problems() -> None:
    with open_epss_csv(SCORES, display="scores.csv") as scores:
        assert scores.model_version == "v2025.03.14"
        assert scores.score_timestamp == datetime(2026, 11, 20, 12, 55, tzinfo=UTC)
        assert scores.score_date == DAY
        items = list(scores)
    assert [i for i in items if isinstance(i, EpssScore)] == [
        EpssScore("CVE-1999-0001", 0.01141, 0.77954, DAY),
        EpssScore("CVE-2021-44228", 0.94358, 0.99961, DAY),
        EpssScore("CVE-2024-1234", 0.00043, 0.09127, DAY),
        EpssScore("CVE-2024-5680", 0.0, 1.0, DAY),
    ]
    assert [i for i in items if isinstance(i, RecordProblem)] == [
        RecordProblem("scores.csv:6", "expected a CVE id, got 'CVE-2024-BAD'"),
        RecordProblem("scores.csv:7", "expected epss as a number in 0..1, got '1.7'"),
        RecordProblem("scores.csv:8", "expected 3 cells (cve,epss,percentile), got 2"),
    ]


def test_gzip_gives_the_same(tmp_path: Path) -> None:
    gz = tmp_path / "epss_scores-current.csv.gz"
    gz.write_bytes(gzip.compress(SCORES.read_bytes()))
    with open_epss_csv(gz) as a, open_epss_csv(SCORES) as b:
        assert [i for i in a if isinstance(i, EpssScore)] == [
            i for i in b if isinstance(i, EpssScore)
        ]


def test_truncated_gzip_names_the_line(tmp_path: Path) -> None:
    body = "".join(f"CVE-2024-{i:05d},0.1,0.5\n" for i in range(20_000))
    data = gzip.compress(
        f"#model_version:v1,score_date:2024-01-01\ncve,epss,percentile\n{body}".encode()
    )
    gz = tmp_path / "cut.csv.gz"
    gz.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as caught, open_epss_csv(gz, display="cut.csv.gz") as scores:
        list(scores)
    assert caught.value.source == "cut.csv.gz"
    assert caught.value.location is not None and caught.value.location.startswith("line ")


def test_header_and_date_are_required() -> None:
    with pytest.raises(InputError, match="expected the header"):
        parse_epss_csv(["cve,score\n"], source="x", score_date=DAY)
    with pytest.raises(InputError, match="no score_date"):
        parse_epss_csv(["cve,epss,percentile\n"], source="x")
    old = parse_epss_csv(
        ["cve,epss,percentile\n", "CVE-2020-0001,0.5,0.9\n"], source="x", score_date=DAY
    )
    assert list(old) == [EpssScore("CVE-2020-0001", 0.5, 0.9, DAY)]


@pytest.mark.parametrize("value", ["nan", "-0.1", "1.0001", "inf", "50"])
def test_values_outside_0_to_1_are_refused(value: str) -> None:
    lines = ["#score_date:2024-01-01\n", "cve,epss,percentile\n", f"CVE-2020-0001,{value},0.5\n"]
    (problem,) = list(parse_epss_csv(lines, source="x"))
    assert isinstance(problem, RecordProblem)
    assert problem.location == "x:3"


def _write(path: Path, rows: int) -> None:
    with path.open("w") as f:
        f.write("#model_version:v2025.03.14,score_date:2026-11-20T12:55:00Z\ncve,epss,percentile\n")
        for i in range(rows):
            f.write(f"CVE-2024-{i:06d},0.{i % 997:05d},0.{i % 991:05d}\n")


def _peak(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        with open_epss_csv(path) as scores:
            count = sum(1 for i in scores if isinstance(i, EpssScore))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


def test_streaming_memory_stays_flat(tmp_path: Path) -> None:
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    _write(small, 10_000)
    _write(large, 100_000)
    (n_small, p_small), (n_large, p_large) = _peak(small), _peak(large)
    assert (n_small, n_large) == (10_000, 100_000)
    assert p_large < p_small * 1.5 + (256 << 10), (p_small, p_large)


def test_api_answer() -> None:
    answer = {
        "status": "OK",
        "status-code": 200,
        "version": "1.0",
        "total": 2,
        "data": [
            {
                "cve": "CVE-2021-44228",
                "epss": "0.943580000",
                "percentile": "0.999610000",
                "date": "2026-11-20",
            },
            {"cve": "CVE-2024-1234", "epss": 0.00043, "percentile": 0.09127, "date": "2026-11-20"},
        ],
    }
    assert parse_epss_api(answer, source="api") == (
        EpssScore("CVE-2021-44228", 0.94358, 0.99961, DAY),
        EpssScore("CVE-2024-1234", 0.00043, 0.09127, DAY),
    )


@pytest.mark.parametrize(
    ("answer", "path"),
    [
        ({"data": {}}, "$.data"),
        (
            {"data": [{"cve": "CVE-1", "epss": "0.1", "percentile": "0.1", "date": "2024-01-01"}]},
            "$.data[0].cve",
        ),
        (
            {
                "data": [
                    {
                        "cve": "CVE-2024-0001",
                        "epss": "12",
                        "percentile": "0.1",
                        "date": "2024-01-01",
                    }
                ]
            },
            "$.data[0].epss",
        ),
        (
            {
                "data": [
                    {
                        "cve": "CVE-2024-0001",
                        "epss": "0.1",
                        "percentile": None,
                        "date": "2024-01-01",
                    }
                ]
            },
            "$.data[0].percentile",
        ),
        (
            {
                "data": [
                    {"cve": "CVE-2024-0001", "epss": "0.1", "percentile": "0.1", "date": 20240101}
                ]
            },
            "$.data[0].date",
        ),
    ],
)
def test_bad_api_answer_names_the_path(answer: dict[str, object], path: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_epss_api(answer, source="api")
    assert caught.value.location == path

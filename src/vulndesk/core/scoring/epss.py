"""FIRST EPSS scores: the daily CSV (plain or ``.gz``) and the API's JSON answer.

The daily file (reference/feeds.md, "FIRST EPSS") starts with a comment line
``#model_version:v2025.03.14,score_date:2026-11-20T12:55:00Z``, then the header
``cve,epss,percentile`` and about 300,000 rows. :func:`open_epss_csv` reads it as a stream (one
line at a time, so memory stays flat), exposing the model version and score date before the
first row; a bad row (not three cells, not a CVE id, not a number, outside 0..1) is a
RecordProblem naming its line, and reading goes on.

EPSS is the probability of exploitation activity in the next 30 days; both values are kept as
floats in 0..1 (a percentage is refused, not rescaled).
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Final, Protocol, Self

from vulndesk.core.advisories.sources import RecordProblem
from vulndesk.core.errors import InputError
from vulndesk.core.jsontypes import json_type

__all__ = ["EpssCsv", "EpssScore", "open_epss_csv", "parse_epss_api", "parse_epss_csv"]

_CVE: Final = re.compile(r"CVE-\d{4}-\d{4,}")
_HEADER: Final = ["cve", "epss", "percentile"]


@dataclass(frozen=True, slots=True)
class EpssScore:
    """One CVE's EPSS probability and percentile (both 0..1) on one score date."""

    cve_id: str
    epss: float
    percentile: float
    date: date


def _probability(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None  # NaN fails both comparisons


class _Closable(Protocol):
    def close(self) -> None: ...


class EpssCsv:
    """An EPSS daily file being read: ``model_version`` and ``score_date`` from its comment
    line, then its rows when iterated (once). Use it as a context manager to close the file.
    """

    def __init__(
        self,
        lines: Iterable[str],
        *,
        source: str,
        score_date: date | None = None,
        closing: _Closable | None = None,
    ) -> None:
        self.source = source
        self._closing = closing
        self._lines = iter(lines)
        self._line = 0
        self.model_version: str | None = None
        #: when the scores were computed (the comment line's ``score_date``)
        self.score_timestamp: datetime | None = None
        first = self._next_line()
        if first is not None and first.startswith("#"):
            self._read_comment(first)
            first = self._next_line()
        if first is None:
            raise InputError("empty: expected the header cve,epss,percentile", source=source)
        header = [cell.strip() for cell in first.split(",")]
        if header != _HEADER:
            raise InputError(
                f"expected the header cve,epss,percentile, got {first.strip()!r}",
                source=source,
                location=f"line {self._line}",
            )
        day = self.score_timestamp.date() if self.score_timestamp else score_date
        if day is None:
            raise InputError(
                "no score_date in the comment line and none given: the scores' date is unknown",
                source=source,
                location="line 1",
            )
        #: the date every row's score is for
        self.score_date: date = day

    def _next_line(self) -> str | None:
        try:
            line = next(self._lines, None)
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as e:
            raise InputError(
                f"cannot read past line {self._line}: {e}",
                source=self.source,
                location=f"line {self._line + 1}",
            ) from e
        if line is not None:
            self._line += 1
        return line

    def _read_comment(self, line: str) -> None:
        for part in line[1:].strip().split(","):
            key, _, value = part.partition(":")
            key, value = key.strip(), value.strip()
            if key == "model_version":
                self.model_version = value
            elif key == "score_date":
                try:
                    parsed = datetime.fromisoformat(value)
                except ValueError:
                    raise InputError(
                        f"expected an ISO 8601 score_date, got {value!r}",
                        source=self.source,
                        location="line 1",
                    ) from None
                self.score_timestamp = (
                    parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
                )

    def __iter__(self) -> Iterator[EpssScore | RecordProblem]:
        """Yield each row's score, or a RecordProblem (``file:line``) for a bad row."""
        day = self.score_date
        match = _CVE.fullmatch
        while (line := self._next_line()) is not None:
            cells = line.rstrip("\r\n").split(",")
            if len(cells) == 3:
                cve, epss_text, percentile_text = cells
                epss, percentile = _probability(epss_text), _probability(percentile_text)
                if match(cve) and epss is not None and percentile is not None:
                    yield EpssScore(cve, epss, percentile, day)
                    continue
            if not line.strip():
                continue
            yield RecordProblem(f"{self.source}:{self._line}", _row_problem(cells))

    def close(self) -> None:
        """Close the file this reader opened (nothing otherwise)."""
        if self._closing is not None:
            self._closing.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _row_problem(cells: list[str]) -> str:
    if len(cells) != 3:
        return f"expected 3 cells (cve,epss,percentile), got {len(cells)}"
    cve, epss, percentile = cells
    if _CVE.fullmatch(cve) is None:
        return f"expected a CVE id, got {cve[:80]!r}"
    for name, text in (("epss", epss), ("percentile", percentile)):
        if _probability(text) is None:
            return f"expected {name} as a number in 0..1, got {text[:80]!r}"
    return "unreadable row"  # pragma: no cover - every bad row fails one check above


def parse_epss_csv(lines: Iterable[str], *, source: str, score_date: date | None = None) -> EpssCsv:
    """Return a reader of the EPSS CSV ``lines`` (with or without line ends).

    ``score_date`` is used when the file has no comment line (files before 2022). Raise
    InputError when the header is missing or wrong, or the date is unknown.
    """
    return EpssCsv(lines, source=source, score_date=score_date)


def open_epss_csv(
    path: Path, *, display: str | None = None, score_date: date | None = None
) -> EpssCsv:
    """Return a reader of the EPSS file at ``path`` (``.csv`` or gzip-compressed, by content).

    Close it (or use it in a ``with`` block). Raise InputError when the file cannot be read or
    its first lines are not an EPSS file; a truncated gzip raises InputError naming the line.
    """
    shown = str(path) if display is None else display
    try:
        raw = path.open("rb")
        head = raw.peek(2)[:2] if isinstance(raw, io.BufferedReader) else b""
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", source=shown) from e
    binary: IO[bytes] = (
        gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]  # a GzipFile is binary IO
        if head == b"\x1f\x8b"
        else raw
    )
    text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
    try:
        return EpssCsv(text, source=shown, score_date=score_date, closing=_Both(text, raw))
    except BaseException:
        text.close()
        raw.close()
        raise


class _Both:
    """Closes the text layer and the file under it."""

    def __init__(self, text: IO[str], raw: IO[bytes]) -> None:
        self.text = text
        self.raw = raw

    def close(self) -> None:
        try:
            self.text.close()
        finally:
            self.raw.close()


def parse_epss_api(obj: object, *, source: str) -> tuple[EpssScore, ...]:
    """Return the scores of a FIRST EPSS API answer (``data[]`` of {cve, epss, percentile, date},
    numbers as strings); raise InputError with the JSON path of the first bad value.
    """
    if type(obj) is not dict or type(obj.get("data")) is not list:
        shown = json_type(obj.get("data")) if type(obj) is dict else json_type(obj)
        raise InputError(
            f"expected an object with a data array, got {shown}", source=source, location="$.data"
        )
    out: list[EpssScore] = []
    for i, item in enumerate(obj["data"]):
        where = f"$.data[{i}]"
        if type(item) is not dict:
            raise InputError(
                f"expected an object, got {json_type(item)}", source=source, location=where
            )
        cve = item.get("cve")
        if type(cve) is not str or _CVE.fullmatch(cve) is None:
            raise InputError(
                f"expected a CVE id, got {cve!r}", source=source, location=f"{where}.cve"
            )
        values: list[float] = []
        for key in ("epss", "percentile"):
            value = item.get(key)
            number = _api_number(value)
            if number is None:
                raise InputError(
                    f"expected a number in 0..1, got {value!r}",
                    source=source,
                    location=f"{where}.{key}",
                )
            values.append(number)
        day = item.get("date")
        try:
            score_date = date.fromisoformat(day)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InputError(
                f"expected a date (YYYY-MM-DD), got {day!r}",
                source=source,
                location=f"{where}.date",
            ) from None
        out.append(EpssScore(cve, values[0], values[1], score_date))
    return tuple(out)


def _api_number(value: object) -> float | None:
    if type(value) is str:
        return _probability(value)
    if type(value) in (int, float):
        number = float(value)  # type: ignore[arg-type]
        return number if 0.0 <= number <= 1.0 else None
    return None

"""Readable OSV ranges and safe links on the advisory page (no database)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from vulndesk.core.advisories.model import Event, Range
from vulndesk.server.web.display import http_url, range_view


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def events(*pairs: tuple[str, str]) -> tuple[Event, ...]:
    return tuple(Event(kind, version) for kind, version in pairs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("range_type", "ecosystem", "written", "expected"),
    [
        ("ECOSYSTEM", "PyPI", [("introduced", "2.3.0"), ("fixed", "2.31.0")], [">=2.3.0, <2.31.0"]),
        ("ECOSYSTEM", "PyPI", [("introduced", "0"), ("fixed", "5.4")], ["<5.4"]),
        ("ECOSYSTEM", "PyPI", [("introduced", "0")], ["all versions"]),
        ("ECOSYSTEM", "PyPI", [("introduced", "1.0"), ("last_affected", "1.4")], [">=1.0, <=1.4"]),
        # several intervals, written out of order: sorted by the ecosystem's ordering (PEP 440)
        (
            "ECOSYSTEM",
            "PyPI",
            [("introduced", "2.0"), ("fixed", "2.0.7"), ("introduced", "0"), ("fixed", "1.26.17")],
            ["<1.26.17", ">=2.0, <2.0.7"],
        ),
        ("SEMVER", "Go", [("introduced", "0"), ("fixed", "0.7.0")], ["<0.7.0"]),
        (
            "SEMVER",
            "npm",
            [("introduced", "1.0.0"), ("limit", "2.0.0")],
            [">=1.0.0, <2.0.0 (limit)"],
        ),
        # an ecosystem without an ordering keeps the file order
        ("ECOSYSTEM", "NoSuchEcosystem", [("introduced", "b"), ("fixed", "a")], [">=b, <a"]),
    ],
)
def test_ranges_read_like_findings(
    range_type: str, ecosystem: str, written: list[tuple[str, str]], expected: list[str]
) -> None:
    view = range_view(Range(range_type, events(*written)), ecosystem)
    assert view.intervals == expected


def test_git_ranges_list_their_commits_shortened() -> None:
    commit = "a" * 40
    view = range_view(
        Range("GIT", events(("introduced", "0"), ("fixed", commit)), repo="https://x.test/r"),
        "PyPI",
    )
    assert view.intervals == ["introduced 0", "fixed aaaaaaaaaaaa"]
    assert view.repo == "https://x.test/r"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a", "https://example.org/a"),
        ("http://example.org", "http://example.org"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,x", None),
        ("//example.org", None),
        ("https://", None),
        ("http://[::1", None),
    ],
)
def test_only_http_urls_become_links(url: str, expected: str | None) -> None:
    assert http_url(url) == expected

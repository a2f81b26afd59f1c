"""The OSV codec: structure validation with JSON paths, leniency, lookup names, round trip."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from support import FIXTURES, shared_data
from vulndesk.core.advisories.model import Event, Range
from vulndesk.core.advisories.osv import (
    dump_osv,
    format_timestamp,
    lookup_name,
    matching_subset,
    parse_osv,
    parse_stored_osv,
    parse_timestamp,
)
from vulndesk.core.advisories.sources import iter_osv_documents
from vulndesk.core.errors import AdvisoryError

OSV = FIXTURES / "osv" / "records"


def load(name: str) -> Any:
    return orjson.loads((OSV / name).read_bytes())


def test_unsorted_events_are_kept_in_file_order() -> None:
    advisory = parse_osv(load("unsorted-events.json"), source="unsorted-events.json")
    (affected,) = advisory.affected
    assert affected.ecosystem == "PyPI"
    assert affected.name == "Unsorted_Pkg"
    assert affected.lookup_name == "unsorted-pkg"
    assert affected.ranges == (
        Range(
            "ECOSYSTEM",
            (
                Event("fixed", "1.4.2"),
                Event("introduced", "1.0.0"),
                Event("fixed", "2.3.1"),
                Event("introduced", "2.0"),
            ),
        ),
    )
    assert advisory.aliases == ("CVE-2024-1001",)


def test_minimal_record_loads_zero_time_and_unknown_fields() -> None:
    advisory = parse_osv(load("minimal.json"), source="minimal.json")
    assert advisory.modified == datetime(1, 1, 1, tzinfo=UTC)
    assert advisory.published is None
    assert advisory.summary is None
    assert advisory.details is None
    assert advisory.aliases == ()
    assert advisory.affected[0].ranges[0].events == (Event("introduced", "0"),)


def test_every_fixture_round_trips_through_dump() -> None:
    for path in sorted([*OSV.glob("*.json"), *(OSV.parent / "merge").glob("*.json")]):
        advisory = parse_osv(orjson.loads(path.read_bytes()), source=path.name)
        assert parse_osv(dump_osv(advisory), source=path.name) == advisory, path.name


def test_dump_writes_osv_field_names() -> None:
    advisory = parse_osv(load("limit.json"), source="limit.json")
    dumped = dump_osv(advisory)
    assert dumped["id"] == "TEST-LIMIT-1"
    assert dumped["modified"] == "2024-01-02T03:04:05Z"
    assert dumped["affected"][0]["package"] == {"ecosystem": "crates.io", "name": "limited"}
    assert dumped["affected"][0]["ranges"][0]["events"] == [
        {"introduced": "1.0.0"},
        {"limit": "1.5.0"},
    ]


def test_null_optional_fields_read_as_missing() -> None:
    record = {
        "id": "X-1",
        "modified": "2024-01-01T00:00:00Z",
        "summary": None,
        "aliases": None,
        "affected": [{"package": {"ecosystem": "PyPI", "name": "a"}, "versions": None}],
    }
    advisory = parse_osv(record, source="inline")
    assert advisory.summary is None
    assert advisory.aliases == ()
    assert advisory.affected[0].versions == ()


def test_affected_without_package_is_kept_but_unnamed() -> None:
    record = {
        "id": "OSV-2020-1",
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {
                "ranges": [{"type": "GIT", "repo": "https://x", "events": [{"introduced": "0"}]}],
                "versions": ["v1"],
            }
        ],
    }
    (affected,) = parse_osv(record, source="inline").affected
    assert (affected.ecosystem, affected.name, affected.lookup_name) == ("", "", "")
    assert affected.versions == ("v1",)


VALID: dict[str, Any] = {
    "id": "GOOD-1",
    "modified": "2024-01-01T00:00:00Z",
    "affected": [
        {"package": {"ecosystem": "PyPI", "name": "a"}, "ranges": []},
        {"package": {"ecosystem": "PyPI", "name": "b"}, "ranges": []},
        {
            "package": {"ecosystem": "PyPI", "name": "c"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1"}]}],
        },
    ],
}


def broken(mutate: Any) -> Any:
    record = copy.deepcopy(VALID)
    mutate(record)
    return record


def _set(path: list[Any], value: Any) -> Any:
    def mutate(record: Any) -> None:
        target = record
        for part in path[:-1]:
            target = target[part]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return mutate


_DELETE = object()

MALFORMED = [
    ("not an object", lambda r: None, "$", "an OSV record", ["x"]),
    ("missing id", _set(["id"], _DELETE), "$.id", "missing required field 'id'", None),
    ("blank id", _set(["id"], "  "), "$.id", "a non-empty string", None),
    ("missing modified", _set(["modified"], _DELETE), "$.modified", "RFC 3339", None),
    ("date only", _set(["modified"], "2024-01-01"), "$.modified", "RFC 3339", None),
    ("no offset", _set(["modified"], "2024-01-01T00:00:00"), "$.modified", "RFC 3339", None),
    ("bad month", _set(["modified"], "2024-13-01T00:00:00Z"), "$.modified", "RFC 3339", None),
    ("bad published", _set(["published"], 17), "$.published", "timestamp string", None),
    ("aliases not a list", _set(["aliases"], "CVE-1"), "$.aliases", "an array of strings", None),
    ("alias not a string", _set(["aliases"], ["CVE-1", 2]), "$.aliases[1]", "a string", None),
    ("summary number", _set(["summary"], 3), "$.summary", "a string", None),
    ("affected object", _set(["affected"], {}), "$.affected", "an array", None),
    ("affected item", _set(["affected", 1], "x"), "$.affected[1]", "an object", None),
    (
        "ecosystem missing",
        _set(["affected", 2, "package", "ecosystem"], _DELETE),
        "$.affected[2].package.ecosystem",
        "a string",
        None,
    ),
    (
        "range type",
        _set(["affected", 2, "ranges", 0, "type"], None),
        "$.affected[2].ranges[0].type",
        "SEMVER, ECOSYSTEM or GIT",
        None,
    ),
    (
        "events missing",
        _set(["affected", 2, "ranges", 0, "events"], _DELETE),
        "$.affected[2].ranges[0].events",
        "an array of events",
        None,
    ),
    (
        "two kinds in one event",
        _set(["affected", 2, "ranges", 0, "events", 1], {"introduced": "1", "fixed": "2"}),
        "$.affected[2].ranges[0].events[1]",
        "exactly one of introduced, fixed, last_affected, limit; got introduced, fixed",
        None,
    ),
    (
        "no kind in event",
        _set(["affected", 2, "ranges", 0, "events", 1], {"fixd": "2"}),
        "$.affected[2].ranges[0].events[1]",
        "one of introduced, fixed, last_affected, limit; got fixd",
        None,
    ),
    (
        "event value number",
        _set(["affected", 2, "ranges", 0, "events", 1], {"fixed": 2}),
        "$.affected[2].ranges[0].events[1].fixed",
        "a version string, got 2",
        None,
    ),
    (
        "event value null",
        _set(["affected", 2, "ranges", 0, "events", 1], {"fixed": None}),
        "$.affected[2].ranges[0].events[1].fixed",
        "a version string, got null",
        None,
    ),
    (
        "severity score",
        _set(["severity"], [{"type": "CVSS_V3", "score": 9.8}]),
        "$.severity[0].score",
        "a string",
        None,
    ),
    (
        "reference url",
        _set(["references"], [{"type": "WEB"}]),
        "$.references[0].url",
        "a string",
        None,
    ),
    (
        "versions entry",
        _set(["affected", 0, "versions"], ["1.0", None]),
        "$.affected[0].versions[1]",
        "a string",
        None,
    ),
]


@pytest.mark.parametrize(
    ("mutate", "location", "expected", "replacement"),
    [pytest.param(m, loc, exp, rep, id=name) for name, m, loc, exp, rep in MALFORMED],
)
def test_malformed_record_names_json_path_and_expectation(
    mutate: Any, location: str, expected: str, replacement: Any
) -> None:
    record = replacement if replacement is not None else broken(mutate)
    with pytest.raises(AdvisoryError) as caught:
        parse_osv(record, source="feed.zip!GOOD-1.json")
    error = caught.value
    assert error.source == "feed.zip!GOOD-1.json"
    assert error.location == location
    assert expected in error.message
    assert str(error).startswith(f"feed.zip!GOOD-1.json:{location}: ")


@pytest.mark.parametrize(
    ("ecosystem", "name", "expected"),
    [
        ("PyPI", "Django_REST.framework", "django-rest-framework"),
        ("PyPI", "zope.interface", "zope-interface"),
        ("npm", "@Scope/JSONStream", "@scope/jsonstream"),
        ("npm", "lodash", "lodash"),
        ("NuGet", "Newtonsoft.Json", "newtonsoft.json"),
        ("Packagist", "Laravel/Framework", "laravel/framework"),
        ("Go", "github.com/ProtonMail/go-crypto", "github.com/ProtonMail/go-crypto"),
        ("Maven", "org.apache.logging.log4j:log4j-core", "org.apache.logging.log4j:log4j-core"),
        ("Maven:https://maven.google.com", "com.google:Foo", "com.google:Foo"),
        ("crates.io", "Inflector", "Inflector"),
        ("SwiftURL", "https://github.com/Apple/swift-nio.git", "github.com/apple/swift-nio"),
        ("SwiftURL", "github.com/apple/swift-nio", "github.com/apple/swift-nio"),
        ("RubyGems", "RedCloth", "RedCloth"),
        ("AlmaLinux:8", "python3-PyYAML", "python3-PyYAML"),
        ("Debian:12", "glibc", "glibc"),
        ("SomethingNew", "Mixed_Case", "Mixed_Case"),
    ],
)
def test_lookup_name(ecosystem: str, name: str, expected: str) -> None:
    assert lookup_name(ecosystem, name) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-06T11:01:37.264Z", datetime(2024, 3, 6, 11, 1, 37, 264000, tzinfo=UTC)),
        ("2024-03-06t11:01:37z", datetime(2024, 3, 6, 11, 1, 37, tzinfo=UTC)),
        (
            "2024-03-06T11:01:37+09:00",
            datetime(2024, 3, 6, 11, 1, 37, tzinfo=timezone(timedelta(hours=9))),
        ),
        ("2024-03-06T11:01:37.123456789Z", datetime(2024, 3, 6, 11, 1, 37, 123456, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


def test_format_timestamp_is_rfc3339_with_z() -> None:
    assert format_timestamp(datetime(2024, 3, 6, 11, 1, 37, 264000, tzinfo=UTC)) == (
        "2024-03-06T11:01:37.264Z"
    )
    assert format_timestamp(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00Z"


# --- the matching subset, and reading it back from the store ------------------------------------

FIXTURE_RECORDS = sorted([*OSV.glob("*.json"), *(OSV.parent / "merge").glob("*.json")])


def stored(record: dict[str, Any]) -> dict[str, Any]:
    """Return the matching subset of ``record`` as a scan reads it back from the database."""
    return orjson.loads(orjson.dumps(matching_subset(record)))


@pytest.mark.parametrize("path", FIXTURE_RECORDS, ids=[p.name for p in FIXTURE_RECORDS])
def test_stored_documents_read_back_like_parse_osv(path: Any) -> None:
    record = orjson.loads(path.read_bytes())
    assert parse_stored_osv(record, source=path.name) == parse_osv(record, source=path.name)
    subset = stored(record)
    assert parse_stored_osv(subset, source=path.name) == parse_osv(subset, source=path.name)


def test_stored_documents_read_back_like_parse_osv_on_the_real_feeds() -> None:
    paths = [shared_data(f"osv/{name}/all.zip") for name in ("PyPI", "Go", "AlmaLinux", "Bitnami")]
    checked = 0
    for path in paths:
        for document in iter_osv_documents(path):
            data = getattr(document, "data", None)
            if data is None:
                continue
            record = orjson.loads(data)
            try:
                expected = parse_osv(record, source=document.location)
            except AdvisoryError:
                continue  # never stored
            assert parse_stored_osv(record, source=document.location) == expected
            subset = stored(record)
            assert parse_stored_osv(subset, source="x") == parse_osv(subset, source="x")
            checked += 1
    assert checked > 10_000


def test_stored_event_with_an_unknown_key_beside_its_kind() -> None:
    record = copy.deepcopy(VALID)
    record["affected"][2]["ranges"][0]["events"][1] = {"fixed": "1", "note": "tolerated"}
    assert parse_stored_osv(record, source="s") == parse_osv(record, source="s")
    assert parse_stored_osv(record, source="s").affected[2].ranges[0].events[1] == Event(
        "fixed", "1"
    )


@pytest.mark.parametrize(
    "mutate",
    [
        _set(["modified"], _DELETE),
        _set(["modified"], 17),
        _set(["affected"], [{"package": {"name": "no ecosystem"}}]),
        _set(["affected", 2, "ranges", 0, "events"], _DELETE),
        _set(["severity"], [{"type": "CVSS_V3"}]),
    ],
    ids=["no modified", "modified number", "no ecosystem", "no events", "no score"],
)
def test_a_stored_document_that_does_not_read_fails_like_parse_osv(mutate: Any) -> None:
    record = broken(mutate)
    with pytest.raises(AdvisoryError) as expected:
        parse_osv(record, source="db:X")
    with pytest.raises(AdvisoryError) as caught:
        parse_stored_osv(record, source="db:X")
    assert str(caught.value) == str(expected.value)


def test_matching_subset_keeps_what_matching_and_findings_read() -> None:
    record = {
        **copy.deepcopy(VALID),
        "details": "\n  First line of the details.  \nSecond line.",
        "references": [{"type": "WEB", "url": "https://example.com"}],
        "credits": [{"name": "someone"}],
        "database_specific": {"severity": "HIGH", "cwe_ids": ["CWE-79"]},
    }
    record["affected"][0]["ecosystem_specific"] = {"imports": [{"path": "a/b", "symbols": ["F"]}]}
    subset = matching_subset(record)
    assert "references" not in subset and "credits" not in subset
    assert subset["database_specific"] == {"severity": "HIGH"}
    assert "ecosystem_specific" not in subset["affected"][0]
    # without a summary, a finding shows the first non-blank line of the details: it is kept
    assert subset["details"] == "First line of the details."
    # with one, the details are never shown
    assert "details" not in matching_subset({**record, "summary": "A summary"})
    assert "details" not in matching_subset({**record, "details": " \n \n"})

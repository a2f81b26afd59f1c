"""Remediation advice: the smallest upgrade that clears a component's findings.

The real-data tests pass every record of an ecosystem's shared OSV zip, so they also prove that
records of other packages are left out. Each pinned version was checked by reading the records.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from support import shared_data
from vulndesk.core.advisories.model import Advisory
from vulndesk.core.advisories.osv import parse_osv
from vulndesk.core.advisories.sources import read_osv
from vulndesk.core.matching.evaluation import evaluate
from vulndesk.core.remediation import Upgrade, major_of, smallest_upgrade

# --- real data ------------------------------------------------------------------------------------


@functools.cache
def _real(ecosystem: str) -> tuple[Advisory, ...]:
    path = shared_data(f"osv/{ecosystem}/all.zip")
    return tuple(a for a in read_osv(path) if isinstance(a, Advisory))


def _record(ecosystem: str, advisory_id: str) -> Advisory:
    return next(a for a in _real(ecosystem) if a.id == advisory_id)


GIN = "github.com/gin-gonic/gin"
X_CRYPTO = "golang.org/x/crypto"


@pytest.mark.shared
def test_go_module_with_three_advisories_gets_one_upgrade_that_clears_them_all() -> None:
    # gin: GO-2020-0001 fixed 1.6.0, GO-2021-0052 fixed 1.7.7, GO-2023-1737 introduced
    # 1.3.1-0.20190301021747-ccb9e902956d fixed 1.9.1; v1.5.0 is affected by all three
    upgrade = smallest_upgrade("Go", GIN, "v1.5.0", _real("Go"))

    assert upgrade.target == "v1.9.1"  # OSV writes 1.9.1; the v of the current version is kept
    assert upgrade.clears == ("GO-2020-0001", "GO-2021-0052", "GO-2023-1737")
    assert upgrade.remaining == ()
    assert upgrade.introduces == ()
    assert upgrade.crosses_major is False
    assert upgrade.reason == "v1.9.1 is the smallest version fixed for all 3 advisories"
    for advisory_id in upgrade.clears:
        record = _record("Go", advisory_id)
        assert evaluate(record.affected[0], "1.5.0").affected
        assert evaluate(record.affected[0], "1.9.1").status == "not_affected"


@pytest.mark.shared
def test_go_version_is_written_as_the_current_one_is() -> None:
    upgrade = smallest_upgrade("Go", GIN, "1.5.0", _real("Go"))
    assert upgrade.target == "1.9.1"


@pytest.mark.shared
def test_a_fix_that_brings_in_another_advisory_is_passed_over() -> None:
    # 1.3.0 predates GO-2023-1737 (introduced in a 1.3.1 pseudo-version). 1.7.7 fixes both of
    # its findings but is inside GO-2023-1737, so the advice is 1.9.1, and says why.
    assert evaluate(_record("Go", "GO-2023-1737").affected[0], "1.3.0").status == "not_affected"
    assert evaluate(_record("Go", "GO-2023-1737").affected[0], "1.7.7").affected

    upgrade = smallest_upgrade("Go", GIN, "1.3.0", _real("Go"))

    assert upgrade.target == "1.9.1"
    assert upgrade.clears == ("GO-2020-0001", "GO-2021-0052")  # GO-2023-1737 was no finding
    assert upgrade.introduces == ()
    assert upgrade.reason == (
        "1.9.1 is the smallest version fixed for both advisories that no other given advisory"
        " affects (1.7.7 is fixed too, but is affected by 1 more advisory)"
    )


# x/crypto's records in the snapshot: 29, of which GO-2026-5932 has no fixed event at all and
# GO-2020-0013 is fixed at a 2017 pseudo-version, before the version below
X_CRYPTO_FIXED_AFTER_2019_03 = (
    "GO-2020-0012",
    "GO-2021-0227",
    "GO-2021-0356",
    "GO-2022-0209",
    "GO-2022-0229",
    "GO-2022-0968",
    "GO-2023-1992",
    "GO-2023-2402",
    "GO-2024-2961",
    "GO-2024-3321",
    "GO-2025-3487",
    "GO-2025-4116",
    "GO-2025-4134",
    "GO-2025-4135",
    "GO-2026-5005",
    "GO-2026-5006",
    "GO-2026-5013",
    "GO-2026-5014",
    "GO-2026-5015",
    "GO-2026-5016",
    "GO-2026-5017",
    "GO-2026-5018",
    "GO-2026-5019",
    "GO-2026-5020",
    "GO-2026-5021",
    "GO-2026-5023",
    "GO-2026-5033",
)


@pytest.mark.shared
def test_go_pseudo_version_upgrade_clears_every_fixed_advisory_and_reports_the_unfixed() -> None:
    current = "v0.0.0-20190308221718-c2843e01d9a2"
    upgrade = smallest_upgrade("Go", X_CRYPTO, current, _real("Go"))

    assert upgrade.target == "v0.52.0"
    assert upgrade.clears == X_CRYPTO_FIXED_AFTER_2019_03
    assert "GO-2020-0013" not in upgrade.clears  # fixed 0.0.0-20170330...: not a finding
    assert upgrade.remaining == ("GO-2026-5932",)
    assert upgrade.crosses_major is False  # v0.0.0-... and v0.52.0 are both major 0
    assert upgrade.reason == (
        "v0.52.0 is the smallest version fixed for 27 of 28 advisories;"
        " no fixed version is known for GO-2026-5932"
    )


@pytest.mark.shared
def test_no_fix_published_gives_no_target() -> None:
    upgrade = smallest_upgrade("Go", X_CRYPTO, "v0.52.0", _real("Go"))

    assert upgrade.target is None
    assert upgrade.clears == ()
    assert upgrade.remaining == ("GO-2026-5932",)
    assert upgrade.reason == "no fixed version is known for GO-2026-5932"


@pytest.mark.shared
def test_go_v0_to_v1_crosses_a_major_within_one_module_path() -> None:
    # buger/jsonparser: GO-2021-0089 fixed 1.0.0, GO-2021-0057 fixed 1.1.1, GO-2026-4514 fixed 1.1.2
    upgrade = smallest_upgrade("Go", "github.com/buger/jsonparser", "v0.9.0", _real("Go"))
    assert upgrade.target == "v1.1.2"
    assert upgrade.clears == ("GO-2021-0057", "GO-2021-0089", "GO-2026-4514")
    assert upgrade.crosses_major is True

    within = smallest_upgrade("Go", "github.com/buger/jsonparser", "v1.0.3", _real("Go"))
    assert within.target == "v1.1.2"
    assert within.clears == ("GO-2021-0057", "GO-2026-4514")
    assert within.crosses_major is False


@pytest.mark.shared
def test_pypi_package_with_five_advisories_gets_one_upgrade() -> None:
    # jinja2: fixed 2.7.2, 2.7.3, 2.8.1, 2.10.1 and 2.11.3; the name is matched PEP 503-normalised
    upgrade = smallest_upgrade("PyPI", "Jinja2", "2.7", _real("PyPI"))

    assert upgrade.target == "2.11.3"
    assert upgrade.clears == (
        "PYSEC-2014-8",
        "PYSEC-2014-82",
        "PYSEC-2019-217",
        "PYSEC-2019-220",
        "PYSEC-2021-66",
    )
    assert upgrade.remaining == ()
    assert upgrade.crosses_major is False


@pytest.mark.shared
def test_pypi_upgrade_across_a_major_avoids_fixes_that_other_advisories_affect() -> None:
    # Django 1.11.29 has one finding, PYSEC-2021-98 (introduced 0, fixed 2.2.24). 2.2.24 is
    # inside eight advisories that start at 2.2 (PYSEC-2022-190: introduced 2.2, fixed 2.2.28...),
    # so the smallest version that clears the finding without new ones is 2.2.28.
    upgrade = smallest_upgrade("PyPI", "django", "1.11.29", _real("PyPI"))

    assert upgrade.target == "2.2.28"
    assert upgrade.clears == ("PYSEC-2021-98",)
    assert upgrade.crosses_major is True
    assert upgrade.reason == (
        "2.2.28 is the smallest version fixed for PYSEC-2021-98 that no other given advisory"
        " affects (2.2.24 is fixed too, but is affected by 8 more advisories)"
    )

    alone = smallest_upgrade("PyPI", "django", "1.11.29", [_record("PyPI", "PYSEC-2021-98")])
    assert alone.target == "2.2.24"
    assert alone.crosses_major is True


@pytest.mark.shared
def test_pypi_partial_advice_crosses_a_major_and_keeps_the_unfixed() -> None:
    # scrapy: PYSEC-2021-363 fixed 1.8.1 and 2.5.1, PYSEC-2022-159 fixed 2.6.1 only, and
    # PYSEC-2017-83 (introduced 0.7) was never fixed
    upgrade = smallest_upgrade("PyPI", "Scrapy", "1.0.0", _real("PyPI"))

    assert upgrade.target == "2.6.1"
    assert upgrade.clears == ("PYSEC-2021-363", "PYSEC-2022-159")
    assert upgrade.remaining == ("PYSEC-2017-83",)
    assert upgrade.crosses_major is True
    assert upgrade.reason == (
        "2.6.1 is the smallest version fixed for 2 of 3 advisories;"
        " no fixed version is known for PYSEC-2017-83"
    )


@pytest.mark.shared
def test_pypi_version_with_only_unfixed_advisories() -> None:
    # keystone 2013.1 sorts after every fixed bound (14.1.0, 15.0.1, 16.0.1) of PEP 440; only the
    # two never-fixed 2012 records affect it
    upgrade = smallest_upgrade("PyPI", "keystone", "2013.1", _real("PyPI"))
    assert upgrade.target is None
    assert upgrade.remaining == ("PYSEC-2012-19", "PYSEC-2012-20")


@pytest.mark.shared
def test_semver_upgrade_crosses_a_major_when_a_finding_has_no_fix_on_the_current_line() -> None:
    # Bitnami cosign 2.2.4: BIT-cosign-2026-22703 (fixed 2.6.2 and 3.0.4), -39395 (fixed 2.6.3
    # and 3.0.6) and -24122 (fixed 3.0.5 only): the 2.x line cannot clear -24122
    upgrade = smallest_upgrade("Bitnami", "cosign", "2.2.4", _real("Bitnami"))

    assert upgrade.target == "3.0.6"
    assert upgrade.clears == (
        "BIT-cosign-2026-22703",
        "BIT-cosign-2026-24122",
        "BIT-cosign-2026-39395",
    )
    assert upgrade.crosses_major is True


@pytest.mark.shared
@pytest.mark.parametrize(
    ("ecosystem", "name", "version"),
    [
        ("Go", GIN, "v1.9.1"),
        ("PyPI", "jinja2", "3.0.0"),
        ("Bitnami", "cosign", "3.0.6"),
    ],
)
def test_version_not_affected_needs_no_upgrade(ecosystem: str, name: str, version: str) -> None:
    upgrade = smallest_upgrade(ecosystem, name, version, _real(ecosystem))

    assert upgrade.target is None
    assert upgrade.clears == ()
    assert upgrade.remaining == ()
    assert upgrade.crosses_major is False
    assert upgrade.reason == f"{version} is not affected by any of the given advisories"


# --- hand-written records -------------------------------------------------------------------------


def _package(
    *events: tuple[str, str],
    name: str = "example",
    ecosystem: str = "PyPI",
    versions: tuple[str, ...] = (),
    range_type: str = "ECOSYSTEM",
) -> dict[str, Any]:
    entry: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name}}
    if events:
        entry["ranges"] = [{"type": range_type, "events": [{k: v} for k, v in events]}]
    if versions:
        entry["versions"] = list(versions)
    return entry


def _osv(advisory_id: str, *affected: dict[str, Any], withdrawn: bool = False) -> Advisory:
    record: dict[str, Any] = {
        "id": advisory_id,
        "modified": "2024-01-01T00:00:00Z",
        "affected": list(affected),
    }
    if withdrawn:
        record["withdrawn"] = "2024-02-01T00:00:00Z"
    return parse_osv(record, source=f"{advisory_id}.json")


def test_withdrawn_records_and_other_packages_do_not_count() -> None:
    advisories = [
        _osv("A", _package(("introduced", "0"), ("fixed", "1.2"))),
        _osv("W", _package(("introduced", "0"), ("fixed", "3.0")), withdrawn=True),
        _osv("O", _package(("introduced", "0"), ("fixed", "4.0"), name="other")),
        _osv("N", _package(("introduced", "0"), ("fixed", "5.0"), ecosystem="npm")),
    ]
    upgrade = smallest_upgrade("PyPI", "example", "1.0", advisories)
    assert (upgrade.target, upgrade.clears, upgrade.remaining) == ("1.2", ("A",), ())


def test_pypi_names_are_matched_normalised() -> None:
    advisories = [_osv("A", _package(("introduced", "0"), ("fixed", "2.0"), name="Foo_Bar"))]
    assert smallest_upgrade("PyPI", "foo.bar", "1.0", advisories).target == "2.0"


def test_entries_of_one_record_are_pooled() -> None:
    # two entries for one package: the target must be outside both
    advisories = [
        _osv(
            "A",
            _package(("introduced", "0"), ("fixed", "1.5")),
            _package(("introduced", "1.5"), ("fixed", "1.7")),
        )
    ]
    upgrade = smallest_upgrade("PyPI", "example", "1.0", advisories)
    assert upgrade.target == "1.7"
    assert upgrade.clears == ("A",)


def test_unknown_does_not_clear() -> None:
    # the range's fixed bound is no PEP 440 version, so the range cannot be evaluated: 1.0 is
    # affected through the versions list, and 2.0 is "unknown", not cleared
    advisories = [
        _osv("A", _package(("introduced", "0"), ("fixed", "2.0"))),
        _osv("U", _package(("introduced", "0"), ("fixed", "2.0-bad-fix"), versions=("1.0",))),
    ]
    assert evaluate(advisories[1].affected[0], "2.0").status == "unknown"

    upgrade = smallest_upgrade("PyPI", "example", "1.0", advisories)

    assert upgrade.target == "2.0"
    assert upgrade.clears == ("A",)
    assert upgrade.remaining == ("U",)
    assert upgrade.reason == (
        "2.0 is the smallest version fixed for 1 of 2 advisories; no fixed version is known for U"
    )


def test_last_affected_names_no_candidate_but_a_later_version_clears_it() -> None:
    only = [_osv("L", _package(("introduced", "0"), ("last_affected", "1.5")))]
    upgrade = smallest_upgrade("PyPI", "example", "1.0", only)
    assert upgrade.target is None
    assert upgrade.remaining == ("L",)

    with_fix = [*only, _osv("F", _package(("introduced", "0"), ("fixed", "1.7")))]
    upgrade = smallest_upgrade("PyPI", "example", "1.0", with_fix)
    assert upgrade.target == "1.7"
    assert upgrade.clears == ("F", "L")


def test_no_single_version_clears_all() -> None:
    # A is fixed on the 1.x line only (2.x stays affected), B only on 2.x
    advisories = [
        _osv("A", _package(("introduced", "0"), ("fixed", "1.5"), ("introduced", "2.0"))),
        _osv("B", _package(("introduced", "0"), ("fixed", "2.1"))),
    ]
    upgrade = smallest_upgrade("PyPI", "example", "1.0", advisories)

    assert upgrade.target == "1.5"  # clears as many as 2.1 does, and is smaller
    assert upgrade.clears == ("A",)
    assert upgrade.remaining == ("B",)
    assert upgrade.reason == (
        "1.5 is the smallest version fixed for 1 of 2 advisories;"
        " no single known version also clears B"
    )


def test_a_new_advisory_is_reported_when_it_cannot_be_avoided() -> None:
    # the only version fixed for A (never fixed after 1.5) is 1.6, which B lists as affected
    advisories = [
        _osv("A", _package(("introduced", "0"), ("last_affected", "1.5"))),
        _osv("B", _package(versions=("1.4", "1.6"))),
    ]
    upgrade = smallest_upgrade("PyPI", "example", "1.0", advisories)

    assert upgrade.target == "1.6"
    assert upgrade.clears == ("A",)
    assert upgrade.introduces == ("B",)
    assert (
        upgrade.reason
        == "1.6 is the smallest version fixed for A; it is affected by B, which 1.0 is not"
    )


def test_equal_versions_are_one_candidate() -> None:
    advisories = [
        _osv("A", _package(("introduced", "0"), ("fixed", "2.0"))),
        _osv("B", _package(("introduced", "0"), ("fixed", "2.0.0"))),
    ]
    upgrade = smallest_upgrade("PyPI", "example", "1.0", advisories)
    assert upgrade.target == "2.0"
    assert upgrade.clears == ("A", "B")
    assert upgrade.reason == "2.0 is the smallest version fixed for both advisories"


def test_semver_major_crossing() -> None:
    advisories = [_osv("A", _package(("introduced", "0"), ("fixed", "2.0.1"), ecosystem="npm"))]
    upgrade = smallest_upgrade("npm", "example", "1.4.0", advisories)
    assert (upgrade.target, upgrade.crosses_major) == ("2.0.1", True)


def test_ecosystem_without_an_ordering_gives_no_target() -> None:
    advisories = [_osv("A", _package(versions=("1.0",), ecosystem="CRAN"))]
    upgrade = smallest_upgrade("CRAN", "example", "1.0", advisories)

    assert upgrade.target is None
    assert upgrade.remaining == ("A",)
    assert upgrade.reason.startswith("no upgrade can be ordered after 1.0: no version ordering")


def test_current_version_outside_the_ordering_gives_no_target() -> None:
    advisories = [_osv("A", _package(("introduced", "0"), ("fixed", "2.0"), versions=("1.x",)))]
    upgrade = smallest_upgrade("PyPI", "example", "1.x", advisories)

    assert upgrade.target is None
    assert upgrade.remaining == ("A",)
    assert upgrade.reason == (
        "no upgrade can be ordered after 1.x: invalid pypi version '1.x': not a PEP 440 version"
    )


def test_major_unknown_is_not_a_crossing() -> None:
    # Maven orders "r09" < "r10" but neither starts with a number
    advisories = [_osv("A", _package(("introduced", "0"), ("fixed", "r10"), ecosystem="Maven"))]
    upgrade = smallest_upgrade("Maven", "example", "r09", advisories)
    assert (upgrade.target, upgrade.crosses_major) == ("r10", False)


def test_as_json() -> None:
    upgrade = Upgrade("PyPI", "example", "1.0", "2.0", True, ("A",), ("B",), "because")
    assert upgrade.as_json() == {
        "ecosystem": "PyPI",
        "name": "example",
        "current": "1.0",
        "target": "2.0",
        "crosses_major": True,
        "clears": ["A"],
        "remaining": ["B"],
        "introduces": [],
        "reason": "because",
    }


@pytest.mark.parametrize(
    ("ecosystem", "version", "major"),
    [
        ("PyPI", "2.0.0rc1", "2"),
        ("PyPI", "0.9", "0"),
        ("PyPI", "1!2.0", "1!2"),
        ("Go", "v0.17.0", "0"),
        ("Go", "0.0.0-20190308221718-c2843e01d9a2", "0"),
        ("Go", "v2.0.0+incompatible", "2"),
        ("Go", "go1.21.3", "1"),
        ("npm", "10.2.3-beta.1", "10"),
        ("crates.io", "0.3.1", "0"),
        ("NuGet", "13.0.1", "13"),
        ("Maven", "2.13.4.Final", "2"),
        ("Maven", "r09", None),
        ("RubyGems", "7.0.8.1", "7"),
        ("Packagist", "v5.4.1", "5"),
        ("Debian:12", "1:2.30-1", "1:2"),
        ("Debian:12", "0:2.30-1", "2"),
        ("AlmaLinux:8", "1:1.1.1k-12.el8_9", "1:1"),
        ("AlmaLinux:8", "3.6.16-4.el8", "3"),
        ("Alpine:v3.20", "3.1.4-r5", "3"),
        ("PyPI", "not a version", None),
        ("CRAN", "1.0", None),
    ],
    ids=lambda value: str(value),
)
def test_major_of(ecosystem: str, version: str, major: str | None) -> None:
    assert major_of(ecosystem, version) == major

"""Components x advisories: one finding per (component, alias group), merged; golden JSON report."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from support import FIXTURES
from vulndesk.core.advisories.model import Advisory, Severity
from vulndesk.core.advisories.sources import read_osv
from vulndesk.core.ids.aliases import AliasGroups
from vulndesk.core.matching import (
    AdvisoryIndex,
    LookupKey,
    MatchReport,
    match_components,
    report_to_json,
)
from vulndesk.core.matching.engine import AliasResolver, _local_groups
from vulndesk.core.sbom.model import Component

MERGE = FIXTURES / "osv" / "merge"
RECORDS = FIXTURES / "osv" / "records"
GOLDEN = FIXTURES / "osv" / "match-report.golden.json"


def advisories(path: Path) -> list[Advisory]:
    items = list(read_osv(path))
    assert all(isinstance(i, Advisory) for i in items), items
    return [i for i in items if isinstance(i, Advisory)]


def component(ref: str, purl: str | None, name: str = "", version: str | None = None) -> Component:
    return Component(ref=ref, name=name or ref, version=version, purl=purl)


COMPONENTS = [
    component("web-240", "pkg:pypi/demo-web@2.4.0", "demo-web", "2.4.0"),
    component("web-23", "pkg:pypi/demo-web@2.3", "demo-web", "2.3"),
    component("web-31", "pkg:pypi/demo-web@3.1", "demo-web", "3.1"),
    component("mod", "pkg:golang/example.com/mod@v1.0.0", "example.com/mod", "v1.0.0"),
    component("firmware", None, "router-firmware", "1.0"),
]


def run(extra: list[Advisory] | None = None, groups: AliasGroups | None = None) -> MatchReport:
    index = AdvisoryIndex([*advisories(MERGE), *(extra or [])])
    return match_components(COMPONENTS, index.advisories_for, aliases=groups)


def test_records_of_one_alias_group_become_one_finding() -> None:
    report = run()
    web = [f for f in report.findings if f.component.ref == "web-240"]
    assert len(web) == 1
    (finding,) = web
    assert finding.vulnerability_id == "CVE-2099-1234"
    assert finding.aliases == ("CVE-2099-1234", "GHSA-aaaa-bbbb-cccc", "OSV-2099-7", "PYSEC-2099-1")
    assert finding.advisory_ids == ("GHSA-aaaa-bbbb-cccc", "OSV-2099-7", "PYSEC-2099-1")
    assert finding.affected_range == "<2.4.1; >=2.0, <2.4.2"
    assert finding.fixed_versions == ("2.4.1", "2.4.2", "3.0.2")
    assert finding.summary == "demo-web request smuggling"
    # v3 (9.1, CRITICAL) beats the record's v2 score of 10.0 and its "HIGH" word
    assert finding.severity is not None
    assert (finding.severity.rating, finding.severity.score, finding.severity.type) == (
        "CRITICAL",
        9.1,
        "CVSS_V3",
    )
    assert finding.severity.source == "GHSA-aaaa-bbbb-cccc"


def test_related_is_not_aliasing_and_last_affected_counts() -> None:
    report = run()
    ids = sorted(f.vulnerability_id for f in report.findings if f.component.ref == "web-23")
    assert ids == ["CVE-2099-1234", "PYSEC-2099-2"]


def test_withdrawn_never_matches() -> None:
    report = run(advisories(RECORDS / "withdrawn.json"))
    assert all("CVE-2099-9999" not in f.aliases for f in report.findings)
    withdrawn = component("w", "pkg:pypi/withdrawn-pkg@1.0")
    index = AdvisoryIndex(advisories(RECORDS / "withdrawn.json"))
    assert match_components([withdrawn], index.advisories_for).findings == ()


def test_undetermined_and_not_evaluated_are_reported() -> None:
    report = run()
    assert [(u.component.ref, u.vulnerability_id) for u in report.undetermined] == [
        ("mod", "GO-2099-0004")
    ]
    assert "fixed 'one.two' is not a valid" in report.undetermined[0].reason
    assert [(n.component.ref, n.reason) for n in report.not_evaluated] == [
        (
            "firmware",
            "no package URL: identified only by name and version, which is not matched"
            " (never guessed)",
        )
    ]
    assert report.components == 5
    assert report.evaluated == 4


def test_findings_are_ordered_by_severity_component_id() -> None:
    report = run()
    order = [
        (f.severity.rating if f.severity else None, f.component.ref, f.vulnerability_id)
        for f in report.findings
    ]
    assert order == [
        ("CRITICAL", "web-23", "CVE-2099-1234"),
        ("CRITICAL", "web-240", "CVE-2099-1234"),
        ("CRITICAL", "mod", "CVE-2099-3333"),
        ("LOW", "web-23", "PYSEC-2099-2"),
    ]


def test_global_alias_groups_join_the_records_own_aliases() -> None:
    groups = AliasGroups()
    groups.add("JVNDB-2099-000001", ["CVE-2099-1234"])
    groups.add("GO-2099-0003", ["EUVD-2099-5"])
    report = run(groups=groups)
    web = next(f for f in report.findings if f.component.ref == "web-240")
    assert "JVNDB-2099-000001" in web.aliases
    assert web.vulnerability_id == "CVE-2099-1234"
    mod = next(f for f in report.findings if f.component.ref == "mod")
    assert mod.aliases == ("CVE-2099-3333", "EUVD-2099-5", "GO-2099-0003")


def test_advisories_for_is_called_once_with_every_key() -> None:
    index = AdvisoryIndex(advisories(MERGE))
    calls: list[frozenset[LookupKey]] = []

    def fetch(keys: frozenset[LookupKey]) -> list[Advisory]:
        calls.append(keys)
        return index.advisories_for(keys)

    match_components(COMPONENTS, fetch)
    assert calls == [frozenset({LookupKey("PyPI", "demo-web"), LookupKey("Go", "example.com/mod")})]


def test_no_keys_no_call() -> None:
    def fetch(keys: frozenset[LookupKey]) -> list[Advisory]:
        raise AssertionError("not expected")

    report = match_components([component("x", None)], fetch)
    assert report.findings == ()
    assert report.evaluated == 0


def test_report_json_matches_golden_file() -> None:
    produced = report_to_json(run())
    # byte for byte: key order is part of the contract too
    text = orjson.dumps(produced, option=orjson.OPT_INDENT_2) + b"\n"
    if os.environ.get("VULNDESK_UPDATE_GOLDEN"):
        GOLDEN.write_bytes(text)
    assert GOLDEN.exists(), "run with VULNDESK_UPDATE_GOLDEN=1 once to create the golden file"
    assert GOLDEN.read_bytes().decode() == text.decode()


def test_report_summary_counts() -> None:
    summary = report_to_json(run())["summary"]
    assert summary == {
        "components": 5,
        "evaluated": 4,
        "not_evaluated": 1,
        "findings": 4,
        "by_severity": {
            "CRITICAL": 3,
            "HIGH": 0,
            "MEDIUM": 0,
            "LOW": 1,
            "NONE": 0,
            "UNKNOWN": 0,
        },
        "vulnerabilities": 3,
    }


@pytest.mark.parametrize("version", ["1:5.1.8-6.el9", "5.1.8-9.el9"])
def test_distro_component_matches_its_release_only(version: str) -> None:
    index = AdvisoryIndex(advisories(RECORDS / "distro.json"))
    epoch, _, rest = version.rpartition(":")
    qualifiers = f"distro=almalinux-9.2{'&epoch=' + epoch if epoch else ''}"
    bash9 = component("bash9", f"pkg:rpm/almalinux/bash@{rest}?{qualifiers}")
    bash8 = component("bash8", "pkg:rpm/almalinux/bash@4.4.20-4.el8?distro=almalinux-8.9")
    report = match_components([bash9, bash8], index.advisories_for)
    found = {(f.component.ref, f.affected_range) for f in report.findings}
    # 5.1.8-9.el9 without an epoch is epoch 0, below the fix 1:5.1.8-9.el9
    assert found == {("bash9", "<1:5.1.8-9.el9"), ("bash8", "<4.4.20-5.el8")}


def test_group_records_lend_their_severity_to_the_whole_group() -> None:
    # the Go record has no CVSS; an NVD-style record of the same CVE (another package, another
    # source) has one: the finding shows the group's highest rating
    go = advisories(MERGE / "GO-2099-0003.json")
    nvd = Advisory(
        id="CVE-2099-3333",
        modified=go[0].modified,
        severity=(Severity("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),),
    )
    plain = replace(go[0], affected=(replace(go[0].affected[0], severity=()),))
    index = AdvisoryIndex([plain, nvd])
    mod = component("mod", "pkg:golang/example.com/mod@v1.0.0")
    without = match_components([mod], index.advisories_for)
    assert without.findings[0].severity is None
    asked: list[frozenset[str]] = []

    def records(ids: frozenset[str]) -> list[Advisory]:
        asked.append(ids)
        return index.advisories_by_id(ids)

    (finding,) = match_components([mod], index.advisories_for, group_records=records).findings
    assert asked == [frozenset({"CVE-2099-3333", "GO-2099-0003"})]
    assert finding.severity is not None
    assert (finding.severity.rating, finding.severity.score, finding.severity.source) == (
        "CRITICAL",
        9.8,
        "CVE-2099-3333",
    )


def _local_groups_per_advisory(
    advisories: list[Advisory], aliases: AliasResolver | None
) -> AliasGroups:
    """The engine's first way to join the known groups: every known group copied per advisory."""
    groups = AliasGroups()
    for advisory in advisories:
        ids = [*advisory.aliases]
        if aliases is not None:
            for known in (advisory.id, *advisory.aliases):
                ids.extend(aliases.members(aliases.group_of(known)))
        groups.add(advisory.id, ids)
    return groups


_ids = st.sampled_from(["CVE-1", "CVE-2", "CVE-10", "GHSA-a", "GHSA-b", "PYSEC-1", "GO-1", "", " "])
_links = st.lists(st.tuples(_ids, st.lists(_ids, max_size=3)), max_size=8)


@given(_links, st.one_of(st.none(), _links))
def test_local_groups_merge_each_known_group_once_with_the_same_result(
    candidates: list[tuple[str, list[str]]], known: list[tuple[str, list[str]]] | None
) -> None:
    modified = advisories(MERGE)[0].modified
    records = [Advisory(id=i, modified=modified, aliases=tuple(a)) for i, a in candidates]
    resolver = None if known is None else AliasGroups.from_pairs(known)
    expected = _local_groups_per_advisory(records, resolver)
    assert _local_groups(records, resolver).groups() == expected.groups()

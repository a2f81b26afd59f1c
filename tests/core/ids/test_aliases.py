"""Alias groups: union-find over ids naming each other, across records and sources."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vulndesk.core.ids.aliases import AliasGroups, id_sort_key


def test_transitive_chain_across_sources_is_one_group() -> None:
    # PyPA says PYSEC ~ CVE; GitHub says GHSA ~ CVE; a JVN feed says JVNDB ~ GHSA; Go says GO ~ GHSA
    groups = AliasGroups.from_pairs(
        [
            ("PYSEC-2021-1", ["CVE-2021-20228"]),
            ("GHSA-5rrg-rr89-x9mv", ["CVE-2021-20228"]),
            ("JVNDB-2021-000001", ["GHSA-5rrg-rr89-x9mv"]),
            ("GO-2021-0001", ["GHSA-5rrg-rr89-x9mv"]),
        ]
    )
    key = groups.group_of("GO-2021-0001")
    assert key == "CVE-2021-20228"
    assert groups.members(key) == {
        "PYSEC-2021-1",
        "GHSA-5rrg-rr89-x9mv",
        "JVNDB-2021-000001",
        "GO-2021-0001",
        "CVE-2021-20228",
    }
    assert all(groups.group_of(i) == key for i in groups.members(key))
    assert len(groups) == 1


def test_two_chains_joined_later_take_the_smallest_cve() -> None:
    groups = AliasGroups()
    groups.add("GHSA-aaaa-aaaa-aaaa", ["CVE-2022-2000"])
    groups.add("PYSEC-2022-1", ["CVE-2022-100"])
    assert groups.group_of("PYSEC-2022-1") == "CVE-2022-100"
    assert groups.group_of("GHSA-aaaa-aaaa-aaaa") == "CVE-2022-2000"
    groups.add("OSV-2022-5", ["GHSA-aaaa-aaaa-aaaa", "PYSEC-2022-1"])
    # one group now; its key is the smaller of the two CVEs
    assert groups.group_of("GHSA-aaaa-aaaa-aaaa") == "CVE-2022-100"


def test_natural_order_of_cve_numbers() -> None:
    groups = AliasGroups.from_pairs([("X-1", ["CVE-2021-10000", "CVE-2021-9999"])])
    assert groups.group_of("X-1") == "CVE-2021-9999"
    assert id_sort_key("CVE-2021-9999") < id_sort_key("CVE-2021-10000")


def test_without_cve_the_smallest_id_is_the_key() -> None:
    groups = AliasGroups.from_pairs([("PYSEC-2021-5", ["GHSA-zzzz-zzzz-zzzz", "BIT-x-2021-1"])])
    assert groups.group_of("PYSEC-2021-5") == "BIT-x-2021-1"


def test_unknown_ids_are_their_own_group() -> None:
    groups = AliasGroups()
    assert groups.group_of("CVE-2020-1") == "CVE-2020-1"
    assert groups.members("CVE-2020-1") == {"CVE-2020-1"}
    assert "CVE-2020-1" not in groups


def test_members_accepts_any_member_and_blank_ids_are_ignored() -> None:
    groups = AliasGroups.from_pairs([("A-1", ["B-2", "", " "]), ("  ", ["C-3"])])
    assert groups.members("B-2") == {"A-1", "B-2"}
    assert "" not in groups
    assert "C-3" not in groups
    assert groups.groups() == {"A-1": frozenset({"A-1", "B-2"})}


def test_related_is_not_aliasing() -> None:
    # the caller feeds aliases only; related ids (ALSA errata list CVEs as related) stay apart
    groups = AliasGroups.from_pairs([("ALSA-2023:1", []), ("CVE-2023-1", [])])
    assert groups.group_of("ALSA-2023:1") != groups.group_of("CVE-2023-1")


ids = st.from_regex(r"(CVE-20[0-9]{2}-[0-9]{4,5}|GHSA-[a-z]{4}|PYSEC-[0-9]{1,3})", fullmatch=True)
pairs = st.lists(st.tuples(ids, st.lists(ids, max_size=3)), max_size=12)


@given(pairs, st.randoms())
def test_groups_do_not_depend_on_insertion_order(
    data: list[tuple[str, list[str]]], random: object
) -> None:
    shuffled = list(data)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    a = AliasGroups.from_pairs(data)
    b = AliasGroups.from_pairs((i, list(reversed(al))) for i, al in shuffled)
    assert a.groups() == b.groups()
    for key, members in a.groups().items():
        cves = [m for m in members if m.startswith("CVE-")]
        expected = min(cves or members, key=id_sort_key)
        assert key == expected


def _connected_groups(data: list[tuple[str, list[str]]]) -> dict[str, frozenset[str]]:
    """The groups AliasGroups must find, the slow obvious way: merge sets until none overlap."""
    sets: list[set[str]] = []
    for identifier, aliases in data:
        if not identifier.strip():
            continue
        new = {identifier, *(a for a in aliases if a.strip())}
        for other in [s for s in sets if s & new]:
            sets.remove(other)
            new |= other
        sets.append(new)
    out = {}
    for members in sets:
        cves = [m for m in members if m.startswith("CVE-")]
        out[min(cves or members, key=id_sort_key)] = frozenset(members)
    return out


blank_or_ids = st.one_of(ids, st.sampled_from(["", " "]))


@given(st.lists(st.tuples(blank_or_ids, st.lists(blank_or_ids, max_size=4)), max_size=15))
def test_groups_are_the_connected_sets_of_ids(data: list[tuple[str, list[str]]]) -> None:
    groups = AliasGroups.from_pairs(data)
    expected = _connected_groups(data)
    assert groups.groups() == expected
    for key, members in expected.items():
        assert all(groups.group_of(m) == key for m in members)
        assert all(groups.members(m) == members for m in members)

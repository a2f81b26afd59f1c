"""Alias groups: which vulnerability ids name the same vulnerability.

One vulnerability is one alias group: the union of ids that name each other through OSV
``aliases`` (reference/identifiers.md), across records and across sources. ``PYSEC-2021-1``
aliasing ``CVE-2021-20228`` and ``GHSA-5rrg-rr89-x9mv``, and a GHSA record aliasing the same CVE,
all land in one group, transitively.

``related`` is *not* aliasing (schema §related: "closely related, but not the same
vulnerability"), nor is ``upstream`` (the vulnerability a downstream record was derived from, e.g.
one CVE behind a distribution erratum that fixes several); neither ever merges groups.

The canonical key of a group is its smallest ``CVE-`` id if it has one, else its smallest id,
where "smallest" is natural order: runs of digits compare as numbers (``CVE-2021-9999`` before
``CVE-2021-10000``), ties broken by plain string order. The key is what findings display and are
deduplicated by, so it must not depend on the order ids were added; it may change when a later
record joins two groups, which is why callers store ids and ask for the key when they need it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["AliasGroups", "id_sort_key"]

_DIGITS = re.compile(r"(\d+)")


# Memoised: a scan sorts and compares the same few thousand ids over and over (group keys,
# members, finding order), and splitting an id costs far more than a dictionary lookup.
@lru_cache(maxsize=65_536)
def id_sort_key(identifier: str) -> tuple[tuple[tuple[int, int | str], ...], str]:
    """Return the natural sort key of a vulnerability id (digit runs compare as numbers)."""
    parts: list[tuple[int, int | str]] = []
    for i, chunk in enumerate(_DIGITS.split(identifier)):
        if not chunk:
            continue
        # odd chunks are digit runs; (0, n) and (1, s) keep ints and strs apart
        parts.append((0, int(chunk)) if i % 2 else (1, chunk))
    return tuple(parts), identifier


def _better(a: str, b: str) -> bool:
    """Return whether ``a`` is a better canonical key than ``b`` (CVE first, then smallest)."""
    a_cve, b_cve = a.startswith("CVE-"), b.startswith("CVE-")
    if a_cve != b_cve:
        return a_cve
    return id_sort_key(a) < id_sort_key(b)


class AliasGroups:
    """Union-find over vulnerability ids; each group knows its members and canonical key.

    ``add`` and ``group_of`` run in near-constant amortised time (path halving, union by size), so
    building the groups of every record of every source is linear.
    """

    __slots__ = ("_key", "_members", "_parent")

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._members: dict[str, set[str]] = {}  # root -> ids of its group
        self._key: dict[str, str] = {}  # root -> canonical key of its group

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, Iterable[str]]]) -> AliasGroups:
        """Return the groups of ``(id, aliases)`` pairs, e.g. ``(a.id, a.aliases)`` per advisory."""
        groups = cls()
        for identifier, aliases in pairs:
            groups.add(identifier, aliases)
        return groups

    def _find(self, identifier: str) -> str:
        parent = self._parent
        node = identifier
        while (up := parent[node]) != node:
            parent[node] = parent[up]  # path halving
            node = parent[node]
        return node

    def _ensure(self, identifier: str) -> str:
        if identifier in self._parent:
            return self._find(identifier)
        self._parent[identifier] = identifier
        self._members[identifier] = {identifier}
        self._key[identifier] = identifier
        return identifier

    def _union(self, a: str, b: str) -> None:
        if a == b:
            return
        if len(self._members[a]) < len(self._members[b]):
            a, b = b, a
        self._parent[b] = a
        self._members[a] |= self._members.pop(b)
        key_b = self._key.pop(b)
        if _better(key_b, self._key[a]):
            self._key[a] = key_b

    def add(self, identifier: str, aliases: Iterable[str] = ()) -> None:
        """Record that ``identifier`` and each of ``aliases`` name the same vulnerability.

        Blank ids (empty or whitespace) are ignored; ids are otherwise kept exactly as written
        (OSV ids are case-sensitive: GHSA groups are lower case).
        """
        if not identifier.strip():
            return
        root = self._ensure(identifier)
        parent = self._parent
        for alias in aliases:
            if alias == identifier or not alias.strip():
                continue
            if alias not in parent:
                # A new id joins the group directly rather than as a one-id group merged into
                # it: the common case (a record's aliases seen for the first time), made cheap.
                parent[alias] = root
                self._members[root].add(alias)
                if _better(alias, self._key[root]):
                    self._key[root] = alias
            else:
                self._union(root, self._find(alias))
                root = self._find(root)

    def __contains__(self, identifier: object) -> bool:
        return identifier in self._parent

    def __len__(self) -> int:
        """Return the number of groups."""
        return len(self._members)

    def group_of(self, identifier: str) -> str:
        """Return the canonical key of ``identifier``'s group (itself when it is unknown)."""
        if identifier not in self._parent:
            return identifier
        return self._key[self._find(identifier)]

    def members(self, key: str) -> frozenset[str]:
        """Return every id in the group of ``key`` (any member works; ``{key}`` when unknown)."""
        if key not in self._parent:
            return frozenset((key,))
        return frozenset(self._members[self._find(key)])

    def groups(self) -> dict[str, frozenset[str]]:
        """Return every group as canonical key -> members."""
        return {self._key[root]: frozenset(ids) for root, ids in self._members.items()}

"""Maven version ordering: ``org.apache.maven.artifact.versioning.ComparableVersion`` (Maven 3.9).

Parsing follows ``ComparableVersion.parseVersion`` of maven-artifact 3.9:

- the version is lower-cased and split into items on ``.``, on ``-`` and on every transition
  between digits and non-digits (ASCII digits only); an empty item (``1..2``, ``1--2``) is 0;
- ``-`` and a digit/non-digit transition open a nested *list item*, so ``1-2`` is ``[1, [2]]``;
- a qualifier that starts after a ``.`` and is followed by a digit or ends the version is
  treated as if it followed ``-`` (MNG-7644: ``2.0.x`` == ``2-x``, ``1.0.0.x1 < 1.0.0-x2``);
- ``a``, ``b`` and ``m`` directly followed by a digit mean ``alpha``, ``beta``, ``milestone``;
  ``cr`` means ``rc``; ``ga``, ``final`` and ``release`` mean the release itself (``""``);
- each list is *normalised*: from its end, "null" items (0, the release qualifier, empty lists)
  are dropped, stepping over nested lists, until a non-null non-list item (``1.0.0`` == ``1``,
  ``1.0-beta`` == ``1-beta``).

Items compare as in ``ComparableVersion``: numbers numerically; qualifiers by
``alpha < beta < milestone < rc == cr < snapshot < "" == ga == final == release < sp`` and any
other qualifier after those, in lexical order; a number is greater than a list, which is greater
than a qualifier; a missing item is "null" (0 for a number, ``""`` for a qualifier; a list
against null compares its items against null, MNG-6964).

Total order. ``ComparableVersion`` is not a total order on every input: a qualifier item that
sits directly in a list (only possible when the qualifier is followed by ``.``, e.g.
``1.sp.1``) compares *below* any list item, even one that is itself below null, so
``1-alpha < 1 < 1.sp.1 < 1-alpha`` in Maven. The key below compares items first by how the rest
of the version compares to null, then by the item, which keeps Maven's answer in every
comparison that Maven itself keeps consistent and breaks such cycles in favour of null
(here ``1-alpha < 1 < 1.sp.1``). Versions whose qualifiers follow ``-``, a number, or end the
version (``1.0.0-rc1``, ``2.0.0.Final``, ``5.3.0.M1``, ``1.0-SNAPSHOT``) are never affected.

Key layout: a list is a tuple of items followed by the terminator ``(0,)``. An item is
``(c, 2, n)`` for a number, ``(c, 1, list)`` for a list and ``(c, 0, rank, text)`` for a qualifier,
where ``c`` (-1 or 1) is the sign of "this item and everything after it in the list" against
null. Comparing with a shorter list meets the terminator ``(0,)``, which ``c`` decides exactly as
Maven's padding with null does.
"""

from __future__ import annotations

import re
from typing import Any

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.base import VersionScheme

__all__ = ["MAVEN", "MavenScheme"]

# ComparableVersion.StringItem.QUALIFIERS (+ aliases); unknown qualifiers rank after them all
# (comparableQualifier gives "7-<qualifier>"), tie-broken lexically.
_QUALIFIER_RANK = {
    "alpha": 0,
    "beta": 1,
    "milestone": 2,
    "rc": 3,
    "cr": 3,
    "snapshot": 4,
    "": 5,
    "ga": 5,
    "final": 5,
    "release": 5,
    "sp": 6,
}
_RELEASE_RANK = 5
_UNKNOWN_RANK = 7
# StringItem(value, followedByDigit): a1 = alpha-1, b1 = beta-1, m1 = milestone-1.
_SHORT_QUALIFIERS = {"a": "alpha", "b": "beta", "m": "milestone"}
_DIGITS = frozenset("0123456789")
# ComparableVersion takes any string; a POM's version may not hold these (Maven's
# DefaultModelValidator ILLEGAL_VERSION_CHARS) nor whitespace.
_ILLEGAL_RE = re.compile(r'[\s\\/:"<>|?*]')
_END = (0,)


# Parsed items: int (IntItem/LongItem/BigIntegerItem), _Qualifier (StringItem), list (ListItem).
class _Qualifier:
    __slots__ = ("rank", "text")

    def __init__(self, text: str, followed_by_digit: bool) -> None:
        if followed_by_digit and len(text) == 1:
            text = _SHORT_QUALIFIERS.get(text, text)
        rank = _QUALIFIER_RANK.get(text)
        if rank is None:
            self.rank, self.text = _UNKNOWN_RANK, text
        else:
            self.rank, self.text = rank, ""


_Item = int | _Qualifier | list[Any]


def _parse_item(is_digit: bool, text: str) -> _Item:
    return int(text) if is_digit else _Qualifier(text, followed_by_digit=False)


def _is_null(item: _Item) -> bool:
    if isinstance(item, int):
        return item == 0
    if isinstance(item, _Qualifier):
        return item.rank == _RELEASE_RANK
    return not item


def _normalize(items: list[_Item]) -> None:
    # ListItem.normalize(): drop trailing nulls, stepping over nested lists.
    for i in range(len(items) - 1, -1, -1):
        item = items[i]
        if _is_null(item):
            del items[i]
        elif not isinstance(item, list):
            break


def _parse(version: str) -> list[_Item]:
    # ComparableVersion.parseVersion (maven-artifact 3.9), see the module docstring.
    version = version.lower()
    top: list[_Item] = []
    current = top
    lists = [top]
    is_digit = False
    start = 0

    def open_list() -> None:
        nonlocal current
        sub: list[_Item] = []
        current.append(sub)
        current = sub
        lists.append(sub)

    for i, char in enumerate(version):
        if char == "." or char == "-":
            current.append(0 if i == start else _parse_item(is_digit, version[start:i]))
            start = i + 1
            if char == "-":
                open_list()
        elif char in _DIGITS:
            if not is_digit and i > start:
                # 1.0.0.X1 < 1.0.0-X2: treat .X as -X for any string qualifier X (MNG-7644)
                if current:
                    open_list()
                current.append(_Qualifier(version[start:i], followed_by_digit=True))
                start = i
                open_list()
            is_digit = True
        else:
            if is_digit and i > start:
                current.append(int(version[start:i]))
                start = i
                open_list()
            is_digit = False
    if len(version) > start:
        if not is_digit and current:
            open_list()
        current.append(_parse_item(is_digit, version[start:]))
    for items in reversed(lists):
        _normalize(items)
    return top


def _encode(items: list[_Item]) -> tuple[Any, ...]:
    # Walk backwards so that each item knows how the rest of its list compares to null.
    encoded: list[tuple[Any, ...]] = [_END]
    rest = 0
    for item in reversed(items):
        if isinstance(item, int):
            against_null = 1 if item else 0
            body: tuple[Any, ...] = (2, item)
        elif isinstance(item, _Qualifier):
            against_null = (item.rank > _RELEASE_RANK) - (item.rank < _RELEASE_RANK)
            body = (0, item.rank, item.text)
        else:
            sub = _encode(item)
            against_null = sub[0][0]
            body = (1, sub)
        if against_null:
            rest = against_null
        encoded.append((rest, *body))
    encoded.reverse()
    return tuple(encoded)


class MavenScheme(VersionScheme):
    """Orders Maven versions like ``ComparableVersion`` (see the module docstring)."""

    name = "maven"

    def key(self, version: str) -> tuple[Any, ...]:
        """Return the nested-tuple key of ``version``; blank strings are invalid."""
        if not version or _ILLEGAL_RE.search(version):
            raise InvalidVersion(
                self.name, version, 'empty, or has whitespace or one of \\/:"<>|?*'
            )
        return _encode(_parse(version))


MAVEN = MavenScheme()

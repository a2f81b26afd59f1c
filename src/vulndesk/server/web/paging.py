"""Pages of long lists without counting them: fetch one row more than shown to know whether a
next page exists, so a list of millions of findings costs one indexed query per page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


@dataclass(frozen=True, slots=True)
class OffsetPage:
    """One page of a list: ``items`` from position ``offset`` (0-based), at most ``limit``."""

    items: Sequence[Any]
    offset: int
    limit: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        """Return whether rows come before this page."""
        return self.offset > 0

    @property
    def previous_offset(self) -> int:
        """Return the offset of the page before this one."""
        return max(self.offset - self.limit, 0)

    @property
    def next_offset(self) -> int:
        """Return the offset of the page after this one."""
        return self.offset + self.limit

    @property
    def first_position(self) -> int:
        """Return the 1-based position of the first row shown (0 when the page is empty)."""
        return self.offset + 1 if self.items else 0

    @property
    def last_position(self) -> int:
        """Return the 1-based position of the last row shown."""
        return self.offset + len(self.items)


def offset_page(rows: QuerySet[Any] | Sequence[Any], *, offset: int, limit: int) -> OffsetPage:
    """Return the page of ``rows`` starting at ``offset``: one query of ``limit + 1`` rows."""
    fetched = list(rows[offset : offset + limit + 1])
    return OffsetPage(fetched[:limit], offset, limit, has_next=len(fetched) > limit)

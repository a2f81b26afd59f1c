"""Pages of API lists: ``limit``/``offset``, without counting the whole list unless asked.

A list fetches ``limit + 1`` rows: the extra row only says whether there is a next page
(``next_offset``), so a page of the million-row findings list costs one indexed query and no
``COUNT(*)``. ``count=true`` asks for the exact total as well, at the price of that count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema

#: the most rows one page may ask for
MAX_LIMIT = 500
DEFAULT_LIMIT = 50
#: deep offsets make the database walk every row before them; past this, filter instead
MAX_OFFSET = 10_000_000


class PageParams(Schema):
    """Which slice of a list to return."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="rows per page")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="rows to skip")
    count: bool = Field(False, description="also return the exact number of rows (slower)")


class Page[Row](Schema):
    """One page of a list; ``next_offset`` is null on the last page, ``count`` unless asked."""

    items: list[Row]
    limit: int
    offset: int
    next_offset: int | None
    count: int | None = None


def paginate(
    rows: QuerySet[Any],
    page: PageParams,
    *,
    convert: Callable[[list[Any]], Iterable[Any]] | None = None,
) -> dict[str, Any]:
    """Return one page of ``rows`` as a :class:`Page` body.

    ``rows`` must be ordered (with a unique last key, so pages never overlap). ``convert`` maps
    the fetched rows to the items (for rows that need more than their columns).
    """
    fetched = list(rows[page.offset : page.offset + page.limit + 1])
    more = len(fetched) > page.limit
    items = fetched[: page.limit]
    return {
        "items": list(convert(items)) if convert is not None else items,
        "limit": page.limit,
        "offset": page.offset,
        "next_offset": page.offset + page.limit if more else None,
        "count": rows.count() if page.count else None,
    }

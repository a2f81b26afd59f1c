"""Field types the REST API's schemas share: database ids and text a database can store.

Both exist so that bad input is a 422 naming the field, never a database error (a 500): an id
past the 64-bit range overflows SQLite's integers and PostgreSQL's bigint, and PostgreSQL text
cannot hold a NUL character (psycopg refuses it before it reaches the server).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

#: the largest value of a 64-bit signed primary key (SQLite INTEGER, PostgreSQL bigint)
MAX_ID = 2**63 - 1


def _storable(value: str) -> str:
    """Return ``value`` if a database can store it: no NUL character, no lone surrogate."""
    if "\x00" in value:
        raise ValueError("text must not contain the NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text must be valid Unicode (it holds a lone surrogate)") from exc
    return value


def _in_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC, as it is stored; refuse one that UTC cannot represent."""
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the time is outside the years 1 to 9999 in UTC") from exc


def _stripped(value: str) -> str:
    """Return ``value`` without surrounding white space; refuse it when nothing is left."""
    value = value.strip()
    if not value:
        raise ValueError("must not be empty or only white space")
    return value


#: the id of a stored row
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]

#: free text (search terms, descriptions); ``Annotated[Text, Field(max_length=...)]`` bounds it
Text = Annotated[str, AfterValidator(_storable)]

#: a name: text that is not empty once stripped of surrounding white space
Name = Annotated[str, AfterValidator(_storable), AfterValidator(_stripped)]

#: a time with a time zone, converted to UTC (times without a zone are refused)
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]

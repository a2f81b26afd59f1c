"""MyJVN API (JVN iPedia, ``feed=hnd``): overview lists paged by last-update date, and details.

``getVulnOverviewList`` answers JVNRSS 3.2 (RSS 1.0 + ``sec:``) with a MyJVN ``status:Status``
element whose attributes say how to page: ``retCd`` (0 ok, 1 error with ``errCd``/``errMsg``),
``totalRes`` (entries matching), ``totalResRet`` (entries in this answer) and ``firstRes``.
Paging uses ``startItem`` (from 1) and ``maxCountItem`` (at most 50). The date range filters on
the last-update date (``datePublished*``); the three ``rangeDate*`` defaults ("past week") are
switched off (``n``) so that only the explicit range applies (MyJVN API docs, getVulnOverviewList).
Both languages are fetched (``ja`` is the primary text, ``en`` the translation), one after the
other. ``getVulnDetailInfo`` answers VULDEF for one ``JVNDB-YYYY-NNNNNN``.

JVN has no formal rate limit but asks for restraint: every call waits ``pause`` seconds (1 by
default) after the previous one. Dates are Japan's (JST, UTC+9), as JVN's are.

Cursor: ``{"synced_until": "YYYY-MM-DD"}`` when done (the day is asked for again next time: the
range has day precision), or while paging ``{"synced_until": <from date>, "to_date": ...,
"lang": "ja"|"en", "start_item": N}``. With no cursor the sync starts ``initial_days`` (365) back:
older history is for the offline import, not for a bulk pull JVN discourages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date, timedelta, timezone
from typing import Literal
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from vulndesk.core.errors import IdentifierError
from vulndesk.core.feeds.fetching import (
    Cursor,
    FeedBatch,
    FeedDocument,
    cursor_date,
    cursor_int,
    cursor_str,
)
from vulndesk.core.feeds.http import (
    FeedApiError,
    FeedCursorError,
    FeedFormatError,
    FeedResponse,
    PoliteClient,
)

__all__ = ["JST", "MYJVN_MAX_COUNT_ITEM", "MYJVN_URL", "JvnStatus", "MyJvnFetcher"]

MYJVN_URL = "https://jvndb.jvn.jp/myjvn"
MYJVN_MAX_COUNT_ITEM = 50
JST = timezone(timedelta(hours=9), "JST")
_STATUS = "{http://jvndb.jvn.jp/myjvn/Status}Status"
_JVNDB_ID = re.compile(r"JVNDB-\d{4}-\d{6}")
Lang = Literal["ja", "en"]


class JvnStatus:
    """The paging facts of a MyJVN answer, read from its ``status:Status`` attributes."""

    def __init__(self, response: FeedResponse) -> None:
        """Read the status of ``response``; raise FeedApiError when it reports an error."""
        status = _status_element(response)
        if status.get("retCd", "0").strip() != "0":
            raise FeedApiError(
                f"MyJVN error {status.get('errCd', '?')}: {status.get('errMsg', '')}".rstrip(": "),
                url=response.url,
            )
        self.total = _count(status, "totalRes", response, default=0)
        self.returned = _count(status, "totalResRet", response, default=0)
        self.first = _count(status, "firstRes", response, default=1)


class MyJvnFetcher:
    """Fetch JVNRSS overview pages (raw XML) updated since the cursor's date, per language."""

    source = "jvn"

    def __init__(
        self,
        client: PoliteClient,
        *,
        url: str = MYJVN_URL,
        langs: Sequence[Lang] = ("ja", "en"),
        page_size: int = MYJVN_MAX_COUNT_ITEM,
        pause: float = 1.0,
        initial_days: int = 365,
    ) -> None:
        if not 1 <= page_size <= MYJVN_MAX_COUNT_ITEM:
            raise ValueError(f"maxCountItem must be 1..50, not {page_size}")
        if not langs or any(lang not in ("ja", "en") for lang in langs):
            raise ValueError(f"languages must be 'ja' and/or 'en', not {langs!r}")
        self.client = client
        self.url = url
        self.langs = tuple(langs)
        self.page_size = page_size
        self.pause = pause
        self.initial_days = initial_days
        self._called = False

    def fetch(self, cursor: Cursor | None) -> Iterator[FeedBatch]:
        """Yield one batch per overview page, all languages in turn, from the cursor to today."""
        cursor = cursor or {}
        today = self.client.clock.now().astimezone(JST).date()
        since = cursor_date(cursor, "synced_until", self.source)
        until = cursor_date(cursor, "to_date", self.source)
        langs, start_item = self.langs, 1
        if until is not None:
            lang = cursor_str(cursor, "lang", self.source)
            if lang not in self.langs:
                raise FeedCursorError(f"jvn cursor: unknown language {lang!r}")
            langs = self.langs[self.langs.index(lang) :]
            start_item = cursor_int(cursor, "start_item", self.source) or 1
        else:
            until = today
        since = since or until - timedelta(days=self.initial_days)
        for n, lang in enumerate(langs):
            last_lang = n == len(langs) - 1
            yield from self._pages(since, until, lang, start_item, last_lang)
            start_item = 1

    def fetch_detail(self, vuln_id: str, *, lang: Lang = "ja") -> FeedDocument:
        """Return one record's VULDEF XML, by its id ``JVNDB-YYYY-NNNNNN``."""
        if not _JVNDB_ID.fullmatch(vuln_id):
            raise IdentifierError(f"not a JVN iPedia id: {vuln_id!r}")
        params: dict[str, str | int] = {
            "method": "getVulnDetailInfo",
            "feed": "hnd",
            "vulnId": vuln_id,
            "lang": lang,
        }
        response = self._call(params)
        JvnStatus(response)
        return FeedDocument(
            name=f"{vuln_id} ({lang})",
            url=response.url,
            content=response.content,
            media_type="application/xml",
        )

    def _pages(
        self, since: date, until: date, lang: Lang, start_item: int, last_lang: bool
    ) -> Iterator[FeedBatch]:
        item = start_item
        while True:
            params: dict[str, str | int] = {
                "method": "getVulnOverviewList",
                "feed": "hnd",
                "lang": lang,
                "startItem": item,
                "maxCountItem": self.page_size,
                "rangeDatePublic": "n",
                "rangeDatePublished": "n",
                "rangeDateFirstPublished": "n",
                **_date_params("datePublishedStart", since),
                **_date_params("datePublishedEnd", until),
            }
            response = self._call(params)
            status = JvnStatus(response)
            following = item + status.returned
            complete = following > status.total
            if status.returned == 0 and not complete:
                raise FeedFormatError(
                    f"page at startItem {item} is empty although totalRes is {status.total}",
                    url=response.url,
                )
            documents: tuple[FeedDocument, ...] = ()
            if status.returned:
                documents = (
                    FeedDocument(
                        name=f"jvnrss {lang} startItem={item}",
                        url=response.url,
                        content=response.content,
                        media_type="application/xml",
                    ),
                )
            cursor: Cursor
            if complete and last_lang:
                cursor = {"synced_until": until.isoformat()}
            else:
                next_lang = lang if not complete else self.langs[self.langs.index(lang) + 1]
                cursor = {
                    "synced_until": since.isoformat(),
                    "to_date": until.isoformat(),
                    "lang": next_lang,
                    "start_item": following if not complete else 1,
                }
            yield FeedBatch(
                cursor=cursor,
                documents=documents,
                done=min(following - 1, status.total),
                total=status.total,
            )
            if complete:
                return
            item = following

    def _call(self, params: dict[str, str | int]) -> FeedResponse:
        """Return the answer to one MyJVN call, ``pause`` seconds after the previous call."""
        if self._called and self.pause > 0:
            self.client.clock.sleep(self.pause)
        self._called = True
        return self.client.get(self.url, params=params)


def _date_params(prefix: str, day: date) -> dict[str, str | int]:
    return {
        f"{prefix}Y": day.year,
        f"{prefix}M": f"{day.month:02d}",
        f"{prefix}D": f"{day.day:02d}",
    }


def _status_element(response: FeedResponse) -> Element:
    try:
        root = ElementTree.fromstring(response.content)
    except (ElementTree.ParseError, DefusedXmlException) as e:
        raise FeedFormatError(
            f"MyJVN answer is not safe, well-formed XML: {e}", url=response.url
        ) from e
    status: Element | None = next(root.iter(_STATUS), None)
    if status is None:
        raise FeedFormatError("MyJVN answer has no status:Status element", url=response.url)
    return status


def _count(status: Element, name: str, response: FeedResponse, *, default: int) -> int:
    text = status.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise FeedFormatError(f"status:Status/@{name} is not a count: {text!r}", url=response.url)
    return int(text)

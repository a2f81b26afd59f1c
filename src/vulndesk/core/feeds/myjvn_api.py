"""MyJVN API (JVN iPedia): overview lists paged by last-update date (``feed=hnd``), and details
as VULDEF XML (``feed=hnd``) or as CSAF JSON (``feed=oka``, MyJVN API 4.0).

``getVulnOverviewList`` answers JVNRSS 3.2 (RSS 1.0 + ``sec:``) with a MyJVN ``status:Status``
element whose attributes say how to page: ``retCd`` (0 ok, 1 error with ``errCd``/``errMsg``),
``totalRes`` (entries matching), ``totalResRet`` (entries in this answer) and ``firstRes``.
Paging uses ``startItem`` (from 1) and ``maxCountItem`` (at most 50). The date range filters on
the last-update date (``datePublished*``); the three ``rangeDate*`` defaults ("past week") are
switched off (``n``) so that only the explicit range applies (MyJVN API docs, getVulnOverviewList).
Both languages are fetched (``ja`` is the primary text, ``en`` the translation), one after the
other. ``getVulnDetailInfo`` answers VULDEF for one ``JVNDB-YYYY-NNNNNN``.

**Detail records as CSAF** (``details="csaf"``). With ``feed=oka`` (MyJVN API 4.0),
``getVulnDetailInfo&feed=oka&vulnId=...&lang=ja|en`` answers the record as JSON shaped like CSAF
(reference/feeds.md: "answers JSON and gives detail records as CSAF"). The shape the codec
expects is in :mod:`vulndesk.core.advisories.jvn`, from MyJVN's own documentation, not checked
against a live answer; that documentation also says ``ft`` picks the form (``jvncsaf`` by
default, so it is not sent), and an older version of it named the method ``getVulnCsafInfo``.
The sync then stores, for each record an overview page lists, its detail in the page's language
instead of the overview item: scores, CWEs, remediations and (through JVN's extension) affected
versions that the overview does not carry. The overview list itself still comes from JVNRSS
(``feed=hnd``): its JSON form under ``feed=oka`` is not in our references (MyJVN's repository
documents one, unchecked), and JVNRSS's paging is what the cursor is built on. An answer that is
not JSON, carries a MyJVN error, is not a CSAF document or is about another record fails the
sync with an error naming the URL and what was expected; the page is asked again next time.
This costs one call per record per language, each ``pause`` apart: 100 calls and seconds for a
full page in both languages.

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

import orjson
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from vulndesk.core.advisories.csaf import csaf_document_id
from vulndesk.core.errors import AdvisoryError, IdentifierError
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

__all__ = [
    "JST",
    "MYJVN_MAX_COUNT_ITEM",
    "MYJVN_URL",
    "DetailRecords",
    "JvnStatus",
    "MyJvnFetcher",
]

MYJVN_URL = "https://jvndb.jvn.jp/myjvn"
MYJVN_MAX_COUNT_ITEM = 50
JST = timezone(timedelta(hours=9), "JST")
_STATUS = "{http://jvndb.jvn.jp/myjvn/Status}Status"
_JVNDB_ID = re.compile(r"JVNDB-\d{4}-\d{6}")
Lang = Literal["ja", "en"]
#: what the sync stores per listed record: the overview item itself, or its CSAF detail
DetailRecords = Literal["none", "csaf"]


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
    """Fetch JVNRSS overview pages (raw XML) updated since the cursor's date, per language, or
    with ``details="csaf"`` the CSAF detail record of each entry they list (module docstring)."""

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
        details: DetailRecords = "none",
    ) -> None:
        if not 1 <= page_size <= MYJVN_MAX_COUNT_ITEM:
            raise ValueError(f"maxCountItem must be 1..50, not {page_size}")
        if not langs or any(lang not in ("ja", "en") for lang in langs):
            raise ValueError(f"languages must be 'ja' and/or 'en', not {langs!r}")
        if details not in ("none", "csaf"):
            raise ValueError(f"details must be 'none' or 'csaf', not {details!r}")
        self.details: DetailRecords = details
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

    def fetch_detail(
        self, vuln_id: str, *, lang: Lang = "ja", feed: Literal["hnd", "oka"] = "hnd"
    ) -> FeedDocument:
        """Return one record's detail, by its id ``JVNDB-YYYY-NNNNNN``: VULDEF XML (``hnd``) or
        a CSAF document (``oka``, checked by :func:`_csaf_detail`)."""
        if not _JVNDB_ID.fullmatch(vuln_id):
            raise IdentifierError(f"not a JVN iPedia id: {vuln_id!r}")
        params: dict[str, str | int] = {
            "method": "getVulnDetailInfo",
            "feed": feed,
            "vulnId": vuln_id,
            "lang": lang,
        }
        response = self._call(params)
        if feed == "oka":
            _csaf_detail(response, vuln_id)
            return FeedDocument(
                name=f"{vuln_id} ({lang}, CSAF)",
                url=response.url,
                content=response.content,
                media_type="application/json",
            )
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
            if status.returned and self.details == "csaf":
                documents = tuple(
                    self.fetch_detail(vuln_id, lang=lang, feed="oka")
                    for vuln_id in _listed_ids(response)
                )
            elif status.returned:
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


def _listed_ids(response: FeedResponse) -> list[str]:
    """Return the ``sec:identifier`` of each item of a JVNRSS page, in order."""
    root = ElementTree.fromstring(response.content)  # JvnStatus has parsed it safely already
    ids: list[str] = []
    items = [e for e in root if str(e.tag).rsplit("}", 1)[-1] == "item"]
    for n, element in enumerate(items, start=1):
        ident = next(
            (e.text or "" for e in element if str(e.tag).rsplit("}", 1)[-1] == "identifier"), ""
        ).strip()
        if not _JVNDB_ID.fullmatch(ident):
            raise FeedFormatError(
                f"item {n} has no JVN iPedia id in sec:identifier ({ident!r}): its detail "
                "cannot be asked for",
                url=response.url,
            )
        ids.append(ident)
    return ids


def _csaf_detail(response: FeedResponse, vuln_id: str) -> None:
    """Check that a ``feed=oka`` detail answer is the CSAF document of ``vuln_id``: raise
    FeedFormatError (what was expected and what came), or FeedApiError for a MyJVN error."""
    expected = f"the CSAF document (JSON) of {vuln_id}"
    try:
        obj = orjson.loads(response.content)
    except orjson.JSONDecodeError as e:
        kind = response.headers.get("content-type", "no Content-Type")
        head = response.content[:40].decode("utf-8", "replace")
        raise FeedFormatError(
            f"expected {expected}, got {kind} starting {head!r} ({e})", url=response.url
        ) from e
    if not isinstance(obj, dict):
        raise FeedFormatError(
            f"expected {expected}, got a JSON {type(obj).__name__}", url=response.url
        )
    for key in ("status", "status:Status"):  # MyJVN's common status, as an object
        status = obj.get(key)
        if isinstance(status, dict) and str(status.get("retCd", "0")).strip() not in ("", "0"):
            message = f"MyJVN error {status.get('errCd') or '?'}: {status.get('errMsg') or ''}"
            raise FeedApiError(message.rstrip(": "), url=response.url)
    try:
        found = csaf_document_id(obj)
    except AdvisoryError as e:
        raise FeedFormatError(f"expected {expected}: {e}", url=response.url) from e
    if found != vuln_id:
        raise FeedFormatError(f"expected {expected}, got the one of {found!r}", url=response.url)


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

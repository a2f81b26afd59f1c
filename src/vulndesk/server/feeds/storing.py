"""Turning fetched batches into stored records: each source's documents through its codec into
the advisories import services, and the KEV and EPSS files into theirs.

The import services (``server.advisories.services``) do the writing; this module only picks the
codec, splits a page into records (keeping each record's own text as its ``raw``) and adds up
what the services report. It is called inside the transaction that also saves the batch's
cursor (services.feed_sync), so a batch and its cursor are stored together or not at all.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from django.utils import timezone

from vulndesk.core.advisories.csaf import parse_csaf_documents
from vulndesk.core.advisories.cve5 import parse_cve5
from vulndesk.core.advisories.euvd import parse_euvd
from vulndesk.core.advisories.jvn import parse_jvn
from vulndesk.core.advisories.model import Advisory
from vulndesk.core.advisories.nvd import parse_nvd_documents
from vulndesk.core.advisories.sources import RawDocument, RecordProblem
from vulndesk.core.errors import AdvisoryError
from vulndesk.core.feeds.fetching import FeedBatch, FeedDocument
from vulndesk.core.scoring.kev import parse_kev_json
from vulndesk.server.advisories.formats import jvn_records
from vulndesk.server.feeds.catalog import SourceKind
from vulndesk.server.feeds.models import FeedSnapshot

#: a record to store (core advisory, its own text, where it came from) or why it was refused
Item = tuple[Advisory, str, str] | RecordProblem
Progress = Callable[[int], None] | None


@dataclass(slots=True)
class StoreCounts:
    """What storing one or more batches did, added up over the import services' outcomes."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, outcome: Any) -> None:
        """Add the counts of an import service's outcome (ImportOutcome, KEV or EPSS)."""
        self.read += int(getattr(outcome, "read", 0) or 0)
        self.created += int(getattr(outcome, "created", 0) or 0)
        self.updated += int(getattr(outcome, "updated", 0) or 0)
        self.unchanged += int(getattr(outcome, "unchanged", 0) or 0)
        for problem in getattr(outcome, "problems", None) or ():
            location = getattr(problem, "location", "")
            message = getattr(problem, "message", str(problem))
            self.problems.append(f"{location}: {message}" if location else message)

    def merge(self, other: StoreCounts) -> None:
        """Add ``other``'s counts to these."""
        self.read += other.read
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.problems += other.problems

    def as_dict(self) -> dict[str, int]:
        """Return the counts as stored in ``FeedSource.last_counts``."""
        return {
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "problems": len(self.problems),
        }


def store_batch(
    kind: SourceKind,
    batch: FeedBatch,
    *,
    acting_user: Any,
    actor_label: str,
    work_dir: Path,
) -> StoreCounts:
    """Store the documents and files of one fetched ``batch`` of a ``kind`` source; return counts.

    Raise AdvisoryError (or the import services' errors) when a document cannot be read at all;
    a bad record inside a document is a problem in the counts, and the rest is stored.
    """
    from vulndesk.server.advisories import services

    counts = StoreCounts()
    sources = [doc.url for doc in batch.documents] + [f.url for f in batch.files]
    common: dict[str, Any] = {"acting_user": acting_user, "actor_label": actor_label}
    if kind is SourceKind.KEV:
        for doc in batch.documents:
            catalog = parse_kev_json(_json(doc), source=doc.url)
            counts.add(services.kev_import(catalog=catalog, **common))
            snapshot_store("kev", doc.name, doc.content, records=len(catalog.entries))
        return counts
    if kind is SourceKind.EPSS:
        for file in batch.files:
            counts.add(services.epss_import(path=file.path, **common))
            snapshot_store("epss", file.name, file.path.read_bytes(), records=epss_rows(file.path))
        return counts
    if kind is SourceKind.OSV:
        for file in batch.files:
            counts.add(services.feeds_import(paths=[file.path], format="osv", **common))
        if batch.documents:
            counts.add(_osv_documents(batch.documents, work_dir, common))
        return counts
    if kind is SourceKind.CVELIST:
        for file in batch.files:
            counts.add(services.feeds_import(paths=[file.path], format="cve5", **common))
    items = list(_items(kind, batch.documents))
    if items:
        fmt = {
            SourceKind.NVD: "nvd",
            SourceKind.CVELIST: "cve5",
            SourceKind.EUVD: "euvd",
            SourceKind.JVN: "jvn",
        }[kind]
        counts.add(services.records_import(items=items, format=fmt, sources=sources, **common))
    return counts


def store_csaf(
    documents: Sequence[RawDocument], *, sources: list[str], acting_user: Any, actor_label: str
) -> StoreCounts:
    """Store the advisories of accepted CSAF documents; return the counts."""
    from vulndesk.server.advisories import services

    counts = StoreCounts()
    items: list[Item] = []
    for doc in documents:
        raw = doc.data.decode("utf-8")
        for parsed in parse_csaf_documents([doc]):
            if isinstance(parsed, RecordProblem):
                if parsed.kind == "invalid":
                    items.append(parsed)
            else:
                items.append((parsed, raw, doc.location))
    if items:
        counts.add(
            services.records_import(
                items=items,
                format="csaf",
                sources=sources,
                acting_user=acting_user,
                actor_label=actor_label,
            )
        )
    return counts


def _json(doc: FeedDocument) -> object:
    try:
        return orjson.loads(doc.content)
    except orjson.JSONDecodeError as e:
        raise AdvisoryError(f"not valid JSON: {e}", source=doc.url) from e


def _items(kind: SourceKind, documents: Iterable[FeedDocument]) -> Iterator[Item]:
    """Yield each record of ``documents`` with its own text, or a problem for a bad one."""
    for doc in documents:
        if kind is SourceKind.NVD:
            yield from nvd_items(doc.content, doc.name)
        elif kind is SourceKind.CVELIST:
            try:
                yield (parse_cve5(_json(doc), source=doc.name), doc.content.decode(), doc.name)
            except AdvisoryError as e:
                yield RecordProblem(doc.name, e.message)
        elif kind is SourceKind.EUVD:
            yield from euvd_items(doc.content, doc.name)
        elif kind is SourceKind.JVN and doc.media_type == "application/json":
            yield from jvn_csaf_items(doc)
        elif kind is SourceKind.JVN:
            yield from jvn_records(doc.content, doc.name)
        else:  # pragma: no cover - the kinds above are all that reach here
            raise AssertionError(f"no record reader for {kind}")


def nvd_items(content: bytes, location: str) -> Iterator[Item]:
    """Yield the records of an NVD API page (``vulnerabilities[]``), each with its own JSON."""
    page = orjson.loads(content)
    elements = page.get("vulnerabilities") if isinstance(page, dict) else None
    if not isinstance(elements, list):
        raise AdvisoryError("not an NVD page: $.vulnerabilities is not an array", source=location)
    documents = [
        RawDocument(f"{location} $.vulnerabilities[{i}]", orjson.dumps(element))
        for i, element in enumerate(elements)
    ]
    for doc, parsed in zip(documents, parse_nvd_documents(documents), strict=True):
        if isinstance(parsed, RecordProblem):
            yield parsed
        else:
            yield parsed, doc.data.decode(), doc.location


def jvn_csaf_items(doc: FeedDocument) -> Iterator[Item]:
    """Yield the JVN record of a CSAF detail (MyJVN API 4.0), its whole text kept as its own;
    a document the codec refuses is a problem of its own, not the batch's."""
    try:
        (record,) = parse_jvn(doc.content, source=doc.url)
    except AdvisoryError as e:
        yield RecordProblem(doc.name, f"{e.location}: {e.message}" if e.location else e.message)
        return
    assert isinstance(record, Advisory)  # a CSAF document is one record or an error
    yield record, doc.content.decode("utf-8"), doc.name


def euvd_items(content: bytes, location: str) -> Iterator[Item]:
    """Yield the records of an EUVD answer (a search page, a list or one item)."""
    obj = orjson.loads(content)
    elements = obj["items"] if isinstance(obj, dict) and "items" in obj else obj
    raws = elements if isinstance(elements, list) else [elements]
    for raw, parsed in zip(raws, parse_euvd(obj, source=location), strict=True):
        if isinstance(parsed, RecordProblem):
            yield parsed
        else:
            yield parsed, orjson.dumps(raw).decode(), location


def _osv_documents(
    documents: Sequence[FeedDocument], work_dir: Path, common: dict[str, Any]
) -> Any:
    """Import OSV records fetched one by one, as a folder of files (the file import's path)."""
    from vulndesk.server.advisories import services

    with tempfile.TemporaryDirectory(dir=work_dir) as folder:
        for n, doc in enumerate(documents):
            (Path(folder) / f"{n:05d}.json").write_bytes(doc.content)
        return services.feeds_import(paths=[Path(folder)], format="osv", **common)


def snapshot_store(kind: str, file_name: str, content: bytes, *, records: int) -> FeedSnapshot:
    """Keep ``content`` as the latest ``kind`` (kev, epss) file imported; return its row."""
    snapshot, _ = FeedSnapshot.objects.update_or_create(
        kind=kind,
        defaults={
            "file_name": file_name[:255],
            "content": content,
            "sha256": hashlib.sha256(content).hexdigest(),
            "size": len(content),
            "records": records,
            "stored_at": timezone.now(),
        },
    )
    return snapshot


def epss_rows(path: Path) -> int:
    """Return how many score rows the EPSS file at ``path`` holds (bad rows not counted)."""
    from vulndesk.core.scoring.epss import EpssScore, open_epss_csv

    with open_epss_csv(path) as scores:
        return sum(1 for row in scores if isinstance(row, EpssScore))

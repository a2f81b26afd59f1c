"""Reading OSV records from a JSON file, a directory tree or an OSV bulk-export zip.

``iter_osv_documents`` yields the raw bytes of each record with a location a user can find it by
(``PyPI/all.zip!PYSEC-2021-1.json``); ``parse_osv_documents`` turns them into advisories, yielding a
:class:`RecordProblem` for a bad record instead of stopping, so that one broken record in a zip
of thousands is reported and skipped while the rest imports. ``read_osv`` does both.

Zip archives are read in memory, entry by entry, and never extracted to disk. Because a zip is
untrusted input, :class:`ZipLimits` bounds the number of entries, each entry's size, the total
size and the compression ratio; the declared sizes in the central directory are checked before
anything is read, and the limits are enforced again while decompressing, since headers can lie.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import orjson

from vulndesk.core.advisories.model import Advisory
from vulndesk.core.advisories.osv import parse_osv
from vulndesk.core.errors import AdvisoryError

__all__ = [
    "DEFAULT_ZIP_LIMITS",
    "RawDocument",
    "RecordProblem",
    "SourceItem",
    "ZipLimits",
    "iter_osv_documents",
    "parse_json_documents",
    "parse_osv_documents",
    "read_file",
    "read_osv",
]

_MiB = 1 << 20
_GiB = 1 << 30


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One OSV record as bytes, with where it came from (``dir/x.json``, ``a.zip!x.json``)."""

    location: str
    data: bytes


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """A record that was not imported, and why.

    ``kind`` is ``"invalid"`` for a record that could not be read or parsed (the message names the
    JSON path) and ``"ignored"`` for an archive entry that is not an OSV record (not ``*.json``).
    """

    location: str
    message: str
    kind: Literal["invalid", "ignored"] = "invalid"


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Bounds that make a zip archive safe to read; exceeding any refuses the archive.

    The defaults leave room for the whole OSV export (every ecosystem: several hundred thousand
    records, a few GiB uncompressed, the largest records a few MiB, typical JSON ratios of 5-50).
    ``max_ratio`` applies to entries larger than ``ratio_floor`` only: tiny entries cannot do harm
    whatever their ratio.
    """

    max_entries: int = 1_000_000
    max_entry_size: int = 64 * _MiB
    max_total_size: int = 16 * _GiB
    max_ratio: float = 100.0
    ratio_floor: int = 1 * _MiB


DEFAULT_ZIP_LIMITS = ZipLimits()

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # local file header; end of central dir (empty zip)

SourceItem = RawDocument | RecordProblem


def iter_osv_documents(
    path: Path, *, limits: ZipLimits = DEFAULT_ZIP_LIMITS, display: str | None = None
) -> Iterator[SourceItem]:
    """Yield each OSV record found at ``path`` as raw bytes, in a stable (sorted) order.

    ``path`` is a ``.json`` file (one record, or a JSON array of records: ``file.json[3]``), a
    directory (every ``*.json`` below it, recursively; symlinked directories are not followed) or
    a zip archive in the OSV bulk-export layout. In a zip, directory entries are skipped and an
    entry that is not ``*.json`` or cannot be decompressed (bad CRC, unsupported method) yields a
    RecordProblem instead, so the rest of the archive still reads. ``display`` replaces
    ``str(path)`` at the start of every location.

    Raise AdvisoryError when ``path`` is missing or none of the three, or when a zip archive is
    corrupt or exceeds ``limits`` (checked from the declared sizes first, then while reading).
    """
    shown = str(path) if display is None else display
    if path.is_dir():
        yield from _iter_directory(path, shown, limits)
        return
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except OSError as e:
        raise AdvisoryError(f"cannot read: {e.strerror or e}", source=shown) from e
    if head in _ZIP_MAGIC:
        yield from _iter_zip(path, shown, limits)
        return
    data = read_file(path, shown, limits.max_entry_size)
    first = data.lstrip()[:1]
    if first == b"[":
        yield from _iter_array(data, shown)
    elif first == b"{":
        yield RawDocument(shown, data)
    else:
        raise AdvisoryError(
            "not an OSV source: expected a JSON file, a directory of JSON files or a zip archive "
            f"(the file starts with {data[:8]!r})",
            source=shown,
        )


def read_file(path: Path, shown: str, limit: int) -> bytes:
    """Return the bytes of the file at ``path`` (named ``shown`` in errors); raise AdvisoryError
    when it cannot be read or holds more than ``limit`` bytes (only ``limit + 1`` are read)."""
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise AdvisoryError(f"cannot read: {e.strerror or e}", source=shown) from e
    if len(data) > limit:
        raise AdvisoryError(f"file is larger than the {limit} byte limit", source=shown)
    return data


def _iter_array(data: bytes, shown: str) -> Iterator[SourceItem]:
    try:
        items = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise AdvisoryError(f"not valid JSON: {e}", source=shown) from e
    for i, item in enumerate(items):
        # re-encoding keeps one document type; arrays of records are rare and small
        yield RawDocument(f"{shown}[{i}]", orjson.dumps(item))


def _iter_directory(root: Path, shown: str, limits: ZipLimits) -> Iterator[SourceItem]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames):
            if not filename.endswith(".json"):
                continue
            full = Path(dirpath, filename)
            location = f"{shown.rstrip('/')}/{full.relative_to(root).as_posix()}"
            yield RawDocument(location, read_file(full, location, limits.max_entry_size))


def _iter_zip(path: Path, shown: str, limits: ZipLimits) -> Iterator[SourceItem]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise AdvisoryError(f"not a readable zip archive: {e}", source=shown) from e
    with archive:
        entries = _checked_entries(archive, shown, limits)
        total = 0
        for info in entries:
            location = f"{shown}!{info.filename}"
            if not info.filename.endswith(".json"):
                yield RecordProblem(location, "ignored: not a .json entry", "ignored")
                continue
            data = _read_entry(archive, info, location, limits)
            if isinstance(data, RecordProblem):
                yield data
                continue
            total += len(data)
            if total > limits.max_total_size:
                raise AdvisoryError(
                    f"archive expands past the {limits.max_total_size} byte limit while reading "
                    "(its headers understate the sizes): refusing it as a zip bomb",
                    source=shown,
                )
            yield RawDocument(location, data)


def _checked_entries(
    archive: zipfile.ZipFile, shown: str, limits: ZipLimits
) -> list[zipfile.ZipInfo]:
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > limits.max_entries:
        raise AdvisoryError(
            f"archive has {len(infos)} entries, more than the limit of {limits.max_entries}",
            source=shown,
        )
    total = 0
    for info in infos:
        where = f"{shown}!{info.filename}"
        if info.file_size > limits.max_entry_size:
            raise AdvisoryError(
                f"entry declares {info.file_size} bytes, more than the per-entry limit of "
                f"{limits.max_entry_size}: refusing the archive as a zip bomb",
                source=where,
            )
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            raise AdvisoryError(
                f"entry compresses {ratio:.0f}:1, more than the limit of {limits.max_ratio:.0f}:1: "
                "refusing the archive as a zip bomb",
                source=where,
            )
        total += info.file_size
    if total > limits.max_total_size:
        raise AdvisoryError(
            f"archive declares {total} bytes uncompressed, more than the limit of "
            f"{limits.max_total_size}: refusing it as a zip bomb",
            source=shown,
        )
    infos.sort(key=lambda info: info.filename)
    return infos


def _read_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, location: str, limits: ZipLimits
) -> bytes | RecordProblem:
    # The declared sizes passed _checked_entries; do not trust them while decompressing: read at
    # most one byte past the smallest applicable cap and refuse the archive if the stream is longer.
    # (zipfile itself stops at the declared size and then checks the CRC, so an understated size
    # ends as a bad-CRC problem for that entry, with at most the declared bytes in memory.)
    cap = min(
        limits.max_entry_size,
        info.file_size,
        max(limits.ratio_floor, int(limits.max_ratio * max(info.compress_size, 1))),
    )
    try:
        with archive.open(info) as stream:
            data = stream.read(cap + 1)
    except (
        zipfile.BadZipFile,  # bad CRC (e.g. an understated size), bad local header
        zlib.error,  # corrupt deflate stream
        RuntimeError,  # encrypted entry
        NotImplementedError,  # unsupported compression method
        OSError,
        EOFError,
        ValueError,
    ) as e:
        return RecordProblem(location, f"cannot read the zip entry: {e}")
    if len(data) > cap:
        raise AdvisoryError(
            f"entry expands past {cap} bytes (declared {info.file_size}, compressed "
            f"{info.compress_size}): refusing the archive as a zip bomb",
            source=location,
        )
    return data


def parse_json_documents(
    documents: Iterable[SourceItem], parse: Callable[..., Advisory]
) -> Iterator[Advisory | RecordProblem]:
    """Yield ``parse(obj, source=location)`` of each JSON document, or a RecordProblem saying why
    it could not be read: not JSON, or (an AdvisoryError of ``parse``) not a valid record, with
    the JSON path. Parsing goes on with the next document; RecordProblems coming in (ignored or
    unreadable zip entries) are passed through in order. Every JSON codec reads bulk sources
    through this."""
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    for doc in documents:
        if type(doc) is RecordProblem:
            yield doc
            continue
        assert isinstance(doc, RawDocument)
        try:
            obj = loads(doc.data)
        except decode_error as e:
            yield RecordProblem(doc.location, f"not valid JSON: {e}")
            continue
        try:
            yield parse(obj, source=doc.location)
        except AdvisoryError as e:
            where = f"{e.location}: " if e.location else ""
            yield RecordProblem(doc.location, f"{where}{e.message}")


def parse_osv_documents(documents: Iterable[SourceItem]) -> Iterator[Advisory | RecordProblem]:
    """Yield the Advisory of each OSV document, or a RecordProblem saying why it could not be
    read (:func:`parse_json_documents`)."""
    return parse_json_documents(documents, parse_osv)


def read_osv(
    path: Path, *, limits: ZipLimits = DEFAULT_ZIP_LIMITS, display: str | None = None
) -> Iterator[Advisory | RecordProblem]:
    """Yield every advisory at ``path`` (file, directory or zip), or a RecordProblem per bad record.

    Raise AdvisoryError when the source as a whole cannot be read (see :func:`iter_osv_documents`);
    that can happen after some advisories were yielded when a zip lies about its sizes.
    """
    return parse_osv_documents(iter_osv_documents(path, limits=limits, display=display))

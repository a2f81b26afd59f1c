"""Offline bundles: every stored feed record in one hashed (optionally signed) tar, carried into
an air-gapped network and merged there.

Layout (an uncompressed tar; members are plain files, nothing else)::

    manifest.json              format, version, created, each member's size and SHA-256, sources
    manifest.json.asc          optional: a detached OpenPGP signature of manifest.json
    advisories/<format>.jsonl  one stored record a line: {"id", "source", "raw"[, "stored"]}
    kev/<file>                 the latest KEV catalogue as imported
    epss/<file>                the latest EPSS scores file as imported

The manifest's hashes cover every member, and the signature covers the manifest, so one
signature vouches for the whole bundle. :func:`bundle_import` refuses a bundle before storing
anything when a member is a link, device or directory, has an unsafe name (absolute, ``..``),
is larger than the limit, is missing from the manifest or differs from it, or when the
signature does not verify; then it merges everything through the import services in one
transaction (a record replaces a stored one only when newer), so a bundle that fails half-way
stores nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import IO, Any

import orjson
from django.db import transaction
from django.utils import timezone

from vulndesk import __version__
from vulndesk.core.advisories.csaf import parse_csaf
from vulndesk.core.advisories.cve5 import parse_cve5
from vulndesk.core.advisories.euvd import parse_euvd
from vulndesk.core.advisories.jvn import parse_jvn
from vulndesk.core.advisories.model import Advisory as AdvisoryRecord
from vulndesk.core.advisories.nvd import parse_nvd_cve, parse_nvd_vulnerability
from vulndesk.core.advisories.sources import RecordProblem
from vulndesk.core.advisories.stored import advisory_from_stored
from vulndesk.core.errors import InputError, VulndeskError
from vulndesk.server.advisories.models import Advisory
from vulndesk.server.audit.services import audit_record
from vulndesk.server.feeds.models import FeedSnapshot, FeedSource
from vulndesk.server.feeds.storing import StoreCounts, epss_rows, snapshot_store

BUNDLE_FORMAT = "vulndesk-feed-bundle"
BUNDLE_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.asc"
#: environment variable naming trusted OpenPGP key files for bundles (``os.pathsep``-separated)
TRUSTED_KEYS_ENV = "VULNDESK_BUNDLE_TRUSTED_KEYS"
MAX_MEMBER_BYTES = 16 << 30
MAX_MANIFEST_BYTES = 16 << 20
MAX_MEMBERS = 256
_CHUNK = 1 << 20


class BundleError(InputError):
    """A bundle was refused: the message says which member or check failed."""


@dataclass(slots=True)
class BundleExport:
    """What :func:`bundle_export` wrote."""

    path: Path
    members: list[dict[str, Any]]
    signed: bool


@dataclass(slots=True)
class BundleImport:
    """What :func:`bundle_import` merged, per member, and whether the signature was checked."""

    signature: str  # verified | unsigned | unchecked
    signer: str | None
    counts: dict[str, StoreCounts] = field(default_factory=dict)


# --- export --------------------------------------------------------------------------------------


def _advisory_lines(fmt: str) -> Iterator[bytes]:
    rows = (
        Advisory.objects.filter(format=fmt)
        .order_by("id")
        .values_list("id", "record_id", "source", "raw", "match")
        .iterator(chunk_size=2000)
    )
    for key, record_id, source, raw, match in rows:
        line: dict[str, Any] = {"id": record_id or key, "source": source, "raw": raw}
        if fmt != "osv" and match.startswith("{"):
            stored = orjson.loads(match)
            if isinstance(stored, dict) and "_stored" in stored:
                line["stored"] = stored
        yield orjson.dumps(line) + b"\n"


def _write_member(tar: tarfile.TarFile, name: str, chunks: Iterator[bytes], work: Path) -> dict:
    """Add ``name`` to ``tar`` from ``chunks`` (spooled to disk); return its manifest entry."""
    digest = hashlib.sha256()
    size = 0
    lines = 0
    spool = work / "member"
    with spool.open("wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            lines += 1
            out.write(chunk)
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o644
    with spool.open("rb") as data:
        tar.addfile(info, data)
    spool.unlink()
    return {"name": name, "size": size, "sha256": digest.hexdigest(), "records": lines}


def bundle_export(
    *, path: Path, sign_key: str | None = None, acting_user: Any = None, actor_label: str = "cli"
) -> BundleExport:
    """Write every stored advisory, the KEV catalogue and the EPSS file to a bundle at ``path``.

    With ``sign_key`` the manifest is signed with ``gpg --detach-sign`` by that key from the
    user's own keyring. The file appears only once complete (written beside it, then renamed).
    """
    formats = sorted(set(Advisory.objects.values_list("format", flat=True)))
    members: list[dict[str, Any]] = []
    partial = path.with_name(path.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="vulndesk-bundle-") as tmp:
        work = Path(tmp)
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            for fmt in formats:
                entry = _write_member(tar, f"advisories/{fmt}.jsonl", _advisory_lines(fmt), work)
                members.append({**entry, "kind": "advisories", "format": fmt})
            for snapshot in FeedSnapshot.objects.order_by("kind"):
                name = f"{snapshot.kind}/{PurePosixPath(snapshot.file_name).name}"
                entry = _write_member(tar, name, iter([bytes(snapshot.content)]), work)
                members.append({**entry, "kind": snapshot.kind, "records": snapshot.records})
            manifest = orjson.dumps(
                {
                    "format": BUNDLE_FORMAT,
                    "version": BUNDLE_VERSION,
                    "created": timezone.now().isoformat(),
                    "vulndesk": __version__,
                    "members": members,
                    "sources": [
                        {
                            "name": s.name,
                            "kind": s.kind,
                            "cursor": s.cursor,
                            "last_success_at": s.last_success_at.isoformat()
                            if s.last_success_at
                            else None,
                        }
                        for s in FeedSource.objects.filter(last_success_at__isnull=False)
                    ],
                },
                option=orjson.OPT_INDENT_2,
            )
            _add_bytes(tar, MANIFEST, manifest)
            if sign_key:
                _add_bytes(tar, SIGNATURE, _gpg_sign(manifest, sign_key, work))
    partial.replace(path)
    with transaction.atomic():
        audit_record(
            action="feeds.bundle.export",
            object_type="feed_bundle",
            object_id=path.name,
            data={"members": [m["name"] for m in members], "signed": bool(sign_key)},
            acting_user=acting_user,
            actor_label=actor_label,
        )
    return BundleExport(path=path, members=members, signed=bool(sign_key))


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o644
    tar.addfile(info, BytesIO(data))


def _gpg_sign(data: bytes, key: str, work: Path) -> bytes:
    """Return an armoured detached signature of ``data`` by ``key`` (the user's gpg keyring)."""
    gpg = shutil.which("gpg")
    if gpg is None:
        raise BundleError("gpg is not installed: cannot sign the bundle", source=key)
    document = work / MANIFEST
    document.write_bytes(data)
    argv = [gpg, "--batch", "--yes", "--armor", "--local-user", key, "--detach-sign"]
    argv += ["--output", str(work / SIGNATURE), str(document)]
    done = subprocess.run(argv, capture_output=True, timeout=120, check=False)
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip()
        raise BundleError(f"gpg could not sign with key {key}: {detail}", source=key)
    return (work / SIGNATURE).read_bytes()


# --- import: checks ------------------------------------------------------------------------------


def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or any(part in ("", ".", "..") for part in name.split("/"))
        or path.is_absolute()
    ):
        raise BundleError(f"unsafe member name {name!r} (absolute or with '..')", source=name)
    return name


def _extract(bundle: Path, work: Path) -> tuple[dict[str, Any], bytes, bytes | None, dict]:
    """Check and unpack ``bundle`` into ``work``; return (manifest, its bytes, signature, files).

    ``files`` maps each manifest member's name to its unpacked path. Raise BundleError for any
    member that is not a plain file with a safe name within the limits, or that the manifest
    does not list with the same size and SHA-256, and for listed members that are missing.
    """
    try:
        tar = tarfile.open(bundle, "r:*")  # noqa: SIM115 - closed by the with below
    except (tarfile.TarError, OSError) as e:
        raise BundleError(f"not a readable tar archive: {e}", source=str(bundle)) from e
    with tar:
        infos = tar.getmembers()
        if len(infos) > MAX_MEMBERS:
            raise BundleError(f"more than {MAX_MEMBERS} members", source=str(bundle))
        seen: set[str] = set()
        for info in infos:
            _safe_name(info.name)
            if not info.isreg():
                raise BundleError(
                    "member is not a plain file (link, device or directory)", source=info.name
                )
            if info.name in seen:
                raise BundleError("member appears twice", source=info.name)
            seen.add(info.name)
            if info.size > MAX_MEMBER_BYTES:
                raise BundleError(f"member is over {MAX_MEMBER_BYTES} bytes", source=info.name)
        by_name = {info.name: info for info in infos}
        if MANIFEST not in by_name:
            raise BundleError("no manifest.json", source=str(bundle))
        if by_name[MANIFEST].size > MAX_MANIFEST_BYTES:
            raise BundleError("manifest.json is too large", source=MANIFEST)
        manifest_bytes = _read_all(tar, by_name[MANIFEST])
        signature = _read_all(tar, by_name[SIGNATURE]) if SIGNATURE in by_name else None
        manifest = _manifest(manifest_bytes)
        listed = {m["name"]: m for m in manifest["members"]}
        unlisted = sorted(set(by_name) - set(listed) - {MANIFEST, SIGNATURE})
        if unlisted:
            raise BundleError("member is not listed in the manifest", source=unlisted[0])
        missing = sorted(set(listed) - set(by_name))
        if missing:
            raise BundleError("member listed in the manifest is missing", source=missing[0])
        files: dict[str, Path] = {}
        for n, (name, entry) in enumerate(sorted(listed.items())):
            info = by_name[name]
            if info.size != entry["size"]:
                raise BundleError(
                    f"size {info.size} differs from the manifest's {entry['size']}", source=name
                )
            target = work / f"{n:03d}-{PurePosixPath(name).name}"
            digest = _copy_hashed(tar, info, target)
            if digest != entry["sha256"]:
                raise BundleError(
                    f"SHA-256 {digest[:16]}... differs from the manifest's "
                    f"{entry['sha256'][:16]}...: the bundle was altered or damaged",
                    source=name,
                )
            files[name] = target
    return manifest, manifest_bytes, signature, files


def _read_all(tar: tarfile.TarFile, info: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(info)
    assert handle is not None  # a regular file
    return handle.read()


def _copy_hashed(tar: tarfile.TarFile, info: tarfile.TarInfo, target: Path) -> str:
    handle: IO[bytes] | None = tar.extractfile(info)
    assert handle is not None
    digest = hashlib.sha256()
    with target.open("wb") as out:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _manifest(data: bytes) -> dict[str, Any]:
    try:
        manifest = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise BundleError(f"manifest.json is not JSON: {e}", source=MANIFEST) from e
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"manifest.json is not a {BUNDLE_FORMAT} manifest", source=MANIFEST)
    if manifest.get("version") != BUNDLE_VERSION:
        raise BundleError(
            f"bundle format version {manifest.get('version')!r} is not {BUNDLE_VERSION}",
            source=MANIFEST,
        )
    members = manifest.get("members")
    if not isinstance(members, list):
        raise BundleError("$.members is not an array", source=MANIFEST)
    for i, member in enumerate(members):
        ok = (
            isinstance(member, dict)
            and isinstance(member.get("name"), str)
            and isinstance(member.get("size"), int)
            and isinstance(member.get("sha256"), str)
            and member.get("kind") in ("advisories", "kev", "epss")
        )
        if not ok:
            raise BundleError(f"$.members[{i}] is not a member entry", source=MANIFEST)
        _safe_name(member["name"])
    return manifest


def _verify(
    manifest: bytes, signature: bytes | None, trusted_keys: Sequence[Path]
) -> tuple[str, str | None]:
    """Return (verified | unsigned | unchecked, signer); raise BundleError for a bad signature."""
    from vulndesk.core.feeds.openpgp import OpenPgpError, TrustedKeyring

    if not trusted_keys:
        return ("unchecked" if signature is not None else "unsigned"), None
    if signature is None:
        raise BundleError("the bundle is not signed, but trusted keys were given", source=SIGNATURE)
    try:
        keyring = TrustedKeyring(tuple(trusted_keys), 60.0)
    except OpenPgpError as e:
        raise BundleError(str(e), source=", ".join(map(str, trusted_keys))) from e
    try:
        outcome, signer, reason = keyring.verify(manifest, signature)
    except OpenPgpError as e:
        raise BundleError(str(e), source=SIGNATURE) from e
    finally:
        keyring.close()
    if outcome != "verified":
        raise BundleError(f"signature {outcome}: {reason}", source=SIGNATURE)
    return "verified", signer


def configured_trusted_keys() -> list[Path]:
    """Return the trusted bundle key files ``VULNDESK_BUNDLE_TRUSTED_KEYS`` names."""
    value = os.environ.get(TRUSTED_KEYS_ENV, "")
    return [Path(p) for p in value.split(os.pathsep) if p]


# --- import: merging -----------------------------------------------------------------------------


def bundle_import(
    *,
    path: Path,
    trusted_keys: Sequence[Path] = (),
    acting_user: Any = None,
    actor_label: str = "cli",
) -> BundleImport:
    """Check the bundle at ``path`` and merge it into the store; return what it did.

    ``trusted_keys`` (else the files ``VULNDESK_BUNDLE_TRUSTED_KEYS`` names) are the OpenPGP
    keys the manifest's signature must verify against; with none, a signature is not checked
    (``unchecked``). Everything is stored in one transaction: any refused check or failing
    member stores nothing (BundleError, or the import services' error).
    """
    keys = list(trusted_keys) or configured_trusted_keys()
    with tempfile.TemporaryDirectory(prefix="vulndesk-bundle-") as tmp:
        work = Path(tmp)
        manifest, manifest_bytes, signature, files = _extract(path, work)
        checked, signer = _verify(manifest_bytes, signature, keys)
        outcome = BundleImport(signature=checked, signer=signer)
        with transaction.atomic():
            for member in manifest["members"]:
                name = member["name"]
                outcome.counts[name] = _merge(member, files[name], work, acting_user, actor_label)
            _merge_sources(manifest.get("sources") or [])
            audit_record(
                action="feeds.bundle.import",
                object_type="feed_bundle",
                object_id=path.name,
                data={
                    "created": manifest.get("created"),
                    "signature": checked,
                    "signer": signer,
                    "members": {k: v.as_dict() for k, v in outcome.counts.items()},
                },
                acting_user=acting_user,
                actor_label=actor_label,
            )
    return outcome


def _merge(
    member: dict[str, Any], file: Path, work: Path, acting_user: Any, actor_label: str
) -> StoreCounts:
    from vulndesk.server.advisories import services

    counts = StoreCounts()
    common: dict[str, Any] = {"acting_user": acting_user, "actor_label": actor_label}
    name = member["name"]
    if member["kind"] == "kev":
        counts.add(services.kev_import(path=file, **common))
        from vulndesk.core.scoring.kev import read_kev

        content = file.read_bytes()
        entries = len(read_kev(file, display=name).entries)
        snapshot_store("kev", PurePosixPath(name).name, content, records=entries)
        return counts
    if member["kind"] == "epss":
        counts.add(services.epss_import(path=file, **common))
        snapshot_store("epss", PurePosixPath(name).name, file.read_bytes(), records=epss_rows(file))
        return counts
    fmt = str(member.get("format") or "")
    if fmt == "osv":
        archive = work / "osv.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
            for n, line in enumerate(_lines(file, name)):
                out.writestr(f"{n:07d}.json", line["raw"])
        counts.add(services.feeds_import(paths=[archive], format="osv", **common))
        archive.unlink()
        return counts
    items = (_record(line, fmt, f"{name}:{n}") for n, line in enumerate(_lines(file, name), 1))
    counts.add(services.records_import(items=items, format=fmt, sources=[name], **common))
    return counts


def _lines(file: Path, name: str) -> Iterator[dict[str, Any]]:
    with file.open("rb") as lines:
        for n, line in enumerate(lines, 1):
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                raise BundleError(f"line {n} is not JSON: {e}", source=name) from e
            if not isinstance(obj, dict) or not isinstance(obj.get("raw"), str):
                raise BundleError(f"line {n} is not a stored record", source=name)
            yield obj


def _record(
    line: dict[str, Any], fmt: str, location: str
) -> tuple[AdvisoryRecord, str, str] | RecordProblem:
    """Return the record a bundle line holds (its stored form, else its text read again)."""
    source = str(line.get("source") or location)
    try:
        if isinstance(line.get("stored"), dict):
            return advisory_from_stored(line["stored"], source=location), line["raw"], source
        found = [a for a in _parse(fmt, line["raw"], location) if a.id == line.get("id")]
    except VulndeskError as e:
        return RecordProblem(location, str(e))
    if not found:
        return RecordProblem(location, f"no record {line.get('id')!r} in its stored text")
    return found[0], line["raw"], source


def _parse(fmt: str, raw: str, location: str) -> list[AdvisoryRecord]:
    if fmt == "jvn":
        return [
            a for a in parse_jvn(raw.encode(), source=location) if isinstance(a, AdvisoryRecord)
        ]
    obj = orjson.loads(raw)
    if fmt == "nvd":
        if isinstance(obj, dict) and "cve" in obj:
            return [parse_nvd_vulnerability(obj, source=location)]
        return [parse_nvd_cve(obj, source=location)]
    if fmt == "cve5":
        return [parse_cve5(obj, source=location)]
    if fmt == "euvd":
        return [a for a in parse_euvd(obj, source=location) if isinstance(a, AdvisoryRecord)]
    if fmt == "csaf":
        return list(parse_csaf(obj, source=location))
    raise BundleError(f"unknown advisory format {fmt!r}", source=location)


def _merge_sources(sources: list[Any]) -> None:
    """Take over the bundle's source freshness (and cursor) where it is newer than ours."""
    for item in sources:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        when = item.get("last_success_at")
        try:
            stamp = datetime.fromisoformat(when) if isinstance(when, str) else None
        except ValueError:
            continue
        source = FeedSource.objects.filter(name=item["name"]).first()
        if source is None or stamp is None:
            continue
        if source.last_success_at is None or source.last_success_at < stamp:
            FeedSource.objects.filter(pk=source.pk).update(
                last_success_at=stamp, cursor=item.get("cursor")
            )

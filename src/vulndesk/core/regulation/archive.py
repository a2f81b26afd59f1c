"""Evidence for auditors: one zip per product with its SBOM history and vulnerability handling
record (CRA Annex I part II: an SBOM with at least the top-level dependencies, vulnerabilities
handled without delay, advisories published; Article 14 reports and when they were sent).

The archive is deterministic: the same arguments give the same bytes (members sorted by name,
every timestamp set to ``now``, fixed permissions and compression), so that a hash of it can be
recorded and re-checked. Member names are ours, built from sanitised release versions and file
names: no absolute paths, no ``..``, ASCII only; the names as uploaded are kept in the JSON.

Layout::

    manifest.json           what is inside: every other member with its SHA-256 and size
    sbom-history.json       per release: date, SBOM member, its SHA-256, top-level dependencies
    handling-record.json    findings, triage and VEX statements, remediation, advisories, reports
    sboms/<release>/<file>  each SBOM exactly as uploaded
    reports/NN-<regime>-<kind>.json (and .pdf)
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from vulndesk.core.errors import InputError
from vulndesk.core.regulation.pdf import Language, report_pdf
from vulndesk.core.regulation.reports import ReportContent, iso_utc, report_json

__all__ = [
    "ARCHIVE_SCHEMA",
    "DEFAULT_MAX_BYTES",
    "AdvisoryEntry",
    "ArchiveProduct",
    "FindingEntry",
    "HandlingRecord",
    "RemediationEntry",
    "SbomRelease",
    "TriageEntry",
    "evidence_archive",
    "safe_member_name",
]

ARCHIVE_SCHEMA: Final = "vulndesk-evidence-archive/1"
DEFAULT_MAX_BYTES: Final = 512 * 1024 * 1024

_UNSAFE: Final = re.compile(r"[^A-Za-z0-9._+-]+")
# Names Windows will not create whatever the extension (an auditor may unzip there).
_WINDOWS_DEVICES: Final = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)]
)
_NAME_LIMIT: Final = 100


@dataclass(frozen=True, slots=True)
class ArchiveProduct:
    """The product the evidence is about."""

    name: str
    manufacturer: str = ""
    identifiers: tuple[str, ...] = ()  # purl, CPE


@dataclass(frozen=True, slots=True)
class SbomRelease:
    """One release's SBOM as uploaded (``content`` unchanged), with the top-level dependencies
    the caller read from it (purls or "name@version")."""

    release: str  # the release version
    released_at: datetime
    file_name: str  # as uploaded; sanitised for the member name
    content: bytes
    top_level_dependencies: tuple[str, ...] = ()
    sbom_format: str = ""  # e.g. "CycloneDX 1.6", "SPDX 2.3"


@dataclass(frozen=True, slots=True)
class FindingEntry:
    """A vulnerability found in the product: when it was first seen and when resolved."""

    finding_id: str
    vulnerability_ids: tuple[str, ...]
    component: str  # purl or "name@version"
    first_seen_at: datetime
    resolved_at: datetime | None = None
    status: str = ""  # the finding's status at export (open, fixed, not_affected, ...)
    releases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TriageEntry:
    """A triage decision or VEX statement about a finding."""

    finding_id: str
    status: str  # VEX status: not_affected, affected, fixed, under_investigation
    decided_at: datetime
    justification: str = ""  # VEX justification when not affected
    statement: str = ""
    decided_by: str = ""


@dataclass(frozen=True, slots=True)
class RemediationEntry:
    """A move that fixed or mitigated a finding (an upgrade, a configuration change, ...)."""

    finding_id: str
    action: str
    done_at: datetime
    release: str = ""  # the release that carries it


@dataclass(frozen=True, slots=True)
class AdvisoryEntry:
    """A security advisory published for the product."""

    advisory_id: str
    title: str
    published_at: datetime
    vulnerability_ids: tuple[str, ...] = ()
    url: str = ""


@dataclass(frozen=True, slots=True)
class HandlingRecord:
    """The vulnerability handling record of a product (the reports are passed separately)."""

    findings: tuple[FindingEntry, ...] = ()
    triage: tuple[TriageEntry, ...] = ()
    remediations: tuple[RemediationEntry, ...] = ()
    advisories: tuple[AdvisoryEntry, ...] = ()


def safe_member_name(text: str, *, fallback: str) -> str:
    """Return the last path segment of ``text`` made safe as one zip member name segment: ASCII
    letters, digits and ``._+-`` only (others become "_"), no leading dot (so never ``..``), not a
    Windows device name, at most 100 characters (the end kept, for the extension); ``fallback``
    when nothing is left. ``../../etc/passwd.cdx.json`` gives ``passwd.cdx.json``."""
    segment = text.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", segment).lstrip(".")
    if len(name) > _NAME_LIMIT:
        name = name[: _NAME_LIMIT // 2 - 1] + "_" + name[-(_NAME_LIMIT // 2) :]
    if name.split(".", 1)[0].upper() in _WINDOWS_DEVICES:
        name = f"_{name}"
    return name if name.strip("_") else fallback


def evidence_archive(
    product: ArchiveProduct,
    sbom_history: Sequence[SbomRelease],
    handling_record: HandlingRecord,
    reports: Sequence[ReportContent],
    *,
    now: datetime,
    max_bytes: int = DEFAULT_MAX_BYTES,
    pdf_language: Language | None = "en",
    pdf_fonts: Sequence[Path] | None = None,
) -> bytes:
    """Return a zip of a product's evidence for auditors (layout in the module docstring): the
    SBOMs as uploaded with their history, the handling record, and each report as JSON and, unless
    ``pdf_language`` is None, as a PDF in that language drawn with ``pdf_fonts`` (None: the
    system's, see ``report_pdf``; the PDFs' bytes, and so the archive's, depend on the fonts).

    ``now`` (timezone-aware) is the archive's time: in the manifest, as every member's timestamp,
    and as the PDFs' creation time. Lists are written in time order. Raises InputError when the
    members would hold more than ``max_bytes`` bytes (or the zip would be larger), naming the
    member that crossed the limit.
    """
    stamp = iso_utc(now)  # rejects a naive time
    members: dict[str, bytes] = {}
    described: dict[str, str] = {}
    total = 0

    def add(name: str, data: bytes, what: str) -> None:
        nonlocal total
        total += len(data)
        if total > max_bytes:
            raise InputError(
                f"the evidence archive would hold more than its limit of {max_bytes} bytes",
                location=name,
            )
        members[name] = data
        described[name] = what

    history = []
    used: set[str] = set()
    for release in sorted(sbom_history, key=lambda r: (r.released_at, r.release)):
        # a release version is one segment: its slashes are not directories
        flat = release.release.replace("/", "_").replace("\\", "_")
        directory = safe_member_name(flat, fallback="release")
        base, number = directory, 1
        while directory in used:  # two releases whose names sanitise alike
            number += 1
            directory = f"{base}-{number}"
        used.add(directory)
        name = f"sboms/{directory}/{safe_member_name(release.file_name, fallback='sbom')}"
        add(name, release.content, f"SBOM of release {release.release} as uploaded")
        history.append(
            {
                "release": release.release,
                "released_at": iso_utc(release.released_at),
                "sbom": name,
                "original_file_name": release.file_name,
                "format": release.sbom_format,
                "sha256": hashlib.sha256(release.content).hexdigest(),
                "size": len(release.content),
                "top_level_dependencies": list(release.top_level_dependencies),
            }
        )

    report_rows = []
    for index, report in enumerate(reports, start=1):
        stem = f"reports/{index:02d}-{report.regime.value}-{report.kind.value}"
        add(f"{stem}.json", _json_bytes(report_json(report)), "report as JSON")
        row: dict[str, object] = {
            "regime": report.regime.value,
            "kind": report.kind.value,
            "aware_at": _iso_or_none(report.aware_at),
            "due_at": _iso_or_none(report.due_at),
            "submitted_at": _iso_or_none(report.submitted_at),
            "on_time": (
                report.submitted_at <= report.due_at
                if report.submitted_at is not None and report.due_at is not None
                else None
            ),
            "json": f"{stem}.json",
            "pdf": None,
        }
        if pdf_language is not None:
            pdf = report_pdf(report, generated_at=now, language=pdf_language, fonts=pdf_fonts)
            add(f"{stem}.pdf", pdf, "report as PDF")
            row["pdf"] = f"{stem}.pdf"
        report_rows.append(row)

    product_json: dict[str, object] = {
        "name": product.name,
        "manufacturer": product.manufacturer,
        "identifiers": list(product.identifiers),
    }
    add(
        "sbom-history.json",
        _json_bytes({"product": product_json, "releases": history}),
        "SBOM history: per release, its SBOM, SHA-256 and top-level dependencies",
    )
    add(
        "handling-record.json",
        _json_bytes(_handling_json(product_json, handling_record, report_rows)),
        "vulnerability handling record: findings, triage, remediation, advisories, reports",
    )
    manifest = {
        "schema": ARCHIVE_SCHEMA,
        "generated_at": stamp,
        "product": product_json,
        "members": [
            {
                "name": name,
                "sha256": hashlib.sha256(members[name]).hexdigest(),
                "size": len(members[name]),
                "description": described[name],
            }
            for name in sorted(members)
        ],
    }
    add("manifest.json", _json_bytes(manifest), "this manifest")

    archive = _zip(members, now)
    if len(archive) > max_bytes:
        raise InputError(
            f"the evidence archive would be {len(archive)} bytes, over its limit of {max_bytes}",
            location="(zip)",
        )
    return archive


def _handling_json(
    product: dict[str, object], record: HandlingRecord, reports: list[dict[str, object]]
) -> dict[str, object]:
    return {
        "product": product,
        "findings": [
            {
                "finding_id": f.finding_id,
                "vulnerability_ids": list(f.vulnerability_ids),
                "component": f.component,
                "releases": list(f.releases),
                "status": f.status,
                "first_seen_at": iso_utc(f.first_seen_at),
                "resolved_at": _iso_or_none(f.resolved_at),
            }
            for f in sorted(record.findings, key=lambda f: (f.first_seen_at, f.finding_id))
        ],
        "triage": [
            {
                "finding_id": t.finding_id,
                "status": t.status,
                "justification": t.justification,
                "statement": t.statement,
                "decided_by": t.decided_by,
                "decided_at": iso_utc(t.decided_at),
            }
            for t in sorted(record.triage, key=lambda t: (t.decided_at, t.finding_id))
        ],
        "remediations": [
            {
                "finding_id": r.finding_id,
                "action": r.action,
                "release": r.release,
                "done_at": iso_utc(r.done_at),
            }
            for r in sorted(record.remediations, key=lambda r: (r.done_at, r.finding_id))
        ],
        "advisories": [
            {
                "advisory_id": a.advisory_id,
                "title": a.title,
                "vulnerability_ids": list(a.vulnerability_ids),
                "url": a.url,
                "published_at": iso_utc(a.published_at),
            }
            for a in sorted(record.advisories, key=lambda a: (a.published_at, a.advisory_id))
        ],
        "reports": reports,
    }


def _iso_or_none(moment: datetime | None) -> str | None:
    return iso_utc(moment) if moment is not None else None


def _json_bytes(data: object) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _zip(members: dict[str, bytes], now: datetime) -> bytes:
    utc = now.astimezone(UTC)
    # Zip times are local-time fields without a zone and cannot predate 1980; we write UTC.
    date_time = max(
        (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second), (1980, 1, 1, 0, 0, 0)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.create_system = 3  # Unix, whatever the platform we run on
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, members[name], compresslevel=9)
    return buffer.getvalue()

"""Published CVE JSON 5.x records read back into the dataclasses of :mod:`.record`.

:func:`read_cve_record` reads a whole record (PUBLISHED or REJECTED), :func:`read_cna_container`
a CNA container alone. Writing a :class:`~vulndesk.core.cve.record.CnaRecord` with the builder
and reading it back gives an equal record; what the model has no field for is left behind:
ADP containers, ``supportingMedia``, CVSS v2 and ``other`` metrics, ``impacts`` and the like.
A value of the wrong JSON type, or a missing field the model needs, raises
:class:`~vulndesk.core.cve.record.CveRecordError` naming its JSON path (and the file, given as
``source``); an absent optional field is just absent. Older records that name the CWE only at the
start of the problem type's text (``CWE-79 Cross-site Scripting``) get that id as ``cwe_id``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast, get_args

from vulndesk.core.cve.record import (
    CNA_RECORD_DATA_VERSION,
    CREDIT_TYPES,
    CVSS_KEYS,
    DISCOVERIES,
    VERSION_STATUSES,
    AffectedProduct,
    AffectedVersion,
    CnaRecord,
    Credit,
    CveMetadata,
    CveRecord,
    CveRecordError,
    CveState,
    CvssMetric,
    ProblemType,
    Provider,
    Reference,
    Text,
    VersionChange,
    VersionStatus,
    parse_timestamp,
)
from vulndesk.core.jsontypes import json_type

__all__ = ["read_cna_container", "read_cve_record"]


class _Reader:
    """Typed access to one document's JSON, every error naming the source and JSON path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, expected: str, value: object) -> CveRecordError:
        scalar = isinstance(value, str | int | float) and not isinstance(value, bool)
        shown = repr(value) if scalar else json_type(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return CveRecordError(
            f"expected {expected}, got {shown}", source=self.source or None, location=path
        )

    def obj(self, value: object, path: str) -> dict[str, Any]:
        if type(value) is not dict:
            raise self.fail(path, "an object", value)
        return cast(dict[str, Any], value)

    def objects(
        self, obj: Mapping[str, Any], key: str, path: str
    ) -> list[tuple[str, dict[str, Any]]]:
        return [(p, self.obj(item, p)) for p, item in self.items(obj, key, path)]

    def items(self, obj: Mapping[str, Any], key: str, path: str) -> list[tuple[str, Any]]:
        value = obj.get(key)
        if value is None:
            return []
        if type(value) is not list:
            raise self.fail(f"{path}.{key}", "an array", value)
        return [(f"{path}.{key}[{i}]", item) for i, item in enumerate(value)]

    def strings(self, obj: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        out = []
        for p, item in self.items(obj, key, path):
            if type(item) is not str:
                raise self.fail(p, "a string", item)
            out.append(item)
        return tuple(out)

    def string(self, obj: Mapping[str, Any], key: str, path: str) -> str | None:
        value = obj.get(key)
        if value is None or type(value) is str:
            return value
        raise self.fail(f"{path}.{key}", "a string", value)

    def required_str(self, obj: Mapping[str, Any], key: str, path: str) -> str:
        value = self.string(obj, key, path)
        if value is None:
            raise CveRecordError(
                f"missing {key!r}", source=self.source or None, location=f"{path}.{key}"
            )
        return value

    def choice[T: str](
        self, obj: Mapping[str, Any], key: str, path: str, choices: tuple[T, ...]
    ) -> T | None:
        value = self.string(obj, key, path)
        if value is None:
            return None
        if value not in choices:
            raise self.fail(f"{path}.{key}", "one of " + ", ".join(choices), value)
        return value

    def timestamp(self, obj: Mapping[str, Any], key: str, path: str) -> datetime | None:
        value = self.string(obj, key, path)
        if value is None:
            return None
        return parse_timestamp(value, source=self.source, path=f"{path}.{key}")

    def texts(self, obj: Mapping[str, Any], key: str, path: str) -> tuple[Text, ...]:
        out = []
        for p, item in self.objects(obj, key, path):
            out.append(
                Text(self.required_str(item, "value", p), self.string(item, "lang", p) or "en")
            )
        return tuple(out)


def read_cve_record(document: object, *, source: str = "") -> CveRecord:
    """Return a CVE JSON 5.x record (PUBLISHED or REJECTED) read into the dataclasses.

    ``source`` (a file name) goes into error messages. Raise CveRecordError when a value has
    the wrong type or a field the reader needs (``cveMetadata.cveId``, ``state``,
    ``assignerOrgId``, ``containers.cna``) is missing.
    """
    read = _Reader(source)
    root = read.obj(document, "$")
    data_type = read.string(root, "dataType", "$")
    if data_type not in (None, "CVE_RECORD"):
        raise read.fail("$.dataType", "'CVE_RECORD'", data_type)
    meta_path = "$.cveMetadata"
    meta = read.obj(root.get("cveMetadata"), meta_path)
    state = read.choice(meta, "state", meta_path, get_args(CveState))
    if state is None:
        raise CveRecordError(
            "missing 'state'", source=source or None, location=f"{meta_path}.state"
        )
    metadata = CveMetadata(
        cve_id=read.required_str(meta, "cveId", meta_path),
        state=state,
        assigner_org_id=read.required_str(meta, "assignerOrgId", meta_path),
        assigner_short_name=read.string(meta, "assignerShortName", meta_path),
        date_reserved=read.timestamp(meta, "dateReserved", meta_path),
        date_published=read.timestamp(meta, "datePublished", meta_path),
        date_updated=read.timestamp(meta, "dateUpdated", meta_path),
        date_rejected=read.timestamp(meta, "dateRejected", meta_path),
    )
    containers = read.obj(root.get("containers"), "$.containers")
    path = "$.containers.cna"
    cna = read.obj(containers.get("cna"), path)
    provider = _read_provider(read, cna, path)
    data_version = read.string(root, "dataVersion", "$") or CNA_RECORD_DATA_VERSION
    if state == "REJECTED":
        return CveRecord(
            metadata=metadata,
            provider=provider,
            cna=None,
            rejected_reasons=read.texts(cna, "rejectedReasons", path),
            replaced_by=read.strings(cna, "replacedBy", path),
            data_version=data_version,
        )
    record = _read_cna(read, cna, metadata.cve_id, path)
    return CveRecord(metadata=metadata, provider=provider, cna=record, data_version=data_version)


def read_cna_container(
    container: object, *, cve_id: str, source: str = "", path: str = "$"
) -> CnaRecord:
    """Return a published CNA container (without the record around it) read into a CnaRecord
    for ``cve_id``; ``path`` is the container's JSON path, for error messages."""
    read = _Reader(source)
    return _read_cna(read, read.obj(container, path), cve_id, path)


def _read_provider(read: _Reader, cna: Mapping[str, Any], path: str) -> Provider:
    meta_path = f"{path}.providerMetadata"
    meta = read.obj(cna.get("providerMetadata"), meta_path)
    return Provider(
        read.required_str(meta, "orgId", meta_path), read.string(meta, "shortName", meta_path)
    )


def _read_cna(read: _Reader, cna: Mapping[str, Any], cve_id: str, path: str) -> CnaRecord:
    source = read.obj(cna["source"], f"{path}.source") if "source" in cna else {}
    return CnaRecord(
        cve_id=cve_id,
        title=read.string(cna, "title", path),
        descriptions=read.texts(cna, "descriptions", path),
        affected=tuple(
            _read_product(read, p, item) for p, item in read.objects(cna, "affected", path)
        ),
        problem_types=tuple(
            problem
            for p, entry in read.objects(cna, "problemTypes", path)
            for problem in _read_problem_types(read, entry, p)
        ),
        metrics=tuple(
            metric
            for p, entry in read.objects(cna, "metrics", path)
            if (metric := _read_metric(read, entry, p)) is not None
        ),
        references=tuple(
            _read_reference(read, item, p) for p, item in read.objects(cna, "references", path)
        ),
        credits=tuple(
            _read_credit(read, item, p) for p, item in read.objects(cna, "credits", path)
        ),
        date_public=read.timestamp(cna, "datePublic", path),
        discovery=read.choice(source, "discovery", f"{path}.source", DISCOVERIES),
        solutions=read.texts(cna, "solutions", path),
        workarounds=read.texts(cna, "workarounds", path),
        tags=read.strings(cna, "tags", path),
    )


def _read_product(read: _Reader, path: str, item: Mapping[str, Any]) -> AffectedProduct:
    versions = []
    for p, entry in read.objects(item, "versions", path):
        changes = tuple(
            VersionChange(read.required_str(c, "at", cp), _status(read, c, cp))
            for cp, c in read.objects(entry, "changes", p)
        )
        versions.append(
            AffectedVersion(
                version=read.required_str(entry, "version", p),
                status=_status(read, entry, p),
                version_type=read.string(entry, "versionType", p),
                less_than=read.string(entry, "lessThan", p),
                less_than_or_equal=read.string(entry, "lessThanOrEqual", p),
                changes=changes,
            )
        )
    return AffectedProduct(
        vendor=read.string(item, "vendor", path),
        product=read.string(item, "product", path),
        versions=tuple(versions),
        default_status=read.choice(item, "defaultStatus", path, VERSION_STATUSES),
        cpes=read.strings(item, "cpes", path),
        collection_url=read.string(item, "collectionURL", path),
        package_name=read.string(item, "packageName", path),
        repo=read.string(item, "repo", path),
        platforms=read.strings(item, "platforms", path),
        modules=read.strings(item, "modules", path),
        program_files=read.strings(item, "programFiles", path),
    )


def _status(read: _Reader, obj: Mapping[str, Any], path: str) -> VersionStatus:
    status = read.choice(obj, "status", path, VERSION_STATUSES)
    if status is None:
        raise CveRecordError(
            "missing 'status'", source=read.source or None, location=f"{path}.status"
        )
    return status


_CWE_AT_START = re.compile(r"^(CWE-[1-9][0-9]*)\b")


def _read_problem_types(read: _Reader, entry: Mapping[str, Any], path: str) -> list[ProblemType]:
    out = []
    for p, item in read.objects(entry, "descriptions", path):
        description = read.required_str(item, "description", p)
        cwe_id = read.string(item, "cweId", p)
        if cwe_id is None and (match := _CWE_AT_START.match(description)):
            cwe_id = match.group(1)  # older records name the CWE only in the text
        out.append(ProblemType(description, cwe_id, read.string(item, "lang", p) or "en"))
    return out


def _read_metric(read: _Reader, entry: Mapping[str, Any], path: str) -> CvssMetric | None:
    scenarios = read.texts(entry, "scenarios", path)
    for version, key in CVSS_KEYS.items():
        if key not in entry:
            continue
        p = f"{path}.{key}"
        cvss = read.obj(entry[key], p)
        score = cvss.get("baseScore")
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise read.fail(f"{p}.baseScore", "a number", score)
        return CvssMetric(
            version=version,
            vector=read.required_str(cvss, "vectorString", p),
            base_score=float(score),
            base_severity=read.required_str(cvss, "baseSeverity", p),
            scenarios=scenarios,
        )
    return None  # CVSS v2 or an ``other`` metric: not part of the model (module docstring)


def _read_reference(read: _Reader, item: Mapping[str, Any], path: str) -> Reference:
    return Reference(
        url=read.required_str(item, "url", path),
        name=read.string(item, "name", path),
        tags=read.strings(item, "tags", path),
    )


def _read_credit(read: _Reader, item: Mapping[str, Any], path: str) -> Credit:
    return Credit(
        value=read.required_str(item, "value", path),
        type=read.choice(item, "type", path, CREDIT_TYPES) or "finder",
        lang=read.string(item, "lang", path) or "en",
        user=read.string(item, "user", path),
    )

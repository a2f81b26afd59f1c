"""The CVE JSON 5.1 schema's constraints, written out in Python, and the rules about single values.

:class:`SchemaChecker` walks a CVE record (or a CNA container) as the schema
(CVEProject/cve-schema, ``CVE_Record_Format.json``) describes it and reports, as
:class:`Finding` values with the JSON path of each problem: wrong JSON types, missing required
and unknown properties (``x_`` extensions allowed where the schema allows them), enums (version
status, credit type, reference and CNA tags), patterns (CVE ids, UUIDs, timestamps, language
codes, CWE and CAPEC ids, CPE names), lengths, array sizes and uniqueness. The schema is not
bundled: these checks cover what the builder emits and what CNAs commonly write, not every
corner (the inside of ``taxonomyMappings``, ADP containers and CVSS v2 objects is not checked).

Rules about a single value are checked as the walk visits it, each under its own rule name:
``placeholder`` (``n/a``, ``unknown``, ``-``, empty... as a vendor, product, package, version,
title, description or problem type), ``cve-id``, ``version-range`` and ``version-type-custom``,
and ``cvss`` (the vector is valid, of the version its key says, and scores to the stated
``baseScore`` and ``baseSeverity``). Rules about a whole container live in
:mod:`vulndesk.core.cve.lint`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from vulndesk.core.cve.record import (
    CREDIT_TYPES,
    CVE_ID_PATTERN,
    CVSS_KEYS,
    VERSION_STATUSES,
    CvssVectorError,
    cvss_scores,
)
from vulndesk.core.jsontypes import json_type

__all__ = ["ENGLISH", "PLACEHOLDERS", "Finding", "LintSeverity", "SchemaChecker"]

LintSeverity = Literal["error", "warning"]
#: checks one value at a JSON path (what it returns is for the caller that wants it)
Check = Callable[[object, str], object]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: how bad, where (JSON path), what, and which rule (a key of RULES)."""

    severity: LintSeverity
    path: str
    message: str
    rule: str

    def __str__(self) -> str:
        return f"{self.severity} {self.path}: {self.message} [{self.rule}]"


# --- values the schema defines ------------------------------------------------------------------

_UUID4: Final = re.compile(
    r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-4[0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$"
)
_LANGUAGE: Final = re.compile(r"^[A-Za-z]{2,4}([_-][A-Za-z]{4})?([_-]([A-Za-z]{2}|[0-9]{3}))?$")
ENGLISH: Final = re.compile(r"^en([_-][A-Za-z]{4})?([_-]([A-Za-z]{2}|[0-9]{3}))?$")
# the schema's timestamp: years 1900-2999, an optional fraction and offset (UTC when absent)
_TIMESTAMP: Final = re.compile(
    r"^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?$"
)
_DATA_VERSION: Final = re.compile(r"^5\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?$")
_CWE_ID: Final = re.compile(r"^CWE-[1-9][0-9]*$")
_CAPEC_ID: Final = re.compile(r"^CAPEC-[1-9][0-9]{0,4}$")
_EXTENSION: Final = re.compile(r"^x_[^.]*$")
# CPE 2.3 formatted string (13 colon-separated parts, escaped colons allowed) or a CPE 2.2 URI
_CPE: Final = re.compile(
    r"^(cpe:2\.3:[aho*\-](:(\\.|[^:\\])+){10}|[cC][pP][eE]:/[AHOaho]?(:[A-Za-z0-9._\-~%]*){0,6})$"
)
_REFERENCE_TAGS: Final = frozenset(
    {
        "broken-link",
        "customer-entitlement",
        "exploit",
        "government-resource",
        "issue-tracking",
        "mailing-list",
        "mitigation",
        "not-applicable",
        "patch",
        "permissions-required",
        "media-coverage",
        "product",
        "related",
        "release-notes",
        "signature",
        "technical-description",
        "third-party-advisory",
        "vendor-advisory",
        "vdb-entry",
    }
)
_CNA_TAGS: Final = frozenset(
    {"unsupported-when-assigned", "exclusively-hosted-service", "disputed"}
)
# root-cause tags came with schema 5.2; a record declared 5.1 (what the builder writes) may be
# refused by a service that validates against 5.1, so they are a warning, not silence
_CNA_TAGS_5_2: Final = frozenset(
    {"hardware-root-cause", "software-root-cause", "specification-root-cause"}
)
PLACEHOLDERS: Final = frozenset(
    {
        "",
        "n/a",
        "na",
        "n.a.",
        "-",
        "--",
        "?",
        "unknown",
        "none",
        "null",
        "tbd",
        "todo",
        "unspecified",
    }
)


def _shown(value: object) -> str:
    scalar = isinstance(value, str | int | float) and not isinstance(value, bool)
    text = repr(value) if scalar else json_type(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- the walk ------------------------------------------------------------------------------------


class SchemaChecker:
    """Walks one document, collecting findings (module docstring); :meth:`cna_rules` is the hook
    for the rules that look at a whole CNA container."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def error(self, path: str, message: str, rule: str = "schema") -> None:
        self.findings.append(Finding("error", path, message, rule))

    def warn(self, path: str, message: str, rule: str) -> None:
        self.findings.append(Finding("warning", path, message, rule))

    # --- generic shape checks ---

    def obj(
        self,
        value: object,
        path: str,
        *,
        required: Sequence[str] = (),
        properties: Mapping[str, Check],
        extensions: bool = False,
        unknown: LintSeverity = "error",
    ) -> dict[str, Any] | None:
        """Check an object's type, required and unknown properties, then each property.

        ``unknown`` is how bad a property the schema does not name is: an error where the schema
        says ``additionalProperties: false``, a warning (most likely a typo) where it does not.
        """
        if not isinstance(value, dict):
            self.error(path, f"expected an object, got {_shown(value)}")
            return None
        for key in required:
            if key not in value:
                self.error(f"{path}.{key}", f"missing required property {key!r}")
        for key, item in value.items():
            check = properties.get(key)
            if check is not None:
                check(item, f"{path}.{key}")
            elif not (extensions and _EXTENSION.match(key)):
                finding = Finding(unknown, f"{path}.{key}", f"unknown property {key!r}", "schema")
                self.findings.append(finding)
        return value

    def array(
        self,
        value: object,
        path: str,
        item: Check,
        *,
        min_items: int = 1,
        max_items: int | None = None,
        unique: bool = True,
    ) -> list[Any] | None:
        """Check an array's type, size and uniqueness, then each item."""
        if not isinstance(value, list):
            self.error(path, f"expected an array, got {_shown(value)}")
            return None
        if len(value) < min_items:
            self.error(path, f"expected at least {min_items} item(s), got {len(value)}")
        if max_items is not None and len(value) > max_items:
            self.error(path, f"expected at most {max_items} items, got {len(value)}")
        if unique:
            seen: list[object] = []
            for i, entry in enumerate(value):
                if entry in seen:
                    self.error(f"{path}[{i}]", "duplicate item (the schema wants unique items)")
                seen.append(entry)
        for i, entry in enumerate(value):
            item(entry, f"{path}[{i}]")
        return value

    def string(
        self,
        value: object,
        path: str,
        *,
        max_length: int,
        min_length: int = 1,
        pattern: re.Pattern[str] | None = None,
        expected: str = "",
        placeholder: bool = False,
    ) -> str | None:
        """Check a string's type and length (or placeholder), and its pattern."""
        if not isinstance(value, str):
            self.error(path, f"expected a string, got {_shown(value)}")
            return None
        if placeholder and value.strip().lower() in PLACEHOLDERS:
            self.error(path, f"placeholder value {value!r}: say what it is", "placeholder")
            return value
        if len(value) < min_length:
            self.error(path, f"expected at least {min_length} characters, got {len(value)}")
        if len(value) > max_length:
            self.error(path, f"expected at most {max_length} characters, got {len(value)}")
        if pattern is not None and not pattern.match(value):
            self.error(path, f"expected {expected or pattern.pattern}, got {_shown(value)}")
        return value

    def enum(
        self, value: object, path: str, choices: Iterable[str], *, extensions: bool = False
    ) -> None:
        if not isinstance(value, str):
            self.error(path, f"expected a string, got {_shown(value)}")
        elif value not in choices and not (
            extensions and value.startswith("x_") and len(value) >= 2
        ):
            shown = ", ".join(sorted(choices))
            self.error(
                path, f"expected one of {shown}{', or x_...' if extensions else ''}; got {value!r}"
            )

    def boolean(self, value: object, path: str) -> None:
        if not isinstance(value, bool):
            self.error(path, f"expected true or false, got {_shown(value)}")

    def timestamp(self, value: object, path: str) -> None:
        text = self.string(
            value,
            path,
            max_length=64,
            pattern=_TIMESTAMP,
            expected="a timestamp YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM]",
        )
        if text is not None and _TIMESTAMP.match(text):
            try:
                datetime.fromisoformat(text)
            except ValueError:
                self.error(path, f"not a real date and time: {text!r}")

    def uuid(self, value: object, path: str) -> None:
        self.string(value, path, max_length=36, pattern=_UUID4, expected="a version 4 UUID")

    def language(self, value: object, path: str) -> None:
        self.string(
            value, path, max_length=16, pattern=_LANGUAGE, expected="a BCP 47 language code"
        )

    def uri(self, value: object, path: str) -> None:
        text = self.string(value, path, max_length=2048)
        if text and not _is_uri(text):
            self.error(path, f"expected an absolute URI (scheme:...), got {_shown(text)}")

    def cve_id(self, value: object, path: str) -> None:
        if not isinstance(value, str):
            self.error(path, f"expected a CVE id, got {_shown(value)}")
        elif not CVE_ID_PATTERN.match(value):
            self.error(
                path,
                f"malformed CVE id {value!r}: expected CVE-YYYY-NNNN (4 to 19 digits)",
                "cve-id",
            )

    # --- definitions of the schema ---

    def provider_metadata(self, value: object, path: str) -> None:
        self.obj(
            value,
            path,
            required=("orgId",),
            properties={
                "orgId": self.uuid,
                "shortName": lambda v, p: self.string(v, p, min_length=2, max_length=32),
                "dateUpdated": self.timestamp,
            },
        )

    def description(self, value: object, path: str, *, placeholder: bool = True) -> None:
        self.obj(
            value,
            path,
            required=("lang", "value"),
            properties={
                "lang": self.language,
                "value": lambda v, p: self.string(v, p, max_length=4096, placeholder=placeholder),
                "supportingMedia": lambda v, p: self.array(v, p, self.supporting_media),
            },
        )

    def supporting_media(self, value: object, path: str) -> None:
        self.obj(
            value,
            path,
            required=("type", "value"),
            properties={
                "type": lambda v, p: self.string(v, p, max_length=256),
                "base64": self.boolean,
                "value": lambda v, p: self.string(v, p, max_length=16384),
            },
        )

    def descriptions(self, value: object, path: str) -> None:
        self.array(value, path, self.description)

    def prose(self, value: object, path: str) -> None:
        """Solutions, workarounds, configurations, exploits: descriptions, placeholders allowed
        by the rules (they are not among the fields the CNA rules require)."""
        self.array(value, path, lambda v, p: self.description(v, p, placeholder=False))

    def product(self, value: object, path: str) -> None:
        product = self.obj(
            value,
            path,
            properties={
                "vendor": lambda v, p: self.string(v, p, max_length=512, placeholder=True),
                "product": lambda v, p: self.string(v, p, max_length=2048, placeholder=True),
                "collectionURL": self.uri,
                "packageName": lambda v, p: self.string(v, p, max_length=2048, placeholder=True),
                "cpes": lambda v, p: self.array(v, p, self.cpe, min_items=0),
                "modules": lambda v, p: self.array(
                    v, p, lambda s, q: self.string(s, q, max_length=4096), min_items=0
                ),
                "programFiles": lambda v, p: self.array(
                    v, p, lambda s, q: self.string(s, q, max_length=1024), min_items=0
                ),
                "programRoutines": lambda v, p: self.array(v, p, self.program_routine, min_items=0),
                "platforms": lambda v, p: self.array(
                    v, p, lambda s, q: self.string(s, q, min_length=0, max_length=1024)
                ),
                "repo": self.uri,
                "defaultStatus": lambda v, p: self.enum(v, p, VERSION_STATUSES),
                "versions": lambda v, p: self.array(v, p, self.version),
            },
            unknown="warning",  # the schema leaves a product's properties open
        )
        if product is None:
            return
        if not (
            {"vendor", "product"} <= product.keys()
            or {"collectionURL", "packageName"} <= product.keys()
        ):
            self.error(path, "expected vendor and product, or collectionURL and packageName")
        if "versions" not in product and "defaultStatus" not in product:
            self.error(path, "expected versions or defaultStatus (the schema needs one of them)")

    def cpe(self, value: object, path: str) -> None:
        self.string(
            value,
            path,
            max_length=2048,
            pattern=_CPE,
            expected="a CPE 2.3 name (cpe:2.3:...) or CPE 2.2 URI",
        )

    def program_routine(self, value: object, path: str) -> None:
        self.obj(
            value,
            path,
            required=("name",),
            properties={"name": lambda v, p: self.string(v, p, max_length=4096)},
        )

    def version(self, value: object, path: str) -> None:
        version_string = lambda v, p: self.string(v, p, max_length=1024, placeholder=True)  # noqa: E731
        entry = self.obj(
            value,
            path,
            required=("version", "status"),
            properties={
                "version": version_string,
                "status": lambda v, p: self.enum(v, p, VERSION_STATUSES),
                "versionType": lambda v, p: self.string(v, p, max_length=128),
                "lessThan": version_string,
                "lessThanOrEqual": version_string,
                "changes": lambda v, p: self.array(v, p, self.change),
            },
        )
        if entry is None:
            return
        ranged = [key for key in ("lessThan", "lessThanOrEqual") if key in entry]
        if len(ranged) == 2:
            self.error(
                path, "both lessThan and lessThanOrEqual: give one upper limit", "version-range"
            )
        if ranged and "versionType" not in entry:
            self.error(
                path,
                f"a range ({ranged[0]}) needs versionType (semver, python, maven...)",
                "version-range",
            )
        if "changes" in entry and not ranged:
            self.error(
                f"{path}.changes",
                "changes need a range (lessThan or lessThanOrEqual)",
                "version-range",
            )
        if ranged and entry.get("versionType") == "custom":
            self.warn(
                f"{path}.versionType",
                "versionType 'custom' leaves the ordering unknown: name the scheme",
                "version-type-custom",
            )

    def change(self, value: object, path: str) -> None:
        self.obj(
            value,
            path,
            required=("at", "status"),
            properties={
                "at": lambda v, p: self.string(v, p, max_length=1024, placeholder=True),
                "status": lambda v, p: self.enum(v, p, VERSION_STATUSES),
            },
        )

    def problem_types(self, value: object, path: str) -> None:
        self.array(value, path, self.problem_type)

    def problem_type(self, value: object, path: str) -> None:
        self.obj(
            value,
            path,
            required=("descriptions",),
            properties={"descriptions": lambda v, p: self.array(v, p, self.problem_description)},
        )

    def problem_description(self, value: object, path: str) -> None:
        self.obj(
            value,
            path,
            required=("lang", "description"),
            properties={
                "lang": self.language,
                "description": lambda v, p: self.string(v, p, max_length=4096, placeholder=True),
                "cweId": lambda v, p: self.string(
                    v, p, min_length=5, max_length=9, pattern=_CWE_ID, expected="CWE-<number>"
                ),
                "type": lambda v, p: self.string(v, p, max_length=128),
                "references": self.references,
            },
        )

    def references(self, value: object, path: str) -> None:
        self.array(value, path, self.reference, max_items=512)

    def reference(self, value: object, path: str) -> None:
        self.obj(
            value,
            path,
            required=("url",),
            properties={
                "url": self.uri,
                "name": lambda v, p: self.string(v, p, max_length=512),
                "tags": lambda v, p: self.array(
                    v, p, lambda t, q: self.enum(t, q, _REFERENCE_TAGS, extensions=True)
                ),
            },
        )

    def impacts(self, value: object, path: str) -> None:
        self.array(
            value,
            path,
            lambda v, p: self.obj(
                v,
                p,
                required=("descriptions",),
                properties={
                    "capecId": lambda c, q: self.string(
                        c,
                        q,
                        min_length=7,
                        max_length=11,
                        pattern=_CAPEC_ID,
                        expected="CAPEC-<number>",
                    ),
                    "descriptions": self.prose,
                },
            ),
        )

    def metrics(self, value: object, path: str) -> None:
        self.array(value, path, self.metric)

    def metric(self, value: object, path: str) -> None:
        metric = self.obj(
            value,
            path,
            properties={
                "format": lambda v, p: self.string(v, p, max_length=64),
                "scenarios": lambda v, p: self.array(v, p, self.scenario),
                "cvssV4_0": self.cvss,
                "cvssV3_1": self.cvss,
                "cvssV3_0": self.cvss,
                "cvssV2_0": lambda v, p: self.obj(
                    v, p, required=("version", "vectorString", "baseScore"), properties=_ANY
                ),
                "other": lambda v, p: self.obj(
                    v,
                    p,
                    required=("type", "content"),
                    properties={
                        "type": lambda t, q: self.string(t, q, max_length=128),
                        "content": self.other_content,
                    },
                ),
            },
        )
        if (
            metric is not None
            and not {"cvssV4_0", "cvssV3_1", "cvssV3_0", "cvssV2_0", "other"} & metric.keys()
        ):
            self.error(path, "expected one of cvssV4_0, cvssV3_1, cvssV3_0, cvssV2_0 or other")

    def scenario(self, value: object, path: str) -> None:
        self.obj(
            value,
            path,
            required=("lang", "value"),
            properties={
                "lang": self.language,
                "value": lambda v, p: self.string(v, p, max_length=4096),
            },
        )

    def other_content(self, value: object, path: str) -> None:
        if not isinstance(value, dict) or not value:
            self.error(path, f"expected a non-empty object, got {_shown(value)}")

    def cvss(self, value: object, path: str) -> None:
        """Check a CVSS v3.0/v3.1/v4.0 object: its fields, and that the vector scores to them."""
        cvss = self.obj(
            value,
            path,
            required=("version", "vectorString", "baseScore", "baseSeverity"),
            properties=_ANY,
        )
        if cvss is None:
            return
        key = path.rsplit(".", 1)[-1]
        expected = next(v for v, k in CVSS_KEYS.items() if k == key)
        vector = cvss.get("vectorString")
        if not isinstance(vector, str):
            if "vectorString" in cvss:
                self.error(
                    f"{path}.vectorString", f"expected a string, got {_shown(vector)}", "cvss"
                )
            return
        try:
            version, score, severity = cvss_scores(vector)
        except CvssVectorError as e:
            self.error(f"{path}.vectorString", str(e), "cvss")
            return
        if version != expected:
            self.error(
                f"{path}.vectorString",
                f"a CVSS {version} vector under {key} (expected CVSS:{expected}/...)",
                "cvss",
            )
        if cvss.get("version", expected) != expected:
            self.error(
                f"{path}.version",
                f"version {_shown(cvss.get('version'))} under {key} (expected {expected!r})",
                "cvss",
            )
        stated = cvss.get("baseScore")
        if isinstance(stated, bool) or not isinstance(stated, int | float):
            self.error(f"{path}.baseScore", f"expected a number, got {_shown(stated)}", "cvss")
        elif abs(stated - score) > 0.05:
            self.error(
                f"{path}.baseScore", f"baseScore {stated} but the vector scores {score}", "cvss"
            )
        stated_severity = cvss.get("baseSeverity")
        if "baseSeverity" in cvss and stated_severity != severity:
            self.error(
                f"{path}.baseSeverity",
                f"baseSeverity {_shown(stated_severity)} but the vector rates {severity}",
                "cvss",
            )

    def timeline(self, value: object, path: str) -> None:
        self.array(
            value,
            path,
            lambda v, p: self.obj(
                v,
                p,
                required=("time", "lang", "value"),
                properties={
                    "time": self.timestamp,
                    "lang": self.language,
                    "value": lambda s, q: self.string(s, q, max_length=4096),
                },
            ),
        )

    def credits(self, value: object, path: str) -> None:
        self.array(
            value,
            path,
            lambda v, p: self.obj(
                v,
                p,
                required=("lang", "value"),
                properties={
                    "lang": self.language,
                    "value": lambda s, q: self.string(s, q, max_length=4096),
                    "user": self.uuid,
                    "type": lambda s, q: self.enum(s, q, CREDIT_TYPES),
                },
            ),
        )

    def source(self, value: object, path: str) -> None:
        if not isinstance(value, dict) or not value:
            self.error(path, f"expected a non-empty object, got {_shown(value)}")

    def taxonomy_mappings(self, value: object, path: str) -> None:
        self.array(
            value,
            path,
            lambda v, p: self.obj(
                v, p, required=("taxonomyName", "taxonomyRelations"), properties=_ANY
            ),
        )

    def cna_tags(self, value: object, path: str) -> None:
        self.array(value, path, self.cna_tag)

    def cna_tag(self, value: object, path: str) -> None:
        if value in _CNA_TAGS_5_2:
            self.warn(path, f"{value!r} is a CVE schema 5.2 tag, not in 5.1", "schema")
        else:
            self.enum(value, path, _CNA_TAGS, extensions=True)

    def title(self, value: object, path: str) -> None:
        self.string(value, path, max_length=256, placeholder=True)

    # --- containers ---

    def published_container(self, value: object, path: str) -> None:
        cna = self.obj(
            value,
            path,
            required=("providerMetadata", "descriptions", "affected", "references"),
            properties={
                "providerMetadata": self.provider_metadata,
                "dateAssigned": self.timestamp,
                "datePublic": self.timestamp,
                "title": self.title,
                "descriptions": self.descriptions,
                "affected": lambda v, p: self.array(v, p, self.product, unique=False),
                "problemTypes": self.problem_types,
                "references": self.references,
                "impacts": self.impacts,
                "metrics": self.metrics,
                "configurations": self.prose,
                "workarounds": self.prose,
                "solutions": self.prose,
                "exploits": self.prose,
                "timeline": self.timeline,
                "credits": self.credits,
                "source": self.source,
                "tags": self.cna_tags,
                "taxonomyMappings": self.taxonomy_mappings,
            },
            extensions=True,
        )
        if cna is not None:
            self.cna_rules(cna, path)

    def cna_rules(self, cna: Mapping[str, Any], path: str) -> None:
        """Check the rules about a whole published CNA container (none here: see lint.py)."""

    def rejected_container(self, value: object, path: str) -> None:
        cna = self.obj(
            value,
            path,
            required=("providerMetadata", "rejectedReasons"),
            properties={
                "providerMetadata": self.provider_metadata,
                "rejectedReasons": lambda v, p: self.array(
                    v, p, lambda d, q: self.description(d, q, placeholder=False)
                ),
                "replacedBy": lambda v, p: self.array(v, p, self.cve_id),
            },
            extensions=True,
        )
        reasons = cna.get("rejectedReasons") if cna is not None else None
        if isinstance(reasons, list) and not any(
            isinstance(r, dict) and isinstance(r.get("lang"), str) and ENGLISH.match(r["lang"])
            for r in reasons
        ):
            self.error(
                f"{path}.rejectedReasons", "no English reason (lang 'en')", "description-english"
            )

    def record(self, document: object) -> None:
        root = self.obj(
            document,
            "$",
            required=("dataType", "dataVersion", "cveMetadata", "containers"),
            properties={
                "dataType": lambda v, p: self.enum(v, p, ("CVE_RECORD",)),
                "dataVersion": lambda v, p: self.string(
                    v, p, max_length=16, pattern=_DATA_VERSION, expected="5.x"
                ),
                "cveMetadata": lambda v, p: None,
                "containers": lambda v, p: None,
            },
        )
        if root is None:
            return
        meta = root.get("cveMetadata")
        state = meta.get("state") if isinstance(meta, dict) else None
        if state not in ("PUBLISHED", "REJECTED"):
            self.error(
                "$.cveMetadata.state", f"expected PUBLISHED or REJECTED, got {_shown(state)}"
            )
            state = "PUBLISHED"
        timestamps = ("dateReserved", "datePublished", "dateUpdated") + (
            ("dateRejected",) if state == "REJECTED" else ()
        )
        self.obj(
            meta,
            "$.cveMetadata",
            required=("cveId", "assignerOrgId", "state"),
            properties={
                "cveId": self.cve_id,
                "assignerOrgId": self.uuid,
                "assignerShortName": lambda v, p: self.string(v, p, min_length=2, max_length=32),
                "requesterUserId": self.uuid,
                "serial": lambda v, p: (
                    None
                    if isinstance(v, int) and not isinstance(v, bool) and v >= 1
                    else self.error(p, f"expected an integer of 1 or more, got {_shown(v)}")
                ),
                "state": lambda v, p: None,
                **dict.fromkeys(timestamps, self.timestamp),
            },
        )
        container = self.rejected_container if state == "REJECTED" else self.published_container
        properties: dict[str, Check] = {"cna": container}
        if state == "PUBLISHED":
            properties["adp"] = lambda v, p: self.array(
                v, p, lambda a, q: self.obj(a, q, required=("providerMetadata",), properties=_ANY)
            )
        self.obj(root.get("containers"), "$.containers", required=("cna",), properties=properties)


class _AnyProperties(dict[str, Check]):
    """Properties of an object whose inside the linter does not check: every key allowed."""

    def get(self, key: str, default: object = None) -> Check:
        return lambda value, path: None


_ANY: Final = _AnyProperties()


def _is_uri(text: str) -> bool:
    if any(c.isspace() for c in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*$", parts.scheme))

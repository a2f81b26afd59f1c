"""The structural rules of the CSAF 2.0 JSON schema, written out in Python.

Why not the schema file and a JSON schema library: the schema's own text may not be copied into
this repository, and its error messages ("'x' is not valid under any of the given schemas") would
not say what a CSAF author has to change. The rules below are the schema's facts (required
properties, types, enums, lengths, patterns, ``date-time`` and ``uri`` formats) for the CSAF 2.0
standard (OASIS, errata 01); each failure names its JSON path and what was expected.

What is deliberately not here:

- ``cvss_v2`` / ``cvss_v3`` contents: the schema refers to FIRST's CVSS schemas, and the standard
  reports a violation of those as mandatory test 6.1.8 (:mod:`.cvss_checks`), so they are only
  required to be objects here;
- unknown properties: the published schema allows them (only the TC's *strict* test variant
  forbids them), so a producer's extension is not an error.

The walk is iterative: a hostile document nested a thousand levels deep (``branches`` in
``branches``...) must not exhaust Python's recursion limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from vulndesk.core.csafdoc.access import child, parse_date_time
from vulndesk.core.jsontypes import json_type

# ``version_t``: integer versioning, or semantic versioning 2.0.0 (section 3.1.11).
VERSION_PATTERN = re.compile(
    r"(0|[1-9][0-9]*)|((0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?)"
)
# ``lang_t``: the BCP 47 (RFC 5646) language-tag grammar, plus the two grandfathered tags the
# standard lists; whether the subtags exist is mandatory test 6.1.12, not the schema.
_LANG = re.compile(
    r"(([A-Za-z]{2,3}(-[A-Za-z]{3}(-[A-Za-z]{3}){0,2})?|[A-Za-z]{4,8})(-[A-Za-z]{4})?"
    r"(-([A-Za-z]{2}|[0-9]{3}))?(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(-[A-WY-Za-wy-z0-9](-[A-Za-z0-9]{2,8})+)*(-[Xx](-[A-Za-z0-9]{1,8})+)?"
    r"|[Xx](-[A-Za-z0-9]{1,8})+|[Ii]-[Dd][Ee][Ff][Aa][Uu][Ll][Tt]|[Ii]-[Mm][Ii][Nn][Gg][Oo])"
)
# CPE 2.3 formatted string or CPE 2.2 URI, as the schema's ``cpe`` pattern accepts them.
_CPE_VALUE = (
    r"(((\?*|\*?)([a-zA-Z0-9\-._]|(\\[\\*?!\"#$%&'()+,/:;<=>@\[\]^`{|}~]))+(\?*|\*?))|[*\-])"
)
_CPE = re.compile(
    rf"(cpe:2\.3:[aho*\-](:{_CPE_VALUE}){{5}}(:(([a-zA-Z]{{2,3}}(-([a-zA-Z]{{2}}|[0-9]{{3}}))?)"
    rf"|[*\-]))(:{_CPE_VALUE}){{4}})|([c][pP][eE]:/[AHOaho]?(:[A-Za-z0-9._\-~%]*){{0,6}})"
)
_PURL = re.compile(r"pkg:[A-Za-z.\-+][A-Za-z0-9.\-+]*/.+", re.DOTALL)
_CVE = re.compile(r"CVE-[0-9]{4}-[0-9]{4,}")
_CWE = re.compile(r"CWE-[1-9]\d{0,5}")
# /document/category must not start or end with white space, a dash, an underscore or a dot.
_DOCUMENT_CATEGORY = re.compile(r"[^\s\-_.](.*[^\s\-_.])?")
_TRACKING_ID = re.compile(r"\S(.*\S)?")
_HASH_VALUE = re.compile(r"[0-9a-fA-F]{32,}")
# An absolute URI (RFC 3986: a scheme, a colon, no white space), the ``uri`` format.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*")


@dataclass(frozen=True, slots=True)
class Str:
    """A string; ``shape`` describes ``pattern`` in the failure message."""

    min_length: int = 0
    enum: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    shape: str = ""
    format: str | None = None  # "uri" or "date-time"


@dataclass(frozen=True, slots=True)
class Obj:
    """An object. ``properties`` is filled after creation for the recursive ``branches_t``."""

    properties: dict[str, Node] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    min_properties: int = 0
    max_properties: int | None = None


@dataclass(frozen=True, slots=True)
class Arr:
    """An array of ``items``."""

    items: Node
    min_items: int = 0
    unique: bool = False


Node = Str | Obj | Arr

NON_EMPTY = Str(min_length=1)
URI = Str(format="uri")
DATE_TIME = Str(format="date-time")
VERSION = Str(pattern=VERSION_PATTERN, shape="integer (1, 2...) or semantic (1.0.0) version")
LANG = Str(pattern=_LANG, shape="BCP 47 language tag (en, en-US, de...)")
PRODUCT_ID = NON_EMPTY
GROUP_ID = NON_EMPTY
PRODUCTS = Arr(PRODUCT_ID, min_items=1, unique=True)
GROUPS = Arr(GROUP_ID, min_items=1, unique=True)


def _enum(*values: str) -> Str:
    return Str(enum=values)


ACKNOWLEDGMENTS = Arr(
    Obj(
        {
            "names": Arr(NON_EMPTY, min_items=1),
            "organization": NON_EMPTY,
            "summary": NON_EMPTY,
            "urls": Arr(URI, min_items=1),
        },
        min_properties=1,
    ),
    min_items=1,
)
NOTES = Arr(
    Obj(
        {
            "audience": NON_EMPTY,
            "category": _enum(
                "description", "details", "faq", "general", "legal_disclaimer", "other", "summary"
            ),
            "text": NON_EMPTY,
            "title": NON_EMPTY,
        },
        required=("category", "text"),
    ),
    min_items=1,
)
REFERENCES = Arr(
    Obj(
        {"category": _enum("external", "self"), "summary": NON_EMPTY, "url": URI},
        required=("summary", "url"),
    ),
    min_items=1,
)
FULL_PRODUCT_NAME = Obj(
    {
        "name": NON_EMPTY,
        "product_id": PRODUCT_ID,
        "product_identification_helper": Obj(
            {
                "cpe": Str(min_length=5, pattern=_CPE, shape="CPE 2.3 or CPE 2.2 name"),
                "hashes": Arr(
                    Obj(
                        {
                            "file_hashes": Arr(
                                Obj(
                                    {
                                        "algorithm": NON_EMPTY,
                                        "value": Str(
                                            min_length=32,
                                            pattern=_HASH_VALUE,
                                            shape="hexadecimal hash of 32 or more digits",
                                        ),
                                    },
                                    required=("algorithm", "value"),
                                ),
                                min_items=1,
                            ),
                            "filename": NON_EMPTY,
                        },
                        required=("file_hashes", "filename"),
                    ),
                    min_items=1,
                ),
                "model_numbers": Arr(NON_EMPTY, min_items=1, unique=True),
                "purl": Str(min_length=7, pattern=_PURL, shape="package URL (pkg:type/...)"),
                "sbom_urls": Arr(URI, min_items=1),
                "serial_numbers": Arr(NON_EMPTY, min_items=1, unique=True),
                "skus": Arr(NON_EMPTY, min_items=1),
                "x_generic_uris": Arr(
                    Obj({"namespace": URI, "uri": URI}, required=("namespace", "uri")),
                    min_items=1,
                ),
            },
            min_properties=1,
        ),
    },
    required=("name", "product_id"),
)
_BRANCH = Obj(required=("category", "name"), min_properties=3, max_properties=3)
BRANCHES = Arr(_BRANCH, min_items=1)
_BRANCH.properties.update(
    {
        "branches": BRANCHES,
        "category": _enum(
            "architecture",
            "host_name",
            "language",
            "legacy",
            "patch_level",
            "product_family",
            "product_name",
            "product_version",
            "product_version_range",
            "service_pack",
            "specification",
            "vendor",
        ),
        "name": NON_EMPTY,
        "product": FULL_PRODUCT_NAME,
    }
)

DOCUMENT = Obj(
    {
        "acknowledgments": ACKNOWLEDGMENTS,
        "aggregate_severity": Obj({"namespace": URI, "text": NON_EMPTY}, required=("text",)),
        "category": Str(
            min_length=1,
            pattern=_DOCUMENT_CATEGORY,
            shape="name not starting or ending with white space, '-', '_' or '.'",
        ),
        "csaf_version": _enum("2.0"),
        "distribution": Obj(
            {
                "text": NON_EMPTY,
                "tlp": Obj(
                    {"label": _enum("AMBER", "GREEN", "RED", "WHITE"), "url": URI},
                    required=("label",),
                ),
            },
            min_properties=1,
        ),
        "lang": LANG,
        "notes": NOTES,
        "publisher": Obj(
            {
                "category": _enum(
                    "coordinator", "discoverer", "other", "translator", "user", "vendor"
                ),
                "contact_details": NON_EMPTY,
                "issuing_authority": NON_EMPTY,
                "name": NON_EMPTY,
                "namespace": URI,
            },
            required=("category", "name", "namespace"),
        ),
        "references": REFERENCES,
        "source_lang": LANG,
        "title": NON_EMPTY,
        "tracking": Obj(
            {
                "aliases": Arr(NON_EMPTY, min_items=1, unique=True),
                "current_release_date": DATE_TIME,
                "generator": Obj(
                    {
                        "date": DATE_TIME,
                        "engine": Obj(
                            {"name": NON_EMPTY, "version": NON_EMPTY}, required=("name",)
                        ),
                    },
                    required=("engine",),
                ),
                "id": Str(
                    min_length=1,
                    pattern=_TRACKING_ID,
                    shape="id not starting or ending with white space",
                ),
                "initial_release_date": DATE_TIME,
                "revision_history": Arr(
                    Obj(
                        {
                            "date": DATE_TIME,
                            "legacy_version": NON_EMPTY,
                            "number": VERSION,
                            "summary": NON_EMPTY,
                        },
                        required=("date", "number", "summary"),
                    ),
                    min_items=1,
                ),
                "status": _enum("draft", "final", "interim"),
                "version": VERSION,
            },
            required=(
                "current_release_date",
                "id",
                "initial_release_date",
                "revision_history",
                "status",
                "version",
            ),
        ),
    },
    required=("category", "csaf_version", "publisher", "title", "tracking"),
)

PRODUCT_TREE = Obj(
    {
        "branches": BRANCHES,
        "full_product_names": Arr(FULL_PRODUCT_NAME, min_items=1),
        "product_groups": Arr(
            Obj(
                {
                    "group_id": GROUP_ID,
                    "product_ids": Arr(PRODUCT_ID, min_items=2, unique=True),
                    "summary": NON_EMPTY,
                },
                required=("group_id", "product_ids"),
            ),
            min_items=1,
        ),
        "relationships": Arr(
            Obj(
                {
                    "category": _enum(
                        "default_component_of",
                        "external_component_of",
                        "installed_on",
                        "installed_with",
                        "optional_component_of",
                    ),
                    "full_product_name": FULL_PRODUCT_NAME,
                    "product_reference": PRODUCT_ID,
                    "relates_to_product_reference": PRODUCT_ID,
                },
                required=(
                    "category",
                    "full_product_name",
                    "product_reference",
                    "relates_to_product_reference",
                ),
            ),
            min_items=1,
        ),
    },
    min_properties=1,
)

PRODUCT_STATUS_KEYS = (
    "first_affected",
    "first_fixed",
    "fixed",
    "known_affected",
    "known_not_affected",
    "last_affected",
    "recommended",
    "under_investigation",
)
VULNERABILITY = Obj(
    {
        "acknowledgments": ACKNOWLEDGMENTS,
        "cve": Str(pattern=_CVE, shape="CVE id (CVE-YYYY-NNNN)"),
        "cwe": Obj(
            {"id": Str(pattern=_CWE, shape="CWE id (CWE-79)"), "name": NON_EMPTY},
            required=("id", "name"),
        ),
        "discovery_date": DATE_TIME,
        "flags": Arr(
            Obj(
                {
                    "date": DATE_TIME,
                    "group_ids": GROUPS,
                    "label": _enum(
                        "component_not_present",
                        "inline_mitigations_already_exist",
                        "vulnerable_code_cannot_be_controlled_by_adversary",
                        "vulnerable_code_not_in_execute_path",
                        "vulnerable_code_not_present",
                    ),
                    "product_ids": PRODUCTS,
                },
                required=("label",),
            ),
            min_items=1,
            unique=True,
        ),
        "ids": Arr(
            Obj({"system_name": NON_EMPTY, "text": NON_EMPTY}, required=("system_name", "text")),
            min_items=1,
            unique=True,
        ),
        "involvements": Arr(
            Obj(
                {
                    "date": DATE_TIME,
                    "party": _enum("coordinator", "discoverer", "other", "user", "vendor"),
                    "status": _enum(
                        "completed",
                        "contact_attempted",
                        "disputed",
                        "in_progress",
                        "not_contacted",
                        "open",
                    ),
                    "summary": NON_EMPTY,
                },
                required=("party", "status"),
            ),
            min_items=1,
            unique=True,
        ),
        "notes": NOTES,
        "product_status": Obj(
            dict.fromkeys(PRODUCT_STATUS_KEYS, PRODUCTS),
            min_properties=1,
        ),
        "references": REFERENCES,
        "release_date": DATE_TIME,
        "remediations": Arr(
            Obj(
                {
                    "category": _enum(
                        "mitigation", "no_fix_planned", "none_available", "vendor_fix", "workaround"
                    ),
                    "date": DATE_TIME,
                    "details": NON_EMPTY,
                    "entitlements": Arr(NON_EMPTY, min_items=1),
                    "group_ids": GROUPS,
                    "product_ids": PRODUCTS,
                    "restart_required": Obj(
                        {
                            "category": _enum(
                                "connected",
                                "dependencies",
                                "machine",
                                "none",
                                "parent",
                                "service",
                                "system",
                                "vulnerable_component",
                                "zone",
                            ),
                            "details": NON_EMPTY,
                        },
                        required=("category",),
                    ),
                    "url": URI,
                },
                required=("category", "details"),
            ),
            min_items=1,
        ),
        "scores": Arr(
            Obj(
                {"cvss_v2": Obj(), "cvss_v3": Obj(), "products": PRODUCTS},
                required=("products",),
                min_properties=2,
            ),
            min_items=1,
        ),
        "threats": Arr(
            Obj(
                {
                    "category": _enum("exploit_status", "impact", "target_set"),
                    "date": DATE_TIME,
                    "details": NON_EMPTY,
                    "group_ids": GROUPS,
                    "product_ids": PRODUCTS,
                },
                required=("category", "details"),
            ),
            min_items=1,
        ),
        "title": NON_EMPTY,
    },
    min_properties=1,
)

CSAF = Obj(
    {
        "document": DOCUMENT,
        "product_tree": PRODUCT_TREE,
        "vulnerabilities": Arr(VULNERABILITY, min_items=1),
    },
    required=("document",),
)


def schema_findings(doc: Any) -> Iterator[tuple[str, str]]:
    """Yield ``(json_path, message)`` for each way ``doc`` breaks the CSAF 2.0 JSON schema."""
    stack: list[tuple[Node, Any, str]] = [(CSAF, doc, "$")]
    while stack:
        node, value, path = stack.pop()
        if isinstance(node, Str):
            yield from _check_string(node, value, path)
        elif isinstance(node, Obj):
            if not isinstance(value, dict):
                yield path, f"expected an object, got {json_type(value)}"
                continue
            yield from _check_object(node, value, path)
            # Reversed so that findings come out in document order.
            for key in reversed(sorted(value)):
                if key in node.properties:
                    stack.append((node.properties[key], value[key], child(path, key)))
        else:
            if not isinstance(value, list):
                yield path, f"expected an array, got {json_type(value)}"
                continue
            yield from _check_array(node, value, path)
            for i in range(len(value) - 1, -1, -1):
                stack.append((node.items, value[i], child(path, i)))


def _check_object(node: Obj, value: dict[str, Any], path: str) -> Iterator[tuple[str, str]]:
    for name in node.required:
        if name not in value:
            yield child(path, name), f"required property {name!r} is missing"
    if len(value) < node.min_properties:
        yield path, f"expected at least {node.min_properties} properties, got {len(value)}"
    if node.max_properties is not None and len(value) > node.max_properties:
        yield (
            path,
            (
                f"expected at most {node.max_properties} properties, got {len(value)}"
                f" ({', '.join(sorted(value))})"
            ),
        )


def _check_array(node: Arr, value: list[Any], path: str) -> Iterator[tuple[str, str]]:
    if len(value) < node.min_items:
        plural = "item" if node.min_items == 1 else "items"
        yield path, f"expected at least {node.min_items} {plural}, got {len(value)}"
    if node.unique:
        seen: dict[object, int] = {}
        for i, item in enumerate(value):
            key = _identity(item)
            if key in seen:
                yield child(path, i), f"duplicate of item {seen[key]}: items must be unique"
            else:
                seen[key] = i


def _identity(item: Any) -> object:
    """Return a hashable stand-in for a JSON value that is equal for equal values."""
    if isinstance(item, str | int | float | bool) or item is None:
        return (type(item) is bool, item)
    try:
        return orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # nested too deep to compare: count it as unique
        return id(item)


def _check_string(node: Str, value: Any, path: str) -> Iterator[tuple[str, str]]:
    if not isinstance(value, str):
        yield path, f"expected a string, got {json_type(value)}"
        return
    if node.enum:
        if value not in node.enum:
            allowed = ", ".join(repr(v) for v in node.enum)
            yield path, f"expected one of {allowed}, got {_short(value)}"
        return
    if len(value) < node.min_length:
        yield (
            path,
            (
                "expected a non-empty string"
                if node.min_length == 1
                else f"expected at least {node.min_length} characters, got {len(value)}"
            ),
        )
        return
    if node.pattern is not None and not node.pattern.fullmatch(value):
        yield path, f"expected a {node.shape}, got {_short(value)}"
    elif node.format == "date-time" and parse_date_time(value) is None:
        yield path, (f"expected an RFC 3339 date-time (2024-01-31T09:00:00Z), got {_short(value)}")
    elif node.format == "uri" and not _URI.fullmatch(value):
        yield path, f"expected an absolute URI (https://...), got {_short(value)}"


def _short(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")

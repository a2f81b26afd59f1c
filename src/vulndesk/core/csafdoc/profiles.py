"""Mandatory tests on the document as a whole and on the profiles (section 4) it claims.

6.1.15, 6.1.23, 6.1.24, 6.1.26, 6.1.27.1 to 6.1.27.11 and 6.1.28. A profile is chosen by
``/document/category``; the profile tests (6.1.27.x) are skipped for documents of other
categories, and 6.1.26 only applies to documents of the "CSAF Base" profile, i.e. whose category
is none of the five names the standard defines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from vulndesk.core.csafdoc.access import (
    arr,
    child,
    indexed,
    obj,
    parse_date_time,
    text,
    vulnerabilities,
)
from vulndesk.core.csafdoc.products import product_groups, products_of
from vulndesk.core.csafdoc.registry import Finding, mandatory

BASE = "csaf_base"
SECURITY_ADVISORY = "csaf_security_advisory"
VEX = "csaf_vex"
INFORMATIONAL_ADVISORY = "csaf_informational_advisory"
SECURITY_INCIDENT_RESPONSE = "csaf_security_incident_response"
PROFILES = frozenset(
    {BASE, SECURITY_ADVISORY, VEX, INFORMATIONAL_ADVISORY, SECURITY_INCIDENT_RESPONSE}
)

_INFORMATIONAL = frozenset({INFORMATIONAL_ADVISORY, SECURITY_INCIDENT_RESPONSE})
_PRODUCT_PROFILES = frozenset({SECURITY_ADVISORY, VEX})

# 6.1.26: compare with dashes, white space and underscores removed, case-insensitively.
_SEPARATORS = re.compile(r"[-\s_]")
_PROHIBITED = frozenset(
    _SEPARATORS.sub("", name)
    for profile in PROFILES - {BASE}
    for name in (profile, profile.removeprefix("csaf_"))
)


def _document(doc: dict[str, Any]) -> dict[str, Any]:
    return obj(doc.get("document"))


@mandatory("6.1.15", "Translator")
def translator(doc: dict[str, Any]) -> Iterator[Finding]:
    """A document published by a translator says which language it was translated from."""
    document = _document(doc)
    if obj(document.get("publisher")).get("category") == "translator" and not text(
        document.get("source_lang")
    ):
        yield (
            "$.document.source_lang",
            ("the publisher is a 'translator', so 'source_lang' is required"),
        )


@mandatory("6.1.23", "Multiple Use of Same CVE")
def multiple_cve(doc: dict[str, Any]) -> Iterator[Finding]:
    """No CVE id is given to two vulnerability items."""
    first: dict[str, str] = {}
    for path, vuln in vulnerabilities(doc):
        if (cve := text(vuln.get("cve"))) is None:
            continue
        if cve in first:
            yield child(path, "cve"), f"{cve} is already the CVE of {first[cve]}"
        else:
            first[cve] = path


@mandatory("6.1.24", "Multiple Definition in Involvements")
def multiple_involvement(doc: dict[str, Any]) -> Iterator[Finding]:
    """No party has two involvements at the same date in one vulnerability."""
    for vpath, vuln in vulnerabilities(doc):
        first: dict[tuple[str, Any], str] = {}
        for path, involvement in indexed(vuln.get("involvements"), child(vpath, "involvements")):
            party = text(involvement.get("party"))
            if party is None:
                continue
            raw = involvement.get("date")
            # The same instant written twice (Z, +00:00) is the same date.
            date = parse_date_time(raw) or raw
            key = (party, date if isinstance(date, str | type(None)) else date.timestamp())
            if key in first:
                yield (
                    path,
                    (f"party {party!r} already has an involvement at date {raw!r} in {first[key]}"),
                )
            else:
                first[key] = path


@mandatory("6.1.26", "Prohibited Document Category Name", skip_categories=PROFILES)
def prohibited_category(doc: dict[str, Any]) -> Iterator[Finding]:
    """A "CSAF Base" category neither imitates another profile's name nor uses ``csaf_``."""
    category = text(_document(doc).get("category"))
    if category is None:
        return
    if _SEPARATORS.sub("", category).lower() in _PROHIBITED:
        yield (
            "$.document.category",
            (
                f"{category!r} is too close to the name of a CSAF profile: use the profile's exact "
                "category value, or a name that does not resemble one"
            ),
        )
    elif category.lower().startswith("csaf_"):
        yield (
            "$.document.category",
            (
                f"{category!r} starts with the prefix 'csaf_', which is reserved for the "
                "standard's profiles"
            ),
        )


@mandatory("6.1.27.1", "Document Notes", categories=_INFORMATIONAL)
def document_notes(doc: dict[str, Any]) -> Iterator[Finding]:
    """The document has a note of category description, details, general or summary."""
    wanted = {"description", "details", "general", "summary"}
    notes = arr(_document(doc).get("notes"))
    if not any(isinstance(n, dict) and n.get("category") in wanted for n in notes):
        yield (
            "$.document.notes",
            ("expected a note of category 'description', 'details', 'general' or 'summary'"),
        )


@mandatory("6.1.27.2", "Document References", categories=_INFORMATIONAL)
def document_references(doc: dict[str, Any]) -> Iterator[Finding]:
    """The document has a reference to an external source."""
    references = arr(_document(doc).get("references"))
    # 'category' defaults to 'external' (section 3.1.9.1).
    if not any(
        isinstance(r, dict) and r.get("category", "external") == "external" for r in references
    ):
        yield "$.document.references", "expected a reference of category 'external'"


@mandatory("6.1.27.3", "Vulnerabilities", categories=frozenset({INFORMATIONAL_ADVISORY}))
def informational_without_vulnerabilities(doc: dict[str, Any]) -> Iterator[Finding]:
    """An informational advisory has no vulnerabilities."""
    if "vulnerabilities" in doc:
        yield (
            "$.vulnerabilities",
            (
                "an informational advisory must not have vulnerabilities (use category "
                "'csaf_security_advisory', or 'csaf_base')"
            ),
        )


@mandatory("6.1.27.4", "Product Tree", categories=_PRODUCT_PROFILES)
def product_tree_present(doc: dict[str, Any]) -> Iterator[Finding]:
    """A security advisory or VEX document has a product tree."""
    if "product_tree" not in doc:
        yield "$.product_tree", "required property 'product_tree' is missing"


@mandatory("6.1.27.5", "Vulnerability Notes", categories=_PRODUCT_PROFILES)
def vulnerability_notes(doc: dict[str, Any]) -> Iterator[Finding]:
    """Every vulnerability has notes."""
    for path, vuln in vulnerabilities(doc):
        if "notes" not in vuln:
            yield child(path, "notes"), "required property 'notes' is missing"


@mandatory("6.1.27.6", "Product Status", categories=frozenset({SECURITY_ADVISORY}))
def vulnerability_product_status(doc: dict[str, Any]) -> Iterator[Finding]:
    """Every vulnerability of a security advisory has a product status."""
    for path, vuln in vulnerabilities(doc):
        if "product_status" not in vuln:
            yield child(path, "product_status"), "required property 'product_status' is missing"


@mandatory("6.1.27.7", "VEX Product Status", categories=frozenset({VEX}))
def vex_product_status(doc: dict[str, Any]) -> Iterator[Finding]:
    """Every vulnerability of a VEX document states fixed, known (not) affected or under
    investigation for some product."""
    wanted = ("fixed", "known_affected", "known_not_affected", "under_investigation")
    for path, vuln in vulnerabilities(doc):
        status = obj(vuln.get("product_status"))
        if not any(key in status for key in wanted):
            yield (
                child(path, "product_status"),
                (
                    "expected at least one of 'fixed', 'known_affected', 'known_not_affected', "
                    "'under_investigation'"
                ),
            )


@mandatory("6.1.27.8", "Vulnerability ID", categories=frozenset({VEX}))
def vex_vulnerability_id(doc: dict[str, Any]) -> Iterator[Finding]:
    """Every vulnerability of a VEX document has a CVE or other id."""
    for path, vuln in vulnerabilities(doc):
        if "cve" not in vuln and "ids" not in vuln:
            yield path, "expected 'cve' or 'ids' to say which vulnerability this is"


@mandatory("6.1.27.9", "Impact Statement", categories=frozenset({VEX}))
def vex_impact_statement(doc: dict[str, Any]) -> Iterator[Finding]:
    """Every known_not_affected product has a flag, or a threat of category impact, naming it
    (directly or through a product group)."""
    groups = product_groups(doc)
    for vpath, vuln in vulnerabilities(doc):
        stated: set[str] = set()
        for flag in arr(vuln.get("flags")):
            if isinstance(flag, dict):
                stated |= products_of(flag, groups)
        for threat in arr(vuln.get("threats")):
            if isinstance(threat, dict) and threat.get("category") == "impact":
                stated |= products_of(threat, groups)
        status_path = child(child(vpath, "product_status"), "known_not_affected")
        known_not_affected = obj(vuln.get("product_status")).get("known_not_affected")
        for i, pid in enumerate(arr(known_not_affected)):
            if isinstance(pid, str) and pid not in stated:
                yield (
                    child(status_path, i),
                    (
                        f"product {pid!r} is known_not_affected without an impact statement: "
                        "expected a flag or a threat of category 'impact' for it"
                    ),
                )


@mandatory("6.1.27.10", "Action Statement", categories=frozenset({VEX}))
def vex_action_statement(doc: dict[str, Any]) -> Iterator[Finding]:
    """Every known_affected product has a remediation naming it (directly or by group)."""
    groups = product_groups(doc)
    for vpath, vuln in vulnerabilities(doc):
        stated: set[str] = set()
        for remediation in arr(vuln.get("remediations")):
            if isinstance(remediation, dict):
                stated |= products_of(remediation, groups)
        status_path = child(child(vpath, "product_status"), "known_affected")
        for i, pid in enumerate(arr(obj(vuln.get("product_status")).get("known_affected"))):
            if isinstance(pid, str) and pid not in stated:
                yield (
                    child(status_path, i),
                    (
                        f"product {pid!r} is known_affected without an action statement: "
                        "expected a remediation for it"
                    ),
                )


@mandatory("6.1.27.11", "Vulnerabilities", categories=_PRODUCT_PROFILES)
def vulnerabilities_present(doc: dict[str, Any]) -> Iterator[Finding]:
    """A security advisory or VEX document has vulnerabilities."""
    if "vulnerabilities" not in doc:
        yield "$.vulnerabilities", "required property 'vulnerabilities' is missing"


@mandatory("6.1.28", "Translation")
def translation(doc: dict[str, Any]) -> Iterator[Finding]:
    """A translation's source language differs from its language."""
    document = _document(doc)
    lang, source = text(document.get("lang")), text(document.get("source_lang"))
    if lang is not None and source is not None and lang.lower() == source.lower():
        yield (
            "$.document.source_lang",
            (
                f"the source language {source!r} is the document's language: a translation must "
                "differ from its source"
            ),
        )

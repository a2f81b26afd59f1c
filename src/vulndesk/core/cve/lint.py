"""The CNA rules and the CVE JSON 5.1 schema's shape, checked before a record is published.

Each problem is a :class:`Finding`: a severity (``error`` blocks publishing, ``warning`` does
not), the JSON path of the offending value, a message naming it, and the rule that fired. The
rules (reference/disclosure.md, "CVE records and CVE Services", after the CNA rules 4.x):

- ``affected-status``: at least one affected product says ``affected`` or ``unknown`` (in a
  version, a change or its ``defaultStatus``); a record listing only unaffected versions
  describes no vulnerability. An absent ``defaultStatus`` does not count: the schema reads it as
  ``unknown``, but a record that never *says* so has not named anything affected.
- ``problem-type`` (error when there is none) and ``problem-type-cwe`` (warning when every problem
  type is free text: a CWE is recommended).
- ``description-english`` (an English description), ``description-trivial`` (fewer than five
  words says nothing a reader can act on) and ``description-credit`` (credits belong in
  ``credits``, not in the prose: "thanks to", "reported by", "discovered by", "credit"...).
- ``placeholder``: ``n/a``, ``unknown``, ``-``, ``none``, ``tbd`` or an empty value as a vendor,
  product, package, version, title, description or problem type. Many published records carry
  them, which is why the linter exists.
- ``reference-public``: at least one reference with an ``http``/``https`` URL.
- ``cve-id``: ``CVE-YYYY-NNNN`` with four to nineteen digits.
- ``version-range``: a range (``lessThan`` or ``lessThanOrEqual``) has a ``version`` start and a
  ``versionType``, never both limits, and ``changes`` only inside a range;
  ``version-type-custom`` warns about ``versionType: custom`` (the schema says to avoid it).
- ``cvss``: each CVSS v3.0/v3.1/v4.0 vector is valid, of the version its key says, and its
  ``baseScore``/``baseSeverity`` are what the vector computes to.
- ``title``: a warning when there is none (CVE List readers see it first).
- ``schema``: the JSON Schema's constraints on what the builder emits (types, required and
  unknown properties, enums, patterns, lengths, array sizes and uniqueness), written out in
  Python in :mod:`vulndesk.core.cve.schema` together with the rules about single values
  (placeholders, CVE ids, version ranges, CVSS). ADP containers are checked as objects only:
  they are not the CNA's to publish.

:func:`lint_document` takes whatever a user has (a record, a publish request body, a bare
container); the server calls :func:`lint_cna_record` on what it is about to publish and refuses
when :func:`has_errors`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from vulndesk.core.cve.record import CnaRecord, Provider, cve_record
from vulndesk.core.cve.schema import ENGLISH, PLACEHOLDERS, Finding, LintSeverity, SchemaChecker

__all__ = [
    "RULES",
    "Finding",
    "LintSeverity",
    "errors",
    "has_errors",
    "lint_cna_container",
    "lint_cna_record",
    "lint_cve_record",
    "lint_document",
    "lint_rejected_container",
]

#: every rule the linter applies, with what it checks
RULES: Final[dict[str, str]] = {
    "affected-status": "a product is affected or unknown",
    "problem-type": "a problem type is given",
    "problem-type-cwe": "a CWE id is given",
    "description-english": "an English description is given",
    "description-trivial": "the description says something",
    "description-credit": "the description carries no credits",
    "placeholder": "no placeholder values",
    "reference-public": "a public reference is given",
    "cve-id": "the CVE id is well formed",
    "version-range": "version ranges are well formed",
    "version-type-custom": "version ranges have a real version type",
    "cvss": "CVSS vectors are valid and their scores consistent",
    "title": "a title is given",
    "schema": "the CVE JSON 5.1 schema's constraints",
}


def errors(findings: Iterable[Finding]) -> list[Finding]:
    """Return the findings that block publishing (severity ``error``)."""
    return [f for f in findings if f.severity == "error"]


def has_errors(findings: Iterable[Finding]) -> bool:
    """Return whether any finding blocks publishing."""
    return any(f.severity == "error" for f in findings)


# Credits in the prose. "credit" alone is too common a word in descriptions of payment software,
# so "credit card", "credit union" and the like are not taken for credits.
_CREDIT_IN_TEXT: Final = re.compile(
    r"\b(thanks?\s+(go(es)?\s+)?to|thank\s+you|reported\s+by|discovered\s+by|found\s+by"
    r"|identified\s+by|disclosed\s+by|courtesy\s+of|acknowledge?ments?|kudos"
    r"|credit(s|ed)?\b(?!\s+(cards?|unions?|scores?|limits?|ratings?|checks?|reports?)\b))",
    re.IGNORECASE,
)
_MIN_DESCRIPTION_WORDS: Final = 5


class _Linter(SchemaChecker):
    """The schema's walk plus the CNA rules about a whole container."""

    def cna_rules(self, cna: Mapping[str, Any], path: str) -> None:
        """The CNA rules beyond the schema (module docstring)."""
        if "title" not in cna:
            self.warn(
                f"{path}.title",
                "no title: add a short summary such as 'SQL injection in X'",
                "title",
            )
        self.rule_affected(cna, path)
        self.rule_problem_types(cna, path)
        self.rule_description(cna, path)
        self.rule_references(cna, path)

    def rule_affected(self, cna: Mapping[str, Any], path: str) -> None:
        products = cna.get("affected")
        if not isinstance(products, list):
            return
        statuses: set[object] = set()
        for product in products:
            if not isinstance(product, dict):
                continue
            statuses.add(product.get("defaultStatus"))
            for entry in product.get("versions") or ():
                if isinstance(entry, dict):
                    statuses.add(entry.get("status"))
                    statuses.update(
                        c.get("status") for c in entry.get("changes") or () if isinstance(c, dict)
                    )
        if not statuses & {"affected", "unknown"}:
            self.error(
                f"{path}.affected",
                "no product is affected or unknown: name at least one affected version (a record "
                "listing only unaffected versions describes no vulnerability)",
                "affected-status",
            )

    def rule_problem_types(self, cna: Mapping[str, Any], path: str) -> None:
        problem_types = cna.get("problemTypes")
        if not problem_types:
            self.error(
                f"{path}.problemTypes",
                "no problem type: give the weakness, a CWE id if one fits",
                "problem-type",
            )
            return
        if not isinstance(problem_types, list):
            return
        entries = [
            d
            for problem in problem_types
            if isinstance(problem, dict) and isinstance(problem.get("descriptions"), list)
            for d in problem["descriptions"]
            if isinstance(d, dict)
        ]
        if entries and not any("cweId" in d for d in entries):
            self.warn(
                f"{path}.problemTypes",
                "only free text: a CWE id (cweId) is recommended",
                "problem-type-cwe",
            )

    def rule_description(self, cna: Mapping[str, Any], path: str) -> None:
        descriptions = cna.get("descriptions")
        if not isinstance(descriptions, list):
            return
        english = [
            (f"{path}.descriptions[{i}]", d)
            for i, d in enumerate(descriptions)
            if isinstance(d, dict) and isinstance(d.get("lang"), str) and ENGLISH.match(d["lang"])
        ]
        if not english:
            self.error(
                f"{path}.descriptions",
                "no English description (lang 'en'): the CNA rules require one",
                "description-english",
            )
        for where, description in english:
            text = description.get("value")
            if not isinstance(text, str) or text.strip().lower() in PLACEHOLDERS:
                continue  # reported by the shape checks
            words = len(text.split())
            if words < _MIN_DESCRIPTION_WORDS:
                self.error(
                    f"{where}.value",
                    f"description of {words} word(s) is too short: say what the flaw is, in which "
                    "product and versions, and what an attacker gains",
                    "description-trivial",
                )
            if match := _CREDIT_IN_TEXT.search(text):
                self.error(
                    f"{where}.value",
                    f"credits in the description ({match.group(0)!r}): move them to credits",
                    "description-credit",
                )

    def rule_references(self, cna: Mapping[str, Any], path: str) -> None:
        references = cna.get("references")
        if not isinstance(references, list):
            return
        urls = [r.get("url") for r in references if isinstance(r, dict)]
        if not any(isinstance(url, str) and _is_public_url(url) for url in urls):
            self.error(
                f"{path}.references",
                "no public reference: give at least one http(s) URL",
                "reference-public",
            )


def _is_public_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not any(c.isspace() for c in text)
    )


# --- entry points -------------------------------------------------------------------------------


def _ordered(findings: list[Finding]) -> list[Finding]:
    """Return errors first, then warnings, each in the order the walk met them."""
    return sorted(findings, key=lambda f: f.severity != "error")


def lint_cna_container(
    container: object, *, path: str = "$", cve_id: str | None = None
) -> list[Finding]:
    """Return the findings for a published CNA container (as sent to CVE Services).

    ``path`` is where the container sits (``$.containers.cna`` in a record, ``$.cnaContainer``
    in a publish request); ``cve_id``, when given, is checked too (reported at path ``cveId``).
    """
    linter = _Linter()
    if cve_id is not None:
        linter.cve_id(cve_id, "cveId")
    linter.published_container(container, path)
    return _ordered(linter.findings)


def lint_rejected_container(container: object, *, path: str = "$") -> list[Finding]:
    """Return the findings for a rejected CNA container (``rejectedReasons``, ``replacedBy``)."""
    linter = _Linter()
    linter.rejected_container(container, path)
    return _ordered(linter.findings)


def lint_cve_record(document: object) -> list[Finding]:
    """Return the findings for a full CVE JSON 5 record, PUBLISHED or REJECTED."""
    linter = _Linter()
    linter.record(document)
    return _ordered(linter.findings)


def lint_document(document: object) -> list[Finding]:
    """Return the findings for whatever CVE JSON a user has: a full record (it has
    ``cveMetadata`` or ``dataType``), a publish request body (``{"cnaContainer": {...}}``) or a
    bare CNA container (published, or rejected when it has ``rejectedReasons``)."""
    if isinstance(document, dict):
        if "cveMetadata" in document or "dataType" in document:
            return lint_cve_record(document)
        if set(document) == {"cnaContainer"}:
            inner = document["cnaContainer"]
            if isinstance(inner, dict) and "rejectedReasons" in inner:
                return lint_rejected_container(inner, path="$.cnaContainer")
            return lint_cna_container(inner, path="$.cnaContainer")
        if "rejectedReasons" in document:
            return lint_rejected_container(document)
    return lint_cna_container(document)


def lint_cna_record(record: CnaRecord, *, provider: Provider) -> list[Finding]:
    """Return the findings for ``record`` as the builder writes it (a full CVE record, so paths
    read ``$.containers.cna...`` and the CVE id is checked)."""
    return lint_cve_record(cve_record(record, provider=provider))

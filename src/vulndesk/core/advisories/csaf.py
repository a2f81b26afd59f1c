"""The CSAF 2.0 codec: CSAF documents to :class:`~vulndesk.core.advisories.model.Advisory` records.

**One Advisory per (document, vulnerability), not one per document.** A CSAF document often
carries several vulnerabilities (ICS advisories: up to 80 CVEs), each with its own product status,
scores, CWE and threats. One Advisory per document would have to merge them, and two things break:

- ``aliases``: ids that name each other are one vulnerability (identifiers.md, "alias groups"),
  so an Advisory aliasing CVE-A and CVE-B would fuse two vulnerabilities into one finding;
- ``products``: one product can be affected by CVE-A and fixed for CVE-B, which a single status
  per product cannot say.

So vulnerability ``i`` of document ``ICSA-22-356-03`` becomes Advisory
``ICSA-22-356-03:CVE-2022-33324``: the tracking id, a colon, then the vulnerability's ``cve``, or
else its first ``ids[].text``, or else its index (``ICSA-22-356-03:0``). The tracking id stays
findable: it is the id's prefix, ``database_specific["csaf"]["document"]`` and
:func:`csaf_document_id` (which takes a CSAF document or an Advisory made here). It is *not* an
alias, for the same reason: it would join every CVE of the document into one group. A document
without ``vulnerabilities`` (``csaf_informational_advisory``) has nothing to match and gives no
Advisory; :func:`parse_csaf_documents` reports it as an ignored record.

One exception: a tracking id that is a vulnerability id itself (JVN iPedia's
``JVNDB-YYYY-NNNNNN``: IPA and JPCERT/CC publish one CSAF document per JVN iPedia record) in a
document with exactly one vulnerability is that vulnerability's id, so the Advisory is named
``JVNDB-2018-009328``, not ``JVNDB-2018-009328:CVE-2018-1234`` (or ``...:0``, since JVN writes
``"cve": ""`` when there is none). Its CVE stays an alias, which joins it to the CVE's group as
JVN's own records (``core.advisories.jvn``) are joined. With several vulnerabilities the rule
above applies, for the reason above.

**Products.** ``product_tree`` is walked recursively: ``branches`` (vendor > product_family >
product_name > product_version | product_version_range, and service_pack / patch_level below a
version), ``full_product_names`` and ``relationships`` (``default_component_of``,
``installed_on``...: the component's statement with the other product in ``platforms``). Each
product id a vulnerability's ``product_status`` names becomes one ProductStatement with that
vulnerability's status for it:

- known_affected, first_affected, last_affected -> ``affected``;
- fixed, first_fixed, known_not_affected -> ``unaffected`` (a fixed product_version is thus the
  fixed version);
- under_investigation -> ``unknown``;
- ``recommended`` says which version to install, not whether one is affected: not a statement.

The raw CSAF categories of every product id are kept in ``database_specific["csaf"]
["product_status"]``: first_affected / last_affected / first_fixed also say something about the
*neighbouring* versions ("subsequent versions are not affected"), which only a reading of the
whole product family could turn into ranges; that is left to the reader of those categories
rather than guessed per product id here.

**Versions.** A ``product_version`` is one version, kept as written (``VersionEntry(version)``).
Below it the deepest ``service_pack``/``patch_level`` name is the version (Cisco writes
``12.2SE`` > ``12.2(55)SE``). A ``product_version_range`` is read by :func:`version_range_entries`:
``vers:<scheme>/<constraints>`` strings by the vers rules, and the free text real publishers write
(``< V4.1.4``, ``>= V6.2 < V7.1``, ``>= 1.3 | <= 3.1``, ``<=firmware_32``, ``All versions <
V17 Update 5``) by the same comparator grammar. ``*`` is every version; ``<X``/``<=X`` run from
the start (``"0"``); ``>=A`` followed by ``<B``/``<=B`` is one range; ``>=A`` alone runs open
(``less_than="*"``, CVE 5's "and every later version"); ``=A`` or a bare ``A`` is one version.
What this model cannot express is kept as one ``unknown`` entry whose version is the text as
written, never approximated: an exclusive lower bound (``> 8.0.4``), ``!=``, and prose
(``All versions with Ethernet interface``, ``< V10.3.3.3 only if web components are used``,
``<= first five digits of serial number 24061``). A version must look like one: a token with a
digit, optionally followed by qualifier words (``SP1``, ``Update 5``, ``HF 13``). The vers
scheme names the version type except ``all``/``generic`` ("no particular scheme"): None.

Severity comes from ``scores[].cvss_v3``/``cvss_v2`` vectors (and the CSAF 2.1 drafts'
``metrics[].content.cvss_v2``/``cvss_v3``/``cvss_v4``), rated by the publisher
(``Severity.source``); exploitation from ``threats[]`` of category ``exploit_status``.
Structural errors raise :class:`~vulndesk.core.errors.AdvisoryError` with the JSON path
(``$.vulnerabilities[2].product_status.known_affected[0]``); so does a product id that the product
tree does not define (CSAF mandatory test 6.1.1), a product with contradicting statuses in one
vulnerability (6.1.6) and a CVE used by two vulnerabilities (6.1.23), because each would make the
statements wrong rather than just incomplete.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import orjson

from vulndesk.core.advisories.jsonfields import array, fail, json_object, optional_str
from vulndesk.core.advisories.model import (
    Advisory,
    ExploitEvidence,
    LocalizedText,
    ProductStatement,
    Reference,
    Severity,
    VersionEntry,
)
from vulndesk.core.advisories.osv import parse_timestamp
from vulndesk.core.advisories.sources import (
    DEFAULT_ZIP_LIMITS,
    RawDocument,
    RecordProblem,
    SourceItem,
    ZipLimits,
    iter_osv_documents,
)
from vulndesk.core.errors import AdvisoryError

__all__ = [
    "csaf_document_id",
    "parse_csaf",
    "parse_csaf_documents",
    "read_csaf",
    "version_range_entries",
]

# CSAF §3.2.3.4 product_status categories -> the model's status words (None: not a statement)
_STATUS: Final[dict[str, str | None]] = {
    "known_affected": "affected",
    "first_affected": "affected",
    "last_affected": "affected",
    "fixed": "unaffected",
    "first_fixed": "unaffected",
    "known_not_affected": "unaffected",
    "under_investigation": "unknown",
    "recommended": None,
}
_VERSION_CATEGORIES: Final = frozenset({"product_version", "service_pack", "patch_level"})
_DESCRIPTION_NOTES: Final = ("description", "summary", "details")
_REFERENCE_TYPES: Final = {"self": "ADVISORY", "external": "WEB"}

# A version as publishers write one: a token holding a digit (V4.4, firmware_32, 12.2(55)SE,
# 15.2{7}E2), then maybe qualifier words (SP1, Update 5, HF 13, Security Patch 1).
_VERSION_TOKEN = re.compile(r"[A-Za-z]{0,12}[._-]?\d[\w.()\-+{}~:]*")
_QUALIFIER = re.compile(
    r"(?:SP|SR|HF|FP|CU|UC|P|R|Upd|Update|Hotfix|Beta|Security|Patch|release|Build)\.?",
    re.IGNORECASE,
)
_CONSTRAINT = re.compile(r"\s*(<=|>=|!=|<|>|=)?\s*([^<>=!|]+)")
_ALL_VERSIONS_PREFIX = re.compile(r"^all versions\b\s*", re.IGNORECASE)
_VERS = re.compile(r"^vers:([a-z0-9.+-]+)/(.*)$", re.IGNORECASE | re.DOTALL)
# Tracking ids that are vulnerability ids themselves (identifiers.md): JVN iPedia's JVNDB records
_RECORD_TRACKING_ID = re.compile(r"JVNDB-\d{4}-\d{6}")


# --- errors and small readers ---------------------------------------------------------------------


def _opt_obj(parent: dict[str, Any], key: str, source: str, path: str) -> dict[str, Any]:
    value = parent.get(key)
    return {} if value is None else json_object(value, source, f"{path}.{key}")


def _str(parent: dict[str, Any], key: str, source: str, path: str) -> str:
    value = parent.get(key)
    if value is None:
        raise AdvisoryError(f"missing required field {key!r}", source=source, location=path)
    if type(value) is not str or not value.strip():
        raise fail(source, f"{path}.{key}", "a non-empty string", value)
    return value


def _str_list(parent: dict[str, Any], key: str, source: str, path: str) -> list[str]:
    items = array(parent, key, source, path)
    for i, item in enumerate(items):
        if type(item) is not str:
            raise fail(source, f"{path}.{key}[{i}]", "a string", item)
    return items


def _timestamp(parent: dict[str, Any], key: str, source: str, path: str) -> datetime | None:
    value = parent.get(key)
    if value is None:
        return None
    if type(value) is not str:
        raise fail(source, f"{path}.{key}", "an RFC 3339 timestamp string", value)
    try:
        return parse_timestamp(value)
    except ValueError as e:
        raise AdvisoryError(
            f"expected an RFC 3339 timestamp, got {value!r}: {e}",
            source=source,
            location=f"{path}.{key}",
        ) from e


# --- versions -------------------------------------------------------------------------------------


def _clean_version(text: str) -> str | None:
    """Return ``text`` with its spaces collapsed when it reads as one version, else None."""
    words = text.split()
    if not words or _VERSION_TOKEN.fullmatch(words[0]) is None:
        return None
    for word in words[1:]:
        if _QUALIFIER.fullmatch(word) is None and _VERSION_TOKEN.fullmatch(word) is None:
            return None
    return " ".join(words)


def _unknown(text: str, version_type: str | None) -> tuple[VersionEntry, ...]:
    return (VersionEntry(text.strip(), "unknown", version_type),)


def version_range_entries(text: str, status: str) -> tuple[VersionEntry, ...]:
    """Return the VersionEntry list a CSAF ``product_version_range`` name means, with ``status``.

    See the module docstring for the grammar. What cannot be expressed exactly comes back as one
    entry of status ``unknown`` whose version is ``text`` as written.
    """
    body, version_type, is_vers = text.strip(), None, False
    vers = _VERS.match(body)
    if vers is not None:
        is_vers = True
        scheme, body = vers.group(1).lower(), vers.group(2).strip()
        version_type = None if scheme in ("all", "generic") else scheme
    else:
        body = _ALL_VERSIONS_PREFIX.sub("", body)
        if not body:  # "All versions"
            body = "*"
    if body == "*":
        return (VersionEntry("0", status, version_type, less_than="*"),)
    constraints: list[tuple[str, str]] = []
    for part in body.split("|"):
        if not part.strip():
            if is_vers:
                return _unknown(text, version_type)
            continue
        pos = 0
        while pos < len(part):
            m = _CONSTRAINT.match(part, pos)
            if m is None or m.end() == pos:
                return _unknown(text, version_type)
            pos = m.end()
            version = _clean_version(m.group(2))
            if version is None:
                return _unknown(text, version_type)
            constraints.append((m.group(1) or "=", version))
    entries: list[VersionEntry] = []
    i = 0
    while i < len(constraints):
        op, version = constraints[i]
        upper = constraints[i + 1] if i + 1 < len(constraints) else None
        if op == ">=" and upper is not None and upper[0] in ("<", "<="):
            if upper[0] == "<":
                entries.append(VersionEntry(version, status, version_type, less_than=upper[1]))
            else:
                entries.append(
                    VersionEntry(version, status, version_type, less_than_or_equal=upper[1])
                )
            i += 2
            continue
        if op == ">=":
            entries.append(VersionEntry(version, status, version_type, less_than="*"))
        elif op == "<":
            entries.append(VersionEntry("0", status, version_type, less_than=version))
        elif op == "<=":
            entries.append(VersionEntry("0", status, version_type, less_than_or_equal=version))
        elif op == "=":
            entries.append(VersionEntry(version, status, version_type))
        else:  # ">" and "!=": an open lower bound or a hole, which VersionEntry cannot say
            return _unknown(text, version_type)
        i += 1
    return tuple(entries) if entries else _unknown(text, version_type)


# --- the product tree -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Product:
    """What the product tree says about one product id, before a status is attached."""

    vendor: str
    product: str
    full_name: str
    version: str | None = None  # one product_version / service_pack / patch_level
    version_range: str | None = None  # a product_version_range name
    cpes: tuple[str, ...] = ()
    purls: tuple[str, ...] = ()
    model_numbers: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    hashes: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()


def _helper(product: dict[str, Any], source: str, path: str) -> dict[str, tuple[str, ...]]:
    helper = _opt_obj(product, "product_identification_helper", source, path)
    where = f"{path}.product_identification_helper"
    cpe, purl = (
        optional_str(helper, "cpe", source, where),
        optional_str(helper, "purl", source, where),
    )
    hashes: list[str] = []
    for i, item in enumerate(array(helper, "hashes", source, where)):
        at = f"{where}.hashes[{i}]"
        for j, digest in enumerate(array(json_object(item, source, at), "file_hashes", source, at)):
            digest_obj = json_object(digest, source, f"{at}.file_hashes[{j}]")
            algorithm = _str(digest_obj, "algorithm", source, f"{at}.file_hashes[{j}]")
            value = _str(digest_obj, "value", source, f"{at}.file_hashes[{j}]")
            hashes.append(f"{algorithm.lower()}:{value.lower()}")
    return {
        "cpes": (cpe,) if cpe else (),
        # CSAF 2.0 has one purl; 2.1 drafts a list ("purls"): take both
        "purls": ((purl,) if purl else ()) + tuple(_str_list(helper, "purls", source, where)),
        "model_numbers": tuple(_str_list(helper, "model_numbers", source, where)),
        "skus": tuple(_str_list(helper, "skus", source, where)),
        "hashes": tuple(hashes),
    }


class _Tree:
    """The products a CSAF ``product_tree`` defines, by product id."""

    def __init__(self, doc: dict[str, Any], source: str) -> None:
        self.source = source
        self.products: dict[str, _Product] = {}
        tree = _opt_obj(doc, "product_tree", source, "$")
        for i, branch in enumerate(array(tree, "branches", source, "$.product_tree")):
            self._branch(branch, f"$.product_tree.branches[{i}]", {})
        for i, item in enumerate(array(tree, "full_product_names", source, "$.product_tree")):
            where = f"$.product_tree.full_product_names[{i}]"
            self._define(json_object(item, source, where), where, {})
        for i, item in enumerate(array(tree, "relationships", source, "$.product_tree")):
            self._relationship(item, f"$.product_tree.relationships[{i}]")

    def _branch(self, value: object, path: str, context: dict[str, str]) -> None:
        branch = json_object(value, self.source, path)
        category = _str(branch, "category", self.source, path)
        name = _str(branch, "name", self.source, path).strip()
        context = dict(context)
        if category in _VERSION_CATEGORIES:
            context["version"] = name
            context.pop("version_range", None)
        elif category == "product_version_range":
            context["version_range"] = name
            context.pop("version", None)
        elif category in ("vendor", "product_name", "product_family"):
            context[category] = name
        # architecture, language, legacy, specification, host_name: they narrow the product id
        # but have no place in the statement; the full product name keeps them
        if "product" in branch:
            where = f"{path}.product"
            self._define(json_object(branch["product"], self.source, where), where, context)
        for i, child in enumerate(array(branch, "branches", self.source, path)):
            self._branch(child, f"{path}.branches[{i}]", context)

    def _define(self, product: dict[str, Any], where: str, context: dict[str, str]) -> None:
        product_id = _str(product, "product_id", self.source, where)
        full_name = _str(product, "name", self.source, where)
        self.products[product_id] = _Product(
            vendor=context.get("vendor", ""),
            product=context.get("product_name") or context.get("product_family") or full_name,
            full_name=full_name,
            version=context.get("version"),
            version_range=context.get("version_range"),
            **_helper(product, self.source, where),
        )

    def _relationship(self, value: object, path: str) -> None:
        item = json_object(value, self.source, path)
        category = _str(item, "category", self.source, path)
        component = _str(item, "product_reference", self.source, path)
        platform = _str(item, "relates_to_product_reference", self.source, path)
        full = json_object(item.get("full_product_name"), self.source, f"{path}.full_product_name")
        where = f"{path}.full_product_name"
        product_id = _str(full, "product_id", self.source, where)
        full_name = _str(full, "name", self.source, where)
        base = self.products.get(component)
        if base is None:
            raise AdvisoryError(
                f"product id {component!r} is not defined in the product tree (CSAF 6.1.1)",
                source=self.source,
                location=f"{path}.product_reference",
            )
        host = self.products.get(platform)
        host_name = host.full_name if host is not None else platform
        helper = _helper(full, self.source, where)
        self.products[product_id] = replace(
            base,
            full_name=full_name,
            cpes=base.cpes + helper["cpes"],
            purls=base.purls + helper["purls"],
            model_numbers=base.model_numbers + helper["model_numbers"],
            skus=base.skus + helper["skus"],
            hashes=base.hashes + helper["hashes"],
            # default_component_of / installed_on / installed_with / optional_component_of:
            # every category reads "the component, together with that product"
            platforms=(*base.platforms, f"{category}:{host_name}"),
        )

    def statement(self, product_id: str, status: str) -> ProductStatement:
        """Return the statement that product ``product_id`` has ``status``."""
        p = self.products[product_id]
        if p.version_range is not None:
            versions = version_range_entries(p.version_range, status)
        elif p.version is not None and (p.version.lower().startswith("vers:") or "|" in p.version):
            # a range or a list where one version belongs (real documents do both)
            versions = version_range_entries(p.version, status)
        elif p.version is not None:
            versions = (VersionEntry(p.version, status),)
        else:
            versions = ()
        return ProductStatement(
            vendor=p.vendor,
            product=p.product,
            versions=versions,
            # a product named without any version: the statement is about all its versions
            default_status=status if p.version is None and p.version_range is None else "unknown",
            cpes=p.cpes,
            purls=p.purls,
            model_numbers=p.model_numbers,
            skus=p.skus,
            hashes=p.hashes,
            platforms=p.platforms,
            product_id=product_id,
        )


# --- the document ---------------------------------------------------------------------------------


def csaf_document_id(doc: object) -> str:
    """Return the tracking id of a CSAF document (decoded JSON), or of an Advisory made from one.

    Raise AdvisoryError when ``doc`` is neither.
    """
    if isinstance(doc, Advisory):
        specific = doc.database_specific
        csaf = specific.get("csaf") if isinstance(specific, dict) else None
        if doc.source == "csaf" and isinstance(csaf, dict) and "document" in csaf:
            return str(csaf["document"])
        raise AdvisoryError(f"advisory {doc.id!r} was not read from a CSAF document")
    document = json_object(doc, "", "$", "a CSAF document (a JSON object)")
    tracking = json_object(
        json_object(document.get("document"), "", "$.document").get("tracking"),
        "",
        "$.document.tracking",
    )
    return _str(tracking, "id", "", "$.document.tracking").strip()


def _notes_text(notes: list[Any], source: str, path: str) -> str | None:
    texts: list[str] = []
    for i, value in enumerate(notes):
        note = json_object(value, source, f"{path}[{i}]")
        if note.get("category") in _DESCRIPTION_NOTES:
            texts.append(_str(note, "text", source, f"{path}[{i}]").strip())
    return "\n\n".join(texts) if texts else None


def _references(items: list[Any], source: str, path: str) -> list[Reference]:
    out: list[Reference] = []
    for i, value in enumerate(items):
        item = json_object(value, source, f"{path}[{i}]")
        url = _str(item, "url", source, f"{path}[{i}]")
        category = optional_str(item, "category", source, f"{path}[{i}]") or "external"
        out.append(Reference(_REFERENCE_TYPES.get(category, "WEB"), url))
    return out


def _severities(vuln: dict[str, Any], rater: str, source: str, path: str) -> list[Severity]:
    # CSAF 2.0: scores[] {cvss_v2, cvss_v3, products}; CSAF 2.1 drafts: metrics[] {content
    # {cvss_v2, cvss_v3, cvss_v4, ...}, products}, which MyJVN API 4.0 (feed=oka) already writes
    scores: list[tuple[str, dict[str, Any]]] = [
        (f"{path}.scores[{i}]", json_object(value, source, f"{path}.scores[{i}]"))
        for i, value in enumerate(array(vuln, "scores", source, path))
    ]
    for i, value in enumerate(array(vuln, "metrics", source, path)):
        where = f"{path}.metrics[{i}]"
        metric = json_object(value, source, where)
        scores.append((f"{where}.content", _opt_obj(metric, "content", source, where)))
    out: list[Severity] = []
    for where, score in scores:
        for key, kind in (("cvss_v3", "CVSS_V3"), ("cvss_v2", "CVSS_V2"), ("cvss_v4", "CVSS_V4")):
            if key in score:
                cvss = json_object(score[key], source, f"{where}.{key}")
                vector = _str(cvss, "vectorString", source, f"{where}.{key}")
                severity = Severity(kind, vector, rater)
                if severity not in out:
                    out.append(severity)
    return out


def _cwes(vuln: dict[str, Any], source: str, path: str) -> list[str]:
    # CSAF 2.0: one "cwe" object; CSAF 2.1 drafts: a "cwes" array of the same objects
    items = [vuln["cwe"]] if vuln.get("cwe") is not None else []
    where = [f"{path}.cwe"]
    for i, item in enumerate(array(vuln, "cwes", source, path)):
        items.append(item)
        where.append(f"{path}.cwes[{i}]")
    out: list[str] = []
    for item, at in zip(items, where, strict=False):
        cwe = _str(json_object(item, source, at), "id", source, at)
        if cwe not in out:
            out.append(cwe)
    return out


def _exploitation(
    vuln: dict[str, Any], rater: str, source: str, path: str
) -> list[ExploitEvidence]:
    out: list[ExploitEvidence] = []
    for i, value in enumerate(array(vuln, "threats", source, path)):
        where = f"{path}.threats[{i}]"
        threat = json_object(value, source, where)
        if _str(threat, "category", source, where) != "exploit_status":
            continue  # impact and target_set threats say nothing about exploitation
        out.append(
            ExploitEvidence(
                kind="csaf-threat",
                source=rater,
                date=_timestamp(threat, "date", source, where),
                detail=_str(threat, "details", source, where),
            )
        )
    return out


def _statuses(
    vuln: dict[str, Any], tree: _Tree, source: str, path: str
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Return (status per product id, the raw CSAF categories per product id)."""
    status_obj = _opt_obj(vuln, "product_status", source, path)
    where = f"{path}.product_status"
    status: dict[str, str] = {}
    raw: dict[str, list[str]] = {}
    for category in status_obj:
        if category not in _STATUS:
            raise AdvisoryError(
                f"unknown product status category {category!r} (expected one of "
                + ", ".join(_STATUS)
                + ")",
                source=source,
                location=f"{where}.{category}",
            )
        mapped = _STATUS[category]
        for i, product_id in enumerate(_str_list(status_obj, category, source, where)):
            if product_id not in tree.products:
                raise AdvisoryError(
                    f"product id {product_id!r} is not defined in the product tree (CSAF 6.1.1)",
                    source=source,
                    location=f"{where}.{category}[{i}]",
                )
            raw.setdefault(product_id, []).append(category)
            if mapped is None:
                continue
            before = status.setdefault(product_id, mapped)
            if before != mapped:
                raise AdvisoryError(
                    f"product id {product_id!r} is both {before} and {mapped} "
                    f"({', '.join(raw[product_id])}): contradicting product status (CSAF 6.1.6)",
                    source=source,
                    location=f"{where}.{category}[{i}]",
                )
    return status, raw


def parse_csaf(obj: object, *, source: str) -> tuple[Advisory, ...]:
    """Return one Advisory per vulnerability of a CSAF 2.0 document (already decoded from JSON).

    The ids are ``<tracking id>:<cve | first ids[].text | index>`` (module docstring: why). A
    document without vulnerabilities gives an empty tuple. Raise
    :class:`~vulndesk.core.errors.AdvisoryError` naming ``source`` and the JSON path of the first
    problem.
    """
    doc = json_object(obj, source, "$", "a CSAF document (a JSON object)")
    document = json_object(doc.get("document"), source, "$.document")
    tracking = json_object(document.get("tracking"), source, "$.document.tracking")
    tracking_id = _str(tracking, "id", source, "$.document.tracking").strip()
    modified = _timestamp(tracking, "current_release_date", source, "$.document.tracking")
    if modified is None:
        raise AdvisoryError(
            "missing required field 'current_release_date'",
            source=source,
            location="$.document.tracking",
        )
    published = _timestamp(tracking, "initial_release_date", source, "$.document.tracking")
    publisher = _opt_obj(document, "publisher", source, "$.document")
    rater = optional_str(publisher, "name", source, "$.document.publisher") or tracking_id
    lang = optional_str(document, "lang", source, "$.document") or "und"  # BCP 47 "undetermined"
    title = _str(document, "title", source, "$.document").strip()
    doc_details = _notes_text(array(document, "notes", source, "$.document"), source, "$.document")
    doc_refs = _references(
        array(document, "references", source, "$.document"), source, "$.document.references"
    )
    tlp = _opt_obj(_opt_obj(document, "distribution", source, "$.document"), "tlp", source, "$")
    tree = _Tree(doc, source)

    advisories: list[Advisory] = []
    suffixes: dict[str, int] = {}
    vulnerabilities = array(doc, "vulnerabilities", source, "$")
    own_record = len(vulnerabilities) == 1 and _RECORD_TRACKING_ID.fullmatch(tracking_id)
    for index, value in enumerate(vulnerabilities):
        path = f"$.vulnerabilities[{index}]"
        vuln = json_object(value, source, path)
        cve = optional_str(vuln, "cve", source, path)
        aliases: list[str] = [cve.strip()] if cve and cve.strip() else []
        for i, item in enumerate(array(vuln, "ids", source, path)):
            text = _str(
                json_object(item, source, f"{path}.ids[{i}]"), "text", source, f"{path}.ids[{i}]"
            )
            if text.strip() not in aliases:
                aliases.append(text.strip())
        suffix = aliases[0] if aliases else str(index)
        if suffix in suffixes:
            raise AdvisoryError(
                f"{suffix!r} names vulnerabilities {suffixes[suffix]} and {index} "
                "(CSAF 6.1.23: a CVE is used once per document)",
                source=source,
                location=f"{path}.cve" if cve else f"{path}.ids",
            )
        suffixes[suffix] = index
        status, raw = _statuses(vuln, tree, source, path)
        details = _notes_text(array(vuln, "notes", source, path), source, f"{path}.notes")
        details = details or doc_details
        references = list(doc_refs)
        for ref in _references(array(vuln, "references", source, path), source, path):
            if ref not in references:
                references.append(ref)
        for i, remedy in enumerate(array(vuln, "remediations", source, path)):
            item = json_object(remedy, source, f"{path}.remediations[{i}]")
            url = optional_str(item, "url", source, f"{path}.remediations[{i}]")
            if url and item.get("category") == "vendor_fix":
                references.append(Reference("FIX", url))
        advisories.append(
            Advisory(
                id=tracking_id if own_record else f"{tracking_id}:{suffix}",
                modified=modified,
                published=published,
                aliases=tuple(aliases),
                summary=optional_str(vuln, "title", source, path) or title,
                details=details,
                severity=tuple(_severities(vuln, rater, source, path)),
                references=tuple(references),
                database_specific={
                    "csaf": {
                        "document": tracking_id,
                        "vulnerability": index,
                        "version": tracking.get("version"),
                        "status": tracking.get("status"),
                        "category": document.get("category"),
                        "publisher": publisher.get("namespace"),
                        "tlp": tlp.get("label"),
                        "product_status": raw,
                    }
                },
                schema_version=optional_str(document, "csaf_version", source, "$.document"),
                source="csaf",
                products=tuple(tree.statement(pid, st) for pid, st in status.items()),
                cwes=tuple(_cwes(vuln, source, path)),
                titles=(LocalizedText(lang, title),),
                descriptions=(LocalizedText(lang, details),) if details else (),
                exploitation=tuple(_exploitation(vuln, rater, source, path)),
            )
        )
    return tuple(advisories)


# --- files, directories and zips ------------------------------------------------------------------


def _not_csaf(obj: object) -> str | None:
    """Return what a JSON file is when it is a known non-CSAF file of a provider, else None."""
    if type(obj) is not dict or "document" in obj:
        return None
    if "feed" in obj:
        return "a ROLIE feed"
    if "service" in obj:
        return "a ROLIE service document"
    if "categories" in obj:
        return "a ROLIE category document"
    if "canonical_url" in obj and "aggregator" in obj:
        return "an aggregator document"
    if "canonical_url" in obj:
        return "a provider metadata document"
    return None


def parse_csaf_documents(documents: Iterable[SourceItem]) -> Iterator[Advisory | RecordProblem]:
    """Yield the Advisories of each CSAF document, or a RecordProblem saying why there are none.

    A document that is not JSON or not valid CSAF yields an ``invalid`` RecordProblem naming its
    location and the JSON path; a provider's own files (ROLIE feed, provider-metadata) and
    documents without vulnerabilities yield an ``ignored`` one. Incoming RecordProblems are passed
    through in order.
    """
    for doc in documents:
        if isinstance(doc, RecordProblem):
            yield doc
            continue
        assert isinstance(doc, RawDocument)
        try:
            obj = orjson.loads(doc.data)
        except orjson.JSONDecodeError as e:
            yield RecordProblem(doc.location, f"not valid JSON: {e}")
            continue
        other = _not_csaf(obj)
        if other is not None:
            yield RecordProblem(doc.location, f"ignored: {other}, not a CSAF document", "ignored")
            continue
        try:
            advisories = parse_csaf(obj, source=doc.location)
        except AdvisoryError as e:
            where = f"{e.location}: " if e.location else ""
            yield RecordProblem(doc.location, f"{where}{e.message}")
            continue
        if not advisories:
            yield RecordProblem(
                doc.location,
                f"ignored: CSAF document {csaf_document_id(obj)!r} lists no vulnerabilities",
                "ignored",
            )
        yield from advisories


def read_csaf(
    path: Path, *, limits: ZipLimits = DEFAULT_ZIP_LIMITS, display: str | None = None
) -> Iterator[Advisory | RecordProblem]:
    """Yield every advisory in the CSAF documents at ``path``, or a RecordProblem per bad one.

    ``path`` is one ``.json`` file, a directory (every ``*.json`` below it, such as a provider's
    directory distribution) or a zip archive, read with the same limits as OSV sources
    (:func:`~vulndesk.core.advisories.sources.iter_osv_documents`). Raise AdvisoryError when the
    source as a whole cannot be read.
    """
    return parse_csaf_documents(iter_osv_documents(path, limits=limits, display=display))

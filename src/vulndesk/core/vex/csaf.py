"""The CSAF 2.0 VEX codec: ``product_status`` with flags, impact threats and remediations.

**Reading.** A ``csaf_vex`` document, or any other CSAF document whose vulnerabilities carry a
``product_status`` (``csaf_security_advisory``); informational advisories and incident responses
carry none and are refused. The product tree is read by the CSAF advisory codec's reader
(:mod:`vulndesk.core.advisories.csaf`), so both agree on what a product id means.

Each vulnerability is named by its ``cve``, else its first ``ids[].text``; the other ids are
aliases. Its products get a status from the ``product_status`` category they are listed in:

=============================================  =====================================
CSAF ``product_status``                        vulndesk
=============================================  =====================================
known_not_affected                             not_affected
known_affected (first_affected, last_affected)  affected
fixed (first_fixed)                            fixed
under_investigation                            under_investigation
recommended                                    (no statement: advice, not a status)
=============================================  =====================================

A word in parentheses is kept in ``native_state``. A product in two of these groups within one
vulnerability contradicts itself (CSAF 6.1.6) and is refused. Per product, ``flags[].label`` (the
OpenVEX justification words) gives the justification, ``threats[]`` of category ``impact`` the
impact statement, ``remediations[]`` the action statement (their ``details``) and responses
(vendor_fix and optional_patch -> update, workaround and mitigation -> workaround_available,
no_fix_planned -> will_not_fix; none_available and fix_planned say nothing CycloneDX can), and the
first ``date`` among them the timestamp. A flag, threat or remediation without product or group
ids is about every product of the vulnerability. Products of one vulnerability that end up with
the same status and the same words form one statement, in the order the document first lists
them.

A product is a :class:`~vulndesk.core.vex.model.VexProduct` whose ``ref`` is the product id, with
the purl and CPE of its identification helper, its ``product_name`` (or family, or full name) as
name, its ``product_version`` as version and a ``product_version_range`` as its one
:class:`~vulndesk.core.vex.model.VexVersion`. A relationship product (``default_component_of``,
``installed_on``...) is the platform product, with the component as its one subcomponent.

**Writing** (:func:`csaf_vex_document`) gives a ``csaf_vex`` document that satisfies the VEX
profile (CSAF 2.0 section 4.5 and mandatory tests 6.1.27.4-6.1.27.10). Products go to
``full_product_names``, or, when they have a version or a version range, to a ``product_name``
branch with a ``product_version``/``product_version_range`` branch below it; a product limited to
several versions becomes one product per version, its purl helper narrowed to match (the exact
version, or none for a range: a BOM component's purl names the one version in the BOM). A
product with subcomponents becomes one ``default_component_of`` relationship per subcomponent.
Product ids are kept when the document was CSAF, else numbered ``CSAFPID-0001``... Lost or
reshaped on the way:

- statements about one vulnerability merge into one CSAF vulnerability (6.1.23); when two of them
  name the same product, the later one wins, as a later OpenVEX statement overrides an earlier;
- ``detail`` has a place only as the impact text of a not-affected statement without impact
  statement, or the remediation text of an affected one without action statement; a fixed or
  under-investigation statement's detail is dropped;
- several responses become one remediation per CSAF category; ``no_fix_planned`` is dropped beside
  ``vendor_fix`` (CycloneDX's ``will_not_fix`` + ``update`` means "not in this version: update");
  ``rollback`` becomes ``vendor_fix``, and CycloneDX ``can_not_fix`` ``no_fix_planned``;
  responses of a statement that is neither affected nor has an action statement are dropped;
- the statement timestamp becomes the ``date`` of its flag, impact threat and remediations; a
  statement with none of them (a plain fixed or under-investigation) loses it;
- CycloneDX native words (``false_positive``, ``protected_at_runtime``) and per-version statuses
  are dropped; the author goes to a document note (the publisher is vulndesk's caller);
- the document version becomes an integer tracking version whose revision history lists every
  number up to it (6.1.21 asks for no gaps), each dated at the document's timestamp.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final

from vulndesk.core.advisories.csaf import _opt_obj, _str, _str_list, _timestamp, _Tree
from vulndesk.core.advisories.jsonfields import array, fail, json_object, optional_str
from vulndesk.core.advisories.osv import format_timestamp
from vulndesk.core.errors import AdvisoryError, IdentifierError
from vulndesk.core.ids.purl import parse_purl
from vulndesk.core.vex.cyclonedx import parse_bom_link
from vulndesk.core.vex.model import (
    JUSTIFICATIONS,
    VexDocument,
    VexError,
    VexProduct,
    VexStatement,
    VexStatus,
    VexVersion,
    vex_error,
)

__all__ = ["CSAF_STATUS", "csaf_vex_document", "parse_csaf_vex"]

#: CSAF product_status category -> (status, native word or ""); recommended is not a status.
CSAF_STATUS: Final[dict[str, tuple[VexStatus, str]]] = {
    "known_not_affected": (VexStatus.NOT_AFFECTED, ""),
    "known_affected": (VexStatus.AFFECTED, ""),
    "first_affected": (VexStatus.AFFECTED, "first_affected"),
    "last_affected": (VexStatus.AFFECTED, "last_affected"),
    "fixed": (VexStatus.FIXED, ""),
    "first_fixed": (VexStatus.FIXED, "first_fixed"),
    "under_investigation": (VexStatus.UNDER_INVESTIGATION, ""),
}
_CATEGORY_OF: Final = {
    VexStatus.NOT_AFFECTED: "known_not_affected",
    VexStatus.AFFECTED: "known_affected",
    VexStatus.FIXED: "fixed",
    VexStatus.UNDER_INVESTIGATION: "under_investigation",
}
# remediation category -> CycloneDX response (None: no response says it). 2.1 adds the last two.
_RESPONSE_OF: Final[dict[str, str | None]] = {
    "vendor_fix": "update",
    "workaround": "workaround_available",
    "mitigation": "workaround_available",
    "no_fix_planned": "will_not_fix",
    "none_available": None,
    "optional_patch": "update",
    "fix_planned": None,
}
_REMEDIATION_OF: Final = {
    "update": "vendor_fix",
    "rollback": "vendor_fix",
    "workaround_available": "workaround",
    "will_not_fix": "no_fix_planned",
    "can_not_fix": "no_fix_planned",
}
_NOT_A_STATUS_DOCUMENT: Final = ("csaf_informational_advisory", "csaf_security_incident_response")
_CVE: Final = re.compile(r"CVE-[0-9]{4}-[0-9]{4,}")
_NO_REASON: Final = "No justification or impact statement was given in the source statement."
_NO_ACTION: Final = "No action statement was given in the source statement."


# --- reading --------------------------------------------------------------------------------------


def parse_csaf_vex(obj: object, *, source: str) -> VexDocument:
    """Return the VexDocument of a CSAF 2.0 document's product status (already decoded).

    Raise :class:`~vulndesk.core.vex.model.VexError` naming ``source`` and the JSON path of the
    first problem.
    """
    try:
        return _Reader(obj, source).document()
    except AdvisoryError as e:
        raise vex_error(e) from e


@dataclass
class _Facts:
    """What one vulnerability says about one product id."""

    status: VexStatus
    native: str
    justification: str | None = None
    impacts: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    responses: list[str] = field(default_factory=list)
    timestamp: datetime | None = None


class _Reader:
    def __init__(self, obj: object, source: str) -> None:
        self.source = source
        self.doc = json_object(obj, source, "$", "a CSAF document (a JSON object)")
        self.tree = _Tree(self.doc, source)
        tree = _opt_obj(self.doc, "product_tree", source, "$")
        self.groups: dict[str, list[str]] = {}
        for i, value in enumerate(array(tree, "product_groups", source, "$.product_tree")):
            where = f"$.product_tree.product_groups[{i}]"
            group = json_object(value, source, where)
            ids = _str_list(group, "product_ids", source, where)
            for j, pid in enumerate(ids):
                self._known(pid, f"{where}.product_ids[{j}]")
            self.groups[_str(group, "group_id", source, where)] = ids
        # relationship product id -> (component id, platform id); _Tree checked their shape
        self.relationships: dict[str, tuple[str, str]] = {}
        for item in array(tree, "relationships", source, "$.product_tree"):
            full = item["full_product_name"]
            self.relationships[full["product_id"]] = (
                item["product_reference"],
                item["relates_to_product_reference"],
            )
        self.products: dict[str, VexProduct] = {}

    def _known(self, pid: str, path: str) -> None:
        if pid not in self.tree.products:
            raise AdvisoryError(
                f"product id {pid!r} is not defined in the product tree (CSAF 6.1.1)",
                source=self.source,
                location=path,
            )

    def document(self) -> VexDocument:
        source = self.source
        document = json_object(self.doc.get("document"), source, "$.document")
        category = _str(document, "category", source, "$.document")
        if category in _NOT_A_STATUS_DOCUMENT:
            raise AdvisoryError(
                f"a CSAF document of category {category!r} carries no product status; expected "
                "csaf_vex (or csaf_security_advisory)",
                source=source,
                location="$.document.category",
            )
        tracking = json_object(document.get("tracking"), source, "$.document.tracking")
        publisher = _opt_obj(document, "publisher", source, "$.document")
        statements: list[VexStatement] = []
        for i, value in enumerate(array(self.doc, "vulnerabilities", source, "$")):
            statements.extend(self._vulnerability(value, f"$.vulnerabilities[{i}]"))
        return VexDocument(
            format="csaf",
            id=_str(tracking, "id", source, "$.document.tracking").strip(),
            author=optional_str(publisher, "name", source, "$.document.publisher") or "",
            timestamp=_timestamp(tracking, "current_release_date", source, "$.document.tracking"),
            version=self._version(tracking),
            statements=tuple(statements),
        )

    def _version(self, tracking: dict[str, Any]) -> int:
        where = "$.document.tracking"
        version = optional_str(tracking, "version", self.source, where)
        if version is not None and version.isdigit():
            return int(version)
        # semantic versioning ("1.0.0"): count the revisions instead
        return max(len(array(tracking, "revision_history", self.source, where)), 1)

    def _ids(self, item: dict[str, Any], path: str, every: list[str]) -> list[str]:
        """Return the product ids an item (flag, threat, remediation) names, directly or through
        its groups; every product of the vulnerability when it names none."""
        ids = _str_list(item, "product_ids", self.source, path)
        for i, pid in enumerate(ids):
            self._known(pid, f"{path}.product_ids[{i}]")
        group_ids = _str_list(item, "group_ids", self.source, path)
        for i, gid in enumerate(group_ids):
            if gid not in self.groups:
                raise AdvisoryError(
                    f"group id {gid!r} is not defined in the product tree (CSAF 6.1.4)",
                    source=self.source,
                    location=f"{path}.group_ids[{i}]",
                )
            ids = ids + self.groups[gid]
        if not ids and not group_ids:
            return every
        return ids

    def _vulnerability(self, value: object, path: str) -> list[VexStatement]:
        source = self.source
        vuln = json_object(value, source, path)
        facts = self._statuses(vuln, path)
        every = list(facts)
        names: list[str] = []
        cve = optional_str(vuln, "cve", source, path)
        if cve and cve.strip():
            names.append(cve.strip())
        for i, item in enumerate(array(vuln, "ids", source, path)):
            where = f"{path}.ids[{i}]"
            text = _str(json_object(item, source, where), "text", source, where).strip()
            if text not in names:
                names.append(text)
        if not names:
            raise AdvisoryError(
                "a vulnerability needs a 'cve' or 'ids' to be named (CSAF 6.1.27.8)",
                source=source,
                location=path,
            )

        for i, item in enumerate(array(vuln, "flags", source, path)):
            where = f"{path}.flags[{i}]"
            flag = json_object(item, source, where)
            label = flag.get("label")
            if type(label) is not str or label not in JUSTIFICATIONS:
                raise fail(source, f"{where}.label", "one of " + ", ".join(JUSTIFICATIONS), label)
            date = _timestamp(flag, "date", source, where)
            for pid in self._ids(flag, where, every):
                if pid not in facts:
                    continue
                if facts[pid].justification not in (None, label):
                    raise AdvisoryError(
                        f"product id {pid!r} has two justifications, "
                        f"{facts[pid].justification} and {label} (CSAF 6.1.33)",
                        source=source,
                        location=f"{where}.label",
                    )
                facts[pid].justification = label
                facts[pid].timestamp = facts[pid].timestamp or date
        for i, item in enumerate(array(vuln, "threats", source, path)):
            where = f"{path}.threats[{i}]"
            threat = json_object(item, source, where)
            if _str(threat, "category", source, where) != "impact":
                continue  # exploit_status and target_set say nothing about one product's status
            details = _str(threat, "details", source, where).strip()
            date = _timestamp(threat, "date", source, where)
            for pid in self._ids(threat, where, every):
                if pid in facts:
                    _add(facts[pid].impacts, details)
                    facts[pid].timestamp = facts[pid].timestamp or date
        for i, item in enumerate(array(vuln, "remediations", source, path)):
            where = f"{path}.remediations[{i}]"
            remedy = json_object(item, source, where)
            category = remedy.get("category")
            if type(category) is not str or category not in _RESPONSE_OF:
                raise fail(
                    source, f"{where}.category", "one of " + ", ".join(_RESPONSE_OF), category
                )
            details = _str(remedy, "details", source, where).strip()
            date = _timestamp(remedy, "date", source, where)
            for pid in self._ids(remedy, where, every):
                if pid in facts:
                    _add(facts[pid].actions, details)
                    if (response := _RESPONSE_OF[category]) is not None:
                        _add(facts[pid].responses, response)
                    facts[pid].timestamp = facts[pid].timestamp or date
        grouped: dict[tuple[Any, ...], list[str]] = {}
        for pid, f in facts.items():
            key = (
                f.status,
                f.native,
                f.justification,
                tuple(f.impacts),
                tuple(f.actions),
                tuple(f.responses),
                f.timestamp,
            )
            grouped.setdefault(key, []).append(pid)
        statements = []
        for (
            status,
            native,
            justification,
            impacts,
            actions,
            responses,
            ts,
        ), pids in grouped.items():
            statements.append(
                VexStatement(
                    vulnerability=names[0],
                    status=status,
                    products=tuple(self._product(pid, 0) for pid in pids),
                    aliases=tuple(names[1:]),
                    justification=justification,
                    impact_statement="\n\n".join(impacts),
                    action_statement="\n\n".join(actions),
                    responses=responses,
                    timestamp=ts,
                    native_state=native,
                )
            )
        return statements

    def _statuses(self, vuln: dict[str, Any], path: str) -> dict[str, _Facts]:
        """Return the status facts of every product id the vulnerability gives a status."""
        where = f"{path}.product_status"
        status_obj = _opt_obj(vuln, "product_status", self.source, path)
        facts: dict[str, _Facts] = {}
        for category in status_obj:
            if category == "recommended":
                _str_list(status_obj, category, self.source, where)
                continue
            if category not in CSAF_STATUS:
                raise AdvisoryError(
                    f"unknown product status category {category!r} (expected one of "
                    + ", ".join([*CSAF_STATUS, "recommended"])
                    + ")",
                    source=self.source,
                    location=f"{where}.{category}",
                )
            status, native = CSAF_STATUS[category]
            for i, pid in enumerate(_str_list(status_obj, category, self.source, where)):
                self._known(pid, f"{where}.{category}[{i}]")
                before = facts.get(pid)
                if before is None:
                    facts[pid] = _Facts(status, native)
                elif before.status is not status:
                    raise AdvisoryError(
                        f"product id {pid!r} is both {before.status.value} and {status.value}: "
                        "contradicting product status (CSAF 6.1.6)",
                        source=self.source,
                        location=f"{where}.{category}[{i}]",
                    )
                else:
                    before.native = before.native or native
        return facts

    def _product(self, pid: str, depth: int) -> VexProduct:
        if pid in self.products:
            return self.products[pid]
        if pid in self.relationships and depth < 8:
            component, platform = self.relationships[pid]
            host = self._plain(platform) if platform in self.tree.products else VexProduct(pid)
            product = replace(host, ref=pid, subcomponents=(self._product(component, depth + 1),))
        else:
            product = self._plain(pid)
        self.products[pid] = product
        return product

    def _plain(self, pid: str) -> VexProduct:
        p = self.tree.products[pid]
        return VexProduct(
            ref=pid,
            purl=p.purls[0] if p.purls else None,
            cpe=p.cpes[0] if p.cpes else None,
            name=p.product,
            version=p.version or "",
            versions=(VexVersion(range=p.version_range),) if p.version_range else (),
        )


def _add(items: list[str], text: str) -> None:
    if text and text not in items:
        items.append(text)


# --- writing --------------------------------------------------------------------------------------


class _TreeWriter:
    """Gives each product a CSAF product id and writes the product tree."""

    def __init__(self, doc: VexDocument) -> None:
        self.own = doc.format == "csaf"
        self.reserved: set[str] = set()
        if self.own:
            for s in doc.statements:
                for p in s.products:
                    self.reserved.add(p.ref)
                    self.reserved.update(sub.ref for sub in p.subcomponents)
        self.ids: dict[tuple[str, VexProduct], str] = {}
        self.taken: set[str] = set()
        self.counter = 0
        self.full_product_names: list[dict[str, Any]] = []
        self.branches: dict[str, list[dict[str, Any]]] = {}
        self.relationships: list[dict[str, Any]] = []

    def _new_id(self, preferred: str | None) -> str:
        if preferred and self.own and preferred not in self.taken:
            self.taken.add(preferred)
            return preferred
        while True:
            self.counter += 1
            candidate = f"CSAFPID-{self.counter:04d}"
            if candidate not in self.taken and candidate not in self.reserved:
                self.taken.add(candidate)
                return candidate

    def product_ids(self, product: VexProduct) -> list[str]:
        """Return the product ids ``product`` becomes (one per version it is limited to, one per
        subcomponent), defining each in the tree the first time."""
        # one product per version; a CycloneDX per-version status has no place in CSAF (the
        # product_status category says it), and must not make two products of one version
        specs = [replace(v, status="") for v in product.versions]
        units = [self._narrowed(product, v) for v in specs] if specs else [product]
        out = []
        for unit in units:
            if not unit.subcomponents:
                out.append(self._plain(unit, unit.ref))
                continue
            host = replace(unit, subcomponents=())
            for sub in unit.subcomponents:
                key = ("relationship", replace(unit, subcomponents=(sub,)))
                if key not in self.ids:
                    host_id = self._plain(host, None, kind="host")
                    sub_id = self._plain(replace(sub, subcomponents=()), sub.ref)
                    preferred = unit.ref if len(unit.subcomponents) == 1 else None
                    rel_id = self.ids[key] = self._new_id(preferred)
                    self.relationships.append(
                        {
                            "category": "default_component_of",
                            "full_product_name": {
                                "name": f"{_full_name(sub)} as a component of {_full_name(host)}",
                                "product_id": rel_id,
                            },
                            "product_reference": sub_id,
                            "relates_to_product_reference": host_id,
                        }
                    )
                out.append(self.ids[key])
        return out

    def _narrowed(self, product: VexProduct, spec: VexVersion) -> VexProduct:
        """Return ``product`` limited to ``spec``, its purl saying the same: the exact version,
        or no version for a range (a CycloneDX component's purl names the one version in the
        BOM, not the versions the statement is about). A CSAF product keeps its purl as is."""
        purl = product.purl
        if purl and not self.own:
            try:
                purl = parse_purl(purl)._replace(version=spec.version or None).to_string()
            except IdentifierError:
                purl = None
        return replace(product, purl=purl, versions=(spec,))

    def _plain(self, unit: VexProduct, preferred: str | None, kind: str = "plain") -> str:
        key = (kind, unit)
        if key in self.ids:
            return self.ids[key]
        pid = self.ids[key] = self._new_id(preferred)
        entry: dict[str, Any] = {"name": _full_name(unit), "product_id": pid}
        helper = {}
        if unit.cpe:
            helper["cpe"] = unit.cpe
        if unit.purl:
            helper["purl"] = unit.purl
        if helper:
            entry["product_identification_helper"] = helper
        spec = unit.versions[0] if unit.versions else None
        if spec is None and not unit.version:
            self.full_product_names.append(entry)
            return pid
        if spec is not None and spec.range:
            branch = {"category": "product_version_range", "name": spec.range, "product": entry}
        else:
            version = spec.version if spec is not None else unit.version
            branch = {"category": "product_version", "name": version, "product": entry}
        self.branches.setdefault(_name(unit), []).append(branch)
        return pid

    def tree(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.branches:
            out["branches"] = [
                {"category": "product_name", "name": name, "branches": children}
                for name, children in self.branches.items()
            ]
        if self.full_product_names:
            out["full_product_names"] = self.full_product_names
        if self.relationships:
            out["relationships"] = self.relationships
        return out


def _name(p: VexProduct) -> str:
    link = parse_bom_link(p.ref)
    return p.name or p.purl or p.cpe or (link[2] if link and link[2] else p.ref)


def _full_name(p: VexProduct) -> str:
    spec = p.versions[0] if p.versions else None
    version = (spec.version or spec.range) if spec is not None else p.version
    return f"{_name(p)} {version}" if version else _name(p)


def csaf_vex_document(
    doc: VexDocument,
    *,
    publisher_name: str = "vulndesk",
    publisher_namespace: str = "https://vulndesk.invalid",
    tracking_id: str | None = None,
    publisher_category: str = "vendor",
) -> dict[str, Any]:
    """Return ``doc`` as a CSAF 2.0 ``csaf_vex`` document, ready for ``json.dumps``.

    The document satisfies the VEX profile (module docstring: what is lost on the way). Raise
    VexError when there are no statements, or a vulnerability would be left without any product,
    which CSAF cannot say.
    """
    if not doc.statements:
        raise VexError(
            "the document has no statements; a CSAF VEX document needs at least one "
            "vulnerability with a product status"
        )
    timestamp = doc.timestamp or _latest(doc) or datetime.now(UTC)
    stamp = format_timestamp(timestamp)
    tree = _TreeWriter(doc)
    by_vulnerability: dict[str, list[tuple[VexStatement, list[str]]]] = {}
    for s in doc.statements:
        ids = [pid for product in s.products for pid in tree.product_ids(product)]
        by_vulnerability.setdefault(s.vulnerability, []).append((s, ids))
    vulnerabilities = [
        _vulnerability_json(name, items, doc.author or publisher_name)
        for name, items in by_vulnerability.items()
    ]
    version = max(doc.version, 1)
    document: dict[str, Any] = {
        "category": "csaf_vex",
        "csaf_version": "2.0",
        "lang": "en",
        "publisher": {
            "category": publisher_category,
            "name": publisher_name,
            "namespace": publisher_namespace,
        },
        "title": _title(list(by_vulnerability)),
        "tracking": {
            "current_release_date": stamp,
            "generator": {"engine": {"name": "vulndesk"}},
            "id": (tracking_id or doc.id or _derived_id(doc)).strip(),
            "initial_release_date": stamp,
            "revision_history": [
                {
                    "date": stamp,
                    "number": str(n),
                    "summary": (
                        f"Written by vulndesk from {doc.format} document {doc.id or '(no id)'}."
                        if n == version
                        else "Earlier version (its history was not recorded)."
                    ),
                }
                for n in range(1, version + 1)
            ],
            "status": "final",
            "version": str(version),
        },
    }
    if doc.author:
        document["notes"] = [
            {"category": "general", "title": "Author of the statements", "text": doc.author}
        ]
    return {"document": document, "product_tree": tree.tree(), "vulnerabilities": vulnerabilities}


def _latest(doc: VexDocument) -> datetime | None:
    stamps = [s.timestamp for s in doc.statements if s.timestamp is not None]
    return max(stamps) if stamps else None


def _derived_id(doc: VexDocument) -> str:
    return f"vulndesk-vex-{uuid.uuid5(uuid.NAMESPACE_URL, repr(doc))}"


def _title(names: list[str]) -> str:
    shown = ", ".join(names[:3])
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return f"VEX statements on {shown}{more}" if names else "VEX statements"


def _system_name(identifier: str) -> str:
    # ids[].system_name names the tracking system: the id's prefix (GHSA, OSV, RHSA...)
    prefix = identifier.split("-", 1)[0]
    return prefix if prefix and prefix != identifier else "unknown"


def _vulnerability_json(
    name: str, items: list[tuple[VexStatement, list[str]]], author: str
) -> dict[str, Any]:
    owner: dict[str, int] = {}
    for index, (_, ids) in enumerate(items):
        for pid in ids:
            owner[pid] = index  # a later statement about a product overrides an earlier one
    aliases: list[str] = []
    status: dict[str, list[str]] = {}
    flags: list[dict[str, Any]] = []
    threats: list[dict[str, Any]] = []
    remediations: list[dict[str, Any]] = []
    for index, (s, ids) in enumerate(items):
        for alias in s.aliases:
            if alias not in aliases and alias != name:
                aliases.append(alias)
        mine = list(dict.fromkeys(pid for pid in ids if owner[pid] == index))
        if not mine:
            continue
        category = _CATEGORY_OF[s.status]
        if s.native_state in CSAF_STATUS and CSAF_STATUS[s.native_state][0] is s.status:
            category = s.native_state
        status.setdefault(category, []).extend(mine)
        date = {"date": format_timestamp(s.timestamp)} if s.timestamp is not None else {}
        if s.justification:
            flags.append({**date, "label": s.justification, "product_ids": mine})
        impact = s.impact_statement
        if not impact and s.status is VexStatus.NOT_AFFECTED:
            impact = s.detail or ("" if s.justification else _NO_REASON)
        if impact:
            threats.append({"category": "impact", **date, "details": impact, "product_ids": mine})
        action = s.action_statement
        if not action and s.status is VexStatus.AFFECTED:
            action = s.detail or _NO_ACTION
        if action:
            categories = list(dict.fromkeys(_REMEDIATION_OF[r] for r in s.responses))
            if "vendor_fix" in categories and "no_fix_planned" in categories:
                categories.remove("no_fix_planned")
            for remedy in categories or ["none_available"]:
                remediations.append(
                    {"category": remedy, **date, "details": action, "product_ids": mine}
                )
    if not status:
        raise VexError(
            f"the statements about {name} name no product; a CSAF VEX vulnerability needs at "
            "least one product id in its product_status"
        )
    out: dict[str, Any] = {}
    ids = aliases
    if _CVE.fullmatch(name):
        out["cve"] = name
    else:
        ids = [name, *aliases]
    if ids:
        out["ids"] = [{"system_name": _system_name(i), "text": i} for i in ids]
    out["notes"] = [
        {
            "category": "general",
            "text": f"The status of {name} in the products below, as stated by {author}.",
            "title": "VEX",
        }
    ]
    out["product_status"] = status
    if flags:
        out["flags"] = flags
    if threats:
        out["threats"] = threats
    if remediations:
        out["remediations"] = remediations
    return out

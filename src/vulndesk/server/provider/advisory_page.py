"""A published CSAF document as a human-readable advisory page (JVN's layout): what the template
shows, read leniently from the stored JSON.

The texts are the document's own, in its language (``document.lang``); the labels (product
status, remediation and note categories) are translated into the reader's. Stored documents
passed the validator, but the getters of :mod:`vulndesk.core.csafdoc.access` are used anyway so
an odd value shows as missing rather than breaking the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vulndesk.core.csafdoc.access import arr, obj, parse_date_time, strings, text
from vulndesk.server.provider.models import PublishedDocument

PRODUCT_STATUS_LABELS: dict[str, Promise] = {
    "known_affected": pgettext_lazy("CSAF product status", "Affected"),
    "first_affected": pgettext_lazy("CSAF product status", "First affected"),
    "last_affected": pgettext_lazy("CSAF product status", "Last affected"),
    "fixed": pgettext_lazy("CSAF product status", "Fixed"),
    "first_fixed": pgettext_lazy("CSAF product status", "First fixed"),
    "recommended": pgettext_lazy("CSAF product status", "Recommended"),
    "known_not_affected": pgettext_lazy("CSAF product status", "Not affected"),
    "under_investigation": pgettext_lazy("CSAF product status", "Under investigation"),
}
REMEDIATION_LABELS: dict[str, Promise] = {
    "vendor_fix": pgettext_lazy("CSAF remediation", "Vendor fix"),
    "mitigation": pgettext_lazy("CSAF remediation", "Mitigation"),
    "workaround": pgettext_lazy("CSAF remediation", "Workaround"),
    "none_available": pgettext_lazy("CSAF remediation", "None available"),
    "no_fix_planned": pgettext_lazy("CSAF remediation", "No fix planned"),
}
NOTE_LABELS: dict[str, Promise] = {
    "summary": pgettext_lazy("CSAF note", "Summary"),
    "description": pgettext_lazy("CSAF note", "Description"),
    "details": pgettext_lazy("CSAF note", "Details"),
    "general": pgettext_lazy("CSAF note", "General"),
    "faq": pgettext_lazy("CSAF note", "FAQ"),
    "legal_disclaimer": pgettext_lazy("CSAF note", "Legal disclaimer"),
    "other": pgettext_lazy("CSAF note", "Other"),
}
THREAT_LABELS: dict[str, Promise] = {
    "impact": pgettext_lazy("CSAF threat", "Impact"),
    "exploit_status": pgettext_lazy("CSAF threat", "Exploit status"),
    "target_set": pgettext_lazy("CSAF threat", "Target set"),
}
UNKNOWN = _("(unknown)")


@dataclass(frozen=True, slots=True)
class NoteView:
    label: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class ReferenceView:
    url: str
    summary: str


@dataclass(frozen=True, slots=True)
class ScoreView:
    version: str
    vector: str
    base_score: str
    severity: str
    products: list[str]


@dataclass(frozen=True, slots=True)
class ActionView:
    """A remediation or threat: its translated category, text and products."""

    label: str
    details: str
    products: list[str]
    url: str = ""


@dataclass(slots=True)
class VulnerabilityView:
    cve: str
    ids: list[str]
    title: str
    cwe: str
    notes: list[NoteView]
    statuses: list[tuple[str, list[str]]]
    scores: list[ScoreView]
    remediations: list[ActionView]
    threats: list[ActionView]
    references: list[ReferenceView]


@dataclass(slots=True)
class AdvisoryView:
    """Everything the advisory page shows."""

    tracking_id: str
    title: str
    version: str
    status: str
    lang: str
    tlp: str
    publisher: str
    initial_release: datetime | None
    current_release: datetime | None
    aliases: list[str]
    cves: list[str]
    notes: list[NoteView]
    references: list[ReferenceView]
    revisions: list[tuple[str, datetime | None, str]]
    vulnerabilities: list[VulnerabilityView]
    #: (product name, [status label per vulnerability, in order])
    product_rows: list[tuple[str, list[str]]] = field(default_factory=list)


def _product_names(tree: dict[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}

    def walk(branches: Any) -> None:
        for branch in arr(branches):
            branch = obj(branch)
            product = obj(branch.get("product"))
            if text(product.get("product_id")):
                names[product["product_id"]] = text(product.get("name")) or product["product_id"]
            walk(branch.get("branches"))

    walk(tree.get("branches"))
    full = list(arr(tree.get("full_product_names")))
    full += [obj(r).get("full_product_name") for r in arr(tree.get("relationships"))]
    for product in map(obj, full):
        if text(product.get("product_id")):
            names[product["product_id"]] = text(product.get("name")) or product["product_id"]
    return names


def _notes(value: Any) -> list[NoteView]:
    return [
        NoteView(
            str(NOTE_LABELS.get(str(note.get("category")), note.get("category", ""))),
            text(note.get("title")) or "",
            text(note.get("text")) or "",
        )
        for note in map(obj, arr(value))
    ]


def _web_url(value: Any) -> str:
    """Return ``value`` if it is an http(s) URL, else "": a page links nothing else (a CSAF
    ``url`` may be any URI, ``javascript:`` included)."""
    url = text(value) or ""
    return url if url.startswith(("https://", "http://")) else ""


def _references(value: Any) -> list[ReferenceView]:
    return [
        ReferenceView(_web_url(ref.get("url")), text(ref.get("summary")) or "")
        for ref in map(obj, arr(value))
        if _web_url(ref.get("url"))
    ]


def advisory_view(document: PublishedDocument) -> AdvisoryView:
    """Return the page data of ``document``, labels in the active language."""
    doc = obj(orjson.loads(bytes(document.content)))
    head = obj(doc.get("document"))
    tracking = obj(head.get("tracking"))
    names = _product_names(obj(doc.get("product_tree")))
    groups = {
        text(g.get("group_id")): strings(g.get("product_ids"))
        for g in map(obj, arr(obj(doc.get("product_tree")).get("product_groups")))
    }

    def products(item: dict[str, Any]) -> list[str]:
        ids = strings(item.get("product_ids")) + strings(item.get("products"))
        for group in strings(item.get("group_ids")):
            ids += groups.get(group, [])
        return [names.get(pid, pid) for pid in dict.fromkeys(ids)]

    vulnerabilities: list[VulnerabilityView] = []
    status_of: dict[str, list[str]] = {pid: [] for pid in names}
    for index, vuln in enumerate(map(obj, arr(doc.get("vulnerabilities")))):
        statuses = []
        product_status = obj(vuln.get("product_status"))
        for key, label in PRODUCT_STATUS_LABELS.items():
            ids = strings(product_status.get(key))
            if ids:
                statuses.append((str(label), [names.get(pid, pid) for pid in ids]))
            for pid in ids:
                status_of.setdefault(pid, [])
                status_of[pid] += [""] * (index - len(status_of[pid]))
                if len(status_of[pid]) == index:
                    status_of[pid].append(str(label))
        scores = []
        for score in map(obj, arr(vuln.get("scores"))):
            for key, version in (("cvss_v3", "CVSS v3"), ("cvss_v2", "CVSS v2")):
                cvss = obj(score.get(key))
                if cvss:
                    scores.append(
                        ScoreView(
                            f"CVSS v{cvss.get('version', version[-1])}",
                            text(cvss.get("vectorString")) or "",
                            str(cvss.get("baseScore", "")),
                            str(cvss.get("baseSeverity", "")),
                            products(score),
                        )
                    )
        cwe = obj(vuln.get("cwe"))
        vulnerabilities.append(
            VulnerabilityView(
                cve=text(vuln.get("cve")) or "",
                ids=[
                    f"{i.get('system_name')}: {i.get('text')}"
                    for i in map(obj, arr(vuln.get("ids")))
                ],
                title=text(vuln.get("title")) or "",
                cwe=f"{cwe.get('id')} {cwe.get('name')}" if cwe else "",
                notes=_notes(vuln.get("notes")),
                statuses=statuses,
                scores=scores,
                remediations=[
                    ActionView(
                        str(REMEDIATION_LABELS.get(str(r.get("category")), r.get("category", ""))),
                        text(r.get("details")) or "",
                        products(r),
                        _web_url(r.get("url")),
                    )
                    for r in map(obj, arr(vuln.get("remediations")))
                ],
                threats=[
                    ActionView(
                        str(THREAT_LABELS.get(str(t.get("category")), t.get("category", ""))),
                        text(t.get("details")) or "",
                        products(t),
                    )
                    for t in map(obj, arr(vuln.get("threats")))
                ],
                references=_references(vuln.get("references")),
            )
        )
    count = len(vulnerabilities)
    rows = [
        (names.get(pid, pid), (labels + [""] * count)[:count])
        for pid, labels in status_of.items()
        if any(labels)
    ]
    return AdvisoryView(
        tracking_id=document.tracking_id,
        title=text(head.get("title")) or document.title,
        version=document.version,
        status=text(tracking.get("status")) or "",
        lang=text(head.get("lang")) or "",
        tlp=document.tlp,
        publisher=text(obj(head.get("publisher")).get("name")) or str(UNKNOWN),
        initial_release=parse_date_time(tracking.get("initial_release_date")),
        current_release=parse_date_time(tracking.get("current_release_date")),
        aliases=strings(tracking.get("aliases")),
        cves=[v.cve for v in vulnerabilities if v.cve],
        notes=_notes(head.get("notes")),
        references=_references(head.get("references")),
        revisions=[
            (
                text(r.get("number")) or "",
                parse_date_time(r.get("date")),
                text(r.get("summary")) or "",
            )
            for r in map(obj, arr(tracking.get("revision_history")))
        ],
        vulnerabilities=vulnerabilities,
        product_rows=rows,
    )

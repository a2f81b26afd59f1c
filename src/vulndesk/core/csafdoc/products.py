"""Mandatory tests about the product tree and the products a document refers to.

6.1.1 to 6.1.7, 6.1.13, 6.1.25, 6.1.29 and 6.1.31 to 6.1.33 of CSAF 2.0. A product is defined
by a Full Product Name (``full_product_name_t``) in a branch, in ``full_product_names`` or in a
relationship; everything else refers to it by ``product_id`` or, through a product group, by
``group_id``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from packageurl import PackageURL

from vulndesk.core.csafdoc.access import arr, child, indexed, obj, strings, text, vulnerabilities
from vulndesk.core.csafdoc.registry import Finding, mandatory
from vulndesk.core.csafdoc.schema import PRODUCT_STATUS_KEYS

_TREE = "$.product_tree"

#: section 3.2.3.5: the flag labels that are VEX justification codes (all of 2.0's labels)
VEX_JUSTIFICATIONS = frozenset(
    {
        "component_not_present",
        "inline_mitigations_already_exist",
        "vulnerable_code_cannot_be_controlled_by_adversary",
        "vulnerable_code_not_in_execute_path",
        "vulnerable_code_not_present",
    }
)

#: 6.1.6: product status lists whose sets must be pairwise disjoint (``recommended`` is in none)
_CONTRADICTION_GROUPS = {
    "first_affected": "affected",
    "known_affected": "affected",
    "last_affected": "affected",
    "known_not_affected": "not affected",
    "first_fixed": "fixed",
    "fixed": "fixed",
    "under_investigation": "under investigation",
}

#: 6.1.31: what a ``product_version`` branch name must not contain, lower-cased
_RANGE_WORDS = ("<", ">", "after", "all", "before", "earlier", "later", "prior", "versions")


def branches(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(path, branch)`` for every branch of the product tree, depth first, iteratively."""
    tree = obj(doc.get("product_tree"))
    stack = list(indexed(tree.get("branches"), child(_TREE, "branches")))[::-1]
    while stack:
        path, branch = stack.pop()
        yield path, branch
        stack.extend(list(indexed(branch.get("branches"), child(path, "branches")))[::-1])


def full_product_names(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(path, full_product_name)`` for every product definition in the document."""
    for path, branch in branches(doc):
        if isinstance(branch.get("product"), dict):
            yield child(path, "product"), branch["product"]
    tree = obj(doc.get("product_tree"))
    yield from indexed(tree.get("full_product_names"), child(_TREE, "full_product_names"))
    for path, relationship in indexed(tree.get("relationships"), child(_TREE, "relationships")):
        if isinstance(relationship.get("full_product_name"), dict):
            yield child(path, "full_product_name"), relationship["full_product_name"]


def defined_product_ids(doc: dict[str, Any]) -> set[str]:
    """Return every product id defined by a Full Product Name."""
    return {
        pid
        for _, fpn in full_product_names(doc)
        if (pid := text(fpn.get("product_id"))) is not None
    }


def product_groups(doc: dict[str, Any]) -> dict[str, set[str]]:
    """Return group id -> the product ids of its group (merged when a group id is repeated)."""
    groups: dict[str, set[str]] = {}
    for _, group in indexed(obj(doc.get("product_tree")).get("product_groups"), ""):
        if (gid := text(group.get("group_id"))) is not None:
            groups.setdefault(gid, set()).update(strings(group.get("product_ids")))
    return groups


def products_of(item: dict[str, Any], groups: dict[str, set[str]]) -> set[str]:
    """Return the product ids an item (remediation, threat, flag) names, directly or by group."""
    ids = set(strings(item.get("product_ids")))
    for gid in strings(item.get("group_ids")):
        ids |= groups.get(gid, set())
    return ids


def _product_references(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield ``(path, product_id)`` for every reference to a product (6.1.1's paths, plus
    ``flags[].product_ids``, which refer to products the same way)."""
    tree = obj(doc.get("product_tree"))
    for path, group in indexed(tree.get("product_groups"), child(_TREE, "product_groups")):
        yield from _ids_at(group.get("product_ids"), child(path, "product_ids"))
    for path, rel in indexed(tree.get("relationships"), child(_TREE, "relationships")):
        for key in ("product_reference", "relates_to_product_reference"):
            if (pid := text(rel.get(key))) is not None:
                yield child(path, key), pid
    for vpath, vuln in vulnerabilities(doc):
        status = obj(vuln.get("product_status"))
        for key in PRODUCT_STATUS_KEYS:
            yield from _ids_at(status.get(key), child(child(vpath, "product_status"), key))
        for key, ids in (
            ("remediations", "product_ids"),
            ("scores", "products"),
            ("threats", "product_ids"),
            ("flags", "product_ids"),
        ):
            for path, item in indexed(vuln.get(key), child(vpath, key)):
                yield from _ids_at(item.get(ids), child(path, ids))


def _ids_at(value: Any, path: str) -> Iterator[tuple[str, str]]:
    for i, item in enumerate(arr(value)):
        if isinstance(item, str):
            yield child(path, i), item


@mandatory("6.1.1", "Missing Definition of Product ID")
def missing_product_id_definition(doc: dict[str, Any]) -> Iterator[Finding]:
    """Every product id referred to is defined by a Full Product Name."""
    defined = defined_product_ids(doc)
    for path, pid in _product_references(doc):
        if pid not in defined:
            yield path, f"product id {pid!r} is not defined in the product tree"


@mandatory("6.1.2", "Multiple Definition of Product ID")
def multiple_product_id_definition(doc: dict[str, Any]) -> Iterator[Finding]:
    """No product id is defined by two Full Product Names."""
    first: dict[str, str] = {}
    for path, fpn in full_product_names(doc):
        if (pid := text(fpn.get("product_id"))) is None:
            continue
        if pid in first:
            yield (
                child(path, "product_id"),
                (f"product id {pid!r} is already defined at {first[pid]}"),
            )
        else:
            first[pid] = child(path, "product_id")


@mandatory("6.1.3", "Circular Definition of Product ID")
def circular_product_id_definition(doc: dict[str, Any]) -> Iterator[Finding]:
    """No product defined by a relationship is built, directly or not, from itself."""
    relationships = list(
        indexed(obj(doc.get("product_tree")).get("relationships"), child(_TREE, "relationships"))
    )
    built_from: dict[str, set[str]] = {}
    for _, rel in relationships:
        pid = text(obj(rel.get("full_product_name")).get("product_id"))
        if pid is not None:
            refs = {
                text(rel.get("product_reference")),
                text(rel.get("relates_to_product_reference")),
            }
            built_from.setdefault(pid, set()).update(r for r in refs if r is not None)
    reported: set[str] = set()
    for path, rel in relationships:
        pid = text(obj(rel.get("full_product_name")).get("product_id"))
        if pid is None or pid in reported:
            continue
        # Iterative search: can pid be reached again by following what it is built from?
        seen: set[str] = set()
        stack = list(built_from.get(pid, ()))
        while stack:
            current = stack.pop()
            if current == pid:
                reported.add(pid)
                yield (
                    child(child(path, "full_product_name"), "product_id"),
                    (f"product id {pid!r} is defined by a relationship that refers back to itself"),
                )
                break
            if current not in seen:
                seen.add(current)
                stack.extend(built_from.get(current, ()))


@mandatory("6.1.4", "Missing Definition of Product Group ID")
def missing_group_id_definition(doc: dict[str, Any]) -> Iterator[Finding]:
    """Every group id referred to is defined in ``/product_tree/product_groups``."""
    defined = set(product_groups(doc))
    for vpath, vuln in vulnerabilities(doc):
        for key in ("remediations", "threats", "flags"):
            for path, item in indexed(vuln.get(key), child(vpath, key)):
                for gpath, gid in _ids_at(item.get("group_ids"), child(path, "group_ids")):
                    if gid not in defined:
                        yield gpath, f"product group id {gid!r} is not defined in the product tree"


@mandatory("6.1.5", "Multiple Definition of Product Group ID")
def multiple_group_id_definition(doc: dict[str, Any]) -> Iterator[Finding]:
    """No group id is defined twice."""
    first: dict[str, str] = {}
    groups = obj(doc.get("product_tree")).get("product_groups")
    for path, group in indexed(groups, child(_TREE, "product_groups")):
        if (gid := text(group.get("group_id"))) is None:
            continue
        if gid in first:
            yield child(path, "group_id"), f"group id {gid!r} is already defined at {first[gid]}"
        else:
            first[gid] = child(path, "group_id")


@mandatory("6.1.6", "Contradicting Product Status")
def contradicting_product_status(doc: dict[str, Any]) -> Iterator[Finding]:
    """No product is in two of the groups affected, not affected, fixed, under investigation."""
    for vpath, vuln in vulnerabilities(doc):
        status = obj(vuln.get("product_status"))
        membership: dict[str, dict[str, str]] = {}  # product id -> group -> first list
        for key, group in _CONTRADICTION_GROUPS.items():
            for pid in strings(status.get(key)):
                membership.setdefault(pid, {}).setdefault(group, key)
        for pid, groups in membership.items():
            if len(groups) > 1:
                named = " and ".join(f"{g!r} ({k})" for g, k in groups.items())
                yield (
                    child(vpath, "product_status"),
                    (f"product id {pid!r} is in contradicting product status groups {named}"),
                )


@mandatory("6.1.7", "Multiple Scores with same Version per Product")
def multiple_scores_per_version(doc: dict[str, Any]) -> Iterator[Finding]:
    """No product has two CVSS scores of the same CVSS version in one vulnerability."""
    for vpath, vuln in vulnerabilities(doc):
        first: dict[tuple[str, str], int] = {}
        for i, score in enumerate(arr(vuln.get("scores"))):
            if not isinstance(score, dict):
                continue
            versions = []
            if isinstance(score.get("cvss_v2"), dict):
                versions.append(text(score["cvss_v2"].get("version")) or "2.0")
            if isinstance(score.get("cvss_v3"), dict):
                versions.append(text(score["cvss_v3"].get("version")) or "3.x")
            for pid in strings(score.get("products")):
                for version in versions:
                    if (pid, version) in first:
                        yield (
                            child(child(vpath, "scores"), i),
                            (
                                f"product id {pid!r} already has a CVSS {version} score in "
                                f"scores[{first[pid, version]}]"
                            ),
                        )
                    else:
                        first[pid, version] = i


@mandatory("6.1.13", "PURL")
def invalid_purl(doc: dict[str, Any]) -> Iterator[Finding]:
    """Every ``purl`` is a valid package URL (by packageurl-python, the spec's reference)."""
    for path, fpn in full_product_names(doc):
        purl = text(obj(fpn.get("product_identification_helper")).get("purl"))
        if purl is None:
            continue
        try:
            PackageURL.from_string(purl)
        except ValueError as e:
            yield (
                child(child(path, "product_identification_helper"), "purl"),
                (f"invalid package URL {purl!r}: {e}"),
            )


@mandatory("6.1.25", "Multiple Use of Same Hash Algorithm")
def multiple_hash_algorithm(doc: dict[str, Any]) -> Iterator[Finding]:
    """No hash algorithm appears twice in one ``file_hashes`` list."""
    for path, fpn in full_product_names(doc):
        helper_path = child(path, "product_identification_helper")
        hashes = obj(fpn.get("product_identification_helper")).get("hashes")
        for hpath, item in indexed(hashes, child(helper_path, "hashes")):
            seen: set[str] = set()
            for fpath, file_hash in indexed(item.get("file_hashes"), child(hpath, "file_hashes")):
                if (algorithm := text(file_hash.get("algorithm"))) is None:
                    continue
                if algorithm in seen:
                    yield (
                        child(fpath, "algorithm"),
                        (f"hash algorithm {algorithm!r} is used more than once for one file"),
                    )
                seen.add(algorithm)


@mandatory("6.1.29", "Remediation without Product Reference")
def remediation_without_product(doc: dict[str, Any]) -> Iterator[Finding]:
    """Every remediation names ``product_ids`` or ``group_ids``."""
    for vpath, vuln in vulnerabilities(doc):
        for path, item in indexed(vuln.get("remediations"), child(vpath, "remediations")):
            if "product_ids" not in item and "group_ids" not in item:
                yield (
                    path,
                    "a remediation must name the products it applies to: expected "
                    "'product_ids' or 'group_ids'",
                )


@mandatory("6.1.31", "Version Range in Product Version")
def version_range_in_product_version(doc: dict[str, Any]) -> Iterator[Finding]:
    """No ``product_version`` branch names a range (that is what ``product_version_range`` is
    for); the standard deems a list of telltale words sufficient to find one."""
    for path, branch in branches(doc):
        name = text(branch.get("name"))
        if branch.get("category") != "product_version" or name is None:
            continue
        found = [word for word in _RANGE_WORDS if word in name.lower()]
        if found:
            yield (
                child(path, "name"),
                (
                    f"product_version {name!r} looks like a version range (contains "
                    f"{', '.join(repr(w) for w in found)}): use category 'product_version_range'"
                ),
            )


@mandatory("6.1.32", "Flag without Product Reference")
def flag_without_product(doc: dict[str, Any]) -> Iterator[Finding]:
    """Every flag names ``product_ids`` or ``group_ids``."""
    for vpath, vuln in vulnerabilities(doc):
        for path, item in indexed(vuln.get("flags"), child(vpath, "flags")):
            if "product_ids" not in item and "group_ids" not in item:
                yield (
                    path,
                    "a flag must name the products it applies to: expected "
                    "'product_ids' or 'group_ids'",
                )


@mandatory("6.1.33", "Multiple Flags with VEX Justification Codes per Product")
def multiple_vex_flags_per_product(doc: dict[str, Any]) -> Iterator[Finding]:
    """No product gets two VEX justification flags in one vulnerability, groups included."""
    groups = product_groups(doc)
    for vpath, vuln in vulnerabilities(doc):
        first: dict[str, int] = {}
        for i, flag in enumerate(arr(vuln.get("flags"))):
            if not isinstance(flag, dict) or flag.get("label") not in VEX_JUSTIFICATIONS:
                continue
            for pid in sorted(products_of(flag, groups)):
                if pid in first:
                    yield (
                        child(child(vpath, "flags"), i),
                        (
                            f"product id {pid!r} already has a VEX justification in "
                            f"flags[{first[pid]}]"
                        ),
                    )
                else:
                    first[pid] = i

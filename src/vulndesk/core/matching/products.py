"""Matching a component against vendor/product statements (CVE 5 ``affected[]``, CSAF, JVN).

ICS products, appliances and firmware are named by vendor and product names, model numbers and
firmware versions far more often than by package URL, and the same product is spelt differently
by every source ("product name fluctuation"). This module decides, for one component and one
:class:`~vulndesk.core.advisories.model.ProductStatement`, *whether the statement names the
component* and *what it says about the component's version*.

**Identity.** The strongest identifier both sides carry decides, and sets the confidence:

1. ``purl``: equal once normalised, without version (a statement purl *with* a version names that
   version only) -> ``high``;
2. ``hash``: an equal ``algorithm:hex`` (``SHA-256`` is ``sha256``) -> ``high``;
3. ``cpe``: a statement CPE and a component CPE whose IR 7696 relations are neither DISJOINT nor
   UNDEFINED on every attribute but version and update (the versions[] decide those), where both
   name vendor and product and the statement's vendor and product are EQUAL or a wildcard
   SUPERSET of the component's (the vendor/product rule of :mod:`.cpe_match`) -> ``medium``;
4. ``model_number``: the component's model number or name equals a statement model number or SKU
   once normalised (:func:`normalize_name`); when both sides name a vendor the vendors must be
   the same too -> ``medium``, or ``low`` when the component names no vendor;
5. ``name``: vendor *and* product equal once normalised -> ``low``. The component's vendor
   names are its supplier (and any given), plus the vendor of its CPEs; its product names are
   its name plus the product of its CPEs. Never a substring or a fuzzy guess, never a product
   name without a vendor: "mysql" of nobody is not Oracle's MySQL.

Vendor names are normalised by :func:`normalize_vendor` (case, width, punctuation, spaces,
underscores, hyphens, and trailing corporate designators: "Mitsubishi Electric Corporation",
"Mitsubishi Electric" and "mitsubishielectric" are one vendor, as are "FUJI ELECTRIC CO., LTD."
and "Fuji Electric", and "三菱電機株式会社" and "三菱電機"). Product names by :func:`normalize_name`
(the same without the designators). ``n/a``, ``unknown`` and empty names never match.

**Versions** (:func:`evaluate_versions`) follow the CVE JSON 5 schema's evaluation of
``versions[]``: entries are tried in order and the first that covers the version decides. An entry
without ``lessThan``/``lessThanOrEqual``/``changes`` names one version (equal strings, or equal in
the ordering); one with them is a range from ``version`` (``0``, ``*``, ``unspecified``: from the
start) to ``lessThan``/``lessThanOrEqual`` (``*``: no end), whose status is then changed by each
``changes`` entry at or below the version, in order. A version no entry covers gets
``defaultStatus``. ``versionType`` picks the ordering: the vulndesk scheme it names (``semver``,
``maven``, ``pypi``/``python``, ``npm``, ``deb``, ``rpm``, ``gem``, ``nuget``, ``composer``,
``go``, ``apk``), falling back on the generic ordering of :mod:`.cpe_match` for a pair the scheme
rejects (records often mark "2.1" as semver); ``git`` versions are commits and are only ever
equal or unknown; anything else (``custom``, none) uses the generic ordering. When the ordering
cannot place the version against an entry, the status is ``unknown``, never a guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from vulndesk.core.advisories.model import ProductStatement, VersionEntry
from vulndesk.core.errors import IdentifierError, InvalidVersion
from vulndesk.core.ids.cpe import ATTRIBUTES, Cpe, parse_cpe, wfn_unquote
from vulndesk.core.ids.purl import parse_purl, purl_without_version
from vulndesk.core.matching.cpe_match import (
    Confidence,
    Relation,
    compare_names,
    compare_versions,
    vendor_product_problem,
)
from vulndesk.core.sbom.model import Component
from vulndesk.core.versions.base import VersionScheme
from vulndesk.core.versions.registry import scheme_by_name

__all__ = [
    "MatchedBy",
    "ProductIdentity",
    "ProductMatch",
    "ProductQuery",
    "ProductStatus",
    "VersionStatus",
    "evaluate_versions",
    "identify_product",
    "match_product",
    "match_products",
    "normalize_hash",
    "normalize_name",
    "normalize_vendor",
    "product_query",
    "same_product",
]

ProductStatus = Literal["affected", "unaffected", "unknown"]
MatchedBy = Literal["purl", "hash", "cpe", "model_number", "name"]

# --- names -------------------------------------------------------------------------------------

_NOT_A_NAME: Final = frozenset({"", "na", "unknown", "unspecified", "none"})
# Trailing corporate designators (after dots are dropped: "Co., Ltd." -> "co", "ltd"). Only
# whole words at the end are removed, and never the last word.
_CORPORATE: Final = frozenset(
    {
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "ltd",
        "limited",
        "llc",
        "llp",
        "plc",
        "gmbh",
        "ag",
        "kg",
        "se",
        "sa",
        "sas",
        "spa",
        "srl",
        "bv",
        "nv",
        "oy",
        "oyj",
        "ab",
        "pty",
        "pte",
        "kk",
        "kabushiki",
        "kaisha",
        "holdings",
    }
)
# Japanese company designators, at either end of a name written in Japanese
_JAPANESE_CORPORATE: Final = ("株式会社", "有限会社", "合同会社", "(株)", "(有)")
_WORDS: Final = re.compile(r"[^\W_]+")


def normalize_name(text: str) -> str:
    """Return ``text`` for comparison: NFKC, case-folded, letters and digits only.

    ``"MELSEC iQ-R"``, ``"melsec_iq-r"`` and ``"MELSEC IQ R"`` all become ``"melseciqr"``.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(_WORDS.findall(folded))


def normalize_vendor(text: str) -> str:
    """Return a vendor name for comparison: :func:`normalize_name` without corporate designators.

    ``"Mitsubishi Electric Corporation"``, ``"MITSUBISHI ELECTRIC CO., LTD."`` and
    ``"mitsubishielectric"`` all become ``"mitsubishielectric"``.
    """
    folded = unicodedata.normalize("NFKC", text).casefold().strip()
    for designator in _JAPANESE_CORPORATE:
        folded = folded.removeprefix(designator).removesuffix(designator).strip()
    words = _WORDS.findall(folded.replace(".", ""))
    while len(words) > 1 and words[-1] in _CORPORATE:
        words.pop()
    return "".join(words)


def _is_name(normalised: str) -> bool:
    return normalised not in _NOT_A_NAME


def same_product(vendor_a: str, product_a: str, vendor_b: str, product_b: str) -> bool:
    """Return whether two vendor/product name pairs name the same product.

    Both normalised vendors and both normalised products must be equal (and be names, not
    ``n/a``); nothing else counts.
    """
    vendor, other_vendor = normalize_vendor(vendor_a), normalize_vendor(vendor_b)
    product, other_product = normalize_name(product_a), normalize_name(product_b)
    return (
        _is_name(vendor)
        and _is_name(product)
        and vendor == other_vendor
        and product == other_product
    )


def normalize_hash(text: str) -> str:
    """Return ``algorithm:hex`` with the algorithm lower-cased without ``-``/``_`` (``sha256``)."""
    algorithm, _, value = text.partition(":")
    return f"{re.sub(r'[-_ ]', '', algorithm).lower()}:{value.strip().lower()}"


# --- the component side --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductQuery:
    """What a component offers for product matching.

    ``vendors`` are names as written (a supplier, a manufacturer); ``hashes`` are
    ``algorithm:hex``; ``cpes`` and ``purls`` as written.
    """

    name: str
    version: str | None = None
    vendors: tuple[str, ...] = ()
    cpes: tuple[str, ...] = ()
    purls: tuple[str, ...] = ()
    model_numbers: tuple[str, ...] = ()
    hashes: tuple[str, ...] = ()


def product_query(
    component: Component,
    *,
    vendors: Iterable[str] = (),
    model_numbers: Iterable[str] = (),
) -> ProductQuery:
    """Return the :class:`ProductQuery` of a component: its supplier as vendor, CPEs, purl and
    hashes, plus the ``vendors`` and ``model_numbers`` the caller knows (the SBOM model has no
    field for either)."""
    names = [*([component.supplier] if component.supplier else []), *vendors]
    return ProductQuery(
        name=component.name,
        version=component.version,
        vendors=tuple(names),
        cpes=component.cpes,
        purls=(component.purl,) if component.purl else (),
        model_numbers=tuple(model_numbers),
        hashes=tuple(f"{h.alg}:{h.value}" for h in component.hashes),
    )


# --- identity --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductIdentity:
    """How a statement names a component: by what, the value that matched, how sure we are."""

    matched_by: MatchedBy
    matched: str
    confidence: Confidence
    problems: tuple[str, ...] = ()


def identify_product(query: ProductQuery, statement: ProductStatement) -> ProductIdentity | None:
    """Return how ``statement`` names the component of ``query`` (the strongest way), or None."""
    problems: list[str] = []
    for finder in (_by_purl, _by_hash, _by_cpe, _by_model_number, _by_name):
        found = finder(query, statement, problems)
        if found is not None:
            return ProductIdentity(found[0], found[1], found[2], tuple(problems))
    return None


_Found = tuple[MatchedBy, str, Confidence] | None


def _by_purl(query: ProductQuery, statement: ProductStatement, problems: list[str]) -> _Found:
    mine = []
    for text in query.purls:
        try:
            mine.append(parse_purl(text))
        except IdentifierError as e:
            problems.append(f"component purl skipped: {e}")
    for text in statement.purls:
        try:
            theirs = parse_purl(text)
        except IdentifierError as e:
            problems.append(f"statement purl skipped: {e}")
            continue
        key = purl_without_version(theirs)
        for purl in mine:
            if purl_without_version(purl) != key:
                continue
            version = purl.version or query.version
            if theirs.version is None or theirs.version == version:
                return "purl", theirs.to_string(), "high"
    return None


def _by_hash(query: ProductQuery, statement: ProductStatement, problems: list[str]) -> _Found:
    mine = {normalize_hash(h) for h in query.hashes}
    for text in statement.hashes:
        if normalize_hash(text) in mine:
            return "hash", normalize_hash(text), "high"
    return None


# the attributes a product CPE identifies the product by: all but version and update
_IDENTITY_ATTRIBUTES: Final = tuple(
    i for i, name in enumerate(ATTRIBUTES) if name not in ("version", "update")
)


def _by_cpe(query: ProductQuery, statement: ProductStatement, problems: list[str]) -> _Found:
    mine = _read_cpes(query.cpes, "component", problems)
    for theirs in _read_cpes(statement.cpes, "statement", problems):
        for cpe in mine:
            if _cpe_names_product(theirs, cpe):
                return "cpe", theirs.to_formatted_string(), "medium"
    return None


def _cpe_names_product(statement_cpe: Cpe, component_cpe: Cpe) -> bool:
    """Return whether a statement CPE names the product of a component CPE (module docstring)."""
    if vendor_product_problem(component_cpe):
        return False
    if not isinstance(statement_cpe.vendor, str) or not isinstance(statement_cpe.product, str):
        return False
    relations = compare_names(statement_cpe, component_cpe)
    if relations[1] not in _VENDOR_PRODUCT_OK or relations[2] not in _VENDOR_PRODUCT_OK:
        return False
    return all(
        relations[i] not in (Relation.DISJOINT, Relation.UNDEFINED) for i in _IDENTITY_ATTRIBUTES
    )


_VENDOR_PRODUCT_OK: Final = (Relation.EQUAL, Relation.SUPERSET)


def _read_cpes(texts: Iterable[str], label: str, problems: list[str]) -> list[Cpe]:
    read = []
    for text in texts:
        try:
            read.append(parse_cpe(text))
        except IdentifierError as e:
            problems.append(f"{label} CPE skipped: {e}")
    return read


def _query_names(query: ProductQuery) -> tuple[set[str], set[str]]:
    """Return the component's normalised vendor names and product names (module docstring)."""
    vendors = {normalize_vendor(v) for v in query.vendors}
    products = {normalize_name(query.name)}
    for text in query.cpes:
        try:
            cpe = parse_cpe(text)
        except IdentifierError:
            continue  # reported by _by_cpe
        if vendor_product_problem(cpe) is None:
            vendors.add(normalize_vendor(wfn_unquote(cpe.vendor)))
            products.add(normalize_name(wfn_unquote(cpe.product)))
    return {v for v in vendors if _is_name(v)}, {p for p in products if _is_name(p)}


def _by_model_number(
    query: ProductQuery, statement: ProductStatement, problems: list[str]
) -> _Found:
    theirs = {normalize_name(m): m for m in (*statement.model_numbers, *statement.skus)}
    theirs = {key: value for key, value in theirs.items() if _is_name(key)}
    if not theirs:
        return None
    mine = {normalize_name(m) for m in (*query.model_numbers, query.name)}
    found = next((theirs[key] for key in mine if key in theirs), None)
    if found is None:
        return None
    vendors, _ = _query_names(query)
    statement_vendor = normalize_vendor(statement.vendor)
    if not vendors or not _is_name(statement_vendor):
        return "model_number", found, "low"
    if statement_vendor in vendors:
        return "model_number", found, "medium"
    return None


def _by_name(query: ProductQuery, statement: ProductStatement, problems: list[str]) -> _Found:
    vendor, product = normalize_vendor(statement.vendor), normalize_name(statement.product)
    if not _is_name(vendor) or not _is_name(product):
        return None
    vendors, products = _query_names(query)
    if vendor in vendors and product in products:
        return "name", f"{statement.vendor} {statement.product}", "low"
    return None


# --- versions ----------------------------------------------------------------------------------

# CVE 5 versionType -> vulndesk scheme name; "git" has no ordering; anything else is generic
_VERSION_TYPES: Final = {
    "semver": "semver",
    "npm": "semver",
    "maven": "maven",
    "pypi": "pypi",
    "python": "pypi",
    "pep440": "pypi",
    "deb": "deb",
    "debian": "deb",
    "dpkg": "deb",
    "rpm": "rpm",
    "gem": "gem",
    "rubygems": "gem",
    "nuget": "nuget",
    "composer": "composer",
    "go": "golang",
    "golang": "golang",
    "apk": "apk",
}
_FROM_START: Final = frozenset({"0", "*", "", "unspecified", "n/a"})
_NO_VERSION: Final = frozenset({"", "n/a", "unspecified", "unknown"})


@dataclass(frozen=True, slots=True)
class VersionStatus:
    """What a statement's versions say about one version, and which rule said it."""

    status: ProductStatus
    rule: str
    problems: tuple[str, ...] = ()


class _Ordering:
    """Compares versions as one ``versionType`` says (module docstring)."""

    def __init__(self, version_type: str | None) -> None:
        self.version_type = (version_type or "").strip().lower()
        name = _VERSION_TYPES.get(self.version_type)
        self.scheme: VersionScheme | None = scheme_by_name(name) if name else None

    def compare(self, a: str, b: str) -> int | None:
        """Return -1, 0, 1, or None when the two cannot be ordered."""
        if a.strip() == b.strip():
            return 0
        if self.version_type == "git":
            return None
        if self.scheme is not None:
            try:
                return self.scheme.compare(a, b)
            except InvalidVersion:
                pass  # fall back on the generic ordering (module docstring)
        return compare_versions(a, b)


def _status(text: str) -> ProductStatus:
    lowered = text.strip().lower()
    if lowered == "affected":
        return "affected"
    if lowered == "unaffected":
        return "unaffected"
    return "unknown"


def evaluate_versions(statement: ProductStatement, version: str | None) -> VersionStatus:
    """Return the status a statement's ``versions[]`` and ``defaultStatus`` give ``version``.

    With no version (None or empty), the answer is the one status every entry and the default
    agree on, else ``unknown``.
    """
    default = _status(statement.default_status)
    if version is None or not version.strip():
        statuses = {default, *(_status(e.status) for e in statement.versions)}
        statuses |= {_status(s) for e in statement.versions for _, s in e.changes}
        if len(statuses) == 1:
            return VersionStatus(default, "every version has this status")
        return VersionStatus("unknown", "the component has no version")
    for entry in statement.versions:
        decided = _evaluate_entry(entry, version)
        if decided is not None:
            return decided
    return VersionStatus(default, "defaultStatus")


def _evaluate_entry(entry: VersionEntry, version: str) -> VersionStatus | None:
    """Return the status one entry gives ``version``, or None when the entry does not cover it."""
    ordering = _Ordering(entry.version_type)
    start = entry.version.strip()
    status = _status(entry.status)
    if entry.less_than is None and entry.less_than_or_equal is None and not entry.changes:
        if start == "*":
            return VersionStatus(status, "version * (every version)")
        if start.lower() in _NO_VERSION:
            return VersionStatus(
                "unknown",
                f"version {entry.version!r}",
                (f"an entry says {entry.status!r} without naming a version",),
            )
        return (
            VersionStatus(status, f"version {start}")
            if ordering.compare(version, start) == 0
            else None
        )
    rule = _range_rule(entry)
    if start.lower() not in _FROM_START:
        order = ordering.compare(version, start)
        if order is None:
            return _cannot_order(version, start, rule)
        if order < 0:
            return None
    for bound, allowed in ((entry.less_than, (-1,)), (entry.less_than_or_equal, (-1, 0))):
        if bound is None or bound.strip() == "*":
            continue
        order = ordering.compare(version, bound)
        if order is None:
            return _cannot_order(version, bound, rule)
        if order not in allowed:
            return None
    for at, changed in entry.changes:
        order = ordering.compare(version, at)
        if order is None:
            return _cannot_order(version, at, rule)
        if order >= 0:
            status = _status(changed)
            rule = f"{rule}, changed to {changed} at {at}"
    return VersionStatus(status, rule)


def _range_rule(entry: VersionEntry) -> str:
    parts = [] if entry.version.strip().lower() in _FROM_START else [f">={entry.version}"]
    if entry.less_than is not None and entry.less_than.strip() != "*":
        parts.append(f"<{entry.less_than}")
    if entry.less_than_or_equal is not None and entry.less_than_or_equal.strip() != "*":
        parts.append(f"<={entry.less_than_or_equal}")
    shown = ", ".join(parts) or "every version"
    return f"{shown} ({entry.version_type})" if entry.version_type else shown


def _cannot_order(version: str, bound: str, rule: str) -> VersionStatus:
    return VersionStatus(
        "unknown", rule, (f"version {version!r} cannot be ordered against {bound!r}",)
    )


# --- both ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductMatch:
    """A statement that names the component, and its verdict on the component's version.

    ``matched_by``/``matched``: the identifier that tied them (a purl, ``sha256:...``, a CPE, a
    model number, ``vendor product``); ``rule``: the versions[] entry (or ``defaultStatus``)
    that decided the status.
    """

    status: ProductStatus
    confidence: Confidence
    matched_by: MatchedBy
    matched: str
    rule: str
    product_id: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def affected(self) -> bool:
        """Return whether the statement says the component is affected."""
        return self.status == "affected"


def match_product(query: ProductQuery, statement: ProductStatement) -> ProductMatch | None:
    """Return what ``statement`` says about the component, or None when it does not name it."""
    identity = identify_product(query, statement)
    if identity is None:
        return None
    verdict = evaluate_versions(statement, query.version)
    return ProductMatch(
        status=verdict.status,
        confidence=identity.confidence,
        matched_by=identity.matched_by,
        matched=identity.matched,
        rule=verdict.rule,
        product_id=statement.product_id,
        problems=(*identity.problems, *verdict.problems),
    )


def match_products(
    query: ProductQuery, statements: Iterable[ProductStatement]
) -> tuple[ProductMatch, ...]:
    """Return the matches of every statement that names the component, in statement order."""
    matches = (match_product(query, statement) for statement in statements)
    return tuple(m for m in matches if m is not None)

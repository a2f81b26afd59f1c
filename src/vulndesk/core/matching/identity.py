"""From a component's purl to the keys its advisories are stored under, and back.

Advisories are indexed by :class:`LookupKey` ``(ecosystem, name)``: :func:`affected_lookup_key`
gives the key of an OSV ``affected[]`` entry and :func:`component_query` the keys (and versions)
to look a component up with. Both sides meet on the same normalisation:
:func:`~vulndesk.core.advisories.osv.lookup_name` for names and :func:`index_ecosystem` for the
ecosystem.

Language packages map by purl type (reference/osv.md, ecosystem table): pypi -> PyPI, npm -> npm
(``@scope/name``), golang -> Go (module path ``namespace/name``), cargo -> crates.io, maven ->
Maven (``group:artifact``), gem -> RubyGems, nuget -> NuGet, composer -> Packagist
(``vendor/name``), hex -> Hex, pub -> Pub, swift -> SwiftURL (``host/owner/repo``), bitnami ->
Bitnami, hackage -> Hackage, cran -> CRAN.

Distribution packages map by the purl's namespace (the vendor) and its ``distro`` qualifier, which
names the release; the release is never guessed, so a deb/rpm/apk purl without ``distro`` is not
evaluated:

- ``pkg:rpm/almalinux/...?distro=almalinux-9.2`` -> ``AlmaLinux:9`` (also ``alma``), likewise
  ``rocky``/``rockylinux`` -> ``Rocky Linux:9``. The unscoped ecosystem (``AlmaLinux``) is looked
  up too: the schema allows an ecosystem without a release suffix, meaning every release.
- ``pkg:rpm/redhat/...?distro=rhel-9.2`` (``redhat-9.2``) -> ``Red Hat:9``. Red Hat's OSV
  ecosystems name a product stream, ``Red Hat:enterprise_linux:9::appstream``; a purl does not say
  which stream a package came from. :func:`index_ecosystem` therefore files every *main-line*
  stream of a major release (``enterprise_linux:9::<repository>``) under ``Red Hat:9``: package
  names are unique across the repositories of one release, and main-line is what a plain RHEL
  install runs. EUS/AUS/TUS/E4S streams (``rhel_eus:8.6::baseos``...) stay as written and are not
  matched from a purl: they carry backported fixes that would be wrong for a main-line system.
- ``pkg:deb/debian/...?distro=debian-12`` (``12.5``, ``bookworm``, ``debian-bookworm``) ->
  ``Debian:12`` (and unscoped ``Debian``); ``pkg:deb/ubuntu/...?distro=ubuntu-22.04`` (``jammy``)
  -> ``Ubuntu:22.04``, where :func:`index_ecosystem` files ``Ubuntu:22.04:LTS`` under
  ``Ubuntu:22.04`` too. Ubuntu Pro (``Ubuntu:Pro:...``) needs an ESM subscription the purl does
  not show, so it is not matched.
- ``pkg:apk/alpine/...?distro=alpine-3.20.1`` -> ``Alpine:v3.20``; ``pkg:apk/wolfi/...`` ->
  ``Wolfi`` and ``pkg:apk/chainguard/...`` -> ``Chainguard`` (rolling distributions: no release).
- Debian, Ubuntu and Alpine advisories name *source* packages while SBOMs list binary packages;
  the ``upstream`` qualifier (syft: ``upstream=glibc`` or ``upstream=glibc@2.36-9``) adds the
  source package as a second key (with its own version when given).
- ``epoch`` qualifier: ``pkg:rpm/.../bash@5.1.8-6.el9?epoch=1`` is version ``1:5.1.8-6.el9``.

**Products** (firmware, appliances, ICS devices: anything named by CPE or by vendor and product
rather than by package URL). :func:`advisory_lookup_keys` files a record's NVD configurations and
:class:`~vulndesk.core.advisories.model.ProductStatement` entries under four more key kinds, and
:func:`component_query` looks a component up under the same ones:

- ``("cpe", "<vendor>:<product>")``: the vendor and product of a CPE, WFN-unquoted, lower-cased
  (``cpe:2.3:o:mitsubishielectric:melsec_iq-r_firmware:...`` ->
  ``mitsubishielectric:melsec_iq-r_firmware``). Only a *vulnerable* NVD criterion is filed (a
  ``vulnerable: false`` one is a platform condition, never a finding). A CPE whose vendor or
  product is ANY, NA or a pattern (``foo*``) gives no key: a pattern cannot be looked up exactly,
  and :mod:`.cpe_match` matches vendor and product only as EQUAL or a wildcard SUPERSET of a named
  component's, so such a criterion is evaluated only when another key of its record brings the
  record in. NVD writes vendor and product out in practice.
- ``("product", "<vendor>:<name>")``: :func:`~.products.normalize_vendor` and
  :func:`~.products.normalize_name` of a statement's vendor and product; for a component, of its
  supplier (and group) with its name, and of each CPE's vendor and product.
- ``("model", "<name>")``: :func:`~.products.normalize_name` of a statement's model numbers and
  SKUs; for a component, of its name.
- ``("hash", "<algorithm>:<hex>")``: :func:`~.products.normalize_hash` of a hash.

A statement's purls are filed under the key a component with that purl is looked up under.
Names longer than 500 characters (the server's index column) are cut at 500 on both sides, so
the keys still meet; the evaluators decide.

A component with a usable purl is looked up by its purl keys, then its hash keys, and never by
CPE or name: CPE and name matching of language packages is how Dependency-Track #3063 found ~200
unrelated CVEs for a Go SQL driver. A component without a usable purl is looked up by CPE,
supplier and name, model and hashes when it has a CPE naming vendor and product, a supplier (or
group) or a hash; a name alone is never enough.

Everything else (no purl, no version, an unknown type or vendor, a version that is not valid in
the ecosystem's ordering, and none of those product identifiers) is :class:`NotEvaluated` with the
reason.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final, NamedTuple

from packageurl import PackageURL

from vulndesk.core.advisories.model import Advisory, Affected, ProductStatement
from vulndesk.core.advisories.osv import lookup_name
from vulndesk.core.errors import IdentifierError, InvalidVersion, VulndeskError
from vulndesk.core.ids.cpe import parse_cpe, wfn_unquote
from vulndesk.core.matching.cpe_match import vendor_product_problem
from vulndesk.core.matching.evaluation import SchemeResolver, unsupported_reason
from vulndesk.core.matching.products import normalize_hash, normalize_name, normalize_vendor
from vulndesk.core.sbom.model import Component

__all__ = [
    "MAX_KEY_NAME",
    "Candidate",
    "ComponentQuery",
    "LookupKey",
    "NotEvaluated",
    "advisory_lookup_keys",
    "affected_lookup_key",
    "component_query",
    "index_ecosystem",
]


class LookupKey(NamedTuple):
    """Where advisories for a package are filed: ecosystem (see index_ecosystem) and lookup name."""

    ecosystem: str
    name: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """One way to look a component up: the key, and the version to evaluate under that key."""

    key: LookupKey
    version: str


@dataclass(frozen=True, slots=True)
class ComponentQuery:
    """A component that can be evaluated, with every key to look it up under."""

    component: Component
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True, slots=True)
class NotEvaluated:
    """A component that was not evaluated, and why (never guessed)."""

    component: Component
    reason: str


_LANGUAGE_TYPES: Final[dict[str, str]] = {
    "pypi": "PyPI",
    "npm": "npm",
    "golang": "Go",
    "cargo": "crates.io",
    "maven": "Maven",
    "gem": "RubyGems",
    "nuget": "NuGet",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
    "swift": "SwiftURL",
    "bitnami": "Bitnami",
    "hackage": "Hackage",
    "cran": "CRAN",
}

# purl types whose OSV name is "namespace<sep>name"; the others must not have a namespace
_JOINED: Final[dict[str, str]] = {
    "npm": "/",
    "golang": "/",
    "maven": ":",
    "composer": "/",
    "swift": "/",
}
_NAMESPACE_REQUIRED: Final = frozenset({"maven", "composer", "swift"})

# distribution families by purl vendor namespace (and by the distro qualifier's prefix)
_FAMILIES: Final[dict[str, str]] = {
    "almalinux": "AlmaLinux",
    "alma": "AlmaLinux",
    "rocky": "Rocky Linux",
    "rockylinux": "Rocky Linux",
    "redhat": "Red Hat",
    "rhel": "Red Hat",
    "debian": "Debian",
    "ubuntu": "Ubuntu",
    "alpine": "Alpine",
    "wolfi": "Wolfi",
    "chainguard": "Chainguard",
}
_FAMILY_TYPE: Final[dict[str, str]] = {
    "AlmaLinux": "rpm",
    "Rocky Linux": "rpm",
    "Red Hat": "rpm",
    "Debian": "deb",
    "Ubuntu": "deb",
    "Alpine": "apk",
    "Wolfi": "apk",
    "Chainguard": "apk",
}
_ROLLING: Final = frozenset({"Wolfi", "Chainguard"})
_SOURCE_NAMED: Final = frozenset({"Debian", "Ubuntu", "Alpine"})

# distro-info-data (debian.csv, ubuntu.csv): code names to release numbers
_DEBIAN_CODENAMES: Final[dict[str, str]] = {
    "wheezy": "7",
    "jessie": "8",
    "stretch": "9",
    "buster": "10",
    "bullseye": "11",
    "bookworm": "12",
    "trixie": "13",
    "forky": "14",
}
_UBUNTU_CODENAMES: Final[dict[str, str]] = {
    "trusty": "14.04",
    "xenial": "16.04",
    "bionic": "18.04",
    "focal": "20.04",
    "jammy": "22.04",
    "kinetic": "22.10",
    "lunar": "23.04",
    "mantic": "23.10",
    "noble": "24.04",
    "oracular": "24.10",
    "plucky": "25.04",
    "questing": "25.10",
}

_MAJOR = re.compile(r"(\d+)(?:\.\d+)*")
_UBUNTU_RELEASE = re.compile(r"(\d{2}\.\d{2})(?:\.\d+)?")
_ALPINE_RELEASE = re.compile(r"v?(\d+)\.(\d+)(?:\.\d+)*")
_RED_HAT_MAIN_LINE = re.compile(r"Red Hat:enterprise_linux:(\d+)(?::.*)?")


def index_ecosystem(ecosystem: str) -> str:
    """Return the ecosystem an advisory's package is filed under (see the module docstring).

    ``Ubuntu:22.04:LTS`` -> ``Ubuntu:22.04``; ``Red Hat:enterprise_linux:9::appstream`` ->
    ``Red Hat:9``; everything else as written.
    """
    if ecosystem.startswith("Ubuntu:") and ecosystem.endswith(":LTS"):
        return ecosystem[: -len(":LTS")]
    if ecosystem.startswith("Red Hat:"):
        main_line = _RED_HAT_MAIN_LINE.fullmatch(ecosystem)
        if main_line is not None:
            return f"Red Hat:{main_line.group(1)}"
    return ecosystem


def affected_lookup_key(affected: Affected) -> LookupKey:
    """Return the key an ``affected[]`` entry is stored and looked up under."""
    return LookupKey(index_ecosystem(affected.ecosystem), affected.lookup_name)


# --- products: CPE, vendor/product names, model numbers, hashes (module docstring) -------------

MAX_KEY_NAME: Final = 500
# key ecosystems of the product kinds; no OSV ecosystem is spelt like these
CPE_KEY: Final = "cpe"
PRODUCT_KEY: Final = "product"
MODEL_KEY: Final = "model"
HASH_KEY: Final = "hash"
# normalised names that name nothing (products.py never matches them either)
_NOT_A_NAME: Final = frozenset({"", "na", "unknown", "unspecified", "none"})


def _key(ecosystem: str, name: str) -> LookupKey:
    return LookupKey(ecosystem, name[:MAX_KEY_NAME])


# a CPE 2.3 formatted string whose fields need no unquoting: vendor and product plain names
_PLAIN_CPE = re.compile(
    r"cpe:2\.3:[aoh*\-]:([a-z0-9][a-z0-9._\-]*):([a-z0-9][a-z0-9._\-]*)(?::[a-z0-9._\-*]+){8}",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=1 << 16)
def _cpe_vendor_product(text: str) -> tuple[str, str] | None:
    """Return the unquoted vendor and product of a CPE naming both exactly, else None.

    Most CPEs are plain (no quoting, no wildcard in vendor or product): those are read with one
    regular expression; the rest go through the full parser. Cached: NVD repeats one criterion
    string across many records. Parsing every criterion was 45% of an NVD import's time.
    """
    plain = _PLAIN_CPE.fullmatch(text)
    if plain is not None:
        return plain.group(1), plain.group(2)
    return _cpe_vendor_product_parsed(text)


def _cpe_vendor_product_parsed(text: str) -> tuple[str, str] | None:
    """Return what :func:`_cpe_vendor_product` does, by parsing ``text`` in full."""
    try:
        cpe = parse_cpe(text)
    except IdentifierError:
        return None
    if vendor_product_problem(cpe) is not None:
        return None  # ANY, NA or a pattern: nothing exact to file it under
    return wfn_unquote(cpe.vendor), wfn_unquote(cpe.product)


def _cpe_key(text: str) -> LookupKey | None:
    named = _cpe_vendor_product(text)
    if named is None:
        return None
    return _key(CPE_KEY, f"{named[0].lower()}:{named[1].lower()}")


def _product_key(vendor: str, product: str) -> LookupKey | None:
    vendor_key, product_key = normalize_vendor(vendor), normalize_name(product)
    if vendor_key in _NOT_A_NAME or product_key in _NOT_A_NAME:
        return None
    return _key(PRODUCT_KEY, f"{vendor_key}:{product_key}")


def _model_key(model: str) -> LookupKey | None:
    name = normalize_name(model)
    return None if name in _NOT_A_NAME else _key(MODEL_KEY, name)


def _hash_key(text: str) -> LookupKey | None:
    normalised = normalize_hash(text)
    algorithm, _, value = normalised.partition(":")
    return _key(HASH_KEY, normalised) if algorithm and value else None


def _purl_keys(text: str) -> tuple[LookupKey, ...]:
    """Return the keys a component with purl ``text`` is looked up under (none if unusable)."""
    try:
        purl = PackageURL.from_string(text)
    except ValueError:
        return ()
    version = purl.version or ""
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    if purl.type in _LANGUAGE_TYPES:
        found = _language_candidates(purl, version)
    elif purl.type in ("rpm", "deb", "apk"):
        found = _distro_candidates(purl, version, qualifiers)
    else:
        return ()
    return () if isinstance(found, str) else tuple(c.key for c in found[0])


def _statement_keys(statement: ProductStatement) -> list[LookupKey | None]:
    keys: list[LookupKey | None] = [_cpe_key(c) for c in statement.cpes]
    keys.append(_product_key(statement.vendor, statement.product))
    keys.extend(_model_key(m) for m in (*statement.model_numbers, *statement.skus))
    keys.extend(_hash_key(h) for h in statement.hashes)
    for purl in statement.purls:
        keys.extend(_purl_keys(purl))
    return keys


def advisory_lookup_keys(advisory: Advisory) -> tuple[LookupKey, ...]:
    """Return the distinct keys ``advisory`` is filed under, in the order first met.

    The key of each OSV ``affected[]`` entry (:func:`affected_lookup_key`), then ``cpe`` keys of
    the vulnerable criteria of its NVD configurations, then the keys of each product statement:
    its CPEs, vendor and product, model numbers and SKUs, hashes and purls (module docstring).
    """
    keys: dict[LookupKey, None] = {affected_lookup_key(a): None for a in advisory.affected}
    if not advisory.cpe_configurations and not advisory.products:
        return tuple(keys)
    found: list[LookupKey | None] = [
        _cpe_key(criterion.criteria)
        for configuration in advisory.cpe_configurations
        for node in configuration.nodes
        for criterion in node.cpe_match
        if criterion.vulnerable
    ]
    for statement in advisory.products:
        found.extend(_statement_keys(statement))
    keys.update((key, None) for key in found if key is not None)
    return tuple(keys)


def _product_candidates(component: Component) -> tuple[Candidate, ...]:
    """Return the product keys of a component without a usable purl (module docstring).

    Empty when it has no CPE naming vendor and product, no supplier or group, and no hash: a
    name alone is never looked up.
    """
    found: list[LookupKey | None] = []
    for text in component.cpes:
        named = _cpe_vendor_product(text)
        if named is not None:
            found.append(_key(CPE_KEY, f"{named[0].lower()}:{named[1].lower()}"))
            found.append(_product_key(*named))
    for vendor in (component.supplier, component.group):
        if vendor:
            found.append(_product_key(vendor, component.name))
    hashes = [_hash_key(f"{h.alg}:{h.value}") for h in component.hashes]
    if not any(key is not None for key in (*found, *hashes)):
        return ()
    found.append(_model_key(component.name))
    found.extend(hashes)
    keys = dict.fromkeys(key for key in found if key is not None)
    version = component.version or ""
    return tuple(Candidate(key, version) for key in keys)


def _hash_candidates(component: Component, version: str) -> tuple[Candidate, ...]:
    keys = dict.fromkeys(_hash_key(f"{h.alg}:{h.value}") for h in component.hashes)
    return tuple(Candidate(key, version) for key in keys if key is not None)


def component_query(component: Component, schemes: SchemeResolver) -> ComponentQuery | NotEvaluated:
    """Return how to look ``component`` up, or why it cannot be evaluated.

    A usable purl gives its keys (the version must be valid in the ecosystem's ordering,
    ``schemes``, since every range is compared with it; the reason says which ordering refused
    it), followed by the component's hash keys. Without a usable purl, the product keys of the
    module docstring; with neither, the purl's problem is the reason.
    """
    query = _purl_query(component, schemes)
    if isinstance(query, ComponentQuery):
        version = query.candidates[0].version if query.candidates else ""
        hashes = _hash_candidates(component, version)
        return ComponentQuery(component, query.candidates + hashes) if hashes else query
    if _package_purl(component.purl):
        return query  # a package: CPE and name matching are how #3063 happens (module docstring)
    products = _product_candidates(component)
    if products:
        return ComponentQuery(component, products)
    if component.purl is None and component.cpes:
        shown = ", ".join(component.cpes[:3])
        return NotEvaluated(
            component,
            f"no package URL: its CPEs ({shown}) do not name both vendor and product without"
            " wildcards, and it has no supplier or hash to match by",
        )
    return query


def _package_purl(text: str | None) -> bool:
    """Return whether ``text`` is a purl of a type with an OSV ecosystem (a package)."""
    if text is None:
        return False
    try:
        purl_type = PackageURL.from_string(text).type
    except ValueError:
        return False
    return purl_type in _LANGUAGE_TYPES or purl_type in _FAMILY_TYPE.values()


def _purl_query(component: Component, schemes: SchemeResolver) -> ComponentQuery | NotEvaluated:
    """Return the purl keys of ``component``, or why its purl cannot be used."""
    if component.purl is None:
        why = f" ({component.purl_error})" if component.purl_error else ""
        if component.swid:
            has = "identified only by a SWID tag, which OSV data does not use"
        else:
            has = "identified only by name and version, which is not matched (never guessed)"
        return NotEvaluated(component, f"no package URL{why}: {has}")
    try:
        purl = PackageURL.from_string(component.purl)
    except ValueError as e:
        return NotEvaluated(component, f"purl {component.purl!r} cannot be parsed: {e}")
    version = purl.version or component.version
    if not version:
        return NotEvaluated(component, "no version")
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    if purl.type in _LANGUAGE_TYPES:
        found = _language_candidates(purl, version)
    elif purl.type in ("rpm", "deb", "apk"):
        found = _distro_candidates(purl, version, qualifiers)
    else:
        return NotEvaluated(component, f"purl type {purl.type!r} has no OSV ecosystem")
    if isinstance(found, str):
        return NotEvaluated(component, found)
    candidates, scheme_ecosystem = found
    try:
        scheme = schemes.for_ecosystem(scheme_ecosystem)
    except VulndeskError as e:
        return NotEvaluated(component, f"{scheme_ecosystem}: {unsupported_reason(e)}")
    for candidate in candidates:
        try:
            scheme.cached_key(candidate.version)
        except InvalidVersion as e:
            return NotEvaluated(
                component,
                f"version {candidate.version!r} is not a valid {scheme.name} version "
                f"({scheme_ecosystem}): {e}",
            )
    return ComponentQuery(component, candidates)


def _language_candidates(purl: PackageURL, version: str) -> tuple[tuple[Candidate, ...], str] | str:
    ecosystem = _LANGUAGE_TYPES[purl.type]
    namespace = purl.namespace or ""
    separator = _JOINED.get(purl.type)
    if separator is None:
        if namespace:
            return f"{purl.type} purls have no namespace in OSV data, this one has {namespace!r}"
        name = purl.name
    elif namespace:
        name = f"{namespace}{separator}{purl.name}"
    elif purl.type in _NAMESPACE_REQUIRED:
        return f"{purl.type} purl without a namespace cannot name an OSV {ecosystem} package"
    else:
        name = purl.name
    key = LookupKey(ecosystem, lookup_name(ecosystem, name))
    return (Candidate(key, version),), ecosystem


def _distro_candidates(
    purl: PackageURL, version: str, qualifiers: dict[str, str]
) -> tuple[tuple[Candidate, ...], str] | str:
    vendor = (purl.namespace or "").lower()
    family = _FAMILIES.get(vendor)
    if family is None or _FAMILY_TYPE[family] != purl.type:
        shown = vendor or "no vendor"
        return f"{purl.type} packages of {shown!r} have no supported OSV ecosystem"
    ecosystems: tuple[str, ...]
    if family in _ROLLING:
        ecosystems = (family,)
        scheme_ecosystem = family
    else:
        distro = qualifiers.get("distro")
        if not distro:
            return (
                f"{purl.type} package without a 'distro' qualifier: the {family} release "
                "is unknown (not guessed)"
            )
        release = _release(family, distro)
        if release is None:
            return f"distro {distro!r} does not name a known {family} release"
        ecosystems, scheme_ecosystem = _release_ecosystems(family, release)
    epoch = qualifiers.get("epoch")
    if epoch and ":" not in version:
        version = f"{epoch}:{version}"
    elif epoch and version.split(":", 1)[0] != epoch:
        return f"epoch qualifier {epoch!r} contradicts version {version!r}"
    candidates = [Candidate(LookupKey(e, lookup_name(e, purl.name)), version) for e in ecosystems]
    upstream = qualifiers.get("upstream")
    if family in _SOURCE_NAMED and upstream:
        source, _, source_version = upstream.partition("@")
        source_version = source_version or version
        if source != purl.name or source_version != version:
            candidates.extend(
                Candidate(LookupKey(e, lookup_name(e, source)), source_version) for e in ecosystems
            )
    return tuple(candidates), scheme_ecosystem


def _release(family: str, distro: str) -> str | None:
    """Return the OSV release suffix the ``distro`` qualifier names, or None."""
    text = distro.strip().lower()
    prefix, dash, rest = text.partition("-")
    if dash and prefix in _FAMILIES:
        if _FAMILIES[prefix] != family:
            return None
        text = rest
    if family == "Debian":
        if text in _DEBIAN_CODENAMES:
            return _DEBIAN_CODENAMES[text]
        match = _MAJOR.fullmatch(text)
        return match.group(1) if match else None
    if family == "Ubuntu":
        if text in _UBUNTU_CODENAMES:
            return _UBUNTU_CODENAMES[text]
        match = _UBUNTU_RELEASE.fullmatch(text)
        return match.group(1) if match else None
    if family == "Alpine":
        match = _ALPINE_RELEASE.fullmatch(text)
        return f"v{match.group(1)}.{match.group(2)}" if match else None
    # AlmaLinux, Rocky Linux, Red Hat: the major release (9.2 -> 9; "el9" is not a distro name)
    match = _MAJOR.fullmatch(text)
    return match.group(1) if match else None


def _release_ecosystems(family: str, release: str) -> tuple[tuple[str, ...], str]:
    """Return the ecosystems to look up for a release, and the one naming its version scheme."""
    scoped = f"{family}:{release}"
    if family in ("Ubuntu", "Alpine"):
        return (scoped,), scoped  # the schema requires the release suffix for these
    if family == "Red Hat":
        return (scoped, family), family
    return (scoped, family), scoped

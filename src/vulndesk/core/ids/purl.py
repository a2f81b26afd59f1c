"""Package URLs (ECMA-427, package-url/purl-spec) parsed and normalised the way the spec asks.

``packageurl-python`` does the generic work (scheme, type, percent-encoding, qualifier rules,
canonical ordering). This module adds the type-specific rules of the spec's type definitions
(``types/<type>-definition.json``) that the library does not apply, so that two spellings of one
package compare equal as strings:

===========  ======================================================================================
type         rule added here (on top of packageurl-python)
===========  ======================================================================================
pypi         name: runs of ``-``, ``_`` and ``.`` become one ``-`` (PEP 503; the library only
             replaces ``_``); namespace prohibited
npm          namespace (scope) lower case as well as the name
deb          namespace and name lower case; namespace (vendor) required
rpm          namespace (vendor) lower case
apk          namespace (vendor) required
maven        namespace (groupId) required; case kept
golang       namespace required; case kept (see below)
swift        namespace required
github       namespace required
bitbucket    namespace required
composer     namespace (vendor) required
cpan         namespace (author id) required; a name with ``::`` is a module, not a distribution
cargo, gem,  namespace prohibited
nuget
===========  ======================================================================================

Deliberate deviation: the golang definition says namespace and name "must be lowercased", but
its own note admits the definition predates Go modules; module paths are case-sensitive (the
module proxy escapes upper case as ``!x``) and Go advisories (OSV ``Go`` ecosystem) keep the
case. Lower-casing would make ``github.com/ProtonMail/go-crypto`` unmatchable, so golang keeps
the case as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from packageurl import PackageURL

from vulndesk.core.errors import IdentifierError

__all__ = [
    "PackageURL",
    "build_purl",
    "is_purl",
    "normalize_purl",
    "parse_purl",
    "purl_without_version",
]

Requirement = Literal["required", "optional", "prohibited"]


@dataclass(frozen=True, slots=True)
class _TypeRule:
    """What a purl type's definition asks beyond the generic spec."""

    namespace: Requirement = "optional"
    lower_namespace: bool = False
    lower_name: bool = False
    pep503_name: bool = False
    no_double_colon_in_name: bool = False


# Only types whose definitions were checked are listed; other types get packageurl-python's
# generic normalisation (which already lower-cases e.g. composer, hex, luarocks, oci, pub...).
_RULES: dict[str, _TypeRule] = {
    "pypi": _TypeRule(namespace="prohibited", lower_name=True, pep503_name=True),
    "npm": _TypeRule(lower_namespace=True, lower_name=True),
    "deb": _TypeRule(namespace="required", lower_namespace=True, lower_name=True),
    "rpm": _TypeRule(lower_namespace=True),
    "apk": _TypeRule(namespace="required", lower_namespace=True, lower_name=True),
    "maven": _TypeRule(namespace="required"),
    "golang": _TypeRule(namespace="required"),
    "swift": _TypeRule(namespace="required"),
    "github": _TypeRule(namespace="required", lower_namespace=True, lower_name=True),
    "bitbucket": _TypeRule(namespace="required", lower_namespace=True, lower_name=True),
    "composer": _TypeRule(namespace="required", lower_namespace=True, lower_name=True),
    "cpan": _TypeRule(namespace="required", no_double_colon_in_name=True),
    "cargo": _TypeRule(namespace="prohibited"),
    "gem": _TypeRule(namespace="prohibited"),
    "nuget": _TypeRule(namespace="prohibited"),
}

_PEP503_SEPARATORS = re.compile(r"[-_.]+")


def parse_purl(text: str) -> PackageURL:
    """Return the normalised :class:`PackageURL` of ``text``; raise IdentifierError if invalid.

    Surrounding white space is ignored; everything else must follow the spec.
    """
    if not isinstance(text, str):
        raise IdentifierError(
            f"invalid purl {text!r}: expected a string, got {type(text).__name__}"
        )
    stripped = text.strip()
    if not stripped:
        raise IdentifierError(f"invalid purl {text!r}: empty string")
    try:
        purl = PackageURL.from_string(stripped)
    except ValueError as e:
        raise IdentifierError(f"invalid purl {text!r}: {_reason(e, stripped)}") from e
    return _apply_type_rules(purl, text)


def build_purl(
    *,
    type: str | None,
    name: str | None,
    namespace: str | None = None,
    version: str | None = None,
    qualifiers: dict[str, str] | str | None = None,
    subpath: str | None = None,
) -> PackageURL:
    """Return the normalised :class:`PackageURL` built from components; raise IdentifierError.

    Components are given decoded (``namespace="@angular"``), as in the spec's "build" tests.
    """
    described = f"type={type!r} namespace={namespace!r} name={name!r}"
    if not type:
        raise IdentifierError(f"cannot build a purl from {described}: the type is required")
    if not name:
        raise IdentifierError(f"cannot build a purl from {described}: the name is required")
    try:
        purl = PackageURL(
            type=type,
            namespace=namespace,
            name=name,
            version=version,
            qualifiers=qualifiers,
            subpath=subpath,
        )
        # The constructor does not check the type's characters; parsing the result does, and
        # proves that what we build can be read back.
        purl = PackageURL.from_string(purl.to_string())
    except ValueError as e:
        raise IdentifierError(f"cannot build a purl from {described}: {_reason(e, None)}") from e
    return _apply_type_rules(purl, described)


def is_purl(text: str) -> bool:
    """Return whether ``text`` is a valid package URL (a document naming a product by a purl or
    by any other reference, as VEX documents do, is told apart by this)."""
    if not text.startswith("pkg:"):
        return False
    try:
        parse_purl(text)
    except IdentifierError:
        return False
    return True


def normalize_purl(text: str) -> str:
    """Return the canonical string of the purl ``text``; raise IdentifierError if invalid."""
    return parse_purl(text).to_string()


def purl_without_version(purl: str | PackageURL) -> str:
    """Return the canonical purl of the package itself: type, namespace and name only.

    Version, qualifiers and subpath are dropped, so every release of one package maps to one
    key (``pkg:maven/org.x/y@1.0?type=jar`` -> ``pkg:maven/org.x/y``). Raises IdentifierError
    for an invalid string.
    """
    parsed = parse_purl(purl) if isinstance(purl, str) else purl
    bare = PackageURL(type=parsed.type, namespace=parsed.namespace, name=parsed.name)
    return bare.to_string()


def _apply_type_rules(purl: PackageURL, described: str) -> PackageURL:
    rule = _RULES.get(purl.type)
    if rule is None:
        return purl
    namespace, name = purl.namespace, purl.name
    if rule.namespace == "required" and not namespace:
        raise IdentifierError(
            f"invalid purl {described!r}: a {purl.type} purl needs a namespace"
            f" ({_NAMESPACE_MEANING.get(purl.type, 'namespace')})"
        )
    if rule.namespace == "prohibited" and namespace:
        raise IdentifierError(
            f"invalid purl {described!r}: a {purl.type} purl has no namespace, got {namespace!r}"
        )
    if rule.no_double_colon_in_name and "::" in name:
        raise IdentifierError(
            f"invalid purl {described!r}: {name!r} is a Perl module name; a cpan purl names the"
            " distribution (e.g. URI-PackageURL), with the author id as namespace"
        )
    if namespace and rule.lower_namespace:
        namespace = namespace.lower()
    if rule.lower_name:
        name = name.lower()
    if rule.pep503_name:
        name = _PEP503_SEPARATORS.sub("-", name)
    if namespace == purl.namespace and name == purl.name:
        return purl
    return purl._replace(namespace=namespace, name=name)


_NAMESPACE_MEANING = {
    "maven": "the groupId",
    "golang": "the module path before the last segment",
    "deb": "the vendor, e.g. debian or ubuntu",
    "apk": "the vendor, e.g. alpine",
    "swift": "the source host and owner",
    "github": "the user or organisation",
    "bitbucket": "the user or organisation",
    "composer": "the vendor",
    "cpan": "the CPAN author id",
}


def _reason(error: ValueError, text: str | None) -> str:
    """Return packageurl-python's message without the parts our own message already says."""
    message = str(error).strip()
    for prefix in ("Invalid purl: ", "Invalid purl "):
        message = message.removeprefix(prefix)
    message = message.rstrip(".")
    if text is not None:
        message = message.removesuffix(f": {text!r}")
    return message

"""Package URL parsing and normalisation: the spec's own test suite, then our type rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from support import SHARED_DATA
from vulndesk.core.errors import IdentifierError
from vulndesk.core.ids.purl import (
    PackageURL,
    build_purl,
    normalize_purl,
    parse_purl,
    purl_without_version,
)

SPEC_TESTS = SHARED_DATA / "purl" / "specification-test.json"


def _spec_cases() -> list[Any]:
    if not SPEC_TESTS.exists():
        return [
            pytest.param(
                None,
                id="purl-spec-tests",
                marks=pytest.mark.skip(
                    reason="../shared/data/purl/specification-test.json is absent"
                    " (the shared real-data folder is not here)"
                ),
            )
        ]
    cases = json.loads(SPEC_TESTS.read_text(encoding="utf-8"))["tests"]
    return [pytest.param(case, id=case["description"]) for case in cases]


def _fields(purl: PackageURL) -> dict[str, Any]:
    return {
        "type": purl.type,
        "namespace": purl.namespace,
        "name": purl.name,
        "version": purl.version,
        "qualifiers": purl.qualifiers or None,
        "subpath": purl.subpath,
    }


@pytest.mark.shared
@pytest.mark.parametrize("case", _spec_cases())
def test_purl_specification(case: dict[str, Any]) -> None:
    kind = case["test_type"]
    if kind == "build":
        components = {k: v for k, v in case["input"].items()}

        def run() -> PackageURL:
            return build_purl(**components)

    elif kind in ("parse", "validate", "roundtrip"):

        def run() -> PackageURL:
            return parse_purl(case["input"])

    else:
        pytest.fail(f"unknown test_type {kind!r} in the spec's test file")

    if case["expected_failure"]:
        with pytest.raises(IdentifierError):
            run()
        return
    result = run()
    expected = case["expected_output"]
    if isinstance(expected, dict):
        assert _fields(result) == {**expected, "qualifiers": expected.get("qualifiers") or None}
    else:
        assert result.to_string() == expected
        # The canonical form is a fixed point.
        assert normalize_purl(expected) == expected


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        # pypi: PEP 503 (runs of -, _ and . become one -), lower case
        ("pkg:pypi/Django_Allauth@0.51.0", "pkg:pypi/django-allauth@0.51.0"),
        ("pkg:pypi/My.PyPI_.--._Package@1.11.1.dev1", "pkg:pypi/my-pypi-package@1.11.1.dev1"),
        ("pkg:pypi/zope.interface@5.4.0", "pkg:pypi/zope-interface@5.4.0"),
        # npm: scope and name lower case; the scope's @ is percent-encoded
        ("pkg:npm/%40MyScope/MyPackage@1.0.0", "pkg:npm/%40myscope/mypackage@1.0.0"),
        ("pkg:npm/@babel/core@7.0.0", "pkg:npm/%40babel/core@7.0.0"),
        ("pkg:npm/LoDash@4.17.21", "pkg:npm/lodash@4.17.21"),
        # deb: vendor and name lower case
        ("pkg:deb/Debian/Curl@7.50.3-1?arch=i386", "pkg:deb/debian/curl@7.50.3-1?arch=i386"),
        # rpm: vendor lower case, name case-sensitive
        ("pkg:rpm/Fedora/NetworkManager@1.0", "pkg:rpm/fedora/NetworkManager@1.0"),
        # github, composer: lower case (packageurl-python)
        ("pkg:github/Package-URL/Purl-Spec@244fd47", "pkg:github/package-url/purl-spec@244fd47"),
        ("pkg:composer/Laravel/Framework@7.12.0", "pkg:composer/laravel/framework@7.12.0"),
        # maven, nuget, cargo: case kept
        ("pkg:maven/org.Apache/Commons-IO@2.6", "pkg:maven/org.Apache/Commons-IO@2.6"),
        (
            "pkg:nuget/EnterpriseLibrary.Common@6.0.1304",
            "pkg:nuget/EnterpriseLibrary.Common@6.0.1304",
        ),
        # golang: case kept on purpose (module paths are case-sensitive; see purl.py)
        (
            "pkg:golang/github.com/ProtonMail/go-crypto@v0.0.0-2021",
            "pkg:golang/github.com/ProtonMail/go-crypto@v0.0.0-2021",
        ),
        # cpan: author id upper case
        ("pkg:cpan/gdt/URI-PackageURL@2.11", "pkg:cpan/GDT/URI-PackageURL@2.11"),
        # generic rules: type lower case, qualifiers sorted, empty ones dropped, subpath cleaned
        (
            "pkg:MAVEN/org.x/y@1?type=jar&classifier=sources&empty=",
            "pkg:maven/org.x/y@1?classifier=sources&type=jar",
        ),
        (
            "pkg:golang/google.golang.org/genproto#/googleapis/api/",
            "pkg:golang/google.golang.org/genproto#googleapis/api",
        ),
        ("  pkg:npm/left-pad@1.3.0  ", "pkg:npm/left-pad@1.3.0"),
    ],
)
def test_type_specific_normalisation(text: str, canonical: str) -> None:
    assert normalize_purl(text) == canonical
    assert normalize_purl(canonical) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty string"),
        ("npm/lodash@4.17.21", 'missing the required "pkg" scheme'),
        ("pkg:npm", "missing the required type"),
        ("pkg:maven/commons-io@2.6", "a maven purl needs a namespace (the groupId)"),
        ("pkg:golang/context@v1", "a golang purl needs a namespace"),
        ("pkg:deb/curl@7.50.3-1", "a deb purl needs a namespace (the vendor"),
        ("pkg:pypi/django/django@4.0", "a pypi purl has no namespace, got 'django'"),
        ("pkg:cargo/rust-lang/rand@0.7.2", "a cargo purl has no namespace"),
        ("pkg:cpan/GDT/URI::PackageURL@2.11", "is a Perl module name"),
        ("pkg:npm/a@1?in%20production=true", "qualifier key cannot be percent encoded"),
        ("pkg:3d/x@1", "cannot start with a number"),
    ],
)
def test_invalid_purls_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(IdentifierError) as raised:
        parse_purl(text)
    assert message in str(raised.value)
    assert str(raised.value).startswith(f"invalid purl {text!r}")


def test_non_string_is_an_identifier_error() -> None:
    with pytest.raises(IdentifierError, match="expected a string, got int"):
        parse_purl(42)  # type: ignore[arg-type]


def test_parse_gives_decoded_components() -> None:
    purl = parse_purl("pkg:npm/%40angular/animation@12.3.1?vcs_url=git%2Bhttps://x.y/z.git#lib")
    assert purl.type == "npm"
    assert purl.namespace == "@angular"
    assert purl.name == "animation"
    assert purl.version == "12.3.1"
    assert purl.qualifiers == {"vcs_url": "git+https://x.y/z.git"}
    assert purl.subpath == "lib"


def test_build_applies_the_same_type_rules() -> None:
    built = build_purl(type="pypi", name="Django_Allauth", version="0.51.0")
    assert built.to_string() == "pkg:pypi/django-allauth@0.51.0"
    with pytest.raises(IdentifierError, match="the type is required"):
        build_purl(type=None, name="x")
    with pytest.raises(IdentifierError, match="type must be composed only of"):
        build_purl(type="n&g", name="x")


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("pkg:maven/org.x/y@1.0?type=jar", "pkg:maven/org.x/y"),
        ("pkg:npm/%40Scope/Pkg@1.0.0#dist", "pkg:npm/%40scope/pkg"),
        ("pkg:pypi/Django@4.2", "pkg:pypi/django"),
        ("pkg:deb/debian/curl@7.50.3-1?arch=amd64&distro=jessie", "pkg:deb/debian/curl"),
    ],
)
def test_purl_without_version(text: str, bare: str) -> None:
    assert purl_without_version(text) == bare
    assert purl_without_version(parse_purl(text)) == bare


_NAME = st.text(alphabet="abcXYZ019._-", min_size=1, max_size=12).filter(
    lambda s: s.strip("._-") != "" and s not in (".", "..")
)


@given(
    type=st.sampled_from(["pypi", "npm", "maven", "golang", "deb", "rpm", "generic", "cargo"]),
    namespace=_NAME,
    name=_NAME,
    version=st.one_of(st.none(), st.text(alphabet="0123456789.+-~:abc", min_size=1, max_size=10)),
)
def test_normalising_is_idempotent(
    type: str, namespace: str, name: str, version: str | None
) -> None:
    """normalize(normalize(x)) == normalize(x) for every purl that parses."""
    prohibited = type in ("pypi", "cargo")
    try:
        built = build_purl(
            type=type, namespace=None if prohibited else namespace, name=name, version=version
        )
    except IdentifierError:
        return
    canonical = built.to_string()
    assert normalize_purl(canonical) == canonical

"""Component purl -> OSV lookup keys (language and distribution packages); not-evaluated reasons."""

from __future__ import annotations

import pytest

from vulndesk.core.advisories.model import Affected
from vulndesk.core.matching.evaluation import RegistrySchemes
from vulndesk.core.matching.identity import (
    Candidate,
    ComponentQuery,
    LookupKey,
    NotEvaluated,
    affected_lookup_key,
    component_query,
    index_ecosystem,
)
from vulndesk.core.sbom.model import Component

SCHEMES = RegistrySchemes()


def query(purl: str | None, version: str | None = None, **extra: object) -> object:
    component = Component(ref="ref-1", name="n", version=version, purl=purl, **extra)  # type: ignore[arg-type]
    return component_query(component, SCHEMES)


def candidates(purl: str) -> list[tuple[str, str, str]]:
    result = query(purl)
    assert isinstance(result, ComponentQuery), result
    return [(c.key.ecosystem, c.key.name, c.version) for c in result.candidates]


@pytest.mark.parametrize(
    ("purl", "expected"),
    [
        ("pkg:pypi/django-rest-framework@3.0", [("PyPI", "django-rest-framework", "3.0")]),
        ("pkg:pypi/zope.interface@5.0", [("PyPI", "zope-interface", "5.0")]),
        ("pkg:npm/%40angular/core@1.0.0", [("npm", "@angular/core", "1.0.0")]),
        ("pkg:npm/jsonstream@1.0.0", [("npm", "jsonstream", "1.0.0")]),
        (
            "pkg:golang/github.com/gin-gonic/gin@v1.6.0",
            [("Go", "github.com/gin-gonic/gin", "v1.6.0")],
        ),
        ("pkg:cargo/serde@1.0.0", [("crates.io", "serde", "1.0.0")]),
        (
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            [("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1")],
        ),
        ("pkg:gem/rails@7.0.0", [("RubyGems", "rails", "7.0.0")]),
        ("pkg:nuget/Newtonsoft.Json@13.0.1", [("NuGet", "newtonsoft.json", "13.0.1")]),
        ("pkg:composer/laravel/framework@9.0.0", [("Packagist", "laravel/framework", "9.0.0")]),
        ("pkg:hex/phoenix@1.7.0", [("Hex", "phoenix", "1.7.0")]),
        ("pkg:pub/http@1.0.0", [("Pub", "http", "1.0.0")]),
        (
            "pkg:swift/github.com/apple/swift-nio@2.0.0",
            [("SwiftURL", "github.com/apple/swift-nio", "2.0.0")],
        ),
        (
            "pkg:bitnami/airflow@1.10.10?arch=arm64&distro=debian-12",
            [("Bitnami", "airflow", "1.10.10")],
        ),
    ],
)
def test_language_purls(purl: str, expected: list[tuple[str, str, str]]) -> None:
    assert candidates(purl) == expected


@pytest.mark.parametrize(
    ("purl", "expected"),
    [
        (
            "pkg:rpm/almalinux/bash@5.1.8-6.el9?arch=x86_64&distro=almalinux-9.2&epoch=1",
            [("AlmaLinux:9", "bash", "1:5.1.8-6.el9"), ("AlmaLinux", "bash", "1:5.1.8-6.el9")],
        ),
        (
            "pkg:rpm/alma/bash@5.1.8-6.el9?distro=alma-9",
            [("AlmaLinux:9", "bash", "5.1.8-6.el9"), ("AlmaLinux", "bash", "5.1.8-6.el9")],
        ),
        (
            "pkg:rpm/rocky/openssl@3.0.7-24.el9?distro=rocky-9.3",
            [
                ("Rocky Linux:9", "openssl", "3.0.7-24.el9"),
                ("Rocky Linux", "openssl", "3.0.7-24.el9"),
            ],
        ),
        (
            "pkg:rpm/redhat/openssl@3.0.7-24.el9?distro=rhel-9.2",
            [("Red Hat:9", "openssl", "3.0.7-24.el9"), ("Red Hat", "openssl", "3.0.7-24.el9")],
        ),
        (
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?distro=debian-12&upstream=glibc",
            [
                ("Debian:12", "libc6", "2.36-9+deb12u4"),
                ("Debian", "libc6", "2.36-9+deb12u4"),
                ("Debian:12", "glibc", "2.36-9+deb12u4"),
                ("Debian", "glibc", "2.36-9+deb12u4"),
            ],
        ),
        (
            "pkg:deb/debian/bsdutils@1:2.38.1-5%2Bb1?distro=bookworm&upstream=util-linux%402.38.1-5",
            [
                ("Debian:12", "bsdutils", "1:2.38.1-5+b1"),
                ("Debian", "bsdutils", "1:2.38.1-5+b1"),
                ("Debian:12", "util-linux", "2.38.1-5"),
                ("Debian", "util-linux", "2.38.1-5"),
            ],
        ),
        (
            "pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.10?distro=ubuntu-22.04",
            [("Ubuntu:22.04", "openssl", "3.0.2-0ubuntu1.10")],
        ),
        (
            "pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.10?distro=jammy",
            [("Ubuntu:22.04", "openssl", "3.0.2-0ubuntu1.10")],
        ),
        (
            "pkg:apk/alpine/libcrypto3@3.1.4-r5?distro=alpine-3.20.1&upstream=openssl",
            [("Alpine:v3.20", "libcrypto3", "3.1.4-r5"), ("Alpine:v3.20", "openssl", "3.1.4-r5")],
        ),
        ("pkg:apk/wolfi/glibc@2.39-r1", [("Wolfi", "glibc", "2.39-r1")]),
    ],
)
def test_distribution_purls(purl: str, expected: list[tuple[str, str, str]]) -> None:
    assert candidates(purl) == expected


@pytest.mark.parametrize(
    ("purl", "version", "reason"),
    [
        (None, "1.0", "identified only by name and version"),
        ("pkg:pypi/requests", None, "no version"),
        ("pkg:generic/openssl@3.0.0", None, "purl type 'generic' has no OSV ecosystem"),
        ("pkg:rpm/almalinux/bash@5.1.8-6.el9", None, "without a 'distro' qualifier"),
        ("pkg:deb/debian/libc6@2.36-9", None, "the Debian release is unknown (not guessed)"),
        ("pkg:apk/alpine/musl@1.2.4-r2", None, "without a 'distro' qualifier"),
        ("pkg:rpm/fedora/bash@5.2-1.fc39?distro=fedora-39", None, "of 'fedora' have no supported"),
        ("pkg:deb/debian/libc6@2.36-9?distro=ubuntu-22.04", None, "does not name a known Debian"),
        ("pkg:deb/debian/libc6@2.36-9?distro=sid", None, "does not name a known Debian release"),
        ("pkg:rpm/almalinux/bash@2:5.1?distro=almalinux-9&epoch=1", None, "contradicts"),
        ("pkg:pypi/requests@not%20a%20version", None, "is not a valid pypi version (PyPI)"),
        ("pkg:cran/ggplot2@3.4.0", None, "CRAN: no version ordering implemented"),
        ("pkg:maven/log4j-core@2.14.1", None, "without a namespace"),
        ("pkg:cargo/ns/serde@1.0.0", None, "have no namespace in OSV data"),
        ("not a purl", None, "cannot be parsed"),
    ],
)
def test_not_evaluated_reasons(purl: str | None, version: str | None, reason: str) -> None:
    result = query(purl, version)
    assert isinstance(result, NotEvaluated), result
    assert reason in result.reason


def test_component_version_used_when_purl_has_none() -> None:
    result = query("pkg:pypi/requests", "2.0")
    assert isinstance(result, ComponentQuery)
    assert result.candidates == (Candidate(LookupKey("PyPI", "requests"), "2.0"),)


def test_cpe_only_component_is_looked_up_by_its_cpe_and_names() -> None:
    result = query(None, "1.0", cpes=("cpe:2.3:a:x:y:1.0:*:*:*:*:*:*:*",))
    assert not isinstance(result, NotEvaluated)
    keys = {candidate.key for candidate in result.candidates}
    assert LookupKey("cpe", "x:y") in keys
    assert {key.ecosystem for key in keys} >= {"cpe", "product"}


@pytest.mark.parametrize(
    ("ecosystem", "expected"),
    [
        ("Ubuntu:22.04:LTS", "Ubuntu:22.04"),
        ("Ubuntu:23.10", "Ubuntu:23.10"),
        ("Ubuntu:Pro:18.04:LTS", "Ubuntu:Pro:18.04"),
        ("Red Hat:enterprise_linux:9::appstream", "Red Hat:9"),
        ("Red Hat:enterprise_linux:8::baseos", "Red Hat:8"),
        ("Red Hat:rhel_eus:8.6::baseos", "Red Hat:rhel_eus:8.6::baseos"),
        ("AlmaLinux:8", "AlmaLinux:8"),
        ("PyPI", "PyPI"),
    ],
)
def test_index_ecosystem(ecosystem: str, expected: str) -> None:
    assert index_ecosystem(ecosystem) == expected


def test_affected_lookup_key_meets_component_key() -> None:
    entry = Affected("Ubuntu:22.04:LTS", "openssl", "openssl")
    (candidate,) = candidates("pkg:deb/ubuntu/openssl@3.0.2-0ubuntu1.10?distro=ubuntu-22.04")
    assert affected_lookup_key(entry) == LookupKey(candidate[0], candidate[1])
    pypi = Affected("PyPI", "Django_Rest", "django-rest")
    assert affected_lookup_key(pypi) == LookupKey("PyPI", "django-rest")


@pytest.mark.parametrize(
    "text",
    [
        "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*",
        "cpe:2.3:o:mitsubishielectric:r04encpu_firmware:*:*:*:*:*:*:*:*",
        "cpe:2.3:h:siemens:sicam_a8000_cp-8031:-:*:*:*:*:*:*:*",
        "cpe:2.3:a:Vendor.Name:Product_X:1.0:beta:*:*:*:*:x64:*",
        "cpe:2.3:a:*:mysql:*:*:*:*:*:*:*:*",  # vendor ANY: no key
        "cpe:2.3:a:-:mysql:*:*:*:*:*:*:*:*",  # vendor NA: no key
        "cpe:2.3:a:foo*:bar:*:*:*:*:*:*:*:*",  # a pattern: no key
        "cpe:2.3:a:at\\&t:connect:1.0:*:*:*:*:*:*:*",  # quoted: the full parser
        "cpe:2.3:a:vendor:prod\\:uct:1.0:*:*:*:*:*:*:*",
        "cpe:2.3:a:vendor:product:1.0?:*:*:*:*:*:*:*",
        "cpe:2.3:a:vendor:product",  # not a CPE
        "cpe:2.3:a:vendor:product::*:*:*:*:*:*:*",  # an empty field
        "cpe:/a:apache:log4j:2.14.1",  # the URI binding
    ],
)
def test_the_plain_cpe_shortcut_agrees_with_the_parser(text: str) -> None:
    from vulndesk.core.matching import identity

    assert identity._cpe_vendor_product(text) == identity._cpe_vendor_product_parsed(text)

"""SPDX 2.x (JSON, tag-value) and SPDX 3.0 (JSON-LD) readers, on hand-written fixtures."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from support import FIXTURES
from vulndesk.core.errors import SbomError
from vulndesk.core.sbom.model import Hash, Sbom
from vulndesk.core.sbom.reader import read_sbom, read_sbom_file

SBOM_FIXTURES = FIXTURES / "sbom"


def _names(sbom: Sbom, refs: frozenset[str] | set[str]) -> set[str]:
    by_ref = {c.ref: c.name for c in sbom.components}
    return {by_ref[ref] for ref in refs}


def test_tag_value_with_several_packages_and_relationships() -> None:
    sbom = read_sbom_file(SBOM_FIXTURES / "spdx-2.3-multi.spdx")
    assert (sbom.format, sbom.spec_version, sbom.encoding) == ("SPDX", "2.3", "tag-value")
    assert sbom.name == "acme-platform-1.0.0"
    assert sbom.serial_number == "https://acme.example/spdxdocs/acme-platform-1.0.0-5b8c2f"
    assert sbom.created == "2024-05-01T12:00:00Z"
    assert sbom.tools == ("acme-sbom-maker-2.1.0",)
    assert sbom.authors == ("Acme Corp (sbom@acme.example)",)

    # Two packages are described; the one the other is contained in becomes the subject.
    assert sbom.subject is not None
    assert (sbom.subject.ref, sbom.subject.name, sbom.subject.version) == (
        "SPDXRef-Package-platform",
        "acme-platform",
        "1.0.0",
    )
    assert sbom.subject.supplier == "Acme Corp"
    assert sbom.subject.type == "application"
    assert [c.name for c in sbom.components] == [
        "acme-platform-docs",
        "zlib",
        "requests",
        "urllib3",
        "acme-agent",
    ]
    by_name = {c.name: c for c in sbom.components}
    zlib = by_name["zlib"]
    assert zlib.purl == "pkg:generic/zlib@1.2.13"
    assert zlib.cpes == ("cpe:2.3:a:zlib:zlib:1.2.13:*:*:*:*:*:*:*",)
    assert zlib.hashes == (
        Hash("SHA256", "b3a24de97a8fdbc835b9833169501030b8977031bcb54b3b3ac13740f846ab30"),
    )
    assert zlib.supplier == "Jean-loup Gailly"
    assert zlib.licenses == ("Zlib",)
    assert by_name["requests"].licenses == ("Apache-2.0",)  # NOASSERTION left out
    agent = by_name["acme-agent"]
    assert agent.cpes == ("cpe:/a:acme:agent:5.0",)
    assert agent.swid == "swidgen-acme-agent-5.0"
    assert agent.purl is None and agent.identity() == "cpe"
    assert by_name["acme-platform-docs"].type == "other"

    # DEPENDS_ON, DEPENDENCY_OF (reversed), CONTAINS, RUNTIME_DEPENDENCY_OF (reversed); the
    # edge to a file and GENERATED_FROM are not dependencies.
    assert _names(sbom, sbom.direct_refs()) == {
        "acme-platform-docs",
        "requests",
        "zlib",
        "acme-agent",
    }
    assert _names(sbom, set(sbom.dependencies["SPDXRef-Package-requests"])) == {"urllib3"}
    assert _names(sbom, sbom.transitive_refs()) == set(by_name)
    assert sbom.warnings == (
        "the document describes 2 packages (acme-platform-docs@1.0.0 (SPDXRef-Package-docs),"
        " acme-platform@1.0.0 (SPDXRef-Package-platform)); acme-platform@1.0.0"
        " (SPDXRef-Package-platform) is taken as the subject and the others are kept as"
        " components",
        "the dependency graph names 1 ref(s) that are not components of this document"
        " ('DocumentRef-vendor:SPDXRef-Package-vendor-sdk'); those edges were left out",
    )


def test_spdx_2_2_and_2_3_package_manager_categories_read_the_same() -> None:
    """2.2 writes PACKAGE_MANAGER, 2.3 PACKAGE-MANAGER; both carry the purl."""
    old = read_sbom_file(SBOM_FIXTURES / "spdx-2.2-package-manager.spdx.json")
    new = read_sbom_file(SBOM_FIXTURES / "spdx-2.3-package-manager.spdx.json")
    assert (old.spec_version, new.spec_version) == ("2.2", "2.3")
    assert old.components == new.components
    assert old.subject == new.subject
    assert old.dependencies == new.dependencies
    assert old.warnings == new.warnings

    by_name = {c.name: c for c in new.components}
    jackson = by_name["jackson-databind"]
    assert jackson.purl == "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.4"
    assert jackson.cpes == ("cpe:2.3:a:fasterxml:jackson-databind:2.13.4:*:*:*:*:*:*:*",)
    assert jackson.hashes == (Hash("SHA1", "98b0edfa8e4084078f10b7b356c300ded4a71491"),)
    assert by_name["log4j-core"].cpes == ("cpe:/a:apache:log4j:2.14.1",)
    broken = by_name["broken-purl"]
    assert broken.purl is None and broken.purl_error is not None
    assert new.warnings == (
        "$.packages[3]: invalid purl 'pkg:pypi': purl is missing the required type component;"
        " the component is kept without a purl",
    )
    assert new.subject is not None and new.subject.name == "acme-service"
    assert new.subject.supplier == "Acme Corp"
    assert _names(new, new.direct_refs()) == {"jackson-databind", "log4j-core", "broken-purl"}
    assert new.tools == ("acme-sbom-maker-2.1.0",)
    assert new.authors == ("Ada Lovelace (ada@acme.example)",)


def test_spdx_3_minimal() -> None:
    sbom = read_sbom_file(SBOM_FIXTURES / "spdx-3.0-minimal.spdx3.json")
    base = "https://acme.example/spdx/acme-app-1.0.0"
    assert (sbom.format, sbom.spec_version, sbom.encoding) == ("SPDX", "3.0.1", "json-ld")
    assert sbom.name == "acme-app-1.0.0"
    assert sbom.serial_number == f"{base}#document"
    assert sbom.created == "2024-05-01T12:00:00Z"
    assert sbom.tools == ("acme-sbom-maker 2.1.0",)
    assert sbom.authors == ("Acme Corp",)
    assert sbom.subject is not None
    assert (sbom.subject.name, sbom.subject.version, sbom.subject.supplier) == (
        "acme-app",
        "1.0.0",
        "Acme Corp",
    )
    lodash, openssl = sbom.components
    assert (lodash.ref, lodash.name, lodash.version, lodash.purl) == (
        f"{base}#lodash",
        "lodash",
        "4.17.20",
        "pkg:npm/lodash@4.17.20",
    )
    assert lodash.cpes == ("cpe:2.3:a:lodash:lodash:4.17.20:*:*:*:*:node.js:*:*",)
    assert lodash.hashes == (
        Hash("SHA256", "a7b7e5e1c0ba6a8a4cbc63a27ed08b4d2dc5f7c1d3e5f5b8a0e6f7a8b9c0d1e2"),
    )
    assert lodash.licenses == ("MIT",)
    assert lodash.type == "library"
    assert openssl.purl == "pkg:generic/openssl@3.0.4"  # from externalIdentifier packageUrl
    assert openssl.licenses == ("Apache-2.0",)  # a listed licence named by IRI
    assert dict(sbom.dependencies) == {
        f"{base}#app": (f"{base}#lodash",),
        f"{base}#lodash": (f"{base}#openssl",),
    }
    assert sbom.warnings == ()


def _spdx2(**overrides: Any) -> bytes:
    doc: dict[str, Any] = {
        "spdxVersion": "SPDX-2.3",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "doc",
        "packages": [],
    }
    doc.update(overrides)
    return orjson.dumps(doc)


def _package(spdx_id: str, name: str, **fields: Any) -> dict[str, Any]:
    return {"SPDXID": spdx_id, "name": name, "downloadLocation": "NOASSERTION", **fields}


def test_files_are_not_components_but_paths_through_them_count() -> None:
    sbom = read_sbom(
        _spdx2(
            documentDescribes=["SPDXRef-app"],
            packages=[
                _package("SPDXRef-app", "app", hasFiles=["SPDXRef-bin"]),
                _package("SPDXRef-libc", "libc", versionInfo="2.36"),
            ],
            files=[{"SPDXID": "SPDXRef-bin", "fileName": "./bin/app"}],
            relationships=[
                {
                    "spdxElementId": "SPDXRef-bin",
                    "relationshipType": "DEPENDS_ON",
                    "relatedSpdxElement": "SPDXRef-libc",
                },
                {
                    "spdxElementId": "SPDXRef-app",
                    "relationshipType": "DEPENDS_ON",
                    "relatedSpdxElement": "NONE",
                },
            ],
        ),
        source="files.spdx.json",
    )
    assert [c.name for c in sbom.components] == ["libc"]
    assert sbom.direct_refs() == {"SPDXRef-libc"}
    assert sbom.warnings == ()


def test_no_describes_means_no_subject_and_a_warning() -> None:
    sbom = read_sbom(_spdx2(packages=[_package("SPDXRef-a", "a")]), source="x.json")
    assert sbom.subject is None
    assert [c.name for c in sbom.components] == ["a"]
    assert sbom.warnings == ("the document does not say which package it describes; no subject",)


def test_several_purls_keep_the_first_with_a_warning() -> None:
    refs = [
        {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p}
        for p in ("pkg:npm/a@1", "pkg:github/acme/a@v1")
    ]
    sbom = read_sbom(
        _spdx2(packages=[_package("SPDXRef-a", "a", externalRefs=refs)]), source="x.json"
    )
    assert sbom.components[0].purl == "pkg:npm/a@1"
    assert (
        "$.packages[0]: package 'a' has 2 purls (pkg:npm/a@1, pkg:github/acme/a@v1)"
        in (sbom.warnings[0])
    )


@pytest.mark.parametrize(
    ("data", "location", "message"),
    [
        (
            _spdx2(spdxVersion="SPDX-2.0"),
            "$.spdxVersion",
            "SPDX version 'SPDX-2.0' is not supported",
        ),
        (
            _spdx2(spdxVersion=2.3),
            "$.spdxVersion",
            "expected a string for 'spdxVersion', got number",
        ),
        (
            _spdx2(packages=[{"SPDXID": "SPDXRef-a"}]),
            "$.packages[0]",
            "missing required string 'name'",
        ),
        (_spdx2(packages=[{"name": "a"}]), "$.packages[0]", "missing required string 'SPDXID'"),
        (
            _spdx2(packages=[_package("SPDXRef-a", "a", versionInfo=1.0)]),
            "$.packages[0].versionInfo",
            "expected a string for 'versionInfo', got number",
        ),
        (
            _spdx2(packages=[_package("SPDXRef-a", "a", externalRefs=[{"referenceType": "purl"}])]),
            "$.packages[0].externalRefs[0]",
            "missing required string 'referenceLocator'",
        ),
        (
            _spdx2(relationships=[{"spdxElementId": "a", "relationshipType": "DEPENDS_ON"}]),
            "$.relationships[0]",
            "missing required string 'relatedSpdxElement'",
        ),
        (_spdx2(packages="none"), "$.packages", "expected an array for 'packages', got string"),
    ],
)
def test_spdx2_json_errors_name_the_path(data: bytes, location: str, message: str) -> None:
    with pytest.raises(SbomError) as raised:
        read_sbom(data, source="bad.spdx.json")
    assert raised.value.location == location
    assert message in raised.value.message


_TV_HEAD = "SPDXVersion: SPDX-2.2\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n"


@pytest.mark.parametrize(
    ("text", "location", "message"),
    [
        (_TV_HEAD + "this line has no tag\n", "line 4", "expected 'Tag: value'"),
        (
            _TV_HEAD + "PackageName: a\nSPDXID: SPDXRef-a\nPackageCopyrightText: <text>open\n\n",
            "line 6",
            "the <text> of PackageCopyrightText is never closed by </text>",
        ),
        (_TV_HEAD + "PackageName: a\nPackageVersion: 1\n", "line 4", "package 'a' has no SPDXID"),
        (
            _TV_HEAD + "PackageName: a\nSPDXID: SPDXRef-a\nPackageChecksum: SHA1\n",
            "line 6",
            "expected 'PackageChecksum: <ALG>: <value>'",
        ),
        (
            _TV_HEAD + "PackageName: a\nSPDXID: SPDXRef-a\nExternalRef: purl pkg:npm/a@1\n",
            "line 6",
            "expected 'ExternalRef: <category> <type> <locator>'",
        ),
        (_TV_HEAD + "Relationship: SPDXRef-a DEPENDS_ON\n", "line 4", "expected 'Relationship:"),
        ("SPDXVersion: SPDX-1.2\n", "line 1", "SPDX version 'SPDX-1.2' is not supported"),
        (
            _TV_HEAD + "PackageName: a\nSPDXID: SPDXRef-a\nSPDXID: SPDXRef-b\n",
            "line 6",
            "package 'a' has a second SPDXID 'SPDXRef-b'",
        ),
    ],
)
def test_tag_value_errors_name_the_line(text: str, location: str, message: str) -> None:
    with pytest.raises(SbomError) as raised:
        read_sbom(text.encode(), source="bad.spdx")
    assert raised.value.location == location
    assert message in raised.value.message


def test_tag_value_spdxid_may_follow_other_package_tags() -> None:
    text = (
        _TV_HEAD
        + "PackageName: a\nPackageVersion: 1.0\nSPDXID: SPDXRef-a\n"
        + "ExternalRef: PACKAGE_MANAGER purl pkg:pypi/A_B@1.0\n"
        + "Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-a\n"
    )
    sbom = read_sbom(text.encode(), source="ok.spdx")
    assert sbom.subject is not None
    assert (sbom.subject.ref, sbom.subject.version, sbom.subject.purl) == (
        "SPDXRef-a",
        "1.0",
        "pkg:pypi/a-b@1.0",
    )


def test_tag_value_must_be_utf8() -> None:
    with pytest.raises(SbomError) as raised:
        read_sbom((_TV_HEAD + "DocumentName: caf\xe9\n").encode("latin-1"), source="x.spdx")
    assert raised.value.location == "line 4"
    assert "not UTF-8" in raised.value.message


def _spdx3(*elements: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": list(elements)}
    )


@pytest.mark.parametrize(
    ("data", "location", "message"),
    [
        (
            _spdx3({"type": "software_Package", "spdxId": "urn:a"}),
            "$['@graph'][0]",
            "missing required string 'name'",
        ),
        (
            _spdx3({"type": "software_Package", "spdxId": "urn:a", "name": ["a"]}),
            "$['@graph'][0].name",
            "expected a string for 'name', got array",
        ),
        (
            _spdx3({"type": "Relationship", "relationshipType": "dependsOn", "from": "urn:a"}),
            "$['@graph'][0]",
            "missing required 'to'",
        ),
        (_spdx3(), "$", "no elements in '@graph'"),
        (_spdx3("element"), "$['@graph'][0]", "expected an object for an element, got string"),
    ],
)
def test_spdx3_errors_name_the_path(data: bytes, location: str, message: str) -> None:
    with pytest.raises(SbomError) as raised:
        read_sbom(data, source="bad.spdx3.json")
    assert raised.value.location == location
    assert message in raised.value.message


def test_spdx3_relationship_targets_may_be_a_single_string() -> None:
    """Compact JSON-LD may write a one-element ``to`` array as the bare value."""
    sbom = read_sbom(
        _spdx3(
            {"type": "software_Package", "spdxId": "urn:a", "name": "a"},
            {"type": "software_Package", "spdxId": "urn:b", "name": "b"},
            {
                "type": "Relationship",
                "from": "urn:doc",
                "to": "urn:a",
                "relationshipType": "describes",
            },
            {
                "type": "Relationship",
                "from": "urn:a",
                "to": "urn:b",
                "relationshipType": "dependsOn",
            },
        ),
        source="x.json",
    )
    assert sbom.subject is not None and sbom.subject.ref == "urn:a"
    assert sbom.direct_refs() == {"urn:b"}

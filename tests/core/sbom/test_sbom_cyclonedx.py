"""CycloneDX JSON (1.2-1.7) and XML (1.0-1.7) readers, on hand-written fixtures.

Every ``tests/fixtures/sbom/cyclonedx-1.x`` file describes the same small product (and validates
against the official schema of its version), so one expectation covers all versions and both
encodings; 1.0 and 1.1 lack metadata, bom-refs and the graph, and say so in what they give.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from support import FIXTURES
from vulndesk.core.errors import SbomError
from vulndesk.core.sbom.model import Hash, Sbom
from vulndesk.core.sbom.reader import read_sbom, read_sbom_file

SBOM_FIXTURES = FIXTURES / "sbom"
JSON_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6", "1.7")
MODERN = [f"cyclonedx-{v}.{ext}" for v in JSON_VERSIONS for ext in ("json", "xml")]
BAD_PURL_WARNING = (
    "invalid purl 'pkg:maven/only-name@1.0': a maven purl needs a namespace (the groupId);"
    " the component is kept without a purl"
)


def _fixture(name: str) -> Sbom:
    return read_sbom_file(SBOM_FIXTURES / name)


def _doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1}
    doc.update(overrides)
    return doc


def _read(doc: dict[str, Any]) -> Sbom:
    return read_sbom(orjson.dumps(doc), source="test.json")


@pytest.mark.parametrize("name", MODERN)
def test_versions_1_2_to_1_6_read_the_same(name: str) -> None:
    sbom = _fixture(name)
    version = name.split("-")[1].rsplit(".", 1)[0]
    assert (sbom.format, sbom.spec_version) == ("CycloneDX", version)
    assert sbom.encoding == name.rsplit(".", 1)[1]
    assert sbom.serial_number == "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
    assert sbom.created == "2024-05-01T12:00:00Z"
    assert sbom.authors == ("Acme Build Team",)
    # 1.2-1.4 write tools as an array of {vendor, name, version}, 1.5+ as {components, services}
    assert sbom.tools[0] == "Acme sbom-maker 2.1.0"

    assert sbom.subject is not None
    assert (sbom.subject.ref, sbom.subject.name, sbom.subject.version) == (
        "acme-app",
        "acme-app",
        "1.0.0",
    )
    assert sbom.subject.purl == "pkg:generic/acme-app@1.0.0"

    assert [(c.ref, c.name, c.version, c.purl) for c in sbom.components] == [
        ("pkg:npm/lodash@4.17.20", "lodash", "4.17.20", "pkg:npm/lodash@4.17.20"),
        ("requests", "Requests", "2.25.0", "pkg:pypi/requests@2.25.0"),
        ("openssl", "openssl", "1.1.1k", None),
        ("legacy-blob@7", "legacy-blob", "7", None),  # no bom-ref: synthetic group/name@version
        ("acme-lib", "acme-lib", "3.2", "pkg:maven/com.acme/acme-lib@3.2"),
        ("acme-lib-core", "acme-lib-core", "3.2", "pkg:maven/com.acme/acme-lib-core@3.2"),
        ("broken-purl", "only-name", "1.0", None),
        ("acme-agent", "acme-agent", "5.0", None),
    ]
    by_ref = {c.ref: c for c in sbom.components}
    lodash = by_ref["pkg:npm/lodash@4.17.20"]
    assert lodash.hashes == (
        Hash("SHA-256", "a7b7e5e1c0ba6a8a4cbc63a27ed08b4d2dc5f7c1d3e5f5b8a0e6f7a8b9c0d1e2"),
    )
    assert lodash.licenses == ("MIT",)
    assert lodash.supplier == "OpenJS Foundation"
    assert lodash.scope == "required"
    assert lodash.type == "library"
    assert by_ref["requests"].licenses == ("Apache-2.0",)  # an expression
    assert by_ref["openssl"].cpes == ("cpe:2.3:a:openssl:openssl:1.1.1k:*:*:*:*:*:*:*",)
    assert by_ref["openssl"].identity() == "cpe"
    assert by_ref["legacy-blob@7"].identity() == "name"
    assert by_ref["acme-lib"].group == "com.acme"
    assert by_ref["acme-agent"].swid == "swidgen-acme-agent-5.0"
    broken = by_ref["broken-purl"]
    assert broken.purl is None
    assert broken.purl_error is not None and "needs a namespace" in broken.purl_error

    # declared graph plus the nesting edge acme-lib -> acme-lib-core
    assert dict(sbom.dependencies) == {
        "acme-app": ("pkg:npm/lodash@4.17.20", "requests", "acme-lib"),
        "pkg:npm/lodash@4.17.20": (),
        "acme-lib": ("acme-lib-core", "openssl"),
    }
    assert sbom.direct_refs() == {"pkg:npm/lodash@4.17.20", "requests", "acme-lib"}
    assert sbom.transitive_refs() == {
        "pkg:npm/lodash@4.17.20",
        "requests",
        "acme-lib",
        "acme-lib-core",
        "openssl",
    }
    assert len(sbom.warnings) == 1
    assert sbom.warnings[0].endswith(BAD_PURL_WARNING)


@pytest.mark.parametrize("version", ["1.5", "1.6", "1.7"])
def test_tools_object_form(version: str) -> None:
    for ext in ("json", "xml"):
        sbom = _fixture(f"cyclonedx-{version}.{ext}")
        expected = ("Acme sbom-maker 2.1.0",)
        if version in ("1.6", "1.7"):
            expected += ("acme-sbom-service 1",)
        assert sbom.tools == expected


def test_json_and_xml_give_equal_documents() -> None:
    for version in JSON_VERSIONS:
        as_json = _fixture(f"cyclonedx-{version}.json")
        as_xml = _fixture(f"cyclonedx-{version}.xml")
        assert as_json.components == as_xml.components
        assert as_json.subject == as_xml.subject
        assert as_json.dependencies == as_xml.dependencies
        assert as_json.tools == as_xml.tools
        # only the warning's location differs: JSON path versus element path
        assert as_json.warnings == (f"$.components[5]: {BAD_PURL_WARNING}",)
        assert as_xml.warnings == (f"/bom/components/component[6]: {BAD_PURL_WARNING}",)


@pytest.mark.parametrize("name", ["cyclonedx-1.0.xml", "cyclonedx-1.1.xml"])
def test_versions_1_0_and_1_1(name: str) -> None:
    sbom = _fixture(name)
    assert sbom.spec_version == name[10:13]
    assert sbom.subject is None  # no metadata before 1.2
    refs = [c.ref for c in sbom.components]
    if name == "cyclonedx-1.0.xml":
        # no bom-ref at all: the purl as written, else name@version
        assert refs == [
            "pkg:npm/lodash@4.17.20",
            "pkg:pypi/Requests@2.25.0",
            "openssl@1.1.1k",
            "legacy-blob@7",
            "pkg:maven/com.acme/acme-lib@3.2",
            "pkg:maven/com.acme/acme-lib-core@3.2",
            "pkg:maven/only-name@1.0",
        ]
        parent = "pkg:maven/com.acme/acme-lib@3.2"
    else:
        assert refs == [
            "pkg:npm/lodash@4.17.20",
            "requests",
            "openssl@1.1.1k",
            "legacy-blob@7",
            "acme-lib",
            "pkg:maven/com.acme/acme-lib-core@3.2",
            "broken-purl",
        ]
        parent = "acme-lib"
    # nesting is the only structure these versions have
    assert dict(sbom.dependencies) == {parent: ("pkg:maven/com.acme/acme-lib-core@3.2",)}
    assert [c.purl for c in sbom.components][:2] == [
        "pkg:npm/lodash@4.17.20",
        "pkg:pypi/requests@2.25.0",
    ]
    assert sbom.components[2].cpes == ("cpe:2.3:a:openssl:openssl:1.1.1k:*:*:*:*:*:*:*",)
    licences = "Apache-2.0"
    assert sbom.components[1].licenses == (licences,)
    assert len(sbom.warnings) == 1


def test_synthetic_refs_never_take_a_declared_ref() -> None:
    sbom = _read(
        _doc(
            components=[
                {"type": "library", "name": "a", "version": "1"},  # would be "a@1"
                {"type": "library", "name": "a", "version": "1"},  # a second one: "a@1#2"
                {"type": "library", "bom-ref": "a@1#3", "name": "b"},
                {"type": "library", "bom-ref": "a@1", "name": "c"},  # declared later, still wins
            ]
        )
    )
    assert [c.ref for c in sbom.components] == ["a@1#2", "a@1#4", "a@1#3", "a@1"]
    assert sbom.warnings == ()


def test_duplicate_bom_ref_is_renamed_with_a_warning() -> None:
    sbom = _read(
        _doc(
            components=[
                {"type": "library", "bom-ref": "x", "name": "first"},
                {"type": "library", "bom-ref": "x", "name": "second"},
            ],
            dependencies=[{"ref": "x", "dependsOn": []}],
        )
    )
    assert [c.ref for c in sbom.components] == ["x", "x#2"]
    assert sbom.warnings == ("$.components[1]: ref 'x' is used twice; this one was renamed 'x#2'",)


def test_subject_repeated_among_components_is_not_a_component() -> None:
    sbom = _read(
        _doc(
            metadata={"component": {"type": "application", "bom-ref": "app", "name": "app"}},
            components=[
                {
                    "type": "application",
                    "bom-ref": "app",
                    "name": "app",
                    "components": [{"type": "library", "bom-ref": "part", "name": "part"}],
                },
                {"type": "library", "bom-ref": "lib", "name": "lib"},
            ],
        )
    )
    assert [c.ref for c in sbom.components] == ["part", "lib"]
    assert sbom.direct_refs() == {"part"}
    assert sbom.warnings == ()


def test_subject_nested_components_are_flattened() -> None:
    sbom = _read(
        _doc(
            metadata={
                "component": {
                    "type": "device",
                    "bom-ref": "router",
                    "name": "router",
                    "components": [
                        {
                            "type": "firmware",
                            "bom-ref": "fw",
                            "name": "fw",
                            "version": "2.1",
                            "components": [
                                {"type": "library", "bom-ref": "busybox", "name": "busybox"}
                            ],
                        }
                    ],
                }
            }
        )
    )
    assert [c.ref for c in sbom.components] == ["fw", "busybox"]
    assert sbom.direct_refs() == {"fw"}
    assert sbom.transitive_refs() == {"fw", "busybox"}


def test_edges_to_unknown_refs_are_dropped_with_a_warning() -> None:
    sbom = _read(
        _doc(
            components=[{"type": "library", "bom-ref": "a", "name": "a"}],
            dependencies=[
                {"ref": "a", "dependsOn": ["ghost-1", "ghost-2"]},
                {"ref": "nobody", "dependsOn": ["a"]},
            ],
        )
    )
    assert dict(sbom.dependencies) == {"a": ()}
    assert sbom.warnings == (
        "the dependency graph names 3 ref(s) that are not components of this document"
        " ('ghost-1', 'ghost-2', 'nobody'); those edges were left out",
    )


def test_invalid_cpe_is_left_out_with_a_warning() -> None:
    sbom = _read(
        _doc(components=[{"type": "library", "bom-ref": "a", "name": "a", "cpe": "cpe:2.3:a:v"}])
    )
    assert sbom.components[0].cpes == ()
    assert "$.components[0]: invalid CPE 'cpe:2.3:a:v'" in sbom.warnings[0]
    assert sbom.warnings[0].endswith("the CPE is left out")


@pytest.mark.parametrize(
    ("doc", "location", "message"),
    [
        (_doc(bomFormat="SPDX"), "$.bomFormat", "'bomFormat' is 'SPDX'; expected 'CycloneDX'"),
        (_doc(specVersion=1.4), "$.specVersion", "expected a string for 'specVersion', got number"),
        (_doc(specVersion="1.8"), "$.specVersion", "CycloneDX 1.8 JSON is not supported"),
        (_doc(specVersion="1.1"), "$.specVersion", "CycloneDX 1.1 JSON is not supported"),
        (_doc(components={}), "$.components", "expected an array for 'components', got object"),
        (_doc(components=["lodash"]), "$.components[0]", "expected an object for a component"),
        (
            _doc(components=[{"type": "library", "version": "1"}]),
            "$.components[0]",
            "missing required string 'name'",
        ),
        (
            _doc(components=[{"name": "a", "hashes": [{"alg": "SHA-1", "content": 1}]}]),
            "$.components[0].hashes[0].content",
            "expected a string for 'content', got number",
        ),
        (
            _doc(components=[{"name": "a", "licenses": [{"license": {"id": True}}]}]),
            "$.components[0].licenses[0].license.id",
            "expected a string for 'id', got boolean",
        ),
        (
            _doc(components=[{"name": "a", "bom-ref": ["x"]}]),
            "$.components[0]['bom-ref']",
            "expected a string for 'bom-ref', got array",
        ),
        (
            _doc(dependencies=[{"ref": "a", "dependsOn": [None]}]),
            "$.dependencies[0].dependsOn[0]",
            "expected a string for a ref, got null",
        ),
        (
            _doc(metadata={"tools": "sbom-maker"}),
            "$.metadata.tools",
            "expected an array or an object for 'tools'",
        ),
        (_doc(vulnerabilities=[{"id": "CVE-1"}]), "$.vulnerabilities", "CycloneDX VEX document"),
    ],
)
def test_json_errors_name_the_path(doc: dict[str, Any], location: str, message: str) -> None:
    with pytest.raises(SbomError) as raised:
        _read(doc)
    assert raised.value.location == location
    assert message in raised.value.message
    assert raised.value.source == "test.json"


def _xml(body: str, version: str = "1.4") -> bytes:
    return (
        f'<?xml version="1.0"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/{version}"'
        f' version="1">{body}</bom>'
    ).encode()


@pytest.mark.parametrize(
    ("data", "location", "message"),
    [
        (
            _xml(
                "<components><component type='library'><version>1</version></component>"
                "</components>"
            ),
            "/bom/components/component[1]",
            "a <component> has no <name>",
        ),
        (
            _xml(
                "<components><component type='library'><name>a</name><hashes>"
                "<hash>00</hash></hashes></component></components>"
            ),
            "/bom/components/component[1]/hashes/hash[1]",
            "a <hash> lacks the 'alg' attribute",
        ),
        (
            _xml("<dependencies><dependency ref='a'><dependency/></dependency></dependencies>"),
            "/bom/dependencies/dependency[1]/dependency[1]",
            "a <dependency> has no 'ref' attribute",
        ),
        (_xml("", version="1.8"), "/bom", "CycloneDX 1.8 XML is not supported"),
        (
            _xml("<vulnerabilities><vulnerability/></vulnerabilities>"),
            "/bom/vulnerabilities",
            "CycloneDX VEX document",
        ),
    ],
)
def test_xml_errors_name_the_element(data: bytes, location: str, message: str) -> None:
    with pytest.raises(SbomError) as raised:
        read_sbom(data, source="test.xml")
    assert raised.value.location == location
    assert message in raised.value.message


def test_deeply_nested_components_are_read_without_recursion() -> None:
    # JSON: orjson allows 1024 levels; each component level takes two (object, array).
    # (orjson.dumps stops at 254 levels, so the text is built by hand.)
    depth = 500
    opening = "".join(f'{{"bom-ref": "c{i}", "name": "c{i}", "components": [' for i in range(depth))
    text = '{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": ['
    text += opening + "]}" * depth + "]}"
    sbom = read_sbom(text.encode(), source="deep.json")
    assert len(sbom.components) == depth
    assert sbom.dependencies["c0"] == ("c1",)

    # XML has no such limit: 5,000 levels.
    depth = 5000
    opening = "".join(
        f"<component type='library' bom-ref='c{i}'><name>c{i}</name><components>"
        for i in range(depth)
    )
    closing = "</components></component>" * depth
    sbom = read_sbom(_xml(f"<components>{opening}{closing}</components>"), source="deep.xml")
    assert len(sbom.components) == depth
    assert sbom.dependencies[f"c{depth - 2}"] == (f"c{depth - 1}",)

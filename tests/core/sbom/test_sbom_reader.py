"""Format detection (from content, never the name), refusal of unsafe or foreign input, limits."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from support import FIXTURES
from vulndesk.core.errors import SbomError
from vulndesk.core.sbom import reader
from vulndesk.core.sbom.reader import read_sbom, read_sbom_file

SBOM_FIXTURES = FIXTURES / "sbom"
EXPECTED = "expected CycloneDX (JSON or XML), SPDX 2.x (JSON or tag-value) or SPDX 3.0 (JSON-LD)"


def _refused(name: str) -> SbomError:
    with pytest.raises(SbomError) as raised:
        read_sbom_file(SBOM_FIXTURES / name)
    assert raised.value.source == str(SBOM_FIXTURES / name)
    return raised.value


@pytest.mark.parametrize("name", ["billion-laughs.xml", "external-entity.xml", "external-dtd.xml"])
def test_xml_with_a_dtd_is_refused(name: str) -> None:
    error = _refused(name)
    assert error.message.startswith("the XML declares a document type (DTD 'bom'); DTDs are")
    assert "billion laughs" in error.message


def test_truncated_json_names_line_and_column() -> None:
    error = _refused("truncated.cdx.json")
    assert error.location == "line 15 column 12"
    assert error.message.startswith("malformed JSON: ")


def test_wrong_types_name_the_json_path() -> None:
    error = _refused("wrong-types.cdx.json")
    assert error.location == "$.components[1].name"
    assert error.message == "expected a string for 'name', got number"
    assert str(error) == (
        f"{SBOM_FIXTURES / 'wrong-types.cdx.json'}:$.components[1].name:"
        " expected a string for 'name', got number"
    )


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("osv-record.json", "this is an OSV vulnerability record ('GHSA-29mw-wpgm-hmr9')"),
        ("csaf-advisory.json", "this is a CSAF advisory (document.csaf_version)"),
        ("not-an-sbom.txt", "neither JSON nor XML nor SPDX tag-value (it starts with 'Release"),
        ("empty.json", "the input is empty"),
        ("cyclonedx-vex.json", "this is a CycloneDX VEX document: it has 1 vulnerabilities"),
    ],
)
def test_documents_that_are_not_sboms_are_named(name: str, says: str) -> None:
    error = _refused(name)
    assert says in error.message
    if name != "cyclonedx-vex.json":
        assert error.message.endswith(EXPECTED)


def test_huge_json_nesting_is_refused_not_crashed() -> None:
    error = _refused("deeply-nested.json")
    assert error.message.startswith("the JSON is nested more than 1024 levels deep")
    assert error.location == "line 1 column 1026"


def test_huge_xml_nesting_does_not_crash() -> None:
    depth = 200_000
    body = "<x>" * depth + "</x>" * depth
    data = f'<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><a>{body}</a></bom>'.encode()
    sbom = read_sbom(data, source="deep.xml")
    assert sbom.components == ()


_FOREIGN = [
    (b"[1, 2]", "the JSON document is an array, not an object"),
    (b'"text"', "neither JSON nor XML"),  # does not start with { or [
    (b"\x00\x01\x02binary", "binary data"),
    (b"\xff\xfe{\x00}\x00", "UTF-16 text; save it as UTF-8"),
    (b"PK\x03\x04rest-of-zip", "a ZIP archive"),
    (gzip.compress(b'{"bomFormat": "CycloneDX"}'), "gzip-compressed"),
    (b"spdxVersion: SPDX-2.3\nname: x\n", "SPDX in YAML, which is not supported"),
    (b"bomFormat: CycloneDX\nspecVersion: '1.5'\n", "CycloneDX in YAML"),
    (b'{"@context": "https://openvex.dev/ns/v0.2.0", "statements": []}', "OpenVEX"),
    (
        b'{"@context": "https://spdx.org/rdf/3.1/spdx-context.jsonld", "@graph": []}',
        "which is not SPDX 3.0.x",
    ),
    (b'{"specVersion": "1.5", "components": []}', "looks like CycloneDX JSON but has no"),
    (b'{"SPDXID": "SPDXRef-DOCUMENT", "packages": []}', "looks like SPDX 2 JSON but has no"),
    (b'{"bomformat": "CycloneDX"}', "the key 'bomformat' should be spelled 'bomFormat'"),
    (b'{"hello": "world"}', "none of 'bomFormat', 'spdxVersion' or '@graph' (keys: 'hello')"),
    (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns:spdx="http://spdx.org/rdf/terms#"/>',
        "SPDX RDF is not supported",
    ),
    (b"<bom><components/></bom>", "the <bom> element has no namespace"),
    (b'<bom xmlns="urn:other"/>', "in the namespace 'urn:other'"),
    (b"<html><body>hi</body></html>", "root element <html>"),
    (b"<bom", "malformed XML: unclosed token"),
]


@pytest.mark.parametrize(("data", "says"), _FOREIGN, ids=[says for _, says in _FOREIGN])
def test_foreign_input_is_described(data: bytes, says: str) -> None:
    with pytest.raises(SbomError) as raised:
        read_sbom(data, source="upload")
    assert says in raised.value.message


def test_malformed_xml_names_line_and_column() -> None:
    data = b'<?xml version="1.0"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.4">\n  <a></b>\n'
    with pytest.raises(SbomError) as raised:
        read_sbom(data, source="bad.xml")
    assert raised.value.message == "malformed XML: mismatched tag"
    assert raised.value.location == "line 3 column 8"


@pytest.mark.parametrize(
    ("fixture", "disguise"),
    [
        ("cyclonedx-1.4.json", "bom.xml"),
        ("cyclonedx-1.4.xml", "bom.json"),
        ("spdx-2.3-multi.spdx", "sbom.spdx.json"),
        ("spdx-3.0-minimal.spdx3.json", "sbom.spdx"),
        ("spdx-2.3-package-manager.spdx.json", "README"),
    ],
)
def test_format_comes_from_content_not_the_name(
    fixture: str, disguise: str, tmp_path: Path
) -> None:
    original = read_sbom_file(SBOM_FIXTURES / fixture)
    data = (SBOM_FIXTURES / fixture).read_bytes()
    renamed = tmp_path / disguise
    renamed.write_bytes(data)
    assert read_sbom_file(renamed).components == original.components
    assert read_sbom(data, source=disguise).components == original.components


@pytest.mark.parametrize(
    "fixture", ["cyclonedx-1.6.json", "cyclonedx-1.6.xml", "spdx-2.3-multi.spdx"]
)
def test_utf8_byte_order_mark_is_accepted(fixture: str) -> None:
    data = (SBOM_FIXTURES / fixture).read_bytes()
    plain = read_sbom(data, source=fixture)
    assert read_sbom(b"\xef\xbb\xbf" + data, source=fixture) == plain


@pytest.mark.parametrize("fixture", ["cyclonedx-1.6.json", "spdx-2.3-multi.spdx"])
def test_leading_white_space_is_accepted(fixture: str) -> None:
    # (Not for XML, where nothing may come before the <?xml ...?> declaration.)
    data = (SBOM_FIXTURES / fixture).read_bytes()
    plain = read_sbom(data, source=fixture)
    assert read_sbom(b"\n  \n" + data, source=fixture).components == plain.components


def test_size_limit_is_checked_before_parsing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(reader, "MAX_SBOM_BYTES", 100)
    data = b'{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": []}' + b" " * 40
    with pytest.raises(SbomError, match="the input is 106 bytes; the limit is 100 bytes"):
        read_sbom(data, source="big.json")
    big = tmp_path / "big.json"
    big.write_bytes(data)
    with pytest.raises(SbomError, match="the file is 106 bytes; the limit is 100 bytes"):
        read_sbom_file(big)
    assert reader.MAX_SBOM_BYTES == 100
    monkeypatch.undo()
    assert reader.MAX_SBOM_BYTES == 256 * 1024 * 1024


def test_recursion_anywhere_becomes_an_sbom_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(data: bytes, source: str) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(reader, "_read", explode)
    with pytest.raises(SbomError, match="nested too deeply to read"):
        read_sbom(b"{}", source="x.json")


def test_reading_cyclonedx_json_imports_only_what_it_needs(tmp_path: Path) -> None:
    """The scan budget is 0.25 s: no XML parser, no other readers, no CPE module, no Django."""
    bom = tmp_path / "bom.json"
    bom.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.5",
                "components": [{"type": "library", "name": "a", "purl": "pkg:npm/a@1"}],
            }
        )
    )
    script = (
        "import sys\n"
        "from vulndesk.core.sbom.reader import read_sbom_file\n"
        f"assert read_sbom_file({str(bom)!r}).components[0].purl == 'pkg:npm/a@1'\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "vulndesk.core.sbom.readers.cyclonedx_json" in loaded
    unwanted = {
        "defusedxml",
        "xml.etree.ElementTree",
        "vulndesk.core.sbom.readers.cyclonedx_xml",
        "vulndesk.core.sbom.readers.spdx2_json",
        "vulndesk.core.sbom.readers.spdx2_tagvalue",
        "vulndesk.core.sbom.readers.spdx3_jsonld",
        "vulndesk.core.ids.cpe",
        "cyclonedx",
        "spdx_tools",
        "license_expression",
        "django",
    }
    assert loaded.isdisjoint(unwanted), loaded & unwanted

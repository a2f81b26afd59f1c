"""Telling the VEX format from the content, and refusing what is not VEX with a clear error."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from support import FIXTURES
from vulndesk.core.errors import VulndeskError
from vulndesk.core.vex import MAX_VEX_BYTES, VexError, read_vex, read_vex_file, vex_format
from vulndesk.core.vex.reader import VexError as ReaderVexError

VEX = FIXTURES / "vex"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("openvex-example.json", "openvex"),
        ("openvex-v0.0.1.json", "openvex"),
        ("cyclonedx-embedded.json", "cyclonedx"),
        ("csaf-relationships.json", "csaf"),
    ],
)
def test_the_format_is_told_from_the_content(name: str, kind: str) -> None:
    data = (VEX / name).read_bytes()
    assert vex_format(orjson.loads(data)) == kind
    # the name plays no part
    assert read_vex(data, "upload.bin").format == kind


def test_vex_error_is_one_class_and_a_vulndesk_error() -> None:
    assert ReaderVexError is VexError
    assert issubclass(VexError, VulndeskError)


def test_a_utf8_byte_order_mark_is_accepted() -> None:
    data = b"\xef\xbb\xbf" + (VEX / "openvex-v0.0.1.json").read_bytes()
    assert read_vex(data, "bom.json").statements


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the input is empty"),
        (b"  \n", "the input is empty"),
        (b'{"@context": "https://openvex.dev/ns/v0.2.0", ', "not valid JSON"),
        (b"<bom/>", "not valid JSON"),
        (b"[1, 2]", "the JSON document is an array, not an object"),
        (b'"CVE-2021-44228"', "the JSON document is a string, not an object"),
        (b'{"spdxVersion": "SPDX-2.3", "packages": []}', "this is an SPDX SBOM"),
        (
            b'{"id": "GHSA-1", "modified": "2024-01-01T00:00:00Z"}',
            "this is an OSV vulnerability record",
        ),
        (b'{"statements": [], "author": "x"}', "looks like OpenVEX but has no OpenVEX '@context'"),
        (b'{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"}', "not OpenVEX"),
        (
            b'{"specVersion": "1.5", "vulnerabilities": []}',
            "looks like CycloneDX JSON but has no 'bomFormat'",
        ),
        (b'{"hello": "world"}', "none of '@context', 'bomFormat' or 'document' (keys: 'hello')"),
    ],
    ids=[
        "empty",
        "blank",
        "truncated",
        "xml",
        "array",
        "string",
        "spdx",
        "osv",
        "openvex-without-context",
        "json-ld",
        "cyclonedx-without-bomformat",
        "unknown",
    ],
)
def test_what_is_not_vex_is_refused_with_what_it_looks_like(data: bytes, message: str) -> None:
    with pytest.raises(VexError) as caught:
        read_vex(data, "upload.json")
    assert caught.value.source == "upload.json"
    assert message in caught.value.message
    assert "expected OpenVEX, CycloneDX (JSON) or CSAF VEX" in caught.value.message
    assert str(caught.value).startswith("upload.json")


def test_not_json_names_the_line_and_column() -> None:
    with pytest.raises(VexError) as caught:
        read_vex(b'{\n  "statements": [,]\n}', "broken.json")
    assert caught.value.location == "line 2 column 18"  # the comma


def test_an_unknown_status_names_the_file_and_the_json_path() -> None:
    doc = orjson.loads((VEX / "openvex-example.json").read_bytes())
    doc["statements"][3]["status"] = "probably_fine"
    with pytest.raises(VexError) as caught:
        read_vex(orjson.dumps(doc), "vendor.openvex.json")
    assert str(caught.value) == (
        "vendor.openvex.json:$.statements[3].status: expected one of not_affected, affected, "
        "fixed, under_investigation, got 'probably_fine'"
    )


def test_a_huge_input_is_refused_before_parsing() -> None:
    data = b'{"@context": "https://openvex.dev/ns/v0.2.0", "statements": []}'
    with pytest.raises(VexError, match=r"the input is 63 bytes; the limit is 62 bytes"):
        read_vex(data, "big.json", max_bytes=62)
    assert read_vex(data, "ok.json", max_bytes=63).statements == ()
    assert MAX_VEX_BYTES >= 64 * 1024 * 1024  # real CSAF VEX files run to tens of MiB


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_bytes(b"{" + b" " * 4096 + b"}")
    with pytest.raises(VexError) as caught:
        read_vex_file(path, max_bytes=1024)
    assert caught.value.source == str(path)
    assert "larger than the 1024 byte limit" in caught.value.message


def test_a_missing_file_is_a_vex_error(tmp_path: Path) -> None:
    with pytest.raises(VexError, match="cannot read"):
        read_vex_file(tmp_path / "absent.json")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    data = b'{"bomFormat": "CycloneDX", "metadata": ' + b"[" * 2000 + b"]" * 2000 + b"}"
    with pytest.raises(VexError):
        read_vex(data, "deep.json")

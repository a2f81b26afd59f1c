"""JVN iPedia / MyJVN: JVNRSS overview lists and VULDEF details, in Japanese and English."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from support import FIXTURES
from vulndesk.core.advisories.jvn import (
    parse_jvn,
    parse_jvnrss,
    parse_vuldef,
    read_jvn,
)
from vulndesk.core.advisories.model import (
    Advisory,
    LocalizedText,
    ProductStatement,
    Reference,
    Severity,
    VersionEntry,
)
from vulndesk.core.advisories.sources import RecordProblem
from vulndesk.core.errors import AdvisoryError

JVN = FIXTURES / "feeds" / "jvn"
JST = timezone(timedelta(hours=9))


def overview(name: str = "overview_ja.rdf") -> list[Advisory | RecordProblem]:
    return parse_jvnrss((JVN / name).read_bytes(), source=name)


def test_jvnrss_item() -> None:
    advisory, _ = overview()
    assert isinstance(advisory, Advisory)
    assert (advisory.id, advisory.source) == ("JVNDB-2024-000123", "jvn")
    title = "サンプル製 PLC 制御ソフトウェアにおけるバッファオーバーフローの脆弱性"
    assert advisory.titles == (LocalizedText("ja", title),)
    assert advisory.summary == title
    assert advisory.descriptions[0].lang == "ja"
    assert advisory.published == datetime(2024, 3, 1, 14, 30, tzinfo=JST)
    assert advisory.modified == datetime(2024, 3, 5, 10, 0, tzinfo=JST)
    assert advisory.aliases == ("JVNVU#12345678", "CVE-2024-20001")
    assert advisory.cwes == ("CWE-120",)
    assert advisory.severity == (
        Severity("CVSS_V3", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "JVN"),
        Severity("CVSS_V2", "AV:N/AC:L/Au:N/C:C/I:C/A:C", "JVN"),  # JVN's parentheses dropped
    )
    assert advisory.products == (
        ProductStatement(
            vendor="サンプル株式会社",
            product="PLC 制御ソフトウェア",
            cpes=(
                "cpe:2.3:a:sample:plc_control_software:*:*:*:*:*:*:*:*",
                "cpe:2.3:a:sample:plc_control_software:2.1:*:*:*:*:*:*:*",
            ),
        ),
    )
    assert advisory.references[0] == Reference(
        "ADVISORY", "https://jvndb.jvn.jp/ja/contents/2024/JVNDB-2024-000123.html"
    )
    assert Reference("WEB", "https://cwe.mitre.org/data/definitions/120.html") in (
        advisory.references
    )


def test_bad_item_is_a_problem_with_its_xml_path() -> None:
    _, problem = overview()
    assert isinstance(problem, RecordProblem)
    assert problem.location == "overview_ja.rdf:/rdf:RDF/item[2]"
    assert "dcterms:modified" in problem.message and "not a date" in problem.message


def test_language_from_status_when_root_has_none() -> None:
    (advisory,) = overview("overview_en.rdf")
    assert isinstance(advisory, Advisory)
    assert advisory.titles[0].lang == "en"


def test_caller_language_wins() -> None:
    data = (JVN / "overview_en.rdf").read_bytes()
    (advisory,) = parse_jvnrss(data, source="x", lang="en-GB")
    assert isinstance(advisory, Advisory)
    assert advisory.titles[0].lang == "en-GB"


def test_each_language_is_a_record_of_its_own() -> None:
    records = [a for a in overview() + overview("overview_en.rdf") if isinstance(a, Advisory)]
    assert [(a.id, a.titles[0].lang) for a in records] == [
        ("JVNDB-2024-000123", "ja"),
        ("JVNDB-2024-000123", "en"),
    ]
    assert records[1].titles[0].text == (
        "Buffer overflow vulnerability in Sample PLC control software"
    )


def test_vuldef_document() -> None:
    (advisory,) = parse_vuldef((JVN / "detail.xml").read_bytes(), source="detail.xml")
    assert isinstance(advisory, Advisory)
    assert advisory.id == "JVNDB-2024-000123"
    assert advisory.titles[0].lang == "ja"
    assert advisory.details is not None and "バッファオーバーフロー" in advisory.details
    assert advisory.published == datetime(2024, 3, 1, 14, 30, tzinfo=JST)
    assert advisory.modified == datetime(2024, 3, 5, 10, 0, tzinfo=JST)
    assert advisory.aliases == ("CVE-2024-20001", "JVNVU#12345678")
    assert advisory.cwes == ("CWE-120",)
    assert [s.type for s in advisory.severity] == ["CVSS_V3", "CVSS_V2"]
    assert advisory.products == (
        ProductStatement(
            vendor="サンプル株式会社",
            product="PLC 制御ソフトウェア",
            versions=(
                VersionEntry("2.1 およびそれ以前", "affected", version_type="jvn-text"),
                VersionEntry("3.0.0", "affected", version_type="jvn-text"),
            ),
            cpes=("cpe:2.3:a:sample:plc_control_software:*:*:*:*:*:*:*:*",),
        ),
    )
    assert advisory.database_specific == {
        "solutions": [
            "[アップデートする] 開発者が提供する情報をもとに、最新版へアップデートしてください。"
        ]
    }
    assert Reference("ADVISORY", "https://sample.example.jp/security/SA-2024-01") in (
        advisory.references
    )


def test_parse_jvn_tells_documents_apart_and_read_jvn_walks_a_folder() -> None:
    assert len(parse_jvn((JVN / "detail.xml").read_bytes(), source="d")) == 1
    assert len(parse_jvn((JVN / "overview_ja.rdf").read_bytes(), source="o")) == 2
    items = list(read_jvn(JVN, display="jvn"))
    assert len(items) == 4
    with pytest.raises(AdvisoryError, match="not a JVN document"):
        parse_jvn(b"<html/>", source="x")


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><item><title>&lol2;</title></item>
</rdf:RDF>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<VULDEF-Document><Vulinfo><VulinfoID>&xxe;</VulinfoID></Vulinfo></VULDEF-Document>"""


@pytest.mark.parametrize("data", [BOMB, EXTERNAL], ids=["entity bomb", "external entity"])
def test_entities_are_refused(data: bytes) -> None:
    with pytest.raises(AdvisoryError, match="refused: the document declares") as caught:
        parse_jvn(data, source="evil.xml")
    assert caught.value.source == "evil.xml"


def test_malformed_xml_names_line_and_column() -> None:
    with pytest.raises(AdvisoryError) as caught:
        parse_jvnrss(b"<rdf:RDF xmlns:rdf='x'>\n<item>", source="bad.rdf")
    assert caught.value.location is not None and caught.value.location.startswith("line 2")


def test_myjvn_error_status_is_raised() -> None:
    data = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns:status="http://jvndb.jvn.jp/myjvn/Status">'
        b'<status:Status retCd="1" errCd="1001" errMsg="invalid parameter"/></rdf:RDF>'
    )
    with pytest.raises(AdvisoryError, match="1001 invalid parameter"):
        parse_jvnrss(data, source="api")


def test_bad_cpe_is_reported_on_its_item(tmp_path: Path) -> None:
    data = (
        (JVN / "overview_en.rdf")
        .read_bytes()
        .replace(
            b"<sec:identifier>JVNDB-2024-000123</sec:identifier>",
            b"<sec:identifier>JVNDB-2024-000123</sec:identifier><sec:cpe>cpe:/x:bad</sec:cpe>",
        )
    )
    (problem,) = parse_jvnrss(data, source="en.rdf")
    assert isinstance(problem, RecordProblem)
    assert "/rdf:RDF/item[1]/sec:cpe[1]" in problem.message

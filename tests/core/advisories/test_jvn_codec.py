"""JVN iPedia / MyJVN: JVNRSS overview lists, VULDEF details and JVN CSAF details (MyJVN API 4.0),
in Japanese and English."""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest

from support import FIXTURES
from vulndesk.core.advisories.jvn import (
    parse_jvn,
    parse_jvn_csaf,
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


# --- JVN CSAF (MyJVN API 4.0, feed=oka) -----------------------------------------------------------

ONLINE = FIXTURES / "feeds" / "online"
VECTOR = "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"


def jvn_csaf(lang: str = "ja") -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(
        (ONLINE / f"myjvn-csaf-JVNDB-2026-012345-{lang}.json").read_bytes()
    )
    return data


def test_a_jvn_csaf_detail_is_one_jvn_record() -> None:
    advisory = parse_jvn_csaf(jvn_csaf(), source="ja.json")
    assert (advisory.id, advisory.source, advisory.schema_version) == (
        "JVNDB-2026-012345",
        "jvn",
        "2.1",
    )
    assert advisory.titles == (
        LocalizedText("ja", "Example Server におけるパストラバーサルの脆弱性"),
    )
    assert advisory.summary == advisory.titles[0].text
    assert advisory.descriptions == (
        LocalizedText("ja", "Example Server には、パストラバーサルの脆弱性が存在します。"),
    )
    assert advisory.published == datetime(2026, 11, 18, 14, 45, 58, tzinfo=JST)
    assert advisory.modified == datetime(2026, 11, 19, 17, 0, tzinfo=JST)
    assert advisory.aliases == ("CVE-2026-10001",)
    assert advisory.cwes == ("CWE-22",)
    assert advisory.severity == (Severity("CVSS_V3", VECTOR, "JVN"),)  # CSAF 2.1 metrics[]
    # the product tree names no version; jvn_extension.affected says which are affected
    assert advisory.products == (
        ProductStatement(
            vendor="Example",
            product="Example Server",
            versions=(VersionEntry("0", "affected", "semver", less_than="2.4.1"),),
            default_status="unknown",
            cpes=("cpe:2.3:a:example:example_server:*:*:*:*:*:*:*:*",),
            product_id="jvnpid:1.0::example:example_server",
        ),
    )
    specific = advisory.database_specific or {}
    assert specific["solutions"] == [
        "開発者が提供する情報をもとに、最新版へアップデートしてください。"
    ]
    assert specific["csaf"]["document"] == "JVNDB-2026-012345"
    assert specific["csaf"]["publisher"] == "https://www.ipa.go.jp"
    assert specific["csaf"]["product_status"] == [
        {"jvnpid:1.0::example:example_server": ["known_affected"]}
    ]
    assert Reference(
        "ADVISORY", "https://jvndb.jvn.jp/ja/contents/2026/JVNDB-2026-012345.html"
    ) in (advisory.references)


def test_the_english_detail_is_a_record_of_its_own_language() -> None:
    ja = parse_jvn_csaf(jvn_csaf("ja"), source="ja.json")
    en = parse_jvn_csaf(jvn_csaf("en"), source="en.json")
    assert ja.id == en.id
    assert en.titles == (LocalizedText("en", "Path traversal vulnerability in Example Server"),)
    assert en.descriptions[0].lang == "en"
    assert (en.aliases, en.severity, en.cwes) == (ja.aliases, ja.severity, ja.cwes)
    assert en.modified == datetime(2026, 11, 19, 18, 30, tzinfo=JST)


def test_parse_jvn_reads_a_json_document_as_jvn_csaf() -> None:
    data = (ONLINE / "myjvn-csaf-JVNDB-2026-012345-en.json").read_bytes()
    (advisory,) = parse_jvn(b"\xef\xbb\xbf\n" + data, source="en.json")
    assert isinstance(advisory, Advisory) and advisory.titles[0].lang == "en"
    with pytest.raises(AdvisoryError, match="a JVN CSAF document was expected") as caught:
        parse_jvn(b'{"document": ', source="cut.json")
    assert caught.value.source == "cut.json"


def test_a_csaf_2_0_document_of_the_same_record_reads_the_same() -> None:
    doc = jvn_csaf()
    vuln = doc["vulnerabilities"][0]
    doc["document"] |= {"csaf_version": "2.0", "category": "csaf_security_advisory"}
    vuln["scores"] = [{**vuln.pop("metrics")[0]["content"], "products": ["p"]}]
    vuln["cwe"] = vuln.pop("cwes")[0]
    del doc["jvn_extension"], doc["status"]
    advisory = parse_jvn_csaf(doc, source="2.0.json")
    reference = parse_jvn_csaf(jvn_csaf(), source="2.1.json")
    assert (advisory.id, advisory.aliases, advisory.severity, advisory.cwes) == (
        reference.id,
        reference.aliases,
        reference.severity,
        reference.cwes,
    )
    # without JVN's extension the product tree is all there is: every version affected
    (statement,) = advisory.products
    assert (statement.versions, statement.default_status) == ((), "affected")


def test_several_vulnerabilities_make_one_record_with_every_cve() -> None:
    doc = jvn_csaf()
    second = copy.deepcopy(doc["vulnerabilities"][0])
    second |= {"cve": "CVE-2026-10009", "cwes": [{"id": "CWE-noinfo", "name": "情報不足"}]}
    second["metrics"][0]["content"]["cvss_v3"]["vectorString"] = VECTOR.replace("C:H", "C:L")
    doc["vulnerabilities"].append(second)
    doc["vulnerabilities"].append({"cve": "", "product_status": {}})  # JVN writes "" for none
    doc["jvn_extension"]["affected"].insert(0, {"$comment": "as MyJVN's documentation opens it"})
    doc["jvn_extension"]["affected"].append(
        {
            "vendor": "Example",
            "product": "Example Agent",
            "versions": [{"version": "1.0", "status": "affected"}],
        }
    )
    advisory = parse_jvn_csaf(doc, source="three.json")
    assert advisory.id == "JVNDB-2026-012345"
    assert advisory.aliases == ("CVE-2026-10001", "CVE-2026-10009")
    assert advisory.cwes == ("CWE-22",)  # CWE-noinfo names no weakness
    assert len(advisory.severity) == 2
    server, agent = advisory.products
    assert server.versions == (VersionEntry("0", "affected", "semver", less_than="2.4.1"),)
    assert agent == ProductStatement("Example", "Example Agent", (VersionEntry("1.0", "affected"),))
    assert len((advisory.database_specific or {})["csaf"]["product_status"]) == 3


def test_an_error_answer_is_reported_with_its_message() -> None:
    error = {"status": {"retCd": "1", "errCd": "1001", "errMsg": "Invalid parameter: vulnId"}}
    with pytest.raises(AdvisoryError, match="MyJVN answered an error: 1001 Invalid parameter"):
        parse_jvn_csaf(error, source="api")


@pytest.mark.parametrize(
    ("mutate", "location", "message"),
    [
        (
            lambda d: d["document"]["tracking"].update(id="ICSA-26-001-01"),
            "$.document.tracking.id",
            "not a JVN iPedia record: the tracking id is 'ICSA-26-001-01'",
        ),
        (lambda d: d.update(vulnerabilities=[]), "$.vulnerabilities", "without vulnerabilities"),
        (
            lambda d: d["jvn_extension"]["affected"][0]["versions"][0].update(status="vulnerable"),
            "$.jvn_extension.affected[0].versions[0].status",
            "expected affected, unaffected or unknown, got 'vulnerable'",
        ),
        (
            lambda d: d["vulnerabilities"][0]["metrics"][0].update(content=[]),
            "$.vulnerabilities[0].metrics[0].content",
            "expected an object",
        ),
    ],
    ids=["not a JVNDB id", "no vulnerability", "bad version status", "bad metrics content"],
)
def test_bad_jvn_csaf_names_the_json_path(mutate: Any, location: str, message: str) -> None:
    doc = jvn_csaf()
    mutate(doc)
    with pytest.raises(AdvisoryError, match=re.escape(message)) as caught:
        parse_jvn_csaf(doc, source="bad.json")
    assert (caught.value.source, caught.value.location) == ("bad.json", location)

"""Every real SBOM in ../shared/data is read, or refused for the right reason.

The expectation for each file is written down here (component count, subject, number of direct
dependencies of the subject, number of warnings); a file added to the shared folder without an
expectation fails the suite until one is written. Then the same product in different formats
must give the same components.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support import SHARED_DATA
from vulndesk.core.errors import SbomError
from vulndesk.core.sbom.model import Sbom
from vulndesk.core.sbom.reader import read_sbom_file

pytestmark = pytest.mark.shared


@dataclass(frozen=True)
class Read:
    format: str
    spec_version: str
    encoding: str
    components: int
    subject: tuple[str, str | None] | None
    direct: int
    warnings: int = 0


@dataclass(frozen=True)
class Refused:
    reason: str


_VEX = Refused("this is a CycloneDX VEX document")

EXPECTED: dict[str, Read | Refused] = {
    # CycloneDX/bom-examples
    "sbom/cyclonedx/cern-lhc-vdm-editor-e564943__bom.json": Read(
        "CycloneDX", "1.2", "json", 43, ("lhc-vdm-editor", "0.0.1"), direct=0
    ),
    # Maven: the parent POM (the subject) has no entry in the graph, so no direct dependencies
    "sbom/cyclonedx/dropwizard-1.3.15__bom.json": Read(
        "CycloneDX", "1.2", "json", 167, ("dropwizard-parent", "1.3.15"), direct=0
    ),
    "sbom/cyclonedx/dropwizard-1.3.15__bom.xml": Read(
        "CycloneDX", "1.2", "xml", 167, ("dropwizard-parent", "1.3.15"), direct=0
    ),
    "sbom/cyclonedx/juice-shop__v11.1.2__bom.json": Read(
        "CycloneDX", "1.2", "json", 840, ("juice-shop", "11.1.2"), direct=0
    ),
    "sbom/cyclonedx/juice-shop__v11.1.2__bom.xml": Read(
        "CycloneDX", "1.2", "xml", 840, ("juice-shop", "11.1.2"), direct=0
    ),
    "sbom/cyclonedx/juice-shop__via_npm__flat__bom.1.4.json": Read(
        "CycloneDX", "1.4", "json", 1115, ("juice-shop", "14.1.1"), direct=71
    ),
    # Composer, three encodings of one project; 1.1 has neither metadata nor a graph
    "sbom/cyclonedx/laravel-7.12.0__bom.1.1.xml": Read("CycloneDX", "1.1", "xml", 62, None, 0),
    "sbom/cyclonedx/laravel-7.12.0__bom.1.2.xml": Read(
        "CycloneDX", "1.2", "xml", 62, ("cyclonedx-php-composer-demo", "dev-master"), direct=1
    ),
    "sbom/cyclonedx/laravel-7.12.0__bom.1.4.json": Read(
        "CycloneDX", "1.4", "json", 62, ("cyclonedx-php-composer-demo", "dev-master"), direct=1
    ),
    # Go: ~200 modules
    "sbom/cyclonedx/proton-bridge__proton-bridge-v1.8.0.bom.json": Read(
        "CycloneDX", "1.2", "json", 201, ("github.com/ProtonMail/proton-bridge", "v1.8.0"), 56
    ),
    # spdx/spdx-examples (files are not components; only packages are)
    "sbom/spdx/example10__spdx2.3__hello-source.spdx.json": Read(
        "SPDX", "2.3", "json", 0, ("hello", None), direct=0
    ),
    "sbom/spdx/example11__spdx2.3__sbom.spdx.json": Read(
        "SPDX", "2.3", "json", 3, ("hello-server-src", "0.1.0"), direct=3
    ),
    "sbom/spdx/example11__spdx3.0__sbom.spdx3.json": Read(
        "SPDX", "3.0.1", "json-ld", 3, ("hello-server-src", "0.1.0"), direct=3
    ),
    "sbom/spdx/example12__spdx2.2__hello-src.spdx.json": Read(
        "SPDX", "2.2", "json", 0, ("hello", "0.0.1"), direct=0
    ),
    "sbom/spdx/example12__spdx3.0__hello-dist.spdx3.json": Read(
        "SPDX", "3.0.1", "json-ld", 0, ("hello", "0.0.1"), direct=0
    ),
    "sbom/spdx/example12__spdx3.0__hello-src.spdx3.json": Read(
        "SPDX", "3.0.1", "json-ld", 0, ("hello", "0.0.1"), direct=0
    ),
    # the subject comes from software_Sbom.rootElement (no describes relationship)
    "sbom/spdx/example13__spdx3.0__example13.spdx3.json": Read(
        "SPDX", "3.0.1", "json-ld", 3, ("Acme Application", "1.3"), direct=2
    ),
    "sbom/spdx/example14__content__examplemaven-0.0.1.spdx3.json": Read(
        "SPDX", "3.0.1", "json-ld", 5, ("examplemaven", "0.0.1"), direct=1
    ),
    "sbom/spdx/example14__spdx2.3__examplemaven-0.0.1-enriched.spdx.json": Read(
        "SPDX", "2.3", "json", 5, ("examplemaven", "0.0.1"), direct=1
    ),
    "sbom/spdx/example14__spdx3.0__examplemaven-0.0.1-enriched.spdx3.json": Read(
        "SPDX", "3.0.1", "json-ld", 5, ("examplemaven", "0.0.1"), direct=1
    ),
    "sbom/spdx/example1__spdx2.2__example1.spdx": Read(
        "SPDX", "2.2", "tag-value", 0, ("hello", None), direct=0
    ),
    "sbom/spdx/example1__spdx3.0__example1.json": Read(
        "SPDX", "3.0.1", "json-ld", 0, ("hello", None), direct=0
    ),
    "sbom/spdx/example2__spdx2.2__example2-bin.spdx": Read(
        "SPDX", "2.2", "tag-value", 0, ("hello-bin", None), direct=0
    ),
    "sbom/spdx/example2__spdx2.2__example2-src.spdx": Read(
        "SPDX", "2.2", "tag-value", 0, ("hello-src", None), direct=0
    ),
    "sbom/spdx/example3__spdx2.2__example3-bin.spdx": Read(
        "SPDX", "2.2", "tag-value", 0, ("main-bin", None), direct=0
    ),
    "sbom/spdx/example3__spdx3.0__example3-src.json": Read(
        "SPDX", "3.0.1", "json-ld", 0, ("main-src", None), direct=0
    ),
    # main-bin CONTAINS the file ./main, which depends on libc and libdl
    "sbom/spdx/example4__spdx2.2__example4-bin.spdx": Read(
        "SPDX", "2.2", "tag-value", 2, ("main-bin", None), direct=2
    ),
    "sbom/spdx/example4__spdx2.2__example4-src.spdx": Read(
        "SPDX", "2.2", "tag-value", 0, ("main-src", None), direct=0
    ),
    "sbom/spdx/example4__spdx3.0__example4-bin.json": Read(
        "SPDX", "3.0.1", "json-ld", 2, ("main-bin", None), direct=2
    ),
    "sbom/spdx/example5__spdx2.2__example5-src.spdx": Read(
        "SPDX", "2.2", "tag-value", 0, ("hello-go-src", None), direct=0
    ),
    "sbom/spdx/example5__spdx3.0__example5-bin.json": Read(
        "SPDX", "3.0.1", "json-ld", 0, ("hello-go-bin", None), direct=0
    ),
    # the Go standard library packages are in another document (DocumentRef-go-lib): a warning
    "sbom/spdx/example6__spdx2.2__example6-bin.spdx": Read(
        "SPDX", "2.2", "tag-value", 0, ("hello-go-bin", None), direct=0, warnings=1
    ),
    "sbom/spdx/example6__spdx2.2__example6-lib.spdx": Read(
        "SPDX", "2.2", "tag-value", 4, ("go-1.15", "1.15.4"), direct=4
    ),
    "sbom/spdx/example6__spdx2.2__example6-src.spdx": Read(
        "SPDX", "2.2", "tag-value", 0, ("hello-go-src", None), direct=0
    ),
    "sbom/spdx/example6__spdx3.0__example6-bin.json": Read(
        "SPDX", "3.0.1", "json-ld", 0, ("hello-go-bin", None), direct=0, warnings=1
    ),
    "sbom/spdx/example6__spdx3.0__example6-lib.json": Read(
        "SPDX", "3.0.1", "json-ld", 4, ("go-1.15", "1.15.4"), direct=4
    ),
    "sbom/spdx/example7__spdx2.2__example7-golang.spdx.json": Read(
        "SPDX", "2.2", "json", 1, ("go1.16.4.linux-amd64", "1.16.4"), direct=0
    ),
    # three packages described: the first is taken, with a warning
    "sbom/spdx/example7__spdx2.2__example7-third-party-modules.spdx.json": Read(
        "SPDX", "2.2", "json", 2, ("golang.org/x/text", None), direct=0, warnings=1
    ),
    # describes only a file: no subject, with a warning
    "sbom/spdx/example7__spdx3.0__example7-bin.spdx3.json": Read(
        "SPDX", "3.0.1", "json-ld", 0, None, direct=0, warnings=1
    ),
    "sbom/spdx/example7__spdx3.0__example7-go-module.spdx3.json": Read(
        "SPDX", "3.0.1", "json-ld", 0, ("example.com/hello", None), direct=0
    ),
    "sbom/spdx/example7__spdx3.0__example7-third-party-modules.spdx3.json": Read(
        "SPDX", "3.0.1", "json-ld", 1, ("golang.org/x/text", None), direct=0, warnings=1
    ),
    "sbom/spdx/example8__spdx2.3__examplemaven-0.0.1.spdx.json": Read(
        "SPDX", "2.3", "json", 5, ("examplemaven", "0.0.1"), direct=1
    ),
    "sbom/spdx/example8__spdx3.0__examplemaven-0.0.1.spdx3.json": Read(
        "SPDX", "3.0.1", "json-ld", 5, ("examplemaven", "0.0.1"), direct=1
    ),
    "sbom/spdx/example9__spdx2.2__appbomination.spdx.json": Read(
        "SPDX", "2.2", "json", 6, ("App-BOM-ination", "1.0"), direct=3
    ),
    "sbom/spdx/example9__spdx3.0__appbomination.spdx3.json": Read(
        "SPDX", "3.0.1", "json-ld", 6, ("App-BOM-ination", "1.0"), direct=3
    ),
    # CycloneDX VEX use cases: the BOMs are read (a subject and no components), the VEX
    # documents (vulnerabilities, no components) are refused as not being SBOMs
    "vex/cyclonedx/CISA-Use-Cases__Case-1__vex-affected.json": _VEX,
    "vex/cyclonedx/CISA-Use-Cases__Case-1__vex-fixed.json": _VEX,
    "vex/cyclonedx/CISA-Use-Cases__Case-1__vex-not_affected.json": _VEX,
    "vex/cyclonedx/CISA-Use-Cases__Case-1__vex-under_investigation.json": _VEX,
    "vex/cyclonedx/CISA-Use-Cases__Case-2__vex.json": _VEX,
    "vex/cyclonedx/CISA-Use-Cases__Case-3__vex.json": _VEX,
    "vex/cyclonedx/CISA-Use-Cases__Case-4__vex.json": _VEX,
    "vex/cyclonedx/CISA-Use-Cases__Case-5__vex.json": _VEX,
    "vex/cyclonedx/CISA-Use-Cases__Case-6__vex.json": _VEX,
    "vex/cyclonedx/CISA-Use-Cases__Case-7__bom-1.json": Read(
        "CycloneDX", "1.4", "json", 0, ("ABC", None), direct=0
    ),
    "vex/cyclonedx/CISA-Use-Cases__Case-7__bom-2.json": Read(
        "CycloneDX", "1.4", "json", 0, ("JKL", None), direct=0
    ),
    "vex/cyclonedx/CISA-Use-Cases__Case-7__vex.json": _VEX,
    "vex/cyclonedx/CISA-Use-Cases__Case-8__bom-1.json": Read(
        "CycloneDX", "1.4", "json", 0, ("ABC", None), direct=0
    ),
    "vex/cyclonedx/CISA-Use-Cases__Case-8__bom-2.json": Read(
        "CycloneDX", "1.4", "json", 0, ("JKL", None), direct=0
    ),
    "vex/cyclonedx/CISA-Use-Cases__Case-8__vex.json": _VEX,
    "vex/cyclonedx/Use-Cases__Case-1__vex.json": _VEX,
    "vex/cyclonedx/Use-Cases__Case-2__vex.json": _VEX,
    "vex/cyclonedx/Use-Cases__Case-3__vex.json": _VEX,
    "vex/cyclonedx/Use-Cases__Case-4__vex.json": _VEX,
    "vex/cyclonedx/Use-Cases__Case-5__vex.json": _VEX,
    "vex/cyclonedx/Use-Cases__Case-6__bom-1.json": Read(
        "CycloneDX", "1.4", "json", 0, ("Acme Product 1", None), direct=0
    ),
    "vex/cyclonedx/Use-Cases__Case-6__bom-2.json": Read(
        "CycloneDX", "1.4", "json", 0, ("Acme Product 2", None), direct=0
    ),
    "vex/cyclonedx/Use-Cases__Case-6__bom-3.json": Read(
        "CycloneDX", "1.4", "json", 0, ("Acme Product 3", None), direct=0
    ),
    "vex/cyclonedx/Use-Cases__Case-6__vex.json": _VEX,
    "vex/cyclonedx/Use-Cases__Case-7__vex.json": _VEX,
    "vex/cyclonedx/Use-Cases__Case-8__vex.json": _VEX,
    "vex/cyclonedx/Use-Cases__Case-9__bom-1.json": Read(
        "CycloneDX", "1.4", "json", 0, ("Acme Product 1", None), direct=0
    ),
    "vex/cyclonedx/Use-Cases__Case-9__bom-2.json": Read(
        "CycloneDX", "1.4", "json", 0, ("Acme Product 2", None), direct=0
    ),
    "vex/cyclonedx/Use-Cases__Case-9__bom-3.json": Read(
        "CycloneDX", "1.4", "json", 0, ("Acme Product 3", None), direct=0
    ),
    "vex/cyclonedx/Use-Cases__Case-9__vex.json": _VEX,
    "vex/cyclonedx/Use-Cases__Case-10__vex.json": _VEX,
    "vex/cyclonedx/Use-Cases__Case-11__vex.json": _VEX,
    "vex/cyclonedx/Use-Cases__Case-12__vex.json": _VEX,
    "vex/cyclonedx/Use-Cases__Case-13__bom-1.json": Read(
        "CycloneDX", "1.4", "json", 0, ("Acme Product 1", None), direct=0
    ),
    "vex/cyclonedx/Use-Cases__Case-13__bom-2.json": Read(
        "CycloneDX", "1.4", "json", 0, ("Acme Product 2", None), direct=0
    ),
    "vex/cyclonedx/Use-Cases__Case-13__bom-3.json": Read(
        "CycloneDX", "1.4", "json", 0, ("Acme Product 3", None), direct=0
    ),
    "vex/cyclonedx/Use-Cases__Case-13__vex.json": _VEX,
    "vex/cyclonedx/bom.json": Read("CycloneDX", "1.3", "json", 3, ("example-app", "1.0.0"), 0),
    "vex/cyclonedx/vex.json": _VEX,
}

_ABSENT = "../shared/data is absent (the shared real-data folder is not here)"


def _all_files() -> list[Any]:
    if not SHARED_DATA.exists():
        return [pytest.param("", id="shared-data", marks=pytest.mark.skip(reason=_ABSENT))]
    found = {
        str(path.relative_to(SHARED_DATA))
        for folder in ("sbom", "vex/cyclonedx")
        for path in (SHARED_DATA / folder).rglob("*")
        if path.is_file()
    }
    return [pytest.param(rel, id=rel) for rel in sorted(found | set(EXPECTED))]


def _read(relative: str) -> Sbom:
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"../shared/data/{relative} is absent")
    return read_sbom_file(path)


@pytest.mark.parametrize("relative", _all_files())
def test_every_shared_file_is_read_or_refused_as_expected(relative: str) -> None:
    expected = EXPECTED.get(relative)
    assert expected is not None, f"write down what reading ../shared/data/{relative} should give"
    if isinstance(expected, Refused):
        with pytest.raises(SbomError) as raised:
            _read(relative)
        assert expected.reason in raised.value.message
        return
    sbom = _read(relative)
    subject = (sbom.subject.name, sbom.subject.version) if sbom.subject else None
    assert (sbom.format, sbom.spec_version, sbom.encoding) == (
        expected.format,
        expected.spec_version,
        expected.encoding,
    )
    assert len(sbom.components) == expected.components
    assert subject == expected.subject
    assert len(sbom.direct_refs()) == expected.direct
    assert len(sbom.warnings) == expected.warnings, sbom.warnings
    refs = [c.ref for c in sbom.components]
    assert len(refs) == len(set(refs)), "refs must be unique"
    assert sbom.subject is None or sbom.subject.ref not in refs
    for ref, targets in sbom.dependencies.items():
        assert ref in refs or (sbom.subject is not None and ref == sbom.subject.ref)
        assert set(targets) <= set(refs) | {sbom.subject.ref if sbom.subject else ""}


def _same_product_key(sbom: Sbom) -> Counter[tuple[Any, ...]]:
    return Counter((c.group, c.name, c.version, c.purl, c.licenses) for c in sbom.components)


def test_laravel_in_three_encodings_has_the_same_components() -> None:
    v11 = _read("sbom/cyclonedx/laravel-7.12.0__bom.1.1.xml")
    v12 = _read("sbom/cyclonedx/laravel-7.12.0__bom.1.2.xml")
    v14 = _read("sbom/cyclonedx/laravel-7.12.0__bom.1.4.json")
    assert _same_product_key(v11) == _same_product_key(v12) == _same_product_key(v14)
    assert v12.subject == v14.subject
    assert v12.dependencies == v14.dependencies
    (direct,) = (c for c in v14.components if c.ref in v14.direct_refs())
    assert direct.purl == "pkg:composer/laravel/laravel@v7.12.0"
    # 1.1 has no bom-ref: the purl as written becomes the ref
    assert {c.ref for c in v11.components} == {c.purl for c in v11.components}


def test_juice_shop_json_and_xml_agree() -> None:
    json_sbom = _read("sbom/cyclonedx/juice-shop__v11.1.2__bom.json")
    xml_sbom = _read("sbom/cyclonedx/juice-shop__v11.1.2__bom.xml")
    key = lambda s: Counter(  # noqa: E731
        (c.ref, c.name, c.version, c.purl, c.hashes, c.licenses, c.description)
        for c in s.components
    )
    assert key(json_sbom) == key(xml_sbom)
    body_parser = next(c for c in json_sbom.components if c.ref == "pkg:npm/body-parser@1.19.0")
    assert body_parser.licenses == ("MIT",)
    assert [h.alg for h in body_parser.hashes] == ["SHA-1"]
    assert all(c.purl and c.purl.startswith("pkg:npm/") for c in json_sbom.components)
    assert json_sbom.tools == ("CycloneDX Node.js module 2.0.0",)
    assert json_sbom.created == "2020-08-03T03:20:53.771Z"


def test_dropwizard_json_and_xml_agree() -> None:
    json_sbom = _read("sbom/cyclonedx/dropwizard-1.3.15__bom.json")
    xml_sbom = _read("sbom/cyclonedx/dropwizard-1.3.15__bom.xml")
    key = lambda s: [(c.ref, c.group, c.name, c.version, c.purl, c.hashes) for c in s.components]  # noqa: E731
    assert key(json_sbom) == key(xml_sbom)
    assert json_sbom.dependencies == xml_sbom.dependencies
    assert sum(1 for targets in json_sbom.dependencies.values() if targets) == 61
    guava = "pkg:maven/com.google.guava/guava@24.1.1-jre?type=jar"
    assert len(json_sbom.dependencies[guava]) == 4


def test_proton_bridge_go_modules() -> None:
    sbom = _read("sbom/cyclonedx/proton-bridge__proton-bridge-v1.8.0.bom.json")
    assert all(c.purl and c.purl.startswith("pkg:golang/") for c in sbom.components)
    # Go module paths keep their case (see vulndesk.core.ids.purl)
    assert any("/ProtonMail/" in (c.purl or "") for c in sbom.components)
    assert len(sbom.transitive_refs()) == 200


_SPDX_PAIRS = [
    ("example1__spdx2.2__example1.spdx", "example1__spdx3.0__example1.json"),
    ("example4__spdx2.2__example4-bin.spdx", "example4__spdx3.0__example4-bin.json"),
    ("example6__spdx2.2__example6-bin.spdx", "example6__spdx3.0__example6-bin.json"),
    ("example6__spdx2.2__example6-lib.spdx", "example6__spdx3.0__example6-lib.json"),
    (
        "example8__spdx2.3__examplemaven-0.0.1.spdx.json",
        "example8__spdx3.0__examplemaven-0.0.1.spdx3.json",
    ),
    ("example9__spdx2.2__appbomination.spdx.json", "example9__spdx3.0__appbomination.spdx3.json"),
    ("example11__spdx2.3__sbom.spdx.json", "example11__spdx3.0__sbom.spdx3.json"),
    ("example12__spdx2.2__hello-src.spdx.json", "example12__spdx3.0__hello-src.spdx3.json"),
    (
        "example14__spdx2.3__examplemaven-0.0.1-enriched.spdx.json",
        "example14__spdx3.0__examplemaven-0.0.1-enriched.spdx3.json",
    ),
]


@pytest.mark.parametrize(("spdx2", "spdx3"), _SPDX_PAIRS, ids=[p[0] for p in _SPDX_PAIRS])
def test_spdx2_and_spdx3_of_one_example_agree(spdx2: str, spdx3: str) -> None:
    """The SPDX 3.0 conversion of an example has the same packages, subject and direct deps."""
    old = _read(f"sbom/spdx/{spdx2}")
    new = _read(f"sbom/spdx/{spdx3}")

    def packages(s: Sbom) -> Counter[tuple[str, str | None]]:
        return Counter((c.name, c.version) for c in s.components)

    def direct(s: Sbom) -> set[str]:
        names = {c.ref: c.name for c in s.components}
        return {names[ref] for ref in s.direct_refs()}

    assert packages(old) == packages(new)
    assert old.subject is not None and new.subject is not None
    assert (old.subject.name, old.subject.version) == (new.subject.name, new.subject.version)
    assert direct(old) == direct(new)
    assert Counter(c.purl for c in old.components) == Counter(c.purl for c in new.components)


def test_spdx_example9_identifiers_and_licences() -> None:
    sbom = _read("sbom/spdx/example9__spdx2.2__appbomination.spdx.json")
    by_name = {c.name: c for c in sbom.components}
    assert by_name["junit"].purl == "pkg:maven/junit/junit@4.12"
    assert by_name["commons-lang3"].purl == "pkg:maven/org.apache.commons/commons-lang3@3.4"
    assert sbom.subject is not None and sbom.subject.supplier == "ACT Project"
    assert sbom.authors == ("Gary O'Neall",)
    assert sbom.tools == ("Source Auditor Open Source Console",)


def test_the_shared_folder_is_where_the_tests_look() -> None:
    assert Path(__file__).resolve().parents[3].parent / "shared" / "data" == SHARED_DATA

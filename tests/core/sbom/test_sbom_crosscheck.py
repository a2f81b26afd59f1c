"""Our hand-written readers against the reference libraries they replace on the hot path.

cyclonedx-python-lib and spdx-tools are too slow for the scan budget (docs/decisions/
sbom-readers.md) but are the reference implementations: on the real SBOMs both must find the
same components with the same names, versions and purls as we do.
"""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from support import SHARED_DATA
from vulndesk.core.ids.purl import normalize_purl
from vulndesk.core.sbom.reader import read_sbom_file

pytestmark = pytest.mark.shared

_CYCLONEDX = [
    "laravel-7.12.0__bom.1.1.xml",
    "laravel-7.12.0__bom.1.4.json",
    "dropwizard-1.3.15__bom.xml",
    "proton-bridge__proton-bridge-v1.8.0.bom.json",
    "cern-lhc-vdm-editor-e564943__bom.json",
]
_SPDX2_JSON = [
    "example7__spdx2.2__example7-third-party-modules.spdx.json",
    "example9__spdx2.2__appbomination.spdx.json",
    "example11__spdx2.3__sbom.spdx.json",
    "example14__spdx2.3__examplemaven-0.0.1-enriched.spdx.json",
]


def _shared(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"../shared/data/{relative} is absent")
    return path


def _ours(path: Path) -> Counter[tuple[str, str | None, str | None]]:
    sbom = read_sbom_file(path)
    everything = [*sbom.components, *([sbom.subject] if sbom.subject else [])]
    return Counter((c.name, c.version, c.purl) for c in everything)


@pytest.mark.parametrize("name", _CYCLONEDX)
def test_cyclonedx_python_lib_finds_the_same_components(name: str) -> None:
    pytest.importorskip("cyclonedx")
    from xml.etree import ElementTree

    import orjson
    from cyclonedx.model.bom import Bom

    path = _shared(f"sbom/cyclonedx/{name}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name.endswith(".json"):
            bom = Bom.from_json(orjson.loads(path.read_bytes()))
        else:
            bom = Bom.from_xml(ElementTree.parse(path).getroot())
    theirs: Counter[tuple[str, str | None, str | None]] = Counter()
    stack: list[Any] = list(bom.components)
    if bom.metadata.component is not None:
        stack.append(bom.metadata.component)
    while stack:
        component = stack.pop()
        stack.extend(component.components)
        purl = normalize_purl(str(component.purl)) if component.purl else None
        theirs[(component.name, component.version, purl)] += 1
    assert _ours(path) == theirs


@pytest.mark.parametrize("name", _SPDX2_JSON)
def test_spdx_tools_finds_the_same_packages(name: str) -> None:
    pytest.importorskip("spdx_tools")
    from spdx_tools.spdx.parser.parse_anything import parse_file

    path = _shared(f"sbom/spdx/{name}")
    document = parse_file(str(path))
    theirs: Counter[tuple[str, str | None, str | None]] = Counter()
    for package in document.packages:
        purls = [r.locator for r in package.external_references if r.reference_type == "purl"]
        version = package.version if package.version not in (None, "NOASSERTION") else None
        theirs[(package.name, version, normalize_purl(purls[0]) if purls else None)] += 1
    assert _ours(path) == theirs

"""The stored form of non-OSV advisories: every codec's output survives the round trip."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from vulndesk.core.advisories.model import (
    Advisory,
    CpeConfiguration,
    CpeMatchCriterion,
    CpeNode,
    ExploitEvidence,
    LocalizedText,
    ProductStatement,
    Severity,
    VersionEntry,
)
from vulndesk.core.advisories.stored import (
    advisory_from_stored,
    advisory_to_stored,
)
from vulndesk.core.errors import AdvisoryError

FIXTURES = Path(__file__).parents[2] / "fixtures" / "feeds"


def _round_trip(advisory: Advisory) -> Advisory:
    return advisory_from_stored(orjson.loads(advisory_to_stored(advisory)))


def test_every_field_survives() -> None:
    advisory = Advisory(
        id="CVE-2024-0001",
        modified=datetime(2024, 5, 1, 12, tzinfo=UTC),
        published=datetime(2024, 4, 1, tzinfo=UTC),
        aliases=("JVNDB-2024-000001",),
        severity=(Severity("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "nvd"),),
        source="nvd",
        cpe_configurations=(
            CpeConfiguration(
                operator="AND",
                nodes=(
                    CpeNode(
                        cpe_match=(
                            CpeMatchCriterion(
                                "cpe:2.3:a:acme:web:*:*:*:*:*:*:*:*", version_end_excluding="2.0"
                            ),
                        )
                    ),
                    CpeNode(
                        cpe_match=(
                            CpeMatchCriterion(
                                "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*", vulnerable=False
                            ),
                        )
                    ),
                ),
            ),
        ),
        products=(
            ProductStatement(
                vendor="Mitsubishi Electric",
                product="MELSEC iQ-R R04CPU",
                versions=(
                    VersionEntry(
                        "0", "affected", less_than_or_equal="57", changes=(("40", "unaffected"),)
                    ),
                ),
                model_numbers=("R04CPU",),
                product_id="CSAFPID-0001",
            ),
        ),
        cwes=("CWE-79",),
        titles=(LocalizedText("ja", "クロスサイトスクリプティング"), LocalizedText("en", "XSS")),
        exploitation=(
            ExploitEvidence(
                "kev", "CISA KEV", date=datetime(2024, 5, 2, tzinfo=UTC), ransomware=True
            ),
        ),
        database_specific={"vulnStatus": "Analyzed", "nested": [1, {"a": None}]},
        rejected=True,
    )
    assert _round_trip(advisory) == advisory


def test_a_bare_record_survives_and_is_marked() -> None:
    advisory = Advisory(id="X-1", modified=datetime(2024, 1, 1, tzinfo=UTC), source="euvd")
    assert orjson.loads(advisory_to_stored(advisory))["_stored"] == 1
    assert _round_trip(advisory) == advisory


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"id": "X"}, "$"),  # no stored marker
        ({"_stored": 1, "id": "X", "modified": 5}, "$.modified"),
        (
            {"_stored": 1, "id": "X", "modified": "2024-01-01T00:00:00+00:00", "cwes": "CWE-1"},
            "$.cwes",
        ),
        ({"_stored": 1, "id": "X", "modified": "2024-01-01T00:00:00+00:00", "bogus": 1}, "$"),
        (
            {
                "_stored": 1,
                "id": "X",
                "modified": "2024-01-01T00:00:00+00:00",
                "products": [{"vendor": "a"}],
            },
            "$.products[0]",
        ),
    ],
    ids=["no-marker", "bad-time", "string-for-array", "unknown-field", "missing-field"],
)
def test_documents_it_did_not_write_are_refused_with_a_path(document: object, path: str) -> None:
    with pytest.raises(AdvisoryError) as caught:
        advisory_from_stored(document)
    assert path in str(caught.value)


def test_every_feed_fixture_round_trips() -> None:
    """Whatever the codecs read from the hand-written fixtures comes back unchanged."""
    from vulndesk.core.advisories.cve5 import read_cve5
    from vulndesk.core.advisories.euvd import read_euvd
    from vulndesk.core.advisories.jvn import read_jvn
    from vulndesk.core.advisories.nvd import read_nvd

    seen = 0
    for reader, folder in ((read_nvd, "nvd"), (read_cve5, "cve5"), (read_euvd, "euvd"),
                           (read_jvn, "jvn")):  # fmt: skip
        for path in sorted((FIXTURES / folder).iterdir()):
            try:
                items = list(reader(path))  # type: ignore[operator]
            except Exception:  # noqa: BLE001 - fixtures of bad input are other tests' business
                continue
            for item in items:
                if isinstance(item, Advisory):
                    assert _round_trip(item) == item, (path, item.id)
                    seen += 1
    assert seen >= 10

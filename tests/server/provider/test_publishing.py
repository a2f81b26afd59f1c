"""``csaf_publish``: validation refuses invalid documents (test id and JSON path of each
failure), valid ones are stored with their hashes, a tracking id is replaced only by a newer
version (the audit trail keeps the old one), file names follow CSAF 5.1; provider settings."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import orjson
import pytest
from django.utils import timezone

from server.provider.provider_world import World, advisory, build
from support import shared_data
from vulndesk.core.errors import InputError
from vulndesk.server.audit.models import AuditEvent
from vulndesk.server.inventory.services import AlreadyExists
from vulndesk.server.provider.models import PublishedDocument
from vulndesk.server.provider.services import (
    csaf_filename,
    csaf_publish,
    provider_settings_update,
    security_txt_expires,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build()


def publish(world: World, document: dict[str, Any], **kwargs: Any) -> Any:
    return csaf_publish(
        document=document, organisation=world.organisation, acting_user=world.alice, **kwargs
    )


def test_an_invalid_document_is_refused_with_each_test_id_and_path(world: World) -> None:
    path = shared_data("csaf/validator-tests/mandatory/oasis_csaf_tc-csaf_2_0-2021-6-1-01-01.json")
    document = json.loads(path.read_text())
    with pytest.raises(InputError) as refused:
        publish(world, document)
    # 6.1.1: product ids referenced but not defined, each named with its JSON path
    message = refused.value.message
    assert message.startswith("the CSAF document is invalid (2 failure(s)):")
    assert "6.1.1 $.product_tree.product_groups[0].product_ids[0]: product id" in message
    assert "6.1.1 $.product_tree.product_groups[0].product_ids[1]: product id" in message
    assert refused.value.location == "$.product_tree.product_groups[0].product_ids[0]"
    assert not PublishedDocument.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="provider.csaf").exists()


def test_a_broken_generated_document_lists_every_failure(world: World) -> None:
    document = advisory("EX-2025-001")
    document["vulnerabilities"][0]["product_status"]["known_affected"].append("NOPE")
    document["document"]["tracking"]["version"] = "7"
    with pytest.raises(InputError) as refused:
        publish(world, document)
    assert "6.1.1 $.vulnerabilities[0].product_status.known_affected[1]" in refused.value.message
    assert "6.1.14" in refused.value.message or "6.1.16" in refused.value.message


@pytest.mark.parametrize(
    "name", ["bsi-2022-0001.json", "rhsa-2021_5186.json", "cisco-sa-20180328-smi2.json"]
)
def test_oasis_examples_are_stored_with_their_hashes(world: World, name: str) -> None:
    document = json.loads(shared_data(f"csaf/oasis-examples/csaf/{name}").read_text())
    # cisco's example has no TLP label: it must be given, never assumed
    tlp = None if "distribution" in document["document"] else "WHITE"
    result = publish(world, document, tlp=tlp)
    stored = PublishedDocument.objects.get()
    assert stored.filename == name  # CSAF 5.1 names, as OASIS wrote them
    content = bytes(stored.content)
    assert orjson.loads(content) == document
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert stored.sha512 == hashlib.sha512(content).hexdigest()
    assert stored.tlp == "WHITE" and not result.replaced
    assert (result.signed, result.signing_note) == (False, "no signing key is configured")
    event = AuditEvent.objects.get(action="provider.csaf.publish")
    assert event.data["tracking_id"] == document["document"]["tracking"]["id"]
    assert event.actor == world.alice


@pytest.mark.parametrize(
    ("tracking_id", "filename"),
    [
        ("RHSA-2019:1862", "rhsa-2019_1862.json"),
        ("BSI-2022-0001", "bsi-2022-0001.json"),
        ("Ex  Adv//2025+1", "ex_adv_2025+1.json"),
        ("日本-1", "_-1.json"),
    ],
)
def test_file_names_follow_csaf_5_1(tracking_id: str, filename: str) -> None:
    assert csaf_filename(tracking_id) == filename


def test_a_tracking_id_is_replaced_only_by_a_newer_version(world: World) -> None:
    first = publish(world, advisory("EX-2025-001")).document
    with pytest.raises(AlreadyExists, match="version 1 is already published"):
        publish(world, advisory("EX-2025-001"))
    second = publish(world, advisory("EX-2025-001", versions=2, tlp="AMBER"))
    assert second.replaced and second.document.pk == first.pk
    stored = PublishedDocument.objects.get()
    assert (stored.version, stored.tlp) == ("2", "AMBER")
    with pytest.raises(AlreadyExists):
        publish(world, advisory("EX-2025-001"))
    replaced = AuditEvent.objects.get(action="provider.csaf.replace")
    assert replaced.data["previous"]["version"] == "1"
    assert replaced.data["previous"]["tlp"] == "WHITE"
    assert orjson.loads(replaced.data["previous"]["content"]) == advisory("EX-2025-001")
    assert AuditEvent.objects.filter(action="provider.csaf.publish").count() == 1


def test_two_ids_of_one_file_name_and_other_organisations(world: World) -> None:
    publish(world, advisory("EX:2025:1"))
    with pytest.raises(AlreadyExists, match=r"ex_2025_1\.json"):
        publish(world, advisory("ex_2025_1"))
    # another organisation has its own names
    csaf_publish(
        document=advisory("EX:2025:1"), organisation=world.other, acting_user=world.mallory
    )
    assert PublishedDocument.objects.count() == 2


def test_the_tlp_label_is_never_guessed(world: World) -> None:
    unlabelled = advisory("EX-2025-002")
    del unlabelled["document"]["distribution"]
    with pytest.raises(InputError, match="no TLP label"):
        publish(world, unlabelled)
    with pytest.raises(InputError, match="labelled TLP:WHITE, not TLP:RED"):
        publish(world, advisory("EX-2025-002"), tlp="RED")
    assert publish(world, unlabelled, tlp="CLEAR").document.tlp == "CLEAR"


def test_a_draft_is_not_published(world: World) -> None:
    draft = advisory("EX-2025-003")
    draft["document"]["tracking"]["status"] = "draft"
    with pytest.raises(InputError, match="draft"):
        publish(world, draft)


def test_withdrawing_is_audited(world: World) -> None:
    from vulndesk.server.provider.services import csaf_withdraw

    document = publish(world, advisory("EX-2025-004")).document
    with pytest.raises(InputError):
        csaf_withdraw(document=document, reason=" ", acting_user=world.alice)
    csaf_withdraw(document=document, reason="published by mistake", acting_user=world.alice)
    assert PublishedDocument.objects.get().withdrawn
    assert AuditEvent.objects.get(action="provider.csaf.withdraw").data["reason"] == (
        "published by mistake"
    )


def test_settings_are_checked_and_audited(world: World) -> None:
    assert AuditEvent.objects.filter(action="provider.settings.create").count() == 1
    with pytest.raises(InputError, match="mailto:, https: or tel:") as refused:
        provider_settings_update(
            organisation=world.organisation,
            changes={"security_contacts": ["http://insecure.example.com"]},
            acting_user=world.root,
        )
    assert refused.value.location == "security_contacts[0]"
    with pytest.raises(InputError, match="within a year"):
        provider_settings_update(
            organisation=world.organisation,
            changes={"expires": timezone.now() + timedelta(days=400)},
            acting_user=world.root,
        )
    with pytest.raises(InputError, match="unknown provider setting"):
        provider_settings_update(
            organisation=world.organisation, changes={"role": "x"}, acting_user=world.root
        )
    when = timezone.now() + timedelta(days=30)
    settings = provider_settings_update(
        organisation=world.organisation,
        changes={"expires": when, "preferred_languages": "en,ja"},
        acting_user=world.root,
    ).settings
    assert settings.preferred_languages == "en, ja"
    assert security_txt_expires(settings) == when
    update = AuditEvent.objects.get(action="provider.settings.update")
    assert set(update.data["changed"]) == {"expires", "preferred_languages"}


def test_an_unknown_signing_key_publishes_unsigned(world: World) -> None:
    result = provider_settings_update(
        organisation=world.organisation,
        changes={"signing_key": "no-such-key@example.invalid"},
        acting_user=world.root,
    )
    assert "unsigned" in result.signing_note
    assert result.settings.signing_fingerprint == ""
    published = publish(world, advisory("EX-2025-005"))
    assert not published.signed and published.signing_note
    assert published.document.signature == ""


@pytest.mark.parametrize(
    ("changes", "location"),
    [
        ({"public_base_url": "javascript:alert(1)"}, "public_base_url"),
        ({"namespace": ""}, "namespace"),
        ({"acknowledgments_url": "ftp://example.com/thanks"}, "acknowledgments_url"),
        ({"list_on_aggregators": None}, "list_on_aggregators"),
    ],
)
def test_settings_refuse_unusable_values(
    world: World, changes: dict[str, Any], location: str
) -> None:
    with pytest.raises(InputError) as refused:
        provider_settings_update(
            organisation=world.organisation, changes=changes, acting_user=world.root
        )
    assert refused.value.location == location

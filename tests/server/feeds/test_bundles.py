"""Offline bundles: what is exported is what is imported; an altered bundle, a member with an
unsafe name or a link, or one the manifest does not list, is refused and stores nothing."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import orjson
import pytest

from support import FIXTURES, ROOT
from vulndesk.server.advisories.models import Advisory, KevEntry
from vulndesk.server.advisories.services import feeds_import
from vulndesk.server.feeds.bundles import BundleError, bundle_export, bundle_import
from vulndesk.server.feeds.storing import snapshot_store

pytestmark = pytest.mark.django_db

KEV = FIXTURES / "feeds/online/kev.json"


@pytest.fixture
def stored() -> None:
    feeds_import(paths=[ROOT / "src/vulndesk/demo/data/osv"], actor_label="test")
    feeds_import(paths=[FIXTURES / "feeds/nvd/page.json"], format="nvd", actor_label="test")
    feeds_import(paths=[KEV], format="kev", actor_label="test")
    snapshot_store("kev", KEV.name, KEV.read_bytes(), records=2)


def _wipe() -> None:
    Advisory.objects.all().delete()
    KevEntry.objects.all().delete()


def _counts() -> dict[str, int]:
    counts = {f: Advisory.objects.filter(format=f).count() for f in ("osv", "nvd")}
    return counts | {"kev": KevEntry.objects.count()}


def test_round_trip_restores_every_record(stored: None, tmp_path: Path) -> None:
    before = _counts()
    assert before["osv"] == 8 and before["nvd"] > 0 and before["kev"] == 2
    bundle = tmp_path / "feeds.tar"
    export = bundle_export(path=bundle)
    assert {m["name"] for m in export.members} == {
        "advisories/osv.jsonl",
        "advisories/nvd.jsonl",
        "kev/kev.json",
    }
    _wipe()
    result = bundle_import(path=bundle)
    assert result.signature == "unsigned"
    assert _counts() == before
    again = bundle_import(path=bundle)  # newer wins: nothing is newer now
    assert again.counts["advisories/osv.jsonl"].unchanged == 8


def _rewrite(bundle: Path, target: Path, change) -> None:  # type: ignore[no-untyped-def]
    with tarfile.open(bundle) as source, tarfile.open(target, "w") as out:
        for info in source.getmembers():
            data = source.extractfile(info).read()  # type: ignore[union-attr]
            info, data = change(info, data)
            if info is not None:
                out.addfile(info, io.BytesIO(data))


def _altered(info: tarfile.TarInfo, data: bytes):  # type: ignore[no-untyped-def]
    if info.name == "advisories/osv.jsonl":
        data = data.replace(b"requests", b"requestz", 1)
    return info, data


@pytest.mark.parametrize(
    ("name", "message"),
    [("../escape.jsonl", "unsafe member name"), ("/etc/evil", "unsafe member name")],
)
def test_unsafe_member_names_are_refused(
    stored: None, tmp_path: Path, name: str, message: str
) -> None:
    bundle = tmp_path / "feeds.tar"
    bundle_export(path=bundle)
    bad = tmp_path / "bad.tar"

    def rename(info: tarfile.TarInfo, data: bytes):  # type: ignore[no-untyped-def]
        if info.name == "advisories/osv.jsonl":
            info.name = name
        return info, data

    _rewrite(bundle, bad, rename)
    _wipe()
    with pytest.raises(BundleError, match=message):
        bundle_import(path=bad)
    assert _counts() == {"osv": 0, "nvd": 0, "kev": 0}


def test_an_altered_member_is_refused_and_nothing_is_stored(stored: None, tmp_path: Path) -> None:
    bundle = tmp_path / "feeds.tar"
    bundle_export(path=bundle)
    bad = tmp_path / "bad.tar"
    _rewrite(bundle, bad, _altered)
    _wipe()
    with pytest.raises(BundleError, match="SHA-256"):
        bundle_import(path=bad)
    assert _counts() == {"osv": 0, "nvd": 0, "kev": 0}


def test_links_and_unlisted_members_are_refused(stored: None, tmp_path: Path) -> None:
    bundle = tmp_path / "feeds.tar"
    bundle_export(path=bundle)
    link = tmp_path / "link.tar"
    with tarfile.open(bundle) as source, tarfile.open(link, "w") as out:
        for info in source.getmembers():
            out.addfile(info, source.extractfile(info))
        symlink = tarfile.TarInfo("advisories/link.jsonl")
        symlink.type = tarfile.SYMTYPE
        symlink.linkname = "/etc/passwd"
        out.addfile(symlink)
    with pytest.raises(BundleError, match="not a plain file"):
        bundle_import(path=link)
    extra = tmp_path / "extra.tar"
    with tarfile.open(bundle) as source, tarfile.open(extra, "w") as out:
        for info in source.getmembers():
            out.addfile(info, source.extractfile(info))
        smuggled = tarfile.TarInfo("advisories/cve5.jsonl")
        payload = orjson.dumps({"id": "X", "raw": "{}"}) + b"\n"
        smuggled.size = len(payload)
        out.addfile(smuggled, io.BytesIO(payload))
    with pytest.raises(BundleError, match="not listed in the manifest"):
        bundle_import(path=extra)


def test_a_bad_member_late_in_the_bundle_stores_nothing(stored: None, tmp_path: Path) -> None:
    """The hashes match (the manifest is rewritten too) but a record line is not JSON: the
    transaction covers every member, so the members merged before it are rolled back."""
    bundle = tmp_path / "feeds.tar"
    bundle_export(path=bundle)
    with tarfile.open(bundle) as source:
        members = {i.name: source.extractfile(i).read() for i in source.getmembers()}  # type: ignore[union-attr]
    members["advisories/osv.jsonl"] += b"not json\n"
    manifest = orjson.loads(members["manifest.json"])
    import hashlib

    for entry in manifest["members"]:
        data = members[entry["name"]]
        entry["size"], entry["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    members["manifest.json"] = orjson.dumps(manifest)
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w") as out:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    _wipe()
    with pytest.raises(BundleError, match="not JSON"):
        bundle_import(path=bad)
    assert _counts() == {"osv": 0, "nvd": 0, "kev": 0}


def test_a_signed_bundle_is_verified_and_a_stranger_refused(
    stored: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.feeds.test_csaf_provider import make_signer

    keys = make_signer(tmp_path, "vendor")
    signer = next(keys)
    strangers = make_signer(tmp_path, "stranger")
    stranger = next(strangers)
    try:
        monkeypatch.setenv("GNUPGHOME", str(signer.home))  # gpg signs from the user's keyring
        bundle = tmp_path / "signed.tar"
        assert bundle_export(path=bundle, sign_key="vendor").signed
        _wipe()
        result = bundle_import(path=bundle, trusted_keys=[signer.public_key])
        assert result.signature == "verified"
        assert _counts()["osv"] == 8
        _wipe()
        with pytest.raises(BundleError, match="signature"):
            bundle_import(path=bundle, trusted_keys=[stranger.public_key])
        assert _counts() == {"osv": 0, "nvd": 0, "kev": 0}  # nothing stored
    finally:
        for generator in (keys, strangers):
            generator.close()

"""OpenPGP for the provider: detached signatures of published documents and the public key.

Signing uses the local ``gpg`` and its keyring (``GNUPGHOME`` or ``~/.gnupg``), as feed bundles
do (:func:`vulndesk.server.feeds.bundles._gpg_sign`): the private key never enters the database.
When gpg or the key is absent the provider publishes unsigned: :class:`SigningUnavailable`
says why, and the caller reports it rather than failing the publication.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vulndesk.core.errors import VulndeskError

_TIMEOUT = 120


class SigningUnavailable(VulndeskError):
    """gpg is not installed, or it does not hold (or cannot use) the signing key."""


@dataclass(frozen=True, slots=True)
class PublicKey:
    """The signing key as published: its fingerprint and armoured public key."""

    fingerprint: str
    armored: str


def _gpg() -> str:
    gpg = shutil.which("gpg")
    if gpg is None:
        raise SigningUnavailable("gpg is not installed")
    return gpg


def sign_detached(data: bytes, key: str) -> str:
    """Return an armoured detached signature of ``data`` by ``key``; raise SigningUnavailable
    when gpg cannot make one."""
    gpg = _gpg()
    with tempfile.TemporaryDirectory(prefix="vulndesk-sign-") as work:
        document, signature = Path(work, "document.json"), Path(work, "document.json.asc")
        document.write_bytes(data)
        argv = [gpg, "--batch", "--yes", "--armor", "--local-user", key, "--detach-sign"]
        argv += ["--output", str(signature), str(document)]
        try:
            done = subprocess.run(argv, capture_output=True, timeout=_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise SigningUnavailable(f"gpg could not sign with key {key}: {e}") from e
        if done.returncode != 0 or not signature.is_file():
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise SigningUnavailable(
                f"gpg could not sign with key {key}: {detail[-1] if detail else 'no signature'}"
            )
        return signature.read_text("ascii")


def public_key(key: str) -> PublicKey:
    """Return the fingerprint and armoured public key of ``key`` (a key id, fingerprint or user
    id the local keyring knows); raise SigningUnavailable when gpg does not know it."""
    gpg = _gpg()
    try:
        listed = subprocess.run(
            [gpg, "--batch", "--with-colons", "--fingerprint", "--list-secret-keys", key],
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
        )
        exported = subprocess.run(
            [gpg, "--batch", "--armor", "--export", key],
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SigningUnavailable(f"gpg could not read key {key}: {e}") from e
    fingerprints = [
        line.split(":")[9]
        for line in listed.stdout.decode("utf-8", "replace").splitlines()
        if line.startswith("fpr:")
    ]
    armored = exported.stdout.decode("ascii", "replace")
    if listed.returncode != 0 or not fingerprints or "BEGIN PGP PUBLIC KEY" not in armored:
        raise SigningUnavailable(f"the local gpg keyring holds no secret key {key!r}")
    # the first fingerprint is the primary key's; those after it are its subkeys'
    return PublicKey(fingerprints[0].upper(), armored)

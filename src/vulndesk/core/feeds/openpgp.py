"""Checking detached OpenPGP signatures against a trust list of public key files.

The keys are imported into a private, temporary GNUPGHOME and verified with ``gpgv``
(subprocesses with a timeout, never a shell). Used by the CSAF provider sync for ``.asc``
files and by feed bundles for their signed manifest. A provider's own published keys are never
trusted because they were published: only key files a person configured count.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from vulndesk.core.errors import VulndeskError

__all__ = ["OpenPgpError", "SignatureOutcome", "TrustedKeyring"]

SignatureOutcome = Literal["verified", "bad", "unverified", "missing", "skipped"]


class OpenPgpError(VulndeskError):
    """The trusted keyring could not be built, or gpg/gpgv could not run."""


class TrustedKeyring:
    """The trusted keys as a gpgv keyring in a private temporary GNUPGHOME."""

    def __init__(self, key_files: tuple[Path, ...], timeout: float) -> None:
        self.timeout = timeout
        self.home = Path(tempfile.mkdtemp(prefix="vulndesk-gpg-"))
        self.keyring = self.home / "trusted.gpg"
        self.empty = not key_files
        if self.empty:
            return
        gpg = shutil.which("gpg")
        if gpg is None:
            raise OpenPgpError("gpg is not installed: cannot build the trusted keyring")
        for path in key_files:
            if not path.is_file():
                raise OpenPgpError(f"trusted key file {path} does not exist")
        self._run([gpg, "--batch", "--quiet", "--import", *map(str, key_files)], "import")
        self._run([gpg, "--batch", "--yes", "--output", str(self.keyring), "--export"], "export")
        if not self.keyring.is_file() or self.keyring.stat().st_size == 0:
            raise OpenPgpError(
                "no OpenPGP public key could be read from " + ", ".join(map(str, key_files))
            )

    def _env(self) -> dict[str, str]:
        return {"GNUPGHOME": str(self.home), "PATH": os.environ.get("PATH", ""), "LC_ALL": "C"}

    def _run(self, argv: list[str], what: str) -> None:
        try:
            done = subprocess.run(
                [argv[0], "--homedir", str(self.home), *argv[1:]],
                capture_output=True,
                timeout=self.timeout,
                env=self._env(),
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            raise OpenPgpError(f"gpg {what} of the trusted keys failed: {e}") from e
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip()
            raise OpenPgpError(f"gpg {what} of the trusted keys failed: {detail}")

    def verify(self, data: bytes, signature: bytes) -> tuple[SignatureOutcome, str | None, str]:
        """Return (outcome, signing key fingerprint or key id, detail) for a detached signature."""
        if self.empty:
            return "unverified", None, "no trusted keys are configured"
        gpgv = shutil.which("gpgv")
        if gpgv is None:
            raise OpenPgpError("gpgv is not installed: cannot verify signatures")
        with tempfile.TemporaryDirectory(dir=self.home) as work:
            document, sig = Path(work, "document"), Path(work, "document.asc")
            document.write_bytes(data)
            sig.write_bytes(signature)
            argv = [gpgv, "--homedir", str(self.home), "--keyring", str(self.keyring)]
            argv += ["--status-fd", "1", str(sig), str(document)]
            try:
                done = subprocess.run(
                    argv, capture_output=True, timeout=self.timeout, env=self._env(), check=False
                )
            except subprocess.TimeoutExpired:
                return "bad", None, f"gpgv timed out after {self.timeout:g} s"
            except OSError as e:
                raise OpenPgpError(f"cannot run gpgv: {e}") from e
        status = done.stdout.decode("utf-8", "replace")
        fields = {line.split()[1]: line.split()[2:] for line in status.splitlines() if " " in line}
        if done.returncode == 0 and "VALIDSIG" in fields:
            return "verified", fields["VALIDSIG"][0], "good signature"
        if "BADSIG" in fields:
            key = fields["BADSIG"][0] if fields["BADSIG"] else None
            return "bad", key, "BAD signature: the document or its signature was altered"
        if "NO_PUBKEY" in fields or ("ERRSIG" in fields and fields["ERRSIG"][-2:-1] == ["9"]):
            key = (fields.get("NO_PUBKEY") or fields["ERRSIG"])[0]
            return "unverified", key, f"signed by key {key}, which is not in the trust list"
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return "bad", None, "signature not verifiable: " + (detail[-1] if detail else status)

    def close(self) -> None:
        """Stop any gpg agent started for the keyring's home and delete the home."""
        gpgconf = shutil.which("gpgconf")
        if gpgconf is not None and not self.empty:
            # gpg may have started an agent for this home; stop exactly that one
            subprocess.run(
                [gpgconf, "--homedir", str(self.home), "--kill", "all"],
                capture_output=True,
                timeout=self.timeout,
                env=self._env(),
                check=False,
            )
        shutil.rmtree(self.home, ignore_errors=True)

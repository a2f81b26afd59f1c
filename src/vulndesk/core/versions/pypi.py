"""PEP 440 ordering (PyPI), parsed by ``packaging.version.Version``.

Legacy versions that are not PEP 440 (``2.4-rc1-legacy``, ``1.0-SNAPSHOT``) are invalid: pip has
refused them since pip 24.1 and packaging 22 dropped ``LegacyVersion``, so there is no agreed
order to put them in.

The key is a plain tuple built from the public attributes of the parsed version, mirroring
``packaging.version._cmpkey`` (PEP 440 "Summary of permitted suffixes and relative ordering"), so
that comparing two keys is a tuple comparison rather than a Python-level ``__lt__`` call:

``(epoch, release without trailing zeros, pre, post, dev, local)`` where

- ``pre`` is ``(0,)`` for a dev release with neither pre nor post segment (``1.0.dev0`` sorts
  before ``1.0a0``), ``(1, "a" | "b" | "rc", n)`` for a pre-release, ``(2,)`` otherwise;
- ``post`` is ``-1`` when absent, else the post number;
- ``dev`` is ``(0, n)`` for a dev release and ``(1,)`` when absent (dev releases sort first);
- ``local`` is ``()`` when absent, else one ``(1, int)`` or ``(0, str)`` per segment (PEP 440:
  numeric local segments sort after alphanumeric ones).
"""

from __future__ import annotations

from typing import Any

import packaging.version

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.base import VersionScheme

__all__ = ["PYPI", "PypiScheme"]

_NO_PRE = (2,)
_DEV_ONLY = (0,)
_NO_DEV = (1,)


class PypiScheme(VersionScheme):
    """Orders PEP 440 versions exactly as ``packaging.version.Version`` does."""

    name = "pypi"

    def key(self, version: str) -> tuple[Any, ...]:
        """Return the PEP 440 sort key of ``version`` (see the module docstring)."""
        try:
            parsed = packaging.version.Version(version)
        except packaging.version.InvalidVersion as e:
            raise InvalidVersion(self.name, version, "not a PEP 440 version") from e
        release = parsed.release
        end = len(release)
        while end > 1 and release[end - 1] == 0:
            end -= 1
        pre, post, dev, local = parsed.pre, parsed.post, parsed.dev, parsed.local
        if pre is not None:
            pre_key: tuple[Any, ...] = (1, *pre)
        elif post is None and dev is not None:
            pre_key = _DEV_ONLY
        else:
            pre_key = _NO_PRE
        local_key = (
            ()
            if local is None
            else tuple((1, int(s)) if s.isdigit() else (0, s) for s in local.split("."))
        )
        return (
            parsed.epoch,
            release[:end],
            pre_key,
            -1 if post is None else post,
            _NO_DEV if dev is None else (0, dev),
            local_key,
        )


PYPI = PypiScheme()

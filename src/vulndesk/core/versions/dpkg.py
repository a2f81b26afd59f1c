"""Debian/Ubuntu ordering: dpkg's ``verrevcmp`` on ``[epoch:]upstream_version[-debian_revision]``.

Validity follows dpkg's ``parseversion`` (lib/dpkg/parsehelp.c) and Debian Policy §5.6.12:
the epoch is an unsigned integer; the upstream version is non-empty, starts with a digit and
contains only ``[A-Za-z0-9.+~-]`` (``-`` only when there is a revision, which starts after the
last ``-``); the revision contains only ``[A-Za-z0-9.+~]``. A missing epoch is 0, a missing
revision is empty, which compares equal to ``0`` (dpkg: ``1.0`` == ``1.0-0``).

Comparison (``verrevcmp`` in lib/dpkg/version.c, Policy §5.6.12): the string is read as
alternating non-digit and digit runs. Non-digit runs compare character by character with
weights ``~`` < end of run < letters (ASCII order) < everything else (ASCII order + 256); digit
runs compare numerically, an empty run being 0. So ``1.0~rc1 < 1.0 < 1.0a < 1.0+b1`` (letters
sort before non-letters).

Key layout per part (upstream, revision): a flat tuple that, for every (non-digit run, digit
run) pair, holds the run's character weights, a 0 closing the run, then the number; a final 0
stands for the empty run after the end. No weight is 0, so runs compare like dpkg's loop does.
An empty part is keyed as ``0`` (what dpkg's loop reads from it), so ``-0`` == no revision.
"""

from __future__ import annotations

import re

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.base import VersionScheme

__all__ = ["DPKG", "DpkgScheme"]

DpkgKey = tuple[int, tuple[int, ...], tuple[int, ...]]

# Upstream may contain "-" only when a revision follows (split at the last "-"), and ":" only
# after an epoch (dpkg splits the epoch at the first ":").
_VERSION_RE = re.compile(
    r"""
    (?:
        (?P<epoch>[0-9]+):
        (?:(?P<upstream_e>[0-9][A-Za-z0-9.+~:-]*)-(?P<revision_e>[A-Za-z0-9.+~]+)
        |(?P<bare_e>[0-9][A-Za-z0-9.+~:]*))
    |
        (?:(?P<upstream>[0-9][A-Za-z0-9.+~-]*)-(?P<revision>[A-Za-z0-9.+~]+)
        |(?P<bare>[0-9][A-Za-z0-9.+~]*))
    )
    """,
    re.VERBOSE | re.ASCII,
)
_RUN_RE = re.compile(r"([^0-9]*)([0-9]*)", re.ASCII)


def _weight(char: str) -> int:
    # verrevcmp order(): '~' is -1, letters their code, other characters code + 256.
    if char == "~":
        return -1
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


_WEIGHTS = {chr(c): _weight(chr(c)) for c in range(128)}


def part_key(part: str) -> tuple[int, ...]:
    """Return the ``verrevcmp`` key of one version part (upstream version or revision)."""
    flat: list[int] = []
    weights = _WEIGHTS
    for run, digits in _RUN_RE.findall(part):
        if run or digits:
            flat += [weights[c] for c in run]
            flat += (0, int(digits) if digits else 0)
    if not flat:
        # dpkg compares an absent revision as "": equal to "0" (read as an empty run, then 0)
        flat += (0, 0)
    flat.append(0)
    return tuple(flat)


class DpkgScheme(VersionScheme):
    """Orders Debian package versions exactly as dpkg does."""

    name = "deb"

    def key(self, version: str) -> DpkgKey:
        """Return ``(epoch, upstream key, revision key)``."""
        match = _VERSION_RE.fullmatch(version)
        if match is None:
            raise InvalidVersion(
                self.name, version, "not [epoch:]upstream_version[-debian_revision]"
            )
        groups = match.groupdict()
        epoch = groups["epoch"]
        upstream = groups["upstream_e"] or groups["bare_e"] or groups["upstream"] or groups["bare"]
        revision = groups["revision_e"] or groups["revision"] or ""
        return (int(epoch or 0), part_key(upstream), part_key(revision))


DPKG = DpkgScheme()

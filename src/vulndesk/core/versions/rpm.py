"""RPM ordering: ``rpmvercmp`` (rpm ``rpmio/rpmvercmp.c``) on ``[epoch:]version[-release]``.

The string is split at the first ``:`` (epoch, an unsigned integer; missing is 0, as rpm's
``rpmverCmp`` does) and at the last ``-`` (release). Epoch, version and release compare in
that order.

``rpmvercmp`` on one part: separators (anything but ASCII letters, digits, ``~`` and ``^``) are
skipped; the rest is a sequence of segments, each a run of digits, a run of letters, ``~`` or
``^``. Segments compare in turn: ``~`` sorts before everything, the end of the string
included (``1.0~rc1 < 1.0``); ``^`` sorts after the end but before any other segment
(``1.0 < 1.0^git1 < 1.0.1``, rpm >= 4.15); a number sorts after letters; numbers compare
numerically, letters by byte value (``A < Z < a``). When one side runs out, the side with a
segment left wins, unless that segment is ``~``.

A missing release is keyed like an empty one, so ``1.0 < 1.0-1``. rpm's dependency matching
instead ignores the release when one side has none (``1.0`` satisfies ``= 1.0-1``); that rule is
not an order (``1.0`` would equal both ``1.0-1`` and ``1.0-2``), so ranges that want it must
apply it themselves.

Key layout: ``(epoch, version key, release key)``, each part key a flat tuple of
``(rank, value)`` pairs with ranks ``~`` 0, end 1, ``^`` 2, letters 3, number 4, closed by the
end pair ``(1, 0)``.
"""

from __future__ import annotations

import re

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.base import VersionScheme

__all__ = ["RPM", "RpmScheme", "part_key"]

RpmKey = tuple[int, tuple[int | str, ...], tuple[int | str, ...]]

_SEGMENT_RE = re.compile(r"([0-9]+)|([A-Za-z]+)|(~)|(\^)", re.ASCII)
_TILDE = (0, 0)
_CARET = (2, 0)
_END = (1, 0)
_EPOCH_RE = re.compile(r"([0-9]+):", re.ASCII)
# rpmbuild's rpmCharCheck allows alphanumerics and "._+~^" in Version and Release (and "%{}",
# which are unexpanded macros); the epoch's ":" and the release's "-" are handled apart.
_ALLOWED_RE = re.compile(r"[A-Za-z0-9._+~^]+", re.ASCII)


def part_key(part: str) -> tuple[int | str, ...]:
    """Return the ``rpmvercmp`` key of one part (version or release)."""
    flat: list[int | str] = []
    for digits, letters, tilde, _caret in _SEGMENT_RE.findall(part):
        if digits:
            flat += (4, int(digits))
        elif letters:
            flat += (3, letters)
        elif tilde:
            flat += _TILDE
        else:
            flat += _CARET
    flat += _END
    return tuple(flat)


class RpmScheme(VersionScheme):
    """Orders RPM ``[epoch:]version[-release]`` strings exactly as rpm does."""

    name = "rpm"

    def key(self, version: str) -> RpmKey:
        """Return ``(epoch, version key, release key)``."""
        epoch = 0
        rest = version
        match = _EPOCH_RE.match(version)
        if match is not None:
            epoch = int(match.group(1))
            rest = version[match.end() :]
        upstream, dash, release = rest.rpartition("-")
        if not dash:
            upstream, release = rest, ""
        if not _ALLOWED_RE.fullmatch(upstream) or (dash and not _ALLOWED_RE.fullmatch(release)):
            raise InvalidVersion(
                self.name, version, "not [epoch:]version[-release] of letters, digits and ._+~^"
            )
        return (epoch, part_key(upstream), part_key(release))


RPM = RpmScheme()

"""The interface every version scheme implements.

A scheme turns a version string into a *sort key*: a value whose ``<``/``==`` order is the scheme's
own version order. Invariants (proven with Hypothesis in tests/core/versions):

- the key order is a total order: for any valid a, b exactly one of a<b, a==b, a>b holds, and it is
  transitive;
- two strings get equal keys exactly when the scheme says the versions are equal (``1.0`` and
  ``1.0.0`` are equal in PEP 440 and Maven, different in SemVer);
- an invalid string raises :class:`~vulndesk.core.errors.InvalidVersion`, never a guessed key.

The keys of one scheme are only ever compared with keys of the same scheme.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Any

from vulndesk.core.errors import InvalidVersion

__all__ = ["InvalidVersion", "VersionScheme"]


class VersionScheme(ABC):
    """Orders the versions of one ecosystem."""

    #: short stable name, e.g. ``"pypi"``, ``"semver"``, ``"deb"``; used in messages and as the
    #: VERS scheme
    name: str

    @abstractmethod
    def key(self, version: str) -> Any:
        """Return the sort key of ``version``; raise InvalidVersion when it is not valid here."""

    def compare(self, a: str, b: str) -> int:
        """Return -1, 0 or 1 as ``a`` sorts before, equal to or after ``b``."""
        ka, kb = self.cached_key(a), self.cached_key(b)
        # keys are typed Any: bool() keeps the result an int for mypy --strict
        return bool(ka > kb) - bool(ka < kb)

    def is_valid(self, version: str) -> bool:
        """Return whether ``version`` parses in this scheme."""
        try:
            self.cached_key(version)
        except InvalidVersion:
            return False
        return True

    def cached_key(self, version: str) -> Any:
        """Return :meth:`key`, memoised per scheme instance (advisories repeat the same bounds)."""
        return _cached_key(self, version)


@lru_cache(maxsize=65536)
def _cached_key(scheme: VersionScheme, version: str) -> Any:
    return scheme.key(version)

"""Version ranges a VEX statement is limited to, checked before they are kept: ``vers:`` strings.

A range kept as a statement's scope (the server's ``VexStatement.component_version``) is decided
later, for versions nobody has seen yet, by :func:`~vulndesk.core.vex.apply.range_covers`. So it
is checked once, when it is written or imported, and refused with the reason when that function
could not decide it for any version, or would decide it by a guess:

- it must be ``vers:<scheme>/<constraints>`` (the vers spec of package-url/purl-spec). CSAF's
  range words (``< V4.1.4``, ``>= V6.2 < V7.1``, ``All versions < V17 Update 5``), which the CSAF
  reader keeps as written, are accepted from documents only (``documents=True``) and become
  ``vers:generic/...``, which :func:`range_covers` reads the same way;
- the scheme must be one whose versions :func:`range_covers` orders by a version scheme of its
  own (``pypi``, ``npm``, ``maven``, ``deb``, ``rpm``, ``gem``, ``nuget``, ``composer``,
  ``golang``, ``apk``, ``semver`` and their aliases), or ``generic``, which asks for the generic
  ordering by name. ``vers:all/*`` is every version; ``vers:all/<...>`` (as CISA's CSAF
  advisories write it) is read as ``generic``, as :func:`range_covers` reads it. Any other
  scheme (``cargo``, ``intdot``...) would be ordered generically without being asked to: refused;
- each constraint is a comparator (``<``, ``<=``, ``>=``, ``=`` or none) and a version holding a
  digit; ``>`` and ``!=`` cannot be evaluated (the version model has no open lower bound or
  hole) and are refused;
- the constraints are in ascending version order without repeats, as vers requires:
  :func:`range_covers` reads ``>=A|<B`` as one interval by position, so an unsorted
  ``<7.0.0|>=1.5.0`` would silently cover every version.

The kept form is canonical (scheme in lower case, ``|`` between constraints, no spaces around
comparators, ``=`` left out), so the same range written twice is one scope.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Final

from vulndesk.core.advisories.csaf import version_range_entries
from vulndesk.core.errors import InputError
from vulndesk.core.ids.purl import PackageURL, purl_without_version

# the version types range_covers orders by a version scheme of their own (the table of
# vulndesk.core.matching.products, which range_covers goes through): anything else falls back on
# the generic ordering, which is a guess unless the range asks for it
from vulndesk.core.matching.products import _VERSION_TYPES
from vulndesk.core.vex.apply import range_covers

__all__ = [
    "EVERY_VERSION",
    "MAX_RANGE_LENGTH",
    "RANGE_SCHEMES",
    "VexRangeError",
    "is_vers_range",
    "vex_range",
]

#: the longest range kept (the server's ``VexStatement.component_version``)
MAX_RANGE_LENGTH: Final = 1000
#: the vers schemes a kept range may name (module docstring)
RANGE_SCHEMES: Final[frozenset[str]] = frozenset({*_VERSION_TYPES, "generic", "all"})
#: the constraints of a range that covers every version
EVERY_VERSION: Final = "*"

_VERS: Final = re.compile(r"vers:([A-Za-z0-9.+-]*)/(.*)", re.IGNORECASE | re.DOTALL)
_ALL_VERSIONS: Final = re.compile(r"^all versions\b\s*", re.IGNORECASE)
_CONSTRAINT: Final = re.compile(r"\s*(<=|>=|!=|<|>|=)?\s*([^<>=!|]*)")


class VexRangeError(InputError):
    """A version range cannot be kept as a statement's scope; the message says why."""


def is_vers_range(text: str) -> bool:
    """Return whether a statement scope's version ``text`` is a range (``vers:...``) rather than
    one version."""
    return text[:5].lower() == "vers:"


def vex_range(text: str, *, documents: bool = False, purl: PackageURL | None = None) -> str:
    """Return ``text`` as the canonical vers range to keep (module docstring), or raise
    VexRangeError naming the range and what is wrong with it.

    ``documents`` also accepts CSAF's range words. With ``purl`` (the component's package), a
    range ordering versions by another ecosystem's scheme than the package's is refused: its
    versions would be compared by the wrong rules.
    """
    shown = text.strip()
    if len(shown) > MAX_RANGE_LENGTH:
        raise VexRangeError(
            f"range {shown[:60]!r}... is {len(shown)} characters long; at most "
            f"{MAX_RANGE_LENGTH} can be kept"
        )
    m = _VERS.fullmatch(shown)
    if m is not None:
        scheme, body = m.group(1).lower(), m.group(2).strip()
    elif documents and shown:
        scheme, body = "generic", _ALL_VERSIONS.sub("", shown).strip() or EVERY_VERSION
    else:
        raise VexRangeError(
            f"range {shown!r} cannot be read: expected vers:<scheme>/<constraints>, such as "
            "vers:pypi/>=1.0|<2.0"
        )
    if scheme not in RANGE_SCHEMES:
        raise VexRangeError(
            f"range {shown!r} cannot be evaluated: vulndesk does not order versions of the vers "
            f"scheme {scheme!r} (it orders {', '.join(sorted(RANGE_SCHEMES - {'all'}))})"
        )
    if body == EVERY_VERSION:
        return f"vers:{scheme}/{EVERY_VERSION}"
    if scheme == "all":
        scheme = "generic"  # what range_covers does with it (module docstring)
    constraints = _constraints(shown, body)
    canonical = f"vers:{scheme}/" + "|".join(op + version for op, version in constraints)
    if len(canonical) > MAX_RANGE_LENGTH:
        raise VexRangeError(
            f"range {shown[:60]!r}... is longer than the {MAX_RANGE_LENGTH} characters kept"
        )
    if any(e.status == "unknown" for e in version_range_entries(canonical, "affected")):
        raise VexRangeError(f"range {shown!r} cannot be read: its constraints are not versions")
    for (_, low), (_, high) in pairwise(constraints):
        below = range_covers(f"vers:{scheme}/<{high}", low)
        if below is None:
            raise VexRangeError(
                f"range {shown!r} cannot be evaluated: versions {low!r} and {high!r} cannot be "
                f"ordered as {scheme} versions"
            )
        if not below:
            raise VexRangeError(
                f"range {shown!r} cannot be read: vers constraints must be in ascending version "
                f"order without repeats, and {high!r} does not come after {low!r}"
            )
    if purl is not None:
        _same_ecosystem(shown, scheme, purl)
    return canonical


def _constraints(shown: str, body: str) -> list[tuple[str, str]]:
    """Return the (comparator, version) pairs of a range's constraints ("" for equality)."""
    out: list[tuple[str, str]] = []
    for part in body.split("|"):
        if not part.strip():
            raise VexRangeError(f"range {shown!r} cannot be read: it has an empty constraint")
        pos = 0
        while pos < len(part):
            m = _CONSTRAINT.match(part, pos)
            assert m is not None  # every group of the pattern may be empty
            op, version = m.group(1) or "", " ".join(m.group(2).split())
            if m.end() == pos or not version:
                raise VexRangeError(
                    f"range {shown!r} cannot be read: constraint {part.strip()!r} names no version"
                )
            if op in (">", "!="):
                raise VexRangeError(
                    f"range {shown!r} cannot be evaluated: the comparator {op!r} is not "
                    "supported (write >= with the first version covered, or two intervals)"
                )
            if not any(c.isdigit() for c in version):
                raise VexRangeError(
                    f"range {shown!r} cannot be read: {version!r} is not a version (it has no "
                    "digit)"
                )
            out.append(("" if op == "=" else op, version))
            pos = m.end()
    return out


def _same_ecosystem(shown: str, scheme: str, purl: PackageURL) -> None:
    wanted = _VERSION_TYPES.get(purl.type.lower())
    have = _VERSION_TYPES.get(scheme)
    if wanted is not None and have is not None and wanted != have:
        raise VexRangeError(
            f"range {shown!r} orders versions as {scheme}, but {purl_without_version(purl)} is "
            f"a {purl.type} package: write vers:{purl.type}/..."
        )

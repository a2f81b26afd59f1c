"""Packagist ordering: Composer's ``VersionParser::normalize`` then PHP's ``version_compare``.

Composer (composer/semver ``Constraint::versionCompare``) orders two versions by normalising
both and handing the results to PHP's ``version_compare``. Both halves are reproduced here:

``VersionParser::normalize`` (composer/semver 3.x):

- surrounding whitespace, an `` as `` alias and an ``@stability`` flag are stripped, then ``+build``
  metadata;
- classical versions ``v?N(.N){0,3}`` + modifier become four numbers (``1.2`` -> ``1.2.0.0``);
  date versions ``YYYY[.-:]MM...`` (more than five leading digits) keep their numbers;
- the modifier is ``[._-]?(stable|beta|b|RC|alpha|a|patch|pl|p)`` with an optional number, then
  an optional ``[.-]dev``: ``1.0.0-beta.2`` -> ``1.0.0.0-beta2``, ``1.0.0p1`` ->
  ``1.0.0.0-patch1``, ``1.0.0-dev`` -> ``1.0.0.0-dev``; ``stable`` is the release;
- ``1.x-dev`` / ``1.2.x-dev`` branches become ``1.9999999.9999999.9999999-dev`` /
  ``1.2.9999999.9999999-dev``;
- any other ``dev-<branch>`` name (``dev-master``) is a branch, not a version: Composer never
  orders it against versions (``versionCompare`` is false for it), so it is invalid here.

PHP ``version_compare`` (``ext/standard/versioning.c``): ``-``, ``_`` and ``+`` become ``.``, a
``.`` is inserted between digits and non-digits; the parts are compared in turn, numbers
numerically, other parts by their special form ``dev < alpha = a < beta = b < RC = rc < (number)
< pl = p`` (prefix match, so ``patch`` is ``p``; anything else sorts before ``dev``). When one
version runs out, its next part is compared with a number that is not there: an extra number
wins, an extra ``dev``/``alpha``/``beta``/``RC`` loses, an extra ``patch`` wins.

Overall: ``dev < alpha < beta < RC < stable < patch``, ``1.0.0-alpha2 < 1.0.0-alpha10``,
``1.0.0.0-dev < 1.0.0.0-alpha1``, ``1.0.0-beta2-dev < 1.0.0-beta2``.

Key layout: one ``(order, number)`` pair per part, where a number is ``(4, n)`` and a string
``(special form order, 0)``, then the terminator ``(4, -1)``, which sits exactly where PHP puts a
missing part: below every number, above ``dev``/``alpha``/``beta``/``RC``, below ``pl``/``p``.
"""

from __future__ import annotations

import re

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.base import VersionScheme

__all__ = ["COMPOSER", "ComposerScheme", "normalize", "php_version_compare_key"]

ComposerKey = tuple[tuple[int, int], ...]

# VersionParser::$modifierRegex and the two version patterns of VersionParser::normalize.
_MODIFIER = r"[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?[0-9]+)*+)?)?([.-]?dev)?"
_CLASSICAL_RE = re.compile(
    r"v?([0-9]{1,5}+)(\.[0-9]++)?(\.[0-9]++)?(\.[0-9]++)?" + _MODIFIER, re.IGNORECASE | re.ASCII
)
_DATE_RE = re.compile(
    r"v?([0-9]{4}(?:[.:-]?[0-9]{2}){1,6}(?:[.:-]?[0-9]{1,3}){0,2})" + _MODIFIER,
    re.IGNORECASE | re.ASCII,
)
_ALIAS_RE = re.compile(r"([^,\s]++) ++as ++([^,\s]++)")
_STABILITY_FLAG_RE = re.compile(r"@(?:stable|RC|beta|alpha|dev)$", re.IGNORECASE)
_BUILD_RE = re.compile(r"([^,\s+]++)\+[^\s]++")
_DEV_SUFFIX_RE = re.compile(r"(.*?)[.-]?dev", re.IGNORECASE | re.DOTALL)
_BRANCH_RE = re.compile(
    r"v?([0-9]++)(\.(?:[0-9]++|[xX*]))?(\.(?:[0-9]++|[xX*]))?(\.(?:[0-9]++|[xX*]))?",
    re.IGNORECASE | re.ASCII,
)
_EXPANDED_STABILITY = {"a": "alpha", "b": "beta", "p": "patch", "pl": "patch", "rc": "RC"}

# ext/standard/versioning.c compare_special_version_forms; matched as prefixes, in this order.
_SPECIAL_FORMS = (
    ("dev", 0),
    ("alpha", 1),
    ("a", 1),
    ("beta", 2),
    ("b", 2),
    ("RC", 3),
    ("rc", 3),
    ("#", 4),
    ("pl", 5),
    ("p", 5),
)
_NUMBER_ORDER = 4
_MISSING_PART = (_NUMBER_ORDER, -1)
_PART_RE = re.compile(r"[0-9]+|[^0-9]+", re.ASCII)
_PHP_SEPARATOR_RE = re.compile(r"[-_+]|[^0-9A-Za-z.]", re.ASCII)


class _BranchName(ValueError):
    """The string names a branch (``dev-master``), which Composer never orders."""


def normalize(version: str) -> str:
    """Return Composer's normalised form of ``version`` (``VersionParser::normalize``)."""
    version = version.strip()
    if match := _ALIAS_RE.fullmatch(version):
        version = match.group(1)
    if match := _STABILITY_FLAG_RE.search(version):
        version = version[: match.start()]
    if version in ("master", "trunk", "default") or version[:4].lower() == "dev-":
        raise _BranchName(version)
    if match := _BUILD_RE.fullmatch(version):
        version = match.group(1)
    if match := _CLASSICAL_RE.fullmatch(version):
        normalized = match.group(1) + "".join(part or ".0" for part in match.group(2, 3, 4))
        index = 5
    elif match := _DATE_RE.fullmatch(version):
        normalized = re.sub(r"[^0-9]", ".", match.group(1))
        index = 2
    else:
        match = _DEV_SUFFIX_RE.fullmatch(version)
        if match is not None and (branch := _BRANCH_RE.fullmatch(match.group(1).strip())):
            # VersionParser::normalizeBranch: 1.x-dev -> 1.9999999.9999999.9999999-dev
            parts = [
                (branch.group(i) or ".x").replace("*", "x").replace("X", "x") for i in range(1, 5)
            ]
            return "".join(parts).replace("x", "9999999") + "-dev"
        raise ValueError(version)
    stability, number, dev = match.group(index, index + 1, index + 2)
    if stability:
        # PHP compares with 'stable' === $matches[...]: only lower-case "stable" is the release
        if stability == "stable":
            return normalized
        stability = _EXPANDED_STABILITY.get(stability.lower(), stability.lower())
        normalized += "-" + stability + (number or "").lstrip(".-")
    if dev:
        normalized += "-dev"
    return normalized


def _special_form(part: str) -> int:
    for prefix, order in _SPECIAL_FORMS:
        if part.startswith(prefix):
            return order
    return -1


def php_version_compare_key(version: str) -> ComposerKey:
    """Return a key whose order is PHP's ``version_compare`` on ``version``."""
    # php_canonicalize_version: [-_+] and other non-alphanumerics separate parts, as does every
    # digit/non-digit transition; runs of separators collapse.
    canonical = _PHP_SEPARATOR_RE.sub(".", version)
    parts: list[tuple[int, int]] = []
    for chunk in canonical.split("."):
        for part in _PART_RE.findall(chunk):
            if part[0].isdigit():
                parts.append((_NUMBER_ORDER, int(part)))
            else:
                parts.append((_special_form(part), 0))
    parts.append(_MISSING_PART)
    return tuple(parts)


class ComposerScheme(VersionScheme):
    """Orders Packagist versions exactly as Composer does (see the module docstring)."""

    name = "composer"

    def key(self, version: str) -> ComposerKey:
        """Return the ``version_compare`` key of Composer's normalised ``version``."""
        try:
            normalized = normalize(version)
        except _BranchName as e:
            raise InvalidVersion(
                self.name, version, "a dev- branch name, which Composer does not order"
            ) from e
        except ValueError as e:
            raise InvalidVersion(self.name, version, "not a Composer version") from e
        return php_version_compare_key(normalized)


COMPOSER = ComposerScheme()

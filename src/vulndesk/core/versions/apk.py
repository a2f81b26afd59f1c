"""Alpine (apk-tools 2) ordering: ``apk_version_compare`` of apk-tools 2.x ``src/version.c``.

Used for Alpine, Wolfi and Chainguard. A version is
``digits{.digits}[letter]{_suffix[number]}[-r<revision>]``, e.g. ``1.2.3_rc1-r0``, ``2.4a-r2``,
``1.0_git20230101_p2-r1``; validity is ``apk_version_validate`` (which, unlike apk, we do not
stretch to a version that starts with a letter or is empty).

apk-tools reads the version as tokens and compares them in turn:

- numbers compare numerically; a number right after a ``.`` that has leading zeros is read as
  ``-(count of zeros)`` followed by the rest of the number, so ``1.05 < 1.5`` and
  ``1.00 < 1.0``. A component made only of zeros is that one token: we do not emit the empty
  number token that a literal reading of apk-tools 2's ``get_token`` leaves after ``.0`` when
  something follows, which would make ``1.0_rc1 > 1.0`` (unlike ``1.1_rc1 < 1.1``);
- letters compare by their code; suffixes by ``_alpha < _beta < _pre < _rc < _cvs < _svn < _git
  < _hg < _p``, then their numbers;
- when the token *types* differ, the version whose next token is a pre-release suffix
  (``_alpha``, ``_beta``, ``_pre``, ``_rc``) is older; otherwise the order of token types decides,
  ``.number`` > number > letter > suffix > suffix number > ``-r`` > end, so
  ``1.2 < 1.2a < 1.2.1`` (a letter is older than another ``.number``),
  ``1.2_rc1 < 1.2 < 1.2-r1 < 1.2_p1`` and ``1.0 > 1`` (trailing zeros are significant).

apk-tools 3 compares a dotted number with a leading zero as a string instead
(``1.02 > 1.010`` there, ``1.02 < 1.010`` here); Alpine releases up to 3.22 ship apk-tools 2.

Key layout: a flat tuple ``(type rank, value, type rank, value, ..., end rank)`` where the rank
of a token type grows with the version (end lowest, pre-release suffix below it), so tuple order
is apk's order: values are compared only under equal types, and the first different type is
decided by its rank, exactly as apk's loop decides.
"""

from __future__ import annotations

import re

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.base import VersionScheme

__all__ = ["APK", "ApkScheme"]

ApkKey = tuple[int, ...]

# apk-tools 2 token types, and their rank in the key (higher rank = newer version when the
# types of two tokens differ; TOKEN_SUFFIX splits into pre- and post-release).
_DIGIT_OR_ZERO = 6
_DIGIT = 5
_LETTER = 4
_SUFFIX_POST = 3
_SUFFIX_NO = 2
_REVISION_NO = 1
_END = 0
_SUFFIX_PRE = -1

# get_token(): pre_suffixes get negative values, post_suffixes 0.., matched as prefixes in order.
_PRE_SUFFIXES = ("alpha", "beta", "pre", "rc")
_POST_SUFFIXES = ("cvs", "svn", "git", "hg", "p")
_SUFFIX_VALUES = {s: i - len(_PRE_SUFFIXES) for i, s in enumerate(_PRE_SUFFIXES)} | {
    s: i for i, s in enumerate(_POST_SUFFIXES)
}

# The subset of what apk_version_validate accepts that we accept: a leading number, then dotted
# numbers and letter(+number) groups, suffixes, one revision. (apk also takes "", "a", "1..2",
# "1." and "1-r": garbage in an advisory, so rejected here.)
_VERSION_RE = re.compile(
    r"[0-9]+(?:\.[0-9]+|[a-z][0-9]+)*[a-z]?"
    r"(?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*(?:-r[0-9]+)?",
    re.ASCII,
)
_DIGITS = frozenset("0123456789")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_SUFFIXES = (*_PRE_SUFFIXES, *_POST_SUFFIXES)


def _tokens(version: str) -> list[int]:
    # A port of get_token()/next_token() of apk-tools 2 src/version.c on a validated version,
    # emitting (rank, value) pairs; see the module docstring for the ranks.
    flat: list[int] = []
    kind = _DIGIT
    i, n = 0, len(version)
    while i < n:
        next_kind = 0
        if kind == _DIGIT_OR_ZERO and version[i] == "0":
            # leading zeros after "." give -count, the rest is read as a separate TOKEN_DIGIT
            j = i
            while j < n and version[j] == "0":
                j += 1
            flat += (kind, i - j)
            if j < n and version[j] in _DIGITS:
                next_kind = _DIGIT
            i = j
        elif kind == _LETTER:
            flat += (kind, ord(version[i]))
            i += 1
        elif kind == _SUFFIX_POST:
            name = next(s for s in _SUFFIXES if version.startswith(s, i))
            value = _SUFFIX_VALUES[name]
            flat += (_SUFFIX_PRE if value < 0 else _SUFFIX_POST, value)
            i += len(name)
        else:  # a number: TOKEN_DIGIT(_OR_ZERO), TOKEN_SUFFIX_NO, TOKEN_REVISION_NO
            j = i
            while j < n and version[j] in _DIGITS:
                j += 1
            flat += (kind, int(version[i:j] or 0))
            i = j
        if i >= n:
            break
        if next_kind:
            kind = next_kind
            continue
        char = version[i]
        if kind in (_DIGIT, _DIGIT_OR_ZERO) and char in _LOWER:
            kind = _LETTER
        elif kind == _LETTER and char in _DIGITS:
            kind = _DIGIT
        elif kind == _SUFFIX_POST and char in _DIGITS:
            kind = _SUFFIX_NO
        elif char == ".":
            kind, i = _DIGIT_OR_ZERO, i + 1
        elif char == "_":
            kind, i = _SUFFIX_POST, i + 1
        else:  # "-r", guaranteed by the grammar
            kind, i = _REVISION_NO, i + 2
    flat.append(_END)
    return flat


class ApkScheme(VersionScheme):
    """Orders Alpine package versions exactly as apk-tools 2 does."""

    name = "apk"

    def key(self, version: str) -> ApkKey:
        """Return the flat ``(type rank, value, ...)`` token key of ``version``."""
        if _VERSION_RE.fullmatch(version) is None:
            raise InvalidVersion(self.name, version, "not an apk version (1.2.3[a][_rc1][-r0])")
        return tuple(_tokens(version))


APK = ApkScheme()

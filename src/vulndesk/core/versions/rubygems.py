"""RubyGems ordering: ``Gem::Version#<=>`` (rubygems ``lib/rubygems/version.rb``).

- Valid versions match ``Gem::Version::ANCHORED_VERSION_PATTERN``: digits, then ``.``-separated
  alphanumeric segments, optionally ``-`` and more segments; surrounding whitespace is ignored.
  ``-`` is read as ``.pre.`` (``1.0-1`` is ``1.0.pre.1``). Ruby accepts an empty string as
  ``0``; here it is invalid, because an empty bound in an advisory is a data error.
- Segments are the runs of digits (integers) and of letters (strings, case kept:
  Ruby compares them bytewise, so ``"B" < "a"``).
- Canonical segments: the numeric segments before the first string, then the rest, each part
  with its trailing zeros dropped (``1.0.0`` == ``1``, ``1.0.a`` == ``1.a``).
- ``<=>`` walks both canonical lists, padding the shorter with 0; a string sorts before a
  number, so a letter anywhere makes a pre-release that sorts before its release.

Key layout: each segment is ``(c, 1, int)`` or ``(c, 0, str)`` followed by the terminator
``(0,)``, where ``c`` (-1 or 1) is the sign of "this segment and all that follow" against the
zero padding; comparing with a shorter version meets the terminator, which ``c`` decides exactly
as Ruby's padding does, and keys are equal exactly when canonical segments are.
"""

from __future__ import annotations

import re
from typing import Any

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.base import VersionScheme

__all__ = ["RUBYGEMS", "RubygemsScheme"]

# Gem::Version::VERSION_PATTERN (rubygems 3.x).
_VERSION_RE = re.compile(
    r"\s*([0-9]+(?>\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)\s*", re.ASCII
)
_SEGMENT_RE = re.compile(r"[0-9]+|[a-z]+", re.IGNORECASE | re.ASCII)
_END = (0,)


def _drop_trailing_zeros(segments: list[int | str]) -> list[int | str]:
    end = len(segments)
    while end and segments[end - 1] == 0:
        end -= 1
    return segments[:end]


class RubygemsScheme(VersionScheme):
    """Orders RubyGems versions exactly as ``Gem::Version#<=>`` does."""

    name = "gem"

    def key(self, version: str) -> tuple[Any, ...]:
        """Return the key of the canonical segments of ``version``."""
        match = _VERSION_RE.fullmatch(version)
        if match is None:
            raise InvalidVersion(self.name, version, "not a Gem::Version")
        text = match.group(1).replace("-", ".pre.")
        segments: list[int | str] = [
            int(s) if s.isdigit() else s for s in _SEGMENT_RE.findall(text)
        ]
        first_string = next(
            (i for i, s in enumerate(segments) if isinstance(s, str)), len(segments)
        )
        canonical = _drop_trailing_zeros(segments[:first_string]) + _drop_trailing_zeros(
            segments[first_string:]
        )
        encoded: list[tuple[Any, ...]] = [_END]
        rest = 0
        for segment in reversed(canonical):
            if isinstance(segment, str):
                rest = -1
                encoded.append((rest, 0, segment))
            else:
                if segment:
                    rest = 1
                encoded.append((rest, 1, segment))
        encoded.reverse()
        return tuple(encoded)


RUBYGEMS = RubygemsScheme()

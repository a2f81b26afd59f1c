"""Exact version ordering for every ecosystem OSV uses: one module per scheme, and a registry.

>>> from vulndesk.core.versions import scheme_for_ecosystem
>>> scheme_for_ecosystem("Debian:12").compare("1.0~rc1-1", "1.0-1")
-1
"""

from vulndesk.core.versions.base import InvalidVersion, VersionScheme
from vulndesk.core.versions.registry import (
    UnknownVersionScheme,
    UnsupportedEcosystem,
    UnsupportedRangeType,
    base_ecosystem,
    scheme_by_name,
    scheme_for_ecosystem,
    scheme_for_range_type,
)

__all__ = [
    "InvalidVersion",
    "UnknownVersionScheme",
    "UnsupportedEcosystem",
    "UnsupportedRangeType",
    "VersionScheme",
    "base_ecosystem",
    "scheme_by_name",
    "scheme_for_ecosystem",
    "scheme_for_range_type",
]

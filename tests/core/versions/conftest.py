"""Shared checks for the version scheme tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from vulndesk.core.versions.base import VersionScheme

TotalOrderCheck = Callable[[VersionScheme, str, str, str], None]


def _assert_total_order(scheme: VersionScheme, a: str, b: str, c: str) -> None:
    """Assert the order invariants of base.py on three valid versions."""
    ka, kb, kc = scheme.key(a), scheme.key(b), scheme.key(c)
    ab, bc, ac = scheme.compare(a, b), scheme.compare(b, c), scheme.compare(a, c)
    # the key is deterministic, and compare() is its order
    assert scheme.key(a) == ka
    assert (ka == kb) == (ab == 0)
    assert ab == (ka > kb) - (ka < kb)
    # antisymmetry
    assert scheme.compare(b, a) == -ab
    # transitivity, of < and of ==
    if ab <= 0 and bc <= 0:
        assert ac <= 0, (a, b, c)
        if ab == 0 and bc == 0:
            assert ac == 0
            assert hash(ka) == hash(kc)
    if ab >= 0 and bc >= 0:
        assert ac >= 0, (a, b, c)


@pytest.fixture(scope="session")
def assert_total_order() -> TotalOrderCheck:
    """Return a function asserting the total-order invariants on three versions of a scheme."""
    return _assert_total_order

"""The list of mandatory tests (CSAF 2.0 section 6.1) and what a failure of one looks like.

Each test is a small generator function registered with :func:`mandatory` under its section
number; it yields ``(json_path, message)`` for each problem it finds and nothing when the
document passes. Tests never raise on a malformed document (see :mod:`.access`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

#: ``(json_path, message)`` as a test yields it
Finding = tuple[str, str]
TestFunction = Callable[[dict[str, Any]], Iterator[Finding]]

#: the id under which structural (JSON schema) problems are reported
SCHEMA_TEST = "schema"


@dataclass(frozen=True, slots=True)
class Failure:
    """One problem in a document: the test that found it, where, and what was expected."""

    test_id: str
    path: str
    message: str


@dataclass(frozen=True, slots=True)
class MandatoryTest:
    """A registered test. ``categories``: the ``/document/category`` values it applies to (None:
    every document); ``skip_categories``: values for which it is skipped (6.1.26)."""

    test_id: str
    title: str
    function: TestFunction
    categories: frozenset[str] | None = None
    skip_categories: frozenset[str] = frozenset()

    def applies_to(self, category: str | None) -> bool:
        """Return whether the test runs on a document of ``category`` (section 6.1.27: profile
        tests are skipped for documents of other categories)."""
        if category in self.skip_categories:
            return False
        return self.categories is None or category in self.categories


#: test id -> test, in registration (section) order
TESTS: dict[str, MandatoryTest] = {}


def mandatory(
    test_id: str,
    title: str,
    *,
    categories: frozenset[str] | None = None,
    skip_categories: frozenset[str] = frozenset(),
) -> Callable[[TestFunction], TestFunction]:
    """Register the decorated function as mandatory test ``test_id``."""

    def register(function: TestFunction) -> TestFunction:
        assert test_id not in TESTS, f"mandatory test {test_id} registered twice"
        TESTS[test_id] = MandatoryTest(test_id, title, function, categories, skip_categories)
        return function

    return register

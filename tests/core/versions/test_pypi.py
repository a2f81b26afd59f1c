"""PEP 440 ordering, checked against ``packaging``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import InvalidVersion as PackagingInvalidVersion
from packaging.version import Version

from vulndesk.core.errors import InvalidVersion
from vulndesk.core.versions.pypi import PYPI

# PEP 440 "Summary of permitted suffixes and relative ordering", in order
PEP440_ORDER = [
    "1.dev0",
    "1.0.dev456",
    "1.0a1",
    "1.0a2.dev456",
    "1.0a12.dev456",
    "1.0a12",
    "1.0b1.dev456",
    "1.0b2",
    "1.0b2.post345.dev456",
    "1.0b2.post345",
    "1.0rc1.dev456",
    "1.0rc1",
    "1.0",
    "1.0+abc.5",
    "1.0+abc.7",
    "1.0+5",
    "1.0.post456.dev34",
    "1.0.post456",
    "1.0.15",
    "1.1.dev1",
    "1!0.1",
]


def test_pep440_summary_order() -> None:
    keys = [PYPI.key(v) for v in PEP440_ORDER]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1.0", "1.0.0", 0),
        ("1.0", "1", 0),
        ("1.0a1", "1.0alpha1", 0),
        ("1.0c1", "1.0rc1", 0),
        ("1.0-1", "1.0.post1", 0),
        ("v1.0", "1.0", 0),
        ("1.0+Ubuntu-1", "1.0+ubuntu.1", 0),
        ("0!1.0", "1.0", 0),
        ("1.0+abc", "1.0+1", -1),
        ("1.0.dev1", "1.0a1", -1),
        ("1.0.post1.dev1", "1.0.post1", -1),
        ("2019.1", "1!0.1", -1),
    ],
    ids=[
        "trailing-zero",
        "two-trailing-zeros",
        "alpha-spelling",
        "c-is-rc",
        "implicit-post",
        "v-prefix",
        "local-normalised",
        "explicit-zero-epoch",
        "local-alnum-before-numeric",
        "dev-before-pre",
        "post-dev-before-post",
        "epoch-wins",
    ],
)
def test_compare(a: str, b: str, expected: int) -> None:
    assert PYPI.compare(a, b) == expected


@pytest.mark.parametrize(
    "version",
    ["", "2.0.1rc2-git", "0.9-eevee", "1.0-SNAPSHOT", "a3", "1.0+", "1..0"],
    ids=[
        "empty",
        "git-suffix",
        "pokemon",
        "maven-style",
        "no-release",
        "empty-local",
        "double-dot",
    ],
)
def test_invalid(version: str) -> None:
    with pytest.raises(InvalidVersion, match="pypi"):
        PYPI.key(version)


pep440 = st.builds(
    lambda epoch, release, pre, post, dev, local: epoch + release + pre + post + dev + local,
    st.sampled_from(["", "", "1!"]),
    st.lists(st.sampled_from(["0", "1", "2", "10"]), min_size=1, max_size=4).map(".".join),
    st.sampled_from(["", "", "a1", "b2", "rc1", "alpha1", "c2", "-preview3", ".rc0"]),
    st.sampled_from(["", "", ".post1", "-2", ".post0", "post3"]),
    st.sampled_from(["", "", ".dev0", ".dev3", "dev1"]),
    st.sampled_from(["", "", "+abc", "+1", "+abc.2", "+ubuntu-1", "+2.abc"]),
)


@settings(max_examples=300, deadline=None)
@given(pep440, pep440, pep440)
def test_total_order_and_agrees_with_packaging(assert_total_order, a: str, b: str, c: str) -> None:
    assert_total_order(PYPI, a, b, c)
    va, vb = Version(a), Version(b)
    assert PYPI.compare(a, b) == (va > vb) - (va < vb)


@settings(max_examples=300, deadline=None)
@given(st.text("0123456789.abcdeprtvlos+-_!", max_size=12))
def test_validity_agrees_with_packaging(text: str) -> None:
    try:
        Version(text)
    except PackagingInvalidVersion:
        assert not PYPI.is_valid(text)
    else:
        assert PYPI.is_valid(text)

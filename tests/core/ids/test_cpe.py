"""CPE 2.3 formatted strings and CPE 2.2 URIs; examples from NISTIR 7695 sections 6.1 and 6.2."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vulndesk.core.errors import IdentifierError
from vulndesk.core.ids.cpe import (
    ANY,
    ATTRIBUTES,
    NA,
    Cpe,
    parse_cpe,
    parse_formatted_string,
    parse_uri,
    wfn_unquote,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NISTIR 7695 6.2.3.3, examples 1-4
        (
            "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
            Cpe("a", "microsoft", "internet_explorer", "8\\.0\\.6001", "beta"),
        ),
        (
            "cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*",
            Cpe("a", "microsoft", "internet_explorer", "8\\.*", "sp?"),
        ),
        (
            "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*",
            Cpe(
                "a",
                "hp",
                "insight_diagnostics",
                "7\\.4\\.0\\.1570",
                NA,
                sw_edition="online",
                target_sw="win2003",
                target_hw="x64",
            ),
        ),
        (
            "cpe:2.3:a:foo\\\\bar:big\\$money_2010:*:*:*:*:special:ipod_touch:80gb:*",
            Cpe(
                "a",
                "foo\\\\bar",
                "big\\$money_2010",
                sw_edition="special",
                target_sw="ipod_touch",
                target_hw="80gb",
            ),
        ),
        # an escaped colon stays inside its attribute
        (
            "cpe:2.3:a:apple:app_store_connect\\:_mobile:1.0:*:*:*:*:*:*:*",
            Cpe("a", "apple", "app_store_connect\\:_mobile", "1\\.0"),
        ),
        ("cpe:2.3:o:*:*:*:*:*:*:*:*:*:*", Cpe("o")),
        ("CPE:2.3:h:cisco:ios:-:*:*:*:*:*:*:*", Cpe("h", "cisco", "ios", NA)),
    ],
)
def test_formatted_string(text: str, expected: Cpe) -> None:
    cpe = parse_formatted_string(text)
    assert cpe == expected
    assert parse_cpe(text) == expected
    # binding gives the canonical spelling, which reads back to the same name
    assert parse_cpe(cpe.to_formatted_string()) == cpe


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NISTIR 7695 6.1.3.3, examples 1-5 and 7
        (
            "cpe:/a:microsoft:internet_explorer:8.0.6001:beta",
            Cpe("a", "microsoft", "internet_explorer", "8\\.0\\.6001", "beta"),
        ),
        (
            "cpe:/a:microsoft:internet_explorer:8.%2a:sp%3f",
            Cpe("a", "microsoft", "internet_explorer", "8\\.\\*", "sp\\?"),
        ),
        (
            "cpe:/a:microsoft:internet_explorer:8.%02:sp%01",
            Cpe("a", "microsoft", "internet_explorer", "8\\.*", "sp?"),
        ),
        (
            "cpe:/a:hp:insight_diagnostics:7.4.0.1570::~~online~win2003~x64~",
            Cpe(
                "a",
                "hp",
                "insight_diagnostics",
                "7\\.4\\.0\\.1570",
                sw_edition="online",
                target_sw="win2003",
                target_hw="x64",
            ),
        ),
        (
            "cpe:/a:hp:openview_network_manager:7.51:-:~~~linux~~",
            Cpe("a", "hp", "openview_network_manager", "7\\.51", NA, target_sw="linux"),
        ),
        ("cpe:/a:foo~bar:big%7emoney_2010", Cpe("a", "foo\\~bar", "big\\~money_2010")),
        # the URI binding is case-insensitive: NISTIR 7695 lower-cases it
        ("cpe:/o:RedHat:Enterprise_Linux:7", Cpe("o", "redhat", "enterprise_linux", "7")),
        ("cpe:/a", Cpe("a")),
    ],
)
def test_uri(text: str, expected: Cpe) -> None:
    assert parse_uri(text) == expected
    assert parse_cpe(text) == expected


def test_any_and_na_are_distinct_from_each_other_and_from_strings() -> None:
    cpe = parse_cpe("cpe:2.3:a:v:p:-:*:\\-:\\*:*:*:*:*")
    assert cpe.version is NA
    assert cpe.update is ANY
    assert cpe.edition == "\\-"  # a literal hyphen, not NA
    assert cpe.language == "\\*"  # a literal asterisk, not ANY
    assert cpe.to_formatted_string() == "cpe:2.3:a:v:p:-:*:\\-:\\*:*:*:*:*"


def test_uri_to_formatted_string_and_back() -> None:
    cpe = parse_uri("cpe:/a:hp:insight_diagnostics:7.4.0.1570:-:~~online~win2003~x64~")
    assert cpe.to_formatted_string() == (
        "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*"
    )
    assert cpe.to_uri() == "cpe:/a:hp:insight_diagnostics:7.4.0.1570:-:~~online~win2003~x64~"
    assert parse_cpe("cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*").to_uri() == (
        "cpe:/a:microsoft:internet_explorer:8.%02:sp%01"
    )


def test_values_and_attribute_names_line_up() -> None:
    cpe = parse_cpe("cpe:2.3:a:b:c:d:e:f:g:h:i:j:k")
    assert dict(zip(ATTRIBUTES, cpe.values(), strict=True)) == {
        "part": "a",
        "vendor": "b",
        "product": "c",
        "version": "d",
        "update": "e",
        "edition": "f",
        "language": "g",
        "sw_edition": "h",
        "target_sw": "i",
        "target_hw": "j",
        "other": "k",
    }
    assert str(cpe) == "cpe:2.3:a:b:c:d:e:f:g:h:i:j:k"


def test_wfn_unquote() -> None:
    cpe = parse_cpe("cpe:2.3:a:foo\\\\bar:big\\$money:1.0-rc1:*:*:*:*:*:*:*")
    assert wfn_unquote(cpe.vendor) == "foo\\bar"
    assert wfn_unquote(cpe.product) == "big$money"
    assert wfn_unquote(cpe.version) == "1.0-rc1"
    assert wfn_unquote(ANY) == "*"
    assert wfn_unquote(NA) == "-"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cpe:2.3:a:vendor:product", "has 11 attributes after 'cpe:2.3:', got 3"),
        ("cpe:2.3:a:v:p:1:*:*:*:*:*:*:*:extra", "got 12"),
        ("cpe:2.3:x:vendor:product:1:*:*:*:*:*:*:*", "invalid CPE part 'x'"),
        ("cpe:2.3:-:vendor:product:1:*:*:*:*:*:*:*", "invalid CPE part NA"),
        ("cpe:2.3:a::product:1:*:*:*:*:*:*:*", "attribute vendor is empty"),
        ("cpe:2.3:a:v:p:1*2:*:*:*:*:*:*:*", "unquoted '*' inside it"),
        ("cpe:2.3:a:v:p:1?2:*:*:*:*:*:*:*", "unquoted '?' inside it"),
        ("cpe:2.3:a:v:p:**:*:*:*:*:*:*:*", "not a WFN value string"),
        ("cpe:2.3:a:v:pro duct:1:*:*:*:*:*:*:*", "contains ' '"),
        ("cpe:2.3:a:v:p:1:*:*:*:*:*:*:caf\u00e9", "contains '\u00e9'"),
        ("cpe:2.3:a:v:p:1:*:*:*:*:*:*:*\\", "lone backslash"),
        ("cpe:/a:foo%5cbar:big%24money_2010%07:::~~special~ipod_touch~80gb~", "'%07'"),
        ("cpe:/a:foo:bar:12.%02.1234", "wildcard %02 inside it"),
        ("cpe:/a:foo:bar:1%011", "wildcard %01 inside it"),
        ("cpe:/a:v:p:1:2:~a~b:en", "a packed edition has five '~'-separated fields"),
        ("cpe:/a:v:p:1:2:3:4:5", "at most 7 components"),
        ("cpe:/q:v:p", "invalid CPE part 'q'"),
        ("cpe:2.2:a:v:p", "expected a CPE 2.3 formatted string"),
        ("pkg:npm/lodash@4.17.21", "expected a CPE 2.3 formatted string"),
        ("", "expected a CPE 2.3 formatted string"),
    ],
)
def test_invalid_cpes_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(IdentifierError) as raised:
        parse_cpe(text)
    assert message in str(raised.value)
    assert str(raised.value).startswith(f"invalid CPE {text!r}")


def test_direct_construction_is_validated() -> None:
    with pytest.raises(IdentifierError, match="not a WFN value string"):
        Cpe("a", "micro soft")
    with pytest.raises(IdentifierError, match="expected a string, ANY or NA"):
        Cpe("a", 3)  # type: ignore[arg-type]
    with pytest.raises(IdentifierError, match="expected a string, got int"):
        parse_cpe(3)  # type: ignore[arg-type]


# A WFN value string: word characters, quoted punctuation, optional wildcards at the ends.
_WORD = st.text(alphabet="abcxyz019_", min_size=1, max_size=4)
_QUOTED = st.sampled_from(["\\.", "\\-", "\\:", "\\!", "\\$", "\\\\", "\\*", "\\?", "\\~"])
_BODY = st.lists(st.one_of(_WORD, _QUOTED), min_size=1, max_size=4).map("".join)
_VALUE = st.one_of(
    st.just(ANY),
    st.just(NA),
    _BODY,
    st.tuples(st.sampled_from(["", "*", "?", "??"]), _BODY, st.sampled_from(["", "*", "?"])).map(
        "".join
    ),
)
_CPES = st.builds(
    Cpe,
    st.sampled_from(["a", "o", "h", ANY]),
    *([_VALUE] * 10),
)


@given(_CPES)
def test_formatted_string_round_trip(cpe: Cpe) -> None:
    """Binding a WFN to a formatted string and reading it back gives the same WFN."""
    assert parse_formatted_string(cpe.to_formatted_string()) == cpe


@given(_CPES)
def test_uri_round_trip(cpe: Cpe) -> None:
    """URI binding round-trips lower-case names whose values are not a lone literal hyphen."""
    lowered = Cpe(*(v.lower() if isinstance(v, str) else v for v in cpe.values()))
    if any(v == "\\-" for v in lowered.values()):
        return  # NISTIR 7695 binds a literal '-' and NA alike in a URI
    assert parse_uri(lowered.to_uri()) == lowered

"""CPE names (NISTIR 7695): CPE 2.3 formatted strings and CPE 2.2 URIs, read into one value.

Both bindings unbind to a *well-formed name* (WFN, NISTIR 7695 section 5): 11 attributes, each
either a logical value (:data:`ANY` ``*``, :data:`NA` ``-``) or a value string. Value strings are
kept in WFN form, because that is what matching (NISTIR 7696) compares:

- letters, digits and ``_`` as they are;
- every other character quoted with a backslash (``1.0`` is ``1\\.0``, a literal ``*`` is ``\\*``);
- unquoted ``*`` (one, at the start and/or end) and ``?`` (a run at the start and/or end) are
  wildcards.

:func:`wfn_unquote` turns a value string back into plain text for display. Matching is a later
task; this module only reads, validates and writes CPE names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from enum import Enum
from typing import Final

from vulndesk.core.errors import IdentifierError

__all__ = [
    "ANY",
    "ATTRIBUTES",
    "NA",
    "AttributeValue",
    "Cpe",
    "LogicalValue",
    "parse_cpe",
    "parse_formatted_string",
    "parse_uri",
    "wfn_unquote",
]


class LogicalValue(Enum):
    """The two logical attribute values of a WFN."""

    ANY = "ANY"  # bound as "*" (2.3) or an empty component (2.2)
    NA = "NA"  # bound as "-": the attribute does not apply to this product

    def __repr__(self) -> str:
        return self.value


ANY: Final = LogicalValue.ANY
NA: Final = LogicalValue.NA

AttributeValue = str | LogicalValue

ATTRIBUTES: Final = (
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
)

_FS_PREFIX = "cpe:2.3:"
_URI_PREFIX = "cpe:/"
_PARTS = frozenset({"a", "o", "h"})

# A WFN value string: an optional leading wildcard, a body of unquoted word characters and
# backslash-quoted printable characters, an optional trailing wildcard; or only '?'s.
_WFN_VALUE = re.compile(r"(?:\*|\?+)?(?:[A-Za-z0-9_]|\\[!-~])+(?:\*|\?+)?|\?+")
# Characters a 2.2 URI may carry percent-encoded (NISTIR 7695 6.1.3.3, pct_decode).
_QUOTED_CHAR = re.compile(r"\\(.)")
_URI_PERCENT = {f"%{ord(c):02x}": c for c in "!\"#$%&'()*+,/:;<=>?@[\\]^`{|}~"}


@dataclass(frozen=True, slots=True)
class Cpe:
    """One CPE name as a WFN; string values are WFN-quoted (see the module docstring)."""

    part: AttributeValue
    vendor: AttributeValue = ANY
    product: AttributeValue = ANY
    version: AttributeValue = ANY
    update: AttributeValue = ANY
    edition: AttributeValue = ANY
    language: AttributeValue = ANY
    sw_edition: AttributeValue = ANY
    target_sw: AttributeValue = ANY
    target_hw: AttributeValue = ANY
    other: AttributeValue = ANY

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, LogicalValue):
                continue
            if not isinstance(value, str):
                raise IdentifierError(
                    f"invalid CPE attribute {f.name}={value!r}: expected a string, ANY or NA"
                )
            if not _WFN_VALUE.fullmatch(value):
                raise IdentifierError(
                    f"invalid CPE attribute {f.name}={value!r}: not a WFN value string"
                    " (punctuation must be quoted with '\\'; '*' and '?' only at the ends)"
                )
        if self.part is NA or (isinstance(self.part, str) and self.part not in _PARTS):
            raise IdentifierError(
                f"invalid CPE part {self.part!r}: expected 'a' (application), 'o' (operating"
                " system), 'h' (hardware) or ANY"
            )

    def values(self) -> tuple[AttributeValue, ...]:
        """Return the 11 attribute values in :data:`ATTRIBUTES` order."""
        return (
            self.part,
            self.vendor,
            self.product,
            self.version,
            self.update,
            self.edition,
            self.language,
            self.sw_edition,
            self.target_sw,
            self.target_hw,
            self.other,
        )

    def to_formatted_string(self) -> str:
        """Return the CPE 2.3 formatted string binding (``cpe:2.3:a:vendor:product:...``)."""
        return _FS_PREFIX + ":".join(_bind_fs(v) for v in self.values())

    def to_uri(self) -> str:
        """Return the CPE 2.2 URI binding; the 2.3-only attributes are packed into edition."""
        uri = [_bind_uri(v) for v in self.values()[:7]]
        extended = (self.sw_edition, self.target_sw, self.target_hw, self.other)
        if any(v is not ANY for v in extended):
            uri[5] = "~" + "~".join(_bind_uri(v) for v in (self.edition, *extended))
        return (_URI_PREFIX + ":".join(uri)).rstrip(":")

    def __str__(self) -> str:
        return self.to_formatted_string()


def parse_cpe(text: str) -> Cpe:
    """Return the :class:`Cpe` of a 2.3 formatted string or a 2.2 URI; raise IdentifierError."""
    if not isinstance(text, str):
        raise IdentifierError(f"invalid CPE {text!r}: expected a string, got {type(text).__name__}")
    lowered = text[:8].lower()
    if lowered.startswith(_FS_PREFIX):
        return parse_formatted_string(text)
    if lowered.startswith(_URI_PREFIX):
        return parse_uri(text)
    raise IdentifierError(
        f"invalid CPE {text!r}: expected a CPE 2.3 formatted string ('cpe:2.3:...') or a CPE 2.2"
        " URI ('cpe:/...')"
    )


def parse_formatted_string(text: str) -> Cpe:
    """Return the :class:`Cpe` of a CPE 2.3 formatted string (NISTIR 7695 6.2.3)."""
    if not text[:8].lower().startswith(_FS_PREFIX):
        raise IdentifierError(f"invalid CPE {text!r}: a CPE 2.3 name starts with 'cpe:2.3:'")
    components = _split_fs(text, text[len(_FS_PREFIX) :])
    if len(components) != len(ATTRIBUTES):
        raise IdentifierError(
            f"invalid CPE {text!r}: a CPE 2.3 formatted string has {len(ATTRIBUTES)} attributes"
            f" after 'cpe:2.3:', got {len(components)}"
        )
    values = [
        _unbind_fs(text, name, component)
        for name, component in zip(ATTRIBUTES, components, strict=True)
    ]
    return _make(text, values)


def parse_uri(text: str) -> Cpe:
    """Return the :class:`Cpe` of a CPE 2.2 URI (NISTIR 7695 6.1.3), e.g. ``cpe:/a:v:p:1.0``."""
    if not text[:5].lower().startswith(_URI_PREFIX):
        raise IdentifierError(f"invalid CPE {text!r}: a CPE 2.2 URI starts with 'cpe:/'")
    components = text[len(_URI_PREFIX) :].split(":")
    if len(components) > 7:
        raise IdentifierError(
            f"invalid CPE {text!r}: a CPE 2.2 URI has at most 7 components (part to language),"
            f" got {len(components)}"
        )
    components += [""] * (7 - len(components))
    edition = components[5]
    packed = edition.startswith("~")
    values: list[AttributeValue] = [
        ANY if index == 5 and packed else _decode_uri(text, name, component)
        for index, (name, component) in enumerate(zip(ATTRIBUTES[:7], components, strict=True))
    ]
    values += [ANY, ANY, ANY, ANY]
    if packed:
        # NISTIR 7695 6.1.3.2 unpack: "~edition~sw_edition~target_sw~target_hw~other"
        unpacked = edition.split("~")
        if len(unpacked) != 6:
            raise IdentifierError(
                f"invalid CPE {text!r}: a packed edition has five '~'-separated fields"
                " (~edition~sw_edition~target_sw~target_hw~other), got"
                f" {len(unpacked) - 1} in {edition!r}"
            )
        for index, (name, field_text) in enumerate(
            zip(("edition", *ATTRIBUTES[7:]), unpacked[1:], strict=True)
        ):
            values[5 if index == 0 else 6 + index] = _decode_uri(text, name, field_text)
    return _make(text, values)


def wfn_unquote(value: AttributeValue) -> str:
    """Return a value string as plain text (``1\\.0`` -> ``1.0``); ``*``/``-`` for ANY/NA."""
    if value is ANY:
        return "*"
    if value is NA:
        return "-"
    assert isinstance(value, str)
    return _QUOTED_CHAR.sub(r"\1", value)


def _make(text: str, values: list[AttributeValue]) -> Cpe:
    try:
        return Cpe(*values)
    except IdentifierError as e:
        raise IdentifierError(f"invalid CPE {text!r}: {e}") from None


def _split_fs(text: str, rest: str) -> list[str]:
    """Split on colons that are not quoted with a backslash."""
    components: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(rest):
        char = rest[index]
        if char == "\\":
            if index + 1 == len(rest):
                raise IdentifierError(f"invalid CPE {text!r}: it ends with a lone backslash")
            current.append(rest[index : index + 2])
            index += 2
            continue
        if char == ":":
            components.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    components.append("".join(current))
    return components


def _unbind_fs(text: str, name: str, component: str) -> AttributeValue:
    """Return the WFN value of one formatted-string component (add_quoting, NISTIR 7695 6.2.3)."""
    if component == "*":
        return ANY
    if component == "-":
        return NA
    if not component:
        raise IdentifierError(
            f"invalid CPE {text!r}: attribute {name} is empty (write * for ANY or - for NA)"
        )
    result: list[str] = []
    index = 0
    last = len(component) - 1
    while index <= last:
        char = component[index]
        _check_printable(text, name, char)
        if char.isascii() and (char.isalnum() or char == "_"):
            result.append(char)
        elif char == "\\":
            quoted = component[index + 1]
            _check_printable(text, name, quoted)
            result.append("\\" + quoted)
            index += 1
        elif char == "*":
            if index not in (0, last):
                raise IdentifierError(
                    f"invalid CPE {text!r}: attribute {name} {component!r} has an unquoted '*'"
                    " inside it (a wildcard is allowed only at the start or end; quote a literal"
                    " asterisk as '\\*')"
                )
            result.append(char)
        elif char == "?":
            if not _in_edge_run(component, index, "?"):
                raise IdentifierError(
                    f"invalid CPE {text!r}: attribute {name} {component!r} has an unquoted '?'"
                    " inside it (wildcards are allowed only at the start or end; quote a literal"
                    " question mark as '\\?')"
                )
            result.append(char)
        else:
            # NISTIR 7695 add_quoting: any other printable character is taken literally.
            result.append("\\" + char)
        index += 1
    return "".join(result)


def _decode_uri(text: str, name: str, component: str) -> AttributeValue:
    """Return the WFN value of one 2.2 URI component (decode, NISTIR 7695 6.1.3.2)."""
    if component == "":
        return ANY
    if component == "-":
        return NA
    lowered = component.lower()  # the URI binding is case-insensitive; 7695 lower-cases it
    result: list[str] = []
    index = 0
    while index < len(lowered):
        char = lowered[index]
        _check_printable(text, name, char)
        if char != "%":
            result.append(char if char.isalnum() or char == "_" else "\\" + char)
            index += 1
            continue
        form = lowered[index : index + 3]
        if form == "%01":
            if not _in_edge_run(lowered, index, "%01"):
                raise IdentifierError(
                    f"invalid CPE {text!r}: attribute {name} {component!r} has the wildcard %01"
                    " inside it (allowed only at the start or end)"
                )
            result.append("?")
        elif form == "%02":
            if index not in (0, len(lowered) - 3):
                raise IdentifierError(
                    f"invalid CPE {text!r}: attribute {name} {component!r} has the wildcard %02"
                    " inside it (allowed only at the start or end)"
                )
            result.append("*")
        elif form in _URI_PERCENT:
            result.append("\\" + _URI_PERCENT[form])
        else:
            raise IdentifierError(
                f"invalid CPE {text!r}: attribute {name} {component!r} has the percent-encoding"
                f" {form!r}, which a CPE 2.2 URI does not allow"
            )
        index += 3
    return "".join(result)


def _in_edge_run(value: str, index: int, token: str) -> bool:
    """Return whether the ``token`` at ``index`` belongs to a run touching either end of value."""
    step = len(token)
    start = index
    while start - step >= 0 and value[start - step : start] == token:
        start -= step
    end = index + step
    while value[end : end + step] == token:
        end += step
    return start == 0 or end == len(value)


def _check_printable(text: str, name: str, char: str) -> None:
    if not ("!" <= char <= "~"):
        raise IdentifierError(
            f"invalid CPE {text!r}: attribute {name} contains {char!r}; a CPE name holds only"
            " printable ASCII characters without white space"
        )


def _bind_fs(value: AttributeValue) -> str:
    """Return one attribute bound for the 2.3 formatted string (process_quoted_chars)."""
    if value is ANY:
        return "*"
    if value is NA:
        return "-"
    assert isinstance(value, str)
    if value == "\\-":
        return value  # a literal hyphen; unquoted it would read back as NA
    # A backslash and the character after it are one token, read left to right: in \\_ the
    # first backslash quotes the second one, and the "_" stands on its own.
    return _QUOTED_CHAR.sub(_unquote_for_fs, value)


def _unquote_for_fs(match: re.Match[str]) -> str:
    char = match[1]
    return char if char in ".-_" else "\\" + char


def _bind_uri(value: AttributeValue) -> str:
    """Return one attribute bound for a 2.2 URI (transform_for_uri, NISTIR 7695 6.1.2.3)."""
    if value is ANY:
        return ""
    if value is NA:
        return "-"
    assert isinstance(value, str)
    out: list[str] = []
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\":
            quoted = value[index + 1]
            out.append(quoted if quoted in ".-" else f"%{ord(quoted):02x}")
            index += 2
            continue
        out.append({"?": "%01", "*": "%02"}.get(char, char))
        index += 1
    return "".join(out)

"""CSV cells that a spreadsheet opens as text: a value starting like a formula (``=``, ``+``,
``-``, ``@``, a tab or a carriage return) gets a leading apostrophe, so an advisory's summary
or a component name cannot run as a formula in whoever opens the export (CSV injection)."""

from __future__ import annotations

from typing import Final

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """Return ``value`` as one CSV cell: "" for None, true/false for booleans, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text

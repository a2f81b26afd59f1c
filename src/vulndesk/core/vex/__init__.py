"""VEX: statements saying whether products are affected by a vulnerability (reference/vex.md).

:mod:`.model` holds the statements; one codec per format reads and writes them (:mod:`.openvex`,
:mod:`.cyclonedx`, :mod:`.csaf`); :mod:`.reader` tells the format from the content.
"""

from __future__ import annotations

from vulndesk.core.vex.csaf import csaf_vex_document, parse_csaf_vex
from vulndesk.core.vex.cyclonedx import cyclonedx_vex_document, parse_cyclonedx_vex
from vulndesk.core.vex.model import (
    JUSTIFICATIONS,
    RESPONSES,
    VexDocument,
    VexError,
    VexProduct,
    VexStatement,
    VexStatus,
    VexVersion,
)
from vulndesk.core.vex.openvex import openvex_document, parse_openvex
from vulndesk.core.vex.reader import MAX_VEX_BYTES, parse_vex, read_vex, read_vex_file, vex_format

__all__ = [
    "JUSTIFICATIONS",
    "MAX_VEX_BYTES",
    "RESPONSES",
    "VexDocument",
    "VexError",
    "VexProduct",
    "VexStatement",
    "VexStatus",
    "VexVersion",
    "csaf_vex_document",
    "cyclonedx_vex_document",
    "openvex_document",
    "parse_csaf_vex",
    "parse_cyclonedx_vex",
    "parse_openvex",
    "parse_vex",
    "read_vex",
    "read_vex_file",
    "vex_format",
]

"""CSAF 2.0 documents: validation (schema and mandatory tests) and generation.

:func:`validate_document` checks any CSAF 2.0 document; :func:`build_csaf_document` writes a
``csaf_security_advisory`` or ``csaf_vex`` document from plain dataclasses (:mod:`.model`).
Reading published CSAF advisories into vulndesk's advisory records is a different job, done by
:mod:`vulndesk.core.advisories.csaf`.
"""

from vulndesk.core.csafdoc.generator import CsafGenerationError, build_csaf_document
from vulndesk.core.csafdoc.registry import SCHEMA_TEST, Failure
from vulndesk.core.csafdoc.validator import (
    IMPLEMENTED_TESTS,
    NOT_IMPLEMENTED,
    ValidationResult,
    validate_document,
)

__all__ = [
    "IMPLEMENTED_TESTS",
    "NOT_IMPLEMENTED",
    "SCHEMA_TEST",
    "CsafGenerationError",
    "Failure",
    "ValidationResult",
    "build_csaf_document",
    "validate_document",
]
